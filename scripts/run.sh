#!/usr/bin/env bash
# Installs what is missing, builds, and starts a local zabkeeper on loopback with its data under
# ./var/, then prints the connection string. A standalone server for now: the 3-server ensemble
# arrives with replication.
#   ./scripts/run.sh          start (or report the running server)
#   ./scripts/run.sh stop     stop it
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR="$ROOT/var"
PORT=${ZK_PORT:-2181}
PIDFILE="$VAR/zabkeeper.pid"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

if [ "${1:-}" = "stop" ]; then
  if running; then
    kill "$(cat "$PIDFILE")"
    for _ in $(seq 50); do running || break; sleep 0.1; done
    echo "stopped"
  else
    echo "not running"
  fi
  rm -f "$PIDFILE"
  exit 0
fi

./scripts/deps.sh
./scripts/build.sh

if running; then
  echo "zabkeeper already running (pid $(cat "$PIDFILE"))"
  echo "connection string: 127.0.0.1:$PORT"
  exit 0
fi

mkdir -p "$VAR/data"
CFG="$VAR/zoo.cfg"
if [ ! -f "$CFG" ]; then
  cat > "$CFG" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$VAR/data
clientPort=$PORT
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
extendedTypesEnabled=true
autopurge.snapRetainCount=3
CFG
fi
nohup "$ROOT/build/bin/zabkeeper" --config "$CFG" >> "$VAR/zabkeeper.log" 2>&1 &
echo $! > "$PIDFILE"
for _ in $(seq 100); do
  if [ "$(exec 3<>/dev/tcp/127.0.0.1/$PORT && printf ruok >&3 && cat <&3)" = "imok" ] 2>/dev/null; then
    echo "zabkeeper running (pid $(cat "$PIDFILE")), log: $VAR/zabkeeper.log"
    echo "connection string: 127.0.0.1:$PORT"
    exit 0
  fi
  running || { echo "zabkeeper failed to start; see $VAR/zabkeeper.log" >&2; tail -5 "$VAR/zabkeeper.log" >&2; exit 1; }
  sleep 0.1
done
echo "zabkeeper did not answer ruok in 10 s; see $VAR/zabkeeper.log" >&2
exit 1
