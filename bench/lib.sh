# Shared helpers for bench/*.sh (sourced, not run).
# shellcheck shell=bash

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
BENCH_CACHE=${BENCH_CACHE:-$BENCH/cache}
BENCH_OUT=${BENCH_OUT:-$BENCH/out}
mkdir -p "$BENCH_OUT/bin"

# Never switch toolchains behind our back (a go.mod asking for a newer Go would download one).
export GOTOOLCHAIN=local
# stackify's own caches (type-helper binary, type facts) live under bench/out, never in ~/.cache.
export STACKIFY_CACHE_DIR=${STACKIFY_CACHE_DIR:-$BENCH_OUT/stackify-cache}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '\n[bench] FAIL: %s\n\n' "$*" >&2
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2)"; }

# Lines of Go that `go build ./...` compiles in DIR (non-test files of the build context).
count_lines() {
  (cd "$1" && go list -f '{{range .GoFiles}}{{$.Dir}}/{{.}}{{"\n"}}{{end}}' ./... | xargs cat | wc -l)
}
count_packages() {
  (cd "$1" && go list ./... | wc -l)
}

# The stackify under test: $STACKIFY, else a fresh `cargo build --release`. It is copied to
# bench/out/bin so that a rebuild by someone else during a long run cannot change it midway.
setup_stackify() {
  local src=${STACKIFY:-}
  if [[ -z $src ]]; then
    if [[ -z ${SKIP_BUILD:-} ]]; then
      log "cargo build --release"
      (cd "$REPO" && cargo build --release --quiet) || die "cargo build --release failed"
    fi
    src=$REPO/target/release/stackify
  fi
  [[ -x $src ]] || die "no stackify binary at $src (build it or set STACKIFY)"
  SK=$BENCH_OUT/bin/stackify
  if [[ $src != "$SK" ]]; then
    cp "$src" "$SK.tmp.$$" && mv "$SK.tmp.$$" "$SK"
    local rev dirty=""
    rev=$(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?')
    if [[ -n $(cd "$REPO" && git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null) ]]; then
      dirty="+uncommitted src"
    fi
    # Which source the snapshot was built from (git HEAD when it was copied).
    echo "$("$SK" --version) ($rev$dirty)" >"$SK.version"
  fi
  SK_VERSION=$(cat "$SK.version" 2>/dev/null || "$SK" --version)
  export SK SK_VERSION
}

machine_json() {
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  jq -n --arg host "$(hostname)" --arg cpu "$cpu" --arg cores "$(nproc)" \
    --arg mem "$(free -g | awk '/^Mem:/{print $2 " GB"}')" --arg kernel "$(uname -sr)" \
    --arg go "$(go version)" --arg stackify "$SK_VERSION" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --arg hyperfine "$(hyperfine --version 2>/dev/null || echo none)" \
    '{host:$host, cpu:$cpu, cores:($cores|tonumber), memory:$mem, kernel:$kernel, go:$go, stackify:$stackify, date:$date, hyperfine:$hyperfine}'
}

machine_name() {
  echo "$(nproc)core-$(hostname -s)"
}

# Resolve a bed name to its directory.
bed_dir() {
  local d=$BENCH_CACHE/$1
  [[ -f $d/go.mod ]] || die "bed $1 missing: run BEDS=$1 bench/fetch.sh first (expected $d/go.mod)"
  echo "$d"
}
