#!/usr/bin/env bash
# Installs the Debian packages zabkeeper needs to build and test, when any is missing.
set -euo pipefail
PACKAGES=(
  cmake g++ ninja-build ccache pkg-config
  libasio-dev libmsgpack-cxx-dev libleveldb-dev libspdlog-dev doctest-dev
  libabsl-dev libzstd-dev libxxhash-dev libssl-dev libsnappy-dev libcli11-dev nlohmann-json3-dev
  libcpp-httplib-dev
  openssl
  python3-kazoo python3-pytest python3-pexpect libedit-dev
  zookeeper zookeeper-bin libzookeeper-mt-dev
  libzookeeper-java libcurator-recipes-java libcurator-discovery-java openjdk-17-jdk-headless
  libjetty9-java libservlet-api-java
  procps iproute2 iptables
  python3-pure-sasl
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
