// The leader: discovery (a new epoch above every accepted epoch of a quorum), synchronization of
// each learner (DIFF, TRUNC or SNAP, then NEWLEADER), establishment once a quorum — itself
// included, under the durability rules — acked NEWLEADER, then broadcast: pipelined proposals
// committed strictly in zxid order once a quorum of voters logged them durably.
#include <algorithm>
#include <cstdint>
#include <set>

#include "zab/check.h"
#include "zab/config_txn.h"
#include "zab/peer.h"
#include "zab/zxid.h"

namespace zk::zab {

void Peer::LeadStart() {
  serving_ = false;
  epoch_ = 0;
  epoch_decided_ = false;
  epoch_established_ = false;
  accepted_epoch_seq_ = 0;
  current_epoch_seq_ = 0;
  learners_.clear();
  outstanding_.clear();
  history_end_ = last_zxid_;
  commit_zxid_ = last_zxid_;  // the initial history commits with the new epoch
  next_counter_ = 1;
  phase_deadline_ = now_ + config_.init_limit_ticks;
  last_ping_ = now_;
  // Learners that connected before we knew we would lead.
  std::map<ServerId, LearnerInfo> early;
  early.swap(stashed_infos_);
  for (const auto& [id, info] : early) OnLearnerInfo(id, info);
  MaybeDecideEpoch();
}

void Peer::LeaderStep(ServerId from, Message& msg) {
  auto it = learners_.find(from);
  if (auto* info = std::get_if<LearnerInfo>(&msg)) {
    if (it == learners_.end()) OnLearnerInfo(from, *info);
    return;
  }
  if (it == learners_.end()) return;  // nothing before LEARNERINFO
  Learner& l = it->second;
  l.last_heard = now_;
  if (auto* ack = std::get_if<AckEpoch>(&msg)) {
    OnAckEpoch(from, *ack);
  } else if (auto* a = std::get_if<Ack>(&msg)) {
    OnLeaderAck(from, a->zxid);
  } else if (auto* app = std::get_if<AppData>(&msg)) {
    if (l.synced) Emit(DeliverAction{from, std::move(app->data)});
  }
  // Ping: last_heard is all it carries.
}

void Peer::OnLearnerInfo(ServerId from, const LearnerInfo& info) {
  Learner& l = learners_[from];
  // The learner's own view of its role decides what it is sent; its acks count only in the
  // memberships that list it as a voter. One exception: a learner that announces itself an
  // observer but votes in a membership of ours (a pending change promotes it, and it has not
  // logged that change yet) is synchronized as a follower. It logs the change from that stream
  // and follows from then on (OnLearnerProposal); as an observer it would only learn the change
  // once committed, and the change may need its ack to commit.
  l.observer = info.observer && !IsVoter(from);
  l.info = info;
  l.last_heard = now_;
  if (epoch_decided_) {
    Send(from, LeaderInfo{epoch_});
  } else {
    MaybeDecideEpoch();
  }
}

void Peer::MaybeDecideEpoch() {
  if (epoch_decided_) return;
  std::set<ServerId> voters{config_.id};
  int64_t max_epoch = accepted_epoch_;
  for (const auto& [id, l] : learners_) {
    if (l.observer) continue;
    voters.insert(id);
    max_epoch = std::max(max_epoch, l.info.accepted_epoch);
  }
  if (!QuorumOfAll(voters)) return;
  epoch_decided_ = true;
  epoch_ = max_epoch + 1;
  ZK_CHECK(epoch_ > accepted_epoch_);  // epochs never go backwards
  accepted_epoch_ = epoch_;
  SaveEpochs();
  accepted_epoch_seq_ = epochs_seq_;
  for (const auto& [id, l] : learners_) Send(id, LeaderInfo{epoch_});
  MaybeEstablishEpoch();
}

void Peer::OnAckEpoch(ServerId from, const AckEpoch& ack) {
  Learner& l = learners_[from];
  if (l.epoch_acked) return;
  if (!l.observer && IsVoter(from) && !epoch_established_ &&
      (ack.current_epoch > current_epoch_ ||
       (ack.current_epoch == current_epoch_ && ack.last_zxid > last_zxid_))) {
    BecomeLooking("a follower has a more recent history than this leader");
    return;
  }
  l.epoch_acked = true;
  l.last_zxid = ack.last_zxid;
  if (epoch_established_) {
    SyncLearner(from, l);
  } else {
    MaybeEstablishEpoch();
  }
}

void Peer::MaybeEstablishEpoch() {
  if (!epoch_decided_ || epoch_established_ || persisted_seq_ < accepted_epoch_seq_) return;
  std::set<ServerId> acked{config_.id};  // ourselves, now that our accepted epoch is durable
  for (const auto& [id, l] : learners_) {
    if (!l.observer && l.epoch_acked) acked.insert(id);
  }
  if (!QuorumOfAll(acked)) return;
  epoch_established_ = true;
  ZK_CHECK(epoch_ > current_epoch_);
  current_epoch_ = epoch_;
  SaveEpochs();
  current_epoch_seq_ = epochs_seq_;
  for (auto& [id, l] : learners_) {
    if (l.epoch_acked) SyncLearner(id, l);
  }
}

bool Peer::LogContains(int64_t zxid) {
  if (TailEntry(zxid) != nullptr) return true;
  Result<int64_t> floor = log_->FloorZxid(zxid);
  return floor.ok() && floor.value() == zxid;
}

int64_t Peer::LogFloor(int64_t zxid) {
  int64_t best = 0;
  for (const LogEntry& e : tail_) {
    if (e.zxid > zxid) break;
    best = e.zxid;
  }
  Result<int64_t> floor = log_->FloorZxid(zxid);
  if (floor.ok()) best = std::max(best, floor.value());
  return best;
}

void Peer::SyncLearner(ServerId id, Learner& l) {
  const int64_t peer_last = l.last_zxid;
  // Where the learner's history and ours part: it keeps everything up to `from`.
  int64_t from = 0;
  SyncMode mode = SyncMode::kSnap;
  const int64_t log_first =
      std::min(log_->FirstZxid() > 0 ? log_->FirstZxid() : INT64_MAX,
               tail_.empty() ? INT64_MAX : tail_.front().zxid);
  if (peer_last == 0 && commit_zxid_ > 0) {
    mode = SyncMode::kSnap;  // an empty server: a snapshot beats replaying the whole log
  } else if (peer_last == commit_zxid_ || peer_last == last_zxid_ ||
             (peer_last > 0 && LogContains(peer_last))) {
    mode = SyncMode::kDiff;
    from = peer_last;
  } else if (log_first != INT64_MAX && peer_last > log_first) {
    mode = SyncMode::kTrunc;
    from = LogFloor(std::min(peer_last, commit_zxid_));
  }
  if (mode == SyncMode::kSnap) {
    // Everything up to `stable` is durable in the log or a snapshot; the driver sends a stored
    // snapshot at or below it plus the logged txns up to it. The tail follows.
    from = std::min(durable_zxid_, applied_zxid_);
    // The snapshot's bytes hide which membership was in force at `from`: say it.
    const QuorumConfig* in_force = ConfigAt(from);
    Send(id, SyncStart{SyncMode::kSnap, from,
                       in_force != nullptr && in_force->version > 0 ? EncodeQuorumConfig(*in_force)
                                                                    : std::string()});
    Send(id, Snapshot{from, {}});
  } else {
    Send(id, SyncStart{mode, from});
    // Entries up to `stable` are durable in the log and no longer in the tail.
    const int64_t range_end = std::min(std::min(durable_zxid_, applied_zxid_), commit_zxid_);
    if (range_end > from) {
      Send(id, LogRange{from, range_end});
      from = range_end;
    }
  }
  // Everything above `from` that we hold in memory (the durable part was sent above).
  for (const LogEntry& e : tail_) {
    if (e.zxid <= from) continue;
    if (l.observer && e.zxid > commit_zxid_) break;  // observers learn commits only
    Send(id, Proposal{e.zxid, e.data});
  }
  if (commit_zxid_ > 0) Send(id, Commit{commit_zxid_});
  Send(id, NewLeader{MakeZxid(epoch_, 0)});
  l.sync_sent = true;
}

void Peer::OnLeaderAck(ServerId from, int64_t zxid) {
  Learner& l = learners_[from];
  if (zxid == MakeZxid(epoch_, 0)) {
    if (!l.sync_sent || l.synced) return;
    l.synced = true;
    if (serving_) {
      Send(from, UpToDate{});
    } else {
      MaybeEstablish();
    }
    return;
  }
  if (!l.synced || l.observer) return;
  l.acked_zxid = std::max(l.acked_zxid, zxid);
  MaybeCommit();
}

void Peer::MaybeEstablish() {
  if (serving_ || !epoch_established_ || persisted_seq_ < current_epoch_seq_) return;
  std::set<ServerId> synced{config_.id};  // ourselves: current epoch and history durable
  for (const auto& [id, l] : learners_) {
    if (!l.observer && l.synced) synced.insert(id);
  }
  if (!QuorumOfAll(synced)) return;
  serving_ = true;
  ApplyUpTo(history_end_);  // the initial history is committed now
  for (const auto& [id, l] : learners_) {
    if (l.synced) Send(id, UpToDate{});
  }
  AfterConfigChange();
}

int64_t Peer::Propose(std::string data) {
  ZK_CHECK(!IsConfigTxn(data));  // a membership change goes through ProposeConfig
  return ProposeEntry(std::move(data));
}

int64_t Peer::ProposeEntry(std::string data) {
  if (state_ != PeerState::kLeading || !serving_) return 0;
  if (next_counter_ > config_.TEST_max_zxid_counter) {
    BecomeLooking("the epoch's zxid counter is exhausted");
    return 0;
  }
  const int64_t zxid = MakeZxid(epoch_, next_counter_++);
  std::vector<ServerId> followers;
  for (const auto& [id, l] : learners_) {
    if (l.sync_sent && !l.observer) followers.push_back(id);
  }
  // One copy of the data for all followers; none without followers (standalone).
  if (!followers.empty()) Broadcast(std::move(followers), Proposal{zxid, data});
  std::vector<LogEntry> entries;
  entries.push_back(LogEntry{zxid, std::move(data)});
  AppendToLog(std::move(entries));
  outstanding_.push_back(zxid);
  MaybeCommit();
  return zxid;
}

void Peer::MaybeCommit() {
  if (!serving_) return;
  const int64_t before = commit_zxid_;
  // The voters that acknowledged the front proposal. Acknowledgements are high-water marks, so
  // the set for a later zxid differs only once the zxid passes the lowest one the set holds
  // (`acks_cover`): it is built again then, not for every zxid of a batch.
  std::set<ServerId> acks;
  int64_t acks_cover = -1;
  while (!outstanding_.empty()) {
    const int64_t zxid = outstanding_.front();
    if (zxid > acks_cover) {
      acks.clear();
      acks_cover = INT64_MAX;
      const auto add = [&](ServerId id, int64_t acked) {
        if (acked < zxid) return;
        acks.insert(id);
        acks_cover = std::min(acks_cover, acked);
      };
      add(config_.id, durable_zxid_);
      for (const auto& [id, l] : learners_) {
        if (!l.observer && l.synced) add(id, l.acked_zxid);
      }
    }
    if (!CommitQuorum(acks, zxid)) break;
    outstanding_.pop_front();
    commit_zxid_ = zxid;
    for (const auto& [id, l] : learners_) {
      if (l.observer && l.sync_sent) Send(id, Inform{zxid, TailEntry(zxid)->data});
    }
    ApplyUpTo(zxid);
  }
  if (commit_zxid_ == before) return;
  std::vector<ServerId> followers;
  for (const auto& [id, l] : learners_) {
    if (!l.observer && l.sync_sent) followers.push_back(id);
  }
  Broadcast(std::move(followers), Commit{commit_zxid_});
  AfterConfigChange();
}

bool Peer::LeaderHasQuorum() const {
  std::set<ServerId> synced{config_.id};
  for (const auto& [id, l] : learners_) {
    if (!l.observer && l.synced && now_ - l.last_heard <= config_.sync_limit_ticks) {
      synced.insert(id);
    }
  }
  return QuorumOfAll(synced);
}

void Peer::LeaderTick() {
  if (!serving_ && now_ > phase_deadline_) {
    BecomeLooking("no quorum synchronized within initLimit");
    return;
  }
  if (now_ - last_ping_ < config_.ping_ticks) return;
  last_ping_ = now_;
  std::vector<ServerId> silent;
  for (const auto& [id, l] : learners_) {
    const int64_t limit = l.synced ? config_.sync_limit_ticks : config_.init_limit_ticks;
    if (now_ - l.last_heard > limit) {
      silent.push_back(id);
    } else {
      Send(id, Ping{commit_zxid_});
    }
  }
  for (ServerId id : silent) {
    learners_.erase(id);
    Emit(DisconnectAction{id});
  }
  if (serving_ && !LeaderHasQuorum()) BecomeLooking("lost the quorum of synced followers");
}

std::vector<LearnerStatus> Peer::Learners() const {
  std::vector<LearnerStatus> out;
  if (state_ != PeerState::kLeading) return out;
  for (const auto& [id, l] : learners_) {
    out.push_back(LearnerStatus{id, l.observer, l.synced, l.acked_zxid});
  }
  return out;
}

}  // namespace zk::zab
