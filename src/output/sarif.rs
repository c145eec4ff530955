//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it (upload with
//! github/codeql-action/upload-sarif).
//!
//! - `ruleId` is the stackify rule whose fix targets the finding, else the finding's cause
//!   (`interface-conversion`, ...); both kinds of id are in `tool.driver.rules`.
//! - `level`: a finding inside a `//stackify:noalloc` function → error; allocates → warning; may
//!   allocate → note; free or informational (only with --all) → none.
//! - Positions: `uri` relative to the source root (the git work tree holding the module, else the
//!   module directory) with `uriBaseId` `%SRCROOT%`; columns in UTF-16 code units (SARIF's default
//!   `columnKind`), converted from the compiler's byte columns.
//! - `fixes[]` only with --diff: a fix is offered once the verifier proved it, as the verified file's
//!   changed lines (so an import the fix needs comes with it).

use crate::analysis::Analysis;
use crate::findings::{classify, Cause, Cost, Finding};
use crate::fix::Fix;
use crate::verify::Verification;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Where the project lives; rule documents are `rules/<id>.md` under it.
pub const REPOSITORY: &str = "https://github.com/stackify-go/stackify";

pub fn rule_doc_url(id: &str) -> String {
    format!("{REPOSITORY}/blob/main/rules/{id}.md")
}

/// Help for a finding no rule fixes: the README section that explains causes in CI output.
pub fn cause_doc_url() -> String {
    format!("{REPOSITORY}/blob/main/README.md#ci-and-code-review")
}

pub fn cause_id(c: Cause) -> String {
    serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// The rule a finding is reported under: the fixing rule, or its cause.
pub fn rule_id(f: &Finding, fix: Option<&Fix>) -> String {
    fix.map(|fx| fx.rule.to_string()).unwrap_or_else(|| cause_id(f.cause))
}

/// The git work tree that holds the module (code scanning resolves `%SRCROOT%` to the repository
/// root), else the directory stackify runs in.
pub fn source_root(a: &Analysis) -> PathBuf {
    let dir = &a.toolchain.dir;
    dir.ancestors().find(|d| d.join(".git").exists()).unwrap_or(dir).to_path_buf()
}

/// 1-based UTF-16 column of the 1-based byte column `col` on `line` (1-based) of `text`.
fn utf16_col(text: &str, line: u32, col: u32) -> u32 {
    let Some(l) = text.split('\n').nth(line.saturating_sub(1) as usize) else { return col };
    let upto = (col.saturating_sub(1) as usize).min(l.len());
    // A byte column inside a character cannot happen with compiler positions; be safe anyway.
    let upto = (0..=upto).rev().find(|i| l.is_char_boundary(*i)).unwrap_or(0);
    l[..upto].encode_utf16().count() as u32 + 1
}

pub fn document(a: &Analysis, v: Option<&Verification>, all: bool) -> Value {
    let root = source_root(a);
    let rel = |p: &Path| crate::analysis::display_path(&root, p);
    let fix_of: BTreeMap<usize, &Fix> =
        a.fixes.iter().flat_map(|fx| fx.targets.iter().map(move |t| (*t, fx))).collect();
    // A noalloc function's findings are errors: the code says it must not allocate.
    let marked = crate::check::noalloc_functions(a).unwrap_or_default();
    let violating: HashMap<usize, String> =
        crate::check::violations(a, &marked).into_iter().map(|(n, f)| (f.id, n.name.clone())).collect();

    let mut shown: Vec<&Finding> = super::github::shown(a, all).collect();
    for id in violating.keys() {
        if !shown.iter().any(|f| f.id == *id) {
            shown.push(a.finding(*id));
        }
    }
    shown.sort_by_key(|f| (f.file.clone(), f.line(), f.col()));

    // rules[]: every stackify rule, then the causes results use, each id once.
    let mut rules: Vec<Value> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for r in crate::rules::registry() {
        index.insert(r.id().to_string(), rules.len());
        rules.push(json!({
            "id": r.id(),
            "shortDescription": { "text": r.summary() },
            "helpUri": rule_doc_url(r.id()),
            "help": { "text": format!("{} (stackify rule {}; `stackify --diff --rule {}` shows and proves its fixes)", r.summary(), r.id(), r.id()) },
            "defaultConfiguration": { "level": "warning" },
            "properties": { "tags": ["performance", "allocation"] },
        }));
    }
    for f in &shown {
        if fix_of.contains_key(&f.id) {
            continue;
        }
        let id = cause_id(f.cause);
        if index.contains_key(&id) {
            continue;
        }
        index.insert(id.clone(), rules.len());
        let help = match classify::remedy(f.cause) {
            Some(r) => format!("{}. Remedy: {r}", classify::describe(f.cause)),
            None => classify::describe(f.cause).to_string(),
        };
        rules.push(json!({
            "id": id,
            "shortDescription": { "text": classify::describe(f.cause) },
            "helpUri": cause_doc_url(),
            "help": { "text": help },
            "defaultConfiguration": { "level": "warning" },
            "properties": { "tags": ["performance", "allocation"] },
        }));
    }

    let mut texts: HashMap<PathBuf, String> = HashMap::new();
    let mut text_of = |p: &Path| -> String {
        texts
            .entry(p.to_path_buf())
            .or_insert_with(|| match a.sources.get(p) {
                Some(s) => s.text.clone(),
                None => std::fs::read_to_string(p).unwrap_or_default(),
            })
            .clone()
    };
    let verified_fixes = v.map(|v| fixes_by_id(a, v)).unwrap_or_default();
    let mut occurrences: BTreeMap<crate::check::Key, usize> = BTreeMap::new();
    let namer = crate::findings::display::Namer::new(&a.sources, &a.listing).with_known(&a.source_words);
    let results: Vec<Value> = shown
        .iter()
        .filter_map(|f| {
            let file = f.file.as_deref()?;
            let fix = fix_of.get(&f.id).copied();
            let id = rule_id(f, fix);
            let level = match (violating.get(&f.id), f.cost) {
                (Some(_), _) => "error",
                (None, Cost::Allocates) => "warning",
                (None, Cost::MayAllocate) => "note",
                (None, Cost::Free | Cost::NoneHere) => "none",
            };
            // In the source's words (`T`, not `go.shape.int`; the call, not `~r0`), as the text report.
            let mut text = namer.message(f);
            if let Some(func) = namer.function(f) {
                text.push_str(&format!(" in {func}"));
            }
            text.push_str(&format!(": {}.", classify::describe(f.cause)));
            if let Some(name) = violating.get(&f.id) {
                text.push_str(&format!(" {name} is marked //stackify:noalloc."));
            }
            match fix {
                Some(fx) => text.push_str(&format!(" Fix [{}]: {}.", fx.rule, fx.title)),
                None => {
                    if let Some(r) = classify::remedy(f.cause) {
                        text.push_str(&format!(" Try: {r}."));
                    }
                }
            }
            let source = text_of(file);
            // The baseline key plus its occurrence number: stable while code moves, so code
            // scanning keeps tracking the same alert.
            let key = crate::check::key(f);
            let n = occurrences.entry(key.clone()).or_default();
            *n += 1;
            let fingerprint = format!("{}|{}|{}|{}", key.package, key.function, key.finding, n);
            let mut result = json!({
                "ruleId": id,
                "ruleIndex": index[&id],
                "level": level,
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": rel(file), "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": f.line(), "startColumn": utf16_col(&source, f.line(), f.col().max(1)) },
                    },
                }],
                "partialFingerprints": { "stackifyFinding/v1": hex_sha256(&fingerprint) },
                "properties": {
                    "kind": f.kind.name(),
                    "cause": cause_id(f.cause),
                    "cost": serde_json::to_value(f.cost).unwrap_or(Value::Null),
                    "package": f.package,
                    "function": f.function,
                },
            });
            if let Some(fx) = fix.and_then(|fx| verified_fixes.get(&fx.id)) {
                result["fixes"] = json!([fx]);
            }
            measured_properties(a, f, &mut result);
            Some(result)
        })
        .collect();
    let mut results = results;
    results.extend(profile_sites(a, &rel, &mut rules, &mut index));

    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "stackify",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": REPOSITORY,
                    "rules": rules,
                },
            },
            "originalUriBaseIds": {
                "%SRCROOT%": { "uri": file_uri(&root) },
            },
            "columnKind": "utf16CodeUnits",
            "results": results,
            "properties": run_properties(a, v),
        }],
    })
}

/// What a profile measured for a finding, or the cold judgement without one. `rank` (SARIF 2.1.0
/// §3.27.17: 0.0–100.0, higher is more important) is the finding's share of allocated bytes, so
/// consumers that sort by rank list the hot findings first.
fn measured_properties(a: &Analysis, f: &Finding, result: &mut Value) {
    if let Some(c) = a.finding_cost(f.id).filter(|_| a.measured.is_some()) {
        result["rank"] = json!((c.share * 100.0).clamp(0.0, 100.0));
        let props = &mut result["properties"];
        props["alloc_space"] = json!(c.alloc_space);
        props["alloc_objects"] = json!(c.alloc_objects);
        props["share"] = json!(c.share);
        if let Some(cpu) = c.cpu_share {
            props["cpu_share"] = json!(cpu);
        }
        if c.alloc_space > 0 {
            let words = crate::analysis::cost_words(c.alloc_space, c.share);
            if let Some(t) = result["message"]["text"].as_str().map(str::to_string) {
                result["message"]["text"] = json!(format!("{t} Measured: {words} of allocated bytes."));
            }
        }
    } else if let Some(cold) = a.cold.get(&f.id) {
        result["properties"]["cold"] = json!(cold);
        if let Some(t) = result["message"]["text"].as_str().map(str::to_string) {
            result["message"]["text"] = json!(format!("{t} Cold: {}.", cold.describe()));
        }
    }
}

/// Lines the profile shows allocating where `-m` reports no escape: results of their own, one rule
/// per kind of allocation (`allocates/slice-growth`).
fn profile_sites(
    a: &Analysis,
    rel: &dyn Fn(&Path) -> String,
    rules: &mut Vec<Value>,
    index: &mut BTreeMap<String, usize>,
) -> Vec<Value> {
    let Some(m) = &a.measured else { return Vec::new() };
    let mut out = Vec::new();
    for site in &m.join.sites {
        let kind =
            serde_json::to_value(site.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let id = format!("allocates/{kind}");
        if !index.contains_key(&id) {
            index.insert(id.clone(), rules.len());
            rules.push(json!({
                "id": id,
                "shortDescription": { "text": format!("allocates at run time ({}), with no escape finding", site.kind.describe()) },
                "helpUri": cause_doc_url(),
                "help": { "text": "A heap profile shows this line allocating while the compiler's -m reports no escape here (a variable-size make, slice or map growth, a conversion, or an allocation inside a called function)." },
                "defaultConfiguration": { "level": "warning" },
                "properties": { "tags": ["performance", "allocation", "profile"] },
            }));
        }
        let func = crate::profile::join::split_function_name(&site.function).1;
        let via = site.via.as_deref().map(|v| format!(" (in {v})")).unwrap_or_default();
        let text = format!(
            "Allocates {} of allocated bytes at run time: {}{via}, in {func}; -m reports no escape on this line.",
            crate::analysis::cost_words(site.alloc_space, site.share),
            site.kind.describe()
        );
        let fingerprint = format!("profile|{}|{func}|{kind}|{}", rel(&site.file), site.line);
        out.push(json!({
            "ruleId": id,
            "ruleIndex": index[&id],
            "level": "warning",
            "rank": (site.share * 100.0).clamp(0.0, 100.0),
            "message": { "text": text },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": rel(&site.file), "uriBaseId": "%SRCROOT%" },
                    "region": { "startLine": site.line },
                },
            }],
            "partialFingerprints": { "stackifyFinding/v1": hex_sha256(&fingerprint) },
            "properties": {
                "cost": "allocates",
                "alloc_kind": kind,
                "function": site.function,
                "via": site.via,
                "alloc_space": site.alloc_space,
                "alloc_objects": site.alloc_objects,
                "share": site.share,
                "does_not_escape": site.does_not_escape,
            },
        }));
    }
    out
}

/// The run's properties: what the profiles measured overall (the `--json` summary's `profile`).
fn run_properties(a: &Analysis, v: Option<&Verification>) -> Value {
    let summary = super::json::summary(a, v, &[], 0);
    match summary.profile {
        Some(p) => json!({ "profile": p }),
        None => json!({}),
    }
}

fn hex_sha256(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `file:///abs/dir/` (a base URI must end with a slash).
fn file_uri(dir: &Path) -> String {
    let mut s = dir.to_string_lossy().replace('\\', "/");
    if !s.starts_with('/') {
        s.insert(0, '/');
    }
    if !s.ends_with('/') {
        s.push('/');
    }
    format!("file://{s}")
}

/// A SARIF `fix` for every verified fix, built from the verified file content: each changed line
/// range goes to the fix whose edits it overlaps; ranges no edit overlaps (imports added or dropped)
/// go to the fixes of that file that change imports, or to all of them when none says so.
fn fixes_by_id(a: &Analysis, v: &Verification) -> BTreeMap<usize, Value> {
    let root = source_root(a);
    let verified: Vec<&Fix> = v.verified().filter_map(|id| a.fixes.iter().find(|f| f.id == id)).collect();
    let mut out = BTreeMap::new();
    for (path, new) in &v.files {
        let old = match a.sources.get(path) {
            Some(s) => s.text.clone(),
            None => std::fs::read_to_string(path).unwrap_or_default(),
        };
        let here: Vec<&&Fix> = verified.iter().filter(|f| &f.file == path).collect();
        if here.is_empty() {
            continue;
        }
        let line_of = |off: usize| old.as_bytes()[..off.min(old.len())].iter().filter(|b| **b == b'\n').count();
        // 0-based inclusive line span of each fix's edits in the old text.
        let spans: Vec<(usize, usize)> = here
            .iter()
            .map(|f| {
                let s = f.edits.iter().map(|e| line_of(e.start)).min().unwrap_or(0);
                let e = f.edits.iter().map(|e| line_of(e.end)).max().unwrap_or(s);
                (s, e)
            })
            .collect();
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
        let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
        let mut per_fix: Vec<Vec<Value>> = vec![Vec::new(); here.len()];
        let mut unclaimed: Vec<Value> = Vec::new();
        for op in diff.ops() {
            if op.tag() == similar::DiffTag::Equal {
                continue;
            }
            let (o, n) = (op.old_range(), op.new_range());
            let inserted: String = new_lines[n.clone()].concat();
            let replacement = json!({
                "deletedRegion": line_region(&old_lines, o.start, o.end),
                "insertedContent": { "text": inserted },
            });
            // An insertion (empty old range) belongs to a fix whose span touches its position.
            let last = if o.is_empty() { o.start } else { o.end - 1 };
            let owner = spans.iter().position(|(s, e)| o.start <= *e + usize::from(o.is_empty()) && last >= *s);
            match owner {
                Some(i) => per_fix[i].push(replacement),
                None => unclaimed.push(replacement),
            }
        }
        let imports: Vec<usize> =
            (0..here.len()).filter(|i| !here[*i].add_imports.is_empty() || !here[*i].removed_uses.is_empty()).collect();
        let takers: Vec<usize> = if imports.is_empty() { (0..here.len()).collect() } else { imports };
        for i in takers {
            per_fix[i].extend(unclaimed.iter().cloned());
        }
        for (i, f) in here.iter().enumerate() {
            let mut replacements = std::mem::take(&mut per_fix[i]);
            if replacements.is_empty() {
                continue;
            }
            // SARIF applies replacements of one change in order; keep them in file order.
            replacements.sort_by_key(|r| {
                (r["deletedRegion"]["startLine"].as_u64().unwrap_or(0), r["deletedRegion"]["endLine"].as_u64())
            });
            out.insert(
                f.id,
                json!({
                    "description": { "text": format!("[{}] {} (verified with the Go compiler)", f.rule, f.title) },
                    "artifactChanges": [{
                        "artifactLocation": { "uri": crate::analysis::display_path(&root, path), "uriBaseId": "%SRCROOT%" },
                        "replacements": replacements,
                    }],
                }),
            );
        }
    }
    out
}

/// Whole lines `[start, end)` (0-based) as a region from the start of `start` to the start of
/// `end`; an empty range is an insertion point. Past the last line the region ends at the end of the
/// last line.
fn line_region(lines: &[&str], start: usize, end: usize) -> Value {
    if end < lines.len() || end == start && start < lines.len() {
        return json!({ "startLine": start + 1, "startColumn": 1, "endLine": end + 1, "endColumn": 1 });
    }
    let last = lines.len().max(1);
    let width = lines.last().map_or(0, |l| l.encode_utf16().count());
    if start >= lines.len() {
        // Appending after a last line with no newline.
        return json!({ "startLine": last, "startColumn": width + 1, "endLine": last, "endColumn": width + 1 });
    }
    json!({ "startLine": start + 1, "startColumn": 1, "endLine": last, "endColumn": width + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_utf16() {
        assert_eq!(utf16_col("a\n\tgröße := x\n", 2, 9), 7);
        assert_eq!(utf16_col("x", 1, 1), 1);
    }
}
