//! prealloc-slice / prealloc-map against the real Go toolchain (fixtures/prealloc):
//! - `--apply` rewrites exactly the fix cases (compared with the hand-reviewed goldens), leaves the
//!   keep cases byte-for-byte alone, and the module still builds, vets and passes its tests;
//! - allocs/op goes DOWN for every fix case's benchmark (the rules' evidence is allocations, which
//!   `-m` does not show);
//! - every keep case is declined with its reason, and its own test FAILS under the naive rewrite
//!   (`make(..., bound)` at the declaration), as do the fix cases' tests that need the nil guard or
//!   `max(n, 0)`: the preconditions are load-bearing, not decoration.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;

const RULES: &[&str] = &["--rule", "prealloc-slice", "--rule", "prealloc-map"];

fn go_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            go_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "go") {
            out.push(p);
        }
    }
}

/// allocs/op per benchmark (name without the -GOMAXPROCS suffix).
fn allocs(dir: &Path) -> BTreeMap<String, u64> {
    let o = go(dir, &["test", "-run=^$", "-bench=.", "-benchmem", "-benchtime=200x", "./fix/"]);
    assert!(o.status.success(), "benchmarks failed in {}:\n{}{}", dir.display(), stdout(&o), stderr(&o));
    let mut out = BTreeMap::new();
    for line in stdout(&o).lines().filter(|l| l.starts_with("Benchmark")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let name = fields[0].rsplit_once('-').map_or(fields[0], |(n, _)| n).to_string();
        let i = fields.iter().position(|f| *f == "allocs/op").unwrap_or_else(|| panic!("no allocs/op in {line:?}"));
        out.insert(name, fields[i - 1].parse().unwrap());
    }
    out
}

#[test]
fn apply_matches_goldens_keeps_keep_cases_and_cuts_allocations() {
    let pristine = fixture("prealloc");
    let dir = fixture("prealloc");
    let o = stackify(dir.path(), &[&["--apply", "--allow-no-vcs"], RULES].concat());
    assert!(o.status.success(), "stackify --apply failed:\n{}\n{}", stdout(&o), stderr(&o));

    let mut files = Vec::new();
    go_files(dir.path(), &mut files);
    let mut compared = 0;
    for f in files {
        let rel = f.strip_prefix(dir.path()).unwrap().to_string_lossy().replace('\\', "/");
        let got = std::fs::read_to_string(&f).unwrap();
        let golden = repo().join("fixtures/prealloc").join(format!("{rel}.golden"));
        let want = if golden.exists() {
            compared += 1;
            std::fs::read_to_string(&golden).unwrap()
        } else {
            read(pristine.path(), &rel)
        };
        assert!(got == want, "{rel} differs from {}:\n--- got ---\n{got}", if golden.exists() { "its golden" } else { "the original (must be untouched)" });
    }
    assert_eq!(compared, 2, "fix/slices.go and fix/maps.go have goldens");
    assert_gofmt_clean(dir.path(), &[]);
    assert_go_ok(dir.path(), "./...");

    let before = allocs(pristine.path());
    let after = allocs(dir.path());
    assert_eq!(before.len(), 16, "one benchmark per fix case: {before:?}");
    let mut report = String::new();
    for (name, b) in &before {
        let a = after[name];
        report.push_str(&format!("{name}: {b} -> {a} allocs/op\n"));
    }
    for (name, b) in &before {
        assert!(after[name] < *b, "{name}: allocs/op did not go down:\n{report}");
    }
    eprintln!("{report}");
}

#[test]
fn previews_say_the_evidence_is_allocations_not_findings() {
    let dir = fixture("prealloc");
    let o = stackify(dir.path(), &[&["--json"], RULES].concat());
    let v = json(&o);
    let fixes = v["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 17, "{}", stdout(&o));
    for f in fixes {
        assert_eq!(f["evidence"], "fewer-allocations");
        let e = f["explanation"].as_str().unwrap();
        assert!(e.contains("reduces growth reallocations (not proven by -m)"), "{e}");
    }
    let histogram = fixes.iter().find(|f| f["title"].as_str().unwrap().contains("10000")).expect("the Histogram fix");
    assert!(histogram["explanation"].as_str().unwrap().contains("64 KB"), "a huge constant bound says it stays on the heap");
}

/// Line (1-based) of the first line containing `needle` after `func NAME(` (or a method NAME).
fn line_in(text: &str, func: &str, needle: &str) -> u64 {
    let start = text.find(&format!("func {func}(")).or_else(|| text.find(&format!(") {func}("))).unwrap_or_else(|| panic!("no func {func}"));
    let at = start + text[start..].find(needle).unwrap_or_else(|| panic!("no {needle:?} in {func}"));
    text[..at].matches('\n').count() as u64 + 1
}

/// (function, what the naive rewrite replaces, the naive text, the test that must then fail, why
/// stackify declines).
const KEEP: &[(&str, &str, &str, &str, &str)] = &[
    ("Positive", "var out []int", "out := make([]int, 0, len(xs))", "TestPositiveKeepsNil", "`continue`"),
    ("Evens", "var out []int", "out := make([]int, 0, len(xs))", "TestEvensKeepsNil", "not a statement of the loop body"),
    ("UntilZero", "var out []int", "out := make([]int, 0, len(xs))", "TestUntilZeroKeepsNil", "`break`"),
    ("Paths", "path := []string{}", "path := make([]string, 0, len(xs))", "TestPathsDoNotShareSpareCapacity", "used inside the loop"),
    ("Collect", "acc := make([]int, 0)", "acc := make([]int, 0, len(xs))", "TestCollectDoesNotAlias", "used between its declaration and the loop"),
    ("Members", "names := []string{}", "names := make([]string, 0, len(g.members))", "TestMembersOfNilGroup", "used between its declaration and the loop"),
    ("Window", "out := []int{}", "out := make([]int, 0, n)", "TestWindowWithNegativeN", "cannot move above them"),
    ("Runes", "var out []rune", "out := make([]rune, 0, len(s))", "TestRunesMemory", "visits runes"),
    ("Load", "m := make(map[string]int)", "m := make(map[string]int, src.Len())", "TestLoadAsksLenOncePerIteration", "not a variable, constant or len"),
    ("Index", "m := map[string]int{}", "m := make(map[string]int, len(c.keys))", "TestIndexOfNilCatalog", "used between its declaration and the loop"),
];

/// Fix cases whose tests fail under the naive rewrite: the guard or max(n, 0) stackify writes instead
/// is what keeps them passing.
const FIX_NAIVE: &[(&str, &str, &str, &str)] = &[
    ("Names", "var names []string", "names := make([]string, 0, len(items))", "TestNamesKeepsNil"),
    ("Ranged", "var out []int", "out := make([]int, 0, n)", "TestRangedKeepsNil"),
    ("Counting", "out := make([]int, 0)", "out := make([]int, 0, n)", "TestCountingNeverNil"),
    ("Squares", "var out []int", "out := make([]int, 0, len(xs))", "TestSquaresKeepsNilAndCounts"),
    ("ParseAll", "var out []int", "out := make([]int, 0, len(ss))", "TestParseAll"),
    ("ListNames", "var names []string", "names := make([]string, 0, len(l.items))", "TestListNames"),
    ("Split", "var names []string", "names := make([]string, 0, len(items))", "TestSplitKeepsNil"),
    ("Reversed", "var out []int", "out := make([]int, 0, len(xs))", "TestReversedKeepsNil"),
];

#[test]
fn keep_cases_are_declined_with_their_reason() {
    let dir = fixture("prealloc");
    let o = stackify(dir.path(), &[&["--json"], RULES].concat());
    let v = json(&o);
    let keep = read(dir.path(), "keep/keep.go");
    let declined = v["declined"].as_array().unwrap();
    assert!(v["fixes"].as_array().unwrap().iter().all(|f| f["file"] != "keep/keep.go"), "nothing in keep/ is fixed");
    for (func, from, _, _, why) in KEEP {
        // The finding a decline is reported at: the append for slices, the map's make/literal.
        let line = if from.starts_with("m := ") { line_in(&keep, func, from) } else { line_in(&keep, func, "= append(") };
        let d = declined
            .iter()
            .find(|d| d["file"] == "keep/keep.go" && d["line"].as_u64() == Some(line))
            .unwrap_or_else(|| panic!("{func}: nothing declined at keep/keep.go:{line}:\n{}", serde_json::to_string_pretty(declined).unwrap()));
        let reason = d["reason"].as_str().unwrap();
        assert!(reason.contains(why), "{func}: reason {reason:?} does not say {why:?}");
    }
}

/// One naive rewrite: (file, function, replaced text, naive text, the test that must fail, whether
/// that test panics — a panic ends the test binary, so those run alone).
struct Naive<'a> {
    file: &'a str,
    func: &'a str,
    from: &'a str,
    to: &'a str,
    test: &'a str,
}

fn apply_naive(dir: &Path, n: &Naive) {
    let text = read(dir, n.file);
    let start = text.find(&format!("func {}(", n.func)).unwrap_or_else(|| panic!("no func {}", n.func));
    let at = start + text[start..].find(n.from).unwrap_or_else(|| panic!("no {:?} in {}", n.from, n.func));
    std::fs::write(dir.join(n.file), format!("{}{}{}", &text[..at], n.to, &text[at + n.from.len()..])).unwrap();
}

/// Apply `cases` together and check that each one's test fails.
fn naive_fail(cases: &[Naive]) {
    let dir = fixture("prealloc");
    for n in cases {
        apply_naive(dir.path(), n);
    }
    let run = format!("-run=^({})$", cases.iter().map(|n| n.test).collect::<Vec<_>>().join("|"));
    let o = go(dir.path(), &["test", "-count=1", "-v", &run, "./keep/", "./fix/"]);
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!o.status.success(), "the naive rewrites pass their tests:\n{out}");
    for n in cases {
        assert!(
            out.contains(&format!("--- FAIL: {} ", n.test)),
            "{}: {} does not fail under the naive rewrite `{}`:\n{out}",
            n.func,
            n.test,
            n.to
        );
    }
}

#[test]
fn naive_rewrites_break_the_tests_that_stackify_keeps_passing() {
    // The unmodified module passes (the other tests rely on it too).
    let dir = fixture("prealloc");
    assert_go_ok(dir.path(), "./...");
    // Tests that panic under the naive rewrite (nil dereference, negative make capacity).
    const PANICS: &[&str] = &["TestMembersOfNilGroup", "TestWindowWithNegativeN", "TestIndexOfNilCatalog", "TestRangedKeepsNil", "TestCountingNeverNil", "TestListNames"];
    let all: Vec<Naive> = KEEP
        .iter()
        .map(|(func, from, to, test, _)| Naive { file: "keep/keep.go", func, from, to, test })
        .chain(FIX_NAIVE.iter().map(|(func, from, to, test)| Naive { file: "fix/slices.go", func, from, to, test }))
        .collect();
    assert_eq!(all.len(), KEEP.len() + FIX_NAIVE.len());
    let (alone, together): (Vec<Naive>, Vec<Naive>) = all.into_iter().partition(|n| PANICS.contains(&n.test));
    naive_fail(&together);
    for n in alone {
        naive_fail(std::slice::from_ref(&n));
    }
}

// ---------------------------------------------------------------- the rule documents
// rules/prealloc-slice.md and rules/prealloc-map.md: every example is a complete file, run through the
// real binary (`--apply --rule <id>`) in a fresh module (format: rules/README.md).

struct Example {
    name: String,
    title: String,
    code: String,
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
        assert!(!info.contains("known-bug"), "{heading}: prealloc has no known-bug examples; add a runner for them first");
        let title = info.split("title=\"").nth(1).and_then(|r| r.split('"').next()).map(str::to_string);
        let mut code = String::new();
        for l in lines.by_ref() {
            if l == "```" {
                break;
            }
            code.push_str(l);
            code.push('\n');
        }
        if let Some(title) = title {
            out.push(Example { name: heading.clone(), title, code });
        }
    }
    out
}

/// (name, input, expected output) of every example; a keep example expects its input.
fn doc_cases(id: &str) -> Vec<(String, String, String)> {
    let doc = std::fs::read_to_string(repo().join(format!("rules/{id}.md"))).unwrap();
    let mut out = Vec::new();
    let mut it = examples(&doc).into_iter();
    while let Some(e) = it.next() {
        match e.title.as_str() {
            "before" => {
                let after = it.next().unwrap_or_else(|| panic!("{}: `before` without `after`", e.name));
                assert_eq!(after.title, "after", "{}: `before` must be followed by `after`", e.name);
                out.push((e.name, e.code, after.code));
            }
            "keep" => out.push((e.name, e.code.clone(), e.code)),
            other => panic!("{}: unknown example title {other:?}", e.name),
        }
    }
    out
}

fn run_doc_case(id: &str, input: &str, want: &str) -> Result<(), String> {
    let dir = tempfile::Builder::new().prefix("stackify-doc-example-").tempdir().unwrap();
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
    let o = stackify(dir.path(), &["--apply", "--allow-no-vcs", "--rule", id]);
    if !o.status.success() {
        return Err(format!("--apply failed:\n{}", stderr(&o)));
    }
    let got = std::fs::read_to_string(dir.path().join("p.go")).unwrap();
    if got != want {
        return Err(format!("--- got\n{got}--- want\n{want}--- stackify said\n{}", stderr(&o)));
    }
    sound("after --apply")
}

fn check_document(id: &str, min_pairs: usize, min_keeps: usize) {
    let cases = doc_cases(id);
    let pairs = cases.iter().filter(|(_, i, w)| i != w).count();
    let keeps = cases.len() - pairs;
    assert!(pairs >= min_pairs && keeps >= min_keeps, "rules/{id}.md: {pairs} before/after pairs, {keeps} keeps");
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = cases.iter().map(|(name, i, w)| (name, s.spawn(move || run_doc_case(id, i, w)))).collect();
        handles.into_iter().filter_map(|(name, h)| h.join().unwrap().err().map(|e| format!("example {name:?}: {e}"))).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    let doc = std::fs::read_to_string(repo().join(format!("rules/{id}.md"))).unwrap();
    let first = doc.lines().next().unwrap();
    let (doc_id, title) = first.strip_prefix("# ").and_then(|h| h.split_once(": ")).expect("first line `# <id>: <title>`");
    assert_eq!(doc_id, id);
    assert!(!title.trim().is_empty());
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_stackify")).arg("--list-rules").output().unwrap();
    assert!(stdout(&o).lines().any(|l| l.split_whitespace().next() == Some(id)), "{}", stdout(&o));
    let got: Vec<&str> = doc.lines().filter_map(|l| l.strip_prefix("## ")).map(str::trim).collect();
    assert_eq!(got, ["Escape cause", "Findings matched", "Rewrite", "Preconditions", "Evidence", "Examples"], "rules/README.md order");
    assert!(doc.contains("reduces growth reallocations (not proven by -m)"));
}

#[test]
fn prealloc_slice_document_examples_rewrite_exactly_as_documented() {
    check_document("prealloc-slice", 10, 12);
}

#[test]
fn prealloc_map_document_examples_rewrite_exactly_as_documented() {
    check_document("prealloc-map", 4, 6);
}
