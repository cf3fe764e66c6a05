#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 30s),
# JOBS targets at a time (default 2, one fuzzing worker each). Each
# package's test binary is built once, with fuzzing instrumentation. With
# CORPUS=1 it then checks the inputs the run found interesting into the
# package's testdata/fuzz/<Target>/ (at most MAXNEW per target, the
# smallest first), so that plain `go test` replays them as seeds.
set -euo pipefail
cd "$(dirname "$0")/../.."
export FUZZTIME=${FUZZTIME:-30s} MAXNEW=${MAXNEW:-24} CORPUS=${CORPUS:-0}
JOBS=${JOBS:-2}
export cache=$(go env GOCACHE)/fuzz mod=$(go list -m)
export work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sort |
  sed -E 's#^\./([^:]*)/[^/:]*:[0-9]+:func (Fuzz[A-Za-z0-9_]*).*#\1 \2#' >"$work/targets"
# -fuzz at build time adds the coverage instrumentation fuzzing needs.
for dir in $(cut -d' ' -f1 "$work/targets" | uniq); do
  t=$(grep -m1 "^$dir " "$work/targets" | cut -d' ' -f2)
  go test -c -o "$work/$(tr / _ <<<"$dir").test" -fuzz "^$t\$" "./$dir"
done

one() {
  dir=$1 t=$2 pkg=$mod/$1
  start=$(date +%s)
  # The test binary runs in its package's directory (testdata/fuzz seeds).
  fuzz() {
    cd "$dir" && "$work/$(tr / _ <<<"$dir").test" -test.run '^$' -test.fuzz "^$t\$" \
      -test.fuzztime "$FUZZTIME" -test.parallel 1 -test.fuzzcachedir "$cache/$pkg" 2>&1
  }
  if out=$(fuzz); then
    res=ok
  # Go's fuzz coordinator can fail a target at the -fuzztime deadline
  # with a bare "context deadline exceeded" (golang/go#75804, fixed in
  # Go 1.27). A finding always writes its input or panics: only a failure
  # without either is run once more, and must pass then.
  elif grep -q 'context deadline exceeded' <<<"$out" && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' <<<"$out" &&
      out="$out"$'\n(retried after a bare fuzztime deadline)\n'$(fuzz); then
    res=ok
  else
    res=FAIL
    echo "$out" >"$work/$t.$(tr / _ <<<"$dir").fail"
  fi
  execs=$(grep -oE 'execs: [0-9]+' <<<"$out" | tail -1 | grep -oE '[0-9]+' || echo 0)
  printf '%-4s %-52s %-16s %10s execs %4ss\n' "$res" "$pkg" "$t" "$execs" "$(( $(date +%s) - start ))" >>"$work/summary"
  if [ "$CORPUS" = 1 ] && [ -d "$cache/$pkg/$t" ]; then
    mkdir -p "$dir/testdata/fuzz/$t"
    ls -S -r "$cache/$pkg/$t" | head -n "$MAXNEW" | while read -r f; do
      cp -n "$cache/$pkg/$t/$f" "$dir/testdata/fuzz/$t/$f"
    done
  fi
}
export -f one
xargs -P "$JOBS" -L 1 bash -c 'one "$0" "$1"' <"$work/targets"
sort -k2 "$work/summary"
if ls "$work"/*.fail >/dev/null 2>&1; then
  cat "$work"/*.fail
  exit 1
fi
