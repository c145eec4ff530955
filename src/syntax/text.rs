//! Source text as people read it in reasons and titles: code squeezed onto one line, comments that a
//! rewrite would drop, whole lines a statement occupies.

use crate::source::SourceFile;
use tree_sitter::Node;

/// The 1-based line `n` starts on, as reasons quote it.
pub fn line_of(src: &SourceFile, n: Node) -> u32 {
    src.position(n.start_byte()).0
}

/// The 1-based line of byte `offset`, as reasons quote it.
pub fn line_at(src: &SourceFile, offset: usize) -> u32 {
    src.position(offset).0
}

/// `s` with its whitespace runs collapsed to one space, cut to `max` characters (the last three
/// become `...`). Each rule keeps its own width so its reasons read as they always have.
pub fn one_line(s: &str, max: usize) -> String {
    cut(s.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

/// [`one_line`], also dropping the blank a line break leaves inside parentheses (`f( x )` → `f(x)`).
pub fn one_line_tight(s: &str, max: usize) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    cut(joined.replace("( ", "(").replace(" )", ")"), max)
}

fn cut(joined: String, max: usize) -> String {
    if joined.chars().count() > max {
        let kept: String = joined.chars().take(max.saturating_sub(3)).collect();
        format!("{kept}...")
    } else {
        joined
    }
}

/// Whether `node` contains a comment (which replacing its text would drop).
pub fn has_comment(node: Node) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == "comment" {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    false
}

/// The byte range of the lines `node` occupies, newline included, when nothing else (code or a
/// comment) shares them.
pub fn whole_line(src: &SourceFile, node: Node) -> Option<(usize, usize)> {
    let first = src.line_index(node.start_byte());
    let last = src.line_index(node.end_byte().saturating_sub(1).max(node.start_byte()));
    let start = src.line_start(first);
    let end = src.line_start(last + 1);
    let before = &src.text[start..node.start_byte()];
    let after = &src.text[node.end_byte()..end];
    (before.trim().is_empty() && after.trim().is_empty()).then_some((start, end))
}

/// Where a statement inserted before `stmt` goes, and its indentation: the start of `stmt`'s line, or
/// of the comment lines directly above it that lead into it. `None` when `stmt` (or such a comment)
/// shares its line with other code.
pub fn line_before(src: &SourceFile, stmt: Node) -> Option<(usize, String)> {
    let mut first = stmt;
    while let Some(p) = first.prev_sibling().filter(|p| p.kind() == "comment") {
        if src.line_index(p.end_byte()) + 1 < src.line_index(first.start_byte()) || !own_line(src, p) {
            break;
        }
        first = p;
    }
    if !own_line(src, first) || !own_line(src, stmt) {
        return None;
    }
    let line_start = src.line_start(src.line_index(stmt.start_byte()));
    let indent = src.text[line_start..stmt.start_byte()].to_string();
    Some((src.line_start(src.line_index(first.start_byte())), indent))
}

/// Only blanks between the start of `n`'s line and `n`.
pub fn own_line(src: &SourceFile, n: Node) -> bool {
    let start = src.line_start(src.line_index(n.start_byte()));
    src.text[start..n.start_byte()].chars().all(|c| c == ' ' || c == '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let src = SourceFile::parse(std::path::Path::new("a.go"), "package p\n\nvar x = 1\n".into()).unwrap();
        let off = src.text.find('x').unwrap();
        assert_eq!(line_at(&src, off), 3);
        let x = src.tree.root_node().descendant_for_byte_range(off, off).unwrap();
        assert_eq!(line_of(&src, x), 3);
    }

    #[test]
    fn one_line_collapses_and_cuts_at_the_given_width() {
        assert_eq!(one_line("f(\n\ta,\n\tb)", 80), "f( a, b)");
        assert_eq!(one_line_tight("f(\n\ta,\n\tb\n)", 80), "f(a, b)");
        assert_eq!(one_line("abcdefghij", 10), "abcdefghij");
        assert_eq!(one_line("abcdefghijk", 10), "abcdefg...");
        assert_eq!(one_line(&"x ".repeat(500), usize::MAX).len(), 999);
    }
}
