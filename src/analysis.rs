//! What one analysis found and proposed, as plain data: the findings, the candidate fixes, what was
//! declined or never editable, and the toolchain and listing they came from. Every layer from the
//! engine up reads it; it sits below them all, so none of them has to import the front ends.

use crate::findings::{attribute, Finding};
use crate::fix::Fix;
use crate::go::helper::{GoHelper, ImportFacts};
use crate::go::{Listing, Toolchain};
use crate::profile::join::{FindingCost, Join};
use crate::source::SourceFile;
use crate::syntax::cold::Cold;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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
    /// `--prealloc-upper-bound` (or the config's `[rules.prealloc-slice] filter_loops`).
    pub prealloc_upper_bound: bool,
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
    /// What the profiles measured (`--profile`, `--profile-bench`, a main package's `default.pgo`).
    pub measured: Option<Measured>,
    /// Findings judged cold without a profile (error path, panic, init, String methods), by id.
    pub cold: HashMap<usize, Cold>,
    /// What the source says where the compiler's names are internal (shapes, `~r0`), learned when
    /// the files were parsed and cached with the analysis.
    pub source_words: crate::findings::display::SourceWords,
}

/// The profiles joined with this analysis (built by `session::measure`, after the analysis: the
/// analysis cache never depends on a profile).
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub join: Join,
    /// Profiles used without being asked: `default.pgo` of a main package.
    pub automatic: Vec<PathBuf>,
    /// `--min-share` (a fraction), when given.
    pub min_share: Option<f64>,
    /// Fixes withdrawn because their targets carry less than `min_share` of the profile.
    pub below_min_share: Vec<BelowMinShare>,
}

/// A fix not proposed because of `--min-share`.
#[derive(Debug, Clone, Serialize)]
pub struct BelowMinShare {
    pub rule: String,
    pub file: PathBuf,
    pub line: u32,
    pub targets: Vec<usize>,
    pub alloc_space: i64,
    pub share: f64,
}

impl Analysis {
    /// Path as shown to users: relative to the directory stackify runs in.
    pub fn display_path(&self, p: &Path) -> String {
        display_path(&self.toolchain.dir, p)
    }
    pub fn finding(&self, id: usize) -> &Finding {
        &self.findings[id]
    }

    /// The measured cost of a finding, with a profile.
    pub fn finding_cost(&self, id: usize) -> Option<&FindingCost> {
        self.measured.as_ref()?.join.findings.get(id)
    }

    /// Bytes and share a fix's targets carry. Targets on one line share that line's samples, so a
    /// line counts once (its largest finding), not once per finding.
    pub fn fix_cost(&self, fix: &Fix) -> Option<(i64, f64)> {
        let m = self.measured.as_ref()?;
        let mut by_line: HashMap<(Option<&Path>, u32), (i64, f64)> = HashMap::new();
        for &t in &fix.targets {
            let (Some(c), Some(f)) = (m.join.findings.get(t), self.findings.get(t)) else { continue };
            let e = by_line.entry((f.file.as_deref(), f.line())).or_default();
            if c.alloc_space > e.0 {
                *e = (c.alloc_space, c.share);
            }
        }
        for l in m.join.lines.iter().filter(|l| l.file == fix.file && fix.hot_lines.contains(&l.line)) {
            let e = by_line.entry((Some(fix.file.as_path()), l.line)).or_default();
            if l.alloc_space > e.0 {
                *e = (l.alloc_space, l.share);
            }
        }
        Some(by_line.values().fold((0, 0.0), |(b, s), (b2, s2)| (b + b2, s + s2)))
    }

    /// The benchmarks whose heap samples allocate on the lines a fix changes (its targets' lines and
    /// its `hot_lines`): the ones whose allocs/op it can move. `None` without a heap profile.
    pub fn fix_benchmarks(&self, fix: &Fix) -> Option<BTreeSet<String>> {
        let m = self.measured.as_ref().filter(|m| m.join.summary.total_alloc_space > 0)?;
        let mut lines: HashSet<(&Path, u32)> = fix.hot_lines.iter().map(|l| (fix.file.as_path(), *l)).collect();
        for &t in &fix.targets {
            if let Some(f) = self.findings.get(t) {
                lines.insert((f.file.as_deref().unwrap_or(fix.file.as_path()), f.line()));
            }
        }
        Some(
            m.join
                .lines
                .iter()
                .filter(|l| lines.contains(&(l.file.as_path(), l.line)))
                .flat_map(|l| l.benchmarks.iter().cloned())
                .collect(),
        )
    }

    /// A fix is cold when every finding it targets is.
    pub fn fix_cold(&self, fix: &Fix) -> Option<Cold> {
        let first = *self.cold.get(fix.targets.first()?)?;
        fix.targets.iter().all(|t| self.cold.contains_key(t)).then_some(first)
    }
}

/// The order fixes are shown and reviewed in: with a profile the hottest first (across files); without
/// one, cold fixes after the others. Stable, so ties keep file order.
pub fn rank_fixes(a: &Analysis, fixes: &mut [&Fix]) {
    fixes.sort_by_key(|f| (a.fix_cold(f).is_some(), std::cmp::Reverse(a.fix_cost(f).map_or(0, |c| c.0))));
}

/// `12.3 MB (41%)`: a measured cost for people.
pub fn cost_words(bytes: i64, share: f64) -> String {
    let b = bytes as f64;
    let size = if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    };
    let pct = share * 100.0;
    if pct > 0.0 && pct < 0.1 {
        format!("{size} (<0.1%)")
    } else if pct < 10.0 {
        format!("{size} ({pct:.1}%)")
    } else {
        format!("{size} ({pct:.0}%)")
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
