#!/bin/sh
# Checker scale benchmark: N real servers with TCP_CHECK (delay_loop 1 s)
# against listeners on 127.0.0.0/8 (run in child processes, not counted).
# Prints checks/s, CPU (user/sys), RSS and kill-detection latency.
#   scripts/bench/checks.sh [N] [extra checkbench flags...]
set -eu
cd "$(dirname "$0")/../.."
n=${1:-40000}
[ $# -gt 0 ] && shift
exec go run ./check/internal/checkbench -n "$n" -for 20s "$@"
