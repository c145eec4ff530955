//! The embedded type helper: a small stdlib-only Go program (gohelper/main.go) that answers type
//! questions with go/types and formats code with go/format. It is built once per toolchain with the
//! user's own `go` (so it reads that toolchain's export data) and cached; answers are cached too,
//! keyed by the exact request and the bytes of the files it reads.

use super::{first_line, Toolchain};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCE: &str = include_str!("gohelper/main.go");
const GO_MOD: &str = "module stackify.local/gohelper\n\ngo 1.21\n";

#[derive(Debug, Serialize)]
pub struct PackageRequest {
    pub id: String,
    pub name: String,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub import_map: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_version: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Query {
    Expr {
        file: PathBuf,
        start: usize,
        end: usize,
    },
    Scope {
        file: PathBuf,
        offset: usize,
        name: String,
    },
    Imports {
        file: PathBuf,
    },
    PackageNames {
        file: PathBuf,
    },
    /// Every reference to the object the identifier starting at `offset` denotes (declaration or use).
    Uses {
        file: PathBuf,
        offset: usize,
    },
}

#[derive(Debug, Serialize)]
struct QueryWithId<'a> {
    id: usize,
    #[serde(flatten)]
    query: &'a Query,
}

#[derive(Debug, Serialize)]
pub struct TypecheckRequest<'a> {
    pub packages: Vec<PackageRequest>,
    pub export: BTreeMap<String, PathBuf>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub overlay: BTreeMap<PathBuf, String>,
    queries: Vec<QueryWithId<'a>>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq, Serialize)]
pub struct ExprFacts {
    #[serde(default)]
    pub found: bool,
    #[serde(default)]
    pub mode: String,
    #[serde(default, rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub underlying: String,
    #[serde(default)]
    pub basic: String,
    #[serde(default)]
    pub named: bool,
    #[serde(default)]
    pub type_param: bool,
    #[serde(default)]
    pub interface: bool,
    #[serde(default)]
    pub pointer: bool,
    #[serde(default)]
    pub slice_of_byte: bool,
    #[serde(default)]
    pub const_value: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub object: Option<ObjectFacts>,
    #[serde(default)]
    pub side_effects: bool,
    /// The type as Go source valid at the expression in its file (imports under this file's local
    /// names, own package unqualified); "" when it cannot be written there. Untyped constants give
    /// their default type (`int`, `float64`, `rune`...).
    #[serde(default)]
    pub type_src: String,
    /// gc `Sizeof` for the helper's GOARCH; 0 when not applicable (type parameters, tuples, nil).
    #[serde(default)]
    pub size: i64,
    /// Element (value) type of a slice, array, map, pointer or channel, spelled like `type_src`.
    #[serde(default)]
    pub elem_type_src: String,
    /// Key type of a map, spelled like `type_src`.
    #[serde(default)]
    pub key_type_src: String,
    /// Kind of the underlying type: basic, slice, array, map, pointer, struct, interface, signature,
    /// chan, typeparam, tuple, or "".
    #[serde(default)]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq, Serialize)]
pub struct ObjectFacts {
    pub kind: String,
    #[serde(default)]
    pub pkg: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub exported: bool,
    /// For funcs: parameter, result and receiver types spelled like [`ExprFacts::type_src`]
    /// relative to the queried file and position.
    #[serde(default)]
    pub signature: Option<SignatureFacts>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq, Serialize)]
pub struct SignatureFacts {
    /// A variadic func's last parameter is its slice type (`[]T`, not `...T`).
    #[serde(default)]
    pub params: Vec<String>,
    #[serde(default)]
    pub results: Vec<String>,
    #[serde(default)]
    pub variadic: bool,
    /// "" for plain functions.
    #[serde(default)]
    pub recv: String,
    /// The receiver is a pointer (`*T`): a call on an addressable value takes its address.
    #[serde(default)]
    pub recv_pointer: bool,
}

/// Answer to [`Query::Uses`]: every identifier in the requested packages that refers to the object,
/// sorted by file then offset, the declaration included (`decl: true`).
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Serialize)]
pub struct UsesFacts {
    #[serde(default)]
    pub object: ObjectFacts,
    /// Where the object is declared, when that is in a requested package.
    #[serde(default)]
    pub decl: Option<RefPos>,
    #[serde(default)]
    pub refs: Vec<RefFacts>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq, Serialize)]
pub struct RefPos {
    pub file: PathBuf,
    pub offset: usize,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq, Serialize)]
pub struct RefFacts {
    pub file: PathBuf,
    pub offset: usize,
    #[serde(default)]
    pub decl: bool,
    /// Assigned (=, :=, op=, ++/--, range key/value); also `x.f = v` and `x[i] = v` with `x` an
    /// array, which write the variable's own storage.
    #[serde(default)]
    pub write: bool,
    /// Address taken: `&x`, `&x.f`, `&x[i]` (array), slicing an array, or a pointer-receiver method
    /// selected on the addressable value (`x.M()`, method value `x.M`).
    #[serde(default)]
    pub addr: bool,
    /// The function of a call (`x(...)`, `pkg.F(...)`, `v.M(...)`), not a conversion.
    #[serde(default)]
    pub call: bool,
    /// Enclosing top-level function as the compiler prints it (`F`, `T.M`, `(*T).M`, `init.0`);
    /// "" at package level.
    #[serde(default)]
    pub func: String,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq, Serialize)]
pub struct ScopeFacts {
    pub kind: String,
    #[serde(default)]
    pub pkg_path: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq, Serialize)]
pub struct ImportFacts {
    #[serde(default)]
    pub name: String,
    pub path: String,
    #[serde(default)]
    pub local_name: String,
    #[serde(default)]
    pub spec_start: usize,
    #[serde(default)]
    pub spec_end: usize,
    #[serde(default)]
    pub uses: Vec<usize>,
}

#[derive(Debug, Clone, Deserialize, Default, Serialize)]
pub struct QueryResult {
    pub id: usize,
    #[serde(default)]
    pub expr: Option<ExprFacts>,
    #[serde(default)]
    pub scope: Option<ScopeFacts>,
    #[serde(default)]
    pub imports: Option<Vec<ImportFacts>>,
    #[serde(default)]
    pub package_names: Option<Vec<String>>,
    #[serde(default)]
    pub uses: Option<UsesFacts>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default, Serialize)]
pub struct PackageResult {
    pub id: String,
    #[serde(default)]
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default, Serialize)]
pub struct TypecheckResponse {
    #[serde(default)]
    pub packages: Vec<PackageResult>,
    #[serde(default)]
    pub results: Vec<QueryResult>,
}

#[derive(Debug, Serialize)]
struct FormatFile<'a> {
    path: &'a Path,
    content: &'a str,
}

#[derive(Debug, Deserialize)]
struct FormatResult {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FormatResponse {
    files: Vec<FormatResult>,
}

/// A built helper binary.
#[derive(Debug, Clone)]
pub struct GoHelper {
    bin: PathBuf,
    cache: PathBuf,
}

/// `$STACKIFY_CACHE_DIR`, else `$XDG_CACHE_HOME/stackify`, else `~/.cache/stackify`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("STACKIFY_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("stackify");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache").join("stackify");
    }
    std::env::temp_dir().join("stackify-cache")
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl GoHelper {
    /// The helper for this toolchain, built on first use.
    pub fn ensure(tc: &Toolchain) -> Result<Self> {
        let cache = cache_dir();
        let mut h = Sha256::new();
        h.update(SOURCE.as_bytes());
        h.update(tc.version().as_bytes());
        h.update(tc.env.goroot.as_bytes());
        let key = &hex(&h.finalize())[..20];
        let dir = cache.join("gohelper").join(key);
        let bin = dir.join(if cfg!(windows) { "gohelper.exe" } else { "gohelper" });
        if bin.is_file() {
            return Ok(GoHelper { bin, cache });
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let work = tempfile::Builder::new().prefix("build-").tempdir_in(&dir)?;
        std::fs::write(work.path().join("main.go"), SOURCE)?;
        std::fs::write(work.path().join("go.mod"), GO_MOD)?;
        let out_tmp = work.path().join("gohelper.bin");
        let work_s = work.path().display().to_string();
        let out_s = out_tmp.display().to_string();
        // Build for the host with the same toolchain version the module uses, whatever the user's
        // GOOS/GOFLAGS/workspace say: the helper must read this toolchain's export data.
        let mut env: Vec<(&str, &str)> = vec![
            ("GOWORK", "off"),
            ("GOFLAGS", ""),
            ("CGO_ENABLED", "0"),
            ("GOOS", &tc.env.gohostos),
            ("GOARCH", &tc.env.gohostarch),
        ];
        if tc.version().starts_with("go1.") && !tc.version().contains(' ') {
            env.push(("GOTOOLCHAIN", tc.version()));
        }
        let out = tc.run_env(&["build", "-C", &work_s, "-trimpath", "-o", &out_s, "."], None, &env)?;
        if !out.status.success() {
            bail!(
                "building the type helper with {} failed: {}",
                tc.version(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        std::fs::rename(&out_tmp, &bin).with_context(|| format!("installing {}", bin.display()))?;
        Ok(GoHelper { bin, cache })
    }

    fn call(&self, command: &str, input: &[u8]) -> Result<Vec<u8>> {
        let mut cmd = Command::new(&self.bin);
        cmd.arg(command).stdin(std::process::Stdio::piped());
        let out = super::run_command(cmd, Some(input)).with_context(|| format!("running {}", self.bin.display()))?;
        if !out.status.success() {
            bail!("type helper `{command}` failed: {}", first_line(&String::from_utf8_lossy(&out.stderr)));
        }
        Ok(out.stdout)
    }

    /// Answer `queries` about `packages`. Answers are cached on disk by the request and the content of
    /// every file the helper will read, so an unchanged package costs nothing on the next run.
    pub fn typecheck(
        &self,
        packages: Vec<PackageRequest>,
        export: BTreeMap<String, PathBuf>,
        overlay: BTreeMap<PathBuf, String>,
        queries: &[Query],
    ) -> Result<TypecheckResponse> {
        let req = TypecheckRequest {
            packages,
            export,
            overlay,
            queries: queries.iter().enumerate().map(|(id, query)| QueryWithId { id, query }).collect(),
        };
        let body = serde_json::to_vec(&req)?;
        let mut h = Sha256::new();
        h.update(self.bin.display().to_string().as_bytes());
        h.update(&body);
        for p in &req.packages {
            for f in &p.files {
                if !req.overlay.contains_key(f) {
                    h.update(std::fs::read(f).unwrap_or_default());
                }
            }
        }
        let key = hex(&h.finalize());
        let cached = self.cache.join("facts").join(&key[..2]).join(format!("{}.json", &key[2..32]));
        if let Ok(bytes) = std::fs::read(&cached) {
            if let Ok(resp) = serde_json::from_slice::<TypecheckResponse>(&bytes) {
                return Ok(resp);
            }
        }
        let out = self.call("typecheck", &body)?;
        let resp: TypecheckResponse = serde_json::from_slice(&out).context("parsing the type helper's answer")?;
        if resp.results.len() != queries.len() {
            bail!("type helper answered {} of {} queries", resp.results.len(), queries.len());
        }
        if let Some(parent) = cached.parent() {
            // A cache that cannot be written only costs time on the next run.
            if std::fs::create_dir_all(parent).is_ok() {
                let tmp = cached.with_extension("tmp");
                if std::fs::write(&tmp, &out).is_ok() {
                    let _ = std::fs::rename(&tmp, &cached);
                }
            }
        }
        Ok(resp)
    }

    /// go/format each file; `Err(message)` for a file that does not parse.
    pub fn format(&self, files: &[(PathBuf, String)]) -> Result<Vec<std::result::Result<String, String>>> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let req = serde_json::json!({
            "files": files.iter().map(|(p, c)| FormatFile { path: p, content: c }).collect::<Vec<_>>()
        });
        let out = self.call("format", &serde_json::to_vec(&req)?)?;
        let resp: FormatResponse = serde_json::from_slice(&out).context("parsing the format answer")?;
        if resp.files.len() != files.len() {
            bail!("format answered {} of {} files", resp.files.len(), files.len());
        }
        Ok(resp
            .files
            .into_iter()
            .map(|r| match (r.content, r.error) {
                (Some(c), _) => Ok(c),
                (None, e) => Err(e.unwrap_or_else(|| "unknown format error".into())),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_query_serializes_with_its_tag() {
        let q = Query::Uses { file: PathBuf::from("/m/a.go"), offset: 42 };
        let v = serde_json::to_value(QueryWithId { id: 3, query: &q }).unwrap();
        assert_eq!(v, serde_json::json!({"id": 3, "kind": "uses", "file": "/m/a.go", "offset": 42}));
    }

    #[test]
    fn answer_with_new_fields_deserializes() {
        let json = r#"{"packages":[{"id":"example.com/m/u","errors":[]}],"results":[
          {"id":0,"expr":{"found":true,"mode":"variable","type":"*example.com/m/store.Item",
            "underlying":"*example.com/m/store.Item","basic":"","named":false,"type_param":false,
            "interface":false,"pointer":true,"slice_of_byte":false,"methods":[],"side_effects":false,
            "type_src":"*st.Item","size":8,"elem_type_src":"st.Item","key_type_src":"","kind":"pointer",
            "object":{"kind":"func","pkg":"example.com/m/u","name":"Sig","scope":"package","exported":true,
              "signature":{"params":["int","[]string"],"results":["*st.Item","error"],"variadic":true,"recv":""}}}},
          {"id":1,"uses":{"object":{"kind":"var","pkg":"example.com/m/w","name":"x","scope":"local","exported":false},
            "decl":{"file":"/m/w.go","offset":10},
            "refs":[{"file":"/m/w.go","offset":10,"decl":true,"write":true,"addr":false,"call":false,"func":"Closure"},
                    {"file":"/m/w.go","offset":30,"decl":false,"write":false,"addr":true,"call":false,"func":"(*T).M"}]}},
          {"id":2,"expr":{"found":true,"type":"int"}},
          {"id":3,"error":"no identifier starts at offset 5 of /m/w.go"}]}"#;
        let resp: TypecheckResponse = serde_json::from_str(json).unwrap();
        let e = resp.results[0].expr.as_ref().unwrap();
        assert_eq!(
            (e.type_src.as_str(), e.size, e.elem_type_src.as_str(), e.kind.as_str()),
            ("*st.Item", 8, "st.Item", "pointer")
        );
        let o = e.object.as_ref().unwrap();
        assert!(o.exported);
        assert_eq!(
            o.signature,
            Some(SignatureFacts {
                params: vec!["int".into(), "[]string".into()],
                results: vec!["*st.Item".into(), "error".into()],
                variadic: true,
                recv: String::new(),
                recv_pointer: false,
            })
        );

        let u = resp.results[1].uses.as_ref().unwrap();
        assert_eq!(u.object.name, "x");
        assert!(!u.object.exported && u.object.signature.is_none());
        assert_eq!(u.decl, Some(RefPos { file: "/m/w.go".into(), offset: 10 }));
        assert_eq!(u.refs.len(), 2);
        assert!(u.refs[0].decl && u.refs[0].write && !u.refs[0].addr);
        assert_eq!(
            u.refs[1],
            RefFacts { file: "/m/w.go".into(), offset: 30, addr: true, func: "(*T).M".into(), ..Default::default() }
        );

        // Answers from an older helper (no new fields) still parse, with empty defaults.
        let old = resp.results[2].expr.as_ref().unwrap();
        assert_eq!((old.type_src.as_str(), old.size, old.kind.as_str()), ("", 0, ""));
        assert!(resp.results[3].uses.is_none() && resp.results[3].error.is_some());
    }
}
