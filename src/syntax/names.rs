//! Identifiers by spelling: the syntactic guess (the rules check it against the helper's uses facts
//! where it matters) and variable paths like `s.items`.

use crate::source::SourceFile;
use crate::syntax::walk::{descendants, has_token};
use tree_sitter::Node;

/// Every `identifier` node spelled `name` inside `n`, in source order.
pub fn identifiers_named<'t>(n: Node<'t>, name: &str, src: &SourceFile) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == "identifier" && src.node_text(x) == name {
            out.push(x);
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    out.sort_by_key(|n| n.start_byte());
    out
}

/// The start offsets of [`identifiers_named`] (how the uses facts name references).
pub fn identifier_offsets(n: Node, name: &str, src: &SourceFile) -> Vec<usize> {
    identifiers_named(n, name, src).iter().map(|n| n.start_byte()).collect()
}

/// Whether an identifier spelled `name` occurs inside `n`.
pub fn mentions(n: Node, name: &str, src: &SourceFile) -> bool {
    !identifiers_named(n, name, src).is_empty()
}

/// Names of variables, types and packages: what a declaration or a moved statement can refer to.
pub const VALUE_WORDS: &[&str] = &["identifier", "type_identifier", "package_identifier"];

/// [`VALUE_WORDS`] plus fields and labels: every word a new name could collide with.
pub const ALL_WORDS: &[&str] =
    &["identifier", "type_identifier", "package_identifier", "field_identifier", "label_name"];

/// The text of every node of one of `kinds` under `n` (including `n`), in source order.
pub fn names_in(src: &SourceFile, n: Node, kinds: &[&str]) -> Vec<String> {
    descendants(n).into_iter().filter(|d| kinds.contains(&d.kind())).map(|d| src.node_text(d).to_string()).collect()
}

/// The variable an assignment target writes: `x`, `x.f`, `x[i]`, `*x`, `(x)` → `x`.
pub fn root_name<'s>(src: &'s SourceFile, n: Node) -> Option<&'s str> {
    match n.kind() {
        "identifier" => Some(src.node_text(n)),
        "selector_expression" | "index_expression" => root_name(src, n.child_by_field_name("operand")?),
        "unary_expression" => root_name(src, n.child_by_field_name("operand")?),
        "parenthesized_expression" => root_name(src, *crate::syntax::walk::items(n).first()?),
        _ => None,
    }
}

/// Whether the identifier `id` declares a name (rather than using one): a var, const, parameter,
/// type parameter or function name, the left of `:=`, or a type switch's alias.
pub fn declares(id: Node) -> bool {
    let Some(p) = id.parent() else { return false };
    let named_field = |p: Node| {
        let mut c = p.walk();
        let found = p.children_by_field_name("name", &mut c).any(|n| n.id() == id.id());
        found
    };
    match p.kind() {
        "var_spec"
        | "const_spec"
        | "parameter_declaration"
        | "variadic_parameter_declaration"
        | "type_parameter_declaration" => named_field(p),
        "function_declaration" => named_field(p),
        "expression_list" => {
            let Some(g) = p.parent() else { return false };
            match g.kind() {
                "short_var_declaration" => g.child_by_field_name("left") == Some(p),
                "range_clause" | "receive_statement" => g.child_by_field_name("left") == Some(p) && has_token(g, ":="),
                "type_switch_statement" => g.child_by_field_name("alias") == Some(p),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether `name` is a receiver, parameter or named result of `func`.
pub fn is_param_of(src: &SourceFile, func: Node, name: &str) -> bool {
    ["receiver", "parameters", "result"].iter().any(|field| {
        func.child_by_field_name(field).is_some_and(|list| {
            list.kind() == "parameter_list" && identifiers_named(list, name, src).iter().any(|i| declares(*i))
        })
    })
}

/// `xs`, `s.items`, `a.b.c` as identifiers; `None` for anything else (calls, indexes, parentheses).
pub fn plain_path(src: &SourceFile, node: Node) -> Option<Vec<String>> {
    match node.kind() {
        "identifier" => Some(vec![src.node_text(node).to_string()]),
        "selector_expression" => {
            let mut p = plain_path(src, node.child_by_field_name("operand")?)?;
            p.push(src.node_text(node.child_by_field_name("field")?).to_string());
            Some(p)
        }
        _ => None,
    }
}

/// The identifiers Go predeclares (universe scope): a new variable named like one shadows it.
pub const PREDECLARED: &[&str] = &[
    "any",
    "append",
    "bool",
    "byte",
    "cap",
    "clear",
    "close",
    "comparable",
    "complex",
    "complex64",
    "complex128",
    "copy",
    "delete",
    "error",
    "false",
    "float32",
    "float64",
    "imag",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "iota",
    "len",
    "make",
    "max",
    "min",
    "new",
    "nil",
    "panic",
    "print",
    "println",
    "real",
    "recover",
    "rune",
    "string",
    "true",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
];
/// Go's keywords.
pub const KEYWORDS: &[&str] = &[
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
];

/// A Go keyword or predeclared identifier: not a name for a new variable.
pub fn is_reserved(name: &str) -> bool {
    PREDECLARED.contains(&name) || KEYWORDS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(code: &str) -> SourceFile {
        SourceFile::parse(Path::new("a.go"), format!("package p\n\n{code}\n")).unwrap()
    }

    fn func(src: &SourceFile) -> Node<'_> {
        src.tree.root_node().named_child(1).unwrap()
    }

    #[test]
    fn finds_identifiers_and_words() {
        let src = parse("func f(x int) (n int) {\n\tvar s T\n\ts.x = x + len(s.y)\n\treturn\n}");
        let f = func(&src);
        let xs = identifiers_named(f, "x", &src);
        assert_eq!(xs.len(), 2, "the field s.x is not the identifier x");
        assert_eq!(identifier_offsets(f, "x", &src), xs.iter().map(|n| n.start_byte()).collect::<Vec<_>>());
        assert!(mentions(f, "len", &src) && !mentions(f, "y", &src));
        let body = f.child_by_field_name("body").unwrap();
        assert!(names_in(&src, body, VALUE_WORDS).contains(&"T".to_string()));
        assert!(!names_in(&src, body, VALUE_WORDS).contains(&"y".to_string()));
        assert!(names_in(&src, body, ALL_WORDS).contains(&"y".to_string()));
    }

    #[test]
    fn roots_declarations_and_params() {
        let src = parse("func f(a int) (r int) {\n\tb, c := 1, 2\n\t(*p.q)[b] = c\n\treturn\n}");
        let f = func(&src);
        let stmt = src.text.find("(*p.q)").unwrap();
        let mut left = src.tree.root_node().descendant_for_byte_range(stmt, stmt).unwrap();
        while left.kind() != "index_expression" {
            left = left.parent().unwrap();
        }
        assert_eq!(root_name(&src, left), Some("p"));
        let b = identifiers_named(f, "b", &src);
        assert!(declares(b[0]) && !declares(b[1]));
        assert!(is_param_of(&src, f, "a") && is_param_of(&src, f, "r") && !is_param_of(&src, f, "b"));
    }
}
