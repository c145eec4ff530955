//! Scripted-migration features on real modules: go.work workspaces, cgo files, --tests,
//! stackify.toml and //stackify:ignore. Every test applies to a scratch copy and then lets the real
//! toolchain judge the result.

mod common;
use common::*;

fn fixes_by_status(doc: &serde_json::Value, status: &str) -> Vec<String> {
    doc["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == status)
        .map(|f| format!("{}:{}", f["file"].as_str().unwrap(), f["line"]))
        .collect()
}

#[test]
fn workspace_root_analyses_every_module_and_fixes_both() {
    let dir = fixture("workspace");
    let out = stackify(dir.path(), &["--apply", "--allow-no-vcs", "--json", "--rule", "fmt-sprintf"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("does not build"), "no bogus broken packages: {}", stderr(&out));
    let doc = json(&out);
    assert_eq!(fixes_by_status(&doc, "verified"), vec!["api/api.go:8", "tool/tool.go:12"]);
    assert!(doc["broken_packages"].as_array().unwrap().is_empty());
    assert!(read(dir.path(), "api/api.go").contains("\"id-\" + strconv.Itoa(n)"));
    assert!(read(dir.path(), "tool/tool.go").contains("name + \":\" + api.ID(n)"));
    // tool.go lost its only fmt use: the import is gone and the group stays gofmt-clean.
    assert!(!read(dir.path(), "tool/tool.go").contains("\"fmt\""));
    assert_gofmt_clean(dir.path(), &[]);
    for args in [vec!["vet", "./api/...", "./tool/..."], vec!["test", "-count=1", "./api/...", "./tool/..."]] {
        let o = go(dir.path(), &args);
        assert!(o.status.success(), "go {args:?}: {}{}", stdout(&o), stderr(&o));
    }
}

#[test]
fn cgo_findings_point_at_the_go_file_and_the_preamble_stays_attached() {
    let dir = fixture("cgo");
    let report = json(&stackify(dir.path(), &["--json", "--rule", "fmt-sprintf"]));
    // The site in Label is native in cgo.go, not in a generated cgo file.
    let native: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["origin"] == "native" && f["kind"] == "escapes-to-heap")
        .collect();
    assert!(native.iter().any(|f| f["file"] == "cgo.go" && f["line"] == 20), "{native:#?}");
    // A value computed from C has no type the checker can see: declined, not guessed.
    let declined = report["declined"].as_array().unwrap();
    assert!(declined.iter().any(|d| d["line"] == 15), "{declined:#?}");

    let out = stackify(dir.path(), &["--apply", "--allow-no-vcs", "--rule", "fmt-sprintf"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = read(dir.path(), "cgo.go");
    assert!(
        text.contains("// static int twice(int x) { return 2 * x; }\nimport \"C\"\n"),
        "preamble detached:\n{text}"
    );
    assert!(text.contains("return \"n=\" + strconv.Itoa(n)"));
    assert!(text.contains("return fmt.Sprintf(\"%d\", v)"), "the C-typed site must stay");
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn test_files_are_fixed_only_with_tests_flag() {
    let dir = fixture("withtests");
    let without = json(&stackify(dir.path(), &["--diff", "--json"]));
    assert!(fixes_by_status(&without, "verified").is_empty());
    // Without --tests the test variants are not even compiled: no finding comes from a _test.go file.
    assert!(without["findings"].as_array().unwrap().iter().all(|f| !f["file"].as_str().unwrap().ends_with("_test.go")));

    let out = stackify(dir.path(), &["--apply", "--allow-no-vcs", "--tests", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fixes_by_status(&json(&out), "verified"), vec!["lib_test.go:10"]);
    assert!(read(dir.path(), "lib_test.go").contains("return \"case-\" + strconv.Itoa(n)"));
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn config_skips_paths_and_ignore_comments_suppress_with_their_reason() {
    let dir = fixture("config");
    let legacy_before = read(dir.path(), "legacy/legacy.go");
    let out = stackify(dir.path(), &["--apply", "--allow-no-vcs", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(fixes_by_status(&doc, "verified"), vec!["config.go:8", "config.go:24"]);
    let reasons: Vec<&str> =
        doc["declined"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("//stackify:ignore") && r.contains("kept for a log-format test")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("//stackify:ignore") && r.contains("hot path is not hot")),
        "{reasons:?}"
    );
    assert_eq!(read(dir.path(), "legacy/legacy.go"), legacy_before, "paths.skip must keep legacy/ untouched");
    assert_eq!(doc["summary"]["skipped_files"]["config"], 1);
    let text = read(dir.path(), "config.go");
    assert!(text.contains("return fmt.Sprintf(\"%d\", n) //stackify:ignore fmt-sprintf"));
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn config_errors_name_the_file_and_the_problem() {
    let dir = fixture("config");
    std::fs::write(dir.path().join("stackify.toml"), "[rules]\nenable = [\"no-such-rule\"]\n").unwrap();
    let out = stackify(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("stackify.toml") && err.contains("no-such-rule"), "{err}");
    std::fs::write(dir.path().join("stackify.toml"), "[rules\n").unwrap();
    let err = stderr(&stackify(dir.path(), &[]));
    assert!(err.contains("stackify.toml"), "{err}");
}

#[test]
fn build_tags_pass_through_to_the_compiler() {
    let dir = fixture("buildtags");
    // Without the tag, special.go is not compiled: no finding, nothing to fix.
    let plain = json(&stackify(dir.path(), &["--diff", "--json"]));
    assert!(fixes_by_status(&plain, "verified").is_empty());
    assert!(plain["findings"].as_array().unwrap().iter().all(|f| f["file"] != "special.go"));
    // With it, the site is found, verified with the same tag, written, and the tagged tests pass.
    let out = stackify(dir.path(), &["--apply", "--allow-no-vcs", "--tags", "special", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fixes_by_status(&json(&out), "verified"), vec!["special.go:9"]);
    assert!(read(dir.path(), "special.go").contains("return \"special-\" + strconv.Itoa(n)"));
    for args in [vec!["vet", "-tags", "special", "./..."], vec!["test", "-count=1", "-tags", "special", "./..."]] {
        let o = go(dir.path(), &args);
        assert!(o.status.success(), "go {args:?}: {}{}", stdout(&o), stderr(&o));
    }
}
