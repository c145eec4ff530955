//! The slice-to-array rule end to end: the fixture's reviewed goldens, keep/ left alone with a stated
//! reason for every site (its tests panic or over-allocate under a naive rewrite), allocations
//! measured before and after with the fixture's benchmarks (the win -m cannot show), and the
//! examples of rules/slice-to-array.md run through the real binary and the real Go toolchain.

mod common;
use common::bench::around_apply;
use common::goldens::assert_fixture_goldens_hold;
use common::rule_docs::{assert_document_sections, Examples, Keeps, KnownBugs};
use common::*;

const RULE: &str = "slice-to-array";
const FIXTURE: &str = "slice-to-array";

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_and_keep_is_untouched() {
    // fix/'s tests hold the original results (rows start zeroed, bounds still panic); keep/'s
    // panic or over-allocate under a naive rewrite.
    assert_fixture_goldens_hold(FIXTURE, &[RULE], &[]);
}

#[test]
fn allocations_drop_in_the_fixture_benchmarks() {
    let (before, after) = around_apply(FIXTURE, &[RULE], "./fix/");
    // Measured on go1.26.8; each benchmark runs one rewritten function with a size from a variable.
    // The remaining allocations are strings.Fields' slice (Widths) and string(out) (Digits).
    let want = [
        ("BenchmarkSquares", (1, 0)),
        ("BenchmarkWidths", (2, 1)),
        ("BenchmarkDigits", (2, 1)),
        ("BenchmarkRatios", (1, 0)),
        ("BenchmarkWindow", (1, 0)),
        ("BenchmarkFill", (4, 0)),
    ];
    for (name, (b, a)) in want {
        assert_eq!((before[name], after[name]), (b, a), "{name} allocs/op before → after");
    }
    assert_eq!(before.len(), want.len());
}

#[test]
fn the_verifier_measures_it_with_bench() {
    let dir = fixture(FIXTURE);
    let o = stackify(dir.path(), &["--diff", "--bench", "--rule", RULE, "./fix/..."]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("measured: BenchmarkSquares (package stackify.test/slice-to-array/fix): 1 → 0 allocs/op"),
        "{err}"
    );
    assert!(!err.lines().any(|l| l.trim_start().starts_with("dropped")), "{err}");
    assert!(err.contains("6 verified fixes, 0 dropped"), "{err}");
}

#[test]
fn document_examples_rewrite_exactly_as_documented() {
    Examples { rule: RULE, min_pairs: 4, min_keeps: 3, known_bugs: KnownBugs::Forbid, keeps: Keeps::Declined }
        .assert_hold();
}

#[test]
fn rule_document_has_the_sections_the_readme_requires() {
    assert_document_sections(RULE);
}
