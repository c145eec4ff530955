#!/usr/bin/env python3
"""Aggregate raw benchmark output into results JSON, and render results JSON as Markdown.

    aggregate.py cost OUTDIR          > results-cost.json    (OUTDIR from bench/cost.sh)
    aggregate.py cost-md RESULTS.json > results-cost.md
    aggregate.py effect OUTDIR        > results-effect.json  (OUTDIR from bench/effect.sh)
    aggregate.py effect-md RESULTS.json > results-effect.md

Standard library only.
"""
import glob
import json
import os
import re
import statistics
import sys

SCENARIOS = ["warm", "modcold", "cold"]
NAMES = ["base", "floor", "report", "diff", "first"]


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def summary_of(doc):
    if not doc:
        return None
    s = doc.get("summary", {})
    keep = ["packages", "findings", "by_kind", "by_cost", "by_cause", "native", "inlined", "foreign",
            "fixable", "fixes_candidate", "fixes_verified", "fixes_dropped", "declined", "go_invocations",
            "verification_builds", "elapsed_ms", "timings"]
    out = {k: s.get(k) for k in keep if k in s}
    out["rules"] = rule_counts(doc)
    out["dropped_reasons"] = reason_counts(f.get("reason") for f in doc.get("fixes", []) if f.get("status") == "dropped")
    by_rule = {}
    for d in doc.get("declined", []):
        by_rule[d.get("rule")] = by_rule.get(d.get("rule"), 0) + 1
    out["declined_by_rule"] = dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))
    out["declined_reasons"] = reason_counts((d.get("rule"), d.get("reason")) for d in doc.get("declined", []))
    return out


def rule_counts(doc):
    rules = {}
    for f in doc.get("fixes", []):
        r = rules.setdefault(f["rule"], {"candidate": 0, "verified": 0, "dropped": 0, "targets": 0})
        r[f.get("status", "candidate")] = r.get(f.get("status", "candidate"), 0) + 1
        r["targets"] += len(f.get("targets", []))
    return rules


def normalize_reason(r):
    """Group reasons that differ only in the names and types they quote."""
    if r is None:
        return "(none)"
    r = re.sub(r"`[^`]*`", "`…`", r)
    r = re.sub(r"\((?:[^()]|\([^()]*\))*\)", "(…)", r)  # parentheses, one level of nesting inside
    r = re.sub(r'"(?:[^"\\]|\\.)*"', '"…"', r)
    r = re.sub(r"^[A-Za-z_]\w* is exported", "… is exported", r)
    r = re.sub(r"\bof [A-Za-z_]\w* is not written", "of … is not written", r)
    r = re.sub(r"\binline [A-Za-z_]\w*:", "inline …:", r)
    r = re.sub(r"\bwrites [A-Za-z_]\w*\b", "writes …", r)
    r = re.sub(r"\baddress of [A-Za-z_]\w* is", "address of … is", r)
    r = re.sub(r"\bis a [^\s:]+:", "is a …:", r)
    r = re.sub(r"\b\d+\b", "N", r)
    return r.strip()


def reason_counts(reasons):
    """Count reasons (strings, or (rule, reason) pairs) after normalize_reason."""
    out = {}
    for r in reasons:
        k = f"{r[0]}: {normalize_reason(r[1])}" if isinstance(r, tuple) else normalize_reason(r)
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def stats(runs):
    walls = [r["wall"] for r in runs]
    cpus = [r["cpu"] for r in runs]
    return {
        "n": len(walls),
        "median_s": round(statistics.median(walls), 4),
        "min_s": round(min(walls), 4),
        "max_s": round(max(walls), 4),
        "cpu_median_s": round(statistics.median(cpus), 4),
        "runs_s": [round(w, 4) for w in walls],
    }


def ratio(a, b):
    return round(a / b, 3) if a and b else None


def cost(outdir):
    beds = open(os.path.join(outdir, "beds.txt")).read().split()
    raw = {}
    for path in glob.glob(os.path.join(outdir, "raw", "*.json")):
        bed, scen, name, _round, _ = os.path.basename(path).split(".")
        r = load(path)["results"][0]
        raw.setdefault(bed, {}).setdefault(scen, {}).setdefault(name, []).append(
            {"wall": r["times"][0], "cpu": r["user"] + r["system"], "exit": r["exit_codes"][0]})
    loads = {}
    try:
        for line in open(os.path.join(outdir, "load.txt")):
            bed, scen, _r, l1, _l5, _l15 = line.split()
            loads.setdefault(bed, {}).setdefault(scen, []).append(float(l1))
    except OSError:
        pass
    rss = [json.loads(l) for l in open(os.path.join(outdir, "rss", "rss.jsonl"))] if os.path.exists(
        os.path.join(outdir, "rss", "rss.jsonl")) else []
    res = {
        "kind": "stackify-cost",
        "machine": load(os.path.join(outdir, "machine.json")),
        "elapsed_s": int(open(os.path.join(outdir, "elapsed_s.txt")).read().strip() or 0)
        if os.path.exists(os.path.join(outdir, "elapsed_s.txt")) else None,
        "commands": {
            "base": "go build -gcflags=-m -o /dev/null ./...",
            "floor": "go list -e -export -deps -gcflags=-m=2 -json=<stackify's fields> -- ./...  (stackify's own go call on a cache miss)",
            "report": "stackify -q",
            "diff": "stackify --diff -q",
            "first": "stackify -q with empty GOCACHE and empty STACKIFY_CACHE_DIR",
        },
        "beds": [],
        "rss": rss,
    }
    for bed in beds:
        size = load(os.path.join(outdir, "json", f"{bed}.size.json"), {})
        b = dict(size)
        b["scenarios"] = {}
        for scen in SCENARIOS:
            cmds = raw.get(bed, {}).get(scen)
            if not cmds:
                continue
            st = {name: stats(runs) for name, runs in cmds.items()}
            base = st.get("base")
            rat = {}
            for name in ["report", "diff", "first"]:
                if name in st and base:
                    rat[f"{name}_vs_base"] = {
                        "median": ratio(st[name]["median_s"], base["median_s"]),
                        "min": ratio(st[name]["min_s"], base["min_s"]),
                        "cpu": ratio(st[name]["cpu_median_s"], base["cpu_median_s"]),
                    }
                if name in st and "floor" in st:
                    rat[f"{name}_vs_floor"] = {
                        "median": ratio(st[name]["median_s"], st["floor"]["median_s"]),
                        "min": ratio(st[name]["min_s"], st["floor"]["min_s"]),
                    }
            b["scenarios"][scen] = {"commands": st, "ratios": rat, "load1": loads.get(bed, {}).get(scen)}
        b["report"] = summary_of(load(os.path.join(outdir, "json", f"{bed}.report.json")))
        b["diff"] = summary_of(load(os.path.join(outdir, "json", f"{bed}.diff.json")))
        b["diff_modcold"] = summary_of(load(os.path.join(outdir, "json", f"{bed}.diff-modcold.json")))
        res["beds"].append(b)
    return res


def fmt_s(x):
    if x is None:
        return "–"
    return f"{x * 1000:.0f} ms" if x < 10 else f"{x:.1f} s"


def fmt_r(x, target=None):
    if x is None:
        return "–"
    s = f"{x:.2f}×"
    if target is not None and x > target:
        s += " ✗"
    return s


def cost_md(res):
    m = res["machine"] or {}
    out = []
    out.append(f"Machine: {m.get('cpu')} × {m.get('cores')} cores, {m.get('memory')}, {m.get('kernel')}; "
               f"{m.get('go')}; stackify {m.get('stackify')}; {m.get('date')}; {m.get('hyperfine')}. "
               f"Total {res.get('elapsed_s')} s."
               + (f" Timed commands of the {m.get('nice_scenarios')} scenarios ran at nice {m.get('nice')}." if m.get('nice') else "")
               + "\n")
    titles = {
        "warm": "Warm: everything cached (a rerun with no edits)",
        "modcold": "Module cold: dependencies cached, the module's own packages not (the edit loop)",
        "cold": "Cold: empty GOCACHE (fresh machine or CI without a cache)",
    }
    for scen in SCENARIOS:
        rows = [b for b in res["beds"] if scen in b["scenarios"]]
        if not rows:
            continue
        n = max(c["n"] for b in rows for c in b["scenarios"][scen]["commands"].values())
        out.append(f"### {titles[scen]}\n")
        out.append(f"Median of {n} interleaved run(s) (min in parentheses); ratio = median/median, "
                   "CPU = (user+sys) ratio. Targets: report ≤ 1.10×, --diff ≤ 2.5×; ✗ marks a miss.\n")
        hdr = "| bed | lines | go build -m (base) | stackify's go list | stackify | ratio (min, CPU) | stackify --diff | ratio (min, CPU) |"
        if scen == "cold":
            hdr += " first run (all caches empty) | ratio |"
        out.append(hdr)
        out.append("|" + "---|" * (hdr.count("|") - 1))
        for b in rows:
            s = b["scenarios"][scen]
            c, r = s["commands"], s["ratios"]

            def cell(name):
                x = c.get(name)
                return f"{fmt_s(x['median_s'])} ({fmt_s(x['min_s'])})" if x else "–"

            def rc(name, target):
                x = r.get(f"{name}_vs_base")
                return f"{fmt_r(x['median'], target)} ({fmt_r(x['min'])}, {fmt_r(x['cpu'])})" if x else "–"

            row = f"| {b['bed']} | {b.get('lines')} | {cell('base')} | {cell('floor')} | {cell('report')} | {rc('report', 1.10)} | {cell('diff')} | {rc('diff', 2.5)} |"
            if scen == "cold":
                row += f" {cell('first')} | {fmt_r((r.get('first_vs_base') or {}).get('median'))} |"
            out.append(row)
        loads = [x for b in rows for x in (b["scenarios"][scen].get("load1") or [])]
        if loads:
            out.append(f"\nLoad average (1 min) during these runs: {min(loads):.1f}–{max(loads):.1f} on {m.get('cores')} cores.")
        out.append("")
    out.append("### What stackify did (`--diff --json` on a fresh analysis; warm `--json` for the go invocations of a rerun)\n")
    out.append("| bed | packages | findings | allocates / may / free+none | fixes candidate → verified / dropped | declined | go invocations (warm report / fresh diff) | verification builds | own time, fresh analysis: parse / rules / typecheck / other | stackify's own share of the fresh --diff |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for b in res["beds"]:
        rp, df = b.get("report") or {}, b.get("diff") or {}
        bc = rp.get("by_cost") or {}
        t = df.get("timings") or {}
        el = df.get("elapsed_ms") or 0
        known = sum(t.get(k, 0) for k in ["list_ms", "parse_ms", "rules_ms", "typecheck_ms", "verify_ms"])
        own = el - t.get("list_ms", 0) - t.get("verify_ms", 0)
        out.append(
            f"| {b['bed']} | {rp.get('packages')} | {rp.get('findings')} | {bc.get('allocates', 0)} / {bc.get('may-allocate', 0)} / {bc.get('free', 0) + bc.get('none-here', 0)} "
            f"| {df.get('fixes_candidate')} → {df.get('fixes_verified')} / {df.get('fixes_dropped')} | {df.get('declined')} "
            f"| {rp.get('go_invocations')} / {df.get('go_invocations')} | {df.get('verification_builds')} "
            f"| {t.get('parse_ms')} / {t.get('rules_ms')} / {t.get('typecheck_ms')} / {el - known} ms "
            f"| {own} of {el} ms ({100 * own / el:.0f}%) |" if el else f"| {b['bed']} | – |")
    out.append("")
    if res.get("rss"):
        out.append("### Peak memory (one run each)\n")
        out.append("`self` = stackify's own process (VmHWM); `tree` = the largest single process it waited for "
                   "(usually the compiler), as `/usr/bin/time -v` reports it.\n")
        out.append("| bed | scenario | command | wall | self | tree |")
        out.append("|---|---|---|---|---|---|")
        for r in res["rss"]:
            self_mb = r["self_hwm_kb"] / 1024 if r["name"] != "base" else None
            out.append(f"| {r['bed']} | {r['scenario']} | {r['name']} | {fmt_s(r['wall_s'])} | "
                       f"{'%.0f MiB' % self_mb if self_mb is not None else '(go: %.0f MiB)' % (r['self_hwm_kb'] / 1024)} | {r['tree_max_rss_kb'] / 1024:.0f} MiB |")
        out.append("")
    out.append("### Growth with size (median wall time)\n")
    out.append("| bed | lines | packages | warm base / stackify | modcold base / stackify / --diff | cold base / stackify | stackify warm ms per 1k lines |")
    out.append("|---|---|---|---|---|---|---|")
    for b in sorted(res["beds"], key=lambda b: b.get("lines") or 0):
        sc = b["scenarios"]

        def med(scen, name):
            x = sc.get(scen, {}).get("commands", {}).get(name)
            return x["median_s"] if x else None

        w = med("warm", "report")
        out.append(f"| {b['bed']} | {b.get('lines')} | {b.get('packages')} | {fmt_s(med('warm', 'base'))} / {fmt_s(w)} "
                   f"| {fmt_s(med('modcold', 'base'))} / {fmt_s(med('modcold', 'report'))} / {fmt_s(med('modcold', 'diff'))} "
                   f"| {fmt_s(med('cold', 'base'))} / {fmt_s(med('cold', 'report'))} "
                   f"| {1000 * w / (b['lines'] / 1000):.0f} |" if w and b.get("lines") else f"| {b['bed']} | – |")
    out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- effect

def effect(outdir):
    beds = open(os.path.join(outdir, "beds.txt")).read().split()
    res = {"kind": "stackify-effect", "machine": load(os.path.join(outdir, "machine.json")),
           "config": load(os.path.join(outdir, "config.json")),
           "elapsed_s": int(open(os.path.join(outdir, "elapsed_s.txt")).read().strip())
           if os.path.exists(os.path.join(outdir, "elapsed_s.txt")) else None, "beds": []}
    for bed in beds:
        d = os.path.join(outdir, bed)
        b = {"bed": bed, "module": open(os.path.join(d, "module.txt")).read().strip()
             if os.path.exists(os.path.join(d, "module.txt")) else bed}
        b["checks"] = load(os.path.join(d, "checks.json"), {})
        b["before"] = summary_of(load(os.path.join(d, "before.json")))
        apply_doc = load(os.path.join(d, "apply.json"))
        b["apply"] = summary_of(apply_doc)
        if apply_doc:
            b["apply"]["files_written"] = apply_doc["summary"].get("files_written", [])
            b["apply"]["fixes"] = [
                {k: f.get(k) for k in ["rule", "file", "line", "title", "status", "reason", "removed", "added", "unproven"]}
                for f in apply_doc.get("fixes", [])]
        b["after"] = summary_of(load(os.path.join(d, "after.json")))
        b["benchmarks"] = load(os.path.join(d, "bench.json"), {})
        res["beds"].append(b)
    return res


def kinds_delta(before, after, key):
    a, b = (before or {}).get(key) or {}, (after or {}).get(key) or {}
    keys = sorted(set(a) | set(b))
    return ", ".join(f"{k} {a.get(k, 0)}→{b.get(k, 0)}" for k in keys if a.get(k, 0) != b.get(k, 0)) or "no change"


def effect_md(res):
    m = res["machine"] or {}
    out = [f"Machine: {m.get('cpu')} × {m.get('cores')} cores; {m.get('go')}; stackify {m.get('stackify')}; "
           f"{m.get('date')}. Total {res.get('elapsed_s')} s.\n"]
    out.append("| module | findings before → after | allocating before → after | fixes candidate / verified / dropped | files written | build / vet / test after apply | touched packages with benchmarks |")
    out.append("|---|---|---|---|---|---|---|")
    for b in res["beds"]:
        bf, af, ap = b.get("before") or {}, b.get("after") or {}, b.get("apply") or {}
        ck = b.get("checks") or {}
        alloc = lambda s: (s.get("by_cost") or {}).get("allocates", 0)
        bench = b.get("benchmarks") or {}
        out.append(
            f"| {b['module']} | {bf.get('findings')} → {af.get('findings')} | {alloc(bf)} → {alloc(af)} "
            f"| {ap.get('fixes_candidate')} / {ap.get('fixes_verified')} / {ap.get('fixes_dropped')} | {len(ap.get('files_written') or [])} "
            f"| {ck.get('after', {}).get('build', '?')} / {ck.get('after', {}).get('vet', '?')} / {ck.get('after', {}).get('test', '?')} "
            f"| {', '.join(bench.get('packages') or []) or 'none'} |")
    out.append("")
    for b in res["beds"]:
        bf, af, ap = b.get("before") or {}, b.get("after") or {}, b.get("apply") or {}
        out.append(f"#### {b['module']}\n")
        out.append(f"- findings by kind: {kinds_delta(bf, af, 'by_kind')}")
        out.append(f"- findings by cost: {kinds_delta(bf, af, 'by_cost')}")
        out.append(f"- findings by cause: {kinds_delta(bf, af, 'by_cause')}")
        rules = ap.get("rules") or {}
        if rules:
            out.append("- fixes per rule (apply): " + "; ".join(
                f"{r}: {v.get('verified', 0)} verified, {v.get('dropped', 0)} dropped of {v.get('verified', 0) + v.get('dropped', 0) + v.get('candidate', 0)} ({v.get('targets')} findings targeted)"
                for r, v in sorted(rules.items())))
        after_rules = af.get("rules") or {}
        if after_rules:
            out.append("- candidates left after apply: " + "; ".join(f"{r}: {v.get('candidate', 0)}" for r, v in sorted(after_rules.items())))
        if ap.get("dropped_reasons"):
            out.append("- dropped, by reason: " + "; ".join(f"{n}× {r}" for r, n in ap["dropped_reasons"].items()))
        if ap.get("declined_by_rule"):
            out.append("- declined per rule: " + ", ".join(f"{r} {n}" for r, n in ap["declined_by_rule"].items()))
        if ap.get("declined_reasons"):
            items = list(ap["declined_reasons"].items())
            shown = "; ".join(f"{n}× {r}" for r, n in items[:12])
            rest = sum(n for _, n in items[12:])
            out.append(f"- declined ({sum(n for _, n in items)}), by reason: {shown}"
                       + (f"; and {rest} more in {len(items) - 12} other reasons" if rest else ""))
        ck = b.get("checks") or {}
        for side, label in (("before", "pristine copy"), ("after", "applied copy")):
            c = ck.get(side) or {}
            if c:
                out.append(f"- {label}: build {c.get('build')}, vet {c.get('vet')}, test {c.get('test')}"
                           + (f" (failing: {c['failed'].strip()})" if c.get("failed") else "")
                           + (f"; {c['note']}" if c.get("note") else ""))
        for side in ("before", "after"):
            if (ck.get(side) or {}).get("flaky"):
                out.append(f"- {'pristine' if side == 'before' else 'applied'} copy: failed then passed on retry (timing-sensitive tests): {ck[side]['flaky']}")
        bench = b.get("benchmarks") or {}
        if bench.get("note"):
            out.append(f"- benchmarks: {bench['note']}")
        rows = bench.get("rows") or []
        if bench.get("packages"):
            out.append(f"- benchmarks in {', '.join(bench['packages'])}: {bench.get('benchmarks')} benchmarks, "
                       f"{bench.get('significant')} with a statistically significant change (ns/op, B/op or allocs/op), "
                       f"{bench.get('allocs_changed')} whose mean allocs/op changed")
        if rows:
            out.append("")
            out.append(f"benchstat, {bench.get('count')} runs each, -benchtime={bench.get('benchtime')} (rows with a significant change or a changed allocs/op or B/op mean, plus geomeans; ~ = no significant difference):\n")
            out.append("| package | benchmark | ns/op before → after | Δ ns/op (p) | allocs/op before → after | Δ allocs/op | B/op before → after | Δ B/op |")
            out.append("|---|---|---|---|---|---|---|---|")
            fb = lambda x: "" if x is None else f"{x:g}"
            for r in rows:
                out.append(f"| {r['package']} | {r['name']} | {r.get('ns_before', '')} → {r.get('ns_after', '')} | {r.get('ns_delta', '')} {('(' + r['ns_p'] + ')') if r.get('ns_p') else ''} "
                           f"| {r.get('allocs_before', '')} → {r.get('allocs_after', '')} | {r.get('allocs_delta', '')} "
                           f"| {fb(r.get('bytes_before'))} → {fb(r.get('bytes_after'))} | {r.get('bytes_delta', '')} |")
        out.append("")
    return "\n".join(out)


def main():
    cmd, arg = sys.argv[1], sys.argv[2]
    if cmd == "cost":
        print(json.dumps(cost(arg), indent=1))
    elif cmd == "cost-md":
        print(cost_md(load(arg)))
    elif cmd == "effect":
        print(json.dumps(effect(arg), indent=1))
    elif cmd == "effect-md":
        print(effect_md(load(arg)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
