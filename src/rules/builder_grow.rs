//! `builder-grow`: a run of writes into a `strings.Builder` → one `Grow` with their total before it.
//!
//! `(*strings.Builder).WriteString` is inlined at every call site, and its `append(b.buf, s...)` is
//! reported there (`append(strings.b.buf, strings.s...) escapes to heap`, inlined from
//! `strings.(*Builder).WriteString`). Each write that outgrows the buffer reallocates it (8, 16, 32,
//! 64... bytes); `Grow(total)` first makes that one allocation of the right size.
//!
//! The rewrite adds one statement and changes nothing else, so behaviour can change only through
//! what computing the total evaluates. The total is therefore built from string literals (their
//! length is a constant), `WriteByte` (1), `WriteRune` (its literal's length, else 4) and `len(x)`
//! of a plain identifier, which reads a variable and can neither panic nor run code. Any other
//! operand (a call, a field through a pointer, an index) would be evaluated twice or earlier, so it
//! ends the run. Writes in `if` branches count as if taken: an over-estimate only costs capacity.
//! `len(x)` read before the run equals `len(x)` at the write, since the run declares nothing and
//! assigns nothing (an `if` condition could, through a call, but then only the capacity differs).
//!
//! The win is fewer allocations, which `-m` cannot show (the findings stay): measured by the
//! fixture's benchmarks (tests/rule_builder_grow.rs) and, with `--bench`, by the user's own.

use super::call_parts as parts;
use super::codes::DeclineCode;
use super::{Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::{Finding, Kind, Origin};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::Query;
use crate::golit;
use crate::source::SourceFile;
use crate::syntax::names::mentions;
use crate::syntax::text::{line_before, one_line_tight};
use crate::syntax::walk::{block_statements, enclosing_function, enclosing_loop};
use tree_sitter::Node;

pub struct BuilderGrow;

pub const ID: &str = "builder-grow";

/// The Builder methods that append to its buffer.
const WRITES: &[&str] = &["WriteString", "WriteByte", "WriteRune", "Write"];

/// `append` on a nil slice allocates at least this size class, so writes that total no more than
/// this never reallocate.
const SMALLEST_ALLOCATION: usize = 8;

const META: RuleMeta = RuleMeta {
    id: ID,
    summary: "consecutive strings.Builder writes → one Grow with their total before them",
    doc: "rules/builder-grow.md",
    min_go: None,
    fixture: "fixtures/builder-grow",
};

impl Rule for BuilderGrow {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FewerAllocations
    }
    fn allocation_claim(&self) -> &'static str {
        "replaces the buffer's growth reallocations with one allocation"
    }
    fn sees_inlined(&self) -> bool {
        true
    }

    fn interested(&self, f: &Finding) -> bool {
        // The compiler names the append `append` in the finding and spells it out in the flow.
        matches!(f.kind, Kind::EscapesToHeap | Kind::DoesNotEscape)
            && f.subject == "append"
            && f.flows.iter().any(|fl| fl.src.starts_with("&{storage for append(strings.b.buf"))
            && matches!(&f.origin, Origin::Inlined { callees } if callees.first().is_some_and(|c| c.starts_with("strings.(*Builder).Write")))
    }

    /// The run of write statements around the reported call (the compiler puts an inlined call's
    /// position at its `(`).
    fn anchor(&self, _f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let list = source.smallest_node_at(offset).filter(|n| n.kind() == "argument_list")?;
        let call = list.parent().filter(|c| c.kind() == "call_expression")?;
        let (recv, _, _) = write_call(source, call)?;
        let stmt = call.parent().filter(|s| s.kind() == "expression_statement")?;
        let (first, last) = run_around(source, stmt, source.node_text(recv));
        Some((first.start_byte(), last.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let run = Run::at(site)?;
        let file = site.file();
        let mut q = vec![Facts::expr_query(file, run.receiver)];
        q.push(Query::Scope { file: file.to_path_buf(), offset: run.first.start_byte(), name: "len".into() });
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let src = site.source;
        let run = Run::at(site)?;
        let name = src.node_text(run.receiver);
        if run.writes < 2 {
            return Err(Decline::new(
                DeclineCode::NoSaving,
                format!("a single write to `{name}`: it allocates once either way, so Grow would save nothing"),
            ));
        }
        if let Some(lp) = enclosing_loop(run.first) {
            let (line, _) = src.position(lp.start_byte());
            return Err(Decline::new(DeclineCode::NoSaving, format!(
                "the writes are inside the loop at line {line}: a Grow per iteration saves nothing; the whole loop's total would have to be computed before it"
            )));
        }
        let ty = facts
            .expr(site.file(), run.receiver.start_byte(), run.receiver.end_byte())
            .map(|e| e.ty.as_str())
            .unwrap_or("");
        if ty != "strings.Builder" && ty != "*strings.Builder" {
            return Err(Decline::new(DeclineCode::WrongType, format!("`{name}` has type {ty:?}, not strings.Builder")));
        }
        if let Some(body) = enclosing_function(run.first).and_then(|f| f.child_by_field_name("body")) {
            if src.node_text(body).contains(&format!("{name}.Grow(")) {
                return Err(Decline::new(
                    DeclineCode::AlreadyDone,
                    format!("`{name}` is already grown with Grow in this function"),
                ));
            }
        }
        if !declared_empty_before(src, run.first, name) {
            return Err(Decline::new(DeclineCode::NotDeclaredEmpty, format!(
                "`{name}` is not declared empty just before these writes (a parameter, a field, or written earlier): it may already hold text, and growing a full buffer by a few bytes saves nothing its own doubling would not"
            )));
        }
        if run.lengths.is_empty() && run.constant <= SMALLEST_ALLOCATION {
            return Err(Decline::new(
                DeclineCode::NoSaving,
                format!(
                    "the writes total {} bytes, which the first allocation ({SMALLEST_ALLOCATION} bytes) already holds",
                    run.constant
                ),
            ));
        }
        if !run.lengths.is_empty()
            && facts.scope(site.file(), run.first.start_byte(), "len").is_none_or(|s| s.kind != "builtin")
        {
            return Err(Decline::new(DeclineCode::NotBuiltin, "`len` is shadowed here"));
        }
        let (at, indent) = line_before(src, run.first)
            .ok_or_else(|| Decline::new(DeclineCode::NotOwnLine, "the writes do not start their own line"))?;
        let mut terms: Vec<String> = run.lengths.iter().map(|v| format!("len({v})")).collect();
        if run.constant > 0 || terms.is_empty() {
            terms.push(run.constant.to_string());
        }
        let total = terms.join(" + ");
        let nl = src.newline();
        let edit = TextEdit { start: at, end: at, text: format!("{indent}{name}.Grow({total}){nl}") };
        let upper = if run.conditional {
            " (counting the writes in `if` branches as if they all ran: an upper bound)"
        } else {
            ""
        };
        Ok(Proposal {
            edits: vec![edit],
            add_imports: vec![],
            removed_uses: vec![],
            title: format!("grow `{name}` once for the {} writes that follow", run.writes),
            explanation: format!(
                "Each write appends to the builder's buffer, which reallocates every time it outgrows it (8, 16, 32... bytes). \
                 `{name}.Grow({total})` allocates the {} bytes the writes need once, up front{upper}. \
                 The findings stay: the writes still append to a heap buffer, only fewer times.",
                if run.lengths.is_empty() { run.constant.to_string() } else { total.clone() }
            ),
            expect_new: ExpectNew::Nothing,
        })
    }
}

/// `recv.M(arg)` with `recv` an identifier and `M` a Builder write: (receiver, method, argument).
fn write_call<'t>(src: &SourceFile, call: Node<'t>) -> Option<(Node<'t>, &'static str, Node<'t>)> {
    let (func, args) = parts(call).ok()?;
    if func.kind() != "selector_expression" {
        return None;
    }
    let recv = func.child_by_field_name("operand").filter(|r| r.kind() == "identifier")?;
    let field = src.node_text(func.child_by_field_name("field")?);
    let method = WRITES.iter().copied().find(|m| *m == field)?;
    let [arg] = args.as_slice() else { return None };
    Some((recv, method, *arg))
}

/// What one statement contributes to a run of writes into `recv`.
enum Unit {
    /// Writes whose lengths are known without evaluating anything: literal bytes and identifiers.
    Sized { constant: usize, lengths: Vec<String>, writes: usize, conditional: bool },
    /// A write into `recv` whose operand the total cannot read ahead (the reason).
    Unsized(String),
    /// Anything else: ends the run.
    Other,
}

fn unit(src: &SourceFile, stmt: Node, recv: &str) -> Unit {
    match stmt.kind() {
        "expression_statement" => {
            let Some(call) = stmt.named_child(0).filter(|c| c.kind() == "call_expression") else { return Unit::Other };
            let Some((r, method, arg)) = write_call(src, call) else { return Unit::Other };
            if src.node_text(r) != recv {
                return Unit::Other;
            }
            match length(src, method, arg, recv) {
                Ok(Length::Constant(n)) => Unit::Sized { constant: n, lengths: vec![], writes: 1, conditional: false },
                Ok(Length::Of(v)) => Unit::Sized { constant: 0, lengths: vec![v], writes: 1, conditional: false },
                Err(why) => Unit::Unsized(why),
            }
        }
        // Branches count as if taken. An initializer (`if x := f(); ...`) would declare names the
        // total cannot see; `else if` chains are nested if statements.
        "if_statement" if stmt.child_by_field_name("initializer").is_none() => {
            let mut total = (0, Vec::new(), 0);
            let branches = [stmt.child_by_field_name("consequence"), stmt.child_by_field_name("alternative")];
            for b in branches.into_iter().flatten() {
                let stmts = if b.kind() == "block" { block_statements(b) } else { vec![b] };
                for s in stmts {
                    match unit(src, s, recv) {
                        Unit::Sized { constant, lengths, writes, .. } => {
                            total.0 += constant;
                            total.1.extend(lengths);
                            total.2 += writes;
                        }
                        _ => return Unit::Other,
                    }
                }
            }
            if total.2 == 0 {
                return Unit::Other;
            }
            Unit::Sized { constant: total.0, lengths: total.1, writes: total.2, conditional: true }
        }
        _ => Unit::Other,
    }
}

enum Length {
    Constant(usize),
    Of(String),
}

/// How many bytes `recv.method(arg)` appends, as a constant or `len` of an identifier.
fn length(src: &SourceFile, method: &str, arg: Node, recv: &str) -> Result<Length, String> {
    let text = src.node_text(arg);
    match method {
        "WriteByte" => Ok(Length::Constant(1)),
        "WriteRune" => Ok(Length::Constant(rune_length(text).unwrap_or(4))),
        _ => match arg.kind() {
            "interpreted_string_literal" | "raw_string_literal" => {
                golit::decode(text).map(|l| Length::Constant(l.value().len())).ok_or_else(|| format!("cannot decode the literal {text}"))
            }
            "identifier" if text != recv && text != "_" && text != "nil" => Ok(Length::Of(text.to_string())),
            _ => Err(format!(
                "`{}` is not a variable or a literal: computing its length before the writes would evaluate it twice and ahead of them (a call would run again, a nil dereference would panic before the earlier writes)",
                one_line_tight(text, 90)
            )),
        },
    }
}

/// The UTF-8 length of a rune literal's value, when it is plain enough to read here.
fn rune_length(lit: &str) -> Option<usize> {
    let body = lit.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut chars = body.chars();
    match (chars.next()?, chars.next()) {
        ('\\', Some(e)) if "abfnrtv\\'".contains(e) && chars.next().is_none() => Some(1),
        ('\\', _) => None,
        (c, None) => Some(c.len_utf8()),
        _ => None,
    }
}

/// The first and last statement of the run of sized writes into `recv` around `stmt` (just `stmt`
/// when it cannot be part of one), climbing out of `if` statements that only write.
fn run_around<'t>(src: &SourceFile, stmt: Node<'t>, recv: &str) -> (Node<'t>, Node<'t>) {
    let mut at = stmt;
    if !matches!(unit(src, at, recv), Unit::Sized { .. }) {
        return (stmt, stmt);
    }
    // A write inside `if c { ... }` belongs to the run of the `if` when the `if` only writes.
    while let Some(outer) =
        at.parent().and_then(|l| l.parent()).and_then(|b| b.parent()).filter(|i| i.kind() == "if_statement")
    {
        if !matches!(unit(src, outer, recv), Unit::Sized { .. }) {
            break;
        }
        at = outer;
    }
    let Some(list) = at.parent() else { return (at, at) };
    let stmts: Vec<Node> = {
        let mut c = list.walk();
        list.named_children(&mut c).filter(|n| n.kind() != "comment").collect()
    };
    let Some(i) = stmts.iter().position(|s| s.id() == at.id()) else { return (at, at) };
    let sized = |s: &Node| matches!(unit(src, *s, recv), Unit::Sized { .. });
    let mut lo = i;
    while lo > 0 && sized(&stmts[lo - 1]) {
        lo -= 1;
    }
    let mut hi = i;
    while hi + 1 < stmts.len() && sized(&stmts[hi + 1]) {
        hi += 1;
    }
    (stmts[lo], stmts[hi])
}

/// A site's run, re-read from its anchor.
struct Run<'t> {
    first: Node<'t>,
    receiver: Node<'t>,
    constant: usize,
    lengths: Vec<String>,
    writes: usize,
    conditional: bool,
}

impl<'t> Run<'t> {
    fn at(site: &'t Site) -> Result<Run<'t>, Decline> {
        let src = site.source;
        let mut first = src
            .tree
            .root_node()
            .named_descendant_for_byte_range(site.anchor.0, site.anchor.0)
            .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "no statement at the site"))?;
        while first.parent().is_some_and(|p| p.kind() != "statement_list") {
            first = first
                .parent()
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "no statement at the site"))?;
        }
        let list =
            first.parent().ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "the site is not in a block"))?;
        let mut c = list.walk();
        let stmts: Vec<Node> = list
            .named_children(&mut c)
            .filter(|n| n.kind() != "comment" && n.start_byte() >= site.anchor.0 && n.end_byte() <= site.anchor.1)
            .collect();
        let first =
            *stmts.first().ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "no statement at the site"))?;
        let receiver = first_receiver(src, first).ok_or_else(|| {
            Decline::new(DeclineCode::ShapeMismatch, "the site is not a write into a strings.Builder variable")
        })?;
        let recv = src.node_text(receiver);
        let mut run = Run { first, receiver, constant: 0, lengths: vec![], writes: 0, conditional: false };
        for s in stmts {
            match unit(src, s, recv) {
                Unit::Sized { constant, lengths, writes, conditional } => {
                    run.constant += constant;
                    run.lengths.extend(lengths);
                    run.writes += writes;
                    run.conditional |= conditional;
                }
                Unit::Unsized(why) => return Err(Decline::new(DeclineCode::EvaluatedTwice, why)),
                Unit::Other => return Err(Decline::new(DeclineCode::ShapeMismatch, "the site is not a run of writes")),
            }
        }
        Ok(run)
    }
}

/// `stmt` is preceded, in its own block, by `var name strings.Builder` / `name := strings.Builder{}`
/// and nothing between them mentions `name`: the builder is empty when the run starts, the case where
/// a run of writes reallocates several times and one Grow replaces all of it. (Go/types confirms the
/// type; the declaration's spelling of it is not checked here.)
fn declared_empty_before(src: &SourceFile, stmt: Node, name: &str) -> bool {
    let mut prev = stmt.prev_named_sibling();
    while let Some(p) = prev {
        if p.kind() != "comment" {
            if declares_empty(src, p, name) {
                return true;
            }
            if mentions(p, name, src) {
                return false;
            }
        }
        prev = p.prev_named_sibling();
    }
    false
}

fn declares_empty(src: &SourceFile, decl: Node, name: &str) -> bool {
    let single = |n: Node| n.named_child_count() == 1 && n.named_child(0).is_some_and(|i| src.node_text(i) == name);
    match decl.kind() {
        "var_declaration" => {
            let mut c = decl.walk();
            let specs: Vec<Node> = decl.named_children(&mut c).collect();
            let [spec] = specs.as_slice() else { return false };
            if spec.kind() != "var_spec" {
                return false;
            }
            let names: Vec<Node> = {
                let mut c = spec.walk();
                spec.children_by_field_name("name", &mut c).collect()
            };
            let value = spec.child_by_field_name("value");
            names.len() == 1
                && src.node_text(names[0]) == name
                && match value {
                    None => spec.child_by_field_name("type").is_some(),
                    Some(v) => v.named_child_count() == 1 && v.named_child(0).is_some_and(|l| empty_literal(src, l)),
                }
        }
        "short_var_declaration" => {
            let (Some(left), Some(right)) = (decl.child_by_field_name("left"), decl.child_by_field_name("right"))
            else {
                return false;
            };
            single(left)
                && right.named_child_count() == 1
                && right.named_child(0).is_some_and(|l| empty_literal(src, l))
        }
        _ => false,
    }
}

/// `strings.Builder{}` (any qualifier: go/types checks the type).
fn empty_literal(src: &SourceFile, n: Node) -> bool {
    n.kind() == "composite_literal"
        && n.child_by_field_name("body").is_some_and(|b| b.named_child_count() == 0)
        && n.child_by_field_name("type").is_some_and(|t| src.node_text(t).ends_with(".Builder"))
}

/// The receiver identifier of the first write in `stmt` (an expression statement or an `if`).
fn first_receiver<'t>(src: &SourceFile, stmt: Node<'t>) -> Option<Node<'t>> {
    let mut stack = vec![stmt];
    while let Some(n) = stack.pop() {
        if n.kind() == "call_expression" {
            if let Some((recv, _, _)) = write_call(src, n) {
                return Some(recv);
            }
        }
        let mut c = n.walk();
        let kids: Vec<Node> = n.named_children(&mut c).collect();
        stack.extend(kids.into_iter().rev());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(body: &str) -> SourceFile {
        SourceFile::parse(Path::new("a.go"), format!("package p\n\nimport \"strings\"\n\nfunc f(a, b string, c []byte, r rune, ok bool, p *T) string {{\n\tvar sb strings.Builder\n{body}\treturn sb.String()\n}}\n")).unwrap()
    }

    /// The anchor of the write at `needle` (the `(` of its call, where the compiler reports it).
    fn anchor_text(src: &SourceFile, needle: &str) -> Option<String> {
        let at = src.text.find(needle).unwrap() + needle.find('(').unwrap();
        let (s, e) = BuilderGrow.anchor(&Finding::for_test("append(strings.b.buf, strings.s...)"), src, at)?;
        Some(src.text[s..e].to_string())
    }

    #[test]
    fn a_run_spans_consecutive_sized_writes_and_ifs_that_only_write() {
        let src = parse("\tsb.WriteString(a)\n\tsb.WriteByte('/')\n\tif ok {\n\t\tsb.WriteString(\"x\")\n\t}\n\tsb.Write(c)\n\tn := 1\n\tsb.WriteString(b)\n\t_ = n\n");
        let run = anchor_text(&src, "sb.WriteString(a)").unwrap();
        assert!(run.starts_with("sb.WriteString(a)") && run.ends_with("sb.Write(c)"), "{run}");
        // From inside the if, the same run.
        assert_eq!(anchor_text(&src, "sb.WriteString(\"x\")").unwrap(), run);
        // After a statement that is not a write, a run of its own.
        assert_eq!(anchor_text(&src, "sb.WriteString(b)").unwrap(), "sb.WriteString(b)");
    }

    #[test]
    fn an_operand_with_a_call_or_a_dereference_ends_the_run() {
        let src = parse("\tsb.WriteString(a)\n\tsb.WriteString(p.name)\n\tsb.WriteString(b)\n\tsb.WriteString(strings.ToUpper(b))\n");
        assert_eq!(anchor_text(&src, "sb.WriteString(a)").unwrap(), "sb.WriteString(a)");
        assert_eq!(anchor_text(&src, "sb.WriteString(p.name)").unwrap(), "sb.WriteString(p.name)");
        assert_eq!(anchor_text(&src, "sb.WriteString(b)").unwrap(), "sb.WriteString(b)");
        match unit(&src, src.node_starting_at(src.text.find("sb.WriteString(strings").unwrap()).unwrap(), "sb") {
            Unit::Unsized(why) => assert!(why.contains("evaluate it twice"), "{why}"),
            _ => panic!("a call operand must not be sized"),
        }
    }

    #[test]
    fn an_if_with_an_initializer_or_other_statements_is_not_part_of_a_run() {
        let src = parse("\tsb.WriteString(a)\n\tif x := b; ok {\n\t\tsb.WriteString(x)\n\t}\n\tif ok {\n\t\tsb.WriteString(a)\n\t\tok = false\n\t}\n");
        assert_eq!(anchor_text(&src, "sb.WriteString(a)").unwrap(), "sb.WriteString(a)");
    }

    #[test]
    fn only_a_builder_declared_empty_right_before_the_run() {
        fn first_write<'t>(src: &'t SourceFile, needle: &str) -> Node<'t> {
            let at = src.text.find(needle).unwrap();
            let mut n = src.tree.root_node().named_descendant_for_byte_range(at, at).unwrap();
            while n.kind() != "expression_statement" {
                n = n.parent().unwrap();
            }
            n
        }
        let src = parse(
            "	sep := a
	sb.WriteString(a)
	sb.WriteString(sep)
",
        );
        assert!(declared_empty_before(&src, first_write(&src, "sb.WriteString(a)"), "sb"));
        let src = parse(
            "	sb.WriteString(a)
	n := sb.Len()
	_ = n
	sb.WriteString(b)
	sb.WriteString(a)
",
        );
        assert!(!declared_empty_before(&src, first_write(&src, "sb.WriteString(b)"), "sb"), "written earlier");
        let src = SourceFile::parse(
            Path::new("a.go"),
            "package p\n\nfunc f(sb *strings.Builder, a string) {\n\tsb.WriteString(a)\n}\n".into(),
        )
        .unwrap();
        assert!(!declared_empty_before(&src, first_write(&src, "sb.WriteString(a)"), "sb"), "a parameter");
        for decl in ["sb := strings.Builder{}", "var sb = strings.Builder{}"] {
            let src = SourceFile::parse(
                Path::new("a.go"),
                format!("package p\n\nfunc f(a string) {{\n\t{decl}\n\tsb.WriteString(a)\n}}\n"),
            )
            .unwrap();
            assert!(declared_empty_before(&src, first_write(&src, "sb.WriteString(a)"), "sb"), "{decl}");
        }
        let src = SourceFile::parse(
            Path::new("a.go"),
            "package p\n\nfunc f(o strings.Builder, a string) {\n\tsb := o\n\tsb.WriteString(a)\n}\n".into(),
        )
        .unwrap();
        assert!(!declared_empty_before(&src, first_write(&src, "sb.WriteString(a)"), "sb"), "a copy is not empty");
    }

    #[test]
    fn lengths_of_literals_runes_and_identifiers() {
        assert_eq!(rune_length("'a'"), Some(1));
        assert_eq!(rune_length("'é'"), Some(2));
        assert_eq!(rune_length("'\\n'"), Some(1));
        assert_eq!(rune_length("'\\u00e9'"), None);
        let src =
            parse("\tsb.WriteString(\"é\\n\")\n\tsb.WriteString(`a\\n`)\n\tsb.WriteRune('€')\n\tsb.WriteRune(r)\n");
        let lens: Vec<usize> = ["sb.WriteString(\"", "sb.WriteString(`", "sb.WriteRune('", "sb.WriteRune(r"]
            .iter()
            .map(|n| match unit(&src, src.node_starting_at(src.text.find(n).unwrap()).unwrap(), "sb") {
                Unit::Sized { constant, .. } => constant,
                _ => panic!("{n} must be sized"),
            })
            .collect();
        assert_eq!(lens, [3, 3, 3, 4]);
    }

    #[test]
    fn interested_only_in_the_builders_own_append() {
        let mut f = Finding::for_test("append");
        f.flows = vec![crate::findings::Flow {
            dst: "{heap}".into(),
            src: "&{storage for append(strings.b.buf, strings.s...)}".into(),
            steps: vec![],
        }];
        assert!(!BuilderGrow.interested(&f), "native findings are not the Builder's");
        f.origin = Origin::Inlined { callees: vec!["strings.(*Builder).WriteString".into()] };
        assert!(BuilderGrow.interested(&f));
        f.origin = Origin::Inlined { callees: vec!["bytes.(*Buffer).WriteString".into()] };
        assert!(!BuilderGrow.interested(&f));
        f.origin = Origin::Inlined { callees: vec!["strings.(*Builder).WriteString".into()] };
        f.flows[0].src = "&{storage for append(b.buf, s...)}".into();
        assert!(!BuilderGrow.interested(&f), "an append of the user's own");
    }
}
