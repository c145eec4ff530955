//! The verifier: the only judge of a fix. It composes candidate fixes into an overlay, recompiles the
//! touched packages and their dependents ONCE with `-gcflags=-m=2` (go list -export -overlay, so the
//! working tree is never touched), and compares the findings with the first run:
//! - each fix's targeted finding must be gone (or, for allocation-count rules, nothing may get worse);
//! - a new finding inside a fix's edited lines must be one its rule expects (a result allocation);
//! - a new costly finding elsewhere in the fix's function (a parameter that now leaks to the heap) drops it;
//! - a build failure is mapped to the fixes whose lines the compiler names, else bisected.
//!
//! Rounds repeat until one drops nothing: the surviving set is exactly what was compiled last.

use crate::analysis::{self, Analysis};
use crate::findings::{attribute, parse, Cost, Finding, Kind, LeakTarget};
use crate::fix::compose::{self, Draft};
use crate::fix::{Evidence, ExpectNew, Fix};
use crate::go::{ListOptions, Toolchain};
use crate::progress::Progress;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Outcome {
    pub fix: usize,
    pub verified: bool,
    /// Why the fix was dropped.
    pub reason: Option<String>,
    /// What the compiler no longer reports (the targets, and anything else that went away).
    pub removed: Vec<String>,
    /// New findings the rule expects (e.g. the concatenation's result allocation).
    pub added: Vec<String>,
    /// Allocation evidence from the package's benchmarks (with --bench).
    pub bench: Vec<String>,
    /// What this verification could not prove.
    pub unproven: Option<String>,
}

#[derive(Debug, Default, Serialize, serde::Deserialize)]
pub struct Verification {
    pub outcomes: BTreeMap<usize, Outcome>,
    /// Verification builds run (one per round plus bisection steps).
    pub builds: usize,
    /// Final content of every file the verified fixes touch.
    pub files: BTreeMap<PathBuf, String>,
    /// What the optional checks could not use (e.g. tests that already fail without the fixes).
    pub notes: Vec<String>,
    /// Findings that went away in code no fix edited (callers of a function that no longer leaks).
    pub also_removed: Vec<String>,
    pub elapsed_ms: u128,
}

impl Verification {
    pub fn verified(&self) -> impl Iterator<Item = usize> + '_ {
        self.outcomes.values().filter(|o| o.verified).map(|o| o.fix)
    }
    pub fn dropped(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.values().filter(|o| !o.verified)
    }
}

/// One file's composed content and how its lines map back to the original.
struct ComposedFile {
    text: String,
    /// old 0-based line → new 0-based line, for lines the edits left alone.
    old_to_new: Vec<Option<usize>>,
    /// Changed regions: (old lines, new lines).
    hunks: Vec<(Range<usize>, Range<usize>)>,
    /// For each hunk, the fixes whose edits fall in it.
    owners: Vec<Vec<usize>>,
}

struct Composition {
    files: BTreeMap<PathBuf, ComposedFile>,
    failures: Vec<(usize, String)>,
}

/// Stronger proofs on the overlay, when asked: the packages' own vet, tests and benchmarks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Checks {
    pub vet: bool,
    pub test: bool,
    pub bench: bool,
}

pub struct Verifier<'a> {
    a: &'a Analysis,
    index: attribute::FileIndex,
    fixes: HashMap<usize, &'a Fix>,
    progress: &'a Progress,
    builds: usize,
    checks: Checks,
    /// Baselines without any fix, computed once: does vet/test already fail; benchmark allocs.
    baseline_vet: Option<Option<String>>,
    baseline_test: Option<Option<String>>,
    baseline_bench: HashMap<String, crate::go::list::BenchResult>,
    notes: Vec<String>,
    also_removed: Vec<String>,
    started: std::time::Instant,
}

impl<'a> Verifier<'a> {
    pub fn new(a: &'a Analysis, progress: &'a Progress) -> Self {
        Verifier {
            a,
            index: attribute::FileIndex::new(&a.listing, Path::new(&a.toolchain.env.goroot)),
            fixes: a.fixes.iter().map(|f| (f.id, f)).collect(),
            progress,
            builds: 0,
            checks: Checks::default(),
            baseline_vet: None,
            baseline_test: None,
            baseline_bench: HashMap::new(),
            notes: Vec::new(),
            also_removed: Vec::new(),
            started: std::time::Instant::now(),
        }
    }

    pub fn with_checks(mut self, checks: Checks) -> Self {
        self.checks = checks;
        self
    }

    /// Verify `ids` together; returns every fix's outcome and the final file contents.
    pub fn verify(mut self, ids: &[usize]) -> Result<Verification> {
        let mut dropped: BTreeMap<usize, String> = BTreeMap::new();
        let mut active: Vec<usize> = ids.to_vec();
        active.sort();
        loop {
            let Some((ok, mut per_fix, comp)) = self.converge(&mut active, &mut dropped)? else {
                return Ok(self.finish(dropped, BTreeMap::new(), BTreeMap::new()));
            };
            if let Some((culprit, why)) = self.extra_checks(&ok, &comp, &mut per_fix)? {
                dropped.insert(culprit, why);
                continue;
            }
            let files = comp.files.into_iter().map(|(p, c)| (p, c.text)).collect();
            return Ok(self.finish(dropped, per_fix, files));
        }
    }

    /// Rounds of compose → build → compare until one drops nothing. Returns the surviving ids, what
    /// each proved, and the composition that was compiled last.
    #[allow(clippy::type_complexity)]
    fn converge(
        &mut self,
        active: &mut Vec<usize>,
        dropped: &mut BTreeMap<usize, String>,
    ) -> Result<Option<(Vec<usize>, BTreeMap<usize, FixEval>, Composition)>> {
        loop {
            active.retain(|id| !dropped.contains_key(id));
            if active.is_empty() {
                return Ok(None);
            }
            let comp = self.compose(active)?;
            if !comp.failures.is_empty() {
                for (id, why) in comp.failures {
                    dropped.insert(id, why);
                }
                continue;
            }
            self.progress.step(&format!("verifying {} fixes (build {})", active.len(), self.builds + 1));
            let eval = self.build_and_compare(active, &comp)?;
            if !eval.compile_errors.is_empty() || eval.unmapped_error.is_some() {
                if eval.unmapped_error.is_none() {
                    for (id, msg) in &eval.compile_errors {
                        dropped.entry(*id).or_insert_with(|| format!("does not compile: {msg}"));
                    }
                } else {
                    let msg = eval.unmapped_error.clone().unwrap_or_default();
                    let culprit = self.bisect(active)?;
                    dropped.insert(culprit, format!("breaks the build (found by bisection): {msg}"));
                }
                continue;
            }
            let mut dropped_now = false;
            for (id, why) in &eval.rejected {
                dropped.insert(*id, why.clone());
                dropped_now = true;
            }
            if dropped_now {
                continue;
            }
            if let Some(what) = eval.unattributed.first().cloned() {
                let culprit = self.bisect(active)?;
                dropped
                    .insert(culprit, format!("introduces a new escape outside the edit (found by bisection): {what}"));
                continue;
            }
            self.also_removed = eval.elsewhere;
            return Ok(Some((active.clone(), eval.per_fix, comp)));
        }
    }

    /// vet, tests and benchmarks on the overlay. Returns a fix to drop (found by bisection) when a
    /// check that passes without the fixes fails with them; records allocation evidence otherwise.
    fn extra_checks(
        &mut self,
        ids: &[usize],
        comp: &Composition,
        per_fix: &mut BTreeMap<usize, FixEval>,
    ) -> Result<Option<(usize, String)>> {
        let checks = self.checks;
        if !(checks.vet || checks.test || checks.bench) {
            return Ok(None);
        }
        let pkgs = self.build_set(ids);
        let tmp = tempfile::Builder::new().prefix("stackify-checks-").tempdir()?;
        let overlay = Toolchain::write_overlay(
            tmp.path(),
            &comp.files.iter().map(|(p, c)| (p.clone(), c.text.clone())).collect::<Vec<_>>(),
        )?;
        if checks.vet {
            if self.baseline_vet.is_none() {
                self.progress.step("go vet without the fixes (baseline)");
                self.baseline_vet = Some(self.a.toolchain.vet(&pkgs, None)?);
            }
            if let Some(Some(_)) = &self.baseline_vet {
                self.note("go vet already fails without the fixes; not used as evidence");
            } else {
                self.progress.step("go vet with the fixes");
                if let Some(out) = self.a.toolchain.vet(&pkgs, Some(&overlay))? {
                    let culprit = self.bisect_by(ids, |v, subset, ov| {
                        Ok(v.a.toolchain.vet(&v.build_set(subset), Some(ov))?.is_some())
                    })?;
                    return Ok(Some((culprit, format!("go vet fails with it: {}", crate::go::first_line(&out)))));
                }
            }
        }
        if checks.test {
            if self.baseline_test.is_none() {
                self.progress.step("go test without the fixes (baseline)");
                self.baseline_test = Some(self.a.toolchain.test(&pkgs, None)?);
            }
            if let Some(Some(_)) = &self.baseline_test {
                self.note("go test already fails without the fixes; not used as evidence");
            } else {
                self.progress.step("go test with the fixes");
                if let Some(out) = self.a.toolchain.test(&pkgs, Some(&overlay))? {
                    let culprit = self.bisect_by(ids, |v, subset, ov| {
                        Ok(v.a.toolchain.test(&v.build_set(subset), Some(ov))?.is_some())
                    })?;
                    let first = out.lines().find(|l| l.contains("FAIL") || l.contains("---")).unwrap_or(&out);
                    return Ok(Some((culprit, format!("go test fails with it: {}", first.trim()))));
                }
            }
        }
        if checks.bench {
            let touched: Vec<String> = self.bench_packages(ids);
            if touched.is_empty() {
                self.note("no touched package has benchmarks; allocation counts not measured");
                return Ok(None);
            }
            let missing: Vec<String> = touched
                .iter()
                .filter(|p| !self.baseline_bench.keys().any(|k| k.starts_with(&format!("{p}."))))
                .cloned()
                .collect();
            if !missing.is_empty() {
                self.progress.step("benchmarks without the fixes (baseline)");
                for r in self.a.toolchain.bench(&missing, None, BENCH_ITERATIONS)? {
                    self.baseline_bench.insert(format!("{}.{}", r.package, r.name), r);
                }
            }
            self.progress.step("benchmarks with the fixes");
            let after = self.a.toolchain.bench(&touched, Some(&overlay), BENCH_ITERATIONS)?;
            let worse = self.worse(&after);
            if let Some(w) = worse.first().cloned() {
                let culprit = self.bisect_by(ids, |v, subset, ov| {
                    let pk = v.bench_packages(subset);
                    Ok(!pk.is_empty() && !v.worse(&v.a.toolchain.bench(&pk, Some(ov), BENCH_ITERATIONS)?).is_empty())
                })?;
                return Ok(Some((culprit, format!("more allocations with it: {w}"))));
            }
            // Credit each package's allocation changes to the fixes in it.
            for r in &after {
                let Some(b) = self.baseline_bench.get(&format!("{}.{}", r.package, r.name)) else { continue };
                let (Some(x), Some(y)) = (b.allocs_per_op, r.allocs_per_op) else { continue };
                for id in ids {
                    let fix = self.fixes[id];
                    if fix.package.split(" [").next() == Some(r.package.as_str()) {
                        let ev = per_fix.entry(*id).or_default();
                        // Per package: a benchmark exercises every fix in it, so this is shared evidence.
                        ev.bench.push(format!("{} (package {}): {x} → {y} allocs/op", r.name, r.package));
                        if y < x {
                            ev.fewer_allocs = true;
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    fn note(&mut self, n: &str) {
        if !self.notes.iter().any(|x| x == n) {
            self.notes.push(n.to_string());
        }
    }

    /// Base packages (test variants stripped) touched by `ids` that have benchmarks in their tests.
    fn bench_packages(&self, ids: &[usize]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in ids {
            let base = self.fixes[id].package.split(" [").next().unwrap_or_default().to_string();
            if out.contains(&base) {
                continue;
            }
            let Some(p) = self.a.listing.by_path(&base) else { continue };
            let has = p
                .test_go_files
                .iter()
                .chain(&p.x_test_go_files)
                .any(|f| std::fs::read_to_string(p.dir.join(f)).is_ok_and(|t| t.contains("func Benchmark")));
            if has {
                out.push(base);
            }
        }
        out
    }

    /// Benchmarks whose allocs/op went up against the baseline.
    fn worse(&self, after: &[crate::go::list::BenchResult]) -> Vec<String> {
        after
            .iter()
            .filter_map(|r| {
                let b = self.baseline_bench.get(&format!("{}.{}", r.package, r.name))?;
                match (b.allocs_per_op, r.allocs_per_op) {
                    (Some(x), Some(y)) if y > x => Some(format!("{} {x} → {y} allocs/op", r.name)),
                    _ => None,
                }
            })
            .collect()
    }

    /// Like `bisect`, with any predicate run on a subset's overlay.
    fn bisect_by(
        &mut self,
        ids: &[usize],
        mut bad: impl FnMut(&mut Self, &[usize], &Path) -> Result<bool>,
    ) -> Result<usize> {
        let mut cand: Vec<usize> = ids.to_vec();
        while cand.len() > 1 {
            let left = cand[..cand.len() / 2].to_vec();
            let right = cand[cand.len() / 2..].to_vec();
            self.progress.step(&format!("isolating a failing fix among {}", cand.len()));
            let comp = self.compose(&left)?;
            let is_bad = if !comp.failures.is_empty() {
                true
            } else {
                let tmp = tempfile::Builder::new().prefix("stackify-bisect-").tempdir()?;
                let overlay = Toolchain::write_overlay(
                    tmp.path(),
                    &comp.files.iter().map(|(p, c)| (p.clone(), c.text.clone())).collect::<Vec<_>>(),
                )?;
                bad(self, &left, &overlay)?
            };
            cand = if is_bad { left } else { right };
        }
        Ok(cand[0])
    }

    fn is_target(&self, finding: usize) -> bool {
        self.fixes.values().any(|f| f.targets.contains(&finding))
    }

    fn finish(
        self,
        dropped: BTreeMap<usize, String>,
        per_fix: BTreeMap<usize, FixEval>,
        files: BTreeMap<PathBuf, String>,
    ) -> Verification {
        let mut outcomes = BTreeMap::new();
        for (id, reason) in dropped {
            outcomes.insert(
                id,
                Outcome {
                    fix: id,
                    verified: false,
                    reason: Some(reason),
                    removed: vec![],
                    added: vec![],
                    bench: vec![],
                    unproven: None,
                },
            );
        }
        for (id, ev) in per_fix {
            let fix = self.fixes[&id];
            let unproven = (fix.evidence == Evidence::FewerAllocations && !ev.fewer_allocs).then(|| {
                if ev.bench.is_empty() {
                    format!("{} (not proven by -m); run with --bench where the package has benchmarks", fix.claim)
                } else {
                    format!("{}, but the package's benchmarks show no fewer allocations", fix.claim)
                }
            });
            outcomes.insert(
                id,
                Outcome {
                    fix: id,
                    verified: true,
                    reason: None,
                    removed: ev.removed,
                    added: ev.added,
                    bench: ev.bench,
                    unproven,
                },
            );
        }
        let also_removed = if files.is_empty() { Vec::new() } else { self.also_removed };
        Verification {
            outcomes,
            builds: self.builds,
            files,
            notes: self.notes,
            also_removed,
            elapsed_ms: self.started.elapsed().as_millis(),
        }
    }

    /// The content each file would have with exactly `ids` applied (imports and gofmt included), without
    /// compiling: for per-fix previews. `Err` names the fix that cannot be composed.
    pub fn preview(&self, ids: &[usize]) -> Result<BTreeMap<PathBuf, String>> {
        let comp = self.compose(ids)?;
        if let Some((id, why)) = comp.failures.first() {
            anyhow::bail!("fix #{id}: {why}");
        }
        Ok(comp.files.into_iter().map(|(p, c)| (p, c.text)).collect())
    }

    fn compose(&self, ids: &[usize]) -> Result<Composition> {
        let helper = self.a.helper.as_ref().context("the type helper is not available")?;
        let mut by_file: BTreeMap<PathBuf, Vec<&Fix>> = BTreeMap::new();
        for id in ids {
            let f = self.fixes[id];
            by_file.entry(f.file.clone()).or_default().push(f);
        }
        let mut failures = Vec::new();
        let mut drafts: Vec<(PathBuf, Draft, Vec<&Fix>)> = Vec::new();
        for (file, fixes) in by_file {
            let src = &self.a.sources[&file];
            match compose::draft(src, &fixes, analysis::file_imports(self.a, &file)) {
                Ok(d) => drafts.push((file, d, fixes)),
                Err(e) => failures.extend(fixes.iter().map(|f| (f.id, format!("cannot compose the edit: {e:#}")))),
            }
        }
        let to_format: Vec<(PathBuf, String)> =
            drafts.iter().map(|(p, d, _)| (p.clone(), d.text.replace("\r\n", "\n"))).collect();
        let formatted = helper.format(&to_format)?;
        let mut files = BTreeMap::new();
        for ((file, draft, fixes), fmt) in drafts.into_iter().zip(formatted) {
            let text = match fmt {
                Ok(f) => compose::keep_gofmt_of_touched_lines(&draft, &f),
                Err(e) => {
                    failures.extend(fixes.iter().map(|f| (f.id, format!("the edited file does not parse: {e}"))));
                    continue;
                }
            };
            let src = &self.a.sources[&file];
            files.insert(file, map_lines(&src.text, text, src, &fixes));
        }
        Ok(Composition { files, failures })
    }

    /// Packages to recompile: those touched, plus every listed package that depends on them.
    fn build_set(&self, ids: &[usize]) -> Vec<String> {
        analysis::affected_packages(self.a, ids.iter().map(|id| self.fixes[id].package.as_str()))
    }

    fn build(&mut self, ids: &[usize], comp: &Composition) -> Result<(crate::go::Listing, Vec<Finding>)> {
        self.builds += 1;
        let tmp = tempfile::Builder::new().prefix("stackify-overlay-").tempdir()?;
        let contents: Vec<(PathBuf, String)> = comp.files.iter().map(|(p, c)| (p.clone(), c.text.clone())).collect();
        let overlay = Toolchain::write_overlay(tmp.path(), &contents)?;
        let patterns = self.build_set(ids);
        let listing = self.a.toolchain.list(
            &patterns,
            &ListOptions { export: true, overlay: Some(overlay), tests: self.a.options.tests, ..Default::default() },
        )?;
        let blocks = parse::parse_output(&listing.compiler_output);
        let findings = attribute::attribute(&blocks, &self.index);
        Ok((listing, findings))
    }

    fn build_and_compare(&mut self, ids: &[usize], comp: &Composition) -> Result<Eval> {
        let (listing, after) = self.build(ids, comp)?;
        Ok(self.compare(ids, comp, &listing, &after))
    }

    /// Find one fix that makes `ids` fail (build error or an unattributable new escape), halving the
    /// set each build: at most ceil(log2 n) builds.
    fn bisect(&mut self, ids: &[usize]) -> Result<usize> {
        let mut cand: Vec<usize> = ids.to_vec();
        while cand.len() > 1 {
            let (left, right) = cand.split_at(cand.len() / 2);
            let (left, right) = (left.to_vec(), right.to_vec());
            self.progress.step(&format!("isolating a failing fix among {} (build {})", cand.len(), self.builds + 1));
            let comp = self.compose(&left)?;
            let bad = if !comp.failures.is_empty() {
                true
            } else {
                let ev = self.build_and_compare(&left, &comp)?;
                !ev.compile_errors.is_empty() || !ev.unattributed.is_empty() || ev.unmapped_error.is_some()
            };
            cand = if bad { left } else { right };
        }
        Ok(cand[0])
    }

    fn compare(&self, ids: &[usize], comp: &Composition, listing: &crate::go::Listing, after: &[Finding]) -> Eval {
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
        let mut stable_old: HashMap<Key, Vec<&Finding>> = HashMap::new();
        let mut stable_new: HashMap<Key, Vec<&Finding>> = HashMap::new();
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
        let describe = |f: &Finding| {
            format!("{} ({}:{}:{})", f.message(), self.a.display_path(f.file.as_deref().unwrap()), f.line(), f.col())
        };

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
                        ev.added.push(describe(n));
                    } else if is_leak_to_result(n) {
                        ev.added.push(format!("{} (callers decide whether it escapes)", describe(n)));
                    } else if is_private_leak(n) {
                        ev.added.push(format!(
                            "{} (unexported: every caller is in the package and was re-checked)",
                            describe(n)
                        ));
                    } else {
                        eval.rejected.push((*id, format!("the rewrite itself escapes: {}", describe(n))));
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
                        eval.unattributed.push(describe(n));
                    }
                    continue;
                }
                for id in culprits {
                    let ev = per_fix.get_mut(&id).expect("active");
                    if is_leak_to_result(n) {
                        ev.added.push(format!("{} (callers decide whether it escapes)", describe(n)));
                    } else if is_private_leak(n) {
                        ev.added.push(format!(
                            "{} (unexported: every caller is in the package and was re-checked)",
                            describe(n)
                        ));
                    } else if matches!(n.kind, Kind::LeakingParam { .. }) {
                        eval.rejected.push((id, format!("changes the escape contract of an exported function: {} (callers outside the module could allocate more)", describe(n))));
                    } else {
                        eval.rejected.push((id, format!("new escape in the same function: {}", describe(n))));
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
                eval.rejected.push((id, format!("the targeted finding is still reported: {}", missing.join("; "))));
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

#[derive(Debug, Default)]
struct FixEval {
    removed: Vec<String>,
    added: Vec<String>,
    bench: Vec<String>,
    fewer_allocs: bool,
}

/// Benchmark iterations for allocation counts: fixed, so amortised growth is identical in both runs.
const BENCH_ITERATIONS: u32 = 200;

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

#[derive(Debug, Default)]
struct Eval {
    compile_errors: Vec<(usize, String)>,
    unmapped_error: Option<String>,
    rejected: Vec<(usize, String)>,
    unattributed: Vec<String>,
    per_fix: BTreeMap<usize, FixEval>,
    elsewhere: Vec<String>,
}

impl ComposedFile {
    fn hunk_of_old(&self, line: usize) -> usize {
        self.hunks.iter().position(|(o, _)| o.contains(&line) || (o.is_empty() && o.start == line)).unwrap_or(0)
    }
    fn hunk_of_new(&self, line: usize) -> Option<usize> {
        self.hunks.iter().position(|(_, n)| n.contains(&line))
    }
    fn owners_of_new_line(&self, line: usize) -> Vec<usize> {
        match self.hunk_of_new(line) {
            Some(h) => self.owners[h].clone(),
            // An error on an unchanged line of an edited file (e.g. an unused import) belongs to
            // every fix in the file.
            None => self.owners.iter().flatten().copied().collect::<BTreeSet<_>>().into_iter().collect(),
        }
    }
}

fn map_lines(old: &str, new: String, src: &crate::source::SourceFile, fixes: &[&Fix]) -> ComposedFile {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old_lines, &new_lines);
    let mut old_to_new = vec![None; old_lines.len() + 1];
    let mut hunks: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            for (i, j) in o.zip(n) {
                old_to_new[i] = Some(j);
            }
        } else {
            // Merge adjacent changes into one region.
            match hunks.last_mut() {
                Some((lo, ln)) if lo.end == o.start && ln.end == n.start => {
                    lo.end = o.end;
                    ln.end = n.end;
                }
                _ => hunks.push((o, n)),
            }
        }
    }
    let all: Vec<usize> = fixes.iter().map(|f| f.id).collect();
    let owners = hunks
        .iter()
        .map(|(o, _)| {
            let owned: Vec<usize> = fixes
                .iter()
                .filter(|f| {
                    f.edits.iter().any(|e| {
                        let (a, b) = (src.line_index(e.start), src.line_index(e.end.max(e.start + 1) - 1));
                        a < o.end.max(o.start + 1) && o.start <= b
                    })
                })
                .map(|f| f.id)
                .collect();
            // Import lines belong to every fix in the file: any of them may need the import.
            if owned.is_empty() {
                all.clone()
            } else {
                owned
            }
        })
        .collect();
    ComposedFile { text: new, old_to_new, hunks, owners }
}
