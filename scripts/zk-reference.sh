#!/usr/bin/env bash
# Start/stop Debian's Apache ZooKeeper 3.8 standalone (reference server for
# benchmarks and manual comparison), with the same java command line as the
# integration-test fixture (tests/integration/zkfixtures.py: apache_java_command).
#
#   scripts/zk-reference.sh start PORT DIR [key=value ...]   extra zoo.cfg lines
#   scripts/zk-reference.sh stop  PORT DIR
#
# DIR gets zoo.cfg, data/, log4j.properties, zookeeper.log, server.out, zk.pid.
set -euo pipefail
usage() { echo "usage: $0 start|stop PORT DIR [key=value ...]" >&2; exit 2; }
[ $# -ge 3 ] || usage
cmd=$1 port=$2 dir=$3
shift 3
here=$(cd "$(dirname "$0")/.." && pwd)
fixtures="$here/tests/integration"
PY=/usr/bin/python3

case "$cmd" in
start)
  mkdir -p "$dir/data"
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/zk.pid" ] && kill -0 "$(cat "$dir/zk.pid")" 2>/dev/null; then
    echo "already running (pid $(cat "$dir/zk.pid"))" >&2; exit 1
  fi
  {
    echo "tickTime=2000"
    echo "dataDir=$dir/data"
    echo "clientPort=$port"
    echo "clientPortAddress=127.0.0.1"
    echo "4lw.commands.whitelist=*"
    echo "admin.enableServer=false"
    for kv in "$@"; do echo "$kv"; done
  } > "$dir/zoo.cfg"
  # java command line from the fixture (one source of truth)
  mapfile -t javacmd < <(cd "$fixtures" && "$PY" - "$dir" "$@" <<'PYEOF'
import sys
import zkfixtures as zf
d = sys.argv[1]
extra = dict(kv.split("=", 1) for kv in sys.argv[2:])
with open(d + "/log4j.properties", "w") as f:
    f.write(zf.LOG4J_PROPERTIES.format(logfile=d + "/zookeeper.log"))
for a in zf.apache_java_command(d, d + "/zoo.cfg", d + "/server.out", extra):
    print(a)
PYEOF
)
  nohup "${javacmd[@]}" > "$dir/server.out" 2>&1 < /dev/null &
  echo $! > "$dir/zk.pid"
  for _ in $(seq 1 600); do
    if ! kill -0 "$(cat "$dir/zk.pid")" 2>/dev/null; then
      echo "ZooKeeper exited; see $dir/server.out and $dir/zookeeper.log" >&2; exit 1
    fi
    # Bounded: a server still loading may accept the connection and never answer or close it.
    srvr=$(timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/"$1" && printf srvr >&3 && cat <&3' _ "$port" \
      2>/dev/null || true)
    if [[ "$srvr" == *"Mode: standalone"* ]]; then
      echo "Apache ZooKeeper listening on 127.0.0.1:$port (pid $(cat "$dir/zk.pid"), dir $dir)"
      exit 0
    fi
    sleep 0.1
  done
  echo "ZooKeeper did not start within 60 s; see $dir/zookeeper.log" >&2
  kill "$(cat "$dir/zk.pid")" 2>/dev/null || true
  exit 1
  ;;
stop)
  [ -f "$dir/zk.pid" ] || { echo "not running (no $dir/zk.pid)" >&2; exit 0; }
  pid=$(cat "$dir/zk.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$dir/zk.pid"
  echo "stopped (port $port)"
  ;;
*) usage ;;
esac
