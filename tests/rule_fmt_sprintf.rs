//! The fmt-sprintf rule end to end: the fixture's reviewed goldens, the keep/ package left alone with
//! a stated reason for every site, and the examples of rules/fmt-sprintf.md run one by one through the
//! real binary and the real Go toolchain (format of the examples: rules/README.md).

mod common;
use common::goldens::assert_fixture_goldens_hold;
use common::rule_docs::{assert_document_sections, Examples, Keeps, KnownBugs};
use common::*;

const RULE: &str = "fmt-sprintf";

/// Goldens the rule does not reach yet (the hand-reviewed expectation of a known bug). The golden test
/// accepts such a file unchanged or equal to its golden, and nothing else. Empty: every golden is met.
const KNOWN_BUG_GOLDENS: &[&str] = &[];

// ---------------------------------------------------------------- the fixture

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_and_keep_is_untouched() {
    // The fixture's own tests hold the exact strings fmt printed; keep/'s fail on any naive rewrite.
    let (dir, applied) = assert_fixture_goldens_hold("fmt-sprintf", &[RULE], KNOWN_BUG_GOLDENS);
    // Every golden that is not a known bug was reached (the fixture's goldens are not decoration).
    let goldens: Vec<String> =
        applied.after.keys().map(|k| k.to_string_lossy().into_owned()).filter(|k| k.ends_with(".golden")).collect();
    assert!(goldens.len() >= 3, "{goldens:?}");
    for g in &goldens {
        let src = g.trim_end_matches(".golden");
        if !KNOWN_BUG_GOLDENS.contains(&src) {
            assert_ne!(
                read(dir.path(), src),
                read(&repo().join("fixtures/fmt-sprintf"), src),
                "{src} has a golden but was not rewritten"
            );
        }
    }
}

#[test]
fn fixture_strconv_already_imported_is_rewritten() {
    let dir = fixture("fmt-sprintf");
    let o = apply(dir.path(), &[RULE]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(read(dir.path(), "fix/already.go"), read(dir.path(), "fix/already.go.golden"));
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn rewrite_keeps_the_output_when_a_later_operand_changes_an_earlier_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.test/order\n\ngo 1.22\n").unwrap();
    std::fs::write(
        dir.path().join("order.go"),
        "package order\n\nimport \"fmt\"\n\nvar x = 1\n\nfunc bump() string {\n\tx++\n\treturn \"b\"\n}\n\n\
         // Trace prints x after bump has run: gc reads a plain operand when it fills the ...any slice.\n\
         func Trace() string {\n\tx = 1\n\treturn fmt.Sprintf(\"%d %s\", x, bump())\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("order_test.go"),
        "package order\n\nimport \"testing\"\n\nfunc TestTrace(t *testing.T) {\n\tif got := Trace(); got != \"2 b\" {\n\t\tt.Errorf(\"Trace() = %q\", got)\n\t}\n}\n",
    )
    .unwrap();
    // The expectation is the original program's own output, checked by the toolchain before the rewrite.
    assert_go_ok(dir.path(), "./...");
    let o = apply(dir.path(), &[RULE]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_go_ok(dir.path(), "./...");
}

// ---------------------------------------------------------------- the rule document

#[test]
fn document_examples_rewrite_exactly_as_documented() {
    // Keeps::Unchanged: the extension section keeps `fmt.Errorf("const")`, which the rule does not
    // match at all, so there is no decline to show for it.
    Examples { rule: RULE, min_pairs: 6, min_keeps: 4, known_bugs: KnownBugs::Skip, keeps: Keeps::Unchanged }
        .assert_hold();
}

#[test]
fn rule_document_has_the_sections_the_readme_requires() {
    assert_document_sections(RULE);
}
