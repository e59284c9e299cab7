#!/usr/bin/env bash
# Installs the Debian packages of a profile, when any is missing.
#   scripts/deps.sh build      compiler, CMake and the -dev libraries: enough to configure the
#                              tree and build the programs (run.sh)
#   scripts/deps.sh package    build + what `cpack -G DEB` needs (scripts/package.sh)
#   scripts/deps.sh test       everything: package + Apache ZooKeeper, Java, Curator, kazoo,
#                              pytest, Prometheus, network tools (test.sh, the default)
#   scripts/deps.sh --list PROFILE    prints the packages of PROFILE, one a line
set -euo pipefail

BUILD_PACKAGES=(
  cmake g++ ninja-build ccache pkg-config
  libasio-dev libmsgpack-cxx-dev libleveldb-dev libspdlog-dev doctest-dev
  libabsl-dev libzstd-dev libxxhash-dev libssl-dev libsnappy-dev zlib1g-dev libcli11-dev nlohmann-json3-dev
  libedit-dev prometheus-cpp-dev libcpp-httplib-dev libgoogle-perftools-dev
)
PACKAGE_PACKAGES=(
  dpkg-dev file
)
TEST_PACKAGES=(
  openssl
  python3-kazoo python3-pytest python3-pexpect python3-pure-sasl
  zookeeper zookeeper-bin libzookeeper-mt-dev
  libzookeeper-java libcurator-recipes-java libcurator-discovery-java openjdk-17-jdk-headless
  prometheus
  libjetty9-java libservlet-api-java
  procps iproute2 iptables
)

list=0
if [ "${1:-}" = "--list" ]; then
  list=1
  shift
fi
profile=${1:-test}
case "$profile" in
  build) PACKAGES=("${BUILD_PACKAGES[@]}") ;;
  package) PACKAGES=("${BUILD_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}") ;;
  test) PACKAGES=("${BUILD_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: $0 [--list] build|package|test" >&2; exit 2 ;;
esac
if [ "$list" = 1 ]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ($profile): ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  # The build profile skips Recommends (make, docs, ...): run.sh's first run is timed.
  recommends=()
  [ "$profile" = test ] || recommends=(--no-install-recommends)
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${recommends[@]}" "${missing[@]}"
fi
