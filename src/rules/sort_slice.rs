//! `sort-slice`: `sort.Slice(xs, func(i, j int) bool { return xs[i].K < xs[j].K })` →
//! `slices.SortFunc(xs, func(a, b T) int { return cmp.Compare(a.K, b.K) })`.
//!
//! sort.Slice takes `any`, so the slice header is boxed (`xs escapes to heap`, and the caller's slice
//! leaks), and it builds a reflect-based swapper: two allocations per call. slices.SortFunc is generic:
//! nothing is boxed and nothing is allocated.
//!
//! Only a less function that is exactly one `<`/`>` comparison of the same key of `xs[i]` and `xs[j]`
//! is rewritten, and only when the key is an integer or string type: for those, `less(i, j)` and
//! `cmp.Compare(..) < 0` agree on every pair, and because sort.Slice and slices.SortFunc run the same
//! pdqsort (both generated from one template in the Go tree) they even produce the same permutation of
//! equal elements — neither promises one, and sort.SliceStable (which does) is never touched. Floats
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
        "sort.Slice with a one-key less function → slices.SortFunc with cmp.Compare (integer and string keys, go1.21+)",
    doc: "rules/sort-slice.md",
    min_go: Some(21),
    fixture: "fixtures/sort-slice",
};

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
        if source.node_text(field) != "Slice" {
            return None;
        }
        let (_, args) = call_parts(call).ok()?;
        let at = args.iter().position(|a| a.id() == node.id())?;
        (at == 0 || (at == 1 && node.kind() == "func_literal")).then(|| (call.start_byte(), call.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let src = site.source;
        let shape = Shape::parse(src, site.node())?;
        let file = site.file();
        let mut q = vec![
            Facts::expr_query(file, shape.func),
            Facts::expr_query(file, shape.xs),
            Facts::expr_query(file, shape.key_left),
        ];
        q.extend(qualifier_queries(src, shape.call.start_byte(), "slices"));
        q.extend(qualifier_queries(src, shape.call.start_byte(), "cmp"));
        q.push(Query::Imports { file: file.to_path_buf() });
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let src = site.source;
        let file = site.file();
        let shape = Shape::parse(src, site.node())?;

        match site.package.go_version().as_deref().and_then(GoVersion::go1_minor) {
            Some(m) if m >= 21 => {}
            Some(m) => {
                return Err(Decline::new(
                    DeclineCode::GoVersionTooOld,
                    format!("the module says go 1.{m}: the slices and cmp packages need go 1.21"),
                ));
            }
            None => {
                return Err(Decline::new(
                    DeclineCode::GoVersionUnknown,
                    "the module's go version is unknown; slices and cmp need go 1.21",
                ))
            }
        }

        let callee = facts
            .expr(file, shape.func.start_byte(), shape.func.end_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the callee"))?;
        let obj = callee
            .object
            .as_ref()
            .ok_or_else(|| Decline::new(DeclineCode::WrongCallee, "the callee is not a named function"))?;
        if obj.kind != "func" || obj.pkg != "sort" || obj.name != "Slice" {
            return Err(Decline::new(
                DeclineCode::WrongCallee,
                format!("{} is not sort.Slice", src.node_text(shape.func)),
            ));
        }

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

        let key_text = src.node_text(shape.key_left);
        let key = facts
            .expr(file, shape.key_left.start_byte(), shape.key_left.end_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for `{key_text}`")))?;
        check_key(key_text, key)?;

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

        let (first, second) = if shape.ascending { (&a, &b) } else { (&b, &a) };
        let compare = format!("{cmp_q}.Compare({first}{chain}, {second}{chain})", chain = shape.chain);
        let edits = vec![
            TextEdit {
                start: shape.func.start_byte(),
                end: shape.func.end_byte(),
                text: format!("{slices_q}.SortFunc"),
            },
            TextEdit {
                start: shape.params.start_byte(),
                end: shape.params.end_byte(),
                text: format!("({a}, {b} {elem})"),
            },
            TextEdit { start: shape.result.start_byte(), end: shape.result.end_byte(), text: "int".to_string() },
            TextEdit { start: shape.comparison.start_byte(), end: shape.comparison.end_byte(), text: compare.clone() },
        ];
        let mut removed_uses = Vec::new();
        if let Some(op) = shape.func.child_by_field_name("operand").filter(|o| o.kind() == "identifier") {
            removed_uses.push(("sort".to_string(), op.start_byte()));
        }
        let order = if shape.ascending { "ascending" } else { "descending" };
        Ok(Proposal {
            edits,
            add_imports,
            removed_uses,
            title: format!(
                "sort.Slice({xs_text}, …{}…) → {slices_q}.SortFunc({xs_text}, …{compare}…)",
                one_line(src.node_text(shape.comparison))
            ),
            explanation: format!(
                "sort.Slice boxes `{xs_text}` into an interface and builds a reflection-based swapper (2 allocations per call); \
                 slices.SortFunc is generic and allocates nothing. The less function compares `{key_text}` ({ty}, {order}) with `{op}`, \
                 which cmp.Compare orders the same way for every pair of {kind} values; both functions run the same pdqsort, \
                 so even equal elements end in the same order (neither promises a stable order).",
                ty = or_unknown(&key.ty),
                op = shape.operator,
                kind = if key.basic == "string" { "string" } else { "integer" },
            ),
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

/// Code as this rule's reasons show it: on one line, never cut.
fn one_line(s: &str) -> String {
    text::one_line(s, usize::MAX)
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
    /// The `<`/`>` comparison that is the whole body.
    comparison: Node<'t>,
    /// `xs[i].K` of the comparison (its left operand).
    key_left: Node<'t>,
    /// `.K` (may be empty for `xs[i] < xs[j]`, or a longer path `.A.B`).
    chain: String,
    operator: String,
    /// Whether the result orders `xs[i]` before `xs[j]` when its key is smaller.
    ascending: bool,
}

impl<'t> Shape<'t> {
    fn parse(src: &SourceFile, call: Node<'t>) -> Result<Self, Decline> {
        // The shared splitter declines a spread `xs...` as spread-arguments before the comment
        // check; sort.Slice is not variadic, so such a call cannot compile and no fixture changes.
        let (func, args) = call_parts(call)?;
        if has_comment(call) {
            return Err(Decline::new(
                DeclineCode::DropsComment,
                "the call contains a comment that the rewrite could misplace",
            ));
        }
        if args.len() != 2 {
            return Err(Decline::new(
                DeclineCode::ShapeMismatch,
                "sort.Slice is not called with exactly two arguments",
            ));
        }
        let (xs, less) = (args[0], args[1]);
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
        let (pi, pj) = (names.0.as_str(), names.1.as_str());
        if pi == "_" || pj == "_" || pi == pj {
            return Err(Decline::new(
                DeclineCode::UnsupportedLess,
                "the less function does not name both index parameters",
            ));
        }
        if xs_path.first().is_some_and(|r| r == pi || r == pj) {
            return Err(Decline::new(DeclineCode::UnsupportedLess, "a less-function parameter shadows the slice"));
        }
        let stmts = block_statements(body);
        let [ret] = stmts.as_slice() else {
            return Err(Decline::new(
                DeclineCode::UnsupportedLess,
                "the less function is not a single return statement (multi-key comparisons are not rewritten)",
            ));
        };
        if ret.kind() != "return_statement" {
            return Err(Decline::new(
                DeclineCode::UnsupportedLess,
                "the less function is not a single return statement",
            ));
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
        let [comparison] = exprs.as_slice() else {
            return Err(Decline::new(DeclineCode::UnsupportedLess, "the less function does not return one expression"));
        };
        let comparison = *comparison;
        if comparison.kind() != "binary_expression" {
            return Err(Decline::new(
                DeclineCode::UnsupportedLess,
                "the less function does not return a single `<` or `>` comparison",
            ));
        }
        let operator =
            comparison.child_by_field_name("operator").map(|o| src.node_text(o).to_string()).unwrap_or_default();
        if operator != "<" && operator != ">" {
            return Err(Decline::new(DeclineCode::UnsupportedLess, format!(
                "the less function compares with `{operator}`; only `<` and `>` are strict orders cmp.Compare can express"
            )));
        }
        let left = comparison
            .child_by_field_name("left")
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "comparison without a left operand"))?;
        let right = comparison
            .child_by_field_name("right")
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "comparison without a right operand"))?;
        let (li, lchain) = element_key(src, left, &xs_path).ok_or_else(|| {
            Decline::new(DeclineCode::UnsupportedLess, {
                format!(
                    "`{}` is not an element of `{}` indexed by a parameter, followed by field names",
                    one_line(src.node_text(left)),
                    src.node_text(xs)
                )
            })
        })?;
        let (ri, rchain) = element_key(src, right, &xs_path).ok_or_else(|| {
            Decline::new(DeclineCode::UnsupportedLess, {
                format!(
                    "`{}` is not an element of `{}` indexed by a parameter, followed by field names",
                    one_line(src.node_text(right)),
                    src.node_text(xs)
                )
            })
        })?;
        if lchain != rchain {
            return Err(Decline::new(DeclineCode::UnsupportedLess, "the two sides compare different keys"));
        }
        let ascending = match (li.as_str(), ri.as_str(), operator.as_str()) {
            (l, r, "<") if l == pi && r == pj => true,
            (l, r, ">") if l == pj && r == pi => true,
            (l, r, ">") if l == pi && r == pj => false,
            (l, r, "<") if l == pj && r == pi => false,
            _ => {
                return Err(Decline::new(
                    DeclineCode::UnsupportedLess,
                    "the comparison does not index the slice by the two parameters, one on each side",
                ))
            }
        };
        Ok(Shape { call, func, xs, params, result, comparison, key_left: left, chain: lchain, operator, ascending })
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

/// `xs[i].A.B` → (`i`, `.A.B`), when `xs` is the slice's path and `i` an identifier.
fn element_key(src: &SourceFile, node: Node, xs_path: &[String]) -> Option<(String, String)> {
    let mut fields = Vec::new();
    let mut n = node;
    while n.kind() == "selector_expression" {
        fields.push(src.node_text(n.child_by_field_name("field")?).to_string());
        n = n.child_by_field_name("operand")?;
    }
    if n.kind() != "index_expression" {
        return None;
    }
    let operand = n.child_by_field_name("operand")?;
    let index = n.child_by_field_name("index")?;
    if plain_path(src, operand)? != xs_path || index.kind() != "identifier" {
        return None;
    }
    fields.reverse();
    let chain: String = fields.iter().map(|f| format!(".{f}")).collect();
    Some((src.node_text(index).to_string(), chain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn shape_of(body: &str) -> Result<(String, bool), Decline> {
        let text = format!("package p\n\nfunc f() {{\n\t{body}\n}}\n");
        let src = SourceFile::parse(Path::new("a.go"), text).unwrap();
        let off = src.text.find("sort.Slice").unwrap();
        let mut call = src.smallest_node_at(off).unwrap();
        while call.kind() != "call_expression" {
            call = call.parent().unwrap();
        }
        Shape::parse(&src, call).map(|s| (s.chain, s.ascending))
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
        assert!(shape_of("sort.Slice(xs, func(i, j int) bool { return xs[i].Key() < xs[j].Key() })").is_err());
        assert!(shape_of("sort.Slice(xs, func(i, j int) bool {\n\t\tif xs[i].A != xs[j].A {\n\t\t\treturn xs[i].A < xs[j].A\n\t\t}\n\t\treturn xs[i].B < xs[j].B\n\t})").is_err());
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
