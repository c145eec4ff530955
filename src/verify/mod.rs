//! The verifier: the only judge of a fix. It composes candidate fixes into an overlay, recompiles the
//! touched packages and their dependents ONCE with `-gcflags=-m=2` (go list -export -overlay, so the
//! working tree is never touched), and compares the findings with the first run:
//! - each fix's targeted finding must be gone (or, for allocation-count rules, nothing may get worse);
//! - a new finding inside a fix's edited lines must be one its rule expects (a result allocation);
//! - a new costly finding elsewhere in the fix's function (a parameter that now leaks to the heap) drops it;
//! - a build failure is mapped to the fixes whose lines the compiler names, else bisected — unless
//!   the build fails the same way without any fix, which stops the round: no fix can be judged.
//!
//! Rounds repeat until one drops nothing: the surviving set is exactly what was compiled last.
//! One job per submodule: [`overlay`] composes, [`build`] compiles, [`compare`] judges a build,
//! [`bisect`] isolates a culprit, [`checks`] runs the optional vet/test/bench proofs.

mod bisect;
mod build;
mod checks;
mod compare;
mod overlay;

use crate::analysis::Analysis;
use crate::findings::attribute;
use crate::fix::{Evidence, Fix};
use crate::progress::Progress;
use anyhow::Result;
use bisect::Proof;
use compare::FixEval;
use overlay::Composition;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Why the verifier dropped a fix, as a stable code for scripts (`--json` `fixes[].code`); the
/// outcome's `reason` says the same in words, with the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropCode {
    /// The edits could not be composed with the file (or with the other fixes in it).
    CannotCompose,
    /// The edited file does not parse (gofmt rejects it).
    DoesNotParse,
    /// The compiler reports an error on the fix's own lines.
    DoesNotCompile,
    /// The build fails with an error no position ties to a fix; bisection found this one.
    BreaksBuild,
    /// The build fails the same way without any fix: nothing could be verified.
    BuildFailsWithoutFixes,
    /// The rewritten code itself escapes in a way its rule does not expect.
    RewriteEscapes,
    /// A new escape in the same function.
    NewEscape,
    /// An exported function's parameter now leaks: callers outside the module could allocate more.
    ChangesEscapeContract,
    /// A new escape outside every edit; bisection found this fix.
    NewEscapeElsewhere,
    /// The finding the fix targets is still reported.
    FindingNotRemoved,
    /// `go vet` passes without the fixes and fails with this one.
    VetFails,
    /// The package's tests pass without the fixes and fail with this one.
    TestsFail,
    /// A benchmark of the package allocates more per op with this fix.
    AllocsUp,
    /// An upper-bound rewrite (more memory for fewer allocations) that no benchmark showed fewer
    /// allocations for: `--apply` does not write it.
    Unproven,
}

/// A dropped fix: the code and the words.
#[derive(Debug, Clone)]
struct Dropped {
    code: DropCode,
    reason: String,
}

impl Dropped {
    fn new(code: DropCode, reason: String) -> Self {
        Dropped { code, reason }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub fix: usize,
    pub verified: bool,
    /// Why the fix was dropped, as a stable code (set exactly when `reason` is).
    pub code: Option<DropCode>,
    /// Why the fix was dropped.
    pub reason: Option<String>,
    /// What the compiler no longer reports (the targets, and anything else that went away).
    pub removed: Vec<String>,
    /// New findings the rule expects (e.g. the concatenation's result allocation).
    pub added: Vec<String>,
    /// Allocation evidence from the package's benchmarks (with --bench).
    pub bench: Vec<String>,
    /// The same evidence as numbers, one per benchmark of the fix's package (with --bench).
    #[serde(default)]
    pub measured: Vec<Measurement>,
    /// What this verification could not prove.
    pub unproven: Option<String>,
}

/// One benchmark of a fix's package, without and with the fix (`--bench`). With a heap profile, only
/// the benchmarks whose samples reach the fix's lines, run with that fix alone; without one, every
/// benchmark of the package with all its fixes (a benchmark exercises every fix in its package, so
/// those fixes share their measurements).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub benchmark: String,
    pub package: String,
    pub allocs_op_before: Option<u64>,
    pub allocs_op_after: Option<u64>,
    pub bytes_op_before: Option<u64>,
    pub bytes_op_after: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Verification {
    pub outcomes: BTreeMap<usize, Outcome>,
    /// Verification builds run (one per round plus bisection steps, and one without the fixes when a
    /// build fails with an error no fix's lines explain).
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
    /// The error the build set fails with when no fix is applied, per build set (`None`: it builds).
    baseline_build: HashMap<Vec<String>, Option<String>>,
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
            baseline_build: HashMap::new(),
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
        let mut dropped: BTreeMap<usize, Dropped> = BTreeMap::new();
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
        dropped: &mut BTreeMap<usize, Dropped>,
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
            if let Some(msg) = &eval.unmapped_error {
                if self.fails_without_fixes(active, msg)? {
                    let why = format!("the build fails the same way without any fix, so none can be verified: {msg}");
                    for id in active.iter() {
                        dropped.insert(*id, Dropped::new(DropCode::BuildFailsWithoutFixes, why.clone()));
                    }
                } else {
                    let culprit = self.bisect(active, Proof::Build)?;
                    let why = format!("breaks the build (found by bisection): {msg}");
                    dropped.insert(culprit, Dropped::new(DropCode::BreaksBuild, why));
                }
                continue;
            }
            if !eval.compile_errors.is_empty() {
                for (id, msg) in &eval.compile_errors {
                    dropped
                        .entry(*id)
                        .or_insert_with(|| Dropped::new(DropCode::DoesNotCompile, format!("does not compile: {msg}")));
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
                let tiers = [eval.named_suspects.iter().copied().collect(), eval.suspects.iter().copied().collect()];
                let culprit = self.isolate(active, &tiers)?;
                let why =
                    format!("introduces a new escape outside the edit (isolated by rebuilding without it): {what}");
                dropped.insert(culprit, Dropped::new(DropCode::NewEscapeElsewhere, why));
                continue;
            }
            self.also_removed = eval.elsewhere;
            return Ok(Some((active.clone(), eval.per_fix, comp)));
        }
    }

    fn note(&mut self, n: &str) {
        if !self.notes.iter().any(|x| x == n) {
            self.notes.push(n.to_string());
        }
    }

    fn finish(
        self,
        dropped: BTreeMap<usize, Dropped>,
        per_fix: BTreeMap<usize, FixEval>,
        files: BTreeMap<PathBuf, String>,
    ) -> Verification {
        let mut outcomes = BTreeMap::new();
        for (id, Dropped { code, reason }) in dropped {
            outcomes.insert(
                id,
                Outcome {
                    fix: id,
                    verified: false,
                    code: Some(code),
                    reason: Some(reason),
                    removed: vec![],
                    added: vec![],
                    bench: vec![],
                    measured: vec![],
                    unproven: None,
                },
            );
        }
        for (id, ev) in per_fix {
            let fix = self.fixes[&id];
            let unproven = (fix.evidence == Evidence::FewerAllocations && !ev.fewer_allocs).then(|| {
                if fix.upper_bound && ev.bench.is_empty() && self.checks.bench {
                    format!("unproven: no benchmark reaches it ({}; the capacity is an upper bound, so it costs memory until a benchmark shows fewer allocs/op)", fix.claim)
                } else if fix.upper_bound && ev.bench.is_empty() {
                    format!("unproven: {} with an upper-bound capacity (more memory); --apply writes it only where --bench shows fewer allocs/op", fix.claim)
                } else if ev.bench.is_empty() && self.checks.bench {
                    format!(
                        "{} (not proven by -m); no benchmark reaches it (none in its package, or the profile has no sample on its lines)",
                        fix.claim
                    )
                } else if ev.bench.is_empty() {
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
                    code: None,
                    reason: None,
                    removed: ev.removed,
                    added: ev.added,
                    bench: ev.bench,
                    measured: ev.measured,
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
}
