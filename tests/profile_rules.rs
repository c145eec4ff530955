//! Rules driven by a measured profile (fixtures/profile-rules), through the real binary with a real
//! profile made by `--profile-bench` in a temp copy of the module: a filter loop's upper-bound
//! rewrite is proposed where the benchmarks measure the line hot, declined with how to opt in
//! elsewhere, declined for its real reason where the naive rewrite would change behaviour, and
//! written by `--apply` only where a benchmark shows fewer allocations; a map's growth, measured at
//! its `m[k] = v`, counts for the prealloc-map fix of its `make`.

mod common;

use common::*;
use serde_json::Value;

fn entry<'a>(doc: &'a Value, list: &str, file: &str, line: u64) -> Option<&'a Value> {
    doc[list].as_array().unwrap().iter().find(|e| e["file"] == file && e["line"] == line)
}

fn declined_code(doc: &Value, file: &str, line: u64) -> String {
    let d = entry(doc, "declined", file, line).unwrap_or_else(|| panic!("no decline at {file}:{line}: {doc:#}"));
    d["code"].as_str().unwrap().to_string()
}

#[test]
fn a_hot_filter_loop_is_proposed_and_the_others_say_why_not() {
    let dir = fixture("profile-rules");
    // Without a profile every filter loop declines, and the reason says how to opt in.
    let plain = json(&stackify(dir.path(), &["--json", "--rule", "prealloc-slice"]));
    for (file, line) in [("hot.go", 10), ("hot.go", 34), ("hot.go", 45), ("nobench/nobench.go", 9)] {
        assert_eq!(declined_code(&plain, file, line), "append-not-in-loop-body", "{file}:{line}");
        let reason = entry(&plain, "declined", file, line).unwrap()["reason"].as_str().unwrap().to_string();
        assert!(reason.contains("--prealloc-upper-bound") && reason.contains("filter_loops"), "{reason}");
    }
    assert!(entry(&plain, "fixes", "hot.go", 7).is_none(), "no upper bound without a profile or opt-in");

    // With the benchmarks' profile: Positives is hot and nil-blind, so it is proposed; NilOut is hot
    // but returns nil when nothing passes (TestNilOutKeepsNil fails under the naive rewrite); Rare
    // and nobench.Count run in no benchmark.
    let o =
        stackify(dir.path(), &["--profile-bench", ".", "--json", "--rule", "prealloc-slice", "--rule", "prealloc-map"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = json(&o);
    // Index's map grows at its store (line 56), not at the make the finding is on (54): the fix
    // carries the store's bytes, and the store is no longer a site without a finding.
    let index = entry(&doc, "fixes", "hot.go", 54).unwrap_or_else(|| panic!("Index not fixed: {doc:#}"));
    assert!(index["profile"]["share"].as_f64().unwrap() > 0.1, "{index:#}");
    assert!(
        !doc["findings"].as_array().unwrap().iter().any(|f| f["kind"] == "profile-only" && f["line"] == 56),
        "the store's bytes are the fix's"
    );
    let fix = entry(&doc, "fixes", "hot.go", 7).unwrap_or_else(|| panic!("Positives not proposed: {doc:#}"));
    assert!(fix["title"].as_str().unwrap().contains("upper bound"), "{fix:#}");
    assert!(fix["explanation"].as_str().unwrap().contains("filter loop"), "{fix:#}");
    assert!(fix["profile"]["share"].as_f64().unwrap() >= 0.01, "measured hot: {fix:#}");
    assert!(entry(&doc, "fixes", "hot.go", 22).is_some(), "Squares' plain growth is fixed as before");
    assert_eq!(declined_code(&doc, "hot.go", 34), "nil-vs-empty");
    assert_eq!(declined_code(&doc, "hot.go", 45), "append-not-in-loop-body");
    assert_eq!(declined_code(&doc, "nobench/nobench.go", 9), "append-not-in-loop-body");
    // The bytes of the two growing slices are on lines a fix changes.
    let fixed = doc["summary"]["profile"]["fixed_share"].as_f64().unwrap();
    assert!(fixed > 0.5, "fixed_share {fixed}");

    // A threshold above the line's share leaves it declined.
    let high = json(&stackify(
        dir.path(),
        &["--profile-bench", ".", "--json", "--rule", "prealloc-slice", "--min-share", "90"],
    ));
    assert_eq!(declined_code(&high, "hot.go", 10), "append-not-in-loop-body");
}

#[test]
fn apply_with_a_profile_writes_the_hot_filter_loop_only() {
    let dir = fixture("profile-rules");
    let before = read(dir.path(), "hot.go");
    let o = stackify(
        dir.path(),
        &["--profile-bench", ".", "--apply", "--allow-no-vcs", "--rule", "prealloc-slice", "--min-share", "1"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = read(dir.path(), "hot.go");
    assert_ne!(before, after);
    assert!(after.contains("pos := make([]int, 0, len(xs))"), "{after}");
    assert!(after.contains("\tvar out []int\n") && after.contains("\tvar odd []int\n"), "{after}");
    assert_eq!(
        read(dir.path(), "nobench/nobench.go"),
        read(&repo().join("fixtures/profile-rules"), "nobench/nobench.go")
    );
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn opted_in_upper_bounds_are_written_only_where_a_benchmark_reaches_them() {
    let pristine = repo().join("fixtures/profile-rules");
    // Opted in without a profile: the package without benchmarks cannot show fewer allocations.
    let dir = fixture("profile-rules");
    let o = stackify(
        dir.path(),
        &["--apply", "--allow-no-vcs", "--prealloc-upper-bound", "--rule", "prealloc-slice", "--json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = json(&o);
    let count = entry(&doc, "fixes", "nobench/nobench.go", 6).unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(count["status"], "dropped", "{count:#}");
    assert_eq!(count["code"], "unproven", "{count:#}");
    assert!(count["reason"].as_str().unwrap().contains("no benchmark reaches it"), "{count:#}");
    assert_eq!(read(dir.path(), "nobench/nobench.go"), read(&pristine, "nobench/nobench.go"));
    assert!(read(dir.path(), "hot.go").contains("pos := make([]int, 0, len(xs))"));
    assert_go_ok(dir.path(), "./...");

    // With the benchmarks' profile too: Rare's line has no sample, so no benchmark reaches it,
    // though its package's benchmark allocates less with the other fixes.
    let dir = fixture("profile-rules");
    let o = stackify(
        dir.path(),
        &[
            "--profile-bench",
            ".",
            "--apply",
            "--allow-no-vcs",
            "--prealloc-upper-bound",
            "--rule",
            "prealloc-slice",
            "--json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = json(&o);
    let rare = entry(&doc, "fixes", "hot.go", 42).unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(rare["code"], "unproven", "{rare:#}");
    let after = read(dir.path(), "hot.go");
    assert!(after.contains("\tvar odd []int\n") && after.contains("pos := make([]int, 0, len(xs))"), "{after}");
    assert_go_ok(dir.path(), "./...");
}

/// Issue 10, items 6 and 7: slice-to-array on a bounded variable-size make that `-m` calls "does not
/// escape" but the benchmarks' profile measures allocating; `--bench` credits each fix only with the
/// benchmarks whose samples reach its lines, each fix measured alone; `--apply --min-share` writes
/// the hot make and leaves the cold one.
#[test]
fn a_bounded_make_measured_hot_is_proven_by_the_benchmark_that_reaches_it() {
    let pristine = repo().join("fixtures/profile-rules");
    let dir = fixture("profile-rules");
    let args =
        ["--profile-bench", ".", "--diff", "--bench", "--json", "--rule", "slice-to-array", "--rule", "prealloc-slice"];
    let o = stackify(dir.path(), &args);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let doc = json(&o);
    let make = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "bounded.go" && f["line"] == 10)
        .unwrap_or_else(|| panic!("no finding on Checksum's make: {doc:#}"));
    assert_eq!(make["kind"], "does-not-escape", "{make:#}");
    assert!(make["profile"]["alloc_space"].as_i64().unwrap() > 0, "{make:#}");

    let benchmarks = |f: &Value| -> Vec<String> {
        f["measured"].as_array().map_or(vec![], |m| m.iter().map(|b| b["benchmark"].as_str().unwrap().into()).collect())
    };
    let hot = entry(&doc, "fixes", "bounded.go", 10).unwrap_or_else(|| panic!("Checksum not fixed: {doc:#}"));
    assert_eq!(hot["status"], "verified", "{hot:#}");
    assert_eq!(benchmarks(hot), ["BenchmarkBounded"], "only the benchmark whose samples reach it: {hot:#}");
    let m = &hot["measured"][0];
    assert!(m["allocs_op_after"].as_u64().unwrap() < m["allocs_op_before"].as_u64().unwrap(), "{m}");
    // Squares' prealloc, in the same package, is measured apart: by BenchmarkHot only.
    let squares = entry(&doc, "fixes", "hot.go", 22).unwrap_or_else(|| panic!("Squares not fixed: {doc:#}"));
    assert_eq!(benchmarks(squares), ["BenchmarkHot"], "{squares:#}");
    // No benchmark runs ColdChecksum: no measurement is credited to it.
    let cold = entry(&doc, "fixes", "bounded.go", 25).unwrap_or_else(|| panic!("ColdChecksum not proposed: {doc:#}"));
    assert!(benchmarks(cold).is_empty(), "{cold:#}");
    assert_eq!(cold["profile"]["alloc_space"], 0, "{cold:#}");
    assert!(cold["unproven"].as_str().unwrap().contains("no benchmark reaches it"), "{cold:#}");

    // Rewrite the hot sites only: any share above zero selects Checksum and leaves ColdChecksum.
    let o = stackify(
        dir.path(),
        &[
            "--profile-bench",
            ".",
            "--apply",
            "--allow-no-vcs",
            "--min-share",
            "0.01",
            "--rule",
            "slice-to-array",
            "--json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = read(dir.path(), "bounded.go");
    let before = read(&pristine, "bounded.go");
    assert_ne!(after, before);
    assert!(after.contains("var bufBuf [64]byte\n\tbuf := bufBuf[:n:n]\n\tcopy(buf, data)\n\ts := 0"), "{after}");
    assert_eq!(after.matches("bufBuf").count(), 2, "ColdChecksum stays as it was: {after}");
    assert_go_ok(dir.path(), "./...");
}

/// A run whose analysis comes from the cache has no export data for the imports; proposing a hot
/// filter loop again needs type facts. The second run must propose what a cold run proposes (it
/// declined `type-errors`, "could not import strings", on a file with imports).
#[test]
fn a_warm_run_proposes_the_hot_filter_loop_of_a_file_with_imports() {
    let dir = fixture("profile-rules");
    // Fill the analysis cache (no profile), then profile: the analysis is a cache hit.
    let o = stackify(dir.path(), &["--json", "--rule", "prealloc-slice"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(declined_code(&json(&o), "words.go", 12), "append-not-in-loop-body");
    let o = stackify(dir.path(), &["--profile-bench", ".", "--json", "--rule", "prealloc-slice"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = json(&o);
    let fix = entry(&doc, "fixes", "words.go", 9).unwrap_or_else(|| panic!("LongWords not proposed: {doc:#}"));
    assert!(fix["title"].as_str().unwrap().contains("upper bound"), "{fix:#}");
}
