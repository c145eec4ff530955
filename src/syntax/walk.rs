//! Navigating the tree: what a node sits in (its function, loop, block) and what it contains.

use tree_sitter::Node;

fn is_function(n: Node) -> bool {
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
