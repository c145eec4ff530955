//! The engine: runs the selected rules over the findings of an [`Analysis`] — parses the files they
//! need, asks the type helper every question at once, and turns each site into a candidate fix or a
//! decline. It proposes only; the verifier judges.

use crate::analysis::{Analysis, Declined, SkipKind, Skipped};
use crate::fix::Fix;
use crate::go::helper::{GoHelper, PackageRequest, Query};
use crate::go::Package;
use crate::progress::Progress;
use crate::rules::{self, Decline, Facts, Rule, RuleOptions, Site};
use crate::source::SourceFile;
use anyhow::Result;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

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

pub fn propose(a: &mut Analysis, progress: &Progress) -> Result<()> {
    let options = RuleOptions { upper_bound: a.options.prealloc_upper_bound };
    let (fixes, declined) = propose_for(a, None, options, progress)?;
    settle(a, fixes, declined);
    Ok(())
}

/// Run the rules again on the sites of `findings` with `options` (a measured-hot line may take a
/// rewrite the analysis declined): the fixes and declines the rules give now, for [`replace_sites`].
/// The analysis itself stays independent of any profile: this runs after it, on its result.
pub fn repropose(
    a: &mut Analysis,
    findings: &HashSet<usize>,
    options: RuleOptions,
    progress: &Progress,
) -> Result<(Vec<Fix>, Vec<Declined>)> {
    if findings.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    if a.dep_exports.is_empty() {
        // A warm run took its analysis from the cache, without the export data that the rules' type
        // facts need: list it now (plain build, from the build cache).
        progress.step("listing export data for the type facts");
        let opts = crate::go::list::ListOptions {
            deps: true,
            export: true,
            plain: true,
            tests: a.options.tests,
            ..Default::default()
        };
        let listing = a.toolchain.list(&a.options.patterns, &opts)?;
        // The module's own packages too: the cached listing has no export data for them either.
        a.dep_exports =
            listing.packages.iter().filter_map(|p| Some((p.import_path.clone(), p.export.clone()?))).collect();
    }
    propose_for(a, Some(findings), options, progress)
}

/// Put re-proposed sites in place: a site (keyed by its findings) replaces its earlier decline or fix.
pub fn replace_sites(a: &mut Analysis, new_fixes: Vec<Fix>, new_declined: Vec<Declined>) {
    if new_fixes.is_empty() && new_declined.is_empty() {
        return;
    }
    let redone: HashSet<usize> = new_fixes
        .iter()
        .flat_map(|f| f.targets.iter())
        .chain(new_declined.iter().flat_map(|d| d.findings.iter()))
        .copied()
        .collect();
    let mut fixes: Vec<Fix> = std::mem::take(&mut a.fixes);
    fixes.retain(|f| !f.targets.iter().any(|t| redone.contains(t)));
    let mut declined: Vec<Declined> = std::mem::take(&mut a.declined);
    declined.retain(|d| !d.findings.iter().any(|t| redone.contains(t)));
    fixes.extend(new_fixes);
    declined.extend(new_declined);
    settle(a, fixes, declined);
}

/// Fixes and declines for the findings in `only` (all when `None`).
fn propose_for(
    a: &mut Analysis,
    only: Option<&HashSet<usize>>,
    options: RuleOptions,
    progress: &Progress,
) -> Result<(Vec<Fix>, Vec<Declined>)> {
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
        if only.is_some_and(|o| !o.contains(&f.id)) {
            continue;
        }
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
    // Files parsed already (a second pass) are not parsed again.
    files.retain(|f| !a.sources.contains_key(f) && !a.not_editable.contains_key(f));
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
    a.timings.rules_ms += t.elapsed().as_millis();

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
        Ok(mut f) => {
            f.options = options;
            f
        }
        Err(e) => {
            // Without types no rule can be sure of anything: every site declines, with the reason.
            let reason = format!("type facts unavailable: {e:#}");
            for s in &sites {
                let f = &a.findings[s.findings[0]];
                declined.push(Declined {
                    rule: rules[s.rule].id().into(),
                    file: s.file.clone(),
                    line: f.line(),
                    col: f.col(),
                    findings: s.findings.clone(),
                    code: crate::rules::codes::DeclineCode::NoTypeFacts,
                    reason: reason.clone(),
                });
            }
            return Ok((Vec::new(), declined));
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
                    rule: rule.id().into(),
                    file: s.file.clone(),
                    package: first.package.clone(),
                    edits: p.edits,
                    add_imports: p.add_imports,
                    removed_uses: p.removed_uses,
                    targets: s.findings.clone(),
                    title: p.title,
                    explanation: p.explanation,
                    evidence: rule.evidence(),
                    claim: rule.allocation_claim().into(),
                    expect_new: p.expect_new,
                    function: src.enclosing_function(site.node()),
                    line,
                    col,
                    upper_bound: rule.upper_bound(&site),
                    hot_lines: rule.hot_lines(&site),
                });
            }
            Err(Decline { code, reason }) => declined.push(Declined {
                rule: rule.id().into(),
                file: s.file.clone(),
                line: first.line(),
                col: first.col(),
                findings: s.findings.clone(),
                code,
                reason,
            }),
        }
    }
    for (file, imps) in facts.take_imports() {
        a.imports.insert(file, imps);
    }
    a.timings.rules_ms += t.elapsed().as_millis();
    Ok((fixes, declined))
}

/// Suppressions, overlaps and ids: the final list of fixes and declines.
fn settle(a: &mut Analysis, mut fixes: Vec<Fix>, mut declined: Vec<Declined>) {
    // `//stackify:ignore <rule> <reason>` on or above a line suppresses fixes there. A warm run keeps
    // the fixes of its cached analysis without parsing their files, so a re-proposal (hot sites)
    // settles fixes whose source is not loaded: their text is read as it is.
    let mut unloaded: HashMap<PathBuf, String> = HashMap::new();
    fixes.retain(|f| {
        let text = match a.sources.get(&f.file) {
            Some(src) => src.text.as_str(),
            None => unloaded
                .entry(f.file.clone())
                .or_insert_with(|| std::fs::read_to_string(&f.file).unwrap_or_default())
                .as_str(),
        };
        let mut lines: Vec<u32> = vec![f.line];
        lines.extend(f.targets.iter().map(|t| a.findings[*t].line()));
        let hit = lines.iter().find_map(|l| crate::config::ignored(text, *l, &f.rule).map(|r| (*l, r)));
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
}

pub fn parse_files(files: &[PathBuf]) -> Vec<Result<SourceFile>> {
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
    let mut requests: Vec<PackageRequest> = packages
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
    requests.extend(test_variant_requests(a, packages, queries, &mut export));
    // The answers are cached by the exact request: send it in a canonical order.
    requests.sort_by(|x, y| x.id.cmp(&y.id));
    let mut sorted: Vec<Query> = queries.to_vec();
    sorted.sort();
    let resp = helper.typecheck(requests, export, BTreeMap::new(), &sorted)?;
    let queries = &sorted[..];
    let errors = resp.packages.into_iter().map(|p| (p.id, p.errors)).collect();
    Ok(Facts::new(queries, resp.results, errors))
}

/// The id the type facts give a package checked together with its in-package `_test.go` files (as
/// `go list -test` names that variant), so a rule can tell whether those files were covered.
pub fn test_variant_id(import_path: &str) -> String {
    format!("{import_path} [{import_path}.test]")
}

/// For each requested package with in-package test files whose test variant is not requested already,
/// a request checking it with those files, so that facts about identifiers in them
/// (callers, comparisons, function values) reach the rules. Only packages one of whose test files a
/// query names are checked so: the others cost nothing more. Their test-only imports get export
/// data from one plain `go list -export -deps` — only on this cold path: a warm run never gets here.
/// When that listing fails the variants are left out, and rules see the tests as not covered.
fn test_variant_requests(
    a: &Analysis,
    packages: &[String],
    queries: &[Query],
    export: &mut BTreeMap<String, PathBuf>,
) -> Vec<PackageRequest> {
    let asked: HashSet<&Path> = queries
        .iter()
        .map(|q| match q {
            Query::Expr { file, .. }
            | Query::Scope { file, .. }
            | Query::Imports { file }
            | Query::PackageNames { file }
            | Query::Uses { file, .. } => file.as_path(),
        })
        .collect();
    let wanted: Vec<&Package> = packages
        .iter()
        .filter_map(|p| a.listing.by_path(p))
        .filter(|p| p.for_test.is_empty() && p.test_go_files.iter().any(|f| asked.contains(p.dir.join(f).as_path())))
        .filter(|p| !packages.contains(&test_variant_id(&p.import_path)))
        .collect();
    let mut missing: Vec<String> = Vec::new();
    for p in &wanted {
        for imp in &p.test_imports {
            let path = p.import_map.get(imp).cloned().unwrap_or_else(|| imp.clone());
            if path != "C" && path != p.import_path && !export.contains_key(&path) && !missing.contains(&path) {
                missing.push(path);
            }
        }
    }
    if !missing.is_empty() {
        let opts = crate::go::ListOptions { deps: true, export: true, plain: true, ..Default::default() };
        match a.toolchain.list(&missing, &opts) {
            Ok(l) => export.extend(l.export_map()),
            Err(_) => return Vec::new(),
        }
    }
    wanted
        .into_iter()
        .map(|p| PackageRequest {
            id: test_variant_id(&p.import_path),
            name: p.name.clone(),
            dir: p.dir.clone(),
            files: p.source_files().chain(p.test_go_files.iter().map(|f| p.dir.join(f))).collect(),
            import_map: p.import_map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            go_version: p.go_version(),
        })
        .collect()
}
