//! The command line as scripts see it: report, --json, --verbose, --all, exit codes, one-line errors,
//! rule selection, and --diff's promise to write nothing. Every test runs the built binary against a
//! scratch copy of a fixture with the real Go toolchain; expectations come from the fixtures' own
//! documentation (their READMEs and comments), never from a recording of stackify's output.

mod common;
use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const RULE: &str = "fmt-sprintf";

/// The demo README's fixable sites: `demo.go` lines of the four fmt-sprintf fixes.
const DEMO_FIX_LINES: [u64; 4] = [56, 62, 68, 74];

/// SHA-256 of every file under `dir` (relative path → digest), `.git` excluded.
fn hashes(dir: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_name() == ".git" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                walk(root, &p, out);
            } else {
                let digest = Sha256::digest(std::fs::read(&p).unwrap());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), hex);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or_else(|| panic!("killed by a signal: {}", stderr(o)))
}

/// Exit 2, nothing on stdout, and stderr opening with `stackify: error: `. Returns the first line.
fn assert_error(o: &std::process::Output) -> String {
    assert_eq!(code(o), 2, "want exit 2\nstdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
    assert!(stdout(o).is_empty(), "an error prints nothing on stdout, got:\n{}", stdout(o));
    let err = stderr(o);
    let first = err.lines().next().unwrap_or_default().to_string();
    assert!(first.starts_with("stackify: error: "), "stderr must open with `stackify: error: `:\n{err}");
    first
}

/// The error is one line: nothing else on stderr.
fn assert_one_line(o: &std::process::Output) {
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "the reason must fit on one line:\n{err}");
}

fn fmt_fixes(doc: &Value) -> Vec<&Value> {
    doc["fixes"].as_array().unwrap().iter().filter(|f| f["rule"] == RULE).collect()
}

// ---------------------------------------------------------------- report

#[test]
fn report_lists_the_demo_fixable_sites_with_their_fix_titles() {
    let dir = fixture("demo");
    let o = stackify(dir.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    // The titles are the tool's own; ask for them in JSON and find each in the text report.
    let doc = json(&stackify(dir.path(), &["--json"]));
    let fixes = fmt_fixes(&doc);
    let mut lines: Vec<u64> = fixes.iter().map(|f| f["line"].as_u64().unwrap()).collect();
    lines.sort();
    assert_eq!(lines, DEMO_FIX_LINES, "the demo README lists four fmt-sprintf sites");
    for f in &fixes {
        assert_eq!(f["file"], "demo.go");
        let title = f["title"].as_str().unwrap();
        assert!(title.starts_with("fmt.Sprint"), "a fix title names the call it rewrites: {title}");
        assert!(text.contains(title), "report does not show fix title {title:?}:\n{text}");
    }
    // Each fixed finding is shown at its line:column under its file.
    for f in doc["findings"].as_array().unwrap().iter().filter(|f| f["fix"].is_u64()) {
        let at = format!("{}:{}", f["line"], f["column"]);
        assert!(text.contains(&at), "fixable finding {at} missing from the report:\n{text}");
    }
    assert!(text.contains("demo.go"));
}

#[test]
fn report_shows_the_declined_stringer_case_with_its_reason() {
    let dir = fixture("demo");
    let o = stackify(dir.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    // demo.go:80 `fmt.Sprintf("%v", level)`: Level has a String method.
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("80:"))
        .unwrap_or_else(|| panic!("no demo.go:80 in:\n{text}"));
    let block: String = text.lines().skip(line).take(4).collect::<Vec<_>>().join("\n");
    assert!(block.contains("declined"), "the Stringer site must say the rule declined it:\n{block}");
    assert!(block.contains("String"), "the decline must give the String method as the reason:\n{block}");
    let doc = json(&stackify(dir.path(), &["--json"]));
    assert!(!fmt_fixes(&doc).iter().any(|f| f["line"] == 80), "no fix may target the Stringer site");
    let declined = doc["declined"].as_array().unwrap();
    assert!(
        declined.iter().any(|d| d["rule"] == RULE && d["file"] == "demo.go" && d["line"] == 80),
        "JSON `declined` must list demo.go:80: {declined:#?}"
    );
}

#[test]
fn report_hides_free_findings_unless_all() {
    let dir = fixture("demo");
    let doc = json(&stackify(dir.path(), &["--json"]));
    // Leaking params cost nothing in the function that reports them; the demo has several.
    let leaking: Vec<&Value> =
        doc["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "leaking-param").collect();
    assert!(!leaking.is_empty());
    assert!(leaking.iter().all(|f| f["cost"] == "none-here"));
    let plain = stdout(&stackify(dir.path(), &[]));
    let all = stdout(&stackify(dir.path(), &["--all"]));
    assert!(!plain.contains("leaking param: "), "free findings must be hidden without --all:\n{plain}");
    assert!(all.contains("leaking param: "), "--all must list free findings:\n{all}");
    for f in &leaking {
        let at = format!("{}:{}", f["line"], f["column"]);
        assert!(all.contains(&at), "--all is missing {at}");
    }
    // Inlined copies are hidden without --all too (the fix belongs in the callee).
    let inlined: Vec<&Value> =
        doc["findings"].as_array().unwrap().iter().filter(|f| f["origin"] == "inlined").collect();
    assert!(!inlined.is_empty());
    assert!(all.lines().count() > plain.lines().count());
}

#[test]
fn json_report_has_the_documented_schema_and_consistent_summary() {
    let dir = fixture("demo");
    let o = stackify(dir.path(), &["--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = json(&o);
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["mode"], "report");
    assert!(doc["go"].as_str().unwrap().starts_with("go"), "go version: {}", doc["go"]);
    let findings = doc["findings"].as_array().unwrap();
    let fixes = doc["fixes"].as_array().unwrap();
    let declined = doc["declined"].as_array().unwrap();
    assert!(!findings.is_empty());
    let mut ids = std::collections::BTreeSet::new();
    for f in findings {
        for key in ["id", "line", "column"] {
            assert!(f[key].is_u64(), "finding.{key} must be a number: {f}");
        }
        for key in
            ["file", "kind", "cause", "cost", "origin", "message", "subject", "package", "display", "source_subject"]
        {
            assert!(f[key].is_string(), "finding.{key} must be a string: {f}");
        }
        assert!(f["why"].is_array(), "finding.why must be an array: {f}");
        assert!(matches!(f["origin"].as_str().unwrap(), "native" | "inlined" | "foreign"), "{f}");
        assert!(f["line"].as_u64().unwrap() >= 1 && f["column"].as_u64().unwrap() >= 1, "{f}");
        assert!(ids.insert(f["id"].as_u64().unwrap()), "duplicate finding id: {f}");
        // Files are shown relative to the module, and exist there.
        let file = f["file"].as_str().unwrap();
        if f["origin"] != "foreign" {
            assert!(dir.path().join(file).is_file(), "finding file {file} is not in the module");
        }
    }
    assert!(!fixes.is_empty());
    for x in fixes {
        assert_eq!(x["status"], "candidate", "report mode does not verify: {x}");
        assert!(x["title"].is_string() && x["rule"].is_string() && x["edits"].is_array(), "{x}");
        for t in x["targets"].as_array().unwrap() {
            let target =
                findings.iter().find(|f| f["id"] == *t).unwrap_or_else(|| panic!("fix targets unknown finding {t}"));
            assert_eq!(target["fix"], x["id"], "the targeted finding must point back at its fix");
        }
    }
    // Besides reportable findings, `findings` lists the `does not escape` findings a fix or decline
    // names (so every id resolves); the summary counts reportable findings only.
    let referenced: std::collections::BTreeSet<u64> = fixes
        .iter()
        .flat_map(|x| x["targets"].as_array().unwrap())
        .chain(declined.iter().flat_map(|d| d["findings"].as_array().unwrap()))
        .filter_map(Value::as_u64)
        .collect();
    for f in findings.iter().filter(|f| f["kind"] == "does-not-escape") {
        assert!(
            referenced.contains(&f["id"].as_u64().unwrap()),
            "a does-not-escape finding is listed only when named: {f}"
        );
    }
    let findings: Vec<&Value> = findings.iter().filter(|f| f["kind"] != "does-not-escape").collect();
    let s = &doc["summary"];
    let n = findings.len() as u64;
    assert_eq!(s["findings"], n);
    let sum = |key: &str| s[key].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("by_kind"), n, "by_kind must add up to the findings");
    assert_eq!(sum("by_cost"), n, "by_cost must add up to the findings");
    assert_eq!(sum("by_cause"), n, "by_cause must add up to the findings");
    for (key, origin) in [("native", "native"), ("inlined", "inlined"), ("foreign", "foreign")] {
        let count = findings.iter().filter(|f| f["origin"] == origin).count() as u64;
        assert_eq!(s[key], count, "summary.{key}");
    }
    for (kind, count) in s["by_kind"].as_object().unwrap() {
        assert_eq!(
            findings.iter().filter(|f| f["kind"] == kind.as_str()).count() as u64,
            count.as_u64().unwrap(),
            "by_kind.{kind}"
        );
    }
    assert_eq!(s["fixes_candidate"], fixes.len() as u64);
    assert_eq!(s["fixes_verified"], 0);
    assert_eq!(s["declined"], declined.len() as u64);
    let targets: usize = fixes.iter().map(|x| x["targets"].as_array().unwrap().len()).sum();
    assert_eq!(s["fixable"], targets as u64);
    assert_eq!(s["packages"], 2, "demo and demo/internal/store");
    assert_eq!(s["files_written"].as_array().unwrap().len(), 0);
}

#[test]
fn verbose_report_shows_the_compilers_flow() {
    let dir = fixture("demo");
    let plain = stdout(&stackify(dir.path(), &[]));
    let o = stackify(dir.path(), &["--verbose"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    let flows: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("flow:")).collect();
    assert!(!flows.is_empty(), "--verbose must show flow lines:\n{text}");
    assert!(!plain.lines().any(|l| l.trim_start().starts_with("flow:")), "flows only with --verbose");
    // The flow of demo.go:62 (`fmt.Sprintf("%d", n)`) goes through the call's ... argument.
    assert!(flows.iter().any(|l| l.contains("... argument")), "{flows:#?}");
}

#[test]
fn escaping_string_concatenation_is_never_free() {
    for name in ["demo", "inlined", "vendored"] {
        let dir = fixture(name);
        let doc = json(&stackify(dir.path(), &["--json"]));
        for f in doc["findings"].as_array().unwrap() {
            let subject = f["subject"].as_str().unwrap();
            if f["kind"] == "escapes-to-heap" && subject.contains(" + ") {
                assert_ne!(
                    f["cost"], "free",
                    "{name}: `{subject}` concatenates at run time and escapes, so it allocates: {f}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- exit codes and errors

#[test]
fn diff_with_verified_fixes_exits_1_with_a_unified_diff_on_stdout() {
    let dir = fixture("demo");
    let o = stackify(dir.path(), &["--diff"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let diff = stdout(&o);
    assert!(
        diff.starts_with("diff --git a/demo.go b/demo.go\n--- a/demo.go\n+++ b/demo.go\n@@ "),
        "not a unified diff:\n{diff}"
    );
    for l in diff.lines() {
        assert!(
            l.starts_with("diff --git ")
                || l.starts_with("--- ")
                || l.starts_with("+++ ")
                || l.starts_with("@@ ")
                || l.starts_with(' ')
                || l.starts_with('+')
                || l.starts_with('-')
                || l.is_empty(),
            "unexpected line in a unified diff: {l:?}"
        );
    }
    assert!(diff.lines().any(|l| l.starts_with("-\t") && l.contains("fmt.Sprintf(")));
    assert!(diff.lines().any(|l| l == "+\t\"strconv\""), "the diff adds the strconv import:\n{diff}");
    assert!(!diff.contains('\x1b'), "no colour when stdout is not a terminal");
}

#[test]
fn diff_without_fixes_exits_0_with_empty_stdout() {
    let dir = fixture("fmt-sprintf");
    let o = stackify(dir.path(), &["--rule", RULE, "--diff", "./keep/..."]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "no fix: nothing on stdout");
}

#[test]
fn not_a_go_module_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.go"), "package x\n").unwrap();
    let o = stackify(dir.path(), &[]);
    let first = assert_error(&o);
    assert!(first.contains("not a Go module"), "{first}");
    assert_one_line(&o);
}

#[test]
fn pattern_matching_nothing_is_an_error() {
    let dir = fixture("demo");
    for pattern in ["./nope/...", "stackify.test/demo/nope/..."] {
        let o = stackify(dir.path(), &[pattern]);
        let first = assert_error(&o);
        assert!(first.contains(pattern), "the error must name the pattern {pattern}: {first}");
    }
    // A directory that exists but holds no Go package.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let o = stackify(dir.path(), &["./empty/..."]);
    let first = assert_error(&o);
    assert!(first.contains("./empty/...") && first.contains("no packages"), "{first}");
    assert_one_line(&o);
}

#[test]
fn missing_directory_pattern_error_is_one_line_saying_it_matches_nothing() {
    let dir = fixture("demo");
    let o = stackify(dir.path(), &["./nope/..."]);
    let first = assert_error(&o);
    assert_one_line(&o);
    assert!(!first.contains("does not build"), "nothing failed to build; the pattern matched nothing: {first}");
    assert!(first.contains("./nope/...") && (first.contains("no packages") || first.contains("no such")), "{first}");
}

#[test]
fn missing_go_binary_is_an_error() {
    let dir = fixture("demo");
    let o = stackify(dir.path(), &["--go", "/nonexistent/go"]);
    let first = assert_error(&o);
    assert!(first.contains("/nonexistent/go"), "the error names the path tried: {first}");
    assert_one_line(&o);
}

#[test]
fn unknown_rule_is_an_error() {
    let dir = fixture("demo");
    for flag in ["--rule", "--skip-rule"] {
        let o = stackify(dir.path(), &[flag, "no-such-rule", "--diff"]);
        let first = assert_error(&o);
        assert!(first.contains("no-such-rule") && first.contains(RULE), "names the bad id and the known ones: {first}");
        assert_one_line(&o);
    }
}

#[test]
fn module_whose_only_package_does_not_build_is_an_error_with_the_compilers_message() {
    let dir = fixture("notbuilding");
    let before = hashes(dir.path());
    for args in [&[][..], &["--json"], &["--diff"], &["--apply", "--allow-no-vcs"]] {
        let o = stackify(dir.path(), args);
        let first = assert_error(&o);
        assert!(first.contains("stackify.test/notbuilding"), "{args:?}: names the package: {first}");
        let err = stderr(&o);
        // The compiler's own words (fixtures/notbuilding/README.md).
        assert!(
            err.contains("nb.go:12:1") && err.contains("syntax error: unexpected }"),
            "{args:?}: compiler message missing:\n{err}"
        );
    }
    assert_eq!(hashes(dir.path()), before, "nothing may be written");
}

// ---------------------------------------------------------------- rule selection

#[test]
fn list_rules_lists_fmt_sprintf() {
    let o = Command::new(env!("CARGO_BIN_EXE_stackify")).arg("--list-rules").env("NO_COLOR", "1").output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(RULE))
        .unwrap_or_else(|| panic!("no {RULE} in:\n{text}"));
    assert!(line.len() > RULE.len() + 5, "each rule comes with a summary: {line:?}");
    // --list-rules needs no module and no toolchain.
    let o = Command::new(env!("CARGO_BIN_EXE_stackify"))
        .args(["--list-rules", "--go", "/nonexistent/go", "-C", "/"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn skip_rule_leaves_nothing_to_diff() {
    // The fmt-sprintf fixture holds fmt calls, and `Format` methods whose `f.Write([]byte(...))`
    // write-string rewrites: with both rules skipped there is nothing to fix.
    let dir = fixture("fmt-sprintf");
    let o = stackify(dir.path(), &["--skip-rule", RULE, "--skip-rule", "write-string", "--diff"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "no diff when the only applicable rule is skipped");
    let doc = json(&stackify(dir.path(), &["--skip-rule", RULE, "--json"]));
    assert!(fmt_fixes(&doc).is_empty(), "a skipped rule proposes nothing");
    assert!(
        doc["declined"].as_array().unwrap().iter().all(|d| d["rule"] != RULE),
        "a skipped rule declines nothing either"
    );
}

#[test]
fn rule_flag_limits_fixes_to_that_rule() {
    let dir = fixture("demo");
    let doc = json(&stackify(dir.path(), &["--rule", RULE, "--json"]));
    let fixes = doc["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), DEMO_FIX_LINES.len());
    assert!(fixes.iter().all(|f| f["rule"] == RULE));
}

// ---------------------------------------------------------------- --diff writes nothing

#[test]
fn diff_writes_nothing() {
    for name in ["demo", "fmt-sprintf", "crlf", "syntax-error"] {
        let dir = fixture(name);
        git_init(dir.path());
        let before = hashes(dir.path());
        let o = stackify(dir.path(), &["--diff"]);
        assert_eq!(code(&o), 1, "{name}: {}", stderr(&o));
        assert_eq!(hashes(dir.path()), before, "{name}: --diff changed, added or removed a file");
        let status =
            Command::new("git").args(["status", "--porcelain", "--ignored"]).current_dir(dir.path()).output().unwrap();
        assert_eq!(stdout(&status), "", "{name}: git sees changes after --diff");
    }
}

#[test]
fn git_apply_of_the_diff_equals_apply() {
    for name in ["demo", "fmt-sprintf", "crlf", "generated", "inlined"] {
        let by_diff = fixture(name);
        let by_apply = fixture(name);
        git_init(by_diff.path());
        git_init(by_apply.path());
        let d = stackify(by_diff.path(), &["--diff"]);
        assert_eq!(code(&d), 1, "{name}: {}", stderr(&d));
        let patch = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(patch.path(), &d.stdout).unwrap();
        let g = Command::new("git").arg("apply").arg(patch.path()).current_dir(by_diff.path()).output().unwrap();
        assert!(g.status.success(), "{name}: git apply refused stackify's diff: {}\n{}", stderr(&g), stdout(&d));
        let a = stackify(by_apply.path(), &["--apply"]);
        assert_eq!(code(&a), 0, "{name}: {}", stderr(&a));
        let (x, y) = (hashes(by_diff.path()), hashes(by_apply.path()));
        assert_eq!(x, y, "{name}: `git apply` of --diff and --apply wrote different bytes");
        assert_ne!(x, hashes(&repo().join("fixtures").join(name)), "{name}: something must have changed");
    }
}

#[test]
fn explain_prints_cause_cost_flow_and_the_rules_verdict_for_one_line() {
    let dir = fixture("demo");
    // Counter's n is captured by a closure that writes it: inherent, closure-param declines.
    let out = stackify(dir.path(), &["--explain", "demo.go:131"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("demo.go:131:2: moved to heap: n"), "{text}");
    assert!(text.contains("cause:  captured by reference by a closure"), "{text}");
    assert!(text.contains("cost:   allocates"), "{text}");
    assert!(text.contains("flow (go build -gcflags=-m=2):") && text.contains("(captured by a closure)"), "{text}");
    assert!(text.contains("closure-param declined:"), "{text}");
    // The remedy stays, and the rule's decline follows it (issue 14: a decline no longer replaces it).
    let (try_at, declined_at) = (text.find("try:").expect(&text), text.find("closure-param declined:").unwrap());
    assert!(try_at < declined_at, "the remedy comes first, then the decline: {text}");
    // A fixable line names its fix.
    let text = stdout(&stackify(dir.path(), &["--explain", "demo.go:62"]));
    assert!(text.contains("fix:") && text.contains("strconv.Itoa(n)"), "{text}");
    // A line without findings is an error that says so.
    let out = stackify(dir.path(), &["--explain", "demo.go:1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no escape findings on demo.go:1"), "{}", stderr(&out));
}

#[test]
fn json_output_is_the_same_on_every_run() {
    // The second run replays the compiler's output from the build cache, which prints packages in
    // another order; findings, fixes and declines must not depend on it.
    let dir = fixture("fmt-sprintf");
    // Costs differ by design (a warm run loads the cached analysis: fewer go invocations, no
    // type-checking); results must not.
    let strip = |mut v: serde_json::Value| {
        v["summary"]["elapsed_ms"] = serde_json::Value::Null;
        v["summary"]["timings"] = serde_json::Value::Null;
        v["summary"]["go_invocations"] = serde_json::Value::Null;
        v
    };
    let first = strip(json(&stackify(dir.path(), &["--json"])));
    for _ in 0..2 {
        let again = strip(json(&stackify(dir.path(), &["--json"])));
        assert_eq!(first, again);
    }
}

/// The fields of a `--json` document meant for people: where the compiler's internal names must not
/// appear. (`message`, `subject`, `function`, `inlined_from` and `why` keep the compiler's words.)
fn display_fields(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let strings = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            _ => vec![],
        }
    };
    for f in doc["findings"].as_array().unwrap() {
        for key in ["display", "source_subject", "source_function", "source_inlined_from", "declined"] {
            out.extend(strings(&f[key]));
        }
    }
    for x in doc["fixes"].as_array().unwrap() {
        for key in ["removed", "added", "title"] {
            out.extend(strings(&x[key]));
        }
    }
    for d in doc["declined"].as_array().unwrap() {
        out.extend(strings(&d["reason"]));
    }
    out.extend(strings(&doc["summary"]["also_removed"]));
    out
}

/// `~r0`, `~R1`: the compiler's names for results.
fn has_result_temp(s: &str) -> bool {
    s.match_indices('~').any(|(i, _)| {
        let b = s.as_bytes();
        matches!(b.get(i + 1), Some(b'r' | b'R')) && b.get(i + 2).is_some_and(u8::is_ascii_digit)
    })
}

fn assert_source_words(what: &str, texts: &[String]) {
    for t in texts {
        assert!(!t.contains("go.shape"), "{what} shows a shape name: {t}");
        assert!(!has_result_temp(t), "{what} shows a compiler result name: {t}");
    }
}

#[test]
fn generic_code_is_reported_with_the_sources_type_parameter_names() {
    // fixtures/generic/README.md: the compiler says `NewFreeListG[go.shape.interface { ... }]`.
    let dir = fixture("generic");
    let doc = json(&stackify(dir.path(), &["--json"]));
    let findings = doc["findings"].as_array().unwrap();
    // The compiler's words stay in `message`, `subject` and `function`...
    assert!(findings.iter().any(|f| f["message"].as_str().unwrap().contains("go.shape.interface")), "{doc:#}");
    let make = findings
        .iter()
        .find(|f| f["line"] == 20 && f["column"] == 37)
        .unwrap_or_else(|| panic!("generic.go:20:37 make(...) must be reported: {doc:#}"));
    assert!(make["subject"].as_str().unwrap().starts_with("make([]*node[go.shape."), "{make}");
    assert!(make["function"].as_str().unwrap().starts_with("NewFreeListG[go.shape."), "{make}");
    // ...and the source's are next to them.
    assert_eq!(make["source_subject"], "make([]*node[T], 0, size)");
    assert_eq!(make["display"], "make([]*node[T], 0, size) escapes to heap");
    assert_eq!(make["source_function"], "NewFreeListG[T]");
    let new_node = findings.iter().find(|f| f["line"] == 26 && f["column"] == 10).unwrap();
    assert_eq!(new_node["source_subject"], "&node[T]{}");
    assert_eq!(new_node["source_function"], "(*FreeListG[T]).newNode");
    // Inlined into Use: the callee is named as the source declares it.
    let in_use = findings.iter().find(|f| f["line"] == 42 && f["origin"] == "inlined").unwrap();
    assert_eq!(in_use["source_inlined_from"], serde_json::json!(["(*FreeListG[T]).newNode"]));
    assert_source_words("--json", &display_fields(&doc));

    let all = stdout(&stackify(dir.path(), &["--all", "--verbose"]));
    assert!(all.contains("make([]*node[T], 0, size) escapes to heap  in NewFreeListG[T]"), "{all}");
    assert!(all.contains("inlined from (*FreeListG[T]).newNode"), "{all}");
    assert_source_words("the text report", &all.lines().map(str::to_string).collect::<Vec<_>>());
}

#[test]
fn results_of_inlined_calls_are_shown_as_the_call_in_the_source() {
    // fixtures/inlined-result/README.md: `~r0 escapes to heap` is `n.Alignment.String()`.
    let dir = fixture("inlined-result");
    let report = stackify(dir.path(), &["--all", "--verbose"]);
    assert_eq!(code(&report), 0, "{}", stderr(&report));
    let all = stdout(&report);
    assert!(all.contains("23:45    n.Alignment.String() escapes to heap"), "{all}");
    assert!(all.contains("base + \"?page=\" + page(i) + \"&x=1\" escapes to heap"), "{all}");
    assert!(all.contains("base + \"?page=\" + page(i) escapes to heap  in Keep"), "{all}");
    assert_source_words("the text report", &all.lines().map(str::to_string).collect::<Vec<_>>());

    let o = stackify(dir.path(), &["--json", "--diff"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let doc = json(&o);
    let describe = doc["findings"].as_array().unwrap().iter().find(|f| f["line"] == 23).unwrap();
    assert_eq!(describe["subject"], "~r0", "the compiler's subject stays in `subject`");
    assert_eq!(describe["source_subject"], "n.Alignment.String()");
    // Issue 13: the `~r0` operand is linked back to the call at its column, so fmt-sprintf fixes it
    // (it used to neither fix nor decline it) and the fix targets that finding.
    let fix = doc["fixes"].as_array().unwrap().iter().find(|x| x["line"] == 23).expect("a fix for Describe");
    assert_eq!(fix["status"], "verified", "{fix}");
    assert_eq!(fix["rule"], "fmt-sprintf");
    assert!(fix["targets"].as_array().unwrap().contains(&describe["id"]), "{fix}");
    assert_eq!(fix["edits"][0]["new_text"], "n.Alignment.String()", "{fix}");
    // Link's fix: the target boxed page(i)'s result and the concatenation adds one with it.
    let link = doc["fixes"].as_array().unwrap().iter().find(|x| x["line"] == 49).unwrap();
    assert_eq!(link["status"], "verified", "{link}");
    let removed: Vec<&str> = link["removed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(removed.contains(&"page(i) escapes to heap (inl.go:49:45)"), "{removed:?}");
    let added: Vec<&str> = link["added"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(added.iter().any(|a| a.starts_with("base + \"?page=\" + page(i) escapes to heap")), "{added:?}");
    assert_source_words("--json --diff", &display_fields(&doc));
}

#[test]
fn findings_gone_outside_the_fixes_are_explained_as_a_side_effect() {
    // fixtures/inlined-result: Greet's rewrite stops `name` leaking; the declaration's line is not edited.
    let dir = fixture("inlined-result");
    let o = stackify(dir.path(), &["--diff"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("also removed, as a side effect of the fixes above: leaking param: name (inl.go:53:12)"),
        "{err}"
    );
    assert!(!err.contains("also gone"), "the old wording read as internal state:\n{err}");
    // After the fixes it is a side effect of.
    let side = err.find("also removed").unwrap();
    assert!(err.find("verified inl.go:54").is_some_and(|v| v < side), "{err}");
    let doc = json(&stackify(dir.path(), &["--json", "--diff"]));
    let also: Vec<&str> =
        doc["summary"]["also_removed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(also.contains(&"leaking param: name (inl.go:53:12)"), "{also:?}");
}

/// `stackify ... | head`: a reader that goes away ends the output quietly (no panic, no error) and
/// the exit code is still the run's own. The read end is closed before stackify writes anything.
#[test]
fn a_closed_pipe_ends_the_output_quietly_with_the_runs_exit_code() {
    let dir = fixture("demo");
    for (args, want) in [(&["--diff"][..], 1), (&["--json", "--diff"][..], 1), (&["--json"][..], 0), (&[][..], 0)] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stackify"))
            .arg("-C")
            .arg(dir.path())
            .args(args)
            .env("STACKIFY_CACHE_DIR", common::cache_dir())
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked") && !err.contains("error"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(want), "{args:?}: {err}");
    }
}
