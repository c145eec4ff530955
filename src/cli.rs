//! Command-line interface. Flag names are a contract that scripts use: add, never rename.

use clap::{ArgAction, Parser, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Find Go heap escapes, rewrite the fixable ones, and prove every rewrite with the Go compiler.
///
/// Without a mode flag stackify reports the findings of the packages (default ./...), ranked: what
/// costs allocations and a rule can fix, then what costs and cannot be fixed automatically (with the
/// cause and a manual remedy), then a count of what is free or informational.
///
/// Exit codes: 0 success (and, with --diff, no fix pending); 1 --diff found verified fixes;
/// 2 error (no Go toolchain, not a module, a pattern that matches nothing, nothing builds...).
#[derive(Debug, Parser)]
#[command(name = "stackify", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// Package patterns, as for `go build` (default: ./...).
    pub patterns: Vec<String>,

    /// Run as if started in DIR.
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Print verified fixes as a unified diff on stdout; write nothing. Exit 1 when there is a fix.
    #[arg(long, conflicts_with_all = ["apply", "fix", "explain"])]
    pub diff: bool,

    /// Write the verified fixes (atomically; re-checked after writing) and print a summary.
    #[arg(long, conflicts_with_all = ["fix", "explain"])]
    pub apply: bool,

    /// Review verified fixes one by one in an interactive session (needs a terminal).
    #[arg(long, conflicts_with = "explain")]
    pub fix: bool,

    /// Print the cause, the compiler's full flow and the remedy for findings on one line (FILE:LINE).
    #[arg(long, value_name = "FILE:LINE")]
    pub explain: Option<String>,

    /// Also run `go vet` on the rewritten code (through the overlay) before accepting fixes.
    #[arg(long)]
    pub vet: bool,

    /// Also run the packages' tests on the rewritten code (through the overlay) before accepting fixes.
    #[arg(long)]
    pub test: bool,

    /// Measure allocs/op with the packages' benchmarks before and after (through the overlay): a fix
    /// that adds allocations is dropped; fewer allocations become its evidence.
    #[arg(long)]
    pub bench: bool,

    /// Machine-readable output (schema in README, "JSON output").
    #[arg(long)]
    pub json: bool,

    /// Only run this rule (repeatable). See --list-rules.
    #[arg(long = "rule", value_name = "ID", action = ArgAction::Append)]
    pub rules: Vec<String>,

    /// Do not run this rule (repeatable).
    #[arg(long = "skip-rule", value_name = "ID", action = ArgAction::Append)]
    pub skip_rules: Vec<String>,

    /// List the rules and exit.
    #[arg(long)]
    pub list_rules: bool,

    /// The go binary to use (default: `go` on PATH).
    #[arg(long, value_name = "PATH")]
    pub go: Option<PathBuf>,

    /// Build tags, passed to go as -tags.
    #[arg(long, value_name = "TAGS")]
    pub tags: Option<String>,

    /// Also analyse and fix _test.go files.
    #[arg(long)]
    pub tests: bool,

    /// Report: also list free and informational findings, inlined and foreign ones.
    #[arg(long)]
    pub all: bool,

    /// Show the compiler's flow for each finding.
    #[arg(short, long)]
    pub verbose: bool,

    /// --apply: write files that have uncommitted changes (or are outside a git repository).
    #[arg(long)]
    pub allow_dirty: bool,

    /// --apply: write files that are not under git.
    #[arg(long)]
    pub allow_no_vcs: bool,

    /// No progress and no summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    /// Colour output (NO_COLOR is respected in auto).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}
