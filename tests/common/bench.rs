//! allocs/op from a fixture's benchmarks: the evidence for rules whose win `-m` cannot show, and the
//! check that every fix case allocates less after `--apply`.

use super::{apply, code, fixture, go, stderr, stdout};
use std::collections::BTreeMap;
use std::path::Path;

/// allocs/op per benchmark, by name without the -GOMAXPROCS suffix.
pub type Allocs = BTreeMap<String, u64>;

/// allocs/op of every benchmark of `pkg` (e.g. `./fix/`), at a fixed iteration count so that
/// amortised growth is identical in both runs of a before/after comparison.
pub fn allocs(dir: &Path, pkg: &str) -> Allocs {
    let o = go(dir, &["test", "-run=^$", "-bench=.", "-benchmem", "-benchtime=200x", pkg]);
    assert!(o.status.success(), "go test -bench {pkg} failed in {}:\n{}{}", dir.display(), stdout(&o), stderr(&o));
    parse_allocs(&stdout(&o))
}

/// allocs/op of `pkg` in a pristine copy of fixtures/<name> and in `dir`, the same fixture after
/// `--apply` (the pristine copy keeps `go test` out of the directory whose files are compared).
pub fn before_and_after(name: &str, dir: &Path, pkg: &str) -> (Allocs, Allocs) {
    let pristine = fixture(name);
    (allocs(pristine.path(), pkg), allocs(dir, pkg))
}

/// The benchmarks of `pkg` in `dir` (fixtures/<name> after `--apply`) against a pristine copy: at
/// least `min_benchmarks` of them, the same ones, each dropping by at least `min_drop`.
pub fn assert_fixture_allocs_drop(name: &str, dir: &Path, pkg: &str, min_benchmarks: usize, min_drop: u64) {
    let (before, after) = before_and_after(name, dir, pkg);
    assert!(before.len() >= min_benchmarks, "{before:?}");
    assert_allocs_drop(&before, &after, min_drop);
}

/// allocs/op of `pkg` in a fresh copy of fixtures/<name>, then again after `--apply` for `rules`
/// (which must exit 0).
pub fn around_apply(name: &str, rules: &[&str], pkg: &str) -> (Allocs, Allocs) {
    let dir = fixture(name);
    let before = allocs(dir.path(), pkg);
    let o = apply(dir.path(), rules);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    (before, allocs(dir.path(), pkg))
}

/// `BenchmarkX-2   200   1234 ns/op   24 B/op   2 allocs/op` → (BenchmarkX, 2). `-benchmem` puts
/// allocs/op on every result line, so a line without one (or with a non-integer count) is an error,
/// not something to skip: a silently missing benchmark would weaken every comparison built on this.
pub fn parse_allocs(out: &str) -> Allocs {
    let mut m = BTreeMap::new();
    for line in out.lines().filter(|l| l.starts_with("Benchmark")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let name = fields[0].rsplit_once('-').map_or(fields[0], |(n, _)| n).to_string();
        let i = fields
            .iter()
            .position(|f| *f == "allocs/op")
            .filter(|&i| i > 0)
            .unwrap_or_else(|| panic!("no allocs/op in {line:?}"));
        let n = fields[i - 1].parse().unwrap_or_else(|e| panic!("allocs/op of {line:?}: {e}"));
        m.insert(name, n);
    }
    m
}

/// One `name: before → after allocs/op` line per benchmark of `before`.
pub fn report(before: &Allocs, after: &Allocs) -> String {
    before
        .iter()
        .map(|(name, b)| {
            format!("{name}: {b} → {} allocs/op\n", after.get(name).map_or("missing".to_string(), u64::to_string))
        })
        .collect()
}

/// The same benchmarks ran before and after, and each one's allocs/op dropped by at least
/// `min_drop` (1: strictly fewer; 0: not more). Every offender is reported at once.
pub fn assert_allocs_drop(before: &Allocs, after: &Allocs, min_drop: u64) {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the benchmarks before and after --apply differ"
    );
    let offenders: Vec<&String> = before.keys().filter(|name| after[*name] + min_drop > before[*name]).collect();
    assert!(
        offenders.is_empty(),
        "allocs/op did not drop by at least {min_drop} for {offenders:?}:\n{}",
        report(before, after)
    );
}
