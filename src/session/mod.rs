//! The pipeline: find (go list + -m=2) → attribute → rules propose → (verify) → deliver.
//! Front ends (report, diff, apply, interactive) live in the submodules and only render and collect
//! decisions; this module owns the analysis they share.

pub mod apply;
pub mod cache;
pub mod explain;
pub mod interactive;
pub mod run;

use crate::findings::{attribute, parse, Finding};
use crate::fix::Fix;
use crate::go::helper::{GoHelper, ImportFacts, PackageRequest, Query};
use crate::go::{ListOptions, Listing, Package, Toolchain};
use crate::progress::Progress;
use crate::rules::{self, Decline, Facts, Rule, Site};
use crate::source::SourceFile;
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dir: PathBuf,
    pub patterns: Vec<String>,
    pub go: Option<PathBuf>,
    pub tags: Option<String>,
    pub only_rules: Vec<String>,
    pub skip_rules: Vec<String>,
    pub tests: bool,
    pub quiet: bool,
}

/// A rule that matched a site and would not rewrite it, with its reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Declined {
    #[serde(deserialize_with = "crate::rules::static_id")]
    pub rule: crate::rules::StaticText,
    pub file: PathBuf,
    pub line: u32,
    pub col: u32,
    pub findings: Vec<usize>,
    pub code: crate::rules::codes::DeclineCode,
    pub reason: String,
}

impl Declined {
    /// A fix that was proposed and then withdrawn (suppressed, overlapping).
    fn of(f: &Fix, code: crate::rules::codes::DeclineCode, reason: String) -> Self {
        Declined {
            rule: f.rule,
            file: f.file.clone(),
            line: f.line,
            col: f.col,
            findings: f.targets.clone(),
            code,
            reason,
        }
    }
}

/// Why a file holding findings is never edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipKind {
    Generated,
    Vendored,
    TestFile,
    OtherModule,
    Config,
    Unreadable,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Skipped {
    pub kind: SkipKind,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// A package that did not build (reported, never fatal for the others).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Broken {
    pub package: String,
    pub error: String,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Timings {
    /// The analysis was loaded from the cache (its inputs were unchanged), not recomputed.
    pub analysis_cached: bool,
    pub list_ms: u128,
    pub parse_ms: u128,
    pub rules_ms: u128,
    pub typecheck_ms: u128,
    pub verify_ms: u128,
}

pub struct Analysis {
    pub options: Options,
    pub toolchain: Toolchain,
    pub listing: Listing,
    pub findings: Vec<Finding>,
    pub notes: attribute::CompilerNotes,
    /// Candidate fixes in file order (not yet verified).
    pub fixes: Vec<Fix>,
    pub declined: Vec<Declined>,
    pub broken: Vec<Broken>,
    /// Files that hold findings but are never edited, and why (generated, vendored, test, ...).
    pub not_editable: BTreeMap<PathBuf, Skipped>,
    pub config: crate::config::Loaded,
    pub sources: HashMap<PathBuf, SourceFile>,
    pub imports: HashMap<PathBuf, Vec<ImportFacts>>,
    pub helper: Option<GoHelper>,
    pub timings: Timings,
    /// The analysis cache key: what determined this analysis (also keys cached verifications).
    pub cache_key: Option<String>,
    /// Export data of every dependency, from the compiling listing (`-deps`), for the type helper;
    /// empty for an analysis loaded from the cache, which runs no rules.
    pub dep_exports: HashMap<String, PathBuf>,
}

impl Analysis {
    /// Path as shown to users: relative to the directory stackify runs in.
    pub fn display_path(&self, p: &Path) -> String {
        display_path(&self.toolchain.dir, p)
    }
    pub fn finding(&self, id: usize) -> &Finding {
        &self.findings[id]
    }
}

pub fn display_path(base: &Path, p: &Path) -> String {
    let s = p.strip_prefix(base).map(|r| r.to_path_buf()).unwrap_or_else(|_| p.to_path_buf());
    s.to_string_lossy().replace('\\', "/")
}

/// Why a file is never edited, or `None` if it may be.
fn not_editable_reason(
    pkg: &Package,
    file: &Path,
    text_head: &str,
    tests: bool,
    config: &crate::config::Loaded,
) -> Option<Skipped> {
    let skip = |kind, reason: String| Some(Skipped { kind, reason });
    if !pkg.module.as_ref().is_some_and(|m| m.main) {
        return skip(SkipKind::OtherModule, "not in the main module".into());
    }
    if file.components().any(|c| c.as_os_str() == "vendor") {
        return skip(SkipKind::Vendored, "vendored code".into());
    }
    if crate::source::is_generated(text_head) {
        return skip(SkipKind::Generated, "generated file (// Code generated ... DO NOT EDIT.)".into());
    }
    if !tests && file.to_string_lossy().ends_with("_test.go") {
        return skip(SkipKind::TestFile, "test file (pass --tests to include)".into());
    }
    if let Some(glob) = config.skipped(file) {
        return skip(SkipKind::Config, format!("skipped by {} paths.skip {glob:?}", crate::config::FILE_NAME));
    }
    None
}

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
    let patterns = if options.patterns.is_empty() { toolchain.default_patterns()? } else { options.patterns.clone() };
    let mut inputs = if patterns == guess { listed? } else { toolchain.list(&patterns, &inputs_options)? };
    check_patterns(&patterns, &inputs)?;
    let options = Options { patterns: patterns.clone(), ..options };
    let t = Instant::now();
    let mut read = Vec::new();
    let cache_key = cache::key(&toolchain, &options, config.file.as_deref(), &inputs, &mut read);
    trace("cache key", t);
    let t = Instant::now();
    let cached = cache_key.as_deref().and_then(cache::load);
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
    };
    propose(&mut analysis, progress)?;
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
            },
        );
    }
    Ok(analysis)
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
    for (path, src) in missing.iter().zip(parse_files(&missing)) {
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

fn propose(a: &mut Analysis, progress: &Progress) -> Result<()> {
    let t = Instant::now();
    let rules = rules::select(&a.options.only_rules, &a.options.skip_rules);
    // Which (rule, finding) pairs are worth a look, and which files they need.
    let mut wanted: Vec<(usize, usize)> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut wanted_files: HashSet<PathBuf> = HashSet::new();
    // The package of a file: that of the first finding in it.
    let mut package_of: HashMap<PathBuf, String> = HashMap::new();
    for f in &a.findings {
        let Some(file) = &f.file else { continue };
        if !package_of.contains_key(file) {
            package_of.insert(file.clone(), f.package.clone());
        }
        // Rules see `does not escape` too: a slice that grows without escaping still allocates.
        // Inlined findings belong to the callee, except for the few rules about library code.
        for (ri, r) in rules.iter().enumerate() {
            if (f.is_native() || r.sees_inlined()) && r.interested(f) {
                wanted.push((ri, f.id));
                if !wanted_files.contains(file) {
                    wanted_files.insert(file.clone());
                    files.push(file.clone());
                }
            }
        }
    }
    // Parse the files in parallel (both cores): tree-sitter is the bulk of stackify's own CPU time.
    progress.step(&format!("parsing {} files", files.len()));
    let parsed = parse_files(&files);
    for (path, res) in files.iter().zip(parsed) {
        match res {
            Ok(src) => {
                let pkg = package_of.get(path).and_then(|p| a.listing.by_path(p));
                // The generated-code header sits before the package clause: the first lines suffice.
                let mut cut = src.text.len().min(4096);
                while !src.text.is_char_boundary(cut) {
                    cut -= 1;
                }
                let head = &src.text[..cut];
                if let Some(reason) = pkg.and_then(|p| not_editable_reason(p, path, head, a.options.tests, &a.config)) {
                    a.not_editable.insert(path.clone(), reason);
                } else {
                    a.sources.insert(path.clone(), src);
                }
            }
            Err(e) => {
                a.not_editable.insert(
                    path.clone(),
                    Skipped { kind: SkipKind::Unreadable, reason: format!("cannot read: {e:#}") },
                );
            }
        }
    }

    // Group findings into sites.
    struct SiteKey {
        rule: usize,
        file: PathBuf,
        anchor: (usize, usize),
        findings: Vec<usize>,
    }
    let mut sites: Vec<SiteKey> = Vec::new();
    let mut site_index: HashMap<(usize, PathBuf, (usize, usize)), usize> = HashMap::new();
    let mut declined = Vec::new();
    for (ri, fid) in wanted {
        let f = &a.findings[fid];
        let file = f.file.clone().expect("wanted findings have files");
        let Some(src) = a.sources.get(&file) else { continue };
        let Some(offset) = src.offset(f.line(), f.col()) else { continue };
        let Some(anchor) = rules[ri].anchor(f, src, offset) else { continue };
        match site_index.entry((ri, file.clone(), anchor)) {
            std::collections::hash_map::Entry::Occupied(e) => sites[*e.get()].findings.push(fid),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(sites.len());
                sites.push(SiteKey { rule: ri, file, anchor, findings: vec![fid] });
            }
        }
    }

    // Ask every type question at once: one helper process for all packages.
    let mut queries: Vec<Query> = Vec::new();
    let mut seen_q: HashSet<Query> = HashSet::new();
    let mut site_ok: Vec<Result<(), Decline>> = Vec::new();
    let mut packages: Vec<String> = Vec::new();
    for s in &sites {
        let src = &a.sources[&s.file];
        let pkg_path = &a.findings[s.findings[0]].package;
        let pkg = a.listing.by_path(pkg_path).expect("finding packages are listed");
        let site = Site {
            source: src,
            package: pkg,
            anchor: s.anchor,
            findings: s.findings.iter().map(|&i| &a.findings[i]).collect(),
            notes: &a.notes,
        };
        let node = site.node();
        if let Some(reason) = src.unsafe_to_edit_near(node) {
            site_ok.push(Err(Decline::from(reason)));
            continue;
        }
        match rules[s.rule].queries(&site) {
            Ok(qs) => {
                for q in qs.into_iter().chain(std::iter::once(Query::Imports { file: s.file.clone() })) {
                    if seen_q.insert(q.clone()) {
                        queries.push(q);
                    }
                }
                if !packages.contains(pkg_path) {
                    packages.push(pkg_path.clone());
                }
                site_ok.push(Ok(()));
            }
            Err(d) => site_ok.push(Err(d)),
        }
    }
    a.timings.rules_ms = t.elapsed().as_millis();

    let t = Instant::now();
    let facts = if queries.is_empty() {
        Ok(Facts::default())
    } else {
        progress.step(&format!("type-checking {} packages", packages.len()));
        type_facts(a, &packages, &queries)
    };
    a.timings.typecheck_ms = t.elapsed().as_millis();
    let t = Instant::now();
    let facts = match facts {
        Ok(f) => f,
        Err(e) => {
            // Without types no rule can be sure of anything: every site declines, with the reason.
            let reason = format!("type facts unavailable: {e:#}");
            for s in &sites {
                let f = &a.findings[s.findings[0]];
                declined.push(Declined {
                    rule: rules[s.rule].id(),
                    file: s.file.clone(),
                    line: f.line(),
                    col: f.col(),
                    findings: s.findings.clone(),
                    code: crate::rules::codes::DeclineCode::NoTypeFacts,
                    reason: reason.clone(),
                });
            }
            a.declined = declined;
            return Ok(());
        }
    };

    let mut fixes: Vec<Fix> = Vec::new();
    for (s, ok) in sites.iter().zip(site_ok) {
        let src = &a.sources[&s.file];
        let first = &a.findings[s.findings[0]];
        let pkg = a.listing.by_path(&first.package).expect("listed");
        let site = Site {
            source: src,
            package: pkg,
            anchor: s.anchor,
            findings: s.findings.iter().map(|&i| &a.findings[i]).collect(),
            notes: &a.notes,
        };
        let rule: &dyn Rule = rules[s.rule].as_ref();
        let result = ok.and_then(|_| {
            if let Some(errs) = facts.package_errors.get(&first.package).filter(|e| !e.is_empty()) {
                return Err(Decline::new(
                    crate::rules::codes::DeclineCode::TypeErrors,
                    format!("the package does not type-check cleanly: {}", errs[0]),
                ));
            }
            rule.propose(&site, &facts)
        });
        match result {
            Ok(p) => {
                let (line, col) = src.position(p.edits.iter().map(|e| e.start).min().unwrap_or(s.anchor.0));
                fixes.push(Fix {
                    id: 0,
                    rule: rule.id(),
                    file: s.file.clone(),
                    package: first.package.clone(),
                    edits: p.edits,
                    add_imports: p.add_imports,
                    removed_uses: p.removed_uses,
                    targets: s.findings.clone(),
                    title: p.title,
                    explanation: p.explanation,
                    evidence: rule.evidence(),
                    claim: rule.allocation_claim(),
                    expect_new: p.expect_new,
                    function: src.enclosing_function(site.node()),
                    line,
                    col,
                });
            }
            Err(Decline { code, reason }) => declined.push(Declined {
                rule: rule.id(),
                file: s.file.clone(),
                line: first.line(),
                col: first.col(),
                findings: s.findings.clone(),
                code,
                reason,
            }),
        }
    }
    // `//stackify:ignore <rule> <reason>` on or above a line suppresses fixes there.
    fixes.retain(|f| {
        let src = &a.sources[&f.file];
        let mut lines: Vec<u32> = vec![f.line];
        lines.extend(f.targets.iter().map(|t| a.findings[*t].line()));
        let hit = lines.iter().find_map(|l| crate::config::ignored(&src.text, *l, f.rule).map(|r| (*l, r)));
        match hit {
            Some((line, reason)) => {
                let why = if reason.is_empty() { String::new() } else { format!(": {reason}") };
                declined.push(Declined::of(
                    f,
                    crate::rules::codes::DeclineCode::Suppressed,
                    format!("suppressed by //stackify:ignore at line {line}{why}"),
                ));
                false
            }
            None => true,
        }
    });
    // File order; a fix overlapping an earlier one waits (its site is reported as declined).
    fixes.sort_by(|x, y| (&x.file, x.line, x.col).cmp(&(&y.file, y.line, y.col)));
    let mut kept: Vec<Fix> = Vec::new();
    for f in fixes {
        if let Some(other) = kept.iter().find(|k| k.overlaps(&f)) {
            declined.push(Declined::of(
                &f,
                crate::rules::codes::DeclineCode::Overlaps,
                format!("overlaps another fix at line {} ({})", other.line, other.rule),
            ));
            continue;
        }
        kept.push(f);
    }
    for (i, f) in kept.iter_mut().enumerate() {
        f.id = i + 1;
    }
    a.fixes = kept;
    declined.sort_by(|x, y| (&x.file, x.line, x.col).cmp(&(&y.file, y.line, y.col)));
    a.declined = declined;
    for (file, imps) in facts.take_imports() {
        a.imports.insert(file, imps);
    }
    a.timings.rules_ms += t.elapsed().as_millis();
    Ok(())
}

fn parse_files(files: &[PathBuf]) -> Vec<Result<SourceFile>> {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(files.len().max(1));
    let chunk = files.len().div_ceil(workers.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|c| scope.spawn(move || c.iter().map(|f| SourceFile::read(f)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("parser thread panicked")).collect()
    })
}

fn type_facts(a: &mut Analysis, packages: &[String], queries: &[Query]) -> Result<Facts> {
    let helper = match &a.helper {
        Some(h) => h.clone(),
        None => {
            let h = GoHelper::ensure(&a.toolchain)?;
            a.helper = Some(h.clone());
            h
        }
    };
    let requests: Vec<PackageRequest> = packages
        .iter()
        .filter_map(|p| a.listing.by_path(p))
        .map(|p| PackageRequest {
            id: p.import_path.clone(),
            name: p.name.clone(),
            dir: p.dir.clone(),
            files: p.source_files().collect(),
            import_map: p.import_map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            go_version: p.go_version(),
        })
        .collect();
    // Export data of everything these packages import (the compiling listing named it all).
    let mut export: BTreeMap<String, PathBuf> = a.dep_exports.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    export.extend(a.listing.export_map());
    // The answers are cached by the exact request: send it in a canonical order.
    let mut requests = requests;
    requests.sort_by(|x, y| x.id.cmp(&y.id));
    let mut sorted: Vec<Query> = queries.to_vec();
    sorted.sort();
    let resp = helper.typecheck(requests, export, BTreeMap::new(), &sorted)?;
    let queries = &sorted[..];
    let errors = resp.packages.into_iter().map(|p| (p.id, p.errors)).collect();
    Ok(Facts::new(queries, resp.results, errors))
}

/// The packages to compile when `fix_packages` change: those packages (test variants `p [p.test]`
/// named by their base path, which `-test` builds) plus every listed package that depends on them.
pub fn affected_packages<'p>(a: &Analysis, fix_packages: impl IntoIterator<Item = &'p str>) -> Vec<String> {
    let mut set: std::collections::BTreeSet<String> =
        fix_packages.into_iter().map(|p| p.split(" [").next().unwrap_or(p).to_string()).collect();
    loop {
        let before = set.len();
        for p in a.listing.targets() {
            if p.imports.iter().any(|i| set.contains(i)) {
                set.insert(p.import_path.clone());
            }
        }
        if set.len() == before {
            break;
        }
    }
    set.into_iter().collect()
}

/// Import facts for `file` as the helper reported them (needed to drop imports that become unused).
pub fn file_imports<'a>(a: &'a Analysis, file: &Path) -> &'a [ImportFacts] {
    a.imports.get(file).map(Vec::as_slice).unwrap_or(&[])
}
