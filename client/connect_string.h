// Connect-string parsing, chroot mapping and client-side path validation (internal helpers of
// the client library; pure functions, thread-safe).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zk::client {

inline constexpr uint16_t kDefaultClientPort = 2181;

struct HostPort {
  std::string host;
  uint16_t port = kDefaultClientPort;
};

struct ConnectString {
  std::vector<HostPort> hosts;
  std::string chroot;  // "" or a valid path other than "/" (no trailing slash).

  // Client path -> server path. REQUIRES: `path` is a valid absolute path.
  std::string ToServer(std::string_view path) const;
  // Server path -> client path (paths outside the chroot are returned unchanged).
  std::string ToClient(std::string_view path) const;
};

// Parses "host:port,host:port/chroot" ("[v6]:port" for IPv6 literals; a missing port is 2181).
// nullopt if malformed (no host, bad port, invalid chroot).
std::optional<ConnectString> ParseConnectString(std::string_view s);

// ZooKeeper's path rules (PathUtils.validatePath): absolute, no empty, "." or ".." components, no
// trailing slash (except "/", or for a sequential create), no NUL or control characters.
bool ValidPath(std::string_view path, bool sequential = false);

}  // namespace zk::client
