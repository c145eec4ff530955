//! Every rule fixture's `// want decline:<code>` annotations hold (tests/common/want.rs): each
//! annotated line is declined by the fixture's rules with exactly those codes, and nothing else in
//! keep/ is declined or fixed. One test per fixture, so the fixtures run in parallel and a failure
//! names its fixture; `every_rule_fixture_is_listed` keeps the list equal to the registry, so a new
//! rule cannot skip this.

mod common;
use common::want::{assert_annotations_hold, compare, parse_wants};
use std::collections::BTreeSet;

/// The rules whose `RuleMeta::fixture` is fixtures/<name>, in registry order.
fn rules_of(name: &str) -> Vec<&'static str> {
    let path = format!("fixtures/{name}");
    stackify::rules::registry().iter().map(|r| r.meta()).filter(|m| m.fixture == path).map(|m| m.id).collect()
}

/// `test_name: "fixture"` runs the rules that declare fixtures/<fixture> (prealloc-slice and
/// prealloc-map share one, and their annotations together); `=> ["rule", ...]` names the rules of a
/// fixture no rule declares (a second fixture of one rule).
macro_rules! annotated_fixtures {
    ($($test:ident: $fixture:literal $(=> [$($rule:literal),+])?;)+) => {
        /// Every fixture listed below, with the rules named for it (empty: the registry's).
        const LISTED: &[(&str, &[&str])] = &[$(($fixture, &[$($($rule),+)?])),+];
        $(
            #[test]
            fn $test() {
                let named: &[&str] = &[$($($rule),+)?];
                let rules = if named.is_empty() { rules_of($fixture) } else { named.to_vec() };
                assert_annotations_hold($fixture, &rules);
            }
        )+
    };
}

annotated_fixtures! {
    builder_grow: "builder-grow";
    closure_param: "closure-param";
    fmt_sprintf: "fmt-sprintf";
    fmt_sprintf_ext: "fmt-sprintf-ext" => ["fmt-sprintf"];
    fprintf_string: "fprintf-string";
    method_value: "method-value";
    prealloc: "prealloc";
    prealloc_filter: "prealloc-filter" => ["prealloc-slice"];
    range_addr: "range-addr";
    return_value: "return-value";
    slice_to_array: "slice-to-array";
    sort_slice: "sort-slice";
    write_string: "write-string";
}

#[test]
fn every_rule_fixture_is_listed() {
    let listed: BTreeSet<&str> = LISTED.iter().map(|(f, _)| *f).collect();
    let mut problems = Vec::new();
    for rule in stackify::rules::registry() {
        let m = rule.meta();
        let name = m.fixture.strip_prefix("fixtures/").unwrap_or(m.fixture);
        if !listed.contains(name) {
            problems.push(format!("{}: add `{}: \"{name}\";` to annotated_fixtures!", m.id, name.replace('-', "_")));
        }
    }
    for (fixture, named) in LISTED {
        if named.is_empty() && rules_of(fixture).is_empty() {
            problems.push(format!("{fixture}: no rule declares it; name its rules with `=> [...]`"));
        }
        let known: Vec<&str> = stackify::rules::registry().iter().map(|r| r.id()).collect();
        for r in named.iter().filter(|r| !known.contains(r)) {
            problems.push(format!("{fixture}: {r} is not a registered rule"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------- the harness itself

/// A module with one keep file, for the harness's own checks (no toolchain needed).
fn keep_file(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("keep")).unwrap();
    std::fs::write(dir.path().join("keep/keep.go"), text).unwrap();
    dir
}

fn report(declined: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "declined": declined, "fixes": [] })
}

#[test]
fn a_wrong_missing_or_unexpected_code_is_a_mismatch() {
    let dir = keep_file(
        "package keep\n\nfunc A() {} // want decline:aliasing decline:evaluation-order\nfunc B() {} // want decline:nil-vs-empty\nfunc C() {}\n",
    );
    let wants = parse_wants(dir.path()).unwrap();
    let d = |line: u64, code: &str| serde_json::json!({"rule": "r", "file": "keep/keep.go", "line": line, "code": code, "reason": "because the test says so"});
    // Exactly what is annotated: no problem; another rule's declines are not this test's business.
    let exact = report(serde_json::json!([d(3, "aliasing"), d(3, "evaluation-order"), d(4, "nil-vs-empty")]));
    assert_eq!(compare(&wants, &exact, &["r"]), Vec::<String>::new());
    let other = report(serde_json::json!([d(3, "aliasing"), d(3, "evaluation-order"), d(4, "nil-vs-empty"), {
        "rule": "s", "file": "keep/keep.go", "line": 5, "code": "no-saving", "reason": "r"
    }]));
    assert_eq!(compare(&wants, &other, &["r"]), Vec::<String>::new());
    // One code short on line 3, the wrong code on line 4, an unannotated decline on line 5.
    let wrong = report(serde_json::json!([d(3, "aliasing"), d(4, "no-saving"), d(5, "used-before-loop")]));
    let problems = compare(&wants, &wrong, &["r"]);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(
        problems[0].starts_with("keep/keep.go:3: want decline:aliasing decline:evaluation-order, got decline:aliasing")
    );
    assert!(problems[1].starts_with("keep/keep.go:4: want decline:nil-vs-empty, got decline:no-saving"));
    assert!(problems[2].starts_with("keep/keep.go:5: unexpected decline:used-before-loop"));
    // A placeholder reason is a problem even where the code is right.
    let terse = report(serde_json::json!([d(3, "aliasing"), d(3, "evaluation-order"), {
        "rule": "r", "file": "keep/keep.go", "line": 4, "code": "nil-vs-empty", "reason": "nil"
    }]));
    assert_eq!(compare(&wants, &terse, &["r"]), ["keep/keep.go:4: r nil-vs-empty has no stated reason: \"nil\""]);
}

#[test]
fn a_malformed_annotation_is_an_error_not_a_no_op() {
    let dir = keep_file("package keep\n\nfunc A() {} // want declined:aliasing\nfunc B() {} // want\n");
    let errors = parse_wants(dir.path()).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:#?}");
}
