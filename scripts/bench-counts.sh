#!/usr/bin/env bash
# Counts per op, for two zabkeeper binaries: heap allocations, context switches and futex calls
# of the server process while one zkbench load of a fixed number of requests runs (standalone,
# a fresh server per run, ROUNDS rounds with the order alternated). Counts barely move from run
# to run where CPU time on a shared machine spreads widely, so they show what a change to the
# hot path saved even when a CPU-time A/B (scripts/bench-ab.sh) cannot.
#   scripts/bench-counts.sh old/zabkeeper build/bin/zabkeeper            # set, 60,000 requests
#   OP=multi OPS=20000 scripts/bench-counts.sh old/zabkeeper build/bin/zabkeeper
# Allocations are counted by uprobes on the allocator's operator new and malloc (tcmalloc, as
# the server links it); each costs a few microseconds, which slows the server several times
# over and so changes how often its threads wait and wake: take context switches and futex
# calls from a run with ALLOCS=0 (no probes, full speed). CPU per op is left to bench-ab.sh.
# Needs root (perf probe).
# Environment: OP (set), OPS (60000), ROUNDS (2), SESSIONS (8), DEPTH (64), SIZE (100),
# KEYS (1000), MULTI_OPS (10), ALLOCS (1; 0: no allocation count), BENCH_DIR where the servers'
# data goes (default: a new directory).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OP=${OP:-set}
OPS=${OPS:-60000}
ROUNDS=${ROUNDS:-2}
SESSIONS=${SESSIONS:-8}
DEPTH=${DEPTH:-64}
SIZE=${SIZE:-100}
KEYS=${KEYS:-1000}
MULTI_OPS=${MULTI_OPS:-10}
ALLOCS=${ALLOCS:-1}
# shellcheck source=lib/bench-ab-rounds.sh
source "$ROOT/scripts/lib/bench-ab-rounds.sh"
ab_init "$@"
command -v perf > /dev/null || { echo "perf not installed (Debian: linux-perf)" >&2; exit 1; }

group=zkcounts
events=context-switches,syscalls:sys_enter_futex
# shellcheck source=lib/bench-servers.sh
source "$ROOT/scripts/lib/bench-servers.sh"
trap 'stop_all; [ "$ALLOCS" = 0 ] || perf probe -q -d "$group:*" 2> /dev/null || true; rm -rf "$tmp"' EXIT

if [ "$ALLOCS" != 0 ]; then
  # The allocator the server links, and the addresses of its operator new (new[] is the same
  # function in tcmalloc) and malloc.
  # (awk reads all its input: an early exit would fail the pipe under pipefail)
  lib=$(ldd "${BINARIES[0]}" | awk '/libtcmalloc/ && !done { print $3; done = 1 }')
  [ -n "$lib" ] || { echo "${BINARIES[0]} does not link tcmalloc" >&2; exit 1; }
  addr_of() { nm -D "$lib" | awk -v s="$1" '$3 == s && !done { print "0x" $1; done = 1 }'; }
  new_addr=$(addr_of tc_new)
  malloc_addr=$(addr_of tc_malloc)
  if [ -z "$new_addr" ] || [ -z "$malloc_addr" ]; then
    echo "no tc_new/tc_malloc in $lib" >&2
    exit 1
  fi
  perf probe -q -d "$group:*" 2> /dev/null || true
  perf probe -q -x "$lib" -a "$group:op_new=$new_addr" -a "$group:op_malloc=$malloc_addr"
  events+=,$group:op_new,$group:op_malloc
fi

extra=()
[ "$OP" = multi ] && extra=(--multi-ops "$MULTI_OPS")

run() {  # binary -> "allocs_per_op cs_per_op futex_per_op errors"
  ab_fresh_server "$1"
  perf stat -x, -o "$tmp/stat" -p "${pids[0]}" -e "$events" &
  local stat_pid=$!
  sleep 0.5  # perf attached
  "$ZKBENCH" --servers "$connect" --op "$OP" --sessions "$SESSIONS" --depth "$DEPTH" \
    --size "$SIZE" --keys "$KEYS" --warmup 0 --duration 600 --max-ops "$OPS" "${extra[@]}" \
    --json | tail -1 > "$tmp/json"
  kill -INT "$stat_pid"
  wait "$stat_pid" || true
  stop_all
  /usr/bin/python3 - "$tmp/stat" "$tmp/json" <<'PYEOF'
import csv, json, sys
counts = {}
for row in csv.reader(l for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")):
    try:
        counts[row[2]] = counts.get(row[2], 0) + float(row[0])
    except (ValueError, IndexError):
        pass
j = json.load(open(sys.argv[2]))
n = max(j["ops"], 1)
probes = [v for k, v in counts.items() if k.startswith("zkcounts:")]
allocs = f"{sum(probes) / n:.2f}" if probes else "-"
print(f'{allocs} {counts.get("context-switches", 0) / n:.3f} '
      f'{counts.get("syscalls:sys_enter_futex", 0) / n:.3f} {j["errors"]}')
PYEOF
}
echo "== $OP, $SESSIONS sessions x $DEPTH, ${SIZE} B, $OPS requests per run; A=$1 B=$2"
ab_rounds run allocations/op "context switches/op" "futex calls/op" errors
