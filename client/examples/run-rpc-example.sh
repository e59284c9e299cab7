#!/usr/bin/env bash
# Runs the RPC example end to end: a standalone zabkeeper, three echo providers registering
# themselves, a consumer load-balancing over them; then one provider is killed (-9) and the
# consumer must fail over at once (at most 2 failed attempts before the down-instance policy
# skips it), and once the dead provider's session has expired no consumer picks it any more.
#   run-rpc-example.sh ZABKEEPER_BINARY EXAMPLES_BUILD_DIR WORK_DIR
set -euo pipefail
zabkeeper=$1
bin=$2
work=$3
mkdir -p "$work/data"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/zoo.cfg" <<CFG
tickTime=500
dataDir=$work/data
clientPort=$port
clientPortAddress=127.0.0.1
minSessionTimeout=1000
admin.enableServer=false
CFG
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
"$zabkeeper" --config "$work/zoo.cfg" >"$work/server.log" 2>&1 &
pids+=($!)
hosts=127.0.0.1:$port
for id in s1 s2 s3; do
  "$bin/zk_echo_server" "$hosts" "$id" >"$work/$id.out" 2>&1 &
  pids+=($!)
  eval "pid_$id=$!"
done
for id in s1 s2 s3; do
  for _ in $(seq 100); do grep -q "^serving $id" "$work/$id.out" && break; sleep 0.1; done
  grep -q "^serving $id" "$work/$id.out" || { cat "$work/$id.out"; exit 1; }
done

# Round-robin over three providers: every one answers.
"$bin/zk_echo_client" "$hosts" 30 >"$work/calls1.out"
grep -q "^answered 30 of 30$" "$work/calls1.out"
for id in s1 s2 s3; do
  test "$(grep -c "^call [0-9]* $id $id hello" "$work/calls1.out")" -eq 10
done

# A provider dies: calls go on at once; at most two attempts hit the dead one.
kill -9 "$pid_s2"
wait "$pid_s2" 2>/dev/null || true
"$bin/zk_echo_client" "$hosts" 12 >"$work/calls2.out"
grep -q "^answered 12 of 12$" "$work/calls2.out"
test "$(grep -c "failed on s2" "$work/calls2.out")" -le 2
if grep -q "^call [0-9]* s2 " "$work/calls2.out"; then exit 1; fi

# Once its session (4 s) has expired, it is gone from the registry: no attempt hits it.
for _ in $(seq 40); do
  "$bin/zk_echo_client" "$hosts" 4 >"$work/calls3.out" || true
  grep -q "failed on s2" "$work/calls3.out" || break
  sleep 0.5
done
grep -q "^answered 4 of 4$" "$work/calls3.out"
if grep -q "failed on s2" "$work/calls3.out"; then exit 1; fi

# A clean shutdown unregisters at once.
kill -TERM "$pid_s1"
wait "$pid_s1"
"$bin/zk_echo_client" "$hosts" 3 >"$work/calls4.out"
if grep -q "failed" "$work/calls4.out"; then exit 1; fi
test "$(grep -c "^call [0-9]* s3 " "$work/calls4.out")" -eq 3
echo "rpc example OK"
