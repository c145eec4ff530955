//! The range-addr rule end to end: the fixture's reviewed goldens, allocations measured before and
//! after with the fixture's benchmarks, the keep/ package left alone with a stated reason for every
//! site, the go 1.21 module declined, and the examples of rules/range-addr.md run one by one through
//! the real binary and the real Go toolchain (format of the examples: rules/README.md).

mod common;
use common::bench::assert_fixture_allocs_drop;
use common::declines::assert_old_module_declined;
use common::goldens::assert_fixture_goldens_hold;
use common::rule_docs::{assert_document_sections, Examples, Keeps, KnownBugs};
use common::*;
use std::path::Path;

const RULE: &str = "range-addr";

// ---------------------------------------------------------------- the fixture

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_keep_is_untouched_and_allocations_drop() {
    // fix/'s tests pin each function's result; keep/'s fail under the naive rewrite.
    let (dir, applied) = assert_fixture_goldens_hold(RULE, &[RULE], &[]);
    assert_ne!(
        read(dir.path(), "fix/fix.go"),
        String::from_utf8_lossy(&applied.before[Path::new("fix/fix.go")]),
        "fix/fix.go has a golden but was not rewritten"
    );

    // docs/compiler-facts.md truth table: &v in a range loop → &xs[i] removes one allocation per iteration
    // (`moved to heap: v`); the benchmarks range over 16 elements, so at least 10 fewer allocs/op
    // in each of at least 5 benchmarks.
    assert_fixture_allocs_drop(RULE, dir.path(), "./fix", 5, 10);
}

#[test]
fn a_module_older_than_go_1_22_is_declined() {
    assert_old_module_declined(RULE, "go121", "go121.go", RULE, "shared-loop-variable", |r| {
        r.contains("go 1.21") && r.contains("ONE variable")
    });
}

// ---------------------------------------------------------------- the rule document

#[test]
fn document_examples_rewrite_exactly_as_documented() {
    Examples { rule: RULE, min_pairs: 4, min_keeps: 4, known_bugs: KnownBugs::Forbid, keeps: Keeps::Declined }
        .assert_hold();
}

#[test]
fn rule_document_has_the_sections_the_readme_requires() {
    assert_document_sections(RULE);
}
