//! `return-value`: an unexported, non-inlined function that returns the address of a fresh value
//! (`return &x` with `moved to heap: x`, or `return &T{...}` with `&T{...} escapes to heap`) whose
//! callers only read through the result → return the value: `*T` → `T` in the signature, `&x` → `x`
//! in every return, `*p` → `p` at the callers (`p.f` and value-method calls read the same on a value).
//!
//! The pointer was the only reference to a fresh object, so a copy is indistinguishable as long as
//! nobody could tell two references apart: the function never returns nil (every return hands out
//! `&x`), nothing else in it holds `&x` (no other address-of, no closure), and every caller only reads
//! through the result (no comparison, no store, no write through it, no pointer method, not passed
//! on). All references come from the type checker (the `uses` query), in-package `_test.go` files
//! included (checked with the package as its test variant, and verified by building it), so a caller
//! the rule cannot see or edit (another non-test file: the fix model edits one file; a test call that
//! would need `*p` → `p`; tests that do not type-check) makes it decline. See rules/return-value.md
//! for the table of shapes and the measurements.

use super::codes::DeclineCode;
use super::{Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{ExprFacts, Query};
use crate::source::SourceFile;
use crate::syntax::names::identifiers_named;
use crate::syntax::text;
use crate::syntax::walk::{contains_kind, enclosing_declaration, is_ancestor_or_self};
use std::collections::BTreeSet;
use tree_sitter::Node;

pub struct ReturnValue;

pub const ID: &str = "return-value";

/// Largest value returned by copy. Measured on go1.26.8/amd64 (rules/return-value.md, Evidence):
/// returning a value beat the heap allocation at every size up to 4 KiB in a read-only caller, but
/// every caller frame then holds a copy; 1 KiB keeps frames small and the win clear (≥ 5×).
pub const MAX_VALUE_SIZE: i64 = 1024;

const BASIC: &[&str] = &[
    "bool",
    "string",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "byte",
    "rune",
    "any",
    "error",
    "unsafe.Pointer",
];

/// Named types of other packages that hold no lock and may be copied (vet's copylocks is silent).
const COPYABLE_QUALIFIED: &[&str] = &["time.Time", "time.Duration", "time.Month", "time.Weekday"];

const META: RuleMeta = RuleMeta {
    id: ID,
    summary:
        "an unexported function returning &local whose callers only read → return the value instead of its address",
    doc: "rules/return-value.md",
    min_go: None,
    fixture: "fixtures/return-value",
};

impl Rule for ReturnValue {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FindingRemoved
    }

    fn interested(&self, f: &Finding) -> bool {
        let shape = f.kind == Kind::MovedToHeap || (f.kind == Kind::EscapesToHeap && f.subject.starts_with('&'));
        shape
            && f.is_native()
            && !f.flows.is_empty()
            && f.flows.iter().all(|fl| result_index(&fl.dst).is_some())
            && f.reasons().any(|r| r == "return")
    }

    fn anchor(&self, _f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let mut n = source.tree.root_node().descendant_for_byte_range(offset, offset)?;
        loop {
            match n.kind() {
                "func_literal" => return None,
                "function_declaration" | "method_declaration" => return Some((n.start_byte(), n.end_byte())),
                _ => n = n.parent()?,
            }
        }
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let f = analyse(site)?;
        let file = site.file().to_path_buf();
        let mut q = vec![Query::Uses { file: file.clone(), offset: f.name.start_byte() }];
        for r in &f.returns {
            q.push(Facts::expr_query(&file, r.operand));
            if r.operand.kind() == "identifier" {
                q.push(Query::Uses { file: file.clone(), offset: r.operand.start_byte() });
            }
        }
        caller_queries(site.source, &f.callers, &mut q);
        let name = site.source.node_text(f.name);
        for t in &test_sources(site)? {
            // Naming a test file is what makes the engine check the package with its tests.
            q.push(Query::Imports { file: t.path.clone() });
            caller_queries(t, &callers(t, name, f.nresults, f.k), &mut q);
        }
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let src = site.source;
        let file = site.file();
        let f = analyse(site)?;
        let name = src.node_text(f.name);

        // Never inlined (the compiler said so, or never said it can).
        let (line, col) = src.position(f.name.start_byte());
        if let Some((_, true)) = site.notes.inlinability.get(&(file.to_path_buf(), line, col)) {
            return Err(Decline::new(DeclineCode::Inlinable, format!(
                "the compiler can inline {name}: inlined copies may already keep the value on the stack, and the finding is about the out-of-line copy only"
            )));
        }

        // Every reference to the function is a call we analysed, in this file.
        let uses = facts
            .uses(file, f.name.start_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no references for the function"))?;
        if uses.object.exported {
            return Err(Decline::new(DeclineCode::ExportedApi, format!("{name} is exported: its signature is API")));
        }
        // In-package tests are callers too: checked with the package (the engine's test variant),
        // or the rule cannot know what they do with the pointer.
        let tests = test_sources(site)?;
        if !tests.is_empty() {
            let variant = crate::engine::test_variant_id(&site.package.import_path);
            match facts.package_errors.get(&variant) {
                None => {
                    return Err(Decline::new(
                        DeclineCode::UntypedTestFiles,
                        format!(
                            "the package has in-package test files ({}...) that the type facts do not cover: a caller or comparison there could break",
                            base_name(&tests[0].path)
                        ),
                    ))
                }
                Some(errs) if !errs.is_empty() => {
                    return Err(Decline::new(
                        DeclineCode::UntypedTestFiles,
                        format!(
                            "the package's in-package tests do not type-check (cgo, build tags or a broken test?): {}",
                            errs[0]
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        let test_callers: Vec<Vec<Caller>> = tests.iter().map(|t| callers(t, name, f.nresults, f.k)).collect();
        let ids_of = |cs: &[Caller]| -> BTreeSet<usize> {
            cs.iter().filter_map(|c| callee_ident(c.call).map(|n| n.start_byte())).collect()
        };
        let call_ids = ids_of(&f.callers);
        let test_call_ids: Vec<BTreeSet<usize>> = test_callers.iter().map(|cs| ids_of(cs)).collect();
        let mut ncalls = 0;
        let mut resolved: BTreeSet<usize> = BTreeSet::new();
        for r in &uses.refs {
            if r.decl {
                continue;
            }
            let (rsrc, ids) = if r.file == file {
                (src, &call_ids)
            } else if let Some(i) = tests.iter().position(|t| t.path == r.file) {
                (&tests[i], &test_call_ids[i])
            } else {
                return Err(Decline::new(
                    DeclineCode::UsedInOtherFile,
                    format!("{name} is called from another file ({}); a fix edits one file", base_name(&r.file)),
                ));
            };
            let at = rsrc.position(r.offset).0;
            if !r.call || !ids.contains(&r.offset) {
                let place = if r.file == file { String::new() } else { format!(" of {}", base_name(&r.file)) };
                return Err(Decline::new(
                    DeclineCode::UsedAsValue,
                    format!("{name} is used as a function value at line {at}{place}, not only called"),
                ));
            }
            resolved.insert(r.offset);
            ncalls += 1;
        }
        if ncalls == 0 {
            return Err(Decline::new(
                DeclineCode::NeverCalled,
                format!("{name} has no callers in the package; nothing would allocate less"),
            ));
        }

        // What is returned: one fresh value type, small and copyable, whose address nothing else holds.
        let mut value_type: Option<&ExprFacts> = None;
        let ret_offsets: BTreeSet<usize> = f.returns.iter().map(|r| r.operand.start_byte()).collect();
        for r in &f.returns {
            let t = facts.expr(file, r.operand.start_byte(), r.operand.end_byte()).ok_or_else(|| {
                Decline::new(
                    DeclineCode::NoTypeFacts,
                    format!("no type facts for `{}`", one_line(src.node_text(r.operand))),
                )
            })?;
            check_value_type(src, t)?;
            if let Some(prev) = value_type {
                if prev.type_src != t.type_src {
                    return Err(Decline::new(
                        DeclineCode::MixedReturnTypes,
                        "the returns hand out values of different types",
                    ));
                }
            }
            value_type = Some(t);
            if r.operand.kind() == "identifier" {
                check_returned_local(src, file, facts, &f, r.operand, &ret_offsets)?;
            }
        }
        let value_type = value_type.ok_or_else(|| Decline::new(DeclineCode::ShapeMismatch, "no return statements"))?;

        // Every caller only reads.
        let mut edits: Vec<TextEdit> = Vec::new();
        check_callers(src, facts, &f.callers, &resolved, name, &mut edits)?;
        for (t, cs) in tests.iter().zip(&test_callers) {
            let mut test_edits = Vec::new();
            check_callers(t, facts, cs, &resolved, name, &mut test_edits)?;
            if let Some(e) = test_edits.first() {
                return Err(Decline::new(
                    DeclineCode::UsedInOtherFile,
                    format!(
                        "the call in {} (line {}) needs `*p` → `p` there; a fix edits one file",
                        base_name(&t.path),
                        t.position(e.start).0
                    ),
                ));
            }
        }

        let derefs = edits
            .iter()
            .filter(|e| src.text[e.start..].starts_with('*') || src.text[e.start..].starts_with("(*"))
            .count();
        // The function itself: `*T` → `T`, `&x` → `x`.
        let elem = f
            .result_ptr
            .named_child(0)
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "pointer type without an element"))?;
        edits.push(TextEdit { start: f.result_ptr.start_byte(), end: elem.start_byte(), text: String::new() });
        for r in &f.returns {
            edits.push(TextEdit { start: r.unary.start_byte(), end: r.operand.start_byte(), text: String::new() });
        }
        let ty = src.node_text(elem);
        Ok(Proposal {
            edits,
            add_imports: vec![],
            removed_uses: vec![],
            title: format!("{name}: return {ty} instead of *{ty} ({ncalls} call{})", if ncalls == 1 { "" } else { "s" }),
            explanation: format!(
                "{name} returns the address of a fresh {ty}, so the value is moved to the heap on every call. It never returns nil, nothing else holds that address, \
                 and each of its {ncalls} call{} in the package (in-package tests included) only reads through the result (fields, *p, value-receiver methods), so returning the {ty} itself ({} bytes, \
                 copied instead of allocated) is the same program{}.",
                if ncalls == 1 { "" } else { "s" },
                value_type.size,
                if derefs > 0 { format!("; {derefs} `*p` become `p`") } else { String::new() }
            ),
            expect_new: ExpectNew::Nothing,
        })
    }
}

/// Accepts the calls `callers` (of one file, `src`) only when each reads through the result;
/// records the edits turning `*p` into `p` in that file.
fn check_callers(
    src: &SourceFile,
    facts: &Facts,
    callers: &[Caller],
    resolved: &BTreeSet<usize>,
    name: &str,
    edits: &mut Vec<TextEdit>,
) -> Result<(), Decline> {
    let file = src.path.as_path();
    for c in callers {
        if !callee_ident(c.call).is_some_and(|id| resolved.contains(&id.start_byte())) {
            continue;
        }
        let use_ = c.use_.clone().map_err(|mut d| {
            if src.path.to_string_lossy().ends_with("_test.go") {
                d.reason = format!("{} (in {})", d.reason, base_name(&src.path));
            }
            d
        })?;
        match use_ {
            CallUse::Discarded => {}
            CallUse::Chain => walk_chain(src, facts, c.call, edits, name)?,
            CallUse::Bound { var } => {
                let vname = src.node_text(var);
                let vu = facts
                    .uses(file, var.start_byte())
                    .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, format!("no references for `{vname}`")))?;
                for r in &vu.refs {
                    let at = src.position(r.offset).0;
                    if r.file != file {
                        return Err(Decline::new(
                            DeclineCode::UsedInOtherFile,
                            format!("`{vname}` is used in another file"),
                        ));
                    }
                    if r.decl {
                        if r.offset != var.start_byte() {
                            return Err(Decline::new(
                                DeclineCode::DeclaredElsewhere,
                                format!("`{vname}` (line {at}) is declared elsewhere; the call only assigns it"),
                            ));
                        }
                        continue;
                    }
                    if r.write {
                        return Err(Decline::new(
                            DeclineCode::Reassigned,
                            format!("`{vname}` is reassigned at line {at}"),
                        ));
                    }
                    let id = src
                        .smallest_node_at(r.offset)
                        .filter(|n| n.kind() == "identifier")
                        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "reference is not an identifier"))?;
                    walk_chain(src, facts, id, edits, vname)?;
                }
            }
        }
    }
    Ok(())
}

fn caller_queries(src: &SourceFile, callers: &[Caller], q: &mut Vec<Query>) {
    let file = src.path.clone();
    for c in callers {
        match c.use_ {
            Ok(CallUse::Bound { var }) => {
                q.push(Query::Uses { file: file.clone(), offset: var.start_byte() });
                if let Some(func) = enclosing_declaration(var) {
                    for id in identifiers_named(func, src.node_text(var), src) {
                        q.extend(chain_selectors(id).into_iter().map(|s| Facts::expr_query(&file, s)));
                    }
                }
            }
            Ok(CallUse::Chain) => q.extend(chain_selectors(c.call).into_iter().map(|s| Facts::expr_query(&file, s))),
            Ok(CallUse::Discarded) | Err(_) => {}
        }
    }
}

/// The package's in-package `_test.go` files, parsed.
fn test_sources(site: &Site) -> Result<Vec<SourceFile>, Decline> {
    site.package
        .test_go_files
        .iter()
        .map(|f| {
            let path = site.package.dir.join(f);
            SourceFile::read(&path).map_err(|e| {
                Decline::new(DeclineCode::UntypedTestFiles, format!("cannot read the test file {f}: {e:#}"))
            })
        })
        .collect()
}

fn base_name(p: &std::path::Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// `~r0` → 0.
fn result_index(dst: &str) -> Option<usize> {
    dst.strip_prefix("~r")?.parse().ok()
}

struct Analysed<'t> {
    name: Node<'t>,
    /// The `*T` result being changed.
    result_ptr: Node<'t>,
    returns: Vec<Ret<'t>>,
    callers: Vec<Caller<'t>>,
    /// How many results the function has, and which one is changed.
    nresults: usize,
    k: usize,
}

struct Ret<'t> {
    /// `&x` / `&T{...}`
    unary: Node<'t>,
    /// `x` / `T{...}`
    operand: Node<'t>,
}

struct Caller<'t> {
    call: Node<'t>,
    /// What happens to the result, or why the rule cannot follow it. Only calls that go/types
    /// resolves to the function count (a local with the same name is not it).
    use_: Result<CallUse<'t>, Decline>,
}

#[derive(Clone, Copy)]
enum CallUse<'t> {
    /// `f()`, `go f()`, `defer f()`, `_ = f()`: the result is dropped.
    Discarded,
    /// `p := f()` / `var p = f()` / `p, err := f()`.
    Bound { var: Node<'t> },
    /// `f().x`, `*f()`.
    Chain,
}

/// The syntax: which result, which returns, which calls. Types come later.
fn analyse<'t>(site: &'t Site) -> Result<Analysed<'t>, Decline> {
    let src = site.source;
    let fd = site.node();
    if fd.kind() == "method_declaration" {
        return Err(Decline::new(DeclineCode::MethodMaySatisfyInterface, "methods are not rewritten: the method may be needed to satisfy an interface, whose signature would no longer match"));
    }
    if fd.kind() != "function_declaration" {
        return Err(Decline::new(DeclineCode::ShapeMismatch, "not a function declaration"));
    }
    let name = fd
        .child_by_field_name("name")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "function without a name"))?;
    let fname = src.node_text(name);
    if fname.starts_with(|c: char| c.is_uppercase()) {
        return Err(Decline::new(
            DeclineCode::ExportedApi,
            format!("{fname} is exported: its signature is API and callers outside the package would break"),
        ));
    }
    if fd.child_by_field_name("type_parameters").is_some() {
        return Err(Decline::new(DeclineCode::TypeParameter, format!("{fname} is generic; not rewritten")));
    }
    // The result the findings flow to.
    let mut ks: BTreeSet<usize> = BTreeSet::new();
    for finding in &site.findings {
        for fl in &finding.flows {
            ks.insert(
                result_index(&fl.dst)
                    .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "a flow does not end in a result"))?,
            );
        }
    }
    let k = match ks.iter().collect::<Vec<_>>().as_slice() {
        [k] => **k,
        _ => return Err(Decline::new(DeclineCode::ShapeMismatch, "values flow to several results")),
    };
    let result =
        fd.child_by_field_name("result").ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "no result"))?;
    let results: Vec<Node> = if result.kind() == "parameter_list" {
        let mut c = result.walk();
        let decls: Vec<Node> = result.named_children(&mut c).filter(|n| n.kind() != "comment").collect();
        if decls.iter().any(|d| d.child_by_field_name("name").is_some()) {
            return Err(Decline::new(
                DeclineCode::NamedResult,
                format!("{fname} has named results (a bare return or a deferred write could set them)"),
            ));
        }
        decls
            .iter()
            .map(|d| {
                d.child_by_field_name("type")
                    .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "result without a type"))
            })
            .collect::<Result<_, _>>()?
    } else {
        vec![result]
    };
    let result_ptr = *results
        .get(k)
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the flow's result index is out of range"))?;
    if result_ptr.kind() != "pointer_type" {
        return Err(Decline::new(DeclineCode::ShapeMismatch, format!("result {k} of {fname} is not written as *T")));
    }
    let body = fd
        .child_by_field_name("body")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "function without a body"))?;
    let mut returns = Vec::new();
    for ret in return_statements(body) {
        let at = src.position(ret.start_byte()).0;
        let list = ret.named_child(0).filter(|l| l.kind() == "expression_list");
        let exprs: Vec<Node> = match list {
            Some(l) => {
                let mut c = l.walk();
                l.named_children(&mut c).filter(|n| n.kind() != "comment").collect()
            }
            None => vec![],
        };
        if exprs.len() != results.len() {
            return Err(Decline::new(
                DeclineCode::ShapeMismatch,
                format!("the return at line {at} does not list each result"),
            ));
        }
        let e = strip_parens(exprs[k]);
        let ok = e.kind() == "unary_expression" && e.child_by_field_name("operator").is_some_and(|o| o.kind() == "&");
        let operand = e.child_by_field_name("operand").map(strip_parens);
        match (ok, operand) {
            (true, Some(op)) if matches!(op.kind(), "identifier" | "composite_literal") => {
                returns.push(Ret { unary: e, operand: op })
            }
            _ => {
                let what = src.node_text(exprs[k]);
                let why = if what == "nil" {
                    "callers may rely on a nil result".to_string()
                } else {
                    "not the address of a fresh value".to_string()
                };
                return Err(Decline::new(
                    DeclineCode::NotFreshAddress,
                    format!("the return at line {at} hands out `{}`: {why}", one_line(what)),
                ));
            }
        }
    }
    if returns.is_empty() {
        return Err(Decline::new(DeclineCode::ShapeMismatch, "no return statement"));
    }
    if contains_kind(body, "goto_statement") {
        return Err(Decline::new(DeclineCode::UsesGoto, format!("{fname} uses goto")));
    }
    let nresults = results.len();
    let callers = callers(src, fname, nresults, k);
    Ok(Analysed { name, result_ptr, returns, callers, nresults, k })
}

fn strip_parens(mut n: Node) -> Node {
    while n.kind() == "parenthesized_expression" {
        match n.named_child(0) {
            Some(c) => n = c,
            None => break,
        }
    }
    n
}

/// Return statements of the function itself (not of closures inside it).
fn return_statements(body: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "func_literal" => continue,
            "return_statement" => out.push(n),
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out.sort_by_key(|n| n.start_byte());
    out
}

fn callee_ident(call: Node) -> Option<Node> {
    call.child_by_field_name("function").filter(|f| f.kind() == "identifier")
}

/// Every call of `name` in the file, with what happens to the result.
fn callers<'t>(src: &'t SourceFile, name: &str, nresults: usize, k: usize) -> Vec<Caller<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![src.tree.root_node()];
    while let Some(n) = stack.pop() {
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
        if n.kind() != "call_expression" || callee_ident(n).is_none_or(|f| src.node_text(f) != name) {
            continue;
        }
        out.push(Caller { call: n, use_: call_use(src, n, nresults, k) });
    }
    out.sort_by_key(|c| c.call.start_byte());
    out
}

fn call_use<'t>(src: &SourceFile, call: Node<'t>, nresults: usize, k: usize) -> Result<CallUse<'t>, Decline> {
    let at = src.position(call.start_byte()).0;
    let mut outer = call;
    while let Some(p) = outer.parent().filter(|p| p.kind() == "parenthesized_expression") {
        outer = p;
    }
    let parent = outer.parent().ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "call without a parent"))?;
    match parent.kind() {
        "expression_statement" | "go_statement" | "defer_statement" => Ok(CallUse::Discarded),
        "unary_expression" if parent.child_by_field_name("operator").is_some_and(|o| o.kind() == "*") => {
            Ok(CallUse::Chain)
        }
        "selector_expression" if parent.child_by_field_name("operand") == Some(outer) => Ok(CallUse::Chain),
        "expression_list" => binding(src, parent, outer, nresults, k, at),
        other => Err(Decline::new(
            DeclineCode::CallResultNotLocal,
            format!("the result of the call at line {at} is {}", describe_context(other)),
        )),
    }
}

fn describe_context(kind: &str) -> &'static str {
    match kind {
        "argument_list" => "passed to a function (it could keep or compare the pointer)",
        "return_statement" => "returned (its receiver could keep or compare the pointer)",
        "binary_expression" => "compared or combined (pointer identity and nil checks would change)",
        "literal_element" | "keyed_element" | "literal_value" => "stored in a composite literal",
        "send_statement" => "sent on a channel",
        "var_spec" => "stored in a variable with an explicit type",
        _ => "used in a way the rule does not follow",
    }
}

/// `p := f()`, `var p = f()`, `a, p := 1, f()`, `p, err := f()`, `_ = f()`.
fn binding<'t>(
    src: &SourceFile,
    list: Node<'t>,
    call: Node<'t>,
    nresults: usize,
    k: usize,
    at: u32,
) -> Result<CallUse<'t>, Decline> {
    let stmt =
        list.parent().ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "expression list without a parent"))?;
    if stmt.kind() == "return_statement" {
        return Err(Decline::new(
            DeclineCode::CallResultNotLocal,
            format!("the result of the call at line {at} is {}", describe_context("return_statement")),
        ));
    }
    let right_ok = match stmt.kind() {
        "short_var_declaration" | "assignment_statement" => stmt.child_by_field_name("right") == Some(list),
        "var_spec" => stmt.child_by_field_name("value") == Some(list),
        _ => false,
    };
    if !right_ok {
        return Err(Decline::new(
            DeclineCode::CallResultNotLocal,
            format!("the result of the call at line {at} is used in a way the rule does not follow"),
        ));
    }
    let mut c = list.walk();
    let rights: Vec<Node> = list.named_children(&mut c).filter(|n| n.kind() != "comment").collect();
    let lefts: Vec<Node> = match stmt.kind() {
        "var_spec" => {
            if stmt.child_by_field_name("type").is_some() {
                return Err(Decline::new(
                    DeclineCode::CallResultNotLocal,
                    format!(
                        "the result of the call at line {at} is stored in a variable declared with an explicit type"
                    ),
                ));
            }
            let mut c = stmt.walk();
            stmt.children_by_field_name("name", &mut c).collect()
        }
        _ => {
            let left = stmt
                .child_by_field_name("left")
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "assignment without a left side"))?;
            let mut c = left.walk();
            left.named_children(&mut c).filter(|n| n.kind() != "comment").collect()
        }
    };
    let idx = if nresults > 1 {
        if rights.len() != 1 || lefts.len() != nresults {
            return Err(Decline::new(
                DeclineCode::CallResultNotLocal,
                format!("the call at line {at} is not assigned result by result"),
            ));
        }
        k
    } else {
        if lefts.len() != rights.len() {
            return Err(Decline::new(
                DeclineCode::CallResultNotLocal,
                format!("the call at line {at} is not assigned result by result"),
            ));
        }
        rights
            .iter()
            .position(|r| *r == call)
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the call is not in the list"))?
    };
    let lhs = lefts[idx];
    if lhs.kind() == "identifier" && src.node_text(lhs) == "_" {
        return Ok(CallUse::Discarded);
    }
    if stmt.kind() == "assignment_statement" {
        return Err(Decline::new(
            DeclineCode::CallResultNotLocal,
            format!("the result of the call at line {at} is assigned to an existing variable or location"),
        ));
    }
    if lhs.kind() != "identifier" {
        return Err(Decline::new(
            DeclineCode::CallResultNotLocal,
            format!("the result of the call at line {at} is not bound to a variable"),
        ));
    }
    if enclosing_declaration(lhs).is_none() {
        return Err(Decline::new(
            DeclineCode::CallResultNotLocal,
            format!("the result of the call at line {at} is stored in a package-level variable"),
        ));
    }
    Ok(CallUse::Bound { var: lhs })
}

/// Selector expressions reachable from `start` upwards through `(…)`, `*`, `.f`, `[i]` and `[a:b]`:
/// the ones whose type facts `walk_chain` needs.
fn chain_selectors(start: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut cur = start;
    while let Some(p) = cur.parent() {
        let operand = p.child_by_field_name("operand");
        match p.kind() {
            "parenthesized_expression" => {}
            "unary_expression" if operand == Some(cur) => {}
            "selector_expression" | "index_expression" | "slice_expression" if operand == Some(cur) => {
                if p.kind() == "selector_expression" {
                    out.push(p);
                }
            }
            _ => break,
        }
        cur = p;
    }
    out
}

/// Follows one use of the result (`start`: the bound variable or the call) and accepts it only when
/// it reads through the pointer. Records the edits turning `*p` into `p`.
fn walk_chain(
    src: &SourceFile,
    facts: &Facts,
    start: Node,
    edits: &mut Vec<TextEdit>,
    what: &str,
) -> Result<(), Decline> {
    let file = src.path.as_path();
    let at = src.position(start.start_byte()).0;
    let mut cur = start;
    let mut pointer = true;
    while let Some(p) = cur.parent() {
        let operand = p.child_by_field_name("operand");
        match p.kind() {
            "parenthesized_expression" => {
                cur = p;
                continue;
            }
            "unary_expression"
                if operand == Some(cur)
                    && pointer
                    && p.child_by_field_name("operator").is_some_and(|o| o.kind() == "*") =>
            {
                // `*p` → `p`; `(*p)` → `p`.
                let inner = operand.expect("checked");
                match p.parent().filter(|pp| pp.kind() == "parenthesized_expression") {
                    Some(paren) => {
                        edits.push(TextEdit {
                            start: paren.start_byte(),
                            end: inner.start_byte(),
                            text: String::new(),
                        });
                        edits.push(TextEdit { start: inner.end_byte(), end: paren.end_byte(), text: String::new() });
                        cur = paren;
                    }
                    None => {
                        edits.push(TextEdit { start: p.start_byte(), end: inner.start_byte(), text: String::new() });
                        cur = p;
                    }
                }
                pointer = false;
                continue;
            }
            "selector_expression" if operand == Some(cur) => {
                let sf = facts.expr(file, p.start_byte(), p.end_byte()).ok_or_else(|| {
                    Decline::new(
                        DeclineCode::NoTypeFacts,
                        format!("no type facts for `{}`", one_line(src.node_text(p))),
                    )
                })?;
                let obj = sf
                    .object
                    .as_ref()
                    .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "selector without an object"))?;
                match obj.kind.as_str() {
                    "var" => {
                        cur = p;
                        pointer = false;
                        continue;
                    }
                    "func" => {
                        let recv = obj.signature.as_ref().map(|s| s.recv.as_str()).unwrap_or("");
                        // A pointer method on the result itself, or on a value inside it, could change
                        // it or keep a pointer to it; one on a pointer held in a field cannot.
                        let through_other_pointer =
                            !pointer && facts.expr(file, cur.start_byte(), cur.end_byte()).is_some_and(|e| e.pointer);
                        if recv.starts_with('*') && !through_other_pointer {
                            return Err(Decline::new(DeclineCode::ResultNotOnlyRead, format!(
                                "line {at}: `{}` calls a pointer-receiver method on the result, which may change it or keep the pointer",
                                one_line(src.node_text(p))
                            )));
                        }
                        let called = p.parent().is_some_and(|c| {
                            c.kind() == "call_expression" && c.child_by_field_name("function") == Some(p)
                        });
                        if !called {
                            return Err(Decline::new(
                                DeclineCode::ResultNotOnlyRead,
                                format!(
                                    "line {at}: the method value `{}` binds the result",
                                    one_line(src.node_text(p))
                                ),
                            ));
                        }
                        return Ok(());
                    }
                    _ => {
                        return Err(Decline::new(
                            DeclineCode::ResultNotOnlyRead,
                            format!("line {at}: `{}` is not a field read", one_line(src.node_text(p))),
                        ))
                    }
                }
            }
            "index_expression" if operand == Some(cur) && !pointer => {
                cur = p;
                continue;
            }
            "slice_expression" if operand == Some(cur) && !pointer => {
                let kind = facts.expr(file, cur.start_byte(), cur.end_byte()).map(|e| e.kind.as_str()).unwrap_or("");
                if kind != "slice" && kind != "basic" {
                    return Err(Decline::new(
                        DeclineCode::ResultNotOnlyRead,
                        format!(
                            "line {at}: `{}` slices an array inside the result (a pointer into it)",
                            one_line(src.node_text(p))
                        ),
                    ));
                }
                cur = p;
                continue;
            }
            _ => {}
        }
        break;
    }
    let parent = cur.parent().map(|p| p.kind()).unwrap_or("");
    if pointer {
        let how = match parent {
            "binary_expression" => "compared (nil checks and identity would change)",
            "argument_list" => "passed to a function",
            "return_statement" => "returned",
            "unary_expression" => "its address is taken",
            "expression_list" | "assignment_statement" | "short_var_declaration" | "var_spec" => {
                "assigned to another variable"
            }
            _ => "used as a pointer",
        };
        return Err(Decline::new(
            DeclineCode::ResultNotOnlyRead,
            format!("line {at}: `{what}` itself is {how}, not only read through"),
        ));
    }
    let written = match cur.parent() {
        Some(p) if p.kind() == "inc_statement" || p.kind() == "dec_statement" => true,
        Some(p)
            if p.kind() == "unary_expression" && p.child_by_field_name("operator").is_some_and(|o| o.kind() == "&") =>
        {
            return Err(Decline::new(
                DeclineCode::AddressTaken,
                format!("line {at}: takes the address of `{}` inside the result", one_line(src.node_text(cur))),
            ));
        }
        Some(p) if p.kind() == "expression_list" => p.parent().is_some_and(|s| {
            (s.kind() == "assignment_statement" && s.child_by_field_name("left") == Some(p))
                || (s.kind() == "range_clause" && s.child_by_field_name("left") == Some(p))
        }),
        _ => false,
    };
    if written {
        return Err(Decline::new(
            DeclineCode::ResultNotOnlyRead,
            format!("line {at}: `{}` writes through the result", one_line(src.node_text(cur))),
        ));
    }
    Ok(())
}

/// A returned local: nothing but the returns takes its address, and no closure refers to it.
fn check_returned_local(
    src: &SourceFile,
    file: &std::path::Path,
    facts: &Facts,
    f: &Analysed,
    x: Node,
    returns: &BTreeSet<usize>,
) -> Result<(), Decline> {
    let name = src.node_text(x);
    let u = facts
        .uses(file, x.start_byte())
        .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, format!("no references for `{name}`")))?;
    if u.object.kind != "var" || u.object.scope != "local" {
        return Err(Decline::new(DeclineCode::NotLocalVariable, format!("`{name}` is not a local variable")));
    }
    let fd = f
        .name
        .parent()
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "function name without a declaration"))?;
    for r in &u.refs {
        let at = src.position(r.offset).0;
        let node = src
            .smallest_node_at(r.offset)
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "reference is not in the tree"))?;
        if r.file != file || !is_ancestor_or_self(fd, node) {
            return Err(Decline::new(
                DeclineCode::ReferencedElsewhere,
                format!("`{name}` is referenced outside {}", src.node_text(f.name)),
            ));
        }
        if in_func_literal(node, fd) {
            return Err(Decline::new(
                DeclineCode::CapturedByClosure,
                format!("a closure refers to `{name}` (line {at}): it could read or change it after the return"),
            ));
        }
        if r.addr && !returns.contains(&r.offset) {
            return Err(Decline::new(DeclineCode::AddressTaken, format!("the address of `{name}` is also taken at line {at}: that pointer and the returned one are the same object")));
        }
    }
    Ok(())
}

fn in_func_literal(n: Node, stop: Node) -> bool {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        if p == stop {
            return false;
        }
        if p.kind() == "func_literal" {
            return true;
        }
        cur = p;
    }
    false
}

/// The returned type may be copied: a struct or basic value, small, and holding no lock.
fn check_value_type(src: &SourceFile, t: &ExprFacts) -> Result<(), Decline> {
    let ty = if t.type_src.is_empty() { t.ty.as_str() } else { t.type_src.as_str() };
    if t.interface || t.type_param || t.pointer || !matches!(t.kind.as_str(), "struct" | "basic") {
        return Err(Decline::new(
            DeclineCode::WrongType,
            format!(
                "the returned value has type {ty} ({}); only structs and basic values are returned by value",
                t.kind
            ),
        ));
    }
    if t.size <= 0 {
        return Err(Decline::new(DeclineCode::NoTypeFacts, format!("the size of {ty} is unknown")));
    }
    if t.size > MAX_VALUE_SIZE {
        return Err(Decline::new(
            DeclineCode::TooLarge,
            format!(
                "{ty} is {} bytes: copying it on every return costs more than the rule allows ({MAX_VALUE_SIZE} bytes)",
                t.size
            ),
        ));
    }
    copyable_type_string(src, &t.underlying, 0)
        .map_err(|why| Decline::new(DeclineCode::NotCopyable, format!("{ty} may not be copied: {why}")))
}

/// A type as go/types prints it (`struct{a int; mu sync.Mutex}`) holds nothing that must not be copied
/// (vet's copylocks: sync and sync/atomic types, or any type whose declaration the rule cannot see).
fn copyable_type_string(src: &SourceFile, t: &str, depth: usize) -> Result<(), String> {
    let t = t.trim();
    if depth > 8 {
        return Err("the type nests too deeply to check".into());
    }
    if ["*", "[]", "map[", "chan ", "chan<-", "<-chan", "func(", "interface{", "interface {"]
        .iter()
        .any(|p| t.starts_with(p))
        || BASIC.contains(&t)
    {
        return Ok(());
    }
    if let Some(rest) = t.strip_prefix('[') {
        let close = rest.find(']').ok_or("unbalanced array type")?;
        return copyable_type_string(src, &rest[close + 1..], depth + 1);
    }
    if let Some(body) = t.strip_prefix("struct{").and_then(|b| b.strip_suffix('}')) {
        for field in split_top(body, ';') {
            let field = field.trim();
            if field.is_empty() {
                continue;
            }
            // Drop a tag, then `name Type` or an embedded `Type`.
            let decl = match top_index(field, '"') {
                Some(i) => field[..i].trim(),
                None => field,
            };
            let ty = match top_index(decl, ' ') {
                Some(i) => &decl[i + 1..],
                None => decl,
            };
            copyable_type_string(src, ty, depth + 1)?;
        }
        return Ok(());
    }
    if COPYABLE_QUALIFIED.contains(&t) {
        return Ok(());
    }
    if t.contains(['.', '[', '/']) {
        return Err(format!("field type {t} is declared elsewhere (it could hold a lock)"));
    }
    match type_decl(src, t) {
        Some(node) => copyable_type_node(src, node, depth + 1),
        None => Err(format!("field type {t} is not declared in this file (it could hold a lock)")),
    }
}

fn copyable_type_node(src: &SourceFile, n: Node, depth: usize) -> Result<(), String> {
    if depth > 8 {
        return Err("the type nests too deeply to check".into());
    }
    match n.kind() {
        "pointer_type" | "slice_type" | "map_type" | "channel_type" | "function_type" | "interface_type" => Ok(()),
        "array_type" => {
            copyable_type_node(src, n.child_by_field_name("element").ok_or("array without element")?, depth + 1)
        }
        "parenthesized_type" => copyable_type_node(src, n.named_child(0).ok_or("empty parens")?, depth + 1),
        "struct_type" => {
            let mut stack = vec![n];
            while let Some(x) = stack.pop() {
                if x.kind() == "field_declaration" {
                    copyable_type_node(src, x.child_by_field_name("type").ok_or("field without a type")?, depth + 1)?;
                    continue;
                }
                let mut c = x.walk();
                stack.extend(x.named_children(&mut c));
            }
            Ok(())
        }
        "type_identifier" => copyable_type_string(src, src.node_text(n), depth + 1),
        "qualified_type" if COPYABLE_QUALIFIED.contains(&src.node_text(n)) => Ok(()),
        _ => Err(format!("field type {} is declared elsewhere or generic (it could hold a lock)", src.node_text(n))),
    }
}

/// The type of `type name ...` declared at the top level of this file.
fn type_decl<'t>(src: &'t SourceFile, name: &str) -> Option<Node<'t>> {
    let root = src.tree.root_node();
    let mut c = root.walk();
    for decl in root.named_children(&mut c).filter(|d| d.kind() == "type_declaration") {
        let mut c2 = decl.walk();
        for spec in decl.named_children(&mut c2).filter(|s| s.kind() == "type_spec") {
            if spec.child_by_field_name("name").is_some_and(|n| src.node_text(n) == name)
                && spec.child_by_field_name("type_parameters").is_none()
            {
                return spec.child_by_field_name("type");
            }
        }
    }
    None
}

/// Split at `sep` outside brackets, braces, parentheses and string literals.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0i32;
    let mut in_str = false;
    let mut esc = false;
    for (i, ch) in s.char_indices() {
        if in_str {
            match (esc, ch) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// The first `ch` outside brackets (and, for anything but `"`, outside strings).
fn top_index(s: &str, ch: char) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ if c == ch && depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// Code as this rule's reasons show it: on one line, at most 80 characters.
fn one_line(s: &str) -> String {
    text::one_line(s, 80)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> SourceFile {
        SourceFile::parse(Path::new("a.go"), text.to_string()).unwrap()
    }

    #[test]
    fn copyable_types() {
        let src = parse("package p\n\nimport \"sync\"\n\ntype inner struct{ a [4]int; b *int }\n\ntype locked struct{ mu sync.Mutex }\n\ntype deep struct{ l locked }\n");
        assert!(copyable_type_string(&src, "struct{X int; Y int}", 0).is_ok());
        assert!(copyable_type_string(
            &src,
            "struct{name string \"json:\\\"n;x\\\"\"; tags []string; m map[string]int}",
            0
        )
        .is_ok());
        assert!(copyable_type_string(&src, "struct{in inner; at time.Time; f func(a int) error}", 0).is_ok());
        assert!(copyable_type_string(&src, "struct{mu sync.Mutex; n int}", 0).is_err());
        assert!(copyable_type_string(&src, "struct{sync.Mutex; n int}", 0).is_err());
        assert!(copyable_type_string(&src, "struct{n atomic.Int64}", 0).is_err());
        assert!(copyable_type_string(&src, "struct{d deep}", 0).is_err());
        assert!(copyable_type_string(&src, "struct{o other}", 0).is_err(), "declared in another file");
        assert!(copyable_type_string(&src, "struct{p *sync.Mutex; a [2]struct{x int}}", 0).is_ok());
        assert!(copyable_type_string(&src, "int", 0).is_ok());
    }

    #[test]
    fn splits_fields_outside_brackets_and_tags() {
        assert_eq!(
            split_top("a int; b struct{c int; d int}; e string \"x;y\"", ';'),
            vec!["a int", " b struct{c int; d int}", " e string \"x;y\""]
        );
        assert_eq!(result_index("~r1"), Some(1));
        assert_eq!(result_index("{heap}"), None);
    }
}
