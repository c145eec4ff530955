//! Decline reasons from `stackify --json`: a rule that leaves a site alone must say why, and the
//! tests pin the trap each reason names (rules/<id>.md, Preconditions).

use super::{apply, assert_go_ok, code, fixture, json, read, repo, stackify, stderr};
use serde_json::Value;

/// `stackify --json --rule <rule> ./keep/...` on a fresh copy of fixtures/<name> (returned too, for
/// reading keep/'s sources): the rule must fix nothing in keep/.
pub fn keep_report(name: &str, rule: &str) -> (tempfile::TempDir, Value) {
    let dir = fixture(name);
    let doc = json(&stackify(dir.path(), &["--json", "--rule", rule, "./keep/..."]));
    assert_no_fixes(&doc, "no fix in keep/");
    (dir, doc)
}

/// The report proposes no fix at all.
pub fn assert_no_fixes(doc: &Value, what: &str) {
    assert!(doc["fixes"].as_array().unwrap().is_empty(), "{what}: {:#?}", doc["fixes"]);
}

/// The `reason` of every entry of the report's `declined` list (each must have one).
pub fn decline_reasons(doc: &Value) -> Vec<String> {
    doc["declined"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap().to_string()).collect()
}

/// Each needle is a substring of at least one reason.
pub fn assert_reasons_mention(reasons: &[String], needles: &[&str]) {
    for needle in needles {
        assert!(reasons.iter().any(|r| r.contains(needle)), "no decline reason contains {needle:?}: {reasons:#?}");
    }
}

/// Every finding `is_site` selects has a decline reason longer than `min_len` bytes (a stated
/// reason, not a placeholder). Returns how many sites there were, for the caller's lower bound.
pub fn assert_sites_declined(doc: &Value, min_len: usize, is_site: impl Fn(&Value) -> bool) -> usize {
    let mut sites = 0;
    for f in doc["findings"].as_array().unwrap().iter().filter(|f| is_site(f)) {
        sites += 1;
        let at = format!("{}:{}", f["file"].as_str().unwrap_or("?"), f["line"]);
        let reason = f["declined"].as_str().unwrap_or_else(|| panic!("{at} has no decline reason: {f}"));
        assert!(reason.len() > min_len, "{at}: reason too short: {reason:?}");
    }
    sites
}

/// fixtures/<name>/<sub> is a module whose `go` directive predates what the rule needs: the rule
/// fixes nothing there, some decline reason satisfies `says` (one reason, so several facts can be
/// required together), and `--apply` leaves `<sub>/<file>` as the repository has it and the module
/// still builds, vets and passes its tests.
pub fn assert_old_module_declined(name: &str, sub: &str, file: &str, rule: &str, says: impl Fn(&str) -> bool) {
    let dir = fixture(name);
    let sub_dir = dir.path().join(sub);
    let doc = json(&stackify(&sub_dir, &["--json", "--rule", rule]));
    assert_no_fixes(&doc, "no fix in an old module");
    let reasons = decline_reasons(&doc);
    assert!(reasons.iter().any(|r| says(r)), "{reasons:#?}");
    let o = apply(&sub_dir, &[rule]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(read(&sub_dir, file), read(&repo().join("fixtures").join(name).join(sub), file));
    assert_go_ok(&sub_dir, "./...");
}
