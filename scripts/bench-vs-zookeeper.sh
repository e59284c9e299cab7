#!/usr/bin/env bash
# Throughput, latency and footprint of zabkeeper next to Apache ZooKeeper (Debian's), with the
# same topology and settings, measured in one run; prints one markdown table with the ratio
# zabkeeper / Apache per row.
#
#   scripts/bench-vs-zookeeper.sh [--topology standalone|ensemble] [--ci] [--duration S]
#                                 [--warmup S] [--sessions N] [--depth N] [--only KIND]
#                                 [--no-footprint]
#
# Each server kind (zabkeeper, then Apache) runs in a fresh temp dir with tickTime=2000, fsync on
# (both defaults; Apache's forceSync=yes), the default snapCount, on loopback. standalone: one
# server; ensemble: three (server.1..3 lines, myid files), zkbench connecting to all three. If
# zabkeeper refuses the ensemble configuration (or never serves), its rows read "n/a".
#
# Loads (build/bin/zkbench against each server in turn, --size 100, --keys 10000):
#   write ops/s   --op set     S sessions x D outstanding
#   read ops/s    --op get     S x D
#   mixed         --op mixed --read-ratio 0.9, S x D; also its p99 latency and the servers' CPU
#                 seconds per 10k ops (utime+stime from /proc/PID/stat, in the measured window)
#   create ops/s  --op create  S x D
#   single-session latency: --op get and --op set, 1 session, 1 outstanding (p50)
# Footprint (standalone; scripts/bench-footprint.sh): RSS after 1,000,000 znodes of 100 bytes,
# data-dir size and restart time.
#
# --ci: a quick run (1 s warmup, 2 s per load, footprint --ci with 20,000 znodes).
# Environment: BIN_DIR (zabkeeper, zkbench, zk_populate; default build/bin; use a Release
# build), KEEP_TMP=1 keeps the temp dir.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-$here/build/bin}
topology=standalone
duration=10
warmup=2
sessions=8
depth=64
only=""
ci=0
footprint=1
while [ $# -gt 0 ]; do
  case "$1" in
    --topology) topology=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --no-footprint) footprint=0; shift ;;
    --ci) ci=1; duration=2; warmup=1; shift ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$topology" in standalone|ensemble) ;; *) echo "bad --topology $topology" >&2; exit 2 ;; esac
# The footprint rows measure standalone servers; they belong to the standalone table.
[ "$topology" = ensemble ] && footprint=0

ZABKEEPER=$BIN_DIR/zabkeeper
ZKBENCH=$BIN_DIR/zkbench
JAVA=/usr/bin/java
ZK_JARS=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar
ZK_JARS=$ZK_JARS:/usr/share/java/log4j-1.2.jar
for f in "$ZABKEEPER" "$ZKBENCH"; do
  [ -x "$f" ] || { echo "missing $f (build it, or set BIN_DIR)" >&2; exit 2; }
done
[ -f /usr/share/java/zookeeper.jar ] || { echo "Apache ZooKeeper not installed" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-vs-zk.XXXXXX")
# shellcheck source=lib/bench-servers.sh
. "$here/scripts/lib/bench-servers.sh"
cleanup() {
  stop_all
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

declare -A R
# Runs zkbench and stores figures of its JSON line under R[kind,name,...].
bench() {  # kind name zkbench-args...
  local kind=$1 name=$2 out json
  shift 2
  out=$("$ZKBENCH" --servers "$connect" --duration "$duration" --warmup "$warmup" --size 100 \
        --keys 10000 --prefix "/bench-$name" --cpu-pids "$(IFS=,; echo "${pids[*]}")" --json "$@" \
        2> "$tmp/$kind/$name.err") || { echo "   zkbench $name failed: $(tail -2 "$tmp/$kind/$name.err")" >&2; return 0; }
  json=$(tail -1 <<< "$out")
  eval "$(/usr/bin/python3 - "$kind" "$name" "$json" <<'PYEOF'
import json, sys
kind, name, j = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
vals = {"ops": j["ops_per_sec"], "p50": j["latency_us"]["p50"], "p99": j["latency_us"]["p99"],
        "errors": j["errors"], "cpu10k": j.get("server_cpu_s_per_10k_ops", "")}
for k, v in vals.items():
    print(f'R[{kind},{name},{k}]="{v}"')
PYEOF
)"
  printf '   %-8s %10.0f ops/s  p50 %8.1f us  p99 %9.1f us  errors %s\n' "$name" \
    "${R[$kind,$name,ops]}" "${R[$kind,$name,p50]}" "${R[$kind,$name,p99]}" \
    "${R[$kind,$name,errors]}" >&2
}

run_kind() {
  local kind=$1 n=1
  [ "$topology" = ensemble ] && n=3
  echo "== $kind ($topology)" >&2
  if ! start_servers "$kind" "$n"; then
    R[$kind,na]=1
    stop_all
    return 0
  fi
  bench "$kind" write --op set --sessions "$sessions" --depth "$depth"
  bench "$kind" read --op get --sessions "$sessions" --depth "$depth"
  bench "$kind" mixed --op mixed --read-ratio 0.9 --sessions "$sessions" --depth "$depth"
  bench "$kind" create --op create --sessions "$sessions" --depth "$depth"
  bench "$kind" lat_get --op get --sessions 1 --depth 1
  bench "$kind" lat_set --op set --sessions 1 --depth 1
  stop_all
}

echo "bench: $topology, $(nproc) CPUs, ${sessions}x${depth} outstanding, ${warmup}+${duration} s" \
  "per load; load average $(uptime | sed 's/.*load average: //')" >&2
kinds="zabkeeper apache"
[ -n "$only" ] && kinds=$only
for k in $kinds; do run_kind "$k"; done

# Footprint rows from scripts/bench-footprint.sh (standalone servers).
if [ "$footprint" = 1 ]; then
  fp_args=()
  [ "$ci" = 1 ] && fp_args+=(--ci)
  [ -n "$only" ] && fp_args+=(--only "$only")
  fp_out=$(BIN_DIR=$BIN_DIR "$here/scripts/bench-footprint.sh" "${fp_args[@]}" 2> "$tmp/footprint.err") ||
    echo "footprint failed: $(tail -3 "$tmp/footprint.err")" >&2
  fp_count=$(sed -n 's/^Footprint: \([0-9]*\) znodes.*/\1/p' <<< "${fp_out:-}")
  fp_cell() {  # label column(3=zabkeeper,4=apache)
    awk -F'|' -v l="$1" -v c="$2" '{ x = $2; gsub(/^ +| +$/, "", x) } x == l { v = $c;
      gsub(/ /, "", v); print v }' <<< "${fp_out:-}"
  }
  for pair in "rss:RSS after populate, idle (MiB)" "du:data dir, du -sb (MiB)" \
              "restart:restart: exec to all N served (s)"; do
    key=${pair%%:*}
    label=${pair#*:}
    R[zabkeeper,fp,$key]=$(fp_cell "$label" 3)
    R[apache,fp,$key]=$(fp_cell "$label" 4)
  done
fi
load_end=$(uptime | sed 's/.*load average: //')

num() {  # a figure to three significant digits, without exponent notation
  awk -v v="$1" 'BEGIN { if (v !~ /^[0-9.]+$/) print v; else if (v >= 100) printf "%.0f", v;
    else printf "%.3g", v }'
}
cell() {  # kind key
  if [ -n "${R[$1,na]:-}" ]; then echo "n/a"; else echo "${R[$1,$2]:-}"; fi
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
  printf '| %-44s | %11s | %11s | %6s | %6s |\n' "$label" "${ra:--}" "${rb:--}" "${ratio:--}" \
    "$target"
}

echo
echo "zabkeeper vs Apache ZooKeeper, $topology, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs;" \
  "zkbench ${sessions} sessions x ${depth} outstanding, 100-byte values, 10,000 keys," \
  "${warmup} s warmup + ${duration} s per load; load average at end: $load_end"
printf '| %-44s | %11s | %11s | %6s | %6s |\n' metric zabkeeper Apache ratio target
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 46))" "$(printf -- '-%.0s' $(seq 13))" \
  "$(printf -- '-%.0s' $(seq 13))" "$(printf -- '-%.0s' $(seq 8))" "$(printf -- '-%.0s' $(seq 8))"
row "write ops/s (set)" write,ops int ">= 3"
row "read ops/s (get)" read,ops int ">= 3"
row "mixed 90% reads ops/s" mixed,ops int ">= 3"
row "create ops/s" create,ops int ">= 3"
row "single-session get latency p50 (us)" lat_get,p50 g "<= 0.5"
row "single-session set latency p50 (us)" lat_set,p50 g "<= 0.5"
row "p99 latency, mixed load (us)" mixed,p99 g "<= 0.33"
row "server CPU s per 10k ops, mixed" mixed,cpu10k g ""
if [ "$footprint" = 1 ]; then
  row "RSS after ${fp_count:-?} znodes of 100 B (MiB)" fp,rss g "<= 0.25"
  row "data dir after ${fp_count:-?} znodes (MiB)" fp,du g ""
  row "restart with ${fp_count:-?} znodes (s)" fp,restart g ""
fi
echo
echo "ratio = zabkeeper / Apache. Apache ZooKeeper $(dpkg-query -W -f '${Version}' zookeeper 2>/dev/null)" \
  "on $("$JAVA" -version 2>&1 | head -1), JVM flags of Debian's zkServer.sh (no -Xmx)."
