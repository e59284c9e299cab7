// Followers and observers: send LEARNERINFO, accept the leader's new epoch (durably) with
// ACKEPOCH, take the synchronization stream (TRUNC or SNAP, proposals and commits), ack NEWLEADER
// once the history and the current epoch are durable, serve after UPTODATE, then log, ack and
// apply the broadcast. Observers take INFORMs and never ack proposals.
#include <algorithm>

#include "zab/check.h"
#include "zab/config_txn.h"
#include "zab/peer.h"
#include "zab/zxid.h"

namespace zk::zab {

void Peer::LearnStart() {
  serving_ = false;
  epoch_ = 0;
  phase_ = LearnPhase::kConnecting;
  phase_deadline_ = now_ + config_.init_limit_ticks;
  leader_heard_ = now_;
  ackepoch_pending_ = false;
  sync_started_ = false;
  expect_snapshot_ = false;
  newleader_zxid_ = 0;
  newleader_seq_ = 0;
  newleader_acked_ = false;
  acked_zxid_ = 0;
  sync_commit_ = 0;
  if (quorum_links_.contains(vote_.leader)) SendLearnerInfo();
}

void Peer::SendLearnerInfo() {
  phase_ = LearnPhase::kDiscovery;
  ackepoch_pending_ = false;
  sync_started_ = false;
  expect_snapshot_ = false;
  newleader_zxid_ = 0;
  newleader_acked_ = false;
  sync_commit_ = 0;
  Send(vote_.leader, LearnerInfo{accepted_epoch_, last_zxid_, state_ == PeerState::kObserving});
}

void Peer::LearnerStep(ServerId from, Message& msg) {
  leader_heard_ = now_;
  if (std::holds_alternative<Ping>(msg)) {
    if (phase_ != LearnPhase::kConnecting) Send(from, Ping{last_zxid_});
    return;
  }
  switch (phase_) {
    case LearnPhase::kConnecting:
      return;
    case LearnPhase::kDiscovery:
      if (auto* info = std::get_if<LeaderInfo>(&msg)) OnLeaderInfo(*info);
      return;
    case LearnPhase::kSync:
    case LearnPhase::kBroadcast:
      break;
  }
  if (auto* s = std::get_if<SyncStart>(&msg)) {
    OnSyncStart(*s);
  } else if (auto* snap = std::get_if<Snapshot>(&msg)) {
    OnSnapshot(*snap);
  } else if (auto* p = std::get_if<Proposal>(&msg)) {
    OnLearnerProposal(*p);
  } else if (auto* c = std::get_if<Commit>(&msg)) {
    OnLearnerCommit(c->zxid);
  } else if (auto* inform = std::get_if<Inform>(&msg)) {
    OnInform(*inform);
  } else if (auto* nl = std::get_if<NewLeader>(&msg)) {
    OnNewLeader(*nl);
  } else if (std::holds_alternative<UpToDate>(msg)) {
    if (phase_ != LearnPhase::kSync || !newleader_acked_) {
      BecomeLooking("UPTODATE out of order");
      return;
    }
    phase_ = LearnPhase::kBroadcast;
    serving_ = true;
    if (sync_commit_ > 0) ApplyUpTo(sync_commit_);
    CommitConfigsUpTo(sync_commit_);  // also those replayed at restart, applied before
    sync_commit_ = 0;
    known_committed_ = std::max(known_committed_, applied_zxid_);  // the leader is established
    AfterConfigChange();
  } else if (auto* app = std::get_if<AppData>(&msg)) {
    if (phase_ == LearnPhase::kBroadcast) Emit(DeliverAction{from, std::move(app->data)});
  }
}

void Peer::OnLeaderInfo(const LeaderInfo& info) {
  if (info.epoch < accepted_epoch_) {
    BecomeLooking("the leader proposed an epoch older than one already accepted");
    return;
  }
  epoch_ = info.epoch;
  if (epoch_ > accepted_epoch_) {
    accepted_epoch_ = epoch_;
    SaveEpochs();
  }
  phase_ = LearnPhase::kSync;
  ackepoch_pending_ = true;
  MaybeAckEpoch();
}

void Peer::MaybeAckEpoch() {
  // The accepted epoch is durable before ACKEPOCH.
  if (!ackepoch_pending_ || persisted_seq_ < epochs_seq_) return;
  ackepoch_pending_ = false;
  Send(vote_.leader, AckEpoch{current_epoch_, last_zxid_});
}

void Peer::OnSyncStart(const SyncStart& s) {
  if (phase_ != LearnPhase::kSync || sync_started_ || ackepoch_pending_) {
    BecomeLooking("synchronization out of order");
    return;
  }
  sync_started_ = true;
  switch (s.mode) {
    case SyncMode::kDiff:
      break;
    case SyncMode::kTrunc:
      // Only the txns known committed bound a truncation: the committed membership may lie
      // above it when it was learned from an election notification rather than from the log
      // (the DIFF after the TRUNC brings its txn again).
      if (s.zxid < known_committed_) {
        BecomeLooking("the leader asked to truncate committed txns");
        return;
      }
      if (s.zxid < last_zxid_) TruncateLog(s.zxid);
      break;
    case SyncMode::kSnap:
      expect_snapshot_ = true;
      snap_config_ = s.config;
      break;
  }
}

void Peer::OnSnapshot(Snapshot& snap) {
  if (!expect_snapshot_ || snap.zxid < known_committed_) {
    BecomeLooking("unexpected snapshot");
    return;
  }
  expect_snapshot_ = false;
  tail_.clear();
  durable_marks_.clear();
  last_zxid_ = applied_zxid_ = snap.zxid;
  durable_zxid_ = 0;  // until the snapshot is on disk
  // The log is replaced: its pending configs go; the snapshot's membership is pending until the
  // leader is established (UPTODATE).
  pending_.clear();
  QuorumConfig in_force;
  if (!snap_config_.empty() && DecodeQuorumConfig(snap_config_, &in_force) &&
      in_force.version > committed_.version) {
    pending_[in_force.version] = std::move(in_force);
  }
  snap_config_.clear();
  const uint64_t seq = NextSeq();
  durable_marks_.emplace_back(seq, snap.zxid);
  Emit(InstallSnapshotAction{seq, snap.zxid, std::move(snap.data)});
}

void Peer::OnLearnerProposal(Proposal& p) {
  const bool observer = state_ == PeerState::kObserving;
  if (!sync_started_ || expect_snapshot_ || p.zxid <= last_zxid_ ||
      (phase_ == LearnPhase::kBroadcast && (observer || ZxidEpoch(p.zxid) != epoch_))) {
    BecomeLooking("proposal out of order");
    return;
  }
  std::vector<LogEntry> entries;
  entries.push_back(LogEntry{p.zxid, std::move(p.data)});
  AppendToLog(std::move(entries));
  if (observer && phase_ == LearnPhase::kSync && LearnerState() == PeerState::kFollowing) {
    // A pending change in the synchronization stream makes us a voter: the leader syncs us as a
    // follower (OnLearnerInfo), so follow, and ack, from now on.
    state_ = PeerState::kFollowing;
    last_transition_ = "a pending configuration in the synchronization made this server a voter";
  }
}

void Peer::OnLearnerCommit(int64_t zxid) {
  if (!sync_started_ || expect_snapshot_ || zxid > last_zxid_) {
    BecomeLooking("commit of a txn never proposed");
    return;
  }
  if (phase_ != LearnPhase::kBroadcast) {
    // The leader's initial history commits only when its epoch is established (UPTODATE); a
    // leader that fails before that may be followed by one without these txns.
    sync_commit_ = std::max(sync_commit_, zxid);
    return;
  }
  ApplyUpTo(zxid);
  AfterConfigChange();
}

void Peer::OnInform(Inform& inform) {
  // The leader informs an observer of every commit from the end of its synchronization stream
  // on, so INFORMs may arrive before UPTODATE: they are logged then and applied on UPTODATE.
  if (state_ != PeerState::kObserving || !sync_started_ || expect_snapshot_ ||
      inform.zxid <= last_zxid_) {
    BecomeLooking("INFORM out of order");
    return;
  }
  std::vector<LogEntry> entries;
  entries.push_back(LogEntry{inform.zxid, std::move(inform.data)});
  AppendToLog(std::move(entries));
  if (phase_ != LearnPhase::kBroadcast) {
    sync_commit_ = std::max(sync_commit_, inform.zxid);
    return;
  }
  ApplyUpTo(inform.zxid);
  AfterConfigChange();
}

void Peer::OnNewLeader(const NewLeader& nl) {
  if (!sync_started_ || expect_snapshot_ || newleader_zxid_ != 0 ||
      nl.zxid != MakeZxid(epoch_, 0)) {
    BecomeLooking("NEWLEADER out of order");
    return;
  }
  newleader_zxid_ = nl.zxid;
  ZK_CHECK(epoch_ >= current_epoch_);  // epochs never go backwards
  current_epoch_ = epoch_;
  SaveEpochs();  // ordered after the synchronized history: durable together
  newleader_seq_ = epochs_seq_;
  MaybeAckNewLeader();
}

void Peer::MaybeAckNewLeader() {
  if (newleader_zxid_ == 0 || newleader_acked_ || persisted_seq_ < newleader_seq_) return;
  newleader_acked_ = true;
  acked_zxid_ = newleader_zxid_;
  Send(vote_.leader, Ack{newleader_zxid_});
  MaybeAckProposals();
}

void Peer::MaybeAckProposals() {
  if (state_ != PeerState::kFollowing || !newleader_acked_) return;
  if (durable_zxid_ <= acked_zxid_) return;
  acked_zxid_ = durable_zxid_;
  Send(vote_.leader, Ack{acked_zxid_});
}

void Peer::LearnerTick() {
  if (phase_ != LearnPhase::kBroadcast) {
    if (now_ > phase_deadline_) BecomeLooking("not synchronized with the leader within initLimit");
    return;
  }
  if (now_ - leader_heard_ > config_.sync_limit_ticks) BecomeLooking("the leader went silent");
}

}  // namespace zk::zab
