//! Stable, kebab-case codes for why a rule declined a site. `--json` prints the code beside the
//! human `reason`; scripts and tests match codes, never reason text. A code names the behaviour the
//! decline protects (or the shape that did not match), so it stays stable when the wording changes.

use serde::{Deserialize, Serialize};

/// Why a site is not rewritten. Each variant's doc says what it protects; ARCHITECTURE.md and
/// rules/README.md list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeclineCode {
    /// `//stackify:ignore` on or above the line: the user said no.
    Suppressed,
    /// Another fix edits overlapping bytes; one edit per span per run.
    Overlaps,
    /// The package did not type-check, so no type fact can be trusted.
    TypeErrors,
    /// The type helper could not answer; without types no rule is sure of anything.
    NoTypeFacts,
    /// Not yet classified (a transitional code; no rule may use it once codes are assigned).
    Unclassified,
}

impl DeclineCode {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineCode::Suppressed => "suppressed",
            DeclineCode::Overlaps => "overlaps",
            DeclineCode::TypeErrors => "type-errors",
            DeclineCode::NoTypeFacts => "no-type-facts",
            DeclineCode::Unclassified => "unclassified",
        }
    }
}

impl std::fmt::Display for DeclineCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
