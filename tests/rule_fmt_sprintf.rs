//! The fmt-sprintf rule end to end: the fixture's reviewed goldens, the keep/ package left alone with
//! a stated reason for every site, and the examples of rules/fmt-sprintf.md run one by one through the
//! real binary and the real Go toolchain (format of the examples: rules/README.md).

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

const RULE: &str = "fmt-sprintf";

/// Goldens the rule does not reach yet (the hand-reviewed expectation of a known bug). The golden test
/// accepts such a file unchanged or equal to its golden, and nothing else. Empty: every golden is met.
const KNOWN_BUG_GOLDENS: &[&str] = &[];

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or_else(|| panic!("killed by a signal: {}", stderr(o)))
}

/// Every file under `dir` (relative path → bytes), `.git` excluded.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_name() == ".git" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                walk(root, &e.path(), out);
            } else {
                out.insert(e.path().strip_prefix(root).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn apply(dir: &Path) -> Output {
    stackify(dir, &["--apply", "--allow-no-vcs", "--rule", RULE])
}

// ---------------------------------------------------------------- the fixture

fn golden_check(dir: &Path) -> Vec<String> {
    let before = snapshot(dir);
    let o = apply(dir);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = snapshot(dir);
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "--apply added or removed files");
    let mut problems = Vec::new();
    for (rel, new) in &after {
        let name = rel.to_string_lossy().replace('\\', "/");
        if name.ends_with(".golden") {
            continue;
        }
        let old = &before[rel];
        let golden_path = PathBuf::from(format!("{}.golden", dir.join(rel).display()));
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match std::fs::read(&golden_path) {
            Ok(golden) if KNOWN_BUG_GOLDENS.contains(&name.as_str()) => {
                if new != old && *new != golden {
                    problems.push(format!("{name}: neither unchanged nor its golden:\n{}", show(new)));
                }
            }
            Ok(golden) => {
                if *new != golden {
                    problems.push(format!("{name}: differs from {name}.golden:\n--- got\n{}\n--- want\n{}", show(new), show(&golden)));
                }
            }
            Err(_) => {
                if new != old {
                    problems.push(format!("{name}: has no golden, so it must be unchanged, got:\n{}", show(new)));
                }
            }
        }
    }
    problems
}

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_and_keep_is_untouched() {
    let dir = fixture("fmt-sprintf");
    let keep_before = snapshot(&dir.path().join("keep"));
    let problems = golden_check(dir.path());
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert_eq!(snapshot(&dir.path().join("keep")), keep_before, "keep/ must be byte-for-byte untouched");
    // Every golden that is not a known bug was reached (the fixture's goldens are not decoration).
    let goldens: Vec<String> = snapshot(dir.path())
        .keys()
        .map(|k| k.to_string_lossy().into_owned())
        .filter(|k| k.ends_with(".golden"))
        .collect();
    assert!(goldens.len() >= 3, "{goldens:?}");
    for g in &goldens {
        let src = g.trim_end_matches(".golden");
        if !KNOWN_BUG_GOLDENS.contains(&src) {
            assert_ne!(read(dir.path(), src), read(&repo().join("fixtures/fmt-sprintf"), src), "{src} has a golden but was not rewritten");
        }
    }
    assert_gofmt_clean(dir.path(), &[]);
    // The fixture's own tests hold the exact strings fmt printed; keep/'s fail on any naive rewrite.
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn fixture_strconv_already_imported_is_rewritten() {
    let dir = fixture("fmt-sprintf");
    let o = apply(dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(read(dir.path(), "fix/already.go"), read(dir.path(), "fix/already.go.golden"));
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn every_keep_site_is_declined_with_a_reason() {
    let dir = fixture("fmt-sprintf");
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE, "./keep/..."]));
    assert!(doc["fixes"].as_array().unwrap().is_empty(), "no fix in keep/: {:#?}", doc["fixes"]);
    let text = read(dir.path(), "keep/keep.go");
    let lines: Vec<&str> = text.lines().collect();
    let mut checked = 0;
    for f in doc["findings"].as_array().unwrap() {
        let line = f["line"].as_u64().unwrap() as usize;
        if f["file"] != "keep/keep.go" || f["kind"] != "escapes-to-heap" || f["origin"] != "native" || !lines[line - 1].contains("fmt.Sprint") {
            continue;
        }
        checked += 1;
        let reason = f["declined"].as_str().unwrap_or_else(|| panic!("keep/keep.go:{line} has no decline reason: {f}"));
        assert!(reason.len() > 10, "keep/keep.go:{line}: {reason:?}");
    }
    assert!(checked >= 20, "only {checked} keep sites had findings");
    // The reasons name the trap (rules/fmt-sprintf.md, Preconditions).
    let reasons: Vec<&str> = doc["declined"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    for needle in ["String method", "Error method", "Format method", "flags, width or precision", "not a string literal", "argument index"] {
        assert!(reasons.iter().any(|r| r.contains(needle)), "no decline reason mentions {needle:?}: {reasons:#?}");
    }
}

#[test]
fn rewrite_keeps_the_output_when_a_later_operand_changes_an_earlier_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.test/order\n\ngo 1.22\n").unwrap();
    std::fs::write(
        dir.path().join("order.go"),
        "package order\n\nimport \"fmt\"\n\nvar x = 1\n\nfunc bump() string {\n\tx++\n\treturn \"b\"\n}\n\n\
         // Trace prints x after bump has run: gc reads a plain operand when it fills the ...any slice.\n\
         func Trace() string {\n\tx = 1\n\treturn fmt.Sprintf(\"%d %s\", x, bump())\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("order_test.go"),
        "package order\n\nimport \"testing\"\n\nfunc TestTrace(t *testing.T) {\n\tif got := Trace(); got != \"2 b\" {\n\t\tt.Errorf(\"Trace() = %q\", got)\n\t}\n}\n",
    )
    .unwrap();
    // The expectation is the original program's own output, checked by the toolchain before the rewrite.
    assert_go_ok(dir.path(), "./...");
    let o = apply(dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_go_ok(dir.path(), "./...");
}

// ---------------------------------------------------------------- the rule document

struct Example {
    name: String,
    title: String,
    known_bug: Option<String>,
    code: String,
}

/// `key="value"` pairs of a fence's info string (no escaped quotes in values).
fn attributes(info: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = info;
    while let Some(eq) = rest.find("=\"") {
        let key = rest[..eq].split_whitespace().last().unwrap_or_default().to_string();
        let after = &rest[eq + 2..];
        let end = after.find('"').unwrap_or_else(|| panic!("unterminated attribute in {info:?}"));
        out.insert(key, after[..end].to_string());
        rest = &after[end + 1..];
    }
    out
}

/// The ```go title="..."``` blocks of a rule document, each named by the nearest heading above it.
fn examples(doc: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut heading = String::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.starts_with('#') {
            heading = line.trim_start_matches('#').trim().to_string();
        }
        let Some(info) = line.strip_prefix("```go") else { continue };
        let attrs = attributes(info);
        let mut code = String::new();
        for l in lines.by_ref() {
            if l == "```" {
                break;
            }
            code.push_str(l);
            code.push('\n');
        }
        if let Some(title) = attrs.get("title") {
            out.push(Example { name: heading.clone(), title: title.clone(), known_bug: attrs.get("known-bug").cloned(), code });
        }
    }
    out
}

enum Case {
    Rewrite { name: String, before: String, after: String, known_bug: Option<String> },
    Keep { name: String, code: String, known_bug: Option<String> },
}

impl Case {
    fn name(&self) -> &str {
        match self {
            Case::Rewrite { name, .. } | Case::Keep { name, .. } => name,
        }
    }
    fn known_bug(&self) -> Option<&str> {
        match self {
            Case::Rewrite { known_bug, .. } | Case::Keep { known_bug, .. } => known_bug.as_deref(),
        }
    }
}

fn cases() -> Vec<Case> {
    let doc = std::fs::read_to_string(repo().join("rules/fmt-sprintf.md")).unwrap();
    let mut out = Vec::new();
    let mut it = examples(&doc).into_iter();
    while let Some(e) = it.next() {
        match e.title.as_str() {
            "before" => {
                let after = it.next().unwrap_or_else(|| panic!("{}: `before` without `after`", e.name));
                assert_eq!(after.title, "after", "{}: `before` must be followed by `after`", e.name);
                out.push(Case::Rewrite { name: e.name, before: e.code, after: after.code, known_bug: e.known_bug });
            }
            "keep" => out.push(Case::Keep { name: e.name, code: e.code, known_bug: e.known_bug }),
            other => panic!("{}: unknown example title {other:?} (before, after, keep)", e.name),
        }
    }
    out
}

/// Writes the example into a fresh module, checks it is a sound Go file, runs `--apply`, and compares.
fn run_case(case: &Case) -> Result<(), String> {
    let dir = tempfile::Builder::new().prefix("stackify-doc-example-").tempdir().unwrap();
    let (input, want) = match case {
        Case::Rewrite { before, after, .. } => (before, after),
        Case::Keep { code, .. } => (code, code),
    };
    std::fs::write(dir.path().join("go.mod"), "module example.test/p\n\ngo 1.22\n").unwrap();
    std::fs::write(dir.path().join("p.go"), input).unwrap();
    let sound = |stage: &str| -> Result<(), String> {
        for args in [vec!["build", "./..."], vec!["vet", "./..."]] {
            let o = go(dir.path(), &args);
            if !o.status.success() {
                return Err(format!("{stage}: go {} failed:\n{}", args.join(" "), stderr(&o)));
            }
        }
        let o = std::process::Command::new("gofmt").arg("-l").arg(".").current_dir(dir.path()).output().unwrap();
        if !stdout(&o).trim().is_empty() {
            return Err(format!("{stage}: not gofmt-clean"));
        }
        Ok(())
    };
    sound("the example as written")?;
    let o = apply(dir.path());
    if code(&o) != 0 {
        return Err(format!("--apply exited {}:\n{}", code(&o), stderr(&o)));
    }
    let got = std::fs::read_to_string(dir.path().join("p.go")).unwrap();
    if &got != want {
        let what = if matches!(case, Case::Keep { .. }) { "must be left unchanged" } else { "differs from its `after`" };
        return Err(format!("{what}\n--- got\n{got}--- want\n{want}--- stackify said\n{}", stderr(&o)));
    }
    sound("after --apply")
}

/// Runs the cases in parallel (each its own module) and reports every failure at once.
fn run_cases(cases: &[&Case]) -> Vec<String> {
    std::thread::scope(|s| {
        let handles: Vec<_> = cases.iter().map(|c| (c.name(), s.spawn(move || run_case(c)))).collect();
        handles.into_iter().filter_map(|(name, h)| h.join().unwrap().err().map(|e| format!("example {name:?}: {e}"))).collect()
    })
}

#[test]
fn document_examples_rewrite_exactly_as_documented() {
    let all = cases();
    let live: Vec<&Case> = all.iter().filter(|c| c.known_bug().is_none()).collect();
    let pairs = live.iter().filter(|c| matches!(c, Case::Rewrite { .. })).count();
    let keeps = live.iter().filter(|c| matches!(c, Case::Keep { .. })).count();
    assert!(pairs >= 6, "rules/fmt-sprintf.md needs at least 6 before/after pairs, has {pairs}");
    assert!(keeps >= 4, "rules/fmt-sprintf.md needs at least 4 keep examples, has {keeps}");
    let failures = run_cases(&live);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}


#[test]
fn rule_document_has_the_sections_the_readme_requires() {
    let doc = std::fs::read_to_string(repo().join("rules/fmt-sprintf.md")).unwrap();
    let first = doc.lines().next().unwrap();
    let (id, title) = first.strip_prefix("# ").and_then(|h| h.split_once(": ")).unwrap_or_else(|| panic!("first line must be `# <id>: <title>`: {first:?}"));
    assert_eq!(id, RULE);
    assert!(!title.trim().is_empty());
    // The id is the one --list-rules prints.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_stackify")).arg("--list-rules").output().unwrap();
    assert!(stdout(&o).lines().any(|l| l.split_whitespace().next() == Some(id)), "{}", stdout(&o));
    let want = ["Escape cause", "Findings matched", "Rewrite", "Preconditions", "Evidence", "Examples"];
    let got: Vec<&str> = doc.lines().filter_map(|l| l.strip_prefix("## ")).map(str::trim).collect();
    assert_eq!(got, want, "rules/README.md fixes the sections and their order");
    // Every section the README describes is also described there.
    let readme = std::fs::read_to_string(repo().join("rules/README.md")).unwrap();
    for s in want {
        assert!(readme.contains(&format!("`## {s}`")), "rules/README.md does not describe `## {s}`");
    }
}
