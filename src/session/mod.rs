//! The pipeline: find (go list + -m=2) → attribute → the engine proposes → (verify) → deliver.
//! Front ends (report, diff, apply, interactive) live in the submodules and only render and collect
//! decisions; this module builds the analysis they share (or restores it from the cache).

pub mod apply;
pub mod cache;
pub mod explain;
pub mod interactive;
pub mod measure;
pub mod run;

pub use crate::analysis::{Analysis, Options};

use crate::analysis::{Broken, Timings};
use crate::engine;
use crate::findings::{attribute, parse};
use crate::go::helper::GoHelper;
use crate::go::{ListOptions, Listing, Package, Toolchain};
use crate::progress::Progress;
use crate::rules;
use anyhow::{bail, Result};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn analyze(mut options: Options, progress: &Progress) -> Result<Analysis> {
    let start = Instant::now();
    let mut toolchain = Toolchain::locate(options.go.as_deref(), &options.dir, options.tags.clone())?;
    // The analysis cache is keyed by everything the compiler reads, which a `go list -deps` names.
    // When the cache will likely hit, that listing compiles nothing and a warm run ends after it;
    // when it will likely miss, the same listing also compiles (`-export -gcflags=-m=2`), so a miss
    // costs one listing too.
    let guess = if options.patterns.is_empty() { vec!["./...".to_string()] } else { options.patterns.clone() };
    let stamp = cache::Stamp::new(&toolchain.dir, &guess, options.tags.as_deref(), options.tests);
    let likely_hit = stamp.unchanged();
    let inputs_options = ListOptions { deps: true, export: !likely_hit, tests: options.tests, ..Default::default() };
    if !likely_hit {
        progress.step(&format!("compiling {} with -gcflags=-m=2", guess.join(" ")));
    }
    // `go env` and the listing run side by side; the guess at the patterns is only wrong at the root
    // of a workspace, which is then listed again.
    let (env, listed) = std::thread::scope(|s| {
        let listing = s.spawn(|| toolchain.list(&guess, &inputs_options));
        let env = toolchain.query_env();
        (env, listing.join().expect("the go list thread panicked"))
    });
    toolchain.env = env?;
    toolchain.check_module()?;
    trace("go env + go list -deps", start);
    let config = crate::config::Loaded::load(&toolchain.module_root(), &rules::known_ids())?;
    let (only, skip) = config.rule_selection(&options.only_rules, &options.skip_rules);
    options.only_rules = only;
    options.skip_rules = skip;
    options.prealloc_upper_bound |= config.config.rules.prealloc_slice.filter_loops;
    let patterns = if options.patterns.is_empty() { toolchain.default_patterns()? } else { options.patterns.clone() };
    let mut inputs = if patterns == guess { listed? } else { toolchain.list(&patterns, &inputs_options)? };
    check_patterns(&patterns, &inputs)?;
    let options = Options { patterns: patterns.clone(), ..options };
    let t = Instant::now();
    let mut read = Vec::new();
    let cache_key = cache::key(&toolchain, &options, config.file.as_deref(), &inputs, &mut read);
    trace("cache key", t);
    let t = Instant::now();
    // An analysis naming a rule this build lacks came from another version: a miss, like one that
    // does not decode.
    let known = rules::known_ids();
    let cached = cache_key.as_deref().and_then(cache::load).filter(|c| {
        let mut ids = c.fixes.iter().map(|f| &f.rule).chain(c.declined.iter().map(|d| &d.rule));
        ids.all(|id| known.contains(&id.as_ref()))
    });
    trace("cache load", t);
    if cache_key.is_some() && !(likely_hit && cached.is_some()) {
        stamp.record(&read);
    }
    if let Some(cached) = cached {
        // The packages themselves, as the analysis knows them.
        inputs.packages.retain(|p| !p.dep_only);
        let list_ms = start.elapsed().as_millis();
        let a = from_cache(options, toolchain, inputs, config, cached, list_ms, cache_key);
        trace("from cache", t);
        return Ok(a);
    }
    let mut listing = if inputs_options.export {
        inputs
    } else {
        drop(inputs);
        progress.step(&format!("compiling {} with -gcflags=-m=2", patterns.join(" ")));
        toolchain.list(&patterns, &ListOptions { export: true, ..inputs_options })?
    };
    let list_ms = start.elapsed().as_millis();
    trace("go list -export", start);
    // The dependencies are listed for their export data, which the type helper reads.
    let dep_exports: HashMap<String, PathBuf> = listing
        .packages
        .iter()
        .filter(|p| p.dep_only)
        .filter_map(|p| Some((p.import_path.clone(), p.export.clone()?)))
        .collect();
    listing.packages.retain(|p| !p.dep_only);

    let mut broken = Vec::new();
    for p in listing.targets() {
        if let Some(e) = &p.error {
            broken.push(Broken { package: p.import_path.clone(), error: e.err.trim().to_string() });
        }
    }
    let target_count = listing.targets().count();
    if target_count > 0 && broken.len() == target_count {
        bail!("{} does not build:\n{}", broken[0].package, broken[0].error);
    }

    let t = Instant::now();
    // Taken, not borrowed: the -m=2 text (30 MB on golang.org/x/tools) and its raw blocks are dead
    // once attributed, and would otherwise stay resident through the rules and the output.
    let blocks = parse::parse_output(&std::mem::take(&mut listing.compiler_output));
    let index = attribute::FileIndex::new(&listing, Path::new(&toolchain.env.goroot));
    let findings = attribute::attribute(&blocks, &index);
    let notes = attribute::notes(&blocks, &index);
    drop(blocks);
    let parse_ms = t.elapsed().as_millis();

    let mut analysis = Analysis {
        options,
        toolchain,
        listing,
        findings,
        notes,
        fixes: Vec::new(),
        declined: Vec::new(),
        broken,
        not_editable: BTreeMap::new(),
        config,
        sources: HashMap::new(),
        imports: HashMap::new(),
        helper: None,
        timings: Timings { list_ms, parse_ms, ..Default::default() },
        cache_key: None,
        dep_exports,
        measured: None,
        cold: HashMap::new(),
        source_words: HashMap::new(),
    };
    engine::propose(&mut analysis, progress)?;
    let t = Instant::now();
    measure::judge_cold(&mut analysis);
    trace("cold judgement", t);
    let t = Instant::now();
    learn_source_words(&mut analysis);
    trace("source words", t);
    analysis.cache_key = cache_key.clone();
    if let Some(key) = cache_key {
        cache::store(
            &key,
            &cache::Cached {
                findings: analysis.findings.clone(),
                notes: analysis.notes.clone(),
                fixes: analysis.fixes.clone(),
                declined: analysis.declined.clone(),
                broken: analysis.broken.clone(),
                not_editable: analysis.not_editable.clone(),
                imports: analysis.imports.clone(),
                cold: analysis.cold.clone(),
                source_words: analysis.source_words.clone(),
            },
        );
    }
    Ok(analysis)
}

/// Ask every question the front ends ask about the findings' names while the files are at hand, so
/// that the answers are cached with the analysis (see [`crate::findings::display::SourceWords`]).
fn learn_source_words(a: &mut Analysis) {
    let namer = crate::findings::display::Namer::new(&a.sources, &a.listing);
    for f in &a.findings {
        namer.message(f);
        namer.function(f);
        if let crate::findings::Origin::Inlined { callees } = &f.origin {
            for c in callees {
                namer.function_name(f, c);
            }
        }
        for flow in &f.flows {
            for s in &flow.steps {
                namer.flow_expr(f, &s.expr, s.at.as_ref());
            }
            namer.flow_expr(f, &flow.dst, None);
            namer.flow_expr(f, &flow.src, None);
        }
    }
    a.source_words = namer.into_learned();
}

/// An analysis restored from the cache. Nothing is parsed here: a report needs no trees, and the
/// modes that compose edits call [`prepare_fixes`] first.
fn from_cache(
    options: Options,
    toolchain: Toolchain,
    listing: Listing,
    config: crate::config::Loaded,
    c: cache::Cached,
    list_ms: u128,
    cache_key: Option<String>,
) -> Analysis {
    let (sources, fixes, helper) = (HashMap::new(), c.fixes, None);
    Analysis {
        options,
        toolchain,
        listing,
        findings: c.findings,
        notes: c.notes,
        fixes,
        declined: c.declined,
        broken: c.broken,
        not_editable: c.not_editable,
        config,
        sources,
        imports: c.imports,
        helper,
        timings: Timings { analysis_cached: true, list_ms, ..Default::default() },
        cache_key,
        dep_exports: HashMap::new(),
        measured: None,
        cold: c.cold,
        source_words: c.source_words,
    }
}

/// Make the analysis ready to compose its fixes: the files they edit parsed, the Go helper (which
/// formats edited lines) at hand. A fresh analysis already is; one restored from the cache is not.
pub fn prepare_fixes(a: &mut Analysis) -> Result<()> {
    let missing: Vec<PathBuf> = a
        .fixes
        .iter()
        .map(|f| f.file.clone())
        .filter(|f| !a.sources.contains_key(f))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for (path, src) in missing.iter().zip(engine::parse_files(&missing)) {
        match src {
            Ok(src) => {
                a.sources.insert(path.clone(), src);
            }
            // The cache key covered the file's bytes: it changed or vanished during the run.
            Err(e) => bail!("{} changed while stackify was running: {e:#}", a.display_path(path)),
        }
    }
    if a.helper.is_none() && !a.fixes.is_empty() {
        a.helper = Some(GoHelper::ensure(&a.toolchain)?);
    }
    Ok(())
}

/// `STACKIFY_TRACE=1` prints phase times to stderr (for profiling; not part of any output contract).
pub fn trace(what: &str, since: Instant) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("STACKIFY_TRACE").is_some()) {
        eprintln!("stackify: trace: {what}: {:.1} ms", since.elapsed().as_secs_f64() * 1000.0);
    }
}

/// `go list -e` reports a pattern that matches nothing as a pseudo-package without files.
fn check_patterns(patterns: &[String], listing: &Listing) -> Result<()> {
    for pat in patterns {
        let matched: Vec<&Package> =
            listing.targets().filter(|p| p.r#match.contains(pat) || &p.import_path == pat).collect();
        // A real package has a name even when it does not build; the pseudo-package go list -e
        // prints for a bad pattern has none.
        if !matched.iter().any(|p| !p.name.is_empty()) {
            let why =
                matched.iter().find_map(|p| p.error.as_ref()).map(|e| crate::go::first_line(e.err.trim()).to_string());
            match why {
                Some(w) if !w.contains("matched no packages") => bail!("pattern {pat:?} matches no packages ({w})"),
                _ => bail!("pattern {pat:?} matches no packages"),
            }
        }
    }
    Ok(())
}
