//! The `--json` contract: every fixture's `--json` and `--diff --json` document validates against
//! schema/stackify-report.schema.json, and every finding id it names (fixes[].targets,
//! declined[].findings, findings[].fix) resolves to an entry of `findings` / `fixes`.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("schema/stackify-report.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// Every problem with one document, as lines (empty: valid and referentially whole).
fn problems(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    let mut out: Vec<String> = v.iter_errors(doc).map(|e| format!("schema: {} at {}", e, e.instance_path())).collect();
    let ids: BTreeSet<u64> =
        doc["findings"].as_array().into_iter().flatten().filter_map(|f| f["id"].as_u64()).collect();
    let fix_ids: BTreeSet<u64> =
        doc["fixes"].as_array().into_iter().flatten().filter_map(|f| f["id"].as_u64()).collect();
    for fx in doc["fixes"].as_array().into_iter().flatten() {
        for t in fx["targets"].as_array().into_iter().flatten() {
            if !ids.contains(&t.as_u64().unwrap()) {
                out.push(format!("fix #{} targets finding {t}, not in findings", fx["id"]));
            }
        }
    }
    for d in doc["declined"].as_array().into_iter().flatten() {
        for t in d["findings"].as_array().into_iter().flatten() {
            if !ids.contains(&t.as_u64().unwrap()) {
                out.push(format!(
                    "decline {}:{} [{}] names finding {t}, not in findings",
                    d["file"], d["line"], d["rule"]
                ));
            }
        }
    }
    for f in doc["findings"].as_array().into_iter().flatten() {
        if let Some(fx) = f["fix"].as_u64() {
            // a finding's fix is one of the candidates (report) or of the shown fixes (diff)
            if doc["mode"] == "report" && !fix_ids.contains(&fx) {
                out.push(format!("finding {} names fix {fx}, not in fixes", f["id"]));
            }
        }
    }
    // No returned pointer or map is called boxing (issue 14).
    for f in doc["findings"].as_array().into_iter().flatten() {
        let s = f["subject"].as_str().unwrap_or_default();
        let pointer =
            s.starts_with('&') || s.starts_with("new(") || s.starts_with("map[") || s.starts_with("make(map[");
        if pointer && f["cause"] == "interface-conversion" {
            out.push(format!("finding {} ({s}) is a pointer-shaped allocation labelled boxing", f["id"]));
        }
    }
    out
}

fn fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("fixtures"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("go.mod").exists() || e.path().join("go.work").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_fixtures_json_matches_the_schema_and_every_id_resolves() {
    let v = schema();
    let names = fixtures();
    assert!(names.len() >= 20, "fixtures found: {names:?}");
    let mut checked = 0;
    let mut failures = Vec::new();
    for name in &names {
        let dir = fixture(name);
        for args in [&["--json"][..], &["--diff", "--json"][..]] {
            let o = stackify(dir.path(), args);
            if code(&o) == 2 {
                // A module that does not build or parse is an error, with nothing on stdout.
                assert!(stdout(&o).is_empty(), "{name} {args:?}: an error prints no JSON");
                continue;
            }
            let doc = json(&o);
            checked += 1;
            for p in problems(&v, &doc) {
                failures.push(format!("{name} {args:?}: {p}"));
            }
        }
    }
    assert!(checked >= 30, "only {checked} documents checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_schema_rejects_a_document_with_an_unknown_cost() {
    let v = schema();
    let dir = fixture("causes");
    let mut doc = json(&stackify(dir.path(), &["--json"]));
    assert!(problems(&v, &doc).is_empty(), "{:?}", problems(&v, &doc));
    doc["findings"][0]["cost"] = Value::from("cheap");
    assert!(!v.is_valid(&doc));
    // and a dangling reference is caught
    let mut doc2 = json(&stackify(dir.path(), &["--json"]));
    doc2["declined"][0]["findings"] = serde_json::json!([999_999]);
    assert!(problems(&v, &doc2).iter().any(|p| p.contains("999999")));
}
