//! The CI gate: `--check` (the `//stackify:noalloc` guard, and with `--baseline` the ratchet) and
//! `--write-baseline`. Exit 1 means "a person must look", 2 (an `Err`) means the check could not run.
//!
//! A noalloc function is matched by position, not by name: a finding whose position lies inside the
//! declaration is charged to it. That covers its own allocations, closures inside it (`F.func1`)
//! and callees inlined into it (the compiler reports those at the call site), without having to
//! reproduce the compiler's naming of generic instantiations.

use crate::analysis::Analysis;
use crate::findings::{Cost, Finding};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The directive, alone on a line of the doc comment (as gcassert's `//gcassert:noescape`).
pub const NOALLOC: &str = "//stackify:noalloc";

/// Version of the baseline file's layout; a file with another one is refused, not misread.
pub const BASELINE_VERSION: u32 = 1;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;

/// A finding that costs an allocation in the module's own code: what the default report lists,
/// the baseline records and the github annotations show without --all.
pub fn costly(f: &Finding) -> bool {
    f.is_reportable() && f.is_native() && matches!(f.cost, Cost::Allocates | Cost::MayAllocate)
}

/// A function whose doc comment carries [`NOALLOC`].
#[derive(Debug, Clone)]
pub struct NoallocFn {
    pub file: PathBuf,
    /// As the compiler names it: `F`, `T.M`, `(*T).M`.
    pub name: String,
    pub package: String,
    /// 1-based, inclusive: the whole declaration, signature to closing brace.
    pub first_line: u32,
    pub last_line: u32,
}

/// Every `//stackify:noalloc` function in the analysed packages.
pub fn noalloc_functions(a: &Analysis) -> Result<Vec<NoallocFn>> {
    let mut out = Vec::new();
    for p in a.listing.targets() {
        for file in p.source_files() {
            let text = match a.sources.get(&file) {
                Some(s) => s.text.clone(),
                None => std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?,
            };
            // Cheap test first: almost no file has the directive, and parsing costs.
            if !text.contains(NOALLOC) {
                continue;
            }
            let src = crate::source::SourceFile::parse(&file, text)?;
            out.extend(noalloc_in(&src, &p.import_path));
        }
    }
    Ok(out)
}

fn noalloc_in(src: &crate::source::SourceFile, package: &str) -> Vec<NoallocFn> {
    let root = src.tree.root_node();
    let mut cursor = root.walk();
    let mut out = Vec::new();
    for decl in root.children(&mut cursor) {
        if !matches!(decl.kind(), "function_declaration" | "method_declaration") {
            continue;
        }
        // The doc comment: the comments directly above, with no blank line between (go/doc's rule).
        let mut marked = false;
        let mut below = decl;
        while let Some(c) = below.prev_sibling().filter(|c| c.kind() == "comment") {
            if c.end_position().row + 1 < below.start_position().row {
                break;
            }
            marked |= src.node_text(c).lines().any(|l| l.trim() == NOALLOC);
            below = c;
        }
        if !marked {
            continue;
        }
        if let Some(name) = src.enclosing_function(decl) {
            out.push(NoallocFn {
                file: src.path.clone(),
                name,
                package: package.to_string(),
                first_line: decl.start_position().row as u32 + 1,
                last_line: decl.end_position().row as u32 + 1,
            });
        }
    }
    out
}

/// Findings that cost inside a noalloc function, any origin (an inlined callee allocates here too).
pub fn violations<'a>(a: &'a Analysis, marked: &'a [NoallocFn]) -> Vec<(&'a NoallocFn, &'a Finding)> {
    let mut out = Vec::new();
    for f in a.findings.iter().filter(|f| f.is_reportable() && matches!(f.cost, Cost::Allocates | Cost::MayAllocate)) {
        let Some(file) = &f.file else { continue };
        if let Some(n) = marked.iter().find(|n| &n.file == file && (n.first_line..=n.last_line).contains(&f.line())) {
            out.push((n, f));
        }
    }
    out.sort_by_key(|(_, f)| (f.file.clone(), f.line(), f.col()));
    out
}

// ---------------------------------------------------------------- baseline

/// What identifies a finding across edits: never its line, so that code moving does not count as new.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    pub package: String,
    pub function: String,
    /// `kind: subject`, e.g. `escapes-to-heap: fmt.Sprintf("%d", n)`.
    pub finding: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    key: Key,
    /// The same key can occur more than once (two identical calls in one function).
    count: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    stackify_baseline: u32,
    findings: Vec<Entry>,
}

/// The key of a finding. Packages lose their test-variant suffix (`p [p.test]`); functions lose
/// generic shapes (`F[go.shape.int]`) and closure numbers (`F.func2` → `F.func`, which shift when a
/// closure is added above); the subject loses any `file.go:L:C` position it quotes.
pub fn key(f: &Finding) -> Key {
    let package = f.package.split(" [").next().unwrap_or(&f.package).to_string();
    let function = f.function.as_deref().map(stable_function).unwrap_or_default();
    Key { package, function, finding: format!("{}: {}", f.kind.name(), strip_positions(&f.subject)) }
}

fn stable_function(name: &str) -> String {
    // Generic shapes: drop every bracketed part.
    let mut plain = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    // Closure numbers: `.func12` → `.func`; `.funcs` (a real name) is left alone.
    plain
        .split('.')
        .map(|part| match part.strip_prefix("func") {
            Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => "func",
            _ => part,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `x.go:12:3` (or `x.go:12`) anywhere in `s` becomes `x.go`.
fn strip_positions(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(".go:") {
        out.push_str(&rest[..i + 3]);
        let tail = &rest[i + 3..];
        let digits_colons = tail.bytes().take_while(|b| *b == b':' || b.is_ascii_digit()).count();
        rest = if tail[..digits_colons].bytes().any(|b| b.is_ascii_digit()) { &tail[digits_colons..] } else { tail };
    }
    out.push_str(rest);
    out
}

/// Occurrences per key of the costly findings.
pub fn counts(a: &Analysis) -> BTreeMap<Key, usize> {
    let mut m = BTreeMap::new();
    for f in a.findings.iter().filter(|f| costly(f)) {
        *m.entry(key(f)).or_default() += 1;
    }
    m
}

/// The baseline document: entries sorted by key, one field a line, so that a review sees which
/// findings came and went.
pub fn baseline_json(counts: &BTreeMap<Key, usize>) -> String {
    let doc = BaselineFile {
        stackify_baseline: BASELINE_VERSION,
        findings: counts.iter().map(|(k, n)| Entry { key: k.clone(), count: *n }).collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("a baseline always serialises");
    s.push('\n');
    s
}

pub fn read_baseline(path: &Path) -> Result<BTreeMap<Key, usize>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the baseline {}", path.display()))?;
    let doc: BaselineFile = serde_json::from_str(&text).with_context(|| {
        format!("the baseline {} is not a stackify baseline (write one with --write-baseline)", path.display())
    })?;
    if doc.stackify_baseline != BASELINE_VERSION {
        bail!(
            "the baseline {} has version {} (this stackify reads {BASELINE_VERSION}); write it again with --write-baseline",
            path.display(),
            doc.stackify_baseline
        );
    }
    let mut m = BTreeMap::new();
    for e in doc.findings {
        *m.entry(e.key).or_default() += e.count;
    }
    Ok(m)
}

// ---------------------------------------------------------------- front end

/// `--write-baseline FILE`.
pub fn write_baseline(a: &Analysis, path: &Path, quiet: bool) -> Result<u8> {
    let counts = counts(a);
    std::fs::write(path, baseline_json(&counts)).with_context(|| format!("writing the baseline {}", path.display()))?;
    if !quiet {
        eprintln!(
            "stackify: wrote {} ({} costly findings under {} keys)",
            path.display(),
            counts.values().sum::<usize>(),
            counts.len()
        );
    }
    Ok(EXIT_OK)
}

/// `--check [--baseline FILE]`: the report on stdout, exit 1 when it names a failure.
pub fn check(a: &Analysis, baseline: Option<&Path>) -> Result<u8> {
    // Read the baseline first: a bad file is an error (2) whatever the code looks like.
    let recorded = baseline.map(read_baseline).transpose()?;
    // A package that does not build has no findings: passing it would wave its code through.
    if let Some(b) = a.broken.first() {
        bail!(
            "{} of the checked packages do not build (first: {}), so --check cannot vouch for them:\n{}",
            a.broken.len(),
            b.package,
            b.error
        );
    }
    let marked = noalloc_functions(a)?;
    let mut out = String::new();
    let mut failed = false;

    let namer = crate::findings::display::Namer::new(&a.sources, &a.listing).with_known(&a.source_words);
    let found = violations(a, &marked);
    for (n, f) in &found {
        failed = true;
        let _ = writeln!(
            out,
            "{}: {} is marked {NOALLOC} but {}: {}",
            place(a, f),
            n.name,
            if f.cost == Cost::MayAllocate { "may allocate" } else { "allocates" },
            namer.message(f)
        );
        explain(&mut out, &namer, f);
    }

    if let (Some(path), Some(recorded)) = (baseline, &recorded) {
        let now = counts(a);
        // New: a key the baseline lacks, or more occurrences than it recorded. Which occurrences
        // are the new ones cannot be told apart; all of that key's are listed.
        let mut new: Vec<&Finding> = Vec::new();
        for (k, n) in &now {
            if recorded.get(k).copied().unwrap_or(0) < *n {
                new.extend(a.findings.iter().filter(|f| costly(f) && &key(f) == k));
            }
        }
        new.sort_by_key(|f| (f.file.clone(), f.line(), f.col()));
        for f in &new {
            failed = true;
            let k = key(f);
            let had = recorded.get(&k).copied().unwrap_or(0);
            let was = if had == 0 {
                "not in the baseline".to_string()
            } else {
                format!("{} occurrences, the baseline has {had}", now[&k])
            };
            let func = namer.function(f).map(|n| format!(" in {n}")).unwrap_or_default();
            let _ = writeln!(out, "{}: new finding{func} ({was}): {}", place(a, f), namer.message(f));
            explain(&mut out, &namer, f);
        }
        let gone: Vec<(&Key, usize)> = recorded
            .iter()
            .filter_map(|(k, n)| {
                let left = now.get(k).copied().unwrap_or(0);
                (left < *n).then(|| (k, n - left))
            })
            .collect();
        for (k, n) in &gone {
            let func = if k.function.is_empty() { String::new() } else { format!(" in {}", k.function) };
            let times = if *n > 1 { format!(" ({n} occurrences)") } else { String::new() };
            let _ = writeln!(out, "gone from {}{func}: {}{times}", k.package, k.finding);
        }
        if !gone.is_empty() {
            let _ = writeln!(
                out,
                "stackify: {} baseline entries have gone; `stackify --write-baseline {}` shrinks it",
                gone.len(),
                path.display()
            );
        }
    }

    let _ = writeln!(
        out,
        "stackify: check {}: {} noalloc functions, {} violations{}",
        if failed { "failed" } else { "passed" },
        marked.len(),
        found.len(),
        if baseline.is_some() { ", baseline compared" } else { "" }
    );
    print!("{out}");
    Ok(if failed { EXIT_FAILED } else { EXIT_OK })
}

fn place(a: &Analysis, f: &Finding) -> String {
    let file = f.file.as_deref().map(|p| a.display_path(p)).unwrap_or_else(|| f.raw.path.clone());
    format!("{file}:{}:{}", f.line(), f.col())
}

/// The why under a failure: the cause, an inlined callee, the compiler's flow.
fn explain(out: &mut String, namer: &crate::findings::display::Namer, f: &Finding) {
    let _ = writeln!(out, "    why: {}", crate::findings::classify::describe(f.cause));
    if let crate::findings::Origin::Inlined { callees } = &f.origin {
        let _ = writeln!(out, "    inlined from: {}", callees.join(" → "));
    }
    if let Some(flow) = crate::findings::display::flow_line(namer, f) {
        let _ = writeln!(out, "    flow: {flow}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_shapes_closure_numbers_and_positions() {
        assert_eq!(stable_function("Map[go.shape.int,go.shape.string]"), "Map");
        assert_eq!(stable_function("(*T[go.shape.int]).M.func3"), "(*T).M.func");
        assert_eq!(stable_function("F.funcs"), "F.funcs");
        assert_eq!(strip_positions("func literal at a.go:12:3"), "func literal at a.go");
        assert_eq!(strip_positions("x.go:thing"), "x.go:thing");
        assert_eq!(strip_positions("~r0"), "~r0");
    }
}
