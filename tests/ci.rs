//! CI and code review (issue 12): `--format sarif` (validated against the SARIF 2.1.0 schema in
//! tests/data/), `--format github` annotations, the `//stackify:noalloc` guard of `--check`, and the
//! baseline ratchet. Real toolchain, scratch copies of the fixtures; expectations come from the
//! fixtures' documentation (fixtures/noalloc/README.md, fixtures/demo comments).

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn sarif(o: &std::process::Output) -> Value {
    let doc = json(o);
    let schema: Value = serde_json::from_str(&read(&repo(), "tests/data/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0:\n{}", errors.join("\n"));
    doc
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().unwrap()
}

/// The result at `file:line` with `rule_id`.
fn result_at<'a>(doc: &'a Value, file: &str, line: u64, rule_id: &str) -> &'a Value {
    results(doc)
        .iter()
        .find(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            loc["artifactLocation"]["uri"] == file && loc["region"]["startLine"] == line && r["ruleId"] == rule_id
        })
        .unwrap_or_else(|| panic!("no {rule_id} result at {file}:{line} in {:#}", doc["runs"][0]["results"]))
}

fn rule_ids(dir: &Path) -> Vec<String> {
    let o = stackify(dir, &["--list-rules"]);
    stdout(&o).lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect()
}

// ---------------------------------------------------------------- sarif

#[test]
fn sarif_report_is_valid_and_names_rules_and_causes() {
    let dir = fixture("demo");
    git_init(dir.path());
    let o = stackify(dir.path(), &["--format", "sarif"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = sarif(&o);
    assert_eq!(doc["version"], "2.1.0");
    let driver = &doc["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "stackify");
    assert!(driver["version"].is_string() && driver["informationUri"].as_str().unwrap().starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in rule_ids(dir.path()) {
        let r = rules.iter().find(|r| r["id"] == id.as_str()).unwrap_or_else(|| panic!("rule {id} missing"));
        assert!(r["helpUri"].as_str().unwrap().ends_with(&format!("/rules/{id}.md")), "{r}");
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
    }
    for r in results(&doc) {
        let id = r["ruleId"].as_str().unwrap();
        assert!(ids.contains(&id), "ruleId {id} is not in rules[]");
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], id);
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains(':'), "uri must be repository-relative: {uri}");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
        assert!(r.get("fixes").is_none(), "a report proves nothing, so it offers no fix: {r}");
    }
    // demo.go: ItemKey's fmt.Sprintf is fixable (line 56); LevelTag's (line 80) must not be rewritten
    // and is reported under its cause; the store's sku (internal/store) likewise.
    let fixable = result_at(&doc, "demo.go", 56, "fmt-sprintf");
    assert_eq!(fixable["level"], "note", "boxing an int64 may allocate: note");
    result_at(&doc, "demo.go", 80, "interface-conversion");
    assert!(ids.contains(&"interface-conversion"));
    // Counter's n is captured by the returned closure: allocates every call, a warning.
    assert_eq!(result_at(&doc, "demo.go", 131, "closure-capture")["level"], "warning");
}

/// Apply one SARIF fix's replacements (whole-line regions, as stackify writes them) to `text`.
fn apply_fix(text: &str, fix: &Value) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let mut reps: Vec<&Value> = fix["artifactChanges"][0]["replacements"].as_array().unwrap().iter().collect();
    reps.sort_by_key(|r| std::cmp::Reverse(r["deletedRegion"]["startLine"].as_u64().unwrap()));
    for r in reps {
        let region = &r["deletedRegion"];
        assert_eq!((region["startColumn"].as_u64(), region["endColumn"].as_u64()), (Some(1), Some(1)), "{r}");
        let (s, e) =
            (region["startLine"].as_u64().unwrap() as usize - 1, region["endLine"].as_u64().unwrap() as usize - 1);
        lines.splice(s..e, [r["insertedContent"]["text"].as_str().unwrap().to_string()]);
    }
    lines.concat()
}

#[test]
fn sarif_with_diff_carries_the_verified_fixes_and_each_builds_alone() {
    let dir = fixture("demo");
    git_init(dir.path());
    let o = stackify(dir.path(), &["--diff", "--format", "sarif", "--rule", "fmt-sprintf"]);
    assert_eq!(code(&o), 1, "--diff keeps its exit code: 1 when a fix is pending\n{}", stderr(&o));
    let doc = sarif(&o);
    let r = result_at(&doc, "demo.go", 56, "fmt-sprintf");
    let fixes = r["fixes"].as_array().unwrap_or_else(|| panic!("no fixes on a verified fix's finding: {r}"));
    assert_eq!(fixes.len(), 1);
    let change = &fixes[0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "demo.go");
    let reps = change["replacements"].as_array().unwrap();
    assert!(reps.iter().any(|x| x["deletedRegion"]["startLine"] == 56
        && x["insertedContent"]["text"].as_str().unwrap().contains("\"item-\" + strconv.FormatInt(id, 10)")));
    // The fix brings the import it needs: applied alone, the package builds and its tests pass.
    let fixed = apply_fix(&read(dir.path(), "demo.go"), &fixes[0]);
    std::fs::write(dir.path().join("demo.go"), fixed).unwrap();
    assert_go_ok(dir.path(), "./...");
    // LevelTag's %v must not be rewritten: no fix there.
    assert!(result_at(&doc, "demo.go", 80, "interface-conversion").get("fixes").is_none());
}

// ---------------------------------------------------------------- github

#[test]
fn github_annotations_are_one_workflow_command_per_costly_finding() {
    let dir = fixture("noalloc");
    let o = stackify(dir.path(), &["--format", "github"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // remember's and Keep's own allocations; Track's is the inlined copy of remember's (not shown by
    // default, like the report), Sum allocates nothing.
    let want = [
        "::warning file=hot.go,line=12,col=34,title=stackify%3A stored-in-heap::&Point{...} escapes to heap in remember%0Astored in something that outlives the function (global, heap object, map)%0Atry: usually inherent; make the container local, or store values instead of pointers",
        "::warning file=hot.go,line=36,col=9,title=stackify%3A returned::&Point{...} escapes to heap in Keep%0Areturned: the object (or variable) its pointer refers to must outlive the function%0Atry: return a value instead of a pointer when callers only read it (unexported helpers)",
    ];
    assert_eq!(stdout(&o).lines().collect::<Vec<_>>(), want);
    // --all adds the inlined one at Track's call of remember.
    let all = stdout(&stackify(dir.path(), &["--format", "github", "--all"]));
    assert!(all.lines().any(|l| l.starts_with("::warning file=hot.go,line=19,col=10,")), "{all}");
}

#[test]
fn github_escapes_percent_in_messages() {
    let dir = fixture("demo");
    let o = stackify(dir.path(), &["--format", "github"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let line = out.lines().find(|l| l.contains("file=demo.go,line=56,")).unwrap_or_else(|| panic!("{out}"));
    // The fix title quotes fmt.Sprintf("item-%d", id): `%` is escaped, no raw newline splits the command.
    assert!(line.contains("\"item-%25d\""), "{line}");
    assert!(line.starts_with("::notice file=demo.go,line=56,col=32,title=stackify%3A fmt-sprintf::"), "{line}");
}

// ---------------------------------------------------------------- noalloc

#[test]
fn check_fails_on_a_noalloc_function_that_allocates_and_passes_once_it_does_not() {
    let dir = fixture("noalloc");
    let o = stackify(dir.path(), &["--check"]);
    assert_eq!(code(&o), 1, "{}\n{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("hot.go:19:10: Track is marked //stackify:noalloc but allocates: &Point{...} escapes to heap"),
        "{out}"
    );
    assert!(out.contains("inlined from: remember") && out.contains("flow: "), "the why: {out}");
    assert!(!out.contains("Sum is marked"), "Sum allocates nothing: {out}");
    assert!(!out.contains("Keep") && !out.contains(" remember is marked"), "only marked functions: {out}");

    let src = read(dir.path(), "hot.go").replace("\tremember(x, y)\n", "");
    std::fs::write(dir.path().join("hot.go"), src).unwrap();
    let o = stackify(dir.path(), &["--check"]);
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("check passed: 2 noalloc functions, 0 violations"), "{}", stdout(&o));
}

#[test]
fn sarif_marks_noalloc_violations_as_errors() {
    let dir = fixture("noalloc");
    let doc = sarif(&stackify(dir.path(), &["--format", "sarif"]));
    let r = result_at(&doc, "hot.go", 19, "stored-in-heap");
    assert_eq!(r["level"], "error", "{r}");
    assert!(r["message"]["text"].as_str().unwrap().contains("Track is marked //stackify:noalloc"), "{r}");
}

// ---------------------------------------------------------------- baseline

#[test]
fn baseline_passes_fresh_fails_on_a_new_escape_and_ignores_moved_lines() {
    let dir = fixture("demo");
    let base = dir.path().join("stackify-baseline.json");
    let base_s = base.to_str().unwrap();
    let o = stackify(dir.path(), &["--write-baseline", base_s]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let written = std::fs::read_to_string(&base).unwrap();
    assert!(!written.contains("\"line\""), "keys carry no line numbers:\n{written}");
    assert!(written.contains("\"function\": \"Counter\""), "{written}");
    // Deterministic: writing again gives the same bytes.
    stackify(dir.path(), &["--write-baseline", base_s]);
    assert_eq!(std::fs::read_to_string(&base).unwrap(), written);

    // 1. Fresh baseline: nothing new.
    let o = stackify(dir.path(), &["--check", "--baseline", base_s]);
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));

    // 2. A new escape: a variable whose address is returned moves to the heap.
    let original = read(dir.path(), "demo.go");
    let leak = "\n// Leak returns the address of its parameter.\nfunc Leak(n int) *int {\n\treturn &n\n}\n";
    std::fs::write(dir.path().join("demo.go"), format!("{original}{leak}")).unwrap();
    let o = stackify(dir.path(), &["--check", "--baseline", base_s]);
    assert_eq!(code(&o), 1, "{}\n{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("new finding in Leak (not in the baseline): moved to heap: n"), "{out}");
    assert_eq!(out.matches("new finding").count(), 1, "only Leak's is new: {out}");

    // 3. Moved lines: blank lines and comments above everything; nothing is new, nothing gone.
    let moved = original.replacen("package demo\n", "package demo\n\n// moved\n\n\n// further\n\n", 1);
    std::fs::write(dir.path().join("demo.go"), moved).unwrap();
    let o = stackify(dir.path(), &["--check", "--baseline", base_s]);
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    assert!(!stdout(&o).contains("gone from"), "{}", stdout(&o));
}

#[test]
fn baseline_counts_duplicates_and_lists_what_has_gone() {
    let dir = fixture("demo");
    let base = dir.path().join("b.json");
    let base_s = base.to_str().unwrap();
    assert_eq!(code(&stackify(dir.path(), &["--write-baseline", base_s])), 0);
    let original = read(dir.path(), "demo.go");
    // A second identical escape in the same function: same key, one more occurrence → new.
    let twice = original.replace(
        "func NewInventory(dir string) *Inventory {\n",
        "func NewInventory(dir string) *Inventory {\n\tif dir == \"\" {\n\t\treturn &Inventory{st: store.New(), dir: \".\"}\n\t}\n",
    );
    assert_ne!(twice, original);
    // Prefixer's closure goes away: its entries are gone.
    let gone = twice.replace("\tsep := \": \"\n\tprefix := func(line string) string { return tag + sep + line }\n\tif tag == \"\" {\n\t\tsep = \"\"\n\t}\n\treturn prefix\n", "\treturn nil\n");
    assert_ne!(gone, twice);
    std::fs::write(dir.path().join("demo.go"), &gone).unwrap();
    let o = stackify(dir.path(), &["--check", "--baseline", base_s]);
    let out = stdout(&o);
    assert!(out.contains("gone from stackify.test/demo in Prefixer: moved-to-heap: sep"), "{out}");
    assert!(out.contains("stackify --write-baseline"), "{out}");
    assert_eq!(code(&o), 1, "{out}");
    assert!(
        out.contains(
            "new finding in NewInventory (2 occurrences, the baseline has 1): &Inventory{...} escapes to heap"
        ),
        "{out}"
    );
}

// ---------------------------------------------------------------- bad input

#[test]
fn missing_or_corrupt_baseline_is_an_error_naming_the_file() {
    let dir = fixture("noalloc");
    let missing = dir.path().join("nope.json");
    let o = stackify(dir.path(), &["--check", "--baseline", missing.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).starts_with("stackify: error: cannot read the baseline ") && stderr(&o).contains("nope.json"));
    let corrupt = dir.path().join("corrupt.json");
    std::fs::write(&corrupt, "{ not json").unwrap();
    let o = stackify(dir.path(), &["--check", "--baseline", corrupt.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("corrupt.json") && stderr(&o).contains("is not a stackify baseline"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
}

#[test]
fn check_refuses_to_pass_a_package_that_does_not_build() {
    let dir = fixture("noalloc");
    std::fs::create_dir_all(dir.path().join("bad")).unwrap();
    std::fs::write(dir.path().join("bad/bad.go"), "package bad\n\nfunc F() {\n\tx := 1\n}\n").unwrap();
    let o = stackify(dir.path(), &["--check"]);
    assert_eq!(code(&o), 2, "{}\n{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("stackify.test/noalloc/bad") && stderr(&o).contains("cannot vouch"), "{}", stderr(&o));
}

#[test]
fn unknown_format_lists_the_known_ones() {
    let dir = fixture("noalloc");
    let o = stackify(dir.path(), &["--format", "xml"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("[possible values: text, json, sarif, github]"), "{}", stderr(&o));
    // --json is --format json.
    let a = json(&stackify(dir.path(), &["--json"]));
    let b = json(&stackify(dir.path(), &["--format", "json"]));
    assert_eq!(a["findings"], b["findings"]);
}
