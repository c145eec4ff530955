//! The closure-param rule end to end: the fixture's reviewed goldens, fewer allocations in the
//! fixture's benchmarks after `--apply`, the keep/ package left alone with a stated reason for every
//! capture, and the examples of rules/closure-param.md run one by one through the real binary and
//! the real Go toolchain (format of the examples: rules/README.md).

mod common;
use common::bench::{around_apply, assert_allocs_drop};
use common::declines::{assert_codes_include, assert_no_fixes};
use common::goldens::assert_fixture_goldens_hold;
use common::rule_docs::{assert_document_sections, Examples, Keeps, KnownBugs};
use common::*;

const RULE: &str = "closure-param";

// ---------------------------------------------------------------- the fixture

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_and_keep_is_untouched() {
    let (_dir, applied) = assert_fixture_goldens_hold("closure-param", &[RULE], &[]);
    assert!(applied.goldens >= 2, "the fixture's goldens were not found");
    // Every fix shape was applied: parameter, shadow copy, named copy, field copy.
    let err = stderr(&applied.output);
    for shape in [
        "pass x as a parameter",
        "greeting := greeting",
        "xCopy := x",
        "cfgTimeout := cfg.Timeout",
        "cfgName := cfg.Name",
    ] {
        assert!(err.contains(shape), "no applied fix mentions {shape:?}:\n{err}");
    }
    assert!(!err.lines().any(|l| l.trim_start().starts_with("dropped")), "the verifier dropped a fixture fix:\n{err}");
}

#[test]
fn fixture_allocations_go_down_for_every_fix() {
    let (before, after) = around_apply("closure-param", &[RULE], "./fix/");
    assert!(before.len() >= 7, "benchmarks: {before:?}");
    // Same benchmarks, each strictly lower.
    assert_allocs_drop(&before, &after, 1);
}

#[test]
fn loop_variable_before_go_1_22_is_declined() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.test/old\n\ngo 1.21\n").unwrap();
    // The closure is stored and the function returns right away, so no later write would block it:
    // only the shared loop variable does.
    std::fs::write(
        dir.path().join("old.go"),
        "package old\n\nvar hooks []func() int\n\n// First stores a callback for the first even number.\n\
         func First(ns []int) {\n\tfor i := 0; i < len(ns); i++ {\n\t\tif ns[i]%2 == 0 {\n\t\t\thooks = append(hooks, func() int { return i })\n\t\t\treturn\n\t\t}\n\t}\n}\n",
    )
    .unwrap();
    assert_go_ok(dir.path(), "./...");
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE]));
    assert_no_fixes(&doc, "no fix before go 1.22");
    assert_codes_include(&doc, &["shared-loop-variable"]);
}

// ---------------------------------------------------------------- the rule document

#[test]
fn document_examples_rewrite_exactly_as_documented() {
    Examples { rule: RULE, min_pairs: 8, min_keeps: 6, known_bugs: KnownBugs::Skip, keeps: Keeps::Declined }
        .assert_hold();
}

#[test]
fn rule_document_has_the_sections_the_readme_requires() {
    assert_document_sections(RULE);
}
