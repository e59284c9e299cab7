#!/usr/bin/env bash
# Long sweeps of the deterministic simulator: runs zab_sim over N seeds split into J parallel
# slices, prints every failure with its replay command and a summary per slice.
#
#   scripts/sim-sweep.sh [--seeds N] [--start S] [--jobs J] [-- zab_sim options...]
#
# Defaults: 10000 seeds from 1, one job (the machine is shared: raise --jobs only when it is
# idle). Options after `--` go to every zab_sim (e.g. -- --steps 3000 --nodes 5 --observer).
# A failing seed replays exactly: build/bin/zab_sim --seed N [same options] --verbose.
# Environment: BIN_DIR (default build/bin). Exit status: 0 when every seed passed.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-$here/build/bin}
seeds=10000
start=1
jobs=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --start) start=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "sim-sweep: unknown option $1" >&2; exit 2 ;;
  esac
done
if ! [[ $seeds =~ ^[0-9]+$ && $start =~ ^[0-9]+$ && $jobs =~ ^[0-9]+$ ]] || ((seeds < 1 || jobs < 1)); then
  echo "sim-sweep: --seeds, --start and --jobs take positive integers" >&2
  exit 2
fi
sim=$BIN_DIR/zab_sim
[[ -x $sim ]] || { echo "sim-sweep: $sim not built (ninja -C build zab_sim)" >&2; exit 2; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
per=$(((seeds + jobs - 1) / jobs))
pids=()
for ((j = 0; j < jobs; ++j)); do
  a=$((start + j * per))
  b=$((a + per - 1))
  last=$((start + seeds - 1))
  ((a > last)) && break
  ((b > last)) && b=$last
  "$sim" --seeds "$a..$b" --quiet "$@" >"$out/$j.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
cat "$out"/*.log | grep -v '^zab_sim: ' || true
grep -h '^zab_sim: ' "$out"/*.log
failed=$(cat "$out"/*.log | grep -c "^FAIL seed" || true)
echo "sim-sweep: $seeds seeds from $start in ${#pids[@]} jobs, $failed failed"
exit $status
