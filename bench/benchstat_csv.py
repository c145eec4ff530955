#!/usr/bin/env python3
"""Turn `benchstat -format csv before.txt after.txt` into JSON rows (one per package and benchmark).

    benchstat_csv.py FILE.csv COUNT BENCHTIME PKG...
"""
import csv
import json
import sys

UNITS = {"sec/op": "ns", "B/op": "bytes", "allocs/op": "allocs"}


def human_ns(sec):
    ns = sec * 1e9
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= div:
            return f"{ns / div:.3g} {unit}"
    return f"{ns:.3g} ns"


def num(x):
    try:
        return float(x)
    except ValueError:
        return None


def main():
    path, count, benchtime, pkgs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    rows = {}
    pkg, unit = "", None
    with open(path, newline="") as f:
        for rec in csv.reader(f):
            if not rec or not any(rec):
                unit = None
                continue
            if len(rec) == 1 and rec[0].startswith("pkg: "):
                pkg = rec[0][5:].strip()
                continue
            if len(rec) == 1:
                continue
            if rec[0] == "" and len(rec) > 1 and rec[1] in UNITS:
                unit = UNITS[rec[1]]
                continue
            if rec[0] == "" or unit is None:
                continue
            name = rec[0]
            before, after = num(rec[1]), num(rec[3]) if len(rec) > 3 else None
            delta = rec[5] if len(rec) > 5 else ""
            p = rec[6] if len(rec) > 6 else ""
            r = rows.setdefault((pkg, name), {"package": pkg, "name": name})
            if unit == "ns":
                r["ns_before"] = human_ns(before) if before is not None else ""
                r["ns_after"] = human_ns(after) if after is not None else ""
                r["ns_delta"], r["ns_p"] = delta, p
            elif unit == "allocs":
                r["allocs_before"] = f"{before:g}" if before is not None else ""
                r["allocs_after"] = f"{after:g}" if after is not None else ""
                r["allocs_delta"], r["allocs_p"] = delta, p
            else:
                r["bytes_before"], r["bytes_after"] = before, after
                r["bytes_delta"], r["bytes_p"] = delta, p
    out = list(rows.values())
    # Shown: geomeans, rows benchstat calls significant, and rows whose allocs/op mean moved at all
    # (allocation counts are nearly deterministic, so a small n should not hide them).
    sig = [r for r in out if r["name"] == "geomean" or r.get("allocs_before") != r.get("allocs_after") or any(
        r.get(k, "~") not in ("~", "", "+0.00%") for k in ("ns_delta", "allocs_delta", "bytes_delta"))]
    print(json.dumps({
        "packages": pkgs,
        "count": count,
        "benchtime": benchtime,
        "benchmarks": sum(1 for r in out if r["name"] != "geomean"),
        "significant": sum(1 for r in out if r["name"] != "geomean" and any(
            r.get(k, "~") not in ("~", "", "+0.00%") for k in ("ns_delta", "allocs_delta", "bytes_delta"))),
        "allocs_changed": sum(1 for r in out if r["name"] != "geomean" and r.get("allocs_before") != r.get("allocs_after")),
        "rows": sig,
        "all_rows": out,
    }, indent=1))


if __name__ == "__main__":
    main()
