//! Attributes profile samples to the lines of the analysed modules and to the findings there.
//!
//! A heap sample's bytes go to the innermost frame of its stack (inlined frames included) whose file
//! belongs to an analysed module: an allocation inside `fmt.Sprintf` called from line 20 counts for
//! line 20, and an allocation of a helper inlined into line 29 counts for the helper's own line (where
//! its native finding and its fix are), with line 29 recorded as the line it was inlined into.
//!
//! Frames are matched by module-relative path, never by absolute path, so a profile taken in another
//! checkout, on another machine or with `-trimpath` still lines up. Each matched frame is checked
//! against the current source (the function's declaration must still start where the profile says
//! and contain the line); a frame that fails is counted for its function only and the join is marked
//! stale: lines are never guessed.

use super::decode::{Profile, ProfileKind};
use crate::findings::{Finding, Kind, Origin};
use crate::go::Listing;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A module whose files count as "ours": its root directory in this checkout and its module path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRoot {
    pub dir: PathBuf,
    pub path: String,
}

/// The analysed files, indexed for matching profile file names against them.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    modules: Vec<ModuleRoot>,
    /// File name → (module index, module-relative path with `/` separators, absolute path).
    by_name: HashMap<String, Vec<(usize, String, PathBuf)>>,
}

impl Scope {
    /// `files` (absolute) that lie under one of `modules`; files outside every module are ignored.
    pub fn new(modules: Vec<ModuleRoot>, files: impl IntoIterator<Item = PathBuf>) -> Scope {
        let mut by_name: HashMap<String, Vec<(usize, String, PathBuf)>> = HashMap::new();
        for file in files {
            // The deepest module wins for nested modules (a file belongs to its nearest go.mod).
            let Some((m, rel)) = modules
                .iter()
                .enumerate()
                .filter_map(|(i, m)| Some((i, file.strip_prefix(&m.dir).ok()?)))
                .max_by_key(|(i, _)| modules[*i].dir.components().count())
            else {
                continue;
            };
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            let name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
            let entry = by_name.entry(name).or_default();
            if !entry.iter().any(|(_, _, f)| *f == file) {
                entry.push((m, rel, file));
            }
        }
        Scope { modules, by_name }
    }

    /// The non-test Go files of the listing's target packages (the analysed packages), with their
    /// modules. Test files are left out: stackify reports nothing there, so a benchmark's own setup
    /// allocations are not "hot lines" of the module.
    pub fn from_listing(listing: &Listing) -> Scope {
        let mut modules: Vec<ModuleRoot> = Vec::new();
        let mut files = Vec::new();
        for p in listing.targets().filter(|p| !p.standard) {
            let Some(m) = &p.module else { continue };
            let Some(dir) = &m.dir else { continue };
            let root = ModuleRoot { dir: dir.clone(), path: m.path.clone() };
            if !modules.contains(&root) {
                modules.push(root);
            }
            files.extend(p.source_files());
        }
        Scope::new(modules, files)
    }

    pub fn modules(&self) -> &[ModuleRoot] {
        &self.modules
    }

    /// The file of this checkout that a profile's `Function.filename` names, if it is an analysed
    /// file. Matching is by the longest module-relative path that is a suffix of `name` at a path
    /// boundary; a `-trimpath` name (`module/path/rel.go`) and an absolute name in this checkout
    /// are exact matches. Module cache and GOROOT frames never match.
    pub fn resolve(&self, name: &str) -> Option<&Path> {
        let name = name.replace('\\', "/");
        if name.contains("/pkg/mod/") || name.starts_with("$GOROOT/") || name.starts_with("<") {
            return None;
        }
        let base = name.rsplit('/').next()?;
        let candidates = self.by_name.get(base)?;
        let mut best: Option<(usize, &(usize, String, PathBuf))> = None;
        for c in candidates {
            let (m, rel, abs) = c;
            let exact = Path::new(&name) == abs.as_path()
                || name.strip_prefix(self.modules[*m].path.as_str()).and_then(|r| r.strip_prefix('/'))
                    == Some(rel.as_str());
            let score = if exact {
                usize::MAX
            } else if name == *rel || name.ends_with(&format!("/{rel}")) {
                // Longer relative paths are stronger evidence; among equal ones, prefer the module
                // whose directory name also appears right before the relative path.
                let dir_name = self.modules[*m].dir.file_name().map(|d| d.to_string_lossy().into_owned());
                let dir_match = dir_name.is_some_and(|d| name.ends_with(&format!("/{d}/{rel}")));
                rel.len() * 2 + usize::from(dir_match)
            } else {
                continue;
            };
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, c));
            }
        }
        best.map(|(_, (_, _, abs))| abs.as_path())
    }
}

/// What kind of allocation a line makes, from the runtime function under it (when the profile kept
/// runtime frames), else the library function it called, else the syntax of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocKind {
    VariableSizeMake,
    SliceGrowth,
    StringConcatenation,
    StringConversion,
    MapGrowth,
    /// `make(chan T, n)`: a channel always lives on the heap, whatever its size.
    Channel,
    NewObject,
    InterfaceBoxing,
    /// Allocated inside a library function the line calls (`via` names it).
    Call,
    Other,
}

impl AllocKind {
    pub fn describe(self) -> &'static str {
        match self {
            AllocKind::VariableSizeMake => "variable-size make",
            AllocKind::SliceGrowth => "slice growth",
            AllocKind::StringConcatenation => "string concatenation",
            AllocKind::StringConversion => "string conversion",
            AllocKind::MapGrowth => "map growth",
            AllocKind::Channel => "channel make",
            AllocKind::NewObject => "new object",
            AllocKind::InterfaceBoxing => "interface boxing",
            AllocKind::Call => "allocated in a called function",
            AllocKind::Other => "allocation",
        }
    }

    /// From a runtime allocation entry point (`runtime.makeslice`, `runtime.convT64`...).
    pub fn from_runtime(name: &str) -> Option<AllocKind> {
        let f = name.rsplit('.').next().unwrap_or(name);
        let f = f.trim_start_matches("runtime_");
        Some(match f {
            _ if f.starts_with("makeslice") => AllocKind::VariableSizeMake,
            _ if f.starts_with("makechan") => AllocKind::Channel,
            _ if f.starts_with("growslice") => AllocKind::SliceGrowth,
            _ if f.starts_with("concatstring") || f.starts_with("concatbyte") => AllocKind::StringConcatenation,
            _ if f.starts_with("slicebytetostring")
                || f.starts_with("stringtoslice")
                || f.starts_with("rawstring")
                || f.starts_with("rawbyteslice")
                || f.starts_with("rawruneslice")
                || f.starts_with("intstring") =>
            {
                AllocKind::StringConversion
            }
            _ if f.starts_with("mapassign")
                || f.starts_with("makemap")
                || f.starts_with("hashGrow")
                || f.starts_with("growWork")
                || f.starts_with("growToTable")
                || f.starts_with("growToSmall")
                || f.starts_with("rehash")
                || f.starts_with("split") =>
            {
                AllocKind::MapGrowth
            }
            _ if f.starts_with("newobject") || f.starts_with("newarray") => AllocKind::NewObject,
            _ if f.starts_with("convT") => AllocKind::InterfaceBoxing,
            _ => return None,
        })
    }

    /// From the text of the allocating line, when the stack has no frame below it (runtime/pprof
    /// hides the runtime frames of heap samples). Only the shapes that allocate are considered, so
    /// `x[k] = v` that allocates is a map assignment.
    pub fn from_line(text: &str) -> AllocKind {
        let t = text.split("//").next().unwrap_or(text);
        if t.contains("make(map") || t.contains("map[") && t.contains("{}") {
            AllocKind::MapGrowth
        } else if t.contains("make(chan") {
            AllocKind::Channel
        } else if t.contains("make(") {
            AllocKind::VariableSizeMake
        } else if t.contains("append(") {
            AllocKind::SliceGrowth
        } else if t.contains("+=") || t.contains("\" +") || t.contains("+ \"") {
            AllocKind::StringConcatenation
        } else if t.contains("string(") || t.contains("[]byte(") || t.contains("[]rune(") {
            AllocKind::StringConversion
        } else if t.contains("new(") || t.contains("&") && t.contains('{') {
            AllocKind::NewObject
        } else if is_index_assignment(t) {
            AllocKind::MapGrowth
        } else if t.contains("fmt.") || t.contains("errors.New(") {
            // The arguments of fmt's functions are boxed at the call (fmt's own buffers show up as
            // a frame below the line, `via` fmt.X).
            AllocKind::InterfaceBoxing
        } else {
            AllocKind::Other
        }
    }
}

fn is_index_assignment(t: &str) -> bool {
    let Some(eq) = t.find('=') else { return false };
    let lhs = t[..eq].trim_end_matches([':', '+', '-', '*', '/', '|', '&', '!', '<', '>']).trim();
    !t[eq..].starts_with("==") && lhs.ends_with(']') && lhs.contains('[')
}

/// Bytes and objects of one kind of allocation on a line.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CauseCost {
    pub kind: AllocKind,
    /// The library function the line called that allocated (`fmt.Sprintf`), when there is one.
    pub via: Option<String>,
    pub alloc_space: i64,
    pub alloc_objects: i64,
}

/// What the heap profiles measured on one line of an analysed file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LineCost {
    pub file: PathBuf,
    pub line: u32,
    /// The function as the profile names it (`example.com/m.(*T).Render`).
    pub function: String,
    pub alloc_space: i64,
    pub alloc_objects: i64,
    /// Fraction of all heap profiles' total alloc_space.
    pub share: f64,
    /// Largest first.
    pub causes: Vec<CauseCost>,
    /// Module lines this line's code was inlined into when it allocated (the callers' lines).
    pub inlined_into: Vec<(PathBuf, u32)>,
    /// The benchmarks (`BenchmarkEncode`, top-level names) on whose stacks this line allocated: the
    /// ones whose allocs/op a change of this line can move.
    #[serde(default)]
    pub benchmarks: Vec<String>,
}

impl LineCost {
    /// The kind carrying the most bytes.
    pub fn main_cause(&self) -> Option<&CauseCost> {
        self.causes.first()
    }
}

/// How a finding got its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    /// Samples on the finding's own line.
    Line,
    /// An `Origin::Inlined` finding at a call site: the samples of the inlined callee's lines that
    /// were inlined into this line (the callee's own finding counts the same bytes).
    InlinedCall,
    /// The profile is stale for this function: its bytes, not any line's.
    Function,
    /// No sample.
    None,
}

/// Measured cost of one finding.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FindingCost {
    /// `Finding::id`.
    pub finding: usize,
    pub alloc_space: i64,
    pub alloc_objects: i64,
    /// alloc_space / total alloc_space of the heap profiles (0 without samples).
    pub share: f64,
    /// Cumulative CPU share of the finding's function: the fraction of CPU (cpu/nanoseconds, else
    /// samples) in samples whose stack contains the function, inlined frames included. `None`
    /// without a CPU profile or when the finding names no function.
    pub cpu_share: Option<f64>,
    pub matched_by: MatchedBy,
}

/// A line that allocates at run time without a reportable finding (none, or only "does not
/// escape"): shown as a finding whose cost is "allocates".
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileSite {
    pub file: PathBuf,
    pub line: u32,
    pub function: String,
    pub alloc_space: i64,
    pub alloc_objects: i64,
    pub share: f64,
    pub kind: AllocKind,
    pub via: Option<String>,
    /// The line has a "does not escape" finding: the compiler kept the value on the stack yet the
    /// code allocates (variable-size make, growth, a callee's allocation).
    pub does_not_escape: bool,
}

/// Bytes of a function whose profiled lines no longer match the source.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StaleFunction {
    pub file: PathBuf,
    pub function: String,
    pub alloc_space: i64,
    pub alloc_objects: i64,
    /// Why its lines were not used (`Render starts at line 22 in the profile, 25 now`).
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// The profiles joined (heap and CPU).
    pub files: Vec<PathBuf>,
    pub total_alloc_space: i64,
    pub total_alloc_objects: i64,
    /// Bytes attributed to a line (or a stale function) of the analysed modules.
    pub module_alloc_space: i64,
    /// Bytes on lines with a reportable finding, over the total.
    pub matched_share: f64,
    /// Bytes on the lines a verified fix changes, over the total (`None` when no set was given).
    pub fixed_share: Option<f64>,
    /// Some frame no longer matched the source: line numbers were not trusted for it.
    pub stale: bool,
    /// Total CPU value (nanoseconds or samples) of the CPU profiles; 0 without one.
    pub total_cpu: i64,
}

/// Everything the report needs from the profiles.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Join {
    /// Every module line with heap samples, largest first.
    pub lines: Vec<LineCost>,
    /// One per finding given, in the same order.
    pub findings: Vec<FindingCost>,
    /// Lines that allocate without a reportable finding, largest first.
    pub sites: Vec<ProfileSite>,
    pub stale: Vec<StaleFunction>,
    pub summary: Summary,
    /// For the user: profiles with no sample in the analysed packages, profiles of another kind.
    pub warnings: Vec<String>,
}

/// A decoded profile and the file it came from (named in warnings).
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    pub path: PathBuf,
    pub profile: Profile,
}

impl LoadedProfile {
    pub fn read(path: &Path) -> anyhow::Result<LoadedProfile> {
        Ok(LoadedProfile { path: path.to_path_buf(), profile: super::decode::read(path)? })
    }
}

/// Values by pprof id. Ids are small and dense in practice (1..n), so a vector indexed by id
/// replaces hashing on every frame of every sample; sparse ids fall back to a map.
enum ById<T> {
    Dense(Vec<Option<T>>),
    Sparse(HashMap<u64, T>),
}

impl<T> ById<T> {
    fn get(&self, id: u64) -> Option<&T> {
        match self {
            ById::Dense(v) => v.get(usize::try_from(id).ok()?)?.as_ref(),
            ById::Sparse(m) => m.get(&id),
        }
    }
}

impl<T> FromIterator<(u64, T)> for ById<T> {
    fn from_iter<I: IntoIterator<Item = (u64, T)>>(iter: I) -> Self {
        let pairs: Vec<(u64, T)> = iter.into_iter().collect();
        let max = pairs.iter().map(|(id, _)| *id).max().unwrap_or(0);
        if max as usize <= 4 * pairs.len() + 16 {
            let mut v: Vec<Option<T>> = std::iter::repeat_with(|| None).take(max as usize + 1).collect();
            for (id, x) in pairs {
                v[id as usize] = Some(x);
            }
            ById::Dense(v)
        } else {
            ById::Sparse(pairs.into_iter().collect())
        }
    }
}

/// One frame of a flattened stack (leaf first, inline frames expanded).
struct Frame<'a> {
    id: u64,
    function: &'a str,
    line: u32,
    start_line: u32,
    /// Index of its Location in the sample's stack: frames of one Location share it.
    location: usize,
}

use super::decls::{DeclCache, Decls};

struct SourceCache {
    files: HashMap<PathBuf, Option<(Vec<String>, Decls)>>,
    decls: DeclCache,
}

impl SourceCache {
    fn get(&mut self, path: &Path) -> Option<&(Vec<String>, Decls)> {
        self.files
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let text = std::fs::read_to_string(path).ok()?;
                let decls = self.decls.get(&text, declarations);
                Some((text.lines().map(str::to_string).collect(), decls))
            })
            .as_ref()
    }
}

/// Top-level function and method declarations with their line ranges (1-based), by tree-sitter.
fn declarations(text: &str) -> Decls {
    let mut parser = tree_sitter::Parser::new();
    let mut out = Decls::new();
    if parser.set_language(&tree_sitter_go::LANGUAGE.into()).is_err() {
        return out;
    }
    let Some(tree) = parser.parse(text, None) else { return out };
    let root = tree.root_node();
    let mut cursor = root.walk();
    for node in root.children(&mut cursor) {
        let name = node.child_by_field_name("name").and_then(|n| n.utf8_text(text.as_bytes()).ok());
        let Some(name) = name else { continue };
        let key = match node.kind() {
            "function_declaration" => name.to_string(),
            "method_declaration" => {
                let recv = node.child_by_field_name("receiver").and_then(|r| r.utf8_text(text.as_bytes()).ok());
                // `(t *T[K])` → `T`: the last word of the receiver without pointer or type arguments.
                let recv = recv.unwrap_or("");
                let ty = recv.trim_matches(['(', ')']).split_whitespace().last().unwrap_or("");
                let ty = ty.trim_start_matches('*');
                let ty = ty.split('[').next().unwrap_or(ty);
                format!("{ty}.{name}")
            }
            _ => continue,
        };
        let (start, end) = (node.start_position().row as u32 + 1, node.end_position().row as u32 + 1);
        out.insert(key, (start, end));
    }
    out
}

/// `example.com/m/sub.(*T[...]).Method.func1` → (`example.com/m/sub`, `T.Method`): the package and
/// the declaration a profile function name belongs to (closures belong to their enclosing
/// declaration).
pub fn split_function_name(name: &str) -> (&str, String) {
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    let (pkg, rest) = match name[slash..].find('.') {
        Some(dot) => (&name[..slash + dot], &name[slash + dot + 1..]),
        None => ("", name),
    };
    (pkg, declaration_key(rest))
}

/// The declaration key of a function name without its package, as the compiler (`(*T).M`,
/// `Render.func1`, `F[...]`) or the profile prints it.
pub fn declaration_key(name: &str) -> String {
    let name = strip_type_args(name);
    if let Some(rest) = name.strip_prefix('(') {
        let (recv, after) = rest.split_once(").").unwrap_or((rest, ""));
        let method = after.split('.').next().unwrap_or("");
        format!("{}.{method}", recv.trim_start_matches('*'))
    } else {
        let mut parts = name.split('.');
        let first = parts.next().unwrap_or("");
        // `T.Method` (value receiver) vs `F.func1` (closure): methods name a declared type.
        match parts.next() {
            // `init.0` (the first of several init functions) is not a method either.
            Some(second)
                if !second.starts_with("func")
                    && !second.starts_with("deferwrap")
                    && !second.starts_with("gowrap")
                    && second.parse::<u32>().is_err()
                    && !second.is_empty() =>
            {
                format!("{first}.{second}")
            }
            _ => first.to_string(),
        }
    }
}

/// The declaration of `fr`'s file that holds a closure frame's line and literal (its start line) and
/// whose name is part of the frame's name: where a closure of an inlined function really lives.
fn closure_home<'d>(decls: &'d Decls, fr: &Frame) -> Option<&'d str> {
    let segments: Vec<&str> = fr.function.split(['.', '(', ')', '*']).filter(|s| !s.is_empty()).collect();
    decls
        .iter()
        .filter(|(_, &(start, end))| {
            (start..=end).contains(&fr.line) && (fr.start_line == 0 || (start..=end).contains(&fr.start_line))
        })
        .find(|(key, _)| key.rsplit('.').next().is_some_and(|name| segments.contains(&name)))
        .map(|(key, _)| key.as_str())
}

/// `pkg.F.func1`, `pkg.(*T).M.gowrap2`: a function literal (or a wrapper the compiler made for one).
fn is_closure(name: &str) -> bool {
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    strip_type_args(&name[slash..]).split('.').skip(1).any(|seg| {
        ["func", "gowrap", "deferwrap"]
            .iter()
            .any(|p| seg.strip_prefix(p).is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())))
    })
}

fn strip_type_args(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0;
    for c in name.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn is_runtime(function: &str) -> bool {
    function.starts_with("runtime.") || function.starts_with("internal/runtime/")
}

#[derive(Default)]
struct LineAcc {
    function: String,
    space: i64,
    objects: i64,
    causes: BTreeMap<(AllocKind, Option<String>), (i64, i64)>,
    inlined_into: Vec<(PathBuf, u32)>,
    benchmarks: BTreeSet<String>,
}

/// The benchmark a pprof function belongs to: `example.com/m.BenchmarkEncode` and its closures
/// (`BenchmarkEncode.func1`, which `b.Run` runs on a stack without the benchmark itself) give
/// `BenchmarkEncode`.
fn benchmark_name(function: &str) -> Option<&str> {
    let tail = function.rsplit('/').next().unwrap_or(function);
    // The first segment is the package's name.
    tail.split('.').skip(1).find(|seg| {
        seg.strip_prefix("Benchmark").is_some_and(|r| r.is_empty() || !r.starts_with(|c: char| c.is_ascii_lowercase()))
    })
}

/// Join `profiles` (heap and CPU; others are ignored with a warning) with `findings` over the files
/// of `scope`. `fixed` holds the (file, line) pairs a verified fix changes, for `fixed_share`.
pub fn join(
    profiles: &[LoadedProfile],
    scope: &Scope,
    findings: &[Finding],
    fixed: Option<&HashSet<(PathBuf, u32)>>,
) -> Join {
    let mut out = Join::default();
    let mut sources = SourceCache { files: HashMap::new(), decls: DeclCache::open() };
    let mut lines: HashMap<(PathBuf, u32), LineAcc> = HashMap::new();
    let mut stale: HashMap<(PathBuf, String), StaleFunction> = HashMap::new();
    // CPU: cumulative value per (file, declaration key), and the total.
    let mut cpu: HashMap<(PathBuf, String), i64> = HashMap::new();
    let mut have_cpu = false;

    for lp in profiles {
        let p = &lp.profile;
        out.summary.files.push(lp.path.clone());
        let kind = p.kind();
        if kind == ProfileKind::Other {
            out.warnings.push(format!(
                "{}: not a heap or CPU profile ({}), ignored",
                lp.path.display(),
                p.sample_types().join(", ")
            ));
            continue;
        }
        let functions: ById<&super::decode::Function> = p.function.iter().map(|f| (f.id, f)).collect();
        let locations: ById<&super::decode::Location> = p.location.iter().map(|l| (l.id, l)).collect();
        // Resolve each function's file once: stacks repeat the same few functions.
        // The function's package must be one of the modules' (or a main package): a file name alone
        // can match the standard library's (`$GOROOT/src/context/context.go` ends like a module's
        // `context.go`).
        let ours = |name: &str| {
            let pkg = split_function_name(name).0;
            let pkg = pkg.strip_suffix(".test").unwrap_or(pkg);
            pkg == "main"
                || scope.modules().iter().any(|m| {
                    pkg == m.path
                        || pkg.starts_with(&format!("{}/", m.path))
                        || pkg.starts_with(&format!("{}.test/", m.path))
                })
        };
        let resolved: ById<PathBuf> = p
            .function
            .iter()
            .filter_map(|f| {
                let file = scope.resolve(p.string(f.filename)).filter(|_| ours(p.string(f.name)))?;
                Some((f.id, file.to_path_buf()))
            })
            .collect();
        let decl_keys: ById<String> = p
            .function
            .iter()
            .filter(|f| resolved.get(f.id).is_some())
            .map(|f| (f.id, split_function_name(p.string(f.name)).1))
            .collect();
        let (space_i, objects_i, cpu_i) = match kind {
            ProfileKind::Heap => (p.value_index("alloc_space"), p.value_index("alloc_objects"), None),
            _ => (None, None, p.value_index("cpu").or_else(|| p.value_index("samples"))),
        };
        let mut in_module = false;
        // Reused across samples: a profile made with -memprofilerate=1 has tens of thousands.
        let mut frames: Vec<Frame> = Vec::new();
        let mut module_files: Vec<Option<&PathBuf>> = Vec::new();
        for s in &p.sample {
            let value = |i: Option<usize>| i.and_then(|i| s.value.get(i).copied()).unwrap_or(0);
            frames.clear();
            module_files.clear();
            for (li, id) in s.location_id.iter().enumerate() {
                let Some(loc) = locations.get(*id) else { continue };
                for l in &loc.line {
                    let Some(f) = functions.get(l.function_id) else { continue };
                    let line = l.line.max(0) as u32;
                    frames.push(Frame {
                        id: f.id,
                        function: p.string(f.name),
                        line,
                        start_line: f.start_line.max(0) as u32,
                        location: li,
                    });
                    // A frame without a line (assembly, stripped tables) cannot be a site: walk past it.
                    module_files.push(resolved.get(f.id).filter(|_| line > 0));
                }
                // A heap sample is charged to its innermost module frame (and reads the frames of
                // that location, for an inlining caller): the rest of the stack is not needed.
                if cpu_i.is_none() && module_files.iter().any(Option::is_some) {
                    break;
                }
            }

            if let Some(ci) = cpu_i {
                have_cpu = true;
                let v = value(Some(ci));
                out.summary.total_cpu += v;
                let mut seen: HashSet<(PathBuf, String)> = HashSet::new();
                for (fr, file) in frames.iter().zip(&module_files) {
                    if let Some(file) = file {
                        in_module = true;
                        let key = decl_keys.get(fr.id).expect("a key for every resolved function");
                        seen.insert(((*file).clone(), key.clone()));
                    }
                }
                for key in seen {
                    *cpu.entry(key).or_default() += v;
                }
                continue;
            }

            let (space, objects) = (value(space_i), value(objects_i));
            out.summary.total_alloc_space += space;
            out.summary.total_alloc_objects += objects;
            let Some(i) = module_files.iter().position(Option::is_some) else { continue };
            in_module = true;
            let file = module_files[i].unwrap().clone();
            let fr = &frames[i];
            let decl = decl_keys.get(fr.id).expect("a key for every resolved function").clone();

            // Check the frame against the current source before trusting its line.
            let check = match sources.get(&file) {
                None => Err(format!("{} no longer exists", file.display())),
                Some((_, decls)) => match decls.get(&decl) {
                    // Code outside any declaration (package-level variable initialisers, closures
                    // in them, init functions) cannot be checked by range: trust its line.
                    None if decl == "init" || decl == "glob" => Ok(()),
                    None => Err(format!("{decl} is no longer declared in {}", file.display())),
                    // A closure's start line is the literal's, not its declaration's.
                    Some(&(start, _)) if fr.start_line > 0 && start != fr.start_line && !is_closure(fr.function) => {
                        Err(format!("{decl} starts at line {} in the profile, {start} now", fr.start_line))
                    }
                    Some(&(start, end)) if fr.line < start || fr.line > end => {
                        Err(format!("line {} is no longer inside {decl} (lines {start}-{end})", fr.line))
                    }
                    Some(_) => Ok(()),
                },
            };
            // A closure of a function inlined into another is named after the whole chain
            // (`(*Mux).routeHTTP.(*Mux).MethodNotAllowedHandler.methodNotAllowedHandler.func2`): its
            // literal sits in the innermost function of the chain, not in the outer one the key names.
            let check = check.or_else(|reason| match sources.get(&file) {
                Some((_, decls)) if is_closure(fr.function) && closure_home(decls, fr).is_some() => Ok(()),
                _ => Err(reason),
            });
            if let Err(reason) = check {
                let e = stale.entry((file.clone(), decl.clone())).or_insert_with(|| StaleFunction {
                    file: file.clone(),
                    function: fr.function.to_string(),
                    alloc_space: 0,
                    alloc_objects: 0,
                    reason,
                });
                e.alloc_space += space;
                e.alloc_objects += objects;
                out.summary.module_alloc_space += space;
                continue;
            }

            // The kind: the runtime entry point called from outside the runtime, else the library
            // function the line called, else the line's syntax.
            let runtime_entry = (0..i)
                .rev()
                .find(|&j| is_runtime(frames[j].function))
                .and_then(|j| (0..=j).rev().find_map(|k| AllocKind::from_runtime(frames[k].function)));
            let via = (i > 0 && !is_runtime(frames[i - 1].function)).then(|| frames[i - 1].function.to_string());
            let kind = match (runtime_entry, &via) {
                (Some(k), _) => k,
                (None, Some(_)) => AllocKind::Call,
                (None, None) => sources
                    .get(&file)
                    .and_then(|(text, _)| text.get(fr.line.checked_sub(1)? as usize))
                    .map_or(AllocKind::Other, |t| AllocKind::from_line(t)),
            };
            // The caller's line, when this frame was inlined into a module function.
            let caller = (i + 1 < frames.len() && frames[i + 1].location == fr.location)
                .then(|| module_files[i + 1].map(|f| (f.clone(), frames[i + 1].line)))
                .flatten();

            // The benchmark running this sample, near the stack's root (past the frames read above).
            let bench = s.location_id.iter().rev().find_map(|id| {
                locations
                    .get(*id)?
                    .line
                    .iter()
                    .find_map(|l| benchmark_name(p.string(functions.get(l.function_id)?.name)))
            });
            let acc = lines.entry((file, fr.line)).or_default();
            if acc.function.is_empty() {
                acc.function = fr.function.to_string();
            }
            if let Some(b) = bench {
                if !acc.benchmarks.contains(b) {
                    acc.benchmarks.insert(b.to_string());
                }
            }
            acc.space += space;
            acc.objects += objects;
            let c = acc.causes.entry((kind, via)).or_default();
            c.0 += space;
            c.1 += objects;
            if let Some(caller) = caller {
                if !acc.inlined_into.contains(&caller) {
                    acc.inlined_into.push(caller);
                }
            }
            out.summary.module_alloc_space += space;
        }
        if !in_module {
            out.warnings.push(format!(
                "{}: no sample falls in the analysed packages (a profile of another program or of other packages?)",
                lp.path.display()
            ));
        }
    }

    let total = out.summary.total_alloc_space;
    let share = |b: i64| if total > 0 { b as f64 / total as f64 } else { 0.0 };
    sources.decls.save();
    out.lines = lines
        .into_iter()
        .map(|((file, line), a)| {
            let mut causes: Vec<CauseCost> = a
                .causes
                .into_iter()
                .map(|((kind, via), (s, o))| CauseCost { kind, via, alloc_space: s, alloc_objects: o })
                .collect();
            causes.sort_by(|x, y| y.alloc_space.cmp(&x.alloc_space).then(x.kind.cmp(&y.kind)));
            LineCost {
                file,
                line,
                function: a.function,
                alloc_space: a.space,
                alloc_objects: a.objects,
                share: share(a.space),
                causes,
                inlined_into: a.inlined_into,
                benchmarks: a.benchmarks.into_iter().collect(),
            }
        })
        .collect();
    out.lines.sort_by(|a, b| b.alloc_space.cmp(&a.alloc_space).then(a.file.cmp(&b.file)).then(a.line.cmp(&b.line)));
    out.stale = stale.into_values().collect();
    out.stale.sort_by(|a, b| b.alloc_space.cmp(&a.alloc_space).then(a.function.cmp(&b.function)));
    out.summary.stale = !out.stale.is_empty();

    let by_line: HashMap<(&Path, u32), &LineCost> = out.lines.iter().map(|l| ((l.file.as_path(), l.line), l)).collect();
    // Lines whose own code has a finding (an inlined finding names the callee's code, not the line's).
    let reportable: HashSet<(&Path, u32)> = findings
        .iter()
        .filter(|f| f.is_reportable() && !matches!(f.origin, Origin::Inlined { .. }))
        .filter_map(|f| Some((f.file.as_deref()?, f.line())))
        .collect();
    let quiet: HashSet<(&Path, u32)> = findings
        .iter()
        .filter(|f| f.kind == Kind::DoesNotEscape)
        .filter_map(|f| Some((f.file.as_deref()?, f.line())))
        .collect();
    let cpu_total = out.summary.total_cpu;

    for f in findings {
        let mut cost = FindingCost {
            finding: f.id,
            alloc_space: 0,
            alloc_objects: 0,
            share: 0.0,
            cpu_share: None,
            matched_by: MatchedBy::None,
        };
        if let Some(file) = f.file.as_deref() {
            // An inlined finding is about the callee's code: the line's own allocations are not its.
            if matches!(f.origin, Origin::Inlined { .. }) {
                let here = (file.to_path_buf(), f.line());
                for l in out.lines.iter().filter(|l| l.inlined_into.contains(&here)) {
                    cost.alloc_space += l.alloc_space;
                    cost.alloc_objects += l.alloc_objects;
                    cost.matched_by = MatchedBy::InlinedCall;
                }
            } else if let Some(l) = by_line.get(&(file, f.line())) {
                (cost.alloc_space, cost.alloc_objects, cost.matched_by) =
                    (l.alloc_space, l.alloc_objects, MatchedBy::Line);
            }
            if cost.matched_by == MatchedBy::None {
                let key = f.function.as_deref().map(declaration_key);
                if let Some(s) = out
                    .stale
                    .iter()
                    .find(|s| s.file == file && key.as_deref() == Some(split_function_name(&s.function).1.as_str()))
                {
                    (cost.alloc_space, cost.alloc_objects, cost.matched_by) =
                        (s.alloc_space, s.alloc_objects, MatchedBy::Function);
                }
            }
            if have_cpu {
                cost.cpu_share = f.function.as_deref().map(|name| {
                    let v = cpu.get(&(file.to_path_buf(), declaration_key(name))).copied().unwrap_or(0);
                    if cpu_total > 0 {
                        v as f64 / cpu_total as f64
                    } else {
                        0.0
                    }
                });
            }
        }
        cost.share = share(cost.alloc_space);
        out.findings.push(cost);
    }

    let mut matched = 0;
    let mut fixed_bytes = 0;
    for l in &out.lines {
        let key = (l.file.as_path(), l.line);
        if reportable.contains(&key) {
            matched += l.alloc_space;
        } else if let Some(c) = l.main_cause() {
            out.sites.push(ProfileSite {
                file: l.file.clone(),
                line: l.line,
                function: l.function.clone(),
                alloc_space: l.alloc_space,
                alloc_objects: l.alloc_objects,
                share: l.share,
                kind: c.kind,
                via: c.via.clone(),
                does_not_escape: quiet.contains(&key),
            });
        }
        if fixed.is_some_and(|set| set.contains(&(l.file.clone(), l.line))) {
            fixed_bytes += l.alloc_space;
        }
    }
    out.summary.matched_share = share(matched);
    out.summary.fixed_share = fixed.map(|_| share(fixed_bytes));
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn benchmark_names_from_pprof_functions() {
        assert_eq!(benchmark_name("example.com/m.BenchmarkEncode"), Some("BenchmarkEncode"));
        assert_eq!(benchmark_name("example.com/m.BenchmarkEncode.func1"), Some("BenchmarkEncode"));
        assert_eq!(benchmark_name("example.com/m/v2.BenchmarkKey"), Some("BenchmarkKey"));
        assert_eq!(benchmark_name("example.com/m.Benchmarker"), None);
        assert_eq!(benchmark_name("testing.(*B).runN"), None);
        assert_eq!(benchmark_name("example.com/Benchmark.Run"), None);
    }

    use super::*;

    #[test]
    fn a_closure_of_an_inlined_function_lives_in_the_innermost_declaration_of_its_name() {
        // chi v5.2: methodNotAllowedHandler (lines 532-540) is inlined into routeHTTP (455-499); its
        // closure's frame, at line 535 with its literal at 533, is named after the whole chain.
        let decls: Decls = [
            ("Mux.routeHTTP".to_string(), (455, 499)),
            ("Mux.MethodNotAllowedHandler".to_string(), (300, 310)),
            ("methodNotAllowedHandler".to_string(), (532, 540)),
        ]
        .into_iter()
        .collect();
        let name =
            "github.com/go-chi/chi/v5.(*Mux).routeHTTP.(*Mux).MethodNotAllowedHandler.methodNotAllowedHandler.func2";
        let fr = |line, start_line| Frame { id: 1, function: name, line, start_line, location: 0 };
        assert_eq!(closure_home(&decls, &fr(535, 533)), Some("methodNotAllowedHandler"));
        // Lines outside every declaration of the chain stay unexplained (the profile is stale).
        assert_eq!(closure_home(&decls, &fr(600, 598)), None);
        // A declaration that holds the line but is not part of the name does not count.
        let other: Decls = [("unrelated".to_string(), (530, 545))].into_iter().collect();
        assert_eq!(closure_home(&other, &fr(535, 533)), None);
    }

    #[test]
    fn ids_index_densely_or_sparsely_with_the_same_answers() {
        let dense: ById<&str> = [(1, "a"), (2, "b"), (4, "d")].into_iter().collect();
        assert!(matches!(dense, ById::Dense(_)));
        let sparse: ById<&str> = [(1, "a"), (1 << 40, "z")].into_iter().collect();
        assert!(matches!(sparse, ById::Sparse(_)));
        for m in [&dense, &sparse] {
            assert_eq!(m.get(1), Some(&"a"));
            assert_eq!(m.get(3), None);
            assert_eq!(m.get(u64::MAX), None);
        }
        assert_eq!(dense.get(4), Some(&"d"));
        assert_eq!(sparse.get(1 << 40), Some(&"z"));
    }

    fn scope() -> Scope {
        let modules = vec![
            ModuleRoot { dir: "/home/a/src/m".into(), path: "example.com/m".into() },
            ModuleRoot { dir: "/home/a/src/m/tools".into(), path: "example.com/m/tools".into() },
        ];
        let files = ["/home/a/src/m/hot.go", "/home/a/src/m/sub/hot.go", "/home/a/src/m/tools/x.go", "/elsewhere/y.go"];
        Scope::new(modules, files.map(PathBuf::from))
    }

    #[test]
    fn resolves_by_module_relative_path() {
        let s = scope();
        let r = |n: &str| s.resolve(n).map(|p| p.display().to_string());
        assert_eq!(r("/home/a/src/m/hot.go").as_deref(), Some("/home/a/src/m/hot.go"));
        // Another checkout: the longest relative suffix decides.
        assert_eq!(r("/ci/build/m/sub/hot.go").as_deref(), Some("/home/a/src/m/sub/hot.go"));
        assert_eq!(r("/ci/build/m/hot.go").as_deref(), Some("/home/a/src/m/hot.go"));
        // -trimpath names: module path + relative path; the nested module owns its files.
        assert_eq!(r("example.com/m/sub/hot.go").as_deref(), Some("/home/a/src/m/sub/hot.go"));
        assert_eq!(r("example.com/m/tools/x.go").as_deref(), Some("/home/a/src/m/tools/x.go"));
        // Library frames never match, even with a file of the same name.
        assert_eq!(r("/root/go/pkg/mod/example.com/other@v1.0.0/hot.go"), None);
        assert_eq!(r("$GOROOT/src/fmt/print.go"), None);
        assert_eq!(r("/usr/local/go/src/runtime/y.go"), None);
        assert_eq!(r("/ci/build/m/hotter.go"), None);
        assert_eq!(r("/ci/build/m/xhot.go"), None);
    }

    #[test]
    fn closures_are_told_from_methods() {
        assert!(is_closure("example.com/m.Render.func1"));
        assert!(is_closure("example.com/m.(*T[...]).M.gowrap2"));
        assert!(is_closure("example.com/m.F.func1.1"));
        assert!(!is_closure("example.com/m.(*T).Func1"));
        assert!(!is_closure("example.com/m.T.function"));
        assert!(!is_closure("example.com/m.init.0"));
    }

    #[test]
    fn function_names_map_to_declarations() {
        assert_eq!(
            split_function_name("example.com/m/sub.(*Buf[...]).Write.func1"),
            ("example.com/m/sub", "Buf.Write".into())
        );
        assert_eq!(split_function_name("example.com/m.Render"), ("example.com/m", "Render".into()));
        assert_eq!(split_function_name("main.T.String"), ("main", "T.String".into()));
        assert_eq!(split_function_name("example.com/m.Render.func2"), ("example.com/m", "Render".into()));
        assert_eq!(declaration_key("(*T).M"), "T.M");
        assert_eq!(declaration_key("init.0"), "init");
        assert_eq!(declaration_key("init.func1"), "init");
        assert_eq!(declaration_key("Map[go.shape.int]"), "Map");
        let d = declarations("package p\n\nfunc A() {\n}\n\nfunc (t *T[K]) M() {}\n");
        assert_eq!(d.get("A"), Some(&(3, 4)));
        assert_eq!(d.get("T.M"), Some(&(6, 6)));
    }

    #[test]
    fn kinds_from_runtime_names_and_lines() {
        assert_eq!(AllocKind::from_runtime("runtime.makeslice"), Some(AllocKind::VariableSizeMake));
        assert_eq!(AllocKind::from_runtime("runtime.makechan"), Some(AllocKind::Channel));
        assert_eq!(AllocKind::from_line("\t\titems: make(chan item, 10),"), AllocKind::Channel);
        assert_eq!(AllocKind::from_runtime("runtime.growslice"), Some(AllocKind::SliceGrowth));
        assert_eq!(AllocKind::from_runtime("runtime.concatstring3"), Some(AllocKind::StringConcatenation));
        assert_eq!(AllocKind::from_runtime("runtime.convT64"), Some(AllocKind::InterfaceBoxing));
        assert_eq!(AllocKind::from_runtime("runtime.mapassign_faststr"), Some(AllocKind::MapGrowth));
        assert_eq!(AllocKind::from_runtime("internal/runtime/maps.(*table).split"), Some(AllocKind::MapGrowth));
        assert_eq!(AllocKind::from_runtime("runtime.mallocgc"), None);
        assert_eq!(AllocKind::from_line("\tm[r.Name] = r.ID"), AllocKind::MapGrowth);
        assert_eq!(AllocKind::from_line("\tif m[k] == 1 {"), AllocKind::Other);
        assert_eq!(AllocKind::from_line("\ts += n + \";\" // x"), AllocKind::StringConcatenation);
        assert_eq!(AllocKind::from_line("\tp := &T{}"), AllocKind::NewObject);
    }
}
