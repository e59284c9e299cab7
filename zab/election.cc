// Fast leader election. A looking voter proposes the best vote it knows — ordered by (current
// epoch, last zxid, server id) — and re-broadcasts whenever it adopts a better one. Election
// rounds are logical clocks: a higher round restarts the tally, a lower one is answered with our
// vote. A voter decides once a quorum of voters backs its vote and either every connected voter
// has voted or finalize_wait_ticks passed without a better vote. Servers already following or
// leading answer a looking server with the vote they decided; a server joins an existing leader
// once a quorum of such votes agree and the leader itself says it is leading. Observers propose
// nobody and follow only an announced leader.
#include <algorithm>

#include "zab/peer.h"
#include "zab/quorum_config.h"

namespace zk::zab {

Notification Peer::MyNotification() const {
  Notification n{vote_, round_, state_, committed_.version, {}};
  if (committed_.version != 0) n.config = EncodeQuorumConfig(committed_);
  return n;
}

void Peer::StartElection() {
  state_ = PeerState::kLooking;
  serving_ = false;
  ++round_;
  received_.clear();
  outside_.clear();
  decide_at_ = -1;
  vote_ = IsVoter(config_.id) ? Vote{config_.id, last_zxid_, current_epoch_} : Vote{};
  notify_backoff_ = config_.election_retry_ticks;
  next_notify_ = now_ + notify_backoff_;
  BroadcastNotification();
  if (IsVoter(config_.id)) {
    received_[config_.id] = vote_;
    EvaluateVotes();
  }
}

void Peer::BroadcastNotification() {
  const Notification n = MyNotification();
  for (ServerId v : AllVoters()) {
    if (v != config_.id) Send(v, n);
  }
}

bool Peer::QuorumAgrees(const std::map<ServerId, Vote>& votes, const Vote& v) const {
  std::set<ServerId> agree;
  for (const auto& [id, vote] : votes) {
    if (vote == v) agree.insert(id);
  }
  // The committed membership, and while a change is pending the new one too.
  return QuorumOfAll(agree);
}

void Peer::EvaluateVotes() {
  if (!IsVoter(config_.id) || !QuorumAgrees(received_, vote_)) {
    decide_at_ = -1;
    return;
  }
  // Every voter we can hear from has voted: no better vote can still be on its way.
  bool all_heard = true;
  for (ServerId v : AllVoters()) {
    if (v != config_.id && election_links_.contains(v) && !received_.contains(v)) {
      all_heard = false;
    }
  }
  if (all_heard || config_.finalize_wait_ticks == 0) {
    Decide(vote_);
  } else if (decide_at_ < 0) {
    decide_at_ = now_ + config_.finalize_wait_ticks;
  }
}

void Peer::OnNotification(ServerId from, const Notification& n) {
  // A server that knows a newer committed membership: activate it, and look again under it if
  // we are looking. Either we hold its config txn pending (a removed leader's last COMMIT did not
  // reach us), or we missed the change entirely (down, partitioned, or never synced) and take the
  // membership the notification carries. A leader that never heard of a committed change has
  // been replaced without knowing it: it steps down first.
  if (n.config_version > committed_.version) {
    QuorumConfig carried;
    const bool held = pending_.contains(n.config_version);
    const bool learned = !held && !n.config.empty() && DecodeQuorumConfig(n.config, &carried) &&
                         carried.version == n.config_version && carried.Validate().empty();
    if (held) CommitConfigsUpTo(n.config_version);
    if (learned) AdoptCommittedConfig(std::move(carried));
    if (learned && state_ == PeerState::kLeading) {
      config_changed_ = false;
      BecomeLooking("a membership this leader never proposed committed elsewhere");
    } else if (held || learned) {
      if (state_ == PeerState::kLooking) {
        config_changed_ = false;
        StartElection();
      } else {
        AfterConfigChange();
      }
    }
  }
  const bool from_voter = IsVoter(from);
  if (!from_voter && n.state == PeerState::kLooking) {
    // Observers (and servers outside the membership) learn the election's outcome from voters.
    // The same answer goes at most once a tick: a server that counts us as a voter while we do
    // not count it (its view of the membership differs) would otherwise trade answers with us
    // without end.
    TellOncePerTick(from);
    return;
  }
  // A server that is no voter to us and does not look may still lead (or follow the leader of)
  // a membership we have not seen yet: a looking server keeps what it says to confirm that
  // leader below, and ignores it otherwise.
  if (!from_voter && state_ != PeerState::kLooking) return;
  if (state_ != PeerState::kLooking) {
    if (n.state == PeerState::kLooking) Send(from, MyNotification());
    // The server we chose to follow follows (or observes) another: it will never lead this
    // round, so look again now rather than after initLimit.
    if (state_ != PeerState::kLeading && from == vote_.leader &&
        (n.state == PeerState::kFollowing || n.state == PeerState::kObserving)) {
      BecomeLooking("the server chosen as leader follows another");
    }
    return;
  }
  if (n.state == PeerState::kLooking) {
    if (!IsVoter(config_.id)) {
      // Not a voter as far as we know, but a pending membership we have not seen yet may make
      // us one: back the best vote we hear (never ourselves) so that servers counting us can
      // decide. Each sender hears back once per vote of its. Observers still follow only an
      // announced leader.
      if (n.round < round_) return;
      if (n.round > round_) {
        round_ = n.round;
        received_.clear();
        vote_ = n.vote;
      } else if (vote_.leader == 0 || BetterVote(n.vote, vote_)) {
        vote_ = n.vote;
      }
      auto seen = received_.find(from);
      if (seen != received_.end() && seen->second == n.vote) return;
      received_[from] = n.vote;
      Send(from, MyNotification());
      return;
    }
    if (n.round > round_) {
      round_ = n.round;
      received_.clear();
      const Vote mine{config_.id, last_zxid_, current_epoch_};
      vote_ = BetterVote(n.vote, mine) ? n.vote : mine;
      BroadcastNotification();
    } else if (n.round < round_) {
      Send(from, MyNotification());
      return;
    } else if (BetterVote(n.vote, vote_)) {
      vote_ = n.vote;
      BroadcastNotification();
    }
    received_[from] = n.vote;
    received_[config_.id] = vote_;
    EvaluateVotes();
    return;
  }
  // The sender follows or leads: join its leader if a quorum agrees and the leader confirms.
  outside_[from] = n;
  if (from_voter && n.round == round_ && IsVoter(config_.id)) received_[from] = n.vote;
  if (n.vote.leader == config_.id) {
    // They follow us, elected in a round we have since left (a server still looking pulled us
    // on): a quorum of them following our current vote is enough to lead. Discovery still
    // steps down if a follower's history is more recent, as after any election.
    const Vote mine{config_.id, last_zxid_, current_epoch_};
    if (!IsVoter(config_.id) || !(n.vote == mine)) return;
    std::set<ServerId> behind_us{config_.id};
    for (const auto& [id, on] : outside_) {
      if (on.state == PeerState::kFollowing && on.vote == mine) behind_us.insert(id);
    }
    if (QuorumOfAll(behind_us)) {
      round_ = std::max(round_, n.round);
      Decide(mine);
    }
    return;
  }
  if (!LeaderConfirmed(n.vote)) {
    // A leader that is no voter to us (a pending membership we lack may make it one) never
    // hears our broadcasts: ask it directly; its answer confirms it.
    if (!IsVoter(n.vote.leader)) TellOncePerTick(n.vote.leader);
    return;
  }
  // Servers that joined the same leader in different rounds report different votes for it (each
  // the vote it decided): outside the election only the leader they follow counts.
  std::set<ServerId> behind_leader;
  for (const auto& [id, on] : outside_) {
    if (on.vote.leader == n.vote.leader) behind_leader.insert(id);
  }
  const bool in_round = n.round == round_ && IsVoter(config_.id) && QuorumAgrees(received_, n.vote);
  if (in_round || QuorumToJoin(behind_leader, outside_.at(n.vote.leader).vote)) {
    round_ = std::max(round_, n.round);
    Decide(n.vote);
  }
}

void Peer::TellOncePerTick(ServerId to) {
  Notification mine = MyNotification();
  auto [it, fresh] = told_.try_emplace(to, now_, mine);
  if (!fresh && it->second.first == now_ && it->second.second == mine) return;
  it->second = {now_, mine};
  Send(to, std::move(mine));
}

bool Peer::LeaderConfirmed(const Vote& v) const {
  if (v.leader == config_.id) return false;  // we are looking, so we do not lead anything
  auto it = outside_.find(v.leader);
  return it != outside_.end() && it->second.state == PeerState::kLeading &&
         it->second.vote.leader == v.leader;
}

void Peer::ElectionTick() {
  if (decide_at_ >= 0 && now_ >= decide_at_) {
    decide_at_ = -1;
    if (QuorumAgrees(received_, vote_)) {
      Decide(vote_);
      return;
    }
  }
  if (now_ >= next_notify_) {
    BroadcastNotification();
    notify_backoff_ = std::min(notify_backoff_ * 2, config_.election_retry_max_ticks);
    // A little jitter keeps servers that lost a leader together from retrying in lockstep.
    next_notify_ = now_ + notify_backoff_ + static_cast<int64_t>(NextRandom() % 2);
  }
}

void Peer::Decide(const Vote& v) {
  vote_ = v;
  decide_at_ = -1;
  received_.clear();
  outside_.clear();
  if (v.leader == config_.id) {
    state_ = PeerState::kLeading;
  } else {
    state_ = LearnerState();
  }
  // Observers wait for an announced leader: tell them.
  const Notification n = MyNotification();
  for (ServerId o : AllObservers()) {
    if (o != config_.id) Send(o, n);
  }
  if (state_ == PeerState::kLeading) {
    LeadStart();
  } else {
    // Learners that took us for their leader while we were looking: we will not lead.
    for (const auto& entry : stashed_infos_) Send(entry.first, n);
    stashed_infos_.clear();
    LearnStart();
  }
}

}  // namespace zk::zab
