//! Measured cost for the front ends: read the profiles (`--profile`, `--profile-bench`, a main
//! package's `default.pgo`), join them with the analysis, withdraw fixes below `--min-share`; and,
//! without a profile, the static cold judgement. Runs after the analysis (cached or not): the
//! analysis cache never depends on a profile.

use super::Analysis;
use crate::analysis::{BelowMinShare, Measured};
use crate::cli::Cli;
use crate::findings::Cost;
use crate::go::bench_profile::{default_pgo, packages_with_tests, BenchProfileOptions};
use crate::profile::join::{join, Join, LoadedProfile, Scope};
use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// A profile file's bytes, not yet decoded: a warm run whose join is cached never decodes it.
pub struct ProfileFile {
    pub path: PathBuf,
    bytes: Vec<u8>,
}

impl ProfileFile {
    /// Read `path`; a missing file, or one that cannot be a pprof profile (neither gzip nor a
    /// protobuf message's first field), is an error naming it. The full decode, on a join-cache
    /// miss, names it too.
    pub fn read(path: &Path) -> Result<ProfileFile> {
        let bytes = std::fs::read(path).with_context(|| format!("reading profile {}", path.display()))?;
        let gzip = bytes.starts_with(&[0x1f, 0x8b]);
        // A protobuf field tag: field number ≥ 1, wire type varint (0) or length-delimited (2).
        let protobuf = bytes.first().is_some_and(|b| b >> 3 >= 1 && matches!(b & 7, 0 | 2));
        if !gzip && !protobuf {
            bail!("{}: not a pprof profile (neither gzip nor protobuf)", path.display());
        }
        Ok(ProfileFile { path: path.to_path_buf(), bytes })
    }

    fn decode(&self) -> Result<LoadedProfile> {
        let profile = crate::profile::decode::decode(&self.bytes)
            .with_context(|| format!("{}: not a pprof profile", self.path.display()))?;
        Ok(LoadedProfile { path: self.path.clone(), profile })
    }
}

/// Read the `--profile` files before the (possibly long) analysis: a missing file or one that is not
/// a pprof profile is an error naming it.
pub fn read_requested(cli: &Cli) -> Result<Vec<ProfileFile>> {
    let base = std::path::absolute(&cli.dir).unwrap_or_else(|_| cli.dir.clone());
    cli.profiles
        .iter()
        .map(|p| {
            // Relative to where stackify was started, like every other path argument; `-C` only
            // moves the Go side.
            let path = std::path::absolute(p).unwrap_or_else(|_| base.join(p));
            ProfileFile::read(&path)
        })
        .collect()
}

/// The join of these profiles with this analysis, from the cache or made (and cached). The join is
/// a function of the analysis (its key covers the module's files, whose declarations the join
/// checks), the profiles' bytes and their paths (which the summary names), so a warm run with the
/// same profile neither decodes nor joins it.
fn joined(a: &Analysis, profiles: &[ProfileFile]) -> Result<Join> {
    let key = a.cache_key.as_ref().map(|k| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (JOIN_FORMAT, k).hash(&mut h);
        for p in profiles {
            (&p.path, &p.bytes).hash(&mut h);
        }
        format!("join-{:016x}", h.finish())
    });
    if let Some(j) = key.as_deref().and_then(super::cache::load_join) {
        return Ok(j);
    }
    let loaded = profiles.iter().map(ProfileFile::decode).collect::<Result<Vec<_>>>()?;
    let scope = Scope::from_listing(&a.listing);
    let j = join(&loaded, &scope, &a.findings, None);
    if let Some(key) = &key {
        super::cache::store_join(key, &j);
    }
    Ok(j)
}

/// Bump when the join's result changes for the same inputs (a new field, a new rule of matching).
const JOIN_FORMAT: u32 = 3;

/// Attach measured cost (or the cold judgement) to `a`. `requested` are the `--profile` files.
pub fn attach(a: &mut Analysis, cli: &Cli, mut profiles: Vec<ProfileFile>, progress: &Progress) -> Result<()> {
    let min_share = cli.min_share.or_else(|| a.config.config.profile.min_share.map(|p| p / 100.0));
    let mut automatic = Vec::new();
    // `go build -pgo=auto` uses a main package's default.pgo: it is the profile of record.
    for pgo in default_pgo(a.listing.targets()) {
        if profiles.iter().any(|p| p.path == pgo) {
            continue;
        }
        match ProfileFile::read(&pgo) {
            Ok(p) => {
                if !cli.quiet {
                    eprintln!("stackify: note: using {} (a main package's PGO profile)", a.display_path(&pgo));
                }
                automatic.push(pgo);
                profiles.push(p);
            }
            Err(e) if !cli.quiet => eprintln!("stackify: warning: {e:#}; ignored"),
            Err(_) => {}
        }
    }
    // Kept until the profiles are read (they are read right after being made).
    let _bench_dir;
    if let Some(re) = &cli.profile_bench {
        let dir = tempfile::Builder::new().prefix("stackify-profile-").tempdir()?;
        let packages = packages_with_tests(a.listing.targets());
        if packages.is_empty() {
            bail!("--profile-bench: none of the analysed packages has tests, so no benchmarks");
        }
        progress.step(&format!(
            "running benchmarks matching {re:?} in {} packages for a profile (-memprofilerate=1)",
            packages.len()
        ));
        let opts = BenchProfileOptions { bench: re.clone(), cpu: true, ..Default::default() };
        let made = a.toolchain.bench_profiles(&packages, dir.path(), &opts)?;
        if made.is_empty() {
            bail!("--profile-bench: no benchmark matches {re:?} in the analysed packages");
        }
        for m in made {
            profiles.push(ProfileFile::read(&m.heap)?);
            if let Some(c) = &m.cpu {
                profiles.push(ProfileFile::read(c)?);
            }
        }
        _bench_dir = dir;
    }
    if profiles.is_empty() {
        if min_share.is_some() {
            bail!("--min-share needs a profile: give --profile FILE or --profile-bench REGEX");
        }
        // The analysis made the cold judgement (or brought it from the cache).
        return Ok(());
    }
    // Measured cost replaces the static guess.
    a.cold.clear();
    let t = std::time::Instant::now();
    let mut j = joined(a, &profiles)?;
    super::trace("profile join", t);
    // Made in a temp dir that is gone after this run: name them by what made them.
    if let Some(re) = &cli.profile_bench {
        for f in j.summary.files.iter_mut().filter(|f| !cli.profiles.contains(f) && !automatic.contains(f)) {
            if f.starts_with(std::env::temp_dir()) {
                let kind = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                *f = PathBuf::from(format!("--profile-bench {re} ({kind})"));
            }
        }
    }
    if !cli.quiet {
        for w in &j.warnings {
            eprintln!("stackify: warning: {w}");
        }
    }
    let t = std::time::Instant::now();
    reach_hot_sites(a, &j, min_share, progress)?;
    super::trace("hot sites re-proposed", t);
    // A line whose "does not escape" finding a fix or a decline names (a prealloc fix's `append`) is
    // listed with that finding (which carries the bytes), not as a site without one; so is a line a
    // fix names as where its allocations happen (a prealloc-map fix's `m[k] = v`), with that fix.
    let targeted: std::collections::HashSet<(&std::path::Path, u32)> = a
        .fixes
        .iter()
        .flat_map(|f| f.targets.iter())
        .chain(a.declined.iter().flat_map(|d| d.findings.iter()))
        .filter_map(|t| Some((a.findings[*t].file.as_deref()?, a.findings[*t].line())))
        .chain(a.fixes.iter().flat_map(|f| f.hot_lines.iter().map(|l| (f.file.as_path(), *l))))
        .collect();
    j.sites.retain(|s| !targeted.contains(&(s.file.as_path(), s.line)));
    a.measured = Some(Measured { join: j, automatic, min_share, below_min_share: Vec::new() });
    if let Some(min) = min_share {
        let mut kept = Vec::new();
        for fix in std::mem::take(&mut a.fixes) {
            let (bytes, share) = a.fix_cost(&fix).unwrap_or_default();
            if share >= min {
                kept.push(fix);
            } else {
                let b = BelowMinShare {
                    rule: fix.rule.to_string(),
                    file: fix.file.clone(),
                    line: fix.line,
                    targets: fix.targets.clone(),
                    alloc_space: bytes,
                    share,
                };
                a.measured.as_mut().expect("just set").below_min_share.push(b);
            }
        }
        a.fixes = kept;
    }
    Ok(())
}

/// Without an explicit `--min-share`, the share of the profiled bytes that makes a line hot enough
/// for a rewrite that trades memory for allocations.
pub const HOT_SHARE: f64 = 0.01;

/// Sites the rules declined only because the rewrite sizes by an upper bound (a filter loop's
/// append), on lines the profile measures hot (at least `--min-share`, else [`HOT_SHARE`]): the
/// rules look at them again with upper bounds allowed. Opting in (`--prealloc-upper-bound`)
/// already allowed them everywhere.
fn reach_hot_sites(
    a: &mut Analysis,
    j: &crate::profile::join::Join,
    min_share: Option<f64>,
    progress: &Progress,
) -> Result<()> {
    if a.options.prealloc_upper_bound {
        return Ok(());
    }
    let hot = min_share.unwrap_or(HOT_SHARE);
    // Only a line's own samples: a stale function's bytes say nothing about this loop.
    let share = |id: &usize| {
        j.findings.get(*id).filter(|c| c.matched_by == crate::profile::join::MatchedBy::Line).map_or(0.0, |c| c.share)
    };
    let sites: std::collections::HashSet<usize> = a
        .declined
        .iter()
        .filter(|d| d.code == crate::rules::codes::DeclineCode::AppendNotInLoopBody)
        .filter(|d| d.rule == crate::rules::prealloc::SLICE_ID && d.findings.iter().any(|f| share(f) >= hot))
        .flat_map(|d| d.findings.iter().copied())
        .collect();
    if sites.is_empty() {
        return Ok(());
    }
    progress.step(&format!("looking again at {} measured-hot filter loops", sites.len()));
    let options = crate::rules::RuleOptions { upper_bound: true };
    // What the rules say about these sites is a function of the analysis and the sites: cached with
    // the analysis, so a warm run with a profile neither lists export data nor asks for types.
    let key = a.cache_key.as_ref().map(|k| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut ids: Vec<usize> = sites.iter().copied().collect();
        ids.sort_unstable();
        (REPROPOSE_FORMAT, k, ids, options.upper_bound).hash(&mut h);
        format!("repropose-{:016x}", h.finish())
    });
    let (fixes, declined) = match key.as_deref().and_then(super::cache::load_reproposal) {
        Some(cached) => cached,
        None => {
            let fresh = crate::engine::repropose(a, &sites, options, progress)?;
            if let Some(key) = &key {
                super::cache::store_reproposal(key, &fresh);
            }
            fresh
        }
    };
    crate::engine::replace_sites(a, fixes, declined);
    Ok(())
}

/// Bump when the rules' answers for hot sites change for the same analysis.
const REPROPOSE_FORMAT: u32 = 1;

/// The cold judgement of every finding that costs or that a fix targets, made with the analysis (and
/// cached with it). Parses the files that hold them when the rules did not; they stay parsed for the
/// rest of the run.
pub(super) fn judge_cold(a: &mut Analysis) {
    let targeted: std::collections::HashSet<usize> = a.fixes.iter().flat_map(|f| f.targets.iter().copied()).collect();
    let mut by_file: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for f in &a.findings {
        let costs = f.is_reportable() && matches!(f.cost, Cost::Allocates | Cost::MayAllocate);
        if let (Some(file), true) = (&f.file, costs || targeted.contains(&f.id)) {
            by_file.entry(file.clone()).or_default().push(f.id);
        }
    }
    let missing: Vec<PathBuf> = by_file.keys().filter(|p| !a.sources.contains_key(*p)).cloned().collect();
    for (path, src) in missing.iter().zip(crate::engine::parse_files(&missing)) {
        if let Ok(src) = src {
            a.sources.insert(path.clone(), src);
        }
    }
    let mut cold = HashMap::new();
    for (file, ids) in by_file {
        let Some(src) = a.sources.get(&file) else { continue };
        for id in ids {
            let f = &a.findings[id];
            if let Some(c) = src.offset(f.line(), f.col()).and_then(|off| crate::syntax::cold::judge(src, off)) {
                cold.insert(id, c);
            }
        }
    }
    a.cold = cold;
}
