//! Overlay composition: the content every touched file has with a set of fixes applied (imports and
//! gofmt included), how its lines map back to the original so findings can be compared, and the one
//! writer of the `-overlay` file every build and check reads.

use super::{DropCode, Dropped, Verifier};
use crate::analysis;
use crate::fix::compose::{self, Draft};
use crate::fix::Fix;
use crate::go::Toolchain;
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::PathBuf;

/// One file's composed content and how its lines map back to the original.
pub(super) struct ComposedFile {
    pub text: String,
    /// old 0-based line → new 0-based line, for lines the edits left alone.
    pub old_to_new: Vec<Option<usize>>,
    /// Changed regions: (old lines, new lines).
    pub hunks: Vec<(Range<usize>, Range<usize>)>,
    /// For each hunk, the fixes whose edits fall in it.
    pub owners: Vec<Vec<usize>>,
}

pub(super) struct Composition {
    pub files: BTreeMap<PathBuf, ComposedFile>,
    pub failures: Vec<(usize, Dropped)>,
}

/// An overlay file on disk; the directory holding it goes away with the value.
pub(super) struct Overlay {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Composition {
    /// Write the composed files where `go -overlay` reads them.
    pub fn write_overlay(&self) -> Result<Overlay> {
        let dir = tempfile::Builder::new().prefix("stackify-overlay-").tempdir()?;
        let contents: Vec<(PathBuf, String)> = self.files.iter().map(|(p, c)| (p.clone(), c.text.clone())).collect();
        let path = Toolchain::write_overlay(dir.path(), &contents)?;
        Ok(Overlay { _dir: dir, path })
    }
}

impl Verifier<'_> {
    /// The content each file would have with exactly `ids` applied (imports and gofmt included), without
    /// compiling: for per-fix previews. `Err` names the fix that cannot be composed.
    pub fn preview(&self, ids: &[usize]) -> Result<BTreeMap<PathBuf, String>> {
        let comp = self.compose(ids)?;
        if let Some((id, why)) = comp.failures.first() {
            anyhow::bail!("fix #{id}: {}", why.reason);
        }
        Ok(comp.files.into_iter().map(|(p, c)| (p, c.text)).collect())
    }

    pub(super) fn compose(&self, ids: &[usize]) -> Result<Composition> {
        let helper = self.a.helper.as_ref().context("the type helper is not available")?;
        let mut by_file: BTreeMap<PathBuf, Vec<&Fix>> = BTreeMap::new();
        for id in ids {
            let f = self.fixes[id];
            by_file.entry(f.file.clone()).or_default().push(f);
        }
        let mut failures = Vec::new();
        let mut drafts: Vec<(PathBuf, Draft, Vec<&Fix>)> = Vec::new();
        for (file, fixes) in by_file {
            let src = &self.a.sources[&file];
            match compose::draft(src, &fixes, analysis::file_imports(self.a, &file)) {
                Ok(d) => drafts.push((file, d, fixes)),
                Err(e) => {
                    let why = format!("cannot compose the edit: {e:#}");
                    failures.extend(fixes.iter().map(|f| (f.id, Dropped::new(DropCode::CannotCompose, why.clone()))))
                }
            }
        }
        let to_format: Vec<(PathBuf, String)> =
            drafts.iter().map(|(p, d, _)| (p.clone(), d.text.replace("\r\n", "\n"))).collect();
        let formatted = helper.format(&to_format)?;
        let mut files = BTreeMap::new();
        for ((file, draft, fixes), fmt) in drafts.into_iter().zip(formatted) {
            let text = match fmt {
                Ok(f) => compose::keep_gofmt_of_touched_lines(&draft, &f),
                Err(e) => {
                    let why = format!("the edited file does not parse: {e}");
                    failures.extend(fixes.iter().map(|f| (f.id, Dropped::new(DropCode::DoesNotParse, why.clone()))));
                    continue;
                }
            };
            let src = &self.a.sources[&file];
            files.insert(file, map_lines(&src.text, text, src, &fixes));
        }
        Ok(Composition { files, failures })
    }
}

impl ComposedFile {
    pub fn hunk_of_old(&self, line: usize) -> usize {
        self.hunks.iter().position(|(o, _)| o.contains(&line) || (o.is_empty() && o.start == line)).unwrap_or(0)
    }
    pub fn hunk_of_new(&self, line: usize) -> Option<usize> {
        self.hunks.iter().position(|(_, n)| n.contains(&line))
    }
    pub fn owners_of_new_line(&self, line: usize) -> Vec<usize> {
        match self.hunk_of_new(line) {
            Some(h) => self.owners[h].clone(),
            // An error on an unchanged line of an edited file (e.g. an unused import) belongs to
            // every fix in the file.
            None => self.owners.iter().flatten().copied().collect::<BTreeSet<_>>().into_iter().collect(),
        }
    }
}

fn map_lines(old: &str, new: String, src: &crate::source::SourceFile, fixes: &[&Fix]) -> ComposedFile {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old_lines, &new_lines);
    let mut old_to_new = vec![None; old_lines.len() + 1];
    let mut hunks: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            for (i, j) in o.zip(n) {
                old_to_new[i] = Some(j);
            }
        } else {
            // Merge adjacent changes into one region.
            match hunks.last_mut() {
                Some((lo, ln)) if lo.end == o.start && ln.end == n.start => {
                    lo.end = o.end;
                    ln.end = n.end;
                }
                _ => hunks.push((o, n)),
            }
        }
    }
    let all: Vec<usize> = fixes.iter().map(|f| f.id).collect();
    let owners = hunks
        .iter()
        .map(|(o, _)| {
            let owned: Vec<usize> = fixes
                .iter()
                .filter(|f| {
                    f.edits.iter().any(|e| {
                        let (a, b) = (src.line_index(e.start), src.line_index(e.end.max(e.start + 1) - 1));
                        a < o.end.max(o.start + 1) && o.start <= b
                    })
                })
                .map(|f| f.id)
                .collect();
            // Import lines belong to every fix in the file: any of them may need the import.
            if owned.is_empty() {
                all.clone()
            } else {
                owned
            }
        })
        .collect();
    ComposedFile { text: new, old_to_new, hunks, owners }
}
