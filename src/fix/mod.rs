//! Fixes as values: text edits plus the finding they target, the rule and a human explanation —
//! detection and fixing are separate, as in go/analysis' SuggestedFix.

pub mod compose;
pub mod imports;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Text a rule owns (its id, its claim): borrowed from the rule when it proposes, owned when the fix
/// comes back from the analysis cache, so decoding a cached fix needs neither the rule registry nor
/// leaked strings.
pub type RuleText = std::borrow::Cow<'static, str>;

/// Replace bytes `[start, end)` of the ORIGINAL file with `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextEdit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// How a rule's win is proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// The targeted findings disappear from the compiler's `-m` output.
    FindingRemoved,
    /// The win is fewer allocations, which `-m` does not show; needs an allocation measurement.
    FewerAllocations,
}

/// Which new findings inside the edited text are the expected price of the rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectNew {
    /// Nothing new may appear.
    Nothing,
    /// A value the rewrite produces may be reported as escaping (e.g. `a + "-" + b escapes to heap`
    /// replaces the result Sprintf always allocated); no variable may move to the heap.
    ResultAllocation,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fix {
    pub id: usize,
    pub rule: RuleText,
    pub file: PathBuf,
    pub package: String,
    pub edits: Vec<TextEdit>,
    /// Import paths the edited code refers to that the file may need to import.
    pub add_imports: Vec<String>,
    /// (import path, byte offset) of package-name uses the edits delete: when every use of an import
    /// is deleted, the import goes too.
    pub removed_uses: Vec<(String, usize)>,
    /// Finding ids this fix is meant to remove.
    pub targets: Vec<usize>,
    /// One line: `fmt.Sprintf("%d", n) → strconv.Itoa(n)`.
    pub title: String,
    /// Why this is safe and what it wins, for previews.
    pub explanation: String,
    pub evidence: Evidence,
    /// What a fewer-allocations fix saves, in words (from its rule).
    pub claim: RuleText,
    pub expect_new: ExpectNew,
    /// Enclosing function as the compiler names it (`F`, `(*T).M`), to attribute new findings.
    pub function: Option<String>,
    /// 1-based line of the first edit, for ordering and display.
    pub line: u32,
    pub col: u32,
    /// The rewrite sizes by an upper bound (a filter loop's trip count): written by `--apply` only
    /// when a benchmark shows fewer allocations.
    #[serde(default)]
    pub upper_bound: bool,
    /// Lines of `file` beyond the targets' where the allocations the fix removes happen at run time
    /// (a map's `m[k] = v`): their profiled bytes count for the fix.
    #[serde(default)]
    pub hot_lines: Vec<u32>,
}

impl Fix {
    pub fn span(&self) -> (usize, usize) {
        let start = self.edits.iter().map(|e| e.start).min().unwrap_or(0);
        let end = self.edits.iter().map(|e| e.end).max().unwrap_or(0);
        (start, end)
    }
    /// Whether the two fixes cannot both be applied. An edit both make identically is shared (two
    /// prealloc fixes of one loop both hoist its range operand), and whole lines inserted at one offset
    /// are independent statements, applied in fix order; any other contact of two edits overlaps.
    pub fn overlaps(&self, other: &Fix) -> bool {
        self.file == other.file && self.edits.iter().any(|a| other.edits.iter().any(|b| edits_conflict(a, b)))
    }
}

/// Two edits of one file that cannot both apply: they touch the same bytes (or insert at the same
/// offset), unless they are the same edit or both insert whole lines.
pub fn edits_conflict(a: &TextEdit, b: &TextEdit) -> bool {
    let whole_lines = |e: &TextEdit| e.start == e.end && e.text.ends_with('\n');
    let touch = a.start < b.end && b.start < a.end || (a.start == b.start && a.end == b.end);
    touch && a != b && !(whole_lines(a) && whole_lines(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_edits_and_line_insertions_do_not_conflict() {
        let e = |start: usize, end: usize, text: &str| TextEdit { start, end, text: text.into() };
        assert!(!edits_conflict(&e(4, 7, "items"), &e(4, 7, "items")));
        assert!(edits_conflict(&e(4, 7, "items"), &e(4, 7, "keys")));
        assert!(edits_conflict(&e(4, 7, "items"), &e(5, 9, "x")));
        assert!(!edits_conflict(&e(0, 0, "\ta = make([]int, 0, n)\n"), &e(0, 0, "\tb = make([]int, 0, n)\n")));
        // Insertions inside a line at one offset: their order would matter.
        assert!(edits_conflict(&e(3, 3, "x"), &e(3, 3, "y")));
        assert!(!edits_conflict(&e(3, 3, "x"), &e(4, 4, "y")));
    }
}
