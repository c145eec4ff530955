//! Control flow by syntax: statements that end a function (`return`, `panic`) and the code that may
//! still run after a given statement. Conservative: what is not plainly skipped counts as reachable.

use crate::source::SourceFile;
use crate::syntax::walk::contains_offset;
use tree_sitter::Node;

/// The writes (offsets, outside `closure`) that may execute after `closure` is created by `stmt`, for
/// a variable declared at `decl` inside the function `home`.
///
/// Syntax only, and conservative: a write inside the creating statement, or after it in the function's
/// text, may run later — unless a `return`/`panic` follows the statement in its own list with no jump
/// in between, in which case only writes up to that terminator can. A loop around the statement that
/// does not also declare the variable repeats, so every write in it may run later (unless a terminator
/// ends the iteration first).
pub fn reachable_after(
    src: &SourceFile,
    home: Node,
    stmt: Node,
    closure: Node,
    decl: Node,
    writes: &[usize],
) -> Vec<usize> {
    let _ = src;
    let outside = |w: &usize| !contains_offset(closure, *w);
    if let Some(term) = terminator_after(src, stmt, closure) {
        return writes
            .iter()
            .copied()
            .filter(outside)
            .filter(|w| *w >= stmt.start_byte() && *w < term.end_byte())
            .collect();
    }
    let mut loops = Vec::new();
    let mut n = stmt;
    while let Some(p) = n.parent() {
        if p.id() == home.id() {
            break;
        }
        if p.kind() == "for_statement" && !contains_offset(p, decl.start_byte()) {
            loops.push(p);
        }
        n = p;
    }
    writes
        .iter()
        .copied()
        .filter(outside)
        .filter(|w| *w >= stmt.start_byte() || loops.iter().any(|l| contains_offset(*l, *w)))
        .collect()
}

/// The first `return` or `panic(...)` at or after `stmt` in its statement list, if no jump
/// (break, continue, goto, fallthrough) can leave the list before it.
pub fn terminator_after<'t>(src: &SourceFile, stmt: Node<'t>, closure: Node<'t>) -> Option<Node<'t>> {
    let list = stmt.parent()?;
    let mut c = list.walk();
    let mut started = false;
    for s in list.named_children(&mut c) {
        if s.id() == stmt.id() {
            started = true;
        }
        if !started {
            continue;
        }
        if has_jump(s, closure) {
            return None;
        }
        if is_terminating(src, s) {
            return Some(s);
        }
    }
    None
}

/// Whether `node` holds a jump (break, continue, goto, fallthrough) outside function literals and
/// outside `skip`.
fn has_jump(node: Node, skip: Node) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.id() == skip.id() || n.kind() == "func_literal" {
            continue;
        }
        if matches!(n.kind(), "break_statement" | "continue_statement" | "goto_statement" | "fallthrough_statement") {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// Whether `s` is `return`, `panic(...)`, or a block ending in one.
pub fn is_terminating(src: &SourceFile, s: Node) -> bool {
    match s.kind() {
        "return_statement" => true,
        "expression_statement" => s.named_child(0).is_some_and(|call| {
            call.kind() == "call_expression"
                && call
                    .child_by_field_name("function")
                    .is_some_and(|f| f.kind() == "identifier" && src.node_text(f) == "panic")
        }),
        "block" => s
            .named_child(0)
            .filter(|l| l.kind() == "statement_list")
            .and_then(|l| l.named_child(l.named_child_count().checked_sub(1)? as u32))
            .is_some_and(|last| is_terminating(src, last)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(code: &str) -> SourceFile {
        SourceFile::parse(Path::new("a.go"), format!("package p\n\n{code}\n")).unwrap()
    }

    fn node<'t>(src: &'t SourceFile, needle: &str, kind: &str) -> Node<'t> {
        let off = src.text.find(needle).unwrap();
        let mut n = src.tree.root_node().descendant_for_byte_range(off, off).unwrap();
        while n.kind() != kind {
            n = n.parent().unwrap();
        }
        n
    }

    fn stmt<'t>(src: &'t SourceFile, needle: &str) -> Node<'t> {
        let mut n = node(src, needle, "func_literal");
        while n.parent().unwrap().kind() != "statement_list" {
            n = n.parent().unwrap();
        }
        n
    }

    #[test]
    fn terminators_and_jumps() {
        let src = parse("func f(c bool) {\n\tg := func() {}\n\tif c {\n\t\tbreak\n\t}\n\tpanic(g)\n}");
        let s = stmt(&src, "func()");
        let lit = node(&src, "func()", "func_literal");
        assert!(terminator_after(&src, s, lit).is_none(), "the break may leave the list first");
        let src = parse("func f() {\n\tg := func() {}\n\t{\n\t\treturn\n\t}\n}");
        let s = stmt(&src, "func()");
        let lit = node(&src, "func()", "func_literal");
        let term = terminator_after(&src, s, lit).unwrap();
        assert_eq!(term.kind(), "block");
        assert!(is_terminating(&src, term));
    }

    #[test]
    fn writes_after_creation_or_in_a_repeating_loop() {
        let code = "func f() {\n\tx := 0\n\tfor {\n\t\tx = 1\n\t\tg := func() { _ = x }\n\t\tx = 2\n\t\t_ = g\n\t}\n}";
        let src = parse(code);
        let home = node(&src, "func f", "function_declaration");
        let decl = node(&src, "x := 0", "identifier");
        let s = stmt(&src, "func()");
        let lit = node(&src, "func()", "func_literal");
        let writes: Vec<usize> = src.text.match_indices("x = ").map(|(o, _)| o).collect();
        assert_eq!(reachable_after(&src, home, s, lit, decl, &writes), writes, "the loop repeats the first write");
        let code = "func f() {\n\tx := 0\n\tx = 1\n\tg := func() { _ = x }\n\tx = 2\n\treturn\n\tx = 3\n}";
        let src = parse(code);
        let home = node(&src, "func f", "function_declaration");
        let decl = node(&src, "x := 0", "identifier");
        let s = stmt(&src, "func()");
        let lit = node(&src, "func()", "func_literal");
        let writes: Vec<usize> = src.text.match_indices("x = ").map(|(o, _)| o).collect();
        assert_eq!(reachable_after(&src, home, s, lit, decl, &writes), [writes[1]]);
    }
}
