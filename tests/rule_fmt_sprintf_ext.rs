//! The fmt-sprintf extensions end to end (floats → strconv.FormatFloat, %x of bytes →
//! hex.EncodeToString): fixtures/fmt-sprintf-ext's reviewed goldens, its keep/ left alone, its equiv/
//! package proving byte-identity against fmt with the toolchain at hand, allocations measured before
//! and after, the once held-back shapes (%v of a float, %x of a string), the measurements behind
//! what is NOT proposed (fmt.Errorf without verbs, strings.Builder growth), and the extension
//! examples appended to rules/fmt-sprintf.md.
//! (tests/rule_fmt_sprintf.rs, owned separately, covers the rule's original verbs.)

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

const RULE: &str = "fmt-sprintf";
const FIXTURE: &str = "fmt-sprintf-ext";

// ------------------------------------------------------------ shared with the other rule tests
// (tests/rule_fprintf_string.rs and tests/rule_slice_to_array.rs carry the same helpers)

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

/// Runs `--apply` and compares every file with its `.golden` (files without one must not change).
fn golden_problems(dir: &Path) -> Vec<String> {
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
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match std::fs::read(format!("{}.golden", dir.join(rel).display())) {
            Ok(golden) if *new != golden => {
                problems.push(format!("{name}: differs from its golden:\n--- got\n{}\n--- want\n{}\n--- stackify said\n{}", show(new), show(&golden), stderr(&o)))
            }
            Ok(_) => {
                if *new == before[rel] {
                    problems.push(format!("{name} has a golden but was not rewritten"));
                }
            }
            Err(_) if *new != before[rel] => problems.push(format!("{name}: has no golden, so it must be unchanged, got:\n{}", show(new))),
            Err(_) => {}
        }
    }
    problems
}

/// allocs/op of every benchmark of `pkg`, with a fixed iteration count (so growth is identical).
fn allocs(dir: &Path, pkg: &str) -> BTreeMap<String, u64> {
    let o = go(dir, &["test", "-run=^$", "-bench=.", "-benchmem", "-benchtime=200x", pkg]);
    assert!(o.status.success(), "benchmarks failed:\n{}{}", stdout(&o), stderr(&o));
    let mut out = BTreeMap::new();
    for line in stdout(&o).lines().filter(|l| l.starts_with("Benchmark")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let name = fields[0].rsplit_once('-').map_or(fields[0], |(n, _)| n).to_string();
        let a = fields.windows(2).find(|w| w[1] == "allocs/op").map(|w| w[0].parse::<u64>().unwrap());
        out.insert(name, a.unwrap_or_else(|| panic!("no allocs/op in {line:?}")));
    }
    out
}

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
        let Some(title) = info.split("title=\"").nth(1).and_then(|t| t.split('"').next()) else { continue };
        let mut code = String::new();
        for l in lines.by_ref() {
            if l == "```" {
                break;
            }
            code.push_str(l);
            code.push('\n');
        }
        out.push(Example { name: heading.clone(), title: title.to_string(), code });
    }
    out
}

/// (name, input, expected output) for every before/after pair and keep example of `doc`.
fn cases(doc: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut it = examples(doc).into_iter();
    while let Some(e) = it.next() {
        match e.title.as_str() {
            "before" => {
                let after = it.next().unwrap_or_else(|| panic!("{}: `before` without `after`", e.name));
                assert_eq!(after.title, "after", "{}: `before` must be followed by `after`", e.name);
                out.push((e.name, e.code, after.code));
            }
            "keep" => out.push((e.name, e.code.clone(), e.code)),
            other => panic!("{}: unknown example title {other:?} (before, after, keep)", e.name),
        }
    }
    out
}

/// Writes the example into a fresh module, checks it is sound Go, runs `--apply`, and compares.
fn run_case(input: &str, want: &str) -> Result<(), String> {
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
    let o = apply(dir.path());
    if code(&o) != 0 {
        return Err(format!("--apply exited {}:\n{}", code(&o), stderr(&o)));
    }
    let got = std::fs::read_to_string(dir.path().join("p.go")).unwrap();
    if got != want {
        return Err(format!("--- got\n{got}--- want\n{want}--- stackify said\n{}", stderr(&o)));
    }
    sound("after --apply")
}

#[allow(dead_code)]
fn document_examples_hold(doc_path: &str, min_pairs: usize, min_keeps: usize) {
    let doc = std::fs::read_to_string(repo().join(doc_path)).unwrap();
    let all = cases(&doc);
    let pairs = all.iter().filter(|(_, i, o)| i != o).count();
    let keeps = all.len() - pairs;
    assert!(pairs >= min_pairs && keeps >= min_keeps, "{doc_path}: {pairs} before/after pairs, {keeps} keep examples");
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = all.iter().map(|(n, i, o)| (n, s.spawn(move || run_case(i, o)))).collect();
        handles.into_iter().filter_map(|(n, h)| h.join().unwrap().err().map(|e| format!("example {n:?}: {e}"))).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[allow(dead_code)]
fn document_has_sections(doc_path: &str, id: &str) {
    let doc = std::fs::read_to_string(repo().join(doc_path)).unwrap();
    let first = doc.lines().next().unwrap();
    let (got_id, title) = first.strip_prefix("# ").and_then(|h| h.split_once(": ")).unwrap_or_else(|| panic!("first line must be `# <id>: <title>`: {first:?}"));
    assert_eq!(got_id, id);
    assert!(!title.trim().is_empty());
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_stackify")).arg("--list-rules").output().unwrap();
    assert!(stdout(&o).lines().any(|l| l.split_whitespace().next() == Some(id)), "{}", stdout(&o));
    let want = ["Escape cause", "Findings matched", "Rewrite", "Preconditions", "Evidence", "Examples"];
    let got: Vec<&str> = doc.lines().filter_map(|l| l.strip_prefix("## ")).map(str::trim).collect();
    assert_eq!(got, want, "rules/README.md fixes the sections and their order");
}

// ------------------------------------------------------------ the extensions

/// Where the extension section starts in rules/fmt-sprintf.md (appended after the owner's examples).
const MARKER: &str = "<!-- fmt-sprintf extensions -->";

#[test]
fn fixture_rewrites_match_the_reviewed_goldens_and_keep_is_untouched() {
    let dir = fixture(FIXTURE);
    let keep_before = snapshot(&dir.path().join("keep"));
    let problems = golden_problems(dir.path());
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert_eq!(snapshot(&dir.path().join("keep")), keep_before, "keep/ must be byte-for-byte untouched");
    assert_gofmt_clean(dir.path(), &[]);
    // fix/'s tests hold fmt's output (NaN, -0, +Inf, rounding); keep/'s fail on a naive rewrite;
    // equiv/ compares fmt with the rule's float and hex mappings over ~500k value/verb pairs.
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn every_keep_site_is_declined_with_the_trap_it_hits() {
    let dir = fixture(FIXTURE);
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE, "./keep/..."]));
    assert!(doc["fixes"].as_array().unwrap().is_empty(), "no fix in keep/: {:#?}", doc["fixes"]);
    let reasons: Vec<String> = doc["declined"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap().to_string()).collect();
    for needle in [
        "%X of `b` ([]byte): no exact strconv equivalent",
        "`%#x` has flags, width or precision",
        "`%.2x` has flags, width or precision",
        "`%8.2f` has flags, width or precision",
        "`%+.1f` has flags, width or precision",
        "%f of `t` (Temp): its type has a Format method",
    ] {
        assert!(reasons.iter().any(|r| r.contains(needle)), "no decline reason contains {needle:?}: {reasons:#?}");
    }
}

#[test]
fn allocations_drop_in_the_fixture_benchmarks() {
    let dir = fixture(FIXTURE);
    let before = allocs(dir.path(), "./fix/");
    let o = apply(dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = allocs(dir.path(), "./fix/");
    // Measured on go1.26.8: the boxed float / slice header goes; the result string stays.
    let want = [
        ("BenchmarkMoney", (2, 1)),
        ("BenchmarkShort", (2, 1)),
        ("BenchmarkPair", (2, 1)),
        ("BenchmarkDigest", (2, 1)),
        ("BenchmarkKey", (3, 1)),
    ];
    for (name, (b, a)) in want {
        assert_eq!((before[name], after[name]), (b, a), "{name} allocs/op before → after");
    }
}

fn module(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("stackify-ext-").tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.test/p\n\ngo 1.22\n").unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn float_v_and_string_x_are_rewritten_with_the_operands_bit_size() {
    // %v of a float and %x of a string were held back until fixtures/fmt-sprintf/keep and
    // rules/fmt-sprintf.md stopped listing them as kept; their twins are proven by equiv/. The test
    // file holds fmt's own output (checked before the rewrite) and must still pass after it.
    let src = "package p\n\nimport \"fmt\"\n\nfunc V(f float64) string { return fmt.Sprintf(\"%v\", f) }\n\n\
               func S(f float32) string { return fmt.Sprint(f) }\n\nfunc X(s string) string { return fmt.Sprintf(\"%x\", s) }\n";
    let test = "package p\n\nimport \"testing\"\n\nfunc TestSame(t *testing.T) {\n\
                \tfor _, c := range [][2]string{\n\
                \t\t{V(0.1), \"0.1\"}, {V(1e21), \"1e+21\"}, {V(-1e-7), \"-1e-07\"},\n\
                \t\t{S(0.1), \"0.1\"}, {S(1.0 / 3), \"0.33333334\"}, {S(16777217), \"1.6777216e+07\"},\n\
                \t\t{X(\"hi\"), \"6869\"}, {X(\"\\xff\\x00\"), \"ff00\"}, {X(\"\"), \"\"},\n\
                \t} {\n\t\tif c[0] != c[1] {\n\t\t\tt.Errorf(\"got %q, want %q\", c[0], c[1])\n\t\t}\n\t}\n}\n";
    let dir = module(&[("p.go", src), ("p_test.go", test)]);
    assert_go_ok(dir.path(), "./...");
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE]));
    let reasons: Vec<&str> = doc["declined"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert!(reasons.is_empty(), "{reasons:#?}");
    let o = apply(dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        read(dir.path(), "p.go"),
        "package p\n\nimport (\n\t\"encoding/hex\"\n\t\"strconv\"\n)\n\n\
         func V(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }\n\n\
         func S(f float32) string { return strconv.FormatFloat(float64(f), 'g', -1, 32) }\n\n\
         func X(s string) string { return hex.EncodeToString([]byte(s)) }\n"
    );
    assert_go_ok(dir.path(), "./...");
}

/// `go build -gcflags=-m` of one function, lines mentioning `p.go:<line>`.
fn m_lines(dir: &Path, line: u32) -> Vec<String> {
    let o = go(dir, &["build", "-gcflags=-m", "./..."]);
    assert!(o.status.success(), "{}", stderr(&o));
    let tag = format!("p.go:{line}:");
    stderr(&o).lines().filter(|l| l.contains(&tag)).map(|l| l.split_once(": ").unwrap().1.to_string()).collect()
}

#[test]
fn errorf_without_verbs_is_not_proposed_because_nothing_changes_in_m() {
    // The measurement behind "fmt.Errorf(\"const\") → errors.New: not proposed" (rules/fmt-sprintf.md):
    // with the toolchain at hand fmt.Errorf inlines errors.New when it has no arguments, so the
    // compiler reports the same allocation for both; a finding-removed rule has nothing to prove.
    // If this fails, the toolchain changed: re-measure before proposing the rewrite.
    let dir = module(&[(
        "p.go",
        "package p\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n)\n\nfunc A() error { return fmt.Errorf(\"closed\") }\n\nfunc B() error { return errors.New(\"closed\") }\n",
    )]);
    let a = m_lines(dir.path(), 8);
    let b = m_lines(dir.path(), 10);
    assert!(a.iter().any(|l| l == "inlining call to errors.New"), "{a:#?}");
    let escapes = |v: &[String]| v.iter().filter(|l| l.ends_with("escapes to heap")).cloned().collect::<Vec<_>>();
    assert_eq!(escapes(&a), vec!["&errors.errorString{...} escapes to heap".to_string()]);
    assert_eq!(escapes(&a), escapes(&b));
    // ...and stackify proposes nothing for it (the finding is an inlined copy of errors.New).
    let doc = json(&stackify(dir.path(), &["--json", "--rule", RULE]));
    assert!(doc["fixes"].as_array().unwrap().is_empty(), "{:#?}", doc["fixes"]);
}

#[test]
fn builder_growth_shows_no_native_finding_for_a_rule_to_anchor() {
    // The measurement behind "strings.Builder growth: not proposed yet" (rules/fmt-sprintf.md): the
    // growth appends are inlined from strings.(*Builder).WriteString, so every finding in the loop
    // is an inlined copy (rules only see native findings), and Grow removes none of them (the win,
    // 4 → 1 allocs/op, is invisible to -m). It needs a fewer-allocations rule that may anchor on
    // inlined Builder findings.
    let dir = module(&[(
        "p.go",
        "package p\n\nimport \"strings\"\n\nfunc Join(parts []string) string {\n\tvar b strings.Builder\n\tfor _, p := range parts {\n\t\tb.WriteString(p)\n\t}\n\treturn b.String()\n}\n",
    )]);
    let doc = json(&stackify(dir.path(), &["--json", "--all"]));
    let in_loop: Vec<&serde_json::Value> = doc["findings"].as_array().unwrap().iter().filter(|f| f["line"] == 8).collect();
    assert!(!in_loop.is_empty(), "expected the inlined append finding at line 8: {:#?}", doc["findings"]);
    for f in in_loop {
        assert_ne!(f["origin"], "native", "{f}");
    }
}

#[test]
fn appended_examples_rewrite_exactly_as_documented() {
    let doc = std::fs::read_to_string(repo().join("rules/fmt-sprintf.md")).unwrap();
    let (_, ext) = doc.split_once(MARKER).unwrap_or_else(|| panic!("rules/fmt-sprintf.md has no {MARKER} section"));
    let all = cases(ext);
    let pairs = all.iter().filter(|(_, i, o)| i != o).count();
    assert!(pairs >= 3 && all.len() - pairs >= 2, "{pairs} pairs, {} keeps", all.len() - pairs);
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = all.iter().map(|(n, i, o)| (n, s.spawn(move || run_case(i, o)))).collect();
        handles.into_iter().filter_map(|(n, h)| h.join().unwrap().err().map(|e| format!("example {n:?}: {e}"))).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The owner's test requires exactly six `## ` sections: the extension adds none.
    assert!(!ext.lines().any(|l| l.starts_with("## ")), "the extension section must not add `## ` headings");
}
