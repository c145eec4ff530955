//! `write-string`: `w.Write([]byte(s))` → `io.WriteString(w, s)`, or `w.WriteString(s)` when `w` is a
//! standard writer.
//!
//! `[]byte(s)` copies the string into a new slice only for `Write` to read it once; the slice is
//! handed to an interface method (or one the compiler cannot see through), so it goes to the heap
//! (`([]byte)(s) escapes to heap`). `io.WriteString` calls the writer's `WriteString` when it has one
//! (no copy at all) and otherwise does the very same `w.Write([]byte(s))` (no allocation win, one
//! failed type assertion more).
//!
//! Both sides return `(n int, err error)` for the same bytes, so the call may sit anywhere. What can
//! differ is which method runs: `WriteString` instead of `Write`. `io.StringWriter`'s contract makes
//! them write the same bytes and the standard library keeps it, so an interface writer is trusted
//! (the decision fprintf-string made for `io.WriteString` too); a concrete type of the user's own
//! could do anything in its `WriteString`, so a concrete writer must be one of [`super::STD_WRITERS`].
//! rules/write-string.md lists every trap with its decline code.

use super::call_parts as parts;
use super::codes::DeclineCode;
use super::{qualifier, qualifier_queries, Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{ExprFacts, Query};
use crate::source::SourceFile;
use crate::syntax::text::{has_comment, one_line_tight};
use tree_sitter::Node;

pub struct WriteString;

pub const ID: &str = "write-string";

const META: RuleMeta = RuleMeta {
    id: ID,
    summary: "w.Write([]byte(s)) → io.WriteString(w, s), or w.WriteString(s) for bytes.Buffer, strings.Builder, bufio.Writer, os.File",
    doc: "rules/write-string.md",
    min_go: None,
    fixture: "fixtures/write-string",
};

impl Rule for WriteString {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FindingRemoved
    }

    /// The conversion's own finding; `[]byte(fmt.Sprintf(...))` is fprintf-string's better rewrite
    /// (it also saves the formatted string), so it is left to that rule.
    fn interested(&self, f: &Finding) -> bool {
        f.kind == Kind::EscapesToHeap
            && f.is_native()
            && f.subject.starts_with("([]byte)(")
            && !f.subject.starts_with("([]byte)(fmt.Sprint")
    }

    fn anchor(&self, _f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let call = write_call(source, offset)?;
        Some((call.start_byte(), call.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let file = site.file();
        let call = site.node();
        let w = shape(site.source, call)?;
        let mut q = vec![
            Facts::expr_query(file, w.method),
            Facts::expr_query(file, w.receiver),
            Facts::expr_query(file, w.conversion),
            Facts::expr_query(file, w.operand),
        ];
        if w.receiver.kind() == "identifier" {
            q.push(Query::Uses { file: file.to_path_buf(), offset: w.receiver.start_byte() });
        }
        q.extend(qualifier_queries(site.source, call.start_byte(), "io"));
        q.push(Query::Imports { file: file.to_path_buf() });
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let src = site.source;
        let file = site.file();
        let call = site.node();
        if has_comment(call) {
            return Err(Decline::new(
                DeclineCode::DropsComment,
                "the call contains a comment that the rewrite would drop",
            ));
        }
        let w = shape(src, call)?;
        let expr = |n: Node, what: &str| {
            facts
                .expr(file, n.start_byte(), n.end_byte())
                .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for {what}")))
        };
        let method = expr(w.method, "the Write method")?;
        let sig = method
            .object
            .as_ref()
            .filter(|o| o.kind == "func")
            .and_then(|o| o.signature.as_ref())
            .filter(|s| s.params == ["[]byte"] && s.results == ["int", "error"] && !s.variadic);
        if sig.is_none() {
            return Err(Decline::new(
                DeclineCode::WrongCallee,
                format!("{} is not a Write([]byte) (int, error) method", src.node_text(w.method)),
            ));
        }
        let conv = expr(w.conversion, "the conversion")?;
        if !(conv.type_src == "[]byte" || conv.type_src == "[]uint8") {
            return Err(Decline::new(DeclineCode::WrongType, format!("the conversion is to {}, not []byte", conv.ty)));
        }
        let sf = expr(w.operand, "the converted operand")?;
        if sf.type_param {
            return Err(Decline::new(
                DeclineCode::TypeParameter,
                format!("`{}` has a type parameter's type ({}); not rewritten", src.node_text(w.operand), sf.ty),
            ));
        }
        // `[]byte(x)` also converts byte slices and named byte slice types: only a string's bytes
        // can be handed to WriteString.
        if !matches!(sf.basic.as_str(), "string" | "untyped string") {
            return Err(Decline::new(
                DeclineCode::WrongType,
                format!(
                    "`{}` has type {}, not string",
                    src.node_text(w.operand),
                    if sf.ty.is_empty() { "?" } else { &sf.ty }
                ),
            ));
        }
        let rf = expr(w.receiver, "the writer")?;
        let operand = if sf.named {
            // `type Name string`: WriteString takes a `string`, and Name does not convert implicitly.
            format!("string({})", src.node_text(w.operand))
        } else {
            src.node_text(w.operand).to_string()
        };
        let receiver = src.node_text(w.receiver);
        let (text, add_imports, how) = if rf.interface {
            deferred_interface(call)?;
            evaluation_order(src, facts, &w, rf, sf)?;
            let (io, needs_import) = qualifier(facts, file, call.start_byte(), "io")?;
            (
                format!("{io}.WriteString({receiver}, {operand})"),
                if needs_import { vec!["io".to_string()] } else { vec![] },
                "io.WriteString calls the writer's WriteString when its dynamic type has one (no copy) and \
                 w.Write([]byte(s)) otherwise",
            )
        } else if super::STD_WRITERS.contains(&rf.ty.as_str())
            || super::STD_WRITERS.contains(&format!("*{}", rf.ty).as_str())
        {
            // Same receiver expression, same kind of call: only the method changes. A non-pointer
            // `bytes.Buffer` variable is addressable (its `Write` call compiled), so `WriteString` is too.
            (
                format!("{receiver}.WriteString({operand})"),
                vec![],
                "the standard writer's WriteString writes the same bytes without the copy",
            )
        } else {
            return Err(Decline::new(
                DeclineCode::UntrustedWriter,
                format!(
                    "the writer is a {}: its own WriteString (or io.WriteString's fallback) might not write what \
                     Write([]byte(s)) writes; only interfaces (bound by the io.StringWriter contract) and {} are trusted",
                    if rf.ty.is_empty() { "value of unknown type" } else { &rf.ty },
                    super::STD_WRITERS.join(", ")
                ),
            ));
        };
        Ok(Proposal {
            edits: vec![TextEdit { start: call.start_byte(), end: call.end_byte(), text: text.clone() }],
            add_imports,
            removed_uses: vec![],
            title: format!("{} → {}", one_line(src.node_text(call)), one_line(&text)),
            explanation: format!(
                "[]byte(s) copies the string into a new slice (the finding) only for Write to read it once; {how}, \
                 and returns the same (n int, err error)."
            ),
            expect_new: ExpectNew::Nothing,
        })
    }
}

/// `w.Write([]byte(s))`, by syntax; `propose` checks the types.
struct WriteShape<'t> {
    /// `w.Write`
    method: Node<'t>,
    /// `w`
    receiver: Node<'t>,
    /// `[]byte(s)`
    conversion: Node<'t>,
    /// `s`
    operand: Node<'t>,
}

fn shape<'t>(src: &SourceFile, call: Node<'t>) -> Result<WriteShape<'t>, Decline> {
    let (method, args) = parts(call)?;
    if method.kind() != "selector_expression"
        || method.child_by_field_name("field").map(|f| src.node_text(f)) != Some("Write")
    {
        return Err(Decline::new(DeclineCode::ShapeMismatch, "not a call of a Write method"));
    }
    let [conversion] = args.as_slice() else {
        return Err(Decline::new(DeclineCode::ShapeMismatch, "Write with other than one argument"));
    };
    let operand = byte_conversion_operand(src, *conversion)
        .ok_or_else(|| Decline::new(DeclineCode::ShapeMismatch, "the argument of Write is not []byte(...)"))?;
    let receiver = method
        .child_by_field_name("operand")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "selector without an operand"))?;
    Ok(WriteShape { method, receiver, conversion: *conversion, operand })
}

/// The operand of `[]byte(x)` (a slice type literal; named byte slice types parse as calls and are
/// not this shape).
fn byte_conversion_operand<'t>(src: &SourceFile, conv: Node<'t>) -> Option<Node<'t>> {
    if conv.kind() != "type_conversion_expression" {
        return None;
    }
    let ty = conv.child_by_field_name("type").filter(|t| t.kind() == "slice_type")?;
    let elem = ty.child_by_field_name("element")?;
    // By spelling here; `propose` checks the conversion's type (a local `type byte = rune` is legal).
    if !matches!(src.node_text(elem), "byte" | "uint8") {
        return None;
    }
    conv.child_by_field_name("operand")
}

/// The `w.Write([]byte(s))` call whose conversion the finding at `offset` is about. The compiler puts
/// a conversion's column inside its operand (an identifier's start, a binary operator, an inner call's
/// `(`), so the innermost `[]byte(...)` around `offset` is the one, and it must be Write's only argument.
fn write_call(src: &SourceFile, offset: usize) -> Option<Node<'_>> {
    let mut n = src.tree.root_node().named_descendant_for_byte_range(offset, offset)?;
    loop {
        if n.kind() == "type_conversion_expression" {
            break;
        }
        if matches!(n.kind(), "func_literal" | "block" | "statement_list") || n.kind().ends_with("_statement") {
            return None;
        }
        n = n.parent()?;
    }
    let operand = byte_conversion_operand(src, n)?;
    if !(operand.start_byte()..=operand.end_byte()).contains(&offset) {
        return None;
    }
    let list = n.parent().filter(|p| p.kind() == "argument_list")?;
    let call = list.parent().filter(|c| c.kind() == "call_expression")?;
    shape(src, call).ok().filter(|w| w.conversion.id() == n.id()).map(|_| call)
}

/// `defer w.Write(...)` / `go w.Write(...)` evaluate the method value `w.Write` at the statement, and
/// a nil interface panics there; `defer io.WriteString(w, s)` would panic only when the deferred call
/// runs, after the rest of the function (measured on go1.26.8).
fn deferred_interface(call: Node) -> Result<(), Decline> {
    match call.parent().map(|p| p.kind()) {
        Some(kind @ ("defer_statement" | "go_statement")) => Err(Decline::new(
            DeclineCode::InterfaceReceiver,
            format!(
                "a {} of an interface's Write evaluates the method value (and panics on a nil writer) at the \
                 statement; io.WriteString would panic only when the call runs",
                kind.trim_end_matches("_statement")
            ),
        )),
        _ => Ok(()),
    }
}

/// The writer moves from the receiver to the first argument. Go orders calls but not variable reads:
/// with a call in the operand, the writer must be a local variable that nothing can reassign (written
/// only where declared, address never taken), or the writer contain no read that a call could change.
fn evaluation_order(
    src: &SourceFile,
    facts: &Facts,
    w: &WriteShape,
    rf: &ExprFacts,
    sf: &ExprFacts,
) -> Result<(), Decline> {
    if !sf.side_effects || rf.side_effects && w.receiver.kind() == "call_expression" {
        return Ok(());
    }
    let stable = w.receiver.kind() == "identifier"
        && facts.uses(&src.path, w.receiver.start_byte()).is_some_and(|u| {
            u.object.kind == "var"
                && u.object.scope == "local"
                && u.refs.iter().all(|r| (!r.write || r.decl) && !r.addr)
        });
    if stable {
        return Ok(());
    }
    Err(Decline::new(
        DeclineCode::EvaluationOrder,
        format!(
            "`{}` contains a call and the writer `{}` is not a local variable that is never reassigned: the order in \
             which they are evaluated could change",
            src.node_text(w.operand),
            src.node_text(w.receiver)
        ),
    ))
}

/// Code as this rule's reasons show it: on one line, at most 90 characters.
fn one_line(s: &str) -> String {
    one_line_tight(s, 90)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn src(body: &str) -> SourceFile {
        SourceFile::parse(Path::new("a.go"), format!("package p\n\nfunc f() {{\n\t{body}\n}}\n")).unwrap()
    }

    fn at(s: &SourceFile, needle: &str) -> usize {
        s.text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {}", s.text))
    }

    #[test]
    fn anchors_the_write_whose_only_argument_is_the_conversion() {
        let s = src("n, err := w.Write([]byte(s))");
        assert_eq!(s.node_text(write_call(&s, at(&s, "s))")).unwrap()), "w.Write([]byte(s))");
        // Reported at the operator of a binary operand, at the `(` of a call operand.
        let s = src(r#"t.w.Write([]byte(s + "x"))"#);
        assert!(write_call(&s, at(&s, "+")).is_some());
        let s = src("w.Write([]byte(string(r)))");
        assert!(write_call(&s, at(&s, "(r")).is_some());
    }

    #[test]
    fn other_shapes_are_not_anchored() {
        let s = src("w.Write([]byte(s)[1:])");
        assert!(write_call(&s, at(&s, "s)")).is_none(), "sliced: not Write's argument");
        let s = src("w.Print([]byte(s))");
        assert!(write_call(&s, at(&s, "s)")).is_none(), "not Write");
        let s = src("w.Write([]rune(s))");
        assert!(write_call(&s, at(&s, "s)")).is_none(), "not []byte");
        let s = src("w.Write(b, []byte(s))");
        assert!(write_call(&s, at(&s, "s)")).is_none(), "two arguments");
    }
}
