#!/usr/bin/env bash
# Installs what is missing (deps.sh build), builds zabkeeper, zkcli and zkbench, and starts a
# local 3-server zabkeeper ensemble on loopback (client ports 2181-2183, data under ./var/sN/),
# then prints the connection string.
#   ./scripts/run.sh          start (or report the running ensemble)
#   ./scripts/run.sh stop     stop it
# ZK_PORT changes the first client port (the others follow); peer ports are 2888+N / 3888+N.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR="$ROOT/var"
BASE_PORT=${ZK_PORT:-2181}
SERVERS=(1 2 3)

pidfile() { echo "$VAR/s$1/zabkeeper.pid"; }
running() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }
client_port() { echo $((BASE_PORT + $1 - 1)); }
admin_port() { echo $((8080 + $1 - 1)); }  # 8080, 8081, 8082
connection_string() {
  local s out=""
  for s in "${SERVERS[@]}"; do out+="${out:+,}127.0.0.1:$(client_port "$s")"; done
  echo "$out"
}
four() {  # four <port> <word>: the server's answer, empty if none
  (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf '%s' "$2" >&3 && cat <&3) 2>/dev/null || true
}

if [ "${1:-}" = "stop" ]; then
  for s in "${SERVERS[@]}"; do
    if running "$s"; then
      kill "$(cat "$(pidfile "$s")")"
      for _ in $(seq 50); do running "$s" || break; sleep 0.1; done
      echo "server $s stopped"
    fi
    rm -f "$(pidfile "$s")"
  done
  exit 0
fi

# Only what the ensemble needs: the build profile's packages and the three programs (test.sh
# installs and builds the rest).
./scripts/deps.sh build
BUILD_TARGETS="zabkeeper zkcli zkbench" ./scripts/build.sh

for s in "${SERVERS[@]}"; do
  dir="$VAR/s$s"
  mkdir -p "$dir/data"
  echo "$s" > "$dir/data/myid"
  if [ ! -f "$dir/zoo.cfg" ]; then
    {
      echo "tickTime=2000"
      echo "initLimit=10"
      echo "syncLimit=5"
      echo "dataDir=$dir/data"
      echo "clientPort=$(client_port "$s")"
      echo "clientPortAddress=127.0.0.1"
      echo "4lw.commands.whitelist=*"
      echo "extendedTypesEnabled=true"
      echo "autopurge.snapRetainCount=3"
      for p in "${SERVERS[@]}"; do echo "server.$p=127.0.0.1:$((2887 + p)):$((3887 + p))"; done
    } > "$dir/zoo.cfg"
  fi
  # Each server's AdminServer on its own port (also for configs written before it existed).
  if ! grep -q '^admin.serverPort=' "$dir/zoo.cfg"; then
    printf 'admin.serverAddress=127.0.0.1\nadmin.serverPort=%s\n' "$(admin_port "$s")" >> "$dir/zoo.cfg"
  fi
  if running "$s"; then
    echo "server $s already running (pid $(cat "$(pidfile "$s")"))"
    continue
  fi
  nohup "$ROOT/build/bin/zabkeeper" --config "$dir/zoo.cfg" >> "$dir/zabkeeper.log" 2>&1 &
  echo $! > "$(pidfile "$s")"
done

# Serving means a leader was elected and this server is synchronized with it.
for _ in $(seq 300); do
  serving=0
  for s in "${SERVERS[@]}"; do
    running "$s" || { echo "server $s failed to start; see $VAR/s$s/zabkeeper.log" >&2;
                      tail -5 "$VAR/s$s/zabkeeper.log" >&2; exit 1; }
    four "$(client_port "$s")" srvr | grep -q '^Mode: ' && serving=$((serving + 1))
  done
  if [ "$serving" -eq "${#SERVERS[@]}" ]; then
    for s in "${SERVERS[@]}"; do
      mode=$(four "$(client_port "$s")" srvr | sed -n 's/^Mode: //p')
      echo "server $s: $mode on 127.0.0.1:$(client_port "$s"), AdminServer http://127.0.0.1:$(admin_port "$s")/commands (pid $(cat "$(pidfile "$s")"), log $VAR/s$s/zabkeeper.log)"
    done
    echo "connection string: $(connection_string)"
    exit 0
  fi
  sleep 0.1
done
echo "the ensemble did not start serving in 30 s; see $VAR/s*/zabkeeper.log" >&2
exit 1
