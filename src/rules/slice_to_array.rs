//! `slice-to-array`: a variable-size `make([]T, n)` / `make([]T, 0, n)` that does not escape, with `n`
//! provably at most a small constant N → `var buf [N]T` just before the statement, and the make
//! becomes `buf[:n:n]` / `buf[:0:n]`.
//!
//! Why it helps: the compiler keeps a non-escaping `make` on the stack only when its size is a
//! constant (or, since Go 1.25, when the actual size is at most 32 bytes); a runtime `n` means a heap
//! allocation although `-m` says "does not escape". A fixed array of the proven bound lives in the
//! frame. `-m` shows no difference, so the rule carries [`Evidence::FewerAllocations`].
//!
//! What keeps it exact:
//! - **the bound is proven**, by `min(x, C)` as the size, or by a guard on the very same expression:
//!   `if n > C { return / panic / break / continue }` before the make (in its block or an enclosing
//!   one of the same function), or the make inside `if n <= C { ... }` (or the `else` of `if n > C`).
//!   `n` is a local variable or parameter, or `len(x)` of one; nothing may write it between the guard
//!   and the make (no assignment in between, none in a closure, no address taken, no write later in a
//!   loop that re-runs the make without the guard), and a function with `goto` is left alone;
//! - **the same slice**: `buf[:n:n]` has length and capacity n, exactly like `make([]T, n)`, and is
//!   zeroed like it: the array is declared right before the statement, which re-runs (and re-zeroes
//!   it) whenever the make would. The full slice expression keeps capacity at n, so an `append` past
//!   n reallocates exactly as before and never writes into the array's spare room; aliasing is
//!   unchanged, so appends are allowed;
//! - **no escape**: the make's finding must be "does not escape" — an escaping slice would drag the
//!   array to the heap (the verifier also rejects any new `moved to heap`);
//! - **small**: N×size(T) at most 1 KB (the frame grows by that much), and more than 32 bytes (below
//!   that, Go 1.25+ already keeps the make on the stack).

use super::codes::DeclineCode;
use super::{Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::Query;
use crate::source::SourceFile;
use crate::syntax::text::{has_comment, line_of, one_line_tight};
use crate::syntax::walk::{enclosing_function, items, spans};
use tree_sitter::Node;

pub struct SliceToArray;

pub const ID: &str = "slice-to-array";

/// The most bytes the rule moves into a stack frame.
pub const MAX_BYTES: i128 = 1024;
/// Variable-size makes up to this size already stay on the stack (Go 1.25+, docs/compiler-facts.md).
pub const STACK_MAKE_BYTES: i128 = 32;

const META: RuleMeta = RuleMeta {
    id: ID,
    summary: "make([]T, n) that does not escape, with n ≤ C proven → var buf [C]T; s := buf[:n:n]",
    doc: "rules/slice-to-array.md",
    min_go: None,
    fixture: "fixtures/slice-to-array",
};

impl Rule for SliceToArray {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FewerAllocations
    }
    fn allocation_claim(&self) -> &'static str {
        "removes a heap allocation (the backing array lives in the frame)"
    }

    fn interested(&self, f: &Finding) -> bool {
        matches!(f.kind, Kind::DoesNotEscape | Kind::EscapesToHeap) && f.subject.starts_with("make([]") && f.is_native()
    }

    /// The `make(...)` call: the compiler puts its column at the `(`.
    fn anchor(&self, _f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let list = source.smallest_node_at(offset).filter(|n| n.kind() == "argument_list")?;
        let call = list.parent().filter(|c| c.kind() == "call_expression")?;
        let func = call.child_by_field_name("function")?;
        (func.kind() == "identifier" && source.node_text(func) == "make").then(|| (call.start_byte(), call.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let m = analyze(site.source, site.node())?;
        let file = site.file();
        let mut q = vec![
            Facts::expr_query(file, m.call.child_by_field_name("function").expect("make")),
            Facts::expr_query(file, m.elem),
            Facts::expr_query(file, m.size),
        ];
        if let Some(l) = m.len_arg {
            q.push(Facts::expr_query(file, l));
        }
        for v in &m.vars {
            q.push(Query::Uses { file: file.to_path_buf(), offset: v.start_byte() });
            q.push(Facts::expr_query(file, *v));
        }
        for b in m.builtins.iter().chain(&m.min_args) {
            q.push(Facts::expr_query(file, *b));
        }
        for g in &m.guards {
            q.push(Facts::expr_query(file, g.bound));
            q.extend(g.builtins.iter().map(|b| Facts::expr_query(file, *b)));
        }
        for name in names(&m) {
            q.push(Query::Scope { file: file.to_path_buf(), offset: m.stmt.start_byte(), name });
        }
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        if let Some(f) = site.findings.iter().find(|f| f.kind == Kind::EscapesToHeap) {
            return Err(Decline::new(
                DeclineCode::SliceEscapes,
                format!("the slice escapes ({}): an array would be moved to the heap with it", f.message()),
            ));
        }
        let src = site.source;
        let file = site.file();
        let m = analyze(src, site.node())?;
        let expr = |n: Node| facts.expr(file, n.start_byte(), n.end_byte());
        let make = expr(m.call.child_by_field_name("function").expect("make"))
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for make"))?;
        if make.mode != "builtin" {
            return Err(Decline::new(DeclineCode::NotBuiltin, "`make` here is not the builtin"));
        }
        for b in &m.builtins {
            if expr(*b).is_none_or(|f| f.mode != "builtin") {
                return Err(Decline::new(
                    DeclineCode::NotBuiltin,
                    format!("`{}` here is not the builtin", src.node_text(*b)),
                ));
            }
        }
        if let Some(l) = m.len_arg {
            if expr(l).and_then(|f| f.const_value.as_deref()) != Some("0") {
                return Err(Decline::new(DeclineCode::ShapeMismatch, "the length is neither 0 nor the capacity"));
            }
        }
        // len(x) changes only when x is assigned if x is a slice, string or array; a map grows and a
        // channel fills through other references, without any assignment to x.
        if !m.builtins.is_empty() && m.min_args.is_empty() {
            for v in &m.vars {
                let f = expr(*v)
                    .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the length's operand"))?;
                if !(matches!(f.kind.as_str(), "slice" | "array")
                    || matches!(f.basic.as_str(), "string" | "untyped string"))
                {
                    return Err(Decline::new(
                        DeclineCode::LengthMayChange,
                        format!(
                            "`{}` is a {}: its length can change without an assignment to it",
                            src.node_text(*v),
                            f.ty
                        ),
                    ));
                }
            }
        }
        let size = expr(m.size).ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the size"))?;
        if size.const_value.is_some() {
            return Err(Decline::new(
                DeclineCode::NoSaving,
                "the size is a constant: the compiler already allocates this make on the stack",
            ));
        }
        if let Some(d) = m.shape_problem.clone() {
            return Err(d);
        }
        if size.side_effects {
            return Err(Decline::new(
                DeclineCode::EvaluatedTwice,
                "the size expression contains a call; `buf[:n:n]` evaluates it twice",
            ));
        }
        let elem =
            expr(m.elem).ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the element type"))?;
        if elem.size <= 0 {
            return Err(Decline::new(
                DeclineCode::WrongType,
                format!("the element type {} has no fixed size here (or size 0)", src.node_text(m.elem)),
            ));
        }

        // The bound: min(x, C) as the size, or the tightest guard that holds at the make.
        let mut bound: Option<(i128, String)> = m
            .min_args
            .iter()
            .filter_map(|a| constant(expr(*a)?.const_value.as_deref()?))
            .min()
            .map(|v| (v, format!("`{}` is at most {v}", one_line(src.node_text(m.size)))));
        let mut guard_problems = Vec::new();
        for g in &m.guards {
            if let Some(b) = g.builtins.iter().find(|b| expr(**b).is_none_or(|f| f.mode != "builtin")) {
                guard_problems.push(format!(
                    "`{}` in the guard at line {} is not the builtin",
                    src.node_text(*b),
                    line_of(src, g.node)
                ));
                continue;
            }
            let Some(c) = expr(g.bound).and_then(|f| constant(f.const_value.as_deref()?)) else {
                continue;
            };
            if let Err(why) = stable_between(src, facts, &m, g) {
                guard_problems.push(why);
                continue;
            }
            let n = c + g.adjust;
            if bound.as_ref().is_none_or(|(b, _)| n < *b) {
                bound = Some((
                    n,
                    format!(
                        "the guard at line {} (`{}`) proves it is at most {n}",
                        line_of(src, g.node),
                        one_line(g.text(src))
                    ),
                ));
            }
        }
        let Some((n, why)) = bound else {
            return Err(match guard_problems.first() {
                Some(p) => Decline::new(DeclineCode::GuardNotStable, p.clone()),
                None => Decline::new(DeclineCode::NoConstantBound, format!(
                    "no constant bound on `{}` is proven here (a guard like `if n > 64 {{ return }}` before the make, or `if n <= 64 {{ ... }}` around it)",
                    one_line(src.node_text(m.size))
                )),
            });
        };
        if n < 1 {
            return Err(Decline::new(DeclineCode::NoSaving, format!("the proven bound is {n}: nothing to allocate")));
        }
        let bytes = n * elem.size as i128;
        if bytes > MAX_BYTES {
            return Err(Decline::new(
                DeclineCode::TooLarge,
                format!(
                    "{n} × {} bytes = {bytes} bytes is more than the {MAX_BYTES} bytes this rule puts in a stack frame",
                    elem.size
                ),
            ));
        }
        if bytes <= STACK_MAKE_BYTES {
            return Err(Decline::new(
                DeclineCode::NoSaving,
                format!("at most {bytes} bytes: Go 1.25+ already keeps such a make on the stack"),
            ));
        }

        let name = names(&m)
            .into_iter()
            .find(|n| facts.scope(file, m.stmt.start_byte(), n).is_some_and(|s| s.kind == "none"))
            .ok_or_else(|| Decline::new(DeclineCode::NoFreeName, "no free name for the array at the statement"))?;
        let (line_start, indent) = indentation(src, m.stmt)
            .ok_or_else(|| Decline::new(DeclineCode::NotOwnLine, "the statement does not start its line"))?;
        let _ = line_start;
        let elem_text = src.node_text(m.elem);
        let size_text = src.node_text(m.size);
        let decl = format!("var {name} [{n}]{elem_text}");
        let slice = if m.len_arg.is_some() {
            format!("{name}[:0:{size_text}]")
        } else {
            format!("{name}[:{size_text}:{size_text}]")
        };
        let nl = src.newline();
        Ok(Proposal {
            edits: vec![
                TextEdit { start: m.stmt.start_byte(), end: m.stmt.start_byte(), text: format!("{decl}{nl}{indent}") },
                TextEdit { start: m.call.start_byte(), end: m.call.end_byte(), text: slice.clone() },
            ],
            add_imports: vec![],
            removed_uses: vec![],
            title: format!("{} → {decl}; {slice}", one_line(src.node_text(m.call))),
            explanation: format!(
                "A make with a run-time size is allocated on the heap even though it does not escape. Here {why}, \
                 so a {bytes}-byte array in the frame holds every possible slice: {slice} has the same length, \
                 capacity and zeroed contents as the make, and an append past its capacity reallocates exactly as before. \
                 The win is one allocation per execution, which -m does not show."
            ),
            expect_new: ExpectNew::Nothing,
        })
    }
}

/// A decimal integer constant as go/types prints it.
fn constant(v: &str) -> Option<i128> {
    v.parse().ok()
}

/// (start of line, indentation) when `stmt` is the first thing on its line.
fn indentation<'s>(src: &'s SourceFile, stmt: Node) -> Option<(usize, &'s str)> {
    let start = src.line_start(src.line_index(stmt.start_byte()));
    let indent = &src.text[start..stmt.start_byte()];
    indent.chars().all(|c| c == ' ' || c == '\t').then_some((start, indent))
}

/// The syntax around one `make` call.
struct Make<'t> {
    call: Node<'t>,
    /// `T` of `[]T`.
    elem: Node<'t>,
    /// The length argument when it is not the size (`make([]T, 0, n)`).
    len_arg: Option<Node<'t>>,
    /// The expression that sets length and capacity: `n`.
    size: Node<'t>,
    /// Why the size is not a shape the rule can bound, if it is not.
    shape_problem: Option<Decline>,
    /// Identifiers whose writes could change `size` (`n`, or `x` of `len(x)`).
    vars: Vec<Node<'t>>,
    /// `len`/`min` identifiers in `size` that must be the builtins.
    builtins: Vec<Node<'t>>,
    /// The arguments of `min(...)` when that is the size; its constant ones bound it.
    min_args: Vec<Node<'t>>,
    /// The statement the array is declared before.
    stmt: Node<'t>,
    /// The variable the make initialises or is assigned to, for naming the array.
    var_name: Option<String>,
    guards: Vec<Guard<'t>>,
}

/// An `if` whose condition bounds the size where the make runs: the bound is `bound + adjust`.
struct Guard<'t> {
    node: Node<'t>,
    cond: Node<'t>,
    /// The size expression as it appears in the condition.
    operand: Node<'t>,
    bound: Node<'t>,
    adjust: i128,
    /// `panic`, `len` in the guard that must be the builtins.
    builtins: Vec<Node<'t>>,
    /// true: the make is after the `if` (which leaves when the condition holds); false: inside it.
    early: bool,
}

impl Guard<'_> {
    fn text<'s>(&self, src: &'s SourceFile) -> &'s str {
        src.node_text(self.cond)
    }
}

fn unparen(mut n: Node) -> Node {
    while n.kind() == "parenthesized_expression" {
        match items(n).first() {
            Some(inner) => n = *inner,
            None => break,
        }
    }
    n
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn analyze<'t>(src: &SourceFile, call: Node<'t>) -> Result<Make<'t>, Decline> {
    if has_comment(call) {
        return Err(Decline::new(DeclineCode::DropsComment, "the make contains a comment that the rewrite would drop"));
    }
    let list = call
        .child_by_field_name("arguments")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "make without arguments"))?;
    let args = items(list);
    let ty = *args.first().ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "make without a type"))?;
    if ty.kind() != "slice_type" {
        return Err(Decline::new(
            DeclineCode::ShapeMismatch,
            format!("make of {}, not of a []T literal type", one_line(src.node_text(ty))),
        ));
    }
    let elem = ty
        .child_by_field_name("element")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "slice type without an element"))?;
    let (len_arg, size) = match args.len() {
        2 => (None, args[1]),
        3 if squash(src.node_text(args[1])) == squash(src.node_text(args[2])) => (None, args[1]),
        3 => (Some(args[1]), args[2]),
        _ => return Err(Decline::new(DeclineCode::ShapeMismatch, "make with an unexpected argument count")),
    };
    // A size of another shape is declined in `propose`, after the constant check (a constant size
    // deserves that reason rather than "not n, len(x) or min").
    let (shape_problem, (vars, builtins, min_args)) = match size_shape(src, size) {
        Ok(parts) => (None, parts),
        Err(d) => (Some(d), (vec![], vec![], vec![])),
    };

    // The statement to declare the array before: the nearest one that sits in a statement list,
    // reached without crossing a function literal or a loop header that re-evaluates the make.
    let mut stmt = call;
    loop {
        let p = stmt
            .parent()
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the make is not inside a statement"))?;
        if p.kind() == "statement_list" {
            break;
        }
        if p.kind() == "func_literal" {
            return Err(Decline::new(
                DeclineCode::UnsupportedPosition,
                "the make is in a function literal's expression",
            ));
        }
        stmt = p;
    }
    if stmt.kind() == "for_statement" {
        return Err(Decline::new(
            DeclineCode::UnsupportedPosition,
            "the make is in a for statement's header, which may evaluate it more than once",
        ));
    }
    if matches!(stmt.kind(), "labeled_statement") {
        return Err(Decline::new(DeclineCode::UnsupportedPosition, "the make is in a labeled statement"));
    }
    let var_name = assigned_name(src, stmt, call);

    let func = enclosing_function(call)
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the make is not in a function"))?;
    if has_goto(func) {
        return Err(Decline::new(
            DeclineCode::UsesGoto,
            "the function uses goto, which could jump between a guard and the make",
        ));
    }
    let guards = find_guards(src, call, size, func);
    Ok(Make { call, elem, len_arg, size, shape_problem, vars, builtins, min_args, stmt, var_name, guards })
}

/// The variables, builtins and `min` bound of a size expression the rule can reason about: `n`,
/// `len(x)`, or `min(...)` with a constant argument.
#[allow(clippy::type_complexity)]
fn size_shape<'t>(src: &SourceFile, size: Node<'t>) -> Result<(Vec<Node<'t>>, Vec<Node<'t>>, Vec<Node<'t>>), Decline> {
    let size_u = unparen(size);
    match size_u.kind() {
        "identifier" => Ok((vec![size_u], vec![], vec![])),
        "call_expression" => {
            let f = size_u
                .child_by_field_name("function")
                .filter(|f| f.kind() == "identifier")
                .ok_or_else(|| Decline::new(DeclineCode::BoundNotSimple, "the size is not n, len(x) or min(n, C)"))?;
            let args = size_u.child_by_field_name("arguments").map(items).unwrap_or_default();
            match src.node_text(f) {
                "len" if args.len() == 1 && args[0].kind() == "identifier" => Ok((vec![args[0]], vec![f], vec![])),
                // Which arguments are constants is known only with types: all are candidates.
                "min" if args.len() >= 2 => Ok((vec![], vec![f], args)),
                _ => Err(Decline::new(
                    DeclineCode::BoundNotSimple,
                    format!("the size `{}` is not n, len(x) or min(n, C)", one_line(src.node_text(size))),
                )),
            }
        }
        _ => Err(Decline::new(
            DeclineCode::BoundNotSimple,
            format!("the size `{}` is not n, len(x) or min(n, C)", one_line(src.node_text(size))),
        )),
    }
}

/// `s` in `s := make(...)`, `var s = make(...)`, `s = make(...)`.
fn assigned_name(src: &SourceFile, stmt: Node, call: Node) -> Option<String> {
    let (left, right) = match stmt.kind() {
        "short_var_declaration" | "assignment_statement" => {
            (stmt.child_by_field_name("left")?, stmt.child_by_field_name("right")?)
        }
        "var_declaration" => {
            let spec = items(stmt).into_iter().find(|s| s.kind() == "var_spec")?;
            (spec.child_by_field_name("name")?, spec.child_by_field_name("value")?)
        }
        _ => return None,
    };
    let l = if left.kind() == "identifier" { vec![left] } else { items(left) };
    let r = if right.kind() == "expression_list" { items(right) } else { vec![right] };
    let i = r.iter().position(|v| v.id() == call.id())?;
    let name = l.get(i).filter(|n| n.kind() == "identifier").map(|n| src.node_text(*n))?;
    (name != "_").then(|| name.to_string())
}

/// Candidate names for the array, most readable first.
fn names(m: &Make) -> Vec<String> {
    match &m.var_name {
        Some(v) => vec![format!("{v}Buf"), format!("{v}Array"), format!("{v}Buf0")],
        None => vec!["buf".into(), "arr".into(), "buf0".into()],
    }
}

fn has_goto(func: Node) -> bool {
    let mut stack = vec![func];
    while let Some(n) = stack.pop() {
        if n.kind() == "goto_statement" {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// Comparisons in `cond` that bound `size` when `cond` is true (`upper`) or false (`!upper`):
/// returns (operand node, bound node, adjust).
fn bounds_in<'t>(
    src: &SourceFile,
    cond: Node<'t>,
    size: &str,
    when_true: bool,
    out: &mut Vec<(Node<'t>, Node<'t>, i128)>,
) {
    let cond = unparen(cond);
    if cond.kind() != "binary_expression" {
        return;
    }
    let op = cond.child_by_field_name("operator").map(|o| o.kind()).unwrap_or("");
    let (Some(l), Some(r)) = (cond.child_by_field_name("left"), cond.child_by_field_name("right")) else { return };
    // true-conjunctions and false-disjunctions both mean "each part holds".
    if (when_true && op == "&&") || (!when_true && op == "||") {
        bounds_in(src, l, size, when_true, out);
        bounds_in(src, r, size, when_true, out);
        return;
    }
    let (l, r) = (unparen(l), unparen(r));
    let is_size = |n: Node| squash(src.node_text(n)) == size;
    // Normalise to `size OP c`.
    let (operand, c, op) = if is_size(l) {
        (l, r, op)
    } else if is_size(r) {
        let flipped = match op {
            "<" => ">",
            "<=" => ">=",
            ">" => "<",
            ">=" => "<=",
            other => other,
        };
        (r, l, flipped)
    } else {
        return;
    };
    // What holds where the make runs: `size <= c + adjust`.
    let adjust = match (op, when_true) {
        ("<=", true) | (">", false) => 0,
        ("<", true) | (">=", false) => -1,
        _ => return,
    };
    out.push((operand, c, adjust));
}

/// Whether the last statement of a block leaves it for good: return, panic, break, continue.
/// Returns the `panic` identifier to check as a builtin.
fn leaves<'t>(src: &SourceFile, block: Node<'t>) -> Option<Vec<Node<'t>>> {
    let stmts: Vec<Node> =
        items(block).into_iter().flat_map(|n| if n.kind() == "statement_list" { items(n) } else { vec![n] }).collect();
    let last = *stmts.last()?;
    match last.kind() {
        "return_statement" | "break_statement" | "continue_statement" => Some(vec![]),
        "expression_statement" => {
            let call = items(last).into_iter().next().filter(|c| c.kind() == "call_expression")?;
            let f = call
                .child_by_field_name("function")
                .filter(|f| f.kind() == "identifier" && src.node_text(*f) == "panic")?;
            Some(vec![f])
        }
        _ => None,
    }
}

fn find_guards<'t>(src: &SourceFile, call: Node<'t>, size: Node<'t>, func: Node<'t>) -> Vec<Guard<'t>> {
    let size_text = squash(src.node_text(unparen(size)));
    let builtin_len = |operand: Node<'t>| -> Vec<Node<'t>> {
        operand.child_by_field_name("function").into_iter().filter(|f| f.kind() == "identifier").collect()
    };
    let mut out = Vec::new();
    let mut child = call;
    while let Some(p) = child.parent() {
        if p.id() == func.id() {
            break;
        }
        if p.kind() == "func_literal" {
            break;
        }
        // Inside `if cond { make }` or `if cond {} else { make }`.
        if p.kind() == "if_statement" && p.child_by_field_name("initializer").is_none() {
            let cons = p.child_by_field_name("consequence");
            let alt = p.child_by_field_name("alternative");
            let when_true = if cons.is_some_and(|c| c.id() == child.id()) {
                Some(true)
            } else if alt.is_some_and(|a| a.id() == child.id() && a.kind() == "block") {
                Some(false)
            } else {
                None
            };
            if let (Some(t), Some(cond)) = (when_true, p.child_by_field_name("condition")) {
                let mut found = Vec::new();
                bounds_in(src, cond, &size_text, t, &mut found);
                for (operand, bound, adjust) in found {
                    out.push(Guard {
                        node: p,
                        cond,
                        operand,
                        bound,
                        adjust,
                        builtins: builtin_len(operand),
                        early: false,
                    });
                }
            }
        }
        // Earlier statements of the same list: `if cond { ...; return }`.
        if p.kind() == "statement_list" {
            for s in items(p).into_iter().filter(|s| s.end_byte() <= child.start_byte()) {
                if s.kind() != "if_statement"
                    || s.child_by_field_name("initializer").is_some()
                    || s.child_by_field_name("alternative").is_some()
                {
                    continue;
                }
                let (Some(cond), Some(cons)) =
                    (s.child_by_field_name("condition"), s.child_by_field_name("consequence"))
                else {
                    continue;
                };
                let Some(mut builtins) = leaves(src, cons) else { continue };
                let mut found = Vec::new();
                bounds_in(src, cond, &size_text, false, &mut found);
                for (operand, bound, adjust) in found {
                    builtins.extend(builtin_len(operand));
                    out.push(Guard { node: s, cond, operand, bound, adjust, builtins: builtins.clone(), early: true });
                }
            }
        }
        child = p;
    }
    out
}

/// Nothing can change the size's variables between the guard and the make.
fn stable_between(src: &SourceFile, facts: &Facts, m: &Make, g: &Guard) -> Result<(), String> {
    let file = &src.path;
    let guard_vars: Vec<Node> = match unparen(g.operand).kind() {
        "identifier" => vec![unparen(g.operand)],
        _ => unparen(g.operand).child_by_field_name("arguments").map(items).unwrap_or_default(),
    };
    for (i, v) in m.vars.iter().enumerate() {
        let name = src.node_text(*v);
        let uses = facts.uses(file, v.start_byte()).ok_or_else(|| format!("no facts about `{name}`"))?;
        if uses.object.kind != "var" || uses.object.scope != "local" {
            return Err(format!(
                "`{name}` is not a local variable or parameter: a call could change it between the guard and the make"
            ));
        }
        // The guard must test the same variable (not a shadowed one).
        let gv = guard_vars.get(i).ok_or("guard shape")?;
        if !uses.refs.iter().any(|r| r.file == *file && r.offset == gv.start_byte()) {
            return Err(format!("the guard at line {} tests another `{name}`", line_of(src, g.node)));
        }
        for r in uses.refs.iter().filter(|r| r.file == *file) {
            if r.addr {
                return Err(format!(
                    "the address of `{name}` is taken (line {}): it could change between the guard and the make",
                    src.position(r.offset).0
                ));
            }
            if !r.write || r.decl {
                continue;
            }
            let at = src.position(r.offset).0;
            let node = src.tree.root_node().named_descendant_for_byte_range(r.offset, r.offset);
            let in_closure = node.is_some_and(|n| {
                let mut p = n.parent();
                while let Some(x) = p {
                    if x.kind() == "func_literal" {
                        return !spans(x, m.call);
                    }
                    p = x.parent();
                }
                false
            });
            if in_closure {
                return Err(format!("`{name}` is assigned in a function literal (line {at}), which could run between the guard and the make"));
            }
            if r.offset >= g.node.start_byte() && r.offset < m.call.start_byte() {
                return Err(format!(
                    "`{name}` is assigned at line {at}, between the guard (line {}) and the make",
                    line_of(src, g.node)
                ));
            }
            if r.offset >= m.call.end_byte() {
                // A later write is harmless unless a loop runs the make again without the guard.
                let mut p = m.call.parent();
                while let Some(x) = p {
                    if x.kind() == "for_statement"
                        && !spans(x, g.node)
                        && x.start_byte() <= r.offset
                        && r.offset < x.end_byte()
                    {
                        return Err(format!("`{name}` is assigned at line {at} inside a loop that runs the make again without the guard"));
                    }
                    p = x.parent();
                }
            }
        }
    }
    let _ = g.early;
    Ok(())
}

/// Code as this rule's reasons show it: on one line, at most 90 characters.
fn one_line(s: &str) -> String {
    one_line_tight(s, 90)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(body: &str) -> SourceFile {
        SourceFile::parse(Path::new("a.go"), format!("package p\n\nfunc f(n int, xs []int) {{\n{body}\n}}\n")).unwrap()
    }

    fn make_at(src: &SourceFile) -> Make<'_> {
        let off = src.text.find("make(").unwrap() + 4;
        let list = src.smallest_node_at(off).unwrap();
        analyze(src, list.parent().unwrap()).unwrap_or_else(|d| panic!("{}", d.reason))
    }

    fn guards(body: &str) -> Vec<(String, String, i128, bool)> {
        let src = parse(body);
        let m = make_at(&src);
        m.guards
            .iter()
            .map(|g| (src.node_text(g.cond).to_string(), src.node_text(g.bound).to_string(), g.adjust, g.early))
            .collect()
    }

    #[test]
    fn guards_before_and_around() {
        assert_eq!(
            guards("\tif n > 64 {\n\t\treturn\n\t}\n\ts := make([]int, n)\n\t_ = s"),
            vec![("n > 64".into(), "64".into(), 0, true)]
        );
        assert_eq!(
            guards("\tif n < 0 || 16 <= n {\n\t\tpanic(\"x\")\n\t}\n\ts := make([]int, n)\n\t_ = s"),
            vec![("n < 0 || 16 <= n".into(), "16".into(), -1, true)]
        );
        assert_eq!(
            guards("\tif n > 0 && n <= 8 {\n\t\ts := make([]int, 0, n)\n\t\t_ = s\n\t}"),
            vec![("n > 0 && n <= 8".into(), "8".into(), 0, false)]
        );
        assert_eq!(
            guards("\tif len(xs) > 10 {\n\t\treturn\n\t} else {\n\t}\n\ts := make([]int, len(xs))\n\t_ = s"),
            vec![]
        );
        assert_eq!(
            guards("\tif n >= 10 {\n\t\treturn\n\t} else {\n\t\ts := make([]int, n)\n\t\t_ = s\n\t}"),
            vec![("n >= 10".into(), "10".into(), -1, false)]
        );
        // Not guards: no exit, the wrong direction, another expression.
        assert!(guards("\tif n > 64 {\n\t\tn = 64\n\t}\n\ts := make([]int, n)\n\t_ = s").is_empty());
        assert!(guards("\tif n < 64 {\n\t\treturn\n\t}\n\ts := make([]int, n)\n\t_ = s").is_empty());
        assert!(guards("\tif len(xs) > 64 {\n\t\treturn\n\t}\n\ts := make([]int, n)\n\t_ = s").is_empty());
    }

    #[test]
    fn shapes_declined_by_syntax() {
        let err = |body: &str| {
            let src = parse(body);
            let off = src.text.find("make(").unwrap() + 4;
            let call = src.smallest_node_at(off).unwrap().parent().unwrap();
            match analyze(&src, call) {
                Ok(m) => m.shape_problem.map(|d| d.code),
                Err(d) => Some(d.code),
            }
        };
        assert_eq!(err("\tfor i := 0; i < len(make([]int, n)); i++ {\n\t}"), Some(DeclineCode::UnsupportedPosition));
        assert_eq!(err("\ts := make([]int, n+1)\n\t_ = s"), Some(DeclineCode::BoundNotSimple));
        assert_eq!(err("\ttype S []int\n\ts := make(S, n)\n\t_ = s"), Some(DeclineCode::ShapeMismatch));
        assert_eq!(
            err("\tif n > 8 {\n\t\treturn\n\t}\n\tgoto L\nL:\n\tn++\n\ts := make([]int, n)\n\t_ = s"),
            Some(DeclineCode::UsesGoto)
        );
        assert_eq!(err("\ts := make([]int, n)\n\t_ = s"), None);
    }

    #[test]
    fn array_names_follow_the_variable() {
        let src = parse("\tids := make([]int, n)\n\t_ = ids");
        assert_eq!(names(&make_at(&src))[0], "idsBuf");
        let src = parse("\tuse(make([]int, n))");
        assert_eq!(names(&make_at(&src))[0], "buf");
    }
}
