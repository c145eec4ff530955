//! `prealloc-slice` / `prealloc-map`: a slice grown by `append`, or a map filled by `m[k] = v`, once
//! per iteration of a loop whose trip count is known before it starts → allocate the final size once.
//! See rules/prealloc-slice.md and rules/prealloc-map.md for the examples and the measurements.
//!
//! The win is fewer growth reallocations, which `-m` does not show (a returned slice even gains a
//! `make(...) escapes to heap` line), so both rules carry [`Evidence::FewerAllocations`].
//!
//! What makes the slice rewrite more than cosmetic is what extra capacity and non-nil-ness can change:
//! - **aliasing**: spare capacity is shared by every slice that has the same backing array, so `s` may
//!   not be mentioned between its declaration and the loop, nor inside the loop except as
//!   `s = append(s, x)`; after the loop, `cap(s)`, `t := append(s, …)` and `s[a:b:c]` decline too
//!   (the exact capacity after growth is a runtime detail, but code that reads it is told apart);
//! - **nil vs empty**: `var s []T` stays nil when the loop does not run. When nil-ness may be observed
//!   later (returned, compared, passed to an unknown function, `%#v`, JSON...), the rewrite keeps it
//!   exactly: `if n > 0 { s = make([]T, 0, n) }` after the declaration. That is exact because each
//!   iteration appends unconditionally (no `break`/`continue`/`goto` can skip the append) and the
//!   loop runs zero times exactly when the bound is ≤ 0 — evaluated at the same point;
//! - **the bound** must be a side-effect-free variable path, `len(path)` or integer arithmetic of those,
//!   evaluated where it means what the loop sees: at the declaration when nothing but side-effect-free
//!   declarations that do not mention it stand between declaration and loop; otherwise a `var s []T`
//!   gets its guard just before the loop, and the `[]T{}` / `make([]T, 0)` forms decline;
//! - **negative bounds**: `make` panics on a negative capacity where the loop just runs zero times, so a
//!   possibly negative count is guarded (`> 0`) or wrapped in `max(n, 0)` (go ≥ 1.21).
//!
//! A `return` (or panic) inside the loop is allowed: `s` is then unreachable, so a too-large capacity
//! only costs memory on that path. `break`, `continue` and `goto` decline: a filtering loop's final
//! length can be far below its trip count, and a skipped append would make the nil guard wrong.
//!
//! **Filter loops** (the append inside `if`s of the loop body, so it runs at most once per
//! iteration) get the loop's bound as an *upper bound*: memory traded for allocations. They are
//! rewritten only when the settings allow it ([`super::RuleOptions::upper_bound`]: opted in, or the
//! line measured hot by a profile), with `break`/`continue` allowed (the bound stays an upper bound),
//! no nil guard (nil-ness must not be observable: the append may never run), and the fix marked
//! [`Rule::upper_bound`] so `--apply` writes it only where a benchmark shows fewer allocations.

use super::codes::DeclineCode;
use super::{Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{ExprFacts, Query};
use crate::source::SourceFile;
use crate::syntax::loops::{early_exit, parse_loop, Header, Loop, LoopShape};
use crate::syntax::names::{identifiers_named, is_reserved, names_in, VALUE_WORDS};
use crate::syntax::text::{self, has_comment, line_before, line_of, own_line};
use crate::syntax::version::{GoVersion, BUILTIN_MIN_MAX};
use crate::syntax::walk::{descendants, enclosing_function, enclosing_loop, items};
use crate::syntax::writes::written_names;
use std::collections::BTreeSet;
use tree_sitter::Node;

pub const SLICE_ID: &str = "prealloc-slice";
pub const MAP_ID: &str = "prealloc-map";

/// The label the preview carries: `-m` cannot show growth reallocations.
pub const EVIDENCE_LABEL: &str = "reduces growth reallocations (not proven by -m)";

/// Maps of at most this many entries live in one group: a hint changes nothing (measured on go1.26.8:
/// 0 -> 0 allocs/op without escape, 2 -> 2 with).
const MAP_ONE_GROUP: i128 = 8;
/// A non-escaping map of at most this many entries grows once to the same table a hint would make
/// (go1.26.8: 9..14 entries 3 -> 3 allocs/op; 15 entries 5 -> 3).
const MAP_NO_GAIN_LOCAL: i128 = 14;
/// Implicit stack allocations above this many bytes go to the heap (docs/compiler-facts.md, Stack limits).
const STACK_LIMIT: i128 = 64 * 1024;

/// Functions whose result and effect are the same for a nil and an empty slice argument. Anything
/// else a nil-able slice is passed to may tell them apart (`slices.Clone`, `json.Marshal`, `%#v`...).
const NIL_BLIND_FUNCS: &[(&str, &str)] = &[
    ("strings", "Join"),
    ("bytes", "Join"),
    ("sort", "Strings"),
    ("sort", "Ints"),
    ("sort", "Float64s"),
    ("sort", "Slice"),
    ("sort", "SliceStable"),
    ("sort", "StringsAreSorted"),
    ("sort", "IntsAreSorted"),
    ("slices", "Sort"),
    ("slices", "SortFunc"),
    ("slices", "SortStableFunc"),
    ("slices", "IsSorted"),
    ("slices", "Contains"),
    ("slices", "ContainsFunc"),
    ("slices", "Index"),
    ("slices", "IndexFunc"),
    ("slices", "Equal"),
    ("slices", "Reverse"),
];

pub struct PreallocSlice;
pub struct PreallocMap;

const SLICE_META: RuleMeta = RuleMeta {
    id: SLICE_ID,
    summary: "a slice grown by append once per iteration of a bounded loop → make([]T, 0, bound)",
    doc: "rules/prealloc-slice.md",
    min_go: None,
    fixture: "fixtures/prealloc",
};

impl Rule for PreallocSlice {
    fn meta(&self) -> &'static RuleMeta {
        &SLICE_META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FewerAllocations
    }

    fn interested(&self, f: &Finding) -> bool {
        matches!(f.kind, Kind::EscapesToHeap | Kind::DoesNotEscape) && f.subject == "append" && f.is_native()
    }

    /// The append call, when it is `x = append(x, …)` somewhere inside a `for` of its own function.
    fn anchor(&self, _f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let list = source.smallest_node_at(offset).filter(|n| n.kind() == "argument_list")?;
        let call = list.parent().filter(|c| c.kind() == "call_expression")?;
        let func = call.child_by_field_name("function")?;
        if func.kind() != "identifier" || source.node_text(func) != "append" {
            return None;
        }
        let list = call.parent()?;
        let assign = list.parent().filter(|a| a.kind() == "assignment_statement")?;
        if assign.child_by_field_name("right").is_none_or(|r| r.id() != list.id()) {
            return None;
        }
        enclosing_loop(call)?;
        Some((call.start_byte(), call.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let m = analyze_slice(site.source, site.node())?;
        Ok(m.queries(site.source))
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let m = analyze_slice(site.source, site.node())?;
        let escapes = site.findings.iter().any(|f| f.kind == Kind::EscapesToHeap);
        m.propose(site, facts, escapes)
    }

    fn upper_bound(&self, site: &Site) -> bool {
        analyze_slice(site.source, site.node()).is_ok_and(|m| m.filter.is_some())
    }
}

const MAP_META: RuleMeta = RuleMeta {
    id: MAP_ID,
    summary: "a map filled by m[k] = v once per iteration of a bounded loop → make(map[K]V, bound)",
    doc: "rules/prealloc-map.md",
    min_go: None,
    fixture: "fixtures/prealloc",
};

impl Rule for PreallocMap {
    fn meta(&self) -> &'static RuleMeta {
        &MAP_META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FewerAllocations
    }

    fn interested(&self, f: &Finding) -> bool {
        let s = f.subject.as_str();
        let make_without_hint = s.starts_with("make(") && s.ends_with(')') && !s.contains(", ");
        let empty_literal = s.ends_with("{}");
        matches!(f.kind, Kind::EscapesToHeap | Kind::DoesNotEscape)
            && (make_without_hint || empty_literal)
            && f.is_native()
    }

    /// The `make(...)` call or the empty literal, when it initialises a variable that a later loop of
    /// the same block fills with `m[k] = v`.
    fn anchor(&self, _f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let at = source.smallest_node_at(offset)?;
        let value = match at.kind() {
            "argument_list" => at.parent().filter(|c| {
                c.kind() == "call_expression"
                    && c.child_by_field_name("function")
                        .is_some_and(|f| f.kind() == "identifier" && source.node_text(f) == "make")
            })?,
            "literal_value" => at.parent().filter(|c| c.kind() == "composite_literal")?,
            _ => return None,
        };
        map_shape(source, value)?;
        Some((value.start_byte(), value.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let m = analyze_map(site.source, site.node())?;
        Ok(m.queries(site.source))
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let m = analyze_map(site.source, site.node())?;
        let escapes = site.findings.iter().any(|f| f.kind == Kind::EscapesToHeap);
        m.propose(site, facts, escapes)
    }

    /// The growth happens at `m[k] = v` (runtime.mapassign), not at the `make` the finding is on.
    fn hot_lines(&self, site: &Site) -> Vec<u32> {
        analyze_map(site.source, site.node()).map(|m| vec![line_of(site.source, m.store)]).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// Syntax helpers
// ---------------------------------------------------------------------------------------------

fn mentions_any(src: &SourceFile, n: Node, names: &BTreeSet<String>) -> Option<String> {
    names_in(src, n, VALUE_WORDS).into_iter().find(|t| names.contains(t))
}

/// Code as this rule's reasons show it: on one line, at most 100 characters.
fn one_line(s: &str) -> String {
    text::one_line(s, 100)
}

/// `x`, `x.f`, `x[i]`, `x[0]`, `*x`, `(x)`: reading it twice gives the same value and runs nothing.
fn is_path(n: Node) -> bool {
    match n.kind() {
        "identifier" => true,
        "selector_expression" => n.child_by_field_name("operand").is_some_and(is_path),
        "index_expression" => {
            n.child_by_field_name("operand").is_some_and(is_path)
                && n.child_by_field_name("index").is_some_and(|i| is_path(i) || i.kind() == "int_literal")
        }
        "unary_expression" => {
            n.child_by_field_name("operator").is_some_and(|o| o.kind() == "*")
                && n.child_by_field_name("operand").is_some_and(is_path)
        }
        "parenthesized_expression" => items(n).first().is_some_and(|i| is_path(*i)),
        _ => false,
    }
}

/// A path, an integer literal, `len(path)`/`cap(path)`, or `+ - *` of those.
fn is_count_expr(src: &SourceFile, n: Node) -> bool {
    match n.kind() {
        "int_literal" => true,
        "call_expression" => {
            let f = n.child_by_field_name("function");
            let args = n.child_by_field_name("arguments").map(items).unwrap_or_default();
            f.is_some_and(|f| f.kind() == "identifier" && matches!(src.node_text(f), "len" | "cap"))
                && args.len() == 1
                && is_path(args[0])
        }
        "binary_expression" => {
            n.child_by_field_name("operator").is_some_and(|o| matches!(o.kind(), "+" | "-" | "*"))
                && n.child_by_field_name("left").is_some_and(|l| is_count_expr(src, l))
                && n.child_by_field_name("right").is_some_and(|r| is_count_expr(src, r))
        }
        "parenthesized_expression" => items(n).first().is_some_and(|i| is_count_expr(src, *i)),
        _ => is_path(n),
    }
}

/// `len(...)`/`cap(...)`: never negative whatever the operand.
fn is_len_call(src: &SourceFile, n: Node) -> bool {
    n.kind() == "call_expression"
        && n.child_by_field_name("function")
            .is_some_and(|f| f.kind() == "identifier" && matches!(src.node_text(f), "len" | "cap"))
}

// ---------------------------------------------------------------------------------------------
// Loops
// ---------------------------------------------------------------------------------------------

/// The loop `node` with its trip count, or the decline that names why it has none.
fn loop_of<'t>(src: &SourceFile, node: Node<'t>) -> Result<Loop<'t>, Decline> {
    parse_loop(src, node).map_err(|e| match e {
        LoopShape::NoBody => Decline::new(DeclineCode::UnexpectedSyntax, "a for statement without a body"),
        LoopShape::Forever => {
            Decline::new(DeclineCode::NoTripCount, "`for { ... }` has no trip count known before it starts")
        }
        LoopShape::RangeWithoutOperand => Decline::new(DeclineCode::UnexpectedSyntax, "range without an operand"),
        LoopShape::NotCounted(clause) => Decline::new(
            DeclineCode::NotCountedLoop,
            format!(
                "`for {}` is not a counted loop (`for i := 0; i < n; i++`, `for i := n - 1; i >= 0; i--`)",
                one_line(src.node_text(clause))
            ),
        ),
        LoopShape::Condition(h) => Decline::new(
            DeclineCode::NoTripCount,
            format!("`for {} {{ ... }}` has no trip count known before it starts", one_line(src.node_text(h))),
        ),
    })
}

fn check_loop_shape(src: &SourceFile, lp: &Loop) -> Result<(), Decline> {
    check_loop_shape_with(src, lp, false, false)
}

/// `exits_ok`: the capacity is an upper bound anyway (a filter loop), so an iteration that stops
/// early or skips the append only leaves more of it unused. `hoist_ok`: a range operand that is not a
/// plain path is fine, because the caller evaluates it once into a variable (see [`Hoist`]).
fn check_loop_shape_with(src: &SourceFile, lp: &Loop, exits_ok: bool, hoist_ok: bool) -> Result<(), Decline> {
    if let Some(exit) = early_exit(src, lp.body).filter(|_| !exits_ok) {
        return Err(Decline::new(DeclineCode::LoopMayExitEarly, format!(
            "the loop has {exit}: it may stop or skip the body before its trip count (an over-estimate wastes memory; declined)"
        )));
    }
    if let Some(f) = enclosing_function(lp.node) {
        if descendants(f).iter().any(|d| d.kind() == "goto_statement") {
            return Err(Decline::new(
                DeclineCode::UsesGoto,
                "the function uses `goto`: the order of declaration, loop and later uses is not structured",
            ));
        }
    }
    if let Header::Count { var, bound } = lp.header {
        let name = src.node_text(var);
        let written = written_names(src, lp.body);
        if written.contains(name) {
            return Err(Decline::new(
                DeclineCode::BoundNotFixed,
                format!("the loop body assigns the counter `{name}`: the trip count is not `{}`", src.node_text(bound)),
            ));
        }
        let bound_names = names_in(src, bound, VALUE_WORDS).into_iter().collect::<BTreeSet<_>>();
        if bound_names.contains(name) {
            return Err(Decline::new(
                DeclineCode::BoundNotFixed,
                format!("the bound `{}` depends on the counter `{name}`", src.node_text(bound)),
            ));
        }
        if let Some(w) = bound_names.iter().find(|b| written.contains(*b)) {
            return Err(Decline::new(
                DeclineCode::BoundNotFixed,
                format!("the loop body changes `{w}`, so the bound `{}` is not fixed", src.node_text(bound)),
            ));
        }
        if !is_count_expr(src, bound) {
            return Err(Decline::new(
                DeclineCode::BoundNotSimple,
                format!(
                    "the bound `{}` is not a variable, constant or len(...) expression",
                    one_line(src.node_text(bound))
                ),
            ));
        }
    } else if !hoist_ok && !is_path(lp.header.expr()) {
        return Err(Decline::new(
            DeclineCode::EvaluatedTwice,
            format!(
                "the range operand `{}` is not a plain variable path (it would be evaluated a second time)",
                one_line(src.node_text(lp.header.expr()))
            ),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Init<'t> {
    /// `var s []T`: nil until the first append.
    Nil { ty: Node<'t> },
    /// `[]T{}` / `map[K]V{}`.
    EmptyLit { value: Node<'t>, ty: Node<'t> },
    /// `make([]T, 0)` / `make(map[K]V)`.
    EmptyMake { value: Node<'t>, ty: Node<'t>, func: Node<'t> },
}

#[derive(Debug, Clone, Copy)]
struct Decl<'t> {
    /// The statement: `var_declaration` or `short_var_declaration`.
    stmt: Node<'t>,
    /// The declaring identifier.
    name: Node<'t>,
    init: Init<'t>,
    /// `var a, b []T`: the statement declares other variables too, so it stays as it is and the
    /// capacity is given by an assignment before the loop.
    shared: bool,
}

impl<'t> Decl<'t> {
    fn ty(&self) -> Node<'t> {
        match self.init {
            Init::Nil { ty } | Init::EmptyLit { ty, .. } | Init::EmptyMake { ty, .. } => ty,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    Slice,
    Map,
}

/// If `stmt` declares `name` (alone), its form; `Ok(None)` when it does not declare it.
fn declaration<'t>(src: &SourceFile, stmt: Node<'t>, name: &str, what: Container) -> Result<Option<Decl<'t>>, Decline> {
    let (names, value, ty): (Vec<Node>, Vec<Node>, Option<Node>) = match stmt.kind() {
        "short_var_declaration" => (
            stmt.child_by_field_name("left").map(items).unwrap_or_default(),
            stmt.child_by_field_name("right").map(items).unwrap_or_default(),
            None,
        ),
        "var_declaration" => {
            let specs = items(stmt);
            let Some(spec) = specs.first().filter(|s| s.kind() == "var_spec") else {
                let declares = descendants(stmt).iter().any(|d| d.kind() == "identifier" && src.node_text(*d) == name);
                return if declares {
                    Err(Decline::new(
                        DeclineCode::NotSimpleDeclaration,
                        format!("`{name}` is declared in a var ( ... ) group"),
                    ))
                } else {
                    Ok(None)
                };
            };
            let mut c = spec.walk();
            let names: Vec<Node> = spec.children_by_field_name("name", &mut c).collect();
            (names, spec.child_by_field_name("value").map(items).unwrap_or_default(), spec.child_by_field_name("type"))
        }
        _ => return Ok(None),
    };
    if !names.iter().any(|n| src.node_text(*n) == name) {
        return Ok(None);
    }
    // `var a, b []T` (no values): each starts nil, and `a = make(...)` before the loop leaves `b` alone.
    let shared = names.len() > 1 && value.is_empty() && ty.is_some() && what == Container::Slice;
    if (names.len() != 1 && !shared) || value.len() > 1 {
        return Err(Decline::new(
            DeclineCode::NotSimpleDeclaration,
            format!("`{name}` is declared together with other variables"),
        ));
    }
    if has_comment(stmt) {
        return Err(Decline::new(
            DeclineCode::DropsComment,
            format!("the declaration of `{name}` contains a comment the rewrite would drop"),
        ));
    }
    let init = match (value.first(), ty) {
        (None, Some(ty)) if what == Container::Slice => Init::Nil { ty },
        (None, _) => {
            return Err(Decline::new(
                DeclineCode::NilVsEmpty,
                format!("`{name}` starts as a nil map; it is not filled by this loop"),
            ))
        }
        (Some(v), _) => empty_value(src, *v, name, what)?,
    };
    let name_node = *names.iter().find(|n| src.node_text(**n) == name).expect("checked above");
    Ok(Some(Decl { stmt, name: name_node, init, shared }))
}

fn empty_value<'t>(src: &SourceFile, v: Node<'t>, name: &str, what: Container) -> Result<Init<'t>, Decline> {
    let not_empty = || {
        Decline::new(
            DeclineCode::NotDeclaredEmpty,
            format!("`{name}` does not start empty (`{}`)", one_line(src.node_text(v))),
        )
    };
    match v.kind() {
        "composite_literal" => {
            let body = v.child_by_field_name("body").ok_or_else(not_empty)?;
            if !items(body).is_empty() {
                return Err(not_empty());
            }
            let ty = v.child_by_field_name("type").ok_or_else(not_empty)?;
            Ok(Init::EmptyLit { value: v, ty })
        }
        "call_expression" => {
            let func =
                v.child_by_field_name("function").filter(|f| f.kind() == "identifier" && src.node_text(*f) == "make");
            let func = func.ok_or_else(not_empty)?;
            let args = v.child_by_field_name("arguments").map(items).unwrap_or_default();
            match (what, args.len()) {
                (Container::Slice, 2) if src.node_text(args[1]) == "0" => {
                    Ok(Init::EmptyMake { value: v, ty: args[0], func })
                }
                (Container::Slice, 3) => {
                    Err(Decline::new(DeclineCode::AlreadyDone, format!("`{name}` already has a capacity")))
                }
                (Container::Map, 1) => Ok(Init::EmptyMake { value: v, ty: args[0], func }),
                (Container::Map, 2) => {
                    Err(Decline::new(DeclineCode::AlreadyDone, format!("`{name}` already has a size hint")))
                }
                _ => Err(not_empty()),
            }
        }
        _ => Err(not_empty()),
    }
}

/// Statements of `stmt`'s list before it, nearest first, until the one that declares `name`.
fn declaration_before<'t>(
    src: &SourceFile,
    stmt: Node<'t>,
    name: &str,
    what: Container,
) -> Result<(Decl<'t>, Vec<Node<'t>>), Decline> {
    let list = stmt
        .parent()
        .filter(|p| p.kind() == "statement_list")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the loop is not in a statement list"))?;
    let stmts = items(list);
    let pos = stmts
        .iter()
        .position(|s| s.id() == stmt.id())
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the loop is not in a statement list"))?;
    let mut gap = Vec::new();
    for s in stmts[..pos].iter().rev() {
        if identifiers_named(*s, name, src).is_empty() {
            gap.push(*s);
            continue;
        }
        return match declaration(src, *s, name, what)? {
            Some(d) => {
                gap.reverse();
                Ok((d, gap))
            }
            None => Err(Decline::new(
                DeclineCode::UsedBeforeLoop,
                format!(
                    "`{name}` is used between its declaration and the loop (line {}): {}",
                    line_of(src, *s),
                    match what {
                        Container::Slice => "it could be shared with another slice or read before it is filled",
                        Container::Map => "the bound would be computed before that statement runs",
                    }
                ),
            )),
        };
    }
    Err(Decline::new(
        DeclineCode::NotDeclaredBeforeLoop,
        format!("`{name}` is not declared in the block that holds the loop"),
    ))
}

/// Values of the declarations in a gap, for their side-effect facts; `None` when a statement is not
/// a plain declaration.
fn gap_values<'t>(gap: &[Node<'t>]) -> Option<Vec<Node<'t>>> {
    let mut out = Vec::new();
    for s in gap {
        match s.kind() {
            "short_var_declaration" => out.extend(s.child_by_field_name("right").map(items).unwrap_or_default()),
            "var_declaration" | "const_declaration" => {
                for d in descendants(*s) {
                    if matches!(d.kind(), "var_spec" | "const_spec") {
                        out.extend(d.child_by_field_name("value").map(items).unwrap_or_default());
                    }
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Whether the bound may be evaluated at the declaration instead of at the loop: only side-effect-free
/// declarations that do not mention it stand in between.
fn gap_allows_moving(
    src: &SourceFile,
    file: &std::path::Path,
    facts: &Facts,
    gap: &[Node],
    bound: Node,
) -> Result<(), Decline> {
    if gap.is_empty() {
        return Ok(());
    }
    let values = gap_values(gap).ok_or_else(|| {
        Decline::new(DeclineCode::CannotHoist, format!(
            "statements other than declarations stand between the declaration and the loop (line {}); the bound `{}` cannot move above them",
            line_of(src, gap[0]),
            one_line(src.node_text(bound))
        ))
    })?;
    for v in values {
        let f = facts.expr(file, v.start_byte(), v.end_byte()).ok_or_else(|| {
            Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for `{}`", one_line(src.node_text(v))))
        })?;
        if f.side_effects {
            return Err(Decline::new(
                DeclineCode::CannotHoist,
                format!(
                    "`{}` between the declaration and the loop may have side effects; the bound cannot move above it",
                    one_line(src.node_text(v))
                ),
            ));
        }
    }
    let names = names_in(src, bound, VALUE_WORDS).into_iter().collect::<BTreeSet<_>>();
    for s in gap {
        if let Some(n) = mentions_any(src, *s, &names) {
            return Err(Decline::new(
                DeclineCode::CannotHoist,
                format!(
                    "`{n}` (in the bound) is declared or used between the declaration and the loop (line {})",
                    line_of(src, *s)
                ),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Bounds
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct Bound {
    /// Go text of the trip count (`len(xs)`, `n`, `10`).
    text: String,
    /// Known never to be negative (a len, an unsigned value, a non-negative constant).
    non_negative: bool,
    constant: Option<i128>,
}

const SIGNED_INTS: &[&str] = &["int", "int8", "int16", "int32", "int64", "untyped int", "untyped rune"];
const UNSIGNED_INTS: &[&str] = &["uint", "uint8", "uint16", "uint32", "uint64", "uintptr"];

fn parse_const(v: &str) -> Option<i128> {
    v.trim().parse::<i128>().ok()
}

/// The trip count of `header`, from the operand's type.
fn bound_of(src: &SourceFile, header: Header, f: &ExprFacts) -> Result<Bound, Decline> {
    let node = header.expr();
    let code = src.node_text(node);
    if f.type_param {
        return Err(Decline::new(
            DeclineCode::TypeParameter,
            format!("`{code}` has a type parameter's type; its count is not known here"),
        ));
    }
    if f.side_effects {
        return Err(Decline::new(
            DeclineCode::EvaluatedTwice,
            format!("evaluating `{code}` may have side effects; it would run twice"),
        ));
    }
    let integer = |f: &ExprFacts| -> Result<Bound, Decline> {
        let constant = f.const_value.as_deref().and_then(parse_const);
        let non_negative =
            UNSIGNED_INTS.contains(&f.basic.as_str()) || constant.is_some_and(|c| c >= 0) || is_len_call(src, node);
        Ok(Bound { text: code.to_string(), non_negative, constant })
    };
    let is_int = SIGNED_INTS.contains(&f.basic.as_str()) || UNSIGNED_INTS.contains(&f.basic.as_str());
    match header {
        Header::Count { .. } => {
            if !is_int {
                return Err(Decline::new(
                    DeclineCode::WrongType,
                    format!("the bound `{code}` is not an integer ({})", f.ty),
                ));
            }
            integer(f)
        }
        Header::Range(_) => {
            let u = f.underlying.as_str();
            if is_int {
                return integer(f);
            }
            let len = format!("len({code})");
            if u.starts_with("[]") || u.starts_with("map[") {
                return Ok(Bound { text: len, non_negative: true, constant: None });
            }
            if let Some(rest) = u.strip_prefix('[').or_else(|| u.strip_prefix("*[")) {
                let n = rest.split(']').next().and_then(parse_const).ok_or_else(|| {
                    Decline::new(DeclineCode::NoTypeFacts, format!("cannot read the length of `{u}`"))
                })?;
                return Ok(Bound { text: len, non_negative: true, constant: Some(n) });
            }
            if matches!(f.basic.as_str(), "string" | "untyped string") {
                return Err(Decline::new(
                    DeclineCode::RangeOverString,
                    format!(
                        "ranging over the string `{code}` visits runes, not bytes: len({code}) is not the trip count"
                    ),
                ));
            }
            if u.starts_with("chan") || u.starts_with("<-chan") {
                return Err(Decline::new(
                    DeclineCode::NoTripCount,
                    format!("a channel (`{code}`) has no count known before the loop"),
                ));
            }
            if u.starts_with("func") {
                return Err(Decline::new(
                    DeclineCode::NoTripCount,
                    format!("a range-over-func iterator (`{code}`) has no count known before the loop"),
                ));
            }
            Err(Decline::new(DeclineCode::NoTripCount, format!("cannot count a range over `{code}` ({})", f.ty)))
        }
    }
}

/// Size in bytes of a few element types, for the stack-buffer and stack-limit notes (64-bit).
/// (The helper's `size` fact, when available, is the better source.)
fn elem_size(elem: &str) -> Option<i128> {
    Some(match elem {
        "bool" | "int8" | "uint8" | "byte" => 1,
        "int16" | "uint16" => 2,
        "int32" | "uint32" | "float32" | "rune" => 4,
        "int" | "uint" | "int64" | "uint64" | "uintptr" | "float64" | "complex64" => 8,
        "string" | "complex128" | "any" | "interface{}" | "error" => 16,
        _ if elem.starts_with('*')
            || elem.starts_with("map[")
            || elem.starts_with("chan ")
            || elem.starts_with("func(") =>
        {
            8
        }
        _ if elem.starts_with("[]") => 24,
        _ => return None,
    })
}

fn huge_note(constant: Option<i128>, size: Option<i128>) -> Option<String> {
    let c = constant?;
    let too_big = match size {
        Some(s) => c * s > STACK_LIMIT,
        None => c > STACK_LIMIT / 8,
    };
    too_big.then(|| {
        format!(
            "A constant capacity of {c} elements{} is above the compiler's 64 KB limit for implicit stack allocations: \
             the backing array is allocated on the heap (-m will add a `make(...) escapes to heap` line), once instead of about {} times.",
            size.map(|s| format!(" ({} bytes)", c * s)).unwrap_or_default(),
            (c as f64).log2().ceil() as i64
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Uses after the loop (slices)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Use<'t> {
    /// The same for a nil and an empty slice: `len(s)`, `s[i]`, `range s`, `append(x, s...)`,
    /// `copy`, `s = append(s, x)`, `s = other`.
    NilBlind,
    /// Passed to a function: nil-blind only for the functions in [`NIL_BLIND_FUNCS`].
    Call { callee: Node<'t>, at: Node<'t> },
    /// May tell nil from empty (returned, compared, stored, passed on, resliced...).
    Observes(Node<'t>),
    /// Reads or shares spare capacity: `cap(s)`, `t := append(s, …)`, `s[a:b:c]`.
    Capacity(Node<'t>, String),
}

fn statement_of(n: Node) -> Node {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        if p.kind() == "statement_list" || p.kind() == "block" {
            return cur;
        }
        cur = p;
    }
    cur
}

/// [`classify_use`], looking through a call of a function literal held in a local variable
/// (`write := func(xs []T) { ... }; write(out)`): the uses of the matching parameter inside the literal
/// stand for the call, so a helper that only ranges, indexes or sorts its argument is nil-blind too.
/// `depth` bounds literals calling literals.
fn classify_uses<'t>(src: &SourceFile, id: Node<'t>, name: &str, depth: u8) -> Vec<Use<'t>> {
    let u = classify_use(src, id, name);
    let Use::Call { callee, at } = u else { return vec![u] };
    if depth == 0 {
        return vec![u];
    }
    match local_literal_param(src, callee, at) {
        Some((body, param)) => identifiers_named(body, &param, src)
            .into_iter()
            .flat_map(|p| classify_uses(src, p, &param, depth - 1))
            .collect(),
        None => vec![u],
    }
}

/// For `f(…, x, …)` where `f` is a local variable declared once in the enclosing function as
/// `f := func(…) { … }` and only ever called: the literal's body and the name of the parameter `x`
/// is passed to. `None` for anything less certain (reassigned or shadowed `f`, a variadic or unnamed
/// parameter). A parameter redeclared inside the body is left to the classification, which treats a
/// redeclaration as observing.
fn local_literal_param<'t>(src: &SourceFile, callee: Node<'t>, arg: Node<'t>) -> Option<(Node<'t>, String)> {
    if callee.kind() != "identifier" {
        return None;
    }
    let fname = src.node_text(callee);
    let func = enclosing_function(callee)?;
    let mut literal = None;
    for occ in identifiers_named(func, fname, src) {
        let parent = occ.parent()?;
        if parent.kind() == "call_expression"
            && parent.child_by_field_name("function").is_some_and(|f| f.id() == occ.id())
        {
            continue;
        }
        // The one declaration: `f := func(...) {...}`, alone on its left and right.
        let decl = parent.parent().filter(|d| d.kind() == "short_var_declaration" && literal.is_none())?;
        let left = decl.child_by_field_name("left").map(items)?;
        let right = decl.child_by_field_name("right").map(items)?;
        if left.len() != 1 || right.len() != 1 || left[0].id() != occ.id() || right[0].kind() != "func_literal" {
            return None;
        }
        if decl.start_byte() > callee.start_byte() {
            return None;
        }
        literal = Some(right[0]);
    }
    let literal = literal?;
    let index = items(arg.parent()?).iter().position(|a| a.id() == arg.id())?;
    let params = literal.child_by_field_name("parameters")?;
    let mut names = Vec::new();
    for d in items(params) {
        if d.kind() != "parameter_declaration" {
            return None;
        }
        let mut c = d.walk();
        let ns: Vec<Node> = d.children_by_field_name("name", &mut c).collect();
        if ns.is_empty() {
            return None;
        }
        names.extend(ns.iter().map(|n| src.node_text(*n).to_string()));
    }
    let param = names.get(index)?.clone();
    let body = literal.child_by_field_name("body")?;
    (param != "_").then_some((body, param))
}

fn classify_use<'t>(src: &SourceFile, id: Node<'t>, name: &str) -> Use<'t> {
    let Some(parent) = id.parent() else { return Use::Observes(id) };
    let is_id = |n: Option<Node>| n.is_some_and(|n| n.id() == id.id());
    match parent.kind() {
        "argument_list" => {
            let call = parent.parent().expect("argument lists sit in calls");
            let Some(func) = call.child_by_field_name("function") else { return Use::Observes(id) };
            let args = items(parent);
            let builtin = (func.kind() == "identifier").then(|| src.node_text(func));
            match builtin {
                Some("len") | Some("copy") => Use::NilBlind,
                Some("cap") => Use::Capacity(id, format!("cap({name}) reads the capacity")),
                Some("append") if args.first().is_some_and(|a| a.id() == id.id()) => {
                    let assign = call.parent().and_then(|l| l.parent()).filter(|a| a.kind() == "assignment_statement");
                    let back_to_self = assign.is_some_and(|a| {
                        a.child_by_field_name("left")
                            .map(items)
                            .is_some_and(|l| l.len() == 1 && src.node_text(l[0]) == name)
                    });
                    if !back_to_self {
                        Use::Capacity(
                            id,
                            format!("append({name}, …) into another variable shares {name}'s spare capacity"),
                        )
                    } else if args.iter().any(|a| a.kind() == "variadic_argument") || args.len() < 2 {
                        Use::Observes(id)
                    } else {
                        Use::NilBlind
                    }
                }
                _ => Use::Call { callee: func, at: id },
            }
        }
        "variadic_argument" => {
            let call = parent.parent().and_then(|l| l.parent());
            let is_append =
                call.and_then(|c| c.child_by_field_name("function")).is_some_and(|f| src.node_text(f) == "append");
            if is_append {
                Use::NilBlind
            } else {
                Use::Observes(id)
            }
        }
        "index_expression" if is_id(parent.child_by_field_name("operand")) => Use::NilBlind,
        "slice_expression" if is_id(parent.child_by_field_name("operand")) => {
            if parent.child_by_field_name("capacity").is_some() {
                Use::Capacity(id, format!("the full slice expression {name}[a:b:c] sets a capacity"))
            } else {
                Use::Observes(id)
            }
        }
        "range_clause" if is_id(parent.child_by_field_name("right")) => Use::NilBlind,
        "expression_list" => {
            let stmt = parent.parent();
            let assigns = stmt.is_some_and(|s| {
                s.kind() == "assignment_statement"
                    && s.child_by_field_name("operator").is_some_and(|o| o.kind() == "=")
                    && s.child_by_field_name("left").is_some_and(|l| l.id() == parent.id())
            });
            if assigns {
                Use::NilBlind
            } else {
                Use::Observes(id)
            }
        }
        _ => Use::Observes(id),
    }
}

// ---------------------------------------------------------------------------------------------
// prealloc-slice
// ---------------------------------------------------------------------------------------------

struct SliceMatch<'t> {
    name: String,
    /// The `append` identifier of the call.
    append_fn: Node<'t>,
    lp: Loop<'t>,
    decl: Decl<'t>,
    gap: Vec<Node<'t>>,
    uses_after: Vec<Use<'t>>,
    /// The outermost `if` of the loop body the append is inside, for a filter loop.
    filter: Option<Node<'t>>,
    /// A range operand that is not a plain path (`rv.MapKeys()`), evaluated once into a variable.
    hoist: Option<Hoist<'t>>,
}

/// `for _, k := range rv.MapKeys()` → `items := rv.MapKeys()` on the line before the capacity's
/// statement, and `range items`: the operand runs once, as the range statement ran it, and its length
/// sizes the slice. Only side-effect-free declarations stand between the new line and the loop (the
/// same condition that lets a bound move up to the declaration), so nothing observes the earlier
/// evaluation.
struct Hoist<'t> {
    expr: Node<'t>,
    /// The innermost function around the loop, whose identifiers the new name must avoid.
    func: Node<'t>,
}

/// A name for the hoisted operand of `lp`: the called function's name in lower camel case
/// (`MapKeys()` → `mapKeys`, `GetSKUs()` → `skus`), else the plural of the loop's value variable
/// (`for _, line := range …` → `lines`), else `n`/`count` for an integer operand and
/// `items`/`elems`/`values` for others; the first that no identifier of the enclosing function spells
/// (so it shadows nothing the function uses), that Go does not predeclare, and that no enclosing
/// loop's own hoist would take.
fn hoist_name(src: &SourceFile, lp: &Loop, func: Node, integer: bool) -> Option<String> {
    let used: BTreeSet<String> = descendants(func)
        .into_iter()
        .filter(|d| matches!(d.kind(), "identifier" | "type_identifier" | "package_identifier" | "field_identifier"))
        .map(|d| src.node_text(d).to_string())
        .collect();
    // Outer loops first: an inner hoist in an outer loop's body must not shadow the outer one's name.
    let mut taken = used;
    // Nor a package name: legal where the function does not use the package, but `bytes :=
    // diff.Bytes(…)` reads as the package to anyone who knows Go.
    taken.extend(file_import_names(src));
    taken.extend(COMMON_PACKAGES.iter().map(|p| p.to_string()));
    let mut outer = Vec::new();
    let mut n = lp.node;
    while let Some(o) = enclosing_loop(n) {
        outer.push(o);
        n = o;
    }
    for o in outer.iter().rev() {
        let Ok(olp) = parse_loop(src, *o) else { continue };
        if matches!(olp.header, Header::Range(_)) && !is_path(olp.header.expr()) {
            if let Some(name) = first_free(&candidates(src, &olp, false), &taken) {
                taken.insert(name);
            }
        }
    }
    first_free(&candidates(src, lp, integer), &taken)
}

fn first_free(candidates: &[String], taken: &BTreeSet<String>) -> Option<String> {
    candidates
        .iter()
        .find(|n| {
            !n.is_empty()
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !n.starts_with(|c: char| c.is_ascii_digit())
                && !taken.contains(*n)
                && !is_reserved(n)
        })
        .cloned()
}

fn candidates(src: &SourceFile, lp: &Loop, integer: bool) -> Vec<String> {
    let expr = lp.header.expr();
    let called = (expr.kind() == "call_expression")
        .then(|| expr.child_by_field_name("function"))
        .flatten()
        .and_then(|f| match f.kind() {
            "identifier" => Some(f),
            "selector_expression" => f.child_by_field_name("field"),
            _ => None,
        })
        .map(|f| src.node_text(f));
    let derived = called.map(|c| {
        let c = c.strip_prefix("Get").filter(|r| r.starts_with(|ch: char| ch.is_ascii_uppercase())).unwrap_or(c);
        lower_camel(c)
    });
    let plural = expr
        .parent()
        .filter(|c| c.kind() == "range_clause")
        .and_then(|clause| clause.child_by_field_name("left"))
        .and_then(|left| items(left).get(1).copied())
        .filter(|v| v.kind() == "identifier")
        .map(|v| src.node_text(v))
        .filter(|v| v.len() >= 3 && !v.ends_with('s'))
        .map(pluralize);
    // A callee named like a collection (`Keys()`, `SKUs()`, `MapKeys()`) names its result best; a verb
    // (`Split`, `load`) does not, and the loop's value variable (`line` → `lines`) does.
    let mut out: Vec<String> = Vec::new();
    match derived {
        Some(d) if d.ends_with('s') => out.extend([Some(d), plural].into_iter().flatten()),
        d => out.extend([plural, d].into_iter().flatten()),
    }
    let fallback: &[&str] = if integer { &["n", "count", "total"] } else { &["items", "elems", "values"] };
    out.extend(fallback.iter().map(|s| s.to_string()));
    out
}

/// Standard-library package names a reader takes for the package wherever they appear.
const COMMON_PACKAGES: &[&str] = &[
    "bufio", "bytes", "cmp", "context", "errors", "filepath", "fmt", "http", "io", "json", "log", "maps", "math", "os",
    "path", "reflect", "regexp", "slices", "sort", "strconv", "strings", "sync", "time", "unicode", "url",
];

/// The names the file's imports bind (an alias, else the path's last element).
fn file_import_names(src: &SourceFile) -> Vec<String> {
    descendants(src.tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "import_spec")
        .filter_map(|spec| match spec.child_by_field_name("name") {
            Some(alias) => Some(src.node_text(alias).to_string()),
            None => {
                let path = spec.child_by_field_name("path")?;
                let p = src.node_text(path).trim_matches(|c| c == '"' || c == '`');
                Some(p.rsplit('/').next().unwrap_or(p).to_string())
            }
        })
        .collect()
}

/// An English plural good enough for a variable name: `entry` → `entries`, `box` → `boxes`,
/// `line` → `lines`.
fn pluralize(word: &str) -> String {
    let consonant_y = word.ends_with('y') && !word[..word.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u']);
    if consonant_y {
        format!("{}ies", &word[..word.len() - 1])
    } else if word.ends_with(['x', 'z']) || word.ends_with("ch") || word.ends_with("sh") {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

/// Go's lower camel case of an exported name, initialisms included: `MapKeys` → `mapKeys`,
/// `SKUs` → `skus`, `HTTPServer` → `httpServer`, `ID` → `id`.
fn lower_camel(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let run = chars.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let lower = match run {
        0 => 0,
        r if r == chars.len() => r,
        // `SKUs`, `IDs`: an initialism's plural.
        r if chars[r..] == ['s'] => chars.len(),
        1 => 1,
        // `HTTPServer`: the last capital starts the next word.
        r => r - 1,
    };
    chars.iter().enumerate().map(|(i, c)| if i < lower { c.to_ascii_lowercase() } else { *c }).collect()
}

/// For an append statement inside `if` statements (consequence or `else`) of a loop body: the loop
/// and the outermost of those `if`s. Any other block in between (switch, select, nested loop, bare
/// block, closure) is not a filter: the append could run more than once per iteration.
fn filter_loop_of(assign: Node) -> Option<(Node, Node)> {
    let mut n = assign.parent().filter(|p| p.kind() == "statement_list")?.parent().filter(|b| b.kind() == "block")?;
    let mut outer_if = None;
    loop {
        let parent = n.parent()?;
        match parent.kind() {
            "for_statement" => return outer_if.map(|i| (parent, i)),
            // `else if`: the inner if is the alternative of the outer one.
            "if_statement" => {
                let mut top = parent;
                while let Some(p) = top.parent().filter(|p| p.kind() == "if_statement") {
                    top = p;
                }
                outer_if = Some(top);
                n = top.parent().filter(|p| p.kind() == "statement_list")?.parent().filter(|b| b.kind() == "block")?;
            }
            _ => return None,
        }
    }
}

fn analyze_slice<'t>(src: &'t SourceFile, call: Node<'t>) -> Result<SliceMatch<'t>, Decline> {
    if call.kind() != "call_expression" {
        return Err(Decline::new(DeclineCode::ShapeMismatch, "not an append call"));
    }
    let append_fn = call
        .child_by_field_name("function")
        .ok_or_else(|| Decline::new(DeclineCode::ShapeMismatch, "not an append call"))?;
    let args = call.child_by_field_name("arguments").map(items).unwrap_or_default();
    let target =
        *args.first().ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "append without arguments"))?;
    if args.iter().any(|a| a.kind() == "variadic_argument") {
        return Err(Decline::new(
            DeclineCode::SpreadArguments,
            "the append spreads a slice (`xs...`): the number of elements per iteration is not known",
        ));
    }
    if args.len() != 2 {
        return Err(Decline::new(
            DeclineCode::AppendSeveralElements,
            format!(
                "the append adds {} elements per call; only one per iteration is handled",
                args.len().saturating_sub(1)
            ),
        ));
    }
    if target.kind() != "identifier" {
        return Err(Decline::new(
            DeclineCode::NotLocalVariable,
            format!("the append target `{}` is not a local variable", one_line(src.node_text(target))),
        ));
    }
    let name = src.node_text(target).to_string();
    let assign = call
        .parent()
        .and_then(|l| l.parent())
        .filter(|a| a.kind() == "assignment_statement")
        .ok_or_else(|| Decline::new(DeclineCode::AppendNotAssignedBack, "the append result is not assigned"))?;
    let left = assign.child_by_field_name("left").map(items).unwrap_or_default();
    let op_is_assign = assign.child_by_field_name("operator").is_some_and(|o| o.kind() == "=");
    if !op_is_assign || left.len() != 1 || src.node_text(left[0]) != name {
        return Err(Decline::new(
            DeclineCode::AppendNotAssignedBack,
            format!("the result of append is not assigned back to `{name}`"),
        ));
    }
    let body = assign
        .parent()
        .filter(|p| p.kind() == "statement_list")
        .and_then(|l| l.parent())
        .filter(|b| b.kind() == "block");
    let for_node = body.and_then(|b| b.parent()).filter(|f| f.kind() == "for_statement");
    let (for_node, filter) = match (for_node, filter_loop_of(assign)) {
        (Some(f), _) => (f, None),
        (None, Some((f, cond))) => (f, Some(cond)),
        (None, None) => {
            return Err(Decline::new(DeclineCode::AppendNotInLoopBody, format!(
                "`{name} = append({name}, …)` is not a statement of the loop body itself (it is inside a switch or nested block): it may not run on every iteration, nor only once"
            )))
        }
    };
    let lp = loop_of(src, for_node)?;
    let inside = identifiers_named(lp.node, &name, src);
    if let Some(other) = inside.iter().find(|m| m.id() != target.id() && m.id() != left[0].id()) {
        return Err(Decline::new(DeclineCode::OtherUsesInLoop, format!(
            "`{name}` is used inside the loop other than as `{name} = append({name}, x)` (line {}): another slice could share its backing array",
            line_of(src, *other)
        )));
    }
    check_loop_shape_with(src, &lp, filter.is_some(), true)?;
    let hoist = match lp.header {
        Header::Range(_) if !is_path(lp.header.expr()) => {
            let expr = lp.header.expr();
            let func = enclosing_function(lp.node)
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the loop is not inside a function"))?;
            Some(Hoist { expr, func })
        }
        _ => None,
    };
    let (decl, gap) = declaration_before(src, lp.stmt, &name, Container::Slice)?;
    let list = lp.stmt.parent().expect("checked by declaration_before");
    let after: Vec<Node> = items(list).into_iter().filter(|s| s.start_byte() >= lp.stmt.end_byte()).collect();
    let uses_after = after
        .iter()
        .flat_map(|s| identifiers_named(*s, &name, src))
        .flat_map(|id| classify_uses(src, id, &name, 2))
        .collect();
    Ok(SliceMatch { name, append_fn, lp, decl, gap, uses_after, filter, hoist })
}

/// Where a statement inserted before the loop goes: before the comments that lead into the loop.
fn insertion_point(src: &SourceFile, lp: &Loop) -> Result<(usize, String), Decline> {
    line_before(src, lp.stmt)
        .ok_or_else(|| Decline::new(DeclineCode::NotOwnLine, "the loop does not start its own line"))
}

/// The start of the line after `stmt` (which must end its line, a trailing `//` comment aside) and
/// `stmt`'s indentation.
fn after_statement(src: &SourceFile, stmt: Node) -> Result<(usize, String), Decline> {
    let rest_end = src.text[stmt.end_byte()..]
        .find('\n')
        .map(|i| stmt.end_byte() + i + 1)
        .ok_or_else(|| Decline::new(DeclineCode::NotOwnLine, "the declaration ends the file"))?;
    let rest = src.text[stmt.end_byte()..rest_end].trim();
    if !(rest.is_empty() || rest.starts_with("//")) || !own_line(src, stmt) {
        return Err(Decline::new(DeclineCode::NotOwnLine, "the declaration shares its line with other code"));
    }
    let line_start = src.line_start(src.line_index(stmt.start_byte()));
    Ok((rest_end, src.text[line_start..stmt.start_byte()].to_string()))
}

impl<'t> SliceMatch<'t> {
    fn queries(&self, src: &SourceFile) -> Vec<Query> {
        let file = &src.path;
        let mut q = vec![
            Facts::expr_query(file, self.append_fn),
            Facts::expr_query(file, self.decl.name),
            Facts::expr_query(file, self.lp.header.expr()),
        ];
        if let Init::EmptyMake { func, .. } = self.decl.init {
            q.push(Facts::expr_query(file, func));
        }
        if let Some(callee) = self.hoist.as_ref().and_then(|h| h.expr.child_by_field_name("function")) {
            q.push(Facts::expr_query(file, callee));
        }
        for at in [self.decl.stmt.start_byte(), self.lp.stmt.start_byte()] {
            for name in ["make", "len", "max"] {
                q.push(Query::Scope { file: file.clone(), offset: at, name: name.into() });
            }
        }
        for v in gap_values(&self.gap).unwrap_or_default() {
            q.push(Facts::expr_query(file, v));
        }
        for u in &self.uses_after {
            if let Use::Call { callee, .. } = u {
                q.push(Facts::expr_query(file, *callee));
            }
        }
        q
    }

    fn propose(&self, site: &Site, facts: &Facts, escapes: bool) -> Result<Proposal, Decline> {
        let src = site.source;
        let file = site.file();
        let name = self.name.as_str();
        let fact = |n: Node| {
            facts.expr(file, n.start_byte(), n.end_byte()).ok_or_else(|| {
                Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for `{}`", one_line(src.node_text(n))))
            })
        };
        if let (Some(cond), false) = (self.filter, facts.options.upper_bound) {
            let cond = cond.child_by_field_name("condition").map_or("…".into(), |c| one_line(src.node_text(c)));
            return Err(Decline::new(DeclineCode::AppendNotInLoopBody, format!(
                "`{name} = append({name}, …)` runs only when `{cond}` holds (a filter loop): the loop's bound is just an upper bound on the length, so preallocating trades memory for allocations. Proposed where a profile measures the line hot (--profile or --profile-bench; share >= --min-share, else 1%), or everywhere with --prealloc-upper-bound or `[rules.prealloc-slice] filter_loops = true` in stackify.toml"
            )));
        }
        if fact(self.append_fn)?.mode != "builtin" {
            return Err(Decline::new(DeclineCode::NotBuiltin, "`append` here is not the builtin"));
        }
        let var = fact(self.decl.name)?;
        if var.type_param || !var.underlying.starts_with("[]") {
            return Err(Decline::new(DeclineCode::WrongType, format!("`{name}` is not a slice ({})", var.ty)));
        }
        if let Init::EmptyMake { func, .. } = self.decl.init {
            if fact(func)?.mode != "builtin" {
                return Err(Decline::new(DeclineCode::NotBuiltin, "`make` in the declaration is not the builtin"));
            }
        }
        let mut operand = fact(self.lp.header.expr())?.clone();
        if let Some(h) = &self.hoist {
            if has_comment(h.expr) {
                return Err(Decline::new(
                    DeclineCode::DropsComment,
                    "the range operand contains a comment that moving it would misplace",
                ));
            }
            // `range []byte(s)` does not copy s; `items := []byte(s)` would.
            let callee = h.expr.child_by_field_name("function");
            if h.expr.kind() != "call_expression" || callee.map(fact).transpose()?.is_some_and(|f| f.mode == "type") {
                return Err(Decline::new(
                    DeclineCode::EvaluatedTwice,
                    format!(
                        "the range operand `{}` is not a plain variable path nor a function call (it would be evaluated a second time)",
                        one_line(src.node_text(h.expr))
                    ),
                ));
            }
            // Evaluated once, into the hoisted variable, where the range statement evaluated it.
            operand.side_effects = false;
        }
        let mut bound = bound_of(src, self.lp.header, &operand)?;
        let hoisted = match &self.hoist {
            Some(h) => {
                let code = src.node_text(h.expr);
                let integer = bound.text == code;
                let name = hoist_name(src, &self.lp, h.func, integer).ok_or_else(|| {
                    Decline::new(
                        DeclineCode::EvaluatedTwice,
                        format!(
                            "the range operand `{}` is not a plain variable path, and no free name holds it for the capacity",
                            one_line(code)
                        ),
                    )
                })?;
                bound.text = if integer { name.clone() } else { format!("len({name})") };
                Some((h, name))
            }
            None => None,
        };
        if bound.constant.is_some_and(|c| c <= 0) {
            return Err(Decline::new(
                DeclineCode::NoSaving,
                format!("the loop runs {} times; nothing to preallocate", bound.text),
            ));
        }
        // No "small constant" decline: a 4-int append loop costs 2 allocs/op on go1.26.8 (0 after the
        // rewrite) though docs/compiler-facts.md measured 0 -> 0 on go1.27.3; the fix is harmless either way.
        let elem = var.underlying.trim_start_matches("[]").to_string();
        let size = elem_size(&elem);
        for u in &self.uses_after {
            if let Use::Capacity(at, why) = u {
                return Err(Decline::new(
                    DeclineCode::CapacityObservable,
                    format!(
                        "after the loop, {why} (line {}): the extra capacity would be observable",
                        line_of(src, *at)
                    ),
                ));
            }
        }
        let ty = one_line(src.node_text(self.decl.ty()));
        let builtin_at = |offset: usize, n: &str| facts.scope(file, offset, n).is_some_and(|s| s.kind == "builtin");
        let mut notes: Vec<String> = Vec::new();
        // Where the capacity is given: at the declaration when the bound means the same there (nothing
        // but side-effect-free declarations that do not mention it in between), else right before the
        // loop. A declaration shared with other variables stays as it is.
        let at_decl = match self.decl.init {
            Init::Nil { .. } => {
                !self.decl.shared && gap_allows_moving(src, file, facts, &self.gap, self.lp.header.expr()).is_ok()
            }
            Init::EmptyLit { .. } | Init::EmptyMake { .. } => true,
        };

        let (mut edits, title, how) = match self.decl.init {
            Init::Nil { .. } => {
                // Can nil-ness be told apart after the loop?
                let mut observer: Option<String> = None;
                // A filter loop may append nothing even when it runs.
                if bound.constant.is_none_or(|c| c <= 0) || self.filter.is_some() {
                    for u in &self.uses_after {
                        let seen = match u {
                            Use::NilBlind | Use::Capacity(..) => None,
                            Use::Observes(at) => Some(*at),
                            Use::Call { callee, at } => {
                                let blind = facts
                                    .expr(file, callee.start_byte(), callee.end_byte())
                                    .and_then(|f| f.object.as_ref())
                                    .is_some_and(|o| {
                                        o.kind == "func"
                                            && NIL_BLIND_FUNCS.iter().any(|(p, n)| *p == o.pkg && *n == o.name)
                                    });
                                (!blind).then_some(*at)
                            }
                        };
                        if let Some(at) = seen {
                            observer = Some(format!(
                                "`{}` (line {})",
                                one_line(src.node_text(statement_of(at))),
                                line_of(src, at)
                            ));
                            break;
                        }
                    }
                }
                if let (Some(o), Some(_)) = (&observer, self.filter) {
                    return Err(Decline::new(
                        DeclineCode::NilVsEmpty,
                        format!(
                            "nil-ness of `{name}` is observable after the loop at {o}, and a filter loop may append nothing even when it runs: a preallocated `{name}` would be empty where it was nil"
                        ),
                    ));
                }
                let (at, indent) =
                    if at_decl { after_statement(src, self.decl.stmt)? } else { insertion_point(src, &self.lp)? };
                let scope_at = if at_decl { self.decl.stmt.start_byte() } else { self.lp.stmt.start_byte() };
                let uses_len = bound.text.starts_with("len(");
                if !builtin_at(scope_at, "make") || (uses_len && !builtin_at(scope_at, "len")) {
                    return Err(Decline::new(
                        DeclineCode::NotBuiltin,
                        "`make` or `len` does not refer to the builtin where the rewrite would use it",
                    ));
                }
                if !at_decl {
                    let ty_names: BTreeSet<String> = names_in(src, self.decl.ty(), VALUE_WORDS).into_iter().collect();
                    if let Some(n) = self.gap.iter().find_map(|s| mentions_any(src, *s, &ty_names)) {
                        return Err(Decline::new(
                            DeclineCode::CannotHoist,
                            format!(
                            "`{n}` (in the element type) is redeclared or used between the declaration and the loop"
                        ),
                        ));
                    }
                }
                let nl = src.newline();
                if let (None, true) = (&observer, bound.non_negative) {
                    let make = format!("make({ty}, 0, {})", bound.text);
                    let how = if bound.constant.is_some_and(|c| c > 0) && self.filter.is_none() {
                        format!("the loop always runs (at least once) and appends on every iteration, so `{name}` is never nil after it either way")
                    } else {
                        format!("`{name}` is only read in ways that do not tell nil from empty after the loop (len, index, range, append, copy, nil-blind library calls)")
                    };
                    if at_decl {
                        let new = format!("{name} := {make}");
                        let edit = TextEdit {
                            start: self.decl.stmt.start_byte(),
                            end: self.decl.stmt.end_byte(),
                            text: new.clone(),
                        };
                        (vec![edit], format!("{} → {new}", one_line(src.node_text(self.decl.stmt))), how)
                    } else {
                        let new = format!("{name} = {make}");
                        let edit = TextEdit { start: at, end: at, text: format!("{indent}{new}{nl}") };
                        (vec![edit], format!("preallocate `{name}` before the loop: {new}"), how)
                    }
                } else {
                    let guard = format!(
                        "if {} > 0 {{{nl}{indent}\t{name} = make({ty}, 0, {}){nl}{indent}}}{nl}",
                        bound.text, bound.text
                    );
                    let edit = TextEdit { start: at, end: at, text: format!("{indent}{guard}") };
                    let why = match &observer {
                        Some(o) => format!("nil-ness is observable after the loop at {o}"),
                        None => format!("the bound `{}` may be negative", bound.text),
                    };
                    let how = if self.filter.is_some() {
                        format!("{why}: the guard keeps make from panicking, and `{name}` is only read in ways that do not tell nil from empty")
                    } else {
                        format!(
                        "{why}, so the guard keeps `{name}` nil exactly when the loop does not run ({} ≤ 0): the loop appends on every iteration and cannot skip the append",
                        bound.text
                    )
                    };
                    let place = if at_decl { "after its declaration" } else { "before the loop" };
                    (
                        vec![edit],
                        format!(
                            "preallocate `{name}` {place}: if {0} > 0 {{ {name} = make({ty}, 0, {0}) }}",
                            bound.text
                        ),
                        how,
                    )
                }
            }
            Init::EmptyLit { value, .. } | Init::EmptyMake { value, .. } => {
                gap_allows_moving(src, file, facts, &self.gap, self.lp.header.expr())?;
                let at = self.decl.stmt.start_byte();
                let uses_len = bound.text.starts_with("len(");
                if !builtin_at(at, "make") || (uses_len && !builtin_at(at, "len")) {
                    return Err(Decline::new(
                        DeclineCode::NotBuiltin,
                        "`make` or `len` does not refer to the builtin at the declaration",
                    ));
                }
                let cap = if bound.non_negative {
                    bound.text.clone()
                } else {
                    let version_ok = site
                        .package
                        .go_version()
                        .as_deref()
                        .and_then(GoVersion::go1_minor)
                        .is_some_and(|m| m >= BUILTIN_MIN_MAX);
                    if !version_ok || !builtin_at(at, "max") {
                        return Err(Decline::new(DeclineCode::BoundMayBeNegative, format!(
                            "the bound `{}` may be negative (make would panic) and max(…, 0) needs go ≥ 1.21 and an unshadowed `max`",
                            bound.text
                        )));
                    }
                    notes.push(format!(
                        "max({}, 0) because make panics on a negative capacity where the loop just runs zero times",
                        bound.text
                    ));
                    format!("max({}, 0)", bound.text)
                };
                let new = format!("make({ty}, 0, {cap})");
                let edit = TextEdit { start: value.start_byte(), end: value.end_byte(), text: new.clone() };
                let how = format!("`{name}` starts non-nil and stays non-nil, as before");
                (vec![edit], format!("{} → {new}", one_line(src.node_text(value))), how)
            }
        };
        if let Some((h, name)) = &hoisted {
            let stmt = if at_decl { self.decl.stmt } else { self.lp.stmt };
            let (at, indent) = line_before(src, stmt).ok_or_else(|| {
                Decline::new(
                    DeclineCode::NotOwnLine,
                    "the statement before which the range operand would move does not start its own line",
                )
            })?;
            let code = src.node_text(h.expr);
            // First among the insertions at `at`: the capacity's statement may follow at the same offset.
            edits
                .insert(0, TextEdit { start: at, end: at, text: format!("{indent}{name} := {code}{}", src.newline()) });
            edits.push(TextEdit { start: h.expr.start_byte(), end: h.expr.end_byte(), text: name.clone() });
            notes.push(format!(
                "The range operand `{}` is evaluated once into `{}` right before {}, and the loop ranges over `{}`: it still runs exactly once, and only side-effect-free declarations separate it from the loop.",
                one_line(code),
                name,
                if at_decl { "the declaration" } else { "the loop" },
                name
            ));
        }
        if let Some(n) = huge_note(bound.constant, size) {
            notes.push(n);
        }
        if self.filter.is_some() {
            notes.push(format!(
                "This is a filter loop: `{name}` gets at most one element per iteration, so {} is an upper bound on its length and the \
                 unused capacity costs memory; proposed because the line is measured hot or upper bounds were opted in \
                 (--prealloc-upper-bound). `--apply` writes it only where the package's benchmarks show fewer allocs/op.",
                bound.text
            ));
        }
        let explanation = format!(
            "`{name}` grows by append {} per iteration of a loop that runs {} times; without a capacity, append reallocates and copies \
             its backing array about log2(n) times. Allocating the final capacity up front {EVIDENCE_LABEL}: -m does not show growth{}; \
             measure with the package's benchmarks (-benchmem). Safe because: `{name}` is not used between its declaration and the loop \
             nor inside it except as `{name} = append({name}, x)`, so no other slice shares its backing array and the extra capacity is \
             not observable; the bound is side-effect free and evaluated where the loop evaluates it; {how}.{}",
            if self.filter.is_some() { "at most once" } else { "once" },
            bound.text,
            if escapes {
                ", and as this slice escapes, -m will add a `make(...) escapes to heap` line for the one allocation that replaces the growth allocations"
            } else {
                ""
            },
            notes.iter().map(|n| format!(" {n}")).collect::<String>()
        );
        let title = if self.filter.is_some() { format!("{title} (upper bound: a filter loop)") } else { title };
        Ok(Proposal {
            edits,
            add_imports: vec![],
            removed_uses: vec![],
            title,
            explanation,
            expect_new: ExpectNew::ResultAllocation,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// prealloc-map
// ---------------------------------------------------------------------------------------------

/// The declared name, the declaration statement and the first later loop of the same list that
/// stores into it (`m[k] = ...`), when `value` initialises a variable. Earlier uses are left to
/// [`analyze_map`], which declines them with a reason.
fn map_shape<'t>(src: &SourceFile, value: Node<'t>) -> Option<(String, Node<'t>, Node<'t>)> {
    let list = value.parent().filter(|p| p.kind() == "expression_list")?;
    let holder = list.parent()?;
    let (stmt, name) = match holder.kind() {
        "short_var_declaration" => (holder, holder.child_by_field_name("left").map(items)?.first().copied()?),
        "var_spec" => (holder.parent().filter(|p| p.kind() == "var_declaration")?, holder.child_by_field_name("name")?),
        _ => return None,
    };
    let name = src.node_text(name).to_string();
    let block = stmt.parent().filter(|p| p.kind() == "statement_list")?;
    let loop_node = |s: Node<'t>| -> Option<Node<'t>> {
        if s.kind() == "labeled_statement" {
            items(s).into_iter().find(|c| c.kind() == "for_statement")
        } else {
            (s.kind() == "for_statement").then_some(s)
        }
    };
    // Any write through an index: `m[k] = v`, `m[k] += v`, `m[k]++` (the latter two decline later).
    let stores = |for_node: Node| {
        identifiers_named(for_node, &name, src).iter().any(|m| {
            let Some(ix) = m.parent().filter(|p| p.kind() == "index_expression") else { return false };
            match ix.parent() {
                Some(p) if matches!(p.kind(), "inc_statement" | "dec_statement") => true,
                Some(l) if l.kind() == "expression_list" => l.parent().is_some_and(|a| {
                    a.kind() == "assignment_statement"
                        && a.child_by_field_name("left").is_some_and(|x| x.id() == l.id())
                }),
                _ => false,
            }
        })
    };
    let next = items(block)
        .into_iter()
        .filter(|s| s.start_byte() >= stmt.end_byte())
        .find(|s| loop_node(*s).is_some_and(&stores))?;
    Some((name, stmt, next))
}

struct MapMatch<'t> {
    name: String,
    /// The `m` of the loop's `m[k] = v`, where a profile puts the growth's bytes.
    store: Node<'t>,
    lp: Loop<'t>,
    decl: Decl<'t>,
    gap: Vec<Node<'t>>,
}

fn analyze_map<'t>(src: &'t SourceFile, value: Node<'t>) -> Result<MapMatch<'t>, Decline> {
    let (name, decl_stmt, loop_stmt) = map_shape(src, value)
        .ok_or_else(|| Decline::new(DeclineCode::ShapeMismatch, "not a map declaration filled by a later loop"))?;
    let for_node = if loop_stmt.kind() == "labeled_statement" {
        items(loop_stmt)
            .into_iter()
            .find(|c| c.kind() == "for_statement")
            .ok_or_else(|| Decline::new(DeclineCode::ShapeMismatch, "not a loop"))?
    } else {
        loop_stmt
    };
    let lp = loop_of(src, for_node)?;
    let inside = identifiers_named(lp.node, &name, src);
    let store = |m: &Node| -> bool {
        let Some(ix) = m.parent().filter(|p| {
            p.kind() == "index_expression" && p.child_by_field_name("operand").is_some_and(|o| o.id() == m.id())
        }) else {
            return false;
        };
        let Some(left) = ix.parent().filter(|l| l.kind() == "expression_list") else { return false };
        let Some(assign) = left.parent().filter(|a| a.kind() == "assignment_statement") else { return false };
        assign.child_by_field_name("left").is_some_and(|l| l.id() == left.id())
            && items(left).len() == 1
            && assign.child_by_field_name("operator").is_some_and(|o| o.kind() == "=")
            && assign
                .parent()
                .filter(|l| l.kind() == "statement_list")
                .and_then(|l| l.parent())
                .is_some_and(|b| b.id() == lp.body.id())
    };
    match inside.as_slice() {
        [one] if store(one) => {}
        [one] => {
            return Err(Decline::new(DeclineCode::AppendNotInLoopBody, format!(
                "the loop uses `{name}` (line {}) other than as an unconditional `{name}[k] = v` statement of its body: the map may get fewer entries",
                line_of(src, *one)
            )))
        }
        _ => {
            return Err(Decline::new(DeclineCode::OtherUsesInLoop, format!(
                "`{name}` is used more than once in the loop (line {}): only a loop that does nothing but `{name}[k] = v` per iteration is handled",
                line_of(src, inside[1])
            )))
        }
    }
    check_loop_shape(src, &lp)?;
    let (decl, gap) = declaration_before(src, lp.stmt, &name, Container::Map)?;
    if decl.stmt.id() != decl_stmt.id() {
        return Err(Decline::new(DeclineCode::Redeclared, format!("`{name}` is redeclared before the loop")));
    }
    Ok(MapMatch { name, store: inside[0], lp, decl, gap })
}

impl<'t> MapMatch<'t> {
    fn queries(&self, src: &SourceFile) -> Vec<Query> {
        let file = &src.path;
        let mut q = vec![Facts::expr_query(file, self.decl.name), Facts::expr_query(file, self.lp.header.expr())];
        if let Init::EmptyMake { func, .. } = self.decl.init {
            q.push(Facts::expr_query(file, func));
        }
        for name in ["make", "len"] {
            q.push(Query::Scope { file: file.clone(), offset: self.decl.stmt.start_byte(), name: name.into() });
        }
        for v in gap_values(&self.gap).unwrap_or_default() {
            q.push(Facts::expr_query(file, v));
        }
        q
    }

    fn propose(&self, site: &Site, facts: &Facts, escapes: bool) -> Result<Proposal, Decline> {
        let src = site.source;
        let file = site.file();
        let name = self.name.as_str();
        let fact = |n: Node| {
            facts.expr(file, n.start_byte(), n.end_byte()).ok_or_else(|| {
                Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for `{}`", one_line(src.node_text(n))))
            })
        };
        let var = fact(self.decl.name)?;
        if var.type_param || !var.underlying.starts_with("map[") {
            return Err(Decline::new(DeclineCode::WrongType, format!("`{name}` is not a map ({})", var.ty)));
        }
        let value = match self.decl.init {
            Init::EmptyMake { value, func, .. } => {
                if fact(func)?.mode != "builtin" {
                    return Err(Decline::new(DeclineCode::NotBuiltin, "`make` in the declaration is not the builtin"));
                }
                value
            }
            Init::EmptyLit { value, .. } => value,
            Init::Nil { .. } => return Err(Decline::new(DeclineCode::NilVsEmpty, format!("`{name}` is a nil map"))),
        };
        let bound = bound_of(src, self.lp.header, fact(self.lp.header.expr())?)?;
        if bound.constant.is_some_and(|c| c <= 0) {
            return Err(Decline::new(
                DeclineCode::NoSaving,
                format!("the loop runs {} times; nothing to preallocate", bound.text),
            ));
        }
        if let Some(c) = bound.constant {
            if c <= MAP_ONE_GROUP || (c <= MAP_NO_GAIN_LOCAL && !escapes) {
                return Err(Decline::new(
                    DeclineCode::NoSaving,
                    format!(
                        "{c} entries fit the map's first {}: a hint of {} saves no allocation",
                        if c <= MAP_ONE_GROUP {
                            "group (8 slots)"
                        } else {
                            "table, which the map reaches with one growth"
                        },
                        bound.text
                    ),
                ));
            }
        }
        gap_allows_moving(src, file, facts, &self.gap, self.lp.header.expr())?;
        let at = self.decl.stmt.start_byte();
        let builtin_at = |n: &str| facts.scope(file, at, n).is_some_and(|s| s.kind == "builtin");
        if !builtin_at("make") || (bound.text.starts_with("len(") && !builtin_at("len")) {
            return Err(Decline::new(
                DeclineCode::NotBuiltin,
                "`make` or `len` does not refer to the builtin at the declaration",
            ));
        }
        let ty = one_line(src.node_text(self.decl.ty()));
        let new = format!("make({ty}, {})", bound.text);
        let negative = if bound.non_negative {
            ""
        } else {
            " A negative hint is allowed for maps (treated as no hint), so no max(…, 0) is needed."
        };
        let explanation = format!(
            "`{name}` gets one `{name}[k] = v` per iteration of a loop that runs {} times; without a size hint the map grows and rehashes \
             its entries several times on the way. A hint of the trip count {EVIDENCE_LABEL}: -m does not show growth; measure with the \
             package's benchmarks (-benchmem). Repeated keys only make the hint an over-estimate (memory, not behaviour): a map's \
             capacity is not observable.{negative}",
            bound.text
        );
        Ok(Proposal {
            edits: vec![TextEdit { start: value.start_byte(), end: value.end_byte(), text: new.clone() }],
            add_imports: vec![],
            removed_uses: vec![],
            title: format!("{} → {new}", one_line(src.node_text(value))),
            explanation,
            expect_new: ExpectNew::ResultAllocation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(body: &str) -> SourceFile {
        let text = format!("package p\n\nfunc f(xs []int, m map[string]int, n int, s string) []int {{\n{body}\n}}\n");
        SourceFile::parse(Path::new("p.go"), text).unwrap()
    }

    /// The `append(` call on the line containing `marker`.
    fn append_call<'t>(src: &'t SourceFile, nth: usize) -> Node<'t> {
        let off = src.text.match_indices("append(").nth(nth).expect("an append").0;
        let paren = off + "append".len();
        let list = src.smallest_node_at(paren).unwrap();
        assert_eq!(list.kind(), "argument_list");
        list.parent().unwrap()
    }

    fn slice(body: &str) -> Result<(), Decline> {
        let src = parse(body);
        let call = append_call(&src, 0);
        analyze_slice(&src, call).map(|_| ())
    }

    fn declined(body: &str, want: DeclineCode) {
        match slice(body) {
            Ok(()) => panic!("expected a {want} decline for:\n{body}"),
            Err(e) => assert_eq!(e.code, want, "{}", e.reason),
        }
    }

    #[test]
    fn matches_the_three_declarations_and_three_loop_forms() {
        for decl in ["var out []int", "out := []int{}", "out := make([]int, 0)", "var out = []int{}"] {
            for head in [
                "for _, x := range xs",
                "for x := range n",
                "for x := 0; x < n; x++",
                "for x := 0; n > x; x += 1",
                "for x := n - 1; x >= 0; x--",
                "for x := len(xs) - 1; 0 <= x; x -= 1",
                "for x := n; x > 0; x--",
            ] {
                let body = format!("\t{decl}\n\t{head} {{\n\t\tout = append(out, x)\n\t}}\n\treturn out");
                assert!(slice(&body).is_ok(), "{body}: {:?}", slice(&body));
            }
        }
    }

    #[test]
    fn labeled_loops_and_returns_inside_are_fine() {
        assert!(slice("\tvar out []int\nouter:\n\tfor _, x := range xs {\n\t\tfor range xs {\n\t\t\tbreak outer2\n\t\t}\n\t\tout = append(out, x)\n\t}\n\treturn out").is_err());
        assert!(slice("\tvar out []int\n\tfor _, x := range xs {\n\t\tif x < 0 {\n\t\t\treturn nil\n\t\t}\n\t\tout = append(out, x)\n\t}\n\treturn out").is_ok());
        // break/continue aimed at inner statements do not leave the loop
        assert!(slice("\tvar out []int\n\tfor _, x := range xs {\n\t\tfor range xs {\n\t\t\tbreak\n\t\t}\n\t\tswitch x {\n\t\tcase 1:\n\t\t\tbreak\n\t\t}\n\t\tout = append(out, x)\n\t}\n\treturn out").is_ok());
        assert!(slice("\tvar out []int\n\tfor _, x := range xs {\n\t\tfunc() {\n\t\t\tfor {\n\t\t\t\tbreak\n\t\t\t}\n\t\t}()\n\t\tout = append(out, x)\n\t}\n\treturn out").is_ok());
    }

    #[test]
    fn declines_conditional_and_irregular_appends() {
        // A filter loop matches (the rule then declines unless upper bounds are allowed), also under
        // `else if` and with `continue`; a switch or bare block is not a filter.
        for body in [
            "\tvar out []int\n\tfor _, x := range xs {\n\t\tif x > 0 {\n\t\t\tout = append(out, x)\n\t\t}\n\t}\n\treturn out",
            "\tvar out []int\n\tfor _, x := range xs {\n\t\tif x == 0 {\n\t\t\tcontinue\n\t\t} else if x > 1 {\n\t\t\tif x > 2 {\n\t\t\t\tout = append(out, x)\n\t\t\t}\n\t\t}\n\t}\n\treturn out",
        ] {
            let src = parse(body);
            let m = analyze_slice(&src, append_call(&src, 0)).unwrap_or_else(|d| panic!("{d:?}"));
            assert!(m.filter.is_some_and(|f| f.kind() == "if_statement"));
        }
        declined("\tvar out []int\n\tfor _, x := range xs {\n\t\tswitch x {\n\t\tcase 1:\n\t\t\tout = append(out, x)\n\t\t}\n\t}\n\treturn out", DeclineCode::AppendNotInLoopBody);
        declined(
            "\tvar out []int\n\tfor _, x := range xs {\n\t\t{\n\t\t\tout = append(out, x)\n\t\t}\n\t}\n\treturn out",
            DeclineCode::AppendNotInLoopBody,
        );
        declined(
            "\tvar out []int\n\tfor _, x := range xs {\n\t\tout = append(out, x, x)\n\t}\n\treturn out",
            DeclineCode::AppendSeveralElements,
        );
        declined(
            "\tvar out []int\n\tfor range xs {\n\t\tout = append(out, xs...)\n\t}\n\treturn out",
            DeclineCode::SpreadArguments,
        );
        declined("\tvar out []int\n\tfor _, x := range xs {\n\t\tif x == 0 {\n\t\t\tcontinue\n\t\t}\n\t\tout = append(out, x)\n\t}\n\treturn out", DeclineCode::LoopMayExitEarly);
        declined("\tvar out []int\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t\tif x == 0 {\n\t\t\tbreak\n\t\t}\n\t}\n\treturn out", DeclineCode::LoopMayExitEarly);
        declined("\tvar out []int\nouter:\n\tfor _, x := range xs {\n\t\tfor range xs {\n\t\t\tcontinue outer\n\t\t}\n\t\tout = append(out, x)\n\t}\n\treturn out", DeclineCode::LoopMayExitEarly);
        declined("\tvar out []int\n\tfor _, x := range xs {\n\t\tswitch x {\n\t\tcase 1:\n\t\t\tcontinue\n\t\t}\n\t\tout = append(out, x)\n\t}\n\treturn out", DeclineCode::LoopMayExitEarly);
        declined(
            "\tvar out []int\n\tfor i := 0; i < n; i++ {\n\t\tout = append(out, i)\n\t\ti++\n\t}\n\treturn out",
            DeclineCode::BoundNotFixed,
        );
        declined(
            "\tvar out []int\n\tfor i := 0; i < n; i++ {\n\t\tout = append(out, i)\n\t\tn--\n\t}\n\treturn out",
            DeclineCode::BoundNotFixed,
        );
        declined(
            "\tvar out []int\n\tfor i := 1; i < n; i++ {\n\t\tout = append(out, i)\n\t}\n\treturn out",
            DeclineCode::NotCountedLoop,
        );
        declined(
            "\tvar out []int\n\tfor i := 0; i <= n; i++ {\n\t\tout = append(out, i)\n\t}\n\treturn out",
            DeclineCode::NotCountedLoop,
        );
        declined(
            "\tvar out []int\n\tfor i := n; i >= 0; i-- {\n\t\tout = append(out, i)\n\t}\n\treturn out",
            DeclineCode::NotCountedLoop,
        );
        // `i := n - 1; i > 0` runs n - 1 times: the bound is `n - 1`.
        assert!(slice("\tvar out []int\n\tfor i := n - 1; i > 0; i-- {\n\t\tout = append(out, i)\n\t}\n\treturn out")
            .is_ok());
        declined(
            "\tvar out []int\n\tfor i := n - 1; i >= 0; i++ {\n\t\tout = append(out, i)\n\t}\n\treturn out",
            DeclineCode::NotCountedLoop,
        );
        declined(
            "\tvar out []int\n\tfor len(out) < n {\n\t\tout = append(out, 1)\n\t}\n\treturn out",
            DeclineCode::NoTripCount,
        );
        declined(
            "\tvar out []int\n\tfor n > 0 {\n\t\tout = append(out, 1)\n\t}\n\treturn out",
            DeclineCode::NoTripCount,
        );
        // A call as the range operand is evaluated once into a variable (see
        // range_operands_that_are_calls_are_evaluated_once_into_a_free_name).
        assert!(
            slice("\tvar out []int\n\tfor _, x := range g() {\n\t\tout = append(out, x)\n\t}\n\treturn out").is_ok()
        );
        declined(
            "\tvar out []int\n\tfor i := 0; i < g(); i++ {\n\t\tout = append(out, i)\n\t}\n\treturn out",
            DeclineCode::BoundNotSimple,
        );
    }

    #[test]
    fn declines_aliasing_before_and_inside_the_loop() {
        declined("\tvar out []int\n\tt := out\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn append(out, t...)", DeclineCode::UsedBeforeLoop);
        declined("\tout := []int{}\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t\t_ = append(out, 1)\n\t}\n\treturn out", DeclineCode::OtherUsesInLoop);
        declined("\tout := []int{}\n\tfor _, x := range xs {\n\t\tt := out[:0]\n\t\tout = append(out, x+len(t))\n\t}\n\treturn out", DeclineCode::OtherUsesInLoop);
        declined("\tout := []int{}\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t\tgo func() { println(len(out)) }()\n\t}\n\treturn out", DeclineCode::OtherUsesInLoop);
        declined(
            "\tvar p struct{ out []int }\n\tfor _, x := range xs {\n\t\tp.out = append(p.out, x)\n\t}\n\treturn p.out",
            DeclineCode::NotLocalVariable,
        );
        declined(
            "\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn out",
            DeclineCode::NotDeclaredBeforeLoop,
        );
        declined(
            "\tout := []int{1}\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn out",
            DeclineCode::NotDeclaredEmpty,
        );
        declined(
            "\tout := make([]int, 0, 4)\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn out",
            DeclineCode::AlreadyDone,
        );
        declined("\tout, other := []int{}, []int{}\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn append(out, other...)", DeclineCode::NotSimpleDeclaration);
        declined(
            "\tvar out []int\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\tgoto end\nend:\n\treturn out",
            DeclineCode::UsesGoto,
        );
    }

    fn uses(body: &str) -> Vec<String> {
        let src = parse(body);
        let m = analyze_slice(&src, append_call(&src, 0)).unwrap();
        m.uses_after
            .iter()
            .map(|u| match u {
                Use::NilBlind => "blind".to_string(),
                Use::Call { callee, .. } => format!("call {}", src.node_text(*callee)),
                Use::Observes(_) => "observes".to_string(),
                Use::Capacity(_, why) => format!("capacity: {why}"),
            })
            .collect()
    }

    #[test]
    fn uses_after_the_loop() {
        let pre = "\tvar out []int\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n";
        assert_eq!(
            uses(&format!("{pre}\tprintln(len(out), out[0])\n\tfor range out {{\n\t}}\n\treturn nil")),
            ["blind", "blind", "blind"]
        );
        assert_eq!(uses(&format!("{pre}\treturn out")), ["observes"]);
        assert_eq!(uses(&format!("{pre}\tif out == nil {{\n\t}}\n\treturn nil")), ["observes"]);
        assert_eq!(uses(&format!("{pre}\tsort.Ints(out)\n\treturn nil")), ["call sort.Ints"]);
        assert_eq!(uses(&format!("{pre}\treturn append(xs, out...)")), ["blind"]);
        assert_eq!(uses(&format!("{pre}\tout = append(out, 1)\n\treturn nil")), ["blind", "blind"]);
        assert!(uses(&format!("{pre}\tprintln(cap(out))\n\treturn nil"))[0].starts_with("capacity"));
        assert!(uses(&format!("{pre}\tt := append(out, 1)\n\treturn t"))[0].starts_with("capacity"));
        assert!(uses(&format!("{pre}\treturn out[:1:1]"))[0].starts_with("capacity"));
        assert_eq!(uses(&format!("{pre}\treturn out[:1]")), ["observes"]);
    }

    #[test]
    fn gap_between_declaration_and_loop() {
        let src = parse(
            "\tout := []int{}\n\tk := len(xs)\n\tfor _, x := range xs {\n\t\tout = append(out, x+k)\n\t}\n\treturn out",
        );
        let m = analyze_slice(&src, append_call(&src, 0)).unwrap();
        assert_eq!(m.gap.len(), 1);
        assert_eq!(gap_values(&m.gap).unwrap().len(), 1);
        let src = parse(
            "\tout := []int{}\n\tprintln()\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn out",
        );
        let m = analyze_slice(&src, append_call(&src, 0)).unwrap();
        assert!(gap_values(&m.gap).is_none());
    }

    #[test]
    fn written_names_and_paths() {
        let src = parse("\ta.b[i] = 1\n\tj++\n\tp := &q\n\t*r = 2\n\treturn nil");
        let body = src.tree.root_node();
        let w = written_names(&src, body);
        for n in ["a", "j", "p", "q", "r"] {
            assert!(w.contains(n), "{n} in {w:?}");
        }
    }

    #[test]
    fn insertion_point_keeps_leading_comments_with_the_loop() {
        let src = parse(
            "\tvar out []int\n\t// fill it\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn out",
        );
        let m = analyze_slice(&src, append_call(&src, 0)).unwrap();
        let (at, indent) = insertion_point(&src, &m.lp).unwrap();
        assert_eq!(indent, "\t");
        assert!(src.text[at..].starts_with("\t// fill it\n"), "{:?}", &src.text[at..]);
    }

    fn map_match(body: &str) -> Result<(), DeclineCode> {
        let src = parse(body);
        let off = src.text.find("make(map").or_else(|| src.text.find("map[string]int{}")).unwrap();
        let node = descendants(src.tree.root_node())
            .into_iter()
            .find(|n| n.start_byte() == off && matches!(n.kind(), "call_expression" | "composite_literal"))
            .unwrap();
        analyze_map(&src, node).map(|_| ()).map_err(|d| d.code)
    }

    #[test]
    fn map_shapes() {
        assert!(map_match(
            "\tidx := make(map[string]int)\n\tfor i, x := range xs {\n\t\tidx[string(rune(x))] = i\n\t}\n\treturn nil"
        )
        .is_ok());
        assert!(map_match(
            "\tidx := map[string]int{}\n\tfor i := range n {\n\t\tidx[string(rune(i))] = i\n\t}\n\treturn nil"
        )
        .is_ok());
        let e = map_match("\tidx := make(map[string]int)\n\tfor i, x := range xs {\n\t\tif x > 0 {\n\t\t\tidx[string(rune(x))] = i\n\t\t}\n\t}\n\treturn nil").unwrap_err();
        assert_eq!(e, DeclineCode::AppendNotInLoopBody);
        let e = map_match("\tidx := make(map[string]int)\n\tfor _, x := range xs {\n\t\tidx[string(rune(x))] = idx[string(rune(x))] + 1\n\t}\n\treturn nil").unwrap_err();
        assert_eq!(e, DeclineCode::OtherUsesInLoop);
        let e = map_match(
            "\tidx := make(map[string]int)\n\tfor _, x := range xs {\n\t\tidx[string(rune(x))]++\n\t}\n\treturn nil",
        )
        .unwrap_err();
        assert_eq!(e, DeclineCode::AppendNotInLoopBody);
        let e = map_match("\tidx := make(map[string]int, 4)\n\tfor i, x := range xs {\n\t\tidx[string(rune(x))] = i\n\t}\n\treturn nil").unwrap_err();
        assert_eq!(e, DeclineCode::AlreadyDone);
        let e = map_match("\tidx := make(map[string]int)\n\tfor i, x := range xs {\n\t\tidx[string(rune(x))] = i\n\t\tif i > 3 {\n\t\t\tbreak\n\t\t}\n\t}\n\treturn nil").unwrap_err();
        assert_eq!(e, DeclineCode::LoopMayExitEarly);
        let e = map_match("\tidx := map[string]int{}\n\tif n == 0 {\n\t\treturn idx\n\t}\n\tfor i, x := range xs {\n\t\tidx[string(rune(x))] = i\n\t}\n\treturn nil").unwrap_err();
        assert_eq!(e, DeclineCode::UsedBeforeLoop);
    }

    #[test]
    fn bounds_from_types() {
        let src = parse("\tfor range xs {\n\t}\n\treturn nil");
        let lp =
            loop_of(&src, descendants(src.tree.root_node()).into_iter().find(|n| n.kind() == "for_statement").unwrap())
                .unwrap();
        let f = |u: &str, basic: &str, c: Option<&str>| ExprFacts {
            found: true,
            ty: u.into(),
            underlying: u.into(),
            basic: basic.into(),
            const_value: c.map(str::to_string),
            ..Default::default()
        };
        assert_eq!(
            bound_of(&src, lp.header, &f("[]int", "", None)).unwrap(),
            Bound { text: "len(xs)".into(), non_negative: true, constant: None }
        );
        assert_eq!(bound_of(&src, lp.header, &f("[16]int", "", None)).unwrap().constant, Some(16));
        assert_eq!(bound_of(&src, lp.header, &f("*[3]string", "", None)).unwrap().constant, Some(3));
        assert!(bound_of(&src, lp.header, &f("map[string]int", "", None)).unwrap().non_negative);
        assert!(!bound_of(&src, lp.header, &f("int", "int", None)).unwrap().non_negative);
        assert!(bound_of(&src, lp.header, &f("uint", "uint", None)).unwrap().non_negative);
        assert_eq!(bound_of(&src, lp.header, &f("int", "int", Some("10"))).unwrap().constant, Some(10));
        assert!(
            bound_of(&src, lp.header, &f("string", "string", None)).unwrap_err().code == DeclineCode::RangeOverString
        );
        assert!(bound_of(&src, lp.header, &f("chan int", "", None)).is_err());
        assert!(bound_of(&src, lp.header, &f("func(yield func(int) bool)", "", None)).is_err());
        let mut side = f("[]int", "", None);
        side.side_effects = true;
        assert!(bound_of(&src, lp.header, &side).is_err());
    }

    /// Runs the slice rule's queries → propose on `text` with facts made up from the source: every
    /// identifier named like a slice parameter is `[]int`, `n` is an `int`, builtins are builtins.
    fn propose_slice(text: &str, go: &str) -> Result<Proposal, Decline> {
        use crate::findings::{attribute::CompilerNotes, Cause, Cost, Origin, RawPos};
        use crate::go::helper::{QueryResult, ScopeFacts};
        use crate::go::{list::Module, Package};
        let src = SourceFile::parse(Path::new("/m/p.go"), text.to_string()).unwrap();
        let call = append_call(&src, 0);
        let (line, col) = src.position(call.child_by_field_name("arguments").unwrap().start_byte());
        let finding = Finding {
            id: 0,
            package: "m".into(),
            file: Some(src.path.clone()),
            raw: RawPos { path: "p.go".into(), line, col },
            kind: Kind::EscapesToHeap,
            subject: "append".into(),
            function: None,
            flows: vec![],
            origin: Origin::Native,
            cause: Cause::SliceGrowth,
            cost: Cost::MayAllocate,
        };
        let package = Package {
            module: Some(Module { path: "m".into(), go_version: Some(go.into()), main: true, ..Default::default() }),
            ..Default::default()
        };
        let notes = CompilerNotes::default();
        let site = Site {
            source: &src,
            package: &package,
            anchor: (call.start_byte(), call.end_byte()),
            findings: vec![&finding],
            notes: &notes,
        };
        let rule = PreallocSlice;
        let queries = rule.queries(&site)?;
        let results = queries
            .iter()
            .enumerate()
            .map(|(id, q)| match q {
                Query::Expr { start, end, .. } => {
                    let code = &src.text[*start..*end];
                    let (ty, basic, mode) = match code {
                        "append" | "make" => ("", "", "builtin"),
                        "n" => ("int", "int", "variable"),
                        "T" => ("T", "", "type"),
                        _ => ("[]int", "", "variable"),
                    };
                    let e = ExprFacts {
                        found: true,
                        ty: ty.into(),
                        underlying: ty.into(),
                        basic: basic.into(),
                        mode: mode.into(),
                        ..Default::default()
                    };
                    QueryResult { id, expr: Some(e), ..Default::default() }
                }
                Query::Scope { .. } => QueryResult {
                    id,
                    scope: Some(ScopeFacts { kind: "builtin".into(), ..Default::default() }),
                    ..Default::default()
                },
                _ => QueryResult { id, ..Default::default() },
            })
            .collect();
        let facts = Facts::new(&queries, results, Default::default());
        rule.propose(&site, &facts)
    }

    fn apply(text: &str, p: &Proposal) -> String {
        let mut out = text.to_string();
        let mut edits = p.edits.clone();
        edits.sort_by_key(|e| std::cmp::Reverse(e.start));
        for e in edits {
            out.replace_range(e.start..e.end, &e.text);
        }
        out
    }

    #[test]
    fn proposals_write_the_guard_the_plain_make_and_max() {
        let returned = "package p\n\nfunc f(xs []int) []int {\n\tvar out []int\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn out\n}\n";
        let p = propose_slice(returned, "1.22").unwrap();
        assert_eq!(
            apply(returned, &p),
            "package p\n\nfunc f(xs []int) []int {\n\tvar out []int\n\tif len(xs) > 0 {\n\t\tout = make([]int, 0, len(xs))\n\t}\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn out\n}\n"
        );
        assert!(p.explanation.contains(EVIDENCE_LABEL) && p.explanation.contains("`return out`"), "{}", p.explanation);
        assert_eq!(p.expect_new, ExpectNew::ResultAllocation);

        // CRLF files get CRLF lines.
        let crlf = returned.replace('\n', "\r\n");
        let p = propose_slice(&crlf, "1.22").unwrap();
        assert!(
            apply(&crlf, &p).contains("\tif len(xs) > 0 {\r\n\t\tout = make([]int, 0, len(xs))\r\n\t}\r\n\tfor"),
            "{:?}",
            p.edits
        );

        let scratch = "package p\n\nfunc f(xs []int) int {\n\tvar out []int\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn len(out)\n}\n";
        let p = propose_slice(scratch, "1.22").unwrap();
        assert!(apply(scratch, &p).contains("\tout := make([]int, 0, len(xs))\n\tfor"), "{:?}", p.edits);

        let counted = "package p\n\nfunc f(n int) []int {\n\tout := []int{}\n\tfor i := 0; i < n; i++ {\n\t\tout = append(out, i)\n\t}\n\treturn out\n}\n";
        let p = propose_slice(counted, "1.22").unwrap();
        assert!(apply(counted, &p).contains("\tout := make([]int, 0, max(n, 0))\n"), "{:?}", p.edits);
        let e = propose_slice(counted, "1.20").unwrap_err();
        assert_eq!(e.code, DeclineCode::BoundMayBeNegative, "{}", e.reason);
    }

    #[test]
    fn range_operands_that_are_calls_are_evaluated_once_into_a_free_name() {
        let wrap = |body: &str| format!("package p\n\nfunc f(xs []int) int {{\n{body}\n}}\n");
        let call =
            wrap("\tvar out []int\n\tfor _, x := range load(xs) {\n\t\tout = append(out, x)\n\t}\n\treturn len(out)");
        let p = propose_slice(&call, "1.22").unwrap();
        assert!(
            apply(&call, &p).contains("\tload := load(xs)\n") || apply(&call, &p).contains("\titems := load(xs)\n"),
            "{}",
            apply(&call, &p)
        );
        // `load` is the callee's own name, so the fallback is used.
        let out = apply(&call, &p);
        assert!(
            out.contains("\titems := load(xs)\n\tout := make([]int, 0, len(items))\n\tfor _, x := range items {"),
            "{out}"
        );
        assert!(p.explanation.contains("evaluated once into `items`"), "{}", p.explanation);

        // A method's name in lower camel case; `Get` dropped.
        let method = wrap(
            "\tvar out []int\n\tfor _, x := range c.GetValues() {\n\t\tout = append(out, x)\n\t}\n\treturn len(out)",
        );
        assert!(apply(&method, &propose_slice(&method, "1.22").unwrap()).contains("\tvalues := c.GetValues()\n"));
        // Every candidate name taken: declined.
        let taken = wrap("\titems, elems, values, rows := 1, 2, 3, 4\n\t_, _, _, _ = items, elems, values, rows\n\tvar out []int\n\tfor _, x := range c.Rows() {\n\t\tout = append(out, x)\n\t}\n\treturn len(out)");
        assert_eq!(propose_slice(&taken, "1.22").unwrap_err().code, DeclineCode::EvaluatedTwice);
        // A conversion is not hoisted: `range T(s)` may not copy where `items := T(s)` would.
        let conv =
            wrap("\tvar out []int\n\tfor _, x := range T(xs) {\n\t\tout = append(out, x)\n\t}\n\treturn len(out)");
        assert_eq!(propose_slice(&conv, "1.22").unwrap_err().code, DeclineCode::EvaluatedTwice);
        // A labeled loop: the new line goes above the label, which stays on the loop.
        let labeled = wrap("\tvar out []int\nouter:\n\tfor _, x := range load(xs) {\n\t\tfor range xs {\n\t\t\tbreak\n\t\t}\n\t\tout = append(out, x)\n\t}\n\treturn len(out)");
        match propose_slice(&labeled, "1.22") {
            Ok(p) => {
                let out = apply(&labeled, &p);
                assert!(out.contains("outer:\n\tfor _, x := range items {"), "{out}");
            }
            Err(e) => assert_eq!(e.code, DeclineCode::NotOwnLine, "{}", e.reason),
        }
    }

    #[test]
    fn hoisted_names_read_like_go() {
        assert_eq!(lower_camel("MapKeys"), "mapKeys");
        assert_eq!(lower_camel("SKUs"), "skus");
        assert_eq!(lower_camel("HTTPServer"), "httpServer");
        assert_eq!(lower_camel("ID"), "id");
        assert_eq!(lower_camel("rows"), "rows");
        assert_eq!(pluralize("entry"), "entries");
        assert_eq!(pluralize("key"), "keys");
        assert_eq!(pluralize("box"), "boxes");
        assert_eq!(pluralize("match"), "matches");
        assert_eq!(pluralize("line"), "lines");
        // A callee named like a package: not a variable name (`bytes := diff.Bytes(…)`).
        let pkg = "package p\n\nfunc f(a, b []byte) int {\n\tvar out []int\n\tfor _, edit := range diff.Bytes(a, b) {\n\t\tout = append(out, edit)\n\t}\n\treturn len(out)\n}\n";
        let out = apply(pkg, &propose_slice(pkg, "1.22").unwrap());
        assert!(out.contains("\tedits := diff.Bytes(a, b)\n"), "{out}");
        // A verb as the callee: the value variable's plural reads better (`split` → `lines`).
        let verb = "package p\n\nfunc f(s string) int {\n\tvar out []string\n\tfor _, line := range strings.Split(s, \"\\n\") {\n\t\tout = append(out, line)\n\t}\n\treturn len(out)\n}\n";
        let out = apply(verb, &propose_slice(verb, "1.22").unwrap());
        assert!(out.contains("\tlines := strings.Split(s, \"\\n\")\n"), "{out}");
        let wrap = |body: &str| format!("package p\n\nfunc f(xs []int) int {{\n{body}\n}}\n");
        // The value variable's plural when the callee's name is taken (it is the callee itself).
        let split = wrap(
            "\tvar out []int\n\tfor _, line := range split(xs) {\n\t\tout = append(out, line)\n\t}\n\treturn len(out)",
        );
        assert!(apply(&split, &propose_slice(&split, "1.22").unwrap()).contains("\tlines := split(xs)\n"));
        // An integer operand is a count.
        let count =
            wrap("\tvar out []int\n\tfor i := range size(xs) {\n\t\tout = append(out, i)\n\t}\n\treturn len(out)");
        let p = propose_slice(&count, "1.22");
        if let Ok(p) = p {
            assert!(apply(&count, &p).contains(":= size(xs)"), "{:?}", p.edits);
        }
        // A loop inside an outer loop that hoists too takes another name than the outer one.
        let nested = wrap("\tfor _, x := range load(xs) {\n\t\tvar out []int\n\t\tfor _, y := range load(xs) {\n\t\t\tout = append(out, y)\n\t\t}\n\t\t_ = len(out) + x\n\t}\n\treturn 0");
        let out = apply(&nested, &propose_slice(&nested, "1.22").unwrap());
        assert!(out.contains("\t\telems := load(xs)\n"), "{out}");
    }

    #[test]
    fn a_variable_declared_with_others_gets_its_capacity_before_the_loop() {
        let text = "package p\n\nfunc f(xs []int) int {\n\tvar out, other []int\n\tfor _, x := range xs {\n\t\tout = append(out, x)\n\t}\n\treturn len(out) + len(other)\n}\n";
        let p = propose_slice(text, "1.22").unwrap();
        let out = apply(text, &p);
        assert!(out.contains("\tvar out, other []int\n\tout = make([]int, 0, len(xs))\n\tfor"), "{out}");
    }

    #[test]
    fn notes_for_huge_constants() {
        assert!(huge_note(Some(10_000), Some(8)).unwrap().contains("80000 bytes"));
        assert!(huge_note(Some(8192), Some(8)).is_none());
        assert!(huge_note(Some(9000), None).is_some());
        assert!(huge_note(None, Some(8)).is_none());
    }
}
