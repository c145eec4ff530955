#!/usr/bin/env python3
"""What the hot lines allocate, by shape, and whether any rule acts there (issue 11, item 3).

Reads the `--json` report and `--json --diff` outputs that bench/profile-share.sh writes
(<OUT>/<bed>-report.json, <OUT>/<bed>-diff.json; beds profiled with their own benchmarks) and
classifies every line holding at least MIN_SHARE of its bed's profiled bytes:

  shape   what allocates there: a profile-only line by the runtime frame under it (map growth,
          slice growth, variable-size make, ...) or the called function that allocates inside
          (net/http, bufio, encoding/json, ...); a line with findings by the costliest finding's
          cause (append growth, a value stored in or returned to something longer-lived, boxing, ...)
  rule    what stackify does there: a fix (verified / dropped), a decline code, or nothing

Each bed weighs the same: `share` is the mean over beds of the line shares (a fraction of each
bed's own allocated bytes).

usage: bench/hot-shapes.py OUT [BED ...] [--min-share 0.001]
"""
import collections
import json
import os
import re
import signal
import sys


def shape_of(findings, text):
    """The shape of one line (`text`, its source), from its findings (the costliest explanation wins)."""
    po = [f for f in findings if f["kind"] == "profile-only"]
    if po:
        text = po[0].get("cause_text", "")
        m = re.search(r"allocated in a called function \(([^)]*)\)", text)
        if m:
            callee = m.group(1).lstrip("(*")
            pkg = callee.split(".")[0]
            if "/" in callee.split(".(")[0] and "." in callee:
                pkg = callee.rsplit("/", 1)[0] + "/" + callee.rsplit("/", 1)[1].split(".")[0]
            return "callee allocates: " + pkg
        return "runtime: " + text.split(":")[0]
    causes = {f["cause"] for f in findings}
    subjects = " ".join(f.get("subject", "") for f in findings)
    if "slice-growth" in causes:
        if any(f.get("origin") == "inlined" for f in findings if f["cause"] == "slice-growth"):
            return "append growth inside an inlined call (a method appending to its receiver's field)"
        if re.search(r"[\w\]\)]\.\w+ = append\(", text):
            return "append growth of a struct field (x.f = append(x.f, ...))"
        return "append growth of a local"
    if causes & {"stored-in-heap", "returned", "result-returned"}:
        if "make(" in subjects:
            return "make stored/returned (outlives the call)"
        if "&" in subjects or "{" in subjects:
            return "new object stored/returned (outlives the call)"
        if "+" in subjects:
            return "string built and kept"
        return "value stored/returned (outlives the call)"
    if "interface-conversion" in causes:
        return "boxed into an interface"
    if "passed-to-escaping-call" in causes:
        return "passed to a callee that keeps it"
    if "closure-escapes" in causes or "closure-capture" in causes:
        return "closure"
    if any(f["kind"] == "does-not-escape" for f in findings):
        return "does not escape, allocates (variable size or growth)"
    return "other: " + ",".join(sorted(causes))


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    min_share = 0.001
    if "--min-share" in sys.argv:
        min_share = float(sys.argv[sys.argv.index("--min-share") + 1])
        args = [a for a in args if a != str(sys.argv[sys.argv.index("--min-share") + 1])]
    out, beds = args[0], args[1:]
    if not beds:
        beds = sorted(f[: -len("-report.json")] for f in os.listdir(out) if f.endswith("-report.json"))
    rows = collections.defaultdict(lambda: {"lines": 0, "share": 0.0, "rule": collections.Counter(), "beds": set()})
    for bed in beds:
        report = json.load(open(os.path.join(out, bed + "-report.json")))
        diff_path = os.path.join(out, bed + "-diff.json")
        diff = json.load(open(diff_path)) if os.path.exists(diff_path) else {"fixes": [], "declined": []}
        lines = collections.defaultdict(list)
        for f in report["findings"]:
            if f.get("profile", {}).get("share", 0) >= min_share:
                lines[(f["file"], f["line"])].append(f)
        # A fix counts on its targets' lines (its own line is its first edit's, e.g. a hoisted line).
        where = {f["id"]: (f["file"], f["line"]) for f in diff.get("findings", [])}
        fixes = collections.defaultdict(list)
        for x in diff["fixes"]:
            keys = {where[t] for t in x.get("targets", []) if t in where}
            keys |= {(x["file"], ln) for ln in [x["line"]] + x.get("hot_lines", [])}
            for k in keys:
                fixes[k].append(x)
        declines = collections.defaultdict(list)
        for d in diff["declined"]:
            declines[(d.get("file"), d.get("line"))].append(d)
        src_lines = {}
        counted = set()
        for key, fs in sorted(lines.items()):
            if key[0] not in src_lines:
                try:
                    src_lines[key[0]] = open(os.path.join(report["dir"], key[0])).read().splitlines()
                except OSError:
                    src_lines[key[0]] = []
            text = src_lines[key[0]][key[1] - 1] if key[1] <= len(src_lines[key[0]]) else ""
            best = max(fs, key=lambda f: f["profile"]["share"])
            share = best["profile"]["share"]
            row = rows[shape_of(fs, text)]
            row["lines"] += 1
            # Inlined copies of one finding carry the bytes of its source line: count them once.
            sampled = (best["profile"]["alloc_space"], best["profile"]["alloc_objects"])
            if sampled not in counted:
                counted.add(sampled)
                row["share"] += share / len(beds)
            row["beds"].add(bed)
            if fixes.get(key):
                for x in fixes[key]:
                    row["rule"][f"{x['rule']} {x['status']}"] += 1
            elif declines.get(key):
                for d in declines[key]:
                    row["rule"][f"{d.get('rule')}: {d.get('code')}"] += 1
            else:
                row["rule"]["no rule matches"] += 1
    print(f"| shape | hot lines | mean share of a bed's bytes | beds | what stackify does on those lines |")
    print("|---|---|---|---|---|")
    for shape, r in sorted(rows.items(), key=lambda kv: -kv[1]["share"]):
        rule = ", ".join(f"{k} ({v})" for k, v in r["rule"].most_common())
        print(f"| {shape} | {r['lines']} | {100 * r['share']:.1f}% | {' '.join(sorted(r['beds']))} | {rule} |")


if __name__ == "__main__":
    main()
