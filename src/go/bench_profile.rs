//! Making profiles with the user's benchmarks (`--profile-bench REGEX`), and finding `default.pgo`.
//!
//! `go test -o` puts the test binary in a temp dir and `-memprofile`/`-cpuprofile` take absolute
//! paths there, so nothing is left in the module (go would otherwise write `<pkg>.test` into the
//! working directory whenever a profile flag is given). The benchmark time is bounded by a fixed
//! iteration count so a profile costs about one benchmark run.

use super::{first_line, Package, Toolchain};
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// What to run and what to record.
#[derive(Debug, Clone)]
pub struct BenchProfileOptions {
    /// `-bench` regular expression.
    pub bench: String,
    /// `-benchtime` (`2000x`, `200ms`): bounded so a profile stays cheap.
    pub benchtime: String,
    /// Also record a CPU profile.
    pub cpu: bool,
}

impl Default for BenchProfileOptions {
    fn default() -> Self {
        BenchProfileOptions { bench: ".".into(), benchtime: "2000x".into(), cpu: false }
    }
}

/// The profiles of one package's benchmarks.
#[derive(Debug, Clone)]
pub struct BenchProfile {
    pub package: String,
    /// `mem.out`: every allocation (`-memprofilerate=1`).
    pub heap: PathBuf,
    pub cpu: Option<PathBuf>,
}

/// The packages worth profiling: targets with test files (benchmarks live there).
pub fn packages_with_tests<'a>(packages: impl IntoIterator<Item = &'a Package>) -> Vec<&'a Package> {
    packages
        .into_iter()
        .filter(|p| p.is_target() && (!p.test_go_files.is_empty() || !p.x_test_go_files.is_empty()))
        .collect()
}

/// `go test` arguments for one package's profile: nothing refers to the working directory.
pub fn bench_profile_args(
    import_path: &str,
    out_dir: &Path,
    opts: &BenchProfileOptions,
    tags: Option<&str>,
) -> Vec<String> {
    let mut args = vec![
        "test".to_string(),
        "-run=^$".to_string(),
        format!("-bench={}", opts.bench),
        "-benchmem".to_string(),
        format!("-benchtime={}", opts.benchtime),
        "-count=1".to_string(),
        format!("-memprofile={}", out_dir.join("mem.out").display()),
        "-memprofilerate=1".to_string(),
        format!("-o={}", out_dir.join("pkg.test").display()),
    ];
    if opts.cpu {
        args.push(format!("-cpuprofile={}", out_dir.join("cpu.out").display()));
    }
    if let Some(t) = tags {
        args.push(format!("-tags={t}"));
    }
    args.push(import_path.to_string());
    args
}

impl Toolchain {
    /// Run the benchmarks matching `opts.bench` of each package, one `go test` per package (a
    /// profile flag takes one package), writing into `out_dir/<n>/` (a temp dir owned by the
    /// caller). Packages with no matching benchmark write no profile and are skipped; a failing
    /// `go test` is an error naming the package.
    pub fn bench_profiles(
        &self,
        packages: &[&Package],
        out_dir: &Path,
        opts: &BenchProfileOptions,
    ) -> Result<Vec<BenchProfile>> {
        let mut out = Vec::new();
        for (i, p) in packages.iter().enumerate() {
            let dir = out_dir.join(i.to_string());
            std::fs::create_dir_all(&dir)?;
            let args = bench_profile_args(&p.import_path, &dir, opts, self.tags.as_deref());
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = self.run(&argv, None)?;
            if !o.status.success() {
                let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
                bail!("benchmarks of {} failed: {}", p.import_path, first_line(&text));
            }
            let ran = String::from_utf8_lossy(&o.stdout).lines().any(|l| l.starts_with("Benchmark"));
            let heap = dir.join("mem.out");
            if !ran || !heap.is_file() {
                continue;
            }
            let cpu = Some(dir.join("cpu.out")).filter(|c| opts.cpu && c.is_file());
            out.push(BenchProfile { package: p.import_path.clone(), heap, cpu });
        }
        Ok(out)
    }
}

/// `default.pgo` next to the main packages among `packages` (what `go build -pgo=auto` uses), in
/// package order, without duplicates.
pub fn default_pgo<'a>(packages: impl IntoIterator<Item = &'a Package>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in packages.into_iter().filter(|p| p.name == "main" && p.is_target()) {
        let f = p.dir.join("default.pgo");
        if f.is_file() && !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_keep_every_output_in_the_temp_dir() {
        let opts = BenchProfileOptions { bench: "Render".into(), benchtime: "200x".into(), cpu: true };
        let args = bench_profile_args("example.com/m", Path::new("/tmp/x"), &opts, Some("t"));
        assert!(args.contains(&"-o=/tmp/x/pkg.test".to_string()), "{args:?}");
        assert!(args.contains(&"-memprofile=/tmp/x/mem.out".to_string()));
        assert!(args.contains(&"-cpuprofile=/tmp/x/cpu.out".to_string()));
        assert_eq!(args.last().map(String::as_str), Some("example.com/m"));
    }

    #[test]
    fn default_pgo_only_next_to_main_packages() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("default.pgo"), b"").unwrap();
        let main =
            Package { name: "main".into(), dir: dir.path().into(), import_path: "m/cmd".into(), ..Default::default() };
        let lib =
            Package { name: "lib".into(), dir: dir.path().into(), import_path: "m/lib".into(), ..Default::default() };
        assert_eq!(default_pgo([&lib]), Vec::<PathBuf>::new());
        assert_eq!(default_pgo([&main, &main]), vec![dir.path().join("default.pgo")]);
    }
}
