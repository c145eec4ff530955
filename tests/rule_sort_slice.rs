//! The sort-slice rule end to end: the fixture's reviewed goldens, allocations measured before and
//! after with the fixture's benchmarks, the keep/ package left alone with a stated reason for every
//! site, the go 1.20 module declined, and the examples of rules/sort-slice.md run one by one through
//! the real binary and the real Go toolchain (format of the examples: rules/README.md).

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

const RULE: &str = "sort-slice";

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

/// `go test -bench` allocs/op per benchmark of `pkg` (fixed iteration count, so growth is identical).
fn allocs(dir: &Path, pkg: &str) -> BTreeMap<String, f64> {
    let o = go(dir, &["test", "-run=^$", "-bench=.", "-benchmem", "-benchtime=200x", pkg]);
    assert!(o.status.success(), "go test -bench failed:\n{}{}", stdout(&o), stderr(&o));
    let mut out = BTreeMap::new();
    for line in stdout(&o).lines().filter(|l| l.starts_with("Benchmark")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let name = fields[0].rsplit_once('-').map_or(fields[0], |(n, _)| n).to_string();
        let at = fields.iter().position(|f| *f == "allocs/op").unwrap_or_else(|| panic!("no allocs/op in {line:?}"));
        out.insert(name, fields[at - 1].parse().unwrap());
    }
    out
}

// ---------------------------------------------------------------- the fixture

fn golden_problems(dir: &Path, before: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<String> {
    let after = snapshot(dir);
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "--apply added or removed files");
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut problems = Vec::new();
    for (rel, new) in &after {
        let name = rel.to_string_lossy().replace('\\', "/");
        if name.ends_with(".golden") {
            continue;
        }
        match std::fs::read(PathBuf::from(format!("{}.golden", dir.join(rel).display()))) {
            Ok(golden) if *new != golden => {
                problems.push(format!("{name}: differs from {name}.golden:\n--- got\n{}\n--- want\n{}", show(new), show(&golden)))
            }
            Ok(_) => {}
            Err(_) if *new != before[rel] => problems.push(format!("{name}: has no golden, so it must be unchanged, got:\n{}", show(new))),
            Err(_) => {}
        }
    }
    problems
}

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_keep_is_untouched_and_allocations_drop() {
    let dir = fixture(RULE);
    let before = snapshot(dir.path());
    let keep_before = snapshot(&dir.path().join("keep"));
    let allocs_before = allocs(dir.path(), "./fix");

    let o = apply(dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let problems = golden_problems(dir.path(), &before);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert_eq!(snapshot(&dir.path().join("keep")), keep_before, "keep/ must be byte-for-byte untouched");
    for g in ["fix/fix.go", "fix/mixed.go"] {
        assert_ne!(read(dir.path(), g), String::from_utf8_lossy(&before[Path::new(g)]), "{g} has a golden but was not rewritten");
    }
    assert_gofmt_clean(dir.path(), &[]);
    // fix/'s tests compare every result with sort.Slice's own permutation (equal keys included);
    // keep/'s fail under the naive rewrite.
    assert_go_ok(dir.path(), "./...");

    // ESCAPE-FACTS truth table: sort.Slice → slices.SortFunc is 2 → 0 allocs/op (3 → 0 for structs:
    // reflectlite's swapper also allocates a temporary element).
    let allocs_after = allocs(dir.path(), "./fix");
    assert_eq!(allocs_before.keys().collect::<Vec<_>>(), allocs_after.keys().collect::<Vec<_>>());
    assert!(allocs_before.len() >= 8, "{allocs_before:?}");
    for (name, b) in &allocs_before {
        let a = allocs_after[name];
        assert!(*b >= 2.0, "{name}: sort.Slice should allocate at least twice, measured {b}");
        assert_eq!(a, 0.0, "{name}: {b} → {a} allocs/op; slices.SortFunc should allocate nothing");
    }
}

#[test]
fn every_keep_site_is_declined_with_a_reason() {
    let dir = fixture(RULE);
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE, "./keep/..."]));
    assert!(doc["fixes"].as_array().unwrap().is_empty(), "no fix in keep/: {:#?}", doc["fixes"]);
    let reasons: Vec<&str> = doc["declined"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    // The float key, the off-by-one sub-slice and the shadowed package name (rules/sort-slice.md,
    // Preconditions). SliceStable and the generic function are not matched at all: sort.SliceStable is
    // not sort.Slice, and the generic body is reported for its instantiations, not natively.
    for needle in ["NaN", "not a plain variable or field path", "`slices` already means a local var"] {
        assert!(reasons.iter().any(|r| r.contains(needle)), "no decline reason mentions {needle:?}: {reasons:#?}");
    }
}

#[test]
fn a_module_older_than_go_1_21_is_declined() {
    let dir = fixture(RULE);
    let sub = dir.path().join("go120");
    let doc = json(&stackify(&sub, &["--json", "--rule", RULE]));
    assert!(doc["fixes"].as_array().unwrap().is_empty(), "{:#?}", doc["fixes"]);
    let reasons: Vec<&str> = doc["declined"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("go 1.20") && r.contains("1.21")), "{reasons:#?}");
    let o = apply(&sub);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(read(&sub, "go120.go"), read(&repo().join("fixtures/sort-slice/go120"), "go120.go"));
    assert_go_ok(&sub, "./...");
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
    Rewrite { name: String, before: String, after: String },
    Keep { name: String, code: String },
}

fn cases() -> Vec<Case> {
    let doc = std::fs::read_to_string(repo().join(format!("rules/{RULE}.md"))).unwrap();
    let mut out = Vec::new();
    let mut it = examples(&doc).into_iter();
    while let Some(e) = it.next() {
        assert!(e.known_bug.is_none(), "{}: rules/{RULE}.md has no known bugs; drop the attribute or add the ignored test", e.name);
        match e.title.as_str() {
            "before" => {
                let after = it.next().unwrap_or_else(|| panic!("{}: `before` without `after`", e.name));
                assert_eq!(after.title, "after", "{}: `before` must be followed by `after`", e.name);
                out.push(Case::Rewrite { name: e.name, before: e.code, after: after.code });
            }
            "keep" => out.push(Case::Keep { name: e.name, code: e.code }),
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

#[test]
fn document_examples_rewrite_exactly_as_documented() {
    let all = cases();
    let pairs = all.iter().filter(|c| matches!(c, Case::Rewrite { .. })).count();
    let keeps = all.iter().filter(|c| matches!(c, Case::Keep { .. })).count();
    assert!(pairs >= 4, "rules/{RULE}.md needs at least 4 before/after pairs, has {pairs}");
    assert!(keeps >= 4, "rules/{RULE}.md needs at least 4 keep examples, has {keeps}");
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = all
            .iter()
            .map(|c| {
                let name = match c {
                    Case::Rewrite { name, .. } | Case::Keep { name, .. } => name.clone(),
                };
                (name, s.spawn(move || run_case(c)))
            })
            .collect();
        handles.into_iter().filter_map(|(name, h)| h.join().unwrap().err().map(|e| format!("example {name:?}: {e}"))).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn rule_document_has_the_sections_the_readme_requires() {
    let doc = std::fs::read_to_string(repo().join(format!("rules/{RULE}.md"))).unwrap();
    let first = doc.lines().next().unwrap();
    let (id, title) = first.strip_prefix("# ").and_then(|h| h.split_once(": ")).unwrap_or_else(|| panic!("first line must be `# <id>: <title>`: {first:?}"));
    assert_eq!(id, RULE);
    assert!(!title.trim().is_empty());
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_stackify")).arg("--list-rules").output().unwrap();
    assert!(stdout(&o).lines().any(|l| l.split_whitespace().next() == Some(id)), "{}", stdout(&o));
    let want = ["Escape cause", "Findings matched", "Rewrite", "Preconditions", "Evidence", "Examples"];
    let got: Vec<&str> = doc.lines().filter_map(|l| l.strip_prefix("## ")).map(str::trim).collect();
    assert_eq!(got, want, "rules/README.md fixes the sections and their order");
}
