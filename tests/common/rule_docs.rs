//! The rule documents, rules/<id>.md, whose format rules/README.md fixes: a `# <id>: <title>` line,
//! six `## ` sections in a fixed order, and ```go title="before|after|keep"``` examples that are
//! complete files, each run through the real binary and the real Go toolchain in a fresh module.

use super::{apply, code, go, json, repo, stackify, stderr, stdout};
use std::collections::BTreeMap;
use std::path::Path;

/// The `## ` sections every rule document has, in this order (rules/README.md).
pub const SECTIONS: [&str; 6] =
    ["Escape cause", "Findings matched", "Rewrite", "Preconditions", "Evidence", "Examples"];

/// The text of rules/<id>.md.
pub fn read_doc(id: &str) -> String {
    std::fs::read_to_string(repo().join(format!("rules/{id}.md"))).unwrap_or_else(|e| panic!("rules/{id}.md: {e}"))
}

/// rules/<id>.md starts with `# <id>: <title>`, names a rule `--list-rules` prints, and has exactly
/// the sections of [`SECTIONS`], each of which rules/README.md describes. Returns the document for
/// rule-specific checks.
pub fn assert_document_sections(id: &str) -> String {
    let doc = read_doc(id);
    let first = doc.lines().next().unwrap();
    let (got_id, title) = first
        .strip_prefix("# ")
        .and_then(|h| h.split_once(": "))
        .unwrap_or_else(|| panic!("first line must be `# <id>: <title>`: {first:?}"));
    assert_eq!(got_id, id);
    assert!(!title.trim().is_empty());
    // The id is the one --list-rules prints.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_stackify")).arg("--list-rules").output().unwrap();
    assert!(stdout(&o).lines().any(|l| l.split_whitespace().next() == Some(id)), "{}", stdout(&o));
    let got: Vec<&str> = doc.lines().filter_map(|l| l.strip_prefix("## ")).map(str::trim).collect();
    assert_eq!(got, SECTIONS, "rules/README.md fixes the sections and their order");
    // Every section the rule documents must have is also described there.
    let readme = std::fs::read_to_string(repo().join("rules/README.md")).unwrap();
    for s in SECTIONS {
        assert!(readme.contains(&format!("`## {s}`")), "rules/README.md does not describe `## {s}`");
    }
    doc
}

/// A ```go``` fence with a `title`, named by the nearest heading above it.
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

/// The ```go title="..."``` blocks of a document, each named by the nearest heading above it. Other
/// fences (untitled `go`, other languages) are prose.
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
            out.push(Example {
                name: heading.clone(),
                title: title.clone(),
                known_bug: attrs.get("known-bug").cloned(),
                code,
            });
        }
    }
    out
}

/// One runnable example: a `before` with its `after`, or a `keep` (`after` is `None`: the file must
/// come out unchanged).
pub struct Case {
    pub name: String,
    pub input: String,
    pub after: Option<String>,
    /// The `known-bug` attribute of the `before` or `keep` block.
    pub known_bug: Option<String>,
}

impl Case {
    pub fn is_keep(&self) -> bool {
        self.after.is_none()
    }

    /// What `p.go` must be after `--apply`.
    pub fn want(&self) -> &str {
        self.after.as_deref().unwrap_or(&self.input)
    }
}

/// Every example of `doc` as a case; `label` names the document in failures. A `before` must be
/// followed by its `after` and differ from it (an unchanged file is a `keep`, and counting it as a
/// pair would inflate the number of documented rewrites).
pub fn cases(label: &str, doc: &str) -> Vec<Case> {
    let mut out = Vec::new();
    let mut it = examples(doc).into_iter();
    while let Some(e) = it.next() {
        match e.title.as_str() {
            "before" => {
                let after = it.next().unwrap_or_else(|| panic!("{label}: {}: `before` without `after`", e.name));
                assert_eq!(after.title, "after", "{label}: {}: `before` must be followed by `after`", e.name);
                assert_ne!(
                    e.code, after.code,
                    "{label}: {}: `before` and `after` are identical (use a `keep` example)",
                    e.name
                );
                out.push(Case { name: e.name, input: e.code, after: Some(after.code), known_bug: e.known_bug });
            }
            "keep" => out.push(Case { name: e.name, input: e.code, after: None, known_bug: e.known_bug }),
            other => panic!("{label}: {}: unknown example title {other:?} (before, after, keep)", e.name),
        }
    }
    out
}

/// What a document's `known-bug` examples mean to its test.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum KnownBugs {
    /// Skipped: the example shows intended behaviour the rule does not meet yet (rules/README.md).
    Skip,
    /// The document must have none (its rule has no known gap; any `go` fence carrying the
    /// attribute fails the test until an ignored test for it exists).
    Forbid,
}

/// What a document's `keep` examples must show besides coming out unchanged.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Keeps {
    /// Each is a site the rule matched and declined with a reason, not one it never saw.
    Declined,
    /// Unchanged is enough: the document also keeps shapes the rule does not match at all
    /// (`fmt.Errorf` without verbs), which have no decline to show.
    Unchanged,
}

/// The examples test of one rule document, and its thresholds.
pub struct Examples<'a> {
    /// The rule `--apply --rule` runs (also the document's id for [`Examples::assert_hold`]).
    pub rule: &'a str,
    /// At least this many before/after pairs and keep examples, known bugs not counted.
    pub min_pairs: usize,
    pub min_keeps: usize,
    pub known_bugs: KnownBugs,
    pub keeps: Keeps,
}

impl Examples<'_> {
    /// Every example of rules/<rule>.md holds (see [`run_case`]), and there are enough of them.
    pub fn assert_hold(&self) {
        self.assert_hold_in(&format!("rules/{}.md", self.rule), &read_doc(self.rule));
    }

    /// [`Examples::assert_hold`] for the document text `doc`, named `label` in failures (e.g. one
    /// section of a rule document).
    pub fn assert_hold_in(&self, label: &str, doc: &str) {
        if self.known_bugs == KnownBugs::Forbid {
            for line in doc.lines().filter(|l| l.starts_with("```go")) {
                assert!(!line.contains("known-bug"), "{label}: {} has no known-bug examples ({line:?}); drop the attribute or add the ignored test first", self.rule);
            }
        }
        let all = cases(label, doc);
        let live: Vec<&Case> = all.iter().filter(|c| c.known_bug.is_none()).collect();
        let pairs = live.iter().filter(|c| !c.is_keep()).count();
        let keeps = live.iter().filter(|c| c.is_keep()).count();
        assert!(pairs >= self.min_pairs, "{label} needs at least {} before/after pairs, has {pairs}", self.min_pairs);
        assert!(keeps >= self.min_keeps, "{label} needs at least {} keep examples, has {keeps}", self.min_keeps);
        let failures = run_cases(self.rule, self.keeps, &live);
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }
}

/// Runs the cases in parallel (each its own module) and reports every failure at once.
pub fn run_cases(rule: &str, keeps: Keeps, cases: &[&Case]) -> Vec<String> {
    std::thread::scope(|s| {
        let handles: Vec<_> = cases.iter().map(|c| (&c.name, s.spawn(move || run_case(rule, keeps, c)))).collect();
        handles
            .into_iter()
            .filter_map(|(name, h)| h.join().unwrap().err().map(|e| format!("example {name:?}: {e}")))
            .collect()
    })
}

/// `go build` and `go vet` pass and `gofmt -l` lists nothing.
fn sound(dir: &Path, stage: &str) -> Result<(), String> {
    for args in [vec!["build", "./..."], vec!["vet", "./..."]] {
        let o = go(dir, &args);
        if !o.status.success() {
            return Err(format!("{stage}: go {} failed:\n{}", args.join(" "), stderr(&o)));
        }
    }
    let o = std::process::Command::new("gofmt").arg("-l").arg(".").current_dir(dir).output().unwrap();
    if !stdout(&o).trim().is_empty() {
        return Err(format!("{stage}: not gofmt-clean"));
    }
    Ok(())
}

/// Writes the example as `p.go` into a fresh module (rules/README.md), checks it is sound Go, runs
/// `--apply --rule <rule>`, compares with what the example wants, checks the result is sound and,
/// with [`Keeps::Declined`], that a keep example has the rule's decline reason.
pub fn run_case(rule: &str, keeps: Keeps, case: &Case) -> Result<(), String> {
    let dir = tempfile::Builder::new().prefix("stackify-doc-example-").tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.test/p\n\ngo 1.22\n").unwrap();
    std::fs::write(dir.path().join("p.go"), &case.input).unwrap();
    sound(dir.path(), "the example as written")?;
    let o = apply(dir.path(), &[rule]);
    if code(&o) != 0 {
        return Err(format!("--apply exited {}:\n{}", code(&o), stderr(&o)));
    }
    let got = std::fs::read_to_string(dir.path().join("p.go")).unwrap();
    let want = case.want();
    if got != want {
        let what = if case.is_keep() { "must be left unchanged" } else { "differs from its `after`" };
        return Err(format!("{what}\n--- got\n{got}--- want\n{want}--- stackify said\n{}", stderr(&o)));
    }
    if case.is_keep() && keeps == Keeps::Declined {
        let doc = json(&stackify(dir.path(), &["--json", "--rule", rule]));
        if !doc["declined"].as_array().is_some_and(|d| d.iter().any(|x| x["rule"] == rule)) {
            return Err(format!("the rule never considered this example (no decline reason): {:#}", doc["declined"]));
        }
    }
    sound(dir.path(), "after --apply")
}
