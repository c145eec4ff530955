//! `--format github`: one GitHub Actions workflow command per finding, which a workflow step turns
//! into an annotation on the pull request's diff. Escaping follows @actions/core (toolkit's
//! `command.ts`): data escapes `%`, CR and LF; properties also `:` and `,`.

use super::sarif::{rule_id, source_root};
use crate::analysis::Analysis;
use crate::findings::{classify, Cost, Finding};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The findings an annotation run shows: the costly ones (as the default report), or with `all`
/// every reportable finding in a file under the source root.
pub fn shown<'a>(a: &'a Analysis, all: bool) -> impl Iterator<Item = &'a Finding> + 'a {
    let root = source_root(a);
    a.findings.iter().filter(move |f| {
        if all {
            f.is_reportable() && f.file.as_deref().is_some_and(|p| p.starts_with(&root))
        } else {
            crate::check::costly(f)
        }
    })
}

/// Workflow-command level: allocates → warning, may allocate or free → notice (never error: a
/// finding is advice; `--check` is the gate).
fn command(f: &Finding) -> &'static str {
    match f.cost {
        Cost::Allocates => "warning",
        Cost::MayAllocate | Cost::Free | Cost::NoneHere => "notice",
    }
}

pub fn annotations(a: &Analysis, all: bool) -> String {
    let root = source_root(a);
    let fix_of: BTreeMap<usize, &crate::fix::Fix> =
        a.fixes.iter().flat_map(|fx| fx.targets.iter().map(move |t| (*t, fx))).collect();
    let mut list: Vec<&Finding> = shown(a, all).collect();
    list.sort_by_key(|f| (f.file.clone(), f.line(), f.col()));
    // With a profile the hottest first (a pull request shows the annotations in this order); cold
    // findings after the others without one. Stable: ties keep file order.
    list.sort_by_key(|f| {
        (a.cold.contains_key(&f.id), std::cmp::Reverse(a.finding_cost(f.id).map_or(0, |c| c.alloc_space)))
    });
    let mut out = String::new();
    let namer = crate::findings::display::Namer::new(&a.sources, &a.listing).with_known(&a.source_words);
    for f in list {
        let file = f.file.as_deref().map(|p| crate::analysis::display_path(&root, p)).unwrap_or_default();
        let fix = fix_of.get(&f.id).copied();
        // In the source's words (`T`, not `go.shape.int`; the call, not `~r0`), as the text report.
        let mut msg = namer.message(f);
        if let Some(func) = namer.function(f) {
            let _ = write!(msg, " in {func}");
        }
        let _ = write!(msg, "\n{}", classify::describe(f.cause));
        match (a.finding_cost(f.id).filter(|c| c.alloc_space > 0), a.cold.get(&f.id)) {
            (Some(c), _) => {
                let _ = write!(
                    msg,
                    "\nmeasured: {} of allocated bytes",
                    crate::analysis::cost_words(c.alloc_space, c.share)
                );
            }
            (None, Some(cold)) => {
                let _ = write!(msg, "\ncold: {}", cold.describe());
            }
            (None, None) => {}
        }
        match fix {
            Some(fx) => {
                let _ = write!(msg, "\nfix [{}]: {} (`stackify --diff` proves it)", fx.rule, fx.title);
            }
            None => {
                if let Some(r) = classify::remedy(f.cause) {
                    let _ = write!(msg, "\ntry: {r}");
                }
            }
        }
        let title = format!("stackify: {}", rule_id(f, fix));
        let _ = writeln!(
            out,
            "::{} file={},line={},col={},title={}::{}",
            command(f),
            escape_property(&file),
            f.line(),
            f.col(),
            escape_property(&title),
            escape_data(&msg)
        );
    }
    profile_sites(a, &root, &mut out);
    out
}

/// Lines a profile shows allocating with no escape finding: a warning each, hottest first (the join
/// lists them so).
fn profile_sites(a: &Analysis, root: &std::path::Path, out: &mut String) {
    let Some(m) = &a.measured else { return };
    for site in &m.join.sites {
        let file = crate::analysis::display_path(root, &site.file);
        let func = crate::profile::join::split_function_name(&site.function).1;
        let via = site.via.as_deref().map(|v| format!(" (in {v})")).unwrap_or_default();
        let msg = format!(
            "allocates {} of allocated bytes at run time: {}{via}, in {func}\n-m reports no escape on this line; the heap profile does",
            crate::analysis::cost_words(site.alloc_space, site.share),
            site.kind.describe()
        );
        let _ = writeln!(
            out,
            "::warning file={},line={},title={}::{}",
            escape_property(&file),
            site.line,
            escape_property("stackify: allocates at run time"),
            escape_data(&msg)
        );
    }
}

pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_actions_toolkit() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
