//! `--apply` on real modules: what is written (verified fixes only, gofmt-clean, still building, vetting
//! and testing), what is refused (dirty files, no VCS), what is never touched (generated files,
//! vendor/, broken packages, inlined copies), and that nothing else in a file moves (CRLF, non-ASCII).
//! Expectations come from the fixtures' READMEs and comments, not from recorded stackify output.

mod common;
use common::goldens::snapshot;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RULE: &str = "fmt-sprintf";

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or_else(|| panic!("killed by a signal: {}", stderr(o)))
}

/// Relative paths whose bytes differ (or that appeared or vanished) between two snapshots.
fn changed(a: &BTreeMap<PathBuf, Vec<u8>>, b: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&PathBuf> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).map(|k| k.to_string_lossy().into_owned()).collect()
}

fn apply_ok(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["--apply", "--allow-no-vcs"];
    args.extend_from_slice(extra);
    let o = stackify(dir, &args);
    assert_eq!(code(&o), 0, "--apply {extra:?} failed in {}:\n{}", dir.display(), stderr(&o));
    o
}

fn report(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    json(&stackify(dir, &args))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    stdout(&o)
}

// ---------------------------------------------------------------- what is written

#[test]
fn apply_writes_verified_fixes_only() {
    let dir = fixture("demo");
    let doc = report(dir.path(), &["--rule", RULE]);
    let fixes = doc["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 4);
    // Make the verifier reject the Path fix (demo.go:68) through its test seam: a build that contains
    // that fix fails, so the fix is dropped and must not be written; the other three must be.
    let path_fix = fixes.iter().find(|f| f["line"] == 68).expect("the demo's Path fix at demo.go:68");
    let id = path_fix["id"].to_string();
    let before = read(dir.path(), "demo.go");
    let o = Command::new(env!("CARGO_BIN_EXE_stackify"))
        .arg("-C")
        .arg(dir.path())
        .args(["--apply", "--allow-no-vcs", "--json", "--rule", RULE])
        .env("STACKIFY_CACHE_DIR", cache_dir())
        .env("STACKIFY_TEST_FAULT", &id)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = json(&o);
    assert_eq!(out["mode"], "apply");
    assert_eq!(out["summary"]["fixes_verified"], 3);
    assert_eq!(out["summary"]["fixes_dropped"], 1);
    assert_eq!(out["summary"]["files_written"], serde_json::json!(["demo.go"]));
    let after = read(dir.path(), "demo.go");
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    let line = |text: &[&str], prefix: &str| -> String {
        text.iter().skip_while(|l| !l.starts_with(prefix)).nth(1).unwrap().to_string()
    };
    assert_eq!(line(&new, "func Path("), line(&old, "func Path("), "the dropped fix must not be written");
    for f in ["func ItemKey(", "func QtyLabel(", "func CountLabel("] {
        assert_ne!(line(&new, f), line(&old, f), "the verified fix in {f} must be written");
        assert!(!line(&new, f).contains("fmt."), "{f}: {}", line(&new, f));
    }
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn apply_output_is_gofmt_clean_and_builds_vets_and_tests() {
    let cases = [
        ("demo", "./..."),
        ("fmt-sprintf", "./..."),
        ("generated", "./..."),
        ("crlf", "./..."),
        ("inlined", "./..."),
        ("dirty", "./..."),
        ("vendored", "./..."),
        ("syntax-error", "./ok/..."),
    ];
    let check = |name: &str, pkgs: &str| {
        let dir = fixture(name);
        let allowed: &[&str] = if name == "crlf" { &["crlf.go"] } else { &[] };
        assert_gofmt_clean(dir.path(), allowed);
        let before = snapshot(dir.path());
        apply_ok(dir.path(), &[]);
        assert!(!changed(&before, &snapshot(dir.path())).is_empty(), "{name}: every fixture has a fixable site");
        assert_gofmt_clean(dir.path(), allowed);
        assert_go_ok(dir.path(), pkgs);
        let leftovers: Vec<String> = snapshot(dir.path())
            .keys()
            .map(|k| k.to_string_lossy().into_owned())
            .filter(|k| k.contains(".stackify-"))
            .collect();
        assert!(leftovers.is_empty(), "{name}: temp files left behind: {leftovers:?}");
    };
    // One fixture per thread; a failure names its fixture (the panic message is printed by the thread).
    let failed: Vec<&str> = std::thread::scope(|s| {
        let handles: Vec<_> = cases.iter().map(|(name, pkgs)| (*name, s.spawn(move || check(name, pkgs)))).collect();
        handles.into_iter().filter_map(|(name, h)| h.join().is_err().then_some(name)).collect()
    });
    assert!(failed.is_empty(), "--apply left these fixtures broken or unformatted: {failed:?} (messages above)");
}

#[test]
fn second_apply_changes_nothing_and_reports_zero_applied() {
    for name in ["demo", "fmt-sprintf", "crlf"] {
        let dir = fixture(name);
        apply_ok(dir.path(), &[]);
        let once = snapshot(dir.path());
        let o = apply_ok(dir.path(), &[]);
        assert_eq!(snapshot(dir.path()), once, "{name}: the second --apply changed files");
        let err = stderr(&o);
        assert!(err.contains("applied 0 fixes in 0 files"), "{name}: summary must report nothing applied:\n{err}");
        let out = json(&apply_ok(dir.path(), &["--json"]));
        assert_eq!(out["summary"]["fixes_verified"], 0, "{name}");
        assert_eq!(out["summary"]["files_written"].as_array().unwrap().len(), 0, "{name}");
        assert_eq!(snapshot(dir.path()), once, "{name}: the third --apply changed files");
    }
}

// ---------------------------------------------------------------- what is refused

#[test]
fn apply_refuses_a_file_with_uncommitted_changes_unless_allow_dirty() {
    let dir = fixture("dirty");
    git_init(dir.path());
    // Uncommitted work in the very file stackify would rewrite.
    let mut text = read(dir.path(), "dirty.go");
    text.push_str("\n// work in progress\n");
    std::fs::write(dir.path().join("dirty.go"), &text).unwrap();
    let before = snapshot(dir.path());
    let o = stackify(dir.path(), &["--apply"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.starts_with("stackify: error: "), "{err}");
    assert!(err.contains("dirty.go"), "the refusal must name the file:\n{err}");
    assert!(err.contains("--allow-dirty"), "the refusal must say how to override:\n{err}");
    assert_eq!(snapshot(dir.path()), before, "a refused --apply writes nothing");
    // --allow-no-vcs is not --allow-dirty.
    assert_eq!(code(&stackify(dir.path(), &["--apply", "--allow-no-vcs"])), 2);
    assert_eq!(snapshot(dir.path()), before);

    let o = stackify(dir.path(), &["--apply", "--allow-dirty"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = read(dir.path(), "dirty.go");
    assert!(after.ends_with("\n// work in progress\n"), "the user's uncommitted edit must survive:\n{after}");
    assert!(after.contains("return \"#\" + strconv.Itoa(n)"), "the fix must be written with --allow-dirty:\n{after}");
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn apply_is_not_blocked_by_uncommitted_changes_in_files_it_does_not_write() {
    let dir = fixture("dirty");
    git_init(dir.path());
    let mut test = read(dir.path(), "dirty_test.go");
    test.push_str("\n// a note in a file stackify has no fix for\n");
    std::fs::write(dir.path().join("dirty_test.go"), &test).unwrap();
    let o = stackify(dir.path(), &["--apply"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!read(dir.path(), "dirty.go").contains("return fmt.Sprintf"));
    assert_eq!(read(dir.path(), "dirty_test.go"), test);
    // The written file is now the only other change git sees.
    let status = git(dir.path(), &["status", "--porcelain"]);
    let mut names: Vec<&str> = status.lines().map(|l| l[3..].trim()).collect();
    names.sort();
    assert_eq!(names, ["dirty.go", "dirty_test.go"]);
}

#[test]
fn apply_refuses_outside_git_unless_allow_no_vcs() {
    let dir = fixture("dirty");
    let before = snapshot(dir.path());
    let o = stackify(dir.path(), &["--apply"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.starts_with("stackify: error: ") && err.contains("--allow-no-vcs"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one-line reason:\n{err}");
    assert_eq!(snapshot(dir.path()), before, "a refused --apply writes nothing");
    apply_ok(dir.path(), &[]);
    assert!(!read(dir.path(), "dirty.go").contains("return fmt.Sprintf"));
}

// ---------------------------------------------------------------- what is never touched

#[test]
fn apply_leaves_generated_files_alone_and_fixes_hand_written_ones() {
    let dir = fixture("generated");
    let gen = read(dir.path(), "gen.go");
    assert!(gen.starts_with("// Code generated") && gen.contains("fmt.Sprintf(\"%d\", i)"), "fixture premise");
    let doc = report(dir.path(), &["--rule", RULE]);
    assert!(
        doc["fixes"].as_array().unwrap().iter().all(|f| f["file"] != "gen.go"),
        "no fix may be proposed for a generated file: {:#?}",
        doc["fixes"]
    );
    let before = snapshot(dir.path());
    apply_ok(dir.path(), &["--rule", RULE]);
    assert_eq!(changed(&before, &snapshot(dir.path())), ["hand.go"]);
    assert_eq!(read(dir.path(), "gen.go"), gen);
    assert!(
        read(dir.path(), "hand.go").contains("return \"swatch-\" + strconv.Itoa(i)"),
        "{}",
        read(dir.path(), "hand.go")
    );
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn apply_never_rewrites_vendored_code_even_when_named() {
    let dir = fixture("vendored");
    let vendored = "vendor/example.test/dep/dep.go";
    let before = snapshot(dir.path());
    // Named explicitly, the vendored package is analysed (its findings are real) but not editable.
    let doc = report(dir.path(), &["example.test/dep"]);
    assert!(!doc["findings"].as_array().unwrap().is_empty(), "the vendored package has findings");
    assert!(doc["fixes"].as_array().unwrap().is_empty(), "no fix in vendor/: {:#?}", doc["fixes"]);
    let d = stackify(dir.path(), &["--diff", "example.test/dep"]);
    assert_eq!((code(&d), stdout(&d)), (0, String::new()), "{}", stderr(&d));
    apply_ok(dir.path(), &["./...", "example.test/dep"]);
    assert_eq!(changed(&before, &snapshot(dir.path())), ["app.go"]);
    let app = read(dir.path(), "app.go");
    assert!(app.contains("func Own(n int) string { return strconv.Itoa(n) }"), "{app}");
    assert!(app.contains("dep.Label(n)"), "the inlined call site is not a place to fix the callee:\n{app}");
    assert_go_ok(dir.path(), "./...");
    assert_eq!(before[Path::new(vendored)], std::fs::read(dir.path().join(vendored)).unwrap());
}

#[test]
fn apply_reports_a_broken_package_and_still_fixes_the_rest() {
    let dir = fixture("syntax-error");
    let broken = read(dir.path(), "broken.go");
    let doc = report(dir.path(), &[]);
    let listed = doc["broken_packages"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0]["package"], "stackify.test/syntax-error");
    assert!(listed[0]["error"].as_str().unwrap().contains("cannot use \"x\""), "{}", listed[0]);

    let before = snapshot(dir.path());
    let o = apply_ok(dir.path(), &["--rule", RULE]);
    let err = stderr(&o);
    // The compiler's message (fixtures/syntax-error/README.md), on stderr.
    assert!(err.contains("stackify.test/syntax-error"), "{err}");
    assert!(
        err.contains("broken.go:8:9") && err.contains("cannot use \"x\" (untyped string constant) as int value"),
        "{err}"
    );
    assert_eq!(changed(&before, &snapshot(dir.path())), ["ok/ok.go"]);
    assert_eq!(read(dir.path(), "broken.go"), broken);
    assert!(read(dir.path(), "ok/ok.go").contains("return strconv.Itoa(i)"));
    assert_go_ok(dir.path(), "./ok/...");
    // --json in apply mode lists it too.
    let again = json(&apply_ok(dir.path(), &["--json"]));
    assert_eq!(again["broken_packages"][0]["package"], "stackify.test/syntax-error");
}

#[test]
fn apply_fixes_an_inlined_helper_once_at_its_source() {
    let dir = fixture("inlined");
    let doc = report(dir.path(), &["--rule", RULE]);
    let fixes = doc["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 1, "one real site, `label` (inl.go:7): {fixes:#?}");
    assert_eq!((fixes[0]["file"].as_str(), fixes[0]["line"].as_u64()), (Some("inl.go"), Some(7)));
    // The copies at the call sites (README: inl.go:10:40, 14:23, 19:14, 19:31, user/user.go:8:26).
    let copies: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["kind"] == "escapes-to-heap" && f["function"] != "label" && f["subject"].as_str().unwrap().ends_with('i')
        })
        .collect();
    let mut at: Vec<(String, u64, u64)> = copies
        .iter()
        .map(|f| (f["file"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
        .collect();
    at.sort();
    let want: Vec<(String, u64, u64)> =
        [("inl.go", 10, 40), ("inl.go", 14, 23), ("inl.go", 19, 14), ("inl.go", 19, 31), ("user/user.go", 8, 26)]
            .iter()
            .map(|(f, l, c)| (f.to_string(), *l, *c))
            .collect();
    assert_eq!(at, want);
    for f in &copies {
        assert_eq!(f["origin"], "inlined", "{f}");
        let from: Vec<&str> = f["inlined_from"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert!(from.iter().any(|c| *c == "label" || c.ends_with(".label")), "inlined_from must name label: {f}");
        assert!(f.get("fix").is_none(), "a copy is never fixed at the call site: {f}");
    }

    let inl = read(dir.path(), "inl.go");
    let before = snapshot(dir.path());
    apply_ok(dir.path(), &["--rule", RULE]);
    assert_eq!(changed(&before, &snapshot(dir.path())), ["inl.go"]);
    let after = read(dir.path(), "inl.go");
    let (old, new): (Vec<&str>, Vec<&str>) = (inl.lines().collect(), after.lines().collect());
    assert_eq!(old.len(), new.len());
    let differing: Vec<&str> = old.iter().zip(&new).filter(|(a, b)| a != b).map(|(a, _)| *a).collect();
    assert_eq!(differing, ["import \"fmt\"", "func label(i int) string { return fmt.Sprintf(\"%d\", i) }"]);
    assert!(after.contains("func label(i int) string { return strconv.Itoa(i) }"), "{after}");
    assert_go_ok(dir.path(), "./...");
}

// ---------------------------------------------------------------- nothing else moves

#[test]
fn apply_keeps_crlf_line_endings_and_changes_only_the_edited_lines() {
    let dir = fixture("crlf");
    let doc = json(&stackify(dir.path(), &["--diff", "--json", "--rule", RULE]));
    let edited: Vec<u64> = doc["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == "crlf.go" && f["status"] == "verified")
        .flat_map(|f| {
            f["edits"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|e| e["start_line"].as_u64().unwrap()..=e["end_line"].as_u64().unwrap())
        })
        .collect();
    assert!(!edited.is_empty());
    let before = std::fs::read(dir.path().join("crlf.go")).unwrap();
    apply_ok(dir.path(), &["--rule", RULE]);
    let after = std::fs::read(dir.path().join("crlf.go")).unwrap();
    let text = String::from_utf8(after.clone()).unwrap();
    let lf = after.iter().filter(|b| **b == b'\n').count();
    assert_eq!(text.matches("\r\n").count(), lf, "every line must still end in CRLF:\n{text:?}");
    assert!(text.ends_with("\r\n"));
    let old: Vec<&str> = std::str::from_utf8(&before).unwrap().split("\r\n").collect();
    let new: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(old.len(), new.len(), "no line added or removed");
    for (i, (a, b)) in old.iter().zip(&new).enumerate() {
        let line = i as u64 + 1;
        if a == b {
            assert!(!edited.contains(&line), "edited line {line} did not change: {a:?}");
        } else {
            let import = a.starts_with("import ") && b.starts_with("import ");
            assert!(edited.contains(&line) || import, "line {line} changed but no edit touches it:\n-{a:?}\n+{b:?}");
        }
    }
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn apply_rewrites_non_ascii_lines_at_the_right_byte_columns() {
    let dir = fixture("crlf");
    let before = read(dir.path(), "utf8.go");
    let doc = report(dir.path(), &["--rule", RULE]);
    // The finding's column counts bytes: the operand `größe` on utf8.go:6 (after `größe(größe int)`).
    let line6 = before.lines().nth(5).unwrap();
    let operand = line6.find("fmt.Sprintf(\"%d\", größe)").unwrap() + "fmt.Sprintf(\"%d\", ".len();
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "utf8.go" && f["line"] == 6 && f["kind"] == "escapes-to-heap")
        .expect("finding on utf8.go:6");
    assert_eq!(f["column"], operand as u64 + 1, "1-based byte column of `größe`: {f}");
    assert!(line6.chars().count() < line6.len(), "premise: non-ASCII before the site");

    apply_ok(dir.path(), &["--rule", RULE]);
    let want = before
        .replace("import \"fmt\"", "import \"strconv\"")
        .replace("fmt.Sprintf(\"%d\", größe)", "strconv.Itoa(größe)")
        .replace("fmt.Sprintf(\"%d\", fläche)", "strconv.Itoa(fläche)");
    assert_eq!(read(dir.path(), "utf8.go"), want);
    // crlf.go's Dims has two sites after a multi-byte literal on one line.
    let crlf = read(dir.path(), "crlf.go");
    assert!(crlf.contains("\treturn \"寸法 \" + strconv.Itoa(w) + \"×\" + strconv.Itoa(h)\r\n"), "{crlf:?}");
    assert!(crlf.contains("\ts := \"größe: \" + strconv.Itoa(n)\r\n"), "{crlf:?}");
    assert_go_ok(dir.path(), "./...");
}
