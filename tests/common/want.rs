//! Fixture expectations as data, the way golang.org/x/tools' analysistest reads `// want`: a line of
//! a fixture's Go file that ends in `// want decline:<code> [decline:<code>...]` must be declined by
//! the fixture's rules with exactly those codes, and `// want fix` marks a line a rule must fix. Every
//! decline on a keep/ line must be annotated, so a keep case that stops being declined, or starts
//! being declined for another reason, fails with the file and line instead of a count.

use super::goldens::snapshot;
use super::{fixture, json, stackify};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A decline's reason is a sentence for people; this many bytes or fewer is a placeholder.
const MIN_REASON: usize = 10;

/// What a fixture's annotations expect on one line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Want {
    /// The decline codes (`DeclineCode` kebab-case names), compared as a set with the report's.
    pub declines: BTreeSet<String>,
    /// `// want fix`: a rule proposes a fix reported at this line.
    pub fix: bool,
}

/// (file relative to the fixture, `/`-separated; 1-based line).
pub type At = (String, usize);

/// Every `// want` annotation in the `.go` files under `dir`. Malformed annotations are errors, not
/// skipped: a misspelt `decline:` would otherwise pass by asserting nothing.
pub fn parse_wants(dir: &Path) -> Result<BTreeMap<At, Want>, Vec<String>> {
    let mut wants = BTreeMap::new();
    let mut errors = Vec::new();
    for (rel, bytes) in snapshot(dir) {
        let file = rel.to_string_lossy().replace('\\', "/");
        if !file.ends_with(".go") {
            continue;
        }
        for (i, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
            let Some(at) = line.find("// want") else { continue };
            let rest = &line[at + "// want".len()..];
            // `// wanted ...` is prose, not an annotation.
            if !(rest.is_empty() || rest.starts_with(' ')) {
                continue;
            }
            let mut want = Want::default();
            for token in rest.split_whitespace() {
                match token.strip_prefix("decline:") {
                    Some(code) if !code.is_empty() => {
                        want.declines.insert(code.to_string());
                    }
                    _ if token == "fix" => want.fix = true,
                    _ => errors.push(format!(
                        "{file}:{}: `{token}` in a `// want` annotation is neither `decline:<code>` nor `fix`",
                        i + 1
                    )),
                }
            }
            if rest.split_whitespace().next().is_none() {
                errors.push(format!("{file}:{}: `// want` with nothing wanted", i + 1));
            }
            wants.insert((file.clone(), i + 1), want);
        }
    }
    if errors.is_empty() {
        Ok(wants)
    } else {
        Err(errors)
    }
}

/// What one `--json` report says about a line for the rules under test.
#[derive(Debug, Default)]
struct Got {
    /// code → (rule, reason) of each decline reported at the line.
    declines: BTreeMap<String, (String, String)>,
    /// The rules that propose a fix at the line.
    fixes: Vec<String>,
}

fn entries_by_line<'a>(doc: &'a Value, list: &str, rules: &[&str]) -> impl Iterator<Item = (At, &'a Value)> + 'a {
    let rules: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
    doc[list]
        .as_array()
        .unwrap_or_else(|| panic!("the report has no `{list}` list"))
        .iter()
        .filter(move |e| rules.iter().any(|r| e["rule"] == r.as_str()))
        .map(|e| ((e["file"].as_str().unwrap().to_string(), e["line"].as_u64().unwrap() as usize), e))
}

fn got_by_line(doc: &Value, rules: &[&str]) -> BTreeMap<At, Got> {
    let mut got: BTreeMap<At, Got> = BTreeMap::new();
    let text = |e: &Value, k: &str| e[k].as_str().unwrap_or_else(|| panic!("no `{k}` in {e}")).to_string();
    for (at, d) in entries_by_line(doc, "declined", rules) {
        got.entry(at).or_default().declines.insert(text(d, "code"), (text(d, "rule"), text(d, "reason")));
    }
    for (at, f) in entries_by_line(doc, "fixes", rules) {
        got.entry(at).or_default().fixes.push(text(f, "rule"));
    }
    got
}

fn codes(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "nothing".to_string()
    } else {
        set.iter().map(|c| format!("decline:{c}")).collect::<Vec<_>>().join(" ")
    }
}

/// Compares the annotations with a report of `rules` and returns one line per mismatch.
pub fn compare(wants: &BTreeMap<At, Want>, doc: &Value, rules: &[&str]) -> Vec<String> {
    let got = got_by_line(doc, rules);
    let none = Got::default();
    let mut problems = Vec::new();
    let in_keep = |file: &str| file.starts_with("keep/");
    for ((file, line), want) in wants {
        let g = got.get(&(file.clone(), *line)).unwrap_or(&none);
        let got_codes: BTreeSet<String> = g.declines.keys().cloned().collect();
        // A line annotated only `fix` says nothing about declines there (another site may share it).
        if (!want.declines.is_empty() || in_keep(file)) && want.declines != got_codes {
            let why: Vec<String> =
                g.declines.iter().map(|(code, (rule, reason))| format!("\n    {rule} {code}: {reason}")).collect();
            problems.push(format!(
                "{file}:{line}: want {}, got {}{}",
                codes(&want.declines),
                codes(&got_codes),
                why.concat()
            ));
        }
        // The removed per-rule checks also held reasons to more than a placeholder; keep that here.
        for (code, (rule, reason)) in &g.declines {
            if reason.len() <= MIN_REASON {
                problems.push(format!("{file}:{line}: {rule} {code} has no stated reason: {reason:?}"));
            }
        }
        if want.fix && g.fixes.is_empty() {
            problems.push(format!("{file}:{line}: want fix, got no fix"));
        }
    }
    for ((file, line), g) in &got {
        if !in_keep(file) {
            continue;
        }
        if !wants.contains_key(&(file.clone(), *line)) && !g.declines.is_empty() {
            let codes: BTreeSet<String> = g.declines.keys().cloned().collect();
            problems.push(format!(
                "{file}:{line}: unexpected {} (keep/ lines a rule declines must say so: `// want {}`)",
                self::codes(&codes),
                self::codes(&codes)
            ));
        }
        // keep/ is what must not be rewritten: a fix there is wrong whatever the annotation says.
        for rule in &g.fixes {
            problems.push(format!("{file}:{line}: {rule} proposes a fix in keep/"));
        }
    }
    problems
}

/// Runs `rules` once over a fresh copy of fixtures/<name> (`--tests`, so keep/'s test files and
/// generic code instantiated only by tests are reported too; `-v`, so declines of sites that are not
/// the rule's shape are listed as well) and checks the report against the fixture's annotations.
pub fn assert_annotations_hold(name: &str, rules: &[&str]) {
    assert!(!rules.is_empty(), "fixtures/{name}: no rule to run");
    let dir = fixture(name);
    let wants = parse_wants(dir.path()).unwrap_or_else(|e| panic!("fixtures/{name}:\n{}", e.join("\n")));
    assert!(
        wants.keys().any(|(file, _)| file.starts_with("keep/")),
        "fixtures/{name}: no `// want decline:<code>` annotation in keep/ (rules/README.md, \"Decline codes\")"
    );
    let mut args = vec!["--json", "-v", "--tests"];
    for r in rules {
        args.extend(["--rule", r]);
    }
    let doc = json(&stackify(dir.path(), &args));
    let problems = compare(&wants, &doc, rules);
    assert!(
        problems.is_empty(),
        "fixtures/{name} (rules {}): {} annotation mismatch(es):\n{}",
        rules.join(", "),
        problems.len(),
        problems.join("\n")
    );
}
