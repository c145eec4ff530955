//! `fprintf-string`: writing a string through fmt's formatter → writing it directly.
//!
//! - `fmt.Fprintf(w, "%s", s)` / `fmt.Fprint(w, s)` (s a string without methods) → `io.WriteString(w, s)`;
//! - `w.Write([]byte(fmt.Sprintf(...)))` → `fmt.Fprintf(w, ...)` (also Sprint → Fprint, Sprintln → Fprintln).
//!
//! Both pairs have the same result types, `(n int, err error)`, and the same meaning for them, so the
//! call may sit anywhere (statement, `n, err :=`, `return`, `if _, err := ...; err != nil`): nothing
//! around it changes. What can differ is which method of `w` runs and which buffer it sees:
//! - `io.WriteString` calls `w.WriteString(s)` when `w` has that method, else `w.Write([]byte(s))`;
//!   `Fprintf` always calls `Write`. `io.StringWriter`'s contract makes the two write the same bytes,
//!   and the standard library's writers keep it, but a concrete type of the user's own could do
//!   anything in `WriteString`, so a concrete `w` must be one of the standard writers below;
//! - `Fprintf` hands `Write` its pooled internal buffer, reused after the call; `[]byte(Sprintf(...))`
//!   was a fresh slice. `io.Writer` forbids retaining `p`, but a concrete type's own `Write` is not
//!   bound by that contract (a collector that keeps `p` would see its chunks overwritten), so again
//!   a concrete receiver must be a standard writer.
//!
//! See rules/fprintf-string.md for the measurements: the first form removes the boxing (the finding)
//! and most of the CPU (245 → 38 ns/op into a bytes.Buffer); its allocation win depends on `w`.

use super::call_parts as parts;
use super::codes::DeclineCode;
use super::{qualifier, qualifier_queries, Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{ExprFacts, Query};
use crate::golit;
use crate::source::SourceFile;
use crate::syntax::text::{has_comment, one_line_tight};
use tree_sitter::Node;

pub struct FprintfString;

pub const ID: &str = "fprintf-string";

/// `fmt.S*` → the `fmt.F*` that writes the same bytes.
const SPRINTS: &[(&str, &str)] = &[("Sprintf", "Fprintf"), ("Sprint", "Fprint"), ("Sprintln", "Fprintln")];

const META: RuleMeta = RuleMeta {
    id: ID,
    summary:
        "fmt.Fprintf(w, \"%s\", s) → io.WriteString(w, s); w.Write([]byte(fmt.Sprintf(...))) → fmt.Fprintf(w, ...)",
    doc: "rules/fprintf-string.md",
    min_go: None,
    fixture: "fixtures/fprintf-string",
};

impl Rule for FprintfString {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FindingRemoved
    }

    /// The compiler names fmt's functions by the package's name whatever the import alias, both in a
    /// conversion's subject and in the flow of a boxed operand (`from fmt.Fprintf(...) (call parameter)`).
    fn interested(&self, f: &Finding) -> bool {
        f.kind == Kind::EscapesToHeap
            && f.subject != "... argument"
            && f.is_native()
            && (f.subject.starts_with("([]byte)(fmt.Sprint")
                || f.flows
                    .iter()
                    .flat_map(|fl| &fl.steps)
                    .any(|s| s.expr.starts_with("fmt.Fprintf(") || s.expr.starts_with("fmt.Fprint(")))
    }

    fn anchor(&self, f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let call = if f.subject.starts_with("([]byte)(") {
            write_call(source, offset)?
        } else {
            fprint_call(f, source, offset)?
        };
        Some((call.start_byte(), call.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let file = site.file();
        let call = site.node();
        let mut q = Vec::new();
        match shape(site.source, call)? {
            Shape::Fprint { func, args } => {
                q.push(Facts::expr_query(file, func));
                q.extend(args.iter().map(|a| Facts::expr_query(file, *a)));
                q.extend(qualifier_queries(site.source, call.start_byte(), "io"));
            }
            Shape::Write(w) => {
                q.push(Facts::expr_query(file, w.method));
                q.push(Facts::expr_query(file, w.receiver));
                q.push(Facts::expr_query(file, w.conversion));
                q.push(Facts::expr_query(file, w.inner_func));
                q.extend(w.inner_args.iter().map(|a| Facts::expr_query(file, *a)));
                if w.receiver.kind() == "identifier" {
                    q.push(Query::Uses { file: file.to_path_buf(), offset: w.receiver.start_byte() });
                }
            }
        }
        q.push(Query::Imports { file: file.to_path_buf() });
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        if has_comment(site.node()) {
            return Err(Decline::new(
                DeclineCode::DropsComment,
                "the call contains a comment that the rewrite would drop",
            ));
        }
        match shape(site.source, site.node())? {
            Shape::Fprint { func, args } => propose_write_string(site, facts, func, &args),
            Shape::Write(w) => propose_fprintf(site, facts, &w),
        }
    }
}

/// The two call shapes the rule rewrites (by syntax; `propose` checks the types).
enum Shape<'t> {
    /// `fmt.Fprintf(w, "%s", s)` or `fmt.Fprint(w, s)`.
    Fprint { func: Node<'t>, args: Vec<Node<'t>> },
    /// `w.Write([]byte(fmt.Sprintf(...)))`.
    Write(WriteShape<'t>),
}

struct WriteShape<'t> {
    /// `w.Write`
    method: Node<'t>,
    /// `w`
    receiver: Node<'t>,
    /// `[]byte(fmt.Sprintf(...))`
    conversion: Node<'t>,
    /// `fmt.Sprintf`
    inner_func: Node<'t>,
    /// The format and operands, as written.
    inner_args: Vec<Node<'t>>,
    /// The argument list of the inner call, `(...)`.
    inner_list: Node<'t>,
}

fn field_name<'s>(src: &'s SourceFile, func: Node) -> Option<&'s str> {
    (func.kind() == "selector_expression").then(|| func.child_by_field_name("field").map(|f| src.node_text(f)))?
}

fn shape<'t>(src: &SourceFile, call: Node<'t>) -> Result<Shape<'t>, Decline> {
    let (func, args) = parts(call)?;
    match field_name(src, func) {
        Some("Write") => {
            let [conv] = args.as_slice() else {
                return Err(Decline::new(DeclineCode::ShapeMismatch, "Write with other than one argument"));
            };
            let inner = byte_conversion_of_sprint(src, *conv).ok_or_else(|| {
                Decline::new(DeclineCode::ShapeMismatch, "the argument of Write is not []byte(fmt.S...(...))")
            })?;
            let (inner_func, inner_args) = parts(inner)?;
            let inner_list = inner
                .child_by_field_name("arguments")
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "call without arguments"))?;
            let receiver = func
                .child_by_field_name("operand")
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "selector without an operand"))?;
            Ok(Shape::Write(WriteShape {
                method: func,
                receiver,
                conversion: *conv,
                inner_func,
                inner_args,
                inner_list,
            }))
        }
        Some("Fprintf" | "Fprint") => Ok(Shape::Fprint { func, args }),
        _ => Err(Decline::new(DeclineCode::ShapeMismatch, "not Fprintf, Fprint or Write")),
    }
}

/// `[]byte(X.Sprintf(...))` → the inner call.
fn byte_conversion_of_sprint<'t>(src: &SourceFile, conv: Node<'t>) -> Option<Node<'t>> {
    if conv.kind() != "type_conversion_expression" {
        return None;
    }
    let ty = conv.child_by_field_name("type")?;
    if ty.kind() != "slice_type" {
        return None;
    }
    let inner = conv.child_by_field_name("operand").filter(|o| o.kind() == "call_expression")?;
    let name = field_name(src, inner.child_by_field_name("function")?)?;
    SPRINTS.iter().any(|(s, _)| *s == name).then_some(inner)
}

/// The `w.Write(...)` call whose `[]byte(fmt.Sprintf(...))` argument the finding at `offset` is about
/// (the compiler puts a conversion's column at its operand, here the inner call's `(`).
fn write_call<'t>(src: &'t SourceFile, offset: usize) -> Option<Node<'t>> {
    let mut n = src.tree.root_node().named_descendant_for_byte_range(offset, offset)?;
    // `(` → argument_list → inner call → conversion: a few steps at most.
    for _ in 0..4 {
        if n.kind() == "type_conversion_expression" {
            break;
        }
        n = n.parent()?;
    }
    let inner = byte_conversion_of_sprint(src, n)?;
    let inner_pos = inner.child_by_field_name("arguments")?.start_byte();
    if inner_pos != offset && inner.start_byte() != offset {
        return None;
    }
    let list = n.parent().filter(|p| p.kind() == "argument_list")?;
    let call = list.parent().filter(|c| c.kind() == "call_expression")?;
    (field_name(src, call.child_by_field_name("function")?) == Some("Write")).then_some(call)
}

/// The `fmt.Fprintf(w, "%s", s)` / `fmt.Fprint(w, s)` call whose string operand the finding is about.
fn fprint_call<'t>(f: &Finding, src: &'t SourceFile, offset: usize) -> Option<Node<'t>> {
    let mut n = src.tree.root_node().named_descendant_for_byte_range(offset, offset)?;
    while n.parent().is_some_and(|p| p.kind() != "argument_list") {
        n = n.parent()?;
        if matches!(n.kind(), "func_literal" | "block" | "statement_list") || n.kind().ends_with("_statement") {
            return None;
        }
    }
    let list = n.parent()?;
    let call = list.parent().filter(|c| c.kind() == "call_expression")?;
    let (func, args) = parts(call).ok()?;
    let want = match field_name(src, func)? {
        "Fprintf" => 2,
        "Fprint" => 1,
        _ => return None,
    };
    if args.len() != want + 1 || args[want].id() != n.id() {
        return None;
    }
    // The operand itself, not something inside it: identifiers are reported at their start, other
    // expressions at an operator, with the expression as the subject.
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    (n.start_byte() == offset || squash(&f.subject) == squash(src.node_text(n))).then_some(call)
}

/// A writer type whose methods are known to behave: any interface (the io.Writer/io.StringWriter
/// contracts), or one of the standard library's concrete writers.
fn writer_ok(w: &ExprFacts, what: &str) -> Result<(), Decline> {
    if w.interface || super::STD_WRITERS.contains(&w.ty.as_str()) {
        return Ok(());
    }
    Err(Decline::new(
        DeclineCode::UntrustedWriter,
        format!(
            "the writer is a {}: {what}; only interfaces (bound by the io.Writer contract) and {} are trusted",
            if w.ty.is_empty() { "value of unknown type" } else { &w.ty },
            super::STD_WRITERS.join(", ")
        ),
    ))
}

fn callee<'f>(src: &SourceFile, facts: &'f Facts, func: Node) -> Result<&'f crate::go::helper::ObjectFacts, Decline> {
    let f = facts
        .expr(&src.path, func.start_byte(), func.end_byte())
        .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the callee"))?;
    let o = f
        .object
        .as_ref()
        .ok_or_else(|| Decline::new(DeclineCode::WrongCallee, "the callee is not a named function"))?;
    if o.kind != "func" {
        return Err(Decline::new(DeclineCode::WrongCallee, format!("`{}` is not a function", src.node_text(func))));
    }
    Ok(o)
}

fn propose_write_string(site: &Site, facts: &Facts, func: Node, args: &[Node]) -> Result<Proposal, Decline> {
    let src = site.source;
    let file = site.file();
    let call = site.node();
    let obj = callee(src, facts, func)?;
    if obj.pkg != "fmt" || !matches!(obj.name.as_str(), "Fprintf" | "Fprint") {
        return Err(Decline::new(
            DeclineCode::WrongCallee,
            format!("{} is not fmt.Fprintf/fmt.Fprint", src.node_text(func)),
        ));
    }
    let (w, s) = (args[0], *args.last().expect("anchored with 2 or 3 arguments"));
    if obj.name == "Fprintf" {
        let format = args[1];
        if !matches!(format.kind(), "interpreted_string_literal" | "raw_string_literal") {
            return Err(Decline::new(DeclineCode::NotStringLiteralFormat, "the format is not a string literal"));
        }
        let lit = golit::decode(src.node_text(format))
            .ok_or_else(|| Decline::new(DeclineCode::MalformedFormat, "cannot decode the format literal"))?;
        if !matches!(lit.value().as_slice(), b"%s" | b"%v") {
            return Err(Decline::new(
                DeclineCode::FormatNotPlainVerb,
                format!("the format {} is not exactly \"%s\" or \"%v\"", src.node_text(format)),
            ));
        }
    }
    let wf = facts
        .expr(file, w.start_byte(), w.end_byte())
        .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the writer"))?;
    let sf = facts
        .expr(file, s.start_byte(), s.end_byte())
        .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the operand"))?;
    if sf.type_param || sf.interface || sf.pointer {
        return Err(Decline::new(
            DeclineCode::InterfaceOperand,
            format!("`{}` ({}): fmt decides at run time how to print it", src.node_text(s), sf.ty),
        ));
    }
    if let Some(m) = sf.methods.first() {
        return Err(Decline::new(
            DeclineCode::CallsStringMethod,
            format!("`{}` ({}): its type has a {m} method, which fmt calls", src.node_text(s), sf.ty),
        ));
    }
    if !matches!(sf.basic.as_str(), "string" | "untyped string") {
        return Err(Decline::new(
            DeclineCode::WrongType,
            format!("`{}` has type {}, not string", src.node_text(s), if sf.ty.is_empty() { "?" } else { &sf.ty }),
        ));
    }
    writer_ok(wf, "io.WriteString would call its own WriteString method (if it has one) instead of Write")?;
    if wf.side_effects {
        return Err(Decline::new(
            DeclineCode::EvaluationOrder,
            "the writer expression contains a call; the rule keeps evaluation order simple",
        ));
    }
    let (io, needs_import) = qualifier(facts, file, call.start_byte(), "io")?;
    let operand = if sf.named { format!("string({})", src.node_text(s)) } else { src.node_text(s).to_string() };
    let text = format!("{io}.WriteString({}, {operand})", src.node_text(w));
    let mut removed_uses = Vec::new();
    if let Some(op) = func.child_by_field_name("operand").filter(|o| o.kind() == "identifier") {
        removed_uses.push(("fmt".to_string(), op.start_byte()));
    }
    Ok(Proposal {
        edits: vec![TextEdit { start: call.start_byte(), end: call.end_byte(), text: text.clone() }],
        add_imports: if needs_import { vec!["io".to_string()] } else { vec![] },
        removed_uses,
        title: format!("{} → {}", one_line(src.node_text(call)), one_line(&text)),
        explanation: format!(
            "fmt.{} boxes the string into an interface (the finding) and runs the formatter only to copy its bytes. \
             io.WriteString writes the same bytes with one call — w.WriteString(s) when the writer has that method \
             (bytes.Buffer, strings.Builder, bufio.Writer, os.File, io.Discard: no allocation at all), else w.Write([]byte(s)) \
             (a copy of s instead of the 16-byte box, so the win there is CPU, not allocations) — and returns the same (n int, err error).",
            obj.name
        ),
        expect_new: ExpectNew::Nothing,
    })
}

fn propose_fprintf(site: &Site, facts: &Facts, w: &WriteShape) -> Result<Proposal, Decline> {
    let src = site.source;
    let file = site.file();
    let call = site.node();
    let method = callee(src, facts, w.method)?;
    let sig =
        method.signature.as_ref().ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no signature for Write"))?;
    if sig.params != ["[]byte"] || sig.results != ["int", "error"] || sig.variadic {
        return Err(Decline::new(
            DeclineCode::WrongCallee,
            format!("{} is not Write([]byte) (int, error)", src.node_text(w.method)),
        ));
    }
    let inner = callee(src, facts, w.inner_func)?;
    let Some((_, fname)) = SPRINTS.iter().find(|(s, _)| inner.pkg == "fmt" && *s == inner.name) else {
        return Err(Decline::new(
            DeclineCode::WrongCallee,
            format!("{} is not fmt.Sprintf/Sprint/Sprintln", src.node_text(w.inner_func)),
        ));
    };
    let conv = facts
        .expr(file, w.conversion.start_byte(), w.conversion.end_byte())
        .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the conversion"))?;
    if !(conv.type_src == "[]byte" || conv.type_src == "[]uint8") {
        return Err(Decline::new(DeclineCode::WrongType, format!("the conversion is to {}, not []byte", conv.ty)));
    }
    let rf = facts
        .expr(file, w.receiver.start_byte(), w.receiver.end_byte())
        .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the writer"))?;
    writer_ok(
        rf,
        "fmt.Fprintf would hand its Write method fmt's reused buffer, which a Write that keeps p would see overwritten",
    )?;
    if rf.side_effects {
        return Err(Decline::new(
            DeclineCode::EvaluationOrder,
            "the writer expression contains a call; the rule keeps evaluation order simple",
        ));
    }
    // Go orders calls, not variable reads: with a call among the operands, the writer must be a
    // variable that nothing can reassign (written only where declared, address never taken).
    let mut operand_calls = false;
    for a in &w.inner_args {
        let af = facts.expr(file, a.start_byte(), a.end_byte()).ok_or_else(|| {
            Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for `{}`", src.node_text(*a)))
        })?;
        operand_calls |= af.side_effects;
    }
    if operand_calls {
        let stable = w.receiver.kind() == "identifier"
            && facts.uses(file, w.receiver.start_byte()).is_some_and(|u| {
                u.object.kind == "var"
                    && u.object.scope == "local"
                    && u.refs.iter().all(|r| (!r.write || r.decl) && !r.addr)
            });
        if !stable {
            return Err(Decline::new(DeclineCode::EvaluationOrder, "an operand contains a call and the writer is not a local variable that is never reassigned: the order in which they are evaluated could change"));
        }
    }
    // `fmt.Sprintf` → `fmt.Fprintf`, in the file's own spelling of the package.
    let inner_callee_text = src.node_text(w.inner_func);
    let qual = inner_callee_text.rsplit_once('.').map(|(q, _)| q).unwrap_or("fmt");
    let list = src.node_text(w.inner_list);
    let rest =
        list.strip_prefix('(').ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "malformed argument list"))?;
    let sep = if w.inner_args.is_empty() { "" } else { ", " };
    let text = format!("{qual}.{fname}({}{sep}{}", src.node_text(w.receiver), rest.trim_start());
    Ok(Proposal {
        edits: vec![TextEdit { start: call.start_byte(), end: call.end_byte(), text: text.clone() }],
        add_imports: vec![],
        removed_uses: vec![],
        title: format!("{} → {}", one_line(src.node_text(call)), one_line(&text)),
        explanation: format!(
            "fmt.{} builds a new string and []byte(...) copies it into a new slice (the finding), only for Write to read it once. \
             fmt.{fname} formats the same bytes into fmt's pooled buffer and calls Write once with them, returning that call's \
             (n int, err error) unchanged.",
            inner.name
        ),
        expect_new: ExpectNew::Nothing,
    })
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

    fn finding(subject: &str) -> Finding {
        Finding::for_test(subject)
    }

    fn at(s: &SourceFile, needle: &str) -> usize {
        s.text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {}", s.text))
    }

    #[test]
    fn anchors_the_string_operand_only() {
        let s = src(r#"fmt.Fprintf(w, "%s", name)"#);
        assert!(fprint_call(&finding("name"), &s, at(&s, "name")).is_some());
        assert!(fprint_call(&finding("w"), &s, at(&s, "w,")).is_none(), "the writer's conversion is not the target");
        let s = src(r#"fmt.Fprint(w, t.Name)"#);
        assert!(fprint_call(&finding("t.Name"), &s, at(&s, ".Name")).is_some(), "reported at the dot");
        let s = src(r#"fmt.Fprint(w, g(x))"#);
        assert!(fprint_call(&finding("x"), &s, at(&s, "x)")).is_none(), "x is g's argument, not Fprint's");
        let s = src(r#"fmt.Fprintf(w, "%s %s", a, b)"#);
        assert!(fprint_call(&finding("a"), &s, at(&s, "a,")).is_none(), "two operands");
    }

    #[test]
    fn anchors_the_write_of_a_converted_sprintf() {
        let s = src(r#"n, err := w.Write([]byte(fmt.Sprintf("%d", x)))"#);
        let call = write_call(&s, at(&s, "(\"%d")).unwrap();
        assert_eq!(s.node_text(call), r#"w.Write([]byte(fmt.Sprintf("%d", x)))"#);
        let s = src(r#"w.Write([]byte(strings.Repeat("a", 3)))"#);
        assert!(write_call(&s, at(&s, "(\"a")).is_none());
    }
}
