//! The method-value rule end to end with the real toolchain: the fixture's reviewed goldens, fewer
//! allocations in its benchmarks, the keep/ package untouched with a stated reason for every site,
//! and the examples of rules/method-value.md run one by one (format: rules/README.md).

mod common;
use common::bench::assert_fixture_allocs_drop;
use common::declines::{assert_codes_include, assert_sites_declined, decline_reasons, keep_report};
use common::goldens::assert_fixture_goldens_hold;
use common::rule_docs::{assert_document_sections, Examples, Keeps, KnownBugs};
use common::*;

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

#[test]
fn every_keep_site_is_declined_with_its_reason() {
    let (dir, doc) = keep_report(RULE, RULE);
    let reasons = decline_reasons(&doc);
    // Every method value of keep.go stored in a variable that escapes has a decline reason.
    let text = read(dir.path(), "keep/keep.go");
    let sites = assert_sites_declined(&doc, 10, |f| {
        let line = f["line"].as_u64().unwrap();
        let src = text.lines().nth(line as usize - 1).unwrap_or_default();
        let stored = src.split_whitespace().nth(1).is_some_and(|op| op == ":=" || op == "=") && !src.contains("func");
        // An assignment to an existing variable (`inc = ...`) is not this rule's shape.
        f["file"] == "keep/keep.go"
            && f["kind"] == "escapes-to-heap"
            && f["origin"] == "native"
            && stored
            && f["subject"].as_str().unwrap().contains('.')
            && !src.trim_start().starts_with("inc = ")
    });
    assert!(sites >= 11, "only {sites} keep sites had findings: {reasons:#?}");
    assert_codes_include(
        &doc,
        &[
            "receiver-written-later",
            "interface-receiver",
            "value-receiver-copy",
            "promoted-through-embedding",
            "not-local-variable",
            "redeclared",
            "used-as-value",
            "address-taken",
            "reassigned",
        ],
    );
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
