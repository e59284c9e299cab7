#!/usr/bin/env bash
# Footprint benchmark: memory, disk and restart time of zabkeeper and Apache ZooKeeper holding N
# znodes of SIZE bytes (default 1,000,000 x 100 bytes), measured in the same run.
#
#   scripts/bench-footprint.sh [--count N] [--size BYTES] [--depth D] [--only zabkeeper|apache]
#                              [--no-tight-heap] [--ci]
#
# For each server (zabkeeper, then Apache ZooKeeper), in a fresh temp dir:
#   1. start it (tickTime=2000, snapCount=100000, fsync on: both servers' defaults);
#   2. create N children of /bench with zk_populate (1000 requests pipelined on one connection,
#      pseudo-random incompressible data);
#   3. wait until the server is idle (CPU < 5% for 2 s and no forked child), then read VmRSS and
#      VmHWM of the server process (the java process for Apache) and `du` of its data dir;
#   4. stop it (SIGTERM, wait for exit), start it again on the same data dir and time from exec
#      to the first successful `zk_populate --verify` (the server answers with all N children),
#      then read VmRSS again once idle.
# Prints one markdown table: metric | zabkeeper | Apache ZooKeeper | ratio (zabkeeper / Apache).
#
# Apache runs with the JVM settings of Debian's zkServer.sh start (zkEnv.sh and
# /etc/zookeeper/conf/environment set no heap size, so java's defaults apply: G1, max heap =
# 1/4 of RAM) plus its OOM flags and local JMX; logging goes to a file at INFO, and a GC log
# (-Xlog:gc: its pauses) to another.
#
# Then Apache again with a tight heap (unless --no-tight-heap): SERVER_JVMFLAGS="-Xmx<H>m", as
# an operator would tune it, with H the first heap found to hold the data set without a GC
# storm. The search starts from the live heap of the default run (after a full GC, restarted)
# x 1.25, rounded up to 32 MiB (nothing smaller is tried), and raises H by a quarter while an
# attempt fails: the server ran out of memory (its OOM flag kills it), G1 fell back to a full
# collection ("Pause Full" in its GC log) during the populate or the restart, or its pauses took
# more than 10% of the populate. The attempts and the heap chosen are printed under the tables;
# a second table sets zabkeeper beside that run.
#
# --ci: N=20000, for a quick smoke run. Environment: BIN_DIR (zabkeeper and zk_populate; default
# build/bin), KEEP_TMP=1 keeps the temp dir.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/bench-proc.sh
. "$here/scripts/lib/bench-proc.sh"
BIN_DIR=${BIN_DIR:-$here/build/bin}
count=1000000
size=100
depth=1000
only=""
tight_heap=1
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --no-tight-heap) tight_heap=0; shift ;;
    --ci) count=20000; shift ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

ZABKEEPER=$BIN_DIR/zabkeeper
POPULATE=$BIN_DIR/zk_populate
JAVA=/usr/bin/java
ZK_JARS=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar
ZK_JARS=$ZK_JARS:/usr/share/java/log4j-1.2.jar
for f in "$ZABKEEPER" "$POPULATE"; do
  [ -x "$f" ] || { echo "missing $f (build it, or set BIN_DIR)" >&2; exit 2; }
done
[ -f /usr/share/java/zookeeper.jar ] || { echo "Apache ZooKeeper not installed" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-footprint.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

write_config() {  # dir port
  cat > "$1/zoo.cfg" <<EOF
tickTime=2000
dataDir=$1/data
clientPort=$2
clientPortAddress=127.0.0.1
snapCount=100000
4lw.commands.whitelist=*
admin.enableServer=false
EOF
}

# Starts server $1 (zabkeeper|apache|apache-tight) from dir $2; sets server_pid. $3 names the
# phase (populate|restart): an Apache run's GC log of it is gc-$3.log.
start_server() {
  local kind=$1 dir=$2
  case "$kind" in
    zabkeeper)
      "$ZABKEEPER" --config "$dir/zoo.cfg" --log-level warn >> "$dir/server.out" 2>&1 < /dev/null &
      server_pid=$!
      ;;
    apache|apache-tight)
      # The java command of Debian's `zkServer.sh start` (no -Xmx: zkEnv.sh sets none) with a
      # GC log (pauses only; it changes nothing else), and for the tight run what
      # SERVER_JVMFLAGS adds in front of it: the heap.
      local extra=("-Xlog:gc:file=$dir/gc-$3.log")
      [ "$kind" = apache-tight ] && extra=("-Xmx${tight_mib}m" "${extra[@]}")
      (cd "$dir" && exec "$JAVA" "${extra[@]}" "-Dzookeeper.log.dir=$dir" \
        -Dzookeeper.log.file=zookeeper.log \
        -XX:+HeapDumpOnOutOfMemoryError "-XX:OnOutOfMemoryError=kill -9 %p" \
        -cp "$dir/conf:$ZK_JARS" \
        -Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.local.only=true \
        org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
        >> "$dir/server.out" 2>&1 < /dev/null) &
      server_pid=$!
      ;;
  esac
}

stop_server() {  # prints the seconds SIGTERM took
  local t0
  t0=$(now_ns)
  kill -TERM "$server_pid"
  for _ in $(seq 1 1200); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "warning: pid $server_pid ignored SIGTERM for 120 s; killing it" >&2
    kill -KILL "$server_pid"
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  secs_since "$t0"
}

# Polls `zk_populate --verify` until it succeeds; prints the seconds since $t0. Fails if the
# server answers with the wrong child count (lost znodes) or never answers within 600 s.
wait_serving() {  # port t0 dir
  local port=$1 t0=$2 dir=$3 rc deadline
  deadline=$(( $(date +%s) + 600 ))
  while [ "$(date +%s)" -lt $deadline ]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "server exited; see $dir/server.out" >&2
      return 1
    fi
    rc=0
    # A short handshake timeout: Apache may accept a connection while it loads its database and
    # then neither answer nor close it (NPE in ZooKeeperServer.removeCnxn, zkDb still null).
    "$POPULATE" --port "$port" --count "$count" --parent /bench --verify --connect-timeout 1000 \
      --io-timeout 600000 > "$dir/verify.out" 2>&1 || rc=$?
    if [ $rc -eq 0 ]; then secs_since "$t0"; return 0; fi
    if [ $rc -eq 1 ]; then echo "WRONG CHILD COUNT: $(cat "$dir/verify.out")" >&2; return 1; fi
    sleep 0.05
  done
  echo "not serving within 600 s; last: $(cat "$dir/verify.out")" >&2
  return 1
}

declare -A R
attempt_failure=""

# Ends a failed attempt of the tight-heap run (its reason in attempt_failure, the server
# stopped); for the other runs a failure ends the script.
attempt_failed() {  # kind reason
  if [ "$1" != apache-tight ]; then echo "$1: $2" >&2; exit 1; fi
  attempt_failure=$2
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    stop_server > /dev/null
  else
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

# What an Apache run's GC log of a phase says: the pauses' sum in seconds, then why the heap is
# too small if it is: G1 fell back to a full collection, or (with a phase's seconds given) the
# pauses took more than 10% of them.
gc_verdict() {  # log [seconds]
  local log=$1 secs=${2:-} full pause_s
  full=$(grep 'Pause Full' "$log" 2>/dev/null | grep -vc 'System.gc()' || true)
  pause_s=$(grep 'Pause' "$log" 2>/dev/null | grep -v 'System.gc()' |
    sed -n 's/.* \([0-9.]*\)ms$/\1/p' | awk '{ t += $1 } END { printf "%.2f", t / 1000 }')
  if [ "${full:-0}" -gt 0 ]; then
    echo "$pause_s $full full collections"
  elif [ -n "$secs" ] && awk -v p="$pause_s" -v s="$secs" 'BEGIN { exit !(p > 0.1 * s) }'; then
    echo "$pause_s GC pauses of $pause_s s in $secs s"
  else
    echo "$pause_s"
  fi
}

# One server through populate, stop and restart. `apache-tight` runs with -Xmx${tight_mib}m in
# a directory of its own per heap and returns 1 (attempt_failure says why) when the heap was
# too small; any other failure ends the script.
run_one() {
  local kind=$1 dir=$tmp/$1 port t0 out verdict pause_s
  [ "$kind" = apache-tight ] && dir=$tmp/apache-xmx$tight_mib
  mkdir -p "$dir/data" "$dir/conf"
  port=$(free_port)
  write_config "$dir" "$port"
  if [ "$kind" != zabkeeper ]; then
    cat > "$dir/conf/log4j.properties" <<EOF
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=$dir/zookeeper.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
EOF
  fi
  echo "== $kind: port $port, dir $dir" >&2

  t0=$(now_ns)
  start_server "$kind" "$dir" populate
  R[$kind,start_empty]=$(wait_serving_empty "$port" "$t0" "$dir")
  if ! out=$("$POPULATE" --port "$port" --count "$count" --size "$size" --depth "$depth" \
      --parent /bench 2> "$dir/populate.err"); then
    attempt_failed "$kind" "populate failed: $(tail -1 "$dir/populate.err")"
    return 1
  fi
  echo "   $out" >&2
  R[$kind,rate]=$(sed -n 's/.*: \([0-9]*\) ops\/s$/\1/p' <<< "$out")
  R[$kind,populate_s]=$(sed -n 's/.* in \([0-9.]*\) s:.*/\1/p' <<< "$out")
  wait_idle "$server_pid"
  if ! kill -0 "$server_pid" 2>/dev/null; then
    attempt_failed "$kind" "the server died after the populate"
    return 1
  fi
  R[$kind,rss]=$(kib_of "$server_pid" VmRSS)
  R[$kind,hwm]=$(kib_of "$server_pid" VmHWM)
  R[$kind,du]=$(du -sb "$dir/data" | cut -f1)
  R[$kind,du_alloc]=$(du -s -B1 "$dir/data" | cut -f1)
  R[$kind,snap]=$(newest_snapshot_bytes "$dir/data")
  R[$kind,stop_s]=$(stop_server)
  echo "   populated: RSS $(mib "${R[$kind,rss]}") MiB, data $((R[$kind,du] >> 20)) MiB;" \
       "stopped in ${R[$kind,stop_s]} s" >&2
  if [ "$kind" != zabkeeper ]; then
    read -r pause_s verdict <<< "$(gc_verdict "$dir/gc-populate.log" "${R[$kind,populate_s]}")"
    if [ "$kind" = apache-tight ] && [ -n "$verdict" ]; then
      attempt_failed "$kind" "populate: $verdict"
      return 1
    fi
    R[$kind,gc_populate_s]=$pause_s
  fi

  t0=$(now_ns)
  start_server "$kind" "$dir" restart
  if ! R[$kind,restart_s]=$(wait_serving "$port" "$t0" "$dir"); then
    attempt_failed "$kind" "the restart failed"
    return 1
  fi
  R[$kind,rss_restart_serving]=$(kib_of "$server_pid" VmRSS)
  wait_idle "$server_pid"
  if ! kill -0 "$server_pid" 2>/dev/null; then
    attempt_failed "$kind" "the server died after the restart"
    return 1
  fi
  R[$kind,rss_restart]=$(kib_of "$server_pid" VmRSS)
  echo "   restarted: serving all $count after ${R[$kind,restart_s]} s," \
       "RSS $(mib "${R[$kind,rss_restart]}") MiB" >&2
  if [ "$kind" = apache ] && command -v jcmd > /dev/null; then
    # The live Java heap: what a tight -Xmx would have to hold (RSS shows the committed heap).
    jcmd "$server_pid" GC.run > /dev/null 2>&1 || true
    R[$kind,live_heap]=$(jcmd "$server_pid" GC.heap_info 2>/dev/null |
      sed -n 's/.* total [0-9]*K, used \([0-9]*\)K.*/\1/p' | head -1)
  fi
  stop_server > /dev/null
  if [ "$kind" != zabkeeper ]; then
    # Loading a snapshot pauses G1 about as long whatever the heap (young collections copying
    # the growing tree: 0.70 s at -Xmx544m, 0.76 s at -Xmx704m for 1M znodes), so only a full
    # collection or a failed restart counts against a heap here.
    read -r pause_s verdict <<< "$(gc_verdict "$dir/gc-restart.log")"
    if [ "$kind" = apache-tight ] && [ -n "$verdict" ]; then
      attempt_failed "$kind" "restart: $verdict"
      return 1
    fi
    R[$kind,gc_restart_s]=$pause_s
  fi
  return 0
}

# The tight-heap run: from the default run's live heap x 1.25 up by a quarter at a time, at
# most six attempts. Sets tight_mib (the heap that held; empty if none did) and tight_attempts
# (what each attempt gave).
tight_mib=""
tight_attempts=""
run_tight() {
  local live_kib=${R[apache,live_heap]:-} mib_try
  if [ -z "$live_kib" ]; then
    tight_attempts="not run: no live heap from the default run (jcmd)"
    return
  fi
  mib_try=$(( (live_kib * 5 / 4 / 1024 + 31) / 32 * 32 ))
  [ "$mib_try" -lt 64 ] && mib_try=64
  for _ in 1 2 3 4 5 6; do
    tight_mib=$mib_try
    attempt_failure=""
    if run_one apache-tight; then
      tight_attempts+="${tight_attempts:+; }-Xmx${mib_try}m held"
      return
    fi
    echo "   -Xmx${mib_try}m: $attempt_failure" >&2
    tight_attempts+="${tight_attempts:+; }-Xmx${mib_try}m: $attempt_failure"
    mib_try=$(( (mib_try * 5 / 4 + 31) / 32 * 32 ))
  done
  tight_mib=""
}

# Waits for an empty server to answer (child count of a missing /bench: any answer but a
# connection error); prints seconds since $t0.
wait_serving_empty() {  # port t0 dir
  local port=$1 t0=$2 dir=$3 rc
  for _ in $(seq 1 1200); do
    rc=0
    "$POPULATE" --port "$port" --count 0 --parent /bench --verify --connect-timeout 1000 \
      > "$dir/verify.out" 2>&1 || rc=$?
    if [ $rc -ne 2 ] || grep -q NONODE "$dir/verify.out"; then secs_since "$t0"; return 0; fi
    sleep 0.05
  done
  echo "server did not start; see $dir/server.out" >&2
  return 1
}

echo "footprint: $count znodes of $size bytes, depth $depth; $(nproc) CPUs;" \
  "load average $(uptime | sed 's/.*load average: //')" >&2
kinds="zabkeeper apache"
[ -n "$only" ] && kinds=$only
for k in $kinds; do run_one "$k"; done
if [ "$tight_heap" = 1 ] && [[ " $kinds " == *" apache "* ]]; then run_tight; fi
load_end=$(uptime | sed 's/.*load average: //')

other=apache  # the right-hand column of row(): apache, or apache-tight for the second table
row() {  # label key format(mib|s|n) [inverse]
  local label=$1 key=$2 fmt=$3 a b ra rb ratio
  a=${R[zabkeeper,$key]:-}
  b=${R[$other,$key]:-}
  case "$fmt" in
    mib) ra=${a:+$(mib "$a")}; rb=${b:+$(mib "$b")} ;;
    bytes) ra=${a:+$(awk -v v="$a" 'BEGIN { printf "%.1f", v / 1048576 }')}
           rb=${b:+$(awk -v v="$b" 'BEGIN { printf "%.1f", v / 1048576 }')} ;;
    *) ra=$a; rb=$b ;;
  esac
  ratio=""
  if [ -n "$a" ] && [ -n "$b" ]; then
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  fi
  printf '| %-46s | %12s | %16s | %6s |\n' "$label" "${ra:--}" "${rb:--}" "${ratio:--}"
}

echo
echo "Footprint: $count znodes of $size bytes under /bench (depth $depth, fsync on," \
     "tickTime=2000, snapCount=100000); load average at end: $load_end"
printf '| %-46s | %12s | %16s | %6s |\n' metric zabkeeper "Apache ZooKeeper" ratio
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 48))" "$(printf -- '-%.0s' $(seq 14))" \
  "$(printf -- '-%.0s' $(seq 18))" "$(printf -- '-%.0s' $(seq 8))"
row "populate throughput (creates/s)" rate n
row "populate time (s)" populate_s s
row "RSS after populate, idle (MiB)" rss mib
row "peak RSS during populate (MiB)" hwm mib
row "data dir, du -sb (MiB)" du bytes
row "data dir, allocated blocks (MiB)" du_alloc bytes
row "newest snapshot file (MiB)" snap bytes
row "stop on SIGTERM (s)" stop_s s
row "restart: exec to all N served (s)" restart_s s
row "RSS when first serving after restart (MiB)" rss_restart_serving mib
row "RSS after restart, idle (MiB)" rss_restart mib
row "Java live heap after full GC, restarted (MiB)" live_heap mib
row "Java GC pauses during populate (s)" gc_populate_s s
row "Java GC pauses during restart (s)" gc_restart_s s
row "first start, empty: exec to serving (s)" start_empty s
if [ "$tight_heap" = 1 ] && [ -n "$tight_attempts" ]; then
  echo
  if [ -n "$tight_mib" ]; then
    other=apache-tight
    echo "Beside Apache ZooKeeper with a tight heap, SERVER_JVMFLAGS=-Xmx${tight_mib}m (the" \
         "first heap, from 1.25 x the live heap up, that held the data set without a GC storm):"
    printf '| %-46s | %12s | %16s | %6s |\n' metric zabkeeper "Apache -Xmx${tight_mib}m" ratio
    printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 48))" "$(printf -- '-%.0s' $(seq 14))" \
      "$(printf -- '-%.0s' $(seq 18))" "$(printf -- '-%.0s' $(seq 8))"
    row "populate throughput (creates/s)" rate n
    row "RSS after populate, idle (MiB)" rss mib
    row "peak RSS during populate (MiB)" hwm mib
    row "restart: exec to all N served (s)" restart_s s
    row "RSS after restart, idle (MiB)" rss_restart mib
    row "Java GC pauses during populate (s)" gc_populate_s s
    row "Java GC pauses during restart (s)" gc_restart_s s
  fi
  echo "Tight heap: live heap" \
    "${R[apache,live_heap]:+$(mib "${R[apache,live_heap]}") MiB, }attempts: $tight_attempts."
fi
echo
jvm_flags=$("$JAVA" -XX:+PrintFlagsFinal -version 2>/dev/null)
max_heap_mib=$(( $(awk '$2 == "MaxHeapSize" { print $4 }' <<< "$jvm_flags") >> 20 ))
gc=$(awk '$2 ~ /^Use(G1|Serial|Parallel|Z)GC$/ && $4 == "true" { print $2 }' <<< "$jvm_flags")
echo "Apache ZooKeeper (Debian $(dpkg-query -W -f '${Version}' zookeeper 2>/dev/null))," \
  "$("$JAVA" -version 2>&1 | head -1); JVM flags of Debian's zkServer.sh" \
  "(no -Xmx: java default max heap $max_heap_mib MiB, $gc) and a GC log (-Xlog:gc)."
