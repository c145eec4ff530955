//! The closure-param rule end to end: the fixture's reviewed goldens, fewer allocations in the
//! fixture's benchmarks after `--apply`, the keep/ package left alone with a stated reason for every
//! capture, and the examples of rules/closure-param.md run one by one through the real binary and
//! the real Go toolchain (format of the examples: rules/README.md).

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

const RULE: &str = "closure-param";

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

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_and_keep_is_untouched() {
    let dir = fixture("closure-param");
    let before = snapshot(dir.path());
    let o = apply(dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = snapshot(dir.path());
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "--apply added or removed files");
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut problems = Vec::new();
    let mut goldens = 0;
    for (rel, new) in &after {
        let name = rel.to_string_lossy().replace('\\', "/");
        if name.ends_with(".golden") {
            continue;
        }
        let old = &before[rel];
        match std::fs::read(dir.path().join(format!("{name}.golden"))) {
            Ok(golden) => {
                goldens += 1;
                if *new != golden {
                    problems.push(format!("{name}: differs from {name}.golden:\n--- got\n{}\n--- want\n{}", show(new), show(&golden)));
                }
                if new == old {
                    problems.push(format!("{name} has a golden but was not rewritten"));
                }
            }
            Err(_) if new != old => problems.push(format!("{name}: has no golden, so it must be unchanged, got:\n{}", show(new))),
            Err(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}\n\nstackify said:\n{}", problems.join("\n\n"), stderr(&o));
    assert!(goldens >= 2, "the fixture's goldens were not found");
    // Every fix shape was applied: parameter, shadow copy, named copy, field copy.
    let err = stderr(&o);
    for shape in ["pass x as a parameter", "greeting := greeting", "xCopy := x", "cfgTimeout := cfg.Timeout", "cfgName := cfg.Name"] {
        assert!(err.contains(shape), "no applied fix mentions {shape:?}:\n{err}");
    }
    assert!(!err.lines().any(|l| l.trim_start().starts_with("dropped")), "the verifier dropped a fixture fix:\n{err}");
    assert_gofmt_clean(dir.path(), &[]);
    // keep/'s tests fail on any naive rewrite; fix/'s tests pin the values before and after.
    assert_go_ok(dir.path(), "./...");
}

/// `BenchmarkX-2   200   1234 ns/op   24 B/op   2 allocs/op` → (X, 2).
fn allocs(out: &str) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    for l in out.lines().filter(|l| l.starts_with("Benchmark")) {
        let fields: Vec<&str> = l.split_whitespace().collect();
        let name = fields[0].rsplit_once('-').map_or(fields[0], |(n, _)| n).to_string();
        if let Some(i) = fields.iter().position(|f| *f == "allocs/op") {
            m.insert(name, fields[i - 1].parse().unwrap());
        }
    }
    m
}

fn bench(dir: &Path) -> BTreeMap<String, f64> {
    let o = go(dir, &["test", "-run=^$", "-bench=.", "-benchmem", "-benchtime=200x", "./fix/"]);
    assert!(o.status.success(), "go test -bench failed:\n{}{}", stdout(&o), stderr(&o));
    allocs(&stdout(&o))
}

#[test]
fn fixture_allocations_go_down_for_every_fix() {
    let dir = fixture("closure-param");
    let before = bench(dir.path());
    assert!(before.len() >= 7, "benchmarks: {before:?}");
    let o = apply(dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = bench(dir.path());
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    let not_lower: Vec<String> = before
        .iter()
        .filter(|(name, b)| after[*name] >= **b)
        .map(|(name, b)| format!("{name}: {b} → {} allocs/op", after[name]))
        .collect();
    assert!(not_lower.is_empty(), "allocs/op not lower after the rewrite: {not_lower:?}\nbefore {before:?}\nafter {after:?}");
}

#[test]
fn every_keep_capture_is_declined_with_a_reason() {
    let dir = fixture("closure-param");
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE, "./keep/..."]));
    assert!(doc["fixes"].as_array().unwrap().is_empty(), "no fix in keep/: {:#?}", doc["fixes"]);
    let mut checked = 0;
    for f in doc["findings"].as_array().unwrap() {
        if f["file"] != "keep/keep.go" || f["kind"] != "moved-to-heap" || f["cause"] != "closure-capture" {
            continue;
        }
        checked += 1;
        let line = &f["line"];
        let reason = f["declined"].as_str().unwrap_or_else(|| panic!("keep/keep.go:{line} has no decline reason: {f}"));
        assert!(reason.len() > 20, "keep/keep.go:{line}: {reason:?}");
    }
    assert!(checked >= 7, "only {checked} keep captures had findings");
    // The reasons name the trap (rules/closure-param.md, Preconditions).
    let reasons: Vec<&str> = doc["declined"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    for needle in ["deferred", "stored or passed on", "the closure writes", "address of", "goroutine reads", "write to s.Title"] {
        assert!(reasons.iter().any(|r| r.contains(needle)), "no decline reason mentions {needle:?}: {reasons:#?}");
    }
}

#[test]
fn loop_variable_before_go_1_22_is_declined() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.test/old\n\ngo 1.21\n").unwrap();
    // The closure is stored and the function returns right away, so no later write would block it:
    // only the shared loop variable does.
    std::fs::write(
        dir.path().join("old.go"),
        "package old\n\nvar hooks []func() int\n\n// First stores a callback for the first even number.\n\
         func First(ns []int) {\n\tfor i := 0; i < len(ns); i++ {\n\t\tif ns[i]%2 == 0 {\n\t\t\thooks = append(hooks, func() int { return i })\n\t\t\treturn\n\t\t}\n\t}\n}\n",
    )
    .unwrap();
    assert_go_ok(dir.path(), "./...");
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE]));
    assert!(doc["fixes"].as_array().unwrap().is_empty(), "{:#?}", doc["fixes"]);
    let reasons: Vec<&str> = doc["declined"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("before Go 1.22")), "{reasons:#?}");
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
    let doc = std::fs::read_to_string(repo().join("rules/closure-param.md")).unwrap();
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
    assert!(pairs >= 8, "rules/closure-param.md needs at least 8 before/after pairs, has {pairs}");
    assert!(keeps >= 6, "rules/closure-param.md needs at least 6 keep examples, has {keeps}");
    let failures = run_cases(&live);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}


#[test]
fn rule_document_has_the_sections_the_readme_requires() {
    let doc = std::fs::read_to_string(repo().join("rules/closure-param.md")).unwrap();
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
}
