// Output formats of zkcli, matching Apache ZooKeeper 3.8's zkCli.sh where it has one (Stat
// blocks, ACL lines, watch events, "[a, b]" lists, quota records) plus the JSON forms printed
// with --json. Pure functions of their arguments (the time formatting reads the local time
// zone); thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/proto/stats_track.h"
#include "client/zk_client.h"

namespace zk::zkcli {

using Json = nlohmann::ordered_json;

// "0x1c" (Java's Long.toHexString: lower case, negative values as 64-bit two's complement).
std::string Hex(int64_t v);
// Milliseconds since the epoch as Java's Date.toString(): "Mon Nov 23 18:31:00 UTC 2026".
std::string JavaDate(int64_t epoch_ms);
// zkCli.sh's Stat block: eleven "name = value" lines, each ending in '\n'.
std::string FormatStat(const proto::Stat& stat);
Json StatJson(const proto::Stat& stat);

// "[a, b, c]" (Java's List.toString).
std::string FormatList(const std::vector<std::string>& items);

// The permission bit of a letter of "cdrwa"; 0 for any other character.
int32_t PermBit(char letter);
// Permission letters in zkCli.sh's order "cdrwa".
std::string PermString(int32_t perms);
// zkCli.sh's two lines per ACL entry: "'world,'anyone\n: cdrwa\n".
std::string FormatAcl(const std::vector<proto::Acl>& acl);
Json AclJson(const std::vector<proto::Acl>& acl);
// Parses "scheme:id:perms[,scheme:id:perms...]" as zkCli.sh does: entries without two colons
// are skipped and unknown permission letters ignored, each with a warning in *warnings.
std::vector<proto::Acl> ParseAcl(std::string_view text, std::vector<std::string>* warnings);

std::string_view EventTypeName(EventType type);
std::string_view KeeperStateName(KeeperState state);
// "WatchedEvent state:SyncConnected type:NodeDataChanged path:/a" ("path:null" if empty).
std::string FormatEvent(const client::WatchEvent& event);
Json EventJson(const client::WatchEvent& event);

// The message zkCli.sh prints for a failed operation on `path` ("Node does not exist: /a",
// "version No is not valid : /a", ...), and readable lines for the connection-level codes.
std::string ErrorMessage(Err err, std::string_view path);
// Exit status for a failed operation: 3 for connection-level errors, 1 for the others.
int ExitCodeFor(Err err);

// A quota record as stored in zookeeper_limits / zookeeper_stats (client/proto/stats_track.h),
// and its JSON form ({"count": .., "bytes": .., other keys}).
using proto::StatsTrack;
Json StatsTrackJson(const StatsTrack& track);

inline constexpr std::string_view kQuotaRoot = "/zookeeper/quota";
inline constexpr std::string_view kQuotaLimitNode = "zookeeper_limits";
inline constexpr std::string_view kQuotaStatNode = "zookeeper_stats";

// The parent of a path ("/" for top-level nodes and for "/").
std::string ParentPath(std::string_view path);
// Joins a parent path and a child name.
std::string ChildPath(std::string_view parent, std::string_view name);

}  // namespace zk::zkcli

namespace zk::zkcli {

// Why `path` is not a valid znode path, in the words of ZooKeeper's PathUtils ("Path must start
// with / character", ...); empty if it is valid. `sequential` allows a trailing '/'.
std::string PathError(std::string_view path, bool sequential = false);

}  // namespace zk::zkcli
