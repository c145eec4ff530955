//! `range-addr`: `for _, v := range xs { ps = append(ps, &v) }` → `for i := range xs { ps = append(ps, &xs[i]) }`.
//!
//! Since Go 1.22 every iteration has its own `v`, so collecting `&v` moves `v` to the heap: one
//! allocation per collected element (`moved to heap: v`). `&xs[i]` points into the slice instead.
//!
//! The two are not the same program in general: each `&v` points to a PRIVATE COPY of the element,
//! `&xs[i]` to the element itself, so after the rewrite the pointers see later writes to xs's
//! elements and writes through the pointers change xs. The rule therefore only rewrites when nobody
//! can tell, and proves that from the syntax of the enclosing function plus type facts:
//! - the module says go 1.22 or later (before that, `&v` was one variable for the whole loop);
//! - `xs` is a slice (an array is ranged over as a copy; maps, strings, channels and functions have
//!   no addressable elements) named by a plain variable or field path, which the loop does not
//!   reassign;
//! - the body only reads `v` (no `v = …`, `v.f = …`, `&v.f`, method calls, closures over `v`);
//! - every `&v` is collected into a local slice (`ps = append(ps, &v)`) or map/slice element
//!   (`m[k] = &v`) declared in the function; the collection never leaves the function (not returned,
//!   passed, stored, captured or aliased) and the collected pointers are only dereferenced to read;
//! - while the collected pointers are alive (from the loop to the end of the block that declares the
//!   collection), nothing writes xs's elements: no write to or through `xs`, no write through any
//!   pointer or slice that could alias them, no call that could (only builtins, conversions and a few
//!   pure standard-library packages), no channel operation or goroutine — unless `xs` is a slice the
//!   function built itself and never shared, in which case only `xs` and the collected pointers reach
//!   its elements.
//!
//! Anything else is declined with the reason. See rules/range-addr.md.

use super::codes::DeclineCode;
use super::{Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{ExprFacts, Query};
use crate::source::SourceFile;
use crate::syntax::names::{declares, identifiers_named, is_param_of, names_in, plain_path, ALL_WORDS};
use crate::syntax::text;
use crate::syntax::version::{GoVersion, PER_ITERATION_LOOP_VARS};
use crate::syntax::walk::{
    any_node, block_statements, enclosing_block, enclosing_function, has_token, inside_func_literal, items, spans, walk,
};
use crate::syntax::writes::{
    assigned_fresh, declared_fresh, fresh_slice_value, op_token, self_append_call, self_append_stmt,
};
use std::path::Path;
use tree_sitter::Node;

pub struct RangeAddr;

pub const ID: &str = "range-addr";

/// Standard-library packages whose package-level functions take values and write nothing the caller
/// can see (no pointers into the caller's data are written).
const PURE_PACKAGES: &[&str] = &["strings", "strconv", "unicode", "unicode/utf8", "math", "math/bits", "cmp"];

/// Builtins that write nothing through their arguments.
const PURE_BUILTINS: &[&str] = &[
    "len", "cap", "delete", "min", "max", "print", "println", "panic", "recover", "new", "make", "complex", "real",
    "imag",
];

/// Builtins that write into the backing array of their first argument.
const WRITING_BUILTINS: &[&str] = &["append", "copy", "clear"];

const META: RuleMeta = RuleMeta {
    id: ID,
    summary: "&v of a range value variable collected into a slice or map of pointers → &xs[i], when nobody can observe the aliasing (go1.22+)",
    doc: "rules/range-addr.md",
    min_go: Some(PER_ITERATION_LOOP_VARS),
    fixture: "fixtures/range-addr",
};

impl Rule for RangeAddr {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FindingRemoved
    }

    fn interested(&self, f: &Finding) -> bool {
        f.kind == Kind::MovedToHeap && f.is_native()
    }

    fn anchor(&self, f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let id = source.smallest_node_at(offset).filter(|n| n.kind() == "identifier")?;
        if source.node_text(id) != f.subject {
            return None;
        }
        // Only the shape here: the second variable of a range clause. Everything else is a decline
        // with a reason, in `propose`.
        let for_stmt = id_loop(id)?;
        let list = id.parent()?;
        (items(list).get(1).map(|n| n.id()) == Some(id.id())).then(|| (for_stmt.start_byte(), for_stmt.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let src = site.source;
        let file = site.file();
        let l = Loop::parse(src, site.node())?;
        let mut q =
            vec![Facts::expr_query(file, l.xs), Query::Uses { file: file.to_path_buf(), offset: l.value.start_byte() }];
        // The syntactic analysis may decline; the slice's type is asked anyway so that an array or
        // a map is reported as such (the more telling reason).
        if let Ok(plan) = Plan::analyze(src, &l) {
            for need in &plan.needs {
                q.extend(need.nodes().into_iter().map(|n| Facts::expr_query(file, n)));
            }
        }
        q.sort();
        q.dedup();
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let src = site.source;
        let file = site.file();
        let l = Loop::parse(src, site.node())?;
        let v = src.node_text(l.value).to_string();

        // The rewrite is sound only where each iteration's `v` is its own variable.
        let min_go = META.min_go.unwrap_or(PER_ITERATION_LOOP_VARS);
        match site.package.go_version().as_deref().and_then(GoVersion::go1_minor) {
            Some(m) if m >= min_go => {}
            Some(m) => {
                return Err(Decline::new(DeclineCode::SharedLoopVariable, format!(
                    "the module says go 1.{m}: before Go 1.22 `{v}` is ONE variable for the whole loop, so every `&{v}` is the same pointer \
                     (a bug the rewrite would silently change); fix it by hand"
                )))
            }
            None => return Err(Decline::new(DeclineCode::GoVersionUnknown, "the module's go version is unknown (per-iteration loop variables need go 1.22)")),
        }

        let xs_text = src.node_text(l.xs).to_string();
        let xs = facts
            .expr(file, l.xs.start_byte(), l.xs.end_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for `{xs_text}`")))?;
        check_ranged_type(&xs_text, xs)?;
        if xs.side_effects {
            return Err(Decline::new(DeclineCode::EvaluatedTwice, format!("`{xs_text}` has side effects")));
        }

        let path = l.xs_path.join(".");
        let named_xs = |d: Decline| Decline::new(d.code, name_xs(&d.reason, &path));
        let plan = Plan::analyze(src, &l).map_err(named_xs)?;
        check_value_refs(src, file, facts, &l, &plan)?;
        for need in &plan.needs {
            need.check(src, file, facts, &plan).map_err(named_xs)?;
        }

        // The edits: the range clause, and every `&v`.
        let index = &plan.index;
        let mut edits = Vec::new();
        let key_text = l.key.map(|k| src.node_text(k).to_string());
        let new_left = match (&key_text, plan.keep_value) {
            (None, false) => Some(index.clone()),
            (None, true) => Some(format!("{index}, {v}")),
            (Some(k), false) => Some(k.clone()),
            (Some(_), true) => None,
        };
        if let Some(text) = new_left {
            edits.push(TextEdit { start: l.left.start_byte(), end: l.left.end_byte(), text });
        }
        for u in &plan.addr_uses {
            edits.push(TextEdit { start: u.start_byte(), end: u.end_byte(), text: format!("&{path}[{index}]") });
        }

        let old_left = src.node_text(l.left);
        let new_clause = match (&key_text, plan.keep_value) {
            (None, false) | (Some(_), false) => index.clone(),
            _ => format!("{index}, {v}"),
        };
        let alive = if plan.fresh_root {
            format!("`{path}` is built by this function and never shared, so only it and the collected pointers reach its elements")
        } else {
            "nothing writes its elements or calls code that could while the collected pointers are alive".to_string()
        };
        Ok(Proposal {
            edits,
            add_imports: vec![],
            removed_uses: vec![],
            title: format!("for {old_left} := range {path} {{ … &{v} … }} → for {new_clause} := range {path} {{ … &{path}[{index}] … }}"),
            explanation: format!(
                "Each iteration's `{v}` is a separate variable since Go 1.22, and collecting `&{v}` moves it to the heap: one allocation per element. \
                 `&{path}[{index}]` points into the slice instead. That makes the pointers alias the elements rather than private copies, which \
                 nobody can observe here: the loop only reads `{v}`, the collected pointers ({containers}) stay in this function and are only read \
                 through, and {alive}. The compiler may report `{root}` as leaking instead.",
                containers = plan.containers.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
                root = l.xs_path[0],
            ),
            expect_new: ExpectNew::Nothing,
        })
    }
}

/// The type checker's view of `v` in the body: written nowhere, its address taken only by the
/// collected `&v` (a pointer-receiver method call `v.M()` takes it too).
fn check_value_refs(src: &SourceFile, file: &Path, facts: &Facts, l: &Loop, plan: &Plan) -> Result<(), Decline> {
    let v = src.node_text(l.value);
    let Some(uses) = facts.uses(file, l.value.start_byte()) else {
        if plan.method_calls.is_empty() {
            return Ok(()); // the syntax alone decided
        }
        return Err(Decline::new(
            DeclineCode::NoTypeFacts,
            format!("no uses facts for `{v}`, so the receiver of `{v}.M()` is unknown"),
        ));
    };
    let collected: Vec<usize> = plan
        .addr_uses
        .iter()
        .filter_map(|a| a.child_by_field_name("operand"))
        .map(|o| innermost(o).start_byte())
        .collect();
    let (from, to) = (l.body.start_byte(), l.body.end_byte());
    for r in uses.refs.iter().filter(|r| r.file == file && r.offset >= from && r.offset < to) {
        let (line, _) = src.position(r.offset);
        if r.write {
            return Err(Decline::new(DeclineCode::LoopVarWritten, format!("line {line}: the body writes `{v}`; the collected pointer must see that write, and the rewrite's would not")));
        }
        if r.addr && !collected.contains(&r.offset) {
            let what = plan
                .method_calls
                .iter()
                .find(|m| m.start_byte() == r.offset)
                .map(|m| use_of(src, *m).top)
                .map(|sel| {
                    format!("calls `{}`, a pointer-receiver method that may modify `{v}`", one_line(src.node_text(sel)))
                })
                .unwrap_or_else(|| format!("takes the address of `{v}` outside the collection"));
            return Err(Decline::new(DeclineCode::LoopVarWritten, format!("line {line}: the body {what}")));
        }
    }
    Ok(())
}

/// `(v)` → `v`.
fn innermost(n: Node) -> Node {
    let mut cur = n;
    while cur.kind() == "parenthesized_expression" {
        match cur.named_child(0) {
            Some(c) => cur = c,
            None => break,
        }
    }
    cur
}

/// The `for` statement of a range-clause variable.
fn id_loop(id: Node) -> Option<Node> {
    let list = id.parent().filter(|p| p.kind() == "expression_list")?;
    let clause = list.parent().filter(|c| c.kind() == "range_clause")?;
    clause.parent().filter(|f| f.kind() == "for_statement")
}

fn check_ranged_type(text: &str, f: &ExprFacts) -> Result<(), Decline> {
    let u = f.underlying.as_str();
    let kind = f.kind.as_str();
    let what = if f.type_param || kind == "typeparam" {
        Some("a type parameter")
    } else if kind == "slice" || (kind.is_empty() && u.starts_with("[]")) {
        None
    } else if kind == "array" || u.starts_with('[') {
        Some("an array: `range` iterates over a COPY of it, so `&arr[i]` would alias the original the loop never saw")
    } else if f.pointer {
        Some("a pointer to an array")
    } else if u.starts_with("map[") {
        Some("a map: its elements have no address")
    } else if u.starts_with("chan") || u.starts_with("<-chan") {
        Some("a channel: its values have no address")
    } else if f.basic == "string" || f.basic == "untyped string" {
        Some("a string: its runes have no address")
    } else if u.starts_with("func") {
        Some("an iterator function")
    } else if !f.basic.is_empty() {
        Some("an integer")
    } else {
        Some("not a slice")
    };
    match what {
        None => Ok(()),
        Some(w) => Err(Decline::new(DeclineCode::RangeNotOverSlice, format!("`{text}` is {w}"))),
    }
}

/// The syntax of `for k, v := range xs { body }`.
struct Loop<'t> {
    for_stmt: Node<'t>,
    /// The `k, v` expression list.
    left: Node<'t>,
    /// `None` for `_`.
    key: Option<Node<'t>>,
    value: Node<'t>,
    xs: Node<'t>,
    xs_path: Vec<String>,
    body: Node<'t>,
}

impl<'t> Loop<'t> {
    fn parse(src: &SourceFile, for_stmt: Node<'t>) -> Result<Self, Decline> {
        if for_stmt.kind() != "for_statement" {
            return Err(Decline::new(DeclineCode::ShapeMismatch, "not a for statement"));
        }
        let mut c = for_stmt.walk();
        let clause = for_stmt
            .named_children(&mut c)
            .find(|n| n.kind() == "range_clause")
            .ok_or_else(|| Decline::new(DeclineCode::ShapeMismatch, "not a range loop"))?;
        let left = clause
            .child_by_field_name("left")
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "range loop without variables"))?;
        if !has_token(clause, ":=") {
            return Err(Decline::new(
                DeclineCode::ShapeMismatch,
                "the loop assigns existing variables (`=`), it does not declare them",
            ));
        }
        let vars = items(left);
        let [key, value] = vars.as_slice() else {
            return Err(Decline::new(
                DeclineCode::ShapeMismatch,
                "the loop does not declare both an index and a value variable",
            ));
        };
        if key.kind() != "identifier" || value.kind() != "identifier" || src.node_text(*value) == "_" {
            return Err(Decline::new(DeclineCode::ShapeMismatch, "the loop variables are not plain names"));
        }
        let xs = clause
            .child_by_field_name("right")
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "range loop without an operand"))?;
        let body = for_stmt
            .child_by_field_name("body")
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "for statement without a body"))?;
        let xs_path = plain_path(src, xs).ok_or_else(|| Decline::new(DeclineCode::EvaluatedTwice, {
            let text = one_line(src.node_text(xs));
            format!("the loop ranges over `{text}`, not a plain variable or field path: `&{text}[i]` would evaluate it again in every iteration")
        }))?;
        let key = (src.node_text(*key) != "_").then_some(*key);
        Ok(Loop { for_stmt, left, key, value: *value, xs, xs_path, body })
    }
}

/// A question the syntax cannot answer.
enum Need<'t> {
    /// A written place (left of `=`, `++`): it must not reach xs's elements.
    Place(Node<'t>),
    /// A call: it must not be able to write xs's elements.
    Call(Node<'t>),
    /// `v.x` or `p.x` read through the value or a collected pointer: `x` must be a field (a method
    /// value would bind the variable's address, and calling it later could write).
    Field(Node<'t>),
    /// `v.f.M` called: `M` must be a method (its receiver is then judged by the uses facts), not a
    /// func value stored in a field, which may write anything.
    Method(Node<'t>),
}

impl<'t> Need<'t> {
    /// The expressions whose type facts the check needs.
    fn nodes(&self) -> Vec<Node<'t>> {
        match self {
            Need::Place(n) => {
                let mut out = Vec::new();
                let mut cur = *n;
                loop {
                    let next = match cur.kind() {
                        "parenthesized_expression" => cur.named_child(0),
                        "selector_expression" | "index_expression" => cur.child_by_field_name("operand"),
                        _ => None,
                    };
                    match next {
                        Some(x) => {
                            out.push(x);
                            cur = x;
                        }
                        None => break,
                    }
                }
                out
            }
            Need::Call(call) => {
                let mut out = Vec::new();
                if let Some(f) = call.child_by_field_name("function") {
                    out.push(f);
                    if let Some(op) = f.child_by_field_name("operand").filter(|_| f.kind() == "selector_expression") {
                        out.push(op);
                    }
                }
                out
            }
            Need::Field(sel) | Need::Method(sel) => vec![*sel],
        }
    }

    fn check(&self, src: &SourceFile, file: &Path, facts: &Facts, plan: &Plan) -> Result<(), Decline> {
        let fx = |n: Node| facts.expr(file, n.start_byte(), n.end_byte());
        let facts_of = |n: Node| {
            fx(n).ok_or_else(|| {
                Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for `{}`", one_line(src.node_text(n))))
            })
        };
        let line = |n: Node| src.position(n.start_byte()).0;
        match self {
            Need::Place(lhs) => {
                let mut cur = *lhs;
                loop {
                    match cur.kind() {
                        "identifier" => return Ok(()),
                        "parenthesized_expression" => {
                            cur = cur
                                .named_child(0)
                                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "empty parentheses"))?
                        }
                        "selector_expression" => {
                            let op = cur.child_by_field_name("operand").ok_or_else(|| {
                                Decline::new(DeclineCode::UnexpectedSyntax, "selector without operand")
                            })?;
                            let f = fx(op).ok_or_else(|| {
                                Decline::new(
                                    DeclineCode::NoTypeFacts,
                                    format!("no type facts for `{}`", src.node_text(op)),
                                )
                            })?;
                            if f.object.as_ref().is_some_and(|o| o.kind == "pkgname") {
                                return Ok(()); // a package-level variable
                            }
                            if f.pointer || f.interface || f.type_param {
                                return Err(write_decline(
                                    src,
                                    *lhs,
                                    line(*lhs),
                                    "through a pointer, which could point into it",
                                ));
                            }
                            cur = op;
                        }
                        "index_expression" => {
                            let op = cur
                                .child_by_field_name("operand")
                                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "index without operand"))?;
                            let f = fx(op).ok_or_else(|| {
                                Decline::new(
                                    DeclineCode::NoTypeFacts,
                                    format!("no type facts for `{}`", src.node_text(op)),
                                )
                            })?;
                            let u = f.underlying.as_str();
                            if u.starts_with("map[") {
                                return Ok(()); // map values have no address
                            }
                            if u.starts_with('[') && !u.starts_with("[]") && !f.pointer {
                                cur = op; // an element of an array value is part of that value
                                continue;
                            }
                            if op.kind() == "identifier" && plan.is_private_slice(src.node_text(op)) {
                                return Ok(());
                            }
                            return Err(write_decline(
                                src,
                                *lhs,
                                line(*lhs),
                                "into a slice that could share its backing array",
                            ));
                        }
                        _ => {
                            return Err(write_decline(
                                src,
                                *lhs,
                                line(*lhs),
                                "through a pointer, which could point into it",
                            ))
                        }
                    }
                }
            }
            Need::Call(call) => {
                let func = call
                    .child_by_field_name("function")
                    .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "call without a function"))?;
                let f = fx(func).ok_or_else(|| {
                    Decline::new(
                        DeclineCode::NoTypeFacts,
                        format!("no type facts for `{}`", one_line(src.node_text(func))),
                    )
                })?;
                if f.mode == "type" {
                    return Ok(()); // a conversion
                }
                let obj = f.object.as_ref();
                if f.mode == "builtin" || obj.is_some_and(|o| o.kind == "builtin") {
                    let name = obj.map(|o| o.name.as_str()).unwrap_or_else(|| src.node_text(func));
                    if PURE_BUILTINS.contains(&name) {
                        return Ok(());
                    }
                    if WRITING_BUILTINS.contains(&name) {
                        let first = call.child_by_field_name("arguments").and_then(|a| items(a).into_iter().next());
                        if let Some(a) = first.filter(|a| a.kind() == "identifier") {
                            let n = src.node_text(a);
                            if plan.containers.iter().any(|c| c == n) || plan.is_private_slice(n) {
                                return Ok(());
                            }
                        }
                        return Err(Decline::new(DeclineCode::Aliasing, format!(
                            "line {}: `{}` writes into a slice that could share xs's backing array while the collected pointers are alive",
                            line(*call),
                            one_line(src.node_text(*call))
                        )));
                    }
                }
                if obj.is_some_and(|o| o.kind == "func" && PURE_PACKAGES.contains(&o.pkg.as_str())) {
                    // A package-level function (`strings.ToLower`), not a method of one of its types.
                    let op_is_pkg = func
                        .child_by_field_name("operand")
                        .filter(|_| func.kind() == "selector_expression")
                        .and_then(fx)
                        .and_then(|of| of.object.as_ref())
                        .is_some_and(|of| of.kind == "pkgname");
                    if op_is_pkg {
                        return Ok(());
                    }
                }
                Err(Decline::new(DeclineCode::Aliasing, format!(
                    "line {}: the call `{}` happens while the collected pointers are alive and could write xs's elements through another reference \
                     (only builtins, conversions and functions of {} are known not to)",
                    line(*call),
                    one_line(src.node_text(*call)),
                    PURE_PACKAGES.join(", ")
                )))
            }
            Need::Field(sel) => {
                let f = facts_of(*sel)?;
                match f.object.as_ref() {
                    Some(o) if o.kind == "var" => Ok(()),
                    _ => Err(Decline::new(DeclineCode::Aliasing, format!(
                        "line {}: `{}` is a method value: it binds the variable's address, and calling it later could write through it",
                        line(*sel),
                        one_line(src.node_text(*sel))
                    ))),
                }
            }
            Need::Method(sel) => {
                let f = facts_of(*sel)?;
                match f.object.as_ref() {
                    Some(o) if o.kind == "func" => Ok(()),
                    _ => Err(Decline::new(
                        DeclineCode::LoopVarWritten,
                        format!(
                            "line {}: the body calls `{}`, a function value stored in a field, which may modify the value",
                            line(*sel),
                            one_line(src.node_text(*sel))
                        ),
                    )),
                }
            }
        }
    }
}

/// The selector expressions along a use's chain (`v.a`, `v.a.b`), for [`Need::Field`].
fn selectors_of<'t>(id: Node<'t>, top: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut cur = id;
    while cur.id() != top.id() {
        let Some(p) = cur.parent() else { break };
        if p.kind() == "selector_expression" {
            out.push(p);
        }
        cur = p;
    }
    out
}

/// Decline messages say `xs` for the ranged slice; name it.
fn name_xs(msg: &str, path: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let bytes = msg.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < msg.len() {
        if msg[i..].starts_with("xs") && (i == 0 || !word(bytes[i - 1])) && !bytes.get(i + 2).is_some_and(|b| word(*b))
        {
            let quoted =
                i > 0 && bytes[i - 1] == b'`' || (i > 0 && bytes[i - 1] == b'&' && i > 1 && bytes[i - 2] == b'`');
            if quoted {
                out.push_str(path);
            } else {
                out.push('`');
                out.push_str(path);
                out.push('`');
            }
            i += 2;
        } else {
            let c = msg[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn write_decline(src: &SourceFile, lhs: Node, line: u32, how: &str) -> Decline {
    Decline::new(DeclineCode::Aliasing, format!(
        "line {line}: `{}` is written while the collected pointers are alive, {how}: the original's pointers hold copies and would not see it",
        one_line(src.node_text(lhs))
    ))
}

/// What the syntax proves, and what is left for type facts.
struct Plan<'t> {
    /// The `&v` expressions to rewrite.
    addr_uses: Vec<Node<'t>>,
    /// Whether `v` is read by value somewhere (then it stays declared).
    keep_value: bool,
    /// The index variable the rewrite uses (the key variable when there is one).
    index: String,
    /// Local variables the pointers are collected into.
    containers: Vec<String>,
    /// `xs` is a local slice the function built and never shared.
    fresh_root: bool,
    /// Local slices that never share their backing array (appends and writes to them are harmless).
    private_slices: Vec<String>,
    needs: Vec<Need<'t>>,
    /// `v.M()` calls in the body: allowed only when the method has a value receiver (the uses facts
    /// flag a pointer-receiver call as taking `v`'s address).
    method_calls: Vec<Node<'t>>,
}

impl Plan<'_> {
    fn is_private_slice(&self, name: &str) -> bool {
        self.private_slices.iter().any(|s| s == name)
    }
}

/// One step of an expression built on a name: `x.f`, `x[i]`, `*x`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Field(String),
    Index,
    Deref,
}

/// How an expression is used by its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Assigned to, incremented, or received into.
    Write,
    /// `&expr`
    Addr,
    /// `expr(...)`: a call of a method or func value reached through it.
    Call,
    /// The argument of `len`/`cap`.
    LenCap,
    /// The operand of `range`.
    Ranged,
    Read,
}

/// A name's use: the steps built on it, the outermost expression and how that is used.
struct Use<'t> {
    steps: Vec<Step>,
    top: Node<'t>,
    ctx: Ctx,
}

fn use_of<'t>(src: &SourceFile, id: Node<'t>) -> Use<'t> {
    let mut steps = Vec::new();
    let mut cur = id;
    while let Some(p) = cur.parent() {
        let step = match p.kind() {
            "selector_expression" if p.child_by_field_name("operand") == Some(cur) => {
                Step::Field(p.child_by_field_name("field").map(|f| src.node_text(f).to_string()).unwrap_or_default())
            }
            "index_expression" if p.child_by_field_name("operand") == Some(cur) => Step::Index,
            "unary_expression" if op_text(src, p) == "*" => Step::Deref,
            "parenthesized_expression" => {
                cur = p;
                continue;
            }
            _ => break,
        };
        steps.push(step);
        cur = p;
    }
    let ctx = ctx_of(src, cur);
    Use { steps, top: cur, ctx }
}

fn ctx_of(src: &SourceFile, e: Node) -> Ctx {
    let Some(p) = e.parent() else { return Ctx::Read };
    match p.kind() {
        "expression_list" => {
            let Some(gp) = p.parent() else { return Ctx::Read };
            let is_left = gp.child_by_field_name("left") == Some(p);
            match gp.kind() {
                "assignment_statement" | "range_clause" | "receive_statement" | "short_var_declaration" if is_left => {
                    Ctx::Write
                }
                _ => Ctx::Read,
            }
        }
        "inc_statement" | "dec_statement" => Ctx::Write,
        "unary_expression" if op_text(src, p) == "&" => Ctx::Addr,
        "call_expression" if p.child_by_field_name("function") == Some(e) => Ctx::Call,
        "argument_list" => {
            let f = p.parent().and_then(|c| c.child_by_field_name("function"));
            match f.map(|f| src.node_text(f)) {
                Some("len") | Some("cap") => Ctx::LenCap,
                _ => Ctx::Read,
            }
        }
        "range_clause" if p.child_by_field_name("right") == Some(e) => Ctx::Ranged,
        _ => Ctx::Read,
    }
}

fn op_text<'a>(src: &'a SourceFile, unary: Node) -> &'a str {
    unary.child_by_field_name("operator").map(|o| src.node_text(o)).unwrap_or("")
}

fn ctx_words(c: Ctx) -> &'static str {
    match c {
        Ctx::Write => "assigned to",
        Ctx::Addr => "address-taken",
        Ctx::Call => "called through (a method could modify it)",
        Ctx::LenCap => "measured",
        Ctx::Ranged => "ranged over",
        Ctx::Read => "used as a value",
    }
}

impl<'t> Plan<'t> {
    fn analyze(src: &SourceFile, l: &Loop<'t>) -> Result<Self, Decline> {
        let v = src.node_text(l.value);
        let func = enclosing_function(l.for_stmt)
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the loop is not inside a function"))?;
        let fbody = func
            .child_by_field_name("body")
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "function without a body"))?;
        if any_node(fbody, |n| n.kind() == "goto_statement") {
            return Err(Decline::new(DeclineCode::UsesGoto, "the function uses goto; stackify does not follow it"));
        }
        let line = |n: Node| src.position(n.start_byte()).0;

        // 1. The body reads `v`, and takes `&v` only to collect it.
        let mut addr_uses = Vec::new();
        let mut keep_value = false;
        let mut containers: Vec<String> = Vec::new();
        let mut collections: Vec<Node> = Vec::new();
        let mut field_needs: Vec<Node> = Vec::new();
        let mut method_calls: Vec<Node> = Vec::new();
        let mut method_needs: Vec<Node> = Vec::new();
        for id in identifiers_named(l.body, v, src) {
            if declares(id) {
                return Err(Decline::new(
                    DeclineCode::Redeclared,
                    format!("line {}: the loop body declares another `{v}`", line(id)),
                ));
            }
            if inside_func_literal(id, l.body) {
                return Err(Decline::new(
                    DeclineCode::CapturedByClosure,
                    format!("line {}: a closure uses `{v}`", line(id)),
                ));
            }
            let u = use_of(src, id);
            if u.steps.is_empty() && u.ctx == Ctx::Addr {
                let amp = u.top.parent().expect("& has a parent");
                let (c, stmt) = collection_target(src, amp).ok_or_else(|| Decline::new(DeclineCode::AddressNotCollected, {
                    format!(
                        "line {}: `&{v}` is {}; only collecting it with `ps = append(ps, &{v})` or `m[k] = &{v}` is rewritten",
                        line(amp),
                        describe_use(src, amp)
                    )
                }))?;
                if !containers.contains(&c) {
                    containers.push(c);
                }
                collections.push(stmt);
                addr_uses.push(amp);
                continue;
            }
            match u.ctx {
                Ctx::Write => {
                    return Err(Decline::new(
                        DeclineCode::LoopVarWritten,
                        format!(
                    "line {}: the body writes `{}`; the collected pointer must see that write, and `&xs[i]` would not",
                    line(id),
                    one_line(src.node_text(u.top))
                ),
                    ))
                }
                Ctx::Addr => {
                    return Err(Decline::new(
                        DeclineCode::AddressTaken,
                        format!(
                            "line {}: the body takes the address of `{}`",
                            line(id),
                            one_line(src.node_text(u.top))
                        ),
                    ))
                }
                Ctx::Call if u.steps.len() == 1 => {
                    // `v.M()`: fine with a value receiver; the uses facts say whether it takes `&v`.
                    keep_value = true;
                    method_calls.push(id);
                }
                Ctx::Call if !u.steps.is_empty() && u.top.kind() == "selector_expression" => {
                    // `v.f.M()`: like `v.M()`, the uses facts flag it as taking `v`'s address exactly
                    // when M has a pointer receiver reached without going through a pointer (go/types
                    // selections); through a pointer, an interface or a slice element the copy and the
                    // element share what M may change, and a value receiver gets a copy. The path must
                    // be fields and M a method: a func value stored in a field may do anything.
                    keep_value = true;
                    method_calls.push(id);
                    if let Some((callee, path)) = selectors_of(id, u.top).split_last() {
                        field_needs.extend(path);
                        method_needs.push(*callee);
                    }
                }
                Ctx::Call if !u.steps.is_empty() => {
                    return Err(Decline::new(
                        DeclineCode::LoopVarWritten,
                        format!(
                            "line {}: the body calls `{}`, a function value reached through `{v}`, which may modify it",
                            line(id),
                            one_line(src.node_text(u.top))
                        ),
                    ))
                }
                _ => {
                    keep_value = true;
                    field_needs.extend(selectors_of(id, u.top));
                }
            }
        }
        if addr_uses.is_empty() {
            return Err(Decline::new(DeclineCode::ShapeMismatch, format!("the body never takes `&{v}`")));
        }

        // 2. The key variable, if any, is only read; otherwise pick a fresh index name.
        let index = match l.key {
            Some(k) => {
                let kn = src.node_text(k);
                for id in identifiers_named(l.body, kn, src) {
                    let u = use_of(src, id);
                    if declares(id)
                        || (u.steps.is_empty() && matches!(u.ctx, Ctx::Write | Ctx::Addr))
                        || inside_func_literal(id, l.body)
                    {
                        return Err(Decline::new(
                            DeclineCode::LoopVarWritten,
                            format!("line {}: the body writes, redeclares or captures the index `{kn}`", line(id)),
                        ));
                    }
                }
                kn.to_string()
            }
            None => {
                let used = names_in(src, l.for_stmt, ALL_WORDS);
                ["i", "j", "k", "idx", "n", "ix"]
                    .iter()
                    .find(|c| !used.iter().any(|u| u == *c))
                    .map(|s| s.to_string())
                    .ok_or_else(|| Decline::new(DeclineCode::NoFreeName, "no free index name"))?
            }
        };

        // 3. The containers: locals of this function; the window is the rest of the block that
        //    declares the outermost one, from the statement that holds the loop.
        let mut window_block: Option<Node> = None;
        for c in &containers {
            if l.xs_path[0] == *c {
                return Err(Decline::new(
                    DeclineCode::Aliasing,
                    format!("the pointers are collected into `{c}`, the ranged slice itself"),
                ));
            }
            if is_param_of(src, func, c) {
                return Err(Decline::new(DeclineCode::Aliasing, format!(
                    "the pointers are collected into `{c}`, a parameter or result: the caller sees them (and could write through them into xs)"
                )));
            }
            let decls: Vec<Node> = identifiers_named(fbody, c, src).into_iter().filter(|n| declares(*n)).collect();
            let [decl] = decls.as_slice() else {
                return Err(if decls.is_empty() {
                    Decline::new(DeclineCode::NotDeclaredBeforeLoop, format!("the pointers are collected into `{c}`, which is not declared in this function: they outlive it"))
                } else {
                    Decline::new(
                        DeclineCode::Redeclared,
                        format!(
                            "`{c}` is declared more than once in the function; stackify does not track which is which"
                        ),
                    )
                });
            };
            if !declared_fresh(src, *decl) {
                return Err(Decline::new(DeclineCode::Aliasing, format!(
                    "`{c}` starts out as another value's storage (not nil, make(…) or a literal): the collected pointers could be seen through that"
                )));
            }
            let block = enclosing_block(*decl)
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "declaration outside a block"))?;
            if decl.end_byte() > l.for_stmt.start_byte() || !spans(block, l.for_stmt) {
                return Err(Decline::new(
                    DeclineCode::NotDeclaredBeforeLoop,
                    format!("`{c}` is not declared before the loop in an enclosing block"),
                ));
            }
            if window_block.is_none_or(|b| block.start_byte() < b.start_byte()) {
                window_block = Some(block);
            }
        }
        let block = window_block.expect("at least one container");
        let stmts = block_statements(block);
        let first = stmts
            .iter()
            .position(|s| spans(*s, l.for_stmt))
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the loop is not in the container's block"))?;
        let window: Vec<Node> = stmts[first..].to_vec();

        // 4. The containers' uses: collection, measuring, reading through, nothing that lets the
        //    pointers out or writes through them.
        let mut derived: Vec<(Node, String, (usize, usize))> = Vec::new();
        for c in &containers {
            for id in identifiers_named(fbody, c, src) {
                if declares(id) {
                    continue;
                }
                if inside_func_literal(id, fbody) {
                    return Err(Decline::new(
                        DeclineCode::CapturedByClosure,
                        format!(
                            "line {}: a closure uses `{c}`, so the collected pointers may outlive the loop's analysis",
                            line(id)
                        ),
                    ));
                }
                let u = use_of(src, id);
                let bad = |what: &str| -> Decline {
                    Decline::new(DeclineCode::Aliasing, format!(
                        "line {}: `{}` {what}: the collected pointers would alias xs's elements where stackify cannot follow them",
                        line(id),
                        one_line(src.node_text(u.top))
                    ))
                };
                match u.steps.first() {
                    None => {
                        if collections.iter().any(|s| spans(*s, id)) || u.ctx == Ctx::LenCap {
                            continue;
                        }
                        let self_append = match u.ctx {
                            Ctx::Write => self_append_stmt(src, u.top).is_some(),
                            Ctx::Read => {
                                is_first_arg_of(src, id, &["append"])
                                    && id
                                        .parent()
                                        .and_then(|l| l.parent())
                                        .and_then(|call| self_append_call(src, call))
                                        .as_deref()
                                        == Some(c.as_str())
                            }
                            _ => false,
                        };
                        if self_append {
                            continue;
                        }
                        if u.ctx == Ctx::Write {
                            // `ps = nil` / `ps = make(…)` drops the pointers; `ps = ys[:0]` would
                            // make later appends write into ys.
                            if assigned_fresh(src, u.top) {
                                continue;
                            }
                            return Err(bad("is reassigned to another value's storage"));
                        }
                        if is_first_arg_of(src, id, &["delete", "clear"]) {
                            continue;
                        }
                        if u.ctx == Ctx::Ranged {
                            let clause = u.top.parent().expect("range clause");
                            let vars = clause.child_by_field_name("left").map(items).unwrap_or_default();
                            if let Some(p) = vars.get(1).filter(|p| src.node_text(**p) != "_") {
                                if !has_token(clause, ":=") {
                                    return Err(bad("is ranged over into existing variables"));
                                }
                                let body = clause
                                    .parent()
                                    .and_then(|f| f.child_by_field_name("body"))
                                    .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "range without body"))?;
                                derived.push((*p, src.node_text(*p).to_string(), (body.start_byte(), body.end_byte())));
                            }
                            continue;
                        }
                        let what = match u.ctx {
                            _ if u.top.parent().is_some_and(|p| p.kind() == "expression_list")
                                && u.top.parent().and_then(|p| p.parent()).is_some_and(|g| g.kind() == "return_statement") =>
                            {
                                "is returned (callers could write through the pointers into xs, or write xs and see it through them)"
                            }
                            _ => "is passed on or copied",
                        };
                        return Err(bad(what));
                    }
                    Some(Step::Index) => {
                        if u.steps.len() == 1 {
                            if u.ctx == Ctx::Write {
                                continue; // `m[k] = …` replaces a pointer
                            }
                            if let Some((p, scope)) = short_var_from(src, u.top) {
                                derived.push((p, src.node_text(p).to_string(), scope));
                                continue;
                            }
                            if compared_with_nil(src, u.top) {
                                continue;
                            }
                            return Err(bad("copies a collected pointer"));
                        }
                        match u.ctx {
                            Ctx::Read | Ctx::LenCap | Ctx::Ranged => {
                                field_needs.extend(selectors_of(id, u.top));
                                continue;
                            }
                            Ctx::Write => {
                                return Err(bad("writes through a collected pointer (into xs after the rewrite)"))
                            }
                            Ctx::Addr => return Err(bad("takes an address through a collected pointer")),
                            Ctx::Call => {
                                return Err(bad("calls a method through a collected pointer (it could write)"))
                            }
                        }
                    }
                    Some(_) => return Err(bad("is used in a way stackify does not follow")),
                }
            }
        }
        // Derived pointer variables (`for _, p := range ps`, `p := m[k]`): dereferenced to read only.
        for (decl, name, (from, to)) in &derived {
            let scope_ids: Vec<Node> = identifiers_named(fbody, name, src)
                .into_iter()
                .filter(|n| n.start_byte() >= *from && n.end_byte() <= *to && n.id() != decl.id())
                .collect();
            for id in scope_ids {
                if declares(id) {
                    return Err(Decline::new(
                        DeclineCode::Redeclared,
                        format!("line {}: `{name}` is redeclared while it holds a collected pointer", line(id)),
                    ));
                }
                if inside_func_literal(id, fbody) {
                    return Err(Decline::new(
                        DeclineCode::CapturedByClosure,
                        format!("line {}: a closure uses `{name}`, a collected pointer", line(id)),
                    ));
                }
                let u = use_of(src, id);
                let ok = if u.steps.is_empty() {
                    compared_with_nil(src, u.top)
                } else {
                    matches!(u.ctx, Ctx::Read | Ctx::LenCap | Ctx::Ranged)
                };
                if ok {
                    field_needs.extend(selectors_of(id, u.top));
                }
                if !ok {
                    return Err(Decline::new(DeclineCode::Aliasing, format!(
                        "line {}: `{}` {} — a collected pointer may only be read through (after the rewrite it points into xs)",
                        line(id),
                        one_line(src.node_text(u.top)),
                        ctx_words(u.ctx)
                    )));
                }
            }
        }

        // 5. xs itself while the pointers are alive: read its elements, measure it, nothing else.
        let root = l.xs_path[0].as_str();
        for stmt in &window {
            for id in identifiers_named(*stmt, root, src) {
                if spans(l.xs, id) {
                    continue;
                }
                if declares(id) {
                    return Err(Decline::new(
                        DeclineCode::Redeclared,
                        format!(
                            "line {}: `{root}` is redeclared after the loop; stackify does not track which is which",
                            line(id)
                        ),
                    ));
                }
                if inside_func_literal(id, *stmt) {
                    return Err(Decline::new(
                        DeclineCode::CapturedByClosure,
                        format!("line {}: a closure uses `{root}` while the collected pointers are alive", line(id)),
                    ));
                }
                let u = use_of(src, id);
                let fields: Vec<&str> = u
                    .steps
                    .iter()
                    .map_while(|s| match s {
                        Step::Field(f) => Some(f.as_str()),
                        _ => None,
                    })
                    .collect();
                let want: Vec<&str> = l.xs_path[1..].iter().map(String::as_str).collect();
                let shown = one_line(src.node_text(u.top));
                if fields.len() < want.len() && fields[..] == want[..fields.len()] {
                    // `s` of `s.items`, used whole: anything could happen to s.items through it.
                    if fields.len() == u.steps.len() || !matches!(u.steps.get(fields.len()), Some(Step::Field(_))) {
                        return Err(Decline::new(
                            DeclineCode::Aliasing,
                            format!(
                                "line {}: `{shown}` is {} while the collected pointers are alive, and it holds `{}`",
                                line(id),
                                ctx_words(u.ctx),
                                l.xs_path.join(".")
                            ),
                        ));
                    }
                    continue;
                }
                if fields.len() >= want.len() && fields[..want.len()] == want[..] {
                    let rest = &u.steps[want.len()..];
                    match rest.first() {
                        None => {
                            if matches!(u.ctx, Ctx::LenCap | Ctx::Ranged) {
                                continue;
                            }
                            let why = if u.ctx == Ctx::Write && spans(l.body, id) {
                                "is reassigned in the loop: `&xs[i]` would index the new slice".to_string()
                            } else {
                                format!("is {} while the collected pointers are alive (it could be written through)", ctx_words(u.ctx))
                            };
                            return Err(Decline::new(DeclineCode::Aliasing, format!("line {}: `{shown}` {why}", line(id))));
                        }
                        Some(Step::Index) => match u.ctx {
                            Ctx::Read | Ctx::LenCap | Ctx::Ranged => continue,
                            _ => {
                                return Err(Decline::new(DeclineCode::Aliasing, format!(
                                    "line {}: `{shown}` is {} while the collected pointers are alive: after the rewrite they would see it",
                                    line(id),
                                    ctx_words(u.ctx)
                                )))
                            }
                        },
                        Some(_) => {
                            return Err(Decline::new(DeclineCode::Aliasing, format!("line {}: `{shown}` calls a method of the slice while the collected pointers are alive", line(id))))
                        }
                    }
                }
                if want.is_empty() {
                    return Err(Decline::new(
                        DeclineCode::Aliasing,
                        format!(
                            "line {}: `{shown}` uses a method of the slice while the collected pointers are alive",
                            line(id)
                        ),
                    ));
                }
                // Another field of the same root: writes and calls are checked below like any other.
            }
        }

        // 6. Is xs private to this function? Then nothing but xs and the pointers reach its elements.
        let private_slices = private_slices(src, func, fbody);
        let fresh_root = l.xs_path.len() == 1 && private_slices.iter().any(|s| s == root);

        // 7. Otherwise: every write and call while the pointers are alive is a question for the
        //    type facts, and goroutines and channel operations are out.
        let mut needs: Vec<Need> = field_needs.into_iter().map(Need::Field).collect();
        needs.extend(method_needs.into_iter().map(Need::Method));
        if !fresh_root {
            for stmt in &window {
                let mut err: Option<Decline> = None;
                walk(*stmt, &mut |n| {
                    if err.is_some() {
                        return false;
                    }
                    match n.kind() {
                        "go_statement" | "send_statement" | "select_statement" => {
                            err = Some(sync_decline(src, n));
                        }
                        "unary_expression" if op_text(src, n) == "<-" => err = Some(sync_decline(src, n)),
                        "assignment_statement" => {
                            if let Some(left) = n.child_by_field_name("left") {
                                needs.extend(
                                    items(left).into_iter().filter(|e| e.kind() != "identifier").map(Need::Place),
                                );
                            }
                        }
                        "range_clause" if !has_token(n, ":=") => {
                            if let Some(left) = n.child_by_field_name("left") {
                                needs.extend(
                                    items(left).into_iter().filter(|e| e.kind() != "identifier").map(Need::Place),
                                );
                            }
                        }
                        "inc_statement" | "dec_statement" => {
                            if let Some(e) = n.named_child(0).filter(|e| e.kind() != "identifier") {
                                needs.push(Need::Place(e));
                            }
                        }
                        "call_expression" => needs.push(Need::Call(n)),
                        _ => {}
                    }
                    true
                });
                if let Some(e) = err {
                    return Err(e);
                }
            }
        }
        Ok(Plan { addr_uses, keep_value, index, containers, fresh_root, private_slices, needs, method_calls })
    }
}

fn sync_decline(src: &SourceFile, n: Node) -> Decline {
    Decline::new(DeclineCode::Aliasing, format!(
        "line {}: `{}` synchronizes with other goroutines while the collected pointers are alive; a write they make to xs would become visible",
        src.position(n.start_byte()).0,
        one_line(src.node_text(n))
    ))
}

/// `C = append(C, …, &v, …)` or `C[k] = &v`: the container name and the statement.
fn collection_target<'t>(src: &SourceFile, amp: Node<'t>) -> Option<(String, Node<'t>)> {
    let p = amp.parent()?;
    if p.kind() == "argument_list" {
        let call = p.parent().filter(|c| c.kind() == "call_expression")?;
        let func = call.child_by_field_name("function")?;
        if src.node_text(func) != "append" {
            return None;
        }
        let args = items(p);
        let first = args.first().filter(|a| a.kind() == "identifier" && a.id() != amp.id())?;
        let c = src.node_text(*first).to_string();
        let rhs = call.parent().filter(|l| l.kind() == "expression_list")?;
        let stmt = rhs
            .parent()
            .filter(|s| s.kind() == "assignment_statement" && s.child_by_field_name("right") == Some(rhs))?;
        if items(rhs).len() != 1 || op_token(src, stmt) != "=" {
            return None;
        }
        let left = items(stmt.child_by_field_name("left")?);
        let [l] = left.as_slice() else { return None };
        (l.kind() == "identifier" && src.node_text(*l) == c).then_some((c, stmt))
    } else if p.kind() == "expression_list" {
        let stmt =
            p.parent().filter(|s| s.kind() == "assignment_statement" && s.child_by_field_name("right") == Some(p))?;
        if items(p).len() != 1 || op_token(src, stmt) != "=" {
            return None;
        }
        let left = items(stmt.child_by_field_name("left")?);
        let [l] = left.as_slice() else { return None };
        let op = l.child_by_field_name("operand").filter(|_| l.kind() == "index_expression")?;
        (op.kind() == "identifier").then(|| (src.node_text(op).to_string(), stmt))
    } else {
        None
    }
}

/// Where `&v` sits, in words, for a decline.
fn describe_use(src: &SourceFile, amp: Node) -> String {
    let Some(p) = amp.parent() else { return "used".into() };
    match p.kind() {
        "argument_list" => {
            let f = p
                .parent()
                .and_then(|c| c.child_by_field_name("function"))
                .map(|f| one_line(src.node_text(f)))
                .unwrap_or_default();
            format!("passed to `{f}`")
        }
        "expression_list" if p.parent().is_some_and(|g| g.kind() == "return_statement") => "returned".into(),
        "expression_list" | "short_var_declaration" => "stored in a variable".into(),
        "literal_element" | "keyed_element" => "stored in a composite literal".into(),
        "send_statement" => "sent on a channel".into(),
        _ => format!("used in `{}`", one_line(src.node_text(p))),
    }
}

/// `p := C[k]` / `p, ok := C[k]`: the new variable and its scope (the rest of its block, or the
/// `if`/`for`/`switch` whose initializer declares it).
fn short_var_from<'t>(src: &SourceFile, index_expr: Node<'t>) -> Option<(Node<'t>, (usize, usize))> {
    let rhs = index_expr.parent().filter(|l| l.kind() == "expression_list")?;
    let decl =
        rhs.parent().filter(|s| s.kind() == "short_var_declaration" && s.child_by_field_name("right") == Some(rhs))?;
    if items(rhs).len() != 1 {
        return None;
    }
    let left = items(decl.child_by_field_name("left")?);
    let p = *left.first().filter(|p| p.kind() == "identifier" && src.node_text(**p) != "_")?;
    let holder = decl.parent()?;
    let scope = match holder.kind() {
        "if_statement" | "for_clause" | "expression_switch_statement" | "type_switch_statement" => {
            let stmt = if holder.kind() == "for_clause" { holder.parent()? } else { holder };
            (decl.end_byte(), stmt.end_byte())
        }
        _ => (decl.end_byte(), enclosing_block(decl)?.end_byte()),
    };
    Some((p, scope))
}

fn compared_with_nil(src: &SourceFile, e: Node) -> bool {
    let Some(p) = e.parent().filter(|p| p.kind() == "binary_expression") else { return false };
    let op = p.child_by_field_name("operator").map(|o| src.node_text(o)).unwrap_or("");
    let other = if p.child_by_field_name("left") == Some(e) {
        p.child_by_field_name("right")
    } else {
        p.child_by_field_name("left")
    };
    (op == "==" || op == "!=") && other.is_some_and(|o| o.kind() == "nil")
}

fn is_first_arg_of(src: &SourceFile, id: Node, funcs: &[&str]) -> bool {
    let Some(list) = id.parent().filter(|p| p.kind() == "argument_list") else { return false };
    let first = items(list).first().map(|f| f.id()) == Some(id.id());
    let f = list.parent().and_then(|c| c.child_by_field_name("function")).map(|f| src.node_text(f));
    first && f.is_some_and(|f| funcs.contains(&f))
}

/// Local slices of the function that never share their backing array with anything: declared once
/// (nil, `make`, or a composite literal), then only appended to (`s = append(s, …)`), indexed
/// (without taking addresses or calling methods), measured and ranged over.
fn private_slices(src: &SourceFile, func: Node, fbody: Node) -> Vec<String> {
    let mut candidates: Vec<String> = Vec::new();
    walk(fbody, &mut |n| {
        if n.kind() == "func_literal" {
            return false;
        }
        match n.kind() {
            "var_spec" => {
                let mut c = n.walk();
                let names: Vec<Node> = n.children_by_field_name("name", &mut c).collect();
                let values = n.child_by_field_name("value").map(items);
                for (i, name) in names.iter().enumerate() {
                    let ok = match &values {
                        None => n.child_by_field_name("type").is_some_and(|t| t.kind() == "slice_type"),
                        Some(vs) => vs.get(i).is_some_and(|v| fresh_slice_value(src, *v)),
                    };
                    if ok {
                        candidates.push(src.node_text(*name).to_string());
                    }
                }
            }
            "short_var_declaration" => {
                let left = n.child_by_field_name("left").map(items).unwrap_or_default();
                let right = n.child_by_field_name("right").map(items).unwrap_or_default();
                if left.len() == right.len() {
                    for (l, r) in left.iter().zip(&right) {
                        if fresh_slice_value(src, *r) {
                            candidates.push(src.node_text(*l).to_string());
                        }
                    }
                }
            }
            _ => {}
        }
        true
    });
    candidates.retain(|name| {
        if is_param_of(src, func, name) {
            return false;
        }
        let ids = identifiers_named(fbody, name, src);
        if ids.iter().filter(|i| declares(**i)).count() != 1 {
            return false;
        }
        ids.iter().all(|id| {
            if declares(*id) {
                return true;
            }
            if inside_func_literal(*id, fbody) {
                return false;
            }
            let u = use_of(src, *id);
            match u.steps.first() {
                Some(Step::Index) => matches!(u.ctx, Ctx::Read | Ctx::Write | Ctx::LenCap | Ctx::Ranged),
                Some(_) => false,
                None => match u.ctx {
                    Ctx::LenCap | Ctx::Ranged => true,
                    // `s = append(s, …)` on the left
                    Ctx::Write => self_append_stmt(src, u.top)
                        .is_some_and(|(stmt, _)| stmt.child_by_field_name("left").is_some_and(|l| spans(l, *id))),
                    // the first argument of that append, or the function's result (nothing runs after)
                    Ctx::Read => {
                        (is_first_arg_of(src, *id, &["append"])
                            && id
                                .parent()
                                .and_then(|l| l.parent())
                                .and_then(|call| self_append_call(src, call))
                                .as_deref()
                                == Some(name.as_str()))
                            || is_returned(*id)
                    }
                    _ => false,
                },
            }
        })
    });
    candidates
}

fn is_returned(e: Node) -> bool {
    e.parent()
        .filter(|p| p.kind() == "expression_list")
        .and_then(|p| p.parent())
        .is_some_and(|g| g.kind() == "return_statement")
}

// ---- tree helpers ----

/// Code as this rule's reasons show it: on one line, at most 80 characters.
fn one_line(s: &str) -> String {
    text::one_line(s, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parse a function and analyze its first range loop over `xs`-like operands.
    fn plan(func: &str) -> Result<(String, bool, Vec<String>, bool, usize), Decline> {
        let text = format!("package p\n\n{func}\n");
        let src = SourceFile::parse(Path::new("a.go"), text).unwrap();
        let off = src.text.find(":= range").unwrap();
        let mut n = src.tree.root_node().descendant_for_byte_range(off, off).unwrap();
        while n.kind() != "for_statement" {
            n = n.parent().unwrap();
        }
        let l = Loop::parse(&src, n)?;
        let p = Plan::analyze(&src, &l)?;
        Ok((
            p.index,
            p.keep_value,
            p.containers,
            p.fresh_root,
            p.needs.iter().filter(|n| !matches!(n, Need::Field(_))).count(),
        ))
    }

    #[test]
    fn collects_into_local_slice() {
        let (index, keep, cs, fresh, _) = plan(
            "func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tif v.A > 0 {\n\t\t\tps = append(ps, &v)\n\t\t}\n\t}\n\tn := 0\n\tfor _, p := range ps {\n\t\tn += p.A\n\t}\n\treturn n\n}",
        )
        .unwrap();
        assert_eq!((index.as_str(), keep, cs, fresh), ("i", true, vec!["ps".to_string()], false));
    }

    #[test]
    fn key_is_reused_and_value_dropped() {
        let (index, keep, _, _, _) =
            plan("func f(xs []T) int {\n\tm := map[int]*T{}\n\tfor k, v := range xs {\n\t\tm[k] = &v\n\t}\n\treturn len(m)\n}").unwrap();
        assert_eq!((index.as_str(), keep), ("k", false));
    }

    #[test]
    fn fresh_index_name_avoids_used_names() {
        let (index, _, _, _, _) =
            plan("func f(xs []T, i int) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t\t_ = i\n\t}\n\treturn len(ps)\n}").unwrap();
        assert_eq!(index, "j");
    }

    #[test]
    fn private_slice_needs_no_call_checks() {
        let (_, _, _, fresh, needs) = plan(
            "func f(n int) int {\n\txs := make([]T, n)\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t}\n\tlog(len(ps))\n\treturn ps[0].A\n}",
        )
        .unwrap();
        assert!(fresh);
        assert_eq!(needs, 0);
    }

    fn declined(func: &str, why: &str) {
        match plan(func) {
            Ok(_) => panic!("expected a decline ({why}) for:\n{func}"),
            Err(Decline { reason: d, .. }) => assert!(d.contains(why), "decline {d:?} does not mention {why:?}"),
        }
    }

    #[test]
    fn method_calls_on_the_value_wait_for_the_uses_facts() {
        let (_, keep, _, _, _) =
            plan("func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tif v.Ok() {\n\t\t\tps = append(ps, &v)\n\t\t}\n\t}\n\treturn len(ps)\n}").unwrap();
        assert!(keep);
    }

    #[test]
    fn method_calls_through_a_field_wait_for_the_facts() {
        // `v.F.Grow()`: the uses facts say whether it takes `&v.F`; `v.F` must be a field and `Grow`
        // a method (two needs, besides the call itself in the window).
        let p = |body: &str| {
            let text = format!("package p\n\nfunc f(xs []T) int {{\n\tvar ps []*T\n\tfor _, v := range xs {{\n\t\t{body}\n\t\tps = append(ps, &v)\n\t}}\n\treturn len(ps)\n}}\n");
            let src = SourceFile::parse(Path::new("a.go"), text).unwrap();
            let off = src.text.find(":= range").unwrap();
            let mut n = src.tree.root_node().descendant_for_byte_range(off, off).unwrap();
            while n.kind() != "for_statement" {
                n = n.parent().unwrap();
            }
            let l = Loop::parse(&src, n).unwrap();
            let plan = Plan::analyze(&src, &l).unwrap();
            let kinds: Vec<&str> = plan
                .needs
                .iter()
                .map(|n| match n {
                    Need::Field(_) => "field",
                    Need::Method(_) => "method",
                    Need::Call(_) => "call",
                    Need::Place(_) => "place",
                })
                .collect();
            (plan.keep_value, plan.method_calls.len(), kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>())
        };
        let (keep, calls, kinds) = p("v.F.Grow()");
        assert!(keep);
        assert_eq!(calls, 1);
        assert!(kinds.contains(&"field".to_string()) && kinds.contains(&"method".to_string()), "{kinds:?}");
    }

    #[test]
    fn names_the_slice_in_messages() {
        assert_eq!(
            name_xs("could write xs's elements; `&xs[i]` would", "s.items"),
            "could write `s.items`'s elements; `&s.items[i]` would"
        );
        assert_eq!(name_xs("xs", "p"), "`p`");
        assert_eq!(name_xs("xsx axs", "p"), "xsx axs");
    }

    #[test]
    fn declines() {
        declined("func f(xs []T) []*T {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t}\n\treturn ps\n}", "returned");
        declined("func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tv.A++\n\t\tps = append(ps, &v)\n\t}\n\treturn len(ps)\n}", "writes `v.A`");
        declined("func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tv.Fs[0]()\n\t\tps = append(ps, &v)\n\t}\n\treturn len(ps)\n}", "may modify");
        declined("func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t}\n\txs[0].A = 1\n\treturn ps[0].A\n}", "`xs[0].A` is assigned to");
        declined("func f(xs, ys []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t\txs = ys\n\t}\n\treturn ps[0].A\n}", "reassigned in the loop");
        declined("func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t}\n\tfor _, p := range ps {\n\t\tp.A++\n\t}\n\treturn xs[0].A\n}", "read through");
        declined(
            "func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tuse(&v)\n\t}\n\treturn len(ps)\n}",
            "passed to `use`",
        );
        declined(
            "func f(xs []T) int {\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t}\n\treturn len(ps)\n}",
            "not declared in this function",
        );
        declined(
            "func f(xs []T) (ps []*T) {\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t}\n\treturn\n}",
            "parameter or result",
        );
        declined("func f(s *S) int {\n\tvar ps []*T\n\tfor _, v := range s.items {\n\t\tps = append(ps, &v)\n\t}\n\treset(s)\n\treturn ps[0].A\n}", "`s` is used as a value");
        declined("func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range load() {\n\t\tps = append(ps, &v)\n\t}\n\treturn len(ps)\n}", "not a plain variable");
        declined("func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t\tgo work()\n\t}\n\treturn len(ps)\n}", "synchronizes");
        declined("func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t\tdefer func() { _ = v }()\n\t}\n\treturn len(ps)\n}", "closure uses `v`");
        declined("func f(xs []T) int {\n\tvar ps []*T\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t}\n\tq := ps\n\treturn len(q)\n}", "passed on or copied");
        declined("func f(xs []T, buf []*T) int {\n\tps := buf[:0]\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t}\n\treturn len(ps)\n}", "another value's storage");
        declined("func f(xs []T, buf []*T) int {\n\tvar ps []*T\n\tps = buf[:0]\n\tfor _, v := range xs {\n\t\tps = append(ps, &v)\n\t}\n\treturn len(ps)\n}", "reassigned to another value's storage");
        declined("func f(xs []T) int {\n\tm := map[string]*T{}\n\tfor _, v := range xs {\n\t\tm[v.K] = &v\n\t}\n\tp := m[\"a\"]\n\tkeep(p)\n\treturn 0\n}", "read through");
    }
}
