//! The fprintf-string rule end to end: the fixture's reviewed goldens, keep/ left alone with a stated
//! reason for every site, allocations measured before and after with the fixture's benchmarks, and
//! the examples of rules/fprintf-string.md run through the real binary and the real Go toolchain.

mod common;
use common::bench::{around_apply, assert_allocs_drop};
use common::goldens::assert_fixture_goldens_hold;
use common::rule_docs::{assert_document_sections, Examples, Keeps, KnownBugs};

const RULE: &str = "fprintf-string";
const FIXTURE: &str = "fprintf-string";

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_and_keep_is_untouched() {
    // fix/'s tests hold the bytes and results fmt produced; keep/'s fail on any naive rewrite.
    assert_fixture_goldens_hold(FIXTURE, &[RULE], &[]);
}

#[test]
fn allocations_drop_in_the_fixture_benchmarks() {
    let (before, after) = around_apply(FIXTURE, &[RULE], "./fix/");
    // Same benchmarks, none allocating more.
    assert_allocs_drop(&before, &after, 0);
    // Measured on go1.26.8: the boxing of the string was the only allocation when the writer has
    // WriteString; Write([]byte(Sprintf(...))) also loses the result string and its []byte copy.
    for name in ["BenchmarkPlainBuffer", "BenchmarkPlainDiscard", "BenchmarkSingleBuffer"] {
        assert_eq!((before[name], after[name]), (1, 0), "{name}");
    }
    assert!(
        after["BenchmarkLine"] + 2 <= before["BenchmarkLine"],
        "Line: {} → {}",
        before["BenchmarkLine"],
        after["BenchmarkLine"]
    );
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
