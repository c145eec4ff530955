//! Which rule declines are worth a user's attention.
//!
//! A decline is either "the rule's shape did not match" (the slice escapes anyway, the loop has no
//! trip count, the append target is a field: the rule was never a candidate, and saying so is
//! noise), or "it matched but rewriting would be unsafe or change behaviour" (an exported signature,
//! a `String` method fmt may call): that one tells the user why the obvious fix is wrong, so the
//! report shows it. The report hides shape mismatches unless `-v`; `--json` keeps every decline and
//! marks them (`declined[].shape_mismatch`).
//!
//! This matches on code NAMES (`DeclineCode::as_str`) so it does not depend on the enum's variants,
//! which are being assigned rule by rule.

/// Decline codes meaning "the rule's shape did not match here".
///
/// TODO(codes): reconcile with the real code list in src/rules/codes.rs once every rule assigns
/// codes. The names below are the shape mismatches seen on the benchmark modules, by the name they
/// are expected to get; a code that is not listed counts as "matched but declined" (shown), which is
/// the safe side: it costs a line of noise, never a hidden reason.
const SHAPE_MISMATCH_CODES: &[&str] = &[
    // slice-to-array
    "slice-escapes",
    "constant-size",
    "already-on-stack",
    "no-constant-bound",
    // prealloc-slice / prealloc-map
    "not-local",
    "target-not-local",
    "not-in-loop-body",
    "append-not-in-loop-body",
    "spread-append",
    "no-trip-count",
    "not-counted-loop",
    "has-capacity",
    "already-has-capacity",
    // builder-grow
    "single-write",
    // fmt-sprintf, fprintf-string, sort-slice, ...: the call is not the rule's call
    "not-the-call",
    "not-matched",
    "shape-mismatch",
];

/// `unclassified` declines (today: most rule declines) are sorted by the reason's wording, for the
/// reasons above that are plainly "not this rule's shape".
/// TODO(codes): delete with the `unclassified` code.
const SHAPE_MISMATCH_REASONS: &[&str] = &[
    "the slice escapes (",
    "the size is a constant: the compiler already allocates",
    "is not a local variable",
    "is not a statement of the loop body itself",
    "the append spreads a slice",
    "has no trip count known before it starts",
    "is not a counted loop",
    "already has a capacity",
    "a single write to",
];

/// Whether a decline with `code` (its `as_str()` name) and `reason` only says the rule's shape did
/// not match. The engine's own codes (`suppressed`, `overlaps`, `type-errors`, `no-type-facts`) are
/// never shape mismatches: the rule matched and something else stopped it.
pub fn is_shape_mismatch(code: &str, reason: &str) -> bool {
    if SHAPE_MISMATCH_CODES.contains(&code) {
        return true;
    }
    code == "unclassified" && SHAPE_MISMATCH_REASONS.iter().any(|r| reason.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_codes_are_never_shape_mismatches() {
        for code in ["suppressed", "overlaps", "type-errors", "no-type-facts"] {
            assert!(!is_shape_mismatch(code, "the slice escapes (x escapes to heap)"), "{code}");
        }
    }

    #[test]
    fn unclassified_declines_are_sorted_by_reason_until_codes_exist() {
        assert!(is_shape_mismatch(
            "unclassified",
            "the slice escapes (make([]byte, 0, n) escapes to heap): an array would be moved to the heap"
        ));
        assert!(is_shape_mismatch("unclassified", "`for { ... }` has no trip count known before it starts"));
        // matched, but unsafe: the user must see why the obvious rewrite is wrong
        assert!(!is_shape_mismatch(
            "unclassified",
            "NewConfig is exported: its signature is API and callers outside the package would break"
        ));
        assert!(!is_shape_mismatch(
            "unclassified",
            "%q of `k` (Key): its type has a String method, which fmt may call"
        ));
        assert!(is_shape_mismatch("slice-escapes", "anything"));
    }
}
