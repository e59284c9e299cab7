#include "tests/sim/sim_node.h"

#include <algorithm>

#include "server/txn.h"
#include "zab/config_txn.h"
#include "zab/zxid.h"

namespace zk::sim {
namespace {

constexpr size_t kSimStreamHighWaterBytes = 4096;
constexpr size_t kSimStreamMaxHeldBytes = 64 * 1024;

}  // namespace

SimNode::SimNode(zab::PeerConfig config, NodeOptions options, SimContext ctx)
    : config_(std::move(config)), options_(options), ctx_(ctx) {
  disk_.Configure(config_.id,
                  SimDiskTiming{options_.disk_min_delay, options_.disk_max_delay,
                                options_.disk_slow_per_mille, options_.disk_slow_delay},
                  ctx_.queue, ctx_.rng, ctx_.trace);
}

void SimNode::Fail(const std::string& what) { throw SimFailure(Name() + ": " + what); }

void SimNode::Restart() {
  alive_ = true;
  ++incarnation_;
  served_ = false;
  int cut = disk_.Recover();
  Rebuild("restart", true);
  zab::DurableState d = disk_.Durable();
  // The memberships the recovered state holds: the snapshot's tree's, and each config txn of
  // the log (the tree was rebuilt from both above).
  {
    sim::StateMachine base;
    if (base.Reset(disk_.snapshot_zxid(), disk_.snapshot_data()).empty()) {
      if (std::optional<zab::QuorumConfig> c = base.Config()) d.seen_configs.push_back(*c);
    }
    for (const zab::LogEntry& e : disk_.DurableLog()) {
      zab::QuorumConfig c;
      std::string_view txn;
      if (zab::DecodeConfigTxn(e.data, &c, &txn)) d.seen_configs.push_back(c);
    }
  }
  ctx_.trace->Note(10, config_.id, d.last_zxid, cut);
  if (ctx_.trace->verbose()) {
    ctx_.trace->Print(Name() + ": start: accepted epoch " + std::to_string(d.accepted_epoch) +
                      ", current epoch " + std::to_string(d.current_epoch) + ", last " +
                      Hex(d.last_zxid) + ", snapshot " + Hex(disk_.snapshot_zxid()) +
                      (cut > 0 ? ", cut " + std::to_string(cut) + " damaged log records" : ""));
  }
  zab::ReplicaOptions options;
  // Small enough that log ranges are streamed in many chunks and wait for the connection to
  // drain (the sim's txns are small); held messages beyond the bound disconnect the learner.
  options.stream_high_water_bytes = kSimStreamHighWaterBytes;
  options.stream_max_held_bytes = kSimStreamMaxHeldBytes;
  options.on_action = [this](const zab::Action& a) {
    ctx_.trace->Note(20 + a.index(), config_.id);
    if (ctx_.trace->verbose()) ctx_.trace->Print(Name() + ": " + Describe(a));
  };
  zab::StateMachine* machine = this;
  zab::ReplicaNetwork* network = this;
  replica_ = std::make_unique<zab::Replica>(config_, d, &disk_, machine, &disk_, network,
                                            std::move(options), ctx_.rng->Next());
  disk_.Attach(replica_.get());
  ScheduleTick();
  ctx_.net->NodeUp(config_.id);
  replica_->Start();
  Observe();
}

void SimNode::Crash(bool tear) {
  if (!alive_) return;
  alive_ = false;
  ++incarnation_;
  std::string what = disk_.Crash(ctx_.rng, tear);
  replica_->Stop();
  replica_.reset();
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
  replica_->Tick();
  CheckConfigs();
  MaybeCompact();
  ScheduleTick();
}

void SimNode::OnConnected(zab::ServerId peer, zab::Channel ch) {
  if (alive_) replica_->OnConnected(peer, ch);
}

void SimNode::OnDisconnected(zab::ServerId peer, zab::Channel ch) {
  if (alive_) replica_->OnDisconnected(peer, ch);
}

void SimNode::OnMessage(zab::ServerId from, zab::Message msg) {
  if (!alive_) return;
  replica_->OnMessage(from, std::move(msg));
  CheckConfigs();
}

void SimNode::OnOutputWritten(zab::ServerId peer) {
  if (alive_) replica_->OnOutputWritten(peer);
}

void SimNode::ApplyCommitted(const zab::LogEntry& entry) {
  // A leader applies its initial history in the same step that establishes it: record the
  // establishment (which commits that history) first.
  Observe();
  const int64_t prev = sm_.last_zxid();
  std::string err = sm_.Apply(entry);
  if (!err.empty()) Fail("apply " + Hex(entry.zxid) + ": " + err);
  if (prep_) prep_->Applied(entry.zxid);
  ctx_.checker->OnApply(config_.id, entry, prev, serving_leader(), sm_);
  if (serving_leader()) ctx_.checker->OnLeaderCommit(config_.id, entry.zxid);
}

bool SimNode::StoredSnapshotFile(int64_t zxid, int64_t* snapshot_zxid, std::string* path) {
  // The newest stored snapshot; the log holds the txns after it up to the requested zxid.
  const int64_t base = disk_.snapshot_zxid();
  if (base > zxid) {
    Fail("SNAPSHOT up to " + Hex(zxid) + " requested, but the stored snapshot is at " +
         Hex(base));
  }
  *snapshot_zxid = base;
  *path = base == 0 ? std::string() : SimDisk::SnapshotPath(base);
  return true;
}

void SimNode::LoadState(zab::StateLoad load) {
  const uint64_t inc = incarnation_;
  ctx_.queue->After(ctx_.rng->Range(1, 30), [this, inc, load = std::move(load)] {
    if (!alive_ || inc != incarnation_) return;  // crashed meanwhile: the load is lost with it
    const int64_t zxid = load.zxid;
    if (load.kind == zab::StateLoad::Kind::kInstall) {
      std::string err = sm_.Reset(zxid, load.data);
      if (!err.empty()) Fail("snapshot at " + Hex(zxid) + " does not load: " + err);
      prep_.reset();
      ctx_.checker->OnTreeReset(config_.id, sm_, false, "snapshot");
      disk_.InstallSnapshot(zxid, load.data);
    } else {
      if (disk_.snapshot_zxid() > zxid) {
        Fail("truncate after " + Hex(zxid) + " below the durable snapshot at " +
             Hex(disk_.snapshot_zxid()));
      }
      Rebuild("truncate", false);
    }
    replica_->OnStateLoaded(zab::Status::OK());
  });
}

void SimNode::Deliver(zab::ServerId from, std::string data) {
  ++app_delivered_;
  if (!on_app_data) return;
  const uint64_t inc = incarnation_;
  ctx_.queue->After(0, [this, inc, from, data = std::move(data)] {
    if (alive_ && inc == incarnation_) on_app_data(from, data);
  });
}

void SimNode::Failed(const zab::Status& status) { Fail("disk failed: " + status.ToString()); }

bool SimNode::Send(zab::ServerId to, zab::Message&& msg) {
  if (to == config_.id) Fail("sends " + Describe(msg) + " to itself");
  if (auto* p = std::get_if<zab::Proposal>(&msg)) {
    ctx_.checker->OnWireTxn(config_.id, p->zxid, p->data);
  } else if (auto* inf = std::get_if<zab::Inform>(&msg)) {
    ctx_.checker->OnWireTxn(config_.id, inf->zxid, inf->data);
  }
  return ctx_.net->Send(config_.id, to, std::move(msg));
}

std::optional<size_t> SimNode::QueuedBytes(zab::ServerId peer) {
  return ctx_.net->QueuedBytes(config_.id, peer);
}

void SimNode::Disconnect(zab::ServerId peer) {
  ctx_.net->Close(config_.id, peer, zab::Channel::kQuorum);
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
  const bool serving = peer().serving();
  const zab::PeerState state = peer().state();
  const int64_t epoch = peer().current_epoch();
  if (serving && (!served_ || served_epoch_ != epoch || served_state_ != state)) {
    const bool leader = state == zab::PeerState::kLeading;
    ctx_.trace->Note(13, config_.id, epoch, leader);
    if (ctx_.trace->verbose()) {
      ctx_.trace->Print(
          Name() + ": SERVING as " +
          (leader ? "leader" : "learner of server " + std::to_string(peer().leader())) +
          " in epoch " + std::to_string(epoch));
    }
    ctx_.checker->OnServing(config_.id, leader, epoch, peer().leader(), peer().last_zxid(), &disk_);
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
    if (sm_.last_zxid() != peer().last_zxid()) return 0;
    prep_ = std::make_unique<server::Prep>(sm_.tree(), server::PrepOptions{});
  }
  const int64_t next = replica_->NextZxid();
  prep_->set_last_zxid(next - 1);
  server::Txn txn =
      prep_->Prepare(req, session_id, cxid, ctx_.queue->now() / kUnitsPerTick, server::Principal{});
  std::string data = server::EncodeTxn(txn);
  // Known to the checker before the Replica sends it; withdrawn if refused (then never sent).
  ctx_.checker->OnPropose(config_.id, next, data);
  int64_t z = replica_->Propose(data);
  ctx_.trace->Note(14, config_.id, z);
  if (z == 0) {
    ctx_.checker->WithdrawProposal(next);
    prep_.reset();
    if (ctx_.trace->verbose()) ctx_.trace->Print(Name() + ": propose refused");
    return 0;
  }
  if (ctx_.trace->verbose()) ctx_.trace->Print(Name() + ": PROPOSE " + Hex(z));
  if (z != next) {
    Fail("Propose assigned " + Hex(z) + " where NextZxid() said " + Hex(next));
  }
  return z;
}

zab::ConfigProposal SimNode::ProposeConfig(zab::QuorumConfig next) {
  if (!serving_leader()) return {};
  const int64_t zxid = replica_->NextZxid();
  next.version = zxid;
  server::Txn txn;
  txn.zxid = zxid;
  txn.type = OpCode::kSetData;
  int32_t version = 0;
  if (const auto* n = sm_.tree().Find("/zookeeper/config")) {
    version = sm_.tree().StoredStat(*n).version + 1;
  }
  txn.time_ms = ctx_.queue->now() / kUnitsPerTick;
  txn.body = server::SetDataTxn{"/zookeeper/config", zab::EncodeQuorumConfig(next), false, version};
  const std::string txn_bytes = server::EncodeTxn(txn);
  ctx_.checker->OnPropose(config_.id, zxid, zab::EncodeConfigTxn(next, txn_bytes));
  zab::ConfigProposal p = replica_->ProposeConfig(next, txn_bytes);
  if (p.result != zab::ConfigChange::kProposed) {
    ctx_.checker->WithdrawProposal(zxid);
  } else if (p.zxid != zxid) {
    Fail("ProposeConfig assigned " + Hex(p.zxid) + " where NextZxid() said " + Hex(zxid));
  }
  prep_.reset();  // Prep knows nothing of this txn: start over from the tree
  if (ctx_.trace->verbose()) {
    ctx_.trace->Print(Name() + ": PROPOSE CONFIG " + next.Describe() + ": " +
                      std::to_string(static_cast<int>(p.result)));
  }
  CheckConfigs();
  return p;
}

void SimNode::CheckConfigs() {
  if (!alive_ || replica_ == nullptr) return;
  ctx_.checker->OnMembership(config_.id, peer().committed_config(), peer().pending_config());
}

bool SimNode::ForwardToLeader(std::string payload) {
  if (!alive_ || !peer().serving() || peer().state() == zab::PeerState::kLeading) return false;
  return replica_->SendApp(peer().leader(), std::move(payload));
}

void SimNode::MaybeCompact() {
  if (options_.compact_per_mille == 0 || !ctx_.rng->PerMille(options_.compact_per_mille)) return;
  // Only a tree known to hold committed txns only, consistent with the durable log.
  const int64_t z = sm_.last_zxid();
  if (!peer().serving() || disk_.HasPending() || z <= disk_.snapshot_zxid() ||
      z > peer().committed_zxid() || z > disk_.LastZxid()) {
    return;
  }
  disk_.Compact(z, sm_.Serialize());
  ctx_.trace->Note(15, config_.id, z);
  if (ctx_.trace->verbose()) ctx_.trace->Print(Name() + ": local snapshot at " + Hex(z));
}

}  // namespace zk::sim
