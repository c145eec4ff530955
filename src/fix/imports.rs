//! Import edits that keep a gofmt-clean file gofmt-clean: add a spec in sorted position inside the
//! group that holds the standard library imports, drop a spec whose every use was rewritten, and never
//! touch anything else in the import section.

use super::TextEdit;
use crate::source::SourceFile;
use anyhow::{bail, Result};
use tree_sitter::Node;

#[derive(Debug, Clone)]
struct Spec {
    path: String,
    /// Byte range of the whole line(s) holding the spec, including the line terminator.
    line_start: usize,
    line_end: usize,
    /// The spec shares its line with other code (`import ("a"; "b")`): cannot be removed by lines.
    shares_line: bool,
    indent: String,
}

#[derive(Debug)]
struct Decl<'t> {
    node: Node<'t>,
    grouped: bool,
    specs: Vec<Spec>,
}

fn unquote(lit: &str) -> String {
    lit.trim_matches(|c| c == '"' || c == '`').to_string()
}

fn decls(src: &SourceFile) -> Vec<Decl<'_>> {
    let root = src.tree.root_node();
    let mut out = Vec::new();
    let mut cursor = root.walk();
    for child in root.children(&mut cursor) {
        if child.kind() != "import_declaration" {
            continue;
        }
        let mut specs = Vec::new();
        let mut grouped = false;
        let mut c2 = child.walk();
        for part in child.named_children(&mut c2) {
            let in_list = part.kind() == "import_spec_list";
            let spec_nodes: Vec<Node> = if in_list {
                grouped = true;
                let mut c3 = part.walk();
                part.named_children(&mut c3).filter(|n| n.kind() == "import_spec").collect()
            } else if part.kind() == "import_spec" {
                vec![part]
            } else {
                vec![]
            };
            for s in spec_nodes {
                let Some(path) = s.child_by_field_name("path") else { continue };
                let li = src.line_index(s.start_byte());
                let line_start = src.line_start(li);
                let line_end = src.line_start(src.line_index(s.end_byte()) + 1);
                let before = &src.text[line_start..s.start_byte()];
                let after = &src.text[s.end_byte()..line_end];
                let after_code = after.trim_start();
                // `import "fmt"` on its own line is a whole line too.
                let lead_ok = before.trim().is_empty() || (!in_list && before.trim() == "import");
                let shares_line = !lead_ok || !(after_code.is_empty() || after_code.starts_with("//"));
                specs.push(Spec {
                    path: unquote(src.node_text(path)),
                    line_start,
                    line_end,
                    shares_line,
                    indent: before.chars().take_while(|c| c.is_whitespace()).collect(),
                });
            }
        }
        out.push(Decl { node: child, grouped, specs });
    }
    out
}

fn is_std(path: &str) -> bool {
    !path.split('/').next().unwrap_or("").contains('.')
}

/// Edits that add `add` and remove `remove` (import paths) from `src`.
pub fn import_edits(src: &SourceFile, add: &[String], remove: &[String]) -> Result<Vec<TextEdit>> {
    let nl = src.newline();
    let decls = decls(src);
    let mut edits = Vec::new();
    let present = |p: &str| decls.iter().any(|d| d.specs.iter().any(|s| s.path == p));
    let to_add: Vec<&String> = add.iter().filter(|p| !present(p) && !remove.contains(p)).collect();
    let group = first_group(&decls);
    // One lone `import "x"` receiving additions is rewritten whole as a sorted group.
    // Never regroup `import "C"`: cgo needs its preamble comment right above that declaration.
    let lone = (group.is_none()
        && decls.len() == 1
        && decls[0].specs.len() == 1
        && !decls[0].specs[0].shares_line
        && decls[0].specs[0].path != "C")
        .then(|| &decls[0]);

    for d in &decls {
        let removed: Vec<&Spec> = d.specs.iter().filter(|s| remove.contains(&s.path)).collect();
        if removed.is_empty() || (lone.is_some_and(|l| std::ptr::eq(l, d)) && !to_add.is_empty()) {
            continue;
        }
        if let Some(s) = removed.iter().find(|s| s.shares_line) {
            bail!("cannot drop the now-unused import {:?}: it shares a line with other code", s.path);
        }
        let receives = !to_add.is_empty() && group.is_some_and(|g| std::ptr::eq(g, d));
        if removed.len() == d.specs.len() && !receives {
            // The whole declaration goes, with one of the blank lines around it so none doubles up.
            let start = src.line_start(src.line_index(d.node.start_byte()));
            let mut end = src.line_start(src.line_index(d.node.end_byte()) + 1);
            let blank_before = src.text[..start].ends_with(&format!("{nl}{nl}"));
            if blank_before && src.text[end..].starts_with(nl) {
                end += nl.len();
            }
            edits.push(TextEdit { start, end, text: String::new() });
        } else {
            for s in removed {
                edits.push(TextEdit { start: s.line_start, end: s.line_end, text: String::new() });
            }
        }
    }
    if to_add.is_empty() {
        return Ok(edits);
    }
    if let Some(group) = group {
        // Insert into the run (specs not separated by a blank line) of the same kind (std or not),
        // in sorted position: gofmt sorts within runs.
        let runs = runs(src, &group.specs);
        for path in to_add {
            let run = runs
                .iter()
                .find(|r| r.iter().any(|s| is_std(&s.path) == is_std(path)))
                .or_else(|| runs.first())
                .expect("a group has at least one run");
            let indent = run.first().map(|s| s.indent.clone()).unwrap_or_else(|| "\t".into());
            let at = match run.iter().find(|s| s.path.as_str() > path.as_str()) {
                Some(s) => s.line_start,
                None => run.last().map(|s| s.line_end).unwrap_or(group.node.start_byte()),
            };
            edits.push(TextEdit { start: at, end: at, text: format!("{indent}\"{path}\"{nl}") });
        }
        return Ok(edits);
    }
    if let Some(single) = lone {
        let spec = &single.specs[0];
        let spec_text = src.text[single.node.byte_range()].trim_start_matches("import").trim();
        let mut lines: Vec<(String, String)> = Vec::new();
        if !remove.contains(&spec.path) {
            lines.push((spec.path.clone(), spec_text.to_string()));
        }
        lines.extend(to_add.iter().map(|p| ((*p).clone(), format!("\"{p}\""))));
        lines.sort();
        let text = if let [(_, only)] = lines.as_slice() {
            format!("import {only}")
        } else {
            let body: String = lines.iter().map(|(_, t)| format!("\t{t}{nl}")).collect();
            format!("import ({nl}{body})")
        };
        edits.push(TextEdit { start: single.node.start_byte(), end: single.node.end_byte(), text });
        return Ok(edits);
    }
    if let Some(last) = decls.last() {
        let at = src.line_start(src.line_index(last.node.end_byte()) + 1);
        for p in to_add {
            edits.push(TextEdit { start: at, end: at, text: format!("import \"{p}\"{nl}") });
        }
        return Ok(edits);
    }
    // No imports at all: after the package clause line.
    let root = src.tree.root_node();
    let mut cursor = root.walk();
    let Some(pkg) = root.children(&mut cursor).find(|c| c.kind() == "package_clause") else {
        bail!("no package clause")
    };
    let at = src.line_start(src.line_index(pkg.end_byte()) + 1);
    let specs: String = to_add.iter().map(|p| format!("import \"{p}\"{nl}")).collect();
    edits.push(TextEdit { start: at, end: at, text: format!("{nl}{specs}") });
    Ok(edits)
}

fn first_group<'a, 't>(decls: &'a [Decl<'t>]) -> Option<&'a Decl<'t>> {
    decls.iter().find(|d| d.grouped && !d.specs.is_empty() && !d.specs.iter().any(|s| s.path == "C"))
}

/// Split a group's specs at blank lines: gofmt sorts each run separately.
fn runs<'a>(src: &SourceFile, specs: &'a [Spec]) -> Vec<Vec<&'a Spec>> {
    let mut out: Vec<Vec<&Spec>> = Vec::new();
    for s in specs {
        let contiguous = out.last().and_then(|r| r.last()).is_some_and(|prev| {
            let between = &src.text[prev.line_end..s.line_start];
            between.is_empty() || between.lines().all(|l| l.trim().starts_with("//"))
        });
        if contiguous {
            out.last_mut().unwrap().push(s);
        } else {
            out.push(vec![s]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn apply(text: &str, add: &[&str], remove: &[&str]) -> String {
        let src = SourceFile::parse(Path::new("a.go"), text.to_string()).unwrap();
        let add: Vec<String> = add.iter().map(|s| s.to_string()).collect();
        let remove: Vec<String> = remove.iter().map(|s| s.to_string()).collect();
        let edits = import_edits(&src, &add, &remove).unwrap();
        crate::fix::compose::apply_edits(text, &edits).unwrap().0
    }

    #[test]
    fn adds_into_sorted_std_run() {
        let t = "package p\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n\t\"unicode\"\n\n\t\"example.com/x\"\n)\n";
        assert_eq!(
            apply(t, &["strconv"], &[]),
            "package p\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n\t\"strconv\"\n\t\"unicode\"\n\n\t\"example.com/x\"\n)\n"
        );
        assert_eq!(
            apply(t, &["strconv"], &["fmt"]),
            "package p\n\nimport (\n\t\"errors\"\n\t\"strconv\"\n\t\"unicode\"\n\n\t\"example.com/x\"\n)\n"
        );
    }

    #[test]
    fn single_import_becomes_a_group_or_goes() {
        let t = "package p\n\nimport \"fmt\"\n\nfunc f() {}\n";
        assert_eq!(apply(t, &["strconv"], &[]), "package p\n\nimport (\n\t\"fmt\"\n\t\"strconv\"\n)\n\nfunc f() {}\n");
        assert_eq!(apply(t, &[], &["fmt"]), "package p\n\nfunc f() {}\n");
        assert_eq!(apply(t, &["strconv"], &["fmt"]), "package p\n\nimport \"strconv\"\n\nfunc f() {}\n");
        // replacing the only import keeps one declaration
        let g = "package p\n\nimport (\n\t\"fmt\"\n)\n\nfunc f() {}\n";
        assert_eq!(apply(g, &["strconv"], &["fmt"]), "package p\n\nimport (\n\t\"strconv\"\n)\n\nfunc f() {}\n");
        assert_eq!(apply(g, &[], &["fmt"]), "package p\n\nfunc f() {}\n");
    }

    #[test]
    fn no_imports_and_crlf() {
        assert_eq!(
            apply("package p\n\nfunc f() {}\n", &["strconv"], &[]),
            "package p\n\nimport \"strconv\"\n\nfunc f() {}\n"
        );
        let t = "package p\r\n\r\nimport (\r\n\t\"fmt\"\r\n)\r\n";
        assert_eq!(apply(t, &["strconv"], &[]), "package p\r\n\r\nimport (\r\n\t\"fmt\"\r\n\t\"strconv\"\r\n)\r\n");
    }

    #[test]
    fn cgo_import_keeps_its_preamble() {
        let t = "package p\n\n// #include <stdio.h>\nimport \"C\"\n\nfunc f() {}\n";
        assert_eq!(
            apply(t, &["strconv"], &[]),
            "package p\n\n// #include <stdio.h>\nimport \"C\"\nimport \"strconv\"\n\nfunc f() {}\n"
        );
    }

    #[test]
    fn already_present_is_not_added() {
        let t = "package p\n\nimport (\n\tsc \"strconv\"\n)\n";
        assert_eq!(apply(t, &["strconv"], &[]), t);
    }
}
