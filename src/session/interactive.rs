//! The interactive `--fix` session: review verified fixes one by one, like `git add -p`.
//!
//! Order of work, and why:
//! 1. Refuse at once without a terminal (stdin AND stderr): dialoguer needs both, and a script wants
//!    `--diff` / `--apply` anyway.
//! 2. Verify every candidate fix in ONE verifier run; only verified fixes are shown. Each is shown with
//!    a preview of that fix alone (`Verifier::preview`), not of the combined set.
//! 3. Collect decisions. Nothing is written while the user answers: a Ctrl-C at a prompt (console raises
//!    SIGINT, which ends the process) or any prompt error aborts with every file untouched.
//! 4. Re-verify the accepted fixes TOGETHER (a subset can behave differently from the whole set), run the
//!    git dirty check, and write through `apply::write_and_recheck` (each file replaced atomically by a
//!    rename, so a file is always either the original or the complete new content).

use super::apply::{self, VcsState};
use super::Analysis;
use crate::cli::{Cli, Color};
use crate::findings::classify;
use crate::fix::Fix;
use crate::output;
use crate::progress::Progress;
use crate::verify::{Outcome, Verification, Verifier};
use anyhow::{bail, Context, Result};
use console::{style, Term};
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

const PROMPT: &str = "Apply this fix? [y,n,a,q,s,e,?]";

/// Fail unless stdin and stderr are both terminals. Cheap: callers may run it before the analysis.
pub fn require_terminal() -> Result<()> {
    if !std::io::stdin().is_terminal() || !Term::stderr().is_term() {
        bail!(
            "--fix is an interactive session and needs a terminal (stdin and stderr); \
             use --diff to review the verified fixes as a patch, or --apply to write them all"
        );
    }
    Ok(())
}

/// One key at the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Yes,
    No,
    All,
    Quit,
    SkipRule,
    Edit,
    Help,
}

impl Answer {
    fn parse(s: &str) -> Option<Answer> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => Answer::Yes,
            "n" | "no" => Answer::No,
            "a" | "all" => Answer::All,
            "q" | "quit" => Answer::Quit,
            "s" | "skip" => Answer::SkipRule,
            "e" | "edit" => Answer::Edit,
            "?" | "h" | "help" => Answer::Help,
            _ => return None,
        })
    }
}

/// What happened to a verified fix during the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Accepted,
    Skipped,
    /// Skipped because the user pressed `s` on this rule.
    SkippedRule,
    /// Never shown: the user quit before it.
    NotReviewed,
}

pub fn run(a: &Analysis, cli: &Cli) -> Result<u8> {
    require_terminal()?;
    if cli.format() != crate::cli::Format::Text {
        bail!("--json is not available with the interactive --fix session; use --diff --json or --apply --json");
    }
    // Everything this session prints goes to stderr; make the diff colours follow stderr.
    match cli.color {
        Color::Always => {
            console::set_colors_enabled(true);
            console::set_colors_enabled_stderr(true);
        }
        Color::Never => {
            console::set_colors_enabled(false);
            console::set_colors_enabled_stderr(false);
        }
        Color::Auto => console::set_colors_enabled(console::colors_enabled_stderr()),
    }
    let term = Term::stderr();

    // 1. One verifier run over every candidate.
    let all: Vec<usize> = a.fixes.iter().map(|f| f.id).collect();
    let first = {
        let progress = Progress::new(!cli.quiet);
        let v = if all.is_empty() { Verification::default() } else { Verifier::new(a, &progress).verify(&all)? };
        progress.finish();
        v
    };
    let mut verified: Vec<&Fix> =
        a.fixes.iter().filter(|f| first.outcomes.get(&f.id).is_some_and(|o| o.verified)).collect();
    crate::analysis::rank_fixes(a, &mut verified);
    let mut declined: Vec<&Outcome> = first.dropped().collect();

    if verified.is_empty() {
        eprintln!("stackify: no verified fixes to review ({} candidate fixes).", a.fixes.len());
        print_declined(a, &declined, &[]);
        return Ok(0);
    }

    // Without git (and without permission) nothing could be written at the end: say so before the
    // user spends time on the questions. Uncommitted changes are only a warning here: the user may
    // decline every fix in those files; the final check decides.
    let verified_files: Vec<&Path> = unique_files(verified.iter().map(|f| f.file.as_path()));
    match apply::vcs_state(&a.toolchain.module_root(), &verified_files)? {
        VcsState::NotARepository if !(cli.allow_no_vcs || cli.allow_dirty) => {
            apply::check_vcs(a, &verified_files, cli.allow_dirty, cli.allow_no_vcs)?;
        }
        VcsState::Dirty(list) if !cli.allow_dirty => {
            let names: Vec<String> = list.iter().map(|p| a.display_path(p)).collect();
            eprintln!(
                "{} uncommitted changes in {}: fixes to these files will be refused at the end (commit or stash them, or pass --allow-dirty)",
                style("warning:").for_stderr().yellow(),
                names.join(", ")
            );
        }
        _ => {}
    }

    eprintln!(
        "stackify: {} verified fix{} to review{}. Answer ? for help; Ctrl-C aborts without writing.",
        verified.len(),
        if verified.len() == 1 { "" } else { "es" },
        if declined.is_empty() {
            String::new()
        } else {
            format!(" ({} dropped by the verifier, listed at the end)", declined.len())
        }
    );

    // 2. The questions.
    let hidden = Progress::hidden();
    let previewer = Verifier::new(a, &hidden);
    let mut decisions: BTreeMap<usize, Decision> = BTreeMap::new();
    let mut skipped_rules: BTreeSet<&str> = BTreeSet::new();
    let mut apply_rest = false;
    let mut quit = false;
    for (i, fix) in verified.iter().enumerate() {
        if quit {
            decisions.insert(fix.id, Decision::NotReviewed);
            continue;
        }
        if skipped_rules.contains(fix.rule.as_ref()) {
            decisions.insert(fix.id, Decision::SkippedRule);
            continue;
        }
        if apply_rest {
            decisions.insert(fix.id, Decision::Accepted);
            continue;
        }
        let outcome = &first.outcomes[&fix.id];
        show(&term, a, &previewer, fix, outcome, i + 1, verified.len());
        loop {
            match ask()? {
                Answer::Yes => {
                    decisions.insert(fix.id, Decision::Accepted);
                }
                Answer::No => {
                    decisions.insert(fix.id, Decision::Skipped);
                }
                Answer::All => {
                    decisions.insert(fix.id, Decision::Accepted);
                    apply_rest = true;
                }
                Answer::Quit => {
                    decisions.insert(fix.id, Decision::NotReviewed);
                    quit = true;
                }
                Answer::SkipRule => {
                    decisions.insert(fix.id, Decision::SkippedRule);
                    skipped_rules.insert(&fix.rule);
                }
                Answer::Help => {
                    eprintln!("{}", help(&fix.rule));
                    continue;
                }
                Answer::Edit => {
                    edit(fix)?;
                    check_unchanged(a, &verified_files)?;
                    // The editor took the screen: show the fix again before asking.
                    show(&term, a, &previewer, fix, outcome, i + 1, verified.len());
                    continue;
                }
            }
            break;
        }
    }

    // 3. Write what was accepted, verified together.
    let accepted: Vec<usize> = decisions.iter().filter(|(_, d)| **d == Decision::Accepted).map(|(id, _)| *id).collect();
    let mut written: Vec<PathBuf> = Vec::new();
    let mut applied: Vec<usize> = Vec::new();
    let mut dropped_late: Vec<Outcome> = Vec::new();
    if !accepted.is_empty() {
        let progress = Progress::new(!cli.quiet);
        progress.step(&format!("re-verifying the {} accepted fixes together", accepted.len()));
        let v = Verifier::new(a, &progress).verify(&accepted)?;
        dropped_late = v.dropped().cloned().collect();
        applied = v.verified().collect();
        if !v.files.is_empty() {
            let files: Vec<&Path> = v.files.keys().map(PathBuf::as_path).collect();
            if let Err(e) = apply::check_vcs(a, &files, cli.allow_dirty, cli.allow_no_vcs) {
                progress.finish();
                return Err(e.context("nothing was written"));
            }
            progress.step(&format!("writing {} files and re-checking", files.len()));
            let packages = packages_to_recheck(a, &applied);
            written = apply::write_and_recheck(a, &v.files, &packages)?;
        }
        progress.finish();
    }

    // 4. Summary.
    if !cli.quiet {
        let count = |d: Decision| decisions.values().filter(|x| **x == d).count();
        let skipped = count(Decision::Skipped) + count(Decision::SkippedRule) + count(Decision::NotReviewed);
        let applied_files = unique_files(applied.iter().map(|id| fix_by_id(a, *id).file.as_path()));
        let names: Vec<String> = applied_files.iter().map(|p| a.display_path(p)).collect();
        let mut skipped_detail: Vec<String> = Vec::new();
        if count(Decision::SkippedRule) > 0 {
            let rules: Vec<&str> = skipped_rules.iter().copied().collect();
            skipped_detail.push(format!("{} by rule: {}", count(Decision::SkippedRule), rules.join(", ")));
        }
        if count(Decision::NotReviewed) > 0 {
            skipped_detail.push(format!("{} not reviewed after q", count(Decision::NotReviewed)));
        }
        declined.extend(dropped_late.iter());
        eprintln!();
        eprintln!(
            "stackify: applied {}{}, skipped {}{}, declined by the verifier {}",
            applied.len(),
            if names.is_empty() { String::new() } else { format!(" ({})", names.join(", ")) },
            skipped,
            if skipped_detail.is_empty() { String::new() } else { format!(" ({})", skipped_detail.join("; ")) },
            declined.len()
        );
        for id in &applied {
            let f = fix_by_id(a, *id);
            eprintln!(
                "  {} {}:{} [{}] {}",
                style("applied").for_stderr().green(),
                a.display_path(&f.file),
                f.line,
                f.rule,
                f.title
            );
        }
        let late: Vec<usize> = dropped_late.iter().map(|o| o.fix).collect();
        print_declined(a, &declined, &late);
        if written.is_empty() {
            eprintln!("stackify: no files written");
        } else {
            let w: Vec<String> = written.iter().map(|p| a.display_path(p)).collect();
            eprintln!("stackify: files written: {}", w.join(", "));
        }
    }
    Ok(0)
}

/// Print one fix: where, what, why, the rule, the diff of this fix alone, and what the verifier proved.
fn show(term: &Term, a: &Analysis, previewer: &Verifier, fix: &Fix, outcome: &Outcome, n: usize, total: usize) {
    let _ = term.write_line("");
    eprintln!(
        "{} {}:{}  {}",
        style(format!("[{n}/{total}]")).for_stderr().bold(),
        style(a.display_path(&fix.file)).for_stderr().bold(),
        fix.line,
        style(format!("[{}]", fix.rule)).for_stderr().cyan()
    );
    let mut causes: Vec<String> = Vec::new();
    let namer = crate::findings::display::Namer::new(&a.sources, &a.listing).with_known(&a.source_words);
    for &t in &fix.targets {
        let f = a.finding(t);
        eprintln!("  finding:  {} (line {}:{})", namer.message(f), f.line(), f.col());
        let why = classify::describe_finding(f);
        if !causes.contains(&why) {
            eprintln!("  why:      {why}");
            causes.push(why);
        }
        if let Some(flow) = output::text::flow_line(&namer, f) {
            eprintln!("  flow:     {flow}");
        }
    }
    eprintln!("  rule:     {} — {}", fix.rule, fix.title);
    if let Some((bytes, share)) = a.fix_cost(fix) {
        eprintln!("  measured: {} of the profiled bytes", crate::analysis::cost_words(bytes, share));
    } else if let Some(c) = a.fix_cold(fix) {
        eprintln!("  cold:     {}", c.describe());
    }
    let width = (term.size().1 as usize).clamp(60, 100);
    for line in wrap(&fix.explanation, width - 12) {
        eprintln!("            {line}");
    }
    match previewer.preview(&[fix.id]) {
        Ok(files) => {
            for (path, new) in &files {
                let old = a.sources.get(path).map(|s| s.text.as_str()).unwrap_or("");
                let diff = output::file_diff(&a.display_path(path), old, new);
                eprint!("{}", output::colorize_diff(&diff));
            }
        }
        Err(e) => eprintln!("  (no preview: {e:#})"),
    }
    if outcome.removed.is_empty() {
        eprintln!("  {}", style("proven: compiles; nothing the compiler reports goes away").for_stderr().green());
    } else {
        eprintln!("  {} {}", style("removes:").for_stderr().green(), outcome.removed.join("; "));
    }
    if !outcome.added.is_empty() {
        eprintln!("  adds (expected by the rule): {}", outcome.added.join("; "));
    }
    if let Some(u) = &outcome.unproven {
        eprintln!("  {} {u}", style("not proven:").for_stderr().yellow());
    }
}

/// One answer. Any prompt error (EOF, a closed terminal) aborts the session: nothing is written.
/// Ctrl-C never gets here: console raises SIGINT and the process ends, before any write.
fn ask() -> Result<Answer> {
    let answer: String = dialoguer::Input::<String>::new()
        .with_prompt(PROMPT)
        .validate_with(|s: &String| -> std::result::Result<(), &'static str> {
            Answer::parse(s).map(|_| ()).ok_or("answer y, n, a, q, s, e, or ? for help")
        })
        .interact_text()
        .map_err(|e| anyhow::anyhow!("the prompt failed ({e}); aborted, nothing written"))?;
    Ok(Answer::parse(&answer).expect("validated"))
}

fn help(rule: &str) -> String {
    format!(
        "  y  apply this fix\n  \
           n  skip this fix\n  \
           a  apply this fix and all remaining ones (except rules skipped with s)\n  \
           q  quit: the fixes accepted so far are verified together and written\n  \
           s  skip this fix and every remaining fix of rule {rule}\n  \
           e  open $VISUAL / $EDITOR (default vi) at this line; if the file changes, the session stops and writes nothing\n  \
           ?  show this help\n  \
         Nothing is written before the end of the session; Ctrl-C aborts and writes nothing."
    )
}

/// Open the user's editor at the fix's line: `EDITOR +LINE FILE` (vim, nano, emacs, micro, kak...).
fn edit(fix: &Fix) -> Result<()> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    let line = format!("+{}", fix.line);
    // Like git: the variable is shell code ("code --wait", a path with arguments).
    #[cfg(unix)]
    let mut cmd = {
        let mut c = std::process::Command::new("sh");
        c.arg("-c").arg(format!("{editor} \"$@\"")).arg(&editor).arg(&line).arg(&fix.file);
        c
    };
    #[cfg(not(unix))]
    let mut cmd = {
        let mut parts = editor.split_whitespace();
        let mut c = std::process::Command::new(parts.next().unwrap_or("notepad"));
        c.args(parts).arg(&line).arg(&fix.file);
        c
    };
    let status = cmd.status().with_context(|| format!("starting the editor {editor:?}"))?;
    if !status.success() {
        eprintln!("stackify: the editor {editor:?} exited with {status}");
    }
    Ok(())
}

/// After the editor: a fix is only valid for the text it was computed and verified on.
fn check_unchanged(a: &Analysis, files: &[&Path]) -> Result<()> {
    for p in files {
        let now = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        if a.sources.get(*p).is_some_and(|s| s.text != now) {
            bail!(
                "{} changed in the editor; the fixes were verified against the old content, so the session stops \
                 and nothing was written (your edit is kept). Run stackify --fix again to review fixes for the new code",
                a.display_path(p)
            );
        }
    }
    Ok(())
}

fn print_declined(a: &Analysis, declined: &[&Outcome], late: &[usize]) {
    if declined.is_empty() {
        return;
    }
    eprintln!("  declined by the verifier:");
    for o in declined {
        let f = fix_by_id(a, o.fix);
        let when =
            if late.contains(&o.fix) { " (accepted, dropped when verified with the other accepted fixes)" } else { "" };
        eprintln!(
            "    {}:{} [{}] {}: {}{when}",
            a.display_path(&f.file),
            f.line,
            f.rule,
            f.title,
            o.reason.as_deref().unwrap_or("no reason given")
        );
    }
}

fn fix_by_id(a: &Analysis, id: usize) -> &Fix {
    a.fixes.iter().find(|f| f.id == id).expect("fix ids come from the analysis")
}

fn unique_files<'a>(it: impl Iterator<Item = &'a Path>) -> Vec<&'a Path> {
    let mut v: Vec<&Path> = Vec::new();
    for p in it {
        if !v.contains(&p) {
            v.push(p);
        }
    }
    v
}

/// Packages the applied fixes change, plus their dependents: the final re-check after writing.
fn packages_to_recheck(a: &Analysis, applied: &[usize]) -> Vec<String> {
    crate::analysis::affected_packages(a, applied.iter().map(|id| fix_by_id(a, *id).package.as_str()))
}

/// Word-wrap `text` to `width` columns (explanations are single long lines).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}
