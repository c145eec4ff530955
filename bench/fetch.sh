#!/usr/bin/env bash
# Prepare the test beds under bench/cache/ (gitignored):
#   bench/cache/<name>   writable scratch copy of each pinned module (goldmark, toml, chi, xtools,
#                        and the application-style beds gojq, zerolog, gopretty),
#                        fetched through the Go module proxy with `go mod download -json` into the
#                        module cache; a module with requirements (xtools) gets them downloaded too and
#                        must `go build ./...`
#   bench/cache/demo     copy of fixtures/demo
#   bench/cache/stdset   a standard-library package set copied from GOROOT/src into a scratch module
#                        `stdset` with rewritten import paths (see bench/README.md for why)
# Idempotent: an existing bed is rebuilt only with FORCE=1.
#
# Env: BEDS="demo stdset goldmark toml chi" (which beds; add xtools for the large bed, ≈ 150 MB of
# downloads with its dependencies and a few minutes of `go build`; add gojq zerolog gopretty for the
# application-style beds of bench/reach.sh), FORCE=1 (recreate), STD_PKGS="...".
set -euo pipefail
source "$(dirname "$0")/lib.sh"

FETCH_BEDS=${BEDS:-"demo stdset goldmark toml chi"}
mkdir -p "$BENCH_CACHE"

# name -> module@version (pinned)
declare -A MODULES=(
  [goldmark]=github.com/yuin/goldmark@v1.8.7
  [toml]=github.com/BurntSushi/toml@v1.6.0
  [chi]=github.com/go-chi/chi/v5@v5.5.0
  [xtools]=golang.org/x/tools@v0.39.0
  # Application-style beds (optional, like xtools: fetched only when named in BEDS; bench/reach.sh).
  # The beds above are libraries with tight hand-tuned code; these are the kind of code most Go is:
  # loops that build strings and slices for output, closures kept as state, fmt everywhere. Each has
  # tests and benchmarks, and builds offline from the Go module proxy with the requirements its own
  # go.sum pins.
  # gojq: the jq CLI (cli/, cmd/gojq) and its interpreter: a program's main loop, encoders writing
  # JSON/YAML text, a compiler building code slices. v0.12.19, not v0.12.20: the latter requires
  # a github.com/itchyny/go-yaml pseudo-version the proxy refuses (403).
  [gojq]=github.com/itchyny/gojq@v0.12.19
  # zerolog: a log processor (cmd/prettylog reads JSON logs and re-renders them; console writer,
  # hooks, samplers): per-event formatting, the hot path of every service that logs.
  [zerolog]=github.com/rs/zerolog@v1.35.1
  # go-pretty: CLI output (tables, lists, progress bars, text wrapping and colours): row loops that
  # build strings, and progress indicators kept as closures over mutable state. Chosen over
  # sirupsen/logrus v1.10.2, which gave stackify nothing to fix (0 verified fixes, 23 declines).
  [gopretty]=github.com/jedib0t/go-pretty/v6@v6.9.2
)

# Self-contained std packages: every std package they import that is not in the set imports nothing
# from the set, so no type exists twice. internal/fmtsort and go/internal/scannerhooks are copied
# because a module cannot import std's internal packages.
STD_PKGS=${STD_PKGS:-"bufio compress/flate encoding/csv encoding/json encoding/xml go/ast go/build/constraint go/doc/comment go/format go/internal/scannerhooks go/parser go/printer go/scanner go/token html internal/fmtsort regexp regexp/syntax text/template text/template/parse"}

fresh() { # fresh DIR: true when DIR must be (re)created
  local d=$1
  if [[ -d $d && -z ${FORCE:-} ]]; then
    log "keep $d (FORCE=1 to recreate)"
    return 1
  fi
  rm -rf "$d"
  return 0
}

fetch_module() {
  local name=$1 mv=${MODULES[$1]}
  local dst=$BENCH_CACHE/$name
  fresh "$dst" || return 0
  log "go mod download -json $mv"
  local json dir
  json=$(cd "$BENCH_CACHE" && GOFLAGS=-mod=mod go mod download -json "$mv")
  dir=$(jq -r '.Dir // empty' <<<"$json")
  if [[ -z $dir || ! -d $dir ]]; then
    die "go mod download $mv gave no directory: $(jq -r '.Error // empty' <<<"$json")"
  fi
  cp -R "$dir" "$dst"
  chmod -R u+w "$dst"
  echo "$mv" >"$dst/.bench-module"
  # A module with requirements needs them in the module cache (its own go.sum pins them), and must
  # build with the local toolchain, or every measurement on it would fail midway.
  if grep -q '^require' "$dst/go.mod"; then
    log "$name: go mod download (its requirements)"
    (cd "$dst" && go mod download) || die "$name: go mod download failed"
    log "$name: go build ./... (checks the bed builds with $(go env GOVERSION))"
    (cd "$dst" && go build -o /dev/null ./...) || die "$name does not build with $(go env GOVERSION)"
  fi
  log "$name: $(count_lines "$dst") lines of non-test Go in $(count_packages "$dst") packages in $dst"
}

fetch_demo() {
  local dst=$BENCH_CACHE/demo
  fresh "$dst" || return 0
  cp -R "$REPO/fixtures/demo" "$dst"
  echo "fixtures/demo" >"$dst/.bench-module"
}

fetch_stdset() {
  local dst=$BENCH_CACHE/stdset goroot
  fresh "$dst" || return 0
  goroot=$(go env GOROOT)
  mkdir -p "$dst"
  local gov
  gov=$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
  printf 'module stdset\n\ngo %s\n' "$gov" >"$dst/go.mod"
  local set=" $STD_PKGS "
  local p
  for p in $STD_PKGS; do
    mkdir -p "$dst/$p"
    # Only the files the current build context compiles (no tests, no other GOOS, no experiments).
    local f
    for f in $(cd "$goroot/src" && go list -f '{{join .GoFiles " "}}' "$p"); do
      awk -v set="$set" '
        function rewrite(line,   m, path) {
          if (match(line, /"[^"]+"/)) {
            path = substr(line, RSTART + 1, RLENGTH - 2)
            if (index(set, " " path " ") > 0)
              line = substr(line, 1, RSTART) "stdset/" path substr(line, RSTART + 1 + length(path))
          }
          return line
        }
        /^import \($/ { inblock = 1; print; next }
        inblock && /^\)/ { inblock = 0; print; next }
        inblock { print rewrite($0); next }
        /^import ([A-Za-z_.][A-Za-z0-9_]* )?"/ { print rewrite($0); next }
        { print }
      ' "$goroot/src/$p/$f" >"$dst/$p/$f"
    done
  done
  # gofmt, as real code is: the rewritten import paths must be re-sorted within their import runs.
  gofmt -w "$dst"
  echo "std $(go env GOVERSION): $STD_PKGS" >"$dst/.bench-module"
  (cd "$dst" && go build ./... && go vet ./...) || die "the std set does not build; adjust STD_PKGS"
  # Prove no copied package still imports a std original of the set (that would put two copies of
  # a type in play). Std packages outside the set may use the originals internally (fmt uses
  # internal/fmtsort), which is harmless.
  local leaks
  leaks=$(cd "$dst" && go list -f '{{join .Imports "\n"}}' ./... | sort -u | grep -Fx -f <(tr ' ' '\n' <<<"$STD_PKGS" | sed '/^$/d') || true)
  [[ -z $leaks ]] || die "std set still depends on the std originals of: $leaks"
  log "stdset: $(count_lines "$dst") lines of non-test Go in $(echo $STD_PKGS | wc -w) packages"
}

for b in $FETCH_BEDS; do
  case $b in
    demo) fetch_demo ;;
    stdset) fetch_stdset ;;
    *) [[ -n ${MODULES[$b]:-} ]] || die "unknown bed $b"; fetch_module "$b" ;;
  esac
done
log "beds ready in $BENCH_CACHE: $(ls "$BENCH_CACHE" | tr '\n' ' ')"
