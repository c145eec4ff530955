//! Rendering: the text report, unified diffs and the JSON document. Nothing here decides anything.

pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use crate::analysis::Analysis;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A unified diff of every changed file, with `a/` and `b/` paths relative to the working directory,
/// so `git apply` / `patch -p1` run there reproduce `--apply`.
pub fn unified_diff(a: &Analysis, files: &BTreeMap<PathBuf, String>) -> String {
    let mut out = String::new();
    for (path, new) in files {
        let old = a.sources.get(path).map(|s| s.text.as_str()).unwrap_or("");
        out.push_str(&file_diff(&a.display_path(path), old, new));
    }
    out
}

pub fn file_diff(rel: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut s = format!("diff --git a/{rel} b/{rel}\n");
    s.push_str(&diff.unified_diff().context_radius(3).header(&format!("a/{rel}"), &format!("b/{rel}")).to_string());
    if !new.ends_with('\n') && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Colour a diff for a terminal (`console` turns styling off for NO_COLOR and non-terminals).
pub fn colorize_diff(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len());
    for line in diff.split_inclusive('\n') {
        let styled = if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") {
            console::style(line).bold().to_string()
        } else if line.starts_with('+') {
            console::style(line).green().to_string()
        } else if line.starts_with('-') {
            console::style(line).red().to_string()
        } else if line.starts_with("@@") {
            console::style(line).cyan().to_string()
        } else {
            line.to_string()
        };
        out.push_str(&styled);
    }
    out
}
