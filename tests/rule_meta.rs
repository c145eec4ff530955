//! A rule is declared once (its `RuleMeta`): what `--list-rules` prints, the title of its document
//! and the README's rule table must say the same thing.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// id → summary, from `stackify --list-rules` (`<id padded to 16> <summary>`).
fn listed() -> BTreeMap<String, String> {
    let o = Command::new(env!("CARGO_BIN_EXE_stackify")).arg("--list-rules").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (id, summary) = l.split_once(' ').unwrap_or_else(|| panic!("not `id summary`: {l:?}"));
            (id.to_string(), summary.trim_start().to_string())
        })
        .collect()
}

#[test]
fn list_rules_doc_titles_and_readme_table_agree() {
    let rules = listed();
    assert!(rules.len() >= 11, "{rules:?}");
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let table = readme.split("\n## Rules\n").nth(1).expect("README has a ## Rules section");
    let table = table.split("\n## ").next().unwrap();
    let mut rows = BTreeMap::new();
    for line in table.lines().filter(|l| l.starts_with("| [`")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let id = cells[0].trim_start_matches("| [`").split('`').next().unwrap().to_string();
        rows.insert(id, cells[1].to_string());
    }
    let mut problems = Vec::new();
    for (id, summary) in &rules {
        let doc = std::fs::read_to_string(repo().join("rules").join(format!("{id}.md"))).unwrap_or_default();
        let title = doc.lines().next().unwrap_or("");
        let want = format!("# {id}: {summary}");
        if title != want {
            problems.push(format!("rules/{id}.md title is {title:?}, --list-rules says {want:?}"));
        }
        match rows.get(id) {
            Some(cell) if cell == summary => {}
            Some(cell) => problems.push(format!("README row for {id} says {cell:?}, --list-rules says {summary:?}")),
            None => problems.push(format!("README's rule table has no row for {id}")),
        }
    }
    for id in rows.keys().filter(|id| !rules.contains_key(*id)) {
        problems.push(format!("README's rule table lists {id}, which --list-rules does not"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_declares_its_document_and_fixture() {
    for rule in stackify::rules::registry() {
        let m = rule.meta();
        assert_eq!(m.doc, format!("rules/{}.md", m.id), "{m:?}");
        assert!(repo().join(m.doc).is_file(), "{m:?}: no document");
        assert!(repo().join(m.fixture).join("go.mod").is_file(), "{m:?}: the fixture is not a module");
        assert!(m.min_go.is_none_or(|v| (1..=99).contains(&v)), "{m:?}: min_go is a Go 1.x minor release");
    }
}
