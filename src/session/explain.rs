//! `--explain FILE:LINE`: everything known about the findings on one line — the cause in plain words,
//! what it costs, the compiler's full flow, and what a rule or an expert would do about it.

use super::Analysis;
use crate::findings::{classify, Origin};
use anyhow::{bail, Context, Result};
use std::fmt::Write;
use std::path::Path;

pub fn explain(a: &Analysis, target: &str) -> Result<String> {
    let (file, line) = target.rsplit_once(':').context("--explain takes FILE:LINE")?;
    let line: u32 = line.parse().with_context(|| format!("--explain {target}: {line:?} is not a line number"))?;
    let path = a.toolchain.dir.join(file);
    let path = std::fs::canonicalize(&path).with_context(|| format!("--explain: {} does not exist", path.display()))?;
    let here: Vec<_> = a
        .findings
        .iter()
        .filter(|f| {
            f.is_reportable()
                && f.line() == line
                && f.file.as_deref().and_then(|p| std::fs::canonicalize(p).ok()).as_deref() == Some(path.as_path())
        })
        .collect();
    if here.is_empty() {
        bail!("no escape findings on {target} (was its package among the patterns?)");
    }
    let mut out = String::new();
    let namer = crate::findings::display::Namer::new(&a.sources, &a.listing).with_known(&a.source_words);
    for f in here {
        let _ = writeln!(out, "{}:{}:{}: {}", display(a, &path), f.line(), f.col(), namer.message(f));
        if let Some(func) = namer.function(f) {
            let _ = writeln!(out, "  in:     {func} (package {})", f.package);
        }
        let _ = writeln!(out, "  cause:  {}", classify::describe_finding(f));
        let cost = match f.cost {
            crate::findings::Cost::Allocates => "allocates each time this code runs",
            crate::findings::Cost::MayAllocate => {
                "may allocate: free for pointer-shaped values, constants, small integers and single bytes"
            }
            crate::findings::Cost::Free => "free: boxing a constant, a zero-size value or a pointer allocates nothing",
            crate::findings::Cost::NoneHere => "nothing here: callers pay, if anything",
        };
        let _ = writeln!(out, "  cost:   {cost}");
        match &f.origin {
            Origin::Native => {}
            Origin::Inlined { callees } => {
                let _ = writeln!(
                    out,
                    "  origin: code inlined from {}; fix it there, not at this call",
                    callees.iter().map(|c| namer.function_name(f, c)).collect::<Vec<_>>().join(" → ")
                );
            }
            Origin::Foreign { reason } => {
                let _ = writeln!(out, "  origin: {reason}");
            }
        }
        // A fix says more than the remedy. Otherwise the remedy, and a rule's decline beside it (it
        // often says why the remedy does not apply here); --explain is about one line, so it shows
        // even declines whose shape did not match, marked as such.
        if let Some(fx) = a.fixes.iter().find(|x| x.targets.contains(&f.id)) {
            let _ = writeln!(out, "  fix:    #{} [{}] {}", fx.id, fx.rule, fx.title);
            let _ = writeln!(out, "          {}", fx.explanation);
        } else {
            if let Some(r) = classify::remedy_for(f).map(|r| namer.callee_words(f, &r)) {
                let _ = writeln!(out, "  try:    {r}");
            }
            for d in a.declined.iter().filter(|d| d.findings.contains(&f.id)) {
                let shape = if d.code.is_shape_mismatch() { ", not this rule's shape" } else { "" };
                let reason = crate::output::text::declined_words(a, &namer, d);
                let _ = writeln!(out, "  rule:   {} declined: {reason} [{}{shape}]", d.rule, d.code);
            }
        }
        if !f.flows.is_empty() {
            let _ = writeln!(out, "  flow (go build -gcflags=-m=2):");
            for fl in &f.flows {
                let _ = writeln!(out, "    {} ← {}", fl.dst, fl.src);
                for s in &fl.steps {
                    let at = s.at.as_ref().map(|p| format!(" at line {}:{}", p.line, p.col)).unwrap_or_default();
                    let _ = writeln!(out, "      from {} ({}){at}", s.expr, s.reason);
                }
            }
        }
        out.push('\n');
    }
    Ok(out)
}

fn display(a: &Analysis, p: &Path) -> String {
    a.display_path(p)
}
