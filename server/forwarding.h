// Forwarding: the application messages a follower and its leader exchange over ZAB's AppData
// (zab/ treats them as opaque bytes). Followers forward their clients' writes, session creation
// and sync requests to the leader and report which sessions were active; the leader answers
// syncs once every txn proposed before them is committed and samples its tree digest for the
// learners to compare. msgpack arrays, tag first.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/prep.h"

namespace zk::server {

// A client's write, as the follower received it (the request body after the header).
struct ForwardedWrite {
  int64_t session_id = 0;
  int32_t cxid = 0;
  int32_t type = 0;
  std::string body;
  Principal who;
};

struct ForwardedCreateSession {
  int64_t session_id = 0;
  int32_t timeout_ms = 0;
};

// Asks the leader for the point a sync must reach: the last txn it proposed.
struct SyncRequest {
  int64_t session_id = 0;
  int32_t xid = 0;
};

// The leader's answer, sent at once: the follower answers the sync once it has applied `zxid`
// — before any txn proposed after the sync (those are committed to it after this message), so
// the session never sees its own later writes in the sync's answer or the reads behind it.
// zxid 0 (a leader that sent no zxid): answer at once.
struct SyncDone {
  int64_t session_id = 0;
  int32_t xid = 0;
  int64_t zxid = 0;
};

// Sessions that were active on the follower since its last report.
struct SessionActivity {
  std::vector<int64_t> session_ids;
};

// Leader to learners: its tree digest after applying `zxid` (DigestAudit).
struct TreeDigest {
  int64_t zxid = 0;
  uint64_t digest = 0;
};

using AppMessage = std::variant<ForwardedWrite, ForwardedCreateSession, SyncRequest, SyncDone,
                                SessionActivity, TreeDigest>;

std::string EncodeAppMessage(const AppMessage& m);
// Returns false on malformed input (never throws).
bool DecodeAppMessage(std::string_view bytes, AppMessage* out);

}  // namespace zk::server
