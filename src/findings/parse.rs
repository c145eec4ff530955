//! Parser for the compiler's `-m=2` text.
//!
//! The output is a sequence of blocks headed `# importpath` (or `# importpath [importpath.test]` for
//! test variants). Within a block the order is not by position, and the `-m=2` explanation
//! ("X escapes to heap in F:" + indented flow lines) comes separately from the one-line summary
//! ("moved to heap: X"), so summaries and explanations are paired by position and subject after the
//! whole block is read. Replayed (cached) output keeps the relative paths of the compile that produced
//! it, so paths are kept raw here and resolved later by `attribute`.

use super::{Flow, FlowStep, Kind, LeakTarget, RawPos};
use std::collections::HashMap;

/// Everything one `# importpath` block said.
#[derive(Debug, Default, Clone)]
pub struct RawPackageOutput {
    pub import_path: String,
    /// `Some("p.test")` for `# p [p.test]` blocks.
    pub variant: Option<String>,
    pub findings: Vec<RawFinding>,
    /// Positions of `inlining call to F` lines, with the callees in the order printed.
    pub inline_sites: HashMap<RawPos, Vec<String>>,
    pub captures: Vec<Capture>,
    /// `can inline F` / `cannot inline F: why`, at the function's declaration.
    pub inlinability: Vec<Inlinability>,
    /// Lines in `file:line:col: msg` form that are not escape analysis output (compiler errors).
    pub other: Vec<(RawPos, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFinding {
    pub pos: RawPos,
    pub kind: Kind,
    pub subject: String,
    pub function: Option<String>,
    pub flows: Vec<Flow>,
}

/// `F capturing by ref: x (addr=false assign=true width=8)`
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Capture {
    pub pos: RawPos,
    pub function: String,
    pub variable: String,
    pub by_ref: bool,
    pub addr_taken: bool,
    pub reassigned: bool,
    pub width: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inlinability {
    pub pos: RawPos,
    pub function: String,
    pub can_inline: bool,
}

/// Split `path:line[:col]: msg`. Paths may contain ':' (rarely), so the first `:digits` group followed by
/// `: ` or `:digits: ` wins, which is how the compiler always prints positions.
pub fn split_pos(line: &str) -> Option<(RawPos, &str)> {
    let bytes = line.as_bytes();
    let mut search_from = 0;
    while let Some(rel) = line[search_from..].find(':') {
        let colon = search_from + rel;
        search_from = colon + 1;
        if colon == 0 {
            continue;
        }
        let (num1, after1) = digits(bytes, colon + 1);
        let Some(line_no) = num1 else { continue };
        // `path:line: msg`
        if bytes.get(after1) == Some(&b':') && bytes.get(after1 + 1) == Some(&b' ') {
            return Some((RawPos { path: line[..colon].to_string(), line: line_no, col: 0 }, &line[after1 + 2..]));
        }
        // `path:line:col: msg`
        if bytes.get(after1) == Some(&b':') {
            let (num2, after2) = digits(bytes, after1 + 1);
            if let Some(col) = num2 {
                if bytes.get(after2) == Some(&b':') && bytes.get(after2 + 1) == Some(&b' ') {
                    return Some((RawPos { path: line[..colon].to_string(), line: line_no, col }, &line[after2 + 2..]));
                }
            }
        }
    }
    None
}

fn digits(bytes: &[u8], start: usize) -> (Option<u32>, usize) {
    let mut i = start;
    let mut v: u64 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        v = v * 10 + u64::from(bytes[i] - b'0');
        if v > u64::from(u32::MAX) {
            return (None, i);
        }
        i += 1;
    }
    if i == start {
        (None, i)
    } else {
        (Some(v as u32), i)
    }
}

/// An explanation header being filled with flows.
#[derive(Debug)]
struct Explanation {
    pos: RawPos,
    /// For "X escapes to heap in F:" the X; for leaks the parameter name.
    subject: String,
    function: String,
    leak: bool,
    flows: Vec<Flow>,
}

/// Parse a whole compiler output (stderr of `go build`/`go list -export` with `-gcflags=-m=2`).
pub fn parse_output(text: &str) -> Vec<RawPackageOutput> {
    let mut blocks: Vec<RawPackageOutput> = Vec::new();
    let mut expls: Vec<Explanation> = Vec::new();
    let mut current: Option<RawPackageOutput> = None;

    let finish = |cur: Option<RawPackageOutput>, expls: &mut Vec<Explanation>, out: &mut Vec<RawPackageOutput>| {
        if let Some(mut b) = cur {
            pair_explanations(&mut b, std::mem::take(expls));
            out.push(b);
        } else {
            expls.clear();
        }
    };

    for line in text.lines() {
        if let Some(header) = line.strip_prefix("# ") {
            finish(current.take(), &mut expls, &mut blocks);
            // `# p [p.test]` is the test variant, whose go list ImportPath is that whole string.
            let header = header.trim();
            let variant = header.split_once(" [").map(|(_, v)| v.trim_end_matches(']').to_string());
            current = Some(RawPackageOutput { import_path: header.to_string(), variant, ..Default::default() });
            continue;
        }
        let Some((pos, msg)) = split_pos(line) else { continue };
        // Output before any header (should not happen) still gets a block so nothing is lost.
        let block = current.get_or_insert_with(RawPackageOutput::default);

        if let Some(rest) = msg.strip_prefix("    from ") {
            if let Some(flow) = expls.last_mut().and_then(|e| e.flows.last_mut()) {
                flow.steps.push(parse_step(rest));
            }
            continue;
        }
        if let Some(rest) = msg.strip_prefix("  flow: ") {
            if let Some(e) = expls.last_mut() {
                let body = rest.strip_suffix(':').unwrap_or(rest);
                let (dst, src) = match body.split_once(" ← ") {
                    Some((d, s)) => (d.to_string(), s.to_string()),
                    None => (body.to_string(), String::new()),
                };
                e.flows.push(Flow { dst, src, steps: Vec::new() });
            }
            continue;
        }
        if let Some(head) = msg.strip_suffix(':') {
            if let Some(idx) = head.rfind(" escapes to heap in ") {
                expls.push(Explanation {
                    pos,
                    subject: head[..idx].to_string(),
                    function: head[idx + " escapes to heap in ".len()..].to_string(),
                    leak: false,
                    flows: Vec::new(),
                });
                continue;
            }
            if let Some(rest) = head.strip_prefix("parameter ") {
                // parameter p leaks to DST for F with derefs=N
                if let (Some(l), Some(f)) = (rest.find(" leaks to "), rest.rfind(" for ")) {
                    let func_end = rest.rfind(" with derefs=").unwrap_or(rest.len());
                    if f < func_end {
                        expls.push(Explanation {
                            pos,
                            subject: rest[..l].to_string(),
                            function: rest[f + " for ".len()..func_end].to_string(),
                            leak: true,
                            flows: Vec::new(),
                        });
                        continue;
                    }
                }
            }
        }
        classify_line(block, pos, msg);
    }
    finish(current.take(), &mut expls, &mut blocks);
    blocks
}

fn parse_step(rest: &str) -> FlowStep {
    // EXPR (REASON) at POS — EXPR may itself contain parentheses, so split from the right.
    let (body, at) = match rest.rfind(" at ") {
        Some(i) if split_pos(&format!("{}: x", &rest[i + 4..])).is_some() => {
            let p = split_pos(&format!("{}: x", &rest[i + 4..])).map(|(p, _)| p);
            (&rest[..i], p)
        }
        _ => (rest, None),
    };
    let (expr, reason) = match (body.rfind(" ("), body.ends_with(')')) {
        (Some(i), true) => (body[..i].to_string(), body[i + 2..body.len() - 1].to_string()),
        _ => (body.to_string(), String::new()),
    };
    FlowStep { expr, reason, at }
}

fn classify_line(block: &mut RawPackageOutput, pos: RawPos, msg: &str) {
    let finding = |kind: Kind, subject: &str| RawFinding {
        pos: pos.clone(),
        kind,
        subject: subject.to_string(),
        function: None,
        flows: Vec::new(),
    };
    if let Some(x) = msg.strip_prefix("moved to heap: ") {
        block.findings.push(finding(Kind::MovedToHeap, x));
    } else if let Some(x) = msg.strip_suffix(" escapes to heap") {
        block.findings.push(finding(Kind::EscapesToHeap, x));
    } else if let Some(x) = msg.strip_suffix(" does not escape") {
        block.findings.push(finding(Kind::DoesNotEscape, x));
    } else if let Some(x) = msg.strip_prefix("leaking param content: ") {
        block.findings.push(finding(Kind::LeakingParam { to: LeakTarget::Content }, x));
    } else if let Some(x) = msg.strip_prefix("leaking param: ") {
        // `p` or `p to result ~r0 level=0`
        match x.split_once(" to result ") {
            Some((p, rest)) => {
                let (result, level) = match rest.split_once(" level=") {
                    Some((r, l)) => (r.to_string(), l.trim().parse().unwrap_or(0)),
                    None => (rest.to_string(), 0),
                };
                block.findings.push(finding(Kind::LeakingParam { to: LeakTarget::Result { result, level } }, p));
            }
            None => block.findings.push(finding(Kind::LeakingParam { to: LeakTarget::Heap }, x)),
        }
    } else if let Some(f) = msg.strip_prefix("inlining call to ") {
        block.inline_sites.entry(pos).or_default().push(f.to_string());
    } else if let Some(rest) = msg.strip_prefix("can inline ") {
        let name = rest.split(" with cost ").next().unwrap_or(rest);
        block.inlinability.push(Inlinability { pos, function: name.to_string(), can_inline: true });
    } else if let Some(rest) = msg.strip_prefix("cannot inline ") {
        let name = rest.split_once(": ").map(|(n, _)| n).unwrap_or(rest);
        block.inlinability.push(Inlinability { pos, function: name.to_string(), can_inline: false });
    } else if let Some(c) = parse_capture(&pos, msg) {
        block.captures.push(c);
    } else if is_known_noise(msg) {
    } else {
        block.other.push((pos, msg.to_string()));
    }
}

fn parse_capture(pos: &RawPos, msg: &str) -> Option<Capture> {
    let (function, rest, by_ref) = if let Some((f, r)) = msg.split_once(" capturing by ref: ") {
        (f, r, true)
    } else if let Some((f, r)) = msg.split_once(" capturing by value: ") {
        (f, r, false)
    } else {
        return None;
    };
    let (variable, attrs) = rest.split_once(" (")?;
    let attr = |key: &str| attrs.split([' ', ')']).find_map(|kv| kv.strip_prefix(key).map(str::to_string));
    Some(Capture {
        pos: pos.clone(),
        function: function.to_string(),
        variable: variable.to_string(),
        by_ref,
        addr_taken: attr("addr=").as_deref() == Some("true"),
        reassigned: attr("assign=").as_deref() == Some("true"),
        width: attr("width=").and_then(|w| w.parse().ok()).unwrap_or(0),
    })
}

fn is_known_noise(msg: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "index bounds check elided",
        "devirtualizing ",
        "ignoring self-assignment",
        "zero-copy string->[]byte",
        "function ",
        "imprecise interface call",
        "... argument",
        "stack object ",
        "inlining ",
        "found ",
        "make ",
        "Proved ",
        "Disproved ",
        "Induction ",
        "hoisting ",
        "transformed ",
    ];
    PREFIXES.iter().any(|p| msg.starts_with(p)) || msg.contains("uintptr")
}

/// Attach each explanation to its summary finding: same position, and the explanation's subject is
/// the finding's subject (`moved to heap: x` ↔ `x escapes to heap in F:`; `append escapes to heap` ↔
/// `append(...) escapes to heap in F:`; `leaking param: p` ↔ `parameter p leaks to ... for F`).
fn pair_explanations(block: &mut RawPackageOutput, expls: Vec<Explanation>) {
    let mut by_pos: HashMap<RawPos, Vec<Explanation>> = HashMap::new();
    for e in expls {
        by_pos.entry(e.pos.clone()).or_default().push(e);
    }
    // Deduplicate summaries: the same line can be printed twice for one position.
    let mut seen = std::collections::HashSet::new();
    block.findings.retain(|f| seen.insert((f.pos.clone(), f.kind.clone(), f.subject.clone())));

    for f in &mut block.findings {
        let Some(list) = by_pos.get(&f.pos) else { continue };
        for e in list {
            let matches = match &f.kind {
                Kind::LeakingParam { .. } => e.leak && e.subject == f.subject,
                Kind::MovedToHeap => !e.leak && e.subject == f.subject,
                Kind::EscapesToHeap if f.subject == "append" => !e.leak && e.subject.starts_with("append("),
                Kind::EscapesToHeap => !e.leak && e.subject == f.subject,
                Kind::DoesNotEscape => false,
            };
            if matches {
                if f.function.is_none() {
                    f.function = Some(e.function.clone());
                }
                for flow in &e.flows {
                    if !f.flows.contains(flow) {
                        f.flows.push(flow.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(name: &str) -> String {
        let path = format!("{}/tests/data/{}", env!("CARGO_MANIFEST_DIR"), name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn find<'a>(b: &'a RawPackageOutput, line: u32, col: u32, kind: &str) -> &'a RawFinding {
        b.findings
            .iter()
            .find(|f| f.pos.line == line && f.pos.col == col && f.kind.name() == kind)
            .unwrap_or_else(|| panic!("no {kind} at {line}:{col} in {:#?}", b.findings))
    }

    #[test]
    fn splits_positions() {
        let (p, m) = split_pos("./a.go:12:5: moved to heap: x").unwrap();
        assert_eq!((p.path.as_str(), p.line, p.col, m), ("./a.go", 12, 5, "moved to heap: x"));
        let (p, m) = split_pos("<autogenerated>:1: leaking param: .this").unwrap();
        assert_eq!((p.path.as_str(), p.line, p.col, m), ("<autogenerated>", 1, 0, "leaking param: .this"));
        let (p, _) = split_pos("C:/x/a.go:3:4: x escapes to heap").unwrap();
        assert_eq!(p.path, "C:/x/a.go");
        assert!(split_pos("no position here").is_none());
    }

    #[test]
    fn shapes_recording_go1_26() {
        let blocks = parse_output(&recorded("shapes.m2.txt"));
        assert_eq!(blocks.len(), 1);
        let b = &blocks[0];
        assert_eq!(b.import_path, "example.com/shapes");
        assert!(b.other.is_empty(), "unclassified lines: {:#?}", b.other);

        // too large: the flow step carries the reason
        let f = find(b, 18, 11, "escapes-to-heap");
        assert_eq!(f.subject, "make([]byte, 1048576)");
        assert_eq!(f.function.as_deref(), Some("TooLarge"));
        assert!(f.flows[0].steps.iter().any(|s| s.reason == "too large for stack"));

        // closure capture: moved to heap paired with "x escapes to heap in Go:"
        let x = find(b, 27, 9, "moved-to-heap");
        assert_eq!(x.subject, "x");
        assert_eq!(x.flows[0].dst, "{storage for func literal}");
        assert_eq!(x.flows[0].steps[0].reason, "captured by a closure");
        assert_eq!(x.flows[0].steps[0].at.as_ref().map(|p| (p.line, p.col)), Some((28, 22)));
        let cap = b.captures.iter().find(|c| c.variable == "x").unwrap();
        assert!(cap.by_ref && cap.reassigned && !cap.addr_taken && cap.width == 8);

        // channel send
        let m = find(b, 33, 7, "escapes-to-heap");
        assert_eq!(m.subject, "&M{...}");
        assert!(m.flows.iter().flat_map(|f| &f.steps).any(|s| s.reason == "send"));

        // leaking param and method value
        let p = find(b, 37, 18, "leaking-param");
        assert_eq!(p.subject, "m");
        assert_eq!(p.function.as_deref(), Some("MethodValue"));
        assert_eq!(find(b, 38, 11, "escapes-to-heap").subject, "m.Get");

        // append summary pairs with "append(out, x * 2) escapes to heap in Grow:"
        let a = find(b, 54, 15, "escapes-to-heap");
        assert_eq!(a.subject, "append");
        assert_eq!(a.function.as_deref(), Some("Grow"));
        assert!(!a.flows.is_empty());

        // boxing a constant and a variable in fmt.Println
        assert_eq!(find(b, 86, 14, "escapes-to-heap").subject, "\"n\"");
        assert_eq!(find(b, 86, 19, "escapes-to-heap").subject, "n");
        assert_eq!(find(b, 23, 11, "does-not-escape").subject, "make([]int, n)");

        // inlined strings.Builder code is reported at the call's '('
        let site = RawPos { path: "./shapes.go".into(), line: 74, col: 17 };
        assert_eq!(b.inline_sites.get(&site).map(|v| v[0].as_str()), Some("strings.(*Builder).WriteString"));
    }

    #[test]
    fn inline_recording_go1_26() {
        let blocks = parse_output(&recorded("inline.m2.txt"));
        let b = &blocks[0];
        assert_eq!(b.import_path, "example.com/demo");
        // Errorf inlines errors.New: both callees at the same position, outermost first.
        let site = RawPos { path: "./main.go".into(), line: 25, col: 20 };
        assert_eq!(b.inline_sites[&site], vec!["fmt.Errorf".to_string(), "errors.New".to_string()]);
        // mk's `t` moved to heap inside main through inlining: reported at the call's '('.
        let t = find(b, 41, 40, "moved-to-heap");
        assert_eq!(t.subject, "t");
        // leaking param to result
        assert!(b.findings.iter().all(|f| f.kind.name() != "leaking-param-to-result"
            || f.subject.starts_with('~')
            || !f.subject.is_empty()));
        let fail = b.inlinability.iter().find(|i| i.function == "fail").unwrap();
        assert!(!fail.can_inline);
    }

    #[test]
    fn leak_to_result_and_content() {
        let text = "# p\n./a.go:3:8: leaking param: s to result ~r0 level=0\n./a.go:4:8: leaking param content: xs\n";
        let b = &parse_output(text)[0];
        assert_eq!(
            b.findings[0].kind,
            Kind::LeakingParam { to: LeakTarget::Result { result: "~r0".into(), level: 0 } }
        );
        assert_eq!(b.findings[0].subject, "s");
        assert_eq!(b.findings[1].kind, Kind::LeakingParam { to: LeakTarget::Content });
    }

    #[test]
    fn test_variant_header_and_errors() {
        let text = "# example.com/p [example.com/p.test]\n./p.go:3:2: moved to heap: v\n# example.com/q\nq/q.go:3:23: cannot use \"x\" (untyped string constant) as int value in return statement\n";
        let blocks = parse_output(text);
        assert_eq!(blocks[0].variant.as_deref(), Some("example.com/p.test"));
        assert_eq!(blocks[0].import_path, "example.com/p [example.com/p.test]");
        assert_eq!(blocks[1].other.len(), 1);
        assert!(blocks[1].findings.is_empty());
    }
}
