// Peer: inputs, the log tail and the transitions shared by every role. The roles live in
// election.cc, leader.cc and learner.cc.
#include "zab/peer.h"

#include <algorithm>
#include <utility>

#include "zab/check.h"
#include "zab/zxid.h"

namespace zk::zab {

namespace {

bool Contains(const std::vector<ServerId>& ids, ServerId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

std::string PeerConfig::Validate() const {
  if (id <= 0) return "server id must be positive";
  if (voters.empty()) return "no voting members";
  std::vector<ServerId> all = voters;
  all.insert(all.end(), observers.begin(), observers.end());
  std::sort(all.begin(), all.end());
  if (std::adjacent_find(all.begin(), all.end()) != all.end()) return "duplicate server id";
  if (!joining && !Contains(voters, id) && !Contains(observers, id)) {
    return "this server is not a member";
  }
  if (election_retry_ticks < 1 || election_retry_max_ticks < election_retry_ticks)
    return "bad election retry ticks";
  if (finalize_wait_ticks < 0) return "bad finalize wait";
  if (TEST_max_zxid_counter < 1 || TEST_max_zxid_counter > kMaxZxidCounter) {
    return "bad zxid counter limit";
  }
  if (init_limit_ticks < 1 || sync_limit_ticks < 1 || ping_ticks < 1) return "bad limits";
  return "";
}

const char* PeerStateName(PeerState s) {
  switch (s) {
    case PeerState::kLooking:
      return "looking";
    case PeerState::kFollowing:
      return "following";
    case PeerState::kLeading:
      return "leading";
    case PeerState::kObserving:
      return "observing";
  }
  return "?";
}

const char* MessageName(const Message& m) {
  static constexpr const char* kNames[] = {
      "NOTIFICATION", "LEARNERINFO", "LEADERINFO", "ACKEPOCH", "SYNC",
      "SNAP",         "LOGRANGE",    "PROPOSAL",   "COMMIT",   "NEWLEADER",
      "ACK",          "UPTODATE",    "INFORM",     "PING",     "APPDATA"};
  static_assert(std::size(kNames) == std::variant_size_v<Message>);
  return kNames[m.index()];
}

Peer::Peer(PeerConfig config, DurableState restored, LogStore* log, uint64_t seed)
    : config_(std::move(config)), log_(log), rng_(seed) {
  ZK_CHECK(config_.Validate().empty());
  ZK_CHECK(log_ != nullptr);
  ZK_CHECK(restored.current_epoch <= restored.accepted_epoch);
  accepted_epoch_ = restored.accepted_epoch;
  current_epoch_ = restored.current_epoch;
  last_zxid_ = durable_zxid_ = applied_zxid_ = restored.last_zxid;
  committed_ = restored.committed_config
                   ? *restored.committed_config
                   : MakeQuorumConfig(0, config_.voters, config_.observers);
  committed_history_[committed_.version] = committed_;
  for (const QuorumConfig& c : restored.seen_configs) {
    // Above the last zxid: a config whose txn did not survive (the log was cut there).
    if (c.version > committed_.version && c.version <= last_zxid_) pending_[c.version] = c;
  }
  StartElection();
}

Peer::~Peer() = default;


uint64_t Peer::NextRandom() {
  // splitmix64: one seeded stream for every random choice the core makes.
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void Peer::TakeActions(std::vector<Action>* out) {
  ZK_CHECK(out->empty());
  out->swap(actions_);
}

void Peer::Tick() {
  ++now_;
  switch (state_) {
    case PeerState::kLooking:
      ElectionTick();
      break;
    case PeerState::kLeading:
      LeaderTick();
      break;
    case PeerState::kFollowing:
    case PeerState::kObserving:
      LearnerTick();
      break;
  }
}

void Peer::Step(ServerId from, Message msg) {
  // Servers outside the membership may talk too: a joining server follows before it is added.
  if (from == config_.id) return;
  if (auto* n = std::get_if<Notification>(&msg)) {
    OnNotification(from, *n);
    return;
  }
  if (!quorum_links_.contains(from)) return;  // raced with a disconnect: stale
  if (state_ == PeerState::kLeading) {
    LeaderStep(from, msg);
  } else if (auto* info = std::get_if<LearnerInfo>(&msg)) {
    if (state_ == PeerState::kLooking) {
      stashed_infos_[from] = *info;  // may lead soon: kept until the connection goes
    } else {
      // We follow someone else: tell the learner at once, so it looks again within a tick
      // instead of waiting out initLimit.
      Send(from, MyNotification());
    }
  } else if (state_ != PeerState::kLooking && from == vote_.leader) {
    LearnerStep(from, msg);
  }
}

void Peer::Connected(ServerId peer, Channel channel) {
  if (peer == config_.id) return;
  if (channel == Channel::kElection) {
    election_links_.insert(peer);
    // A fresh connection: tell the peer where we stand (it may be looking, or we may be).
    if (state_ == PeerState::kLooking || !IsVoter(peer)) Send(peer, MyNotification());
    return;
  }
  quorum_links_.insert(peer);
  stashed_infos_.erase(peer);
  if ((state_ == PeerState::kFollowing || state_ == PeerState::kObserving) &&
      peer == vote_.leader && phase_ == LearnPhase::kConnecting) {
    SendLearnerInfo();
  }
}

void Peer::Disconnected(ServerId peer, Channel channel) {
  if (channel == Channel::kElection) {
    election_links_.erase(peer);
    return;
  }
  quorum_links_.erase(peer);
  stashed_infos_.erase(peer);
  if (state_ == PeerState::kLeading) {
    learners_.erase(peer);
  } else if (state_ != PeerState::kLooking && peer == vote_.leader) {
    if (phase_ == LearnPhase::kBroadcast) {
      BecomeLooking("lost the connection to the leader");
    } else {
      phase_ = LearnPhase::kConnecting;  // re-sync on the next connection, within initLimit
    }
  }
}

void Peer::Persisted(uint64_t seq) {
  if (seq <= persisted_seq_) return;
  ZK_CHECK(seq <= seq_);
  persisted_seq_ = seq;
  while (!durable_marks_.empty() && durable_marks_.front().first <= seq) {
    durable_zxid_ = std::max(durable_zxid_, durable_marks_.front().second);
    durable_marks_.pop_front();
  }
  TrimTail();
  switch (state_) {
    case PeerState::kLeading:
      MaybeEstablishEpoch();
      MaybeEstablish();
      MaybeCommit();
      break;
    case PeerState::kFollowing:
    case PeerState::kObserving:
      MaybeAckEpoch();
      MaybeAckNewLeader();
      MaybeAckProposals();
      break;
    case PeerState::kLooking:
      break;
  }
}

bool Peer::SendApp(ServerId to, std::string data) {
  if (state_ == PeerState::kLeading) {
    auto it = learners_.find(to);
    if (!serving_ || it == learners_.end() || !it->second.synced) return false;
  } else if (state_ == PeerState::kLooking || to != vote_.leader ||
             phase_ != LearnPhase::kBroadcast) {
    return false;
  }
  Send(to, AppData{std::move(data)});
  return true;
}

void Peer::AppendToLog(std::vector<LogEntry> entries) {
  if (entries.empty()) return;
  const uint64_t seq = NextSeq();
  for (const LogEntry& e : entries) {
    ZK_CHECK(e.zxid > last_zxid_);  // logged zxids strictly increase
    last_zxid_ = e.zxid;
    tail_.push_back(e);
    NoteLoggedConfig(e);
  }
  durable_marks_.emplace_back(seq, last_zxid_);
  Emit(AppendAction{seq, std::move(entries)});
}

void Peer::TruncateLog(int64_t after_zxid) {
  ZK_CHECK(after_zxid >= known_committed_);  // a committed prefix is never truncated
  const bool rebuild = applied_zxid_ > after_zxid;
  pending_.erase(pending_.upper_bound(after_zxid), pending_.end());
  while (!tail_.empty() && tail_.back().zxid > after_zxid) tail_.pop_back();
  while (!durable_marks_.empty() && durable_marks_.back().second > after_zxid) {
    durable_marks_.pop_back();
  }
  last_zxid_ = std::min(last_zxid_, after_zxid);
  durable_zxid_ = std::min(durable_zxid_, after_zxid);
  applied_zxid_ = std::min(applied_zxid_, after_zxid);
  Emit(TruncateAction{NextSeq(), after_zxid, rebuild});
}

void Peer::SaveEpochs() {
  epochs_seq_ = NextSeq();
  Emit(SaveEpochsAction{epochs_seq_, accepted_epoch_, current_epoch_});
}

void Peer::ApplyUpTo(int64_t zxid) {
  ZK_CHECK(zxid <= last_zxid_);
  // Commits seen while synchronizing are the initial history of a leader that may never be
  // established; only an established leader's commits are known committed.
  if (serving_) {
    known_committed_ = std::max(known_committed_, zxid);
    CommitConfigsUpTo(zxid);
  }
  for (LogEntry& e : tail_) {
    if (e.zxid <= applied_zxid_) continue;
    if (e.zxid > zxid) break;
    ZK_CHECK(e.zxid > applied_zxid_);  // applied in zxid order, each once
    applied_zxid_ = e.zxid;
    if (e.zxid <= durable_zxid_) {
      // Durable and now applied: TrimTail below drops the entry, so its bytes move into the
      // action instead of being copied.
      Emit(ApplyAction{LogEntry{e.zxid, std::move(e.data)}});
    } else {
      Emit(ApplyAction{e});
    }
  }
  ZK_CHECK(applied_zxid_ >= zxid || tail_.empty() || tail_.back().zxid < zxid);
  TrimTail();
}

const LogEntry* Peer::TailEntry(int64_t zxid) const {
  auto it = std::lower_bound(tail_.begin(), tail_.end(), zxid,
                             [](const LogEntry& e, int64_t z) { return e.zxid < z; });
  return it != tail_.end() && it->zxid == zxid ? &*it : nullptr;
}

void Peer::TrimTail() {
  const int64_t stable = std::min(durable_zxid_, applied_zxid_);
  while (!tail_.empty() && tail_.front().zxid <= stable) tail_.pop_front();
}

void Peer::BecomeLooking(const char* why) {
  last_transition_ = why;
  if (state_ == PeerState::kLeading) {
    for (const auto& [id, l] : learners_) Emit(DisconnectAction{id});
    learners_.clear();
    outstanding_.clear();
  } else if (state_ != PeerState::kLooking && quorum_links_.contains(vote_.leader)) {
    Emit(DisconnectAction{vote_.leader});
  }
  serving_ = false;
  StartElection();
}

}  // namespace zk::zab
