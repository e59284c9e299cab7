#!/usr/bin/env bash
# Builds the Debian packages zabkeeper and zabkeeper-dev (CPack, scripts/packaging/package.cmake) into
# ./build/packages/ and prints their paths.
#   scripts/package.sh        installs what is missing (deps.sh package), builds the programs
#                             and the client libraries, runs `cpack -G DEB`
# BUILD_DIR as for build.sh. Install with: sudo apt install ./build/packages/zabkeeper_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
./scripts/deps.sh package
BUILD_TARGETS="zabkeeper zkcli zkbench zabkeeper_client zabkeeper_recipes zabkeeper_discovery" \
  BUILD_DIR="$BUILD_DIR" ./scripts/build.sh
out="$BUILD_DIR/packages"
rm -rf "$out"
(cd "$BUILD_DIR" && cpack -G DEB -B "$PWD/packages" >/dev/null)
ls "$out"/*.deb
