//! The sort-slice rule end to end: the fixture's reviewed goldens, allocations measured before and
//! after with the fixture's benchmarks, the keep/ package left alone with a stated reason for every
//! site, the go 1.20 module declined, and the examples of rules/sort-slice.md run one by one through
//! the real binary and the real Go toolchain (format of the examples: rules/README.md).

mod common;
use common::bench::before_and_after;
use common::declines::assert_old_module_declined;
use common::goldens::assert_fixture_goldens_hold;
use common::rule_docs::{assert_document_sections, Examples, Keeps, KnownBugs};
use common::*;
use std::path::Path;

const RULE: &str = "sort-slice";

// ---------------------------------------------------------------- the fixture

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_keep_is_untouched_and_allocations_drop() {
    // fix/'s tests compare every result with sort.Slice's own permutation (equal keys included);
    // keep/'s fail under the naive rewrite.
    let (dir, applied) = assert_fixture_goldens_hold(RULE, &[RULE], &[]);
    for g in ["fix/fix.go", "fix/mixed.go", "fix/multi.go", "fix/method.go", "fix/stable.go", "fix/assert.go"] {
        assert_ne!(
            read(dir.path(), g),
            String::from_utf8_lossy(&applied.before[Path::new(g)]),
            "{g} has a golden but was not rewritten"
        );
    }

    // docs/compiler-facts.md truth table: sort.Slice → slices.SortFunc is 2 → 0 allocs/op (3 → 0 for structs:
    // reflectlite's swapper also allocates a temporary element).
    let (allocs_before, allocs_after) = before_and_after(RULE, dir.path(), "./fix");
    assert_eq!(allocs_before.keys().collect::<Vec<_>>(), allocs_after.keys().collect::<Vec<_>>());
    assert!(allocs_before.len() >= 8, "{allocs_before:?}");
    for (name, b) in &allocs_before {
        let a = allocs_after[name];
        assert!(*b >= 2, "{name}: sort.Slice should allocate at least twice, measured {b}");
        assert_eq!(a, 0, "{name}: {b} → {a} allocs/op; slices.SortFunc should allocate nothing");
    }
}

#[test]
fn a_module_older_than_go_1_21_is_declined() {
    assert_old_module_declined(RULE, "go120", "go120.go", RULE, "go-version-too-old", |r| {
        r.contains("go 1.20") && r.contains("1.21")
    });
}

#[test]
fn a_multi_key_less_function_in_a_go_1_21_module_is_declined() {
    // slices and cmp exist in go 1.21 but cmp.Or, which a multi-key comparison returns, does not.
    assert_old_module_declined(RULE, "go121", "go121.go", RULE, "go-version-too-old", |r| {
        r.contains("go 1.21") && r.contains("cmp.Or") && r.contains("1.22")
    });
}

// ---------------------------------------------------------------- the rule document

#[test]
fn document_examples_rewrite_exactly_as_documented() {
    // Keeps::Declined: every keep of the document is a site the rule matches and declines with a reason.
    Examples { rule: RULE, min_pairs: 4, min_keeps: 4, known_bugs: KnownBugs::Forbid, keeps: Keeps::Declined }
        .assert_hold();
}

#[test]
fn rule_document_has_the_sections_the_readme_requires() {
    assert_document_sections(RULE);
}
