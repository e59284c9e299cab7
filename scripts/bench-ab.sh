#!/usr/bin/env bash
# Before/after of a change: one zkbench load against two zabkeeper binaries, standalone, ROUNDS
# rounds with the order alternated (A first in odd rounds), each run on a fresh server. Prints
# per run and then as medians: ops/s, server CPU in µs per op (utime+stime of the server and of
# the children it reaped, i.e. the snapshot writer), p99.9 latency and the longest gap between
# two completions.
#   scripts/bench-ab.sh old/zabkeeper build/bin/zabkeeper                 # set, 8 x 64
#   OP=create ROUNDS=6 scripts/bench-ab.sh old/zabkeeper build/bin/zabkeeper
# Environment: OP (set), ROUNDS (4), SESSIONS (8), DEPTH (64), DURATION seconds (8), SIZE (100),
# KEYS (1000), PREFILL (0: znodes created under /prefill before the load, for a large tree),
# BENCH_DIR where the servers' data goes (a new directory under $TMPDIR or /tmp),
# ZKBENCH_ARGS more zkbench flags (e.g. "--loops 2" for many sessions on shared loops).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OP=${OP:-set}
ROUNDS=${ROUNDS:-4}
SESSIONS=${SESSIONS:-8}
DEPTH=${DEPTH:-64}
DURATION=${DURATION:-8}
SIZE=${SIZE:-100}
KEYS=${KEYS:-1000}
# shellcheck source=lib/bench-ab-rounds.sh
source "$ROOT/scripts/lib/bench-ab-rounds.sh"
ab_init "$@"
# shellcheck source=lib/bench-servers.sh
source "$ROOT/scripts/lib/bench-servers.sh"
trap 'stop_all; rm -rf "$tmp"' EXIT

run() {  # binary -> "ops_per_s cpu_us_per_op p999_us max_gap_ms errors"
  ab_fresh_server "$1"
  "$ZKBENCH" --servers "$connect" --op "$OP" --sessions "$SESSIONS" --depth "$DEPTH" \
    --size "$SIZE" --keys "$KEYS" --warmup 2 --duration "$DURATION" --cpu-pids "${pids[0]}" \
    ${ZKBENCH_ARGS:-} --json | tail -1 | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
cpu = j["server_cpu_s"] * 1e6 / max(j["ops"], 1)
print(round(j["ops_per_sec"]), round(cpu, 2), j["latency_us"]["p999"], j["max_gap_ms"], j["errors"])'
  stop_all
}
echo "== $OP, $SESSIONS sessions x $DEPTH, ${SIZE} B, ${DURATION} s per run; A=$1 B=$2"
ab_rounds run ops/s cpu/op:us p99.9:us "longest gap:ms" errors
