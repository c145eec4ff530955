//! Findings in the words of the source, for people: the compiler's internal names replaced by what
//! the code says.
//!
//! The compiler names things the reader never wrote:
//! - generic code is compiled once per *shape*, so functions and expressions read
//!   `NewFreeListG[go.shape.interface { Less(example.com/btree.Item) bool }]` and
//!   `make([]*node[go.shape.int], 0, size)`; the source says `NewFreeListG[T]`, `make([]*node[T], 0, size)`;
//! - the result of an inlined call is a temporary named `~r0`, `~r1` (`~r0 escapes to heap`,
//!   `base + "?page=" + ~r0`); the source says `n.Alignment.String()`.
//!
//! This is display only. [`Finding::subject`], [`Finding::function`] and [`Finding::message`] stay the
//! compiler's identity: verification pairs findings before and after a rewrite by them, rules match
//! them, and `--json` keeps them next to the source-worded fields added here.

use super::{Finding, Kind, LeakTarget, Origin, RawPos};
use crate::go::Listing;
use crate::source::SourceFile;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Longest source expression shown in place of a compiler subject; longer ones are cut with `…`.
const MAX_EXPR: usize = 100;

/// Whether `s` holds a name only the compiler knows: a generic shape or an inlined call's result.
pub fn has_compiler_names(s: &str) -> bool {
    s.contains("go.shape.") || has_result_temp(s)
}

/// `~r0`, `~R1`, ...: the compiler's names for unnamed results (of inlined calls, in subjects).
fn has_result_temp(s: &str) -> bool {
    result_temps(s).next().is_some()
}

/// Byte ranges of every `~rN` / `~RN` in `s`.
fn result_temps(s: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    s.match_indices('~').filter_map(move |(i, _)| {
        let rest = &s[i + 1..];
        let mut chars = rest.chars();
        if !matches!(chars.next(), Some('r' | 'R')) {
            return None;
        }
        let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
        (digits > 0).then(|| i..i + 2 + digits)
    })
}

/// What the source said for each question a [`Namer`] had to read a file to answer, keyed by the
/// question. Kept with a cached analysis (whose finding ids it names), so that a warm report, which
/// has parsed no file, does not parse files only to name things: tree-sitter parsing was most of a
/// warm report's time on generic code.
pub type SourceWords = HashMap<String, Option<String>>;

/// Looks up source text for findings: the parsed files of the analysis, then files read (and parsed)
/// on demand, or given as text (the verifier's composed files, which exist only in memory).
pub struct Namer<'a> {
    parsed: Option<&'a HashMap<PathBuf, SourceFile>>,
    /// Non-standard packages' files, to find a callee's declaration by name.
    package_files: HashMap<&'a str, Vec<PathBuf>>,
    texts: HashMap<PathBuf, String>,
    loaded: RefCell<HashMap<PathBuf, Option<Rc<SourceFile>>>>,
    /// Answers known before this namer read anything (from the analysis cache).
    known: Option<&'a SourceWords>,
    /// Answers this namer read from the source.
    learned: RefCell<SourceWords>,
}

impl<'a> Namer<'a> {
    pub fn new(parsed: &'a HashMap<PathBuf, SourceFile>, listing: &'a Listing) -> Self {
        let package_files = listing
            .packages
            .iter()
            .filter(|p| !p.standard)
            .map(|p| (p.import_path.as_str(), p.source_files().collect()))
            .collect();
        Namer {
            parsed: Some(parsed),
            package_files,
            texts: HashMap::new(),
            loaded: RefCell::default(),
            known: None,
            learned: RefCell::default(),
        }
    }

    /// A namer that trusts these answers for the analysis they were learned on. Not for a namer
    /// given other texts: the answers describe the files as the analysis read them.
    pub fn with_known(mut self, known: &'a SourceWords) -> Self {
        self.known = Some(known);
        self
    }

    /// Every answer this namer read from the source, to keep with the analysis.
    pub fn into_learned(self) -> SourceWords {
        self.learned.into_inner()
    }

    /// Ask the source (through `read`) only when no earlier run or question answered `key`.
    fn recall(&self, key: String, read: impl FnOnce() -> Option<String>) -> Option<String> {
        if self.texts.is_empty() {
            if let Some(v) = self.known.and_then(|k| k.get(&key)) {
                return v.clone();
            }
            if let Some(v) = self.learned.borrow().get(&key) {
                return v.clone();
            }
        }
        let v = read();
        if self.texts.is_empty() {
            self.learned.borrow_mut().insert(key, v.clone());
        }
        v
    }

    /// A namer that reads these files' contents from `texts` (overriding both the parsed files and
    /// the disk): the findings being named were reported on that text.
    pub fn with_texts(mut self, texts: impl IntoIterator<Item = (PathBuf, String)>) -> Self {
        self.texts.extend(texts);
        self
    }

    fn with_source<R>(&self, path: &Path, f: impl FnOnce(&SourceFile) -> R) -> Option<R> {
        if !self.texts.contains_key(path) {
            if let Some(src) = self.parsed.and_then(|p| p.get(path)) {
                return Some(f(src));
            }
        }
        let src = self
            .loaded
            .borrow_mut()
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let parsed = match self.texts.get(path) {
                    Some(text) => SourceFile::parse(path, text.clone()),
                    None => SourceFile::read(path),
                };
                parsed.ok().map(Rc::new)
            })
            .clone()?;
        Some(f(&src))
    }

    /// The subject in source words: unchanged when the compiler's is already what the code says.
    pub fn subject<'f>(&self, f: &'f Finding) -> Cow<'f, str> {
        if f.subject.contains("DYNAMICTYPE") {
            // `new(<node DYNAMICTYPE>)`: the compiler's placeholder for a type known only per
            // instantiation; the source names it (`new(node[T])`).
            let call = self.recall(format!("dynamic {}", f.id), || {
                let file = f.file.as_deref()?;
                self.with_source(file, |src| {
                    let node = expr_at(src, &f.raw)?;
                    (node.kind() == "call_expression").then(|| one_line(src.node_text(node)))
                })
                .flatten()
            });
            if let Some(call) = call {
                return Cow::Owned(call);
            }
        }
        if !has_compiler_names(&f.subject) {
            return Cow::Borrowed(&f.subject);
        }
        let mut s = f.subject.clone();
        if has_result_temp(&s) {
            // The expression the compiler describes is at the finding's position.
            let from_source = self.recall(format!("result {} {s}", f.id), || {
                self.with_source(f.file.as_deref()?, |src| result_expr(src, &f.raw, &s)).flatten()
            });
            s = from_source.unwrap_or_else(|| replace_result_temps(&s));
        }
        if s.contains("go.shape.") {
            s = self.unshape(f, &s);
            // Type arguments are package-qualified (`items[*example.com/btree.node[T]]`); the
            // package's own code does not qualify its names.
            s = s.replace(&format!("{}.", f.package), "");
        }
        Cow::Owned(s)
    }

    /// The one-line message of [`Finding::message`] with the subject (and an unnamed result) in
    /// source words.
    pub fn message(&self, f: &Finding) -> String {
        let subject = self.subject(f);
        match &f.kind {
            Kind::MovedToHeap => format!("moved to heap: {subject}"),
            Kind::EscapesToHeap => format!("{subject} escapes to heap"),
            Kind::LeakingParam { to: LeakTarget::Heap } => format!("leaking param: {subject}"),
            Kind::LeakingParam { to: LeakTarget::Content } => format!("leaking param content: {subject}"),
            Kind::LeakingParam { to: LeakTarget::Result { result, level } } => {
                format!("leaking param: {subject} to {} level={level}", result_name(result))
            }
            Kind::DoesNotEscape => format!("{subject} does not escape"),
        }
    }

    /// The enclosing function in source words (`NewFreeListG[T]`, `(*FreeListG[T]).newNode`).
    pub fn function<'f>(&self, f: &'f Finding) -> Option<Cow<'f, str>> {
        let name = f.function.as_deref()?;
        Some(self.function_name(f, name))
    }

    /// A function name the compiler printed for `f` (its enclosing function or an inlined callee),
    /// with the declaration's type parameter names in place of the instantiation's types.
    pub fn function_name<'n>(&self, f: &Finding, name: &'n str) -> Cow<'n, str> {
        if !name.contains('[') {
            return Cow::Borrowed(name);
        }
        match self.type_params(f, name) {
            Some(params) => Cow::Owned(with_type_args(name, |_| params.clone())),
            // No declaration found (code of another package): at least no shape names.
            None => Cow::Owned(strip_shapes(name)),
        }
    }

    /// Advice that names `f`'s inlined callees (a remedy): the callees in the source's words.
    pub fn callee_words(&self, f: &Finding, text: &str) -> String {
        let mut out = text.to_string();
        if let super::Origin::Inlined { callees } = &f.origin {
            for c in callees {
                out = out.replace(c.as_str(), &self.function_name(f, c));
            }
        }
        out
    }

    /// Text written about `f` by someone else (a rule's decline reason quoting the finding): the
    /// compiler's message and subject in it replaced by the source's words.
    pub fn words(&self, f: &Finding, text: &str) -> String {
        if !has_compiler_names(text) {
            return text.to_string();
        }
        let out = text.replace(&f.message(), &self.message(f)).replace(&f.subject, &self.subject(f));
        strip_shapes(&out)
    }

    /// One expression of a flow step: source text at its position when the compiler's has internal
    /// names, or at least those names made readable.
    pub fn flow_expr<'e>(&self, f: &Finding, expr: &'e str, at: Option<&RawPos>) -> Cow<'e, str> {
        if !has_compiler_names(expr) {
            return Cow::Borrowed(expr);
        }
        let mut s = expr.to_string();
        // A flow's end with no position: `~r0` alone is the function's own (unnamed) result.
        if at.is_none() && result_temps(expr).next().is_some_and(|r| r.len() == expr.len()) {
            return Cow::Owned(result_name(expr));
        }
        // `{storage for SUBJECT}`: the finding's own subject, already resolved.
        if has_compiler_names(&f.subject) && s.contains(&f.subject) && s != f.subject {
            s = s.replace(&f.subject, &self.subject(f));
        }
        if has_result_temp(&s) {
            let here = at.filter(|p| p.path == f.raw.path).zip(f.file.as_deref());
            let from_source = here.and_then(|(pos, file)| {
                self.recall(format!("flow {} {}:{} {expr}", f.id, pos.line, pos.col), || {
                    self.with_source(file, |src| result_expr(src, pos, expr)).flatten()
                })
            });
            s = from_source.unwrap_or_else(|| replace_result_temps(&s));
        }
        Cow::Owned(if s.contains("go.shape.") { self.unshape(f, &s) } else { s })
    }

    /// Replace shape types in `s` by the type parameters they instantiate, using the declaration of
    /// the generic function the finding belongs to (its own, or the callee it was inlined from).
    fn unshape(&self, f: &Finding, s: &str) -> String {
        let generic = match &f.origin {
            Origin::Inlined { callees } => callees.iter().rev().find(|c| c.contains("go.shape.")),
            _ => f.function.as_ref().filter(|n| n.contains("go.shape.")),
        };
        let mut out = s.to_string();
        if let Some(name) = generic {
            if let Some(params) = self.type_params(f, name) {
                let shapes = type_args(name);
                // Longest first: a shape may contain another (`go.shape.*uint8` and `go.shape.uint8`).
                let mut pairs: Vec<(&str, &str)> =
                    shapes.iter().map(String::as_str).zip(params.iter().map(String::as_str)).collect();
                pairs.sort_by_key(|(shape, _)| std::cmp::Reverse(shape.len()));
                for (i, (shape, param)) in pairs.iter().enumerate() {
                    // Two parameters of the same shape cannot be told apart: leave it to the fallback.
                    if pairs.iter().enumerate().any(|(j, (other, p))| j != i && other == shape && p != param) {
                        continue;
                    }
                    if shape.starts_with("go.shape.") {
                        out = out.replace(shape, param);
                    }
                }
            }
        }
        strip_shapes(&out)
    }

    /// The type parameter names of the declaration of `name` (a function, or a method's receiver
    /// type), looked up in the finding's file and then in the files of its package.
    fn type_params(&self, f: &Finding, name: &str) -> Option<Vec<String>> {
        let decl = DeclName::parse(name)?;
        let mut files: Vec<&Path> = f.file.as_deref().into_iter().collect();
        if let Some(pkg) = self.package_files.get(f.package.as_str()) {
            files.extend(pkg.iter().map(PathBuf::as_path).filter(|p| Some(*p) != f.file.as_deref()));
        }
        let want = type_args(name).len();
        // A type parameter name never holds a NUL: the answer travels as one string.
        let key = format!("params {} {} {name}", f.package, f.file.as_deref().unwrap_or(Path::new("")).display());
        let joined = self.recall(key, || {
            let params = files.into_iter().find_map(|p| self.with_source(p, |src| decl.find_params(src)).flatten())?;
            Some(params.join("\0"))
        })?;
        let params: Vec<String> =
            if joined.is_empty() { Vec::new() } else { joined.split('\0').map(str::to_string).collect() };
        (params.len() == want).then_some(params)
    }
}

/// `~r0` in a leak target: the function's first unnamed result.
fn result_name(result: &str) -> String {
    match result.strip_prefix("~r").or_else(|| result.strip_prefix("~R")).and_then(|n| n.parse::<u32>().ok()) {
        Some(i) => format!("result #{}", i + 1),
        None => format!("result {result}"),
    }
}

/// Without source: say what the temporary is rather than print its name.
fn replace_result_temps(s: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for r in result_temps(s) {
        out.push_str(&s[last..r.start]);
        out.push_str("(inlined call's result)");
        last = r.end;
    }
    out.push_str(&s[last..]);
    out
}

/// The source expression a subject containing `~rN` describes, if the source has a plausible one
/// there.
fn result_expr(src: &SourceFile, pos: &RawPos, subject: &str) -> Option<String> {
    let node = expr_at(src, pos)?;
    // A bare `~r0` is a call's result; anything longer is an expression with operators.
    let bare = result_temps(subject).next().is_some_and(|r| r.len() == subject.trim().len());
    let plausible = if bare { node.kind() == "call_expression" } else { node.kind() != "identifier" };
    plausible.then(|| one_line(src.node_text(node)))
}

/// The expression the compiler reports at `pos`: a call at its `(` (where the compiler puts calls),
/// an operation at its operator, anything else where it starts.
fn expr_at<'s>(src: &'s SourceFile, pos: &RawPos) -> Option<tree_sitter::Node<'s>> {
    let off = src.offset(pos.line, pos.col)?;
    let leaf = src.tree.root_node().descendant_for_byte_range(off, off)?;
    let parent = leaf.parent();
    let node = match (leaf.kind(), parent.map(|p| p.kind())) {
        // A call's or conversion's `(`: `f(x)`, `[]byte(s)` (which may parse as a call with a
        // parenthesized argument, or as a conversion).
        ("(", Some("argument_list" | "parenthesized_expression" | "type_conversion_expression")) => {
            let mut n = parent?;
            while matches!(n.kind(), "argument_list" | "parenthesized_expression") {
                n = n.parent()?;
            }
            match n.kind() {
                "call_expression" | "type_conversion_expression" => n,
                _ => src.node_starting_at(off)?,
            }
        }
        // An operator token (`+` of a concatenation, `=` of an assignment): the expression it joins.
        _ if !leaf.is_named() && leaf.kind() != "(" => parent?,
        _ => src.node_starting_at(off)?,
    };
    Some(node)
}

/// Source text on one line (multi-line expressions collapse their whitespace), cut when long.
fn one_line(text: &str) -> String {
    let s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > MAX_EXPR {
        format!("{}…", s.chars().take(MAX_EXPR - 1).collect::<String>())
    } else {
        s
    }
}

/// The top-level bracket groups of a compiler name, as byte ranges of their contents:
/// `(*T[A, B]).M` → [`A, B`]; brackets inside a type argument are part of it.
fn bracket_groups(name: &str) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let mut depth = 0usize;
    let mut open = 0;
    for (i, c) in name.char_indices() {
        match c {
            '[' | '(' | '{' => {
                if c == '[' && is_name_level(name, depth) {
                    open = i + 1;
                }
                depth += 1;
            }
            ']' | ')' | '}' => {
                depth = depth.saturating_sub(1);
                if c == ']' && open > 0 && is_name_level(name, depth) {
                    groups.push(open..i);
                    open = 0;
                }
            }
            _ => {}
        }
    }
    groups
}

/// A `[` that opens a type argument list of the name itself: outside every other bracket, or just
/// inside the `(*T[...])` of a pointer receiver.
fn is_name_level(name: &str, depth: usize) -> bool {
    depth == 0 || (depth == 1 && name.starts_with("(*"))
}

/// The type arguments of the first bracket group, split at top-level commas.
fn type_args(name: &str) -> Vec<String> {
    bracket_groups(name).first().map(|r| split_top_level(&name[r.clone()])).unwrap_or_default()
}

fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' | '(' | '{' => depth += 1,
            ']' | ')' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(s[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !s[start..].trim().is_empty() {
        parts.push(s[start..].trim().to_string());
    }
    parts
}

/// `name` with each bracket group's contents replaced by `args(old contents)` joined with `, `.
fn with_type_args(name: &str, args: impl Fn(&str) -> Vec<String>) -> String {
    let mut out = String::new();
    let mut last = 0;
    for r in bracket_groups(name) {
        out.push_str(&name[last..r.start]);
        out.push_str(&args(&name[r.clone()]).join(", "));
        last = r.end;
    }
    out.push_str(&name[last..]);
    out
}

/// Last resort when no declaration names the parameters: `go.shape.int` → `int`, and package paths
/// inside a shape shortened to the package name (`example.com/btree.Item` → `btree.Item`).
pub fn strip_shapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("go.shape.") {
        out.push_str(&rest[..i]);
        let shape = &rest[i + "go.shape.".len()..];
        // The shape ends at the `,` or closing bracket that ends its type argument.
        let mut depth = 0usize;
        let end = shape
            .char_indices()
            .find(|&(_, c)| match c {
                '[' | '(' | '{' => {
                    depth += 1;
                    false
                }
                ']' | ')' | '}' if depth == 0 => true,
                ']' | ')' | '}' => {
                    depth -= 1;
                    false
                }
                ',' => depth == 0,
                _ => false,
            })
            .map_or(shape.len(), |(j, _)| j);
        out.push_str(&shorten_paths(&shape[..end]));
        rest = &shape[end..];
    }
    out.push_str(rest);
    out
}

/// `github.com/google/btree.Item` → `btree.Item`, for every path-qualified name in `s`.
fn shorten_paths(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(word.rsplit_once('/').map_or(word.as_str(), |(_, last)| last));
        word.clear();
    };
    for c in s.chars() {
        if c.is_alphanumeric() || matches!(c, '.' | '/' | '_' | '-') {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// What a compiler function name declares: `F[...]`, `T[...].M`, `(*T[...]).M`, possibly followed by
/// `.funcN` for a closure inside.
#[derive(Debug, PartialEq)]
enum DeclName {
    Func(String),
    Method { recv: String, name: String },
}

impl DeclName {
    fn parse(name: &str) -> Option<DeclName> {
        let plain = with_type_args(name, |_| Vec::new()).replace("[]", "");
        let plain = plain.split(".func").next().unwrap_or(&plain);
        if let Some(rest) = plain.strip_prefix("(*") {
            let (recv, method) = rest.split_once(").")?;
            return Some(DeclName::Method { recv: recv.to_string(), name: method.split('.').next()?.to_string() });
        }
        match plain.split_once('.') {
            Some((recv, method)) => {
                Some(DeclName::Method { recv: recv.to_string(), name: method.split('.').next()?.to_string() })
            }
            None => Some(DeclName::Func(plain.to_string())),
        }
    }

    /// The type parameter names at this declaration in `src`, if it declares it.
    fn find_params(&self, src: &SourceFile) -> Option<Vec<String>> {
        let root = src.tree.root_node();
        let mut cursor = root.walk();
        for decl in root.named_children(&mut cursor) {
            match (self, decl.kind()) {
                (DeclName::Func(want), "function_declaration") => {
                    if decl.child_by_field_name("name").map(|n| src.node_text(n)) != Some(want.as_str()) {
                        continue;
                    }
                    let params = decl.child_by_field_name("type_parameters")?;
                    let text = src.node_text(params);
                    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
                    // `[K, V any]`, `[S ~[]E, E cmp.Ordered]`: the first word of each comma part.
                    return Some(
                        split_top_level(inner)
                            .iter()
                            .filter_map(|p| p.split_whitespace().next().map(str::to_string))
                            .collect(),
                    );
                }
                (DeclName::Method { recv, name }, "method_declaration") => {
                    if decl.child_by_field_name("name").map(|n| src.node_text(n)) != Some(name.as_str()) {
                        continue;
                    }
                    let text = src.node_text(decl.child_by_field_name("receiver")?);
                    // `(f *FreeListG[T])` → base `FreeListG`, parameters `T`
                    let inner = text.trim_start_matches('(').trim_end_matches(')').trim();
                    let Some((before, args)) = inner.split_once('[') else { continue };
                    // `f *FreeListG`, `*FreeListG`, `f FreeListG`: the type name is the last word.
                    let base = before.split_whitespace().last().unwrap_or("").trim_start_matches('*');
                    if base != recv {
                        continue;
                    }
                    return Some(split_top_level(args.rsplit_once(']')?.0));
                }
                _ => {}
            }
        }
        None
    }
}

/// The flow in one line: the steps of the path that reaches the heap, as `expr (reason)`, in source
/// words where the compiler's are internal (`~r0`, shape names).
pub fn flow_line(namer: &Namer, f: &Finding) -> Option<String> {
    let flow = f.flows.iter().find(|fl| fl.dst == "{heap}").or_else(|| f.flows.last())?;
    let steps: Vec<String> = flow
        .steps
        .iter()
        .filter(|s| s.reason != "spill")
        .map(|s| {
            let expr = namer.flow_expr(f, &s.expr, s.at.as_ref());
            let expr = if expr.chars().count() > 40 {
                format!("{}…", expr.chars().take(39).collect::<String>())
            } else {
                expr.into_owned()
            };
            match &s.at {
                Some(p) => format!("{expr} ({}, line {})", s.reason, p.line),
                None => format!("{expr} ({})", s.reason),
            }
        })
        .collect();
    let (dst, src) = (namer.flow_expr(f, &flow.dst, None), namer.flow_expr(f, &flow.src, None));
    (!steps.is_empty()).then(|| format!("{dst} ← {src}: {}", steps.join(" → ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: &str = "go.shape.interface { Less(github.com/google/btree.Item) bool }";

    fn src(text: &str) -> SourceFile {
        SourceFile::parse(Path::new("a.go"), text.to_string()).unwrap()
    }

    #[test]
    fn result_temporaries() {
        assert!(has_compiler_names("~r0"));
        assert!(has_compiler_names("base + \"?page=\" + ~r12"));
        assert!(!has_compiler_names("a ~ b"));
        assert_eq!(replace_result_temps("a + ~r0"), "a + (inlined call's result)");
        assert_eq!(result_name("~r1"), "result #2");
        assert_eq!(result_name("s"), "result s");
    }

    #[test]
    fn compiler_names_split_into_declarations_and_type_arguments() {
        let f = format!("NewFreeListG[{SHAPE}]");
        assert_eq!(DeclName::parse(&f), Some(DeclName::Func("NewFreeListG".into())));
        assert_eq!(type_args(&f), vec![SHAPE.to_string()]);
        let m = format!("(*BTreeG[{SHAPE}]).Get.func1");
        assert_eq!(DeclName::parse(&m), Some(DeclName::Method { recv: "BTreeG".into(), name: "Get".into() }));
        assert_eq!(with_type_args(&m, |_| vec!["T".into()]), "(*BTreeG[T]).Get.func1");
        let two = "Map[go.shape.string, go.shape.[]int].Put";
        assert_eq!(type_args(two), vec!["go.shape.string".to_string(), "go.shape.[]int".to_string()]);
        assert_eq!(DeclName::parse(two), Some(DeclName::Method { recv: "Map".into(), name: "Put".into() }));
    }

    #[test]
    fn type_parameters_come_from_the_declaration() {
        let s = src("package p\n\nfunc New[K comparable, V any](n int) {}\n\nfunc (m *Map[K, V]) Put(k K) {}\n");
        assert_eq!(DeclName::Func("New".into()).find_params(&s), Some(vec!["K".into(), "V".into()]));
        let put = DeclName::Method { recv: "Map".into(), name: "Put".into() };
        assert_eq!(put.find_params(&s), Some(vec!["K".into(), "V".into()]));
        assert_eq!(DeclName::Func("Other".into()).find_params(&s), None);
    }

    #[test]
    fn shapes_without_a_declaration_are_stripped() {
        assert_eq!(
            strip_shapes(&format!("make([]*node[{SHAPE}], 0, size)")),
            "make([]*node[interface { Less(btree.Item) bool }], 0, size)"
        );
        assert_eq!(strip_shapes("&x[go.shape.int]{}"), "&x[int]{}");
        // only inside shapes: a division stays
        assert_eq!(strip_shapes("m[go.shape.*uint8, go.shape.string](n/2)"), "m[*uint8, string](n/2)");
    }

    #[test]
    fn result_expressions_are_read_at_the_position() {
        let text =
            "package p\n\nfunc f() {\n\t_ = fmt.Sprintf(\"%s\", n.A.String())\n\t_ = base + \"?p=\" + page(i)\n}\n";
        let s = src(text);
        let call =
            RawPos { path: "a.go".into(), line: 4, col: "\t_ = fmt.Sprintf(\"%s\", n.A.String".len() as u32 + 1 };
        assert_eq!(result_expr(&s, &call, "~r0").as_deref(), Some("n.A.String()"));
        let plus = RawPos { path: "a.go".into(), line: 5, col: "\t_ = base + \"?p=\" ".len() as u32 + 1 };
        assert_eq!(result_expr(&s, &plus, "base + \"?p=\" + ~r0").as_deref(), Some("base + \"?p=\" + page(i)"));
        // `new(<node DYNAMICTYPE>)` is reported at the `(` of `new(node[T])`
        let dynamic = src("package p\n\nfunc f() {\n\t_ = new(node[T])\n}\n");
        let paren = RawPos { path: "a.go".into(), line: 4, col: "\t_ = new".len() as u32 + 1 };
        assert_eq!(expr_at(&dynamic, &paren).map(|n| dynamic.node_text(n)), Some("new(node[T])"));
        // a conversion's `(`: the whole conversion
        let conv = src("package p\n\nfunc f() {\n\t_ = []byte(\"chunk\" + strconv.Itoa(i))\n}\n");
        let at = RawPos { path: "a.go".into(), line: 4, col: "\t_ = []byte".len() as u32 + 1 };
        assert_eq!(
            result_expr(&conv, &at, "([]byte)(\"chunk\" + ~r0)").as_deref(),
            Some("[]byte(\"chunk\" + strconv.Itoa(i))")
        );
        // a position that is not a call: no guess
        let other = RawPos { path: "a.go".into(), line: 5, col: 6 };
        assert_eq!(result_expr(&s, &other, "~r0"), None);
    }
}
