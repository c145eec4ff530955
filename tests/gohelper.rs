//! The embedded Go helper's own Go tests, run with the real toolchain (it is not a Cargo target).

use std::process::Command;

#[test]
fn gohelper_go_tests_pass() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/go/gohelper");
    for f in ["main.go", "main_test.go"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("go.mod"), "module stackify.local/gohelper\n\ngo 1.21\n").unwrap();
    for args in [vec!["vet", "./..."], vec!["test", "-count=1", "./..."]] {
        let o = Command::new("go").args(&args).current_dir(dir.path()).env("GOWORK", "off").output().unwrap();
        assert!(
            o.status.success(),
            "go {args:?}:\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
