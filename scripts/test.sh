#!/usr/bin/env bash
# Installs what is missing (deps.sh test), builds every target (tests, sanitized twins, fuzz
# replays), and runs the whole suite through ctest.
#   ./scripts/test.sh                 everything
#   ./scripts/test.sh -L unit         only the unit tests (any ctest arguments pass through)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh test
./scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 "$@"
