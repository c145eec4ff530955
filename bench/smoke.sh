#!/usr/bin/env bash
# CI-friendly smoke run (< 1 minute once stackify is built and the Go build cache is warm): runs
# fetch, cost and effect on the demo fixture only, with few runs, checks that every script produced
# well-formed results with the fields BENCHMARKS.md needs, and prints the tables. It asserts no
# timings (a loaded CI machine must not fail it); it fails when a script fails, when --apply breaks
# build/vet/test, or when a result field is missing.
#
# Env: STACKIFY / SKIP_BUILD as for the other scripts. Results go to bench/out/smoke/, never to
# bench/results/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
t0=$(date +%s)
setup_stackify
export STACKIFY=$SK SKIP_BUILD=1
S=$BENCH_OUT/smoke
rm -rf "$S"
mkdir -p "$S"
# The user's own build cache (usually warm), so the smoke run measures nothing expensive.
GC=$(go env GOCACHE)

BEDS=demo FORCE=1 "$BENCH/fetch.sh"
BEDS=demo WARM_RUNS=2 MODCOLD_RUNS=0 COLD_RUNS=0 RSS_BEDS=demo WARM_GOCACHE=$GC \
  OUT=$S/cost RESULTS=$S/cost.json "$BENCH/cost.sh" >/dev/null
EFFECT_BEDS=demo BENCH_COUNT=1 BENCHTIME=10ms EFFECT_GOCACHE=$GC \
  OUT=$S/effect RESULTS=$S/effect.json "$BENCH/effect.sh" >/dev/null

# The fields BENCHMARKS.md is built from must all be there.
jq -e '
  .beds[0] as $b
  | ($b.lines > 0)
  and ($b.scenarios.warm.commands | has("base") and has("floor") and has("report") and has("diff"))
  and ($b.scenarios.warm.ratios.report_vs_base.median > 0)
  and ($b.report.findings > 0)
  and ($b.diff.go_invocations >= 1)
  and ($b.diff.verification_builds >= 1)
  and ($b.diff.fixes_verified >= 1)
  and (.rss | length == 3)
  and ([.rss[] | select(.name != "base") | .self_hwm_kb > 0] | all)
' "$S/cost.json" >/dev/null || die "cost results incomplete: $S/cost.json"
jq -e '
  .beds[0] as $b
  | ($b.checks.after == {build:"ok", vet:"ok", test:"ok"})
  and ($b.before.findings > 0) and ($b.after.findings >= 0)
  and ($b.apply.fixes_verified >= 1)
  and ($b.benchmarks.packages | length >= 1)
  and ($b.benchmarks.all_rows | length >= 1)
' "$S/effect.json" >/dev/null || die "effect results incomplete: $S/effect.json"

cat "$S/cost.md"
cat "$S/effect.md"
log "smoke OK in $(($(date +%s) - t0)) s (results in $S)"
