#!/usr/bin/env bash
# The service registry: how fast a provider's arrival and death reach every consumer's cache
# (`zkbench --op discovery`, client/bench/discovery_bench.h), on a 3-server zabkeeper ensemble
# and on a 3-server Apache ZooKeeper ensemble (both tickTime=2000, fsync on; maxClientCnxns=0,
# since the consumers are one address), with the same client. Prints one markdown table.
#
#   scripts/bench-discovery.sh [--servers zabkeeper,apache] [--caches N] [--rounds N]
#                              [--deaths N] [--provider-session MS] [--warmup S] [--ci]
#
# Arrival: a provider session registers an instance (curator-x-discovery layout); the time from
# the Register call until each of --caches (100) ServiceCaches, each with its own session, sees it.
# Death: a provider process is killed with SIGKILL; the time until each cache has dropped it — its
# session timeout (--provider-session, 4000 ms) rounded up to the servers' session-expiry tick
# (tickTime 2000 ms: ZooKeeper expires sessions in tick-aligned buckets), plus the notification
# and the caches' re-reads. Quantiles are exact over all samples; "all caches" is the slowest
# cache of each round. Server CPU: the ensemble's utime+stime over the arrival phase per
# registration. Before measuring, --warmup (20) seconds of unmeasured registrations and
# unregistrations (the JVM's JIT included). --ci: 10 caches, 3 registrations, 1 death, 1 s warm-up.
# Environment: BIN_DIR (default build/bin), KEEP_TMP=1.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-$here/build/bin}
servers="zabkeeper,apache"
caches=100
rounds=20
deaths=5
provider_session=4000
warmup=20
while [ $# -gt 0 ]; do
  case "$1" in
    --servers) servers=$2; shift 2 ;;
    --caches) caches=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --deaths) deaths=$2; shift 2 ;;
    --provider-session) provider_session=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --ci) caches=10; rounds=3; deaths=1; warmup=1; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=lib/bench-servers.sh
. "$here/scripts/lib/bench-servers.sh"
bench_binaries
BENCH_EXTRA_CFG="maxClientCnxns=0"

bench_tmpdir bench-discovery

declare -A result
for kind in ${servers//,/ }; do
  echo "== $kind (3 servers)" >&2
  if ! start_servers "$kind" 3; then
    echo "$kind did not start" >&2
    exit 1
  fi
  out=$("$ZKBENCH" --servers "$connect" --op discovery --caches "$caches" --rounds "$rounds" --warmup "$warmup" \
          --deaths "$deaths" --provider-session "$provider_session" \
          --cpu-pids "$(IFS=,; echo "${pids[*]}")" --json)
  echo "$out" | sed '$d' >&2
  result[$kind]=$(echo "$out" | tail -1)
  stop_all
done

field() {  # kind jq-like path (python)
  /usr/bin/python3 -c 'import json,sys; j=json.loads(sys.argv[1]); v=j
for k in sys.argv[2].split("."): v=v.get(k) if isinstance(v, dict) else None
print("-" if v is None else (("%.1f" % v) if isinstance(v, float) else v))' "${result[$1]:-{\}}" "$2"
}
echo
echo "Service discovery, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs; $caches caches (one session each), $rounds registrations, $deaths provider kills (provider session $provider_session ms), after $warmup s of warm-up; 3 servers each, tickTime=2000"
echo "| metric | ${servers//,/ | } |"
echo "|---|$(for _ in ${servers//,/ }; do printf -- '---|'; done)"
for row in "arrival.per_cache_p50_ms:arrival, per cache p50 (ms)" \
           "arrival.per_cache_p99_ms:arrival, per cache p99 (ms)" \
           "arrival.all_caches_p50_ms:arrival, all caches p50 (ms)" \
           "arrival.all_caches_p99_ms:arrival, all caches p99 (ms)" \
           "death.all_caches_p50_ms:death (kill -9), all caches p50 (ms)" \
           "death.all_caches_max_ms:death (kill -9), all caches max (ms)" \
           "server_cpu_ms_per_registration:server CPU per registration (ms)" \
           "failures:changes that did not reach every cache"; do
  key=${row%%:*}
  printf '| %s |' "${row#*:}"
  for kind in ${servers//,/ }; do printf ' %s |' "$(field "$kind" "$key")"; done
  echo
done
