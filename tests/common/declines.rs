//! Declines from `stackify --json`: a rule that leaves a site alone must say why, and the tests pin
//! the trap each decline names by its stable code (rules/README.md, "Decline codes"), not by its
//! wording.

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

/// The `code` of every entry of the report's `declined` list (each must have one).
pub fn decline_codes(doc: &Value) -> Vec<String> {
    doc["declined"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()).collect()
}

/// Each code is given for at least one declined site.
pub fn assert_codes_include(doc: &Value, codes: &[&str]) {
    let given = decline_codes(doc);
    for code in codes {
        assert!(given.iter().any(|c| c == code), "no decline has code {code:?}: {:#}", doc["declined"]);
    }
}

/// fixtures/<name>/<sub> is a module whose `go` directive predates what the rule needs: the rule
/// fixes nothing there, some decline has code `want` and a reason that satisfies `says` (the reason must
/// name the versions, so the user knows what to change), and `--apply` leaves `<sub>/<file>` as
/// the repository has it and the module still builds, vets and passes its tests.
pub fn assert_old_module_declined(
    name: &str,
    sub: &str,
    file: &str,
    rule: &str,
    want: &str,
    says: impl Fn(&str) -> bool,
) {
    let dir = fixture(name);
    let sub_dir = dir.path().join(sub);
    let doc = json(&stackify(&sub_dir, &["--json", "--rule", rule]));
    assert_no_fixes(&doc, "no fix in an old module");
    let declined = doc["declined"].as_array().unwrap();
    assert!(
        declined.iter().any(|d| d["code"] == want && says(d["reason"].as_str().unwrap())),
        "no {want} decline with the expected reason: {declined:#?}"
    );
    let o = apply(&sub_dir, &[rule]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(read(&sub_dir, file), read(&repo().join("fixtures").join(name).join(sub), file));
    assert_go_ok(&sub_dir, "./...");
}
