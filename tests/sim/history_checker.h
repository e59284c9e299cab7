// HistoryChecker: checks what simulated client sessions saw (ClientHistory, one per session,
// tests/sim/client_history.h) against ZooKeeper's client guarantees, and, given the final tree
// of a server, what must have survived. Each check returns its violations as strings that start
// with the check's tag and name the session, the op (xid, type, path) and the zxids involved;
// an empty list means the check passed. ThrowIfAny turns a list into a SimFailure.
//
//   [protocol]         replies the client could not match (xid out of FIFO order) or decode;
//   [session-order]    per session, the zxids of replies (ReplyHeader zxid > 0) and of watch
//                      events (when the server sends one, > 0) never go back;
//   [read-your-writes] a read of P answered after the session's own successful write W of P
//                      shows W or later: create/setData -> mzxid >= W's zxid (missing only if
//                      some delete of P is later than W or may have happened); delete -> missing
//                      or czxid > W's zxid; a create/delete of a child of P -> P's pzxid >= W's;
//   [read-data]        a getData showing mzxid Z of P reads the data the acknowledged create or
//                      setData of P at zxid Z wrote;
//   [watch-order]      a session whose one-shot watch on P is armed (set by a successful read
//                      with watch) receives its event before any reply showing P changed since
//                      that read (a read of P with another existence/mzxid, or pzxid for a child
//                      watch; or the session's own write of P or of a child of P);
//   [one-event]        each event matches an armed watch of its kind (NodeCreated and
//                      NodeDataChanged: data/exists; NodeChildrenChanged: child; NodeDeleted:
//                      the data watch, else the child watch, as setWatches of a gone node
//                      sends one per kind) and disarms it: a one-shot watch fires at most once per
//                      registration (re-registration after a reconnect is setWatches, which
//                      keeps the watch armed);
//   [write-order]      successful writes (one per zxid; a multi counts once) have distinct zxids,
//                      and replaying them in zxid order on a model of the tree explains every
//                      outcome: a create succeeds only on a missing path under an existing
//                      parent, setData/delete/check only on an existing node and at the expected
//                      version, setData's version is the previous one + 1 and its mzxid (and a
//                      create's czxid) is the write's zxid, a delete leaves no child behind;
//   [sequential]       sequence numbers created under one parent (between deletes of the parent,
//                      the reaper's too)
//                      never repeat and increase in zxid order;
//   [ephemerals]       (final tree) no ephemeral is owned by a dead session, and every ephemeral
//                      a live session created and nobody deleted later is there, owned by it;
//   [acked-durable]    (final tree) its last zxid is >= every acknowledged write's zxid; an
//                      acknowledged create not later deleted exists with that czxid; an
//                      acknowledged setData not later overwritten is there with that mzxid.
//
// Nodes may also vanish without a client delete: the leader's reaper deletes empty containers
// and expired TTL nodes (server/container_reaper.h). Those deletes are txns the members commit,
// so the checker learns them from the members (ServerDeletes, tests/sim/reaper_audit.h) rather
// than guessing: a committed reaper delete is a write at its zxid in every check above (the
// write-order replay deletes the node then — and flags it if the model still holds a child or
// lacks the node —, sequence numbers restart under a reaped parent, a node reaped after a write
// may be missing from reads and from the final tree); a reaper delete proposed but never seen
// applied may or may not have happened, so its path is uncertain, like the path of a client
// delete with an unknown outcome. Treating reaper deletes as writes of an unknown session
// instead would make every container and TTL path uncertain and blind the checks there.
//
// Ops with an unknown outcome (the connection was lost first, or none at the end) may or may
// not have happened: a path such an op may have written (for a sequential create, any name it
// may have produced) is "uncertain", and where the model or a check depends on it, the checker
// takes the observed outcome instead of flagging it. Ephemerals of sessions that died without a
// known closeSession zxid (expired; or closeSession with unknown outcome) may vanish at any
// point, so they are uncertain too. The checked paths are assumed to be written only by the
// given sessions. Thread-safety: none. The checker keeps a copy of the histories.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "server/data_tree.h"
#include "tests/sim/client_history.h"

namespace zk::sim {

// Deletes the servers made on their own (the reaper's deleteContainer txns).
struct ServerDeletes {
  std::vector<std::pair<std::string, int64_t>> committed;  // (path, zxid), applied by a member
  std::set<std::string> maybe;  // paths of reaper deletes proposed but never seen applied
};

class HistoryChecker {
 public:
  // `dead_sessions`: sessions known to be closed or expired by the end (e.g. those the final
  // server no longer tracks) even where their own history does not show it; their ephemerals
  // may vanish at a zxid no reply shows.
  // `server_deletes`: the reaper's deletes (see above).
  explicit HistoryChecker(std::vector<ClientHistory> histories,
                          const std::set<int64_t>& dead_sessions = {},
                          const ServerDeletes& server_deletes = {});
  HistoryChecker(const HistoryChecker&) = delete;
  HistoryChecker& operator=(const HistoryChecker&) = delete;

  std::vector<std::string> CheckProtocol() const;
  std::vector<std::string> CheckSessionOrder() const;
  std::vector<std::string> CheckReadYourWrites() const;
  std::vector<std::string> CheckReadData() const;
  std::vector<std::string> CheckWatchOrder() const;
  std::vector<std::string> CheckOneEventPerWatch() const;
  std::vector<std::string> CheckWriteOrder() const;
  std::vector<std::string> CheckSequentialNumbers() const;
  // `dead_sessions`: every session closed or expired by the end (sessions whose history ends in
  // kClosed/kExpired count as dead as well).
  std::vector<std::string> CheckEphemerals(const server::DataTree& tree,
                                           const std::set<int64_t>& dead_sessions) const;
  std::vector<std::string> CheckAckedWritesDurable(const server::DataTree& tree,
                                                   const std::set<int64_t>& dead_sessions) const;

  // Every check above (the final-tree ones only when `tree` is given).
  std::vector<std::string> CheckAll(const server::DataTree* tree = nullptr,
                                    const std::set<int64_t>& dead_sessions = {}) const;

  // Throws SimFailure (tests/sim/checker.h) listing the violations, if any.
  static void ThrowIfAny(const std::vector<std::string>& violations);

 private:
  // One successful or unknown-outcome write (a multi's ops are separate, sharing the zxid).
  // Write::history of a reaper delete.
  static constexpr size_t kServerHistory = static_cast<size_t>(-1);
  struct Write {
    size_t history = 0;  // kServerHistory: a reaper delete
    size_t op = 0;
    int sub = -1;  // index in the multi, -1 for a single op
    OpCode type = OpCode::kError;
    std::string path;  // the created path for creates (the requested one if unknown)
    int32_t version = kAnyVersion;
    int32_t create_mode = 0;
    int64_t zxid = 0;
    int64_t session = 0;
    const proto::Stat* stat = nullptr;  // into histories_
    std::string data;                   // creates and setData
  };

  void CollectWrites(const ServerDeletes& server_deletes);
  bool Uncertain(const std::string& path) const;
  // The acknowledged writes of `path`, in (history, op) order.
  const std::vector<const Write*>& AckedOf(const std::string& path) const;
  // A session whose ephemerals may vanish at a point no reply shows.
  bool OwnerMayHaveDied(int64_t session, const std::set<int64_t>& dead) const;
  // Some write of `path` (only deletes, if `deletes_only`) after the point (`zxid`, op `sub` of
  // that zxid's multi; kAfterWholeOp: after the whole op) succeeded, or one with an unknown
  // outcome may have happened.
  static constexpr int kAfterWholeOp = 1 << 30;
  bool WrittenLater(const std::string& path, int64_t zxid, bool deletes_only,
                    int sub = kAfterWholeOp) const;
  // `path` may have disappeared after that point without a reply showing it: deleted later (or
  // maybe), or an ephemeral of a session that may have died.
  bool MayVanish(const std::string& path, int64_t zxid, int sub = kAfterWholeOp) const;
  std::set<int64_t> DeadSessions(const std::set<int64_t>& given) const;
  std::string Where(const Write& w) const;
  std::string Where(size_t history, const OpRecord& op) const;
  static std::string Hex(int64_t value);

  std::vector<ClientHistory> histories_;
  std::vector<Write> acked_;    // successful, in (history, op) order
  std::vector<Write> unknown_;  // unknown outcome
  std::vector<Write> reaped_;   // committed reaper deletes (history kServerHistory)
  std::map<std::string, std::vector<const Write*>> acked_by_path_;  // into acked_
  std::set<std::string> unknown_deletes_;
  std::set<std::string> uncertain_paths_;
  std::vector<std::string> uncertain_prefixes_;  // sequential creates with unknown outcome
  std::set<int64_t> closed_at_known_zxid_;       // sessions with a successful closeSession
  std::set<int64_t> died_unseen_;                // expired, or closeSession with unknown outcome
};

}  // namespace zk::sim
