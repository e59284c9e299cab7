#!/usr/bin/env bash
# Scale beside Apache ZooKeeper: many mostly idle sessions holding a million one-shot watches.
# For each server kind in turn (standalone, fresh data dir, maxClientCnxns=0), runs
# `zkbench --op watch-scale` (client/bench/watch_scale_bench.h): 100,000 leaves under 1,000
# parents, every leaf data-watched by 9 sessions and every parent child-watched by 100
# (1,000,000 watches) over --sessions sessions (default 10,000) on 2 shared event loops; then
# the server's memory per session and per watch, its CPU while the sessions idle, and the time to
# fire and deliver --fire x 9 events (default 11,112 changes: 100,008 events).
#
# Memory: zabkeeper's RSS; Apache's live heap after a full GC (jcmd GC.run, then GC.heap_info's
# "used"), the measure the JVM's own growth hides. Both figures are differences between phases.
# The "live heap" rows set zabkeeper's allocated bytes (mntr's zk_heap_allocated_bytes: what its
# allocator has handed out, without the free memory it keeps), less the log store's bounded
# memtables and cache (zk_log_memory_bytes), beside the same Apache figure.
#
#   scripts/bench-scale.sh [--sessions N] [--parents N] [--children N] [--fire N] [--idle S]
#                          [--only zabkeeper|apache] [--ci]
# --ci: 1,000 sessions, 10,000 leaves (one run in about a minute; too small to read much into).
# Environment: BIN_DIR (default build/bin), KEEP_TMP=1 keeps the temp dir.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-$here/build/bin}
sessions=10000
parents=1000
children=100
fire=11112
idle=10
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sessions) sessions=$2; shift 2 ;;
    --parents) parents=$2; shift 2 ;;
    --children) children=$2; shift 2 ;;
    --fire) fire=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --ci) sessions=1000; parents=100; fire=1112; idle=3; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib/bench-servers.sh
. "$here/scripts/lib/bench-servers.sh"
bench_binaries
# Each session takes a socket on both sides.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
bench_tmpdir bench-scale
BENCH_EXTRA_CFG="maxClientCnxns=0"

declare -A J
for kind in zabkeeper apache; do
  [ -n "$only" ] && [ "$only" != "$kind" ] && continue
  if [ "$kind" = apache ] && [ ! -f /usr/share/java/zookeeper.jar ]; then
    echo "Apache ZooKeeper not installed: skipped" >&2
    continue
  fi
  echo "== $kind" >&2
  start_servers "$kind" 1 || { echo "   $kind did not start" >&2; stop_all; continue; }
  mem_cmd=()
  if [ "$kind" = zabkeeper ]; then
    # Beside the RSS, the allocator's live heap (mntr) less what the log store holds in memory
    # (LevelDB's memtables and block cache: a few MiB whatever the number of sessions, whose
    # flushes otherwise move the per-session figure by hundreds of bytes between runs).
    # (four_letter_word of lib/bench-servers.sh, spelled out: zkbench runs it through sh. printf,
    # since mawk prints a number past 2^31 as 3e+09.)
    mem_cmd=(--heap-cmd "timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/${server_ports[0]};
      printf mntr >&3; cat <&3' | awk '/^zk_heap_allocated_bytes/ {a = \$2}
      /^zk_log_memory_bytes/ {l = \$2} END {printf \"%.0f\\n\", a - l}'")
  fi
  if [ "$kind" = apache ]; then
    mem_cmd=(--mem-cmd "jcmd ${pids[0]} GC.run >/dev/null 2>&1; jcmd ${pids[0]} GC.heap_info |
      sed -n 's/.* used \([0-9]*\)K.*/\1/p' | head -1 | awk '{printf \"%.0f\\n\", \$1 * 1024}'")
  fi
  out=$("$ZKBENCH" --op watch-scale --servers "$connect" --sessions "$sessions" --loops 2 \
        --parents "$parents" --children "$children" --fire "$fire" --idle "$idle" \
        --cpu-pids "${pids[0]}" --json "${mem_cmd[@]}" 2> "$tmp/$kind.err") ||
    echo "   zkbench failed or had errors: $(tail -2 "$tmp/$kind.err")" >&2
  printf '%s\n' "$out" | sed '$d' | sed 's/^/   /' >&2
  J[$kind]=$(tail -1 <<< "$out")
  stop_all
done

/usr/bin/python3 - "${J[zabkeeper]:-}" "${J[apache]:-}" "$sessions" <<'PYEOF'
import json, sys
def load(s):
    try:
        return json.loads(s)
    except Exception:
        return None
z, a, n = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
# Apache's memory is its live heap, so its heap rows repeat its memory rows.
if a:
    a["heap_bytes_per_session"] = a.get("bytes_per_session")
    a["heap_bytes_per_watch"] = a.get("bytes_per_watch")
rows = [("memory per session (bytes; zabkeeper: RSS)", "bytes_per_session", "{:.0f}"),
        ("memory per watch (bytes; zabkeeper: RSS)", "bytes_per_watch", "{:.1f}"),
        ("live heap per session (bytes; zabkeeper: allocated, log cache excluded)",
         "heap_bytes_per_session", "{:.0f}"),
        ("live heap per watch (bytes; zabkeeper: allocated, log cache excluded)",
         "heap_bytes_per_watch", "{:.1f}"),
        ("server memory with all watches (MiB)", "mem_watches_bytes", "MiB"),
        ("server CPU at idle (% of one CPU)", "idle_cpu_pct", "{:.2f}"),
        ("time to fire and deliver the events (s)", "fire_s", "{:.3f}"),
        ("events delivered", "fire_events", "{:.0f}"),
        ("errors", "errors", "{:.0f}")]
def fmt(j, k, f):
    if j is None or k not in j or j[k] is None or j[k] < 0:
        return "n/a"
    if f == "MiB":
        return "{:.0f}".format(j[k] / 1048576)
    return f.format(j[k])
print(f"| {n} sessions, {z['watches'] if z else a['watches'] if a else '?'} watches | zabkeeper | Apache (live heap) | ratio |")
print("|---|---|---|---|")
for label, k, f in rows:
    r = ""
    if z and a and k in z and k in a and a[k] and a[k] > 0 and z[k] >= 0:
        r = "{:.2f}".format(z[k] / a[k])
    print(f"| {label} | {fmt(z, k, f)} | {fmt(a, k, f)} | {r} |")
PYEOF
