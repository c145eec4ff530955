//! Bisection: the one loop that isolates a fix that makes a set fail, halving the set each step, for
//! whichever proof failed (the build, vet, tests, benchmarks).

use super::Verifier;
use anyhow::Result;

/// What a subset of the fixes is judged by while bisecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Proof {
    /// The overlay build: a build error or a new escape no fix's function explains.
    Build,
    Vet,
    Test,
    /// Allocations per op up in a benchmark of a touched package.
    Bench,
}

impl Verifier<'_> {
    /// Find a fix that makes `ids` fail the build, trying the suspect `tiers` first (fixes whose
    /// function the unexplained escape names, then fixes in its file): one build proves a small
    /// suspect set guilty, where plain bisection spends ceil(log2 n) builds. A suspect set that
    /// builds clean is cleared, at the cost of that one build. Like bisection, this assumes one fix
    /// is to blame.
    pub(super) fn isolate(&mut self, ids: &[usize], tiers: &[Vec<usize>]) -> Result<usize> {
        let mut cleared: Vec<usize> = Vec::new();
        for tier in tiers {
            let remaining = ids.len() - cleared.len();
            let tier: Vec<usize> = tier.iter().copied().filter(|s| ids.contains(s) && !cleared.contains(s)).collect();
            if tier.is_empty() || tier.len() * 2 > remaining {
                continue;
            }
            self.progress.step(&format!(
                "trying the {} likeliest culprits of a new escape (build {})",
                tier.len(),
                self.builds + 1
            ));
            if self.fails_build(&tier)? {
                return if tier.len() == 1 { Ok(tier[0]) } else { self.bisect(&tier, Proof::Build) };
            }
            cleared.extend(tier);
        }
        let rest: Vec<usize> = ids.iter().copied().filter(|id| !cleared.contains(id)).collect();
        self.bisect(&rest, Proof::Build)
    }

    /// Whether `ids` alone fail the build proof (a set that cannot be composed fails).
    fn fails_build(&mut self, ids: &[usize]) -> Result<bool> {
        let comp = self.compose(ids)?;
        if !comp.failures.is_empty() {
            return Ok(true);
        }
        Ok(self.build_and_compare(ids, &comp)?.fails())
    }

    /// Find one fix that makes `ids` fail `proof`: at most ceil(log2 n) steps. A subset that cannot
    /// even be composed counts as failing.
    pub(super) fn bisect(&mut self, ids: &[usize], proof: Proof) -> Result<usize> {
        let mut cand: Vec<usize> = ids.to_vec();
        while cand.len() > 1 {
            let (left, right) = cand.split_at(cand.len() / 2);
            let (left, right) = (left.to_vec(), right.to_vec());
            let step = match proof {
                Proof::Build => format!("isolating a failing fix among {} (build {})", cand.len(), self.builds + 1),
                _ => format!("isolating a failing fix among {}", cand.len()),
            };
            self.progress.step(&step);
            let comp = self.compose(&left)?;
            let bad = if !comp.failures.is_empty() {
                true
            } else if proof == Proof::Build {
                self.build_and_compare(&left, &comp)?.fails()
            } else {
                let overlay = comp.write_overlay()?;
                self.check_fails(proof, &left, &overlay.path)?
            };
            cand = if bad { left } else { right };
        }
        Ok(cand[0])
    }
}
