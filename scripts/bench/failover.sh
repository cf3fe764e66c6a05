#!/usr/bin/env bash
# Failover time of gokeepalived vs keepalived 2.2.7 as the BACKUP behind a
# keepalived MASTER, in network namespaces (root): medians of 5 hard kills
# (SIGKILL of the master's VRRP process) and 5 graceful stops (SIGTERM),
# VRRPv2 with 1 s adverts and VRRPv3 with 0.05 s adverts.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOFLAGS=-mod=mod
GOKEEPALIVED_BENCH_FAILOVER=1 go test -count=1 -v -timeout 20m -run '^TestFailoverBench$' ./vrrp/e2e |
  grep -o 'BENCH .*' | sed 's/^BENCH //'
