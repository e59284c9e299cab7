// The JSON format of `dump` and `load`: a backup of a subtree (data, ACLs and node kinds) that
// survives any byte content. Pure functions; thread-safe.
//
//   {"format": "zkcli-dump", "version": 1, "path": "/app",
//    "nodes": [{"path": "", "data": "text", "acl": [{"scheme": "world", "id": "anyone",
//                                                     "perms": "cdrwa"}]},
//              {"path": "/bin", "data_base64": "AAH/", "acl": [...], "mode": "container"}]}
//
// Node paths are relative to the dumped root ("" is the root itself), so a dump can be loaded
// under another path. Parents come before their children. Data that is valid UTF-8 is stored
// as a JSON string ("data"), anything else as base64 ("data_base64"). "mode" is omitted for
// persistent nodes; "container" and "ttl" (with "ttl_ms") are kept. Ephemeral nodes belong to
// sessions and are not dumped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/zkcli/format.h"

namespace zk::zkcli {

std::string Base64Encode(std::string_view bytes);
// nullopt if `text` is not valid base64 (padding optional, no whitespace).
std::optional<std::string> Base64Decode(std::string_view text);
bool IsValidUtf8(std::string_view s);

enum class NodeKind { kPersistent, kContainer, kTtl };

struct DumpNode {
  std::string rel_path;  // "" for the root, else "/a/b" below it.
  std::string data;
  std::vector<proto::Acl> acl;
  NodeKind kind = NodeKind::kPersistent;
  int64_t ttl_ms = 0;  // For kTtl.

  bool operator==(const DumpNode&) const = default;
};

struct Dump {
  std::string path;  // The absolute path that was dumped.
  std::vector<DumpNode> nodes;
};

Json EncodeDump(const Dump& dump);
// Validates everything load relies on; on failure returns nullopt and a one-line *error.
std::optional<Dump> DecodeDump(const Json& json, std::string* error);

// Node kind from a Stat's ephemeralOwner; nullopt for ephemeral nodes.
std::optional<NodeKind> KindFromOwner(int64_t ephemeral_owner, int64_t* ttl_ms);
// Permission letters ("cdrwa" in any order) to bits; nullopt on other letters.
std::optional<int32_t> ParsePerms(std::string_view letters);

}  // namespace zk::zkcli
