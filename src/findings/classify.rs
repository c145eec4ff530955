//! Names the cause of a finding and what it costs, in words a Go developer recognises.
//!
//! The compiler's text is not allocation truth (docs/compiler-facts.md): a boxed constant "escapes" for free,
//! a pointer boxes without allocating, a closure with no captures is static. Cost here is what the
//! syntax of the subject and the flow reasons allow us to say without types; `MayAllocate` is the
//! honest answer when it depends on the value.

use super::{Cause, Cost, Kind};
use super::{Flow, FlowStep};
use serde::Serialize;

pub fn cause(kind: &Kind, subject: &str, flows: &[Flow]) -> Cause {
    if let Kind::LeakingParam { .. } = kind {
        return Cause::ParamLeak;
    }
    let steps: Vec<&FlowStep> = flows.iter().flat_map(|f| &f.steps).collect();
    let has = |reason: &str| steps.iter().any(|s| s.reason == reason);
    if has("captured by a closure") {
        return Cause::ClosureCapture;
    }
    if has("too large for stack") {
        return Cause::TooLarge;
    }
    if subject == "append" || subject.starts_with("append(") {
        return Cause::SliceGrowth;
    }
    if has("send") {
        return Cause::ChannelSend;
    }
    if subject == "... argument" {
        return Cause::PassedToEscapingCall;
    }
    if subject == "func literal" {
        return Cause::ClosureEscapes;
    }
    // A pointer-shaped allocation (`&T{}`, `new(T)`, a map, a channel) is never "boxed": converting
    // it to an interface stores the pointer in the interface word for free (docs/compiler-facts.md).
    // What it costs is the object it points to, and why that escapes is what happens next (returned,
    // stored, passed on), so the `interface-converted` step on its way says nothing.
    let pointer = pointer_shaped_allocation(subject);
    let boxed = flows.first().is_some_and(|f| f.src == format!("&{{storage for {subject}}}"));
    if !pointer && ((boxed && !allocates_by_syntax(subject)) || has("interface-converted")) {
        return Cause::InterfaceConversion;
    }
    let address_into_slice = has("address-of")
        && steps.iter().any(|s| {
            s.reason == "slice-literal-element" || (s.reason == "call parameter" && s.expr.starts_with("append("))
        });
    if address_into_slice {
        return Cause::PointersInSlice;
    }
    if has("return") {
        // An address (a variable, &T{}, a map) versus a value whose memory is the result itself.
        return if *kind == Kind::MovedToHeap || pointer { Cause::Returned } else { Cause::ResultReturned };
    }
    // `append(s, x)` is a "call parameter" to the compiler, but x is stored in s's backing array:
    // stored, not passed to a function that keeps it.
    if steps.iter().any(|s| s.reason == "call parameter" && !s.expr.starts_with("append(")) {
        return Cause::PassedToEscapingCall;
    }
    // Whatever else reaches the heap does so by being stored somewhere that is (a global, a field of
    // a heap object, a map, a struct literal that itself escapes).
    if !flows.is_empty() {
        return Cause::StoredInHeap;
    }
    Cause::Unknown
}

/// `&T{...}`, `new(T)`, `make(map...)`, `make(chan ...)`, `map[K]V{...}`: allocations whose value is a
/// pointer, so boxing or returning them moves only the pointer.
pub fn pointer_shaped_allocation(subject: &str) -> bool {
    subject.starts_with('&')
        || subject.starts_with("new(")
        || subject.starts_with("make(map[")
        || subject.starts_with("make(chan ")
        || subject.starts_with("map[")
}

/// `cost` of `subject`; `string_results` names the results (`~r0`) of inlined calls at the same
/// position that the compiler showed to be strings built there (see [`built_string_results`]).
pub fn cost(kind: &Kind, subject: &str, flows: &[Flow], string_results: &[String]) -> Cost {
    match kind {
        Kind::MovedToHeap => Cost::Allocates,
        Kind::LeakingParam { .. } | Kind::DoesNotEscape => Cost::NoneHere,
        Kind::EscapesToHeap => {
            if is_constant_literal(subject) || is_zero_size(subject) || is_static_composite(subject) {
                Cost::Free
            } else if subject == "func literal" || subject == "append" || subject.starts_with("append(") {
                Cost::MayAllocate
            } else if allocates_by_syntax(subject) || pointer_shaped_allocation(subject) || subject == "... argument" {
                // An escaping `&T{}`, `new`, map literal or `make(map)` always allocates, whatever
                // the interface conversion on its way (boxing the pointer is free, the object is not).
                Cost::Allocates
            } else if string_results.iter().any(|r| r == subject) {
                // Boxing a non-constant string always allocates (runtime.convTstring), and this
                // result is the string an inlined call built here.
                Cost::Allocates
            } else if sink_call(flows).is_some_and(|c| c.callee == "(*sync.Pool).Put") {
                // Pool.Put of a pointer would not be reported: what is boxed here is a non-pointer.
                Cost::Allocates
            } else {
                // A boxed variable or call result: free for pointer-shaped values, small integers and
                // single bytes; an allocation otherwise. Only types can tell.
                Cost::MayAllocate
            }
        }
    }
}

/// Results (`~r0`) that a finding at the same position shows to be a string built there: the
/// compiler reports `"item-" + ~r0 escapes` with a flow into `~r0` when an inlined call returns a
/// concatenation, and the caller then boxes `~r0`. Give the subjects and flows of every finding at
/// one position.
pub fn built_string_results<'a>(at_position: impl Iterator<Item = (&'a str, &'a [Flow])>) -> Vec<String> {
    let mut out = Vec::new();
    for (subject, flows) in at_position {
        if !builds_string(subject) {
            continue;
        }
        for f in flows {
            if f.dst.starts_with("~r") && f.src == format!("&{{storage for {subject}}}") && !out.contains(&f.dst) {
                out.push(f.dst.clone());
            }
        }
    }
    out
}

fn builds_string(subject: &str) -> bool {
    subject.contains(" + ") || subject.starts_with("string(")
}

/// Values of a zero-size type, which the runtime boxes without allocating: `struct {}{}` and the
/// byte-order values of encoding/binary.
fn is_zero_size(subject: &str) -> bool {
    matches!(subject, "struct {}{}" | "binary.LittleEndian" | "binary.BigEndian" | "binary.NativeEndian")
}

/// `T{}` / `[2]int{}`: a struct or array literal with no elements. The compiler boxes a composite
/// literal of constants from a read-only static (walk's isStaticCompositeLiteral): no allocation.
/// (`T{...}` has elements the compiler did not print, whose constness is unknown; slice and map
/// literals are never static.)
fn is_static_composite(subject: &str) -> bool {
    subject.ends_with("{}")
        && !subject.starts_with("[]")
        && !subject.starts_with("map[")
        && !subject.starts_with('&')
        && !subject.starts_with("func")
}

/// The call that finally took a value: the last `call parameter` step of the flow that reaches the
/// heap (or of the last flow), split into callee and arguments as the compiler printed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkCall {
    /// `fmt.Sprintf`, `panic`, `(*sync.Pool).Put`, `keep`.
    pub callee: String,
    /// Top-level arguments, as printed (`... argument...` for a variadic slice).
    pub args: Vec<String>,
}

pub fn sink_call(flows: &[Flow]) -> Option<SinkCall> {
    let flow = flows.iter().rev().find(|f| f.dst == "{heap}").or_else(|| flows.last())?;
    let step = flow.steps.iter().rev().find(|s| s.reason == "call parameter")?;
    parse_call(&step.expr)
}

/// `pkg.F(a, b)` / `(*T).M(recv, a)` → callee and arguments; `None` when it is not a call.
fn parse_call(expr: &str) -> Option<SinkCall> {
    let body = expr.strip_suffix(')')?;
    // The callee ends at the first `(` outside a leading `(*T)` receiver type.
    let skip = if body.starts_with("(*") { body.find(')')? + 1 } else { 0 };
    let open = skip + body[skip..].find('(')?;
    let callee = body[..open].to_string();
    let mut args = Vec::new();
    let (mut depth, mut start) = (0i32, open + 1);
    let bytes = body.as_bytes();
    let mut in_str = false;
    for i in open + 1..body.len() {
        match bytes[i] {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => in_str = !in_str,
            _ if in_str => {}
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                args.push(body[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = body[start..].trim();
    if !last.is_empty() {
        args.push(last.to_string());
    }
    Some(SinkCall { callee, args })
}

/// What took a value, by kind: the advice depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sink {
    Fmt,
    Panic,
    ContextKey,
    ContextValue,
    Sort,
    PoolPut,
    Binary,
    Json,
    Errors,
    /// Any other call whose parameter leaks.
    LeakingCall,
}

pub fn sink(subject: &str, flows: &[Flow]) -> Option<(Sink, SinkCall)> {
    let call = sink_call(flows).filter(|c| c.callee != "append")?;
    let c = call.callee.as_str();
    let kind = if c.starts_with("fmt.") || c.starts_with("(*fmt.") || c.starts_with("log.") {
        Sink::Fmt
    } else if c == "panic" {
        Sink::Panic
    } else if c == "context.WithValue" {
        // WithValue(parent, key, val): which argument is this one?
        if call.args.get(1).map(String::as_str) == Some(subject) {
            Sink::ContextKey
        } else {
            Sink::ContextValue
        }
    } else if matches!(c, "sort.Sort" | "sort.Stable" | "sort.IsSorted") {
        Sink::Sort
    } else if c == "(*sync.Pool).Put" {
        Sink::PoolPut
    } else if matches!(c, "binary.Read" | "binary.Write" | "binary.Size" | "binary.Append") {
        Sink::Binary
    } else if c.starts_with("json.") || c.starts_with("(*json.") {
        Sink::Json
    } else if c == "errors.New" || c.starts_with("errors.") {
        Sink::Errors
    } else {
        Sink::LeakingCall
    };
    Some((kind, call))
}

/// The finding returns an error value built on that path: `&Error{...}` or `&fooError{...}` handed back
/// through an interface-converted return (cold: the function is failing).
fn is_returned_error(cause: Cause, subject: &str, flows: &[Flow]) -> bool {
    let converted = flows.iter().flat_map(|f| &f.steps).any(|s| s.reason == "interface-converted");
    let type_name = subject.trim_start_matches('&').split('{').next().unwrap_or("");
    let type_name = type_name.rsplit('.').next().unwrap_or(type_name).to_ascii_lowercase();
    cause == Cause::Returned && converted && (type_name.contains("err") || subject.starts_with("errors.New("))
}

/// The cause in one sentence, with what took the value when the flow names it.
pub fn describe_finding(f: &super::Finding) -> String {
    let base = describe(f.cause);
    if matches!(f.kind, Kind::LeakingParam { .. }) {
        return base.to_string();
    }
    // Rules target some sites the compiler keeps on the stack: what they cost is growth.
    if f.kind == Kind::DoesNotEscape {
        let s = f.subject.as_str();
        return if s == "append" || s.starts_with("append(") {
            "the slice does not escape, but each append past its capacity allocates a new backing array on the heap"
        } else if s.starts_with("make([]") {
            "the slice does not escape, but a make whose size is not a constant (and over 32 bytes at run time) \
             allocates its backing array on the heap"
        } else if s.starts_with("make(map[") || s.starts_with("map[") {
            "the map does not escape, but growing past its initial size allocates new buckets on the heap"
        } else {
            "the compiler keeps it on the stack; what it allocates is allocated by a callee or by growth"
        }
        .into();
    }
    if is_returned_error(f.cause, &f.subject, &f.flows) {
        return "an error value built on a return path: its address is returned (as an error interface, which boxes the pointer for free)".into();
    }
    match sink(&f.subject, &f.flows) {
        Some((Sink::Panic, _)) => "a panic argument: panic keeps its value (boxed when it is not a pointer)".into(),
        Some((_, call)) if matches!(f.cause, Cause::InterfaceConversion) => {
            format!("converted to an interface (boxed) for {}, which keeps it", call.callee)
        }
        Some((_, call)) if f.cause == Cause::PassedToEscapingCall => {
            format!("passed to {}, whose parameter leaks (it keeps its argument)", call.callee)
        }
        _ => base.to_string(),
    }
}

/// What a Go expert would try by hand for this finding, fitted to what took the value.
pub fn remedy_for(f: &super::Finding) -> Option<String> {
    if matches!(f.kind, Kind::LeakingParam { .. } | Kind::DoesNotEscape) {
        return None;
    }
    if f.cost == Cost::Free {
        return None;
    }
    // Cold paths first: whoever allocates it (this code or an inlined callee), an error on its way
    // out or a panic argument is not worth changing.
    if is_returned_error(f.cause, &f.subject, &f.flows) {
        return Some("an error built on a return path: cold, usually not worth changing".into());
    }
    let took = sink(&f.subject, &f.flows);
    if took.as_ref().is_some_and(|(k, _)| *k == Sink::Panic) {
        return Some("a panic argument: cold path, not worth changing".into());
    }
    if let super::Origin::Inlined { callees } = &f.origin {
        let callee = callees.last().map(String::as_str).unwrap_or("the callee");
        return Some(format!(
            "the allocation is inside {callee}, inlined here: change it there if it is yours; otherwise call it less often in hot paths, or use an API that reuses memory"
        ));
    }
    if matches!(f.cause, Cause::InterfaceConversion | Cause::PassedToEscapingCall) {
        if let Some((kind, call)) = took {
            let text = match kind {
                Sink::Fmt => "avoid fmt's boxing in hot paths: strconv (Itoa, AppendInt) or concatenation instead of fmt".to_string(),
                Sink::Panic => "a panic argument: cold path, not worth changing".to_string(),
                Sink::ContextKey => "use a zero-size key type (type ctxKey struct{}) — boxing it is free".to_string(),
                Sink::ContextValue => {
                    "context.WithValue boxes its value: store a pointer (boxing it is free) or accept one allocation per call".to_string()
                }
                Sink::Sort => "sort.Sort boxes its argument: slices.SortFunc takes the slice without boxing".to_string(),
                Sink::PoolPut => "`sync.Pool.Put` of a non-pointer value allocates each time: pool pointers (*[]byte, *T)".to_string(),
                Sink::Binary => {
                    "binary.Read/Write box their data and use reflection: binary.LittleEndian.Uint32/AppendUint32 on a byte slice avoid both".to_string()
                }
                Sink::Json => "encoding/json boxes and reflects: pass a pointer (boxing it is free); encoding allocates anyway".to_string(),
                Sink::Errors => "an error value: usually on a cold path; a package-level sentinel error avoids it when identity allows".to_string(),
                Sink::LeakingCall => format!(
                    "{} keeps its argument (its parameter leaks): inherent unless it can be changed not to keep it",
                    call.callee
                ),
            };
            return Some(text);
        }
    }
    remedy(f.cause).map(str::to_string)
}

/// Subjects that denote an allocation by their form: `make(...)`, `new(...)`, `&T{...}`, composite
/// literals, conversions between strings and byte/rune slices, string concatenation.
pub fn allocates_by_syntax(subject: &str) -> bool {
    subject.starts_with("make(")
        || subject.starts_with("new(")
        || subject.starts_with('&')
        || subject.ends_with("{...}")
        || subject.starts_with("string(")
        || subject.starts_with("([]byte)(")
        || subject.starts_with("([]rune)(")
        || subject.starts_with("[]byte(")
        || subject.contains(" + ")
}

/// `3`, `-1.5`, `"a"`, `'x'`, `true`, `nil`: boxing these allocates nothing. The WHOLE subject must be
/// one literal: `"items: " + s` starts like a constant but allocates.
pub fn is_constant_literal(subject: &str) -> bool {
    let s = subject.strip_prefix('-').unwrap_or(subject);
    if is_truncated_string_constant(s) {
        return true;
    }
    if s.starts_with('"') || s.starts_with('`') {
        return crate::golit::decode(s).is_some();
    }
    if let Some(body) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return !body.is_empty() && !body.contains('\'');
    }
    let number = s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'));
    number || matches!(s, "true" | "false" | "nil")
}

/// go/constant prints a string constant longer than 70 runes as its first 69 quoted runes and
/// `...` (72 runes, no closing quote): `"chi: wildcard '*' must be the last pattern in a route, otherwise use...`.
/// No unescaped `"` may follow the opening one, or it was a longer expression.
fn is_truncated_string_constant(s: &str) -> bool {
    let Some(body) = s.strip_prefix('"').and_then(|r| r.strip_suffix("...")) else {
        return false;
    };
    if s.chars().count() != 72 {
        return false;
    }
    let mut escaped = false;
    for c in body.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return false,
            _ => {}
        }
    }
    true
}

/// One sentence: why this escapes, for the report.
pub fn describe(cause: Cause) -> &'static str {
    match cause {
        Cause::ClosureCapture => "captured by reference by a closure that outlives the function",
        Cause::ClosureEscapes => "a closure that outlives the function (returned, stored, or run by go) is allocated with its captures",
        Cause::InterfaceConversion => "converted to an interface (boxed) and the interface value escapes",
        Cause::Returned => "returned: the object (or variable) its pointer refers to must outlive the function",
        Cause::ResultReturned => "it is the function's result, returned to the caller, so its memory must outlive the function",
        Cause::StoredInHeap => "stored in something that outlives the function (global, heap object, map)",
        Cause::ChannelSend => "sent on a channel: whatever a sent pointer points to lives on the heap",
        Cause::SliceGrowth => "append grows the backing array on the heap",
        Cause::PointersInSlice => "its address is stored in a slice",
        Cause::MethodValue => "a method value (x.M) allocates a closure bound to x",
        Cause::InterfaceMethodCall => "passed to a method called through an interface (implementation unknown)",
        Cause::TooLarge => "too large for the stack (over 64 KB implicit, 128 KB explicit)",
        Cause::PassedToEscapingCall => {
            "passed to a call that keeps it (the callee's parameter leaks, or it is a method called through an interface the compiler cannot see into)"
        }
        Cause::ParamLeak => "this parameter flows out of the function; callers pay for it, not this function",
        Cause::Unknown => "the compiler's flow does not name a common cause",
    }
}

/// What a Go expert would try by hand when no rule applies.
pub fn remedy(cause: Cause) -> Option<&'static str> {
    Some(match cause {
        Cause::ClosureCapture => {
            "pass the variable as a parameter, or copy it before the closure, when the closure does not need later writes"
        }
        Cause::InterfaceConversion => {
            "a concrete type instead of an interface where there is one; boxing a pointer is free, boxing a non-constant value is not"
        }
        Cause::Returned => "return a value instead of a pointer when callers only read it (unexported helpers)",
        Cause::ClosureEscapes => "inherent when the closure is the API; a method on a small struct can replace a closure in hot paths",
        Cause::ResultReturned => "inherent for a result; in hot paths let the caller pass a buffer to append to",
        Cause::StoredInHeap => "usually inherent; make the container local, or store values instead of pointers",
        Cause::ChannelSend => "send small values instead of pointers",
        Cause::SliceGrowth => "preallocate: make([]T, 0, n) when the final length is known",
        Cause::PointersInSlice => "store values ([]T) instead of pointers ([]*T) when identity is not needed",
        Cause::MethodValue => "call the method directly, or use a method expression (T.M)",
        Cause::InterfaceMethodCall => "devirtualize when there is one concrete type",
        Cause::TooLarge => "allocate once and reuse (a field, or sync.Pool for short-lived buffers)",
        Cause::PassedToEscapingCall => {
            "inherent unless the callee can be changed not to keep its argument; through an interface, call the concrete type when there is only one"
        }
        Cause::ParamLeak | Cause::Unknown => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::parse::parse_output;

    #[test]
    fn causes_from_recorded_flows() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/shapes.m2.txt")).unwrap();
        let b = &parse_output(&text)[0];
        let at = |line: u32, col: u32, kind: &str| {
            let f =
                b.findings.iter().find(|f| f.pos.line == line && f.pos.col == col && f.kind.name() == kind).unwrap();
            cause(&f.kind, &f.subject, &f.flows)
        };
        assert_eq!(at(18, 11, "escapes-to-heap"), Cause::TooLarge);
        assert_eq!(at(27, 9, "moved-to-heap"), Cause::ClosureCapture);
        assert_eq!(at(33, 7, "escapes-to-heap"), Cause::ChannelSend);
        assert_eq!(at(54, 15, "escapes-to-heap"), Cause::SliceGrowth);
        assert_eq!(at(61, 9, "moved-to-heap"), Cause::PointersInSlice);
        assert_eq!(at(68, 9, "escapes-to-heap"), Cause::InterfaceConversion);
        assert_eq!(at(86, 19, "escapes-to-heap"), Cause::InterfaceConversion);
        assert_eq!(at(37, 18, "leaking-param"), Cause::ParamLeak);
        assert_eq!(at(42, 17, "escapes-to-heap"), Cause::ResultReturned);
        assert_eq!(at(82, 9, "escapes-to-heap"), Cause::ClosureEscapes);
        assert_eq!(at(80, 6, "moved-to-heap"), Cause::ClosureCapture);
    }

    #[test]
    fn costs() {
        let c = |subject: &str| cost(&Kind::EscapesToHeap, subject, &[], &[]);
        assert_eq!(c("\"n\""), Cost::Free);
        assert_eq!(c("-3"), Cost::Free);
        assert_eq!(c("1e9"), Cost::Free);
        assert_eq!(c("'x'"), Cost::Free);
        assert_eq!(c("\"items: \" + ~r0"), Cost::Allocates);
        assert_eq!(c("\"a\" + \"b\""), Cost::Allocates);
        assert_eq!(c("make([]byte, 1048576)"), Cost::Allocates);
        assert_eq!(c("a + \"/\" + b"), Cost::Allocates);
        assert_eq!(c("n"), Cost::MayAllocate);
        assert_eq!(cost(&Kind::MovedToHeap, "x", &[], &[]), Cost::Allocates);
        assert_eq!(c("append"), Cost::MayAllocate);
        // an escaping map literal or make(map) always allocates; boxing zero-size values never does
        assert_eq!(c("map[string]int{...}"), Cost::Allocates);
        assert_eq!(c("make(map[string]int)"), Cost::Allocates);
        assert_eq!(c("map[string]any{}"), Cost::Allocates);
        assert_eq!(c("struct {}{}"), Cost::Free);
        assert_eq!(c("binary.LittleEndian"), Cost::Free);
        // a string constant the compiler printed truncated (go/constant: 72 runes)
        assert_eq!(c("\"middleware.ClientIPFromXFF: at least one trusted IP prefix is requir..."), Cost::Free);
        assert_eq!(c("\"a\" + s + \"and a long tail that the compiler truncated here, it is xx..."), Cost::Allocates);
        assert_eq!(c("context.backgroundCtx{}"), Cost::Free);
        assert_eq!(c("T{...}"), Cost::Allocates);
        // an inlined call's result: a string when a concatenation at the same position flows into it
        let built = vec![Flow { dst: "~r0".into(), src: "&{storage for \"item-\" + ~r0}".into(), steps: vec![] }];
        let strings = built_string_results([("\"item-\" + ~r0", built.as_slice())].into_iter());
        assert_eq!(strings, vec!["~r0".to_string()]);
        assert_eq!(cost(&Kind::EscapesToHeap, "~r0", &[], &strings), Cost::Allocates);
        assert_eq!(c("~r0"), Cost::MayAllocate);
    }
}

#[cfg(test)]
mod remedy_tests {
    use super::*;
    use crate::findings::{Finding, Origin};

    fn step(expr: &str, reason: &str) -> FlowStep {
        FlowStep { expr: expr.into(), reason: reason.into(), at: None }
    }

    #[test]
    fn cold_paths_win_over_the_inlined_callee_remedy() {
        // reflect's panic(&ValueError{...}) inlined into the module: cold, not "change the callee"
        let mut f = Finding::for_test("&reflect.ValueError{...}");
        f.origin = Origin::Inlined { callees: vec!["reflect.flag.mustBe".into()] };
        f.flows = vec![Flow {
            dst: "{heap}".into(),
            src: "&{storage for &reflect.ValueError{...}}".into(),
            steps: vec![
                step("&reflect.ValueError{...}", "spill"),
                step("panic(&reflect.ValueError{...})", "call parameter"),
            ],
        }];
        f.cause = cause(&f.kind, &f.subject, &f.flows);
        assert_eq!(f.cause, Cause::PassedToEscapingCall);
        assert_eq!(remedy_for(&f).unwrap(), "a panic argument: cold path, not worth changing");
        // errors.New inlined, returned as an error: cold
        let mut e = Finding::for_test("&errors.errorString{...}");
        e.origin = Origin::Inlined { callees: vec!["errors.New".into()] };
        e.flows = vec![Flow {
            dst: "~r0".into(),
            src: "&{storage for &errors.errorString{...}}".into(),
            steps: vec![
                step("&errors.errorString{...}", "interface-converted"),
                step("return errors.New(\"x\")", "return"),
            ],
        }];
        e.cause = cause(&e.kind, &e.subject, &e.flows);
        assert_eq!(e.cause, Cause::Returned);
        assert!(remedy_for(&e).unwrap().starts_with("an error built on a return path: cold"));
    }
}
