#!/usr/bin/env bash
# Warm report time with a profile over without (issue 10's target: ≤ 1.05), interleaved by hyperfine.
#
# Usage: bench/profile-ratio.sh DIR:PROFILE [DIR:PROFILE ...]
#   DIR      a module (e.g. a copy of bench/cache/toml)
#   PROFILE  a heap profile of it, e.g. made in DIR with
#            go test -run '^$' -bench . -benchtime 100x -memprofilerate=1 -memprofile /tmp/toml.pprof .
# Env: STACKIFY (default target/release/stackify), RUNS (default 40). Uses hyperfine when installed,
# else an interleaved Python timer (3 warm-up rounds).
set -euo pipefail
SK=${STACKIFY:-$(cd "$(dirname "$0")/.." && pwd)/target/release/stackify}
RUNS=${RUNS:-40}
for spec in "$@"; do
  dir=${spec%%:*} prof=${spec#*:}
  out=$(mktemp)
  # Warm both: the analysis and the join are cached after one run each.
  (cd "$dir" && "$SK" -q >/dev/null 2>&1 && "$SK" -q --profile "$prof" >/dev/null 2>&1)
  if command -v hyperfine >/dev/null; then
    (cd "$dir" && hyperfine -N -w 3 -r "$RUNS" --export-json "$out" "$SK -q" "$SK -q --profile $prof" >/dev/null)
  else
    # Without hyperfine: the same interleaved runs, timed by Python, in hyperfine's JSON shape.
    python3 - "$SK" "$dir" "$prof" "$RUNS" "$out" <<'PY'
import json, subprocess, sys, time
sk, d, prof, runs, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
cmds = [[sk, "-q"], [sk, "-q", "--profile", prof]]
times = [[], []]
for r in range(runs + 3):
    for i, c in enumerate(cmds):
        s = time.perf_counter()
        subprocess.run(c, cwd=d, capture_output=True)
        if r >= 3:
            times[i].append(time.perf_counter() - s)
json.dump({"results": [{"times": t} for t in times]}, open(out, "w"))
PY
  fi
  python3 - "$dir" "$out" <<'PY'
import json, statistics, sys
a, b = json.load(open(sys.argv[2]))["results"]
ma, mb = statistics.median(a["times"]), statistics.median(b["times"])
print(f"{sys.argv[1]}: without {ma*1e3:.0f} ms, with {mb*1e3:.0f} ms, ratio {mb/ma:.2f} (min/min {min(b['times'])/min(a['times']):.2f})")
PY
  rm -f "$out"
done
