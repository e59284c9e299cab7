#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan+UBSan) in build-fuzz and runs them one at
# a time.
#   ./scripts/fuzz.sh                       every target, 300 s each
#   ./scripts/fuzz.sh --ci                  every target, 20 s each (a bounded CI smoke run)
#   ./scripts/fuzz.sh --seconds 60 txn path only these targets, 60 s each
# New interesting inputs go to build-fuzz/fuzz-corpus/<target>/ (the committed seeds in
# tests/fuzz/corpus/<target>/ are read, never written; copy worthwhile finds there by hand).
# Crash reproducers go to build-fuzz/fuzz-artifacts/<target>/. Exits 1 if any target crashed,
# leaked, timed out or ran out of memory, after printing each reproducer's path.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(records txn log_record path config request snapshot_file snapshot_payload)
seconds=300
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) seconds=20 ;;
    --seconds) seconds="$2"; shift ;;
    --seconds=*) seconds="${1#*=}" ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[ ${#targets[@]} -eq 0 ] && targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/${t}_fuzzer.cc" ] || { echo "no such fuzz target: $t" >&2; exit 2; }
done

# The largest input worth trying per target.
max_len() {
  case "$1" in
    path) echo 512 ;;
    records|txn|log_record|config) echo 4096 ;;
    request) echo 16384 ;;
    snapshot_file|snapshot_payload) echo 65536 ;;
    *) echo 4096 ;;
  esac
}

# Debian's clang with its libFuzzer runtime.
if ! command -v clang++ >/dev/null ||
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q clang-14 libclang-rt-14-dev
fi
./scripts/deps.sh build

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DZK_SANITIZED_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/%/_fuzzer}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for t in "${targets[@]}"; do
  scratch="build-fuzz/fuzz-corpus/$t"
  artifacts="build-fuzz/fuzz-artifacts/$t"
  log="build-fuzz/fuzz-logs/$t.log"
  mkdir -p "$scratch" "$artifacts" "$(dirname "$log")"
  echo "== $t: ${seconds}s, max_len $(max_len "$t"), log $log"
  rc=0
  "build-fuzz/bin/${t}_fuzzer" "$scratch" "tests/fuzz/corpus/$t" \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=25 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  # The last status line: inputs run, coverage, features, corpus size, exec/s, memory.
  last=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -1 || true)
  echo "   ${last:-no status line}"
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    echo "!! $t failed (exit $rc); see $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*fuzz property failed|.*runtime error)' "$log" |
      head -5 || true
    for f in $(ls -t "$artifacts" 2>/dev/null | head -3); do
      echo "   reproducer: $artifacts/$f"
      echo "   replay:     build-fuzz/bin/${t}_fuzzer $artifacts/$f"
    done
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found problems in: ${failed[*]}"
  exit 1
fi
echo "fuzzing: no crashes in ${targets[*]}"
