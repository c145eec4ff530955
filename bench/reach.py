#!/usr/bin/env python3
"""The tables of bench/reach.sh: per bed and rule, verified and dropped fixes and declines by code;
build/vet/test after --apply; the benchmarks whose allocs/op changed; and the decline audit.

    reach.py OUT "BEDS" "AUDIT_BEDS" "AUDIT_RULES"
"""
import collections
import json
import os
import sys

from aggregate import load  # bench/ is on sys.path: this script's own directory


def per_rule(doc):
    rules = collections.defaultdict(lambda: {"verified": 0, "dropped": 0, "declines": collections.Counter()})
    for f in doc.get("fixes", []):
        rules[f["rule"]]["verified" if f["status"] == "verified" else "dropped"] += 1
    for d in doc.get("declined", []):
        rules[d["rule"]]["declines"][d["code"]] += 1
    return rules


def main():
    out_dir, beds, audit_beds, audit_rules = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split()
    out = []
    for bed in beds:
        doc = load(os.path.join(out_dir, f"{bed}.diff.json"))
        e = os.path.join(out_dir, "effect", bed)
        module = open(os.path.join(e, "module.txt")).read().strip() if os.path.exists(os.path.join(e, "module.txt")) else bed
        if not doc:
            out.append(f"#### {module}\n\nno `--diff` result\n")
            continue
        s = doc["summary"]
        out.append(f"#### {bed}: {module}\n")
        out.append(f"{s['packages']} packages, {s['findings']} findings; `--diff`: {s['fixes_verified']} verified, "
                   f"{s['fixes_dropped']} dropped, {s['declined']} declined; broken packages: {len(doc.get('broken_packages') or [])}.\n")
        out.append("| rule | verified | dropped | declines by code |")
        out.append("|---|---|---|---|")
        for r, v in sorted(per_rule(doc).items()):
            codes = ", ".join(f"{c} {n}" for c, n in v["declines"].most_common()) or "—"
            out.append(f"| {r} | {v['verified']} | {v['dropped']} | {codes} |")
        out.append("")
        checks = load(os.path.join(e, "checks.json"), {})
        ap = load(os.path.join(e, "apply.json"), {}) or {}
        aps = ap.get("summary", {})
        for side, label in (("before", "pristine copy"), ("after", "after `--apply`")):
            c = checks.get(side) or {}
            if c:
                out.append(f"- {label}: go build {c.get('build')}, go vet {c.get('vet')}, go test {c.get('test')}"
                           + (f" (failing: {c['failed'].strip()})" if c.get("failed") else "")
                           + (f" (flaky: {c['flaky'].strip()})" if c.get("flaky") else "")
                           + (f"; {c['note']}" if c.get("note") else ""))
        if aps:
            out.append(f"- `--apply`: {aps.get('fixes_verified')} fixes written to {len(aps.get('files_written') or [])} files")
        bench = load(os.path.join(e, "bench.json"), {}) or {}
        if bench.get("note"):
            out.append(f"- benchmarks: {bench['note']}")
        if bench.get("packages"):
            rows = [r for r in bench.get("all_rows", []) if r["name"] != "geomean"]
            down = [r for r in rows if r.get("allocs_before") not in (None, "") and r.get("allocs_after") not in (None, "")
                    and float(r["allocs_after"]) < float(r["allocs_before"])]
            up = [r for r in rows if r.get("allocs_before") not in (None, "") and r.get("allocs_after") not in (None, "")
                  and float(r["allocs_after"]) > float(r["allocs_before"])]
            out.append(f"- benchmarks of the touched packages ({', '.join(bench['packages'])}; {bench.get('count')} runs "
                       f"each side, -benchtime={bench.get('benchtime')}): {len(rows)} benchmarks, allocs/op lower in "
                       f"{len(down)}, higher in {len(up)}, unchanged in {len(rows) - len(down) - len(up)}")
            changed = down + up
            if changed:
                out.append("")
                out.append("| package | benchmark | allocs/op before → after | Δ allocs/op | B/op before → after | ns/op before → after (Δ, p) |")
                out.append("|---|---|---|---|---|---|")
                fb = lambda x: "" if x is None else f"{x:g}"
                for r in changed:
                    out.append(f"| {r['package']} | {r['name']} | {r.get('allocs_before')} → {r.get('allocs_after')} | {r.get('allocs_delta', '')} "
                               f"| {fb(r.get('bytes_before'))} → {fb(r.get('bytes_after'))} "
                               f"| {r.get('ns_before', '')} → {r.get('ns_after', '')} ({r.get('ns_delta', '')}{', ' + r['ns_p'] if r.get('ns_p') else ''}) |")
        out.append("")

    # The audit: every decline of AUDIT_RULES on every bed, by code, then site by site.
    if audit_rules:
        sites = []
        for bed in beds + audit_beds:
            doc = load(os.path.join(out_dir, f"{bed}.diff.json"), {}) or {}
            for d in doc.get("declined", []):
                if d["rule"] in audit_rules:
                    sites.append((d["rule"], d["code"], bed, f"{d['file']}:{d['line']}", d.get("reason", "")))
        out.append(f"#### Declines of {', '.join(audit_rules)} on {', '.join(beds + audit_beds)}\n")
        counts = collections.Counter((r, c) for r, c, *_ in sites)
        out.append("| rule | code | count | beds |")
        out.append("|---|---|---|---|")
        for r in audit_rules:
            rc = [(c, n) for (rr, c), n in counts.most_common() if rr == r]
            if not rc:
                out.append(f"| {r} | — | 0 | — |")
            for c, n in rc:
                bc = collections.Counter(b for rr, cc, b, *_ in sites if rr == r and cc == c)
                out.append(f"| {r} | {c} | {n} | {', '.join(f'{b} {k}' for b, k in bc.most_common())} |")
        out.append("")
        for r, c, b, at, reason in sorted(sites):
            out.append(f"- {r} `{c}` {b} {at}: {reason}")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
