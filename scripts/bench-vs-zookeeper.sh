#!/usr/bin/env bash
# Throughput, latency and footprint of zabkeeper next to Apache ZooKeeper (Debian's), with the
# same topology and settings, measured in one run; prints one markdown table with the ratio
# zabkeeper / Apache per row.
#
#   scripts/bench-vs-zookeeper.sh [--topology standalone|ensemble] [--ci] [--duration S]
#                                 [--warmup S] [--jvm-warmup S] [--rounds N] [--sessions N]
#                                 [--depth N] [--only KIND] [--no-footprint] [--basic-ops]
#                                 [--grow-ops N]
#
# Each server kind runs in a fresh temp dir with tickTime=2000, fsync on (both defaults;
# Apache's forceSync=yes), the default snapCount, on loopback. standalone: one server; ensemble:
# three (server.1..3 lines, myid files), zkbench connecting to all three. If zabkeeper refuses the
# ensemble configuration (or never serves), its rows read "n/a".
#
# Fairness: the same zkbench and loads for both kinds; --rounds rounds (default 3), each starting
# both kinds afresh, in alternating order (zabkeeper first in odd rounds, Apache first in even
# ones); before Apache's measured loads in each round, an unmeasured JVM warm-up of --jvm-warmup
# seconds (default 20) under the mixed load. Every figure is the median of the rounds, with the
# min-max range. zkbench counts only successful completions as ops; a load that had errors in
# any round is marked "!" and its error count printed. Server CPU (utime+stime of the server
# processes from /proc/PID/stat, in the measured window) is reported in microseconds per op for
# every load; on an ensemble also the leader's and each follower's (their mean) apart.
#
# Loads (build/bin/zkbench against each server in turn, --size 100, --keys 10000):
#   write ops/s   --op set     S sessions x D outstanding
#   read ops/s    --op get     S x D
#   mixed         --op mixed --read-ratio 0.9, S x D; also its p99 latency
#   create ops/s  --op create  S x D, --grow-ops nodes (default 1,000,000)
#   single-session latency: --op get and --op set, 1 session, 1 outstanding (p50)
# and, for server CPU per op (and ops/s) of every kind of request, S x D each:
#   --op create-seq (sequential nodes, --grow-ops of them), --op delete (400,000 nodes created
#   before the load, then deleted; the load ends when they run out), --op exists, --op children
#   (getChildren of a node with 100 children), --op multi (10 setData ops per multi; ops/s and CPU per multi)
# The two loads that grow the tree (create, create-seq) are bounded by their node count, not by
# --duration: each creates --grow-ops nodes (warm-up included) and ends when they exist, within
# 120 s. Bounded by time, the faster server would end each with a larger tree, and every snapshot
# from then on (loads after them included) would cost it in proportion to that tree: the two
# servers would no longer do the same work.
# Footprint (standalone; scripts/bench-footprint.sh): RSS after 1,000,000 znodes of 100 bytes,
# data-dir size and restart time (one round), and Apache's RSS again with the tight -Xmx that
# script finds.
#
# --ci: a quick run (1 round, 1 s warmup, 2 s JVM warm-up, 2 s per load, 150,000 nodes to delete,
# 100,000 to create after a 0.2 s warm-up, footprint --ci with 20,000 znodes). --basic-ops: only the first six loads.
# Environment: BIN_DIR (zabkeeper, zkbench, zk_populate; default build/bin; use a Release
# build), KEEP_TMP=1 keeps the temp dir.
set -euo pipefail
bench_args=("$@")

here=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-$here/build/bin}
topology=standalone
duration=10
warmup=2
jvm_warmup=20
rounds=3
sessions=8
depth=64
only=""
ci=0
leader_pid=""
footprint=1
all_ops=1
delete_keys=400000
grow_ops=1000000
grow_limit_s=120
grow_warmup=""  # the grow loads' warm-up; empty: --warmup
while [ $# -gt 0 ]; do
  case "$1" in
    --topology) topology=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --jvm-warmup) jvm_warmup=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --grow-ops) grow_ops=$2; shift 2 ;;
    --no-footprint) footprint=0; shift ;;
    --basic-ops) all_ops=0; shift ;;
    --ci) ci=1; duration=2; warmup=1; jvm_warmup=2; rounds=1; delete_keys=150000; grow_ops=100000; grow_limit_s=30; grow_warmup=0.2; shift ;;
    -h|--help) sed -n '2,46p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$topology" in standalone|ensemble) ;; *) echo "bad --topology $topology" >&2; exit 2 ;; esac
# The footprint rows measure standalone servers; they belong to the standalone table.
[ "$topology" = ensemble ] && footprint=0

# shellcheck source=lib/bench-servers.sh
. "$here/scripts/lib/bench-servers.sh"
bench_binaries
[ -f /usr/share/java/zookeeper.jar ] || { echo "Apache ZooKeeper not installed" >&2; exit 2; }

bench_tmpdir bench-vs-zk

declare -A R
# Runs zkbench and stores figures of its JSON line under R[kind,name,key,round].
bench() {  # kind round name zkbench-args...
  local kind=$1 round=$2 name=$3 out json
  shift 3
  out=$("$ZKBENCH" --servers "$connect" --duration "${load_duration:-$duration}" --warmup "${load_warmup:-$warmup}" \
        --size 100 --keys "${keys:-10000}" --prefix "/bench-$name" --cpu-pids "$(IFS=,; echo "${pids[*]}")" --json "$@" \
        2> "$tmp/$kind/$name.err") || { echo "   zkbench $name failed: $(tail -2 "$tmp/$kind/$name.err")" >&2; return 0; }
  json=$(tail -1 <<< "$out")
  eval "$(/usr/bin/python3 - "$kind,$name" "$round" "$json" "$leader_pid" <<'PYEOF'
import json, sys
key, rnd, j, leader = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
ops = j["ops_per_sec"]
n = j["ops"]
cpu10k = j.get("server_cpu_s_per_10k_ops", "")
vals = {"ops": ops, "p50": j["latency_us"]["p50"], "p99": j["latency_us"]["p99"],
        "errors": j["errors"],
        # seconds per 10,000 ops -> microseconds per op
        "cpu_us": (cpu10k * 100.0) if cpu10k != "" else ""}
by_pid = j.get("server_cpu_s_by_pid", {})
if leader and leader in by_pid and n > 0 and len(by_pid) > 1:
    # An ensemble: the leader's CPU per op, and each follower's (their mean).
    followers = [v for p, v in by_pid.items() if p != leader]
    vals["cpu_leader_us"] = by_pid[leader] * 1e6 / n
    vals["cpu_follower_us"] = sum(followers) / len(followers) * 1e6 / n
for k, v in vals.items():
    print(f'R[{key},{k},{rnd}]="{v}"')
PYEOF
)"
  printf '   %-8s %10.0f ops/s  p50 %8.1f us  p99 %9.1f us  errors %s  server CPU %s us/op\n' \
    "$name" "${R[$kind,$name,ops,$round]}" "${R[$kind,$name,p50,$round]}" \
    "${R[$kind,$name,p99,$round]}" "${R[$kind,$name,errors,$round]}" \
    "${R[$kind,$name,cpu_us,$round]}" >&2
}

run_kind() {  # kind round
  local kind=$1 round=$2 n=1
  [ "$topology" = ensemble ] && n=3
  echo "== round $round: $kind ($topology)" >&2
  rm -rf "${tmp:?}/$kind"
  if ! start_servers "$kind" "$n"; then
    R[$kind,na]=1
    stop_all
    return 0
  fi
  leader_pid=""
  if [ "$n" -gt 1 ]; then
    local i
    for i in $(seq 0 $((n - 1))); do
      [ "$(server_mode "${server_ports[$i]}")" = leader ] && leader_pid=${pids[$i]}
    done
    [ -n "$leader_pid" ] || echo "   no leader found: leader/follower CPU not reported" >&2
  fi
  if [ "$kind" = apache ] && [ "$jvm_warmup" -gt 0 ]; then
    # Unmeasured: the JIT compiles the request path before anything is measured.
    "$ZKBENCH" --servers "$connect" --duration "$jvm_warmup" --warmup 0 --size 100 --keys 10000 \
      --prefix /jvm-warmup --op mixed --read-ratio 0.9 --sessions "$sessions" --depth "$depth" \
      > /dev/null 2>&1 || echo "   JVM warm-up failed" >&2
  fi
  bench "$kind" "$round" write --op set --sessions "$sessions" --depth "$depth"
  bench "$kind" "$round" read --op get --sessions "$sessions" --depth "$depth"
  bench "$kind" "$round" mixed --op mixed --read-ratio 0.9 --sessions "$sessions" --depth "$depth"
  # The tree-growing loads create the same number of nodes on both kinds (see the header).
  load_duration=$grow_limit_s load_warmup=${grow_warmup:-$warmup} \
    bench "$kind" "$round" create --op create --max-ops "$grow_ops" --sessions "$sessions" \
    --depth "$depth"
  bench "$kind" "$round" lat_get --op get --sessions 1 --depth 1
  bench "$kind" "$round" lat_set --op set --sessions 1 --depth 1
  if [ "$all_ops" = 1 ]; then
    load_duration=$grow_limit_s load_warmup=${grow_warmup:-$warmup} \
      bench "$kind" "$round" create_seq --op create-seq --max-ops "$grow_ops" \
      --sessions "$sessions" --depth "$depth"
    keys=$delete_keys load_warmup=0.2 \
      bench "$kind" "$round" delete --op delete --sessions "$sessions" --depth "$depth"
    bench "$kind" "$round" exists --op exists --sessions "$sessions" --depth "$depth"
    bench "$kind" "$round" children --op children --fanout 100 --sessions "$sessions" \
      --depth "$depth"
    bench "$kind" "$round" multi --op multi --multi-ops 10 --sessions "$sessions" --depth "$depth"
  fi
  echo "   znodes at the end: $(four_letter_word "${server_ports[0]}" mntr |
    sed -n 's/^zk_znode_count[[:space:]]*//p')" >&2
  stop_all
}

echo "bench: $topology, $(nproc) CPUs, ${sessions}x${depth} outstanding, ${warmup}+${duration} s" \
  "per load; load average $(uptime | sed 's/.*load average: //')" >&2
for r in $(seq 1 "$rounds"); do
  kinds="zabkeeper apache"
  [ $((r % 2)) -eq 0 ] && kinds="apache zabkeeper"
  [ -n "$only" ] && kinds=$only
  for k in $kinds; do run_kind "$k" "$r"; done
done

# The median of each figure over the rounds (R[kind,name,key]), its range (R[...,range]) and
# whether any round had errors.
eval "$(
  for k in "${!R[@]}"; do printf '%s\t%s\n' "$k" "${R[$k]}"; done |
  /usr/bin/python3 -c '
import sys, statistics
vals = {}
for line in sys.stdin:
    key, _, v = line.rstrip("\n").partition("\t")
    parts = key.split(",")
    if len(parts) != 4 or v == "":
        continue
    vals.setdefault(",".join(parts[:3]), []).append(float(v))
def fmt(v):
    return "%.0f" % v if v >= 100 else "%.3g" % v
for key, xs in vals.items():
    m = statistics.median(xs)
    print(f"R[{key}]=\"{m}\"")
    if len(xs) > 1:
        print(f"R[{key},range]=\"{fmt(min(xs))}-{fmt(max(xs))}\"")
    if key.endswith(",errors"):
        print(f"R[{key},any]=\"{int(sum(xs))}\"")
'
)"

# Footprint rows from scripts/bench-footprint.sh (standalone servers).
if [ "$footprint" = 1 ]; then
  fp_args=()
  [ "$ci" = 1 ] && fp_args+=(--ci)
  [ -n "$only" ] && fp_args+=(--only "$only")
  fp_out=$(BIN_DIR=$BIN_DIR "$here/scripts/bench-footprint.sh" "${fp_args[@]}" 2> "$tmp/footprint.err") ||
    echo "footprint failed: $(tail -3 "$tmp/footprint.err")" >&2
  fp_count=$(sed -n 's/^Footprint: \([0-9]*\) znodes.*/\1/p' <<< "${fp_out:-}")
  fp_cell() {  # label column(3=zabkeeper,4=apache) [table: 1 = Debian's heap, 2 = the tight one]
    awk -F'|' -v l="$1" -v c="$2" -v t="${3:-1}" '{ x = $2; gsub(/^ +| +$/, "", x) }
      x == l && ++seen == t { v = $c; gsub(/ /, "", v); print v }' <<< "${fp_out:-}"
  }
  for pair in "rss:RSS after populate, idle (MiB)" "du:data dir, du -sb (MiB)" \
              "restart:restart: exec to all N served (s)"; do
    key=${pair%%:*}
    label=${pair#*:}
    R[zabkeeper,fp,$key]=$(fp_cell "$label" 3)
    R[apache,fp,$key]=$(fp_cell "$label" 4)
  done
  # Apache again with the tight heap bench-footprint.sh found (its second table; the row is
  # left out when none of the heaps it tried held the data set).
  fp_tight_mib=$(sed -n 's/.*SERVER_JVMFLAGS=-Xmx\([0-9]*\)m.*/\1/p' <<< "${fp_out:-}")
  if [ -n "$fp_tight_mib" ]; then
    R[zabkeeper,fp,rss_tight]=${R[zabkeeper,fp,rss]}
    R[apache,fp,rss_tight]=$(fp_cell "RSS after populate, idle (MiB)" 4 2)
  fi
fi
load_end=$(uptime | sed 's/.*load average: //')

num() {  # a figure to three significant digits, without exponent notation
  awk -v v="$1" 'BEGIN { if (v !~ /^[0-9.]+$/) print v; else if (v >= 100) printf "%.0f", v;
    else printf "%.3g", v }'
}
cell() {  # kind key
  if [ -n "${R[$1,na]:-}" ]; then echo "n/a"; else echo "${R[$1,$2]:-}"; fi
}
decorate() {  # kind key shown: the median, its range over the rounds, "!" after errors
  local out=$3 name=${2%%,*} range
  [ -n "${R[$1,na]:-}" ] && { echo "$out"; return; }
  range=${R[$1,$2,range]:-}
  [ -n "$range" ] && out="$out ($range)"
  [ "${R[$1,$name,errors,any]:-0}" != 0 ] && [ "$name" != fp ] && out="$out !"
  echo "$out"
}
row() {  # label key fmt target
  local label=$1 key=$2 fmt=$3 target=$4 a b ra rb ratio=""
  a=$(cell zabkeeper "$key")
  b=$(cell apache "$key")
  case "$fmt" in
    int) ra=$(awk -v v="$a" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.0f", v; else print v }')
         rb=$(awk -v v="$b" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.0f", v; else print v }') ;;
    *) ra=$(num "$a"); rb=$(num "$b") ;;
  esac
  if [[ "$a" =~ ^[0-9.]+$ ]] && [[ "$b" =~ ^[0-9.]+$ ]]; then
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  elif [ "$a" = n/a ] || [ "$b" = n/a ]; then
    ratio=n/a
  fi
  ra=$(decorate zabkeeper "$key" "${ra:--}")
  rb=$(decorate apache "$key" "${rb:--}")
  printf '| %-44s | %24s | %24s | %6s | %6s |\n' "$label" "$ra" "$rb" "${ratio:--}" "$target"
}

echo
echo "zabkeeper vs Apache ZooKeeper, $topology, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs;" \
  "zkbench ${sessions} sessions x ${depth} outstanding, 100-byte values, 10,000 keys," \
  "${warmup} s warmup + ${duration} s per load (create and create-seq: ${grow_ops} nodes each)," \
  "Apache after a ${jvm_warmup} s JVM warm-up;" \
  "median of ${rounds} round(s) (min-max), order alternated; load average at end: $load_end"
echo "command: $0 ${bench_args[*]}"
printf '| %-44s | %24s | %24s | %6s | %6s |\n' metric zabkeeper Apache ratio target
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 46))" "$(printf -- '-%.0s' $(seq 26))" \
  "$(printf -- '-%.0s' $(seq 26))" "$(printf -- '-%.0s' $(seq 8))" "$(printf -- '-%.0s' $(seq 8))"
row "write ops/s (set)" write,ops int ">= 3"
row "read ops/s (get)" read,ops int ">= 3"
row "mixed 90% reads ops/s" mixed,ops int ">= 3"
row "create ops/s" create,ops int ">= 3"
row "single-session get latency p50 (us)" lat_get,p50 g "<= 0.5"
row "single-session set latency p50 (us)" lat_set,p50 g "<= 0.5"
row "p99 latency, mixed load (us)" mixed,p99 g "<= 0.33"
row "server CPU us per op, set" write,cpu_us g "<= 0.25"
row "server CPU us per op, get" read,cpu_us g "<= 0.25"
row "server CPU us per op, mixed" mixed,cpu_us g "<= 0.25"
row "server CPU us per op, create" create,cpu_us g "<= 0.25"
if [ "$topology" = ensemble ]; then
  for pair in "set:write" "get:read" "mixed:mixed" "create:create"; do
    row "  ${pair%%:*}: the leader's CPU us per op" "${pair#*:},cpu_leader_us" g ""
    row "  ${pair%%:*}: each follower's CPU us per op" "${pair#*:},cpu_follower_us" g ""
  done
fi
if [ "$all_ops" = 1 ]; then
  row "server CPU us per op, create sequential" create_seq,cpu_us g "<= 0.25"
  row "server CPU us per op, delete" delete,cpu_us g "<= 0.25"
  row "server CPU us per op, exists" exists,cpu_us g "<= 0.25"
  row "server CPU us per op, getChildren of 100" children,cpu_us g "<= 0.25"
  row "server CPU us per multi of 10 setData" multi,cpu_us g "<= 0.25"
  row "create sequential ops/s" create_seq,ops int ""
  row "delete ops/s" delete,ops int ""
  row "exists ops/s" exists,ops int ""
  row "getChildren of 100 ops/s" children,ops int ""
  row "multi of 10 setData /s" multi,ops int ""
fi
if [ "$footprint" = 1 ]; then
  row "RSS after ${fp_count:-?} znodes of 100 B (MiB)" fp,rss g "<= 0.25"
  [ -n "${fp_tight_mib:-}" ] && row "  the same, Apache at -Xmx${fp_tight_mib}m (MiB)" fp,rss_tight g ""
  row "data dir after ${fp_count:-?} znodes (MiB)" fp,du g ""
  row "restart with ${fp_count:-?} znodes (s)" fp,restart g ""
fi
echo
errors_line=""
for kind in zabkeeper apache; do
  for name in write read mixed create lat_get lat_set create_seq delete exists children multi; do
    n=${R[$kind,$name,errors,any]:-0}
    [ "$n" != 0 ] && errors_line+=" $kind $name: $n errors;"
  done
done
[ -n "$errors_line" ] && echo "! runs with errors (failed completions are not counted as ops):$errors_line"
echo "ratio = zabkeeper / Apache (medians). Apache ZooKeeper $(dpkg-query -W -f '${Version}' zookeeper 2>/dev/null)" \
  "on $("$JAVA" -version 2>&1 | head -1), JVM flags of Debian's zkServer.sh (no -Xmx; the tight" \
  "heap's row: the same with SERVER_JVMFLAGS=-Xmx, see scripts/bench-footprint.sh)."
