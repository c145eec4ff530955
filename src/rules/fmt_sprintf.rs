//! `fmt-sprintf`: `fmt.Sprintf`/`fmt.Sprint` boxing → strconv or string concatenation, only where the
//! output is byte-for-byte the same. See rules/fmt-sprintf.md for the table and the preconditions.
//!
//! fmt decides how to print from the operand's dynamic type and methods, so every operand needs type
//! facts: a type with a Format method, or with String/Error/GoString under a verb fmt calls them for
//! (%v %s %x %X %q), an interface, a pointer or a type parameter is left alone, and so is any flag or
//! width (`%5d`, `%+v`) and any precision but a float's (`%.2s`; `%.2f` is FormatFloat's `prec`),
//! which strconv has no twin for. The format is a literal or a string constant (its value from
//! go/types); `%[n]verb` indexes follow fmt's argument number. Operands keep their order and are each
//! evaluated once, unless an index reorders or repeats operands that are all constants or plain
//! variables, so side effects happen exactly as before. Exact rewrites that read worse than the call
//! (multi-line formats, more than four operands) are declined as `kept-for-readability`.

use super::call_parts as parts;
use super::codes::DeclineCode;
use super::{qualifier, qualifier_queries, Decline, Facts, Proposal, Rule, RuleMeta, Site};
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{ExprFacts, Query};
use crate::golit::{self, Unit};
use crate::source::SourceFile;
use crate::syntax::text::{has_comment, one_line_tight};
use crate::syntax::walk::offset_in_func_literal;
use tree_sitter::Node;

pub struct FmtSprintf;

pub const ID: &str = "fmt-sprintf";

const FUNCS: &[&str] = &["Sprintf", "Sprint"];

const META: RuleMeta = RuleMeta {
    id: ID,
    summary: "fmt.Sprintf(\"%d\", n) → strconv.Itoa(n), fmt.Sprintf(\"%s-%s\", a, b) → a + \"-\" + b, when the output is identical",
    doc: "rules/fmt-sprintf.md",
    min_go: None,
    fixture: "fixtures/fmt-sprintf",
};

impl Rule for FmtSprintf {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn evidence(&self) -> Evidence {
        Evidence::FindingRemoved
    }

    fn interested(&self, f: &Finding) -> bool {
        // The compiler's flow names the call that boxes the operand (`from fmt.Sprintf(...) (call
        // parameter)`, printed with the package's name whatever the import alias), so only files
        // with real fmt boxing get parsed.
        f.kind == Kind::EscapesToHeap
            && f.subject != "... argument"
            && f.is_native()
            && f.flows
                .iter()
                .flat_map(|fl| &fl.steps)
                .any(|s| FUNCS.iter().any(|name| s.expr.starts_with(&format!("fmt.{name}("))))
    }

    /// The call whose operand the finding is about. An identifier is reported at its start; any other
    /// operand at an operator inside it (`n*2` at `*`, `len(s)` and `int(x)` at `(`, `t.N` at `.`,
    /// `xs[0]` at `[`), with the compiler's spelling of the operand as the subject: the operand must
    /// start at the column or be spelled like the subject, so a finding of something inside an
    /// operand (`g(x)`'s `x`) is never taken for the operand's boxing.
    fn anchor(&self, f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let mut node = source.tree.root_node().named_descendant_for_byte_range(offset, offset)?;
        while node.parent().is_some_and(|p| p.kind() != "argument_list") {
            node = node.parent()?;
            if matches!(node.kind(), "func_literal" | "block" | "statement_list") || node.kind().ends_with("_statement")
            {
                return None;
            }
        }
        let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        // The result of an inlined call is named `~r0` and reported at the call's `(`: the operand
        // is that call itself (`n.Alignment.String()`), not something inside it.
        let inlined_result = is_inlined_result(&f.subject)
            && node.kind() == "call_expression"
            && node.child_by_field_name("arguments").is_some_and(|a| a.start_byte() == offset);
        if node.start_byte() != offset && !inlined_result && squash(&f.subject) != squash(source.node_text(node)) {
            return None;
        }
        let list = node.parent().filter(|p| p.kind() == "argument_list")?;
        let call = list.parent().filter(|c| c.kind() == "call_expression")?;
        let func = call.child_by_field_name("function").filter(|f| f.kind() == "selector_expression")?;
        let field = func.child_by_field_name("field")?;
        FUNCS.contains(&source.node_text(field)).then(|| (call.start_byte(), call.end_byte()))
    }

    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline> {
        let call = site.node();
        let (func, args) = parts(call)?;
        let file = site.file();
        let mut q = vec![Facts::expr_query(file, func)];
        q.extend(args.iter().map(|a| Facts::expr_query(file, *a)));
        q.extend(qualifier_queries(site.source, call.start_byte(), "strconv"));
        q.extend(qualifier_queries(site.source, call.start_byte(), "encoding/hex"));
        // With a call among the operands, which variables could it change? (see `read_order`)
        if args.iter().any(|a| contains_call(*a)) {
            for a in args.iter().filter(|a| a.kind() == "identifier") {
                q.push(Query::Uses { file: file.to_path_buf(), offset: a.start_byte() });
            }
        }
        q.push(Query::Imports { file: file.to_path_buf() });
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let src = site.source;
        let file = site.file();
        let call = site.node();
        let (func, args) = parts(call)?;
        let callee = facts
            .expr(file, func.start_byte(), func.end_byte())
            .ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no type facts for the callee"))?;
        let obj = callee
            .object
            .as_ref()
            .ok_or_else(|| Decline::new(DeclineCode::WrongCallee, "the callee is not a named function"))?;
        if obj.kind != "func" || obj.pkg != "fmt" || !FUNCS.contains(&obj.name.as_str()) {
            return Err(Decline::new(
                DeclineCode::WrongCallee,
                format!("{} is not fmt.Sprintf/fmt.Sprint", src.node_text(func)),
            ));
        }
        if has_comment(call) {
            return Err(Decline::new(
                DeclineCode::DropsComment,
                "the call contains a comment that the rewrite would drop",
            ));
        }
        if call.parent().is_some_and(|p| p.kind() == "expression_statement") {
            return Err(Decline::new(DeclineCode::ResultUnused, "the result is unused; nothing to rewrite"));
        }
        let mut operands = Vec::new();
        for a in &args {
            let f = facts.expr(file, a.start_byte(), a.end_byte()).ok_or_else(|| {
                Decline::new(DeclineCode::NoTypeFacts, format!("no type facts for `{}`", src.node_text(*a)))
            })?;
            operands.push(Operand {
                code: src.node_text(*a).to_string(),
                facts: f,
                reorderable: f.const_value.is_some() || (a.kind() == "identifier" && !f.side_effects),
                calls: f.side_effects || contains_call(*a),
            });
        }
        let values: Vec<(Node, &Operand)> = if obj.name == "Sprintf" {
            args.iter().copied().zip(&operands).skip(1).collect()
        } else {
            args.iter().copied().zip(&operands).collect()
        };
        read_order(src, facts, &values)?;
        let mut strconv = Strconv::default();
        let pieces = if obj.name == "Sprintf" {
            let (format_node, rest) = operands
                .split_first()
                .map(|(_, r)| (args[0], r))
                .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "fmt.Sprintf without a format"))?;
            let lit = format_literal(src, format_node, operands[0].facts)?;
            let pieces = sprintf_pieces(&lit, rest, &mut strconv)?;
            readable(src.node_text(format_node), &lit, rest.len())?;
            pieces
        } else {
            let pieces = sprint_pieces(&operands, &mut strconv)?;
            if operands.len() > MAX_OPERANDS {
                return Err(too_many(operands.len()));
            }
            pieces
        };

        let mut add_imports = Vec::new();
        let qual = if strconv.used {
            let (name, needs_import) = qualifier(facts, file, call.start_byte(), "strconv")?;
            if needs_import {
                add_imports.push("strconv".to_string());
            }
            name
        } else {
            String::new()
        };
        let hex_qual = if strconv.hex {
            let (name, needs_import) = qualifier(facts, file, call.start_byte(), "encoding/hex")?;
            if needs_import {
                add_imports.push("encoding/hex".to_string());
            }
            name
        } else {
            String::new()
        };
        let (mut text, binary) = render_all(&pieces, &qual, &hex_qual);
        if binary && needs_parens(call) {
            text = format!("({text})");
        }
        let mut removed_uses = Vec::new();
        if let Some(op) = func.child_by_field_name("operand").filter(|o| o.kind() == "identifier") {
            removed_uses.push(("fmt".to_string(), op.start_byte()));
        }
        let original = one_line(src.node_text(call));
        Ok(Proposal {
            edits: vec![TextEdit { start: call.start_byte(), end: call.end_byte(), text: text.clone() }],
            add_imports,
            removed_uses,
            title: format!("{original} → {}", one_line(&text)),
            explanation: explanation(&obj.name, &strconv.notes),
            expect_new: ExpectNew::ResultAllocation,
        })
    }
}

/// Up to this many operands a concatenation still reads like the format; beyond it the call is
/// clearer (issue 11, item 4). A profile may later ask for hot lines anyway.
const MAX_OPERANDS: usize = 4;

fn too_many(n: usize) -> Decline {
    Decline::new(
        DeclineCode::KeptForReadability,
        format!("{n} operands: a concatenation of more than {MAX_OPERANDS} reads worse than the format"),
    )
}

/// The format as a literal whose bytes are the format's value: the literal itself, or the value of a
/// constant expression (`const f = "id=%d"`, `prefix + "%d"`) from go/types, spelled as
/// `strconv.Quote` spells it (`constant.Value.ExactString`). The constant's bytes are inlined into the
/// concatenation; the rewrite no longer names the constant, but prints exactly what it held.
fn format_literal(src: &SourceFile, node: Node, facts: &ExprFacts) -> Result<golit::Literal, Decline> {
    let text = if matches!(node.kind(), "interpreted_string_literal" | "raw_string_literal") {
        src.node_text(node).to_string()
    } else {
        match &facts.const_value {
            Some(v) if matches!(facts.basic.as_str(), "string" | "untyped string") && v.starts_with('"') => v.clone(),
            _ => {
                return Err(Decline::new(
                    DeclineCode::NotStringLiteralFormat,
                    "the format is neither a string literal nor a string constant",
                ))
            }
        }
    };
    golit::decode(&text).ok_or_else(|| Decline::new(DeclineCode::MalformedFormat, "cannot decode the format"))
}

/// The readability judgement of a rewrite that would be exact: a format written over several lines,
/// or holding a line break before its end (a multi-line message), is a template a reader scans as a
/// whole; cut into `+` pieces it is not. So is a long operand list.
fn readable(format_text: &str, lit: &golit::Literal, operands: usize) -> Result<(), Decline> {
    let value = lit.value();
    let inner_newline = value.iter().position(|b| *b == b'\n').is_some_and(|i| i + 1 < value.len());
    if format_text.contains('\n') || inner_newline {
        return Err(Decline::new(
            DeclineCode::KeptForReadability,
            "the format spans several lines: as a concatenation it would no longer read as one template",
        ));
    }
    if operands > MAX_OPERANDS {
        return Err(too_many(operands));
    }
    Ok(())
}

/// Whether `n` contains a call or a receive, syntactically (conversions included).
fn contains_call(n: Node) -> bool {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == "call_expression"
            || (x.kind() == "unary_expression" && x.child_by_field_name("operator").is_some_and(|o| o.kind() == "<-"))
        {
            return true;
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    false
}

/// Go orders calls, not variable reads. gc fills fmt's `...any` slice after every call in the
/// argument list has run, so in `fmt.Sprintf("%d %s", seq, next())` it reads `seq` after `next()`;
/// in `strconv.Itoa(seq) + " " + next()` the read became a call argument that runs first. So when an
/// operand calls something, every other operand must be something no call can change: a constant,
/// or a local variable whose address is never taken and that no function literal assigns.
fn read_order(src: &SourceFile, facts: &Facts, values: &[(Node, &Operand)]) -> Result<(), Decline> {
    let Some((caller, _)) = values.iter().find(|(_, op)| op.facts.side_effects) else { return Ok(()) };
    for (node, op) in values {
        if op.facts.side_effects || op.facts.const_value.is_some() {
            continue;
        }
        let stable = node.kind() == "identifier"
            && facts.uses(&src.path, node.start_byte()).is_some_and(|u| {
                u.object.kind == "var"
                    && u.object.scope == "local"
                    && !u.refs.iter().any(|r| {
                        r.addr || (r.write && !r.decl && r.file == src.path && offset_in_func_literal(src, r.offset))
                    })
            });
        if !stable {
            return Err(Decline::new(DeclineCode::EvaluationOrder, format!(
                "`{}` calls a function, which could change `{}`: fmt reads `{}` after that call, the rewrite would read it before",
                one_line(src.node_text(*caller)),
                one_line(&op.code),
                one_line(&op.code)
            )));
        }
    }
    Ok(())
}

struct Operand<'a> {
    code: String,
    facts: &'a ExprFacts,
    /// A constant or a plain variable: reading it again, or earlier, cannot change what is printed
    /// as long as no operand calls anything (see `index_order`).
    reorderable: bool,
    /// The operand calls something (or receives): it must run exactly once, in its place.
    calls: bool,
}

/// A piece of the result: literal text (in the format's own spelling) or a Go string expression.
enum Piece {
    Lit(Vec<Unit>, bool),
    Expr(String),
    /// An expression that uses the strconv qualifier: `{q}` is replaced at render time.
    Strconv(String),
}

#[derive(Default)]
struct Strconv {
    used: bool,
    /// encoding/hex is used (`{hex}` placeholders).
    hex: bool,
    notes: Vec<String>,
}

/// fmt's float verbs and the strconv format byte each one uses (`%F` is `%f`, `%v` is `%g`).
fn float_format(verb: char) -> Option<char> {
    match verb {
        'v' => Some('g'),
        'F' => Some('f'),
        'e' | 'E' | 'f' | 'g' | 'G' | 'b' | 'x' | 'X' => Some(verb),
        _ => None,
    }
}

fn float_bits(f: &ExprFacts) -> Option<u8> {
    match f.basic.as_str() {
        "float64" | "untyped float" => Some(64),
        "float32" => Some(32),
        _ => None,
    }
}

/// A parsed `%...` directive.
#[derive(Debug, PartialEq, Eq)]
struct Directive {
    flags: String,
    width: Option<String>,
    precision: Option<String>,
    verb: char,
    index: bool,
}

/// fmt's own grammar: `%[flags][width][.precision]verb`, with `[n]` argument indexes and `*`.
fn parse_directive(value: &[u8], mut i: usize) -> Result<(Directive, usize), Decline> {
    let mut d = Directive { flags: String::new(), width: None, precision: None, verb: '\0', index: false };
    while i < value.len() && b"#0+- ".contains(&value[i]) {
        d.flags.push(value[i] as char);
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < value.len()
            && (value[*i].is_ascii_digit() || value[*i] == b'*' || value[*i] == b'[' || value[*i] == b']')
        {
            if value[*i] == b'[' {
                d_index_flag(value, *i);
            }
            *i += 1;
        }
        (s != *i).then(|| String::from_utf8_lossy(&value[s..*i]).into_owned())
    };
    d.width = digits(&mut i);
    if i < value.len() && value[i] == b'.' {
        i += 1;
        d.precision = Some(digits(&mut i).unwrap_or_default());
    }
    d.index =
        d.width.as_deref().is_some_and(|w| w.contains('[')) || d.precision.as_deref().is_some_and(|p| p.contains('['));
    let rest = std::str::from_utf8(&value[i..])
        .map_err(|_| Decline::new(DeclineCode::MalformedFormat, "the format is not valid UTF-8"))?;
    let verb = rest
        .chars()
        .next()
        .ok_or_else(|| Decline::new(DeclineCode::MalformedFormat, "the format ends with a lone %"))?;
    d.verb = verb;
    Ok((d, i + verb.len_utf8()))
}

fn d_index_flag(_value: &[u8], _i: usize) {}

fn sprintf_pieces(lit: &golit::Literal, operands: &[Operand], strconv: &mut Strconv) -> Result<Vec<Piece>, Decline> {
    // Map each value byte to the unit it came from, so literal text is re-emitted as written.
    let mut value = Vec::new();
    let mut unit_of = Vec::new();
    for (ui, u) in lit.units.iter().enumerate() {
        for b in &u.bytes {
            value.push(*b);
            unit_of.push(ui);
        }
    }
    let mut pieces = Vec::new();
    let mut lit_units: Vec<Unit> = Vec::new();
    let mut next_arg = 0;
    // Which operand each verb prints, in format order, and whether an index moved the count.
    let mut order: Vec<usize> = Vec::new();
    let mut reordered = false;
    let mut i = 0;
    let mut last_unit: Option<usize> = None;
    while i < value.len() {
        if value[i] != b'%' {
            let ui = unit_of[i];
            if last_unit != Some(ui) {
                lit_units.push(lit.units[ui].clone());
                last_unit = Some(ui);
            }
            i += 1;
            continue;
        }
        let (d, end) = parse_directive(&value, i + 1)?;
        let spelled = String::from_utf8_lossy(&value[i..end]).into_owned();
        i = end;
        last_unit = None;
        let indexed = d.index || spelled.contains('[');
        if d.verb == '%' {
            if indexed {
                // `%[2]%` prints '%' but moves fmt's argument number: not worth modelling.
                return Err(Decline::new(
                    DeclineCode::ExplicitArgumentIndex,
                    format!("`{spelled}` moves the argument number without printing an operand"),
                ));
            }
            // fmt prints '%' for "%%" whatever the flags; it takes no operand.
            lit_units.push(Unit { src: "%".into(), bytes: b"%".to_vec() });
            continue;
        }
        let no_twin = || {
            Decline::new(
                DeclineCode::HasFlagsWidthPrecision,
                format!("`{spelled}` has flags, width or precision: strconv has no exact equivalent"),
            )
        };
        if indexed {
            // Only `%[n]verb`: the index right before the verb, where fmt's doPrintf reads it as the
            // operand number. An index before a precision (`%[1].2f`) is %!f(BADINDEX) in fmt, one
            // before `*` picks the width's operand: both decline.
            let n = d
                .width
                .as_deref()
                .and_then(|w| w.strip_prefix('[')?.strip_suffix(']'))
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && d.flags.is_empty())
                .filter(|_| d.precision.is_none());
            let Some(n) = n else {
                return Err(Decline::new(
                    DeclineCode::ExplicitArgumentIndex,
                    format!("`{spelled}` combines an argument index with flags, width or precision"),
                ));
            };
            match n.parse::<usize>() {
                Ok(k) if (1..=operands.len()).contains(&k) => next_arg = k - 1,
                _ => {
                    return Err(Decline::new(
                        DeclineCode::MalformedFormat,
                        format!("`{spelled}` names no operand: fmt would print %!{}(BADINDEX)", d.verb),
                    ))
                }
            }
            reordered = true;
        } else if !d.flags.is_empty() || d.width.is_some() {
            return Err(no_twin());
        }
        let op = operands.get(next_arg).ok_or_else(|| {
            Decline::new(
                DeclineCode::MalformedFormat,
                format!("`{spelled}` has no operand: fmt would print %!{}(MISSING)", d.verb),
            )
        })?;
        order.push(next_arg);
        next_arg += 1;
        // A precision has a twin only for floats: strconv.FormatFloat's `prec`.
        let precision = match &d.precision {
            None => None,
            Some(p) if float_format(d.verb).is_some() && d.verb != 'v' && float_bits(op.facts).is_some() => {
                // `%.f` is precision 0; fmt gives up on absurd precisions (over 1e6), so does the rule.
                let v: u32 = if p.is_empty() { 0 } else { p.parse().map_err(|_| no_twin())? };
                if v > 1000 {
                    return Err(no_twin());
                }
                Some(v)
            }
            Some(_) => return Err(no_twin()),
        };
        if !lit_units.is_empty() {
            pieces.push(Piece::Lit(std::mem::take(&mut lit_units), lit.raw));
        }
        pieces.push(operand_piece_prec(d.verb, precision, op, strconv)?);
    }
    if reordered {
        index_order(operands, &order)?;
    } else if next_arg != operands.len() {
        return Err(Decline::new(
            DeclineCode::MalformedFormat,
            "more operands than verbs: fmt would print %!(EXTRA ...)",
        ));
    }
    if !lit_units.is_empty() {
        pieces.push(Piece::Lit(lit_units, lit.raw));
    }
    Ok(pieces)
}

/// With argument indexes the concatenation evaluates operands in the order the verbs print them, as
/// often as they print them; fmt evaluated each once, left to right, and ignores operands no verb
/// prints. So: every operand is printed; and unless each is printed exactly once in its own order,
/// every operand must be a constant or a plain variable, and none may call anything (a call between
/// two reads could change the second; a panicking expression moved first would change which panic).
fn index_order(operands: &[Operand], order: &[usize]) -> Result<(), Decline> {
    if let Some(unused) = (0..operands.len()).find(|k| !order.contains(k)) {
        return Err(Decline::new(
            DeclineCode::ExplicitArgumentIndex,
            format!(
                "no verb prints operand {} (`{}`): fmt evaluates it, the rewrite would drop it",
                unused + 1,
                one_line(&operands[unused].code)
            ),
        ));
    }
    if order.iter().copied().eq(0..operands.len()) {
        return Ok(());
    }
    if let Some(op) = operands.iter().find(|op| op.calls || !op.reorderable) {
        return Err(Decline::new(
            DeclineCode::EvaluationOrder,
            format!(
                "the indexes print the operands out of order or more than once, and `{}` is not a constant or plain variable: the rewrite would evaluate it in another order",
                one_line(&op.code)
            ),
        ));
    }
    Ok(())
}

fn sprint_pieces(operands: &[Operand], strconv: &mut Strconv) -> Result<Vec<Piece>, Decline> {
    // Sprint puts a space between operands when neither is a string (by kind, so named strings count).
    let mut pieces = Vec::new();
    let mut prev_string: Option<bool> = None;
    for op in operands {
        let is_string = matches!(op.facts.basic.as_str(), "string" | "untyped string") && !op.facts.interface;
        if prev_string == Some(false) && !is_string {
            pieces.push(Piece::Lit(vec![Unit { src: " ".into(), bytes: b" ".to_vec() }], false));
        }
        pieces.push(operand_piece('v', op, strconv)?);
        prev_string = Some(is_string);
    }
    Ok(pieces)
}

const SIGNED: &[&str] = &["int", "int8", "int16", "int32", "int64", "rune", "untyped int", "untyped rune"];
const UNSIGNED: &[&str] = &["uint", "uint8", "byte", "uint16", "uint32", "uint64", "uintptr"];

/// The exact strconv/string expression for one operand under one verb, or why there is none.
fn operand_piece(verb: char, op: &Operand, strconv: &mut Strconv) -> Result<Piece, Decline> {
    operand_piece_prec(verb, None, op, strconv)
}

/// [`operand_piece`] with a precision (floats only).
fn operand_piece_prec(
    verb: char,
    precision: Option<u32>,
    op: &Operand,
    strconv: &mut Strconv,
) -> Result<Piece, Decline> {
    let f = op.facts;
    let code = &op.code;
    let show = || format!("%{verb} of `{code}` ({})", if f.ty.is_empty() { "?" } else { &f.ty });
    if f.type_param || f.interface || f.pointer {
        return Err(Decline::new(
            DeclineCode::InterfaceOperand,
            format!("{}: fmt decides at run time how to print it", show()),
        ));
    }
    // fmt's handleMethods: Format wins for every verb; Error and String (and GoString, for %#v) only
    // for the verbs that accept a string (%v %s %x %X %q). Under %d %o %b %t %e %f %g... fmt prints
    // the underlying value (printValue), so a named integer with a String method is still an integer.
    let stringy = matches!(verb, 'v' | 's' | 'x' | 'X' | 'q');
    if let Some(m) = f.methods.iter().find(|m| stringy || *m == "Format") {
        return Err(Decline::new(
            DeclineCode::CallsStringMethod,
            format!("{}: its type has a {m} method, which fmt may call", show()),
        ));
    }
    let basic = f.basic.as_str();
    let exactly = |t: &str| !f.named && (basic == t || basic == format!("untyped {t}"));
    let conv = |t: &str, exact: bool| if exact { code.clone() } else { format!("{t}({code})") };
    let base = match verb {
        'd' | 'v' => 10,
        'x' => 16,
        'o' => 8,
        'b' => 2,
        _ => 0,
    };
    if SIGNED.contains(&basic) && base != 0 {
        strconv.used = true;
        return Ok(Piece::Strconv(if base == 10 && (exactly("int") || (basic == "int")) {
            strconv.notes.push(format!("%{verb} of an int is strconv.Itoa"));
            format!("{{q}}.Itoa({})", conv("int", exactly("int")))
        } else {
            strconv.notes.push(format!("%{verb} of a signed integer is strconv.FormatInt(x, {base})"));
            format!("{{q}}.FormatInt({}, {base})", conv("int64", !f.named && basic == "int64"))
        }));
    }
    if UNSIGNED.contains(&basic) && base != 0 {
        strconv.used = true;
        strconv.notes.push(format!("%{verb} of an unsigned integer is strconv.FormatUint(x, {base})"));
        return Ok(Piece::Strconv(format!(
            "{{q}}.FormatUint({}, {base})",
            conv("uint64", !f.named && basic == "uint64")
        )));
    }
    if matches!(basic, "bool" | "untyped bool") && matches!(verb, 't' | 'v') {
        strconv.used = true;
        strconv.notes.push(format!("%{verb} of a bool is strconv.FormatBool"));
        return Ok(Piece::Strconv(format!("{{q}}.FormatBool({})", conv("bool", exactly("bool")))));
    }
    if matches!(basic, "string" | "untyped string") {
        match verb {
            's' | 'v' => {
                strconv.notes.push(format!("%{verb} of a string is the string itself"));
                return Ok(Piece::Expr(conv("string", exactly("string"))));
            }
            'q' => {
                strconv.used = true;
                strconv.notes.push("%q of a string is strconv.Quote".into());
                return Ok(Piece::Strconv(format!("{{q}}.Quote({})", conv("string", exactly("string")))));
            }
            _ => {}
        }
    }
    if f.slice_of_byte && verb == 's' {
        strconv.notes.push("%s of a []byte is string(b)".into());
        return Ok(Piece::Expr(format!("string({code})")));
    }
    if let (Some(bits), Some(format)) = (float_bits(f), float_format(verb)) {
        // fmt's defaults: 6 digits after the point for %e %f, the shortest exact form otherwise.
        let prec = match precision {
            Some(p) => p as i64,
            None if matches!(format, 'e' | 'E' | 'f') => 6,
            None => -1,
        };
        let arg = if bits == 64 && (basic == "untyped float" || exactly("float64")) {
            code.clone()
        } else {
            format!("float64({code})")
        };
        strconv.used = true;
        strconv.notes.push(format!(
            "%{}{verb} of a float{bits} is strconv.FormatFloat(x, '{format}', {prec}, {bits})",
            precision.map(|p| format!(".{p}")).unwrap_or_default()
        ));
        return Ok(Piece::Strconv(format!("{{q}}.FormatFloat({arg}, '{format}', {prec}, {bits})")));
    }
    if verb == 'x' {
        let simple = !code.is_empty() && code.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.');
        let hex = if f.slice_of_byte {
            Some(code.clone())
        } else if f.kind == "array"
            && matches!(f.elem_type_src.as_str(), "byte" | "uint8")
            && f.mode == "variable"
            && simple
        {
            Some(format!("{code}[:]"))
        } else if matches!(basic, "string" | "untyped string") {
            // %x of a string encodes its bytes, like []byte. gc makes the conversion zero-copy
            // (`-m`: "zero-copy string->[]byte conversion"): EncodeToString neither keeps nor writes it.
            Some(format!("[]byte({code})"))
        } else {
            None
        };
        if let Some(arg) = hex {
            strconv.hex = true;
            strconv.notes.push("%x of bytes is hex.EncodeToString (lower-case digits, two per byte)".into());
            return Ok(Piece::Strconv(format!("{{hex}}.EncodeToString({arg})")));
        }
    }
    Err(Decline::new(DeclineCode::NoStrconvEquivalent, format!("{}: no exact strconv equivalent", show())))
}

/// Join pieces with `+`. Returns the text and whether it is a binary expression.
/// `~r0`, `~r1`, ...: the compiler's name for a result of an inlined call.
fn is_inlined_result(subject: &str) -> bool {
    subject.strip_prefix("~r").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
fn render(pieces: &[Piece], qual: &str) -> (String, bool) {
    render_all(pieces, qual, "hex")
}

/// [`render`] with the qualifiers of strconv and encoding/hex.
fn render_all(pieces: &[Piece], qual: &str, hex_qual: &str) -> (String, bool) {
    let mut parts: Vec<String> = Vec::new();
    let mut pending: Option<(Vec<Unit>, bool)> = None;
    let flush = |pending: &mut Option<(Vec<Unit>, bool)>, parts: &mut Vec<String>| {
        if let Some((units, raw)) = pending.take() {
            let lit = golit::Literal { raw, units };
            parts.push(lit.requote(&lit.units));
        }
    };
    for p in pieces {
        match p {
            Piece::Lit(units, raw) => match &mut pending {
                // A synthetic space joins the literal next to it.
                Some((u, _)) => u.extend(units.iter().cloned()),
                None => pending = Some((units.clone(), *raw)),
            },
            Piece::Expr(e) => {
                flush(&mut pending, &mut parts);
                parts.push(e.clone());
            }
            Piece::Strconv(e) => {
                flush(&mut pending, &mut parts);
                parts.push(e.replace("{q}", qual).replace("{hex}", hex_qual));
            }
        }
    }
    flush(&mut pending, &mut parts);
    match parts.len() {
        0 => ("\"\"".to_string(), false),
        1 => (parts.pop().unwrap(), false),
        _ => (parts.join(" + "), true),
    }
}

/// Whether `a + b` put where `call` was needs parentheses to keep its meaning.
fn needs_parens(call: Node) -> bool {
    let Some(parent) = call.parent() else { return true };
    match parent.kind() {
        "argument_list"
        | "expression_list"
        | "parenthesized_expression"
        | "literal_element"
        | "keyed_element"
        | "send_statement"
        | "var_spec"
        | "const_spec"
        | "short_var_declaration"
        | "assignment_statement"
        | "return_statement"
        | "expression_case"
        | "index_expression" => {
            // index_expression: safe as the index, not as the operand (`fmt.Sprintf(...)[1:]`)
            parent.kind() == "index_expression" && parent.child_by_field_name("operand") == Some(call)
        }
        "binary_expression" => {
            let op = parent.child_by_field_name("operator").map(|o| o.kind()).unwrap_or("");
            let lower = matches!(op, "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||");
            // Either side of a string `+`: concatenation is associative and Go evaluates the calls
            // in it in lexical order either way, so `x + ("a" + y)` is `x + "a" + y`, which is what a
            // person writes (and one concatenation instead of two).
            !(lower || op == "+")
        }
        _ => true,
    }
}

fn explanation(func: &str, notes: &[String]) -> String {
    let mut uniq: Vec<&String> = Vec::new();
    for n in notes {
        if !uniq.contains(&n) {
            uniq.push(n);
        }
    }
    let how = if uniq.is_empty() {
        "the result is the format's literal text".to_string()
    } else {
        uniq.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; ")
    };
    format!(
        "fmt.{func} boxes every operand into an interface (a heap allocation for most non-constant values) and parses the format at run time. \
         The rewrite produces the same bytes: {how}. Operands are evaluated once, in the same order."
    )
}

/// Code as this rule's reasons show it: on one line, at most 90 characters.
fn one_line(s: &str) -> String {
    one_line_tight(s, 90)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives() {
        let (d, end) = parse_directive(b"%5d", 1).unwrap();
        assert_eq!((d.width.as_deref(), d.verb, end), (Some("5"), 'd', 3));
        let (d, _) = parse_directive(b"%+v", 1).unwrap();
        assert_eq!(d.flags, "+");
        let (d, _) = parse_directive(b"%.2s", 1).unwrap();
        assert_eq!(d.precision.as_deref(), Some("2"));
        let (d, _) = parse_directive(b"%[2]d", 1).unwrap();
        assert!(d.index);
        assert!(parse_directive(b"%", 1).is_err());
    }

    /// An operand as `propose` builds it: a bare name is reorderable, parentheses mean a call.
    fn op<'a>(code: &str, facts: &'a ExprFacts) -> Operand<'a> {
        Operand {
            code: code.into(),
            facts,
            reorderable: code.chars().all(|c| c.is_alphanumeric() || c == '_'),
            calls: code.contains('('),
        }
    }

    fn facts(basic: &str, named: bool) -> ExprFacts {
        ExprFacts { found: true, basic: basic.into(), ty: basic.into(), named, ..Default::default() }
    }

    fn piece(verb: char, code: &str, f: &ExprFacts) -> Result<String, Decline> {
        let mut s = Strconv::default();
        operand_piece(verb, &op(code, f), &mut s).map(|p| render(&[p], "strconv").0)
    }

    #[test]
    fn exact_equivalents() {
        assert_eq!(piece('d', "i", &facts("int", false)).unwrap(), "strconv.Itoa(i)");
        assert_eq!(piece('d', "id", &facts("int", true)).unwrap(), "strconv.Itoa(int(id))");
        assert_eq!(piece('v', "n", &facts("int64", false)).unwrap(), "strconv.FormatInt(n, 10)");
        assert_eq!(piece('d', "r", &facts("int32", false)).unwrap(), "strconv.FormatInt(int64(r), 10)");
        assert_eq!(piece('x', "i", &facts("int", false)).unwrap(), "strconv.FormatInt(int64(i), 16)");
        assert_eq!(piece('d', "u", &facts("uint64", false)).unwrap(), "strconv.FormatUint(u, 10)");
        assert_eq!(piece('b', "b", &facts("uint8", false)).unwrap(), "strconv.FormatUint(uint64(b), 2)");
        assert_eq!(piece('t', "ok", &facts("bool", false)).unwrap(), "strconv.FormatBool(ok)");
        assert_eq!(piece('q', "s", &facts("string", false)).unwrap(), "strconv.Quote(s)");
        assert_eq!(piece('s', "s", &facts("string", true)).unwrap(), "string(s)");
        assert_eq!(piece('v', "\"a\"", &facts("untyped string", false)).unwrap(), "\"a\"");
        assert_eq!(piece('d', "5", &facts("untyped int", false)).unwrap(), "strconv.Itoa(5)");
    }

    #[test]
    fn declines_where_fmt_differs() {
        let mut stringer = facts("int", true);
        stringer.methods = vec!["String".into()];
        assert!(piece('v', "lvl", &stringer).is_err());
        assert!(piece('d', "s", &facts("string", false)).is_err(), "%d of a string prints %!d(string=...)");
        assert!(piece('s', "i", &facts("int", false)).is_err());
        assert!(piece('d', "f", &facts("float64", false)).is_err(), "%d of a float prints %!d(float64=...)");
        assert!(piece('q', "i", &facts("int", false)).is_err(), "%q of an int is a quoted rune");
        assert!(piece('X', "i", &facts("int", false)).is_err());
        let mut iface = facts("", false);
        iface.interface = true;
        assert!(piece('v', "err", &iface).is_err());
    }

    fn lit_pieces(format: &str, ops: &[(&str, &ExprFacts)]) -> Result<String, Decline> {
        let lit = golit::decode(format).unwrap();
        let operands: Vec<Operand> = ops.iter().map(|(c, f)| op(c, f)).collect();
        let mut s = Strconv::default();
        sprintf_pieces(&lit, &operands, &mut s).map(|p| render(&p, "strconv").0)
    }

    #[test]
    fn formats_become_concatenations_in_the_users_spelling() {
        let s = facts("string", false);
        let i = facts("int", false);
        assert_eq!(lit_pieces(r#""%s-%s""#, &[("a", &s), ("b", &s)]).unwrap(), r#"a + "-" + b"#);
        assert_eq!(
            lit_pieces(r#""id=%d name=%s""#, &[("id", &i), ("n", &s)]).unwrap(),
            r#""id=" + strconv.Itoa(id) + " name=" + n"#
        );
        assert_eq!(lit_pieces(r#""100%% %d\n""#, &[("n", &i)]).unwrap(), r#""100% " + strconv.Itoa(n) + "\n""#);
        assert_eq!(lit_pieces("`%s/`", &[("a", &s)]).unwrap(), "a + `/`");
        assert_eq!(lit_pieces(r#""é%sé""#, &[("a", &s)]).unwrap(), r#""é" + a + "é""#);
        assert_eq!(lit_pieces(r#""plain""#, &[]).unwrap(), r#""plain""#);
        assert!(lit_pieces(r#""%d %d""#, &[("a", &i)]).is_err());
        assert!(lit_pieces(r#""%d""#, &[("a", &i), ("b", &i)]).is_err());
        assert_eq!(lit_pieces(r#""%[1]d""#, &[("a", &i)]).unwrap(), "strconv.Itoa(a)");
        assert!(lit_pieces(r#""%5d""#, &[("a", &i)]).is_err());
        assert!(lit_pieces(r#""%*d""#, &[("a", &i)]).is_err());
    }

    #[test]
    fn argument_indexes_follow_fmts_argument_number() {
        let s = facts("string", false);
        let i = facts("int", false);
        let err = |f: &str, ops: &[(&str, &ExprFacts)]| lit_pieces(f, ops).unwrap_err().code;
        assert_eq!(lit_pieces(r#""%[2]s=%[1]d""#, &[("n", &i), ("k", &s)]).unwrap(), r#"k + "=" + strconv.Itoa(n)"#);
        assert_eq!(lit_pieces(r#""%[1]s/%[1]s""#, &[("a", &s)]).unwrap(), r#"a + "/" + a"#);
        // After `%[2]s` the next plain verb prints operand 3.
        assert_eq!(
            lit_pieces(r#""%[2]s %s %[1]s""#, &[("a", &s), ("b", &s), ("c", &s)]).unwrap(),
            r#"b + " " + c + " " + a"#
        );
        // In order, once each: calls are fine (each runs once, in its place).
        assert_eq!(lit_pieces(r#""%[1]s %[2]s""#, &[("f()", &s), ("g()", &s)]).unwrap(), r#"f() + " " + g()"#);
        assert_eq!(err(r#""%[2]s %[1]s""#, &[("f()", &s), ("b", &s)]), DeclineCode::EvaluationOrder);
        assert_eq!(err(r#""%[1]s %[1]s""#, &[("f()", &s)]), DeclineCode::EvaluationOrder);
        assert_eq!(err(r#""%[2]s %[1]s""#, &[("a.b", &s), ("c", &s)]), DeclineCode::EvaluationOrder);
        assert_eq!(err(r#""%[2]s""#, &[("a", &s), ("b", &s)]), DeclineCode::ExplicitArgumentIndex, "a unused");
        assert_eq!(err(r#""%[3]s""#, &[("a", &s), ("b", &s)]), DeclineCode::MalformedFormat, "BADINDEX");
        assert_eq!(err(r#""%[0]s""#, &[("a", &s)]), DeclineCode::MalformedFormat, "BADINDEX");
        assert_eq!(err(r#""%[1]5d""#, &[("i", &i)]), DeclineCode::ExplicitArgumentIndex);
        assert_eq!(err(r#""%[1].2f""#, &[("i", &i)]), DeclineCode::ExplicitArgumentIndex, "BADINDEX in fmt");
        assert_eq!(err(r#""%-[1]d""#, &[("i", &i)]), DeclineCode::ExplicitArgumentIndex);
        assert_eq!(err(r#""%[1]*d""#, &[("i", &i)]), DeclineCode::ExplicitArgumentIndex);
        assert_eq!(err(r#""%[1]%%d""#, &[("i", &i)]), DeclineCode::ExplicitArgumentIndex);
    }

    #[test]
    fn string_methods_matter_only_for_string_verbs() {
        let mut stringer = facts("int", true);
        stringer.methods = vec!["String".into()];
        assert_eq!(piece('d', "l", &stringer).unwrap(), "strconv.Itoa(int(l))");
        assert_eq!(piece('b', "l", &stringer).unwrap(), "strconv.FormatInt(int64(l), 2)");
        for verb in ['v', 's', 'x', 'X', 'q'] {
            assert!(piece(verb, "l", &stringer).is_err(), "%{verb} calls String");
        }
        let mut errs = facts("float64", true);
        errs.methods = vec!["Error".into()];
        assert_eq!(piece_prec('f', Some(2), "c", &errs).unwrap(), "strconv.FormatFloat(float64(c), 'f', 2, 64)");
        let mut formatter = facts("int64", true);
        formatter.methods = vec!["Format".into(), "String".into()];
        assert!(piece('d', "m", &formatter).is_err(), "Format wins for every verb");
    }

    fn piece_prec(verb: char, prec: Option<u32>, code: &str, f: &ExprFacts) -> Result<String, Decline> {
        let mut s = Strconv::default();
        operand_piece_prec(verb, prec, &op(code, f), &mut s).map(|p| render(&[p], "strconv").0)
    }

    #[test]
    fn floats_map_to_format_float_with_fmts_defaults() {
        let f64 = facts("float64", false);
        let f32 = facts("float32", false);
        let p = piece_prec;
        assert_eq!(p('g', None, "x", &f64).unwrap(), "strconv.FormatFloat(x, 'g', -1, 64)");
        assert_eq!(p('e', None, "x", &f64).unwrap(), "strconv.FormatFloat(x, 'e', 6, 64)");
        assert_eq!(p('f', Some(2), "x", &f64).unwrap(), "strconv.FormatFloat(x, 'f', 2, 64)");
        assert_eq!(p('F', None, "x", &f64).unwrap(), "strconv.FormatFloat(x, 'f', 6, 64)", "strconv has no 'F'");
        assert_eq!(p('G', Some(3), "x", &f64).unwrap(), "strconv.FormatFloat(x, 'G', 3, 64)");
        assert_eq!(p('x', None, "x", &f64).unwrap(), "strconv.FormatFloat(x, 'x', -1, 64)");
        assert_eq!(p('g', None, "y", &f32).unwrap(), "strconv.FormatFloat(float64(y), 'g', -1, 32)");
        assert_eq!(
            p('f', Some(1), "c", &facts("float64", true)).unwrap(),
            "strconv.FormatFloat(float64(c), 'f', 1, 64)"
        );
        assert_eq!(
            p('e', None, "1.5", &facts("untyped float", false)).unwrap(),
            "strconv.FormatFloat(1.5, 'e', 6, 64)"
        );
        // %v of a float is %g (fmt's printValue), with the operand's own bit size.
        assert_eq!(p('v', None, "x", &f64).unwrap(), "strconv.FormatFloat(x, 'g', -1, 64)");
        assert_eq!(p('v', None, "y", &f32).unwrap(), "strconv.FormatFloat(float64(y), 'g', -1, 32)");
        assert_eq!(p('v', None, "c", &facts("float32", true)).unwrap(), "strconv.FormatFloat(float64(c), 'g', -1, 32)");
        assert_eq!(
            p('v', None, "1.5", &facts("untyped float", false)).unwrap(),
            "strconv.FormatFloat(1.5, 'g', -1, 64)"
        );
        assert!(p('d', None, "x", &f64).is_err(), "%d of a float prints %!d(float64=...)");
        assert!(p('s', None, "x", &f64).is_err());
    }

    #[test]
    fn hex_of_bytes_is_encode_to_string() {
        let mut bytes = facts("", false);
        bytes.slice_of_byte = true;
        let p = |code, f: &ExprFacts| piece_prec('x', None, code, f);
        assert_eq!(p("b", &bytes).unwrap(), "hex.EncodeToString(b)");
        let mut arr = facts("", false);
        (arr.kind, arr.elem_type_src, arr.mode) = ("array".into(), "byte".into(), "variable".into());
        assert_eq!(p("sum", &arr).unwrap(), "hex.EncodeToString(sum[:])");
        arr.mode = "value".into();
        assert!(p("sha256.Sum256(b)", &arr).is_err(), "not addressable");
        assert!(piece_prec('X', None, "b", &bytes).is_err(), "upper case");
        // %x of a string encodes its bytes, not its runes.
        assert_eq!(p("s", &facts("string", false)).unwrap(), "hex.EncodeToString([]byte(s))");
        assert_eq!(p("id", &facts("string", true)).unwrap(), "hex.EncodeToString([]byte(id))");
        assert_eq!(p("\"hi\"", &facts("untyped string", false)).unwrap(), "hex.EncodeToString([]byte(\"hi\"))");
        assert!(piece_prec('X', None, "s", &facts("string", false)).is_err(), "upper case");
    }

    #[test]
    fn precision_only_for_floats() {
        let f = facts("float64", false);
        let s = facts("string", false);
        let i = facts("int", false);
        assert_eq!(lit_pieces(r#""%.2f%%""#, &[("x", &f)]).unwrap(), r#"strconv.FormatFloat(x, 'f', 2, 64) + "%""#);
        assert_eq!(lit_pieces(r#""%.f""#, &[("x", &f)]).unwrap(), "strconv.FormatFloat(x, 'f', 0, 64)");
        assert!(lit_pieces(r#""%.2s""#, &[("s", &s)]).unwrap_err().code == DeclineCode::HasFlagsWidthPrecision);
        assert!(lit_pieces(r#""%.3d""#, &[("i", &i)]).unwrap_err().code == DeclineCode::HasFlagsWidthPrecision);
        assert!(lit_pieces(r#""%6.2f""#, &[("x", &f)]).is_err());
        assert!(lit_pieces(r#""%.*f""#, &[("x", &f)]).is_err());
        assert!(lit_pieces(r#""%.2v""#, &[("x", &f)]).is_err());
        assert!(lit_pieces(r#""%+.2f""#, &[("x", &f)]).is_err());
    }

    #[test]
    fn operands_reported_at_an_operator_are_anchored() {
        let src = SourceFile::parse(
            std::path::Path::new("a.go"),
            "package p\n\nfunc f() {\n\t_ = fmt.Sprintf(\"%d %s\", n*2, g(x))\n}\n".to_string(),
        )
        .unwrap();
        let finding = Finding::for_test;
        let at = |needle: &str| src.text.find(needle).unwrap();
        let call = FmtSprintf.anchor(&finding("n * 2"), &src, at("*2")).expect("n*2 at its `*`");
        assert!(src.text[call.0..call.1].starts_with("fmt.Sprintf("));
        assert_eq!(FmtSprintf.anchor(&finding("g(x)"), &src, at("(x)")), Some(call), "g(x) at its `(`");
        assert_eq!(FmtSprintf.anchor(&finding("x"), &src, at("x)")), None, "x belongs to g's call");
        assert_eq!(FmtSprintf.anchor(&finding("n"), &src, at("n*")), Some(call), "an operand's start still counts");
    }

    #[test]
    fn sprint_spacing_follows_fmt() {
        let s = facts("string", false);
        let i = facts("int", false);
        let ops = |v: &[(&str, &ExprFacts)]| -> String {
            let operands: Vec<Operand> = v.iter().map(|(c, f)| op(c, f)).collect();
            let mut st = Strconv::default();
            render(&sprint_pieces(&operands, &mut st).unwrap(), "strconv").0
        };
        assert_eq!(ops(&[("a", &s), ("b", &s)]), "a + b");
        assert_eq!(ops(&[("x", &i), ("y", &i)]), r#"strconv.Itoa(x) + " " + strconv.Itoa(y)"#);
        assert_eq!(ops(&[("a", &s), ("x", &i)]), "a + strconv.Itoa(x)");
        assert_eq!(ops(&[("s", &s)]), "s");
    }
}
