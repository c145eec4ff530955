//! `--tests` verifies fixes in an external test package (`package p_test`) the way `go test` builds
//! it, by naming `p`; and a build that fails the same way without any fix stops the round instead of
//! bisecting good fixes away one build at a time (issue 13).

mod common;
use common::*;

/// `--tests --diff --json` for fmt-sprintf; exits 1 when verified fixes wait to be applied, else 0.
fn diff_json(dir: &std::path::Path, exit: i32) -> serde_json::Value {
    let out = stackify(dir, &["--tests", "--diff", "--json", "--rule", "fmt-sprintf"]);
    assert_eq!(code(&out), exit, "{}", stderr(&out));
    json(&out)
}

#[test]
fn fixes_in_an_external_test_package_verify_in_one_build() {
    let dir = fixture("xtest");
    let doc = diff_json(dir.path(), 1);
    let fixes = doc["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 2, "{fixes:#?}");
    for f in fixes {
        assert_eq!(f["file"], "example_test.go");
        assert_eq!(f["status"], "verified", "{}", f["reason"]);
        assert!(f.get("code").is_none(), "{f}");
    }
    assert_eq!(doc["summary"]["fixes_dropped"], 0);
    assert_eq!(doc["summary"]["verification_builds"], 1);
}

#[test]
fn a_build_that_fails_without_any_fix_stops_the_round() {
    let dir = fixture("xtest");
    // A dependent of the fixed package that never built: every verification build includes it.
    std::fs::create_dir(dir.path().join("broken")).unwrap();
    std::fs::write(
        dir.path().join("broken/broken.go"),
        "package broken\n\nimport \"stackify.test/xtest\"\n\nvar N int = xtest.Label(0)\n",
    )
    .unwrap();
    let doc = diff_json(dir.path(), 0);
    let fixes = doc["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 2, "{fixes:#?}");
    for f in fixes {
        assert_eq!(f["status"], "dropped");
        assert_eq!(f["code"], "build-fails-without-fixes", "{}", f["reason"]);
    }
    // The round's build and one without the fixes; no bisection.
    assert_eq!(doc["summary"]["verification_builds"], 2);
}
