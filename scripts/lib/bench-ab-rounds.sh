# shellcheck shell=bash
# Two binaries compared over alternated rounds, shared by bench-ab.sh and bench-counts.sh
# (sourced, not run). The script sets ROUNDS, then:
#   ab_init "$@"                       # BINARIES=(A B), ZKBENCH, tmp; usage error unless 2 args
#   ab_rounds run_one FIELD...         # run_one BINARY prints one value per FIELD
# run_one runs in a subshell (a process substitution) and usually begins with ab_fresh_server.
# A FIELD is "label" or "label:unit" (printed as label=value+unit); a field named "errors" is
# shown per run but has no median.

ab_init() {  # BINARY_A BINARY_B
  [ $# -eq 2 ] || { echo "usage: $0 BINARY_A BINARY_B" >&2; exit 2; }
  BINARIES=("$1" "$2")
  ZKBENCH=$ROOT/build/bin/zkbench
  local b
  for b in "${BINARIES[@]}" "$ZKBENCH"; do
    [ -x "$b" ] || { echo "missing $b" >&2; exit 1; }
  done
  tmp=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/zk-$(basename "$0" .sh).XXXXXX")}
  mkdir -p "$tmp"
}

# A fresh standalone server of BINARY (lib/bench-servers.sh's start_servers), stopped however
# the calling subshell ends; unless OP is create, SIZE-byte values under KEYS keys exist first.
# With PREFILL=N, N more znodes of SIZE bytes under /prefill are created first (zk_populate), so
# that the load runs on a large tree and pays for its snapshots.
ab_fresh_server() {  # BINARY
  ZABKEEPER=$1
  rm -rf "$tmp/zabkeeper"
  start_servers zabkeeper 1 || exit 1
  trap stop_all EXIT
  if [ "${PREFILL:-0}" -gt 0 ]; then
    "$ROOT/build/bin/zk_populate" --port "${server_ports[0]}" --count "$PREFILL" --size "$SIZE" \
      --parent /prefill --depth 1000 --quiet > /dev/null
  fi
  if [ "$OP" != create ]; then
    "$ZKBENCH" --servers "$connect" --op set --sessions 4 --depth 16 --keys "$KEYS" \
      --size "$SIZE" --warmup 0 --duration 1 > /dev/null
  fi
}

ab_label() { echo "${1%%:*}"; }                                   # FIELD -> label
ab_unit() { if [[ $1 == *:* ]]; then echo "${1#*:}"; fi; }        # FIELD -> unit (or nothing)

ab_median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

ab_rounds() {  # run_one FIELD...
  local run_one=$1 round i f name line
  shift
  local fields=("$@") values
  declare -A ab_results=()
  for round in $(seq 1 "$ROUNDS"); do
    local order=(0 1)
    [ $((round % 2)) -eq 0 ] && order=(1 0)
    for i in "${order[@]}"; do
      # Each run gets a fresh copy of its binary: two copies of one binary measured apart by up
      # to 15 % in CPU per op, each keeping its offset round after round (docs/performance.md,
      # "Keeping the heap on huge pages"), so a copy per run turns that offset into noise.
      local copy=$tmp/ab-binary.$round.$i
      cp "${BINARIES[$i]}" "$copy"
      # A command substitution waits for the run's subshell to end (its server stopped, and with
      # it any snapshot child); a process substitution let the next run start beside that.
      line=$("$run_one" "$copy")
      rm -f "$copy"
      read -r -a values <<< "${line##*$'\n'}"
      name=$([ "$i" -eq 0 ] && echo A || echo B)
      line="round $round  $name"
      for f in "${!fields[@]}"; do
        line+="  $(ab_label "${fields[$f]}")=${values[$f]:-?}$(ab_unit "${fields[$f]}")"
        ab_results[$i.$f]+="${values[$f]:-} "
      done
      echo "$line"
    done
  done
  echo "== medians of $ROUNDS rounds"
  for i in 0 1; do
    name=$([ "$i" -eq 0 ] && echo A || echo B)
    line="$name ${BINARIES[$i]}:"
    for f in "${!fields[@]}"; do
      [ "$(ab_label "${fields[$f]}")" = errors ] && continue
      line+="  $(ab_label "${fields[$f]}")=$(tr ' ' '\n' <<< "${ab_results[$i.$f]}" | grep . | ab_median)$(ab_unit "${fields[$f]}")"
    done
    echo "$line"
  done
}
