//! A Go source file as rules see it: the exact bytes, a tree-sitter tree, and the mapping from the
//! compiler's (line, byte column) positions to byte offsets.
//!
//! Columns from the compiler are 1-based byte offsets from the last `\n`, so CRLF files and non-ASCII
//! text need no special casing here as long as everything stays in bytes; ropey (which indexes chars)
//! is only used when edits are applied.

use crate::rules::codes::DeclineCode;
use crate::rules::Decline;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use tree_sitter::{Node, Parser, Tree};

pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub tree: Tree,
    line_starts: Vec<usize>,
}

/// Why edits near a site are unsafe: tree-sitter-go could not parse the code around it. A site
/// with one is declined as [`DeclineCode::ParseGap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseGap(pub String);

impl From<ParseGap> for Decline {
    fn from(gap: ParseGap) -> Self {
        Decline::new(DeclineCode::ParseGap, gap.0)
    }
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{}: not valid UTF-8", path.display()))?;
        Self::parse(path, text)
    }

    pub fn parse(path: &Path, text: String) -> Result<Self> {
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_go::LANGUAGE.into()).context("loading the tree-sitter Go grammar")?;
        let tree =
            parser.parse(&text, None).with_context(|| format!("{}: tree-sitter could not parse", path.display()))?;
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Ok(SourceFile { path: path.to_path_buf(), text, tree, line_starts })
    }

    /// Byte offset of a compiler position (1-based line, 1-based byte column).
    pub fn offset(&self, line: u32, col: u32) -> Option<usize> {
        let start = *self.line_starts.get(line.checked_sub(1)? as usize)?;
        let off = start + (col.max(1) as usize - 1);
        (off <= self.text.len()).then_some(off)
    }

    /// 1-based (line, byte column) of a byte offset.
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        (line as u32, (offset - start + 1) as u32)
    }

    /// The 0-based line index containing `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    pub fn line_start(&self, line_index: usize) -> usize {
        self.line_starts.get(line_index).copied().unwrap_or(self.text.len())
    }

    pub fn uses_crlf(&self) -> bool {
        self.text.contains("\r\n")
    }

    /// The line terminator the file uses, so inserted lines match.
    pub fn newline(&self) -> &'static str {
        if self.uses_crlf() {
            "\r\n"
        } else {
            "\n"
        }
    }

    pub fn node_text(&self, node: Node) -> &str {
        &self.text[node.byte_range()]
    }

    /// The outermost named node that starts exactly at `offset` and ends within `limit` bytes...
    /// in practice: the largest named node starting at `offset` whose parent starts earlier.
    pub fn node_starting_at(&self, offset: usize) -> Option<Node<'_>> {
        let mut node = self.tree.root_node().named_descendant_for_byte_range(offset, offset)?;
        if node.start_byte() != offset {
            return None;
        }
        while let Some(p) = node.parent() {
            if p.start_byte() != offset || p.kind() == "source_file" {
                break;
            }
            node = p;
        }
        Some(node)
    }

    /// The smallest named node that starts at `offset` (an identifier rather than the call it begins).
    pub fn smallest_node_at(&self, offset: usize) -> Option<Node<'_>> {
        let node = self.tree.root_node().named_descendant_for_byte_range(offset, offset)?;
        (node.start_byte() == offset).then_some(node)
    }

    /// Why edits near `node` are unsafe, if they are: tree-sitter-go has gaps (docs/compiler-facts.md, tree-sitter-go gaps) where Go
    /// accepts code that parses to ERROR nodes. Never edit inside or next to one: the enclosing
    /// top-level declaration and the import section must be error-free.
    pub fn unsafe_to_edit_near(&self, node: Node) -> Option<ParseGap> {
        let mut top = node;
        while let Some(p) = top.parent() {
            if p.kind() == "source_file" {
                break;
            }
            top = p;
        }
        if top.has_error() {
            let (l, _) = self.position(top.start_byte());
            return Some(ParseGap(
                format!(
                    "tree-sitter-go cannot parse the declaration at line {l} (a grammar gap: Go accepts it); not editing near it"
                ),
            ));
        }
        let root = self.tree.root_node();
        let mut cursor = root.walk();
        for child in root.children(&mut cursor) {
            if matches!(child.kind(), "package_clause" | "import_declaration") && child.has_error() {
                return Some(ParseGap("tree-sitter-go cannot parse the import section; not editing this file".into()));
            }
            if child.kind() == "ERROR"
                && child.end_byte() <= top.start_byte()
                && self.imports_end() >= child.start_byte()
            {
                return Some(ParseGap("tree-sitter-go cannot parse the import section; not editing this file".into()));
            }
        }
        None
    }

    fn imports_end(&self) -> usize {
        let root = self.tree.root_node();
        let mut cursor = root.walk();
        root.children(&mut cursor)
            .filter(|c| matches!(c.kind(), "package_clause" | "import_declaration"))
            .map(|c| c.end_byte())
            .max()
            .unwrap_or(0)
    }

    /// The enclosing top-level function as the compiler names it in `-m=2` output: `F`, `T.M`,
    /// `(*T).M` (type parameters dropped). Closures inside report as `F.func1`, which callers match by
    /// prefix.
    pub fn enclosing_function(&self, node: Node) -> Option<String> {
        let mut n = node;
        loop {
            match n.kind() {
                "function_declaration" => return Some(self.node_text(n.child_by_field_name("name")?).to_string()),
                "method_declaration" => {
                    let name = self.node_text(n.child_by_field_name("name")?);
                    let recv = n.child_by_field_name("receiver")?;
                    let text = self.node_text(recv);
                    // `(r *T[K])` → `*T`
                    let inner = text.trim_start_matches('(').trim_end_matches(')').trim();
                    let ty = inner.rsplit(' ').next().unwrap_or(inner);
                    let ty = ty.split('[').next().unwrap_or(ty);
                    return Some(if let Some(base) = ty.strip_prefix('*') {
                        format!("(*{base}).{name}")
                    } else {
                        format!("{ty}.{name}")
                    });
                }
                _ => n = n.parent()?,
            }
        }
    }
}

/// The convention from `go help generate`: a line matching `^// Code generated .* DO NOT EDIT\.$`
/// before the first non-comment, non-blank text.
pub fn is_generated(text: &str) -> bool {
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("// Code generated ") && line.ends_with(" DO NOT EDIT.") {
            return true;
        }
        let t = line.trim();
        if t.starts_with("package ") {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_columns_with_crlf_and_unicode() {
        let text = "package p\r\n\r\n// größe — 寸法\r\nvar s = \"größe: \" + f(n)\r\n".to_string();
        let src = SourceFile::parse(Path::new("a.go"), text).unwrap();
        // `f` on line 4: columns count bytes, so the two-byte 'ö' and 'ß' push it right
        let col = "var s = \"größe: \" + ".len() as u32 + 1;
        let off = src.offset(4, col).unwrap();
        assert_eq!(&src.text[off..off + 4], "f(n)");
        assert_eq!(src.position(off), (4, col));
        assert_eq!(src.smallest_node_at(off).unwrap().kind(), "identifier");
        assert_eq!(src.node_starting_at(off).unwrap().kind(), "call_expression");
        assert_eq!(src.newline(), "\r\n");
    }

    #[test]
    fn generated_header() {
        assert!(is_generated("// Code generated by stringer; DO NOT EDIT.\n\npackage p\n"));
        assert!(is_generated("// +build x\r\n// Code generated by x. DO NOT EDIT.\r\npackage p\r\n"));
        assert!(!is_generated("package p\n// Code generated by x. DO NOT EDIT.\n"));
        assert!(!is_generated("// Code generated by hand\npackage p\n"));
    }

    #[test]
    fn grammar_gap_is_reported() {
        // `new(expr)` (Go 1.26) is an ERROR for tree-sitter-go 0.25
        let text = "package p\n\nfunc f() *int {\n\treturn new(42)\n}\n\nfunc g(i int) int { return i }\n".to_string();
        let src = SourceFile::parse(Path::new("a.go"), text).unwrap();
        let in_f = src.smallest_node_at(src.offset(4, 9).unwrap()).unwrap();
        let in_g = src.smallest_node_at(src.offset(7, 28).unwrap()).unwrap();
        assert!(src.tree.root_node().has_error());
        assert!(src.unsafe_to_edit_near(in_f).is_some());
        assert!(src.unsafe_to_edit_near(in_g).is_none(), "errors in f must not block edits in g");
    }
}
