#!/usr/bin/env bash
# Large-tree benchmark of a standalone zabkeeper: N znodes of SIZE bytes (default 10,000,000 of
# 100 bytes, under P parents of N/P children each), fsync on, tickTime=2000, snapCount=100000
# (ZooKeeper's defaults).
#
#   scripts/bench-large-tree.sh [--count N] [--parents P] [--size BYTES] [--load-seconds S] [--ci]
#
#   1. populate: zk_populate fills the parents one after another (1000 requests pipelined on one
#      connection, pseudo-random incompressible data); creates/s. Snapshots of the growing tree
#      are written meanwhile, as with any write load.
#   2. once idle (CPU < 5% for 2 s, no snapshot child): VmRSS, VmHWM, data dir, the newest
#      snapshot file, the snapshots written so far with their time (mntr's snapshottime
#      summary: exec of the forked writer to its file renamed in place) and the longest fork()
#      (every fork is logged by the server, with its time).
#   3. writes while snapshots of the whole tree are taken: zkbench setData, 8 sessions x 64
#      outstanding over 1,000 keys for S seconds (default 60), so a snapshot of all N znodes
#      starts every 50,000-100,000 txns; ops/s, p50/p99/p99.9 latency, the longest gap between
#      two completions (a stall of the whole server shows there), the snapshots started during
#      the load and their time.
#   4. restart: SIGTERM, then exec to all N znodes served (zk_populate --verify of every
#      parent), and RSS once idle.
#
# --ci: N=200,000 under 2 parents, 5 s of load. Environment: BIN_DIR (zabkeeper, zkbench,
# zk_populate; default build/bin), KEEP_TMP=1 keeps the temp dir, BENCH_EXTRA_CFG more zoo.cfg
# lines (e.g. "fsync.warningthresholdms=20" to have slow log syncs logged).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/bench-proc.sh
. "$here/scripts/lib/bench-proc.sh"
BIN_DIR=${BIN_DIR:-$here/build/bin}
count=10000000
parents=10
size=100
load_s=60
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --parents) parents=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --load-seconds) load_s=$2; shift 2 ;;
    --ci) count=200000; parents=2; load_s=5; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
per_parent=$((count / parents))
[ $((per_parent * parents)) -eq "$count" ] || { echo "--count must be a multiple of --parents" >&2; exit 2; }

# shellcheck source=lib/bench-servers.sh
. "$here/scripts/lib/bench-servers.sh"
POPULATE=$BIN_DIR/zk_populate
bench_binaries "$POPULATE"
bench_tmpdir bench-large-tree
BENCH_EXTRA_CFG="snapCount=100000${BENCH_EXTRA_CFG:+$'\n'$BENCH_EXTRA_CFG}"
BENCH_LOG_LEVEL=info  # the snapshot and fork lines read below
log=$tmp/zabkeeper/s1/server.out

start_server() { start_servers zabkeeper 1 || exit 1; port=${server_ports[0]}; server_pid=${pids[0]}; }
mntr() {  # key
  four_letter_word "$port" mntr | awk -F '\t' -v k="$1" '$1 == k { print $2 }'
}
# The longest "snapshot: fork took N.N ms" in the server log from line $1 on (0 if none).
longest_fork_ms() {
  local ms
  ms=$(tail -n +"$1" "$log" | sed -n 's/.*snapshot: fork took \([0-9.]*\) ms.*/\1/p' | sort -g | tail -1)
  echo "${ms:-0}"
}
snapshots_started() { tail -n +"$1" "$log" | grep -c 'snapshot of zxid' || true; }
# Waits until every parent has all its children (the server serves the whole tree).
wait_serving() {  # t0
  local t0=$1 deadline p rc
  deadline=$(( $(date +%s) + 900 ))
  p=0
  while [ "$(date +%s)" -lt $deadline ] && [ $p -lt "$parents" ]; do
    kill -0 "$server_pid" 2>/dev/null || { echo "server exited; see $log" >&2; return 1; }
    rc=0
    "$POPULATE" --port "$port" --count "$per_parent" --parent "/bench$p" --verify \
      --connect-timeout 1000 --io-timeout 600000 > "$tmp/verify.out" 2>&1 || rc=$?
    if [ $rc -eq 0 ]; then p=$((p + 1)); continue; fi
    if [ $rc -eq 1 ]; then echo "WRONG CHILD COUNT: $(cat "$tmp/verify.out")" >&2; return 1; fi
    sleep 0.05
  done
  [ $p -eq "$parents" ] || { echo "not serving within 900 s" >&2; return 1; }
  secs_since "$t0"
}
field() {  # json key [subkey]
  /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); v=d[sys.argv[2]]
print(v[sys.argv[3]] if len(sys.argv) > 3 else v)' "$@"
}
fmt() { awk -v v="$1" -v d="${2:-1}" 'BEGIN { printf "%.*f", d, v }'; }

echo "large tree: $count znodes of $size bytes under $parents parents; $(nproc) CPUs;" \
  "load average $(uptime | sed 's/.*load average: //'); dir $tmp" >&2
start_server
t0=$(now_ns)
for p in $(seq 0 $((parents - 1))); do
  "$POPULATE" --port "$port" --count "$per_parent" --size "$size" --depth 1000 \
    --parent "/bench$p" -q
done
populate_s=$(secs_since "$t0")
populate_rate=$(awk -v n="$count" -v s="$populate_s" 'BEGIN { printf "%.0f", n / s }')
echo "   populated in $populate_s s ($populate_rate creates/s)" >&2
wait_idle "$server_pid"
rss=$(kib_of "$server_pid" VmRSS)
hwm=$(kib_of "$server_pid" VmHWM)
data_bytes=$(du -sb "$tmp/zabkeeper/s1/data" | cut -f1)
snap_bytes=$(newest_snapshot_bytes "$tmp/zabkeeper/s1/data")
snap_count=$(mntr zk_cnt_snapshottime)
snap_max_ms=$(mntr zk_max_snapshottime)
fork_max_populate=$(longest_fork_ms 1)

echo "   writes while snapshots are taken: zkbench set 8 x 64 for $load_s s" >&2
log_line=$(($(wc -l < "$log") + 1))
snap_sum_before=$(mntr zk_sum_snapshottime)
json=$("$ZKBENCH" --servers "127.0.0.1:$port" --op set --keys 1000 --size "$size" --sessions 8 \
  --depth 64 --duration "$load_s" --warmup 2 --cpu-pids "$server_pid" --json | tail -1)
wait_idle "$server_pid"
load_snaps=$(snapshots_started "$log_line")
load_snap_ms=$(( $(mntr zk_sum_snapshottime) - snap_sum_before ))
load_fork_max=$(longest_fork_ms "$log_line")
snap_max_after=$(mntr zk_max_snapshottime)

stop_all
t0=$(now_ns)
start_server
restart_s=$(wait_serving "$t0")
wait_idle "$server_pid"
rss_restart=$(kib_of "$server_pid" VmRSS)
recovered=$(grep 'recovered .* znodes' "$log" | tail -1 | sed 's/.*recovered/recovered/')
stop_all

mibb() { awk -v v="$1" 'BEGIN { printf "%.0f", v / 1048576 }'; }
echo
echo "Large tree: $count znodes of $size bytes under $parents parents (fsync on, tickTime=2000," \
  "snapCount=100000), $(date -u '+%Y-%m-%d %H:%M UTC'); load average at end:" \
  "$(uptime | sed 's/.*load average: //')"
echo
echo "| metric | value |"
echo "|---|---|"
echo "| populate: creates/s (time) | $populate_rate ($populate_s s) |"
echo "| RSS after populate, idle (MiB) | $(mib "$rss") |"
echo "| peak RSS, VmHWM (MiB) | $(mib "$hwm") |"
echo "| bytes of RSS per znode | $(( rss * 1024 / count )) |"
echo "| data dir (MiB) | $(mibb "$data_bytes") |"
echo "| newest snapshot file (MiB) | $(mibb "$snap_bytes") |"
echo "| snapshots during populate; longest (ms) | $snap_count; $snap_max_ms |"
echo "| longest fork() during populate (ms) | $fork_max_populate |"
echo "| set under snapshots: ops/s | $(fmt "$(field "$json" ops_per_sec)" 0) |"
echo "| set under snapshots: p50 / p99 / p99.9 (ms) | $(fmt "$(field "$json" latency_us p50)e-3" 2) / $(fmt "$(field "$json" latency_us p99)e-3" 2) / $(fmt "$(field "$json" latency_us p999)e-3" 2) |"
gap_at=$(date -u -d "@$(awk -v ms="$(field "$json" max_gap_end_unix_ms)" 'BEGIN { printf "%.3f", ms / 1000 }')" '+%H:%M:%S.%3N')
echo "| set under snapshots: longest gap between completions (ms; ending at, UTC, to find in the server's log) | $(fmt "$(field "$json" max_gap_ms)" 1); $gap_at |"
echo "| set under snapshots: errors | $(field "$json" errors) |"
echo "| set under snapshots: server CPU per op (µs) | $(fmt "$(field "$json" server_cpu_s_per_10k_ops)e2" 2) |"
echo "| snapshots of the whole tree started during the load; their total time (ms) | $load_snaps; $load_snap_ms |"
echo "| longest snapshot (ms); longest fork() during the load (ms) | $snap_max_after; $load_fork_max |"
echo "| restart: SIGTERM'd server's exec to all $count served (s) | $restart_s |"
echo "| RSS after restart, idle (MiB) | $(mib "$rss_restart") |"
echo
echo "server: $recovered"
echo "command: scripts/bench-large-tree.sh --count $count --parents $parents --size $size --load-seconds $load_s"
