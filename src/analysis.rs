//! What one analysis found and proposed, as plain data: the findings, the candidate fixes, what was
//! declined or never editable, and the toolchain and listing they came from. Every layer from the
//! engine up reads it; it sits below them all, so none of them has to import the front ends.

use crate::findings::{attribute, Finding};
use crate::fix::Fix;
use crate::go::helper::{GoHelper, ImportFacts};
use crate::go::{Listing, Toolchain};
use crate::source::SourceFile;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dir: PathBuf,
    pub patterns: Vec<String>,
    pub go: Option<PathBuf>,
    pub tags: Option<String>,
    pub only_rules: Vec<String>,
    pub skip_rules: Vec<String>,
    pub tests: bool,
    pub quiet: bool,
}

/// A rule that matched a site and would not rewrite it, with its reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Declined {
    pub rule: crate::fix::RuleText,
    pub file: PathBuf,
    pub line: u32,
    pub col: u32,
    pub findings: Vec<usize>,
    pub code: crate::rules::codes::DeclineCode,
    pub reason: String,
}

impl Declined {
    /// A fix that was proposed and then withdrawn (suppressed, overlapping).
    pub fn of(f: &Fix, code: crate::rules::codes::DeclineCode, reason: String) -> Self {
        Declined {
            rule: f.rule.clone(),
            file: f.file.clone(),
            line: f.line,
            col: f.col,
            findings: f.targets.clone(),
            code,
            reason,
        }
    }
}

/// Why a file holding findings is never edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipKind {
    Generated,
    Vendored,
    TestFile,
    OtherModule,
    Config,
    Unreadable,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Skipped {
    pub kind: SkipKind,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// A package that did not build (reported, never fatal for the others).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Broken {
    pub package: String,
    pub error: String,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Timings {
    /// The analysis was loaded from the cache (its inputs were unchanged), not recomputed.
    pub analysis_cached: bool,
    pub list_ms: u128,
    pub parse_ms: u128,
    pub rules_ms: u128,
    pub typecheck_ms: u128,
    pub verify_ms: u128,
}

pub struct Analysis {
    pub options: Options,
    pub toolchain: Toolchain,
    pub listing: Listing,
    pub findings: Vec<Finding>,
    pub notes: attribute::CompilerNotes,
    /// Candidate fixes in file order (not yet verified).
    pub fixes: Vec<Fix>,
    pub declined: Vec<Declined>,
    pub broken: Vec<Broken>,
    /// Files that hold findings but are never edited, and why (generated, vendored, test, ...).
    pub not_editable: BTreeMap<PathBuf, Skipped>,
    pub config: crate::config::Loaded,
    pub sources: HashMap<PathBuf, SourceFile>,
    pub imports: HashMap<PathBuf, Vec<ImportFacts>>,
    pub helper: Option<GoHelper>,
    pub timings: Timings,
    /// The analysis cache key: what determined this analysis (also keys cached verifications).
    pub cache_key: Option<String>,
    /// Export data of every dependency, from the compiling listing (`-deps`), for the type helper;
    /// empty for an analysis loaded from the cache, which runs no rules.
    pub dep_exports: HashMap<String, PathBuf>,
}

impl Analysis {
    /// Path as shown to users: relative to the directory stackify runs in.
    pub fn display_path(&self, p: &Path) -> String {
        display_path(&self.toolchain.dir, p)
    }
    pub fn finding(&self, id: usize) -> &Finding {
        &self.findings[id]
    }
}

pub fn display_path(base: &Path, p: &Path) -> String {
    let s = p.strip_prefix(base).map(|r| r.to_path_buf()).unwrap_or_else(|_| p.to_path_buf());
    s.to_string_lossy().replace('\\', "/")
}

/// The packages to compile when `fix_packages` change: those packages (test variants named by their
/// importable path, see [`importable_path`]) plus every listed package that depends on them.
pub fn affected_packages<'p>(a: &Analysis, fix_packages: impl IntoIterator<Item = &'p str>) -> Vec<String> {
    let mut set: std::collections::BTreeSet<String> =
        fix_packages.into_iter().map(|p| importable_path(p).to_string()).collect();
    loop {
        let before = set.len();
        for p in a.listing.targets() {
            if p.imports.iter().any(|i| set.contains(i)) && !is_test_main(a, p) {
                set.insert(p.import_path.clone());
            }
        }
        if set.len() == before {
            break;
        }
    }
    set.into_iter().collect()
}

/// The `p.test` main package `go list -test` lists for `p`: not importable (naming it fails), and
/// built anyway when `p` is named with `-test`.
fn is_test_main(a: &Analysis, p: &crate::go::Package) -> bool {
    let base = p.import_path.strip_suffix(".test").and_then(|base| a.listing.by_path(base));
    p.name == "main" && base.is_some_and(|b| b.dir == p.dir)
}

/// Import facts for `file` as the helper reported them (needed to drop imports that become unused).
pub fn file_imports<'a>(a: &'a Analysis, file: &Path) -> &'a [ImportFacts] {
    a.imports.get(file).map(Vec::as_slice).unwrap_or(&[])
}

/// The path that names a listed package on a `go` command line. A test variant `p [p.test]` is built
/// by naming `p` (with `-test`), and so is the external test package `p_test [p.test]`, which is
/// not importable: naming `p_test` fails ("no required module provides package").
pub fn importable_path(package: &str) -> &str {
    let Some((name, variant)) = package.split_once(" [") else { return package };
    match variant.strip_suffix(".test]") {
        Some(base) if name.strip_suffix("_test") == Some(base) => base,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::importable_path;

    #[test]
    fn test_variants_are_named_by_their_importable_path() {
        assert_eq!(importable_path("example.com/m/p"), "example.com/m/p");
        assert_eq!(importable_path("example.com/m/p [example.com/m/p.test]"), "example.com/m/p");
        assert_eq!(importable_path("example.com/m/p_test [example.com/m/p.test]"), "example.com/m/p");
        assert_eq!(importable_path("example.com/m/q [example.com/m/p.test]"), "example.com/m/q");
    }
}
