//! The fmt-sprintf extensions end to end (floats → strconv.FormatFloat, %x of bytes →
//! hex.EncodeToString): fixtures/fmt-sprintf-ext's reviewed goldens, its keep/ left alone, its equiv/
//! package proving byte-identity against fmt with the toolchain at hand, allocations measured before
//! and after, the once held-back shapes (%v of a float, %x of a string), the measurements behind
//! what is NOT proposed (fmt.Errorf without verbs, strings.Builder growth), and the extension
//! examples appended to rules/fmt-sprintf.md.
//! (tests/rule_fmt_sprintf.rs, owned separately, covers the rule's original verbs.)

mod common;
use common::bench::around_apply;
use common::declines::{assert_no_fixes, decline_reasons};
use common::goldens::assert_fixture_goldens_hold;
use common::rule_docs::{read_doc, Examples, Keeps, KnownBugs};
use common::*;
use std::path::Path;

const RULE: &str = "fmt-sprintf";
const FIXTURE: &str = "fmt-sprintf-ext";

/// Where the extension section starts in rules/fmt-sprintf.md (appended after the owner's examples).
const MARKER: &str = "<!-- fmt-sprintf extensions -->";

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_and_keep_is_untouched() {
    // fix/'s tests hold fmt's output (NaN, -0, +Inf, rounding); keep/'s fail on a naive rewrite;
    // equiv/ compares fmt with the rule's float and hex mappings over ~500k value/verb pairs.
    assert_fixture_goldens_hold(FIXTURE, &[RULE], &[]);
}

#[test]
fn allocations_drop_in_the_fixture_benchmarks() {
    let (before, after) = around_apply(FIXTURE, &[RULE], "./fix/");
    // Measured on go1.26.8: the boxed float / slice header goes; the result string stays.
    let want = [
        ("BenchmarkMoney", (2, 1)),
        ("BenchmarkShort", (2, 1)),
        ("BenchmarkPair", (2, 1)),
        ("BenchmarkDigest", (2, 1)),
        ("BenchmarkKey", (3, 1)),
    ];
    for (name, (b, a)) in want {
        assert_eq!((before[name], after[name]), (b, a), "{name} allocs/op before → after");
    }
}

fn module(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("stackify-ext-").tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.test/p\n\ngo 1.22\n").unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn float_v_and_string_x_are_rewritten_with_the_operands_bit_size() {
    // %v of a float and %x of a string were held back until fixtures/fmt-sprintf/keep and
    // rules/fmt-sprintf.md stopped listing them as kept; their twins are proven by equiv/. The test
    // file holds fmt's own output (checked before the rewrite) and must still pass after it.
    let src = "package p\n\nimport \"fmt\"\n\nfunc V(f float64) string { return fmt.Sprintf(\"%v\", f) }\n\n\
               func S(f float32) string { return fmt.Sprint(f) }\n\nfunc X(s string) string { return fmt.Sprintf(\"%x\", s) }\n";
    let test = "package p\n\nimport \"testing\"\n\nfunc TestSame(t *testing.T) {\n\
                \tfor _, c := range [][2]string{\n\
                \t\t{V(0.1), \"0.1\"}, {V(1e21), \"1e+21\"}, {V(-1e-7), \"-1e-07\"},\n\
                \t\t{S(0.1), \"0.1\"}, {S(1.0 / 3), \"0.33333334\"}, {S(16777217), \"1.6777216e+07\"},\n\
                \t\t{X(\"hi\"), \"6869\"}, {X(\"\\xff\\x00\"), \"ff00\"}, {X(\"\"), \"\"},\n\
                \t} {\n\t\tif c[0] != c[1] {\n\t\t\tt.Errorf(\"got %q, want %q\", c[0], c[1])\n\t\t}\n\t}\n}\n";
    let dir = module(&[("p.go", src), ("p_test.go", test)]);
    assert_go_ok(dir.path(), "./...");
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE]));
    let reasons = decline_reasons(&doc);
    assert!(reasons.is_empty(), "{reasons:#?}");
    let o = apply(dir.path(), &[RULE]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        read(dir.path(), "p.go"),
        "package p\n\nimport (\n\t\"encoding/hex\"\n\t\"strconv\"\n)\n\n\
         func V(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }\n\n\
         func S(f float32) string { return strconv.FormatFloat(float64(f), 'g', -1, 32) }\n\n\
         func X(s string) string { return hex.EncodeToString([]byte(s)) }\n"
    );
    assert_go_ok(dir.path(), "./...");
}

/// `go build -gcflags=-m` of one function, lines mentioning `p.go:<line>`.
fn m_lines(dir: &Path, line: u32) -> Vec<String> {
    let o = go(dir, &["build", "-gcflags=-m", "./..."]);
    assert!(o.status.success(), "{}", stderr(&o));
    let tag = format!("p.go:{line}:");
    stderr(&o).lines().filter(|l| l.contains(&tag)).map(|l| l.split_once(": ").unwrap().1.to_string()).collect()
}

#[test]
fn errorf_without_verbs_is_not_proposed_because_nothing_changes_in_m() {
    // The measurement behind "fmt.Errorf(\"const\") → errors.New: not proposed" (rules/fmt-sprintf.md):
    // with the toolchain at hand fmt.Errorf inlines errors.New when it has no arguments, so the
    // compiler reports the same allocation for both; a finding-removed rule has nothing to prove.
    // If this fails, the toolchain changed: re-measure before proposing the rewrite.
    let dir = module(&[(
        "p.go",
        "package p\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n)\n\nfunc A() error { return fmt.Errorf(\"closed\") }\n\nfunc B() error { return errors.New(\"closed\") }\n",
    )]);
    let a = m_lines(dir.path(), 8);
    let b = m_lines(dir.path(), 10);
    assert!(a.iter().any(|l| l == "inlining call to errors.New"), "{a:#?}");
    let escapes = |v: &[String]| v.iter().filter(|l| l.ends_with("escapes to heap")).cloned().collect::<Vec<_>>();
    assert_eq!(escapes(&a), vec!["&errors.errorString{...} escapes to heap".to_string()]);
    assert_eq!(escapes(&a), escapes(&b));
    // ...and stackify proposes nothing for it (the finding is an inlined copy of errors.New).
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE]));
    assert_no_fixes(&doc, "no fix for fmt.Errorf without verbs");
}

#[test]
fn builder_growth_shows_no_native_finding_for_a_rule_to_anchor() {
    // The measurement behind "strings.Builder growth: not proposed yet" (rules/fmt-sprintf.md): the
    // growth appends are inlined from strings.(*Builder).WriteString, so every finding in the loop
    // is an inlined copy (rules only see native findings), and Grow removes none of them (the win,
    // 4 → 1 allocs/op, is invisible to -m). It needs a fewer-allocations rule that may anchor on
    // inlined Builder findings.
    let dir = module(&[(
        "p.go",
        "package p\n\nimport \"strings\"\n\nfunc Join(parts []string) string {\n\tvar b strings.Builder\n\tfor _, p := range parts {\n\t\tb.WriteString(p)\n\t}\n\treturn b.String()\n}\n",
    )]);
    let doc = json(&stackify(dir.path(), &["--json", "--all"]));
    let in_loop: Vec<&serde_json::Value> =
        doc["findings"].as_array().unwrap().iter().filter(|f| f["line"] == 8).collect();
    assert!(!in_loop.is_empty(), "expected the inlined append finding at line 8: {:#?}", doc["findings"]);
    for f in in_loop {
        assert_ne!(f["origin"], "native", "{f}");
    }
}

#[test]
fn appended_examples_rewrite_exactly_as_documented() {
    let doc = read_doc(RULE);
    let (_, ext) = doc.split_once(MARKER).unwrap_or_else(|| panic!("rules/fmt-sprintf.md has no {MARKER} section"));
    // Keeps::Unchanged: the section keeps `fmt.Errorf("const")`, which the rule does not match at all.
    Examples { rule: RULE, min_pairs: 3, min_keeps: 2, known_bugs: KnownBugs::Forbid, keeps: Keeps::Unchanged }
        .assert_hold_in("the extension section of rules/fmt-sprintf.md", ext);
    // The owner's test requires exactly six `## ` sections: the extension adds none.
    assert!(!ext.lines().any(|l| l.starts_with("## ")), "the extension section must not add `## ` headings");
}
