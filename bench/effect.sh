#!/usr/bin/env bash
# Effect: what `stackify --apply` buys on real modules, each in a fresh scratch copy.
#
# Per module: copy the pinned module twice (pristine "before", and "after" to apply in);
# go build/vet/test the pristine copy (a failure there means the bed is broken, not stackify);
# findings before (stackify --json); stackify --apply --allow-no-vcs --json; go build/vet/test
# (-count=1) of the applied copy (must pass: the script fails loudly otherwise); findings after;
# then for every package an applied fix touched that has benchmarks: run the benchmarks of both
# copies interleaved (BENCH_COUNT rounds of -count=1, so machine load hits both alike) and compare
# them with benchstat.
#
# Env (all optional):
#   EFFECT_BEDS="goldmark toml chi"  modules (names from bench/fetch.sh; "demo" works too)
#   BENCH_COUNT=6     benchmark runs per side
#   BENCHTIME=100ms   -benchtime per benchmark (toml's benchmarks take ~65 s per run at 1s)
#   BENCH_NICE=-15    run the benchmark binaries at this nice level (shared machine; needs root)
#   STACKIFY=path     binary under test (default: cargo build --release; SKIP_BUILD=1 to not build)
#   OUT=dir           raw results (default bench/out/effect/<timestamp>)
#   RESULTS=file.json aggregated results (default bench/results/<date>-<machine>-effect.json)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need jq "apt-get install jq"
need python3 "aggregation"
need go "the Go toolchain"

EFFECT_BEDS=${EFFECT_BEDS:-"goldmark toml chi"}
BENCH_COUNT=${BENCH_COUNT:-6}
BENCHTIME=${BENCHTIME:-100ms}
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da

setup_stackify
OUT=${OUT:-$BENCH_OUT/effect/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
export GOCACHE=${EFFECT_GOCACHE:-$BENCH_OUT/gocache-effect}
log "stackify: $SK_VERSION; go: $(go version); raw results in $OUT"

BENCHSTAT=$BENCH_OUT/bin/benchstat
if [[ ! -x $BENCHSTAT ]]; then
  log "installing benchstat ($BENCHSTAT_VERSION) into $BENCH_OUT/bin"
  GOBIN=$BENCH_OUT/bin go install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION" ||
    die "go install benchstat failed (needs the Go module proxy)"
fi

machine_json >"$OUT/machine.json"
echo "$EFFECT_BEDS" >"$OUT/beds.txt"
jq -n --arg count "$BENCH_COUNT" --arg benchtime "$BENCHTIME" --arg beds "$EFFECT_BEDS" --arg nice "${BENCH_NICE:-0}" \
  '{bench_count:($count|tonumber), benchtime:$benchtime, beds:$beds, nice:($nice|tonumber)}' >"$OUT/config.json"

FAILURES=()
fail() { # record a failure, shout, keep going so the other modules still get measured
  FAILURES+=("$1")
  printf '\n[bench] FAIL: %s\n\n' "$1" >&2
}

# pristine_source BED: directory holding the untouched module (module cache, or the fixture)
pristine_source() {
  local mv
  mv=$(cat "$(bed_dir "$1")/.bench-module")
  case $mv in
    fixtures/*) echo "$REPO/$mv" ;;
    *@*) (cd "$BENCH_CACHE" && GOFLAGS=-mod=mod go mod download -json "$mv" | jq -r .Dir) ;;
    *) die "$1: no pristine source for $mv" ;;
  esac
}

# check DIR LOGPREFIX -> a JSON object {build, vet, test, failed} ("ok"/"FAIL"/"flaky"; failed = the
# failing tests). A package whose tests fail is run once more: passing on that retry gives "flaky".
check() {
  local dir=$1 logp=$2 b=ok v=ok t=ok flaky="" failed=""
  (cd "$dir" && go build ./...) >"$logp.build.log" 2>&1 || b=FAIL
  (cd "$dir" && go vet ./...) >"$logp.vet.log" 2>&1 || v=FAIL
  if ! (cd "$dir" && go test -count=1 ./...) >"$logp.test.log" 2>&1; then
    t=FAIL
    failed=$(grep -E '^\s*--- FAIL' "$logp.test.log" | awk '{print $3}' | sort -u | tr '\n' ' ')
    local pkgs
    pkgs=$(awk '$1 == "FAIL" && NF >= 2 {print $2}' "$logp.test.log" | sort -u | tr '\n' ' ')
    # shellcheck disable=SC2086
    if [[ -n $pkgs ]] && (cd "$dir" && go test -count=1 $pkgs) >"$logp.test-retry.log" 2>&1; then
      t=flaky flaky=$failed failed=""
    fi
  fi
  jq -cn --arg b $b --arg v $v --arg t $t --arg f "$flaky" --arg x "$failed" \
    '{build:$b, vet:$v, test:$t} + (if $f != "" then {flaky:$f} else {} end) + (if $x != "" then {failed:$x} else {} end)'
}

# Some modules time their own tests; goldmark's TestDeepNestedLabelPerformance allows 5 s, which a
# 2-core machine misses whatever the code (measured 4.4-6.3 s on the pristine copy). goldmark has a
# knob for slow machines; other modules' failures are compared with the pristine copy's (below).
export GOLDMARK_TEST_TIMEOUT_MULTIPLIER=${GOLDMARK_TEST_TIMEOUT_MULTIPLIER:-3}

start=$(date +%s)
for bed in $EFFECT_BEDS; do
  log "== $bed"
  W=$OUT/$bed
  mkdir -p "$W"
  src=$(pristine_source "$bed")
  cat "$(bed_dir "$bed")/.bench-module" >"$W/module.txt"
  rm -rf "$W/before" "$W/after"
  cp -R "$src" "$W/before" && chmod -R u+w "$W/before"
  cp -R "$src" "$W/after" && chmod -R u+w "$W/after"

  log "$bed: build/vet/test of the pristine copy"
  before_checks=$(check "$W/before" "$W/before")
  if [[ $before_checks == *FAIL* ]]; then
    printf '\n[bench] WARNING: %s: the PRISTINE module does not pass build/vet/test (%s); see %s; after --apply only\n[bench] failures beyond these count\n\n' \
      "$bed" "$before_checks" "$W/before.*.log" >&2
  fi

  (cd "$W/after" && "$SK" -q --json) >"$W/before.json" || fail "$bed: stackify --json (before) failed"
  log "$bed: $(jq -r '.summary|"\(.findings) findings, \(.fixes_candidate) candidate fixes, \(.declined) declined"' "$W/before.json")"

  log "$bed: stackify --apply --allow-no-vcs --json"
  if ! (cd "$W/after" && "$SK" -q --apply --allow-no-vcs --json) >"$W/apply.json" 2>"$W/apply.stderr"; then
    fail "$bed: stackify --apply failed: $(head -c 500 "$W/apply.stderr")"
  fi
  log "$bed: $(jq -r '.summary|"\(.fixes_verified) verified, \(.fixes_dropped) dropped, \(.files_written|length) files written, \(.verification_builds) verification builds"' "$W/apply.json" 2>/dev/null || echo '?')"
  (cd "$W" && diff -ru before after >"$W/applied.diff") || true

  log "$bed: build/vet/test after --apply"
  after_checks=$(check "$W/after" "$W/after")
  # A failure is stackify's unless the pristine copy failed the same way (same step, same tests).
  regress=$(jq -rn --argjson b "$before_checks" --argjson a "$after_checks" '
    [ (["build","vet"][] | select($a[.] == "FAIL" and $b[.] != "FAIL")),
      (if $a.test == "FAIL" then
         (if $b.test != "FAIL" then "test"
          else (($a.failed // "" | split(" ") | map(select(. != ""))) - ($b.failed // "" | split(" ") | map(select(. != "")))
                | if length > 0 then "test: " + join(" ") else empty end) end)
       else empty end) ] | join(", ")')
  if [[ -n $regress ]]; then
    fail "$bed: after --apply: $regress fail(s) ($after_checks); see $W/after.*.log and $W/applied.diff"
  elif [[ $after_checks == *FAIL* ]]; then
    after_checks=$(jq -c '. + {note:"fails exactly as the pristine copy does"}' <<<"$after_checks")
  fi
  jq -n --argjson b "$before_checks" --argjson a "$after_checks" '{before:$b, after:$a}' >"$W/checks.json"

  (cd "$W/after" && "$SK" -q --json) >"$W/after.json" || fail "$bed: stackify --json (after) failed"
  log "$bed: after: $(jq -r '.summary|"\(.findings) findings, \(.fixes_candidate) candidate fixes"' "$W/after.json")"

  # Benchmarks of the packages the applied fixes touched.
  pkgs=()
  while IFS= read -r d; do
    [[ -n $d ]] || continue
    p=./$d
    [[ $d == . ]] && p=.
    list=$(cd "$W/after" && go test -list '^Benchmark' "$p" 2>/dev/null || true)
    if grep -q '^Benchmark' <<<"$list"; then
      pkgs+=("$p")
    fi
  done < <(jq -r '.summary.files_written[]?' "$W/apply.json" | xargs -r -n1 dirname | sort -u)
  if ((${#pkgs[@]} == 0)); then
    jq -n --arg note "no benchmarks in the packages the applied fixes touched ($(jq -r '[.summary.files_written[]?]|map(split("/")[:-1]|join("/"))|unique|map(if .=="" then "." else . end)|join(", ")' "$W/apply.json"))" \
      '{packages:[], note:$note}' >"$W/bench.json"
    log "$bed: $(jq -r .note "$W/bench.json")"
    continue
  fi
  log "$bed: benchmarks in ${pkgs[*]}: $BENCH_COUNT interleaved rounds, -benchtime=$BENCHTIME"
  : >"$W/bench-before.txt"
  : >"$W/bench-after.txt"
  mkdir -p "$W/bin"
  for p in "${pkgs[@]}"; do
    tag=$(echo "$p" | tr '/.' '__')
    (cd "$W/before" && go test -c -o "$W/bin/before$tag.test" "$p") || fail "$bed: go test -c $p (before)"
    (cd "$W/after" && go test -c -o "$W/bin/after$tag.test" "$p") || fail "$bed: go test -c $p (after)"
  done
  for ((i = 1; i <= BENCH_COUNT; i++)); do
    for p in "${pkgs[@]}"; do
      tag=$(echo "$p" | tr '/.' '__')
      # Alternate which side runs first, so that a drift during a round does not favour one.
      sides="before after"
      ((i % 2 == 0)) && sides="after before"
      for side in $sides; do
        # A test binary runs in its package directory, as `go test` does.
        (cd "$W/$side/$p" && nice -n "${BENCH_NICE:-0}" "$W/bin/$side$tag.test" -test.run='^$' -test.bench=. -test.benchmem \
          -test.count=1 -test.benchtime="$BENCHTIME") >>"$W/bench-$side.txt" 2>&1 ||
          fail "$bed: benchmarks of $p ($side) failed"
      done
    done
    log "$bed: benchmark round $i/$BENCH_COUNT done"
  done
  (cd "$W" && "$BENCHSTAT" bench-before.txt bench-after.txt) >"$W/benchstat.txt" 2>&1 || true
  (cd "$W" && "$BENCHSTAT" -format csv bench-before.txt bench-after.txt) >"$W/benchstat.csv" 2>/dev/null || true
  python3 "$BENCH/benchstat_csv.py" "$W/benchstat.csv" "$BENCH_COUNT" "$BENCHTIME" "${pkgs[@]}" >"$W/bench.json"
done
echo $(($(date +%s) - start)) >"$OUT/elapsed_s.txt"

DATE=$(date +%Y-%m-%d)
RESULTS=${RESULTS:-$BENCH/results/$DATE-$(machine_name)-effect.json}
mkdir -p "$(dirname "$RESULTS")"
python3 "$BENCH/aggregate.py" effect "$OUT" >"$RESULTS"
python3 "$BENCH/aggregate.py" effect-md "$RESULTS" >"${RESULTS%.json}.md"
cat "${RESULTS%.json}.md"
log "done in $(cat "$OUT/elapsed_s.txt") s: $RESULTS"
if ((${#FAILURES[@]})); then
  printf '\n[bench] ===== %d FAILURE(S) =====\n' "${#FAILURES[@]}" >&2
  printf '[bench]   %s\n' "${FAILURES[@]}" >&2
  exit 1
fi
