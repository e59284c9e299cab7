#!/usr/bin/env bash
# Installs the build tree into a fresh prefix and builds the example against the installed
# package twice: with CMake's find_package(zabkeeper) and with pkg-config.
#   check-install.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1
work=$2
cmake=${CMAKE:-cmake}
src=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
"$cmake" --install "$build" --prefix "$work/prefix" >"$work/install.log"
test -f "$work/prefix/include/zabkeeper/client/zk_client.h"

# CMake package.
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
"$cmake" -S "$src" -B "$work/cmake-build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$work/configure.log"
"$cmake" --build "$work/cmake-build" >"$work/build.log"
test -x "$work/cmake-build/zk_example"
test -x "$work/cmake-build/zk_lock_example"
test -x "$work/cmake-build/zk_leader_example"
test -f "$work/prefix/include/zabkeeper/client/recipes/leader_selector.h"
test -f "$work/prefix/include/zabkeeper/client/discovery/service_discovery.h"
# The RPC example, run against this build's server.
"$src/run-rpc-example.sh" "$build/bin/zabkeeper" "$work/cmake-build" "$work/rpc" >"$work/rpc.log" 2>&1 ||
  { cat "$work/rpc.log"; for f in "$work"/rpc/*.out; do echo "== $f"; cat "$f"; done; exit 1; }
find "$work/prefix" -name libzabkeeper_discovery.a | grep -q .
test -f "$work/prefix/include/zabkeeper/client/recipes/mutex.h"
test -f "$work/prefix/include/zabkeeper/client/recipes/tree_cache.h"

# pkg-config.
pc_dir=$(dirname "$(find "$work/prefix" -name zabkeeper.pc | head -1)")
flags=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs zabkeeper)
# shellcheck disable=SC2086
${CXX:-c++} -O1 -o "$work/zk_example_pc" "$src/example.cc" $flags
test -x "$work/zk_example_pc"
# Without a server it must fail cleanly (bad usage / no connection), not crash.
set +e
"$work/zk_example_pc" >/dev/null 2>&1
rc=$?
set -e
test "$rc" -eq 2
flags=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs zabkeeper-recipes)
# shellcheck disable=SC2086
${CXX:-c++} -O1 -o "$work/zk_lock_example_pc" "$src/lock_example.cc" $flags
set +e
"$work/zk_lock_example_pc" >/dev/null 2>&1
rc=$?
set -e
test "$rc" -eq 2
PKG_CONFIG_PATH="$pc_dir" pkg-config --libs zabkeeper-discovery | grep -q -- -lzabkeeper_discovery
echo "install + example OK ($work)"
