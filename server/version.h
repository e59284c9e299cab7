// The version zabkeeper reports. Clients decide which features they may use from the
// ZooKeeper version a server reports (kazoo reads it from `envi`, tools from `srvr`), so
// zabkeeper reports the ZooKeeper release whose protocol it implements, followed by its own.
#pragma once

#include <string_view>

namespace zk::server {

inline constexpr std::string_view kZooKeeperCompatVersion = "3.8.4";
inline constexpr std::string_view kZabkeeperVersion = "0.1.0";
// "3.8.4-zabkeeper-0.1.0"
inline constexpr std::string_view kVersionString = "3.8.4-zabkeeper-0.1.0";

}  // namespace zk::server
