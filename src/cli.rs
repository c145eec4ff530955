//! Command-line interface. Flag names are a contract that scripts use: add, never rename.

use clap::{ArgAction, Parser, ValueEnum};
use std::path::PathBuf;

/// What the report (and --diff) prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The ranked human report (with --diff: a unified diff).
    Text,
    /// The JSON document (README, "JSON output").
    Json,
    /// SARIF 2.1.0 for GitHub code scanning; with --diff, verified fixes ride along as `fixes[]`.
    Sarif,
    /// GitHub Actions workflow commands (`::warning file=...::`), one per finding, to annotate a PR.
    Github,
}

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
/// Exit codes: 0 success (and, with --diff, no fix pending); 1 --diff found verified fixes, or
/// --check found a violation; 2 error (no Go toolchain, not a module, a pattern that matches nothing, nothing builds...).
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

    /// Machine-readable output (schema in README, "JSON output"); the same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Output format: text, json, sarif (GitHub code scanning; fixes included with --diff) or github
    /// (workflow-command annotations for a pull request).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// CI gate: exit 1 when a function marked `//stackify:noalloc` in its doc comment has a finding
    /// that costs (its own or inlined into it), or, with --baseline, on costly findings the baseline
    /// does not hold; exit 0 otherwise.
    #[arg(long, conflicts_with_all = ["diff", "apply", "fix", "explain", "write_baseline"])]
    pub check: bool,

    /// --check: only costly findings missing from this baseline file fail (see --write-baseline);
    /// entries that have gone are listed so the baseline can shrink.
    #[arg(long, value_name = "FILE", requires = "check")]
    pub baseline: Option<PathBuf>,

    /// Record the costly findings in FILE (keyed by package, function and message, not by line) for
    /// `--check --baseline FILE`, and exit.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["diff", "apply", "fix", "explain"])]
    pub write_baseline: Option<PathBuf>,

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

    /// Rank by measured cost: a pprof heap (and/or CPU) profile, e.g. from `go test -memprofile`
    /// or net/http/pprof (repeatable). Findings get bytes and share, hottest first; lines that
    /// allocate without a finding are listed too. A main package's default.pgo is used unasked.
    #[arg(long = "profile", value_name = "FILE", action = ArgAction::Append)]
    pub profiles: Vec<PathBuf>,

    /// Make the profile: run the analysed packages' benchmarks matching REGEX (`.` for all) with
    /// -memprofile and -cpuprofile into a temp dir (nothing is written to the module), then rank as
    /// with --profile.
    #[arg(long, value_name = "REGEX")]
    pub profile_bench: Option<String>,

    /// With a profile: only rewrite (--diff, --apply, --fix) fixes whose findings carry at least
    /// this share of the profiled bytes, as a percentage (`5%`, `5`) ; the others are listed as
    /// below the threshold. Also `[profile] min_share` in stackify.toml.
    #[arg(long, value_name = "P", value_parser = parse_share)]
    pub min_share: Option<f64>,

    /// Do not list findings and fixes judged cold (error paths, panics, init, String methods).
    #[arg(long)]
    pub hide_cold: bool,

    /// prealloc-slice: also preallocate filter loops (an append inside an `if` of the loop body) with
    /// the loop's bound, an upper bound that trades memory for allocations. Without it they are
    /// proposed only where a profile measures the line hot (>= --min-share, else 1%). Also
    /// `[rules.prealloc-slice] filter_loops = true` in stackify.toml.
    #[arg(long)]
    pub prealloc_upper_bound: bool,

    /// No progress and no summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    /// Colour output (NO_COLOR is respected in auto).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

impl Cli {
    /// The output format: --format, or json for --json, or text.
    pub fn format(&self) -> Format {
        match (self.format, self.json) {
            (Some(f), _) => f,
            (None, true) => Format::Json,
            (None, false) => Format::Text,
        }
    }
}

/// `5%` or `5` → 0.05: a share of the profile as a percentage.
pub fn parse_share(s: &str) -> Result<f64, String> {
    let t = s.trim().trim_end_matches('%').trim();
    let v: f64 = t.parse().map_err(|_| format!("{s:?} is not a percentage (e.g. 5% or 0.5)"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("{s:?} is not between 0% and 100%"));
    }
    Ok(v / 100.0)
}
