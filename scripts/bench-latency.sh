#!/usr/bin/env bash
# Single-session durable write latency of a standalone zabkeeper beside the machine's limit.
# Prints, for the disk the data lives on, the p50/p99 of a 100-byte append+fdatasync on a growing
# and on a prewritten file (build/bin/fsync_limit), the loopback TCP round trip of 64 bytes
# between two threads (build/bin/loopback_rtt), then, ROUNDS times and alternating between
# the binaries given (default: build/bin/zabkeeper), the p50/p99 of a single-session get (the
# round trip without the disk) and set (--sessions 1 --depth 1) from zkbench, each on a fresh
# server; finally the median per binary beside the limits: get p50 against the loopback round
# trip, set p50 against round trip + prewritten fdatasync (both p50).
#   scripts/bench-latency.sh                          # this build, 3 rounds
#   ROUNDS=5 scripts/bench-latency.sh old/zabkeeper build/bin/zabkeeper
# Environment: ROUNDS (3), DURATION seconds per run (10), BENCH_DIR where the servers' data goes
# (a new directory under $TMPDIR or /tmp; choose one on the disk you want to measure).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
BINARIES=("$@")
[ ${#BINARIES[@]} -eq 0 ] && BINARIES=("$ROOT/build/bin/zabkeeper")
ZKBENCH=$ROOT/build/bin/zkbench
FSYNC_LIMIT=$ROOT/build/bin/fsync_limit
LOOPBACK_RTT=$ROOT/build/bin/loopback_rtt
for b in "${BINARIES[@]}" "$ZKBENCH" "$FSYNC_LIMIT" "$LOOPBACK_RTT"; do
  [ -x "$b" ] || { echo "missing $b (BUILD_TARGETS='zabkeeper zkbench fsync_limit loopback_rtt' scripts/build.sh)" >&2; exit 1; }
done
tmp=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/zk-bench-latency.XXXXXX")}
mkdir -p "$tmp"
# shellcheck source=lib/bench-servers.sh
source "$ROOT/scripts/lib/bench-servers.sh"
trap 'stop_all; rm -rf "$tmp"' EXIT

echo "== fdatasync limit on $(df --output=source,fstype "$tmp" | tail -1) ($tmp)"
"$FSYNC_LIMIT" --dir "$tmp" --count 2000 --size 100 | grep -v fallocated | tee "$tmp/fsync.txt"
fsync_p50=$(awk '/^prewritten/ { sub("p50=", "", $4); sub("us", "", $4); print $4 }' "$tmp/fsync.txt")
echo "== loopback round trip"
"$LOOPBACK_RTT" --count 20000 --size 64 | tee "$tmp/rtt.txt"
rtt_p50=$(awk '{ sub("p50=", "", $4); sub("us", "", $4); print $4 }' "$tmp/rtt.txt")

bench() {  # binary op -> "p50 p99"
  ZABKEEPER=$1
  rm -rf "$tmp/zabkeeper"
  start_servers zabkeeper 1 || exit 1
  "$ZKBENCH" --servers "$connect" --sessions 1 --depth 1 --op "$2" --size 100 --keys 100 \
    --warmup 2 --duration "$DURATION" --json | tail -1 |
    /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin)["latency_us"]; print(j["p50"], j["p99"])'
  stop_all
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A results
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!BINARIES[@]}"; do
    for op in get set; do
      read -r p50 p99 < <(bench "${BINARIES[$i]}" "$op")
      echo "round $round  ${BINARIES[$i]}  $op  p50=${p50}us p99=${p99}us"
      results[$i.$op.p50]+="$p50 "
      results[$i.$op.p99]+="$p99 "
    done
  done
done
echo "== medians of $ROUNDS rounds (single session, depth 1, 100-byte data)"
for i in "${!BINARIES[@]}"; do
  m() { tr ' ' '\n' <<< "${results[$i.$1]}" | grep . | median; }
  get50=$(m get.p50)
  set50=$(m set.p50)
  limit=$(awk -v a="$rtt_p50" -v b="$fsync_p50" 'BEGIN { printf "%.0f", a + b }')
  ratio=$(awk -v a="$set50" -v b="$limit" 'BEGIN { printf "%.2f", a / b }')
  get_ratio=$(awk -v a="$get50" -v b="$rtt_p50" 'BEGIN { printf "%.2f", a / b }')
  echo "${BINARIES[$i]}: get p50=${get50}us p99=$(m get.p99)us  set p50=${set50}us" \
    "p99=$(m set.p99)us"
  echo "   get p50 / loopback round trip p50 (${rtt_p50}us) = ${get_ratio}"
  echo "   set p50 / (round trip + prewritten fdatasync p50 = ${limit}us) = ${ratio}"
done
