// The version zabkeeper reports. Clients decide which features they may use from the
// ZooKeeper version a server reports (kazoo reads it from `envi`, tools from `srvr`), so
// zabkeeper reports the ZooKeeper release whose protocol it implements, followed by its own.
#pragma once

#include <string_view>

namespace zk::server {

// The behaviour matched is Apache ZooKeeper 3.8.0's (the differential test's reference).
inline constexpr std::string_view kVersionString = "3.8.0-zabkeeper-0.1.0";

}  // namespace zk::server
