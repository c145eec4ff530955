//! `go list` as the single source of packages, files, export data and escape analysis text.

use super::{first_line, Toolchain};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const FIELDS: &str = "ImportPath,Name,Dir,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles,Imports,TestImports,Module,Export,DepOnly,Error,Incomplete,Standard,ImportMap,Match,ForTest,CFiles,CXXFiles,HFiles,SFiles,SysoFiles,SwigFiles,SwigCXXFiles";

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Package {
    pub import_path: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub dir: PathBuf,
    #[serde(default)]
    pub go_files: Vec<String>,
    #[serde(default)]
    pub cgo_files: Vec<String>,
    #[serde(default)]
    pub test_go_files: Vec<String>,
    #[serde(default)]
    pub x_test_go_files: Vec<String>,
    #[serde(default)]
    pub imports: Vec<String>,
    /// Imports of the in-package `_test.go` files (for their export data when they are type-checked).
    #[serde(default)]
    pub test_imports: Vec<String>,
    #[serde(default)]
    pub module: Option<Module>,
    #[serde(default)]
    pub export: Option<PathBuf>,
    #[serde(default)]
    pub dep_only: bool,
    #[serde(default)]
    pub error: Option<PackageError>,
    #[serde(default)]
    pub incomplete: bool,
    #[serde(default)]
    pub standard: bool,
    #[serde(default)]
    pub import_map: HashMap<String, String>,
    #[serde(default)]
    pub r#match: Vec<String>,
    #[serde(default)]
    pub for_test: String,
    /// Non-Go inputs of the build (cgo, assembly, SWIG, object files): part of the cache key only.
    #[serde(default, rename = "CFiles")]
    pub c_files: Vec<String>,
    #[serde(default, rename = "CXXFiles")]
    pub cxx_files: Vec<String>,
    #[serde(default, rename = "HFiles")]
    pub h_files: Vec<String>,
    #[serde(default, rename = "SFiles")]
    pub s_files: Vec<String>,
    #[serde(default)]
    pub syso_files: Vec<String>,
    #[serde(default)]
    pub swig_files: Vec<String>,
    #[serde(default, rename = "SwigCXXFiles")]
    pub swig_cxx_files: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Module {
    pub path: String,
    #[serde(default)]
    pub dir: Option<PathBuf>,
    #[serde(default)]
    pub go_version: Option<String>,
    #[serde(default)]
    pub main: bool,
    #[serde(default)]
    pub go_mod: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PackageError {
    #[serde(default)]
    pub pos: String,
    pub err: String,
}

impl Package {
    /// Absolute paths of the files the compiler sees for this package (Go and cgo files).
    pub fn source_files(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.go_files.iter().chain(&self.cgo_files).map(|f| self.dir.join(f))
    }
    /// Every file `go build` (or `go test`, for a test variant) reads for this package.
    pub fn build_inputs(&self) -> impl Iterator<Item = PathBuf> + '_ {
        let lists = [
            &self.go_files,
            &self.cgo_files,
            &self.test_go_files,
            &self.x_test_go_files,
            &self.c_files,
            &self.cxx_files,
            &self.h_files,
            &self.s_files,
            &self.syso_files,
            &self.swig_files,
            &self.swig_cxx_files,
        ];
        lists.into_iter().flatten().map(|f| self.dir.join(f))
    }
    /// A package named by the user's patterns (not only a dependency).
    pub fn is_target(&self) -> bool {
        !self.dep_only && self.for_test.is_empty()
    }
    /// The module's `go` directive, as `go1.22`, for the type checker's language version.
    pub fn go_version(&self) -> Option<String> {
        self.module.as_ref()?.go_version.as_ref().map(|v| format!("go{v}"))
    }
}

#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Also list dependencies (needed for export data of imports).
    pub deps: bool,
    /// Compile (or take from the cache) and report export data; also prints `-m=2` for targets.
    pub export: bool,
    /// `-overlay` file: compile replacement contents without touching the tree.
    pub overlay: Option<PathBuf>,
    /// Include test variants (`-test`).
    pub tests: bool,
    /// With `export`: compile without `-gcflags=-m=2`, as a plain build would (export data only, from
    /// the build cache when it has them).
    pub plain: bool,
}

/// What one `go list` run produced.
#[derive(Debug, Default)]
pub struct Listing {
    pub packages: Vec<Package>,
    /// The compiler's escape analysis text (stderr), to be parsed by `findings::parse`.
    pub compiler_output: String,
}

impl Listing {
    pub fn targets(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter().filter(|p| p.is_target())
    }
    pub fn by_path(&self, import_path: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.import_path == import_path)
    }
    /// Export data of every listed package that has one, for the type helper.
    pub fn export_map(&self) -> HashMap<String, PathBuf> {
        self.packages.iter().filter_map(|p| Some((p.import_path.clone(), p.export.clone()?))).collect()
    }
}

impl Toolchain {
    /// `go list -e -json=... [-export -gcflags=-m=2] [-deps] [-overlay] -- patterns`.
    ///
    /// Packages that do not build are returned with `error` set (from `-e`), never as a failure of the
    /// whole call; only a `go` command that cannot run at all is an `Err`.
    pub fn list(&self, patterns: &[String], opts: &ListOptions) -> Result<Listing> {
        let mut args: Vec<String> = vec!["list".into(), "-e".into(), format!("-json={FIELDS}")];
        if opts.export && !opts.plain {
            args.push("-export".into());
            args.extend(self.build_flags());
        } else if opts.export {
            args.push("-export".into());
            if let Some(t) = &self.tags {
                args.push(format!("-tags={t}"));
            }
        } else if let Some(t) = &self.tags {
            args.push(format!("-tags={t}"));
        }
        if opts.deps {
            args.push("-deps".into());
        }
        if opts.tests {
            args.push("-test".into());
        }
        if let Some(o) = &opts.overlay {
            args.push(format!("-overlay={}", o.display()));
        }
        args.push("--".into());
        args.extend(patterns.iter().cloned());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.run(&argv, None)?;
        // The -m=2 text is tens of MB on a large module: reuse its buffer rather than copy it (a
        // lossy copy only in the unlikely case it is not UTF-8).
        let stderr =
            String::from_utf8(out.stderr).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        if !out.status.success() && out.stdout.is_empty() {
            bail!("go list failed: {}", first_line(&stderr));
        }
        let mut packages = Vec::new();
        for item in serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Package>() {
            packages.push(item.context("parsing go list -json output")?);
        }
        Ok(Listing { packages, compiler_output: stderr })
    }

    /// Write an overlay file mapping each original path to a file holding its replacement content.
    /// The files live in `dir` (a temp dir owned by the caller).
    pub fn write_overlay(dir: &Path, contents: &[(PathBuf, String)]) -> Result<PathBuf> {
        let mut replace = serde_json::Map::new();
        for (i, (orig, content)) in contents.iter().enumerate() {
            let name = orig.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let repl = dir.join(format!("{i}-{name}"));
            std::fs::write(&repl, content).with_context(|| format!("writing {}", repl.display()))?;
            replace.insert(orig.display().to_string(), serde_json::Value::String(repl.display().to_string()));
        }
        let overlay = dir.join("overlay.json");
        let json = serde_json::json!({ "Replace": replace });
        std::fs::write(&overlay, serde_json::to_vec_pretty(&json)?)?;
        Ok(overlay)
    }
}

/// One benchmark line of `go test -bench -benchmem`.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResult {
    pub package: String,
    pub name: String,
    pub ns_per_op: f64,
    pub allocs_per_op: Option<u64>,
    pub bytes_per_op: Option<u64>,
}

/// Parse `go test -bench . -benchmem` output (`BenchmarkX-2  200  1234 ns/op  56 B/op  3 allocs/op`),
/// attributing lines to the package announced by the following `ok  pkg` / preceding `pkg:` line.
pub fn parse_bench(output: &str) -> Vec<BenchResult> {
    let mut out = Vec::new();
    let mut pending: Vec<BenchResult> = Vec::new();
    let mut current_pkg = String::new();
    for line in output.lines() {
        if let Some(p) = line.strip_prefix("pkg: ") {
            current_pkg = p.trim().to_string();
            continue;
        }
        if line.starts_with("ok ") || line.starts_with("ok\t") || line.starts_with("PASS") {
            out.append(&mut pending);
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 4 || !fields[0].starts_with("Benchmark") {
            continue;
        }
        let name = fields[0]
            .rsplit_once('-')
            .filter(|(_, cpu)| cpu.parse::<u32>().is_ok())
            .map(|(n, _)| n)
            .unwrap_or(fields[0]);
        let value = |unit: &str| fields.windows(2).find(|w| w[1] == unit).and_then(|w| w[0].parse::<f64>().ok());
        let Some(ns) = value("ns/op") else { continue };
        pending.push(BenchResult {
            package: current_pkg.clone(),
            name: name.to_string(),
            ns_per_op: ns,
            allocs_per_op: value("allocs/op").map(|v| v as u64),
            bytes_per_op: value("B/op").map(|v| v as u64),
        });
    }
    out.append(&mut pending);
    out
}

impl Toolchain {
    /// `go SUBCOMMAND [first...] [-tags] [-overlay] packages...`, run; the output when it fails.
    fn run_checked(
        &self,
        first: &[String],
        packages: &[String],
        overlay: Option<&Path>,
    ) -> Result<std::process::Output> {
        let mut args: Vec<String> = first.to_vec();
        if let Some(t) = &self.tags {
            args.push(format!("-tags={t}"));
        }
        if let Some(o) = overlay {
            args.push(format!("-overlay={}", o.display()));
        }
        args.extend(packages.iter().cloned());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&argv, None)
    }

    /// `go vet` of `packages`, through an overlay when given. Ok(None) when clean, Ok(Some(output)) when not.
    pub fn vet(&self, packages: &[String], overlay: Option<&Path>) -> Result<Option<String>> {
        let out = self.run_checked(&["vet".into()], packages, overlay)?;
        Ok((!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).trim().to_string()))
    }

    /// `go test` of `packages` (tests only, no benchmarks), through an overlay when given.
    pub fn test(&self, packages: &[String], overlay: Option<&Path>) -> Result<Option<String>> {
        let out = self.run_checked(&["test".into(), "-count=1".into()], packages, overlay)?;
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        Ok((!out.status.success()).then(|| text.trim().to_string()))
    }

    /// Run the benchmarks of `packages` a fixed number of iterations with -benchmem. A fixed count makes
    /// allocs/op comparable between two runs (amortised growth is the same for the same n).
    pub fn bench(&self, packages: &[String], overlay: Option<&Path>, iterations: u32) -> Result<Vec<BenchResult>> {
        self.bench_matching(packages, ".", overlay, iterations)
    }

    /// [`Self::bench`] for the benchmarks `-bench` `pattern` selects.
    pub fn bench_matching(
        &self,
        packages: &[String],
        pattern: &str,
        overlay: Option<&Path>,
        iterations: u32,
    ) -> Result<Vec<BenchResult>> {
        let first: Vec<String> = vec![
            "test".into(),
            "-run=^$".into(),
            format!("-bench={pattern}"),
            "-benchmem".into(),
            format!("-benchtime={iterations}x"),
            "-count=1".into(),
        ];
        let out = self.run_checked(&first, packages, overlay)?;
        if !out.status.success() {
            anyhow::bail!("benchmarks failed: {}", first_line(&String::from_utf8_lossy(&out.stdout)));
        }
        Ok(parse_bench(&String::from_utf8_lossy(&out.stdout)))
    }
}

#[cfg(test)]
mod bench_tests {
    use super::*;

    #[test]
    fn parses_benchmem_output() {
        let text = "goos: linux\ngoarch: amd64\npkg: stackify.test/demo\ncpu: X\nBenchmarkFormatLine-2   \t     200\t      1187 ns/op\t     160 B/op\t       4 allocs/op\nBenchmarkPath         200   55.5 ns/op\nPASS\nok  \tstackify.test/demo\t0.004s\n";
        let r = parse_bench(text);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].name, "BenchmarkFormatLine");
        assert_eq!(r[0].package, "stackify.test/demo");
        assert_eq!((r[0].allocs_per_op, r[0].bytes_per_op), (Some(4), Some(160)));
        assert_eq!(r[1].allocs_per_op, None);
    }
}
