//! Loops and their trip counts: a `for` statement's header read as "runs N times" (a range operand or
//! the bound of a counted loop), and the jumps that may end it before N.

use crate::source::SourceFile;
use crate::syntax::text::line_of;
use crate::syntax::walk::{items, named_children};
use std::collections::BTreeSet;
use tree_sitter::Node;

/// Why a `for` statement has no trip count this module can read (the rule words the decline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopShape<'t> {
    /// A for statement without a body (broken syntax).
    NoBody,
    /// `for { ... }`.
    Forever,
    /// `for range` without an operand (broken syntax).
    RangeWithoutOperand,
    /// A three-clause header (the clause) that is not one of the counted shapes.
    NotCounted(Node<'t>),
    /// `for cond { ... }` (the condition).
    Condition(Node<'t>),
}

#[derive(Debug, Clone, Copy)]
pub enum Header<'t> {
    /// `for ... range X`: the trip count depends on X's type (slice, array, map, integer...).
    Range(Node<'t>),
    /// `for i := 0; i < N; i++`: N iterations when N > 0.
    Count { var: Node<'t>, bound: Node<'t> },
}

impl<'t> Header<'t> {
    /// What decides the trip count: the range operand or the counted loop's bound.
    pub fn expr(&self) -> Node<'t> {
        match self {
            Header::Range(e) => *e,
            Header::Count { bound, .. } => *bound,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Loop<'t> {
    /// The statement in its list: the `for` itself or the labeled statement around it.
    pub stmt: Node<'t>,
    pub node: Node<'t>,
    pub body: Node<'t>,
    pub header: Header<'t>,
}

pub fn parse_loop<'t>(src: &SourceFile, node: Node<'t>) -> Result<Loop<'t>, LoopShape<'t>> {
    let body = node.child_by_field_name("body").ok_or(LoopShape::NoBody)?;
    let stmt = node.parent().filter(|p| p.kind() == "labeled_statement").unwrap_or(node);
    let header_nodes: Vec<Node> = items(node).into_iter().filter(|n| n.id() != body.id()).collect();
    let header = match header_nodes.first() {
        None => return Err(LoopShape::Forever),
        Some(h) if h.kind() == "range_clause" => {
            Header::Range(h.child_by_field_name("right").ok_or(LoopShape::RangeWithoutOperand)?)
        }
        Some(h) if h.kind() == "for_clause" => count_header(src, *h)?,
        Some(h) => return Err(LoopShape::Condition(*h)),
    };
    Ok(Loop { stmt, node, body, header })
}

/// Counted loops that run exactly `n` times (zero times exactly when `n <= 0`):
/// `for i := 0; i < n; i++` (also `n > i`, `i += 1`), `for i := n - 1; i >= 0; i--` (also `0 <= i`,
/// `i -= 1`) and `for i := n; i > 0; i--` (also `0 < i`).
fn count_header<'t>(src: &SourceFile, clause: Node<'t>) -> Result<Header<'t>, LoopShape<'t>> {
    let shape = || LoopShape::NotCounted(clause);
    let init =
        clause.child_by_field_name("initializer").filter(|i| i.kind() == "short_var_declaration").ok_or_else(shape)?;
    let left = init.child_by_field_name("left").map(items).unwrap_or_default();
    let right = init.child_by_field_name("right").map(items).unwrap_or_default();
    if left.len() != 1 || left[0].kind() != "identifier" || right.len() != 1 {
        return Err(shape());
    }
    let (var, start) = (left[0], right[0]);
    let name = src.node_text(var);
    let is_var = |n: Node| n.kind() == "identifier" && src.node_text(n) == name;
    let is_lit = |n: Node, v: &str| n.kind() == "int_literal" && src.node_text(n) == v;
    let cond = clause.child_by_field_name("condition").filter(|c| c.kind() == "binary_expression").ok_or_else(shape)?;
    let op = cond.child_by_field_name("operator").map(|o| o.kind()).unwrap_or("");
    let (l, r) =
        (cond.child_by_field_name("left").ok_or_else(shape)?, cond.child_by_field_name("right").ok_or_else(shape)?);
    // `i OP x` written either way round, as (operator with i on the left, other side).
    let (op, other) = match op {
        _ if is_var(l) => (op, r),
        "<" if is_var(r) => (">", l),
        ">" if is_var(r) => ("<", l),
        "<=" if is_var(r) => (">=", l),
        ">=" if is_var(r) => ("<=", l),
        _ => return Err(shape()),
    };
    let update = clause.child_by_field_name("update").ok_or_else(shape)?;
    let step = |inc: &str, assign: &str| match update.kind() {
        k if k == inc => items(update).first().is_some_and(|o| is_var(*o)),
        "assignment_statement" => {
            update.child_by_field_name("operator").is_some_and(|o| o.kind() == assign)
                && update.child_by_field_name("left").map(items).is_some_and(|l| l.len() == 1 && is_var(l[0]))
                && update.child_by_field_name("right").map(items).is_some_and(|r| r.len() == 1 && is_lit(r[0], "1"))
        }
        _ => false,
    };
    let bound = if is_lit(start, "0") && op == "<" && step("inc_statement", "+=") {
        other
    } else if op == ">=" && is_lit(other, "0") && step("dec_statement", "-=") {
        // `i := n - 1`
        let minus_one = start.kind() == "binary_expression"
            && start.child_by_field_name("operator").is_some_and(|o| o.kind() == "-")
            && start.child_by_field_name("right").is_some_and(|r| is_lit(r, "1"));
        if !minus_one {
            return Err(shape());
        }
        start.child_by_field_name("left").ok_or_else(shape)?
    } else if op == ">" && is_lit(other, "0") && step("dec_statement", "-=") {
        start
    } else {
        return Err(shape());
    };
    Ok(Header::Count { var, bound })
}

/// Why the loop may stop early or skip the body's tail: `break`/`continue` aimed at it (or at an
/// outer statement), `goto`. `return` and panics leave the function, where nothing sees `s` again.
pub fn early_exit(src: &SourceFile, body: Node) -> Option<String> {
    let mut inner_labels = BTreeSet::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "func_literal" {
            continue;
        }
        if n.kind() == "labeled_statement" {
            if let Some(l) = n.child_by_field_name("label") {
                inner_labels.insert(src.node_text(l).to_string());
            }
        }
        stack.extend(named_children(n));
    }
    // (node, inside a nested loop, inside a nested breakable statement)
    let mut stack = vec![(body, false, false)];
    while let Some((n, in_loop, in_breakable)) = stack.pop() {
        let line = line_of(src, n);
        match n.kind() {
            "func_literal" => continue,
            "goto_statement" => return Some(format!("`goto` at line {line}")),
            "break_statement" | "continue_statement" => {
                let label = items(n).first().map(|l| src.node_text(*l).to_string());
                let word = if n.kind() == "break_statement" { "break" } else { "continue" };
                let leaves = match &label {
                    Some(l) => !inner_labels.contains(l),
                    None if word == "break" => !in_breakable,
                    None => !in_loop,
                };
                if leaves {
                    let spelled = label.map(|l| format!("{word} {l}")).unwrap_or_else(|| word.to_string());
                    return Some(format!("`{spelled}` at line {line}"));
                }
                continue;
            }
            _ => {}
        }
        let (l, b) = match n.kind() {
            "for_statement" if n.id() != body.id() => (true, true),
            "expression_switch_statement" | "type_switch_statement" | "select_statement" => (in_loop, true),
            _ => (in_loop, in_breakable),
        };
        for c in named_children(n) {
            stack.push((c, l, b));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn first_loop(body: &str) -> (SourceFile, usize) {
        let src =
            SourceFile::parse(Path::new("a.go"), format!("package p\n\nfunc f(n int, xs []int) {{\n{body}\n}}\n"))
                .unwrap();
        let off = src.text.find("for").unwrap();
        (src, off)
    }

    fn parse_at(src: &SourceFile, off: usize) -> Result<Loop<'_>, LoopShape<'_>> {
        let mut n = src.tree.root_node().descendant_for_byte_range(off, off).unwrap();
        while n.kind() != "for_statement" {
            n = n.parent().unwrap();
        }
        parse_loop(src, n)
    }

    fn bound(body: &str) -> Result<String, String> {
        let (src, off) = first_loop(body);
        parse_at(&src, off).map(|l| src.node_text(l.header.expr()).to_string()).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn trip_counts_of_the_counted_shapes() {
        assert_eq!(bound("\tfor range xs {\n\t}").unwrap(), "xs");
        assert_eq!(bound("\tfor i := 0; i < n; i++ {\n\t}").unwrap(), "n");
        assert_eq!(bound("\tfor i := 0; n > i; i += 1 {\n\t}").unwrap(), "n");
        assert_eq!(bound("\tfor i := n - 1; i >= 0; i-- {\n\t}").unwrap(), "n");
        assert_eq!(bound("\tfor i := n; 0 < i; i-- {\n\t}").unwrap(), "n");
        assert!(bound("\tfor i := 1; i < n; i++ {\n\t}").unwrap_err().starts_with("NotCounted"));
        assert!(bound("\tfor i := 0; i < n; i += 2 {\n\t}").unwrap_err().starts_with("NotCounted"));
        assert_eq!(bound("\tfor {\n\t}").unwrap_err(), "Forever");
        assert!(bound("\tfor n > 0 {\n\t}").unwrap_err().starts_with("Condition"));
    }

    #[test]
    fn labeled_loops_are_their_statement() {
        let (src, off) = first_loop("outer:\n\tfor range xs {\n\t}");
        let l = parse_at(&src, off).unwrap();
        assert_eq!(l.stmt.kind(), "labeled_statement");
        assert_eq!(l.node.kind(), "for_statement");
    }

    fn exit(body: &str) -> Option<String> {
        let (src, off) = first_loop(body);
        let l = parse_at(&src, off).unwrap();
        early_exit(&src, l.body)
    }

    #[test]
    fn early_exits_are_jumps_that_leave_the_loop() {
        assert_eq!(
            exit("\tfor range xs {\n\t\tif n > 0 {\n\t\t\tbreak\n\t\t}\n\t}").as_deref(),
            Some("`break` at line 6")
        );
        assert!(exit("\tfor range xs {\n\t\tfor {\n\t\t\tbreak\n\t\t}\n\t}").is_none());
        assert!(exit("\tfor range xs {\n\t\tswitch {\n\t\tdefault:\n\t\t\tbreak\n\t\t}\n\t}").is_none());
        assert!(exit("\tfor range xs {\n\t\tfor range xs {\n\t\t\tcontinue\n\t\t}\n\t}").is_none());
        assert_eq!(exit("\tfor range xs {\n\t\tcontinue\n\t}").as_deref(), Some("`continue` at line 5"));
        assert!(exit("\tfor range xs {\n\t\tf := func() {\n\t\t\treturn\n\t\t}\n\t\t_ = f\n\t\treturn\n\t}").is_none());
    }
}
