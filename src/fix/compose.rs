//! Composes the fixes chosen for one file into its new content.
//!
//! The edits change only what they must. The lines they touch come out as gofmt would print them
//! (spacing inside a new expression, a sorted import), and nothing else in the file moves: gofmt's
//! output is taken only for diff hunks that overlap touched lines, so a file that was not gofmt-clean
//! elsewhere stays exactly as it was there, and CRLF files keep CRLF.

use super::{imports, Fix, TextEdit};
use crate::go::helper::ImportFacts;
use crate::source::SourceFile;
use anyhow::{bail, Result};
use std::collections::{BTreeSet, HashSet};

/// Apply non-overlapping edits (offsets into `text`). Returns the new text and, for each edit in
/// `edits` order, the byte range its text occupies in the new text.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> Result<(String, Vec<(usize, usize)>)> {
    // An edit that several fixes make identically (a shared hoisted line) is applied once; the copies
    // report the range of the first.
    let first_of: Vec<usize> =
        (0..edits.len()).map(|i| edits[..i].iter().position(|e| *e == edits[i]).unwrap_or(i)).collect();
    let mut order: Vec<usize> = (0..edits.len()).filter(|&i| first_of[i] == i).collect();
    // Insertions at an offset go before a replacement starting there (stable: same-offset insertions
    // keep their order).
    order.sort_by_key(|&i| (edits[i].start, edits[i].end != edits[i].start, edits[i].end));
    for w in order.windows(2) {
        let (a, b) = (&edits[w[0]], &edits[w[1]]);
        if a.end > b.start {
            bail!("overlapping edits at bytes {}..{} and {}..{}", a.start, a.end, b.start, b.end);
        }
    }
    let mut rope = ropey::Rope::from_str(text);
    let mut ranges = vec![(0, 0); edits.len()];
    let mut shift: isize = 0;
    for &i in &order {
        let e = &edits[i];
        if e.end > text.len() || !text.is_char_boundary(e.start) || !text.is_char_boundary(e.end) {
            bail!("edit {}..{} is not on a character boundary", e.start, e.end);
        }
        let start = (e.start as isize + shift) as usize;
        let end = (e.end as isize + shift) as usize;
        let (cs, ce) = (rope.byte_to_char(start), rope.byte_to_char(end));
        rope.remove(cs..ce);
        rope.insert(cs, &e.text);
        ranges[i] = (start, start + e.text.len());
        shift += e.text.len() as isize - (e.end - e.start) as isize;
    }
    for i in 0..edits.len() {
        ranges[i] = ranges[first_of[i]];
    }
    Ok((rope.to_string(), ranges))
}

/// A file's new content before the gofmt pass.
#[derive(Debug, Clone)]
pub struct Draft {
    pub text: String,
    /// 0-based line indices (in `text`) that the edits touched.
    pub touched_lines: BTreeSet<usize>,
    /// All edits applied, in original-file offsets (fix edits and import edits).
    pub edits: Vec<TextEdit>,
}

/// Apply `fixes` (all for `src`) plus the import edits they imply.
pub fn draft(src: &SourceFile, fixes: &[&Fix], file_imports: &[ImportFacts]) -> Result<Draft> {
    let mut edits: Vec<TextEdit> = fixes.iter().flat_map(|f| f.edits.iter().cloned()).collect();
    let mut add: Vec<String> = fixes.iter().flat_map(|f| f.add_imports.iter().cloned()).collect();
    add.sort();
    add.dedup();
    // Drop an import when every one of its uses in the file is deleted by these fixes.
    let removed: HashSet<(String, usize)> = fixes.iter().flat_map(|f| f.removed_uses.iter().cloned()).collect();
    let mut remove = Vec::new();
    for imp in file_imports {
        if imp.name == "_" || imp.name == "." || imp.uses.is_empty() {
            continue;
        }
        if imp.uses.iter().all(|u| removed.contains(&(imp.path.clone(), *u))) {
            remove.push(imp.path.clone());
        }
    }
    edits.extend(imports::import_edits(src, &add, &remove)?);
    let (text, ranges) = apply_edits(&src.text, &edits)?;
    let mut touched_lines = BTreeSet::new();
    let starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line_of = |off: usize| starts.partition_point(|&s| s <= off) - 1;
    for (s, e) in ranges {
        let (a, b) = (line_of(s), line_of(e.saturating_sub(1).max(s)));
        touched_lines.extend(a..=b);
    }
    Ok(Draft { text, touched_lines, edits })
}

/// Take gofmt's version of the touched lines only. `formatted` is gofmt's output for `draft.text`
/// (always LF); lines keep the draft's own terminator style.
pub fn keep_gofmt_of_touched_lines(draft: &Draft, formatted: &str) -> String {
    let crlf = draft.text.contains("\r\n");
    let old: Vec<&str> = draft.text.split_inclusive('\n').collect();
    let old_bare: Vec<&str> = old.iter().map(|l| l.trim_end_matches('\n').trim_end_matches('\r')).collect();
    let new_bare: Vec<&str> = formatted.split_inclusive('\n').map(|l| l.trim_end_matches('\n')).collect();
    let diff = similar::capture_diff_slices(similar::Algorithm::Myers, &old_bare, &new_bare);
    let mut out = String::with_capacity(draft.text.len());
    let nl = if crlf { "\r\n" } else { "\n" };
    let take_new = |out: &mut String, line: &str| {
        out.push_str(line);
        out.push_str(nl);
    };
    for op in diff {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            old[o].iter().for_each(|l| out.push_str(l));
            continue;
        }
        if o.len() == n.len() {
            // Line for line: gofmt's version only where the edits touched, and only when it changes
            // layout, not tokens (a reordering taken in part would duplicate or drop a line).
            for (i, j) in o.zip(n) {
                if draft.touched_lines.contains(&i) && same_tokens(&old_bare[i..=i], &new_bare[j..=j]) {
                    take_new(&mut out, new_bare[j]);
                } else {
                    out.push_str(old[i]);
                }
            }
            continue;
        }
        // Lines added or removed (alignment blocks, joined lines): all or nothing.
        let touched = if o.is_empty() {
            draft.touched_lines.contains(&o.start) || (o.start > 0 && draft.touched_lines.contains(&(o.start - 1)))
        } else {
            o.clone().any(|i| draft.touched_lines.contains(&i))
        };
        if touched && same_tokens(&old_bare[o.clone()], &new_bare[n.clone()]) {
            new_bare[n].iter().for_each(|l| take_new(&mut out, l));
        } else {
            old[o].iter().for_each(|l| out.push_str(l));
        }
    }
    // gofmt always ends with a newline; a draft without a final newline keeps its ending.
    if !draft.text.ends_with('\n') && out.ends_with(nl) && !formatted.is_empty() {
        let last_touched = draft.touched_lines.iter().next_back().copied() == Some(old.len().saturating_sub(1));
        if !last_touched {
            out.truncate(out.len() - nl.len());
        }
    }
    out
}

/// The same text once whitespace is ignored: gofmt changed only the layout of these lines.
fn same_tokens(a: &[&str], b: &[&str]) -> bool {
    let squash = |ls: &[&str]| ls.iter().flat_map(|l| l.chars()).filter(|c| !c.is_whitespace()).collect::<String>();
    squash(a) == squash(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_edits_by_bytes_with_unicode() {
        let text = "x := \"größe\" + f(n)\n";
        let at = text.find("f(n)").unwrap();
        let (out, ranges) = apply_edits(text, &[TextEdit { start: at, end: at + 4, text: "g(n, 1)".into() }]).unwrap();
        assert_eq!(out, "x := \"größe\" + g(n, 1)\n");
        assert_eq!(&out[ranges[0].0..ranges[0].1], "g(n, 1)");
        assert!(apply_edits(
            text,
            &[TextEdit { start: 0, end: 3, text: String::new() }, TextEdit { start: 2, end: 4, text: String::new() }]
        )
        .is_err());
    }

    #[test]
    fn an_edit_two_fixes_share_is_applied_once_and_line_insertions_keep_fix_order() {
        // Two prealloc fixes of one loop: both hoist its range operand, each adds its own make.
        let text = "\tfor _, k := range f() {\n";
        let at = text.find("f()").unwrap();
        let hoist = TextEdit { start: 0, end: 0, text: "\titems := f()\n".into() };
        let operand = TextEdit { start: at, end: at + 3, text: "items".into() };
        let a = TextEdit { start: 0, end: 0, text: "\ta = make([]K, 0, len(items))\n".into() };
        let b = TextEdit { start: 0, end: 0, text: "\tb = make([]K, 0, len(items))\n".into() };
        let edits = [hoist.clone(), a, operand.clone(), hoist, b, operand];
        let (out, ranges) = apply_edits(text, &edits).unwrap();
        assert_eq!(
            out,
            "\titems := f()\n\ta = make([]K, 0, len(items))\n\tb = make([]K, 0, len(items))\n\tfor _, k := range items {\n"
        );
        assert_eq!(ranges[3], ranges[0]);
        assert_eq!(&out[ranges[5].0..ranges[5].1], "items");
    }

    #[test]
    fn a_reordering_is_never_taken_in_part() {
        // The draft appended "strconv" to an unsorted block; gofmt would also move "fmt". Taking
        // only the touched part of that move would duplicate or lose a line: keep the draft.
        let draft = Draft {
            text: "import (\n\t\"fmt\"\n\t\"example.test/p/zz2\"\n\t\"strconv\"\n)\n".into(),
            touched_lines: [3].into_iter().collect(),
            edits: vec![],
        };
        let formatted = "import (\n\t\"example.test/p/zz2\"\n\t\"fmt\"\n\t\"strconv\"\n)\n";
        let out = keep_gofmt_of_touched_lines(&draft, formatted);
        assert_eq!(out.matches("\"fmt\"").count(), 1, "{out}");
        assert_eq!(out.matches("zz2").count(), 1, "{out}");
        assert_eq!(out, draft.text);
    }

    #[test]
    fn gofmt_only_where_touched() {
        // line 1 is badly formatted but untouched: it must stay as it is
        let draft = Draft {
            text: "var  a = 1\nvar b = f(x+ y)\n".into(),
            touched_lines: [1].into_iter().collect(),
            edits: vec![],
        };
        let formatted = "var a = 1\nvar b = f(x + y)\n";
        assert_eq!(keep_gofmt_of_touched_lines(&draft, formatted), "var  a = 1\nvar b = f(x + y)\n");
        let crlf = Draft {
            text: "var  a = 1\r\nvar b = f(x+ y)\r\n".into(),
            touched_lines: [1].into_iter().collect(),
            edits: vec![],
        };
        assert_eq!(keep_gofmt_of_touched_lines(&crlf, formatted), "var  a = 1\r\nvar b = f(x + y)\r\n");
    }
}
