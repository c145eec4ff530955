//! Rules: each one turns findings plus parsed source (plus type facts) into proposed fixes, or says why
//! it declines. Rules never touch files or spawn processes, and they only propose: the verifier
//! decides. Adding a rule is one file here, one line in [`registry`], and its description in rules/.

pub mod builder_grow;
pub mod closure_param;
pub mod codes;
pub mod fmt_sprintf;
pub mod fprintf_string;
pub mod method_value;
pub mod prealloc;
pub mod range_addr;
pub mod return_value;
pub mod slice_to_array;
pub mod sort_slice;
pub mod write_string;

use crate::findings::Finding;
use crate::fix::{Evidence, ExpectNew, TextEdit};
use crate::go::helper::{ExprFacts, ImportFacts, Query, QueryResult, ScopeFacts, UsesFacts};
use crate::go::Package;
use crate::source::SourceFile;
use codes::DeclineCode;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Findings grouped at one piece of syntax (e.g. all boxed arguments of one `fmt.Sprintf` call).
pub struct Site<'a> {
    pub source: &'a SourceFile,
    pub package: &'a Package,
    /// Byte span of the anchor node (the call, the declaration...) in `source`.
    pub anchor: (usize, usize),
    pub findings: Vec<&'a Finding>,
    /// Closure captures and inlining decisions the compiler printed.
    pub notes: &'a crate::findings::attribute::CompilerNotes,
}

impl Site<'_> {
    pub fn file(&self) -> &Path {
        &self.source.path
    }
    /// The anchor node in the tree.
    pub fn node(&self) -> tree_sitter::Node<'_> {
        self.source
            .tree
            .root_node()
            .named_descendant_for_byte_range(self.anchor.0, self.anchor.1)
            .expect("anchor spans a node")
    }
}

/// What a rule hands back when it can fix a site.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub edits: Vec<TextEdit>,
    pub add_imports: Vec<String>,
    pub removed_uses: Vec<(String, usize)>,
    pub title: String,
    pub explanation: String,
    pub expect_new: ExpectNew,
}

/// Why a rule will not rewrite a site it matched. Shown in reports: declines are part of the truth.
/// `code` is stable (scripts and tests match it); `reason` is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    pub code: codes::DeclineCode,
    pub reason: String,
}

impl Decline {
    pub fn new(code: codes::DeclineCode, reason: impl Into<String>) -> Self {
        Decline { code, reason: reason.into() }
    }
}

/// What a rule is, declared once in its file. `--list-rules`, the title of its document
/// (`# <id>: <summary>`) and the README's rule table all show `summary`; a test keeps them equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMeta {
    pub id: &'static str,
    /// One line: the shape matched → the rewrite.
    pub summary: &'static str,
    /// The rule's document, relative to the repository root.
    pub doc: &'static str,
    /// The oldest Go 1.x minor release the module must declare for the rewrite to be valid.
    pub min_go: Option<u32>,
    /// The fixture module the rule's tests rewrite, relative to the repository root.
    pub fixture: &'static str,
}

pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;
    fn id(&self) -> &'static str {
        self.meta().id
    }
    /// One line for `--list-rules`.
    fn summary(&self) -> &'static str {
        self.meta().summary
    }
    fn evidence(&self) -> Evidence;
    /// Cheap test on the finding alone, before any file is parsed.
    fn interested(&self, finding: &Finding) -> bool;
    /// The span of the syntax this finding is about, grouping findings into sites; `None` when the
    /// finding is not this rule's shape after all.
    fn anchor(&self, finding: &Finding, source: &SourceFile, offset: usize) -> Option<(usize, usize)>;
    /// Type questions this site needs answered (may be empty). `Err` declines without asking.
    fn queries(&self, site: &Site) -> Result<Vec<Query>, Decline>;
    fn propose(&self, site: &Site, facts: &Facts) -> Result<Proposal, Decline>;
    /// For fewer-allocations rules: what the rewrite saves, in the words shown while it is unproven.
    fn allocation_claim(&self) -> &'static str {
        "reduces growth reallocations"
    }
    /// Whether the rule looks at findings reported for inlined code. Most rules fix the callee, not
    /// the call site; a rule about a standard-library method inlined at the user's call does not.
    fn sees_inlined(&self) -> bool {
        false
    }
    /// Whether the fix proposed at `site` sizes something by an upper bound (trading memory for
    /// allocations): such a fix is only written where a benchmark shows fewer allocations.
    fn upper_bound(&self, _site: &Site) -> bool {
        false
    }
    /// Lines of the site's file, beyond its findings' lines, where the allocations the fix removes
    /// happen at run time (a map's `m[k] = v`): a profile's bytes there count for the fix.
    fn hot_lines(&self, _site: &Site) -> Vec<u32> {
        Vec::new()
    }
}

/// Every rule, in a stable order.
pub fn registry() -> Vec<Box<dyn Rule>> {
    let all: Vec<Box<dyn Rule>> = vec![
        Box::new(fmt_sprintf::FmtSprintf),
        Box::new(fprintf_string::FprintfString),
        Box::new(prealloc::PreallocSlice),
        Box::new(prealloc::PreallocMap),
        Box::new(closure_param::ClosureParam),
        Box::new(slice_to_array::SliceToArray),
        Box::new(range_addr::RangeAddr),
        Box::new(method_value::MethodValue),
        Box::new(return_value::ReturnValue),
        Box::new(sort_slice::SortSlice),
        Box::new(builder_grow::BuilderGrow),
        Box::new(write_string::WriteString),
    ];
    all
}

/// Type facts answered by the helper, looked up by the query that asked for them.
#[derive(Default)]
pub struct Facts {
    answers: HashMap<Query, QueryResult>,
    /// Type errors per package: a rule must not trust facts from a package that did not type-check.
    pub package_errors: HashMap<String, Vec<String>>,
    /// The run's rule settings (carried here so that a rule's signature need not change).
    pub options: RuleOptions,
}

/// Settings that widen what rules propose, from the command line and stackify.toml.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleOptions {
    /// prealloc-slice may size a filter loop's slice with the loop's bound (an upper bound):
    /// `--prealloc-upper-bound`, `[rules.prealloc-slice] filter_loops`, or the line measured hot.
    pub upper_bound: bool,
}

impl Facts {
    pub fn new(queries: &[Query], results: Vec<QueryResult>, package_errors: HashMap<String, Vec<String>>) -> Self {
        let mut answers = HashMap::new();
        for r in results {
            if let Some(q) = queries.get(r.id) {
                answers.insert(q.clone(), r);
            }
        }
        Facts { answers, package_errors, options: RuleOptions::default() }
    }

    pub fn expr(&self, file: &Path, start: usize, end: usize) -> Option<&ExprFacts> {
        let q = Query::Expr { file: file.to_path_buf(), start, end };
        self.answers.get(&q)?.expr.as_ref().filter(|e| e.found)
    }

    pub fn scope(&self, file: &Path, offset: usize, name: &str) -> Option<&ScopeFacts> {
        let q = Query::Scope { file: file.to_path_buf(), offset, name: name.to_string() };
        self.answers.get(&q)?.scope.as_ref()
    }

    /// Every reference to the object denoted by the identifier starting at `offset` in `file`.
    pub fn uses(&self, file: &Path, offset: usize) -> Option<&UsesFacts> {
        let q = Query::Uses { file: file.to_path_buf(), offset };
        self.answers.get(&q)?.uses.as_ref()
    }

    pub fn imports(&self, file: &Path) -> Option<&[ImportFacts]> {
        let q = Query::Imports { file: file.to_path_buf() };
        self.answers.get(&q)?.imports.as_deref()
    }

    /// Every `imports` answer, by file (the composer needs them to drop unused imports).
    pub fn take_imports(&self) -> Vec<(PathBuf, Vec<ImportFacts>)> {
        self.answers
            .iter()
            .filter_map(|(q, r)| match q {
                Query::Imports { file } => Some((file.clone(), r.imports.clone()?)),
                _ => None,
            })
            .collect()
    }

    pub fn expr_query(file: &Path, node: tree_sitter::Node) -> Query {
        Query::Expr { file: file.to_path_buf(), start: node.start_byte(), end: node.end_byte() }
    }
}

/// Rules selected by `--rule`/`--skip-rule` (ids checked against the registry by the caller).
pub fn select(only: &[String], skip: &[String]) -> Vec<Box<dyn Rule>> {
    registry()
        .into_iter()
        .filter(|r| only.is_empty() || only.iter().any(|o| o == r.id()))
        .filter(|r| !skip.iter().any(|s| s == r.id()))
        .collect()
}

pub fn known_ids() -> Vec<&'static str> {
    registry().iter().map(|r| r.id()).collect()
}

/// How an import is referred to at a site: its local name when imported and visible there, or a
/// fresh `import "path"` when the plain name is free. `Err` explains a collision.
pub fn qualifier(facts: &Facts, file: &Path, at: usize, path: &str) -> Result<(String, bool), Decline> {
    let default_name = path.rsplit('/').next().unwrap_or(path);
    let imports =
        facts.imports(file).ok_or_else(|| Decline::new(DeclineCode::NoTypeFacts, "no import facts for the file"))?;
    if let Some(imp) = imports.iter().find(|i| i.path == path) {
        if imp.name == "_" || imp.name == "." {
            return Err(Decline::new(
                DeclineCode::ImportDotOrBlank,
                format!("{path} is imported as {:?}; not adding a second import", imp.name),
            ));
        }
        let name = if imp.local_name.is_empty() { default_name } else { &imp.local_name };
        return match facts.scope(file, at, name) {
            Some(s) if s.kind == "pkgname" && s.pkg_path.as_deref() == Some(path) => Ok((name.to_string(), false)),
            _ => Err(Decline::new(
                DeclineCode::PackageNameShadowed,
                format!("`{name}` does not refer to package {path} here (shadowed)"),
            )),
        };
    }
    match facts.scope(file, at, default_name) {
        Some(s) if s.kind == "none" => Ok((default_name.to_string(), true)),
        Some(s) => Err(Decline::new(
            DeclineCode::PackageNameShadowed,
            format!(
                "`{default_name}` already means a {} {} here; importing {path} would not be visible",
                s.level.as_deref().unwrap_or(""),
                s.kind
            ),
        )),
        None => Err(Decline::new(DeclineCode::NoTypeFacts, format!("no scope facts for `{default_name}`"))),
    }
}

/// The scope query [`qualifier`] needs for `path` at `at`, given the file's import specs as written.
pub fn qualifier_queries(source: &SourceFile, at: usize, path: &str) -> Vec<Query> {
    let file: PathBuf = source.path.clone();
    let default_name = path.rsplit('/').next().unwrap_or(path).to_string();
    let mut names = vec![default_name];
    // An alias is only known after the imports query; ask for any alias written in the source too.
    for alias in import_aliases(source, path) {
        if !names.contains(&alias) {
            names.push(alias);
        }
    }
    names.into_iter().map(|name| Query::Scope { file: file.clone(), offset: at, name }).collect()
}

fn import_aliases(source: &SourceFile, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let quoted = format!("\"{path}\"");
    let mut stack = vec![source.tree.root_node()];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "source_file" | "import_declaration" | "import_spec_list" => {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
            "import_spec" if n.child_by_field_name("path").is_some_and(|p| source.node_text(p) == quoted) => {
                if let Some(name) = n.child_by_field_name("name") {
                    out.push(source.node_text(name).to_string());
                }
            }
            _ => {}
        }
    }
    out
}

// Lives here rather than in syntax/ because it answers with a `Decline`: syntax/ sits below rules.
/// The callee and the arguments (comments skipped) of a call; declines a `...` spread.
pub fn call_parts(call: tree_sitter::Node) -> Result<(tree_sitter::Node, Vec<tree_sitter::Node>), Decline> {
    if call.kind() != "call_expression" {
        return Err(Decline::new(DeclineCode::ShapeMismatch, "not a call"));
    }
    let func = call
        .child_by_field_name("function")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "call without a function"))?;
    let list = call
        .child_by_field_name("arguments")
        .ok_or_else(|| Decline::new(DeclineCode::UnexpectedSyntax, "call without arguments"))?;
    let mut cursor = list.walk();
    let args: Vec<tree_sitter::Node> = list.named_children(&mut cursor).filter(|n| n.kind() != "comment").collect();
    if args.iter().any(|a| a.kind() == "variadic_argument") {
        return Err(Decline::new(
            DeclineCode::SpreadArguments,
            "arguments are spread with `...`; their types are not known one by one",
        ));
    }
    Ok((func, args))
}

/// Concrete writer types the writer rules trust: `Write` copies `p` (never retains it), and
/// `WriteString(s)` is documented to write exactly what `Write([]byte(s))` writes and to return the
/// same `(n, err)`. A user's own type could do anything in either method, so it is not on the list.
pub const STD_WRITERS: &[&str] = &["*bytes.Buffer", "*strings.Builder", "*bufio.Writer", "*os.File"];
