//! Write detection by syntax: which names a piece of code assigns, increments, takes the address of
//! or redeclares. A guess the rules check against the helper's uses facts where it matters; each
//! function states how wide its net is, because the rules rely on the exact width.

use crate::source::SourceFile;
use crate::syntax::names::{identifier_offsets, root_name};
use crate::syntax::walk::{descendants, items};
use std::collections::BTreeSet;
use tree_sitter::Node;

/// Names assigned, incremented, address-taken or (re)declared anywhere under `n`.
pub fn written_names(src: &SourceFile, n: Node) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for d in descendants(n) {
        let targets: Vec<Node> = match d.kind() {
            "assignment_statement" | "short_var_declaration" => {
                d.child_by_field_name("left").map(items).unwrap_or_default()
            }
            "inc_statement" | "dec_statement" => items(d),
            "unary_expression" if d.child_by_field_name("operator").is_some_and(|o| o.kind() == "&") => {
                d.child_by_field_name("operand").into_iter().collect()
            }
            "range_clause" => d.child_by_field_name("left").map(items).unwrap_or_default(),
            "var_spec" => {
                let mut c = d.walk();
                d.children_by_field_name("name", &mut c).collect()
            }
            _ => vec![],
        };
        for t in targets {
            if let Some(r) = root_name(src, t) {
                out.insert(r.to_string());
            }
        }
    }
    out
}

/// Whether `name` is visibly assigned, incremented or has its address taken inside `closure`
/// (syntax only: a hint for grouping; the uses facts decide).
pub fn obviously_written(src: &SourceFile, closure: Node, name: &str) -> bool {
    for off in identifier_offsets(closure, name, src) {
        let Some(mut cur) = src.smallest_node_at(off) else { continue };
        while let Some(p) = cur.parent() {
            let operand = p.child_by_field_name("operand") == Some(cur);
            if matches!(p.kind(), "selector_expression" | "index_expression") && operand
                || p.kind() == "parenthesized_expression"
            {
                cur = p;
            } else {
                break;
            }
        }
        let Some(p) = cur.parent() else { continue };
        match p.kind() {
            "inc_statement" | "dec_statement" => return true,
            "unary_expression" if p.child_by_field_name("operator").is_some_and(|o| o.kind() == "&") => return true,
            "expression_list" => {
                if let Some(a) = p.parent().filter(|a| a.kind() == "assignment_statement") {
                    if a.child_by_field_name("left") == Some(p) {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

pub fn op_token<'a>(src: &'a SourceFile, stmt: Node) -> &'a str {
    stmt.child_by_field_name("operator").map(|o| src.node_text(o)).unwrap_or("")
}

/// The assignment `s = append(s, …)` whose left side is `left_id`, and `s`.
pub fn self_append_stmt<'t>(src: &SourceFile, left_id: Node<'t>) -> Option<(Node<'t>, String)> {
    let list = left_id.parent().filter(|l| l.kind() == "expression_list")?;
    let stmt = list.parent().filter(|s| s.kind() == "assignment_statement")?;
    if items(list).len() != 1 || op_token(src, stmt) != "=" {
        return None;
    }
    let right = items(stmt.child_by_field_name("right")?);
    let [call] = right.as_slice() else { return None };
    let name = self_append_call(src, *call)?;
    (name == src.node_text(left_id)).then_some((stmt, name))
}

/// For a call `append(s, …)` that is the whole right side of `s = …`: `s`.
pub fn self_append_call(src: &SourceFile, call: Node) -> Option<String> {
    if call.kind() != "call_expression"
        || call.child_by_field_name("function").map(|f| src.node_text(f)) != Some("append")
    {
        return None;
    }
    let first =
        items(call.child_by_field_name("arguments")?).into_iter().next().filter(|a| a.kind() == "identifier")?;
    let name = src.node_text(first).to_string();
    let rhs = call.parent().filter(|l| l.kind() == "expression_list")?;
    let stmt =
        rhs.parent().filter(|s| s.kind() == "assignment_statement" && s.child_by_field_name("right") == Some(rhs))?;
    let left = items(stmt.child_by_field_name("left")?);
    let [l] = left.as_slice() else { return None };
    (items(rhs).len() == 1 && src.node_text(*l) == name).then_some(name)
}

/// A fresh value for a container: `nil`, `make(…)`, or any composite literal.
pub fn fresh_container_value(src: &SourceFile, v: Node) -> bool {
    match v.kind() {
        "nil" | "composite_literal" => true,
        "call_expression" => v.child_by_field_name("function").is_some_and(|f| src.node_text(f) == "make"),
        _ => false,
    }
}

/// The declaration `id` (in a `var` spec or `:=`) gives it no value, or a fresh one.
pub fn declared_fresh(src: &SourceFile, id: Node) -> bool {
    let Some(p) = id.parent() else { return false };
    if p.kind() == "var_spec" {
        let mut c = p.walk();
        let names: Vec<Node> = p.children_by_field_name("name", &mut c).collect();
        let at = names.iter().position(|n| n.id() == id.id());
        return match p.child_by_field_name("value").map(items) {
            None => true,
            Some(vs) => at.and_then(|i| vs.get(i).copied()).is_some_and(|v| fresh_container_value(src, v)),
        };
    }
    let Some(decl) = p.parent().filter(|d| d.kind() == "short_var_declaration") else { return false };
    let left = items(p);
    let right = decl.child_by_field_name("right").map(items).unwrap_or_default();
    left.len() == right.len()
        && left.iter().position(|n| n.id() == id.id()).is_some_and(|i| fresh_container_value(src, right[i]))
}

/// `C = nil` / `C = make(…)` / `C = T{…}` / `C = append(C, …)` with `left` the `C` on the left.
pub fn assigned_fresh(src: &SourceFile, left: Node) -> bool {
    if self_append_stmt(src, left).is_some() {
        return true;
    }
    let Some(list) = left.parent().filter(|l| l.kind() == "expression_list") else { return false };
    let Some(stmt) = list.parent().filter(|s| s.kind() == "assignment_statement") else { return false };
    let lefts = items(list);
    let rights = stmt.child_by_field_name("right").map(items).unwrap_or_default();
    op_token(src, stmt) == "="
        && lefts.len() == rights.len()
        && lefts.iter().position(|n| n.id() == left.id()).is_some_and(|i| fresh_container_value(src, rights[i]))
}

/// `nil`, `make(…)`, `[]T{…}`.
pub fn fresh_slice_value(src: &SourceFile, v: Node) -> bool {
    match v.kind() {
        "nil" => true,
        "composite_literal" => v.child_by_field_name("type").is_some_and(|t| t.kind() == "slice_type"),
        "call_expression" => v.child_by_field_name("function").is_some_and(|f| src.node_text(f) == "make"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn body(code: &str) -> (SourceFile, usize) {
        let src = SourceFile::parse(Path::new("a.go"), format!("package p\n\nfunc f() {{\n{code}\n}}\n")).unwrap();
        let off = src.text.find("{\n").unwrap();
        (src, off)
    }

    fn block(src: &SourceFile, off: usize) -> Node<'_> {
        let mut n = src.tree.root_node().descendant_for_byte_range(off, off).unwrap();
        while n.kind() != "block" {
            n = n.parent().unwrap();
        }
        n
    }

    #[test]
    fn written_names_casts_the_wide_net() {
        let (src, off) = body("\ta.f = 1\n\tb[0]++\n\tp := &c\n\tvar d int\n\tfor e := range 3 {}\n\t_ = g + h");
        let w = written_names(&src, block(&src, off));
        let w: Vec<&str> = w.iter().map(String::as_str).collect();
        assert_eq!(w, ["_", "a", "b", "c", "d", "e", "p"]);
    }

    #[test]
    fn obviously_written_sees_assignments_increments_and_addresses_only() {
        let (src, off) = body("\tx.f[0] = 1\n\ty--\n\t_ = &z.g\n\tvar w int\n\t_ = v + w");
        let b = block(&src, off);
        for name in ["x", "y", "z"] {
            assert!(obviously_written(&src, b, name), "{name}");
        }
        assert!(!obviously_written(&src, b, "v"));
        assert!(!obviously_written(&src, b, "w"), "a declaration is not a write here");
    }

    #[test]
    fn fresh_values_are_nil_make_and_literals() {
        let code =
            "\tvar a []int\n\tb := make([]int, 0)\n\tc := g()\n\tvar d = T{}\n\ta = nil\n\tb = append(b, 1)\n\tc = h()";
        let (src, off) = body(code);
        let b = block(&src, off);
        let ids: Vec<Node> = descendants(b).into_iter().filter(|n| n.kind() == "identifier").collect();
        let first = |name: &str| *ids.iter().find(|n| src.node_text(**n) == name).unwrap();
        let last = |name: &str| {
            *ids.iter()
                .rfind(|n| src.node_text(**n) == name && n.parent().unwrap().kind() == "expression_list")
                .unwrap()
        };
        assert!(
            declared_fresh(&src, first("a")) && declared_fresh(&src, first("b")) && declared_fresh(&src, first("d"))
        );
        assert!(!declared_fresh(&src, first("c")));
        assert!(assigned_fresh(&src, last("a")) && assigned_fresh(&src, last("b")) && !assigned_fresh(&src, last("c")));
        let values: Vec<Node> = descendants(b).into_iter().filter(|n| n.kind() == "composite_literal").collect();
        assert!(fresh_container_value(&src, values[0]) && !fresh_slice_value(&src, values[0]), "T{{}} is no slice");
    }

    #[test]
    fn self_append_is_the_whole_statement() {
        let (src, off) = body("\ts = append(s, 1)\n\tt = append(s, 2)\n\tu, v = append(u, 1), 2\n\ts += x");
        let b = block(&src, off);
        let calls: Vec<Node> = descendants(b).into_iter().filter(|n| n.kind() == "call_expression").collect();
        let names: Vec<Option<String>> = calls.iter().map(|c| self_append_call(&src, *c)).collect();
        assert_eq!(names, [Some("s".to_string()), None, None]);
        let left = b.named_child(0).unwrap().named_child(0).unwrap();
        let left = left.child_by_field_name("left").unwrap().named_child(0).unwrap();
        assert_eq!(src.node_text(left), "s");
        assert_eq!(self_append_stmt(&src, left).map(|(_, n)| n), Some("s".to_string()));
        let plus = descendants(b).into_iter().rfind(|n| n.kind() == "assignment_statement").unwrap();
        assert_eq!(op_token(&src, plus), "+=");
    }
}
