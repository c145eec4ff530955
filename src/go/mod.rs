//! The Go toolchain adapter: the only place that spawns `go` or knows its flag syntax, cache quirks and
//! overlay format. Everything else sees typed results.
//!
//! One `go list -e -export -deps -gcflags=-m=2 -json=...` call gives the package graph, the export
//! data the type helper needs, and the escape analysis text (replayed from the build cache on warm
//! runs, byte-identical to `go build -gcflags=-m=2`), so a warm run costs about one `go build -m`.

pub mod bench_profile;
pub mod helper;
pub mod list;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

pub use list::{ListOptions, Listing, Package};

/// What `go env` says about the toolchain and the module at the working directory.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub struct GoEnv {
    #[serde(rename = "GOVERSION")]
    pub goversion: String,
    #[serde(rename = "GOMOD")]
    pub gomod: String,
    #[serde(rename = "GOWORK")]
    pub gowork: String,
    #[serde(rename = "GOROOT")]
    pub goroot: String,
    #[serde(rename = "GOHOSTOS")]
    pub gohostos: String,
    #[serde(rename = "GOHOSTARCH")]
    pub gohostarch: String,
    /// The settings of [`BUILD_VARS`] as `go` resolves them (environment, then `go env -w`).
    #[serde(flatten)]
    pub build: std::collections::BTreeMap<String, String>,
}

/// `go env` settings that change what the compiler reports without changing any listed file: the
/// analysis cache key includes them. GOMODCACHE tells immutable module-cache packages apart.
pub const BUILD_VARS: &[&str] = &[
    "GOMODCACHE",
    "GOFLAGS",
    "GOOS",
    "GOARCH",
    "GOEXPERIMENT",
    "CGO_ENABLED",
    "GOAMD64",
    "GOARM",
    "GOARM64",
    "GO386",
    "GOPPC64",
    "GOMIPS",
    "GOMIPS64",
    "GORISCV64",
    "GOWASM",
    "CC",
    "CXX",
    "CGO_CFLAGS",
    "CGO_CPPFLAGS",
    "CGO_CXXFLAGS",
    "CGO_LDFLAGS",
    "GOTOOLDIR",
];

/// A located `go` binary bound to a working directory and build flags.
#[derive(Debug)]
pub struct Toolchain {
    pub go: PathBuf,
    pub env: GoEnv,
    /// Directory every `go` command runs in (`-C`); patterns are relative to it.
    pub dir: PathBuf,
    /// `-tags` value passed through to every build.
    pub tags: Option<String>,
    invocations: AtomicUsize,
}

impl Toolchain {
    /// Find `go` without running it yet (`env` stays empty until [`Toolchain::query_env`]).
    pub fn locate(explicit: Option<&Path>, dir: &Path, tags: Option<String>) -> Result<Self> {
        let go = match explicit {
            Some(p) => {
                if !p.is_file() {
                    bail!("no Go toolchain at {} (--go)", p.display());
                }
                p.to_path_buf()
            }
            None => find_in_path("go").ok_or_else(|| {
                anyhow!(
                    "no Go toolchain found: `go` is not on PATH (install Go from https://go.dev/dl or pass --go PATH)"
                )
            })?,
        };
        if !dir.is_dir() {
            bail!("{}: not a directory", dir.display());
        }
        Ok(Toolchain { go, env: GoEnv::default(), dir: dir.to_path_buf(), tags, invocations: AtomicUsize::new(0) })
    }

    /// `go env`: the toolchain's version and where the module or workspace is.
    pub fn query_env(&self) -> Result<GoEnv> {
        let mut args = vec!["env", "-json", "GOVERSION", "GOMOD", "GOWORK", "GOROOT", "GOHOSTOS", "GOHOSTARCH"];
        args.extend_from_slice(BUILD_VARS);
        let out = self.run(&args, None).with_context(|| format!("running {} env", self.go.display()))?;
        if !out.status.success() {
            bail!("`go env` failed: {}", first_line(&String::from_utf8_lossy(&out.stderr)));
        }
        serde_json::from_slice(&out.stdout).context("parsing `go env -json` output")
    }

    /// Fail clearly outside a module or workspace (before go's own, vaguer, errors).
    pub fn check_module(&self) -> Result<()> {
        let in_module = !self.env.gomod.is_empty() && self.env.gomod != os_null();
        let in_workspace = !self.env.gowork.is_empty() && self.env.gowork != "off";
        if !in_module && !in_workspace {
            bail!(
                "{}: not a Go module (no go.mod here or in a parent directory; run stackify inside a module or pass -C DIR)",
                self.dir.display()
            );
        }
        Ok(())
    }

    /// The version string as `go env GOVERSION` prints it (`go1.26.8`).
    pub fn version(&self) -> &str {
        &self.env.goversion
    }

    /// Root of the main module (or of the workspace).
    pub fn module_root(&self) -> PathBuf {
        let anchor =
            if !self.env.gomod.is_empty() && self.env.gomod != os_null() { &self.env.gomod } else { &self.env.gowork };
        Path::new(anchor).parent().map(Path::to_path_buf).unwrap_or_else(|| self.dir.clone())
    }

    /// In a go.work workspace without a main module, `./...` does not work at the root: the default
    /// patterns are each workspace module's `path/...` (from `go list -m`).
    pub fn default_patterns(&self) -> Result<Vec<String>> {
        let in_module = !self.env.gomod.is_empty() && self.env.gomod != os_null();
        if in_module {
            return Ok(vec!["./...".to_string()]);
        }
        // Directory patterns, not module paths: `example.com/m/...` in a workspace also makes go
        // query the module proxy for the workspace's own modules.
        let out = self.run(&["list", "-m", "-f", "{{.Dir}}"], None)?;
        if !out.status.success() {
            bail!("go list -m failed: {}", first_line(&String::from_utf8_lossy(&out.stderr)));
        }
        let mods: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|d| match Path::new(d).strip_prefix(&self.dir) {
                Ok(rel) if rel.as_os_str().is_empty() => "./...".to_string(),
                Ok(rel) => format!("./{}/...", rel.display()),
                Err(_) => format!("{d}/..."),
            })
            .collect();
        if mods.is_empty() {
            bail!("the workspace {} lists no modules", self.env.gowork);
        }
        Ok(mods)
    }

    /// How many `go` processes this toolchain has started (benchmarks and tests count them).
    pub fn invocations(&self) -> usize {
        self.invocations.load(Ordering::Relaxed)
    }

    /// Run `go ARGS` in `self.dir`, with stdin from `input` when given.
    pub fn run(&self, args: &[&str], input: Option<&[u8]>) -> Result<Output> {
        self.run_env(args, input, &[])
    }

    pub(crate) fn run_env(&self, args: &[&str], input: Option<&[u8]>, env: &[(&str, &str)]) -> Result<Output> {
        self.invocations.fetch_add(1, Ordering::Relaxed);
        let mut cmd = Command::new(&self.go);
        cmd.args(args).current_dir(&self.dir).stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_command(cmd, input).with_context(|| format!("running go {}", args.first().unwrap_or(&"")))
    }

    /// Build flags shared by every compile, so the build cache entries of one run serve the next.
    pub(crate) fn build_flags(&self) -> Vec<String> {
        let mut flags = vec!["-gcflags=-m=2".to_string()];
        if let Some(t) = &self.tags {
            flags.push(format!("-tags={t}"));
        }
        flags
    }
}

pub(crate) fn run_command(mut cmd: Command, input: Option<&[u8]>) -> Result<Output> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    // Feed stdin from a thread so a large request cannot deadlock against a full stdout pipe.
    let writer = match (input, child.stdin.take()) {
        (Some(data), Some(mut stdin)) => {
            let data = data.to_vec();
            Some(std::thread::spawn(move || {
                use std::io::Write;
                let _ = stdin.write_all(&data);
            }))
        }
        _ => None,
    };
    let out = child.wait_with_output()?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    Ok(out)
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn os_null() -> &'static str {
    if cfg!(windows) {
        "NUL"
    } else {
        "/dev/null"
    }
}

pub(crate) fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim()
}
