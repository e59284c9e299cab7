# Servers for the benchmark scripts (sourced by bench-vs-zookeeper.sh, bench-recipes.sh,
# bench-discovery.sh, bench-scale.sh and bench-latency.sh):
# start_servers KIND N runs N zabkeeper or Apache ZooKeeper servers (an ensemble when N > 1) on
# free loopback ports under $tmp/KIND, each with tickTime=2000 and fsync on, Apache with the java
# command of Debian's `zkServer.sh start`; it sets `pids`, `connect` and `server_ports` (the
# client ports, in the order of pids) and waits until all serve. server_mode PORT prints a
# serving server's mode (standalone, leader, follower, observer). stop_all stops them (SIGTERM, then SIGKILL after 10 s). bench_tmpdir NAME makes $tmp
# and installs the traps that stop the servers and remove it on exit (KEEP_TMP=1 keeps it).
# bench_binaries sets ZABKEEPER and ZKBENCH from BIN_DIR and checks them. The
# caller sets ZABKEEPER (and BENCH_EXTRA_CFG, lines added to every zoo.cfg; BENCH_LOG_LEVEL,
# zabkeeper's --log-level, default warn); four_letter_word PORT WORD prints a server's answer to a
# four-letter word; JAVA and ZK_JARS
# default to Debian's java and Apache ZooKeeper's class path.
JAVA=${JAVA:-/usr/bin/java}
ZK_JARS=${ZK_JARS:-/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar}
[[ $ZK_JARS == *log4j-1.2.jar* ]] || ZK_JARS=$ZK_JARS:/usr/share/java/log4j-1.2.jar
pids=()
# bench_binaries [more executables]: ZABKEEPER and ZKBENCH from $BIN_DIR, and each of them (and
# of the extra ones) executable, or exit 2 saying which is missing.
bench_binaries() {
  ZABKEEPER=$BIN_DIR/zabkeeper
  ZKBENCH=$BIN_DIR/zkbench
  local f
  for f in "$ZABKEEPER" "$ZKBENCH" "$@"; do
    [ -x "$f" ] || { echo "missing $f (build it, set BIN_DIR, or install its package)" >&2; exit 2; }
  done
}
bench_cleanup() {
  stop_all
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
bench_tmpdir() {  # name
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap bench_cleanup EXIT
  trap "exit 130" INT TERM
}
stop_all() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=()
}
BENCH_FIXTURES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/integration" && pwd)
free_ports() {  # n: n distinct free loopback ports below the ephemeral range (zkfixtures)
  /usr/bin/python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import zkfixtures as z
print(" ".join(str(z.free_port()) for _ in range(int(sys.argv[2]))))' "$BENCH_FIXTURES" "$1"
}
four_letter_word() {  # port word; bounded: a starting server may accept and never answer
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/"$1" && printf "%s" "$2" >&3 && cat <&3' _ "$1" \
    "$2" 2>/dev/null || true
}
srvr() { four_letter_word "$1" srvr; }  # port
server_mode() {  # port
  srvr "$1" | sed -n 's/^Mode: //p'
}

# Starts `kind` with n servers under $tmp/kind; sets pids and connect. Returns 1 if the servers
# exit or do not serve within 60 s.
start_servers() {  # kind n
  local kind=$1 n=$2 i dir cfg ports=() quorum=() election=()
  local all=($(free_ports $((3 * n))))
  for i in $(seq 0 $((n - 1))); do
    ports+=("${all[3 * i]}")
    quorum+=("${all[3 * i + 1]}")
    election+=("${all[3 * i + 2]}")
  done
  connect=""
  server_ports=("${ports[@]}")
  for i in $(seq 1 "$n"); do
    dir=$tmp/$kind/s$i
    mkdir -p "$dir/data" "$dir/conf"
    cfg=$dir/zoo.cfg
    {
      echo "tickTime=2000"
      echo "initLimit=10"
      echo "syncLimit=5"
      echo "dataDir=$dir/data"
      echo "clientPort=${ports[$((i - 1))]}"
      echo "clientPortAddress=127.0.0.1"
      echo "4lw.commands.whitelist=*"
      echo "admin.enableServer=false"
      [ -n "${BENCH_EXTRA_CFG:-}" ] && printf '%s\n' "$BENCH_EXTRA_CFG"
      if [ "$n" -gt 1 ]; then
        local j
        for j in $(seq 1 "$n"); do
          echo "server.$j=127.0.0.1:${quorum[$((j - 1))]}:${election[$((j - 1))]}"
        done
      fi
    } > "$cfg"
    [ "$n" -gt 1 ] && echo "$i" > "$dir/data/myid"
    if [ "$kind" = zabkeeper ]; then
      "$ZABKEEPER" --config "$cfg" --log-level "${BENCH_LOG_LEVEL:-warn}" >> "$dir/server.out" 2>&1 \
        < /dev/null &
    else
      cat > "$dir/conf/log4j.properties" <<EOF
log4j.rootLogger=WARN, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=$dir/zookeeper.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
EOF
      # The java command of Debian's `zkServer.sh start` (as scripts/bench-footprint.sh).
      (cd "$dir" && exec "$JAVA" "-Dzookeeper.log.dir=$dir" -Dzookeeper.log.file=zookeeper.log \
        -XX:+HeapDumpOnOutOfMemoryError "-XX:OnOutOfMemoryError=kill -9 %p" \
        -cp "$dir/conf:$ZK_JARS" \
        org.apache.zookeeper.server.quorum.QuorumPeerMain "$cfg" \
        >> "$dir/server.out" 2>&1 < /dev/null) &
    fi
    pids+=($!)
    connect+="${connect:+,}127.0.0.1:${ports[$((i - 1))]}"
  done
  local deadline=$(( $(date +%s) + 60 )) ready
  while [ "$(date +%s)" -lt $deadline ]; do
    ready=0
    for i in $(seq 1 "$n"); do
      kill -0 "${pids[$((i - 1))]}" 2>/dev/null || { echo "   $kind server $i exited" >&2; return 1; }
      [[ "$(srvr "${ports[$((i - 1))]}")" =~ Mode:\ (standalone|leader|follower) ]] &&
        ready=$((ready + 1))
    done
    [ "$ready" -eq "$n" ] && return 0
    sleep 0.2
  done
  echo "   $kind did not serve within 60 s" >&2
  return 1
}

