// Checker: the safety properties of a run, checked as it happens; the first violation throws
// SimFailure with a message naming the servers and zxids involved.
//
//   integrity      every txn a server applies, logs at restart, or sends as a proposal was
//                  proposed by a leader with that zxid and exactly those bytes;
//   total order    each server applies strictly increasing zxids (per incarnation);
//   agreement and  every applied zxid carries the same bytes everywhere; the zxids applied
//   primary order  anywhere, plus every established leader's initial history, form one
//                  history G (a txn may join G only above all of it; an established history
//                  must match G wherever G reaches), and a
//                  server's tree, when it applies z, holds exactly G's txns up to z above its
//                  snapshot (nothing skipped, nothing foreign) — so histories are prefixes of G
//                  however restarts and snapshots interleave;
//   no lost acks   a write is acknowledged when its leader applies it; every leader established
//                  later holds it durably (log or snapshot), and at the end of the liveness
//                  phase every server's tree holds it;
//   one leader     at most one leader is ever established per epoch, and a learner serves only
//                  under the leader established for its epoch;
//   digests        trees at equal zxids have equal DataTree digests, on every change (apply,
//                  snapshot install, rebuild, restart);
//   membership     every server's committed membership is the static one or the config of a
//                  config txn in G at its version (so all agree on the membership at each
//                  zxid), and a pending one matches G wherever G has its txn;
//   joint quorum   when a leader commits z, a quorum of the membership in force below z (per
//                  G) holds z durably, and for a config txn also a quorum of its new
//                  membership: no txn is committed by one side's quorum alone.
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/sim/state_machine.h"
#include "zab/quorum_config.h"
#include "zab/messages.h"

namespace zk::sim {

class SimDisk;

struct SimFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Checker {
 public:
  // A leader proposed `data` as `zxid` (also used to seed txns written to disks by tests).
  void OnPropose(zab::ServerId leader, int64_t zxid, const std::string& data);
  // A proposal registered by OnPropose that the leader refused (it was never sent).
  void WithdrawProposal(int64_t zxid);
  // A proposal or inform on the wire.
  void OnWireTxn(zab::ServerId from, int64_t zxid, const std::string& data);
  // A server applied `entry` (ApplyAction); `prev` was its tree's zxid before; `leading` whether
  // it is the serving leader.
  void OnApply(zab::ServerId node, const zab::LogEntry& entry, int64_t prev, bool leading,
               const StateMachine& sm);
  // A server's tree was replaced (snapshot installed, rebuilt, or restarted: `restart`).
  void OnTreeReset(zab::ServerId node, const StateMachine& sm, bool restart, const char* why);
  // A server started serving: a leader establishing `epoch` with history up to `last_zxid`
  // (which then counts as committed), or a learner of `leader`.
  void OnServing(zab::ServerId node, bool is_leader, int64_t epoch, zab::ServerId leader,
                 int64_t last_zxid, SimDisk* disk);
  // The servers whose disks the joint-quorum check reads, and the static membership.
  void AddDisk(zab::ServerId node, SimDisk* disk) { disks_[node] = disk; }
  void SetStaticConfig(const zab::QuorumConfig& c);
  // The serving leader `node` committed (applied) `zxid`.
  void OnLeaderCommit(zab::ServerId node, int64_t zxid);
  // A server's committed membership and its newest pending one (may be null).
  void OnMembership(zab::ServerId node, const zab::QuorumConfig& committed,
                    const zab::QuorumConfig* pending);
  // End of the run: every activated membership turned out to be a committed config txn.
  void CheckClaims();
  size_t config_changes() const { return config_txns_.size(); }
  // End of the liveness phase: every acknowledged write up to `upto` is in this server's tree.
  void CheckHoldsAcked(zab::ServerId node, const StateMachine& sm, int64_t upto);

  const std::set<int64_t>& acked() const { return acked_; }
  int64_t committed_max() const { return history_.empty() ? 0 : history_.rbegin()->first; }
  size_t committed_count() const { return history_.size(); }
  size_t established_count() const { return leaders_.size(); }

 private:
  [[noreturn]] void Fail(const std::string& what);
  void CheckDigest(zab::ServerId node, int64_t zxid, uint64_t digest);
  void CheckProposed(const char* what, zab::ServerId node, int64_t zxid, const std::string& data);
  void CheckContents(zab::ServerId node, const StateMachine& sm, int64_t upto);

  void NoteConfigTxn(int64_t zxid, const std::string& data);
  // The config in force just below `zxid` per G.
  const zab::QuorumConfig& ConfigBelow(int64_t zxid) const;

  std::map<zab::ServerId, SimDisk*> disks_;
  zab::QuorumConfig static_config_;
  std::map<int64_t, zab::QuorumConfig> config_txns_;  // config txns in G, by zxid
  // Activations of config txns G does not have yet: version -> (server, config).
  std::map<int64_t, std::pair<zab::ServerId, zab::QuorumConfig>> claims_;
  std::map<int64_t, std::string> proposed_;
  std::map<int64_t, zab::ServerId> proposer_;
  std::map<int64_t, std::string> history_;  // G: zxid -> bytes of every txn applied anywhere
  std::set<int64_t> acked_;
  std::map<int64_t, zab::ServerId> leaders_;       // established epoch -> leader
  std::map<int64_t, uint64_t> digests_;            // zxid -> tree digest there
  std::map<zab::ServerId, int64_t> last_applied_;  // per incarnation
  std::map<zab::ServerId, int64_t> verified_;      // tree contents checked against G up to
};

}  // namespace zk::sim
