//! Comparison of findings: what one overlay build reports against the analysis without the fixes.
//! Build errors are mapped to the fixes whose lines they name; each fix must remove its targets; a new
//! escape is credited to a fix, tolerated when benign, or rejected.

use super::overlay::Composition;
use super::{DropCode, Dropped, Verifier};
use crate::findings::display::Namer;
use crate::findings::{parse, Cost, Finding, Kind, LeakTarget};
use crate::fix::{Evidence, ExpectNew};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

/// What one build showed.
#[derive(Debug, Default)]
pub(super) struct Eval {
    pub compile_errors: Vec<(usize, String)>,
    pub unmapped_error: Option<String>,
    pub rejected: Vec<(usize, Dropped)>,
    pub unattributed: Vec<String>,
    /// Fixes whose function an unattributed new escape names (`T.String(x) escapes to heap` after a
    /// fix changed `T.String`): the likeliest culprits, tried first.
    pub named_suspects: BTreeSet<usize>,
    /// Fixes that share a file with an unattributed new escape: tried next.
    pub suspects: BTreeSet<usize>,
    pub per_fix: BTreeMap<usize, FixEval>,
    pub elsewhere: Vec<String>,
}

impl Eval {
    /// The build failed, or a new escape appeared that no fix's function explains.
    pub fn fails(&self) -> bool {
        !self.compile_errors.is_empty() || !self.unattributed.is_empty() || self.unmapped_error.is_some()
    }
}

/// What a surviving fix proved.
#[derive(Debug, Default)]
pub(super) struct FixEval {
    pub removed: Vec<String>,
    pub added: Vec<String>,
    pub bench: Vec<String>,
    pub measured: Vec<super::Measurement>,
    pub fewer_allocs: bool,
}

impl Verifier<'_> {
    fn is_target(&self, finding: usize) -> bool {
        self.fixes.values().any(|f| f.targets.contains(&finding))
    }

    pub(super) fn compare(
        &self,
        ids: &[usize],
        comp: &Composition,
        listing: &crate::go::Listing,
        after: &[Finding],
    ) -> Eval {
        let mut eval = Eval::default();
        // Build errors, mapped to the fixes whose edited lines they point at.
        for p in &listing.packages {
            let Some(err) = &p.error else { continue };
            for line in err.err.lines() {
                let Some((pos, msg)) = parse::split_pos(line) else { continue };
                let file = self.index.resolve(&pos.path, &p.import_path).map(|(f, _)| f);
                let owners: Vec<usize> = file
                    .as_ref()
                    .and_then(|f| comp.files.get(f))
                    .map(|cf| cf.owners_of_new_line(pos.line as usize - 1))
                    .unwrap_or_default();
                if owners.is_empty() {
                    eval.unmapped_error
                        .get_or_insert_with(|| format!("{}: {msg}", line.split(": ").next().unwrap_or("")));
                }
                for o in owners {
                    eval.compile_errors.push((o, msg.to_string()));
                }
            }
            if !err.err.lines().any(|l| parse::split_pos(l).is_some()) {
                eval.unmapped_error.get_or_insert_with(|| err.err.trim().to_string());
            }
        }
        // Test seam: `STACKIFY_TEST_FAULT=3,7` makes any build containing fix 3 or 7 fail with an error
        // no position can attribute, so tests can count the bisection's builds on real compiles.
        if let Ok(spec) = std::env::var("STACKIFY_TEST_FAULT") {
            let faulty: Vec<usize> = spec.split(',').filter_map(|s| s.trim().parse().ok()).collect();
            if let Some(id) = ids.iter().find(|id| faulty.contains(id)) {
                eval.unmapped_error.get_or_insert_with(|| format!("injected fault (STACKIFY_TEST_FAULT) for fix {id}"));
            }
        }
        if !eval.compile_errors.is_empty() || eval.unmapped_error.is_some() {
            return eval;
        }

        let built: BTreeSet<&str> = listing.packages.iter().map(|p| p.import_path.as_str()).collect();
        let before: Vec<&Finding> = self
            .a
            .findings
            .iter()
            .filter(|f| f.is_reportable() && built.contains(f.package.as_str()) && f.file.is_some())
            .collect();
        let after: Vec<&Finding> = after.iter().filter(|f| f.is_reportable() && f.file.is_some()).collect();

        // Stable findings: keyed by their position in the NEW text. Changed regions: per hunk.
        type Key = (PathBuf, usize, u32, &'static str, String);
        // Ordered maps: what they yield becomes report text (also removed, new escapes), which must not
        // change from run to run.
        let mut stable_old: BTreeMap<Key, Vec<&Finding>> = BTreeMap::new();
        let mut stable_new: BTreeMap<Key, Vec<&Finding>> = BTreeMap::new();
        let mut bucket_old: HashMap<(PathBuf, usize), Vec<&Finding>> = HashMap::new();
        let mut bucket_new: HashMap<(PathBuf, usize), Vec<&Finding>> = HashMap::new();
        for f in &before {
            let file = f.file.clone().unwrap();
            let line = f.line() as usize - 1;
            match comp.files.get(&file) {
                Some(cf) => match cf.old_to_new.get(line).copied().flatten() {
                    Some(nl) => {
                        stable_old.entry((file, nl, f.col(), f.kind.name(), f.subject.clone())).or_default().push(f)
                    }
                    None => bucket_old.entry((file, cf.hunk_of_old(line))).or_default().push(f),
                },
                None => stable_old.entry((file, line, f.col(), f.kind.name(), f.subject.clone())).or_default().push(f),
            }
        }
        for f in &after {
            let file = f.file.clone().unwrap();
            let line = f.line() as usize - 1;
            match comp.files.get(&file).and_then(|cf| cf.hunk_of_new(line)) {
                Some(h) => bucket_new.entry((file, h)).or_default().push(f),
                None => stable_new.entry((file, line, f.col(), f.kind.name(), f.subject.clone())).or_default().push(f),
            }
        }

        let mut per_fix: BTreeMap<usize, FixEval> = ids.iter().map(|&id| (id, FixEval::default())).collect();
        // In source words (display only: findings were paired by the compiler's). A finding from
        // the build is named from the composed text it was reported on, not the file on disk.
        let names_old = Namer::new(&self.a.sources, &self.a.listing);
        let names_new = Namer::new(&self.a.sources, &self.a.listing)
            .with_texts(comp.files.iter().map(|(p, c)| (p.clone(), c.text.clone())));
        let describe_with = |names: &Namer, f: &Finding| {
            format!(
                "{} ({}:{}:{})",
                names.message(f),
                self.a.display_path(f.file.as_deref().unwrap()),
                f.line(),
                f.col()
            )
        };
        let describe = |f: &Finding| describe_with(&names_old, f);
        let describe_new = |f: &Finding| describe_with(&names_new, f);

        // Changed regions: what went away and what appeared, by (kind, subject).
        let mut hunk_keys: BTreeSet<(PathBuf, usize)> = bucket_old.keys().cloned().collect();
        hunk_keys.extend(bucket_new.keys().cloned());
        let mut gone_ids: BTreeSet<usize> = BTreeSet::new();
        for key in hunk_keys {
            let old = bucket_old.get(&key).cloned().unwrap_or_default();
            let mut new = bucket_new.get(&key).cloned().unwrap_or_default();
            let owners = comp.files.get(&key.0).map(|cf| cf.owners[key.1].clone()).unwrap_or_default();
            let mut unpaired_old: Vec<&Finding> = Vec::new();
            for o in &old {
                if let Some(i) = new.iter().position(|n| n.kind == o.kind && n.subject == o.subject) {
                    new.remove(i);
                } else {
                    unpaired_old.push(o);
                }
            }
            // A reworded allocation (the same concatenation with a rewritten operand) is neither
            // removed nor added: pair what is left by kind and column.
            let mut new_left: Vec<&Finding> = Vec::new();
            for n in new {
                if let Some(i) =
                    unpaired_old.iter().position(|o| o.kind == n.kind && o.col() == n.col() && !self.is_target(o.id))
                {
                    unpaired_old.remove(i);
                } else {
                    new_left.push(n);
                }
            }
            for o in unpaired_old {
                gone_ids.insert(o.id);
                for id in &owners {
                    if let Some(ev) = per_fix.get_mut(id) {
                        ev.removed.push(describe(o));
                    }
                }
            }
            for n in new_left {
                if !n.is_native() || n.cost == Cost::Free {
                    continue;
                }
                for id in &owners {
                    let fix = self.fixes[id];
                    let ok = match fix.expect_new {
                        ExpectNew::ResultAllocation => n.kind == Kind::EscapesToHeap,
                        ExpectNew::Nothing => false,
                    };
                    let ev = per_fix.get_mut(id).expect("owner is active");
                    if ok {
                        ev.added.push(describe_new(n));
                    } else if is_leak_to_result(n) {
                        ev.added.push(format!("{} (callers decide whether it escapes)", describe_new(n)));
                    } else if is_private_leak(n) {
                        ev.added.push(format!(
                            "{} (unexported: every caller is in the package and was re-checked)",
                            describe_new(n)
                        ));
                    } else {
                        eval.rejected.push((
                            *id,
                            Dropped::new(
                                DropCode::RewriteEscapes,
                                format!("the rewrite itself escapes: {}", describe_new(n)),
                            ),
                        ));
                    }
                }
            }
        }
        // Stable lines: anything that went away, and anything new.
        for (k, olds) in &stable_old {
            let have = stable_new.get(k).map_or(0, Vec::len);
            for o in olds.iter().skip(have) {
                gone_ids.insert(o.id);
                // Gone from code no fix touched: a caller whose argument stopped escaping because
                // the callee no longer leaks it. Evidence for the set, not for one fix.
                if o.is_native() && o.cost != Cost::Free {
                    eval.elsewhere.push(describe(o));
                }
            }
        }
        for (k, news) in &stable_new {
            let had = stable_old.get(k).map_or(0, Vec::len);
            for n in news.iter().skip(had) {
                if !n.is_native() || n.cost == Cost::Free {
                    continue;
                }
                // A weaker report replacing a stronger one for the same variable at the same place
                // (`moved to heap: p` → `leaking param: p` → `leaking param content: p`) is less
                // escape than before, whoever the callers are.
                let stronger: &[&str] = match &n.kind {
                    Kind::LeakingParam { to: LeakTarget::Content } => &["leaking-param", "moved-to-heap"],
                    Kind::LeakingParam { to: LeakTarget::Heap } => &["moved-to-heap"],
                    _ => &[],
                };
                let weakened = stronger.iter().any(|kind| {
                    let key = (k.0.clone(), k.1, k.2, *kind, k.4.clone());
                    stable_old.get(&key).map_or(0, Vec::len) > stable_new.get(&key).map_or(0, Vec::len)
                });
                if weakened {
                    continue;
                }
                let culprits: Vec<usize> = ids
                    .iter()
                    .copied()
                    .filter(|id| {
                        let fix = self.fixes[id];
                        fix.package == n.package
                            && match (&fix.function, &n.function) {
                                (Some(ff), Some(nf)) => nf == ff || nf.starts_with(&format!("{ff}.func")),
                                _ => false,
                            }
                    })
                    .collect();
                let benign = is_leak_to_result(n) || is_private_leak(n);
                if culprits.is_empty() {
                    if !benign {
                        eval.unattributed.push(describe_new(n));
                        let near = ids.iter().copied().filter(|id| n.file.as_ref() == Some(&self.fixes[id].file));
                        eval.suspects.extend(near);
                        let named = ids.iter().copied().filter(|id| {
                            let fix = self.fixes[id];
                            fix.package == n.package
                                && fix.function.as_deref().is_some_and(|f| n.subject.contains(&format!("{f}(")))
                        });
                        eval.named_suspects.extend(named);
                    }
                    continue;
                }
                for id in culprits {
                    let ev = per_fix.get_mut(&id).expect("active");
                    if is_leak_to_result(n) {
                        ev.added.push(format!("{} (callers decide whether it escapes)", describe_new(n)));
                    } else if is_private_leak(n) {
                        ev.added.push(format!(
                            "{} (unexported: every caller is in the package and was re-checked)",
                            describe_new(n)
                        ));
                    } else if matches!(n.kind, Kind::LeakingParam { .. }) {
                        eval.rejected.push((id, Dropped::new(DropCode::ChangesEscapeContract, format!("changes the escape contract of an exported function: {} (callers outside the module could allocate more)", describe_new(n)))));
                    } else {
                        eval.rejected.push((
                            id,
                            Dropped::new(
                                DropCode::NewEscape,
                                format!("new escape in the same function: {}", describe_new(n)),
                            ),
                        ));
                    }
                }
            }
        }
        // Each fix's targets must be among what went away.
        for &id in ids {
            let fix = self.fixes[&id];
            if fix.evidence == Evidence::FewerAllocations {
                continue;
            }
            let missing: Vec<String> =
                fix.targets.iter().filter(|t| !gone_ids.contains(t)).map(|t| describe(&self.a.findings[*t])).collect();
            if !missing.is_empty() {
                eval.rejected.push((
                    id,
                    Dropped::new(
                        DropCode::FindingNotRemoved,
                        format!("the targeted finding is still reported: {}", missing.join("; ")),
                    ),
                ));
            }
        }
        // Findings that went away on stable lines (outside every hunk) are credited to no fix but
        // counted by the caller from the final state.
        eval.per_fix = per_fix;
        eval
    }
}

/// A parameter that now flows to a result: no allocation here; callers decide, and callers in the
/// build set are compared too.
fn is_leak_to_result(f: &Finding) -> bool {
    matches!(f.kind, Kind::LeakingParam { to: LeakTarget::Result { .. } })
}

/// A parameter leak in an unexported function: every caller is in the package, and the package
/// and its dependents are recompiled, so any new escape it causes at a caller shows up there.
fn is_private_leak(f: &Finding) -> bool {
    matches!(f.kind, Kind::LeakingParam { .. }) && f.function.as_deref().is_some_and(|name| !is_exported_func(name))
}

/// `F`, `T.M`, `(*T).M`: exported when the function (or, for methods, the method) name is. A function
/// literal (`F.func1`) never is: outside callers can only call it through a func value, and such
/// calls already assume every argument escapes.
fn is_exported_func(name: &str) -> bool {
    if name.contains(".func") {
        return false;
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    last.chars().next().is_some_and(char::is_uppercase)
}

#[cfg(test)]
mod tests {
    use super::is_exported_func;

    #[test]
    fn exported_names() {
        assert!(is_exported_func("Sort"));
        assert!(is_exported_func("PrioritizedSlice.Sort"));
        assert!(is_exported_func("(*T).Get"));
        assert!(!is_exported_func("(*T).get"));
        assert!(!is_exported_func("helper"));
        assert!(!is_exported_func("helper.func1"));
        assert!(!is_exported_func("Run.func2"), "closures are never API");
        assert!(!is_exported_func("Pair.func1"));
    }
}
