#!/usr/bin/env bash
# 1,000 VRRP instances, all MASTER, on 4 veth pairs × VRIDs 1–250:
# gokeepalived then keepalived 2.2.7 in the same run, in network
# namespaces (root). Prints start-up time to all MASTER, CPU and RSS of the
# daemon over a steady window, and the deviation of each instance's
# inter-advert interval from advert_int as the peer's kernel timestamps it.
# WINDOW (default 30s), ROUNDS (default 1; alternates who goes first),
# CASES (v2, v3 or both; default both), RT=1 runs both daemons SCHED_FIFO 1
# (chrt) so that other load on the machine does not delay them.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOFLAGS=-mod=mod
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$tmp/gokeepalived" ./cmd/gokeepalived
GOKEEPALIVED_BENCH_INSTANCES=1 GOKEEPALIVED_BIN="$tmp/gokeepalived" \
  GOKEEPALIVED_BENCH_WINDOW="${WINDOW:-30s}" GOKEEPALIVED_BENCH_ROUNDS="${ROUNDS:-1}" \
  GOKEEPALIVED_BENCH_CASES="${CASES:-}" GOKEEPALIVED_BENCH_RT="${RT:-}" \
  go test -count=1 -v -timeout 30m -run '^TestInstancesBench$' ./vrrp/e2e >"$tmp/out" 2>&1 ||
  { grep -v '^\s*[A-Z][a-z][a-z] [A-Z][a-z][a-z] ' "$tmp/out" | tail -40; exit 1; } # without daemon logs
grep -o 'BENCH .*' "$tmp/out" | sed 's/^BENCH //'
