//! The static cold judgement: code that runs rarely when the program is healthy, so an allocation
//! there is not worth a rewrite before the others. Used when no profile says what is hot.
//!
//! Cold is: the arguments of `panic` and `log.Fatal*`/`log.Panic*`; a branch that returns an error
//! built with `fmt.Errorf`/`errors.New` (the error path); `init` functions (run once); and
//! `String`/`Error`/`GoString` methods (formatting for people, not the hot path).

use crate::source::SourceFile;
use tree_sitter::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cold {
    ErrorPath,
    Panic,
    Init,
    Stringer,
}

impl Cold {
    /// For the report: `cold: error path`.
    pub fn describe(self) -> &'static str {
        match self {
            Cold::ErrorPath => "error path",
            Cold::Panic => "panic or fatal log",
            Cold::Init => "init function",
            Cold::Stringer => "String/Error method",
        }
    }
}

/// Whether the code at `offset` is cold, and why. The innermost reason wins (a panic inside an error
/// branch is a panic).
pub fn judge(src: &SourceFile, offset: usize) -> Option<Cold> {
    let start = src.tree.root_node().descendant_for_byte_range(offset, offset)?;
    let mut cur = Some(start);
    while let Some(n) = cur {
        match n.kind() {
            "call_expression" if is_fatal_call(src, n) => return Some(Cold::Panic),
            "return_statement" if builds_error(src, n) => return Some(Cold::ErrorPath),
            // The branch of an `if`/`case` that ends returning a new error: everything in it
            // prepares that error.
            "block" | "expression_case" | "type_case" | "default_case" | "communication_case"
                if is_branch(n) && block_returns_new_error(src, n) =>
            {
                return Some(Cold::ErrorPath)
            }
            "function_declaration" => {
                let name = n.child_by_field_name("name").map(|x| src.node_text(x));
                return (name == Some("init")).then_some(Cold::Init);
            }
            "method_declaration" => {
                let name = n.child_by_field_name("name").map(|x| src.node_text(x));
                return matches!(name, Some("String" | "Error" | "GoString")).then_some(Cold::Stringer);
            }
            _ => {}
        }
        cur = n.parent();
    }
    None
}

fn is_fatal_call(src: &SourceFile, call: Node) -> bool {
    let Some(f) = call.child_by_field_name("function") else { return false };
    let name = src.node_text(f);
    name == "panic"
        || ["log.Fatal", "log.Panic"].iter().any(|p| name.starts_with(p))
        || name == "os.Exit"
        || name.ends_with(".Fatalf") && name.starts_with("log")
}

fn builds_error(src: &SourceFile, ret: Node) -> bool {
    let t = src.node_text(ret);
    t.contains("fmt.Errorf(") || t.contains("errors.New(")
}

/// A block that is an `if`'s consequence or alternative, or a case clause.
fn is_branch(n: Node) -> bool {
    if n.kind() != "block" {
        return true;
    }
    n.parent().is_some_and(|p| p.kind() == "if_statement")
}

/// The branch's own statements (not nested functions) include a return of a new error.
fn block_returns_new_error(src: &SourceFile, n: Node) -> bool {
    // Newer tree-sitter-go grammars wrap a block's statements in a `statement_list`.
    let mut c = n.walk();
    let mut stmts: Vec<Node> = Vec::new();
    for s in n.named_children(&mut c) {
        if s.kind() == "statement_list" {
            let mut c2 = s.walk();
            stmts.extend(s.named_children(&mut c2));
        } else {
            stmts.push(s);
        }
    }
    stmts.iter().any(|s| s.kind() == "return_statement" && builds_error(src, *s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn at(text: &str, needle: &str) -> Option<Cold> {
        let src = SourceFile::parse(Path::new("x.go"), text.to_string()).unwrap();
        judge(&src, text.find(needle).unwrap())
    }

    #[test]
    fn judges_the_four_cold_places() {
        let text = r#"package p

import ("errors"; "fmt"; "log")

func init() { x := make([]int, 10); _ = x }

type T struct{ n int }

func (t T) String() string { return fmt.Sprint(t.n) }

func F(n int) (string, error) {
	if n < 0 {
		msg := fmt.Sprint("neg ", n)
		return "", fmt.Errorf("bad %d: %s", n, msg)
	}
	if n == 0 {
		panic(fmt.Sprintf("zero %d", n))
	}
	if n == 1 {
		log.Fatalf("one %d", n)
	}
	if n == 2 {
		return "", errors.New("two")
	}
	return fmt.Sprint(n), nil
}
"#;
        assert_eq!(at(text, "make([]int"), Some(Cold::Init));
        assert_eq!(at(text, "fmt.Sprint(t.n)"), Some(Cold::Stringer));
        assert_eq!(at(text, "fmt.Sprint(\"neg"), Some(Cold::ErrorPath));
        assert_eq!(at(text, "n, msg)"), Some(Cold::ErrorPath));
        assert_eq!(at(text, "fmt.Sprintf(\"zero"), Some(Cold::Panic));
        assert_eq!(at(text, "\"one %d\", n"), Some(Cold::Panic));
        assert_eq!(at(text, "fmt.Sprint(n), nil"), None);
    }
}
