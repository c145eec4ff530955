//! The method-value rule end to end with the real toolchain: the fixture's reviewed goldens, fewer
//! allocations in its benchmarks, the keep/ package untouched with a stated reason for every site,
//! and the examples of rules/method-value.md run one by one (format: rules/README.md).

mod common;
use common::bench::assert_fixture_allocs_drop;
use common::goldens::assert_fixture_goldens_hold;
use common::rule_docs::{assert_document_sections, Examples, Keeps, KnownBugs};

const RULE: &str = "method-value";

// ---------------------------------------------------------------- the fixture

#[test]
fn fixture_matches_goldens_allocates_less_and_keep_is_untouched() {
    let (dir, applied) = assert_fixture_goldens_hold(RULE, &[RULE], &[]);
    assert!(applied.goldens >= 1);
    assert!(applied.after.keys().any(|k| k.starts_with("keep")), "keep/ exists");
    // At least 5 benchmarks, the same after --apply, and every fix case allocates strictly less.
    assert_fixture_allocs_drop(RULE, dir.path(), "./fix", 5, 1);
}

// ---------------------------------------------------------------- the rule document

#[test]
fn document_examples_rewrite_exactly_as_documented() {
    Examples { rule: RULE, min_pairs: 4, min_keeps: 5, known_bugs: KnownBugs::Skip, keeps: Keeps::Declined }
        .assert_hold();
}

#[test]
fn rule_document_has_the_sections_the_readme_requires() {
    assert_document_sections(RULE);
}
