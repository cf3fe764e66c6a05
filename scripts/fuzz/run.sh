#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 30s).
# With CORPUS=1 it then checks the inputs the run found interesting into
# the package's testdata/fuzz/<Target>/ (at most MAXNEW per target, the
# smallest first), so that plain `go test` replays them as seeds.
set -euo pipefail
cd "$(dirname "$0")/../.."
FUZZTIME=${FUZZTIME:-30s}
MAXNEW=${MAXNEW:-24}
cache=$(go env GOCACHE)/fuzz
mod=$(go list -m)
fail=0
summary=()
while IFS=: read -r file _ decl; do
  t=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$decl")
  dir=$(dirname "$file")
  pkg=$mod/${dir#./}
  start=$(date +%s)
  if out=$(go test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" "./$dir" 2>&1); then
    res=ok
  else
    res=FAIL; fail=1
    echo "$out"
  fi
  execs=$(grep -oE 'execs: [0-9]+' <<<"$out" | tail -1 | grep -oE '[0-9]+' || echo 0)
  summary+=("$(printf '%-4s %-48s %-22s %10s execs %4ss' "$res" "$pkg" "$t" "$execs" "$(( $(date +%s) - start ))")")
  if [ "${CORPUS:-0}" = 1 ] && [ -d "$cache/$pkg/$t" ]; then
    mkdir -p "$dir/testdata/fuzz/$t"
    ls -S -r "$cache/$pkg/$t" | head -n "$MAXNEW" | while read -r f; do
      cp -n "$cache/$pkg/$t/$f" "$dir/testdata/fuzz/$t/$f"
    done
  fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sort)
printf '%s\n' "${summary[@]}"
exit $fail
