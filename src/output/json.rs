//! The `--json` document. Field names are a contract (README "JSON output"); add fields, never rename.

use crate::analysis::Analysis;
use crate::findings::display::Namer;
use crate::findings::{classify, Cost, Finding, Origin};
use crate::fix::Fix;
use crate::verify::Verification;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Document<'a> {
    pub schema: u32,
    pub stackify: &'static str,
    pub go: &'a str,
    pub mode: &'a str,
    pub dir: String,
    pub broken_packages: &'a [crate::analysis::Broken],
    pub findings: Vec<FindingOut<'a>>,
    pub fixes: Vec<FixOut<'a>>,
    pub declined: Vec<DeclinedOut<'a>>,
    pub summary: Summary,
}

#[derive(Serialize)]
pub struct FindingOut<'a> {
    pub id: usize,
    pub package: &'a str,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub kind: &'static str,
    /// The compiler's words (identity; what `go build -gcflags=-m` prints).
    pub message: String,
    pub subject: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<&'a str>,
    /// `message` in the source's words: shape names and `~r0` replaced by what the code says.
    pub display: String,
    pub source_subject: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_function: Option<Cow<'a, str>>,
    pub cause: crate::findings::Cause,
    /// The cause in words, naming what took the value when the flow says (`fmt.Sprintf`, a callee).
    pub cause_text: String,
    /// What kind of call finally took the value (`fmt`, `panic`, `context-key`, `pool-put`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink: Option<classify::Sink>,
    /// That call as the compiler printed its callee (`fmt.Sprintf`, `(*sync.Pool).Put`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink_call: Option<String>,
    pub cost: Cost,
    pub origin: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inlined_from: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_inlined_from: Option<Vec<Cow<'a, str>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_note: Option<&'a str>,
    pub why: &'a [crate::findings::Flow],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// Id of the fix that targets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declined: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_editable: Option<&'a str>,
    /// With a heap profile: what its line allocated (0 when it has no samples).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileCost>,
    /// With a CPU profile: the CPU share of the finding's function (cumulative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_share: Option<f64>,
    /// Without a profile: judged cold from the code around it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold: Option<crate::syntax::cold::Cold>,
}

/// Measured bytes and objects, and the share of all profiled bytes.
#[derive(Serialize, Clone, Copy)]
pub struct ProfileCost {
    pub alloc_space: i64,
    pub alloc_objects: i64,
    pub share: f64,
}

#[derive(Serialize)]
pub struct ProfileSummary {
    /// The profiles joined (heap and CPU); default.pgo included when it was used unasked.
    pub files: Vec<String>,
    pub total_alloc_space: i64,
    /// Share of the profiled bytes on lines with a reportable finding.
    pub matched_share: f64,
    /// Share of the profiled bytes on the lines the fixes target: verified fixes with --diff/--apply,
    /// candidate fixes in a report.
    pub fixed_share: f64,
    /// Some profiled function no longer matches the source: its lines were not used.
    pub stale: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_share: Option<f64>,
    /// Fixes not proposed because their findings carry less than `min_share`.
    pub below_min_share: Vec<BelowOut>,
    pub warnings: Vec<String>,
}

#[derive(Serialize)]
pub struct BelowOut {
    pub rule: String,
    pub file: String,
    pub line: u32,
    pub targets: Vec<usize>,
    pub alloc_space: i64,
    pub share: f64,
}

#[derive(Serialize)]
pub struct EditOut<'a> {
    pub start: usize,
    pub end: usize,
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub new_text: &'a str,
}

#[derive(Serialize)]
pub struct FixOut<'a> {
    pub id: usize,
    pub rule: &'a str,
    pub package: &'a str,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub title: &'a str,
    pub explanation: &'a str,
    pub evidence: crate::fix::Evidence,
    pub targets: &'a [usize],
    /// `candidate` (report mode: not verified), `verified`, or `dropped`.
    pub status: &'static str,
    /// Stable code for scripts when dropped; `reason` is the same thing in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<crate::verify::DropCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    pub removed: &'a [String],
    pub added: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub bench: &'a [String],
    /// `bench` as numbers: each benchmark of the fix's package before and after (with --bench).
    #[serde(skip_serializing_if = "<[crate::verify::Measurement]>::is_empty")]
    pub measured: &'a [crate::verify::Measurement],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unproven: Option<&'a str>,
    /// With a profile: what the fix's target lines allocated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileCost>,
    /// Without a profile: every target is judged cold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold: Option<crate::syntax::cold::Cold>,
    pub add_imports: &'a [String],
    pub edits: Vec<EditOut<'a>>,
}

#[derive(Serialize)]
pub struct DeclinedOut<'a> {
    pub rule: &'a str,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub findings: &'a [usize],
    /// Stable code for scripts; `reason` is the same thing in words.
    pub code: &'static str,
    pub reason: String,
    /// The rule's shape did not match here (the text report hides these unless -v); false when it
    /// matched and rewriting was unsafe.
    pub shape_mismatch: bool,
}

#[derive(Serialize, Default)]
pub struct Summary {
    pub packages: usize,
    pub findings: usize,
    pub by_kind: BTreeMap<&'static str, usize>,
    pub by_cost: BTreeMap<String, usize>,
    pub by_cause: BTreeMap<String, usize>,
    pub native: usize,
    pub inlined: usize,
    pub foreign: usize,
    pub fixable: usize,
    pub fixes_candidate: usize,
    pub fixes_verified: usize,
    pub fixes_dropped: usize,
    pub declined: usize,
    /// Files with findings that stackify never edits, by why (generated, vendored, test-file, ...).
    pub skipped_files: BTreeMap<crate::analysis::SkipKind, usize>,
    pub files_written: Vec<String>,
    pub verification_notes: Vec<String>,
    /// Findings that disappeared from code no fix edited (e.g. callers of a function that no longer leaks).
    pub also_removed: Vec<String>,
    pub go_invocations: usize,
    pub verification_builds: usize,
    pub elapsed_ms: u128,
    pub timings: crate::analysis::Timings,
    /// With a profile (`--profile`, `--profile-bench`, default.pgo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileSummary>,
    /// Without a profile: findings judged cold, by why.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub cold: BTreeMap<crate::syntax::cold::Cold, usize>,
}

/// 1-based line and byte column of a byte offset.
fn line_col(text: &str, off: usize) -> (u32, u32) {
    let before = &text.as_bytes()[..off.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = off.min(text.len()) - before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
    (line as u32, col as u32)
}

fn cost_name(c: Cost) -> String {
    serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

pub fn summary(a: &Analysis, v: Option<&Verification>, written: &[PathBuf], elapsed_ms: u128) -> Summary {
    let mut s = Summary { packages: a.listing.targets().count(), ..Default::default() };
    for f in a.findings.iter().filter(|f| f.is_reportable()) {
        s.findings += 1;
        *s.by_kind.entry(f.kind.name()).or_default() += 1;
        *s.by_cost.entry(cost_name(f.cost)).or_default() += 1;
        *s.by_cause.entry(cost_name_cause(f)).or_default() += 1;
        match f.origin {
            Origin::Native => s.native += 1,
            Origin::Inlined { .. } => s.inlined += 1,
            Origin::Foreign { .. } => s.foreign += 1,
        }
    }
    s.fixable = a.fixes.iter().map(|f| f.targets.len()).sum();
    s.fixes_candidate = a.fixes.len();
    if let Some(v) = v {
        s.fixes_verified = v.verified().count();
        s.fixes_dropped = v.dropped().count();
        s.verification_builds = v.builds;
        s.verification_notes = v.notes.clone();
        s.also_removed = v.also_removed.clone();
    }
    s.declined = a.declined.len();
    for skipped in a.not_editable.values() {
        *s.skipped_files.entry(skipped.kind).or_default() += 1;
    }
    s.files_written = written.iter().map(|p| a.display_path(p)).collect();
    s.go_invocations = a.toolchain.invocations();
    s.elapsed_ms = elapsed_ms;
    s.timings = a.timings.clone();
    if let Some(v) = v {
        s.timings.verify_ms = v.elapsed_ms;
    }
    for c in a.cold.iter().filter(|(id, _)| a.findings[**id].is_reportable()).map(|(_, c)| *c) {
        *s.cold.entry(c).or_default() += 1;
    }
    s.profile = a.measured.as_ref().map(|m| {
        let j = &m.join;
        // The lines the fixes target: verified ones when verification ran, else the candidates.
        let fixed: Vec<&Fix> = match v {
            Some(v) => a.fixes.iter().filter(|f| v.outcomes.get(&f.id).is_some_and(|o| o.verified)).collect(),
            None => a.fixes.iter().collect(),
        };
        let lines: std::collections::HashSet<(&std::path::Path, u32)> = fixed
            .iter()
            .flat_map(|f| f.targets.iter())
            .filter_map(|t| Some((a.findings[*t].file.as_deref()?, a.findings[*t].line())))
            .chain(fixed.iter().flat_map(|f| f.hot_lines.iter().map(|l| (f.file.as_path(), *l))))
            .collect();
        let fixed_bytes: i64 =
            j.lines.iter().filter(|l| lines.contains(&(l.file.as_path(), l.line))).map(|l| l.alloc_space).sum();
        let total = j.summary.total_alloc_space;
        ProfileSummary {
            files: j.summary.files.iter().map(|p| a.display_path(p)).collect(),
            total_alloc_space: total,
            matched_share: j.summary.matched_share,
            fixed_share: if total > 0 { fixed_bytes as f64 / total as f64 } else { 0.0 },
            stale: j.summary.stale,
            min_share: m.min_share,
            below_min_share: m
                .below_min_share
                .iter()
                .map(|b| BelowOut {
                    rule: b.rule.clone(),
                    file: a.display_path(&b.file),
                    line: b.line,
                    targets: b.targets.clone(),
                    alloc_space: b.alloc_space,
                    share: b.share,
                })
                .collect(),
            warnings: j.warnings.clone(),
        }
    });
    s
}

fn profile_cost(a: &Analysis, id: usize) -> Option<ProfileCost> {
    let c = a.finding_cost(id)?;
    Some(ProfileCost { alloc_space: c.alloc_space, alloc_objects: c.alloc_objects, share: c.share })
}

/// Lines that allocate without a reportable finding, as findings whose cost is `allocates` (ids after
/// the compiler's findings).
fn profile_sites<'a>(a: &'a Analysis) -> Vec<FindingOut<'a>> {
    let Some(m) = &a.measured else { return Vec::new() };
    let empty: &'a [crate::findings::Flow] = &[];
    m.join
        .sites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let package = s
                .file
                .parent()
                .and_then(|d| a.listing.targets().find(|p| p.dir == d))
                .map_or("", |p| p.import_path.as_str());
            let what = match &s.via {
                Some(via) => format!("{} ({via})", s.kind.describe()),
                None => s.kind.describe().to_string(),
            };
            let words = crate::analysis::cost_words(s.alloc_space, s.share);
            let message = if s.does_not_escape {
                format!("allocates {words} at run time although the compiler keeps it on the stack: {what}")
            } else {
                format!("allocates {words} at run time with no escape finding: {what}")
            };
            FindingOut {
                id: a.findings.len() + i,
                package,
                file: a.display_path(&s.file),
                line: s.line,
                column: 1,
                kind: "profile-only",
                display: message.clone(),
                message,
                subject: "",
                function: Some(s.function.as_str()),
                source_subject: Cow::Borrowed(""),
                source_function: None,
                cause: match s.kind {
                    crate::profile::join::AllocKind::SliceGrowth => crate::findings::Cause::SliceGrowth,
                    crate::profile::join::AllocKind::InterfaceBoxing => crate::findings::Cause::InterfaceConversion,
                    _ => crate::findings::Cause::Unknown,
                },
                cause_text: what,
                sink: None,
                sink_call: None,
                cost: Cost::Allocates,
                origin: "profile",
                inlined_from: None,
                source_inlined_from: None,
                origin_note: None,
                why: empty,
                remedy: None,
                fix: None,
                declined: None,
                not_editable: None,
                profile: Some(ProfileCost {
                    alloc_space: s.alloc_space,
                    alloc_objects: s.alloc_objects,
                    share: s.share,
                }),
                cpu_share: None,
                cold: None,
            }
        })
        .collect()
}

fn cost_name_cause(f: &Finding) -> String {
    serde_json::to_value(f.cause).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

pub fn document<'a>(
    a: &'a Analysis,
    mode: &'a str,
    v: Option<&'a Verification>,
    fixes: &[&'a Fix],
    written: &[PathBuf],
    elapsed_ms: u128,
) -> Document<'a> {
    let fix_of: BTreeMap<usize, usize> =
        a.fixes.iter().flat_map(|f| f.targets.iter().map(move |t| (*t, f.id))).collect();
    let namer = Namer::new(&a.sources, &a.listing).with_known(&a.source_words);
    let declined_of: BTreeMap<usize, &crate::analysis::Declined> =
        a.declined.iter().flat_map(|d| d.findings.iter().map(move |fid| (*fid, d))).collect();
    // Every id a fix or a decline names resolves to an entry of `findings`: reportable findings,
    // plus the `does not escape` findings that a fix or decline targets (a prealloc fix's `append`).
    let referenced: std::collections::BTreeSet<usize> = a
        .fixes
        .iter()
        .chain(fixes.iter().copied())
        .flat_map(|f| f.targets.iter().copied())
        .chain(a.declined.iter().flat_map(|d| d.findings.iter().copied()))
        .collect();
    let findings = a
        .findings
        .iter()
        .filter(|f| f.is_reportable() || referenced.contains(&f.id))
        .map(|f| {
            let sink = classify::sink(&f.subject, &f.flows).filter(|_| f.is_reportable());
            let (origin, inlined_from, origin_note) = match &f.origin {
                Origin::Native => ("native", None, None),
                Origin::Inlined { callees } => ("inlined", Some(callees.as_slice()), None),
                Origin::Foreign { reason } => ("foreign", None, Some(reason.as_str())),
            };
            FindingOut {
                id: f.id,
                package: &f.package,
                file: f.file.as_deref().map(|p| a.display_path(p)).unwrap_or_else(|| f.raw.path.clone()),
                line: f.line(),
                column: f.col(),
                kind: f.kind.name(),
                message: f.message(),
                subject: &f.subject,
                function: f.function.as_deref(),
                display: namer.message(f),
                source_subject: namer.subject(f),
                source_function: namer.function(f),
                source_inlined_from: match &f.origin {
                    Origin::Inlined { callees } => Some(callees.iter().map(|c| namer.function_name(f, c)).collect()),
                    _ => None,
                },
                cause: f.cause,
                cause_text: classify::describe_finding(f),
                sink: sink.as_ref().map(|(k, _)| *k),
                sink_call: sink.map(|(_, c)| c.callee),
                cost: f.cost,
                origin,
                inlined_from,
                origin_note,
                why: &f.flows,
                remedy: classify::remedy_for(f).map(|r| namer.callee_words(f, &r)),
                fix: fix_of.get(&f.id).copied(),
                declined: declined_of.get(&f.id).map(|d| super::text::declined_words(a, &namer, d)),
                not_editable: f.file.as_ref().and_then(|p| a.not_editable.get(p)).map(|s| s.reason.as_str()),
                profile: profile_cost(a, f.id),
                cpu_share: a.finding_cost(f.id).and_then(|c| c.cpu_share),
                cold: a.cold.get(&f.id).copied(),
            }
        })
        .chain(profile_sites(a))
        .collect();
    let mut fixes: Vec<&'a Fix> = fixes.to_vec();
    crate::analysis::rank_fixes(a, &mut fixes);
    let fixes_out = fixes
        .iter()
        .map(|fix| {
            let outcome = v.and_then(|v| v.outcomes.get(&fix.id));
            let status = match outcome {
                None => "candidate",
                Some(o) if o.verified => "verified",
                Some(_) => "dropped",
            };
            // From the parsed source when there is one; a cached analysis did not parse it.
            let text = match a.sources.get(&fix.file) {
                Some(s) => std::borrow::Cow::Borrowed(s.text.as_str()),
                None => std::borrow::Cow::Owned(std::fs::read_to_string(&fix.file).unwrap_or_default()),
            };
            let pos = |off: usize| line_col(&text, off);
            FixOut {
                id: fix.id,
                rule: &fix.rule,
                package: &fix.package,
                file: a.display_path(&fix.file),
                line: fix.line,
                column: fix.col,
                title: &fix.title,
                explanation: &fix.explanation,
                evidence: fix.evidence,
                targets: &fix.targets,
                status,
                code: outcome.and_then(|o| o.code),
                reason: outcome.and_then(|o| o.reason.as_deref()),
                removed: outcome.map(|o| o.removed.as_slice()).unwrap_or(&[]),
                added: outcome.map(|o| o.added.as_slice()).unwrap_or(&[]),
                bench: outcome.map(|o| o.bench.as_slice()).unwrap_or(&[]),
                measured: outcome.map(|o| o.measured.as_slice()).unwrap_or(&[]),
                unproven: outcome.and_then(|o| o.unproven.as_deref()),
                profile: a.fix_cost(fix).map(|(b, s)| ProfileCost {
                    alloc_space: b,
                    alloc_objects: fix
                        .targets
                        .iter()
                        .filter_map(|t| a.finding_cost(*t))
                        .map(|c| c.alloc_objects)
                        .max()
                        .unwrap_or(0)
                        + a.measured.as_ref().map_or(0, |m| {
                            let hot = |l: &&crate::profile::join::LineCost| {
                                l.file == fix.file && fix.hot_lines.contains(&l.line)
                            };
                            m.join.lines.iter().filter(hot).map(|l| l.alloc_objects).sum::<i64>()
                        }),
                    share: s,
                }),
                cold: a.fix_cold(fix),
                add_imports: &fix.add_imports,
                edits: fix
                    .edits
                    .iter()
                    .map(|e| {
                        let (sl, sc) = pos(e.start);
                        let (el, ec) = pos(e.end);
                        EditOut {
                            start: e.start,
                            end: e.end,
                            start_line: sl,
                            start_column: sc,
                            end_line: el,
                            end_column: ec,
                            new_text: &e.text,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let declined = a
        .declined
        .iter()
        .map(|d| DeclinedOut {
            rule: &d.rule,
            file: a.display_path(&d.file),
            line: d.line,
            column: d.col,
            findings: &d.findings,
            code: d.code.as_str(),
            reason: super::text::declined_words(a, &namer, d),
            shape_mismatch: d.code.is_shape_mismatch(),
        })
        .collect();
    Document {
        schema: SCHEMA_VERSION,
        stackify: env!("CARGO_PKG_VERSION"),
        go: a.toolchain.version(),
        mode,
        dir: a.toolchain.dir.display().to_string(),
        broken_packages: &a.broken,
        findings,
        fixes: fixes_out,
        declined,
        summary: summary(a, v, written, elapsed_ms),
    }
}
