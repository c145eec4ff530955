//! The return-value rule end to end with the real toolchain: the fixture's reviewed goldens, fewer
//! allocations in its benchmarks, the keep/ packages untouched with a stated reason for every site,
//! and the examples of rules/return-value.md run one by one (format: rules/README.md).

mod common;
use common::bench::assert_fixture_allocs_drop;
use common::declines::{assert_codes_include, assert_sites_declined, decline_reasons, keep_report};
use common::goldens::assert_fixture_goldens_hold;
use common::rule_docs::{assert_document_sections, Examples, Keeps, KnownBugs};

const RULE: &str = "return-value";

// ---------------------------------------------------------------- the fixture

#[test]
fn fixture_matches_goldens_allocates_less_and_keep_is_untouched() {
    let (dir, applied) = assert_fixture_goldens_hold(RULE, &[RULE], &[]);
    assert!(applied.goldens >= 2);
    assert!(applied.after.keys().any(|k| k.starts_with("keep")), "keep/ exists");
    // At least 4 benchmarks, the same after --apply, and every fix case allocates strictly less.
    assert_fixture_allocs_drop(RULE, dir.path(), "./fix", 4, 1);
}

#[test]
fn every_keep_site_is_declined_with_its_reason() {
    let (_dir, doc) = keep_report(RULE, RULE);
    let reasons = decline_reasons(&doc);
    // Every `moved to heap` of keep/ whose flows end in a result is a site with a reason.
    let sites = assert_sites_declined(&doc, 10, |f| {
        let to_result = f["why"]
            .as_array()
            .is_some_and(|w| !w.is_empty() && w.iter().all(|fl| fl["dst"].as_str().unwrap().starts_with("~r")));
        f["kind"] == "moved-to-heap" && f["origin"] == "native" && to_result
    });
    assert!(sites >= 19, "only {sites} keep sites: {reasons:#?}");
    assert_codes_include(
        &doc,
        &[
            "result-not-only-read",
            "not-fresh-address",
            "captured-by-closure",
            "call-result-not-local",
            "method-may-satisfy-interface",
            "used-in-other-file",
            "untyped-test-files",
            "too-large",
            "not-copyable",
            "inlinable",
            "exported-api",
        ],
    );
}

// ---------------------------------------------------------------- the rule document

#[test]
fn document_examples_rewrite_exactly_as_documented() {
    Examples { rule: RULE, min_pairs: 4, min_keeps: 6, known_bugs: KnownBugs::Skip, keeps: Keeps::Declined }
        .assert_hold();
}

#[test]
fn rule_document_has_the_sections_the_readme_requires() {
    assert_document_sections(RULE);
}
