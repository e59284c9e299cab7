#!/usr/bin/env bash
# The distributed lock, ours (zk::recipes::Mutex, `zkbench --op lock`) beside Apache Curator's
# InterProcessMutex (scripts/bench/CuratorLockBench.java, compiled here with javac against
# Debian's Curator 5.4), on the same server in the same run; prints one markdown table.
#
#   scripts/bench-recipes.sh [--servers zabkeeper,apache] [--rounds N] [--duration S]
#                            [--warmup S] [--contenders N] [--ci]
#
# For each server kind (a standalone zabkeeper, then a standalone Apache ZooKeeper; both with
# tickTime=2000 and fsync on, see scripts/lib/bench-servers.sh) and each round, both clients run
# two loads, the client order alternating from round to round:
#   uncontended   1 contender: acquire + release back to back (acquisitions/s, cycle latency)
#   contended     --contenders (10) contenders, each its own session and thread, on one lock:
#                 acquisitions/s and hand-off latency (a holder's release call to the next
#                 holder's acquire return)
# Each run uses a fresh lock path and warms up first (the JVM's JIT included) for --warmup
# seconds, then measures --duration seconds; quantiles are exact over every sample, computed the
# same way by both programs; errors are never counted as acquisitions (a run with errors is
# reported). The table shows the median over the rounds of each figure, and the server's CPU
# seconds per 10k acquisitions (utime+stime from /proc in the measured window).
#
# --ci: a quick run (1 round, 1 s warmup, 2 s per load).
# Environment: BIN_DIR (zabkeeper, zkbench; default build/bin; use a Release build),
# KEEP_TMP=1 keeps the temp dir.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-$here/build/bin}
servers="zabkeeper,apache"
rounds=3
duration=10
warmup=5
contenders=10
while [ $# -gt 0 ]; do
  case "$1" in
    --servers) servers=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --contenders) contenders=$2; shift 2 ;;
    --ci) rounds=1; duration=2; warmup=1; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=lib/bench-servers.sh
. "$here/scripts/lib/bench-servers.sh"
JAVAC=/usr/bin/javac
CURATOR_CP=""
for j in zookeeper zookeeper-jute curator-client curator-framework curator-recipes guava \
         slf4j-api slf4j-simple netty-buffer netty-codec netty-common netty-handler \
         netty-resolver netty-transport netty-transport-native-epoll \
         netty-transport-native-unix-common; do
  CURATOR_CP+="${CURATOR_CP:+:}/usr/share/java/$j.jar"
done
bench_binaries "$JAVAC"
for f in ${CURATOR_CP//:/ }; do
  [ -f "$f" ] || { echo "missing $f (apt-get install libcurator-recipes-java)" >&2; exit 2; }
done

bench_tmpdir bench-recipes

mkdir -p "$tmp/classes"
"$JAVAC" -Xlint:all,-path -d "$tmp/classes" -cp "$CURATOR_CP" \
  "$here/scripts/bench/CuratorLockBench.java"
clk_tck=$(getconf CLK_TCK)

# One run of one client; appends its JSON line to $tmp/results.jsonl with kind, load and round.
run_client() {  # kind load client contenders round
  local kind=$1 load=$2 client=$3 n=$4 round=$5 path out json err
  path="/bench-lock-$load-$client-$round"
  err=$tmp/$kind-$load-$client-$round.err
  if [ "$client" = ours ]; then
    out=$("$ZKBENCH" --servers "$connect" --op lock --contenders "$n" --warmup "$warmup" \
          --duration "$duration" --lock-path "$path" --cpu-pids "$(IFS=,; echo "${pids[*]}")" \
          --json 2> "$err") || true
  else
    out=$("$JAVA" -XX:+UseSerialGC -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
          -cp "$tmp/classes:$CURATOR_CP" CuratorLockBench "$connect" "$n" "$warmup" \
          "$duration" 0 "$path" "$(IFS=,; echo "${pids[*]}")" "$clk_tck" 2> "$err") || true
  fi
  json=$(grep '^{' <<< "$out" | tail -1 || true)
  if [ -z "$json" ]; then
    echo "   $client $load failed: $(tail -3 "$err")" >&2
    return 0
  fi
  /usr/bin/python3 - "$kind" "$load" "$client" "$round" "$json" >> "$tmp/results.jsonl" <<'PYEOF'
import json, sys
kind, load, client, rnd, j = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
j.update(kind=kind, load=load, who=client, round=int(rnd))
print(json.dumps(j))
PYEOF
  /usr/bin/python3 - "$json" "$client" "$load" <<'PYEOF' >&2
import json, sys
j, client, load = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
print("   %-8s %-11s %8.0f acq/s  hand-off p50 %7.1f us  p99 %8.1f us  cycle p50 %7.1f us"
      "  errors %d" % (client, load, j["acquisitions_per_sec"], j["handoff_us"]["p50"],
                       j["handoff_us"]["p99"], j["cycle_us"]["p50"], j["errors"]))
PYEOF
}

echo "bench-recipes: $(nproc) CPUs, $rounds rounds, ${warmup}+${duration} s per run," \
  "$contenders contenders; load average $(uptime | sed 's/.*load average: //')" >&2
: > "$tmp/results.jsonl"
for kind in ${servers//,/ }; do
  echo "== $kind" >&2
  if ! start_servers "$kind" 1; then
    stop_all
    continue
  fi
  for round in $(seq 1 "$rounds"); do
    order="ours curator"
    [ $((round % 2)) -eq 0 ] && order="curator ours"
    echo "  round $round: $order" >&2
    for client in $order; do
      run_client "$kind" uncontended "$client" 1 "$round"
      run_client "$kind" contended "$client" "$contenders" "$round"
    done
  done
  stop_all
done
load_end=$(uptime | sed 's/.*load average: //')

echo
echo "Distributed lock: zk::recipes::Mutex (C++) vs Curator 5.4 InterProcessMutex (Java)," \
  "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs; median of $rounds rounds of" \
  "${warmup} s warmup + ${duration} s; $contenders contenders when contended;" \
  "load average at end: $load_end"
/usr/bin/python3 - "$tmp/results.jsonl" "$servers" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = sys.argv[2].split(",")
def med(kind, load, who, f):
    vals = [f(r) for r in rows if r["kind"] == kind and r["load"] == load and r["who"] == who]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None
metrics = [
    ("uncontended acquire+release /s", "uncontended", lambda r: r["acquisitions_per_sec"], "%.0f"),
    ("uncontended cycle p50 (us)", "uncontended", lambda r: r["cycle_us"]["p50"], "%.0f"),
    ("uncontended cycle p99 (us)", "uncontended", lambda r: r["cycle_us"]["p99"], "%.0f"),
    ("contended acquisitions /s", "contended", lambda r: r["acquisitions_per_sec"], "%.0f"),
    ("contended hand-off p50 (us)", "contended", lambda r: r["handoff_us"]["p50"], "%.0f"),
    ("contended hand-off p99 (us)", "contended", lambda r: r["handoff_us"]["p99"], "%.0f"),
    ("server CPU s per 10k acq, contended", "contended",
     lambda r: r.get("server_cpu_s_per_10k_ops"), "%.3f"),
    ("errors (all rounds), contended", "contended", lambda r: r["errors"], "%d"),
]
print("| server | metric | zk::recipes::Mutex | Curator InterProcessMutex | ratio |")
print("|---|---|---|---|---|")
for kind in kinds:
    for label, load, f, fmt in metrics:
        a, b = med(kind, load, "ours", f), med(kind, load, "curator", f)
        if label.startswith("errors"):
            a = sum(f(r) for r in rows if r["kind"] == kind and r["load"] == load and r["who"] == "ours")
            b = sum(f(r) for r in rows if r["kind"] == kind and r["load"] == load and r["who"] == "curator")
        fa = fmt % a if a is not None else "n/a"
        fb = fmt % b if b is not None else "n/a"
        ratio = "%.2f" % (a / b) if a is not None and b else "-"
        print("| %s | %s | %s | %s | %s |" % (kind, label, fa, fb, ratio))
PYEOF
echo
echo "ratio = ours / Curator. Apache ZooKeeper $(dpkg-query -W -f '${Version}' zookeeper 2>/dev/null)" \
  "on $("$JAVA" -version 2>&1 | head -1)."
