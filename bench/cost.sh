#!/usr/bin/env bash
# Cost: stackify's wall time against a plain `go build -gcflags=-m` of the same packages, side by side
# in one run, per test bed and cache state. See bench/README.md for what each scenario means.
#
# Env (all optional):
#   BEDS="demo chi toml goldmark stdset"  beds to measure (bench/fetch.sh prepares them); the large
#                     bed xtools (golang.org/x/tools, ≈ 155k lines in 219 packages) is optional: fetch
#                     it with BEDS=xtools bench/fetch.sh and add it here, e.g. BEDS=xtools COLD_RUNS=0
#                     RSS_BEDS=xtools (its module-cold and cold rounds take minutes each on 2 cores)
#   WARM_RUNS=10      interleaved timed runs per command, everything cached (after 2 warm-up runs each)
#   MODCOLD_RUNS=3    runs with the dependencies' build cache warm and the module's cold (edit loop)
#   COLD_RUNS=1       runs with an empty GOCACHE (fresh machine); 0 skips the cold scenario
#   COLD_BEDS=$BEDS   beds that get the (expensive) cold scenario
#   FIRST_BEDS=demo   beds where the cold scenario also times a first-ever run (stackify's own caches
#                     empty too: the type helper is built, which costs the same whatever the bed)
#   RSS_BEDS=stdset   beds whose peak memory is measured (warm and modcold)
#   WARM_GOCACHE=dir  GOCACHE of the warm scenario (default bench/out/gocache-warm)
#   BENCH_NICE=-15    run the timed commands of NICE_SCENARIOS [warm modcold] at this nice level, so
#                     that other work on a shared machine disturbs them less (negative needs root)
#   STACKIFY=path     binary under test (default: cargo build --release; SKIP_BUILD=1 to not build)
#   OUT=dir           where raw results go (default bench/out/cost/<timestamp>)
#   RESULTS=file.json where the aggregated results go (default bench/results/<date>-<machine>-cost.json)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need hyperfine "https://github.com/sharkdp/hyperfine"
need jq "apt-get install jq"
need python3 "aggregation"
need go "the Go toolchain"

BEDS=${BEDS:-"demo chi toml goldmark stdset"}
WARM_RUNS=${WARM_RUNS:-10}
MODCOLD_RUNS=${MODCOLD_RUNS:-3}
COLD_RUNS=${COLD_RUNS:-1}
COLD_BEDS=${COLD_BEDS:-$BEDS}
FIRST_BEDS=${FIRST_BEDS:-demo}
RSS_BEDS=${RSS_BEDS:-stdset}

setup_stackify
OUT=${OUT:-$BENCH_OUT/cost/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" "$OUT/json" "$OUT/rss"
log "stackify: $SK_VERSION; go: $(go version); raw results in $OUT"

# Cache locations: every scenario has its own GOCACHE, so no scenario warms another.
GC_WARM=${WARM_GOCACHE:-$BENCH_OUT/gocache-warm} # persistent: everything cached
GC_TMPL=$BENCH_OUT/gocache-deps        # dependencies compiled, module packages only without -m (template)
GC_MOD=$BENCH_OUT/gocache-modcold      # reset to the template before each modcold run
GC_COLD=$BENCH_OUT/gocache-cold        # emptied before each cold run
SC_WARM=$STACKIFY_CACHE_DIR            # stackify's own caches (type helper binary, type facts)
SC_COLD=$BENCH_OUT/stackify-cache-cold # emptied before each "first run" (everything cold)

# Exactly the compiling `go list` call stackify makes when its analysis cache misses (src/go/list.rs),
# without stackify: the floor of its work. (A warm run with unchanged inputs makes the same call
# without -export and -gcflags, which compiles nothing.)
LIST_FIELDS="ImportPath,Name,Dir,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles,Imports,Module,Export,DepOnly,Error,Incomplete,Standard,ImportMap,Match,ForTest,CFiles,CXXFiles,HFiles,SFiles,SysoFiles,SwigFiles,SwigCXXFiles"
declare -A CMD=(
  [base]="go build -gcflags=-m -o /dev/null ./..."
  [floor]="go list -e -export -deps -gcflags=-m=2 -json=$LIST_FIELDS -- ./..."
  [report]="$SK -q"
  [diff]="$SK --diff -q"
  [first]="$SK -q"
)
declare -A EXIT_OK=([base]=0 [floor]=0 [report]=0 [diff]="0 1" [first]=0)

# stackify keys its analysis (and verification) cache by the compiler's inputs, so a scenario in
# which the compiler must recompile the bed's packages (edited files, an empty GOCACHE) must also
# start without stackify's analyses of them. Its type helper binary and type facts stay.
cat >"$OUT/prep-modcold.sh" <<EOF
#!/usr/bin/env bash
rm -rf "$GC_MOD" "$SC_WARM/analysis" "$SC_WARM/stamps" && cp -a "$GC_TMPL" "$GC_MOD"
EOF
cat >"$OUT/prep-cold.sh" <<EOF
#!/usr/bin/env bash
rm -rf "$GC_COLD" "$SC_COLD" "$SC_WARM/analysis" "$SC_WARM/stamps"
EOF

# measure BED SCENARIO NAME ROUND
measure() {
  local bed=$1 scen=$2 name=$3 round=$4
  local gocache sc=$SC_WARM prep=()
  case $scen in
    warm) gocache=$GC_WARM ;;
    modcold) gocache=$GC_MOD prep=(--prepare "bash $OUT/prep-modcold.sh") ;;
    cold) gocache=$GC_COLD prep=(--prepare "bash $OUT/prep-cold.sh") ;;
  esac
  [[ $name == first ]] && sc=$SC_COLD
  local out=$OUT/raw/$bed.$scen.$name.$round.json
  GOCACHE=$gocache STACKIFY_CACHE_DIR=$sc $(nice_for "$scen") hyperfine -N --style none --runs 1 -i "${prep[@]}" \
    --export-json "$out" -n "$name" "${CMD[$name]}" >/dev/null
  local code
  code=$(jq -r '.results[0].exit_codes[0]' "$out")
  [[ " ${EXIT_OK[$name]} " == *" $code "* ]] ||
    die "$bed/$scen/$name exited $code: (cd $(bed_dir "$bed") && GOCACHE=$gocache ${CMD[$name]})"
  printf '%s=%sms ' "$name" "$(jq -r '.results[0].times[0]*1000|floor' "$out")" >&2
}

NICE_SCENARIOS=${NICE_SCENARIOS:-"warm modcold"}
nice_for() { # the `nice -n N` prefix for a scenario, or nothing
  if [[ -n ${BENCH_NICE:-} && " $NICE_SCENARIOS " == *" $1 "* ]]; then echo "nice -n $BENCH_NICE"; fi
}

# rounds BED SCENARIO N NAMES...: N interleaved rounds (a b c, b c a, c a b, ...: every command runs
# once per round, and the order rotates) so that load from other processes on the machine, and any
# effect of the previous command, hits every command alike.
rounds() {
  local bed=$1 scen=$2 n=$3
  shift 3
  local names=("$@") r i
  for ((r = 1; r <= n; r++)); do
    printf '[bench %s] %s %s round %d/%d: ' "$(date +%H:%M:%S)" "$bed" "$scen" "$r" "$n" >&2
    for ((i = 0; i < ${#names[@]}; i++)); do
      measure "$bed" "$scen" "${names[$(((i + r - 1) % ${#names[@]}))]}" "$r"
    done
    echo >&2
    echo "$bed $scen $r $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/load.txt"
  done
}

rss() { # rss BED SCENARIO NAME
  local bed=$1 scen=$2 name=$3 gocache
  case $scen in
    warm) gocache=$GC_WARM ;;
    modcold) gocache=$GC_MOD && bash "$OUT/prep-modcold.sh" ;;
  esac
  local ok=0
  [[ $name == diff ]] && ok=0,1
  # shellcheck disable=SC2086
  GOCACHE=$gocache $(nice_for "$scen") python3 "$BENCH/rss.py" --exit-ok "$ok" -- ${CMD[$name]} |
    jq -c --arg bed "$bed" --arg scen "$scen" --arg name "$name" '. + {bed:$bed, scenario:$scen, name:$name}' \
      >>"$OUT/rss/rss.jsonl"
}

machine_json | jq --arg nice "${BENCH_NICE:-0}" --arg ns "$NICE_SCENARIOS" \
  '. + {nice: ($nice|tonumber), nice_scenarios: $ns}' >"$OUT/machine.json"
echo "$BEDS" >"$OUT/beds.txt"
start=$(date +%s)
for bed in $BEDS; do
  dir=$(bed_dir "$bed")
  cd "$dir"
  jq -n --arg bed "$bed" --arg mod "$(cat .bench-module 2>/dev/null || echo "$bed")" \
    --argjson lines "$(count_lines "$dir")" --argjson packages "$(count_packages "$dir")" \
    '{bed:$bed, module:$mod, lines:$lines, packages:$packages}' >"$OUT/json/$bed.size.json"
  log "== $bed: $(jq -r '"\(.lines) lines, \(.packages) packages"' "$OUT/json/$bed.size.json")"

  # The template cache: every dependency compiled, the bed's own packages only without -gcflags (so
  # every timed command below must recompile them, with its own flags). It also seeds the warm cache.
  stamp="$(go version) $bed"
  if ((MODCOLD_RUNS > 0)) && ! grep -qxF "$stamp" "$GC_TMPL.beds" 2>/dev/null; then
    log "$bed: compiling its dependencies into the template cache (once per Go version)"
    GOCACHE=$GC_TMPL go build -o /dev/null ./... >/dev/null 2>&1 || die "$bed: go build fails"
    GOCACHE=$GC_TMPL go list -e -export -deps ./... >/dev/null
    echo "$stamp" >>"$GC_TMPL.beds"
  fi
  [[ -d $GC_WARM || ! -d $GC_TMPL ]] || cp -a "$GC_TMPL" "$GC_WARM"

  # What stackify found and did: a fresh analysis and verification (go's build cache may be warm;
  # stackify's own results are not reused, so the verification builds are counted).
  rm -rf "$SC_WARM/analysis" "$SC_WARM/stamps"
  GOCACHE=$GC_WARM "$SK" -q --diff --json >"$OUT/json/$bed.diff.json" || [[ $? == 1 ]] || die "$bed: --diff --json failed"
  # Warm: two untimed runs of each command first (fills GOCACHE and stackify's caches).
  for name in base floor report diff; do
    for _ in 1 2; do
      # shellcheck disable=SC2086
      GOCACHE=$GC_WARM ${CMD[$name]} >/dev/null 2>&1 || [[ $name == diff ]] || die "$bed: ${CMD[$name]} failed"
    done
  done
  # The report with its own timings, warm.
  GOCACHE=$GC_WARM "$SK" -q --json >"$OUT/json/$bed.report.json"
  rounds "$bed" warm "$WARM_RUNS" base floor report diff

  # Module cold: dependencies cached, the bed's own packages not (as after editing them).
  if ((MODCOLD_RUNS > 0)); then
    bash "$OUT/prep-modcold.sh"
    GOCACHE=$GC_MOD "$SK" -q --diff --json >"$OUT/json/$bed.diff-modcold.json" || [[ $? == 1 ]] || die "$bed: --diff --json failed"
    rounds "$bed" modcold "$MODCOLD_RUNS" base floor report diff
  fi

  if ((COLD_RUNS > 0)) && [[ " $COLD_BEDS " == *" $bed "* ]]; then
    if [[ " $FIRST_BEDS " == *" $bed "* ]]; then
      rounds "$bed" cold "$COLD_RUNS" base report diff first
    else
      rounds "$bed" cold "$COLD_RUNS" base report diff
    fi
    rm -rf "$GC_COLD" "$SC_COLD"
  fi

  if [[ " $RSS_BEDS " == *" $bed "* ]]; then
    log "$bed: peak memory"
    scens=warm
    ((MODCOLD_RUNS > 0)) && scens="warm modcold"
    for scen in $scens; do
      for name in base report diff; do rss "$bed" "$scen" "$name"; done
    done
  fi
done
rm -rf "$GC_MOD"
echo $(($(date +%s) - start)) >"$OUT/elapsed_s.txt"

DATE=$(date +%Y-%m-%d)
RESULTS=${RESULTS:-$BENCH/results/$DATE-$(machine_name)-cost.json}
mkdir -p "$(dirname "$RESULTS")"
python3 "$BENCH/aggregate.py" cost "$OUT" >"$RESULTS"
python3 "$BENCH/aggregate.py" cost-md "$RESULTS" >"${RESULTS%.json}.md"
log "done in $(cat "$OUT/elapsed_s.txt") s: $RESULTS"
cat "${RESULTS%.json}.md"
