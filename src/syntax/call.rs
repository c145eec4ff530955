//! The pieces of a call expression, as the fmt-family rules read them.

use crate::rules::codes::DeclineCode;
use crate::rules::Decline;
use tree_sitter::Node;

/// The callee and the arguments (comments skipped) of a call; declines a `...` spread.
pub fn parts(call: Node) -> Result<(Node, Vec<Node>), Decline> {
    if call.kind() != "call_expression" {
        return Err(Decline::new(DeclineCode::ShapeMismatch, "not a call"));
    }
    let func = call
        .child_by_field_name("function")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "call without a function"))?;
    let list = call
        .child_by_field_name("arguments")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "call without arguments"))?;
    let mut cursor = list.walk();
    let args: Vec<Node> = list.named_children(&mut cursor).filter(|n| n.kind() != "comment").collect();
    if args.iter().any(|a| a.kind() == "variadic_argument") {
        return Err(Decline::new(
            DeclineCode::SpreadArguments,
            "arguments are spread with `...`; their types are not known one by one",
        ));
    }
    Ok((func, args))
}
