//! Identifiers by spelling: the syntactic guess (the rules check it against the helper's uses facts
//! where it matters) and variable paths like `s.items`.

use crate::source::SourceFile;
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
