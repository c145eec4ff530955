#!/usr/bin/env python3
"""Same input, same output: record stackify's --json on every fixture and bench bed, then compare.

A refactoring must not change what stackify says. This script runs one stackify binary over every
module under fixtures/ and every bed under bench/cache/ (bench/fetch.sh prepares them), in two modes
(`--json` and `--json --diff`), and stores each output. `compare` runs another binary and diffs the
outputs after removing what legitimately varies between runs (timings, cache hits, go invocation
counts). Fields that the newer binary adds can be ignored by name with --ignore-new.

    bench/same-output.py record  --bin OLD_STACKIFY --out bench/out/same-output/old
    bench/same-output.py compare --bin NEW_STACKIFY --out bench/out/same-output/new \
        --against bench/out/same-output/old --ignore-new code

Exit status: 0 when every output matches, 1 when any differs (the differences are printed), 2 on a
usage error. Beds that are missing are skipped with a note, so it runs on a checkout without
bench/cache too (fixtures only).
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODES = {"report": ["--json"], "diff": ["--json", "--diff"]}
# Per-run noise: wall-clock timings, whether the analysis came from stackify's cache, and how many
# times `go` was run (a warm cache saves invocations).
VOLATILE_SUMMARY = {"elapsed_ms", "timings", "go_invocations"}


def targets():
    out = []
    for d in sorted((REPO / "fixtures").iterdir()):
        if d.is_dir():
            out.append((f"fixtures/{d.name}", d))
    cache = REPO / "bench" / "cache"
    for name in ["demo", "chi", "toml", "goldmark", "stdset", "xtools"]:
        d = cache / name
        if (d / "go.mod").exists():
            out.append((f"bed/{name}", d))
        else:
            print(f"same-output: skip bed {name} (not in bench/cache; run bench/fetch.sh)", file=sys.stderr)
    return out


def normalize(value, ignore):
    if isinstance(value, dict):
        return {k: normalize(v, ignore) for k, v in value.items() if k not in ignore}
    if isinstance(value, list):
        return [normalize(v, ignore) for v in value]
    if isinstance(value, str) and str(REPO) in value:
        # Outputs name absolute paths (`dir`); a checkout elsewhere (a worktree) must compare equal.
        return value.replace(str(REPO), "<repo>")
    return value


def first_difference(a, b, path="$"):
    """The JSON path of the first difference: difflib on a 30 MB document never finishes."""
    if type(a) is not type(b):
        return path
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None if len(a) == len(b) else f"{path} (length {len(a)} vs {len(b)})"
    return None if a == b else path


def run(binary, directory, mode, cache_dir):
    env = dict(os.environ, GOTOOLCHAIN="local", STACKIFY_CACHE_DIR=str(cache_dir), NO_COLOR="1")
    p = subprocess.run(
        [binary, "-C", str(directory), *MODES[mode]],
        capture_output=True,
        text=True,
        env=env,
    )
    try:
        doc = json.loads(p.stdout)
        summary = doc.get("summary")
        if isinstance(summary, dict):
            for k in VOLATILE_SUMMARY:
                summary.pop(k, None)
    except json.JSONDecodeError:
        # Some fixtures are meant to fail (syntax errors, packages that do not build): the error
        # line on stderr is their output.
        doc = {"stdout": p.stdout, "stderr": p.stderr.strip().splitlines()[-1:] if p.stderr else []}
    return normalize({"exit": p.returncode, "output": doc}, set())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["record", "compare"])
    ap.add_argument("--bin", required=True, help="the stackify binary to run")
    ap.add_argument("--out", required=True, help="directory for this binary's outputs")
    ap.add_argument("--against", help="compare: the directory a previous `record` wrote")
    ap.add_argument("--ignore-new", action="append", default=[], help="compare: a key the new binary adds")
    ap.add_argument("--only", action="append", default=[], help="only targets whose name contains this")
    args = ap.parse_args()
    if args.action == "compare" and not args.against:
        ap.error("compare needs --against")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache_dir = out / "stackify-cache"
    failures = 0
    for name, directory in targets():
        if args.only and not any(o in name for o in args.only):
            continue
        for mode in MODES:
            key = f"{name.replace('/', '__')}.{mode}.json"
            result = run(args.bin, directory, mode, cache_dir)
            (out / key).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
            if args.action == "record":
                print(f"recorded {name} {mode} (exit {result['exit']})")
                continue
            old_path = Path(args.against) / key
            if not old_path.exists():
                print(f"NEW      {name} {mode}: no recorded output")
                failures += 1
                continue
            old = normalize(json.loads(old_path.read_text()), set())
            new = normalize(result, set(args.ignore_new))
            if old == new:
                print(f"same     {name} {mode}")
                continue
            failures += 1
            print(f"DIFFERS  {name} {mode}")
            print(f"    first difference at {first_difference(old, new)}")
            a = json.dumps(old, indent=1, sort_keys=True).splitlines()
            b = json.dumps(new, indent=1, sort_keys=True).splitlines()
            if len(a) + len(b) < 200_000:
                import difflib

                for line in list(difflib.unified_diff(a, b, "recorded", "now", lineterm="", n=2))[:60]:
                    print("    " + line)
    if args.action == "compare":
        print("all outputs identical" if failures == 0 else f"{failures} outputs differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
