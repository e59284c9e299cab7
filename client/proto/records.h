// The ZooKeeper client protocol's records (zookeeper.jute, org.apache.zookeeper.proto and .data),
// as plain structs. Each has `void Write(JuteWriter&) const` and `bool Read(JuteReader&)`, with the
// fields in exactly the jute order; Read returns reader.ok() and leaves the reader failed on any
// malformed or truncated input. Type-like fields (op codes, error codes, modes, event types) are
// raw int32 so that any value on the wire is representable; compare them with the enums in
// wire_constants.h. Records are values: no sharing, no thread-safety concerns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/proto/jute.h"

namespace zk::proto {

// org.apache.zookeeper.data.Stat.
struct Stat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int32_t data_length = 0;
  int32_t num_children = 0;
  int64_t pzxid = 0;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const Stat&) const = default;
};

// Bytes of a Stat on the wire: six longs and five ints.
inline constexpr size_t kStatWireSize = 6 * sizeof(int64_t) + 5 * sizeof(int32_t);

bool ReadStat(JuteReader& r, Stat* stat);
void WriteStat(JuteWriter& w, const Stat& stat);

struct Id {
  std::string scheme;
  std::string id;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const Id&) const = default;
};

struct Acl {
  int32_t perms = 0;
  Id id;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const Acl&) const = default;
};

bool ReadAclVector(JuteReader& r, std::vector<Acl>* acl);
void WriteAclVector(JuteWriter& w, const std::vector<Acl>& acl);

// The handshake a client sends first. Clients since 3.4 append a read-only byte that the jute file
// (before 3.9) does not list; Read accepts both forms and records which one it saw.
struct ConnectRequest {
  int32_t protocol_version = kProtocolVersion;
  int64_t last_zxid_seen = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string passwd;
  bool read_only = false;
  bool has_read_only = true;  // Write appends read_only only if set.

  void Write(JuteWriter& w) const;
  // The read-only byte is read if any byte remains after passwd.
  bool Read(JuteReader& r);
  bool operator==(const ConnectRequest&) const = default;
};

// The server's handshake answer; answer in the client's form (has_read_only as in its request).
struct ConnectResponse {
  int32_t protocol_version = kProtocolVersion;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string passwd;
  bool read_only = false;
  bool has_read_only = true;  // Write appends read_only only if set; Read sets it.

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const ConnectResponse&) const = default;
};

struct RequestHeader {
  int32_t xid = 0;
  int32_t type = 0;  // OpCode

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const RequestHeader&) const = default;
};

struct ReplyHeader {
  int32_t xid = 0;
  int64_t zxid = 0;
  int32_t err = 0;  // Err

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const ReplyHeader&) const = default;
};

// create, create2, createContainer.
struct CreateRequest {
  std::string path;
  std::string data;
  bool data_null = false;
  std::vector<Acl> acl;
  int32_t flags = 0;  // CreateMode

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const CreateRequest&) const = default;
};

struct CreateTtlRequest {
  std::string path;
  std::string data;
  bool data_null = false;
  std::vector<Acl> acl;
  int32_t flags = 0;  // CreateMode
  int64_t ttl = 0;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const CreateTtlRequest&) const = default;
};

struct DeleteRequest {
  std::string path;
  int32_t version = kAnyVersion;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const DeleteRequest&) const = default;
};

// exists, getData, getChildren, getChildren2.
struct PathWatchRequest {
  std::string path;
  bool watch = false;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const PathWatchRequest&) const = default;
};

struct SetDataRequest {
  std::string path;
  std::string data;
  bool data_null = false;
  int32_t version = kAnyVersion;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const SetDataRequest&) const = default;
};

// getACL, sync, getEphemerals (prefixPath), getAllChildrenNumber.
struct PathRequest {
  std::string path;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const PathRequest&) const = default;
};

struct SetAclRequest {
  std::string path;
  std::vector<Acl> acl;
  int32_t version = kAnyVersion;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const SetAclRequest&) const = default;
};

struct CheckVersionRequest {
  std::string path;
  int32_t version = kAnyVersion;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const CheckVersionRequest&) const = default;
};

// Precedes each op of a multi request/response; the list ends with {kError, true, -1}.
struct MultiHeader {
  int32_t type = 0;  // OpCode
  bool done = false;
  int32_t err = 0;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const MultiHeader&) const = default;
};

struct AuthPacket {
  int32_t type = 0;
  std::string scheme;
  std::string auth;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const AuthPacket&) const = default;
};

// SetWatches (v2 = false) and SetWatches2 (v2 = true, adds the persistent lists).
struct SetWatchesRequest {
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  std::vector<std::string> persistent_watches;
  std::vector<std::string> persistent_recursive_watches;

  void Write(JuteWriter& w, bool v2) const;
  bool Read(JuteReader& r, bool v2);
  bool operator==(const SetWatchesRequest&) const = default;
};

struct AddWatchRequest {
  std::string path;
  int32_t mode = 0;  // AddWatchMode

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const AddWatchRequest&) const = default;
};

// checkWatches, removeWatches.
struct WatchesRequest {
  std::string path;
  int32_t type = 0;  // WatcherType

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const WatchesRequest&) const = default;
};

// The three server lists are nullable on the wire, and null differs from empty (a non-null
// new_members makes a non-incremental reconfig), so they are optionals; nullopt encodes as null.
struct ReconfigRequest {
  std::optional<std::string> joining;
  std::optional<std::string> leaving;
  std::optional<std::string> new_members;
  int64_t cur_config_id = kAnyConfigId;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const ReconfigRequest&) const = default;
};

struct WatcherEvent {
  int32_t type = 0;   // EventType
  int32_t state = 0;  // KeeperState
  std::string path;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const WatcherEvent&) const = default;
};

// create's and sync's response.
struct PathResponse {
  std::string path;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const PathResponse&) const = default;
};

struct Create2Response {
  std::string path;
  Stat stat;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const Create2Response&) const = default;
};

// exists, setData, setACL.
struct StatResponse {
  Stat stat;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const StatResponse&) const = default;
};

struct GetDataResponse {
  std::string data;
  bool data_null = false;
  Stat stat;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const GetDataResponse&) const = default;
};

struct GetAclResponse {
  std::vector<Acl> acl;
  Stat stat;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const GetAclResponse&) const = default;
};

struct GetChildrenResponse {
  std::vector<std::string> children;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const GetChildrenResponse&) const = default;
};

struct GetChildren2Response {
  std::vector<std::string> children;
  Stat stat;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const GetChildren2Response&) const = default;
};

// getEphemerals.
struct StringListResponse {
  std::vector<std::string> values;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const StringListResponse&) const = default;
};

struct GetAllChildrenNumberResponse {
  int32_t total = 0;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const GetAllChildrenNumberResponse&) const = default;
};

struct ClientInfo {
  std::string auth_scheme;
  std::string user;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const ClientInfo&) const = default;
};

struct WhoAmIResponse {
  std::vector<ClientInfo> client_info;

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const WhoAmIResponse&) const = default;
};

// The per-op result of a failed op inside a multi.
struct ErrorResponse {
  int32_t err = 0;  // Err

  void Write(JuteWriter& w) const;
  bool Read(JuteReader& r);
  bool operator==(const ErrorResponse&) const = default;
};

}  // namespace zk::proto
