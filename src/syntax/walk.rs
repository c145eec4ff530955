//! Navigating the tree: what a node sits in (its function, loop, block) and what it contains.

use tree_sitter::Node;

/// Whether `n` is a function declaration, method or function literal.
pub fn is_function(n: Node) -> bool {
    matches!(n.kind(), "func_literal" | "function_declaration" | "method_declaration")
}

/// The innermost function declaration, method or function literal strictly around `n`.
pub fn enclosing_function(n: Node) -> Option<Node> {
    let mut cur = n.parent();
    while let Some(p) = cur {
        if is_function(p) {
            return Some(p);
        }
        cur = p.parent();
    }
    None
}

/// `n` itself when it is a function (declaration, method or literal), else [`enclosing_function`].
pub fn function_at(n: Node) -> Option<Node> {
    if is_function(n) {
        Some(n)
    } else {
        enclosing_function(n)
    }
}

/// The top-level function or method declaration at or around `n` (crossing function literals).
pub fn enclosing_declaration(n: Node) -> Option<Node> {
    let mut cur = n;
    loop {
        if matches!(cur.kind(), "function_declaration" | "method_declaration") {
            return Some(cur);
        }
        cur = cur.parent()?;
    }
}

/// The innermost `for` around `n` inside the same function (not crossing a function literal).
pub fn enclosing_loop(n: Node) -> Option<Node> {
    let mut cur = n.parent();
    while let Some(p) = cur {
        match p.kind() {
            "for_statement" => return Some(p),
            "func_literal" | "function_declaration" | "method_declaration" => return None,
            _ => cur = p.parent(),
        }
    }
    None
}

/// Whether `inner`'s bytes lie within `outer`'s.
pub fn spans(outer: Node, inner: Node) -> bool {
    outer.start_byte() <= inner.start_byte() && inner.end_byte() <= outer.end_byte()
}

/// Whether `a` is `b` or one of its ancestors (not merely a node with the same span).
pub fn is_ancestor_or_self(a: Node, b: Node) -> bool {
    spans(a, b) && {
        let mut cur = Some(b);
        while let Some(c) = cur {
            if c == a {
                return true;
            }
            cur = c.parent();
        }
        false
    }
}

/// Whether `n` or anything under it has kind `kind`.
pub fn contains_kind(n: Node, kind: &str) -> bool {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == kind {
            return true;
        }
        let mut c = x.walk();
        stack.extend(x.children(&mut c));
    }
    false
}

/// The statements of a block (tree-sitter-go 0.25 wraps them in a `statement_list`), comments
/// skipped.
pub fn block_statements(block: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut c = block.walk();
    for n in block.named_children(&mut c) {
        if n.kind() == "statement_list" {
            let mut c2 = n.walk();
            out.extend(n.named_children(&mut c2).filter(|s| s.kind() != "comment"));
        } else if n.kind() != "comment" {
            out.push(n);
        }
    }
    out
}

/// Every named child of `n`, comments included.
pub fn named_children(n: Node<'_>) -> Vec<Node<'_>> {
    let mut c = n.walk();
    n.named_children(&mut c).collect()
}

/// Named children that are not comments (statements of a list, arguments of a call...).
pub fn items(n: Node<'_>) -> Vec<Node<'_>> {
    named_children(n).into_iter().filter(|c| c.kind() != "comment").collect()
}

/// Every named node under `n` (including `n`), preorder.
pub fn descendants(n: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        out.push(x);
        let mut kids = named_children(x);
        kids.reverse();
        stack.extend(kids);
    }
    out
}

/// Preorder walk over named nodes; `f` returns whether to descend into the node it was given.
pub fn walk<'t>(n: Node<'t>, f: &mut impl FnMut(Node<'t>) -> bool) {
    if !f(n) {
        return;
    }
    for k in named_children(n) {
        walk(k, f);
    }
}

/// Whether `pred` holds for `n` or a named node under it.
pub fn any_node(n: Node, pred: impl Fn(Node) -> bool) -> bool {
    let mut found = false;
    walk(n, &mut |x| {
        if pred(x) {
            found = true;
        }
        !found
    });
    found
}

/// Whether `n` has the anonymous token `tok` (`:=`, `...`) among its own children.
pub fn has_token(n: Node, tok: &str) -> bool {
    let mut c = n.walk();
    let found = n.children(&mut c).any(|x| !x.is_named() && x.kind() == tok);
    found
}

/// The innermost `block` strictly around `n` (crossing function literals).
pub fn enclosing_block(n: Node) -> Option<Node> {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        if p.kind() == "block" {
            return Some(p);
        }
        cur = p;
    }
    None
}

/// Whether a function literal lies between `n` and `within` (or above `n` when `within` is not an
/// ancestor): code there may run at another time than the code around it.
pub fn inside_func_literal(n: Node, within: Node) -> bool {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        if p.id() == within.id() {
            return false;
        }
        if p.kind() == "func_literal" {
            return true;
        }
        cur = p;
    }
    false
}

/// The outermost function (declaration, method or literal) around `n`, or `n` itself when none is.
pub fn outermost_function(n: Node) -> Node {
    let mut top = n;
    let mut cur = n;
    while let Some(p) = cur.parent() {
        if is_function(p) {
            top = p;
        }
        cur = p;
    }
    top
}

/// Whether byte `offset` lies within `node` (start inclusive, end exclusive).
pub fn contains_offset(node: Node, offset: usize) -> bool {
    node.start_byte() <= offset && offset < node.end_byte()
}

/// Whether byte `offset` of `src` lies inside a function literal (code that may run at another time).
pub fn offset_in_func_literal(src: &crate::source::SourceFile, offset: usize) -> bool {
    let mut n = src.tree.root_node().named_descendant_for_byte_range(offset, offset);
    while let Some(x) = n {
        if x.kind() == "func_literal" {
            return true;
        }
        n = x.parent();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use std::path::Path;

    fn parse(body: &str) -> SourceFile {
        SourceFile::parse(Path::new("a.go"), format!("package p\n\nfunc f() {{\n{body}\n}}\n")).unwrap()
    }

    fn node_at<'t>(src: &'t SourceFile, needle: &str, kind: &str) -> Node<'t> {
        let off = src.text.find(needle).unwrap();
        let mut n = src.tree.root_node().descendant_for_byte_range(off, off).unwrap();
        while n.kind() != kind {
            n = n.parent().unwrap();
        }
        n
    }

    #[test]
    fn children_items_and_descendants() {
        let src = parse("\tg(a, /* c */ b)");
        let call = node_at(&src, "g(", "call_expression");
        let args = call.child_by_field_name("arguments").unwrap();
        assert_eq!(named_children(args).len(), 3);
        let texts: Vec<&str> = items(args).iter().map(|n| src.node_text(*n)).collect();
        assert_eq!(texts, ["a", "b"]);
        let kinds: Vec<&str> = descendants(call).iter().map(|n| n.kind()).collect();
        assert_eq!(kinds, ["call_expression", "identifier", "argument_list", "identifier", "comment", "identifier"]);
    }

    #[test]
    fn walk_stops_descending_when_told() {
        let src = parse("\tx := func() { y := 1; _ = y }\n\t_ = x");
        let body = node_at(&src, "x :=", "block");
        let mut seen = Vec::new();
        walk(body, &mut |n| {
            if n.kind() == "identifier" {
                seen.push(src.node_text(n).to_string());
            }
            n.kind() != "func_literal"
        });
        assert_eq!(seen, ["x", "_", "x"]);
        assert!(any_node(body, |n| n.kind() == "int_literal"));
        assert!(!any_node(body, |n| n.kind() == "for_statement"));
    }

    #[test]
    fn tokens_blocks_literals_and_functions() {
        let src = parse("\tfor i := range 3 {\n\t\tgo func() { _ = i }()\n\t}");
        let clause = node_at(&src, "i := range", "range_clause");
        assert!(has_token(clause, ":="));
        assert!(!has_token(clause, "="));
        let use_i = src.text.rfind("i }").unwrap();
        let id = src.tree.root_node().descendant_for_byte_range(use_i, use_i).unwrap();
        let lit = node_at(&src, "func()", "func_literal");
        assert_eq!(enclosing_block(id).map(|b| b.parent().unwrap().kind()), Some("func_literal"));
        let func = node_at(&src, "for i", "function_declaration");
        assert!(inside_func_literal(id, func));
        assert!(!inside_func_literal(id, lit));
        assert_eq!(outermost_function(id), func);
        assert!(is_function(lit) && !is_function(clause));
        assert!(contains_offset(lit, lit.start_byte()) && !contains_offset(lit, lit.end_byte()));
        assert!(offset_in_func_literal(&src, use_i));
        assert!(!offset_in_func_literal(&src, clause.start_byte()));
    }
}
