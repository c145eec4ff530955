//! Dispatch from the command line to a front end; owns exit codes.

use super::{analyze, Analysis, Options};
use crate::cli::{Cli, Format};
use crate::fix::Fix;
use crate::output::{self, json};
use crate::progress::Progress;
use crate::rules;
use crate::verify::{Checks, Verification, Verifier};
use anyhow::{bail, Result};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

pub const EXIT_OK: u8 = 0;
pub const EXIT_PENDING: u8 = 1;

pub fn options(cli: &Cli) -> Options {
    Options {
        dir: std::path::absolute(&cli.dir).unwrap_or_else(|_| cli.dir.clone()),
        patterns: cli.patterns.clone(),
        go: cli.go.clone(),
        tags: cli.tags.clone(),
        only_rules: cli.rules.clone(),
        skip_rules: cli.skip_rules.clone(),
        tests: cli.tests,
        quiet: cli.quiet,
        prealloc_upper_bound: cli.prealloc_upper_bound,
    }
}

pub fn run(cli: &Cli) -> Result<u8> {
    if cli.list_rules {
        for r in rules::registry() {
            out(&format!("{:<16} {}\n", r.id(), r.summary()))?;
        }
        return Ok(EXIT_OK);
    }
    let known = rules::known_ids();
    for id in cli.rules.iter().chain(&cli.skip_rules) {
        if !known.contains(&id.as_str()) {
            bail!("unknown rule {id:?} (known: {})", known.join(", "));
        }
    }
    let format = cli.format();
    if matches!(format, Format::Sarif | Format::Github) && (cli.apply || cli.fix || cli.explain.is_some()) {
        bail!("--format {} is for the report and --diff", format_name(format));
    }
    if cli.fix {
        // Fail before the (possibly long) analysis when no one can answer the prompts.
        super::interactive::require_terminal()?;
    }
    let requested = super::measure::read_requested(cli)?;
    let start = Instant::now();
    let progress = Progress::new(!cli.quiet);
    let mut a = analyze(options(cli), &progress)?;
    super::measure::attach(&mut a, cli, requested, &progress)?;
    if cli.hide_cold {
        // Cold fixes are not proposed at all: nothing to verify, review or write.
        let cold: Vec<usize> = a.fixes.iter().filter(|f| a.fix_cold(f).is_some()).map(|f| f.id).collect();
        a.fixes.retain(|f| !cold.contains(&f.id));
    }
    if cli.diff || cli.apply || cli.fix {
        super::prepare_fixes(&mut a)?;
    }
    if !cli.quiet && format != Format::Json {
        for b in &a.broken {
            eprintln!("stackify: warning: {} does not build; skipped:\n{}", b.package, indent(&b.error));
        }
    }
    if let Some(file) = &cli.write_baseline {
        progress.finish();
        return crate::check::write_baseline(&a, file, cli.quiet);
    }
    if cli.check {
        progress.finish();
        return crate::check::check(&a, cli.baseline.as_deref());
    }
    if let Some(target) = &cli.explain {
        progress.finish();
        out(&super::explain::explain(&a, target)?)?;
        return Ok(EXIT_OK);
    }
    if cli.fix {
        progress.finish();
        return super::interactive::run(&a, cli);
    }
    if cli.diff || cli.apply {
        let ids: Vec<usize> = a.fixes.iter().map(|f| f.id).collect();
        let mut checks = checks(cli);
        // An upper-bound rewrite trades memory for allocations: only a benchmark can show it pays.
        checks.bench |= cli.apply && a.fixes.iter().any(|f| f.upper_bound);
        let mut v = verify_with(&a, &ids, &progress, checks)?;
        if cli.apply {
            v = without_unproven_upper_bounds(&a, v, &progress, checks)?;
        }
        if cli.diff {
            progress.finish();
            return diff_mode(&a, &v, cli, start);
        }
        let files: Vec<PathBuf> = v.files.keys().cloned().collect();
        let written = if files.is_empty() {
            Vec::new()
        } else {
            let refs: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();
            super::apply::check_vcs(&a, &refs, cli.allow_dirty, cli.allow_no_vcs)?;
            progress.step(&format!("writing {} files and re-checking", files.len()));
            let packages = verified_packages(&a, &v);
            super::apply::write_and_recheck(&a, &v.files, &packages)?
        };
        progress.finish();
        if format == Format::Json {
            print_json(&a, "apply", Some(&v), &written, start)?;
        } else if !cli.quiet {
            print_outcomes(&a, &v);
            eprintln!(
                "stackify: applied {} fixes in {} files ({} dropped by the verifier, {} verification builds)",
                v.verified().count(),
                written.len(),
                v.dropped().count(),
                v.builds
            );
        }
        return Ok(EXIT_OK);
    }
    progress.finish();
    match format {
        Format::Json => print_json(&a, "report", None, &[], start)?,
        Format::Sarif => {
            out(&format!("{}\n", serde_json::to_string_pretty(&output::sarif::document(&a, None, cli.all))?))?
        }
        Format::Github => out(&output::github::annotations(&a, cli.all))?,
        Format::Text => out(&output::text::report_with(&a, cli.all, cli.verbose, cli.hide_cold))?,
    }
    Ok(EXIT_OK)
}

/// `--apply` writes an upper-bound fix only when its package's benchmarks allocate less with it: the
/// others are dropped as `unproven` and the rest verified again without them (their files change).
fn without_unproven_upper_bounds(
    a: &Analysis,
    v: Verification,
    progress: &Progress,
    checks: Checks,
) -> Result<Verification> {
    // A package's benchmarks credit every fix in it; with a profile, a line none of its samples
    // reached shows that no benchmark (or workload) runs the fix at all.
    let unreached = |f: &crate::fix::Fix| a.fix_cost(f).is_some_and(|(bytes, _)| bytes == 0);
    let unproven: Vec<usize> = a
        .fixes
        .iter()
        .filter(|f| f.upper_bound && v.outcomes.get(&f.id).is_some_and(|o| o.verified))
        .filter(|f| v.outcomes[&f.id].unproven.is_some() || unreached(f))
        .map(|f| f.id)
        .collect();
    if unproven.is_empty() {
        return Ok(v);
    }
    let rest: Vec<usize> = v.verified().filter(|id| !unproven.contains(id)).collect();
    let mut again = verify_with(a, &rest, progress, checks)?;
    again.builds += v.builds;
    for (id, o) in v.outcomes {
        if unproven.contains(&id) {
            let why = o.unproven.clone().unwrap_or_else(|| {
                "unproven: no benchmark reaches it (the profile has no sample on its line; its package's benchmarks \
                 allocate less with the other fixes)"
                    .into()
            });
            let o = crate::verify::Outcome {
                verified: false,
                code: Some(crate::verify::DropCode::Unproven),
                reason: Some(format!("not written: {why}")),
                ..o
            };
            again.outcomes.insert(id, o);
        } else {
            again.outcomes.entry(id).or_insert(o);
        }
    }
    Ok(again)
}

pub fn verify(a: &Analysis, ids: &[usize], progress: &Progress) -> Result<Verification> {
    verify_with(a, ids, progress, Checks::default())
}

pub fn checks(cli: &Cli) -> Checks {
    Checks { vet: cli.vet, test: cli.test, bench: cli.bench }
}

pub fn verify_with(a: &Analysis, ids: &[usize], progress: &Progress, checks: Checks) -> Result<Verification> {
    if ids.is_empty() {
        return Ok(Verification::default());
    }
    // Same analysis, same fixes: the compiler would say the same again. Only compile-based proofs
    // are reused; tests and benchmarks run every time they are asked for.
    let reusable = !(checks.vet || checks.test || checks.bench);
    let key = a.cache_key.as_deref().filter(|_| reusable).map(|k| super::cache::verification_key(k, ids));
    if let Some(mut v) = key.as_deref().and_then(super::cache::load_verification) {
        v.notes
            .push(format!("verified by an earlier run with identical inputs ({} verification builds then)", v.builds));
        v.builds = 0;
        v.elapsed_ms = 0;
        return Ok(v);
    }
    let v = Verifier::new(a, progress).with_checks(checks).verify(ids)?;
    if let Some(key) = key {
        super::cache::store_verification(&key, &v);
    }
    Ok(v)
}

/// Packages whose files the verified fixes change, plus their dependents, for the final re-check.
fn verified_packages(a: &Analysis, v: &Verification) -> Vec<String> {
    let ids: Vec<usize> = v.verified().collect();
    crate::analysis::affected_packages(a, ids.iter().map(|id| fix(a, *id).package.as_str()))
}

pub fn fix(a: &Analysis, id: usize) -> &Fix {
    a.fixes.iter().find(|f| f.id == id).expect("fix ids come from the analysis")
}

fn diff_mode(a: &Analysis, v: &Verification, cli: &Cli, start: Instant) -> Result<u8> {
    let pending = v.verified().count() > 0;
    if cli.format() == Format::Json {
        print_json(a, "diff", Some(v), &[], start)?;
    } else if cli.format() == Format::Sarif {
        out(&format!("{}\n", serde_json::to_string_pretty(&output::sarif::document(a, Some(v), cli.all))?))?;
    } else if cli.format() == Format::Github {
        out(&output::github::annotations(a, cli.all))?;
    } else {
        // Hottest file first with a profile (by its hottest verified fix), cold-only files last.
        let mut files: Vec<(&PathBuf, &String)> = v.files.iter().collect();
        let verified: Vec<&Fix> = v.verified().map(|id| fix(a, id)).collect();
        files.sort_by_key(|(p, _)| {
            let in_file = verified.iter().filter(|f| &&f.file == p);
            let hottest = in_file.clone().filter_map(|f| a.fix_cost(f)).map(|c| c.0).max().unwrap_or(0);
            let all_cold = in_file.clone().count() > 0 && in_file.clone().all(|f| a.fix_cold(f).is_some());
            (all_cold, std::cmp::Reverse(hottest))
        });
        let diff: String = files
            .into_iter()
            .map(|(p, new)| output::unified_diff(a, &std::collections::BTreeMap::from([(p.clone(), new.clone())])))
            .collect();
        if console::Term::stdout().is_term() {
            out(&output::colorize_diff(&diff))?;
        } else {
            out(&diff)?;
        }
        if !cli.quiet {
            print_outcomes(a, v);
            eprintln!(
                "stackify: {} verified fixes, {} dropped, {} declined ({} verification builds, {:.1}s)",
                v.verified().count(),
                v.dropped().count(),
                a.declined.len(),
                v.builds,
                start.elapsed().as_secs_f64()
            );
        }
    }
    Ok(if pending { EXIT_PENDING } else { EXIT_OK })
}

fn print_outcomes(a: &Analysis, v: &Verification) {
    for n in &v.notes {
        eprintln!("  note: {n}");
    }
    print_below_min_share(a);
    let mut order: Vec<&Fix> = v.outcomes.keys().map(|id| fix(a, *id)).collect();
    crate::analysis::rank_fixes(a, &mut order);
    for o in order.iter().filter_map(|f| v.outcomes.get(&f.id)) {
        let f = fix(a, o.fix);
        let place = format!("{}:{}", a.display_path(&f.file), f.line);
        if o.verified {
            let proof =
                if o.removed.is_empty() { String::new() } else { format!(" — removes: {}", o.removed.join("; ")) };
            let cost = match (a.fix_cost(f), a.fix_cold(f)) {
                (Some((b, s)), _) => format!(" — {}", crate::analysis::cost_words(b, s)),
                (None, Some(c)) => format!(" — cold: {}", c.describe()),
                _ => String::new(),
            };
            eprintln!("  {} {place} [{}] {}{cost}{proof}", console::style("verified").green(), f.rule, f.title);
            for b in &o.bench {
                eprintln!("           measured: {b}");
            }
            if let Some(u) = &o.unproven {
                eprintln!("           not proven: {u}");
            }
        } else {
            eprintln!(
                "  {} {place} [{}] {}: {}",
                console::style("dropped").yellow(),
                f.rule,
                f.title,
                o.reason.as_deref().unwrap_or("")
            );
        }
    }
    // After the fixes, since they are what caused it: findings that went away in lines no fix edited
    // (a caller's argument that stopped escaping because the callee no longer leaks it).
    for r in &v.also_removed {
        eprintln!("  also removed, as a side effect of the fixes above: {r}");
    }
}

/// Fixes `--min-share` kept from being rewritten, so none disappears silently.
pub fn print_below_min_share(a: &Analysis) {
    let Some(m) = &a.measured else { return };
    for b in &m.below_min_share {
        eprintln!(
            "  {} {}:{} [{}]: {} is below --min-share {:.1}%",
            console::style("not proposed").dim(),
            a.display_path(&b.file),
            b.line,
            b.rule,
            crate::analysis::cost_words(b.alloc_space, b.share),
            m.min_share.unwrap_or(0.0) * 100.0
        );
    }
}

fn print_json(a: &Analysis, mode: &str, v: Option<&Verification>, written: &[PathBuf], start: Instant) -> Result<()> {
    let fixes: Vec<&Fix> = a.fixes.iter().collect();
    let doc = json::document(a, mode, v, &fixes, written, start.elapsed().as_millis());
    // Streamed: on a large module the pretty text is tens of MB, and building it as one String
    // (doubling as it grows) was the peak of the whole run.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, &doc)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    match written {
        // The reader went away (`stackify --json | head`): not an error of the run.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

fn format_name(f: Format) -> String {
    use clap::ValueEnum;
    f.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
}

/// Write to stdout. A reader that went away (`stackify --diff | head`) ends the output quietly, as
/// with any Unix filter, rather than a panic; the run still ends with its own exit code.
fn out(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
