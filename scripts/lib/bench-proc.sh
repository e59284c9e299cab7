# Process and timing helpers shared by the benchmark scripts (sourced, not run):
# clocks, /proc readings of a server process, waiting for a server to go idle, its snapshots.

free_port() {
  /usr/bin/python3 -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now_ns() { date +%s%N; }
secs_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
kib_of() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }  # reaped children too (snapshot writer)
has_children() { [ -n "$(cat /proc/"$1"/task/*/children 2>/dev/null | tr -d ' \n')" ]; }

# Waits until PID has used < 5% of a CPU for 2 consecutive seconds and has no child process
# (zabkeeper forks to write snapshots); gives up after 600 s.
wait_idle() {
  local pid=$1 quiet=0 prev cur hz
  hz=$(getconf CLK_TCK)
  prev=$(cpu_ticks "$pid")
  for _ in $(seq 1 600); do
    sleep 1
    cur=$(cpu_ticks "$pid")
    if [ $((cur - prev)) -lt $((hz / 20)) ] && ! has_children "$pid"; then
      quiet=$((quiet + 1))
      [ $quiet -ge 2 ] && return 0
    else
      quiet=0
    fi
    prev=$cur
  done
  echo "warning: pid $pid still busy after 600 s" >&2
}

# Bytes of the newest snapshot file under $1 (zabkeeper: snapshots/snapshot.<zxid hex>; Apache:
# version-2/snapshot.<zxid hex>); the newest has the highest zxid.
newest_snapshot_bytes() {
  local f name zxid best=-1 bytes=""
  while IFS= read -r f; do
    name=${f##*/}
    zxid=$((16#${name#snapshot.}))
    if [ "$zxid" -gt "$best" ]; then best=$zxid; bytes=$(stat -c %s "$f"); fi
  done < <(find "$1" -name 'snapshot.*' ! -name '*.tmp')
  echo "$bytes"
}
