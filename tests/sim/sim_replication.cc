#include "tests/sim/sim_replication.h"

#include "zab/config_txn.h"

namespace zk::sim {
namespace {

// Small enough that log ranges are streamed in many chunks (as SimNode's).
constexpr size_t kServerSimStreamHighWaterBytes = 16 * 1024;
constexpr size_t kServerSimStreamMaxHeldBytes = 256 * 1024;

}  // namespace

SimReplication::SimReplication(server::ReplicationSetup setup, SimDisk* disk, SimContext ctx,
                               SimReplicationHooks hooks)
    : self_(setup.peer.id), disk_(disk), ctx_(ctx), hooks_(std::move(hooks)),
      node_(setup.machine) {
  zab::ReplicaOptions options = std::move(setup.replica);
  options.stream_high_water_bytes = kServerSimStreamHighWaterBytes;
  options.stream_max_held_bytes = kServerSimStreamMaxHeldBytes;
  options.on_action = [this](const zab::Action& a) {
    ctx_.trace->Note(20 + a.index(), self_);
    if (ctx_.trace->verbose()) {
      ctx_.trace->Print("server " + std::to_string(self_) + ": " + Describe(a));
    }
  };
  zab::StateMachine* machine = this;
  zab::ReplicaNetwork* network = this;
  replica_ = std::make_unique<zab::Replica>(setup.peer, setup.durable, setup.log, machine, disk_,
                                            network, std::move(options), setup.seed);
  disk_->Attach(replica_.get());
}

SimReplication::~SimReplication() { Stop(); }

zab::Status SimReplication::Start() {
  ScheduleTick();
  replica_->Start();
  return zab::Status::OK();
}

void SimReplication::Stop() {
  if (!alive_) return;
  alive_.reset();
  replica_->Stop();
}

void SimReplication::ScheduleTick() {
  ctx_.queue->After(kUnitsPerTick, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    replica_->Tick();
    ScheduleTick();
  });
}

void SimReplication::Defer(std::function<void()> fn) {
  ctx_.queue->After(0, [alive = std::weak_ptr<bool>(alive_), fn = std::move(fn)] {
    if (!alive.expired()) fn();
  });
}

zab::ConfigProposal SimReplication::ProposeConfig(zab::QuorumConfig next, std::string txn) {
  const int64_t zxid = replica_->NextZxid();
  if (hooks_.proposing) {
    // The bytes ZAB logs and sends, built by the function Peer::ProposeConfig logs with.
    hooks_.proposing(zxid, zab::ConfigProposalEntry(next, zxid, txn));
  }
  zab::ConfigProposal p = replica_->ProposeConfig(std::move(next), std::move(txn));
  if (p.result != zab::ConfigChange::kProposed && hooks_.withdrawn) hooks_.withdrawn(zxid);
  return p;
}

int64_t SimReplication::Propose(std::string data) {
  const int64_t next = replica_->NextZxid();
  if (hooks_.proposing) hooks_.proposing(next, data);
  const int64_t z = replica_->Propose(std::move(data));
  if (z == 0 && hooks_.withdrawn) hooks_.withdrawn(next);
  if (z != 0 && z != next) {
    throw SimFailure("server " + std::to_string(self_) + ": Propose assigned " + Hex(z) +
                     " where NextZxid() said " + Hex(next));
  }
  return z;
}

void SimReplication::ApplyCommitted(const zab::LogEntry& entry) {
  if (hooks_.applying) hooks_.applying(entry);
  node_->ApplyCommitted(entry);
  if (hooks_.applied) hooks_.applied(entry);
}

void SimReplication::LoadState(zab::StateLoad load) {
  loading_ = load.kind == zab::StateLoad::Kind::kInstall ? "snapshot" : "truncate";
  node_->LoadState(std::move(load));
}

void SimReplication::RunInBackground(std::function<void()> work, std::function<void()> then) {
  ctx_.queue->After(ctx_.rng->Range(1, 30),
                    [alive = std::weak_ptr<bool>(alive_), work = std::move(work),
                     then = std::move(then)] {
                      if (alive.expired()) return;  // the node crashed or stopped
                      work();
                      then();
                    });
}

void SimReplication::StateLoaded(const zab::Status& status) {
  const char* why = loading_;
  loading_ = nullptr;
  if (status.ok() && why != nullptr && hooks_.reset) hooks_.reset(why);
  replica_->OnStateLoaded(status);
}

void SimReplication::RoleChanged() {
  node_->RoleChanged();
  if (hooks_.role_changed) hooks_.role_changed();
}

bool SimReplication::Send(zab::ServerId to, zab::Message&& msg) {
  if (hooks_.on_wire) {
    if (auto* p = std::get_if<zab::Proposal>(&msg)) {
      hooks_.on_wire(p->zxid, p->data);
    } else if (auto* inf = std::get_if<zab::Inform>(&msg)) {
      hooks_.on_wire(inf->zxid, inf->data);
    }
  }
  return ctx_.net->Send(self_, to, std::move(msg));
}

void SimReplication::Disconnect(zab::ServerId peer) {
  ctx_.net->Close(self_, peer, zab::Channel::kQuorum);
}

std::optional<size_t> SimReplication::QueuedBytes(zab::ServerId peer) {
  return ctx_.net->QueuedBytes(self_, peer);
}

}  // namespace zk::sim
