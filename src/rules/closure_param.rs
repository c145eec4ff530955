//! `closure-param`: a variable that an escaping closure captures by reference (`moved to heap: x`,
//! flow reason "captured by a closure") → pass it to the goroutine as a parameter, or let the closure
//! capture a copy made just before it is created. A struct over 128 bytes of which the closure only
//! reads fields → capture copies of those fields. See rules/closure-param.md.
//!
//! The compiler captures by reference when a variable is written after the capture (or its address is
//! taken, or it is over 128 bytes). A copy (or a parameter) freezes the value at creation time, so the
//! rewrite is only faithful when the closure cannot observe any write made after it was created:
//! - no write to the variable can execute after the closure's creation (writes on other paths, after a
//!   `return` that follows the creation, before the creation outside loops), or
//! - the closure is a `go` statement's function and reads the variable before anything that could
//!   synchronise with the spawning goroutine: then no later write is ordered before the read, and the
//!   original program either read the old value too or raced.
//!
//! Everything else — deferred closures, callbacks stored or passed on, closures that write the
//! variable, taken addresses, other closures writing it, `goto` — is declined with the reason.
//! Which of the two forms is written follows allocation measurements (rules/closure-param.md): a `go`
//! statement whose function takes arguments and still captures other variables needs a wrapper closure
//! AND the function's own closure (2 allocations), so the parameter form is used only when the
//! goroutine captures nothing but the variables being passed; the copy form otherwise.

use super::codes::DeclineCode;
use super::{Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::parse::Capture;
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{ExprFacts, Query, RefFacts};
use crate::source::SourceFile;
use crate::syntax::flow::reachable_after;
use crate::syntax::names;
use crate::syntax::text::line_at;
use crate::syntax::version::{GoVersion, PER_ITERATION_LOOP_VARS};
use crate::syntax::walk::{contains_kind, contains_offset, function_at, is_function, outermost_function};
use crate::syntax::writes::obviously_written;
use std::path::Path;
use tree_sitter::Node;

pub struct ClosureParam;

pub const ID: &str = "closure-param";

/// The compiler captures variables up to this many bytes by value when nothing else forces a reference.
const MAX_BY_VALUE: u64 = 128;

/// Numbered name candidates asked for per copy (`xCopy`, `xCopy2`, `xCopy3`).
const NAME_CANDIDATES: usize = 3;

const CAPTURED: &str = "captured by a closure";

const META: RuleMeta = RuleMeta {
    id: ID,
    summary: "a closure capturing a variable by reference → pass it as a parameter or capture a copy",
    doc: "rules/closure-param.md",
    min_go: None,
    fixture: "fixtures/closure-param",
};

impl Rule for ClosureParam {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FindingRemoved
    }

    fn interested(&self, f: &Finding) -> bool {
        // The capture must be what moves the variable: a flow that starts with it (a variable moved
        // for another reason can show "captured by a closure" deep inside an unrelated flow).
        f.kind == Kind::MovedToHeap
            && f.is_native()
            && f.flows.iter().any(|fl| fl.steps.first().is_some_and(|s| s.reason == CAPTURED && s.expr == f.subject))
    }

    fn anchor(&self, f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let decl = source.smallest_node_at(offset).filter(|n| n.kind() == "identifier")?;
        let closure = closure_of(f, source, offset)?;
        // A closure that visibly writes (or takes the address of) this variable cannot be rewritten for
        // it: give the variable its own site so that the closure's other variables can still be fixed.
        if obviously_written(source, closure, &f.subject) {
            return Some((decl.start_byte(), decl.end_byte()));
        }
        Some((closure.start_byte(), closure.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let plan = Plan::new(site)?;
        let file = site.file();
        let mut q = Vec::new();
        for v in &plan.vars {
            q.push(Query::Uses { file: file.to_path_buf(), offset: v.decl });
            if let Some(first) = v.guessed_refs.first() {
                q.push(Query::Expr { file: file.to_path_buf(), start: *first, end: *first + v.name.len() });
            }
            for (field, sel) in &v.guessed_fields {
                q.push(Query::Expr { file: file.to_path_buf(), start: sel.0, end: sel.1 });
                for name in candidates(&field_copy_name(&v.name, field)) {
                    q.push(Query::Scope { file: file.to_path_buf(), offset: plan.stmt.0, name });
                }
            }
            for name in candidates(&format!("{}Copy", v.name)) {
                q.push(Query::Scope { file: file.to_path_buf(), offset: plan.stmt.0, name });
            }
        }
        // Everything else the closure may capture, to tell whether a goroutine captures only what it
        // would be passed (the compiler's capture notes name every captured variable of the function).
        for off in plan.other_captures(site) {
            q.push(Query::Uses { file: file.to_path_buf(), offset: off });
        }
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let plan = Plan::new(site)?;
        let src = site.source;
        let file = site.file();
        let closure = plan.closure(src);
        let stmt = plan.stmt(src);
        let func = function_at(
            closure.parent().ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the closure has no parent"))?,
        )
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the closure is not inside a function"))?;
        if contains_kind(func, "goto_statement") {
            return Err(Decline::new(
                DeclineCode::UsesGoto,
                "the function uses goto, so the order of the writes cannot be read from the code",
            ));
        }
        let go_version = site.package.go_version();
        let mut analyzed = Vec::new();
        for v in &plan.vars {
            analyzed.push(analyze_var(site, facts, &plan, v, go_version.as_deref())?);
        }
        let context = Context::of(closure, stmt);

        // Param form only where the measurements favour it (rules/closure-param.md, Evidence): a
        // goroutine capturing only the passed variables costs one allocation in either form, and a
        // pointerful parameter would be reported as leaking from the literal, so the copy form is
        // used for those; a goroutine capturing anything else costs one more with parameters.
        let captured_others = plan.captures_others(site, facts, closure, &analyzed)?;
        let param_form = matches!(context, Context::Go)
            && !captured_others
            && analyzed.iter().all(|a| a.fields.is_empty() && !a.ty.is_empty() && a.pointer_free)
            && !literal_is_variadic(src, closure);

        let nl = src.newline();
        let indent = plan.indent.clone();
        let mut edits = Vec::new();
        let mut titles = Vec::new();
        let mut how = Vec::new();
        if param_form {
            let params = closure.child_by_field_name("parameters").ok_or_else(|| {
                Decline::new(DeclineCode::UnexpectedSyntax, "the function literal has no parameter list")
            })?;
            let call = closure.parent().filter(|p| p.kind() == "call_expression").ok_or_else(|| {
                Decline::new(DeclineCode::ShapeMismatch, "the go statement does not call the literal")
            })?;
            let args = call
                .child_by_field_name("arguments")
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the call has no argument list"))?;
            let decls: Vec<String> = analyzed.iter().map(|a| format!("{} {}", a.name, a.ty)).collect();
            let names: Vec<String> = analyzed.iter().map(|a| a.name.clone()).collect();
            edits.push(append_to_list(src, params, &decls.join(", ")));
            edits.push(append_to_list(src, args, &names.join(", ")));
            titles.push(format!(
                "go func() {{...}}() → go func({}) {{...}}({}): pass {} as a parameter",
                decls.join(", "),
                names.join(", "),
                names.join(", ")
            ));
            how.push(format!(
                "a parameter, because the goroutine captures nothing else and {} {} no pointers: one allocation, as with a copy (measured)",
                names.join(", "),
                if names.len() == 1 { "has" } else { "have" }
            ));
        } else {
            let mut taken: Vec<String> = Vec::new();
            for a in &analyzed {
                if a.fields.is_empty() {
                    let (name, shadow) = if a.shadow_ok {
                        (a.name.clone(), true)
                    } else {
                        (pick_name(facts, src, file, &plan, func, &format!("{}Copy", a.name), &mut taken)?, false)
                    };
                    edits.push(TextEdit {
                        start: plan.insert_at,
                        end: plan.insert_at,
                        text: format!("{indent}{name} := {}{nl}", a.name),
                    });
                    if !shadow {
                        for r in &a.inner_refs {
                            edits.push(TextEdit { start: *r, end: *r + a.name.len(), text: name.clone() });
                        }
                    }
                    titles.push(format!("{name} := {}: the closure captures a copy of {}", a.name, a.name));
                } else {
                    for (field, sels) in &a.fields {
                        let name =
                            pick_name(facts, src, file, &plan, func, &field_copy_name(&a.name, field), &mut taken)?;
                        edits.push(TextEdit {
                            start: plan.insert_at,
                            end: plan.insert_at,
                            text: format!("{indent}{name} := {}.{field}{nl}", a.name),
                        });
                        for (s, e) in sels {
                            edits.push(TextEdit { start: *s, end: *e, text: name.clone() });
                        }
                        titles.push(format!(
                            "{name} := {}.{field}: the closure captures one field instead of {} ({} bytes)",
                            a.name, a.name, a.size
                        ));
                    }
                }
            }
            if matches!(context, Context::Go) && captured_others {
                how.push("a copy, because the goroutine also captures other variables and parameters would cost a wrapper allocation on top of the closure (measured)".into());
            }
        }
        // One insertion point: the copies of several variables go in the order of the findings.
        merge_insertions(&mut edits, plan.insert_at);
        let names: Vec<&str> = analyzed.iter().map(|a| a.name.as_str()).collect();
        let mut explanation = format!(
            "{} It captures {} by reference, which moves {} to the heap. Why the rewrite keeps the behaviour: {}.",
            context.describe(),
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" },
            analyzed.iter().map(|a| a.why.as_str()).collect::<Vec<_>>().join("; ")
        );
        if !how.is_empty() {
            explanation.push_str(&format!(" Form: {}.", how.join("; ")));
        }
        Ok(Proposal {
            edits,
            add_imports: vec![],
            removed_uses: vec![],
            title: titles.join("; "),
            explanation,
            expect_new: ExpectNew::Nothing,
        })
    }
}

// ---------------------------------------------------------------- syntax: the site's shape

/// What the syntax says about a site before any type question is answered.
struct Plan {
    /// The outermost function literal (below the variables' function) that captures them.
    closure: (usize, usize),
    /// The statement (directly in a statement list) that creates the closure.
    stmt: (usize, usize),
    /// Where copies are inserted (the start of the statement's line) and its indentation.
    insert_at: usize,
    indent: String,
    vars: Vec<VarPlan>,
}

struct VarPlan {
    name: String,
    /// Byte offset of the declaring identifier (the finding's position).
    decl: usize,
    /// Identifiers spelled like the variable inside the closure (a guess for the type query).
    guessed_refs: Vec<usize>,
    /// `v.f` selectors inside the closure, first one per field name.
    guessed_fields: Vec<(String, (usize, usize))>,
}

impl Plan {
    fn new(site: &Site) -> Result<Plan, Decline> {
        let src = site.source;
        let mut closure: Option<Node> = None;
        let mut vars = Vec::new();
        for f in &site.findings {
            let decl = src.offset(f.line(), f.col()).ok_or_else(|| {
                Decline::new(DeclineCode::FindingMismatch, "the finding's position is outside the file")
            })?;
            let c = closure_of(f, src, decl).ok_or_else(|| {
                Decline::new(
                    DeclineCode::FindingMismatch,
                    format!("cannot find the closure that captures {}", f.subject),
                )
            })?;
            match closure {
                None => closure = Some(c),
                Some(prev) if prev.id() == c.id() => {}
                Some(_) => {
                    return Err(Decline::new(
                        DeclineCode::FindingMismatch,
                        "the findings of this site belong to different closures",
                    ))
                }
            }
            let guessed_refs = names::identifier_offsets(c, &f.subject, src);
            let mut guessed_fields: Vec<(String, (usize, usize))> = Vec::new();
            for r in &guessed_refs {
                if let Some(sel) = selector_on(src, *r) {
                    let field = src.node_text(sel.child_by_field_name("field").unwrap()).to_string();
                    if !guessed_fields.iter().any(|(n, _)| *n == field) {
                        guessed_fields.push((field, (sel.start_byte(), sel.end_byte())));
                    }
                }
            }
            vars.push(VarPlan { name: f.subject.clone(), decl, guessed_refs, guessed_fields });
        }
        let closure = closure.ok_or_else(|| Decline::new(DeclineCode::FindingMismatch, "no findings"))?;
        let stmt = statement_of(closure)?;
        let line_start = src.line_start(src.line_index(stmt.start_byte()));
        let indent = &src.text[line_start..stmt.start_byte()];
        if !indent.chars().all(|c| c == ' ' || c == '\t') {
            return Err(Decline::new(
                DeclineCode::NotOwnLine,
                "the statement that creates the closure shares its line with other code",
            ));
        }
        Ok(Plan {
            closure: (closure.start_byte(), closure.end_byte()),
            stmt: (stmt.start_byte(), stmt.end_byte()),
            insert_at: line_start,
            indent: indent.to_string(),
            vars,
        })
    }

    fn closure<'t>(&self, src: &'t SourceFile) -> Node<'t> {
        node_spanning(src, self.closure, "func_literal").expect("the plan's closure is in the tree")
    }
    fn stmt<'t>(&self, src: &'t SourceFile) -> Node<'t> {
        let n = src.tree.root_node().descendant_for_byte_range(self.stmt.0, self.stmt.1).expect("statement");
        let mut n = n;
        while (n.start_byte(), n.end_byte()) != self.stmt || n.parent().is_some_and(|p| p.kind() != "statement_list") {
            n = n.parent().expect("the plan's statement is in the tree");
        }
        n
    }

    /// Declaration offsets of the other variables the compiler says are captured in this function.
    fn other_captures(&self, site: &Site) -> Vec<usize> {
        let src = site.source;
        let closure = self.closure(src);
        let Some(func) = closure.parent().and_then(function_at) else { return vec![] };
        let top = outermost_function(func);
        let mut out = Vec::new();
        for (file, c) in &site.notes.captures {
            if file != site.file() || c.variable.starts_with('.') {
                continue;
            }
            let Some(off) = src.offset(c.pos.line, c.pos.col) else { continue };
            if off < top.start_byte() || off >= top.end_byte() || (off >= self.closure.0 && off < self.closure.1) {
                continue;
            }
            if self.vars.iter().any(|v| v.decl == off) || out.contains(&off) {
                continue;
            }
            if src.smallest_node_at(off).is_some_and(|n| n.kind() == "identifier") {
                out.push(off);
            }
        }
        out
    }

    /// Whether the closure captures a variable other than the ones this site rewrites.
    fn captures_others(
        &self,
        site: &Site,
        facts: &Facts,
        closure: Node,
        analyzed: &[VarAnalysis],
    ) -> Result<bool, Decline> {
        for off in self.other_captures(site) {
            let uses = facts
                .uses(site.file(), off)
                .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no uses facts for a captured variable"))?;
            if uses.refs.iter().any(|r| r.file == site.file() && !r.decl && contains_offset(closure, r.offset)) {
                return Ok(true);
            }
        }
        // Fields copied instead of the variable: the closure still captures the copies.
        Ok(analyzed.iter().any(|a| !a.fields.is_empty()))
    }
}

/// How the closure is used, which decides what a later write means to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// `go func() {...}()`: runs concurrently, from the go statement on.
    Go,
    /// `defer func() {...}()`: runs when the function returns, after every later write.
    Defer,
    /// `return ...func...`: nothing of this function runs after it but deferred calls.
    Returned,
    /// Stored, passed on, or called right away: may run at any later time.
    Stored,
}

impl Context {
    fn of(closure: Node, stmt: Node) -> Context {
        let called = closure
            .parent()
            .filter(|p| p.kind() == "call_expression" && p.child_by_field_name("function") == Some(closure));
        match (stmt.kind(), called) {
            ("go_statement", Some(call)) if call.parent() == Some(stmt) => Context::Go,
            ("defer_statement", Some(call)) if call.parent() == Some(stmt) => Context::Defer,
            ("return_statement", _) => Context::Returned,
            _ => Context::Stored,
        }
    }
    fn describe(self) -> &'static str {
        match self {
            Context::Go => "The goroutine's function literal escapes (it outlives the go statement).",
            Context::Defer => "The deferred function literal escapes.",
            Context::Returned => "The returned function literal escapes.",
            Context::Stored => "The function literal escapes (it is stored or passed on).",
        }
    }
}

// ---------------------------------------------------------------- facts: one variable

struct VarAnalysis {
    name: String,
    /// Parameter type (param form); "" when it cannot be written here.
    ty: String,
    /// A basic type without pointers (numbers, bool): as a goroutine parameter it leaks nothing.
    pointer_free: bool,
    size: i64,
    /// Offsets of the variable's references inside the closure.
    inner_refs: Vec<usize>,
    /// For a large struct: the fields the closure reads, with every selector spelling them.
    fields: Vec<(String, Vec<(usize, usize)>)>,
    /// `x := x` is valid right before the statement and changes no other reference.
    shadow_ok: bool,
    /// Why the rewrite is faithful, for the explanation.
    why: String,
}

fn analyze_var(
    site: &Site,
    facts: &Facts,
    plan: &Plan,
    v: &VarPlan,
    go_version: Option<&str>,
) -> Result<VarAnalysis, Decline> {
    let src = site.source;
    let file = site.file();
    let name = v.name.as_str();
    let closure = plan.closure(src);
    let stmt = plan.stmt(src);
    let capture = capture_note(site, v).ok_or_else(|| {
        Decline::new(DeclineCode::FindingMismatch, format!("the compiler printed no capture note for {name}"))
    })?;
    if !capture.by_ref {
        return Err(Decline::new(DeclineCode::AlreadyDone, format!("the compiler captures {name} by value already")));
    }
    let decl_node = src
        .smallest_node_at(v.decl)
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "no declaration node"))?;
    let home = function_at(decl_node)
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the variable is not declared in a function"))?;
    if is_named_result(decl_node) {
        return Err(Decline::new(
            DeclineCode::NamedResult,
            format!("{name} is a named result: every `return` writes it after the closure is created"),
        ));
    }
    let uses = facts
        .uses(file, v.decl)
        .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, format!("no uses facts for {name}")))?;
    let refs: Vec<&RefFacts> = uses.refs.iter().filter(|r| r.file == file).collect();
    if uses.object.kind != "var" {
        return Err(Decline::new(DeclineCode::NotLocalVariable, format!("{name} is not a variable")));
    }
    if let Some(r) = refs.iter().find(|r| r.addr) {
        return Err(Decline::new(
            DeclineCode::AddressTaken,
            format!(
                "the address of {name} is taken at line {} (a copy would not see writes through the pointer)",
                line_at(src, r.offset)
            ),
        ));
    }
    if capture.addr_taken && all_notes_addr(site, v) {
        return Err(Decline::new(
            DeclineCode::AddressTaken,
            format!("the compiler reports the address of {name} as taken"),
        ));
    }
    // Every closure (other than ours) that refers to the variable, and what it does.
    let mut inner_refs = Vec::new();
    let mut other_closures: Vec<usize> = Vec::new();
    for r in &refs {
        if r.decl {
            continue;
        }
        if contains_offset(closure, r.offset) {
            if r.write {
                return Err(Decline::new(
                    DeclineCode::ClosureWritesCapture,
                    format!(
                        "the closure writes {name} (line {}): a copy would not carry the write back",
                        line_at(src, r.offset)
                    ),
                ));
            }
            inner_refs.push(r.offset);
            continue;
        }
        if let Some(lit) = literal_below(src, r.offset, home) {
            if r.write {
                return Err(Decline::new(
                    DeclineCode::CapturedVarWrittenLater,
                    format!(
                        "{name} is written by another closure (line {}), which may run at any time",
                        line_at(src, r.offset)
                    ),
                ));
            }
            if !other_closures.contains(&lit.start_byte()) {
                other_closures.push(lit.start_byte());
            }
        }
    }
    if inner_refs.is_empty() {
        return Err(Decline::new(DeclineCode::FindingMismatch, format!("the closure does not refer to {name}")));
    }
    if let Some(&other) = other_closures.first() {
        return Err(Decline::new(
            DeclineCode::CapturedElsewhere,
            format!(
                "{name} is also captured by the closure at line {}; rewriting one closure leaves it on the heap",
                line_at(src, other)
            ),
        ));
    }
    if decl_node.start_byte() >= stmt.start_byte() && decl_node.start_byte() < stmt.end_byte() {
        return Err(Decline::new(
            DeclineCode::DeclaredInClosureStatement,
            format!("{name} is declared in the statement that creates the closure"),
        ));
    }
    if let Some(lp) = loop_header_declaring(decl_node) {
        if !per_iteration_loop_vars(go_version) {
            return Err(Decline::new(DeclineCode::SharedLoopVariable, format!(
                "{name} is the loop variable of the loop at line {}, shared by all iterations before Go 1.22 (module: {})",
                line_at(src, lp.start_byte()),
                go_version.unwrap_or("no go version")
            )));
        }
    }

    let first_ref = *inner_refs.first().unwrap();
    let ref_facts = facts.expr(file, first_ref, first_ref + name.len());
    let size = ref_facts.map(|f| f.size).unwrap_or(capture.width as i64);
    let ty = ref_facts.map(|f| f.type_src.clone()).unwrap_or_default();
    let pointer_free = ref_facts.is_some_and(|f| {
        f.kind == "basic" && !matches!(f.basic.as_str(), "" | "string" | "unsafe.Pointer" | "untyped nil")
    });

    // Large struct: copy the fields the closure reads; otherwise the whole variable.
    let mut fields: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
    if capture.width > MAX_BY_VALUE {
        let f = ref_facts.ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for {name}")))?;
        if f.kind != "struct" {
            return Err(Decline::new(
                DeclineCode::TooLarge,
                format!("{name} is {} bytes ({}); only struct fields can be copied instead", capture.width, f.ty),
            ));
        }
        let direct = struct_fields(&f.underlying)
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, format!("cannot read the fields of {}", f.ty)))?;
        for r in &inner_refs {
            let sel = selector_on(src, *r).ok_or_else(|| Decline::new(DeclineCode::TooLarge, {
                format!("the closure uses all of {name} (line {}), which is {} bytes; only reads of single fields can be copied", line_at(src, *r), capture.width)
            }))?;
            let field = src.node_text(sel.child_by_field_name("field").unwrap()).to_string();
            let sf = facts
                .expr(file, sel.start_byte(), sel.end_byte())
                .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for {name}.{field}")))?;
            if sf.object.as_ref().map(|o| o.kind.as_str()) != Some("var") {
                return Err(Decline::new(
                    DeclineCode::FieldIsMethod,
                    format!("{name}.{field} is a method, which reads all of {name}"),
                ));
            }
            if !direct.contains(&field) {
                return Err(Decline::new(
                    DeclineCode::PromotedThroughEmbedding,
                    format!("{name}.{field} is a promoted field (through an embedded field)"),
                ));
            }
            if sf.size as u64 > MAX_BY_VALUE {
                return Err(Decline::new(
                    DeclineCode::TooLarge,
                    format!("{name}.{field} is {} bytes itself; a copy would also be captured by reference", sf.size),
                ));
            }
            may_hold_lock(sf).map_or(Ok(()), |why| {
                Err(Decline::new(DeclineCode::NotCopyable, format!("copying {name}.{field} would copy {why}")))
            })?;
            match fields.iter_mut().find(|(n, _)| *n == field) {
                Some((_, sels)) => sels.push((sel.start_byte(), sel.end_byte())),
                None => fields.push((field, vec![(sel.start_byte(), sel.end_byte())])),
            }
        }
    } else if let Some(f) = ref_facts {
        if let Some(why) = may_hold_lock(f) {
            return Err(Decline::new(DeclineCode::NotCopyable, format!("copying {name} would copy {why}")));
        }
    } else {
        return Err(Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for {name}")));
    }

    // The writes that can run after the closure is created, and what they mean in this context.
    let writes: Vec<usize> = refs
        .iter()
        .filter(|r| r.write && !r.decl && !contains_offset(closure, r.offset))
        .filter(|r| fields.is_empty() || write_touches_fields(src, r.offset, &fields))
        .map(|r| r.offset)
        .collect();
    let later = reachable_after(src, home, stmt, closure, decl_node, &writes);
    let context = Context::of(closure, stmt);
    let what = if fields.is_empty() {
        name.to_string()
    } else {
        fields.iter().map(|(f, _)| format!("{name}.{f}")).collect::<Vec<_>>().join(", ")
    };
    let why = match later.first() {
        None => format!("no write to {what} can run after the closure is created, so a copy holds the same value"),
        Some(&w) => match context {
            Context::Go => {
                let body = closure.child_by_field_name("body").ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the literal has no body"))?;
                reads_before_sync(src, body, &inner_refs).map_err(|(at, what_sync)| {
                    Decline::new(DeclineCode::CapturedVarWrittenLater, format!(
                        "the goroutine reads {name} at line {} after {what_sync}: it may be meant to see the write at line {}",
                        line_at(src, at),
                        line_at(src, w)
                    ))
                })?;
                format!(
                    "the goroutine reads {what} before anything that could synchronise with the spawner, so the write at line {} cannot be ordered before its read: the original either read the old value too or raced (go test -race)",
                    line_at(src, w)
                )
            }
            Context::Defer => {
                return Err(Decline::new(DeclineCode::CapturedVarWrittenLater, format!("deferred: the closure runs when the function returns, after the write to {what} at line {}, and must see it", line_at(src, w))))
            }
            Context::Returned | Context::Stored => {
                return Err(Decline::new(DeclineCode::CapturedVarWrittenLater, format!(
                    "the closure is stored or passed on and may run after the write to {what} at line {}, which it would no longer see",
                    line_at(src, w)
                )))
            }
        },
    };

    let shadow_ok = fields.is_empty() && shadow_allowed(src, stmt, closure, decl_node, home, &refs);
    Ok(VarAnalysis { name: name.to_string(), ty, pointer_free, size, inner_refs, fields, shadow_ok, why })
}

fn capture_note<'a>(site: &'a Site, v: &VarPlan) -> Option<&'a Capture> {
    let src = site.source;
    let mut notes = site
        .notes
        .captures
        .iter()
        .filter(|(f, c)| f == site.file() && c.variable == v.name && src.offset(c.pos.line, c.pos.col) == Some(v.decl))
        .map(|(_, c)| c);
    // A second closure capturing the variable prints addr=true (the first one made it a reference):
    // the first note is the one that describes the source.
    let first = notes.next()?;
    Some(notes.fold(first, |best, c| if !c.addr_taken && best.addr_taken { c } else { best }))
}

fn all_notes_addr(site: &Site, v: &VarPlan) -> bool {
    let src = site.source;
    site.notes
        .captures
        .iter()
        .filter(|(f, c)| f == site.file() && c.variable == v.name && src.offset(c.pos.line, c.pos.col) == Some(v.decl))
        .all(|(_, c)| c.addr_taken)
}

/// Go before 1.22 shares one loop variable between all iterations.
fn per_iteration_loop_vars(go_version: Option<&str>) -> bool {
    go_version.and_then(GoVersion::parse).is_some_and(|v| v.at_least(PER_ITERATION_LOOP_VARS))
}

/// Types whose values must not be copied (go vet's copylocks), as far as the type's spelling shows:
/// structs and arrays that name a sync or sync/atomic type (pointers to them copy fine).
fn may_hold_lock(f: &ExprFacts) -> Option<String> {
    if !matches!(f.kind.as_str(), "struct" | "array") {
        return None;
    }
    let spelled = format!("{} {}", f.ty, f.underlying);
    for marker in ["sync.", "sync/atomic.", "noCopy"] {
        if spelled.contains(marker) {
            return Some(format!("a value of type {} (it may hold a lock: go vet copylocks)", f.ty));
        }
    }
    None
}

// ---------------------------------------------------------------- names

fn candidates(base: &str) -> Vec<String> {
    (1..=NAME_CANDIDATES).map(|i| if i == 1 { base.to_string() } else { format!("{base}{i}") }).collect()
}

/// `cfg` + `Name` → `cfgName`; `b` + `n` → `bN`.
fn field_copy_name(var: &str, field: &str) -> String {
    let mut cs = field.chars();
    match cs.next() {
        Some(c) => format!("{var}{}{}", c.to_uppercase(), cs.as_str()),
        None => var.to_string(),
    }
}

/// The first candidate that nothing visible at the statement declares and that the function never
/// spells (so it neither hides nor is hidden by any declaration, earlier or later).
fn pick_name(
    facts: &Facts,
    src: &SourceFile,
    file: &Path,
    plan: &Plan,
    func: Node,
    base: &str,
    taken: &mut Vec<String>,
) -> Result<String, Decline> {
    let top = outermost_function(func);
    for name in candidates(base) {
        let free = facts.scope(file, plan.stmt.0, &name).is_some_and(|s| s.kind == "none");
        if free && !spells(src, top, &name) && !taken.contains(&name) {
            taken.push(name.clone());
            return Ok(name);
        }
    }
    Err(Decline::new(
        DeclineCode::NoFreeName,
        format!("no free name for the copy ({base}, {base}2, {base}3 are taken)"),
    ))
}

fn spells(src: &SourceFile, node: Node, name: &str) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.child_count() == 0 {
            if n.kind() != "field_identifier" && src.node_text(n) == name {
                return true;
            }
            continue;
        }
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    false
}

// ---------------------------------------------------------------- edits

/// `()` → `(text)`, `(a int)` → `(a int, text)`.
fn append_to_list(src: &SourceFile, list: Node, text: &str) -> TextEdit {
    let close = list.end_byte() - 1;
    let mut c = list.walk();
    let has_items = list.named_children(&mut c).any(|n| n.kind() != "comment");
    if has_items {
        // After the last item, before any trailing comma and the `)`.
        let inner = src.text[list.start_byte() + 1..close].trim_end();
        let inner = inner.strip_suffix(',').unwrap_or(inner).trim_end();
        let at = list.start_byte() + 1 + inner.len();
        TextEdit { start: at, end: at, text: format!(", {text}") }
    } else {
        TextEdit { start: list.start_byte() + 1, end: close, text: text.to_string() }
    }
}

/// Several copies inserted at one offset become one edit (the composer refuses overlapping edits).
fn merge_insertions(edits: &mut Vec<TextEdit>, at: usize) {
    let mut text = String::new();
    edits.retain(|e| {
        if e.start == at && e.end == at {
            text.push_str(&e.text);
            false
        } else {
            true
        }
    });
    if !text.is_empty() {
        edits.insert(0, TextEdit { start: at, end: at, text });
    }
}

fn literal_is_variadic(src: &SourceFile, closure: Node) -> bool {
    closure.child_by_field_name("parameters").is_some_and(|p| src.node_text(p).contains("..."))
}

// ---------------------------------------------------------------- syntax helpers

/// The function literal the finding's "captured by a closure" step points into: the outermost literal
/// that contains the reference but not the declaration.
fn closure_of<'t>(f: &Finding, src: &'t SourceFile, decl: usize) -> Option<Node<'t>> {
    let own = src.path.file_name()?;
    for step in f.flows.iter().filter_map(|fl| fl.steps.first()) {
        if step.reason != CAPTURED || step.expr != f.subject {
            continue;
        }
        let Some(at) = &step.at else { continue };
        if Path::new(&at.path).file_name() != Some(own) {
            continue;
        }
        let Some(off) = src.offset(at.line, at.col) else { continue };
        if let Some(lit) = outermost_literal_between(src, off, decl) {
            return Some(lit);
        }
    }
    None
}

fn outermost_literal_between(src: &SourceFile, at: usize, decl: usize) -> Option<Node<'_>> {
    let mut n = src.tree.root_node().descendant_for_byte_range(at, at)?;
    let mut found = None;
    loop {
        if n.start_byte() <= decl && decl < n.end_byte() {
            return found;
        }
        if n.kind() == "func_literal" {
            found = Some(n);
        }
        n = n.parent()?;
    }
}

/// The outermost function literal that contains `offset` and lies inside `home` (not `home` itself).
fn literal_below<'t>(src: &'t SourceFile, offset: usize, home: Node<'t>) -> Option<Node<'t>> {
    let mut n = src.tree.root_node().descendant_for_byte_range(offset, offset)?;
    let mut found = None;
    while n.id() != home.id() {
        if n.kind() == "func_literal" {
            found = Some(n);
        }
        n = n.parent()?;
    }
    found
}

fn node_spanning<'t>(src: &'t SourceFile, span: (usize, usize), kind: &str) -> Option<Node<'t>> {
    let mut n = src.tree.root_node().descendant_for_byte_range(span.0, span.1)?;
    loop {
        if n.kind() == kind && (n.start_byte(), n.end_byte()) == span {
            return Some(n);
        }
        n = n.parent()?;
    }
}

/// The statement that creates the closure: its ancestor sitting directly in a statement list.
fn statement_of<'t>(closure: Node<'t>) -> Result<Node<'t>, Decline> {
    let mut n = closure;
    loop {
        let p = n
            .parent()
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the closure is not inside a statement"))?;
        match p.kind() {
            "statement_list" => return Ok(n),
            "for_statement" | "for_clause" | "range_clause" => {
                return Err(Decline::new(
                    DeclineCode::UnsupportedPosition,
                    "the closure is created in a loop header, once per iteration",
                ));
            }
            "labeled_statement" => {
                return Err(Decline::new(
                    DeclineCode::UnsupportedPosition,
                    "the statement that creates the closure is labeled",
                ))
            }
            "source_file" => {
                return Err(Decline::new(DeclineCode::UnsupportedPosition, "the closure is not inside a function body"))
            }
            _ => {}
        }
        n = p;
    }
}

/// `v.f` when the identifier at `offset` is the operand of a field selection.
fn selector_on(src: &SourceFile, offset: usize) -> Option<Node<'_>> {
    let id = src.smallest_node_at(offset)?;
    let p = id.parent()?;
    (p.kind() == "selector_expression" && p.child_by_field_name("operand") == Some(id)).then_some(p)
}

fn is_named_result(decl: Node) -> bool {
    let Some(pd) = decl.parent().filter(|p| p.kind() == "parameter_declaration") else { return false };
    let Some(list) = pd.parent().filter(|l| l.kind() == "parameter_list") else { return false };
    list.parent().is_some_and(|f| is_function(f) && f.child_by_field_name("result") == Some(list))
}

/// The for statement whose header declares `decl` (`for i := ...`, `for k, v := range ...`).
fn loop_header_declaring(decl: Node) -> Option<Node> {
    let mut n = decl;
    while let Some(p) = n.parent() {
        match p.kind() {
            "for_clause" | "range_clause" => return p.parent(),
            "block" | "statement_list" | "func_literal" | "function_declaration" | "method_declaration" => return None,
            _ => n = p,
        }
    }
    None
}

/// Whether a write at `offset` (to a struct variable) may change one of `fields`: `v = ...` and
/// `v.f... = ...` for a copied `f` do; `v.g... = ...` for another direct field does not.
fn write_touches_fields(src: &SourceFile, offset: usize, fields: &[(String, Vec<(usize, usize)>)]) -> bool {
    match selector_on(src, offset) {
        Some(sel) => {
            let g = src.node_text(sel.child_by_field_name("field").unwrap());
            fields.iter().any(|(f, _)| f == g)
        }
        None => true,
    }
}

/// Field names of `struct{a int; b string; E; c T "tag"}` as go/types prints it; embedded fields are
/// listed by their type, so they never match a field name read through a selector.
fn struct_fields(underlying: &str) -> Option<Vec<String>> {
    let body = underlying.strip_prefix("struct{")?.strip_suffix('}')?;
    let mut fields = Vec::new();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut escaped = false;
    let mut start = 0;
    let bytes = body.as_bytes();
    let mut push = |piece: &str| {
        let piece = piece.trim();
        if piece.is_empty() {
            return;
        }
        match piece.split_once(' ') {
            Some((name, rest)) if !rest.trim_start().starts_with('"') => fields.push(name.to_string()),
            _ => {} // embedded
        }
    };
    for (i, &b) in bytes.iter().enumerate() {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth -= 1,
            b';' if depth == 0 => {
                push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(&body[start..]);
    Some(fields)
}

// ---------------------------------------------------------------- control flow: later writes

/// Whether `x := x` can go right before `stmt`: not in the block that declares `x` (that would be a
/// redeclaration), and no reference to `x` after that point in the block, outside the closure (it
/// would silently refer to the copy).
fn shadow_allowed(src: &SourceFile, stmt: Node, closure: Node, decl: Node, home: Node, refs: &[&RefFacts]) -> bool {
    let _ = src;
    let Some(list) = stmt.parent() else { return false };
    // The scope the declaration lives in: parameters share the body's block.
    let decl_list = {
        let mut n = decl;
        loop {
            let Some(p) = n.parent() else { return false };
            if p.kind() == "statement_list" {
                break Some(p);
            }
            if p.kind() == "parameter_list" {
                break home
                    .child_by_field_name("body")
                    .and_then(|b| b.named_child(0))
                    .filter(|l| l.kind() == "statement_list");
            }
            if matches!(
                p.kind(),
                "for_clause"
                    | "range_clause"
                    | "if_statement"
                    | "expression_switch_statement"
                    | "type_switch_statement"
            ) {
                break None; // an implicit block around the statement's own blocks
            }
            n = p;
        }
    };
    if decl_list.is_some_and(|l| l.id() == list.id()) {
        return false;
    }
    !refs.iter().any(|r| {
        !r.decl && r.offset >= stmt.start_byte() && r.offset < list.end_byte() && !contains_offset(closure, r.offset)
    })
}

// ---------------------------------------------------------------- goroutine bodies: reads before sync

/// Checks that every read (offsets of identifiers) in a goroutine's body happens before anything that
/// could synchronise with another goroutine: a call (any call: it may lock, wait, or use atomics), a
/// channel send or receive, a select, a range loop. Reads in a loop that also synchronises, in a nested
/// function literal, or in the same expression as a call that is not evaluated after them (Go leaves
/// that order unspecified) fail too. `Err((offset, what))` names the read and what may precede it.
fn reads_before_sync(src: &SourceFile, body: Node, reads: &[usize]) -> Result<(), (usize, String)> {
    let mut scan = SyncScan { src, reads, synced: None };
    for &r in reads {
        if let Some(lit) = nested_literal(body, r) {
            return Err((r, format!("inside the function literal at line {}, which may run later", line_at(src, lit))));
        }
    }
    scan.stmt(body)
}

fn nested_literal(body: Node, offset: usize) -> Option<usize> {
    let mut n = body.descendant_for_byte_range(offset, offset)?;
    while n.id() != body.id() {
        if n.kind() == "func_literal" {
            return Some(n.start_byte());
        }
        n = n.parent()?;
    }
    None
}

struct SyncScan<'a> {
    src: &'a SourceFile,
    reads: &'a [usize],
    /// The first operation that may synchronise, once one has been passed.
    synced: Option<(usize, String)>,
}

impl SyncScan<'_> {
    fn describe(&self, n: Node) -> String {
        let what = match n.kind() {
            "call_expression" => "a call",
            "unary_expression" => "a channel receive",
            "send_statement" => "a channel send",
            "select_statement" => "a select",
            "for_statement" => "a loop that may synchronise",
            _ => "an operation that may synchronise",
        };
        format!("{what} at line {}", line_at(self.src, n.start_byte()))
    }

    fn has_read(&self, n: Node) -> Option<usize> {
        self.reads.iter().copied().find(|r| contains_offset(n, *r))
    }

    fn stmt(&mut self, n: Node) -> Result<(), (usize, String)> {
        match n.kind() {
            "block" | "statement_list" | "labeled_statement" => self.children(n),
            "comment"
            | "empty_statement"
            | "break_statement"
            | "continue_statement"
            | "fallthrough_statement"
            | "label_name" => Ok(()),
            "goto_statement" => match self.has_read_anywhere() {
                Some(r) => Err((r, format!("a goto at line {}", line_at(self.src, n.start_byte())))),
                None => Ok(()),
            },
            "if_statement" => {
                for field in ["initializer", "condition"] {
                    if let Some(c) = n.child_by_field_name(field) {
                        self.unit(c, None)?;
                    }
                }
                for field in ["consequence", "alternative"] {
                    if let Some(c) = n.child_by_field_name(field) {
                        self.stmt(c)?;
                    }
                }
                Ok(())
            }
            "expression_switch_statement" | "type_switch_statement" => {
                let mut c = n.walk();
                for ch in n.named_children(&mut c).collect::<Vec<_>>() {
                    match ch.kind() {
                        "expression_case" | "default_case" | "type_case" => self.case(ch)?,
                        "comment" => {}
                        _ => self.unit(ch, None)?,
                    }
                }
                Ok(())
            }
            "select_statement" => {
                self.mark(n);
                let mut c = n.walk();
                for ch in n.named_children(&mut c).collect::<Vec<_>>() {
                    self.case(ch)?;
                }
                Ok(())
            }
            "for_statement" => self.for_loop(n),
            "go_statement" | "defer_statement" => {
                // The function value and the arguments are evaluated now; the call runs elsewhere/later.
                let Some(e) = n.named_child(0) else { return Ok(()) };
                if e.kind() == "call_expression" {
                    if let Some(f) = e.child_by_field_name("function") {
                        self.unit(f, None)?;
                    }
                    if let Some(a) = e.child_by_field_name("arguments") {
                        self.unit(a, None)?;
                    }
                    Ok(())
                } else {
                    self.unit(e, None)
                }
            }
            "send_statement" => self.unit(n, Some(n)),
            _ => self.unit(n, None),
        }
    }

    fn children(&mut self, n: Node) -> Result<(), (usize, String)> {
        let mut c = n.walk();
        for ch in n.named_children(&mut c).collect::<Vec<_>>() {
            self.stmt(ch)?;
        }
        Ok(())
    }

    fn case(&mut self, n: Node) -> Result<(), (usize, String)> {
        let mut c = n.walk();
        for ch in n.named_children(&mut c).collect::<Vec<_>>() {
            if ch.kind() == "statement_list" {
                self.stmt(ch)?;
            } else if ch.kind() != "comment" {
                self.unit(ch, None)?;
            }
        }
        Ok(())
    }

    fn has_read_anywhere(&self) -> Option<usize> {
        self.reads.first().copied()
    }

    fn mark(&mut self, n: Node) {
        if self.synced.is_none() {
            self.synced = Some((n.start_byte(), self.describe(n)));
        }
    }

    fn for_loop(&mut self, n: Node) -> Result<(), (usize, String)> {
        // A range expression is evaluated once, before the loop; the rest repeats.
        let range_right = {
            let mut c = n.walk();
            let rc = n.named_children(&mut c).find(|ch| ch.kind() == "range_clause");
            rc.and_then(|r| r.child_by_field_name("right"))
        };
        if let Some(r) = range_right {
            self.unit(r, None)?;
        }
        let repeated: Vec<Node> = {
            let mut out = Vec::new();
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                if ch.kind() == "range_clause" {
                    let mut c2 = ch.walk();
                    out.extend(ch.named_children(&mut c2).filter(|x| Some(*x) != range_right));
                } else {
                    out.push(ch);
                }
            }
            out
        };
        let sync = range_right.is_some() || repeated.iter().any(|r| first_sync(*r).is_some());
        let read = repeated.iter().find_map(|r| self.has_read(*r));
        if let (true, Some(r)) = (sync, read) {
            return Err((r, format!("{} (a later iteration reads it again)", self.describe(n))));
        }
        for r in repeated {
            if r.kind() == "block" {
                self.stmt(r)?;
            } else {
                self.unit(r, None)?;
            }
        }
        if sync {
            self.mark(n);
        }
        Ok(())
    }

    /// One expression or simple statement: reads must come before any sync seen so far, and every
    /// sync inside it must be evaluated after them (be an ancestor: `f(x)` calls f after reading x).
    fn unit(&mut self, n: Node, extra_sync: Option<Node>) -> Result<(), (usize, String)> {
        let mut syncs: Vec<Node> = Vec::new();
        collect_syncs(n, &mut syncs);
        if let Some(e) = extra_sync {
            syncs.push(e);
        }
        let reads: Vec<usize> = self.reads.iter().copied().filter(|r| contains_offset(n, *r)).collect();
        if let Some(&r) = reads.first() {
            if let Some((_, what)) = &self.synced {
                return Err((r, what.clone()));
            }
            for s in &syncs {
                if let Some(&bad) = reads.iter().find(|r| !contains_offset(*s, **r)) {
                    return Err((
                        bad,
                        format!("{} in the same statement (Go does not fix which comes first)", self.describe(*s)),
                    ));
                }
            }
        }
        if let Some(s) = syncs.first() {
            self.mark(*s);
        }
        Ok(())
    }
}

/// Calls, receives and sends in `n`, not looking into function literals (their bodies run later).
fn collect_syncs<'t>(n: Node<'t>, out: &mut Vec<Node<'t>>) {
    if n.kind() == "func_literal" {
        return;
    }
    match n.kind() {
        "call_expression" | "send_statement" | "select_statement" => out.push(n),
        "unary_expression" if n.child_by_field_name("operator").is_some_and(|o| o.kind() == "<-") => out.push(n),
        _ => {}
    }
    let mut c = n.walk();
    for ch in n.named_children(&mut c) {
        collect_syncs(ch, out);
    }
}

fn first_sync(n: Node) -> Option<Node> {
    let mut v = Vec::new();
    collect_syncs(n, &mut v);
    v.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(code: &str) -> SourceFile {
        SourceFile::parse(Path::new("p.go"), format!("package p\n\n{code}")).unwrap()
    }

    /// The node of `kind` whose text starts at the n-th occurrence of `needle`.
    fn find<'t>(src: &'t SourceFile, needle: &str, kind: &str) -> Node<'t> {
        let off = src.text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in source"));
        let mut n = src.tree.root_node().descendant_for_byte_range(off, off).unwrap();
        loop {
            if n.kind() == kind && n.start_byte() == off {
                return n;
            }
            n = n.parent().unwrap_or_else(|| panic!("no {kind} at {needle:?}"));
        }
    }

    fn offsets(src: &SourceFile, needle: &str) -> Vec<usize> {
        src.text.match_indices(needle).map(|(i, _)| i).collect()
    }

    /// Reads of `x` (every `x` identifier inside the literal) and the verdict of the sync scan.
    fn goroutine(code: &str) -> Result<(), String> {
        let src = parse(code);
        let lit = find(&src, "func() {", "func_literal");
        let reads = names::identifier_offsets(lit, "x", &src);
        let body = lit.child_by_field_name("body").unwrap();
        reads_before_sync(&src, body, &reads).map_err(|(_, what)| what)
    }

    #[test]
    fn goroutine_reads_before_any_sync_are_accepted() {
        assert!(goroutine("func f(x int, out chan int) {\n\tgo func() {\n\t\tout <- x * 2\n\t}()\n}\n").is_ok());
        assert!(goroutine("func f(x int) {\n\tgo func() {\n\t\tdefer wg.Done()\n\t\tuse(x)\n\t}()\n}\n").is_ok());
        assert!(goroutine("func f(x int) {\n\tgo func() {\n\t\ty := x + 1\n\t\tif y > 2 {\n\t\t\tuse(y)\n\t\t}\n\t\tuse(y)\n\t}()\n}\n").is_ok());
        assert!(
            goroutine("func f(x []int) {\n\tgo func() {\n\t\tfor _, v := range x {\n\t\t\tuse(v)\n\t\t}\n\t}()\n}\n")
                .is_ok(),
            "the range expression is read once, first"
        );
        assert!(goroutine("func f(x int) {\n\tgo func() {\n\t\tm.f(x)\n\t}()\n}\n").is_ok());
    }

    #[test]
    fn goroutine_reads_after_a_possible_sync_are_declined() {
        let e = goroutine("func f(x int) {\n\tgo func() {\n\t\t<-ready\n\t\tuse(x)\n\t}()\n}\n").unwrap_err();
        assert!(e.contains("channel receive"), "{e}");
        let e = goroutine("func f(x int) {\n\tgo func() {\n\t\tmu.Lock()\n\t\tuse(x)\n\t}()\n}\n").unwrap_err();
        assert!(e.contains("a call"), "{e}");
        // unspecified order between reading x and calling g()
        let e = goroutine("func f(x int) {\n\tgo func() {\n\t\tuse(g(), x)\n\t}()\n}\n").unwrap_err();
        assert!(e.contains("same statement"), "{e}");
        let e =
            goroutine("func f(x int) {\n\tgo func() {\n\t\tfor i := 0; i < 3; i++ {\n\t\t\tuse(x)\n\t\t}\n\t}()\n}\n")
                .unwrap_err();
        assert!(e.contains("later iteration"), "{e}");
        let e = goroutine("func f(x int) {\n\tgo func() {\n\t\tdefer func() { use(x) }()\n\t}()\n}\n").unwrap_err();
        assert!(e.contains("function literal"), "{e}");
        let e =
            goroutine("func f(x int) {\n\tgo func() {\n\t\tselect {\n\t\tcase <-done:\n\t\t}\n\t\tuse(x)\n\t}()\n}\n")
                .unwrap_err();
        assert!(e.contains("select") || e.contains("receive"), "{e}");
        let e =
            goroutine("func f(x int, c chan int) {\n\tgo func() {\n\t\tc <- 1\n\t\tuse(x)\n\t}()\n}\n").unwrap_err();
        assert!(e.contains("send"), "{e}");
    }

    /// Writes to `x` (offsets of `x =`/`x++`/`x +=`) that may run after the closure's statement.
    fn later_writes(code: &str) -> Vec<u32> {
        let src = parse(code);
        let lit = find(&src, "func() int { return x", "func_literal");
        let stmt = statement_of(lit).unwrap();
        let decl = find(&src, "x := ", "identifier");
        let home = function_at(decl).unwrap();
        let mut writes: Vec<usize> = offsets(&src, "x = ");
        writes.extend(offsets(&src, "x++"));
        writes.extend(offsets(&src, "x += "));
        writes.sort();
        reachable_after(&src, home, stmt, lit, decl, &writes).into_iter().map(|w| line_at(&src, w)).collect()
    }

    #[test]
    fn writes_after_a_return_on_another_path_are_not_reachable() {
        let code = "func f(n int) func() int {\n\tx := n\n\tif n > 0 {\n\t\treturn func() int { return x }\n\t}\n\tx = 0\n\treturn nil\n}\n";
        assert!(later_writes(code).is_empty());
        // stored, then the function returns before any write
        let code = "func f(n int) {\n\tx := n\n\tif n > 0 {\n\t\tsink = func() int { return x }\n\t\treturn\n\t}\n\tx = 0\n}\n";
        assert!(later_writes(code).is_empty());
        // ...but a write between the statement and the return does run after it
        let code = "func f(n int) {\n\tx := n\n\tif n > 0 {\n\t\tsink = func() int { return x }\n\t\tx++\n\t\treturn\n\t}\n\tx = 0\n}\n";
        assert_eq!(later_writes(code), vec![7]);
    }

    #[test]
    fn writes_later_in_the_text_or_in_an_enclosing_loop_are_reachable() {
        let code = "func f(n int) {\n\tx := n\n\tsink = func() int { return x }\n\tx = 0\n}\n";
        assert_eq!(later_writes(code), vec![6]);
        // a write before the closure, in the loop around it: the next iteration runs it after
        let code = "func f(ns []int) {\n\tx := 0\n\tfor _, n := range ns {\n\t\tx += n\n\t\tsinks = append(sinks, func() int { return x })\n\t}\n}\n";
        assert_eq!(later_writes(code), vec![6]);
        // a break between the closure and the return skips the return
        let code = "func f(ns []int) {\n\tx := 0\n\tfor _, n := range ns {\n\t\tx = n\n\t\tsink = func() int { return x }\n\t\tif n > 2 {\n\t\t\tbreak\n\t\t}\n\t\treturn\n\t}\n}\n";
        assert_eq!(later_writes(code), vec![6]);
        // the loop declares x itself: each iteration has its own
        let code = "func f(ns []int) {\n\tfor _, n := range ns {\n\t\tx := n\n\t\tsinks = append(sinks, func() int { return x })\n\t}\n}\n";
        assert!(later_writes(code).is_empty());
    }

    #[test]
    fn loop_and_return_shape_has_no_later_write() {
        let code = "func f(ns []int) func() int {\n\tx := 0\n\tfor _, n := range ns {\n\t\tx = n\n\t\tif n > 2 {\n\t\t\treturn func() int { return x }\n\t\t}\n\t}\n\tx = -1\n\treturn nil\n}\n";
        assert!(later_writes(code).is_empty());
    }

    #[test]
    fn the_closure_is_the_outermost_literal_below_the_declaration() {
        let src = parse("func f(n int) {\n\tx := n\n\tgo func() {\n\t\tdefer func() { use(x) }()\n\t}()\n}\n");
        let decl = src.text.find("x := ").unwrap();
        let inner_ref = src.text.find("use(x)").unwrap() + 4;
        let lit = outermost_literal_between(&src, inner_ref, decl).unwrap();
        assert_eq!(line_at(&src, lit.start_byte()), 5);
        assert!(src.node_text(lit).starts_with("func() {\n\t\tdefer"));
        // declared inside an outer closure: the capturing literal is the inner one
        let src = parse("func f() {\n\tgo func() {\n\t\tx := 1\n\t\tsink = func() { use(x) }\n\t\tx++\n\t}()\n}\n");
        let decl = src.text.find("x := ").unwrap();
        let r = src.text.find("use(x)").unwrap() + 4;
        assert!(src.node_text(outermost_literal_between(&src, r, decl).unwrap()).starts_with("func() { use"));
    }

    #[test]
    fn statements_and_contexts() {
        let src = parse("func f(x int) {\n\tgo func() { use(x) }()\n\tdefer func() { use(x) }()\n\tsink = func() { use(x) }\n\tfor run(func() { use(x) }) {\n\t}\n}\nfunc g(x int) func() {\n\treturn func() { use(x) }\n}\n");
        let lits: Vec<Node> = offsets(&src, "func() { use").into_iter().map(|o| node_spanning_start(&src, o)).collect();
        let ctx = |i: usize| Context::of(lits[i], statement_of(lits[i]).unwrap());
        assert_eq!(ctx(0), Context::Go);
        assert_eq!(ctx(1), Context::Defer);
        assert_eq!(ctx(2), Context::Stored);
        assert!(statement_of(lits[3]).unwrap_err().code == DeclineCode::UnsupportedPosition);
        assert_eq!(ctx(4), Context::Returned);
    }

    fn node_spanning_start(src: &SourceFile, off: usize) -> Node<'_> {
        let mut n = src.tree.root_node().descendant_for_byte_range(off, off).unwrap();
        while n.kind() != "func_literal" {
            n = n.parent().unwrap();
        }
        n
    }

    #[test]
    fn obvious_writes_are_seen() {
        let src =
            parse("func f(x, y int, s T) {\n\tgo func() {\n\t\tx++\n\t\tuse(&y)\n\t\ts.n = 1\n\t\tuse(z)\n\t}()\n}\n");
        let lit = find(&src, "func() {", "func_literal");
        assert!(obviously_written(&src, lit, "x"));
        assert!(obviously_written(&src, lit, "y"));
        assert!(obviously_written(&src, lit, "s"));
        assert!(!obviously_written(&src, lit, "z"));
    }

    #[test]
    fn named_results_and_loop_variables() {
        let src = parse("func f() (err error) {\n\treturn nil\n}\nfunc g(ns []int) {\n\tfor i := 0; i < 3; i++ {\n\t}\n\tfor _, v := range ns {\n\t}\n}\n");
        assert!(is_named_result(find(&src, "err error", "identifier")));
        assert!(loop_header_declaring(find(&src, "i := 0", "identifier")).is_some());
        assert!(loop_header_declaring(find(&src, "v := range", "identifier")).is_some());
        assert!(!per_iteration_loop_vars(Some("go1.21")));
        assert!(per_iteration_loop_vars(Some("go1.22")));
        assert!(per_iteration_loop_vars(Some("go1.26.8")));
        assert!(!per_iteration_loop_vars(None));
    }

    #[test]
    fn struct_fields_from_the_type_checkers_spelling() {
        assert_eq!(
            struct_fields("struct{Name string; Limits [16]int; Timeout int}").unwrap(),
            vec!["Name", "Limits", "Timeout"]
        );
        assert_eq!(
            struct_fields("struct{a struct{b int; c int}; example.com/m.Embedded; *example.com/m.P; t string \"json:\\\"t;x\\\"\"; E \"tag\"}").unwrap(),
            vec!["a", "t"]
        );
        assert!(struct_fields("[20]int").is_none());
    }

    /// Whether `x := x` may go before the statement creating the `func() int` literal, with every
    /// `x` identifier taken as a reference (the declaration being the one at `x := ` or the parameter).
    fn shadow(code: &str) -> bool {
        let src = parse(code);
        let lit = find(&src, "func() int {", "func_literal");
        let stmt = statement_of(lit).unwrap();
        let decl_off = src.text.find("x := ").or_else(|| src.text.find("x int")).unwrap();
        let decl = src.smallest_node_at(decl_off).unwrap();
        let home = function_at(decl).unwrap();
        let refs: Vec<RefFacts> = names::identifier_offsets(home, "x", &src)
            .into_iter()
            .map(|o| RefFacts { file: src.path.clone(), offset: o, decl: o == decl_off, ..Default::default() })
            .collect();
        let refs: Vec<&RefFacts> = refs.iter().collect();
        shadow_allowed(&src, stmt, lit, decl, home, &refs)
    }

    #[test]
    fn shadow_copy_only_in_another_block_and_with_no_later_reference() {
        // another block, nothing after: `x := x` is fine
        assert!(shadow("func f(n int) {\n\tx := n\n\tif n > 0 {\n\t\tsink = func() int { return x }\n\t\treturn\n\t}\n\tx = 0\n}\n"));
        // the same block as the declaration: a redeclaration
        assert!(!shadow("func f(n int) {\n\tx := n\n\tsink = func() int { return x }\n}\n"));
        // a parameter shares the body's block
        assert!(!shadow("func f(x int) {\n\tsink = func() int { return x }\n}\n"));
        // ...but not an inner block's
        assert!(shadow("func f(x int) {\n\tif x > 0 {\n\t\tsink = func() int { return x }\n\t}\n}\n"));
        // a later reference in the block would read the copy
        assert!(!shadow(
            "func f(n int) {\n\tx := n\n\tif n > 0 {\n\t\tsink = func() int { return x }\n\t\tuse(x)\n\t}\n}\n"
        ));
    }

    #[test]
    fn copies_at_one_point_become_one_edit() {
        let mut edits = vec![
            TextEdit { start: 10, end: 10, text: "\ta := a\n".into() },
            TextEdit { start: 20, end: 21, text: "aCopy".into() },
            TextEdit { start: 10, end: 10, text: "\tb := b\n".into() },
        ];
        merge_insertions(&mut edits, 10);
        assert_eq!(edits.len(), 2);
        assert_eq!(edits[0], TextEdit { start: 10, end: 10, text: "\ta := a\n\tb := b\n".into() });
    }

    #[test]
    fn edits_and_names() {
        let src = parse("func f() {\n\tgo func() {}()\n\tgo func(a int, ) {}(1)\n}\n");
        let lits: Vec<Node> = offsets(&src, "func(").into_iter().map(|o| node_spanning_start(&src, o)).collect();
        let p0 = lits[0].child_by_field_name("parameters").unwrap();
        let e = append_to_list(&src, p0, "x int");
        assert_eq!((e.end - e.start, e.text.as_str()), (0, "x int"));
        let p1 = lits[1].child_by_field_name("parameters").unwrap();
        let e = append_to_list(&src, p1, "x int");
        assert_eq!(&src.text[..e.start].chars().rev().take(5).collect::<String>(), "tni a");
        assert_eq!(e.text, ", x int");
        assert_eq!(field_copy_name("cfg", "Name"), "cfgName");
        assert_eq!(field_copy_name("b", "n"), "bN");
        assert_eq!(candidates("xCopy"), vec!["xCopy", "xCopy2", "xCopy3"]);
    }
}
