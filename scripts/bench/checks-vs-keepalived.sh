#!/bin/sh
# keepalived 2.2.7 --check and gokeepalived's checker on the same load,
# one after the other: N real servers (TCP_CHECK, or HTTP_GET with
# -http), delay_loop 1 s, listeners on 127.0.0.0/8 in child processes,
# checks/s counted at the listeners, CPU and RSS of the checker process,
# kill-detection latency after the due check.
#   scripts/bench/checks-vs-keepalived.sh [N [RUNS [extra checkbench flags...]]]
# This kernel has no IPVS, which keepalived refuses to start without, so
# keepalived runs with scripts/bench/fakeipvs.c preloaded: its IPVS
# netlink requests are acknowledged without reaching the kernel (none are
# sent in steady state); its checkers are untouched.
set -eu
cd "$(dirname "$0")/../.."
n=${1:-40000}
runs=${2:-1}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
ka=${KEEPALIVED:-/usr/sbin/keepalived}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS=-mod=mod
go build -o "$tmp/checkbench" ./check/internal/checkbench
have_ka=1
if [ ! -x "$ka" ] || ! command -v cc >/dev/null; then
	echo "note: needs $ka and a C compiler (for the IPVS shim); measuring gokeepalived only" >&2
	have_ka=0
else
	cc -shared -fPIC -O2 -o "$tmp/fakeipvs.so" scripts/bench/fakeipvs.c -ldl
fi
i=0
while [ "$i" -lt "$runs" ]; do
	[ "$have_ka" = 1 ] && "$tmp/checkbench" -n "$n" -for 20s "$@" -keepalived "$ka" -shim "$tmp/fakeipvs.so"
	"$tmp/checkbench" -n "$n" -for 20s "$@"
	i=$((i + 1))
done
