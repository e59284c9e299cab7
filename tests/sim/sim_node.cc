#include "tests/sim/sim_node.h"

#include <algorithm>

#include "server/txn.h"
#include "zab/zxid.h"

namespace zk::sim {

SimNode::SimNode(zab::PeerConfig config, NodeOptions options, SimContext ctx)
    : config_(std::move(config)), options_(options), ctx_(ctx) {}

void SimNode::Fail(const std::string& what) { throw SimFailure(Name() + ": " + what); }

void SimNode::Restart() {
  alive_ = true;
  ++incarnation_;
  disk_busy_ = false;
  persisted_after_batch_ = 0;
  served_ = false;
  int cut = disk_.Recover();
  Rebuild("restart", true);
  zab::DurableState d = disk_.Durable();
  ctx_.trace->Note(10, config_.id, d.last_zxid, cut);
  if (ctx_.trace->verbose()) {
    ctx_.trace->Print(Name() + ": start: accepted epoch " + std::to_string(d.accepted_epoch) +
                      ", current epoch " + std::to_string(d.current_epoch) + ", last " +
                      Hex(d.last_zxid) + ", snapshot " + Hex(disk_.snapshot_zxid()) +
                      (cut > 0 ? ", cut " + std::to_string(cut) + " damaged log records" : ""));
  }
  peer_ = std::make_unique<zab::Peer>(config_, d, &disk_, ctx_.rng->Next());
  ScheduleTick();
  ctx_.net->NodeUp(config_.id);
  Drain();
}

void SimNode::Crash(bool tear) {
  if (!alive_) return;
  alive_ = false;
  ++incarnation_;
  std::string what = disk_.Crash(ctx_.rng, tear);
  peer_.reset();
  prep_.reset();
  served_ = false;
  ctx_.trace->Note(11, config_.id);
  if (ctx_.trace->verbose()) ctx_.trace->Print(Name() + ": CRASH (" + what + ")");
  ctx_.net->NodeDown(config_.id);
}

void SimNode::ScheduleTick() {
  uint64_t inc = incarnation_;
  ctx_.queue->After(kUnitsPerTick, [this, inc] { Tick(inc); });
}

void SimNode::Tick(uint64_t incarnation) {
  if (!alive_ || incarnation != incarnation_) return;
  peer_->Tick();
  Drain();
  MaybeCompact();
  ScheduleTick();
}

void SimNode::OnConnected(zab::ServerId peer, zab::Channel ch) {
  if (!alive_) return;
  peer_->Connected(peer, ch);
  Drain();
}

void SimNode::OnDisconnected(zab::ServerId peer, zab::Channel ch) {
  if (!alive_) return;
  peer_->Disconnected(peer, ch);
  Drain();
}

void SimNode::OnMessage(zab::ServerId from, zab::Message msg) {
  if (!alive_) return;
  peer_->Step(from, std::move(msg));
  Drain();
}

void SimNode::ScheduleDisk() {
  if (disk_busy_ || !disk_.HasPending()) return;
  disk_busy_ = true;
  int64_t delay = ctx_.rng->PerMille(options_.disk_slow_per_mille)
                      ? ctx_.rng->Range(options_.disk_max_delay, options_.disk_slow_delay)
                      : ctx_.rng->Range(options_.disk_min_delay, options_.disk_max_delay);
  uint64_t inc = incarnation_;
  ctx_.queue->After(delay, [this, inc] { DiskDone(inc); });
}

void SimNode::DiskDone(uint64_t incarnation) {
  if (!alive_ || incarnation != incarnation_) return;
  disk_busy_ = false;
  if (!disk_.HasPending()) return;
  // Group commit: one sync makes everything queued durable, or sometimes only a prefix.
  uint64_t n =
      ctx_.rng->PerMille(700) ? disk_.pending_count() : 1 + ctx_.rng->Below(disk_.pending_count());
  uint64_t seq = 0;
  for (uint64_t i = 0; i < n; ++i) seq = disk_.CompleteOne();
  ctx_.trace->Note(12, config_.id, static_cast<int64_t>(seq));
  if (ctx_.trace->verbose()) ctx_.trace->Print(Name() + ": persisted seq " + std::to_string(seq));
  peer_->Persisted(seq);
  Drain();
  ScheduleDisk();
}

void SimNode::Drain() {
  while (alive_ && peer_->HasActions()) {
    std::vector<zab::Action> actions = peer_->TakeActions();
    for (zab::Action& a : actions) Carry(a);
    if (persisted_after_batch_ > 0) {
      uint64_t seq = persisted_after_batch_;
      persisted_after_batch_ = 0;
      if (ctx_.trace->verbose()) {
        ctx_.trace->Print(Name() + ": persisted seq " + std::to_string(seq) + " (flushed)");
      }
      peer_->Persisted(seq);
    }
  }
  if (alive_) {
    Observe();
    ScheduleDisk();
  }
}

void SimNode::Carry(zab::Action& action) {
  ctx_.trace->Note(20 + action.index(), config_.id);
  if (ctx_.trace->verbose()) ctx_.trace->Print(Name() + ": " + Describe(action));
  std::visit(
      [&](auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, zab::AppendAction> ||
                      std::is_same_v<T, zab::SaveEpochsAction>) {
          disk_.Enqueue(std::move(a));
        } else if constexpr (std::is_same_v<T, zab::TruncateAction>) {
          const bool rebuild = a.rebuild_state;
          const int64_t after = a.after_zxid;
          disk_.Enqueue(std::move(a));
          if (rebuild) {
            while (disk_.HasPending()) persisted_after_batch_ = disk_.CompleteOne();
            if (disk_.snapshot_zxid() > after) {
              Fail("truncate after " + Hex(after) + " below the durable snapshot at " +
                   Hex(disk_.snapshot_zxid()));
            }
            Rebuild("truncate", false);
          }
        } else if constexpr (std::is_same_v<T, zab::InstallSnapshotAction>) {
          std::string err = sm_.Reset(a.zxid, a.data);
          if (!err.empty()) Fail("snapshot at " + Hex(a.zxid) + " does not load: " + err);
          prep_.reset();
          ctx_.checker->OnTreeReset(config_.id, sm_, false, "snapshot");
          disk_.Enqueue(std::move(a));
        } else if constexpr (std::is_same_v<T, zab::ApplyAction>) {
          // A leader applies its initial history in the same step that establishes it: record
          // the establishment (which commits that history) first.
          Observe();
          int64_t prev = sm_.last_zxid();
          std::string err = sm_.Apply(a.entry);
          if (!err.empty()) Fail("apply " + Hex(a.entry.zxid) + ": " + err);
          if (prep_) prep_->Applied(a.entry.zxid);
          ctx_.checker->OnApply(config_.id, a.entry, prev, serving_leader(), sm_);
        } else if constexpr (std::is_same_v<T, zab::SendAction>) {
          if (a.to == config_.id) Fail("sends " + Describe(a.msg) + " to itself");
          if (auto* range = std::get_if<zab::LogRange>(&a.msg)) {
            SendLogged(a.to, range->after, range->upto, "LOGRANGE");
            return;
          }
          if (auto* snap = std::get_if<zab::Snapshot>(&a.msg); snap && snap->data.empty()) {
            // The newest stored snapshot, then the logged txns after it up to the requested zxid.
            const int64_t upto = snap->zxid;
            const int64_t base = disk_.snapshot_zxid();
            if (base > upto) {
              Fail("SNAPSHOT up to " + Hex(upto) + " requested, but the stored snapshot is at " +
                   Hex(base));
            }
            ctx_.net->Send(config_.id, a.to, zab::Snapshot{base, disk_.snapshot_data()});
            SendLogged(a.to, base, upto, "SNAPSHOT");
            return;
          }
          if (auto* p = std::get_if<zab::Proposal>(&a.msg)) {
            ctx_.checker->OnWireTxn(config_.id, p->zxid, p->data);
          } else if (auto* inf = std::get_if<zab::Inform>(&a.msg)) {
            ctx_.checker->OnWireTxn(config_.id, inf->zxid, inf->data);
          }
          ctx_.net->Send(config_.id, a.to, std::move(a.msg));
        } else if constexpr (std::is_same_v<T, zab::DisconnectAction>) {
          ctx_.net->Close(config_.id, a.peer, zab::Channel::kQuorum);
        } else {
          ++app_delivered_;
          if (on_app_data) {
            uint64_t inc = incarnation_;
            ctx_.queue->After(0, [this, inc, from = a.from, data = std::move(a.data)] {
              if (alive_ && inc == incarnation_) on_app_data(from, data);
            });
          }
        }
      },
      action);
}

void SimNode::SendLogged(zab::ServerId to, int64_t after, int64_t upto, const char* what) {
  if (upto <= after) return;
  std::vector<zab::LogEntry> entries;
  (void)disk_.Read(after + 1, upto, SIZE_MAX, &entries);
  // Complete: it reaches `upto`, and the log was not purged into the range (purging removes
  // only entries below the stored snapshot).
  const bool purged =
      after < disk_.snapshot_zxid() && (disk_.FirstZxid() == 0 || disk_.FirstZxid() > after);
  if (entries.empty() || entries.back().zxid != upto || purged) {
    Fail(std::string(what) + " (" + Hex(after) + ", " + Hex(upto) +
         "] is not in the durable log (durable " + Hex(disk_.FirstZxid()) + ".." +
         Hex(disk_.LastZxid()) + ", snapshot " + Hex(disk_.snapshot_zxid()) + ")");
  }
  for (zab::LogEntry& e : entries) {
    ctx_.checker->OnWireTxn(config_.id, e.zxid, e.data);
    const int64_t z = e.zxid;
    ctx_.net->Send(config_.id, to, zab::Proposal{z, std::move(e.data)});
    ctx_.net->Send(config_.id, to, zab::Commit{z});
  }
}

void SimNode::Rebuild(const char* why, bool restart) {
  prep_.reset();
  std::string err = sm_.Reset(disk_.snapshot_zxid(), disk_.snapshot_data());
  if (!err.empty()) Fail(std::string("durable snapshot does not load: ") + err);
  for (const zab::LogEntry& e : disk_.DurableLog()) {
    err = sm_.Apply(e);
    if (!err.empty()) Fail(std::string(why) + ": replaying " + Hex(e.zxid) + ": " + err);
  }
  ctx_.checker->OnTreeReset(config_.id, sm_, restart, why);
  if (ctx_.trace->verbose()) {
    ctx_.trace->Print(Name() + ": tree rebuilt (" + why + ") at " + Hex(sm_.last_zxid()));
  }
}

void SimNode::Observe() {
  const bool serving = peer_->serving();
  const zab::PeerState state = peer_->state();
  const int64_t epoch = peer_->current_epoch();
  if (serving && (!served_ || served_epoch_ != epoch || served_state_ != state)) {
    const bool leader = state == zab::PeerState::kLeading;
    ctx_.trace->Note(13, config_.id, epoch, leader);
    if (ctx_.trace->verbose()) {
      ctx_.trace->Print(
          Name() + ": SERVING as " +
          (leader ? "leader" : "learner of server " + std::to_string(peer_->leader())) +
          " in epoch " + std::to_string(epoch));
    }
    ctx_.checker->OnServing(config_.id, leader, epoch, peer_->leader(), peer_->last_zxid(), &disk_);
    prep_.reset();
  }
  if (!serving_leader()) prep_.reset();
  served_ = serving;
  served_epoch_ = epoch;
  served_state_ = state;
}

int64_t SimNode::ProposeWrite(const server::WriteRequest& req, int64_t session_id, int32_t cxid) {
  if (!serving_leader()) return 0;
  if (!prep_) {
    // Prep validates against the tree, so the tree must hold the whole established history.
    if (sm_.last_zxid() != peer_->last_zxid()) return 0;
    prep_ = std::make_unique<server::Prep>(sm_.tree(), server::PrepOptions{});
  }
  const int64_t next = peer_->NextZxid();
  prep_->set_last_zxid(next - 1);
  server::Txn txn =
      prep_->Prepare(req, session_id, cxid, ctx_.queue->now() / kUnitsPerTick, server::Principal{});
  std::string data = server::EncodeTxn(txn);
  int64_t z = peer_->Propose(data);
  ctx_.trace->Note(14, config_.id, z);
  if (z == 0) {
    prep_.reset();
    if (ctx_.trace->verbose()) ctx_.trace->Print(Name() + ": propose refused");
    return 0;
  }
  if (ctx_.trace->verbose()) ctx_.trace->Print(Name() + ": PROPOSE " + Hex(z));
  if (z != next) {
    Fail("Propose assigned " + Hex(z) + " where NextZxid() said " + Hex(next));
  }
  ctx_.checker->OnPropose(config_.id, z, data);
  Drain();
  return z;
}

bool SimNode::ForwardToLeader(std::string payload) {
  if (!alive_ || !peer_->serving() || peer_->state() == zab::PeerState::kLeading) return false;
  bool ok = peer_->SendApp(peer_->leader(), std::move(payload));
  Drain();
  return ok;
}

void SimNode::MaybeCompact() {
  if (options_.compact_per_mille == 0 || !ctx_.rng->PerMille(options_.compact_per_mille)) return;
  // Only a tree known to hold committed txns only, consistent with the durable log.
  const int64_t z = sm_.last_zxid();
  if (!peer_->serving() || disk_.HasPending() || z <= disk_.snapshot_zxid() ||
      z > peer_->committed_zxid() || z > disk_.LastZxid()) {
    return;
  }
  disk_.Compact(z, sm_.Serialize());
  ctx_.trace->Note(15, config_.id, z);
  if (ctx_.trace->verbose()) ctx_.trace->Print(Name() + ": local snapshot at " + Hex(z));
}

}  // namespace zk::sim
