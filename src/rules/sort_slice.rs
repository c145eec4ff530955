//! `sort-slice`: `sort.Slice(xs, func(i, j int) bool { return xs[i].K < xs[j].K })` →
//! `slices.SortFunc(xs, func(a, b T) int { return cmp.Compare(a.K, b.K) })`.
//!
//! sort.Slice takes `any`, so the slice header is boxed (`xs escapes to heap`, and the caller's slice
//! leaks), and it builds a reflect-based swapper: two allocations per call. slices.SortFunc is generic:
//! nothing is boxed and nothing is allocated.
//!
//! Only a less function that is one `<`/`>` comparison of the same key of `xs[i]` and `xs[j]`, or a
//! lexicographic order of such keys (`A < || A == && B <`, `if A != { return A < }; return B <`,
//! becoming `cmp.Or(cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B))`), is rewritten, and only when every
//! key is an integer or string type: for those, `less(i, j)` and `cmp(..) < 0` agree on every pair, and because sort.Slice and slices.SortFunc run the same
//! pdqsort (both generated from one template in the Go tree) they even produce the same permutation of
//! equal elements — neither promises one. `sort.SliceStable` becomes `slices.SortStableFunc`: both are
//! generated from one stable insertion-sort-and-merge template, so they too make the same comparisons
//! in the same order and keep equal elements in input order. Floats
//! are declined: with NaN, `<` is not a strict weak order and cmp.Compare orders NaN first, so the
//! result differs. See rules/sort-slice.md.

use super::codes::DeclineCode;
use super::{call_parts, qualifier, qualifier_queries, Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{ExprFacts, Query};
use crate::source::SourceFile;
use crate::syntax::names::plain_path;
use crate::syntax::text::{self, has_comment};
use crate::syntax::version::GoVersion;
use crate::syntax::walk::block_statements;
use tree_sitter::Node;

pub struct SortSlice;

pub const ID: &str = "sort-slice";

/// Integer and string kinds as go/types names them (`basic` of the key's underlying type).
const ORDERED: &[&str] = &[
    "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "string",
    // go/types reports the aliases by their own names when written that way
    "byte", "rune",
];

const META: RuleMeta = RuleMeta {
    id: ID,
    summary:
        "sort.Slice / sort.SliceStable with a one-key or lexicographic less function → slices.SortFunc / slices.SortStableFunc with cmp.Compare (cmp.Or for several keys; integer and string keys, go1.21+, go1.22+ for several)",
    doc: "rules/sort-slice.md",
    min_go: Some(21),
    fixture: "fixtures/sort-slice",
};

/// cmp.Or, which a multi-key comparison returns, arrived in go 1.22 (slices and cmp in 1.21).
const CMP_OR_MIN_GO: u32 = 22;

impl Rule for SortSlice {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FindingRemoved
    }

    fn interested(&self, f: &Finding) -> bool {
        f.kind == Kind::EscapesToHeap && f.is_native()
    }

    fn anchor(&self, f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        // The boxed slice is reported at the first argument (a selector `t.items` at its last `.`),
        // an escaping less function at `func`: climb to the argument and check it is the subject.
        let mut node = source.tree.root_node().descendant_for_byte_range(offset, offset)?;
        while node.parent().is_some_and(|p| p.kind() != "argument_list") {
            node = node.parent()?;
        }
        let list = node.parent().filter(|p| p.kind() == "argument_list")?;
        if one_line(source.node_text(node)) != f.subject
            && !(node.kind() == "func_literal" && f.subject == "func literal")
        {
            return None;
        }
        let call = list.parent().filter(|c| c.kind() == "call_expression")?;
        let func = call.child_by_field_name("function").filter(|f| f.kind() == "selector_expression")?;
        let field = func.child_by_field_name("field")?;
        if !matches!(source.node_text(field), "Slice" | "SliceStable") {
            return None;
        }
        let args = named_args(list);
        let at = args.iter().position(|a| a.id() == node.id())?;
        (at == 0 || (at == 1 && node.kind() == "func_literal")).then(|| (call.start_byte(), call.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let src = site.source;
        let shape = Shape::parse(src, site.node())?;
        let file = site.file();
        let mut q = vec![Facts::expr_query(file, shape.func), Facts::expr_query(file, shape.xs)];
        for (n, key) in shape.keys.iter().enumerate() {
            q.push(Facts::expr_query(file, key.node));
            q.extend(key.len_fn.map(|f| Facts::expr_query(file, f)));
            if let Some((selector, operand)) = key.method {
                q.push(Facts::expr_query(file, selector));
                q.push(Facts::expr_query(file, operand));
            }
            if n > 0 {
                q.extend(key.steps.iter().map(|s| Facts::expr_query(file, *s)));
            }
        }
        q.extend(qualifier_queries(src, shape.call.start_byte(), "slices"));
        q.extend(qualifier_queries(src, shape.call.start_byte(), "cmp"));
        q.push(Query::Imports { file: file.to_path_buf() });
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let src = site.source;
        let file = site.file();
        let shape = Shape::parse(src, site.node())?;

        let minor = site.package.go_version().as_deref().and_then(GoVersion::go1_minor);
        let min = META.min_go.expect("sort-slice declares its minimum go version");
        match minor {
            Some(m) if m >= min => {}
            Some(m) => {
                return Err(Decline::new(
                    DeclineCode::GoVersionTooOld,
                    format!("the module says go 1.{m}: the slices and cmp packages need go 1.{min}"),
                ));
            }
            None => {
                return Err(Decline::new(
                    DeclineCode::GoVersionUnknown,
                    format!("the module's go version is unknown; slices and cmp need go 1.{min}"),
                ))
            }
        }
        if let Some(m) = minor.filter(|m| shape.keys.len() > 1 && *m < CMP_OR_MIN_GO) {
            return Err(Decline::new(
                DeclineCode::GoVersionTooOld,
                format!("the module says go 1.{m}: the less function has several keys, and cmp.Or needs go 1.{CMP_OR_MIN_GO}"),
            ));
        }

        let callee = facts
            .expr(file, shape.func.start_byte(), shape.func.end_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the callee"))?;
        let obj = callee
            .object
            .as_ref()
            .ok_or_else(|| Decline::new(DeclineCode::WrongCallee, "the callee is not a named function"))?;
        if obj.kind != "func" || obj.pkg != "sort" || !matches!(obj.name.as_str(), "Slice" | "SliceStable") {
            return Err(Decline::new(
                DeclineCode::WrongCallee,
                format!("{} is not sort.Slice or sort.SliceStable", src.node_text(shape.func)),
            ));
        }
        // sort.SliceStable and slices.SortStableFunc come from one template too: the same comparisons,
        // in the same order, and equal elements in input order.
        let (from, to) =
            if obj.name == "SliceStable" { ("SliceStable", "SortStableFunc") } else { ("Slice", "SortFunc") };

        let xs_text = src.node_text(shape.xs);
        let xs = facts
            .expr(file, shape.xs.start_byte(), shape.xs.end_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for `{xs_text}`")))?;
        if xs.side_effects {
            return Err(Decline::new(DeclineCode::EvaluatedTwice, format!("`{xs_text}` has side effects")));
        }
        if xs.type_param || !xs.underlying.starts_with("[]") {
            return Err(Decline::new(
                DeclineCode::WrongType,
                format!("`{xs_text}` is a {}, not a slice type slices.SortFunc accepts", or_unknown(&xs.ty)),
            ));
        }

        for (n, key) in shape.keys.iter().enumerate() {
            let key_text = src.node_text(key.node);
            let facts_of = |node: Node| {
                facts.expr(file, node.start_byte(), node.end_byte()).ok_or_else(|| {
                    Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for `{}`", src.node_text(node)))
                })
            };
            if let Some(f) = key.len_fn {
                if facts_of(f)?.mode != "builtin" {
                    return Err(Decline::new(DeclineCode::NotBuiltin, "`len` is not the builtin here"));
                }
            }
            check_key(key_text, facts_of(key.node)?)?;
            if let Some((selector, operand)) = key.method {
                check_method_key(src, &shape, key_text, facts_of(selector)?, facts_of(operand)?, operand)?;
            }
            // cmp.Or evaluates every key; the less function only looked at a later key when the earlier
            // ones were equal. A nil pointer on the way to a later key would panic where it did not.
            if n > 0 && key.asserted {
                return Err(Decline::new(
                    DeclineCode::EagerKeyDeref,
                    format!(
                        "`{key_text}` asserts a type: cmp.Or compares it even when earlier keys differ, where the less function \
                         never evaluated it (a value of another type would now panic)"
                    ),
                ));
            }
            if n > 0 {
                for step in &key.steps {
                    if facts_of(*step)?.pointer {
                        return Err(Decline::new(
                            DeclineCode::EagerKeyDeref,
                            format!(
                                "`{}` is a pointer: cmp.Or compares `{key_text}` even when earlier keys differ, \
                                 where the less function never dereferenced it (a nil pointer would now panic)",
                                src.node_text(*step)
                            ),
                        ));
                    }
                }
            }
        }

        let elem = element_type(xs)?;

        let mut add_imports = Vec::new();
        let (slices_q, add) = qualifier(facts, file, shape.call.start_byte(), "slices")?;
        if add {
            add_imports.push("slices".to_string());
        }
        let (cmp_q, add) = qualifier(facts, file, shape.call.start_byte(), "cmp")?;
        if add {
            add_imports.push("cmp".to_string());
        }
        // Names no spelled type or qualifier uses, nor the slice's path (a receiver `b` stays readable).
        let (a, b) = param_names(&[&elem, &slices_q, &cmp_q, xs_text]);

        let compare = shape.comparison(&cmp_q, &a, &b);
        let edits = vec![
            TextEdit { start: shape.func.start_byte(), end: shape.func.end_byte(), text: format!("{slices_q}.{to}") },
            TextEdit {
                start: shape.params.start_byte(),
                end: shape.params.end_byte(),
                text: format!("({a}, {b} {elem})"),
            },
            TextEdit { start: shape.result.start_byte(), end: shape.result.end_byte(), text: "int".to_string() },
            TextEdit { start: shape.replace.0, end: shape.replace.1, text: compare.clone() },
        ];
        let mut removed_uses = Vec::new();
        if let Some(op) = shape.func.child_by_field_name("operand").filter(|o| o.kind() == "identifier") {
            removed_uses.push(("sort".to_string(), op.start_byte()));
        }
        let keys: Vec<String> = shape
            .keys
            .iter()
            .map(|k| {
                let order = if k.ascending { "ascending" } else { "descending" };
                format!("`{}` ({order})", k.of(&format!("{xs_text}[i]")))
            })
            .collect();
        let order = if keys.len() == 1 {
            format!("The less function orders by {}, which cmp.Compare orders the same way", keys[0])
        } else {
            format!(
                "The less function orders lexicographically by {}, which cmp.Or of cmp.Compare per key orders the same way",
                keys.join(", then ")
            )
        };
        Ok(Proposal {
            edits,
            add_imports,
            removed_uses,
            title: format!(
                "sort.{from}({xs_text}, …{}…) → {slices_q}.{to}({xs_text}, …{}…)",
                one_line(&shape.less_text),
                one_line(&compare)
            ),
            explanation: if to == "SortFunc" {
                format!(
                    "sort.Slice boxes `{xs_text}` into an interface and builds a reflection-based swapper (2 allocations per call); \
                     slices.SortFunc is generic and allocates nothing. {order} for every pair of integer or string keys; \
                     both functions run the same pdqsort, so even equal elements end in the same order (neither promises a stable order).",
                )
            } else {
                format!(
                    "sort.SliceStable boxes `{xs_text}` into an interface and builds a reflection-based swapper (2 allocations per call); \
                     slices.SortStableFunc is generic and allocates nothing. {order} for every pair of integer or string keys; \
                     both are the same stable insertion sort and merge, making the same comparisons in the same order, and both keep \
                     equal elements in their input order.",
                )
            },
            expect_new: ExpectNew::Nothing,
        })
    }
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() {
        "?"
    } else {
        s
    }
}

/// A key that calls a method, `xs[i].M()`, keeps its behaviour when the comparison calls it on the
/// element the same number of times, in the same order, on the same receiver: the rewrite calls
/// `a.M()` then `b.M()` once per comparison exactly where the less function called `xs[i].M()` then
/// `xs[j].M()`. That holds for one key only (a lexicographic less calls a key again in its equality
/// guard, and cmp.Or calls later keys for pairs the less function never looked at them for), and for a
/// receiver the call does not take the address of (`a` is a copy of the element: a pointer method would
/// update the copy, where the less function updated the element in the slice).
fn check_method_key(
    src: &SourceFile,
    shape: &Shape,
    key_text: &str,
    method: &ExprFacts,
    operand: &ExprFacts,
    operand_node: Node,
) -> Result<(), Decline> {
    if shape.keys.len() > 1 {
        return Err(Decline::new(
            DeclineCode::EagerKeyCall,
            format!(
                "`{key_text}` calls a method in a less function with several keys: the less function calls it again in its \
                 equality guard, and cmp.Or calls every key's method for every pair, so a method with side effects, \
                 a cost or a panic would run a different number of times"
            ),
        ));
    }
    let sig = match &method.object {
        Some(o) if o.kind == "func" => o.signature.as_ref(),
        _ => None,
    };
    let Some(sig) = sig.filter(|s| !s.recv.is_empty() || s.recv_pointer) else {
        return Err(unsupported(format!(
            "`{key_text}` does not call a method (a field of function type, or no facts about the receiver)"
        )));
    };
    if operand.type_param {
        return Err(Decline::new(
            DeclineCode::WrongType,
            format!(
                "`{}` has a type-parameter type: its method set depends on the instance",
                src.node_text(operand_node)
            ),
        ));
    }
    if sig.recv_pointer && !operand.pointer {
        let operand_text = src.node_text(operand_node);
        return Err(Decline::new(
            DeclineCode::PointerReceiverKey,
            format!(
                "`{key_text}` has a pointer receiver and `{operand_text}` is not a pointer: the less function calls it on \
                 the element in the slice, the comparison function on a copy, so what the method writes through its \
                 receiver would no longer reach the slice"
            ),
        ));
    }
    Ok(())
}

fn check_key(text: &str, key: &ExprFacts) -> Result<(), Decline> {
    if key.type_param {
        return Err(Decline::new(DeclineCode::NanOrder, format!(
            "`{text}` has a type-parameter type: its type set may hold floats, whose NaN cmp.Compare orders differently from `<`"
        )));
    }
    match key.basic.as_str() {
        b if ORDERED.contains(&b) => Ok(()),
        "float32" | "float64" | "untyped float" => Err(Decline::new(DeclineCode::NanOrder, format!(
            "`{text}` is a {}: with NaN, `<` is not a strict weak order and cmp.Compare sorts NaN first, so the order would change",
            or_unknown(&key.ty)
        ))),
        _ => Err(Decline::new(DeclineCode::WrongType, format!("`{text}` is a {}, not an integer or string type", or_unknown(&key.ty)))),
    }
}

/// The element type as Go source valid at the call: the helper's `elem_type_src` (spelled with this
/// file's import names, "" when it cannot be written here). Older helpers only give `underlying`
/// (`[]T`, same-package names unqualified): then only a plain name or a pointer to one is accepted;
/// a name that means something else at the call fails to compile, because slices.SortFunc infers
/// its element type from the slice, and the verifier drops the fix.
fn element_type(xs: &ExprFacts) -> Result<String, Decline> {
    if !xs.elem_type_src.is_empty() {
        return Ok(xs.elem_type_src.clone());
    }
    let t = xs.underlying.strip_prefix("[]").unwrap_or("");
    if !xs.type_src.is_empty() || !is_identifier(t.strip_prefix('*').unwrap_or(t)) {
        return Err(Decline::new(
            DeclineCode::WrongType,
            format!("the element type {t} cannot be spelled at the call"),
        ));
    }
    Ok(t.to_string())
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic()) && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// Parameter names for the new comparison function that no spelled type or qualifier uses.
fn param_names(used: &[&str]) -> (String, String) {
    let words: Vec<&str> = used
        .iter()
        .flat_map(|s| s.split(|c: char| !(c == '_' || c.is_alphanumeric())))
        .filter(|w| !w.is_empty())
        .collect();
    for (a, b) in [("a", "b"), ("x", "y"), ("e1", "e2"), ("left", "right")] {
        if !words.contains(&a) && !words.contains(&b) {
            return (a.to_string(), b.to_string());
        }
    }
    ("stackifyA".to_string(), "stackifyB".to_string())
}

fn named_args(list: Node) -> Vec<Node> {
    let mut c = list.walk();
    list.named_children(&mut c).filter(|n| n.kind() != "comment").collect()
}

/// Code as this rule's reasons show it: on one line, never cut.
fn one_line(s: &str) -> String {
    text::one_line(s, usize::MAX)
}

/// One key of a (possibly lexicographic) less function: `xs[i].K` or `len(xs[i].K)`.
struct Key<'t> {
    /// The key as first written for `xs[i]`/`xs[j]` (asked about for its type).
    node: Node<'t>,
    /// The builtin `len` around the key path, when there is one (asked about: it must be the builtin).
    len_fn: Option<Node<'t>>,
    /// `.K` (may be empty for `xs[i] < xs[j]`, or a longer path `.A.B`).
    chain: String,
    /// Whether the less function orders `xs[i]` before `xs[j]` when this key is smaller.
    ascending: bool,
    /// Operands of the key's field selections below the element (`xs[i].A` in `xs[i].A.B`): each is
    /// dereferenced when it is a pointer.
    steps: Vec<Node<'t>>,
    /// A key that is a method's result, `xs[i].A.M()`: the selector `xs[i].A.M` (asked for the
    /// method's receiver) and its operand `xs[i].A` (asked whether it is a pointer).
    method: Option<(Node<'t>, Node<'t>)>,
    /// The key ends in a type assertion, `xs[i].A.(int)`: it panics on another dynamic type.
    asserted: bool,
}

impl Key<'_> {
    /// The key of element `e` as the comparison function writes it.
    fn of(&self, e: &str) -> String {
        match self.len_fn {
            Some(_) => format!("len({e}{})", self.chain),
            None => format!("{e}{}", self.chain),
        }
    }
    fn same(&self, other: &Key) -> bool {
        self.chain == other.chain && self.len_fn.is_some() == other.len_fn.is_some()
    }
}

/// The syntax of a rewritable `sort.Slice` call, checked without types.
struct Shape<'t> {
    call: Node<'t>,
    /// `sort.Slice`
    func: Node<'t>,
    /// The slice argument (a plain variable or field path).
    xs: Node<'t>,
    /// The less function's parameter list and result type.
    params: Node<'t>,
    result: Node<'t>,
    /// The span replaced by the comparison: the single `<`/`>` comparison of a one-key less function
    /// (the `return` stays), or every statement of a multi-key one.
    replace: (usize, usize),
    /// Whether `replace` is the whole body (so the replacement is a `return` statement).
    whole_body: bool,
    /// The keys in significance order; more than one means a lexicographic order (cmp.Or).
    keys: Vec<Key<'t>>,
    /// Whether the body spans several lines (the multi-key replacement then does too), and the
    /// indentation of its first statement.
    multiline: bool,
    indent: String,
    /// The source of the one-key comparison or of the whole multi-key body, for titles.
    less_text: String,
}

/// The parameters and slice a less function's keys must use.
struct Ctx<'a> {
    src: &'a SourceFile,
    xs_path: Vec<String>,
    pi: String,
    pj: String,
    /// `x, y := xs[i], xs[j]` at the top of the body: each name and the parameter it stands for.
    aliases: Vec<(String, String)>,
}

fn unsupported(reason: impl Into<String>) -> Decline {
    Decline::new(DeclineCode::UnsupportedLess, reason)
}

fn not_lexicographic(src: &SourceFile, n: Node) -> Decline {
    Decline::new(
        DeclineCode::NotLexicographic,
        format!(
            "`{}` is not a lexicographic order (each further key must be guarded by equality of all earlier keys): \
             it is not a strict weak order, and cmp.Or would sort differently",
            one_line(src.node_text(n))
        ),
    )
}

fn strip_parens(mut n: Node) -> Node {
    while n.kind() == "parenthesized_expression" {
        match n.named_child(0) {
            Some(inner) if n.named_child_count() == 1 => n = inner,
            _ => break,
        }
    }
    n
}

fn binary<'t>(src: &SourceFile, n: Node<'t>) -> Option<(Node<'t>, String, Node<'t>)> {
    let n = strip_parens(n);
    if n.kind() != "binary_expression" {
        return None;
    }
    let op = src.node_text(n.child_by_field_name("operator")?).to_string();
    Some((n.child_by_field_name("left")?, op, n.child_by_field_name("right")?))
}

/// `a || b || (c || d)` → [a, b, c, d] (through parentheses).
fn flatten<'t>(src: &SourceFile, n: Node<'t>, op: &str, out: &mut Vec<Node<'t>>) {
    match binary(src, n) {
        Some((l, o, r)) if o == op => {
            flatten(src, l, op, out);
            flatten(src, r, op, out);
        }
        _ => out.push(strip_parens(n)),
    }
}

impl<'a> Ctx<'a> {
    /// `xs[p].K` or `len(xs[p].K)` → the index parameter and the key.
    fn side<'t>(&self, n: Node<'t>) -> Option<(String, Key<'t>)> {
        let n = strip_parens(n);
        let (len_fn, inner) = if n.kind() == "call_expression" {
            let (func, args) = call_parts(n).ok()?;
            if func.kind() == "selector_expression" && args.is_empty() {
                return self.method_key(n, func);
            }
            if func.kind() != "identifier" || self.src.node_text(func) != "len" || args.len() != 1 {
                return None;
            }
            (Some(func), strip_parens(args[0]))
        } else {
            (None, n)
        };
        // `xs[i].A.(int)`: the assertion runs on the same value, once per side, as before.
        let (inner, assertion) = match inner.kind() {
            "type_assertion_expression" if len_fn.is_none() => {
                let ty = inner.child_by_field_name("type")?;
                (inner.child_by_field_name("operand")?, Some(format!(".({})", self.src.node_text(ty))))
            }
            _ => (inner, None),
        };
        let (index, chain, mut steps) = element_key(self.src, inner, &self.xs_path, &self.aliases)?;
        if assertion.is_some() && inner.kind() == "selector_expression" {
            steps.push(inner);
        }
        let asserted = assertion.is_some();
        let chain = chain + assertion.as_deref().unwrap_or("");
        Some((index, Key { node: n, len_fn, chain, ascending: true, steps, method: None, asserted }))
    }

    /// `xs[p].A.M()` (a method without arguments on an element key) → the index parameter and the key.
    fn method_key<'t>(&self, call: Node<'t>, selector: Node<'t>) -> Option<(String, Key<'t>)> {
        let operand = selector.child_by_field_name("operand")?;
        let name = self.src.node_text(selector.child_by_field_name("field")?);
        let (index, chain, mut steps) = element_key(self.src, operand, &self.xs_path, &self.aliases)?;
        if operand.kind() == "selector_expression" {
            steps.push(operand);
        }
        let chain = format!("{chain}.{name}()");
        Some((
            index,
            Key {
                node: call,
                len_fn: None,
                chain,
                ascending: true,
                steps,
                method: Some((selector, operand)),
                asserted: false,
            },
        ))
    }

    /// `L op R` with both sides the same key of the two elements, one indexed by each parameter:
    /// the key, its operator, and whether `i` is on the left.
    fn pair<'t>(&self, n: Node<'t>) -> Result<(Key<'t>, String, bool), Decline> {
        let text = || one_line(self.src.node_text(n));
        let (l, op, r) = binary(self.src, n).ok_or_else(|| unsupported(format!("`{}` is not a comparison", text())))?;
        let describe = |side: Node| {
            unsupported(format!(
                "`{}` is not an element of `{}` indexed by a parameter, followed by field names (or len of one, or a method call without arguments)",
                one_line(self.src.node_text(side)),
                self.xs_path.join(".")
            ))
        };
        let (li, lk) = self.side(l).ok_or_else(|| describe(l))?;
        let (ri, rk) = self.side(r).ok_or_else(|| describe(r))?;
        if !lk.same(&rk) {
            return Err(unsupported(format!("`{}` compares different keys", text())));
        }
        let i_left = match (li.as_str(), ri.as_str()) {
            (l, r) if l == self.pi && r == self.pj => true,
            (l, r) if l == self.pj && r == self.pi => false,
            _ => {
                return Err(unsupported(format!(
                    "`{}` does not index the slice by the two parameters, one on each side",
                    text()
                )))
            }
        };
        Ok((lk, op, i_left))
    }

    /// A strict `<`/`>` comparison of one key.
    fn less_atom<'t>(&self, n: Node<'t>) -> Result<Key<'t>, Decline> {
        let (mut k, op, i_left) = self.pair(n)?;
        k.ascending = match op.as_str() {
            "<" => i_left,
            ">" => !i_left,
            _ => {
                return Err(unsupported(format!(
                    "`{}` compares with `{op}`; only `<` and `>` are strict orders cmp.Compare can express",
                    one_line(self.src.node_text(n))
                )))
            }
        };
        Ok(k)
    }

    /// `==` (or `!=` for `want_eq == false`) of one key.
    fn eq_atom<'t>(&self, n: Node<'t>, want: &str) -> Option<Key<'t>> {
        self.pair(n).ok().filter(|(_, op, _)| op == want).map(|(k, _, _)| k)
    }

    /// `x, y := xs[i], xs[j]` (either order): the two names and the parameter each stands for.
    fn element_aliases(&self, decl: Node) -> Result<Vec<(String, String)>, Decline> {
        let shape = || unsupported(format!("`{}` is not `x, y := xs[i], xs[j]`", one_line(self.src.node_text(decl))));
        let list = |field: &str| -> Option<Vec<Node>> {
            let l = decl.child_by_field_name(field)?;
            let mut c = l.walk();
            Some(l.named_children(&mut c).filter(|n| n.kind() != "comment").collect())
        };
        let (names, values) = (list("left").ok_or_else(shape)?, list("right").ok_or_else(shape)?);
        if names.len() != 2 || values.len() != 2 {
            return Err(shape());
        }
        let mut out = Vec::new();
        for (n, v) in names.iter().zip(&values) {
            let name = self.src.node_text(*n).to_string();
            let (index, chain, _) = element_key(self.src, *v, &self.xs_path, &[]).ok_or_else(shape)?;
            let taken = [&self.pi, &self.pj].contains(&&name) || self.xs_path.first() == Some(&name) || name == "_";
            if n.kind() != "identifier" || !chain.is_empty() || taken {
                return Err(shape());
            }
            out.push((name, index));
        }
        if out[0].0 == out[1].0
            || out[0].1 == out[1].1
            || ![&self.pi, &self.pj].contains(&&out[0].1)
            || ![&self.pi, &self.pj].contains(&&out[1].1)
        {
            return Err(shape());
        }
        Ok(out)
    }

    /// A returned boolean expression that is a lexicographic less over its keys:
    /// `T0 || T1 || …` where `Tk` is `K0 == … && K(k-1) == … && C` and `C` is a `<`/`>` of the next key
    /// or, nested, another such expression (`A < || (A == && (B < || …))`).
    fn lex<'t>(&self, n: Node<'t>) -> Result<Vec<Key<'t>>, Decline> {
        let mut terms = Vec::new();
        flatten(self.src, n, "||", &mut terms);
        let mut keys: Vec<Key> = Vec::new();
        for term in terms {
            let mut atoms = Vec::new();
            flatten(self.src, term, "&&", &mut atoms);
            let last = atoms.pop().expect("flatten yields at least one node");
            if atoms.len() != keys.len() {
                return Err(not_lexicographic(self.src, n));
            }
            for (a, k) in atoms.iter().zip(&keys) {
                match self.eq_atom(*a, "==") {
                    Some(e) if e.same(k) => {}
                    Some(_) => return Err(not_lexicographic(self.src, n)),
                    None => {
                        return Err(unsupported(format!(
                            "`{}` is not an equality of one key of the two elements",
                            one_line(self.src.node_text(*a))
                        )))
                    }
                }
            }
            match binary(self.src, last) {
                Some((_, op, _)) if op == "||" => keys.extend(self.lex(last)?),
                _ => keys.push(self.less_atom(last)?),
            }
        }
        Ok(keys)
    }

    /// Leading `if` statements of a multi-key less function, each deciding by one key:
    /// `if K(i) != K(j) { return K(i) < K(j) }`, or the pair `if K(i) < K(j) { return true }`
    /// `if K(i) > K(j) { return false }`. Returns the keys and how many statements were used.
    fn if_steps<'t>(&self, stmts: &[Node<'t>]) -> Result<Vec<Key<'t>>, Decline> {
        let mut keys = Vec::new();
        let mut k = 0;
        while k < stmts.len() {
            let (cond, ret) = self.simple_if(stmts[k])?;
            if let Some(ne) = self.eq_atom(cond, "!=") {
                let key = self.less_atom(ret)?;
                if !key.same(&ne) {
                    return Err(not_lexicographic(self.src, stmts[k]));
                }
                keys.push(key);
                k += 1;
                continue;
            }
            // `if less { return true }` then `if greater { return false }`.
            let first = self.less_atom(cond)?;
            let second = stmts.get(k + 1).ok_or_else(|| not_lexicographic(self.src, stmts[k]))?;
            let (cond2, ret2) = self.simple_if(*second)?;
            let other = self.less_atom(cond2)?;
            let (t1, t2) = (self.src.node_text(ret), self.src.node_text(ret2));
            if !(other.same(&first) && other.ascending != first.ascending && t1 == "true" && t2 == "false") {
                return Err(not_lexicographic(self.src, stmts[k]));
            }
            keys.push(first);
            k += 2;
        }
        Ok(keys)
    }

    /// `if cond { return x }` (no initializer, no else) → (cond, x).
    fn simple_if<'t>(&self, stmt: Node<'t>) -> Result<(Node<'t>, Node<'t>), Decline> {
        let shape = || unsupported(format!("`{}` is not `if cond {{ return x }}`", one_line(self.src.node_text(stmt))));
        if stmt.kind() != "if_statement"
            || stmt.child_by_field_name("initializer").is_some()
            || stmt.child_by_field_name("alternative").is_some()
        {
            return Err(shape());
        }
        let cond = stmt.child_by_field_name("condition").ok_or_else(shape)?;
        let block = stmt.child_by_field_name("consequence").ok_or_else(shape)?;
        let [ret] = block_statements(block)[..] else { return Err(shape()) };
        Ok((cond, returned(ret).ok_or_else(shape)?))
    }
}

/// The single expression a `return` statement returns.
fn returned(ret: Node) -> Option<Node> {
    if ret.kind() != "return_statement" {
        return None;
    }
    let mut c = ret.walk();
    let exprs: Vec<Node> = ret
        .named_children(&mut c)
        .flat_map(|l| {
            let mut c2 = l.walk();
            if l.kind() == "expression_list" {
                l.named_children(&mut c2).collect::<Vec<_>>()
            } else {
                vec![l]
            }
        })
        .collect();
    match exprs[..] {
        [e] => Some(e),
        _ => None,
    }
}

impl<'t> Shape<'t> {
    fn parse(src: &SourceFile, call: Node<'t>) -> Result<Self, Decline> {
        let (func, args) = call_parts(call)?;
        if has_comment(call) {
            return Err(Decline::new(
                DeclineCode::DropsComment,
                "the call contains a comment that the rewrite could misplace",
            ));
        }
        let [xs, less] = args[..] else {
            return Err(Decline::new(
                DeclineCode::ShapeMismatch,
                "sort.Slice is not called with exactly two arguments",
            ));
        };
        let xs_path = plain_path(src, xs).ok_or_else(|| Decline::new(DeclineCode::UnsupportedLess, {
            format!("the slice `{}` is not a plain variable or field path, so the less function cannot be read as comparing its elements", one_line(src.node_text(xs)))
        }))?;
        if less.kind() != "func_literal" {
            return Err(Decline::new(DeclineCode::UnsupportedLess, "the less function is not a function literal"));
        }
        let params = less
            .child_by_field_name("parameters")
            .ok_or_else(|| Decline::new(DeclineCode::UnsupportedLess, "less function without parameters"))?;
        let result = less
            .child_by_field_name("result")
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "less function without a result"))?;
        let body = less
            .child_by_field_name("body")
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "less function without a body"))?;
        let names = param_names_of(src, params).ok_or_else(|| {
            Decline::new(DeclineCode::UnsupportedLess, "the less function's parameters are not two named ints")
        })?;
        let (pi, pj) = (names.0, names.1);
        if pi == "_" || pj == "_" || pi == pj {
            return Err(Decline::new(
                DeclineCode::UnsupportedLess,
                "the less function does not name both index parameters",
            ));
        }
        if xs_path.first().is_some_and(|r| *r == pi || *r == pj) {
            return Err(Decline::new(DeclineCode::UnsupportedLess, "a less-function parameter shadows the slice"));
        }
        let mut ctx = Ctx { src, xs_path, pi, pj, aliases: Vec::new() };
        let stmts = block_statements(body);
        let (last, leading) = stmts.split_last().ok_or_else(|| unsupported("the less function is empty"))?;
        let expr = returned(*last)
            .ok_or_else(|| unsupported("the less function does not end in a return of one expression"))?;
        let leading = match leading.split_first() {
            Some((decl, rest)) if decl.kind() == "short_var_declaration" => {
                ctx.aliases = ctx.element_aliases(*decl)?;
                rest
            }
            _ => leading,
        };
        let mut keys = ctx.if_steps(leading)?;
        keys.extend(ctx.lex(expr)?);
        let first = stmts[0];
        // One key compared in place keeps the `return`; anything else replaces the whole body.
        let whole_body = keys.len() > 1 || !ctx.aliases.is_empty();
        let replace =
            if whole_body { (first.start_byte(), last.end_byte()) } else { (expr.start_byte(), expr.end_byte()) };
        let line_start = src.text[..first.start_byte()].rfind('\n').map_or(0, |p| p + 1);
        let indent: String =
            src.text[line_start..first.start_byte()].chars().take_while(|c| c.is_whitespace()).collect();
        Ok(Shape {
            call,
            func,
            xs,
            params,
            result,
            replace,
            whole_body,
            multiline: body.start_position().row != body.end_position().row,
            indent,
            less_text: src.text[replace.0..replace.1].to_string(),
            keys,
        })
    }

    /// The comparison that replaces `replace`, with `a`, `b` the new parameters.
    fn comparison(&self, cmp_q: &str, a: &str, b: &str) -> String {
        let compares: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let (first, second) = if k.ascending { (a, b) } else { (b, a) };
                format!("{cmp_q}.Compare({}, {})", k.of(first), k.of(second))
            })
            .collect();
        match &compares[..] {
            [one] if self.whole_body => format!("return {one}"),
            [one] => one.clone(),
            _ if self.multiline => {
                let ind = &self.indent;
                let lines: String = compares.iter().map(|c| format!("{ind}\t{c},\n")).collect();
                format!("return {cmp_q}.Or(\n{lines}{ind})")
            }
            _ => format!("return {cmp_q}.Or({})", compares.join(", ")),
        }
    }
}

/// `(i, j int)` or `(i int, j int)` → the two names.
fn param_names_of(src: &SourceFile, params: Node) -> Option<(String, String)> {
    let mut c = params.walk();
    let decls: Vec<Node> = params.named_children(&mut c).filter(|n| n.kind() != "comment").collect();
    let mut names = Vec::new();
    for d in decls {
        if d.kind() != "parameter_declaration" {
            return None;
        }
        let ty = d.child_by_field_name("type")?;
        if src.node_text(ty) != "int" {
            return None;
        }
        let mut c2 = d.walk();
        names.extend(d.children_by_field_name("name", &mut c2).map(|n| src.node_text(n).to_string()));
    }
    (names.len() == 2).then(|| (names[0].clone(), names[1].clone()))
}

/// `xs[i].A.B` → (`i`, `.A.B`, [`xs[i].A`]), when `xs` is the slice's path and `i` an identifier;
/// with `aliases` (`x` standing for `xs[i]`), `x.A.B` → (`i`, `.A.B`, [`x.A`]) too.
fn element_key<'t>(
    src: &SourceFile,
    node: Node<'t>,
    xs_path: &[String],
    aliases: &[(String, String)],
) -> Option<(String, String, Vec<Node<'t>>)> {
    let mut fields = Vec::new();
    let mut steps = Vec::new();
    let mut n = node;
    while n.kind() == "selector_expression" {
        fields.push(src.node_text(n.child_by_field_name("field")?).to_string());
        n = n.child_by_field_name("operand")?;
        if n.kind() == "selector_expression" {
            steps.push(n);
        }
    }
    fields.reverse();
    let chain: String = fields.iter().map(|f| format!(".{f}")).collect();
    if n.kind() == "identifier" {
        let (_, index) = aliases.iter().find(|(name, _)| name == src.node_text(n))?;
        return Some((index.clone(), chain, steps));
    }
    if n.kind() != "index_expression" {
        return None;
    }
    let operand = n.child_by_field_name("operand")?;
    let index = n.child_by_field_name("index")?;
    if plain_path(src, operand)? != xs_path || index.kind() != "identifier" {
        return None;
    }
    Some((src.node_text(index).to_string(), chain, steps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// `Shape::parse` of the `sort.Slice` call in a function whose body is `body`, seen by `f`.
    fn with_shape<R>(body: &str, f: impl FnOnce(Result<Shape<'_>, Decline>) -> R) -> R {
        let text = format!("package p\n\nfunc f() {{\n\t{body}\n}}\n");
        let src = SourceFile::parse(Path::new("a.go"), text).unwrap();
        let off = src.text.find("sort.Slice").unwrap();
        let mut call = src.smallest_node_at(off).unwrap();
        while call.kind() != "call_expression" {
            call = call.parent().unwrap();
        }
        f(Shape::parse(&src, call))
    }

    fn shape_of(body: &str) -> Result<(String, bool), Decline> {
        with_shape(body, |s| s.map(|s| (s.keys[0].chain.clone(), s.keys[0].ascending)))
    }

    /// Keys as `.K+`/`.K-` (`len.K` for len), and the comparison the rewrite writes.
    fn keys_of(body: &str) -> Result<(Vec<String>, String), Decline> {
        with_shape(body, |s| {
            let s = s?;
            let keys = s
                .keys
                .iter()
                .map(|k| {
                    format!(
                        "{}{}{}",
                        if k.len_fn.is_some() { "len" } else { "" },
                        k.chain,
                        if k.ascending { "+" } else { "-" }
                    )
                })
                .collect();
            Ok((keys, s.comparison("cmp", "a", "b")))
        })
    }

    #[test]
    fn method_keys() {
        assert_eq!(
            keys_of("sort.Slice(xs, func(i, j int) bool { return xs[i].Key() < xs[j].Key() })").unwrap(),
            (vec![".Key()+".into()], "cmp.Compare(a.Key(), b.Key())".into())
        );
        assert_eq!(
            keys_of("sort.Slice(xs, func(i, j int) bool { return xs[j].P.Name() < xs[i].P.Name() })").unwrap(),
            (vec![".P.Name()-".into()], "cmp.Compare(b.P.Name(), a.P.Name())".into())
        );
        // Arguments, different methods, and a method of something other than the element are not keys.
        let code = |body: &str| keys_of(body).unwrap_err().code;
        assert_eq!(
            code("sort.Slice(xs, func(i, j int) bool { return xs[i].At(0) < xs[j].At(0) })"),
            DeclineCode::UnsupportedLess
        );
        assert_eq!(
            code("sort.Slice(xs, func(i, j int) bool { return xs[i].A() < xs[j].B() })"),
            DeclineCode::UnsupportedLess
        );
        assert_eq!(
            code("sort.Slice(xs, func(i, j int) bool { return ys[i].A() < ys[j].A() })"),
            DeclineCode::UnsupportedLess
        );
    }

    #[test]
    fn asserted_keys() {
        assert_eq!(
            keys_of("sort.Slice(xs, func(i, j int) bool { return xs[i].V.(int) < xs[j].V.(int) })").unwrap(),
            (vec![".V.(int)+".into()], "cmp.Compare(a.V.(int), b.V.(int))".into())
        );
        assert_eq!(
            keys_of("sort.Slice(xs, func(i, j int) bool { return xs[j].(string) < xs[i].(string) })").unwrap(),
            (vec![".(string)-".into()], "cmp.Compare(b.(string), a.(string))".into())
        );
        // Different asserted types are different keys.
        let code = |body: &str| keys_of(body).unwrap_err().code;
        assert_eq!(
            code("sort.Slice(xs, func(i, j int) bool { return xs[i].(int) < xs[j].(int64) })"),
            DeclineCode::UnsupportedLess
        );
    }

    #[test]
    fn multi_key_shapes() {
        let ok = |body: &str| keys_of(body).unwrap().0;
        let code = |body: &str| keys_of(body).unwrap_err().code;
        assert_eq!(
            keys_of("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A || (xs[i].A == xs[j].A && xs[i].B > xs[j].B) })")
                .unwrap(),
            (vec![".A+".into(), ".B-".into()], "return cmp.Or(cmp.Compare(a.A, b.A), cmp.Compare(b.B, a.B))".into())
        );
        // Nested and flat chains of three keys.
        let three = vec![".A+".to_string(), ".B+".into(), "len.C-".into()];
        assert_eq!(ok("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A || xs[i].A == xs[j].A && (xs[i].B < xs[j].B || xs[j].B == xs[i].B && len(xs[j].C) < len(xs[i].C)) })"), three);
        assert_eq!(ok("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A || xs[i].A == xs[j].A && xs[i].B < xs[j].B || xs[i].A == xs[j].A && xs[i].B == xs[j].B && len(xs[i].C) > len(xs[j].C) })"), three);
        // if-forms.
        let (keys, cmp) = keys_of(
            "sort.Slice(xs, func(i, j int) bool {
		if xs[i].A != xs[j].A {
			return xs[i].A < xs[j].A
		}
		return xs[i].B > xs[j].B
	})",
        )
        .unwrap();
        assert_eq!(keys, vec![".A+".to_string(), ".B-".into()]);
        assert_eq!(cmp, "return cmp.Or(\n\t\t\tcmp.Compare(a.A, b.A),\n\t\t\tcmp.Compare(b.B, a.B),\n\t\t)");
        assert_eq!(
            ok("sort.Slice(xs, func(i, j int) bool {
		if xs[i].A < xs[j].A {
			return true
		}
		if xs[i].A > xs[j].A {
			return false
		}
		return xs[i].B < xs[j].B
	})"),
            vec![".A+".to_string(), ".B+".into()]
        );
        // `x, y := xs[i], xs[j]` first: the whole body is replaced, even for one key.
        assert_eq!(
            keys_of("sort.Slice(xs, func(i, j int) bool { x, y := xs[i], xs[j]; return y.A < x.A })").unwrap(),
            (vec![".A-".into()], "return cmp.Compare(b.A, a.A)".into())
        );
        assert_eq!(
            ok("sort.Slice(xs, func(i, j int) bool {\n\t\tp, q := xs[j], xs[i]\n\t\tif p.A != q.A {\n\t\t\treturn q.A < p.A\n\t\t}\n\t\treturn len(q.B.C) > len(p.B.C)\n\t})"),
            vec![".A+".to_string(), "len.B.C-".into()]
        );
        for bad in [
            "x, y := xs[i], xs[i]",
            "x, x := xs[i], xs[j]",
            "x, y := xs[i].P, xs[j].P",
            "xs, y := xs[i], xs[j]",
            "i, y := xs[i], xs[j]",
            "x, y := ys[i], ys[j]",
            "x := xs[i]",
        ] {
            let body = format!("sort.Slice(xs, func(i, j int) bool {{ {bad}; return x.A < y.A }})");
            assert!(keys_of(&body).is_err(), "{bad}");
        }
        // Not lexicographic: a later key without the equality guard, or guarded by another key.
        assert_eq!(
            code("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A || xs[i].B < xs[j].B })"),
            DeclineCode::NotLexicographic
        );
        assert_eq!(code("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A || xs[i].B == xs[j].B && xs[i].C < xs[j].C })"), DeclineCode::NotLexicographic);
        assert_eq!(
            code("sort.Slice(xs, func(i, j int) bool { return xs[i].A == xs[j].A && xs[i].B < xs[j].B })"),
            DeclineCode::NotLexicographic
        );
        assert_eq!(
            code(
                "sort.Slice(xs, func(i, j int) bool {
		if xs[i].A != xs[j].A {
			return xs[i].B < xs[j].B
		}
		return xs[i].B < xs[j].B
	})"
            ),
            DeclineCode::NotLexicographic
        );
        assert_eq!(
            code(
                "sort.Slice(xs, func(i, j int) bool {
		if xs[i].A < xs[j].A {
			return true
		}
		return xs[i].B < xs[j].B
	})"
            ),
            DeclineCode::NotLexicographic
        );
        // Unsupported: `!=` in the chain, a call, i/j on one side only (and && of two orders is not lexicographic).
        assert_eq!(code("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A || xs[i].A != xs[j].A && xs[i].B < xs[j].B })"), DeclineCode::UnsupportedLess);
        // A method key in a chain parses; `propose` declines it (`eager-key-call`) once it knows it is a method.
        assert_eq!(ok("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A || xs[i].A == xs[j].A && xs[i].K() < xs[j].K() })"), vec![".A+".to_string(), ".K()+".into()]);
        assert_eq!(code("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A || xs[i].A == xs[j].A && xs[i].B < xs[i].B })"), DeclineCode::UnsupportedLess);
        assert_eq!(
            code("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A && xs[i].B < xs[j].B })"),
            DeclineCode::NotLexicographic
        );
        assert_eq!(code("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A || xs[i].A == xs[j].A && f(xs[i].B) < f(xs[j].B) })"), DeclineCode::UnsupportedLess);
    }

    #[test]
    fn shapes() {
        assert_eq!(
            shape_of("sort.Slice(xs, func(i, j int) bool { return xs[i].Age < xs[j].Age })").unwrap(),
            (".Age".into(), true)
        );
        assert_eq!(
            shape_of("sort.Slice(xs, func(i, j int) bool { return xs[i].Age > xs[j].Age })").unwrap(),
            (".Age".into(), false)
        );
        assert_eq!(
            shape_of("sort.Slice(xs, func(i, j int) bool { return xs[j].Age < xs[i].Age })").unwrap(),
            (".Age".into(), false)
        );
        assert_eq!(
            shape_of("sort.Slice(xs, func(a int, b int) bool { return xs[b] > xs[a] })").unwrap(),
            ("".into(), true)
        );
        assert_eq!(
            shape_of("sort.Slice(s.items, func(i, j int) bool {\n\t\treturn s.items[i].A.B < s.items[j].A.B\n\t})")
                .unwrap(),
            (".A.B".into(), true)
        );
        assert!(shape_of("sort.Slice(xs, func(i, j int) bool { return xs[i].Age <= xs[j].Age })").is_err());
        assert!(shape_of("sort.Slice(xs, func(i, j int) bool { return ys[i].Age < ys[j].Age })").is_err());
        assert!(shape_of("sort.Slice(xs[1:], func(i, j int) bool { return xs[i] < xs[j] })").is_err());
        assert!(shape_of("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].B })").is_err());
        assert!(shape_of("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[i].A })").is_err());
        assert!(shape_of("sort.Slice(xs, func(i, j int) bool { return xs[i].Key(1) < xs[j].Key(1) })").is_err());
        assert!(shape_of("sort.Slice(xs, func(i, j int) bool { return xs[i].A < xs[j].A /* why */ })").is_err());
        assert!(shape_of("sort.Slice(xs, less)").is_err());
    }

    #[test]
    fn parameter_names() {
        assert_eq!(param_names(&["P", "slices", "cmp"]), ("a".into(), "b".into()));
        assert_eq!(param_names(&["*a", "slices", "cmp"]), ("x".into(), "y".into()));
    }

    #[test]
    fn keys() {
        let k = |basic: &str| ExprFacts { found: true, basic: basic.into(), ty: basic.into(), ..Default::default() };
        assert!(check_key("k", &k("int")).is_ok());
        assert!(check_key("k", &k("string")).is_ok());
        assert!(check_key("k", &k("uint8")).is_ok());
        assert!(check_key("k", &k("float64")).unwrap_err().code == DeclineCode::NanOrder);
        assert!(check_key("k", &k("bool")).is_err());
        assert!(check_key("k", &k("")).is_err());
        let mut tp = k("");
        tp.type_param = true;
        assert!(check_key("k", &tp).is_err());
    }
}
