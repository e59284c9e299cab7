// SessionTracker: the live sessions, their negotiated timeouts and expiry deadlines, kept in
// tick-sized buckets as ZooKeeper's ExpiryQueue does (touching a session moves it to a later
// bucket; expiry pops whole buckets). Sessions are created and closed by txns, so every replica
// holds the same set; only the leader (here: the server) acts on expiry. Pure: time is passed
// in as milliseconds of a monotonic clock. Single-threaded (the io thread).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace zk::server {

// A session's password: ZooKeeper's 16 bytes. Random, chosen by the leader when it proposes the
// session's create txn, so it travels with that txn (every member can check it, and restarts and
// SNAP keep it through the log and snapshots). Never shown by any command.
using SessionPassword = std::array<char, 16>;

// 16 bytes from the OS's cryptographically secure generator (OpenSSL's RAND_bytes). Aborts if the
// generator fails: a predictable password would let any client take over a session.
SessionPassword NewSessionPassword();

// The password of a session created by a txn or a snapshot record that carries `stored` (16
// bytes). Records written before passwords were random carry none (`stored` empty): their
// sessions keep the password derived from the id that their clients were given then.
SessionPassword SessionPasswordOf(int64_t session_id, std::string_view stored);

// The password formerly derived from a session id and a public constant, as ZooKeeper derives
// it: anyone who knows a session id (ephemeralOwner, cons, dump) could compute it. Used only for
// sessions created by such records.
SessionPassword DerivedSessionPassword(int64_t session_id);

// True if `given` (a client's handshake field) equals `password`, in time independent of where
// they differ.
bool SessionPasswordMatches(const SessionPassword& password, std::string_view given);

// A session's record, kept by id (the key, not repeated here: 32 bytes, one per session).
struct SessionInfo {
  SessionPassword password{};
  int64_t expires_at_ms = 0;  // bucket boundary
  int32_t timeout_ms = 0;
  bool closing = false;
};

class SessionTracker {
 public:
  // `server_id` goes into the high byte of session ids; `expiry_interval_ms` is the bucket
  // width (ZooKeeper uses tickTime).
  SessionTracker(int64_t server_id, int32_t expiry_interval_ms, int64_t now_ms);

  // A fresh session id (ZooKeeper's layout: server id in the top byte, time-derived counter).
  int64_t NextSessionId();
  // From committed txns (and snapshots).
  void Add(int64_t id, int32_t timeout_ms, const SessionPassword& password, int64_t now_ms);
  void Remove(int64_t id);

  // Records activity; returns false for unknown or closing sessions.
  bool Touch(int64_t id, int64_t now_ms);
  // Marks a session as closing (a close txn is in flight); it no longer expires.
  void SetClosing(int64_t id);

  // Sessions whose deadline has passed; each is returned once (it becomes closing).
  std::vector<int64_t> PopExpired(int64_t now_ms);

  // A new leader takes over expiry: every session still open gets a full timeout from now,
  // including those this server had marked closing. A close or expiry proposed in an earlier
  // epoch may have been lost with that epoch (its txn truncated); if it was not, the session is
  // already gone from this tracker. So every session this leader can't see alive expires.
  void RestartExpiry(int64_t now_ms);

  const SessionInfo* Find(int64_t id) const;
  const absl::flat_hash_map<int64_t, SessionInfo>& sessions() const { return sessions_; }
  size_t size() const { return sessions_.size(); }

 private:
  int64_t RoundUp(int64_t t) const;
  void Unbucket(int64_t id, const SessionInfo& s);

  int32_t interval_ms_;
  int64_t next_id_;
  absl::flat_hash_map<int64_t, SessionInfo> sessions_;
  std::map<int64_t, absl::flat_hash_set<int64_t>> buckets_;
};

}  // namespace zk::server
