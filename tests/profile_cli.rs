//! `--profile`, `--profile-bench`, `--min-share`, `--hide-cold` through the real binary. Profiles are
//! made here from fixtures/profile's benchmarks (in another copy of the module, so matching is by
//! module-relative path), never written by hand.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A heap profile of fixtures/profile's benchmarks, made in its own copy of the module.
fn heap_profile() -> &'static Path {
    static MADE: OnceLock<(tempfile::TempDir, tempfile::TempDir, PathBuf)> = OnceLock::new();
    &MADE
        .get_or_init(|| {
            let copy = fixture("profile");
            let out = tempfile::tempdir().unwrap();
            let mem = out.path().join("mem.out");
            let o = go(
                copy.path(),
                &[
                    "test",
                    "-run=^$",
                    "-bench=.",
                    "-benchtime=2000x",
                    "-memprofilerate=1",
                    &format!("-memprofile={}", mem.display()),
                    &format!("-o={}", out.path().join("p.test").display()),
                    ".",
                ],
            );
            assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
            (copy, out, mem)
        })
        .2
}

fn schema_problems(doc: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("schema/stackify-report.schema.json")).unwrap();
    let v = jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap();
    let mut out: Vec<String> = v.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    let ids: BTreeSet<u64> = doc["findings"].as_array().unwrap().iter().filter_map(|f| f["id"].as_u64()).collect();
    if ids.len() != doc["findings"].as_array().unwrap().len() {
        out.push("duplicate finding ids".into());
    }
    for fx in doc["fixes"].as_array().unwrap() {
        for t in fx["targets"].as_array().unwrap() {
            if !ids.contains(&t.as_u64().unwrap()) {
                out.push(format!("fix {} targets {t}, not in findings", fx["id"]));
            }
        }
    }
    out
}

fn share(v: &Value) -> f64 {
    v["profile"]["share"].as_f64().unwrap_or_else(|| panic!("no profile share in {v}"))
}

#[test]
fn profile_gives_every_finding_its_measured_cost() {
    let dir = fixture("profile");
    let mem = heap_profile().to_str().unwrap();
    // Without prealloc-map, whose fix would own the map growth at `Index`'s store (its only line
    // without a finding), so that a site without a finding stays to be listed.
    let o = stackify(dir.path(), &["--json", "--profile", mem, "--skip-rule", "prealloc-map"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = json(&o);
    assert!(schema_problems(&doc).is_empty(), "{:?}", schema_problems(&doc));
    let p = &doc["summary"]["profile"];
    assert_eq!(p["files"][0].as_str().unwrap(), mem, "{p}");
    assert!(p["total_alloc_space"].as_i64().unwrap() > 0, "{p}");
    assert!(p["matched_share"].as_f64().unwrap() > 0.0, "{p}");
    // Report mode: over the candidate fixes.
    assert!(p["fixed_share"].as_f64().unwrap() > 0.0, "{p}");
    assert_eq!(p["stale"], false);
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["profile"]["alloc_space"].is_i64()), "a finding without profile");
    assert!(findings.iter().any(|f| share(f) > 0.0));
    // Lines that allocate with no finding (or only "does not escape").
    let sites: Vec<&Value> = findings.iter().filter(|f| f["kind"] == "profile-only").collect();
    assert!(!sites.is_empty(), "no profile-only finding");
    for s in &sites {
        assert_eq!(s["cost"], "allocates");
        assert!(s["profile"]["alloc_space"].as_i64().unwrap() > 0);
        assert!(!s["cause_text"].as_str().unwrap().is_empty());
    }
    assert!(doc["fixes"].as_array().unwrap().iter().all(|f| f["profile"]["share"].is_f64()));
}

#[test]
fn text_report_ranks_hottest_first_across_files() {
    let dir = fixture("profile");
    // Without prealloc-map: its fix would own the map growth, the fixture's only line without a finding.
    let o = stackify(dir.path(), &["--profile", heap_profile().to_str().unwrap(), "--skip-rule", "prealloc-map"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    let costly = text.split("Allocates, no automatic fix").nth(1).expect(&text);
    let costly = costly.split("\n\n").next().unwrap();
    // Each finding line ends with `— 1.9 MB (17%)`: the percentages never rise.
    let shares: Vec<f64> = costly
        .lines()
        .filter_map(|l| l.rsplit_once(" — ").map(|(_, c)| c))
        .filter_map(|c| {
            c.rsplit_once('(').and_then(|(_, p)| p.trim_end_matches(')').trim_end_matches('%').parse().ok())
        })
        .collect();
    assert!(shares.len() >= 3, "{costly}");
    assert!(shares.windows(2).all(|w| w[0] >= w[1]), "not hottest first: {shares:?}\n{costly}");
    assert!(text.contains("profile: "), "{text}");
    assert!(text.contains("no escape finding (measured)"), "{text}");
}

#[test]
fn profile_bench_leaves_the_module_alone_and_joins() {
    let dir = fixture("profile");
    let before = common::goldens::snapshot(dir.path());
    let o = stackify(dir.path(), &["--json", "--profile-bench", "."]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(common::goldens::snapshot(dir.path()), before, "--profile-bench wrote into the module");
    let doc = json(&o);
    assert!(schema_problems(&doc).is_empty(), "{:?}", schema_problems(&doc));
    let files = doc["summary"]["profile"]["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f.as_str().unwrap().starts_with("--profile-bench")), "{files:?}");
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.iter().any(|f| share(f) > 0.0));
    // A CPU profile rides along.
    assert!(findings.iter().any(|f| f["cpu_share"].as_f64().is_some_and(|c| c > 0.0)));
}

#[test]
fn min_share_withdraws_cold_fixes_and_needs_a_profile() {
    let dir = fixture("profile");
    let mem = heap_profile().to_str().unwrap();
    let o = stackify(dir.path(), &["--json", "--profile", mem, "--min-share", "10%"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = json(&o);
    assert!(schema_problems(&doc).is_empty(), "{:?}", schema_problems(&doc));
    let below = doc["summary"]["profile"]["below_min_share"].as_array().unwrap();
    assert!(!below.is_empty(), "{doc}");
    assert!(below.iter().all(|b| b["share"].as_f64().unwrap() < 0.1));
    let fixes = doc["fixes"].as_array().unwrap();
    assert!(!fixes.is_empty());
    assert!(fixes.iter().all(|f| share(f) >= 0.1), "{fixes:?}");

    let o = stackify(dir.path(), &["--min-share", "5"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("needs a profile"), "{}", stderr(&o));
}

#[test]
fn bad_profiles_are_named() {
    let dir = fixture("profile");
    let missing = dir.path().join("nope.pprof");
    let o = stackify(dir.path(), &["--profile", missing.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("nope.pprof"), "{}", stderr(&o));

    let junk = dir.path().join("junk.out");
    std::fs::write(&junk, "not a profile at all").unwrap();
    let o = stackify(dir.path(), &["--profile", junk.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("junk.out"), "{}", stderr(&o));
}

#[test]
fn a_profile_of_another_module_warns_and_the_run_goes_on() {
    let dir = fixture("cold");
    let o = stackify(dir.path(), &["--json", "--profile", heap_profile().to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("warning"), "{}", stderr(&o));
    let doc = json(&o);
    assert!(!doc["summary"]["profile"]["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn without_a_profile_cold_code_ranks_last_and_hides() {
    let dir = fixture("cold");
    let o = stackify(dir.path(), &["--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = json(&o);
    assert!(schema_problems(&doc).is_empty(), "{:?}", schema_problems(&doc));
    let colds: BTreeSet<&str> = doc["findings"].as_array().unwrap().iter().filter_map(|f| f["cold"].as_str()).collect();
    assert_eq!(colds, BTreeSet::from(["error-path", "init", "panic", "stringer"]));
    // The hot fix (Parse's return) first, the cold ones after it.
    let fixes = doc["fixes"].as_array().unwrap();
    assert!(fixes[0]["cold"].is_null(), "{}", fixes[0]);
    assert!(fixes[1..].iter().all(|f| !f["cold"].is_null()), "{fixes:?}");

    let text = stdout(&stackify(dir.path(), &[]));
    assert!(text.contains("cold: error path"), "{text}");
    let hidden = stdout(&stackify(dir.path(), &["--hide-cold"]));
    assert!(!hidden.contains("cold: "), "{hidden}");
    assert!(hidden.contains("judged cold"), "{hidden}");
    assert!(hidden.contains("Fixable (1)"), "{hidden}");
}

#[test]
fn bench_evidence_is_structured() {
    let dir = fixture("profile");
    let o = stackify(dir.path(), &["--diff", "--json", "--bench", "--profile", heap_profile().to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let doc = json(&o);
    assert!(schema_problems(&doc).is_empty(), "{:?}", schema_problems(&doc));
    let verified: Vec<&Value> = doc["fixes"].as_array().unwrap().iter().filter(|f| f["status"] == "verified").collect();
    assert!(!verified.is_empty());
    for f in verified {
        let m = f["measured"].as_array().unwrap_or_else(|| panic!("no measured in {f}"));
        assert!(!m.is_empty());
        for b in m {
            assert!(b["benchmark"].as_str().unwrap().starts_with("Benchmark"), "{b}");
            assert!(b["allocs_op_after"].as_u64().unwrap() <= b["allocs_op_before"].as_u64().unwrap(), "{b}");
            assert!(b["bytes_op_before"].is_u64(), "{b}");
        }
    }
    // --diff: the share on the verified fixes' lines.
    assert!(doc["summary"]["profile"]["fixed_share"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_main_packages_default_pgo_is_used_unasked() {
    let dir = fixture("profile");
    let app = dir.path().join("cmd/app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("main.go"),
        "package main\n\nimport hot \"stackify.test/profile\"\n\nfunc main() { println(hot.Key([]byte(\"k\"))) }\n",
    )
    .unwrap();
    // A CPU profile of the module's benchmarks, as PGO would have collected it.
    let out = tempfile::tempdir().unwrap();
    let o = go(
        dir.path(),
        &[
            "test",
            "-run=^$",
            "-bench=.",
            "-benchtime=2000x",
            &format!("-cpuprofile={}", app.join("default.pgo").display()),
            &format!("-o={}", out.path().join("p.test").display()),
            ".",
        ],
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = stackify(dir.path(), &["--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("cmd/app/default.pgo"), "{}", stderr(&o));
    let doc = json(&o);
    assert!(schema_problems(&doc).is_empty(), "{:?}", schema_problems(&doc));
    let files = doc["summary"]["profile"]["files"].as_array().unwrap();
    assert_eq!(files, &vec![Value::from("cmd/app/default.pgo")], "{files:?}");
}

/// Code review sees what the profile measured: SARIF (valid 2.1.0) ranks results by their share of
/// allocated bytes, carries bytes and share in properties and the profile summary on the run, and
/// turns lines that allocate with no escape finding into results; GitHub annotations come hottest
/// first and say how much each line allocated.
#[test]
fn sarif_and_github_carry_the_measured_cost() {
    let dir = fixture("profile");
    let p = heap_profile().to_str().unwrap();
    // Without prealloc-map, whose fix would own the map growth at `Index`'s store (the fixture's
    // only line that allocates without a finding).
    let o = stackify(dir.path(), &["--format", "sarif", "--profile", p, "--skip-rule", "prealloc-map"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("tests/data/sarif-schema-2.1.0.json")).unwrap())
            .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = v.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let run = &doc["runs"][0];
    assert!(run["properties"]["profile"]["total_alloc_space"].as_i64().unwrap() > 0, "{:#}", run["properties"]);
    let results = run["results"].as_array().unwrap();
    let hottest = results.iter().max_by(|a, b| a["rank"].as_f64().partial_cmp(&b["rank"].as_f64()).unwrap()).unwrap();
    assert!(hottest["rank"].as_f64().unwrap() > 10.0, "{hottest:#}");
    assert!(hottest["properties"]["alloc_space"].as_i64().unwrap() > 0, "{hottest:#}");
    assert!(hottest["message"]["text"].as_str().unwrap().contains("of allocated bytes"), "{hottest:#}");
    // Index's map grows as it fills: the profile shows it, -m has no escape for the store.
    let site = results
        .iter()
        .find(|r| r["ruleId"].as_str().unwrap().starts_with("allocates/"))
        .unwrap_or_else(|| panic!("no profile-only site among {results:#?}"));
    assert!(site["properties"]["alloc_space"].as_i64().unwrap() > 0, "{site:#}");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules[site["ruleIndex"].as_u64().unwrap() as usize]["id"], site["ruleId"]);

    let o = stackify(dir.path(), &["--format", "github", "--profile", p, "--skip-rule", "prealloc-map"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    let measured: Vec<f64> = lines
        .iter()
        .filter(|l| !l.contains("allocates at run time"))
        .map(|l| {
            let words = l.split("%0Ameasured: ").nth(1).map_or("", |w| w.split("%0A").next().unwrap());
            // `416.2 kB (4.9%25)`: the share in percent.
            words.split('(').nth(1).and_then(|s| s.split('%').next()).and_then(|s| s.parse().ok()).unwrap_or(0.0)
        })
        .collect();
    assert!(measured[0] > 10.0, "the hottest finding comes first: {lines:#?}");
    assert!(measured.windows(2).all(|w| w[0] >= w[1]), "hottest first: {measured:?}");
    assert!(lines.iter().any(|l| l.starts_with("::warning") && l.contains("allocates at run time")), "{lines:#?}");
}

/// A warm run with the same profile reuses its join (the cache key is the analysis, the profile's
/// bytes and its path): the report is the same as the fresh one; and a different profile written to
/// the same path is joined anew, never answered from the old one's entry.
#[test]
fn the_join_is_cached_by_profile_content_and_never_reused_for_another() {
    let dir = fixture("profile");
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("mem.out");
    std::fs::copy(heap_profile(), &path).unwrap();
    let p = path.to_str().unwrap();
    let report = |what: &str| {
        let o = stackify(dir.path(), &["--json", "--profile", p]);
        assert_eq!(code(&o), 0, "{what}: {}", stderr(&o));
        let mut doc = json(&o);
        for k in ["timings", "elapsed_ms", "go_invocations"] {
            doc["summary"].as_object_mut().unwrap().remove(k);
        }
        doc
    };
    let fresh = report("fresh");
    let warm = report("warm");
    assert_eq!(warm, fresh, "a cached join must report what the fresh one did");
    assert!(fresh["summary"]["profile"]["matched_share"].as_f64().unwrap() > 0.0);

    // Another program's profile at the same path: none of its samples is in this module.
    let demo = fixture("demo");
    let o = go(demo.path(), &["test", "-run=.", "-memprofilerate=1", &format!("-memprofile={p}"), "."]);
    assert!(o.status.success(), "{}", stderr(&o));
    let other = report("another profile");
    assert_eq!(other["summary"]["profile"]["matched_share"], 0.0, "{:#}", other["summary"]["profile"]);
    assert!(!other["summary"]["profile"]["warnings"].as_array().unwrap().is_empty());
}
