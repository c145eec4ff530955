//! The pprof join on real profiles: `go test -bench -memprofile` / `-cpuprofile` of
//! fixtures/profile, made by `Toolchain::bench_profiles` in a copy of the fixture (another directory,
//! so matching must be module-relative), joined with the findings of the real pipeline
//! (`go list -export -gcflags=-m=2` → findings::parse → findings::attribute).

mod common;

use common::{copy_dir, go, repo, stderr};
use stackify::findings::{attribute, parse, Finding, Origin};
use stackify::go::bench_profile::{packages_with_tests, BenchProfile, BenchProfileOptions};
use stackify::go::{ListOptions, Listing, Toolchain};
use stackify::profile::decode::{self, ProfileKind};
use stackify::profile::join::{join, AllocKind, Join, LoadedProfile, MatchedBy, ModuleRoot, Scope};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The analysis of the module at `dir`: its listing (for the scope) and its findings.
fn analyse(dir: &Path) -> (Toolchain, Listing, Vec<Finding>) {
    let mut tc = Toolchain::locate(None, dir, None).unwrap();
    tc.env = tc.query_env().unwrap();
    let listing = tc.list(&["./...".to_string()], &ListOptions { export: true, ..Default::default() }).unwrap();
    let blocks = parse::parse_output(&listing.compiler_output);
    let index = attribute::FileIndex::new(&listing, Path::new(&tc.env.goroot));
    let findings = attribute::attribute(&blocks, &index);
    (tc, listing, findings)
}

/// Heap and CPU profiles of the fixture's benchmarks, made once in a copy of it (kept alive with the
/// temp dirs for the whole test binary).
struct Made {
    _copy: tempfile::TempDir,
    _out: tempfile::TempDir,
    profile: BenchProfile,
    /// The copy's files before and after profiling.
    before: common::goldens::Snapshot,
    after: common::goldens::Snapshot,
}

fn made() -> &'static Made {
    static MADE: OnceLock<Made> = OnceLock::new();
    MADE.get_or_init(|| {
        let copy = tempfile::Builder::new().prefix("stackify-profile-elsewhere-").tempdir().unwrap();
        copy_dir(&repo().join("fixtures/profile"), copy.path());
        let out = tempfile::tempdir().unwrap();
        let mut tc = Toolchain::locate(None, copy.path(), None).unwrap();
        tc.env = tc.query_env().unwrap();
        let listing = tc.list(&["./...".to_string()], &ListOptions::default()).unwrap();
        let before = common::goldens::snapshot(copy.path());
        let opts = BenchProfileOptions { bench: ".".into(), benchtime: "2000x".into(), cpu: true };
        let mut made = tc.bench_profiles(&packages_with_tests(&listing.packages), out.path(), &opts).unwrap();
        assert_eq!(made.len(), 1, "{made:?}");
        let after = common::goldens::snapshot(copy.path());
        Made { _copy: copy, _out: out, profile: made.remove(0), before, after }
    })
}

/// The fixture in the repository, analysed once (go list writes nothing into the module).
fn original() -> &'static (Listing, Vec<Finding>) {
    static ORIGINAL: OnceLock<(Listing, Vec<Finding>)> = OnceLock::new();
    ORIGINAL.get_or_init(|| {
        let (_, listing, findings) = analyse(&repo().join("fixtures/profile"));
        (listing, findings)
    })
}

fn heap() -> LoadedProfile {
    LoadedProfile::read(&made().profile.heap).unwrap()
}

fn line<'a>(j: &'a Join, file: &Path, n: u32) -> &'a stackify::profile::join::LineCost {
    j.lines
        .iter()
        .find(|l| l.file == file && l.line == n)
        .unwrap_or_else(|| panic!("no samples on line {n}: {:#?}", j.lines))
}

fn finding_at(findings: &[Finding], n: u32, native: bool) -> &Finding {
    findings
        .iter()
        .find(|f| f.line() == n && f.is_reportable() && f.is_native() == native)
        .unwrap_or_else(|| panic!("no finding at line {n}"))
}

#[test]
fn bench_profiles_leave_nothing_in_the_module_and_decode() {
    let m = made();
    assert_eq!(m.before, m.after, "profiling wrote into the module");
    let heap = decode::read(&m.profile.heap).unwrap();
    assert_eq!(heap.kind(), ProfileKind::Heap);
    assert_eq!(
        heap.sample_types(),
        ["alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"]
    );
    let cpu = decode::read(m.profile.cpu.as_ref().unwrap()).unwrap();
    assert_eq!(cpu.kind(), ProfileKind::Cpu);
    assert_eq!(cpu.sample_types(), ["samples/count", "cpu/nanoseconds"]);
}

#[test]
fn gzipped_and_raw_profiles_decode_the_same() {
    use std::io::Read;
    let gz = std::fs::read(&made().profile.heap).unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "go writes gzipped profiles");
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut raw).unwrap();
    let (a, b) = (decode::decode(&gz).unwrap(), decode::decode(&raw).unwrap());
    assert_eq!(a, b);
    assert!(!a.sample.is_empty() && !a.location.is_empty() && !a.function.is_empty());
    // Inlined frames: some Location carries more than one Line.
    assert!(a.location.iter().any(|l| l.line.len() > 1));
    let err = format!("{:#}", decode::read(&repo().join("fixtures/profile/hot.go")).unwrap_err());
    assert!(err.contains("hot.go"), "{err}");
}

#[test]
fn heap_profile_from_another_directory_lands_on_the_fixture_lines() {
    let (listing, findings) = original();
    let scope = Scope::from_listing(listing);
    let hot = repo().join("fixtures/profile/hot.go");
    let fixed: HashSet<(PathBuf, u32)> = [(hot.clone(), 33)].into();
    let started = std::time::Instant::now();
    let profile = heap();
    let (decoded, samples) = (started.elapsed(), profile.profile.sample.len());
    let j = join(&[profile], &scope, findings, Some(&fixed));
    eprintln!(
        "heap profile of {} bytes, {} samples: decode {decoded:?}, decode+join with {} findings {:?}",
        std::fs::metadata(&made().profile.heap).unwrap().len(),
        samples,
        findings.len(),
        started.elapsed()
    );
    assert!(j.warnings.is_empty(), "{:?}", j.warnings);
    assert!(!j.summary.stale, "{:#?}", j.stale);
    assert!(j.lines.iter().all(|l| l.file == hot), "only hot.go lines (test files are not analysed)");

    // Each shape on its own line, named from the line (runtime/pprof hides runtime frames).
    let kind = |n| line(&j, &hot, n).main_cause().unwrap().kind;
    assert_eq!(kind(23), AllocKind::VariableSizeMake);
    assert_eq!(kind(29), AllocKind::SliceGrowth);
    assert_eq!(kind(33), AllocKind::StringConcatenation);
    assert_eq!(kind(42), AllocKind::MapGrowth);
    assert_eq!(kind(49), AllocKind::StringConversion);
    assert_eq!(kind(55), AllocKind::VariableSizeMake);
    // fmt.Sprintf's own buffer is allocated below the line: counted for line 35, via fmt.Sprintf.
    let l35 = line(&j, &hot, 35);
    assert!(
        l35.causes.iter().any(|c| c.kind == AllocKind::Call && c.via.as_deref() == Some("fmt.Sprintf")),
        "{l35:#?}"
    );
    assert!(l35.causes.iter().any(|c| c.kind == AllocKind::InterfaceBoxing), "{l35:#?}");

    // label is inlined into line 29: its bytes stay on its own line 18 (its native finding), and
    // the inlined finding reported at the caller's line 29 gets exactly those bytes.
    let l18 = line(&j, &hot, 18);
    assert_eq!(l18.inlined_into, vec![(hot.clone(), 29)]);
    assert!(l18.causes.iter().any(|c| c.via.as_deref() == Some("strconv.Itoa")), "{l18:#?}");
    let cost = |f: &Finding| j.findings.iter().find(|c| c.finding == f.id).unwrap();
    let inlined = finding_at(findings, 29, false);
    assert!(matches!(inlined.origin, Origin::Inlined { .. }));
    assert_eq!(cost(inlined).matched_by, MatchedBy::InlinedCall);
    assert_eq!(cost(inlined).alloc_space, l18.alloc_space);
    assert_eq!(cost(finding_at(findings, 18, true)).alloc_space, l18.alloc_space);
    let concat = cost(finding_at(findings, 33, true));
    assert_eq!((concat.matched_by, concat.alloc_space), (MatchedBy::Line, line(&j, &hot, 33).alloc_space));

    // Profile-only sites: growth at 29 and the map at 42 have no finding; 55 only "does not escape".
    let site = |n| j.sites.iter().find(|s| s.line == n);
    assert!(site(29).is_some() && site(42).is_some(), "{:#?}", j.sites);
    assert!(site(55).unwrap().does_not_escape);
    assert!(!site(42).unwrap().does_not_escape);
    assert!(site(33).is_none() && site(23).is_none());

    // A finding without samples (a leaking parameter) costs nothing.
    let leak = findings.iter().find(|f| f.line() == 39 && f.is_reportable()).unwrap();
    assert_eq!((cost(leak).alloc_space, cost(leak).share, cost(leak).matched_by), (0, 0.0, MatchedBy::None));

    let sum: f64 = j.lines.iter().map(|l| l.share).sum();
    assert!(sum > 0.5 && sum <= 1.0 + 1e-9, "line shares sum to {sum}");
    assert!(j.summary.matched_share > 0.0 && j.summary.matched_share <= sum + 1e-9);
    assert!((j.summary.fixed_share.unwrap() - line(&j, &hot, 33).share).abs() < 1e-12);
    assert!(j.findings.iter().all(|c| (0.0..=1.0).contains(&c.share) && c.cpu_share.is_none()));
    assert_eq!(j.summary.module_alloc_space, j.lines.iter().map(|l| l.alloc_space).sum::<i64>());
}

#[test]
fn cpu_profile_gives_cumulative_function_shares() {
    let (listing, findings) = original();
    let cpu = LoadedProfile::read(made().profile.cpu.as_ref().unwrap()).unwrap();
    let j = join(&[heap(), cpu], &Scope::from_listing(listing), findings, None);
    assert!(j.summary.total_cpu > 0);
    let render = j.findings.iter().find(|c| c.finding == finding_at(findings, 33, true).id).unwrap();
    let share = render.cpu_share.unwrap();
    assert!(share > 0.05 && share <= 1.0, "Render's CPU share {share}");
    let label = j.findings.iter().find(|c| c.finding == finding_at(findings, 18, true).id).unwrap();
    // label only runs inside Render (inlined): its cumulative share cannot exceed Render's.
    assert!(label.cpu_share.unwrap() <= share);
    // Every finding that names its function has a share; the others have none.
    for (f, c) in findings.iter().zip(&j.findings) {
        assert_eq!(f.function.is_some(), c.cpu_share.is_some_and(|s| (0.0..=1.0).contains(&s)), "{f:?}");
    }
}

#[test]
fn moved_lines_make_the_profile_stale_and_match_by_function() {
    // Three lines inserted before Index: Render and label keep their lines, Index and below move.
    let edited = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/profile"), edited.path());
    let hot = edited.path().join("hot.go");
    let text = std::fs::read_to_string(&hot).unwrap();
    std::fs::write(&hot, text.replace("// Index builds", "// (moved)\n//\n//\n// Index builds")).unwrap();
    let (_, listing, findings) = analyse(edited.path());
    let j = join(&[heap()], &Scope::from_listing(&listing), &findings, None);
    assert!(j.summary.stale);
    let stale: BTreeSet<&str> = j.stale.iter().map(|s| s.function.as_str()).collect();
    assert!(stale.contains("stackify.test/profile.Index"), "{stale:?}");
    assert!(!stale.iter().any(|f| f.ends_with(".Render") || f.ends_with(".label")), "{stale:?}");
    // No line of a stale function is guessed; Render's lines still count.
    assert!(j.lines.iter().all(|l| l.line <= 36), "{:#?}", j.lines);
    assert!(j.lines.iter().any(|l| l.line == 33));
    let index = findings.iter().find(|f| f.line() == 43 && f.is_reportable()).expect("map literal moved to 43");
    let c = j.findings.iter().find(|c| c.finding == index.id).unwrap();
    assert_eq!(c.matched_by, MatchedBy::Function);
    assert!(c.alloc_space > 0);
}

#[test]
fn a_profile_of_other_code_warns() {
    let scope = Scope::new(
        vec![ModuleRoot { dir: "/nowhere/m".into(), path: "example.com/m".into() }],
        [PathBuf::from("/nowhere/m/main.go")],
    );
    let j = join(&[heap()], &scope, &[], None);
    assert_eq!(j.warnings.len(), 1);
    assert!(j.warnings[0].contains("mem.out") && j.warnings[0].contains("no sample"), "{:?}", j.warnings);
    assert!(j.lines.is_empty() && j.sites.is_empty());
}

#[test]
fn trimpath_profiles_match_by_module_path() {
    // -trimpath names files `stackify.test/profile/hot.go`: no directory at all.
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/profile"), copy.path());
    let out = tempfile::tempdir().unwrap();
    let (mem, bin) = (out.path().join("mem.out"), out.path().join("p.test"));
    let o = go(
        copy.path(),
        &[
            "test",
            "-trimpath",
            "-run=^$",
            "-bench=Key",
            "-benchtime=200x",
            "-memprofilerate=1",
            &format!("-memprofile={}", mem.display()),
            &format!("-o={}", bin.display()),
            ".",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let p = LoadedProfile::read(&mem).unwrap();
    let names: Vec<&str> = p.profile.function.iter().map(|f| p.profile.string(f.filename)).collect();
    assert!(names.contains(&"stackify.test/profile/hot.go"), "{names:?}");
    let (listing, findings) = original();
    let j = join(&[p], &Scope::from_listing(listing), findings, None);
    let hot = repo().join("fixtures/profile/hot.go");
    assert_eq!(line(&j, &hot, 49).main_cause().unwrap().kind, AllocKind::StringConversion);
    assert!(!j.summary.stale && j.warnings.is_empty(), "{:?} {:?}", j.stale, j.warnings);
}
