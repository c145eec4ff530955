//! The optional proofs, run on the overlay once the builds agree: the packages' own `go vet`, tests
//! and benchmarks (allocations per op), each against a baseline without the fixes.

use super::bisect::Proof;
use super::compare::FixEval;
use super::overlay::Composition;
use super::{DropCode, Dropped, Verifier};
use crate::analysis;
use crate::go::list::BenchResult;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// Benchmark iterations for allocation counts: fixed, so amortised growth is identical in both runs.
const BENCH_ITERATIONS: u32 = 200;

impl Verifier<'_> {
    /// vet, tests and benchmarks on the overlay. Returns a fix to drop (found by bisection) when a
    /// check that passes without the fixes fails with them; records allocation evidence otherwise.
    pub(super) fn extra_checks(
        &mut self,
        ids: &[usize],
        comp: &Composition,
        per_fix: &mut BTreeMap<usize, FixEval>,
    ) -> Result<Option<(usize, Dropped)>> {
        let checks = self.checks;
        if !(checks.vet || checks.test || checks.bench) {
            return Ok(None);
        }
        let pkgs = self.build_set(ids);
        let overlay = comp.write_overlay()?;
        let overlay = overlay.path.as_path();
        if checks.vet {
            if self.baseline_vet.is_none() {
                self.progress.step("go vet without the fixes (baseline)");
                self.baseline_vet = Some(self.a.toolchain.vet(&pkgs, None)?);
            }
            if let Some(Some(_)) = &self.baseline_vet {
                self.note("go vet already fails without the fixes; not used as evidence");
            } else {
                self.progress.step("go vet with the fixes");
                if let Some(out) = self.a.toolchain.vet(&pkgs, Some(overlay))? {
                    let culprit = self.bisect(ids, Proof::Vet)?;
                    let why = format!("go vet fails with it: {}", crate::go::first_line(&out));
                    return Ok(Some((culprit, Dropped::new(DropCode::VetFails, why))));
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
                if let Some(out) = self.a.toolchain.test(&pkgs, Some(overlay))? {
                    let culprit = self.bisect(ids, Proof::Test)?;
                    let first = out.lines().find(|l| l.contains("FAIL") || l.contains("---")).unwrap_or(&out);
                    let why = format!("go test fails with it: {}", first.trim());
                    return Ok(Some((culprit, Dropped::new(DropCode::TestsFail, why))));
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
            let after = self.a.toolchain.bench(&touched, Some(overlay), BENCH_ITERATIONS)?;
            let worse = self.worse(&after);
            if let Some(w) = worse.first().cloned() {
                let culprit = self.bisect(ids, Proof::Bench)?;
                let why = format!("more allocations with it: {w}");
                return Ok(Some((culprit, Dropped::new(DropCode::AllocsUp, why))));
            }
            // With a heap profile, each fix is credited only with the benchmarks whose samples reach its
            // lines, measured with that fix alone (two fixes of a package then do not share a result).
            // Without one, a package's benchmarks exercise every fix in it: shared evidence.
            for id in ids {
                let fix = self.fixes[id];
                let package = analysis::importable_path(&fix.package).to_string();
                let results: Vec<BenchResult> = match self.a.fix_benchmarks(fix) {
                    Some(reach) if reach.is_empty() => continue,
                    Some(reach) if touched.contains(&package) => {
                        let names: Vec<String> = reach.iter().map(|b| regex_quote(b)).collect();
                        let pattern = format!("^({})$", names.join("|"));
                        let alone = self.compose(&[*id])?;
                        let overlay = alone.write_overlay()?;
                        self.progress.step(&format!("benchmarks reaching fix #{id}, with it alone"));
                        self.a.toolchain.bench_matching(
                            std::slice::from_ref(&package),
                            &pattern,
                            Some(overlay.path.as_path()),
                            BENCH_ITERATIONS,
                        )?
                    }
                    Some(_) => continue,
                    None => after.iter().filter(|r| r.package == package).cloned().collect(),
                };
                for r in &results {
                    let Some(b) = self.baseline_bench.get(&format!("{}.{}", r.package, r.name)) else { continue };
                    let (Some(x), Some(y)) = (b.allocs_per_op, r.allocs_per_op) else { continue };
                    let ev = per_fix.entry(*id).or_default();
                    ev.bench.push(format!("{} (package {}): {x} → {y} allocs/op", r.name, r.package));
                    ev.measured.push(super::Measurement {
                        benchmark: r.name.clone(),
                        package: r.package.clone(),
                        allocs_op_before: Some(x),
                        allocs_op_after: Some(y),
                        bytes_op_before: b.bytes_per_op,
                        bytes_op_after: r.bytes_per_op,
                    });
                    if y < x {
                        ev.fewer_allocs = true;
                    }
                }
            }
        }
        Ok(None)
    }

    /// Whether `proof` fails for the build set of `ids` with `overlay`.
    pub(super) fn check_fails(&mut self, proof: Proof, ids: &[usize], overlay: &Path) -> Result<bool> {
        Ok(match proof {
            Proof::Vet => self.a.toolchain.vet(&self.build_set(ids), Some(overlay))?.is_some(),
            Proof::Test => self.a.toolchain.test(&self.build_set(ids), Some(overlay))?.is_some(),
            Proof::Bench => {
                let pk = self.bench_packages(ids);
                !pk.is_empty() && !self.worse(&self.a.toolchain.bench(&pk, Some(overlay), BENCH_ITERATIONS)?).is_empty()
            }
            Proof::Build => unreachable!("builds are judged by comparing findings"),
        })
    }

    /// Importable packages (test variants named by their base) touched by `ids` that have benchmarks in their tests.
    fn bench_packages(&self, ids: &[usize]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in ids {
            let base = analysis::importable_path(&self.fixes[id].package).to_string();
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
    fn worse(&self, after: &[BenchResult]) -> Vec<String> {
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
}

/// `name` as a literal in a `-bench` regular expression (benchmark names are identifiers, but a
/// sub-benchmark separator or other punctuation must not act as syntax).
fn regex_quote(name: &str) -> String {
    name.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}
