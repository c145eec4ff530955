//! `--apply` on a fixture copy, compared file by file with the fixture's hand-reviewed goldens.
//!
//! A fixture file `x.go` with a sibling `x.go.golden` must become exactly the golden, and must have
//! been rewritten (a golden that equals the original proves nothing). Every other file — keep/'s
//! sources, tests, go.mod and the `.golden` files themselves — must come out byte for byte unchanged,
//! and `--apply` may neither add nor remove files.

use super::{apply, assert_go_ok, assert_gofmt_clean, code, fixture, stderr, stdout};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Every file under a directory (relative path → bytes), `.git` excluded.
pub type Snapshot = BTreeMap<PathBuf, Vec<u8>>;

/// Every file under `dir` (relative path → bytes), `.git` excluded.
pub fn snapshot(dir: &Path) -> Snapshot {
    fn walk(root: &Path, dir: &Path, out: &mut Snapshot) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let e = e.unwrap();
            if e.file_name() == ".git" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                walk(root, &e.path(), out);
            } else {
                out.insert(e.path().strip_prefix(root).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// One `--apply` run on a fixture copy and what the goldens say about it.
pub struct Applied {
    /// stackify's own output (its stderr lists the applied and dropped fixes).
    pub output: Output,
    pub before: Snapshot,
    pub after: Snapshot,
    /// One entry per file that is not what its golden (or its absence) requires.
    pub problems: Vec<String>,
    /// How many files have a golden (known-bug goldens included).
    pub goldens: usize,
}

impl Applied {
    /// Every file is what the goldens require; on failure stackify's stderr says what it did.
    pub fn assert_no_problems(&self) {
        assert!(self.problems.is_empty(), "{}\n\nstackify said:\n{}", self.problems.join("\n\n"), stderr(&self.output));
    }

    /// Every file under `prefix` (e.g. `keep`, which must exist) is byte for byte what it was.
    pub fn assert_untouched(&self, prefix: &str) {
        let under = |s: &Snapshot| {
            s.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.clone(), v.clone())).collect::<Snapshot>()
        };
        let (before, after) = (under(&self.before), under(&self.after));
        assert!(!before.is_empty(), "the fixture has no {prefix}/");
        let changed: Vec<_> = before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).collect();
        assert!(changed.is_empty(), "{prefix}/ must be byte-for-byte untouched, changed: {changed:?}");
    }
}

/// The fixture test every rule shares: `--apply` on a fresh copy of fixtures/<name> for `rules`
/// matches the goldens (the module documentation says how), leaves keep/ byte for byte untouched, and the result is
/// gofmt-clean and still builds, vets and passes its tests (fix/'s tests pin the rewritten
/// behaviour; keep/'s fail on a naive rewrite). Returns the copy and the run for further checks.
pub fn assert_fixture_goldens_hold(
    name: &str,
    rules: &[&str],
    known_bug_goldens: &[&str],
) -> (tempfile::TempDir, Applied) {
    let dir = fixture(name);
    let applied = apply_and_compare(dir.path(), rules, known_bug_goldens);
    applied.assert_no_problems();
    applied.assert_untouched("keep");
    assert_gofmt_clean(dir.path(), &[]);
    assert_go_ok(dir.path(), "./...");
    (dir, applied)
}

/// Snapshots `dir`, runs `--apply` for `rules` (which must exit 0), and compares with the goldens.
/// `known_bug_goldens` lists files (relative, `/`-separated) whose golden the rule does not reach
/// yet: such a file may be unchanged or equal to its golden, and nothing else.
pub fn apply_and_compare(dir: &Path, rules: &[&str], known_bug_goldens: &[&str]) -> Applied {
    let before = snapshot(dir);
    let output = apply(dir, rules);
    assert_eq!(code(&output), 0, "stackify --apply failed:\n{}\n{}", stdout(&output), stderr(&output));
    compare(dir, before, output, known_bug_goldens)
}

/// Compares `dir` after `--apply` (`output`) with its goldens and with `before`.
fn compare(dir: &Path, before: Snapshot, output: Output, known_bug_goldens: &[&str]) -> Applied {
    let after = snapshot(dir);
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "--apply added or removed files");
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut problems = Vec::new();
    let mut goldens = 0;
    for (rel, new) in &after {
        let name = rel.to_string_lossy().replace('\\', "/");
        let old = &before[rel];
        // A `.golden` is never looked up as a source file, so it falls to the "no golden" arm: it must
        // not change, which keeps each comparison below against the reviewed text itself.
        let golden = if name.ends_with(".golden") {
            None
        } else {
            after.get(&PathBuf::from(format!("{}.golden", rel.display())))
        };
        match golden {
            Some(golden) => {
                goldens += 1;
                if known_bug_goldens.contains(&name.as_str()) {
                    if new != old && new != golden {
                        problems.push(format!("{name}: neither unchanged nor its golden:\n{}", show(new)));
                    }
                    continue;
                }
                if new != golden {
                    problems.push(format!(
                        "{name}: differs from {name}.golden:\n--- got\n{}\n--- want\n{}",
                        show(new),
                        show(golden)
                    ));
                }
                if new == old {
                    problems.push(format!("{name} has a golden but was not rewritten"));
                }
            }
            None if new != old => {
                problems.push(format!("{name}: has no golden, so it must be unchanged, got:\n{}", show(new)))
            }
            None => {}
        }
    }
    Applied { output, before, after, problems, goldens }
}
