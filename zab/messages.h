// The messages ZAB peers exchange, as plain structs grouped in one std::variant. zab/ knows nothing
// of what a txn means: proposal data and application payloads are opaque bytes.
//
// Two channels, as in ZooKeeper: the election channel (electionPort) carries only Notification;
// every other message travels on the quorum channel (quorumPort) between a learner and its
// leader. Each channel is FIFO per connection; the core is told when a connection comes and goes
// and never relies on a message surviving a reconnect.
//
// Two members are placeholders the core emits for its driver and never appear on the wire:
// LogRange (the driver expands it into Proposal + Commit pairs read from the log) and a
// Snapshot whose `data` is empty (the driver sends, in its place, a stored snapshot at some
// zxid S <= `zxid` followed by the logged txns in (S, zxid] as Proposal + Commit pairs). See
// peer.h.
//
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace zk::zab {

using ServerId = int64_t;  // ZooKeeper's myid.

// The state a server announces in its election notifications (ZooKeeper's ServerState).
enum class PeerState : uint8_t { kLooking = 0, kFollowing = 1, kLeading = 2, kObserving = 3 };
// "looking", "following", "leading", "observing".
const char* PeerStateName(PeerState s);

enum class Channel : uint8_t { kElection = 0, kQuorum = 1 };

// A vote for a leader: ordered by (epoch, zxid, leader) — the candidate's current epoch, its last
// logged zxid and its id.
struct Vote {
  ServerId leader = 0;
  int64_t zxid = 0;
  int64_t epoch = 0;

  friend bool operator==(const Vote&, const Vote&) = default;
};

// True when `a` is a better candidate than `b` (fast leader election's total order).
inline bool BetterVote(const Vote& a, const Vote& b) {
  if (a.epoch != b.epoch) return a.epoch > b.epoch;
  if (a.zxid != b.zxid) return a.zxid > b.zxid;
  return a.leader > b.leader;
}

// Election channel. The sender's vote, its election round and its state.
struct Notification {
  Vote vote;
  int64_t round = 0;
  PeerState state = PeerState::kLooking;
  // The version (zxid) of the sender's committed membership; 0: the static one. A receiver
  // holding that config txn pending learns from it that the txn committed (one txn per zxid).
  int64_t config_version = 0;
  // That membership itself (EncodeQuorumConfig) when it is not the static one, so that a server
  // which missed the change entirely (down, partitioned, not yet synced) adopts it, as
  // ZooKeeper's notifications carry the sender's configuration.
  std::string config;

  friend bool operator==(const Notification&, const Notification&) = default;
};

// Learner -> leader, first message on a new quorum connection (FOLLOWERINFO / OBSERVERINFO).
struct LearnerInfo {
  int64_t accepted_epoch = 0;
  int64_t last_zxid = 0;
  bool observer = false;

  friend bool operator==(const LearnerInfo&, const LearnerInfo&) = default;
};

// Leader -> learner: the new epoch the leader proposes (LEADERINFO).
struct LeaderInfo {
  int64_t epoch = 0;

  friend bool operator==(const LeaderInfo&, const LeaderInfo&) = default;
};

// Learner -> leader: the new epoch is accepted (and durably recorded); the learner's history.
struct AckEpoch {
  int64_t current_epoch = 0;
  int64_t last_zxid = 0;

  friend bool operator==(const AckEpoch&, const AckEpoch&) = default;
};

enum class SyncMode : uint8_t { kDiff = 0, kTrunc = 1, kSnap = 2 };

// Leader -> learner: how the learner is brought up to date. kDiff: proposals follow after the
// learner's last zxid. kTrunc: the learner removes every entry above `zxid`, then proposals
// follow. kSnap: a Snapshot message at `zxid` follows, replacing the learner's state and log;
// `config` then holds the membership in force at `zxid` (EncodeQuorumConfig; empty when the
// leader's is still the static one), which a snapshot's bytes hide from the core.
struct SyncStart {
  SyncMode mode = SyncMode::kDiff;
  int64_t zxid = 0;
  std::string config;

  friend bool operator==(const SyncStart&, const SyncStart&) = default;
};

// Leader -> learner: the state machine's serialized state with every txn up to `zxid` applied.
struct Snapshot {
  int64_t zxid = 0;
  std::string data;

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// Never on the wire: tells the driver to send, in its place, a Proposal followed by a Commit for
// every logged entry with after < zxid <= upto, read from the durable log in zxid order.
struct LogRange {
  int64_t after = 0;
  int64_t upto = 0;

  friend bool operator==(const LogRange&, const LogRange&) = default;
};

// Leader -> learner: a txn to log (PROPOSAL; during synchronization also the history).
struct Proposal {
  int64_t zxid = 0;
  std::string data;

  friend bool operator==(const Proposal&, const Proposal&) = default;
};

// Leader -> follower: every proposal up to `zxid` is committed (cumulative).
struct Commit {
  int64_t zxid = 0;

  friend bool operator==(const Commit&, const Commit&) = default;
};

// Leader -> learner: synchronization is complete; the new epoch's history starts at `zxid`
// (= epoch << 32). The learner acks with Ack{zxid} once its history and current epoch are durable.
struct NewLeader {
  int64_t zxid = 0;

  friend bool operator==(const NewLeader&, const NewLeader&) = default;
};

// Learner -> leader: every proposal up to `zxid` is durably logged (cumulative), or, with
// zxid == epoch << 32 answering NewLeader, synchronization is durable.
struct Ack {
  int64_t zxid = 0;

  friend bool operator==(const Ack&, const Ack&) = default;
};

// Leader -> learner: a quorum acknowledged NewLeader; the learner may serve clients (UPTODATE).
struct UpToDate {
  friend bool operator==(const UpToDate&, const UpToDate&) = default;
};

// Leader -> observer: a committed txn (INFORM).
struct Inform {
  int64_t zxid = 0;
  std::string data;

  friend bool operator==(const Inform&, const Inform&) = default;
};

// Heartbeat both ways between a leader and its learners; the learner answers each Ping.
struct Ping {
  int64_t zxid = 0;  // leader: its last committed zxid; learner: its last logged zxid

  friend bool operator==(const Ping&, const Ping&) = default;
};

// Opaque application payload between an established leader and its learners (forwarded writes,
// session activity, sync requests and their answers), delivered in channel order.
struct AppData {
  std::string data;

  friend bool operator==(const AppData&, const AppData&) = default;
};

using Message = std::variant<Notification, LearnerInfo, LeaderInfo, AckEpoch, SyncStart, Snapshot,
                             LogRange, Proposal, Commit, NewLeader, Ack, UpToDate, Inform, Ping,
                             AppData>;

inline Channel ChannelOf(const Message& m) {
  return std::holds_alternative<Notification>(m) ? Channel::kElection : Channel::kQuorum;
}

// A short name for logs and test output ("PROPOSAL", "ACKEPOCH", ...).
const char* MessageName(const Message& m);

}  // namespace zk::zab
