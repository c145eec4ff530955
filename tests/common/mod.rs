//! Shared helpers for integration tests: fixture copies, running stackify and the real Go toolchain.
//! The rule tests (tests/rule_*.rs) also share the harness in the submodules below, so every rule is
//! held to one implementation of each check instead of ten drifting copies.
#![allow(dead_code)]

/// allocs/op from the fixtures' benchmarks, before and after a rewrite.
pub mod bench;
/// Decline reasons from `--json` reports.
pub mod declines;
/// `--apply` on a fixture copy compared with its hand-reviewed `.golden` files.
pub mod goldens;
/// The rule documents (rules/<id>.md): their required sections and their runnable examples.
pub mod rule_docs;
/// `// want` annotations in fixtures: the declines each keep/ line must get, checked as data.
pub mod want;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch copy of `fixtures/<name>` (tests never write into the repository).
pub fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(&format!("stackify-{name}-")).tempdir().unwrap();
    copy_dir(&repo().join("fixtures").join(name), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The helper binary and fact cache are shared by all tests of a run (built once).
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("stackify-cache")
}

pub fn stackify(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stackify"))
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("STACKIFY_CACHE_DIR", cache_dir())
        .env("NO_COLOR", "1")
        .output()
        .expect("running stackify")
}

/// `stackify --apply --allow-no-vcs --rule <r>...` (fixture copies are not git repositories).
pub fn apply(dir: &Path, rules: &[&str]) -> Output {
    let mut args = vec!["--apply", "--allow-no-vcs"];
    for r in rules {
        args.extend(["--rule", r]);
    }
    stackify(dir, &args)
}

/// The exit code; a process killed by a signal fails the test (it has no code to compare).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or_else(|| panic!("killed by a signal: {}", stderr(o)))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

pub fn go(dir: &Path, args: &[&str]) -> Output {
    Command::new("go").args(args).current_dir(dir).output().expect("running go")
}

/// `go build`, `go vet` and `go test` of `pkgs` all succeed — the ground truth after a rewrite.
pub fn assert_go_ok(dir: &Path, pkgs: &str) {
    for args in [vec!["build", pkgs], vec!["vet", pkgs], vec!["test", "-count=1", pkgs]] {
        let o = go(dir, &args);
        assert!(o.status.success(), "go {} failed in {}:\n{}{}", args.join(" "), dir.display(), stdout(&o), stderr(&o));
    }
}

/// `gofmt -l` lists nothing under `dir` except the files in `allowed`.
pub fn assert_gofmt_clean(dir: &Path, allowed: &[&str]) {
    let o = Command::new("gofmt").arg("-l").arg(".").current_dir(dir).output().expect("gofmt");
    let listed: Vec<String> =
        stdout(&o).lines().map(str::to_string).filter(|l| !allowed.contains(&l.as_str())).collect();
    assert!(listed.is_empty(), "not gofmt-clean: {listed:?}");
}

/// Make `dir` a git repository with everything committed.
pub fn git_init(dir: &Path) {
    for args in [
        vec!["init", "-q"],
        vec!["add", "-A"],
        vec!["-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "fixture"],
    ] {
        let o = Command::new("git").args(&args).current_dir(dir).output().unwrap();
        assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    }
}

pub fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}
