//! Builds: recompile the touched packages and their dependents with `-gcflags=-m=2` over an overlay
//! (`go list -export -overlay`, so the working tree is never touched) and read back the findings.

use super::compare::Eval;
use super::overlay::Composition;
use super::Verifier;
use crate::analysis;
use crate::findings::{attribute, parse, Finding};
use crate::go::{ListOptions, Listing};
use anyhow::Result;
use std::collections::BTreeMap;

impl Verifier<'_> {
    /// Packages to recompile: those touched, plus every listed package that depends on them.
    pub(super) fn build_set(&self, ids: &[usize]) -> Vec<String> {
        analysis::affected_packages(self.a, ids.iter().map(|id| self.fixes[id].package.as_str()))
    }

    /// Compile the build set of `ids` with `comp` overlaid, or as it is on disk without one.
    fn build(&mut self, ids: &[usize], comp: Option<&Composition>) -> Result<(Listing, Vec<Finding>)> {
        self.builds += 1;
        let overlay = comp.map(Composition::write_overlay).transpose()?;
        let patterns = self.build_set(ids);
        // A fix that changes a signature (return-value) was judged against the package's test files
        // too: they must still compile with it, so their test variants are built as well. Their
        // findings are no part of the analysis and are left out of the comparison; their errors stay.
        let forced = !self.a.options.tests && ids.iter().any(|id| self.compiles_tests(*id));
        let listing = self.a.toolchain.list(
            &patterns,
            &ListOptions {
                export: true,
                overlay: overlay.as_ref().map(|o| o.path.clone()),
                tests: self.a.options.tests || forced,
                ..Default::default()
            },
        )?;
        let blocks = parse::parse_output(&listing.compiler_output);
        let mut findings = attribute::attribute(&blocks, &self.index);
        if forced {
            findings.retain(|f| self.a.listing.by_path(&f.package).is_some_and(|p| p.for_test.is_empty()));
        }
        Ok((listing, findings))
    }

    /// Whether fix `id` must be proven against its package's in-package tests.
    fn compiles_tests(&self, id: usize) -> bool {
        let f = &self.fixes[&id];
        f.rule == crate::rules::return_value::ID
            && self.a.listing.by_path(&f.package).is_some_and(|p| !p.test_go_files.is_empty())
    }

    pub(super) fn build_and_compare(&mut self, ids: &[usize], comp: &Composition) -> Result<Eval> {
        let (listing, after) = self.build(ids, Some(comp))?;
        Ok(self.compare(ids, comp, &listing, &after))
    }

    /// Whether the build set of `ids` fails with `error` when no fix is applied at all: then no fix
    /// causes it, and bisecting would only drop good fixes one by one.
    pub(super) fn fails_without_fixes(&mut self, ids: &[usize], error: &str) -> Result<bool> {
        let set = self.build_set(ids);
        if !self.baseline_build.contains_key(&set) {
            self.progress.step(&format!("building without the fixes (build {})", self.builds + 1));
            let (listing, after) = self.build(ids, None)?;
            let none = Composition { files: BTreeMap::new(), failures: Vec::new() };
            let error = self.compare(&[], &none, &listing, &after).unmapped_error;
            self.baseline_build.insert(set.clone(), error);
        }
        Ok(self.baseline_build[&set].as_deref() == Some(error))
    }
}
