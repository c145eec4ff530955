//! prealloc-slice / prealloc-map against the real Go toolchain (fixtures/prealloc):
//! - `--apply` rewrites exactly the fix cases (compared with the hand-reviewed goldens), leaves the
//!   keep cases byte-for-byte alone, and the module still builds, vets and passes its tests;
//! - allocs/op goes DOWN for every fix case's benchmark (the rules' evidence is allocations, which
//!   `-m` does not show);
//! - every keep case is declined with its reason, and its own test FAILS under the naive rewrite
//!   (`make(..., bound)` at the declaration), as do the fix cases' tests that need the nil guard or
//!   `max(n, 0)`: the preconditions are load-bearing, not decoration.

mod common;

use common::bench::{allocs, assert_allocs_drop, report};
use common::goldens::apply_and_compare;
use common::rule_docs::{assert_document_sections, Examples, Keeps, KnownBugs};
use common::*;
use std::path::Path;

/// The two rules, as `--apply` takes them and as `--rule` flags for a `--json` report.
const RULE_IDS: &[&str] = &["prealloc-slice", "prealloc-map"];
const RULES: &[&str] = &["--rule", "prealloc-slice", "--rule", "prealloc-map"];

#[test]
fn apply_matches_goldens_keeps_keep_cases_and_cuts_allocations() {
    let pristine = fixture("prealloc");
    let dir = fixture("prealloc");
    let applied = apply_and_compare(dir.path(), RULE_IDS, &[]);
    applied.assert_no_problems();
    assert_eq!(applied.goldens, 3, "fix/slices.go, fix/hoist.go and fix/maps.go have goldens");
    assert_gofmt_clean(dir.path(), &[]);
    assert_go_ok(dir.path(), "./...");

    let before = allocs(pristine.path(), "./fix/");
    let after = allocs(dir.path(), "./fix/");
    assert_eq!(before.len(), 19, "one benchmark per fix case: {before:?}");
    // Same benchmarks, each strictly lower; the numbers are printed for the record.
    assert_allocs_drop(&before, &after, 1);
    eprintln!("{}", report(&before, &after));
}

#[test]
fn previews_say_the_evidence_is_allocations_not_findings() {
    let dir = fixture("prealloc");
    let o = stackify(dir.path(), &[&["--json"], RULES].concat());
    let v = json(&o);
    let fixes = v["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 21, "{}", stdout(&o));
    for f in fixes {
        assert_eq!(f["evidence"], "fewer-allocations");
        let e = f["explanation"].as_str().unwrap();
        assert!(e.contains("reduces growth reallocations (not proven by -m)"), "{e}");
    }
    let histogram = fixes.iter().find(|f| f["title"].as_str().unwrap().contains("10000")).expect("the Histogram fix");
    assert!(
        histogram["explanation"].as_str().unwrap().contains("64 KB"),
        "a huge constant bound says it stays on the heap"
    );
}

/// (function, what the naive rewrite replaces, the naive text, the test that must then fail, why
/// stackify declines).
const KEEP: &[(&str, &str, &str, &str, &str)] = &[
    ("Positive", "var out []int", "out := make([]int, 0, len(xs))", "TestPositiveKeepsNil", "`continue`"),
    (
        "Evens",
        "var out []int",
        "out := make([]int, 0, len(xs))",
        "TestEvensKeepsNil",
        "not a statement of the loop body",
    ),
    ("UntilZero", "var out []int", "out := make([]int, 0, len(xs))", "TestUntilZeroKeepsNil", "`break`"),
    (
        "Paths",
        "path := []string{}",
        "path := make([]string, 0, len(xs))",
        "TestPathsDoNotShareSpareCapacity",
        "used inside the loop",
    ),
    (
        "Collect",
        "acc := make([]int, 0)",
        "acc := make([]int, 0, len(xs))",
        "TestCollectDoesNotAlias",
        "used between its declaration and the loop",
    ),
    (
        "Members",
        "names := []string{}",
        "names := make([]string, 0, len(g.members))",
        "TestMembersOfNilGroup",
        "used between its declaration and the loop",
    ),
    ("Window", "out := []int{}", "out := make([]int, 0, n)", "TestWindowWithNegativeN", "cannot move above them"),
    ("Runes", "var out []rune", "out := make([]rune, 0, len(s))", "TestRunesMemory", "visits runes"),
    (
        "Load",
        "m := make(map[string]int)",
        "m := make(map[string]int, src.Len())",
        "TestLoadAsksLenOncePerIteration",
        "not a variable, constant or len",
    ),
    (
        "Index",
        "m := map[string]int{}",
        "m := make(map[string]int, len(c.keys))",
        "TestIndexOfNilCatalog",
        "used between its declaration and the loop",
    ),
];

/// Fix cases whose tests fail under the naive rewrite: the guard or max(n, 0) stackify writes instead
/// is what keeps them passing.
const FIX_NAIVE: &[(&str, &str, &str, &str)] = &[
    ("Names", "var names []string", "names := make([]string, 0, len(items))", "TestNamesKeepsNil"),
    ("Ranged", "var out []int", "out := make([]int, 0, n)", "TestRangedKeepsNil"),
    ("Counting", "out := make([]int, 0)", "out := make([]int, 0, n)", "TestCountingNeverNil"),
    ("Squares", "var out []int", "out := make([]int, 0, len(xs))", "TestSquaresKeepsNilAndCounts"),
    ("ParseAll", "var out []int", "out := make([]int, 0, len(ss))", "TestParseAll"),
    ("ListNames", "var names []string", "names := make([]string, 0, len(l.items))", "TestListNames"),
    ("Split", "var names []string", "names := make([]string, 0, len(items))", "TestSplitKeepsNil"),
    ("Reversed", "var out []int", "out := make([]int, 0, len(xs))", "TestReversedKeepsNil"),
];

/// One naive rewrite: (file, function, replaced text, naive text, the test that must fail, whether
/// that test panics — a panic ends the test binary, so those run alone).
struct Naive<'a> {
    file: &'a str,
    func: &'a str,
    from: &'a str,
    to: &'a str,
    test: &'a str,
}

fn apply_naive(dir: &Path, n: &Naive) {
    let text = read(dir, n.file);
    let start = text.find(&format!("func {}(", n.func)).unwrap_or_else(|| panic!("no func {}", n.func));
    let at = start + text[start..].find(n.from).unwrap_or_else(|| panic!("no {:?} in {}", n.from, n.func));
    std::fs::write(dir.join(n.file), format!("{}{}{}", &text[..at], n.to, &text[at + n.from.len()..])).unwrap();
}

/// Apply `cases` together and check that each one's test fails.
fn naive_fail(cases: &[Naive]) {
    let dir = fixture("prealloc");
    for n in cases {
        apply_naive(dir.path(), n);
    }
    let run = format!("-run=^({})$", cases.iter().map(|n| n.test).collect::<Vec<_>>().join("|"));
    let o = go(dir.path(), &["test", "-count=1", "-v", &run, "./keep/", "./fix/"]);
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!o.status.success(), "the naive rewrites pass their tests:\n{out}");
    for n in cases {
        assert!(
            out.contains(&format!("--- FAIL: {} ", n.test)),
            "{}: {} does not fail under the naive rewrite `{}`:\n{out}",
            n.func,
            n.test,
            n.to
        );
    }
}

#[test]
fn naive_rewrites_break_the_tests_that_stackify_keeps_passing() {
    // The unmodified module passes (the other tests rely on it too).
    let dir = fixture("prealloc");
    assert_go_ok(dir.path(), "./...");
    // Tests that panic under the naive rewrite (nil dereference, negative make capacity).
    const PANICS: &[&str] = &[
        "TestMembersOfNilGroup",
        "TestWindowWithNegativeN",
        "TestIndexOfNilCatalog",
        "TestRangedKeepsNil",
        "TestCountingNeverNil",
        "TestListNames",
    ];
    let all: Vec<Naive> = KEEP
        .iter()
        .map(|(func, from, to, test, _)| Naive { file: "keep/keep.go", func, from, to, test })
        .chain(FIX_NAIVE.iter().map(|(func, from, to, test)| Naive { file: "fix/slices.go", func, from, to, test }))
        .collect();
    assert_eq!(all.len(), KEEP.len() + FIX_NAIVE.len());
    let (alone, together): (Vec<Naive>, Vec<Naive>) = all.into_iter().partition(|n| PANICS.contains(&n.test));
    naive_fail(&together);
    for n in alone {
        naive_fail(std::slice::from_ref(&n));
    }
}

// ---------------------------------------------------------------- the rule documents
// rules/prealloc-slice.md and rules/prealloc-map.md: every example is a complete file, run through the
// real binary (`--apply --rule <id>`) in a fresh module (format: rules/README.md).

/// The examples of rules/<id>.md hold, its sections are the required ones, and it states that the
/// evidence is allocations.
fn check_document(id: &str, min_pairs: usize, min_keeps: usize) {
    Examples { rule: id, min_pairs, min_keeps, known_bugs: KnownBugs::Forbid, keeps: Keeps::Declined }.assert_hold();
    let doc = assert_document_sections(id);
    assert!(doc.contains("reduces growth reallocations (not proven by -m)"));
}

#[test]
fn prealloc_slice_document_examples_rewrite_exactly_as_documented() {
    check_document("prealloc-slice", 10, 12);
}

#[test]
fn prealloc_map_document_examples_rewrite_exactly_as_documented() {
    check_document("prealloc-map", 4, 6);
}

/// fixtures/prealloc-filter opts in to upper bounds (`[rules.prealloc-slice] filter_loops`): its
/// filter loops are rewritten as the goldens say (`--apply` measures them with the package's
/// benchmarks, as it does for every upper-bound fix), keep/ stays byte for byte (its tests fail
/// under the naive rewrite), and the module still builds, vets and passes its tests.
#[test]
fn filter_loops_with_upper_bounds_opted_in_match_goldens() {
    let (_dir, applied) = common::goldens::assert_fixture_goldens_hold("prealloc-filter", &["prealloc-slice"], &[]);
    assert_eq!(applied.goldens, 1, "fix/filter.go has a golden");
}
