#!/bin/bash
# Hot paths first (BENCHMARKS.md): for each bed, profile its own benchmarks with the go test command
# `--profile-bench` runs (saved to files so one profile serves every run), then the --json report,
# --diff, warm report times with and without the profile, and the join's cost (STACKIFY_TRACE).
# Beds are copied to $WORK first; nothing under bench/cache is written.
#   BIN=target/release/stackify BEDS="chi:2000x toml:100x" [CACHE=bench/cache] bench/profile-share.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${BIN:-$here/../target/release/stackify}")
WORK=${WORK:-$(mktemp -d /tmp/stackify-profile-share-XXXX)}
OUT=$WORK/out
mkdir -p "$OUT"
export STACKIFY_CACHE_DIR=$WORK/cache
for spec in ${BEDS:-chi:2000x toml:100x}; do
  bed=${spec%%:*}; bt=${spec##*:}
  d=$WORK/$bed
  rm -rf "$d"; cp -r "${CACHE:-$here/cache}/$bed" "$d"
  pdir=$WORK/prof-$bed; rm -rf "$pdir"; mkdir -p "$pdir"
  args=(); i=0
  for pkg in $(cd "$d" && go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do
    i=$((i+1)); mkdir -p "$pdir/$i"
    (cd "$d" && go test -run='^$' -bench=. -benchmem -benchtime="$bt" -count=1 -memprofile="$pdir/$i/mem.out" \
      -memprofilerate=1 -o="$pdir/$i/p.test" "$pkg" > "$pdir/$i/log" 2>&1)
    grep -q '^Benchmark' "$pdir/$i/log" && [ -f "$pdir/$i/mem.out" ] && args+=(--profile "$pdir/$i/mem.out")
  done
  [ ${#args[@]} -eq 0 ] && { echo "$bed: no benchmark wrote a profile" >&2; continue; }
  cd "$d"
  "$BIN" --quiet --json "${args[@]}" > "$OUT/$bed-report.json"
  "$BIN" --quiet --json "${args[@]}" --diff > "$OUT/$bed-diff.json"
  "$BIN" --quiet --json > /dev/null
  for r in 1 2 3 4 5 6 7; do
    s=$(date +%s.%N); "$BIN" --quiet --json > /dev/null; e=$(date +%s.%N); echo "without $r $(echo "$e - $s" | bc)"
    s=$(date +%s.%N); "$BIN" --quiet --json "${args[@]}" > /dev/null; e=$(date +%s.%N); echo "with $r $(echo "$e - $s" | bc)"
  done > "$OUT/$bed-times.txt"
  STACKIFY_TRACE=1 "$BIN" --json "${args[@]}" 2>&1 >/dev/null | grep "profile join" > "$OUT/$bed-join.txt"
  python3 - "$OUT/$bed" <<'PY'
import json, statistics, sys
pre = sys.argv[1]
r, d = json.load(open(pre + "-report.json")), json.load(open(pre + "-diff.json"))
p, q = r["summary"]["profile"], d["summary"]["profile"]
po = [f for f in r["findings"] if f["kind"] == "profile-only"]
t = {"with": [], "without": []}
for line in open(pre + "-times.txt"):
    k, _, v = line.split()
    t[k].append(float(v))
print(pre.rsplit("/", 1)[1], "bytes", p["total_alloc_space"], "on findings %.3f" % p["matched_share"],
      "candidate fixes %.3f" % p["fixed_share"], "verified fixes %.3f" % q["fixed_share"],
      "profile-only", len(po), "%.3f" % sum(f["profile"]["share"] for f in po), "stale", p["stale"],
      "time ratio %.3f" % (statistics.median(t["with"]) / statistics.median(t["without"])))
PY
  cd - > /dev/null
done
echo "results in $OUT"
