#!/usr/bin/env bash
# Before/after of a change: one zkbench load against two zabkeeper binaries, standalone, ROUNDS
# rounds with the order alternated (A first in odd rounds), each run on a fresh server. Prints
# per run and then as medians: ops/s, server CPU in µs per op (utime+stime of the server and of
# the children it reaped, i.e. the snapshot writer), p99.9 latency and the longest gap between
# two completions.
#   scripts/bench-ab.sh old/zabkeeper build/bin/zabkeeper                 # set, 8 x 64
#   OP=create ROUNDS=6 scripts/bench-ab.sh old/zabkeeper build/bin/zabkeeper
# Environment: OP (set), ROUNDS (4), SESSIONS (8), DEPTH (64), DURATION seconds (8), SIZE (100),
# KEYS (1000), BENCH_DIR where the servers' data goes (a new directory under $TMPDIR or /tmp),
# ZKBENCH_ARGS more zkbench flags (e.g. "--loops 2" for many sessions on shared loops).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
[ $# -eq 2 ] || { echo "usage: $0 BINARY_A BINARY_B" >&2; exit 2; }
OP=${OP:-set}
ROUNDS=${ROUNDS:-4}
SESSIONS=${SESSIONS:-8}
DEPTH=${DEPTH:-64}
DURATION=${DURATION:-8}
SIZE=${SIZE:-100}
KEYS=${KEYS:-1000}
BINARIES=("$1" "$2")
ZKBENCH=$ROOT/build/bin/zkbench
for b in "${BINARIES[@]}" "$ZKBENCH"; do
  [ -x "$b" ] || { echo "missing $b" >&2; exit 1; }
done
tmp=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/zk-bench-ab.XXXXXX")}
mkdir -p "$tmp"
# shellcheck source=lib/bench-servers.sh
source "$ROOT/scripts/lib/bench-servers.sh"
trap 'stop_all; rm -rf "$tmp"' EXIT

run() {  # binary -> "ops_per_s cpu_us_per_op p999_us max_gap_ms errors"
  ZABKEEPER=$1
  rm -rf "$tmp/zabkeeper"
  start_servers zabkeeper 1 || exit 1
  # run() is a subshell (the process substitution below), so the script's own trap never sees
  # this server: stop it however the subshell ends (a failed zkbench exits it under set -e).
  trap stop_all EXIT
  if [ "$OP" != create ]; then  # the keys exist before the measured load
    "$ZKBENCH" --servers "$connect" --op set --sessions 4 --depth 16 --keys "$KEYS" \
      --size "$SIZE" --warmup 0 --duration 1 > /dev/null
  fi
  "$ZKBENCH" --servers "$connect" --op "$OP" --sessions "$SESSIONS" --depth "$DEPTH" \
    --size "$SIZE" --keys "$KEYS" --warmup 2 --duration "$DURATION" --cpu-pids "${pids[0]}" \
    ${ZKBENCH_ARGS:-} --json | tail -1 | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
cpu = j["server_cpu_s"] * 1e6 / max(j["ops"], 1)
print(round(j["ops_per_sec"]), round(cpu, 2), j["latency_us"]["p999"], j["max_gap_ms"], j["errors"])'
  stop_all
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A results
echo "== $OP, $SESSIONS sessions x $DEPTH, ${SIZE} B, ${DURATION} s per run; A=$1 B=$2"
for round in $(seq 1 "$ROUNDS"); do
  order=(0 1)
  [ $((round % 2)) -eq 0 ] && order=(1 0)
  for i in "${order[@]}"; do
    read -r ops cpu p999 gap errors < <(run "${BINARIES[$i]}")
    name=$([ "$i" -eq 0 ] && echo A || echo B)
    echo "round $round  $name  ops/s=$ops  cpu/op=${cpu}us  p99.9=${p999}us  longest gap=${gap}ms  errors=$errors"
    results[$i.ops]+="$ops "
    results[$i.cpu]+="$cpu "
    results[$i.p999]+="$p999 "
    results[$i.gap]+="$gap "
  done
done
echo "== medians of $ROUNDS rounds"
for i in 0 1; do
  m() { tr ' ' '\n' <<< "${results[$i.$1]}" | grep . | median; }
  name=$([ "$i" -eq 0 ] && echo A || echo B)
  echo "$name ${BINARIES[$i]}: ops/s=$(m ops)  cpu/op=$(m cpu)us  p99.9=$(m p999)us  longest gap=$(m gap)ms"
done
