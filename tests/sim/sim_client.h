// SimClient: one simulated ZooKeeper client session speaking the real jute wire protocol. It is
// driven entirely by calls (no sockets, threads or clocks) and draws every choice from its own
// seeded Rng, so a run is a pure function of the seeds and the order of the calls.
//
// Frames in both directions are WITHOUT the 4-byte length prefix (as LinkHandler::OnFrame takes
// them; SimClientLink strips the prefix of what the node sends).
//
// Lifecycle:
//   state kDisconnected --ConnectFrame()--> kHandshaking --ConnectResponse--> kConnected
//   kHandshaking/kConnected --OnDisconnected()--> kDisconnected (outstanding ops: unknown)
//   a ConnectResponse with session 0 (the session is gone), a SESSIONEXPIRED reply, or a
//   successful closeSession --> kEnded (final; the session is over).
// A reconnect sends the session id, password and lastZxidSeen; a server behind the client
// closes the connection (OnDisconnected; try another). After a reconnect the client first
// re-registers its armed one-shot watches with setWatches (xid -8) relative to lastZxidSeen.
//
// Workload (NextFrame): creates (persistent, ephemeral, sequential, ephemeral-sequential) under
// a handful of shared parents; with `extended_types`, also container parents (createContainer,
// which get children and lose them, so the leader reaps them) and TTL nodes (createTTL,
// persistent and persistent-sequential, TTL min_ttl_ms..max_ttl_ms) under every parent; setData, delete, getData/exists/getChildren2 with and without a
// watch, multi of 2-4 ops (create/setData/delete/check), sync, and rarely closeSession. Data
// written is unique per client and op ("c<client>-<n>"). At most `max_outstanding` requests are
// in flight; replies are matched FIFO (a reply out of order is a protocol error).
//
// Everything it sends and sees is recorded in history() (tests/sim/client_history.h).
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/sim/client_history.h"
#include "tests/sim/rng.h"

namespace zk::sim {

struct SimClientOptions {
  int32_t session_timeout_ms = 10000;
  std::vector<std::string> parents = {"/p0", "/p1", "/p2"};
  std::vector<std::string> child_names = {"a", "b", "c", "d", "e"};
  // Container parents and TTL creates (the server must have extendedTypesEnabled for TTLs).
  bool extended_types = false;
  std::vector<std::string> container_parents = {"/k0", "/k1"};
  int64_t min_ttl_ms = 300;
  int64_t max_ttl_ms = 3000;
  int max_outstanding = 3;
  // Chance (per mille) that an op is closeSession; 0 keeps the session open.
  uint64_t close_per_mille = 3;
};

class SimClient {
 public:
  enum class State { kDisconnected, kHandshaking, kConnected, kEnded };

  SimClient(uint64_t client_id, uint64_t seed, SimClientOptions options = {});

  State state() const { return state_; }
  bool ended() const { return state_ == State::kEnded; }
  int64_t session_id() const { return session_id_; }
  int64_t last_zxid_seen() const { return last_zxid_; }
  int32_t negotiated_timeout_ms() const { return timeout_ms_; }
  size_t outstanding() const { return outstanding_.size(); }

  // A new connection is open: the ConnectRequest to send on it (fresh session the first time,
  // then the session's id, password and lastZxidSeen). REQUIRES: state() == kDisconnected.
  std::string ConnectFrame();
  // The next request to send, or nullopt when there is none now (not connected, too many
  // outstanding, a closeSession in flight, or the session is over). Pending setWatches first.
  std::optional<std::string> NextFrame();
  // A ping (xid -2); answered by the server, not recorded. REQUIRES: state() == kConnected.
  std::string PingFrame() const;

  // A frame from the server (no length prefix).
  void OnFrame(std::string_view frame);
  // The connection is gone: outstanding ops get an unknown outcome. No-op when disconnected.
  void OnDisconnected();

  const ClientHistory& history() const { return history_; }

 private:
  struct Outstanding {
    int32_t xid;
    size_t op;  // index into history_.ops
  };

  std::string Encode(const OpRecord& op) const;
  OpRecord RandomOp();
  std::string RandomChildPath();
  // A parent (container parents too, with extended_types).
  const std::string& RandomParent();
  std::string AnyKnownPath();
  std::string NextData();
  void OnConnectResponse(std::string_view frame);
  void OnReply(std::string_view frame);
  bool DecodeBody(OpRecord& op, std::string_view body);
  void NoteWatches(const OpRecord& op);
  void NoteEvent(const WatchEventRecord& ev);
  void End(StepKind why);
  void AddStep(StepKind kind, size_t op = 0, size_t event = 0);

  uint64_t client_id_;
  Rng rng_;
  SimClientOptions options_;
  State state_ = State::kDisconnected;
  int64_t session_id_ = 0;
  std::string passwd_;
  int32_t timeout_ms_ = 0;
  int64_t last_zxid_ = 0;
  int32_t next_xid_ = 1;
  uint64_t data_counter_ = 0;
  bool closing_ = false;  // a closeSession is in flight
  std::deque<Outstanding> outstanding_;
  std::optional<std::string> pending_set_watches_;
  // Armed one-shot watches: data/exists watches (path -> the node existed when set) and child
  // watches; re-registered with setWatches after a reconnect.
  std::map<std::string, bool> data_watches_;
  std::set<std::string> child_watches_;
  std::vector<std::string> created_;  // paths this session created (targets for later ops)
  std::map<std::string, int32_t> known_versions_;  // path -> version last seen
  ClientHistory history_;
};

}  // namespace zk::sim
