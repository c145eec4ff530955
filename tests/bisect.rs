//! The verifier isolates a bad fix among n with about log2(n) extra builds (issue 5's bound is
//! 2·log2(n)+1), on real compiles. The fault is injected through STACKIFY_TEST_FAULT, which makes any
//! build containing that fix fail with an error no position can attribute — the case that needs
//! bisection (errors on a fix's own lines are attributed directly, with no extra build).

mod common;
use common::*;

fn diff_json(module: &str, fault: &str) -> serde_json::Value {
    let dir = fixture(module);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackify"))
        .arg("-C")
        .arg(dir.path())
        .args(["--diff", "--json", "--rule", "fmt-sprintf"])
        .env("STACKIFY_CACHE_DIR", cache_dir())
        .env("STACKIFY_TEST_FAULT", fault)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    json(&out)
}

fn bound(n: usize) -> usize {
    2 * (n as f64).log2().ceil() as usize + 1
}

#[test]
fn one_bad_fix_among_four_costs_at_most_2_log2_n_plus_1_builds() {
    let doc = diff_json("demo", "3");
    let fixes = doc["fixes"].as_array().unwrap();
    let n = fixes.len();
    assert_eq!(n, 4);
    let builds = doc["summary"]["verification_builds"].as_u64().unwrap() as usize;
    assert!(builds <= bound(n), "{builds} builds for n={n}");
    for f in fixes {
        let id = f["id"].as_u64().unwrap();
        if id == 3 {
            assert_eq!(f["status"], "dropped");
            assert!(f["reason"].as_str().unwrap().contains("bisection"), "{}", f["reason"]);
        } else {
            assert_eq!(f["status"], "verified", "fix {id}: {}", f["reason"]);
        }
    }
}

#[test]
fn one_bad_fix_among_many_is_found_in_logarithmic_builds() {
    let doc = diff_json("fmt-sprintf", "17");
    let fixes = doc["fixes"].as_array().unwrap();
    let n = fixes.len();
    assert!(n >= 30, "expected the fmt-sprintf fixture to have many fixes, got {n}");
    let builds = doc["summary"]["verification_builds"].as_u64().unwrap() as usize;
    assert!(builds <= bound(n), "{builds} builds for n={n} (bound {})", bound(n));
    let dropped: Vec<u64> = fixes
        .iter()
        .filter(|f| f["reason"].as_str().is_some_and(|r| r.contains("bisection")))
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    assert_eq!(dropped, vec![17]);
}

#[test]
fn without_faults_one_build_verifies_every_fix() {
    let doc = diff_json("demo", "");
    assert_eq!(doc["summary"]["verification_builds"], 1);
    assert!(doc["fixes"].as_array().unwrap().iter().all(|f| f["status"] == "verified"));
}

/// fixtures/suspects: one fix out of eight (kind.go's String fallback) makes its caller's call escape
/// under a new name. The new escape's file and the function it names point at that fix, so one build
/// with it alone convicts it: main build + that build + the final build of the other seven, where plain
/// bisection would spend 1 + log2(8) + 1 = 5.
#[test]
fn a_new_escape_elsewhere_convicts_the_fix_it_names_in_one_build() {
    let doc = diff_json("suspects", "");
    let fixes = doc["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 8, "{doc:#}");
    let dropped: Vec<_> = fixes.iter().filter(|f| f["status"] != "verified").collect();
    assert_eq!(dropped.len(), 1, "{doc:#}");
    assert_eq!(dropped[0]["file"], "kind.go");
    assert_eq!(dropped[0]["code"], "new-escape-elsewhere", "{}", dropped[0]);
    assert_eq!(doc["summary"]["verification_builds"], 3, "{:#}", doc["summary"]);
}
