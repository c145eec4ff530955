//! Turns raw compiler blocks into [`Finding`]s that point at real files and say where they come from.
//!
//! Two traps from docs/compiler-facts.md are handled here:
//! - replayed output keeps the relative paths of whatever directory the original compile ran in, so a
//!   path is resolved by matching its trailing components against the files `go list` reported,
//!   preferring the package whose block it appeared in;
//! - a finding reported at an inlined call site points at the caller's `(` but describes the callee's
//!   code; it must not be fixed there. Such positions carry an `inlining call to F` line, which names
//!   the callee the finding belongs to.

use super::classify;
use super::parse::RawPackageOutput;
use super::{Finding, Origin};
use crate::go::Listing;
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

/// Where every known source file lives, by base name.
pub struct FileIndex {
    by_name: HashMap<String, Vec<(PathBuf, String)>>,
    goroot: PathBuf,
}

impl FileIndex {
    pub fn new(listing: &Listing, goroot: &Path) -> Self {
        let mut by_name: HashMap<String, Vec<(PathBuf, String)>> = HashMap::new();
        for p in listing.packages.iter().filter(|p| !p.standard) {
            for f in p.source_files() {
                if let Some(name) = f.file_name().map(|n| n.to_string_lossy().into_owned()) {
                    by_name.entry(name).or_default().push((f, p.import_path.clone()));
                }
            }
        }
        FileIndex { by_name, goroot: goroot.to_path_buf() }
    }

    /// Resolve a path printed in the block of `package` to (absolute file, owning package).
    pub fn resolve(&self, raw: &str, package: &str) -> Option<(PathBuf, String)> {
        let path = Path::new(raw);
        let name = path.file_name()?.to_string_lossy().into_owned();
        let candidates = self.by_name.get(&name)?;
        if path.is_absolute() {
            return candidates.iter().find(|(f, _)| f == path).cloned();
        }
        // Drop leading `.` and `..`: what remains is a suffix of the real path.
        let tail: Vec<_> =
            path.components().skip_while(|c| matches!(c, Component::CurDir | Component::ParentDir)).collect();
        let matching: Vec<&(PathBuf, String)> = candidates
            .iter()
            .filter(|(f, _)| {
                let comps: Vec<_> = f.components().collect();
                comps.len() >= tail.len() && comps[comps.len() - tail.len()..] == tail[..]
            })
            .collect();
        matching.iter().find(|(_, pkg)| pkg == package).or_else(|| matching.first()).map(|c| (*c).clone())
    }

    pub fn is_goroot(&self, raw: &str) -> bool {
        let p = Path::new(raw);
        p.is_absolute() && p.starts_with(&self.goroot)
    }
}

/// Subjects that sit at a call's `(` in the caller's own right even when that call was inlined: the
/// variadic slice the caller builds, and the call's results (`~r0`) the caller boxes.
fn native_at_call_site(subject: &str) -> bool {
    subject == "... argument" || subject.starts_with("~r") || subject.starts_with("~R")
}

/// What the compiler said besides findings, with resolved files: closure captures and which
/// functions it inlines. Rules use these (closure-param, return-value).
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct CompilerNotes {
    /// (file, capture) for every `F capturing by ref|value: x` line.
    pub captures: Vec<(PathBuf, super::parse::Capture)>,
    /// (file, line, col) of a function declaration → (compiler's name, can inline).
    pub inlinability: HashMap<(PathBuf, u32, u32), (String, bool)>,
}

pub fn notes(blocks: &[RawPackageOutput], index: &FileIndex) -> CompilerNotes {
    let mut n = CompilerNotes::default();
    for b in blocks {
        for c in &b.captures {
            if let Some((f, _)) = index.resolve(&c.pos.path, &b.import_path) {
                if !n.captures.iter().any(|(pf, pc)| pf == &f && pc == c) {
                    n.captures.push((f, c.clone()));
                }
            }
        }
        for i in &b.inlinability {
            if let Some((f, _)) = index.resolve(&i.pos.path, &b.import_path) {
                n.inlinability.entry((f, i.pos.line, i.pos.col)).or_insert((i.function.clone(), i.can_inline));
            }
        }
    }
    n
}

/// Build the findings of all blocks. Test variants repeat the findings of the package they extend;
/// a finding (same file, position, message) is kept once.
pub fn attribute(blocks: &[RawPackageOutput], index: &FileIndex) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen: HashSet<(Option<PathBuf>, String, u32, u32, String, String)> = HashSet::new();
    // A canonical order: a cache replay prints packages in a different order each run, and finding
    // ids, JSON output and the type helper's (cached) request must not depend on that. Plain
    // packages come before test variants, so a repeated finding keeps the package it belongs to.
    let mut ordered: Vec<&RawPackageOutput> = blocks.iter().collect();
    ordered.sort_by(|a, b| (a.variant.is_some(), &a.import_path).cmp(&(b.variant.is_some(), &b.import_path)));
    // Thousands of findings share a handful of paths: resolve each (path, package) once.
    let mut memo: HashMap<(&str, &str), Option<(PathBuf, String)>> = HashMap::new();
    for block in ordered {
        // Which inlined results (`~r0`) each position shows to be strings built there; read once per
        // block (a position's findings are all in its block).
        let mut at_pos: HashMap<&super::RawPos, Vec<(&str, &[super::Flow])>> = HashMap::new();
        for raw in &block.findings {
            at_pos.entry(&raw.pos).or_default().push((raw.subject.as_str(), raw.flows.as_slice()));
        }
        for raw in &block.findings {
            let resolved = if raw.pos.path == "<autogenerated>" {
                None
            } else {
                memo.entry((raw.pos.path.as_str(), block.import_path.as_str()))
                    .or_insert_with(|| index.resolve(&raw.pos.path, &block.import_path))
                    .clone()
            };
            let file = resolved.as_ref().map(|(f, _)| f.clone());
            let key = (
                file.clone(),
                if file.is_none() { raw.pos.path.clone() } else { String::new() },
                raw.pos.line,
                raw.pos.col,
                raw.kind.name().to_string(),
                raw.subject.clone(),
            );
            if !seen.insert(key) {
                continue;
            }
            let origin = if raw.pos.path == "<autogenerated>" {
                Origin::Foreign { reason: "compiler-generated wrapper (<autogenerated>)".into() }
            } else if index.is_goroot(&raw.pos.path) {
                Origin::Foreign { reason: "standard library code instantiated or wrapped here".into() }
            } else if let Some((_, owner)) = resolved.as_ref().filter(|(_, owner)| owner != &block.import_path) {
                Origin::Foreign {
                    reason: format!(
                        "code of package {owner} compiled into {} (generic instantiation or wrapper)",
                        block.import_path
                    ),
                }
            } else if resolved.is_none() {
                Origin::Foreign { reason: format!("{} is not a file of the listed packages", raw.pos.path) }
            } else if let Some(callees) =
                block.inline_sites.get(&raw.pos).filter(|_| !native_at_call_site(&raw.subject))
            {
                Origin::Inlined { callees: callees.clone() }
            } else {
                Origin::Native
            };
            let cause = classify::cause(&raw.kind, &raw.subject, &raw.flows);
            let string_results = if raw.subject.starts_with("~r") {
                classify::built_string_results(at_pos.get(&raw.pos).into_iter().flatten().copied())
            } else {
                Vec::new()
            };
            let cost = classify::cost(&raw.kind, &raw.subject, &raw.flows, &string_results);
            out.push(Finding {
                id: out.len(),
                package: block.import_path.clone(),
                file,
                raw: raw.pos.clone(),
                kind: raw.kind.clone(),
                subject: raw.subject.clone(),
                function: raw.function.clone(),
                flows: raw.flows.clone(),
                origin,
                cause,
                cost,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::parse::parse_output;
    use crate::go::Package;

    fn listing(dir: &str, files: &[&str], path: &str) -> Listing {
        Listing {
            packages: vec![Package {
                import_path: path.into(),
                dir: dir.into(),
                go_files: files.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            }],
            compiler_output: String::new(),
        }
    }

    #[test]
    fn resolves_replayed_relative_paths() {
        let mut l = listing("/m/parser", &["list.go"], "example.com/m/parser");
        l.packages.push(Package {
            import_path: "example.com/m".into(),
            dir: "/m".into(),
            go_files: vec!["list.go".into()],
            ..Default::default()
        });
        let idx = FileIndex::new(&l, Path::new("/usr/local/go"));
        // compiled from the module root, from the package dir, and from a sibling dir
        for raw in ["parser/list.go", "./list.go", "../parser/list.go", "list.go"] {
            let (f, pkg) = idx.resolve(raw, "example.com/m/parser").unwrap();
            assert_eq!(f, PathBuf::from("/m/parser/list.go"), "{raw}");
            assert_eq!(pkg, "example.com/m/parser");
        }
        // the same base name in the root package resolves there when that block printed it
        assert_eq!(idx.resolve("./list.go", "example.com/m").unwrap().0, PathBuf::from("/m/list.go"));
        assert!(idx.resolve("other.go", "example.com/m").is_none());
    }

    #[test]
    fn inlined_findings_are_attributed_to_the_callee() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/inline.m2.txt")).unwrap();
        let blocks = parse_output(&text);
        let l = listing("/tmp/exp/demo", &["main.go"], "example.com/demo");
        let idx = FileIndex::new(&l, Path::new("/usr/local/go"));
        let findings = attribute(&blocks, &idx);
        let at = |line: u32, col: u32, subject: &str| {
            findings
                .iter()
                .find(|f| f.line() == line && f.col() == col && f.subject == subject)
                .unwrap_or_else(|| panic!("{line}:{col} {subject}"))
        };
        // name's Sprintf boxing inlined into main: belongs to `name`, not to main's call site
        assert_eq!(at(41, 18, "3").origin, Origin::Inlined { callees: vec!["name".into()] });
        // ...but main's own boxing of the inlined call's result is main's
        assert_eq!(at(41, 18, "~r0").origin, Origin::Native);
        // mk's local moved to heap through inlining
        assert_eq!(at(41, 40, "t").origin, Origin::Inlined { callees: vec!["mk".into()] });
        // errors.New inside fmt.Errorf: outermost callee first
        assert_eq!(
            at(25, 20, "&errors.errorString{...}").origin,
            Origin::Inlined { callees: vec!["fmt.Errorf".into(), "errors.New".into()] }
        );
        // the original sites in name and mk are native
        assert_eq!(at(11, 27, "i").origin, Origin::Native);
        assert_eq!(at(19, 2, "t").origin, Origin::Native);
        assert!(findings.iter().all(|f| f.file.is_some()));
    }
}
