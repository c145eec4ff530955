//! Stable, kebab-case codes for why a rule declined a site. `--json` prints the code beside the
//! human `reason`; scripts and tests match codes, never reason text. A code names the behaviour the
//! decline protects (or the shape that did not match), so it stays stable when the wording changes.

use serde::{Deserialize, Serialize};

/// Why a site is not rewritten. Each variant's doc says what it protects; rules/README.md lists them
/// (a test keeps that table complete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeclineCode {
    /// `//stackify:ignore` on or above the line: the user said no.
    Suppressed,
    /// Another fix edits overlapping bytes; one edit per span per run.
    Overlaps,
    /// The package did not type-check, so no type fact can be trusted.
    TypeErrors,
    /// The type helper could not answer (no type, uses, scope or import facts); without types no rule is sure of
    /// anything.
    NoTypeFacts,
    /// tree-sitter-go could not parse the code around the site (a grammar gap Go accepts); edits near an ERROR node
    /// could corrupt it.
    ParseGap,
    /// The tree lacks a piece the rule's shape needs (a missing child, parent or body): nothing a rule can reason
    /// about.
    UnexpectedSyntax,
    /// The site is not the shape the rule rewrites (not the call, loop, declaration or argument count it looks
    /// for).
    ShapeMismatch,
    /// A comment inside the rewritten span would be dropped or misplaced.
    DropsComment,
    /// The function uses goto, so statement order is not execution order.
    UsesGoto,
    /// A statement the rewrite inserts before, or deletes, shares its line with other code.
    NotOwnLine,
    /// The module's go version is older than the packages or builtins the rewrite uses.
    GoVersionTooOld,
    /// The module's go version is unknown, so a version-dependent rewrite is not safe.
    GoVersionUnknown,
    /// Before Go 1.22 a loop variable is one variable for the whole loop; the rewrite would change what closures or
    /// pointers see.
    SharedLoopVariable,
    /// `make`, `len`, `append` or `max` is shadowed where the rewrite would use or relies on the builtin.
    NotBuiltin,
    /// The package the rewrite needs is imported as `_` or `.`; adding a second import is not done.
    ImportDotOrBlank,
    /// The package name the rewrite would use means something else at the site.
    PackageNameShadowed,
    /// No fresh name for the variable the rewrite introduces.
    NoFreeName,
    /// The call is not the function the rule rewrites (checked by type, not by spelling).
    WrongCallee,
    /// The format is not a string literal, so its verbs cannot be read.
    NotStringLiteralFormat,
    /// The format cannot be decoded or fmt would print an error marker (lone %, missing or extra operand); the
    /// rewrite would lose it.
    MalformedFormat,
    /// A verb uses an explicit argument index (`%[1]d`).
    ExplicitArgumentIndex,
    /// A verb has flags, width or precision; strconv has no exact equivalent.
    HasFlagsWidthPrecision,
    /// The rewrite would be exact but harder to read than the call (a multi-line format, more than four
    /// operands); a hot line may still warrant it, which a profile can decide later.
    KeptForReadability,
    /// The format is not exactly `%s` or `%v`.
    FormatNotPlainVerb,
    /// The operand's dynamic type decides at run time how fmt prints it.
    InterfaceOperand,
    /// The operand's type has a String/Error/Format method fmt would call; the rewrite would not.
    CallsStringMethod,
    /// No exact strconv/string equivalent for this verb and type.
    NoStrconvEquivalent,
    /// The call's result is unused; there is nothing to rewrite.
    ResultUnused,
    /// Arguments are spread with `...`, so they cannot be counted one by one.
    SpreadArguments,
    /// The rewrite would evaluate a call in a different order relative to other operands.
    EvaluationOrder,
    /// The rewrite would evaluate an expression twice (or again per iteration/call); it may have side effects or
    /// differ.
    EvaluatedTwice,
    /// Something the rewrite moves above intervening statements (a bound, an element type) may be changed or
    /// redeclared by them.
    CannotHoist,
    /// The writer is not an interface or a trusted standard writer, so writing bytes directly may behave
    /// differently.
    UntrustedWriter,
    /// The receiver is an interface: a method value panics on nil at creation, a direct call only when called.
    InterfaceReceiver,
    /// A type-parameter or generic type: its behaviour depends on the instantiation.
    TypeParameter,
    /// Float keys: with NaN, `<` and cmp.Compare order differently.
    NanOrder,
    /// A method or field is promoted through an embedded field, evaluated at a different time.
    PromotedThroughEmbedding,
    /// A value-receiver method value copies the receiver at creation; a direct call would see later writes.
    ValueReceiverCopy,
    /// The name is used in another file; a fix edits one file.
    UsedInOtherFile,
    /// The variable is declared elsewhere than the statement the rewrite changes.
    DeclaredElsewhere,
    /// The variable is reassigned (or its address taken), so it does not always hold the rewritten value.
    Reassigned,
    /// The function or func variable is used as a value, not only called.
    UsedAsValue,
    /// Nothing calls it, so nothing would allocate less.
    NeverCalled,
    /// The name is redeclared in a scope the rewrite spans; the rule does not track which is which.
    Redeclared,
    /// The declaration is not a single plain variable statement (grouped, several values, no name).
    NotSimpleDeclaration,
    /// The site sits in a position the rewrite cannot edit safely (loop header, labeled statement, statement
    /// header, outside a body).
    UnsupportedPosition,
    /// An address of the variable is taken: writes through that pointer would be missed or shared.
    AddressTaken,
    /// The method value's receiver is written after the method value is created; a direct call would see the new
    /// value.
    ReceiverWrittenLater,
    /// A captured variable is written after the closure is created, and the closure may run after that write.
    CapturedVarWrittenLater,
    /// The closure writes the captured variable; a copy would not carry the write back.
    ClosureWritesCapture,
    /// Another closure captures the same variable, so it stays on the heap anyway.
    CapturedElsewhere,
    /// The variable is declared in the statement that creates the closure.
    DeclaredInClosureStatement,
    /// A named result is written by every return (and deferred calls).
    NamedResult,
    /// The compiler findings and the source do not agree on the site (no capture note, different closures, out of
    /// the file).
    FindingMismatch,
    /// The value is larger than the rule allows to copy or to put in a stack frame.
    TooLarge,
    /// The captured field is a method, which reads the whole value.
    FieldIsMethod,
    /// The value may hold a lock or other state that must not be copied.
    NotCopyable,
    /// The loop has no trip count known before it starts (for {}, channel, iterator function).
    NoTripCount,
    /// Ranging over a string visits runes, not bytes: len is not the trip count.
    RangeOverString,
    /// A three-clause loop that is not a plain counted loop.
    NotCountedLoop,
    /// The loop can break or return before its trip count; an over-estimate wastes memory.
    LoopMayExitEarly,
    /// The loop body changes the counter or the bound, so the trip count is not fixed.
    BoundNotFixed,
    /// The bound or size is not a variable, constant, len(...) or min(n, C) expression.
    BoundNotSimple,
    /// The map starts nil; preallocating would make it non-nil, which callers can observe.
    NilVsEmpty,
    /// The container or builder is not declared empty just before: it may already hold data.
    NotDeclaredEmpty,
    /// Already preallocated, grown or captured by value: nothing left to do.
    AlreadyDone,
    /// The container is used between its declaration and the loop.
    UsedBeforeLoop,
    /// The container is not declared in a block before the loop in this function.
    NotDeclaredBeforeLoop,
    /// The variable is not a local variable or parameter; other code could change it.
    NotLocalVariable,
    /// The result of append is not assigned back to the same variable.
    AppendNotAssignedBack,
    /// The append (or map store) is not an unconditional statement of the loop body: it may not run every
    /// iteration. A filter loop's append (inside `if`s) is rewritten with the bound as an upper bound
    /// only when measured hot or opted in (`--prealloc-upper-bound`).
    AppendNotInLoopBody,
    /// The container is used inside the loop other than by the one append or store.
    OtherUsesInLoop,
    /// The append adds more than one element per call.
    AppendSeveralElements,
    /// After the loop the extra capacity would be observable (appended to, sliced, passed on).
    CapacityObservable,
    /// The bound may be negative (make would panic) and max(…, 0) is not available.
    BoundMayBeNegative,
    /// The rewrite would save no allocation (too small, already on the stack, a single write, runs at most once).
    NoSaving,
    /// A value has a type the rewrite does not handle.
    WrongType,
    /// The length's operand can change without an assignment to it.
    LengthMayChange,
    /// The slice escapes, so an array would be moved to the heap with it.
    SliceEscapes,
    /// No constant upper bound on the size is proven at the make.
    NoConstantBound,
    /// A guard that bounds the size does not hold until the make (reassigned, shadowed, not the builtin).
    GuardNotStable,
    /// The less function is not a single strict comparison of one key of both elements.
    UnsupportedLess,
    /// The compiler can inline the function; inlined copies may already keep the value on the stack.
    Inlinable,
    /// The function is exported: its signature is API.
    ExportedApi,
    /// A method's signature may be needed to satisfy an interface.
    MethodMaySatisfyInterface,
    /// In-package test files the type facts do not cover could break.
    UntypedTestFiles,
    /// The returns hand out values of different types.
    MixedReturnTypes,
    /// A return hands out something other than the address of a fresh value (nil, an existing pointer).
    NotFreshAddress,
    /// A caller does not bind the result to a fresh local variable (returns it, stores it, assigns it elsewhere).
    CallResultNotLocal,
    /// A caller does more with the returned pointer than read through it (writes, takes addresses, calls pointer
    /// methods).
    ResultNotOnlyRead,
    /// The variable is referenced outside the function being rewritten.
    ReferencedElsewhere,
    /// A closure uses the variable, so it may read or change it later.
    CapturedByClosure,
    /// The collected pointers could alias the slice's elements where a write or another reference would become
    /// visible.
    Aliasing,
    /// The loop body writes, or takes the address of, the loop variable (or index) outside the rewritten
    /// collection.
    LoopVarWritten,
    /// The range operand is not a slice (array copy, map, channel, string, iterator).
    RangeNotOverSlice,
    /// `&v` is used other than being collected by `append(ps, &v)` or `m[k] = &v`.
    AddressNotCollected,
    /// The less function's keys are not a lexicographic order (a later key is not guarded by equality of all
    /// earlier ones): not a strict weak order, so cmp.Or of the keys would sort differently.
    NotLexicographic,
    /// cmp.Or compares every key, where a short-circuiting less function only reached a later key when the earlier
    /// ones were equal: a pointer on the way to a later key could be nil, or its type assertion fail, and now panic.
    EagerKeyDeref,
    /// A key calls a method in a less function with several keys: the equality guards call it again and cmp.Or
    /// calls every key for every pair, so a method with side effects, cost or a panic would run differently.
    EagerKeyCall,
    /// A key calls a pointer method on an element value: the less function ran it on the element in the slice,
    /// the comparison function would run it on a copy, so its writes through the receiver would be lost.
    PointerReceiverKey,
}

impl DeclineCode {
    /// Every code, in declaration order.
    pub const ALL: &[DeclineCode] = &[
        DeclineCode::Suppressed,
        DeclineCode::Overlaps,
        DeclineCode::TypeErrors,
        DeclineCode::NoTypeFacts,
        DeclineCode::ParseGap,
        DeclineCode::UnexpectedSyntax,
        DeclineCode::ShapeMismatch,
        DeclineCode::DropsComment,
        DeclineCode::UsesGoto,
        DeclineCode::NotOwnLine,
        DeclineCode::GoVersionTooOld,
        DeclineCode::GoVersionUnknown,
        DeclineCode::SharedLoopVariable,
        DeclineCode::NotBuiltin,
        DeclineCode::ImportDotOrBlank,
        DeclineCode::PackageNameShadowed,
        DeclineCode::NoFreeName,
        DeclineCode::WrongCallee,
        DeclineCode::NotStringLiteralFormat,
        DeclineCode::MalformedFormat,
        DeclineCode::ExplicitArgumentIndex,
        DeclineCode::HasFlagsWidthPrecision,
        DeclineCode::KeptForReadability,
        DeclineCode::FormatNotPlainVerb,
        DeclineCode::InterfaceOperand,
        DeclineCode::CallsStringMethod,
        DeclineCode::NoStrconvEquivalent,
        DeclineCode::ResultUnused,
        DeclineCode::SpreadArguments,
        DeclineCode::EvaluationOrder,
        DeclineCode::EvaluatedTwice,
        DeclineCode::CannotHoist,
        DeclineCode::UntrustedWriter,
        DeclineCode::InterfaceReceiver,
        DeclineCode::TypeParameter,
        DeclineCode::NanOrder,
        DeclineCode::PromotedThroughEmbedding,
        DeclineCode::ValueReceiverCopy,
        DeclineCode::UsedInOtherFile,
        DeclineCode::DeclaredElsewhere,
        DeclineCode::Reassigned,
        DeclineCode::UsedAsValue,
        DeclineCode::NeverCalled,
        DeclineCode::Redeclared,
        DeclineCode::NotSimpleDeclaration,
        DeclineCode::UnsupportedPosition,
        DeclineCode::AddressTaken,
        DeclineCode::ReceiverWrittenLater,
        DeclineCode::CapturedVarWrittenLater,
        DeclineCode::ClosureWritesCapture,
        DeclineCode::CapturedElsewhere,
        DeclineCode::DeclaredInClosureStatement,
        DeclineCode::NamedResult,
        DeclineCode::FindingMismatch,
        DeclineCode::TooLarge,
        DeclineCode::FieldIsMethod,
        DeclineCode::NotCopyable,
        DeclineCode::NoTripCount,
        DeclineCode::RangeOverString,
        DeclineCode::NotCountedLoop,
        DeclineCode::LoopMayExitEarly,
        DeclineCode::BoundNotFixed,
        DeclineCode::BoundNotSimple,
        DeclineCode::NilVsEmpty,
        DeclineCode::NotDeclaredEmpty,
        DeclineCode::AlreadyDone,
        DeclineCode::UsedBeforeLoop,
        DeclineCode::NotDeclaredBeforeLoop,
        DeclineCode::NotLocalVariable,
        DeclineCode::AppendNotAssignedBack,
        DeclineCode::AppendNotInLoopBody,
        DeclineCode::OtherUsesInLoop,
        DeclineCode::AppendSeveralElements,
        DeclineCode::CapacityObservable,
        DeclineCode::BoundMayBeNegative,
        DeclineCode::NoSaving,
        DeclineCode::WrongType,
        DeclineCode::LengthMayChange,
        DeclineCode::SliceEscapes,
        DeclineCode::NoConstantBound,
        DeclineCode::GuardNotStable,
        DeclineCode::UnsupportedLess,
        DeclineCode::Inlinable,
        DeclineCode::ExportedApi,
        DeclineCode::MethodMaySatisfyInterface,
        DeclineCode::UntypedTestFiles,
        DeclineCode::MixedReturnTypes,
        DeclineCode::NotFreshAddress,
        DeclineCode::CallResultNotLocal,
        DeclineCode::ResultNotOnlyRead,
        DeclineCode::ReferencedElsewhere,
        DeclineCode::CapturedByClosure,
        DeclineCode::Aliasing,
        DeclineCode::LoopVarWritten,
        DeclineCode::RangeNotOverSlice,
        DeclineCode::AddressNotCollected,
        DeclineCode::NotLexicographic,
        DeclineCode::EagerKeyDeref,
        DeclineCode::EagerKeyCall,
        DeclineCode::PointerReceiverKey,
    ];

    /// The rule's shape did not match the site at all (not its call, not a counted loop, the slice
    /// escapes anyway, nothing to save): the rule was never a candidate, so the report hides the
    /// decline unless `-v` and keeps the cause's remedy. Every other code means the rule matched and
    /// a behaviour trap (or a missing fact) stopped it, which is worth a line under the remedy.
    pub fn is_shape_mismatch(self) -> bool {
        use DeclineCode::*;
        matches!(
            self,
            UnexpectedSyntax
                | ShapeMismatch
                | WrongCallee
                | ResultUnused
                | FindingMismatch
                | NeverCalled
                | NoTripCount
                | RangeOverString
                | NotCountedLoop
                | NotDeclaredBeforeLoop
                | NotLocalVariable
                | AppendNotAssignedBack
                | AppendNotInLoopBody
                | AppendSeveralElements
                | AlreadyDone
                | NoSaving
                | SliceEscapes
                | NoConstantBound
                | RangeNotOverSlice
                | AddressNotCollected
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeclineCode::Suppressed => "suppressed",
            DeclineCode::Overlaps => "overlaps",
            DeclineCode::TypeErrors => "type-errors",
            DeclineCode::NoTypeFacts => "no-type-facts",
            DeclineCode::ParseGap => "parse-gap",
            DeclineCode::UnexpectedSyntax => "unexpected-syntax",
            DeclineCode::ShapeMismatch => "shape-mismatch",
            DeclineCode::DropsComment => "drops-comment",
            DeclineCode::UsesGoto => "uses-goto",
            DeclineCode::NotOwnLine => "not-own-line",
            DeclineCode::GoVersionTooOld => "go-version-too-old",
            DeclineCode::GoVersionUnknown => "go-version-unknown",
            DeclineCode::SharedLoopVariable => "shared-loop-variable",
            DeclineCode::NotBuiltin => "not-builtin",
            DeclineCode::ImportDotOrBlank => "import-dot-or-blank",
            DeclineCode::PackageNameShadowed => "package-name-shadowed",
            DeclineCode::NoFreeName => "no-free-name",
            DeclineCode::WrongCallee => "wrong-callee",
            DeclineCode::NotStringLiteralFormat => "not-string-literal-format",
            DeclineCode::MalformedFormat => "malformed-format",
            DeclineCode::ExplicitArgumentIndex => "explicit-argument-index",
            DeclineCode::HasFlagsWidthPrecision => "has-flags-width-precision",
            DeclineCode::KeptForReadability => "kept-for-readability",
            DeclineCode::FormatNotPlainVerb => "format-not-plain-verb",
            DeclineCode::InterfaceOperand => "interface-operand",
            DeclineCode::CallsStringMethod => "calls-string-method",
            DeclineCode::NoStrconvEquivalent => "no-strconv-equivalent",
            DeclineCode::ResultUnused => "result-unused",
            DeclineCode::SpreadArguments => "spread-arguments",
            DeclineCode::EvaluationOrder => "evaluation-order",
            DeclineCode::EvaluatedTwice => "evaluated-twice",
            DeclineCode::CannotHoist => "cannot-hoist",
            DeclineCode::UntrustedWriter => "untrusted-writer",
            DeclineCode::InterfaceReceiver => "interface-receiver",
            DeclineCode::TypeParameter => "type-parameter",
            DeclineCode::NanOrder => "nan-order",
            DeclineCode::PromotedThroughEmbedding => "promoted-through-embedding",
            DeclineCode::ValueReceiverCopy => "value-receiver-copy",
            DeclineCode::UsedInOtherFile => "used-in-other-file",
            DeclineCode::DeclaredElsewhere => "declared-elsewhere",
            DeclineCode::Reassigned => "reassigned",
            DeclineCode::UsedAsValue => "used-as-value",
            DeclineCode::NeverCalled => "never-called",
            DeclineCode::Redeclared => "redeclared",
            DeclineCode::NotSimpleDeclaration => "not-simple-declaration",
            DeclineCode::UnsupportedPosition => "unsupported-position",
            DeclineCode::AddressTaken => "address-taken",
            DeclineCode::ReceiverWrittenLater => "receiver-written-later",
            DeclineCode::CapturedVarWrittenLater => "captured-var-written-later",
            DeclineCode::ClosureWritesCapture => "closure-writes-capture",
            DeclineCode::CapturedElsewhere => "captured-elsewhere",
            DeclineCode::DeclaredInClosureStatement => "declared-in-closure-statement",
            DeclineCode::NamedResult => "named-result",
            DeclineCode::FindingMismatch => "finding-mismatch",
            DeclineCode::TooLarge => "too-large",
            DeclineCode::FieldIsMethod => "field-is-method",
            DeclineCode::NotCopyable => "not-copyable",
            DeclineCode::NoTripCount => "no-trip-count",
            DeclineCode::RangeOverString => "range-over-string",
            DeclineCode::NotCountedLoop => "not-counted-loop",
            DeclineCode::LoopMayExitEarly => "loop-may-exit-early",
            DeclineCode::BoundNotFixed => "bound-not-fixed",
            DeclineCode::BoundNotSimple => "bound-not-simple",
            DeclineCode::NilVsEmpty => "nil-vs-empty",
            DeclineCode::NotDeclaredEmpty => "not-declared-empty",
            DeclineCode::AlreadyDone => "already-done",
            DeclineCode::UsedBeforeLoop => "used-before-loop",
            DeclineCode::NotDeclaredBeforeLoop => "not-declared-before-loop",
            DeclineCode::NotLocalVariable => "not-local-variable",
            DeclineCode::AppendNotAssignedBack => "append-not-assigned-back",
            DeclineCode::AppendNotInLoopBody => "append-not-in-loop-body",
            DeclineCode::OtherUsesInLoop => "other-uses-in-loop",
            DeclineCode::AppendSeveralElements => "append-several-elements",
            DeclineCode::CapacityObservable => "capacity-observable",
            DeclineCode::BoundMayBeNegative => "bound-may-be-negative",
            DeclineCode::NoSaving => "no-saving",
            DeclineCode::WrongType => "wrong-type",
            DeclineCode::LengthMayChange => "length-may-change",
            DeclineCode::SliceEscapes => "slice-escapes",
            DeclineCode::NoConstantBound => "no-constant-bound",
            DeclineCode::GuardNotStable => "guard-not-stable",
            DeclineCode::UnsupportedLess => "unsupported-less",
            DeclineCode::Inlinable => "inlinable",
            DeclineCode::ExportedApi => "exported-api",
            DeclineCode::MethodMaySatisfyInterface => "method-may-satisfy-interface",
            DeclineCode::UntypedTestFiles => "untyped-test-files",
            DeclineCode::MixedReturnTypes => "mixed-return-types",
            DeclineCode::NotFreshAddress => "not-fresh-address",
            DeclineCode::CallResultNotLocal => "call-result-not-local",
            DeclineCode::ResultNotOnlyRead => "result-not-only-read",
            DeclineCode::ReferencedElsewhere => "referenced-elsewhere",
            DeclineCode::CapturedByClosure => "captured-by-closure",
            DeclineCode::Aliasing => "aliasing",
            DeclineCode::LoopVarWritten => "loop-var-written",
            DeclineCode::RangeNotOverSlice => "range-not-over-slice",
            DeclineCode::AddressNotCollected => "address-not-collected",
            DeclineCode::NotLexicographic => "not-lexicographic",
            DeclineCode::EagerKeyDeref => "eager-key-deref",
            DeclineCode::EagerKeyCall => "eager-key-call",
            DeclineCode::PointerReceiverKey => "pointer-receiver-key",
        }
    }
}

impl std::fmt::Display for DeclineCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::DeclineCode;

    #[test]
    fn as_str_matches_serde() {
        for code in DeclineCode::ALL {
            assert_eq!(serde_json::to_string(code).unwrap(), format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn every_code_is_in_the_rules_readme() {
        let readme = include_str!("../../rules/README.md");
        let table =
            readme.split("## Decline codes").nth(1).expect("rules/README.md has a \"## Decline codes\" section");
        for code in DeclineCode::ALL {
            assert!(
                table.contains(&format!("| `{}` |", code.as_str())),
                "`{code}` is missing from the decline codes table in rules/README.md"
            );
        }
    }
}
