#!/usr/bin/env bash
# Ensemble figures, zabkeeper beside Apache ZooKeeper (Debian), same topology, same run:
# the longest write stall when the leader is killed under load, and the time a wiped follower
# takes to rejoin an ensemble holding N znodes of 100 bytes (with the latency of the leader's
# client meanwhile), and the time a follower stopped while --gap-mib MiB were written takes to
# resynchronize. Prints a table.
#   scripts/bench-ensemble.sh [--znodes N] [--gap-mib M] [--ci]
# BIN_DIR: where zabkeeper and zk_populate are (default build/bin; use a Release build).
# --ci: a quick smoke run (zabkeeper only, 20,000 znodes, a 32 MiB gap, short load).
set -euo pipefail
cd "$(dirname "$0")/.."
export ZK_BIN_DIR=${BIN_DIR:-$PWD/build/bin}
ZNODES=1000000
GAP_MIB=1074
KINDS=(zabkeeper apache)
BEFORE=3 AFTER=8
while [ $# -gt 0 ]; do
  case "$1" in
    --znodes) ZNODES=$2; shift 2 ;;
    --gap-mib) GAP_MIB=$2; shift 2 ;;
    --ci) ZNODES=20000; GAP_MIB=32; KINDS=(zabkeeper); BEFORE=1; AFTER=3; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
PY=/usr/bin/python3
TOOL=tests/tools/bench_ensemble.py
declare -A R
for kind in "${KINDS[@]}"; do
  R[$kind,failover]=$($PY $TOOL --kind "$kind" --measure failover --before $BEFORE --after $AFTER | tail -1)
  R[$kind,rejoin]=$($PY $TOOL --kind "$kind" --measure rejoin --znodes "$ZNODES" | tail -1)
  R[$kind,resync]=$($PY $TOOL --kind "$kind" --measure resync --gap-mib "$GAP_MIB" | tail -1)
done
field() { $PY -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("n/a" if v is None else v)' "$1" "$2"; }
printf '%-58s' "measure (3 voters, tickTime=2000, initLimit=10, syncLimit=5)"
for kind in "${KINDS[@]}"; do printf ' %12s' "$kind"; done; echo
row() {
  printf '%-58s' "$1"
  for kind in "${KINDS[@]}"; do printf ' %12s' "$(field "${R[$kind,$2]}" "$3")"; done; echo
}
row "longest gap between acked writes, leader killed (s)" failover longest_gap_s
row "first ack after the kill (s)" failover first_ack_after_kill_s
row "acked writes lost after failover" failover missing_after_failover
row "znodes populated" rejoin znodes
row "wiped follower rejoin until it serves all (s)" rejoin rejoin_s
row "leader set+get during the rejoin, p50 (ms)" rejoin leader_set_get_p50_ms
row "leader set+get during the rejoin, p99 (ms)" rejoin leader_set_get_p99_ms
row "leader set+get during the rejoin, longest (ms)" rejoin leader_set_get_max_ms
row "leader get during the rejoin, p99 (ms)" rejoin leader_get_p99_ms
row "leader get during the rejoin, longest (ms)" rejoin leader_get_max_ms
row "MiB written while a follower was down" resync gap_mib
row "its resync until it has the leader's last zxid (s)" resync resync_s
row "leader set+get during the resync, p99 (ms)" resync leader_set_get_p99_ms
row "leader set+get during the resync, longest (ms)" resync leader_set_get_max_ms
row "leader get during the resync, longest (ms)" resync leader_get_max_ms
for kind in "${KINDS[@]}"; do
  [ "$(field "${R[$kind,failover]}" missing_after_failover)" = "0" ] ||
    { echo "$kind lost acknowledged writes" >&2; exit 1; }
done
