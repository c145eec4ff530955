//! fmt-sprintf's issue-11 widenings end to end: constant formats, explicit argument indexes, the verbs
//! for which fmt calls no String/Error method, and the readability judgement. fixtures/fmt-sprintf's
//! fix/reach.go (with its golden, held by tests/rule_fmt_sprintf.rs) must drop allocations;
//! keep/reach.go must be declined line by line with the code its `// want decline:<code>` names.

mod common;
use common::bench::around_apply;
use common::declines::keep_report;
use common::*;

const RULE: &str = "fmt-sprintf";

#[test]
fn widenings_drop_allocations() {
    let (before, after) = around_apply("fmt-sprintf", &[RULE], "./fix/");
    // Measured on go1.26.8 (rules/fmt-sprintf.md, "Reach"): the boxed operands go, the result stays
    // (plus one strconv string per integer).
    let want = [
        ("BenchmarkConstConcat", (3, 2)),
        ("BenchmarkPair", (3, 1)),
        ("BenchmarkTwice", (2, 1)),
        ("BenchmarkLevelD", (2, 1)),
    ];
    for (name, (b, a)) in want {
        assert_eq!((before[name], after[name]), (b, a), "{name} allocs/op before → after");
    }
}

#[test]
fn widening_traps_are_declined_with_their_codes() {
    let (dir, doc) = keep_report("fmt-sprintf", RULE);
    let text = read(dir.path(), "keep/reach.go");
    let declined = doc["declined"].as_array().unwrap();
    let mut checked = 0;
    for (i, line) in text.lines().enumerate() {
        let Some((_, want)) = line.split_once("// want decline:") else { continue };
        let want = want.trim();
        let got: Vec<&str> = declined
            .iter()
            .filter(|d| d["file"] == "keep/reach.go" && d["line"].as_u64() == Some(i as u64 + 1))
            .filter_map(|d| d["code"].as_str())
            .collect();
        assert!(got.contains(&want), "keep/reach.go:{}: want {want}, got {got:?}", i + 1);
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} annotated sites");
}
