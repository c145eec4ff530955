//! `stackify --fix`: the interactive session, driven through a pseudo-terminal with real keystrokes
//! (expectrl), on scratch copies of fixtures/demo. Every case checks the files afterwards.
//!
//! The demo has exactly four fmt-sprintf fixes (demo.go:56, :62, :68, :74, in that order); the
//! sessions run with `--rule fmt-sprintf` so fixes from other rules do not shift the numbering.

mod common;

use common::goldens::snapshot;
use common::*;
use expectrl::{Eof, Expect, Session};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const PROMPT: &str = "Apply this fix? [y,n,a,q,s,e,?]";

/// The four rewrites, in the order the session shows them: (before, after).
const FIXES: [(&str, &str); 4] = [
    (r#"fmt.Sprintf("item-%d", id)"#, r#""item-" + strconv.FormatInt(id, 10)"#),
    (r#"fmt.Sprintf("%d", n)"#, r#"strconv.Itoa(n)"#),
    (r#"fmt.Sprintf("%s/%s", dir, name)"#, r#"dir + "/" + name"#),
    (r#"fmt.Sprint(count)"#, r#"strconv.Itoa(count)"#),
];

type Pty = expectrl::session::OsSession;

fn command(dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackify"));
    cmd.arg("-C").arg(dir).args(["--fix", "--rule", "fmt-sprintf"]).args(extra);
    cmd.env("STACKIFY_CACHE_DIR", cache_dir()).env("NO_COLOR", "1").env("TERM", "xterm").env_remove("VISUAL");
    cmd
}

fn spawn(cmd: Command) -> Pty {
    let mut p = Session::spawn(cmd).expect("spawning stackify in a pty");
    // The first analysis of a run may build the type helper: be generous.
    p.set_expect_timeout(Some(Duration::from_secs(300)));
    p
}

/// Wait for the `n`-th fix (of 4) and its prompt.
fn at_fix(p: &mut Pty, n: usize) {
    p.expect(format!("[{n}/4]")).unwrap_or_else(|e| panic!("fix {n} not shown: {e}"));
    p.expect(PROMPT).unwrap_or_else(|e| panic!("no prompt for fix {n}: {e}"));
}

fn answer(p: &mut Pty, key: &str) {
    p.send(format!("{key}\r")).unwrap();
}

/// Answer fix 1, 2, ... in turn with `keys`, waiting for each fix's prompt first.
fn answer_in_turn(p: &mut Pty, keys: &[&str]) {
    for (i, key) in keys.iter().enumerate() {
        at_fix(p, i + 1);
        answer(p, key);
    }
}

/// Read everything up to the end of the session; returns that output and the exit status.
fn finish(p: &mut Pty) -> (String, String) {
    let out = p.expect(Eof).expect("the session ends");
    let text = String::from_utf8_lossy(out.as_bytes()).into_owned();
    let status = p.get_process().wait().expect("waiting for stackify");
    (text, format!("{status:?}"))
}

fn exited_ok(status: &str) -> bool {
    status.starts_with("Exited(") && status.ends_with(", 0)")
}

/// Which of the four rewrites are in demo.go (the other ones must still be the original call).
fn landed(dir: &Path) -> [bool; 4] {
    let src = read(dir, "demo.go");
    let mut out = [false; 4];
    for (i, (before, after)) in FIXES.iter().enumerate() {
        // The comments above the helpers mention the rewrites: look at the return statements.
        let (b, a) = (src.contains(&format!("\treturn {before}\n")), src.contains(&format!("\treturn {after}\n")));
        assert!(b != a, "fix {} is neither cleanly applied nor cleanly absent:\n{src}", i + 1);
        out[i] = a;
    }
    out
}

#[test]
fn yes_no_yes_no_applies_exactly_the_first_and_third() {
    let dir = fixture("demo");
    git_init(dir.path());
    let mut p = spawn(command(dir.path(), &[]));
    for (n, key) in [(1, "y"), (2, "n"), (3, "y"), (4, "n")] {
        at_fix(&mut p, n);
        answer(&mut p, key);
    }
    let (out, status) = finish(&mut p);
    assert!(exited_ok(&status), "status {status}:\n{out}");
    assert_eq!(landed(dir.path()), [true, false, true, false], "{out}");
    assert!(out.contains("applied 2 (demo.go), skipped 2"), "{out}");
    assert!(out.contains("files written: demo.go"), "{out}");
    assert_go_ok(dir.path(), "./...");
    assert_gofmt_clean(dir.path(), &[]);
}

#[test]
fn each_fix_is_shown_with_finding_cause_rule_diff_and_proof() {
    let dir = fixture("demo");
    let mut p = spawn(command(dir.path(), &["--allow-no-vcs"]));
    p.expect("[1/4]").unwrap();
    let shown = p.expect(PROMPT).unwrap();
    let text = String::from_utf8_lossy(shown.before()).into_owned();
    answer(&mut p, "q");
    let (out, status) = finish(&mut p);
    assert!(exited_ok(&status), "status {status}:\n{out}");
    for want in [
        "demo.go:56",
        "[fmt-sprintf]",
        "finding:  id escapes to heap",
        "why:      converted to an interface",
        "flow:",
        "rule:     fmt-sprintf — fmt.Sprintf(\"item-%d\", id) → \"item-\" + strconv.FormatInt(id, 10)",
        "-\treturn fmt.Sprintf(\"item-%d\", id)",
        "+\treturn \"item-\" + strconv.FormatInt(id, 10)",
        "+\t\"strconv\"",
        "removes: id escapes to heap",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    // The preview is of this fix alone: the other three rewrites are not in it.
    assert!(!text.contains("strconv.Itoa"), "{text}");
    assert_eq!(landed(dir.path()), [false; 4]);
    assert!(out.contains("no files written"), "{out}");
}

#[test]
fn a_at_the_first_prompt_applies_all() {
    let dir = fixture("demo");
    let mut p = spawn(command(dir.path(), &["--allow-no-vcs"]));
    at_fix(&mut p, 1);
    answer(&mut p, "a");
    let (out, status) = finish(&mut p);
    assert!(exited_ok(&status), "status {status}:\n{out}");
    assert!(!out.contains("[2/4]"), "a must not ask again:\n{out}");
    assert_eq!(landed(dir.path()), [true; 4], "{out}");
    assert!(out.contains("applied 4 (demo.go), skipped 0"), "{out}");
    assert_go_ok(dir.path(), "./...");
    assert_gofmt_clean(dir.path(), &[]);
}

#[test]
fn q_after_one_yes_writes_only_that_one() {
    let dir = fixture("demo");
    let mut p = spawn(command(dir.path(), &["--allow-no-vcs"]));
    answer_in_turn(&mut p, &["y", "q"]);
    let (out, status) = finish(&mut p);
    assert!(exited_ok(&status), "status {status}:\n{out}");
    assert!(!out.contains("[3/4]"), "{out}");
    assert_eq!(landed(dir.path()), [true, false, false, false], "{out}");
    assert!(out.contains("applied 1 (demo.go), skipped 3"), "{out}");
    assert!(out.contains("not reviewed after q"), "{out}");
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn s_skips_the_rest_of_the_rule() {
    let dir = fixture("demo");
    let mut p = spawn(command(dir.path(), &["--allow-no-vcs"]));
    answer_in_turn(&mut p, &["y", "s"]);
    let (out, status) = finish(&mut p);
    assert!(exited_ok(&status), "status {status}:\n{out}");
    assert!(!out.contains("[3/4]"), "s must skip the remaining fmt-sprintf fixes:\n{out}");
    assert_eq!(landed(dir.path()), [true, false, false, false], "{out}");
    assert!(out.contains("3 by rule: fmt-sprintf"), "{out}");
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn question_mark_prints_help_and_asks_again() {
    let dir = fixture("demo");
    let mut p = spawn(command(dir.path(), &["--allow-no-vcs"]));
    at_fix(&mut p, 1);
    answer(&mut p, "?");
    p.expect("skip this fix and every remaining fix of rule fmt-sprintf").expect("help text");
    p.expect(PROMPT).expect("asked again after the help");
    // An unknown key is refused and asked again too.
    answer(&mut p, "x");
    p.expect("answer y, n, a, q, s, e, or ? for help").expect("invalid answer refused");
    answer(&mut p, "n");
    at_fix(&mut p, 2);
    answer(&mut p, "y");
    at_fix(&mut p, 3);
    answer(&mut p, "q");
    let (out, status) = finish(&mut p);
    assert!(exited_ok(&status), "status {status}:\n{out}");
    assert_eq!(landed(dir.path()), [false, true, false, false], "{out}");
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn ctrl_c_at_the_second_prompt_writes_nothing() {
    let dir = fixture("demo");
    let before = snapshot(dir.path());
    let mut p = spawn(command(dir.path(), &["--allow-no-vcs"]));
    at_fix(&mut p, 1);
    answer(&mut p, "y");
    at_fix(&mut p, 2);
    p.send("\x03").unwrap();
    let (out, status) = finish(&mut p);
    assert!(!exited_ok(&status), "Ctrl-C must abort, got {status}:\n{out}");
    assert!(!out.contains("files written"), "{out}");
    // Give a (wrongly) surviving process no chance to write later.
    std::thread::sleep(Duration::from_millis(300));
    assert!(snapshot(dir.path()) == before, "files changed after Ctrl-C:\n{out}");
}

fn editor_script(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("editor.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

#[test]
fn e_opens_the_editor_at_the_line_then_asks_again() {
    let dir = fixture("demo");
    let tools = tempfile::tempdir().unwrap();
    let log = tools.path().join("editor.log");
    let editor = editor_script(tools.path(), &format!("printf '%s\\n' \"$*\" >> '{}'", log.display()));
    let mut cmd = command(dir.path(), &["--allow-no-vcs"]);
    cmd.env("EDITOR", &editor);
    let mut p = spawn(cmd);
    answer_in_turn(&mut p, &["n", "e"]);
    // The fix is shown again after the editor, then the same question.
    at_fix(&mut p, 2);
    answer(&mut p, "y");
    at_fix(&mut p, 3);
    answer(&mut p, "q");
    let (out, status) = finish(&mut p);
    assert!(exited_ok(&status), "status {status}:\n{out}");
    let logged = std::fs::read_to_string(&log).expect("the editor ran");
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(lines.len(), 1, "{logged}");
    let (line, path) = lines[0].split_once(' ').expect("+LINE path");
    assert_eq!(line, "+62", "{logged}");
    assert!(path.ends_with("demo.go") && Path::new(path).is_absolute(), "{logged}");
    assert_eq!(landed(dir.path()), [false, true, false, false], "{out}");
    assert_go_ok(dir.path(), "./...");
}

#[test]
fn an_edit_in_the_editor_stops_the_session_and_keeps_the_edit() {
    let dir = fixture("demo");
    let tools = tempfile::tempdir().unwrap();
    // The "editor" appends a comment to the file it is given (the last argument).
    let editor = editor_script(tools.path(), "for f; do :; done; printf '// edited by hand\\n' >> \"$f\"");
    let mut cmd = command(dir.path(), &["--allow-no-vcs"]);
    cmd.env("EDITOR", &editor);
    let mut p = spawn(cmd);
    answer_in_turn(&mut p, &["y", "e"]);
    let (out, status) = finish(&mut p);
    assert!(status.starts_with("Exited(") && status.ends_with(", 2)"), "status {status}:\n{out}");
    assert!(out.contains("demo.go changed in the editor"), "{out}");
    assert!(out.contains("nothing was written"), "{out}");
    let src = read(dir.path(), "demo.go");
    assert!(src.ends_with("// edited by hand\n"), "the user's edit must be kept");
    assert_eq!(landed(dir.path()), [false; 4], "an accepted fix must not be written over an edit");
}

#[test]
fn without_a_terminal_it_fails_at_once_pointing_to_diff_and_apply() {
    let dir = fixture("demo");
    let before = snapshot(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_stackify"))
        .arg("-C")
        .arg(dir.path())
        .args(["--fix", "--allow-no-vcs"])
        .env("STACKIFY_CACHE_DIR", cache_dir())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("running stackify");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("needs a terminal") && err.contains("--diff") && err.contains("--apply"), "{err}");
    assert!(snapshot(dir.path()) == before);
}
