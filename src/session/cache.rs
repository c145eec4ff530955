//! The analysis cache: a warm run must cost about what `go build -gcflags=-m` costs, so when nothing
//! that determines the analysis changed, its result is loaded instead of recomputed.
//!
//! What determines it: everything the compiler reads (the toolchain and its settings, the module
//! files, every non-standard package's files), the options and config that select rules and files,
//! and stackify's own build. The key hashes all of them from a `go list -deps` that compiles nothing,
//! so a hit skips the compiler entirely; it returns findings, candidate fixes, declines and the facts
//! the fixes need.

use crate::analysis::{Broken, Declined, Options, Skipped};
use crate::findings::attribute::CompilerNotes;
use crate::findings::Finding;
use crate::fix::Fix;
use crate::go::helper::ImportFacts;
use crate::go::{Listing, Toolchain};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// Bump when the cached layout or the analysis semantics change without a version bump.
const FORMAT: u32 = 5;
/// How many cached analyses to keep (one per module state; old states are rarely revisited).
const KEEP: usize = 32;

#[derive(Serialize, Deserialize)]
pub struct Cached {
    pub findings: Vec<Finding>,
    pub notes: CompilerNotes,
    pub fixes: Vec<Fix>,
    pub declined: Vec<Declined>,
    pub broken: Vec<Broken>,
    pub not_editable: BTreeMap<PathBuf, Skipped>,
    pub imports: HashMap<PathBuf, Vec<ImportFacts>>,
    /// The static cold judgement, by finding id: it reads the files' trees, which a warm run
    /// would otherwise parse again only for this.
    pub cold: HashMap<usize, crate::syntax::cold::Cold>,
    pub source_words: crate::findings::display::SourceWords,
}

/// One SipHash pass over everything (a cryptographic hash cost a fifth of a warm run). 64 bits are
/// plenty for a cache of a few dozen entries.
struct Key(std::collections::hash_map::DefaultHasher);

impl Key {
    fn new() -> Self {
        Key(std::collections::hash_map::DefaultHasher::new())
    }
    fn add(&mut self, bytes: &[u8]) {
        bytes.len().hash(&mut self.0);
        bytes.hash(&mut self.0);
    }
    fn finish(&self) -> String {
        format!("{:016x}", self.0.finish())
    }
}

/// The key for an analysis with `options` of the packages in `inputs`, a `go list -deps` listing
/// made without compiling anything, or `None` when a file cannot be read (no caching then: the
/// analysis will report the problem).
///
/// The compiler's report is a function of its inputs, so the key hashes those instead of the
/// report: that is what lets a warm run skip the compiler's replay altogether. The inputs are the
/// toolchain (version, the compile binary, the build settings `go env` resolves), the module and
/// workspace files (language version, dependency versions), and for every package outside the
/// standard library its identity and the bytes of every file the build reads. A package in the
/// module cache is identified by its directory, which names the module version, and never
/// changes, so its files are not read. Embedded files are left out: they cannot change what escapes.
pub fn key(
    tc: &Toolchain,
    options: &Options,
    config_file: Option<&Path>,
    inputs: &Listing,
    read: &mut Vec<PathBuf>,
) -> Option<String> {
    let mut k = Key::new();
    k.add(format!("stackify {} format {FORMAT}", env!("CARGO_PKG_VERSION")).as_bytes());
    // A rebuilt binary (changed rules, same version string) must not reuse older results.
    let exe = std::env::current_exe().ok().and_then(|p| std::fs::metadata(p).ok())?;
    k.add(format!("{} {:?}", exe.len(), exe.modified().ok()).as_bytes());
    k.add(tc.version().as_bytes());
    k.add(tc.env.goroot.as_bytes());
    k.add(tc.dir.to_string_lossy().as_bytes());
    for (name, value) in &tc.env.build {
        k.add(format!("{name}={value}").as_bytes());
    }
    // A toolchain rebuilt under the same version string (a devel build) compiles differently.
    let tooldir = tc.env.build.get("GOTOOLDIR").filter(|d| !d.is_empty())?;
    let compile =
        std::fs::metadata(Path::new(tooldir).join(format!("compile{}", std::env::consts::EXE_SUFFIX))).ok()?;
    k.add(format!("{} {:?}", compile.len(), compile.modified().ok()).as_bytes());
    k.add(
        format!(
            "{:?} {:?} {:?} {:?} {} {}",
            options.patterns,
            options.tags,
            options.only_rules,
            options.skip_rules,
            options.tests,
            options.prealloc_upper_bound
        )
        .as_bytes(),
    );
    if let Some(f) = config_file {
        k.add(&std::fs::read(f).ok()?);
        read.push(f.to_path_buf());
    }
    for anchor in [&tc.env.gomod, &tc.env.gowork] {
        if anchor.is_empty() || anchor == "off" || !Path::new(anchor).is_file() {
            continue;
        }
        // go.mod → go.sum, go.work → go.work.sum
        let sum = match anchor.strip_suffix(".mod") {
            Some(base) => Path::new(base).with_file_name("go.sum"),
            None => PathBuf::from(format!("{anchor}.sum")),
        };
        for f in [PathBuf::from(anchor), sum] {
            k.add(f.to_string_lossy().as_bytes());
            k.add(&std::fs::read(&f).unwrap_or_default());
            read.push(f);
        }
    }
    let modcache = tc.env.build.get("GOMODCACHE").filter(|m| !m.is_empty()).map(Path::new);
    let in_modcache = |dir: &Path| modcache.is_some_and(|m| dir.starts_with(m));
    // Each workspace module's go.mod sets its packages' language version.
    let go_mods: std::collections::BTreeSet<&PathBuf> =
        inputs.packages.iter().filter_map(|p| p.module.as_ref()?.go_mod.as_ref()).filter(|m| !in_modcache(m)).collect();
    for m in go_mods {
        k.add(m.to_string_lossy().as_bytes());
        k.add(&std::fs::read(m).unwrap_or_default());
        read.push(m.clone());
    }
    for p in inputs.packages.iter().filter(|p| !p.standard) {
        k.add(p.import_path.as_bytes());
        k.add(p.dir.to_string_lossy().as_bytes());
        // Not the package's error: a listing that compiles reports build errors, one that does not
        // only load errors, and both follow from the files hashed here.
        k.add(format!("{:?} {} {:?}", p.module.as_ref().map(|m| (&m.path, m.main)), p.dep_only, p.for_test).as_bytes());
        if in_modcache(&p.dir) {
            continue;
        }
        for f in p.build_inputs() {
            k.add(f.to_string_lossy().as_bytes());
            k.add(&std::fs::read(&f).ok()?);
            read.push(f);
        }
    }
    Some(k.finish())
}

/// A guess, before anything is listed, at whether the analysis cache will hit: the files the last
/// run of the same command in the same directory hashed are all as they were (same size and
/// modification time). A likely hit lists without compiling first; a likely miss compiles at once,
/// in one listing that also names every dependency, instead of listing twice. The guess only
/// chooses the order of work: the key is always computed from a real listing.
pub struct Stamp {
    path: PathBuf,
}

impl Stamp {
    pub fn new(dir: &Path, patterns: &[String], tags: Option<&str>, tests: bool) -> Stamp {
        let mut k = Key::new();
        k.add(format!("{} {:?} {:?} {tests}", dir.display(), patterns, tags).as_bytes());
        Stamp { path: crate::go::helper::cache_dir().join("stamps").join(k.finish()) }
    }

    pub fn unchanged(&self) -> bool {
        let Ok(text) = std::fs::read_to_string(&self.path) else { return false };
        let mut lines = text.lines().peekable();
        lines.peek().is_some()
            && lines.all(|l| {
                l.split_once(' ').is_some_and(|(seen, file)| Self::describe(Path::new(file)).as_deref() == Some(seen))
            })
    }

    pub fn record(&self, files: &[PathBuf]) {
        let mut text = String::new();
        for f in files {
            let Some(seen) = Self::describe(f) else { return };
            text.push_str(&format!("{seen} {}\n", f.display()));
        }
        if let Some(dir) = self.path.parent() {
            let tmp = self.path.with_extension(format!("{}", std::process::id()));
            if std::fs::create_dir_all(dir).is_ok()
                && std::fs::write(&tmp, text).is_ok()
                && std::fs::rename(&tmp, &self.path).is_err()
            {
                let _ = std::fs::remove_file(&tmp);
            }
            // A stamp that is pruned only costs its directory one mispredicted run.
            prune(dir);
        }
    }

    /// `size:mtime-in-ns`, or `absent`.
    fn describe(f: &Path) -> Option<String> {
        match std::fs::metadata(f) {
            Ok(m) => {
                let mtime = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
                Some(format!("{}:{mtime}", m.len()))
            }
            Err(_) => Some("absent".into()),
        }
    }
}

fn dir() -> PathBuf {
    crate::go::helper::cache_dir().join("analysis")
}

pub fn load(key: &str) -> Option<Cached> {
    load_as(key)
}

fn load_as<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    let bytes = std::fs::read(dir().join(key)).ok()?;
    // A cache that does not decode (another version, a torn write) is a miss, never an error.
    match bincode::deserialize(&bytes) {
        Ok(c) => Some(c),
        Err(e) => {
            if std::env::var_os("STACKIFY_DEBUG_CACHE").is_some() {
                eprintln!("stackify: analysis cache {key}: {e}");
            }
            None
        }
    }
}

/// A verification of `ids` for the analysis `analysis_key`, keyed by both. Only compile-based
/// verification is cached: it is a function of the code, the toolchain and the fix set. (Test and
/// benchmark checks are not: tests can be flaky, benchmarks are measurements.)
/// A profile join (see `measure::joined`), stored beside the analyses and pruned with them.
pub fn load_join(key: &str) -> Option<crate::profile::join::Join> {
    load_as(key)
}

pub fn store_join(key: &str, j: &crate::profile::join::Join) {
    store_as(key, j);
}

/// The rules' fixes and declines for the measured-hot sites of an analysis (before settling).
pub type Reproposal = (Vec<crate::fix::Fix>, Vec<crate::analysis::Declined>);

pub fn load_reproposal(key: &str) -> Option<Reproposal> {
    load_as(key)
}

pub fn store_reproposal(key: &str, r: &Reproposal) {
    store_as(key, r);
}

pub fn verification_key(analysis_key: &str, ids: &[usize]) -> String {
    let mut k = Key::new();
    k.add(analysis_key.as_bytes());
    k.add(format!("{ids:?}").as_bytes());
    k.add(format!("{:?}", std::env::var_os("STACKIFY_TEST_FAULT")).as_bytes());
    format!("v{}", k.finish())
}

pub fn load_verification(key: &str) -> Option<crate::verify::Verification> {
    load_as(key)
}

pub fn store_verification(key: &str, v: &crate::verify::Verification) {
    store_as(key, v)
}

/// Store an analysis; failures only cost the next run time.
pub fn store(key: &str, cached: &Cached) {
    store_as(key, cached)
}

fn store_as<T: Serialize>(key: &str, cached: &T) {
    let dir = dir();
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(bytes) = bincode::serialize(cached) else { return };
    let tmp = dir.join(format!(".{key}.{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, dir.join(key)).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    prune(&dir);
}

fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> =
        entries.filter_map(|e| e.ok()).filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path()))).collect();
    if files.len() <= KEEP {
        return;
    }
    files.sort();
    for (_, p) in &files[..files.len() - KEEP] {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// bincode is not self-describing: every cached type must round-trip exactly (an attribute like
    /// skip_serializing_if silently turns every warm run into a miss).
    #[test]
    fn cached_analysis_round_trips() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/shapes.m2.txt")).unwrap();
        let blocks = crate::findings::parse::parse_output(&text);
        let listing = Listing {
            packages: vec![crate::go::Package {
                import_path: "example.com/shapes".into(),
                dir: "/m".into(),
                go_files: vec!["shapes.go".into()],
                ..Default::default()
            }],
            compiler_output: String::new(),
        };
        let index = crate::findings::attribute::FileIndex::new(&listing, Path::new("/usr/local/go"));
        let findings = crate::findings::attribute::attribute(&blocks, &index);
        assert!(findings.iter().any(|f| f.function.is_some()) && findings.iter().any(|f| f.function.is_none()));
        let fix = Fix {
            id: 1,
            rule: "fmt-sprintf".into(),
            file: "/m/shapes.go".into(),
            package: "example.com/shapes".into(),
            edits: vec![crate::fix::TextEdit { start: 1, end: 2, text: "x".into() }],
            add_imports: vec!["strconv".into()],
            removed_uses: vec![("fmt".into(), 3)],
            targets: vec![0],
            title: "t".into(),
            explanation: "e".into(),
            evidence: crate::fix::Evidence::FindingRemoved,
            claim: "reduces growth reallocations".into(),
            expect_new: crate::fix::ExpectNew::ResultAllocation,
            function: None,
            line: 1,
            col: 2,
            upper_bound: false,
            hot_lines: vec![],
        };
        let cached = Cached {
            findings: findings.clone(),
            notes: crate::findings::attribute::notes(&blocks, &index),
            fixes: vec![fix],
            declined: vec![Declined {
                rule: "fmt-sprintf".into(),
                file: "/m/a.go".into(),
                line: 1,
                col: 2,
                findings: vec![1],
                code: crate::rules::codes::DeclineCode::ShapeMismatch,
                reason: "r".into(),
            }],
            broken: vec![Broken { package: "p".into(), error: "e".into() }],
            not_editable: [(
                "/m/g.go".into(),
                Skipped { kind: crate::analysis::SkipKind::Generated, reason: "g".into() },
            )]
            .into_iter()
            .collect(),
            imports: [(
                PathBuf::from("/m/a.go"),
                vec![ImportFacts {
                    name: String::new(),
                    path: "fmt".into(),
                    local_name: "fmt".into(),
                    spec_start: 1,
                    spec_end: 2,
                    uses: vec![3],
                }],
            )]
            .into_iter()
            .collect(),
            cold: [(1, crate::syntax::cold::Cold::ErrorPath)].into_iter().collect(),
            source_words: [("params p f.go F[go.shape.int]".to_string(), Some("T".to_string()))].into_iter().collect(),
        };
        let back: Cached = bincode::deserialize(&bincode::serialize(&cached).unwrap()).expect("round trip");
        assert_eq!(back.findings.len(), findings.len());
        assert_eq!(back.findings[3].message(), findings[3].message());
        assert_eq!(back.fixes[0].rule, "fmt-sprintf");
        assert_eq!(back.notes.captures.len(), cached.notes.captures.len());
        assert_eq!(back.cold, cached.cold);
        assert_eq!(back.source_words, cached.source_words);
    }
}
