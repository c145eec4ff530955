#!/usr/bin/env bash
# Reach: what stackify fixes and declines, rule by rule, on the application-style beds (gojq,
# zerolog, gopretty; see bench/fetch.sh for why each), and what the applied fixes do to the
# modules' own benchmarks. Writes the tables of BENCHMARKS.md, "Application-style beds".
#
# Per bed: bench/effect.sh (pristine and applied copies, go build/vet/test of both, BENCH_COUNT
# interleaved benchmark rounds of the packages the fixes touched, benchstat), then
# `stackify --json --diff` on the pristine copy for the per-rule table (verified, dropped, declines
# by code). The audit beds (AUDIT_BEDS, default the standard beds) get the `--json --diff` run only,
# in a scratch copy, for the decline audit of AUDIT_RULES.
#
# Env (all optional):
#   REACH_BEDS="gojq zerolog gopretty"   beds measured (fetch first: BEDS="$REACH_BEDS" bench/fetch.sh)
#   AUDIT_BEDS="chi toml goldmark stdset"  beds whose declines are listed too ("" for none; add xtools
#                    after `BEDS=xtools bench/fetch.sh`: most of the real-code declines are there)
#   AUDIT_RULES="closure-param range-addr" rules whose declines are listed site by site
#   BENCH_COUNT=5  BENCHTIME=100ms  STACKIFY  SKIP_BUILD  OUT (default bench/out/reach/<timestamp>)
#   RESULTS=file.md  the tables (default bench/results/<date>-<machine>-reach.md; effect.sh's
#                    aggregate goes next to it as ...-reach-effect.json)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need jq "apt-get install jq"
need python3 "the tables"

REACH_BEDS=${REACH_BEDS:-"gojq zerolog gopretty"}
AUDIT_BEDS=${AUDIT_BEDS-"chi toml goldmark stdset"}
AUDIT_RULES=${AUDIT_RULES:-"closure-param range-addr"}
export BENCH_COUNT=${BENCH_COUNT:-5}
export BENCHTIME=${BENCHTIME:-100ms}

setup_stackify
OUT=${OUT:-$BENCH_OUT/reach/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
RESULTS=${RESULTS:-$BENCH/results/$(date +%Y-%m-%d)-$(machine_name)-reach.md}
mkdir -p "$(dirname "$RESULTS")"
for b in $REACH_BEDS $AUDIT_BEDS; do bed_dir "$b" >/dev/null; done
log "stackify: $SK_VERSION; raw results in $OUT"

status=0
# effect.sh builds nothing more (SKIP_BUILD) and measures the very binary copied above.
EFFECT_BEDS=$REACH_BEDS OUT=$OUT/effect RESULTS=${RESULTS%.md}-effect.json STACKIFY=$SK SKIP_BUILD=1 \
  "$BENCH/effect.sh" || status=1

diff_json() { # diff_json DIR OUTFILE: --diff exits 1 when it has fixes; 2 is an error
  local rc=0
  (cd "$1" && "$SK" -q --json --diff) >"$2" 2>"$2.stderr" || rc=$?
  ((rc <= 1)) || { printf '\n[bench] FAIL: stackify --diff in %s (exit %s): %s\n' "$1" "$rc" "$(head -c 300 "$2.stderr")" >&2; status=1; }
}
for b in $REACH_BEDS; do
  log "$b: stackify --json --diff (pristine copy)"
  diff_json "$OUT/effect/$b/before" "$OUT/$b.diff.json"
done
for b in $AUDIT_BEDS; do
  log "$b: stackify --json --diff (scratch copy, for the audit)"
  rm -rf "$OUT/audit/$b" && mkdir -p "$OUT/audit" && cp -R "$(bed_dir "$b")" "$OUT/audit/$b"
  diff_json "$OUT/audit/$b" "$OUT/$b.diff.json"
done

{
  echo "$SK_VERSION; $(go version); $(date -u +%Y-%m-%dT%H:%M:%SZ); BENCH_COUNT=$BENCH_COUNT, BENCHTIME=$BENCHTIME"
  echo
  python3 "$BENCH/reach.py" "$OUT" "$REACH_BEDS" "$AUDIT_BEDS" "$AUDIT_RULES"
} >"$RESULTS"
cat "$RESULTS"
log "tables in $RESULTS (raw results in $OUT)"
exit $status
