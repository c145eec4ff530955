//! `method-value`: a method value stored in a local func variable (`f := x.M`) and only ever called
//! (`f(i)`, `go f(i)`, `defer f(i)`, `func() { f(i) }`) → call the method directly (`x.M(i)`), which
//! needs no closure object.
//!
//! With Go 1.26 a method value that is only called in its own function does not escape at all; it
//! escapes (one allocation per creation) when a call sits in a `go` or `defer` statement or in a
//! closure that escapes. A method value binds its receiver when it is CREATED: `f := x.M` evaluates
//! `x` (a pointer receiver: the pointer; a value receiver: a copy of the value; an addressable value
//! with a pointer method: `&x`), while `x.M(i)` evaluates it at the call. The rewrite is faithful only
//! where both evaluations give the same receiver, which is what the preconditions below prove from the
//! type checker's references (rules/method-value.md has the table and the measurements).

use super::codes::DeclineCode;
use super::{Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{Query, RefFacts};
use crate::source::SourceFile;
use crate::syntax::names::identifiers_named;
use crate::syntax::text::{self, whole_line};
use crate::syntax::version::{GoVersion, PER_ITERATION_LOOP_VARS};
use crate::syntax::walk::{contains_kind, enclosing_declaration, enclosing_function, is_ancestor_or_self};
use tree_sitter::Node;

pub struct MethodValue;

pub const ID: &str = "method-value";

const META: RuleMeta = RuleMeta {
    id: ID,
    summary: "a method value stored in a func variable and only called → a direct method call, when the receiver cannot differ",
    doc: "rules/method-value.md",
    min_go: None,
    fixture: "fixtures/method-value",
};

impl Rule for MethodValue {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FindingRemoved
    }

    fn interested(&self, f: &Finding) -> bool {
        // `x.M escapes to heap`, the column at the selector's dot.
        f.kind == Kind::EscapesToHeap
            && f.is_native()
            && f.subject.contains('.')
            && !f.subject.contains(['(', ' ', '{'])
    }

    fn anchor(&self, _f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let sel = selector_at_dot(source, offset)?;
        // Only a method value stored in a variable is this rule's shape; one passed straight to a
        // call is left to the report (rewriting it would change the callee's parameter type).
        stored_in(sel)?;
        Some((sel.start_byte(), sel.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let sel = site.node();
        let shape = shape(site.source, sel)?;
        let file = site.file().to_path_buf();
        Ok(vec![
            Facts::expr_query(&file, sel),
            Facts::expr_query(&file, shape.recv),
            Query::Uses { file: file.clone(), offset: shape.recv.start_byte() },
            Query::Uses { file, offset: shape.var.start_byte() },
        ])
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let src = site.source;
        let file = site.file();
        let sel = site.node();
        let s = shape(src, sel)?;
        let recv_name = src.node_text(s.recv);
        let var_name = src.node_text(s.var);
        let method = src.node_text(
            sel.child_by_field_name("field")
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "selector without a field"))?,
        );
        let call_text = format!("{recv_name}.{method}");

        // What the selector is: a method, and how it binds its receiver.
        let sel_facts = facts
            .expr(file, sel.start_byte(), sel.end_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the method value"))?;
        let obj = sel_facts
            .object
            .as_ref()
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no object for the selector"))?;
        let sig = obj.signature.as_ref().filter(|s| obj.kind == "func" && !s.recv.is_empty());
        let Some(sig) = sig else {
            return Err(Decline::new(
                DeclineCode::ShapeMismatch,
                format!("`{}` is not a method value", src.node_text(sel)),
            ));
        };
        let x = facts
            .expr(file, s.recv.start_byte(), s.recv.end_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the receiver"))?;
        if x.interface {
            return Err(Decline::new(DeclineCode::InterfaceReceiver, format!(
                "`{recv_name}` is an interface: the method value panics at creation when it is nil, a direct call only when called (and `{recv_name}` may be reassigned)"
            )));
        }
        if x.type_param {
            return Err(Decline::new(
                DeclineCode::TypeParameter,
                format!("`{recv_name}` has a type-parameter type; not rewritten"),
            ));
        }
        let x_obj = x
            .object
            .as_ref()
            .ok_or_else(|| Decline::new(DeclineCode::NotLocalVariable, "the receiver is not a variable"))?;
        if x_obj.kind != "var" || x_obj.scope != "local" {
            return Err(Decline::new(DeclineCode::NotLocalVariable, format!(
                "`{recv_name}` is not a local variable or parameter: any call could reassign it between the creation of `{var_name}` and its calls"
            )));
        }
        let recv_ptr = sig.recv.starts_with('*');
        if base_type(&sig.recv) != base_type(&x.type_src) || x.type_src.is_empty() {
            return Err(Decline::new(DeclineCode::PromotedThroughEmbedding, format!(
                "`{method}` is promoted from an embedded field ({} on a {}): the method value evaluated the embedded field at creation",
                sig.recv,
                if x.type_src.is_empty() { "?" } else { &x.type_src }
            )));
        }
        let binding = match (recv_ptr, x.pointer) {
            (true, true) => Binding::Pointer,
            (true, false) => Binding::Address,
            (false, false) => Binding::Copy,
            (false, true) => {
                return Err(Decline::new(DeclineCode::ValueReceiverCopy, format!(
                    "`{method}` has a value receiver and `{recv_name}` is a pointer: the method value copied *{recv_name} at creation (and panicked there if nil); later writes through any pointer would now be seen"
                )))
            }
        };

        // The variable: declared once here, then only called.
        let var_uses = facts
            .uses(file, s.var.start_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no references for the func variable"))?;
        let mut calls: Vec<Node> = Vec::new();
        for r in &var_uses.refs {
            if r.file != file {
                return Err(Decline::new(
                    DeclineCode::UsedInOtherFile,
                    format!("`{var_name}` is used in another file"),
                ));
            }
            if r.decl {
                if r.offset != s.var.start_byte() {
                    return Err(Decline::new(
                        DeclineCode::DeclaredElsewhere,
                        format!("`{var_name}` is declared elsewhere"),
                    ));
                }
                continue;
            }
            let line = src.position(r.offset).0;
            if r.write || r.addr {
                return Err(Decline::new(
                    DeclineCode::Reassigned,
                    format!(
                    "`{var_name}` is reassigned or its address is taken (line {line}): it is not always `{call_text}`"
                ),
                ));
            }
            let id = src
                .smallest_node_at(r.offset)
                .filter(|n| n.kind() == "identifier")
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "reference is not an identifier"))?;
            let call =
                id.parent().filter(|p| p.kind() == "call_expression" && p.child_by_field_name("function") == Some(id));
            match call {
                Some(_) if r.call => calls.push(id),
                _ => {
                    return Err(Decline::new(DeclineCode::UsedAsValue, format!(
                        "`{var_name}` is used as a value at line {line} (passed, stored, returned or compared), not only called: the method value itself is needed"
                    )))
                }
            }
        }
        if calls.is_empty() {
            return Err(Decline::new(DeclineCode::NeverCalled, format!("`{var_name}` is never called")));
        }

        // The function the creation sits in, and the creation statement.
        let func = enclosing_declaration(s.stmt)
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the method value is not inside a function"))?;
        if contains_kind(func, "goto_statement") {
            return Err(Decline::new(
                DeclineCode::UsesGoto,
                "the function uses goto; the order of statements is not the order of execution",
            ));
        }
        let creation = s.stmt;
        let in_closure: Vec<Node> = calls.iter().copied().filter(|c| !same_closure(*c, creation)).collect();

        // The receiver variable: never a different receiver at a call than at the creation.
        let x_uses = facts
            .uses(file, s.recv.start_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no references for the receiver"))?;
        check_receiver(src, x_uses.refs.as_slice(), binding, recv_name, var_name, creation, &in_closure, site)?;

        // No other `x` between the creation and the last call (a shadowing declaration).
        let last = calls.iter().map(|c| c.end_byte()).max().unwrap_or(creation.end_byte());
        let x_offsets: Vec<usize> = x_uses.refs.iter().filter(|r| r.file == file).map(|r| r.offset).collect();
        for id in identifiers_named(func, recv_name, src) {
            if id.start_byte() > creation.end_byte() && id.start_byte() < last && !x_offsets.contains(&id.start_byte())
            {
                return Err(Decline::new(
                    DeclineCode::Redeclared,
                    format!(
                        "another `{recv_name}` is declared at line {} between the method value and its calls",
                        src.position(id.start_byte()).0
                    ),
                ));
            }
        }

        // Edits: drop the creation statement's line; each `f(` becomes `x.M(`.
        let (ds, de) = whole_line(src, creation).ok_or_else(|| {
            Decline::new(DeclineCode::NotOwnLine, {
                format!(
                    "`{}` shares its line with other code or a comment; not deleting it",
                    one_line(src.node_text(creation))
                )
            })
        })?;
        let mut edits = vec![TextEdit { start: ds, end: de, text: String::new() }];
        for c in &calls {
            edits.push(TextEdit { start: c.start_byte(), end: c.end_byte(), text: call_text.clone() });
        }
        let how = match binding {
            Binding::Pointer => format!("`{recv_name}` is a pointer that is not reassigned after `{var_name}` is created, so every call gets the same receiver"),
            Binding::Address => format!("`{method}` has a pointer receiver, so `{var_name}` bound `&{recv_name}`: a direct call uses the same variable"),
            Binding::Copy => format!("`{var_name}` bound a copy of `{recv_name}`; `{recv_name}` is not written after that, so a direct call copies the same value"),
        };
        Ok(Proposal {
            edits,
            add_imports: vec![],
            removed_uses: vec![],
            title: format!("{} → call {call_text}(...) directly ({} call{})", one_line(src.node_text(creation)), calls.len(), if calls.len() == 1 { "" } else { "s" }),
            explanation: format!(
                "The method value `{call_text}` is a closure object; stored in `{var_name}` and called from a go/defer statement or a closure it escapes to the heap. \
                 Calling `{call_text}` directly needs no closure: {how}."
            ),
            expect_new: ExpectNew::Nothing,
        })
    }
}

/// How a method value binds its receiver.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Binding {
    /// `p.M` with `p *T`, `M` on `*T`: the pointer value.
    Pointer,
    /// `v.M` with `v T` addressable, `M` on `*T`: `&v`.
    Address,
    /// `v.M` with `v T`, `M` on `T`: a copy of `v`.
    Copy,
}

struct Shape<'t> {
    /// `x` in `x.M`.
    recv: Node<'t>,
    /// `f` in `f := x.M`.
    var: Node<'t>,
    /// The declaring statement (`f := x.M` or `var f = x.M`).
    stmt: Node<'t>,
}

/// The selector expression whose `.` is at `offset`.
fn selector_at_dot(src: &SourceFile, offset: usize) -> Option<Node<'_>> {
    let mut n = src.tree.root_node().descendant_for_byte_range(offset, offset + 1)?;
    loop {
        if n.kind() == "selector_expression" {
            let field = n.child_by_field_name("field")?;
            let operand = n.child_by_field_name("operand")?;
            return (operand.end_byte() == offset && field.start_byte() == offset + 1).then_some(n);
        }
        n = n.parent()?;
        if n.start_byte() > offset || n.end_byte() <= offset {
            return None;
        }
    }
}

/// The statement storing `sel` in a new variable: `f := sel` or `var f [T] = sel`.
fn stored_in(sel: Node) -> Option<(Node, Node)> {
    let list = sel.parent().filter(|p| p.kind() == "expression_list")?;
    let decl = list.parent()?;
    match decl.kind() {
        "short_var_declaration" => {
            let left = decl.child_by_field_name("left")?;
            Some((decl, single_named(left)?))
        }
        "var_spec" => {
            let mut c = decl.walk();
            let names: Vec<Node> = decl.children_by_field_name("name", &mut c).collect();
            (names.len() == 1).then(|| (decl, names[0]))
        }
        _ => None,
    }
}

fn single_named(list: Node) -> Option<Node> {
    let mut c = list.walk();
    let kids: Vec<Node> = list.named_children(&mut c).filter(|n| n.kind() != "comment").collect();
    (kids.len() == 1).then(|| kids[0])
}

fn shape<'t>(src: &SourceFile, sel: Node<'t>) -> Result<Shape<'t>, Decline> {
    let (decl, var) = stored_in(sel).ok_or_else(|| {
        Decline::new(DeclineCode::NotSimpleDeclaration, "the method value is not stored in a new variable")
    })?;
    if var.kind() != "identifier" || src.node_text(var) == "_" {
        return Err(Decline::new(
            DeclineCode::NotSimpleDeclaration,
            "the method value is not stored in a named variable",
        ));
    }
    let list = sel.parent().expect("stored_in checked the parent");
    if single_named(list) != Some(sel) {
        return Err(Decline::new(DeclineCode::NotSimpleDeclaration, "the declaration assigns several values"));
    }
    // The statement: `f := x.M` itself, or the `var` declaration holding one spec.
    let stmt = match decl.kind() {
        "short_var_declaration" => decl,
        _ => decl.parent().filter(|p| p.kind() == "var_declaration").ok_or_else(|| {
            Decline::new(DeclineCode::NotSimpleDeclaration, "a var spec inside a ( ) group with others")
        })?,
    };
    let parent = stmt.parent().map(|p| p.kind()).unwrap_or("");
    if !matches!(parent, "statement_list" | "block") {
        return Err(Decline::new(
            DeclineCode::UnsupportedPosition,
            "the method value is declared in a statement header (if/for/switch), not as a statement",
        ));
    }
    let recv = sel
        .child_by_field_name("operand")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "selector without an operand"))?;
    if recv.kind() != "identifier" {
        return Err(Decline::new(
            DeclineCode::EvaluatedTwice,
            format!(
                "the receiver `{}` is not a plain variable: evaluating it again at each call could differ",
                one_line(src.node_text(recv))
            ),
        ));
    }
    Ok(Shape { recv, var, stmt })
}

/// The receiver's references allow a direct call to see the receiver the method value bound.
#[allow(clippy::too_many_arguments)]
fn check_receiver(
    src: &SourceFile,
    refs: &[RefFacts],
    binding: Binding,
    x: &str,
    f: &str,
    creation: Node,
    in_closure: &[Node],
    site: &Site,
) -> Result<(), Decline> {
    let file = site.file();
    if refs.iter().any(|r| r.file != file) {
        return Err(Decline::new(DeclineCode::UsedInOtherFile, format!("`{x}` is referenced in another file")));
    }
    if binding == Binding::Address {
        // `f` bound `&x`: the very variable a direct call uses, whatever is written to it.
        return Ok(());
    }
    let decls: Vec<&RefFacts> = refs.iter().filter(|r| r.decl).collect();
    for r in refs {
        let line = src.position(r.offset).0;
        let node = src
            .smallest_node_at(r.offset)
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "reference is not in the tree"))?;
        if r.addr {
            return Err(Decline::new(DeclineCode::AddressTaken, format!("the address of `{x}` is taken at line {line}: it may be changed through that pointer after `{f}` is created")));
        }
        if !r.write {
            continue;
        }
        if r.offset > creation.start_byte() {
            return Err(Decline::new(DeclineCode::ReceiverWrittenLater, format!(
                "`{x}` is written at line {line}, after `{f}` is created: `{f}` keeps the {} receiver, a direct call would use the new one",
                if binding == Binding::Copy { "copied" } else { "old" }
            )));
        }
        // Written before the creation: fine when it cannot run again between the creation and a call
        // (no loop or closure around the write that does not also contain the creation).
        if let Some(around) = loop_or_closure_not_containing(node, creation) {
            return Err(Decline::new(
                DeclineCode::ReceiverWrittenLater,
                format!(
                    "`{x}` is written at line {line} inside a {} that can run after `{f}` is created",
                    if around.kind() == "func_literal" { "closure" } else { "loop" }
                ),
            ));
        }
    }
    if !in_closure.is_empty() {
        // A closure reads `x` when it runs, maybe much later: `x` must never change after its
        // declaration, and a loop variable must be per-iteration (Go 1.22).
        let writes: Vec<&RefFacts> = refs.iter().filter(|r| r.write && !r.decl).collect();
        if let Some(w) = writes.first() {
            return Err(Decline::new(DeclineCode::ReceiverWrittenLater, format!(
                "`{f}` is called inside a closure, which would read `{x}` when it runs, and `{x}` is assigned at line {}",
                src.position(w.offset).0
            )));
        }
        for d in decls {
            let node = src
                .smallest_node_at(d.offset)
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "declaration is not in the tree"))?;
            if in_loop_header(node) && !per_iteration_loop_vars(site) {
                return Err(Decline::new(DeclineCode::SharedLoopVariable, format!(
                    "`{x}` is a loop variable and the module's go version is before 1.22: a closure would see its last value"
                )));
            }
            if d.write && in_loop_header(node) && node_in_for_clause(node) {
                return Err(Decline::new(
                    DeclineCode::ReceiverWrittenLater,
                    format!("`{x}` is a three-clause loop variable, which the loop itself updates"),
                ));
            }
        }
    }
    Ok(())
}

fn per_iteration_loop_vars(site: &Site) -> bool {
    site.package.go_version().and_then(|v| GoVersion::go1_minor(&v)).is_some_and(|m| m >= PER_ITERATION_LOOP_VARS)
}

fn in_loop_header(n: Node) -> bool {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        match p.kind() {
            "range_clause" | "for_clause" => return true,
            "block" | "func_literal" | "function_declaration" | "method_declaration" => return false,
            _ => cur = p,
        }
    }
    false
}

fn node_in_for_clause(n: Node) -> bool {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        match p.kind() {
            "for_clause" => return true,
            "block" | "range_clause" => return false,
            _ => cur = p,
        }
    }
    false
}

/// The innermost `for` statement or func literal around `n` (inside its function) that does not also
/// contain `target`.
pub(crate) fn loop_or_closure_not_containing<'t>(n: Node<'t>, target: Node) -> Option<Node<'t>> {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        match p.kind() {
            "function_declaration" | "method_declaration" => return None,
            "for_statement" | "func_literal" if !is_ancestor_or_self(p, target) => return Some(p),
            _ => {}
        }
        cur = p;
    }
    None
}

/// `call` runs in the same function activation as `creation` (no func literal between them).
fn same_closure(call: Node, creation: Node) -> bool {
    enclosing_function(call) == enclosing_function(creation)
}

/// `*pkg.T[int]` → `T`: the named type a receiver or variable is about.
pub(crate) fn base_type(t: &str) -> &str {
    let t = t.trim_start_matches('*');
    let t = t.split('[').next().unwrap_or(t);
    t.rsplit('.').next().unwrap_or(t)
}

/// Code on one line, shortened for titles.
fn one_line(s: &str) -> String {
    text::one_line(s, 80)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> SourceFile {
        SourceFile::parse(Path::new("a.go"), text.to_string()).unwrap()
    }

    #[test]
    fn finds_the_stored_method_value_by_its_dot() {
        let src = parse(
            "package p\n\nfunc f(c *C) {\n\tg := c.Inc\n\tgo g(1)\n\tvar h func() = c.Get\n\th()\n\tuse(c.Inc)\n}\n",
        );
        let dot = src.text.find("c.Inc").unwrap() + 1;
        let sel = selector_at_dot(&src, dot).unwrap();
        assert_eq!(src.node_text(sel), "c.Inc");
        let s = shape(&src, sel).unwrap();
        assert_eq!((src.node_text(s.var), src.node_text(s.recv)), ("g", "c"));
        let dot2 = src.text.find("c.Get").unwrap() + 1;
        let s2 = shape(&src, selector_at_dot(&src, dot2).unwrap()).unwrap();
        assert_eq!(src.node_text(s2.stmt), "var h func() = c.Get");
        // passed straight to a call: not this rule's shape
        let dot3 = src.text.rfind("c.Inc").unwrap() + 1;
        assert!(stored_in(selector_at_dot(&src, dot3).unwrap()).is_none());
        // not at a dot
        assert!(selector_at_dot(&src, dot - 1).is_none());
    }

    #[test]
    fn whole_lines_only() {
        let src = parse("package p\n\nfunc f() {\n\tg := c.Inc\n\th := c.Inc // why\n}\n");
        let stmt = |at: &str| {
            let mut n = src.smallest_node_at(src.text.find(at).unwrap()).unwrap();
            while n.kind() != "short_var_declaration" {
                n = n.parent().unwrap();
            }
            n
        };
        let (s, e) = whole_line(&src, stmt("g :=")).unwrap();
        assert_eq!(&src.text[s..e], "\tg := c.Inc\n");
        assert!(whole_line(&src, stmt("h :=")).is_none());
    }

    #[test]
    fn base_types() {
        assert_eq!(base_type("*Counter"), "Counter");
        assert_eq!(base_type("Counter"), "Counter");
        assert_eq!(base_type("*pkg.List[int]"), "List");
    }
}
