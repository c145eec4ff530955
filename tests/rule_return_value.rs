//! The return-value rule end to end with the real toolchain: the fixture's reviewed goldens, fewer
//! allocations in its benchmarks, the keep/ packages untouched with a stated reason for every site,
//! and the examples of rules/return-value.md run one by one (format: rules/README.md).

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

const RULE: &str = "return-value";

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

/// allocs/op of every benchmark of `pkg`, at a fixed iteration count (same amortisation both runs).
fn allocs(dir: &Path, pkg: &str) -> BTreeMap<String, u64> {
    let o = go(dir, &["test", "-run=^$", "-bench=.", "-benchmem", "-benchtime=200x", pkg]);
    assert!(o.status.success(), "benchmarks failed:\n{}{}", stdout(&o), stderr(&o));
    let mut out = BTreeMap::new();
    for line in stdout(&o).lines().filter(|l| l.starts_with("Benchmark")) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let name = f[0].rsplit_once('-').map_or(f[0], |(n, _)| n).to_string();
        let a = f.iter().position(|x| *x == "allocs/op").and_then(|i| f[i - 1].parse().ok()).unwrap_or_else(|| panic!("no allocs/op in {line:?}"));
        out.insert(name, a);
    }
    out
}

// ---------------------------------------------------------------- the fixture

#[test]
fn fixture_matches_goldens_allocates_less_and_keep_is_untouched() {
    let dir = fixture(RULE);
    let before_allocs = allocs(dir.path(), "./fix");
    let before = snapshot(dir.path());
    let o = apply(dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = snapshot(dir.path());
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "--apply added or removed files");
    let mut problems = Vec::new();
    let mut rewritten = 0;
    for (rel, new) in &after {
        let name = rel.to_string_lossy().replace('\\', "/");
        if name.ends_with(".golden") {
            continue;
        }
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match std::fs::read(PathBuf::from(format!("{}.golden", dir.path().join(rel).display()))) {
            Ok(golden) => {
                rewritten += 1;
                if *new != golden {
                    problems.push(format!("{name}: differs from its golden:\n--- got\n{}\n--- want\n{}", show(new), show(&golden)));
                }
                if *new == before[rel] {
                    problems.push(format!("{name} has a golden but was not rewritten"));
                }
            }
            Err(_) if *new != before[rel] => problems.push(format!("{name}: has no golden, so it must be unchanged, got:\n{}", show(new))),
            Err(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(rewritten >= 2);
    assert!(after.keys().any(|k| k.starts_with("keep")), "keep/ exists");
    assert_gofmt_clean(dir.path(), &[]);
    // fix/'s tests pin the behaviour; keep/'s fail on any naive rewrite.
    assert_go_ok(dir.path(), "./...");
    let after_allocs = allocs(dir.path(), "./fix");
    assert_eq!(before_allocs.keys().collect::<Vec<_>>(), after_allocs.keys().collect::<Vec<_>>());
    assert!(before_allocs.len() >= 4, "{before_allocs:?}");
    for (name, b) in &before_allocs {
        let a = after_allocs[name];
        assert!(a < *b, "{name}: {b} → {a} allocs/op; every fix case must allocate less");
    }
}

#[test]
fn every_keep_site_is_declined_with_its_reason() {
    let dir = fixture(RULE);
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE, "./keep/..."]));
    assert!(doc["fixes"].as_array().unwrap().is_empty(), "no fix in keep/: {:#?}", doc["fixes"]);
    let reasons: Vec<String> = doc["declined"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap().to_string()).collect();
    // Every `moved to heap` of keep/ whose flows end in a result is a site with a reason.
    let mut sites = 0;
    for f in doc["findings"].as_array().unwrap() {
        let to_result = f["why"].as_array().is_some_and(|w| !w.is_empty() && w.iter().all(|fl| fl["dst"].as_str().unwrap().starts_with("~r")));
        if f["kind"] != "moved-to-heap" || f["origin"] != "native" || !to_result {
            continue;
        }
        sites += 1;
        assert!(f["declined"].as_str().is_some_and(|r| r.len() > 10), "{}:{} has no decline reason: {f}", f["file"], f["line"]);
    }
    assert!(sites >= 19, "only {sites} keep sites: {reasons:#?}");
    for needle in [
        "itself is compared",
        "hands out `nil`",
        "itself is assigned to another variable",
        "a closure refers to `t`",
        "passed to a function",
        "pointer-receiver method",
        "methods are not rewritten",
        "called from another file",
        "in-package test files",
        "writes through the result",
        "bytes: copying it",
        "may not be copied",
        "can inline",
        "package-level variable",
        "is exported",
        "explicit type",
    ] {
        assert!(reasons.iter().any(|r| r.contains(needle)), "no decline reason mentions {needle:?}: {reasons:#?}");
    }
}

// ---------------------------------------------------------------- the rule document

struct Example {
    name: String,
    title: String,
    known_bug: Option<String>,
    code: String,
}

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
    let doc = std::fs::read_to_string(repo().join(format!("rules/{RULE}.md"))).unwrap();
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
    if let Case::Keep { .. } = case {
        // A keep example must be a site the rule looked at and declined, not one it never saw.
        let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE]));
        if !doc["declined"].as_array().is_some_and(|d| d.iter().any(|x| x["rule"] == RULE)) {
            return Err(format!("the rule never considered this example (no decline reason): {:#}", doc["declined"]));
        }
    }
    sound("after --apply")
}

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
    assert!(pairs >= 4, "rules/{RULE}.md needs at least 4 before/after pairs, has {pairs}");
    assert!(keeps >= 6, "rules/{RULE}.md needs at least 5 keep examples, has {keeps}");
    let failures = run_cases(&live);
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
