//! Writing verified fixes: refuse files with uncommitted changes (like `cargo fix`), write each file
//! through a temp file and a rename so no file is ever half-written, then recompile what was written
//! and put the originals back if it does not build.

use super::Analysis;
use crate::go::ListOptions;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

/// What git says about the files to be written.
pub enum VcsState {
    Clean,
    NotARepository,
    Dirty(Vec<PathBuf>),
}

pub fn vcs_state(root: &Path, files: &[&Path]) -> Result<VcsState> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(root).args(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--"]);
    for f in files {
        cmd.arg(f);
    }
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(VcsState::NotARepository),
        Err(e) => return Err(e).context("running git status"),
    };
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr);
        if msg.contains("not a git repository") {
            return Ok(VcsState::NotARepository);
        }
        bail!("git status failed: {}", msg.trim());
    }
    let top = Command::new("git").arg("-C").arg(root).args(["rev-parse", "--show-toplevel"]).output()?;
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let dirty: Vec<PathBuf> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|e| e.len() > 3)
        .map(|e| top.join(String::from_utf8_lossy(&e[3..]).as_ref()))
        .collect();
    Ok(if dirty.is_empty() { VcsState::Clean } else { VcsState::Dirty(dirty) })
}

/// The `--allow-dirty` / `--allow-no-vcs` gate.
pub fn check_vcs(a: &Analysis, files: &[&Path], allow_dirty: bool, allow_no_vcs: bool) -> Result<()> {
    match vcs_state(&a.toolchain.module_root(), files)? {
        VcsState::Clean => Ok(()),
        VcsState::NotARepository if allow_no_vcs || allow_dirty => Ok(()),
        VcsState::NotARepository => bail!(
            "{} is not in a git repository, so the originals could not be recovered; pass --allow-no-vcs to write anyway",
            a.toolchain.module_root().display()
        ),
        VcsState::Dirty(_) if allow_dirty => Ok(()),
        VcsState::Dirty(list) => {
            let names: Vec<String> = list.iter().map(|p| a.display_path(p)).collect();
            bail!("refusing to overwrite files with uncommitted changes: {} (commit or stash them, or pass --allow-dirty)", names.join(", "))
        }
    }
}

/// Replace `path`'s content atomically, keeping its permissions.
pub fn write_atomic(path: &Path, content: &str) -> Result<()> {
    let dir = path.parent().context("file without a directory")?;
    let perms = std::fs::metadata(path).map(|m| m.permissions()).ok();
    let mut tmp = tempfile::Builder::new().prefix(".stackify-").suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(content.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Some(p) = perms {
        std::fs::set_permissions(tmp.path(), p)?;
    }
    tmp.persist(path).map_err(|e| e.error).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

static IN_WRITE: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// From the first write until the re-check has passed (or the originals are back), Ctrl-C is held
/// back: every file ends up either untouched or fully written, as a set. The handler is installed
/// only here, after any interactive prompt has restored the terminal.
fn hold_interrupts() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if IN_WRITE.load(Ordering::SeqCst) {
                INTERRUPTED.store(true, Ordering::SeqCst);
            } else {
                std::process::exit(130);
            }
        });
    });
    IN_WRITE.store(true, Ordering::SeqCst);
}

fn release_interrupts() {
    IN_WRITE.store(false, Ordering::SeqCst);
    if INTERRUPTED.load(Ordering::SeqCst) {
        eprintln!("stackify: interrupted; the write had already completed and was re-checked");
        std::process::exit(130);
    }
}

/// Write `files`, recompile the packages they belong to (and their dependents), and restore every
/// original if that build fails. Returns the files written.
pub fn write_and_recheck(a: &Analysis, files: &BTreeMap<PathBuf, String>, packages: &[String]) -> Result<Vec<PathBuf>> {
    hold_interrupts();
    let result = write_and_recheck_inner(a, files, packages);
    release_interrupts();
    result
}

fn write_and_recheck_inner(
    a: &Analysis,
    files: &BTreeMap<PathBuf, String>,
    packages: &[String],
) -> Result<Vec<PathBuf>> {
    let originals: Vec<(PathBuf, String)> = files
        .keys()
        .map(|p| Ok((p.clone(), std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)))
        .collect::<Result<_>>()?;
    // The sources changed under us since the analysis read them: stop before writing anything.
    for (p, text) in &originals {
        if a.sources.get(p).is_some_and(|s| &s.text != text) {
            bail!("{} changed while stackify was running; nothing written", a.display_path(p));
        }
    }
    let mut written = Vec::new();
    for (p, content) in files {
        if let Err(e) = write_atomic(p, content) {
            restore(&originals[..written.len()]);
            return Err(e);
        }
        written.push(p.clone());
    }
    let check = a.toolchain.list(packages, &ListOptions { export: true, tests: a.options.tests, ..Default::default() });
    let failure = match &check {
        Err(e) => Some(format!("{e:#}")),
        Ok(l) => {
            l.packages.iter().find_map(|p| p.error.as_ref().map(|e| format!("{}: {}", p.import_path, e.err.trim())))
        }
    };
    if let Some(why) = failure {
        restore(&originals);
        bail!("the final re-check failed after writing, so every file was restored: {why}");
    }
    Ok(written)
}

fn restore(originals: &[(PathBuf, String)]) {
    for (p, text) in originals {
        if let Err(e) = write_atomic(p, text) {
            eprintln!("stackify: could not restore {}: {e:#}", p.display());
        }
    }
}
