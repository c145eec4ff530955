//! A rule is one file: it may use the shared layers (syntax, source, findings, fix, go::helper and
//! the rule API in rules/mod.rs) but never a sibling rule, so adding or changing one rule cannot
//! break another.

use std::path::Path;

#[test]
fn no_rule_imports_a_sibling_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let rules: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|stem| stem != "mod" && stem != "codes")
        .collect();
    assert!(rules.len() >= 10, "found only {rules:?} in {}", dir.display());
    let mut offences = Vec::new();
    for rule in &rules {
        let text = std::fs::read_to_string(dir.join(format!("{rule}.rs"))).unwrap();
        for other in rules.iter().filter(|o| *o != rule) {
            // `rules::x` also covers `crate::rules::x`.
            for path in [format!("super::{other}"), format!("rules::{other}")] {
                // `super::{a, b}` groups are the rule API; a sibling would appear as a path segment.
                for (at, _) in text.match_indices(&path) {
                    let next = text[at + path.len()..].chars().next();
                    if next.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
                        let line = text[..at].lines().count() + 1;
                        offences.push(format!("src/rules/{rule}.rs:{line}: uses `{path}`"));
                    }
                }
            }
        }
        // A grouped import could name a sibling too: `use super::{other, ...}`.
        for group in text.split("use super::{").skip(1) {
            let names = group.split('}').next().unwrap_or("");
            for name in names.split(',').map(|n| n.trim().split("::").next().unwrap_or("").trim()) {
                if rules.iter().any(|r| r == name) {
                    offences.push(format!(
                        "src/rules/{rule}.rs: imports the sibling rule `{name}` in `use super::{{...}}`"
                    ));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "rules must not import each other (share code through src/syntax):\n{}",
        offences.join("\n")
    );
}

/// `check` sits below `output` (sarif and github print check's verdicts), so it must not reach back
/// up: shared display pieces live in `findings::display`.
#[test]
fn check_does_not_import_output() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/check.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    let offences: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("crate::output") || l.contains("super::output"))
        .map(|(i, _)| i + 1)
        .collect();
    assert!(offences.is_empty(), "src/check.rs uses crate::output at lines {offences:?}");
}

/// The syntax layer sits under the rules: it may use `crate::source` (and itself), never a rule's
/// `Decline`, so decline codes and reasons are worded in one place, the rule.
#[test]
fn syntax_imports_only_source() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/syntax");
    let mut offences = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let crate_paths = line.match_indices("crate::").map(|(at, _)| &line[at + "crate::".len()..]);
            let foreign = crate_paths.filter(|rest| !rest.starts_with("source") && !rest.starts_with("syntax")).count();
            if foreign > 0 || line.contains("Decline") {
                offences.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(offences.is_empty(), "src/syntax may import only crate::source:\n{}", offences.join("\n"));
}
