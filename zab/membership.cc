// Peer: dynamic membership. The committed configuration and the pending ones (config txns
// logged above it), the quorum rules over them, activation on commit, and what a change does
// to the leader and its learners. ProposeConfig lives here too.
#include <algorithm>

#include "zab/check.h"
#include "zab/config_txn.h"
#include "zab/peer.h"
#include "zab/zxid.h"

namespace zk::zab {

namespace {
constexpr size_t kMembershipHistoryKept = 16;
}  // namespace

bool Peer::IsVoter(ServerId id) const {
  if (committed_.IsVoter(id)) return true;
  for (const auto& [v, c] : pending_) {
    if (c.IsVoter(id)) return true;
  }
  return false;
}

bool Peer::IsObserverRole(ServerId id) const {
  if (IsVoter(id)) return false;
  const QuorumConfig& newest = pending_.empty() ? committed_ : pending_.rbegin()->second;
  return newest.IsObserver(id);
}

PeerState Peer::LearnerState() const {
  return IsObserverRole(config_.id) ? PeerState::kObserving : PeerState::kFollowing;
}

bool Peer::QuorumOfAll(const std::set<ServerId>& ids) const {
  if (!committed_.IsQuorum(ids)) return false;
  for (const auto& [v, c] : pending_) {
    if (!c.IsQuorum(ids)) return false;
  }
  return true;
}

bool Peer::QuorumToJoin(const std::set<ServerId>& ids, const Vote& leader) const {
  if (!committed_.IsQuorum(ids)) return false;
  for (const auto& [v, c] : pending_) {
    // The leader established an epoch above leader.epoch with the log it had when elected.
    const bool outside_its_history = v > leader.zxid && ZxidEpoch(v) <= leader.epoch;
    if (!outside_its_history && !c.IsQuorum(ids)) return false;
  }
  return true;
}

bool Peer::CommitQuorum(const std::set<ServerId>& ids, int64_t zxid) const {
  if (config_.TEST_commit_with_new_quorum_only) {
    const QuorumConfig* newest = &committed_;
    for (const auto& [v, c] : pending_) {
      if (v <= zxid) newest = &c;
    }
    return newest->IsQuorum(ids);
  }
  if (!committed_.IsQuorum(ids)) return false;
  for (const auto& [v, c] : pending_) {
    if (v > zxid) break;
    if (!c.IsQuorum(ids)) return false;
  }
  return true;
}

std::set<ServerId> Peer::AllVoters() const {
  std::set<ServerId> out(committed_.voters.begin(), committed_.voters.end());
  for (const auto& [v, c] : pending_) out.insert(c.voters.begin(), c.voters.end());
  return out;
}

std::set<ServerId> Peer::AllObservers() const {
  std::set<ServerId> out(committed_.observers.begin(), committed_.observers.end());
  for (const auto& [v, c] : pending_) out.insert(c.observers.begin(), c.observers.end());
  return out;
}

void Peer::NoteLoggedConfig(const LogEntry& e) {
  if (!IsConfigTxn(e.data)) return;
  QuorumConfig c;
  std::string_view txn;
  if (!DecodeConfigTxn(e.data, &c, &txn)) return;
  c.version = e.zxid;
  if (c.version > committed_.version) pending_[c.version] = std::move(c);
}

void Peer::CommitConfigsUpTo(int64_t zxid) {
  auto end = pending_.upper_bound(zxid);
  if (end == pending_.begin()) return;
  AdoptCommittedConfig(std::prev(end)->second);
}

void Peer::AdoptCommittedConfig(QuorumConfig config) {
  // Pending configs at or below it were superseded (one change is pending at a time); newer ones
  // stay pending.
  pending_.erase(pending_.begin(), pending_.upper_bound(config.version));
  committed_ = std::move(config);
  committed_history_[committed_.version] = committed_;
  while (committed_history_.size() > kMembershipHistoryKept) {
    committed_history_.erase(committed_history_.begin());
  }
  config_changed_ = true;
  Emit(SaveConfigAction{NextSeq(), committed_});
}

const QuorumConfig* Peer::ConfigAt(int64_t zxid) const {
  const QuorumConfig* best = nullptr;
  for (const auto& [v, c] : committed_history_) {
    if (v <= zxid) best = &c;
  }
  for (const auto& [v, c] : pending_) {
    if (v <= zxid) best = &c;
  }
  return best;
}

void Peer::AfterConfigChange() {
  if (!config_changed_) return;
  config_changed_ = false;
  if (state_ == PeerState::kLeading) {
    if (!committed_.IsVoter(config_.id)) {
      // The leader removed itself: once the change is committed (and its COMMIT sent) it stops
      // leading; the voters of the new membership elect a leader among themselves.
      BecomeLooking("removed from the voters by a committed configuration");
      return;
    }
    std::vector<ServerId> drop;
    for (const auto& [id, l] : learners_) {
      bool member = committed_.IsMember(id);
      for (const auto& [v, c] : pending_) member = member || c.IsMember(id);
      // Outside the membership, or in the other role: it joins again (in its new role).
      if (!member || (committed_.IsMember(id) && l.observer != committed_.IsObserver(id))) {
        drop.push_back(id);
      }
    }
    for (ServerId id : drop) {
      learners_.erase(id);
      Emit(DisconnectAction{id});
    }
    if (serving_ && !LeaderHasQuorum()) BecomeLooking("lost the quorum of synced followers");
    return;
  }
  if ((state_ == PeerState::kFollowing || state_ == PeerState::kObserving) &&
      state_ != LearnerState()) {
    BecomeLooking("a committed configuration changed this server's role");
  }
}

ConfigProposal Peer::ProposeConfig(QuorumConfig next, std::string txn) {
  if (state_ != PeerState::kLeading || !serving_) return {ConfigChange::kNotLeader, 0};
  if (!pending_.empty()) return {ConfigChange::kInProgress, 0};
  next = NormalizeProposedConfig(std::move(next));
  if (!next.Validate().empty()) return {ConfigChange::kInvalid, 0};
  std::set<ServerId> synced{config_.id};
  for (const auto& [id, l] : learners_) {
    if (!l.observer && l.synced && now_ - l.last_heard <= config_.sync_limit_ticks) {
      synced.insert(id);
    }
  }
  if (!next.IsQuorum(synced)) return {ConfigChange::kNoQuorum, 0};
  const int64_t expected = NextZxid();
  const int64_t zxid = ProposeEntry(ConfigProposalEntry(std::move(next), expected, txn));
  if (zxid == 0) return {ConfigChange::kNotLeader, 0};
  ZK_CHECK(zxid == expected);
  return {ConfigChange::kProposed, zxid};
}

}  // namespace zk::zab
