//! The analysis cache is keyed by what the compiler reads, not by what it printed, so a warm run
//! never starts the compiler. That is only sound if every input that can change the report is in
//! the key: these tests change one input at a time (a file of the module, a local dependency that
//! the module's own files never mention, go.mod, the build settings) and require a recompile whose
//! report shows the change, and a hit otherwise.

mod common;
use common::{cache_dir, json, stderr};
use std::path::Path;
use std::process::Command;

/// `stackify --json` in `dir` with extra environment: the findings, and whether the analysis came
/// from the cache.
fn report(dir: &Path, env: &[(&str, &str)]) -> (Vec<String>, bool) {
    let (findings, cached, _) = run(dir, env);
    (findings, cached)
}

/// The same, with how many `go` commands ran.
fn run(dir: &Path, env: &[(&str, &str)]) -> (Vec<String>, bool, u64) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackify"));
    cmd.arg("-C").arg(dir).arg("--json").env("STACKIFY_CACHE_DIR", cache_dir()).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let findings = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}:{} {}", f["file"], f["line"], f["message"]))
        .collect();
    let cached = v["summary"]["timings"]["analysis_cached"].as_bool().unwrap();
    (findings, cached, v["summary"]["go_invocations"].as_u64().unwrap())
}

const HIT: bool = true;
const MISS: bool = false;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const LEAKY_DEP: &str =
    "package dep\n\nvar kept *int\n\n// Keep stores p: its argument escapes.\nfunc Keep(p *int) {\n\tkept = p\n}\n";
const TIDY_DEP: &str =
    "package dep\n\n// Keep only reads p: its argument does not escape.\nfunc Keep(p *int) {\n\t_ = *p\n}\n";

#[test]
fn every_input_of_the_compiler_invalidates_the_cache_and_nothing_else_does() {
    let root = tempfile::Builder::new().prefix("stackify-cache-").tempdir().unwrap();
    let m = root.path().join("m");
    write(
        &m,
        "go.mod",
        "module example.test/m\n\ngo 1.22\n\nrequire example.test/dep v0.0.0\n\nreplace example.test/dep => ../dep\n",
    );
    write(&m, "m.go", "package m\n\nimport \"example.test/dep\"\n\nfunc Use() {\n\tx := 1\n\tdep.Keep(&x)\n}\n");
    write(root.path(), "dep/go.mod", "module example.test/dep\n\ngo 1.22\n");
    write(root.path(), "dep/dep.go", LEAKY_DEP);
    let moved = |f: &[String]| f.iter().any(|l| l.contains("moved to heap: x"));

    let (first, n) = report(&m, &[]);
    assert_eq!(n, MISS, "a new module is compiled");
    assert!(moved(&first), "{first:?}");
    let (again, n) = report(&m, &[]);
    assert_eq!((n, &again), (HIT, &first), "nothing changed: the cached analysis, without compiling");

    // A dependency outside the module (a replace directory): m's own files are unchanged, but the
    // dependency's escape summary changes what m reports.
    write(root.path(), "dep/dep.go", TIDY_DEP);
    let (tidy, n) = report(&m, &[]);
    assert_eq!(n, MISS);
    assert!(!moved(&tidy), "the dependency no longer leaks p: {tidy:?}");
    assert_eq!(report(&m, &[]).1, HIT);

    // A file of the module. Its size and time changed, so stackify expects the miss and compiles in
    // its one listing: `go env` and one `go list`, hit or miss.
    write(&m, "m.go", "package m\n\nimport \"example.test/dep\"\n\nvar sink *int\n\nfunc Use() {\n\tx := 1\n\tdep.Keep(&x)\n\tsink = &x\n}\n");
    let (edited, cached, invocations) = run(&m, &[]);
    assert_eq!((cached, invocations), (MISS, 2));
    assert!(moved(&edited), "{edited:?}");
    assert_eq!(run(&m, &[]), (edited, HIT, 2));

    // go.mod (the language version and the dependency versions live there).
    let gomod = std::fs::read_to_string(m.join("go.mod")).unwrap();
    write(&m, "go.mod", &gomod.replace("go 1.22", "go 1.23"));
    assert_eq!(report(&m, &[]).1, MISS);
    assert_eq!(report(&m, &[]).1, HIT);

    // Build settings that reach the compiler only through the environment (or `go env -w`).
    assert_eq!(report(&m, &[("GOFLAGS", "-tags=stackify_cache_test")]).1, MISS);
    assert_eq!(report(&m, &[("GOFLAGS", "-tags=stackify_cache_test")]).1, HIT);
    assert_eq!(report(&m, &[("GOAMD64", "v2")]).1, MISS);
    // Back to the first settings: that analysis is still cached.
    assert_eq!(report(&m, &[]).1, HIT);

    // A file the module's build does not read (an unrelated text file) changes nothing.
    write(&m, "NOTES.txt", "not Go\n");
    assert_eq!(report(&m, &[]).1, HIT);
}

/// A warm run reads no source file, yet names generic code and inlined results in the source's
/// words exactly as the run that parsed the files did: those answers travel with the cached analysis.
#[test]
fn a_warm_report_names_things_as_the_fresh_one_did() {
    for name in ["generic", "inlined-result"] {
        let dir = common::fixture(name);
        let text = |args: &[&str]| {
            let o = common::stackify(dir.path(), args);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            String::from_utf8(o.stdout).unwrap()
        };
        // A fresh directory is a fresh module state: the first run analyses, the second is a hit.
        let fresh = text(&["--all", "--verbose"]);
        let (_, cached) = report(dir.path(), &[]);
        assert!(cached, "{name}: the second run must come from the cache");
        let warm = text(&["--all", "--verbose"]);
        assert_eq!(warm, fresh, "{name}: the warm report differs from the fresh one");
        assert!(!warm.contains("go.shape") && !warm.contains("~r0"), "{name}: compiler names shown:\n{warm}");
    }
}
