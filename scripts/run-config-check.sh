#!/usr/bin/env bash
# Checks and dumps a config with gokeepalived (and, when installed, with
# keepalived 2.2.7 for comparison) inside a throw-away network namespace
# that has the interface the config names (eth0), as on a director.
set -euo pipefail
bin=${1:?usage: run-config-check.sh BINARY CONFIG}
config=$(realpath "${2:?usage: run-config-check.sh BINARY CONFIG}")
bin=$(realpath "$bin")
ns=gkrun-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name eth0-peer
ip -n "$ns" addr add 10.10.31.1/24 dev eth0
ip -n "$ns" link set eth0 up
echo "== gokeepalived -t -d -f $config"
set +e
ip netns exec "$ns" "$bin" -t -d -f "$config"
rc=$?
set -e
echo "== gokeepalived -t exit code: $rc (0 ok, 4 cannot run, 5 errors, 6 script security)"
if command -v keepalived >/dev/null; then
  set +e
  ip netns exec "$ns" keepalived -t -f "$config"
  krc=$?
  set -e
  echo "== keepalived 2.2.7 -t exit code on the same file: $krc"
fi
exit "$rc"
