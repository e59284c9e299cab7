#!/usr/bin/env bash
# Configures and builds zabkeeper into ./build (binaries in build/bin/).
#   BUILD_TARGETS="zabkeeper zkcli"   only these targets (default: everything, tests included)
#   BUILD_DIR=dir  JOBS=n             build dir (default build), parallel jobs (default 2)
# Extra arguments go to the first configure (e.g. -DZK_UNITY_BUILD=OFF). A fresh build dir is
# configured with unity builds of the module libraries (ZK_UNITY_BUILD, see CMakeLists.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-2}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DZK_UNITY_BUILD=ON "$@"
fi
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j"$JOBS" ${BUILD_TARGETS:+--target $BUILD_TARGETS}
