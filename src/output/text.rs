//! The human report: what costs and can be fixed first, then what costs and cannot, then a count of
//! what is free or belongs elsewhere (listed with --all).

use crate::analysis::Analysis;
use crate::findings::display::Namer;
use crate::findings::{classify, Cost, Finding, Kind, Origin};
use console::style;
use std::collections::BTreeMap;
use std::fmt::Write;

fn location(a: &Analysis, f: &Finding) -> String {
    f.file.as_deref().map(|p| a.display_path(p)).unwrap_or_else(|| f.raw.path.clone())
}

pub use crate::findings::display::flow_line;

/// A decline's reason with the findings it quotes in source words.
pub fn declined_words(a: &Analysis, namer: &Namer, d: &crate::analysis::Declined) -> String {
    d.findings.iter().fold(d.reason.clone(), |reason, &id| namer.words(a.finding(id), &reason))
}

fn section(out: &mut String, title: &str, count: usize) {
    let _ = writeln!(out, "\n{}", style(format!("{title} ({count})")).bold());
}

fn by_file<'a>(a: &Analysis, items: impl Iterator<Item = &'a Finding>) -> BTreeMap<String, Vec<&'a Finding>> {
    let mut m: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in items {
        m.entry(location(a, f)).or_default().push(f);
    }
    for v in m.values_mut() {
        v.sort_by_key(|f| (f.line(), f.col()));
    }
    m
}

/// A decline worth showing: the rule matched but rewriting was unsafe (DeclineCode::is_shape_mismatch), or
/// any decline with `-v`.
fn shows_decline(d: &crate::analysis::Declined, verbose: bool) -> bool {
    verbose || !d.code.is_shape_mismatch()
}

fn finding_line(out: &mut String, a: &Analysis, namer: &Namer, f: &Finding) {
    let func = namer.function(f).map(|n| format!("  in {n}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "  {:<8} {}{}{}",
        format!("{}:{}", f.line(), f.col()),
        namer.message(f),
        style(func).dim(),
        measure_words(a, f.id)
    );
}

/// `  — 12.3 MB (41%)` with a profile, `  — cold: error path` when judged cold, else nothing.
fn measure_words(a: &Analysis, id: usize) -> String {
    if let Some(c) = a.finding_cost(id) {
        format!("  — {}", style(crate::analysis::cost_words(c.alloc_space, c.share)).bold())
    } else if let Some(c) = a.cold.get(&id) {
        format!("  — {}", style(format!("cold: {}", c.describe())).dim())
    } else {
        String::new()
    }
}

/// Hottest first with a profile, cold last without one; else by file and position.
fn rank_findings(a: &Analysis, list: &mut [&Finding]) {
    list.sort_by_cached_key(|f| {
        let bytes = a.finding_cost(f.id).map_or(0, |c| c.alloc_space);
        (a.cold.contains_key(&f.id), std::cmp::Reverse(bytes), location(a, f), f.line(), f.col())
    });
}

/// With a profile: its totals, and the lines that allocate without a finding.
fn profile_section(out: &mut String, a: &Analysis, all: bool) {
    let Some(m) = &a.measured else { return };
    let s = &m.join.summary;
    let fixed: std::collections::HashSet<(&std::path::Path, u32)> = a
        .fixes
        .iter()
        .flat_map(|f| f.targets.iter())
        .filter_map(|t| Some((a.findings[*t].file.as_deref()?, a.findings[*t].line())))
        .collect();
    let fixed_bytes: i64 =
        m.join.lines.iter().filter(|l| fixed.contains(&(l.file.as_path(), l.line))).map(|l| l.alloc_space).sum();
    let pct = |b: f64| if s.total_alloc_space > 0 { 100.0 * b / s.total_alloc_space as f64 } else { 0.0 };
    let _ = writeln!(
        out,
        "profile: {} allocated; {:.1}% on findings, {:.1}% on lines the fixes target{}",
        crate::analysis::cost_words(s.total_alloc_space, 1.0).trim_end_matches(" (100%)"),
        s.matched_share * 100.0,
        pct(fixed_bytes as f64),
        if s.stale { " (stale for some functions: their lines were not used)" } else { "" }
    );
    if !m.below_min_share.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style(format!(
                "  {} fixes not proposed: their findings carry less than --min-share {:.1}% (--json lists them)",
                m.below_min_share.len(),
                m.min_share.unwrap_or(0.0) * 100.0
            ))
            .dim()
        );
    }
    // Stale functions: their bytes count for the function only; say which and why, so the user
    // knows to take a fresh profile.
    for st in m.join.stale.iter().take(if all { usize::MAX } else { 3 }) {
        let _ = writeln!(
            out,
            "{}",
            style(format!(
                "  stale: {} in {} ({}): {}",
                crate::profile::join::split_function_name(&st.function).1,
                a.display_path(&st.file),
                crate::analysis::cost_words(st.alloc_space, st.alloc_space as f64 / s.total_alloc_space.max(1) as f64),
                st.reason
            ))
            .dim()
        );
    }
    if m.join.sites.is_empty() {
        return;
    }
    let shown = if all { m.join.sites.len() } else { m.join.sites.len().min(10) };
    section(out, "Allocates at run time, no escape finding (measured)", m.join.sites.len());
    for site in &m.join.sites[..shown] {
        let what = match &site.via {
            Some(via) => format!("{} ({via})", site.kind.describe()),
            None => site.kind.describe().to_string(),
        };
        let _ = writeln!(
            out,
            "  {}:{}  {}  {}{}",
            a.display_path(&site.file),
            site.line,
            style(crate::analysis::cost_words(site.alloc_space, site.share)).bold(),
            what,
            style(format!("  in {}", crate::profile::join::split_function_name(&site.function).1)).dim()
        );
    }
    if shown < m.join.sites.len() {
        let _ = writeln!(out, "{}", style(format!("  … {} more (--all lists them)", m.join.sites.len() - shown)).dim());
    }
}

pub fn report(a: &Analysis, all: bool, verbose: bool) -> String {
    report_with(a, all, verbose, false)
}

/// The report; `hide_cold` leaves out findings judged cold (their fixes are already withdrawn).
pub fn report_with(a: &Analysis, all: bool, verbose: bool, hide_cold: bool) -> String {
    let mut out = String::new();
    let namer = Namer::new(&a.sources, &a.listing).with_known(&a.source_words);
    let reportable: Vec<&Finding> = a.findings.iter().filter(|f| f.is_reportable()).collect();
    let _ = writeln!(
        out,
        "stackify: {} findings in {} packages ({})",
        reportable.len(),
        a.listing.targets().count(),
        a.toolchain.version()
    );
    let fix_of: BTreeMap<usize, usize> =
        a.fixes.iter().flat_map(|fx| fx.targets.iter().map(move |t| (*t, fx.id))).collect();
    let declined_of: BTreeMap<usize, &crate::analysis::Declined> =
        a.declined.iter().flat_map(|d| d.findings.iter().map(move |fid| (*fid, d))).collect();

    // 1. What a rule can fix.
    if !a.fixes.is_empty() {
        // Every target, reportable or not: a prealloc fix targets an `append does not escape`, and
        // the fix still needs its location and subject line.
        let targeted: Vec<&Finding> = a.findings.iter().filter(|f| fix_of.contains_key(&f.id)).collect();
        section(&mut out, "Fixable", a.fixes.len());
        let mut fixes: Vec<&crate::fix::Fix> = a.fixes.iter().collect();
        // By file first (the ranking is stable): without a profile or cold fixes that is the order.
        fixes.sort_by_cached_key(|fx| a.display_path(&fx.file));
        crate::analysis::rank_fixes(a, &mut fixes);
        let mut current: Option<String> = None;
        {
            for fx in fixes {
                let file = a.display_path(&fx.file);
                if current.as_ref() != Some(&file) {
                    let _ = writeln!(out, "{}", style(&file).underlined());
                    current = Some(file);
                }
                for f in targeted.iter().filter(|f| fix_of.get(&f.id) == Some(&fx.id)) {
                    finding_line(&mut out, a, &namer, f);
                }
                let first = &a.findings[fx.targets[0]];
                let _ = writeln!(out, "           why: {}", classify::describe_finding(first));
                if verbose {
                    if let Some(fl) = flow_line(&namer, first) {
                        let _ = writeln!(out, "           flow: {fl}");
                    }
                }
                let _ = writeln!(
                    out,
                    "           {} {}",
                    style(format!("fix #{} [{}]:", fx.id, fx.rule)).green(),
                    fx.title
                );
                if let Some((bytes, share)) = a.fix_cost(fx) {
                    let _ = writeln!(out, "           measured: {}", crate::analysis::cost_words(bytes, share));
                } else if let Some(c) = a.fix_cold(fx) {
                    let _ =
                        writeln!(out, "           {}", style(format!("cold: {} (listed last)", c.describe())).dim());
                }
            }
        }
    }

    // 2. What costs and no rule fixes.
    let mut hidden_cold = 0;
    let mut costly: Vec<&Finding> = reportable
        .iter()
        .copied()
        .filter(|f| {
            // An inlined callee's allocation happens on this line (escape analysis decides it per
            // call site after inlining): costly ones are listed here with the callee named.
            (f.is_native() || matches!(f.origin, Origin::Inlined { .. }))
                && !fix_of.contains_key(&f.id)
                && matches!(f.cost, Cost::Allocates | Cost::MayAllocate)
        })
        .collect();
    if hide_cold {
        let before = costly.len();
        costly.retain(|f| !a.cold.contains_key(&f.id));
        hidden_cold = before - costly.len();
    }
    rank_findings(a, &mut costly);
    if !costly.is_empty() {
        section(&mut out, "Allocates, no automatic fix", costly.len());
        let mut current: Option<String> = None;
        {
            for f in costly.iter().copied() {
                let file = location(a, f);
                if current.as_ref() != Some(&file) {
                    let note = f
                        .file
                        .as_ref()
                        .and_then(|p| a.not_editable.get(p))
                        .map(|r| format!("  ({r})"))
                        .unwrap_or_default();
                    let _ = writeln!(out, "{}{}", style(&file).underlined(), style(note).dim());
                    current = Some(file);
                }
                finding_line(&mut out, a, &namer, f);
                let cost = if f.cost == Cost::MayAllocate { " (may not allocate: depends on the value)" } else { "" };
                if let Origin::Inlined { callees } = &f.origin {
                    let names: Vec<_> = callees.iter().map(|c| namer.function_name(f, c)).collect();
                    let _ = writeln!(out, "           inlined from {}", names.join(" → "));
                }
                let _ = writeln!(out, "           why: {}{}", classify::describe_finding(f), cost);
                if verbose {
                    if let Some(fl) = flow_line(&namer, f) {
                        let _ = writeln!(out, "           flow: {fl}");
                    }
                }
                // The remedy stays; a rule's decline is a second line saying why the rule did not do
                // it here (only when the rule's shape matched, or with -v).
                if let Some(r) = classify::remedy_for(f).map(|r| namer.callee_words(f, &r)) {
                    let _ = writeln!(out, "           try: {r}");
                }
                if let Some(d) = declined_of.get(&f.id).filter(|d| shows_decline(d, verbose)) {
                    let reason = namer.words(f, &d.reason);
                    let _ = writeln!(out, "           {} {reason}", style(format!("{} declined:", d.rule)).yellow());
                }
            }
        }
    }

    // 3. The rest: free, informational, or someone else's code.
    let free: Vec<&Finding> =
        reportable.iter().copied().filter(|f| f.is_native() && matches!(f.cost, Cost::Free | Cost::NoneHere)).collect();
    let inlined: Vec<&Finding> = reportable
        .iter()
        .copied()
        .filter(|f| {
            matches!(f.origin, Origin::Inlined { .. })
                && !costly.iter().any(|c| c.id == f.id)
                && !(hide_cold && a.cold.contains_key(&f.id))
        })
        .collect();
    let foreign: Vec<&Finding> =
        reportable.iter().copied().filter(|f| matches!(f.origin, Origin::Foreign { .. })).collect();
    if all {
        if !free.is_empty() {
            section(&mut out, "Free or informational", free.len());
            for (file, list) in by_file(a, free.iter().copied()) {
                let _ = writeln!(out, "{}", style(&file).underlined());
                for f in list {
                    finding_line(&mut out, a, &namer, f);
                    let why = if matches!(f.kind, Kind::LeakingParam { .. }) {
                        classify::describe(f.cause)
                    } else {
                        "a constant or small value: boxing it allocates nothing"
                    };
                    let _ = writeln!(out, "           {why}");
                }
            }
        }
        if !inlined.is_empty() {
            section(&mut out, "Reported at inlined call sites (fix the callee)", inlined.len());
            for (file, list) in by_file(a, inlined.iter().copied()) {
                let _ = writeln!(out, "{}", style(&file).underlined());
                for f in list {
                    finding_line(&mut out, a, &namer, f);
                    if let Origin::Inlined { callees } = &f.origin {
                        let names: Vec<_> = callees.iter().map(|c| namer.function_name(f, c)).collect();
                        let _ = writeln!(out, "           inlined from {}", names.join(" → "));
                    }
                }
            }
        }
        if !foreign.is_empty() {
            section(&mut out, "Code that lives elsewhere", foreign.len());
            for (file, list) in by_file(a, foreign.iter().copied()) {
                let _ = writeln!(out, "{}", style(&file).underlined());
                for f in list {
                    finding_line(&mut out, a, &namer, f);
                    if let Origin::Foreign { reason } = &f.origin {
                        let _ = writeln!(out, "           {reason}");
                    }
                }
            }
        }
    }
    let declined_other: Vec<&crate::analysis::Declined> = a
        .declined
        .iter()
        .filter(|d| shows_decline(d, verbose) && d.findings.iter().all(|fid| !costly.iter().any(|c| c.id == *fid)))
        .collect();
    if !declined_other.is_empty() && (all || verbose) {
        section(&mut out, "Declined by a rule", declined_other.len());
        for d in declined_other {
            let reason = declined_words(a, &namer, d);
            let _ = writeln!(out, "  {}:{}:{} [{}] {reason}", a.display_path(&d.file), d.line, d.col, d.rule);
        }
    }
    profile_section(&mut out, a, all);
    let hidden = if all { 0 } else { free.len() + inlined.len() + foreign.len() };
    let _ = writeln!(out);
    if hidden_cold > 0 {
        let _ =
            writeln!(out, "{}", style(format!("Not shown: {hidden_cold} findings judged cold (--hide-cold).")).dim());
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{}",
            style(format!(
                "Not shown: {} free or informational (boxed constants, leaking params), {} free at inlined call sites, {} in code that lives elsewhere. --all lists them.",
                free.len(),
                inlined.len(),
                foreign.len()
            ))
            .dim()
        );
    }
    if !a.not_editable.is_empty() {
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for s in a.not_editable.values() {
            *kinds.entry(format!("{:?}", s.kind).to_lowercase()).or_default() += 1;
        }
        let parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = writeln!(
            out,
            "{}",
            style(format!("Files never edited: {} ({}).", a.not_editable.len(), parts.join(", "))).dim()
        );
    }
    if !a.fixes.is_empty() {
        let _ = writeln!(
            out,
            "Next: `stackify --diff` proves the {} fixes with the compiler and prints them; `stackify --apply` writes them.",
            a.fixes.len()
        );
    } else {
        let _ = writeln!(out, "No automatic fixes for these findings.");
    }
    out
}
