//! `fmt-sprintf`: `fmt.Sprintf`/`fmt.Sprint` boxing → strconv or string concatenation, only where the
//! output is byte-for-byte the same. See rules/fmt-sprintf.md for the table and the preconditions.
//!
//! fmt decides how to print from the operand's dynamic type and methods, so every operand needs type
//! facts: a named type with String/Error/Format/GoString, an interface, a pointer or a type parameter
//! is left alone, and so is any flag, width, precision or argument index (`%5d`, `%+v`, `%[1]d`),
//! which strconv has no twin for. Arguments keep their order and are each evaluated once, so side
//! effects happen exactly as before.

use super::{qualifier, qualifier_queries, Decline, Facts, Proposal, Rule, Site};
use crate::findings::{Finding, Kind};
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{ExprFacts, Query};
use crate::golit::{self, Unit};
use crate::source::SourceFile;
use tree_sitter::Node;

pub struct FmtSprintf;

pub const ID: &str = "fmt-sprintf";

const FUNCS: &[&str] = &["Sprintf", "Sprint"];

impl Rule for FmtSprintf {
    fn id(&self) -> &'static str {
        ID
    }
    fn summary(&self) -> &'static str {
        "fmt.Sprintf(\"%d\", n) → strconv.Itoa(n), fmt.Sprintf(\"%s-%s\", a, b) → a + \"-\" + b, when the output is identical"
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
            && f.flows.iter().flat_map(|fl| &fl.steps).any(|s| FUNCS.iter().any(|name| s.expr.starts_with(&format!("fmt.{name}("))))
    }

    fn anchor(&self, _f: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)> {
        let mut node = source.smallest_node_at(offset)?;
        while let Some(p) = node.parent() {
            if p.kind() == "argument_list" || p.start_byte() != offset {
                break;
            }
            node = p;
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
        q.push(Query::Imports { file: file.to_path_buf() });
        Ok(q)
    }

    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline> {
        let src = site.source;
        let file = site.file();
        let call = site.node();
        let (func, args) = parts(call)?;
        let callee = facts.expr(file, func.start_byte(), func.end_byte()).ok_or("no type facts for the callee")?;
        let obj = callee.object.as_ref().ok_or("the callee is not a named function")?;
        if obj.kind != "func" || obj.pkg != "fmt" || !FUNCS.contains(&obj.name.as_str()) {
            return Err(format!("{} is not fmt.Sprintf/fmt.Sprint", src.node_text(func)).into());
        }
        if has_comment(call) {
            return Err("the call contains a comment that the rewrite would drop".into());
        }
        if call.parent().is_some_and(|p| p.kind() == "expression_statement") {
            return Err("the result is unused; nothing to rewrite".into());
        }
        let mut operands = Vec::new();
        for a in &args {
            let f = facts.expr(file, a.start_byte(), a.end_byte()).ok_or_else(|| format!("no type facts for `{}`", src.node_text(*a)))?;
            operands.push(Operand { code: src.node_text(*a).to_string(), facts: f });
        }
        let mut strconv = Strconv::default();
        let pieces = if obj.name == "Sprintf" {
            let (format_node, rest) = operands.split_first().map(|(_, r)| (args[0], r)).ok_or("fmt.Sprintf without a format")?;
            if !matches!(format_node.kind(), "interpreted_string_literal" | "raw_string_literal") {
                return Err("the format is not a string literal".into());
            }
            let lit = golit::decode(src.node_text(format_node)).ok_or("cannot decode the format literal")?;
            sprintf_pieces(&lit, rest, &mut strconv)?
        } else {
            sprint_pieces(&operands, &mut strconv)?
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
        let (mut text, binary) = render(&pieces, &qual);
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

fn parts(call: Node) -> Result<(Node, Vec<Node>), Decline> {
    if call.kind() != "call_expression" {
        return Err("not a call".into());
    }
    let func = call.child_by_field_name("function").ok_or("call without a function")?;
    let list = call.child_by_field_name("arguments").ok_or("call without arguments")?;
    let mut cursor = list.walk();
    let args: Vec<Node> = list.named_children(&mut cursor).filter(|n| n.kind() != "comment").collect();
    if args.iter().any(|a| a.kind() == "variadic_argument") {
        return Err("arguments are spread with `...`; their types are not known one by one".into());
    }
    Ok((func, args))
}

fn has_comment(node: Node) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == "comment" {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    false
}

struct Operand<'a> {
    code: String,
    facts: &'a ExprFacts,
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
    notes: Vec<String>,
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
        while *i < value.len() && (value[*i].is_ascii_digit() || value[*i] == b'*' || value[*i] == b'[' || value[*i] == b']') {
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
    d.index = d.width.as_deref().is_some_and(|w| w.contains('['))
        || d.precision.as_deref().is_some_and(|p| p.contains('['));
    let rest = std::str::from_utf8(&value[i..]).map_err(|_| Decline("the format is not valid UTF-8".into()))?;
    let verb = rest.chars().next().ok_or("the format ends with a lone %")?;
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
        if d.verb == '%' {
            // fmt prints '%' for "%%" whatever the flags; it takes no operand.
            lit_units.push(Unit { src: "%".into(), bytes: b"%".to_vec() });
            continue;
        }
        if d.index || spelled.contains('[') {
            return Err(format!("`{spelled}` uses an explicit argument index").into());
        }
        if !d.flags.is_empty() || d.width.is_some() || d.precision.is_some() {
            return Err(format!("`{spelled}` has flags, width or precision: strconv has no exact equivalent").into());
        }
        let op = operands.get(next_arg).ok_or_else(|| format!("`{spelled}` has no operand: fmt would print %!{}(MISSING)", d.verb))?;
        next_arg += 1;
        if !lit_units.is_empty() {
            pieces.push(Piece::Lit(std::mem::take(&mut lit_units), lit.raw));
        }
        pieces.push(operand_piece(d.verb, op, strconv)?);
    }
    if next_arg != operands.len() {
        return Err("more operands than verbs: fmt would print %!(EXTRA ...)".into());
    }
    if !lit_units.is_empty() {
        pieces.push(Piece::Lit(lit_units, lit.raw));
    }
    Ok(pieces)
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
    let f = op.facts;
    let code = &op.code;
    let show = || format!("%{verb} of `{code}` ({})", if f.ty.is_empty() { "?" } else { &f.ty });
    if f.type_param || f.interface || f.pointer {
        return Err(format!("{}: fmt decides at run time how to print it", show()).into());
    }
    if let Some(m) = f.methods.first() {
        return Err(format!("{}: its type has a {m} method, which fmt may call", show()).into());
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
        return Ok(Piece::Strconv(format!("{{q}}.FormatUint({}, {base})", conv("uint64", !f.named && basic == "uint64"))));
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
    Err(format!("{}: no exact strconv equivalent", show()).into())
}

/// Join pieces with `+`. Returns the text and whether it is a binary expression.
fn render(pieces: &[Piece], qual: &str) -> (String, bool) {
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
                parts.push(e.replace("{q}", qual));
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
        "argument_list" | "expression_list" | "parenthesized_expression" | "literal_element" | "keyed_element"
        | "send_statement" | "var_spec" | "const_spec" | "short_var_declaration" | "assignment_statement"
        | "return_statement" | "expression_case" | "index_expression" => {
            // index_expression: safe as the index, not as the operand (`fmt.Sprintf(...)[1:]`)
            parent.kind() == "index_expression" && parent.child_by_field_name("operand") == Some(call)
        }
        "binary_expression" => {
            let op = parent.child_by_field_name("operator").map(|o| o.kind()).unwrap_or("");
            let lower = matches!(op, "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||");
            let left_of_plus = op == "+" && parent.child_by_field_name("left") == Some(call);
            !(lower || left_of_plus)
        }
        _ => true,
    }
}

fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let joined = joined.replace("( ", "(").replace(" )", ")");
    if joined.chars().count() > 90 {
        let cut: String = joined.chars().take(87).collect();
        format!("{cut}...")
    } else {
        joined
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

    fn facts(basic: &str, named: bool) -> ExprFacts {
        ExprFacts { found: true, basic: basic.into(), ty: basic.into(), named, ..Default::default() }
    }

    fn piece(verb: char, code: &str, f: &ExprFacts) -> Result<String, Decline> {
        let mut s = Strconv::default();
        operand_piece(verb, &Operand { code: code.into(), facts: f }, &mut s).map(|p| render(&[p], "strconv").0)
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
        assert!(piece('v', "f", &facts("float64", false)).is_err());
        assert!(piece('q', "i", &facts("int", false)).is_err(), "%q of an int is a quoted rune");
        assert!(piece('X', "i", &facts("int", false)).is_err());
        let mut iface = facts("", false);
        iface.interface = true;
        assert!(piece('v', "err", &iface).is_err());
    }

    fn lit_pieces(format: &str, ops: &[(&str, &ExprFacts)]) -> Result<String, Decline> {
        let lit = golit::decode(format).unwrap();
        let operands: Vec<Operand> = ops.iter().map(|(c, f)| Operand { code: c.to_string(), facts: f }).collect();
        let mut s = Strconv::default();
        sprintf_pieces(&lit, &operands, &mut s).map(|p| render(&p, "strconv").0)
    }

    #[test]
    fn formats_become_concatenations_in_the_users_spelling() {
        let s = facts("string", false);
        let i = facts("int", false);
        assert_eq!(lit_pieces(r#""%s-%s""#, &[("a", &s), ("b", &s)]).unwrap(), r#"a + "-" + b"#);
        assert_eq!(lit_pieces(r#""id=%d name=%s""#, &[("id", &i), ("n", &s)]).unwrap(), r#""id=" + strconv.Itoa(id) + " name=" + n"#);
        assert_eq!(lit_pieces(r#""100%% %d\n""#, &[("n", &i)]).unwrap(), r#""100% " + strconv.Itoa(n) + "\n""#);
        assert_eq!(lit_pieces("`%s/`", &[("a", &s)]).unwrap(), "a + `/`");
        assert_eq!(lit_pieces(r#""é%sé""#, &[("a", &s)]).unwrap(), r#""é" + a + "é""#);
        assert_eq!(lit_pieces(r#""plain""#, &[]).unwrap(), r#""plain""#);
        assert!(lit_pieces(r#""%d %d""#, &[("a", &i)]).is_err());
        assert!(lit_pieces(r#""%d""#, &[("a", &i), ("b", &i)]).is_err());
        assert!(lit_pieces(r#""%[1]d""#, &[("a", &i)]).is_err());
        assert!(lit_pieces(r#""%5d""#, &[("a", &i)]).is_err());
        assert!(lit_pieces(r#""%*d""#, &[("a", &i)]).is_err());
    }

    #[test]
    fn sprint_spacing_follows_fmt() {
        let s = facts("string", false);
        let i = facts("int", false);
        let ops = |v: &[(&str, &ExprFacts)]| -> String {
            let operands: Vec<Operand> = v.iter().map(|(c, f)| Operand { code: c.to_string(), facts: f }).collect();
            let mut st = Strconv::default();
            render(&sprint_pieces(&operands, &mut st).unwrap(), "strconv").0
        };
        assert_eq!(ops(&[("a", &s), ("b", &s)]), "a + b");
        assert_eq!(ops(&[("x", &i), ("y", &i)]), r#"strconv.Itoa(x) + " " + strconv.Itoa(y)"#);
        assert_eq!(ops(&[("a", &s), ("x", &i)]), "a + strconv.Itoa(x)");
        assert_eq!(ops(&[("s", &s)]), "s");
    }
}
