// ReaperAudit: checks the deletes the leader's container/TTL reaper (server/container_reaper.h)
// makes, and collects them for the HistoryChecker, whose clients never see who deleted a node.
//
// A reaper delete is a txn like any other (type deleteContainer, session 0), so the audit reads
// it where the members apply it: just before a member applies a committed deleteContainer txn,
// its own tree is exactly the state at the zxid before, and there
//   [reaper-container]  a container being deleted has no child;
//   [reaper-ttl]        a TTL node being deleted has no child and its TTL has passed since its
//                       mtime (by the txn's time: every simulated server's wall clock is the
//                       simulated time, so the leader's stamp is the true time);
//   [reaper]            the node exists and is a container or a TTL node.
// A violation throws SimFailure at once. Every member checks each delete it applies, so a delete
// a member only replays from its log at a restart is still checked where the others apply it.
//
// For the HistoryChecker: the deletes applied anywhere are committed, at their zxid; deletes
// proposed (and not withdrawn) but never seen applied — a member may take a txn into its tree
// only by replaying its log at a restart, or the proposal may have been dropped — may or may not
// have happened ("maybe").
//
// At the end (Unreaped): what a tree still holds that the reaper must remove — a childless
// container with cversion > 0, a childless TTL node past its TTL.
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "server/data_tree.h"
#include "tests/sim/history_checker.h"
#include "zab/log_store.h"
#include "zab/messages.h"

namespace zk::sim {

class ReaperAudit {
 public:
  // A leader is about to propose `data` as `zxid`; Withdrawn when the proposal was refused.
  void Proposed(int64_t zxid, const std::string& data);
  void Withdrawn(int64_t zxid);
  // Server `id` is about to apply the committed `entry` onto `tree`.
  void BeforeApply(zab::ServerId id, const server::DataTree& tree, const zab::LogEntry& entry);

  // The reaper's deletes: committed (seen applied) and maybe (proposed, never seen applied).
  ServerDeletes Deletes() const;
  int64_t committed_deletes() const { return static_cast<int64_t>(applied_.size()); }

  // The first node of `tree` that the reaper should have removed by `wall_ms`, described; empty
  // when there is none.
  static std::string Unreaped(const server::DataTree& tree, int64_t wall_ms);

 private:
  std::map<int64_t, std::string> proposed_;  // zxid -> path of each proposed reaper delete
  std::map<int64_t, std::string> applied_;   // zxid -> path, seen applied by some member
};

}  // namespace zk::sim
