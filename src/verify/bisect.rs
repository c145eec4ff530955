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
