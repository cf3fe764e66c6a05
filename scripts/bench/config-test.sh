#!/usr/bin/env bash
# Times `gokeepalived -t` against `keepalived -t` (Debian 2.2.7) on the same
# generated config (default 10,000 virtual servers × 4 real servers) and
# prints wall time, peak RSS and the ratio. Usage: config-test.sh [VS [RS]]
set -euo pipefail
cd "$(dirname "$0")/../.."
vs=${1:-10000} rs=${2:-4}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS=-mod=mod
CGO_ENABLED=0 go build -trimpath -o "$tmp/gokeepalived" ./cmd/gokeepalived
go run ./conf/internal/confgen/genconf "$vs" "$rs" > "$tmp/keepalived.conf"
echo "config: $vs virtual servers x $rs real servers, $(wc -l < "$tmp/keepalived.conf") lines, $(du -h "$tmp/keepalived.conf" | cut -f1)"

# measure CMD...: best wall seconds of 3 runs, and peak RSS in MB
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
best = None
for _ in range(3):
    t = time.monotonic()
    rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = time.monotonic() - t
    best = d if best is None else min(best, d)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{best:.3f} {rss:.1f} {rc}")
PY
}
read -r gt grss grc < <(measure "$tmp/gokeepalived" -t -f "$tmp/keepalived.conf")
printf '%-28s %8.3f s  %7.1f MB peak RSS  exit %s\n' "gokeepalived -t" "$gt" "$grss" "$grc"
if command -v keepalived >/dev/null; then
  read -r kt krss krc < <(measure keepalived -t -f "$tmp/keepalived.conf")
  printf '%-28s %8.3f s  %7.1f MB peak RSS  exit %s\n' "keepalived 2.2.7 -t" "$kt" "$krss" "$krc"
  python3 -c "print(f'ratio keepalived/gokeepalived: {$kt/$gt:.1f}x time, {$krss/$grss:.1f}x memory')"
fi
