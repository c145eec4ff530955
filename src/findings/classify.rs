//! Names the cause of a finding and what it costs, in words a Go developer recognises.
//!
//! The compiler's text is not allocation truth (ESCAPE-FACTS.md): a boxed constant "escapes" for free,
//! a pointer boxes without allocating, a closure with no captures is static. Cost here is what the
//! syntax of the subject and the flow reasons allow us to say without types; `MayAllocate` is the
//! honest answer when it depends on the value.

use super::{Cause, Cost, Kind};
use super::{Flow, FlowStep};

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
    let boxed = flows.first().is_some_and(|f| f.src == format!("&{{storage for {subject}}}"));
    if (boxed && !allocates_by_syntax(subject)) || has("interface-converted") {
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
        // An address (a variable or &T{}) versus a value whose memory is the result itself.
        return if *kind == Kind::MovedToHeap || subject.starts_with('&') {
            Cause::Returned
        } else {
            Cause::ResultReturned
        };
    }
    if has("call parameter") {
        return Cause::PassedToEscapingCall;
    }
    // Whatever else reaches the heap does so by being stored somewhere that is (a global, a field of
    // a heap object, a map, a struct literal that itself escapes).
    if !flows.is_empty() {
        return Cause::StoredInHeap;
    }
    Cause::Unknown
}

pub fn cost(kind: &Kind, subject: &str) -> Cost {
    match kind {
        Kind::MovedToHeap => Cost::Allocates,
        Kind::LeakingParam { .. } | Kind::DoesNotEscape => Cost::NoneHere,
        Kind::EscapesToHeap => {
            if is_constant_literal(subject) {
                Cost::Free
            } else if subject == "func literal" || subject == "append" || subject.starts_with("append(") {
                Cost::MayAllocate
            } else if allocates_by_syntax(subject) || subject == "... argument" {
                Cost::Allocates
            } else {
                // A boxed variable or call result: free for pointer-shaped values, small integers and
                // single bytes; an allocation otherwise. Only types can tell.
                Cost::MayAllocate
            }
        }
    }
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

/// One sentence: why this escapes, for the report.
pub fn describe(cause: Cause) -> &'static str {
    match cause {
        Cause::ClosureCapture => "captured by reference by a closure that outlives the function",
        Cause::ClosureEscapes => "a closure that outlives the function (returned, stored, or run by go) is allocated with its captures",
        Cause::InterfaceConversion => "converted to an interface (boxed) and the interface value escapes",
        Cause::Returned => "its address is returned, so it must outlive the function",
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
            "avoid the interface: strconv or concatenation instead of fmt, a concrete type instead of any"
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
        assert_eq!(cost(&Kind::EscapesToHeap, "\"n\""), Cost::Free);
        assert_eq!(cost(&Kind::EscapesToHeap, "-3"), Cost::Free);
        assert_eq!(cost(&Kind::EscapesToHeap, "1e9"), Cost::Free);
        assert_eq!(cost(&Kind::EscapesToHeap, "'x'"), Cost::Free);
        assert_eq!(cost(&Kind::EscapesToHeap, "\"items: \" + ~r0"), Cost::Allocates);
        assert_eq!(cost(&Kind::EscapesToHeap, "\"a\" + \"b\""), Cost::Allocates);
        assert_eq!(cost(&Kind::EscapesToHeap, "make([]byte, 1048576)"), Cost::Allocates);
        assert_eq!(cost(&Kind::EscapesToHeap, "a + \"/\" + b"), Cost::Allocates);
        assert_eq!(cost(&Kind::EscapesToHeap, "n"), Cost::MayAllocate);
        assert_eq!(cost(&Kind::MovedToHeap, "x"), Cost::Allocates);
        assert_eq!(cost(&Kind::EscapesToHeap, "append"), Cost::MayAllocate);
    }
}
