#include "tests/sim/server_sim_node.h"

#include <atomic>

namespace zk::sim {
namespace {

// Unique within the process: runs may follow one another (or overlap, in tests).
std::string StorageName(int64_t server_id) {
  static std::atomic<uint64_t> next{1};
  return std::to_string(next++) + "-server-" + std::to_string(server_id);
}

}  // namespace

ServerSimNode::ServerSimNode(server::ServerConfig config, NodeOptions options, SimContext ctx,
                             SimReplicationHooks hooks)
    : config_(std::move(config)),
      ctx_(ctx),
      hooks_(std::move(hooks)),
      clock_(ctx.queue),
      storage_(StorageName(config_.server_id)) {
  disk_.SetSnapshotFileReader(
      [this](const std::string& path) { return storage_.ReadFile(path); });
  disk_.Configure(id(),
                  SimDiskTiming{options.disk_min_delay, options.disk_max_delay,
                                options.disk_slow_per_mille, options.disk_slow_delay},
                  ctx_.queue, ctx_.rng, ctx_.trace);
}

ServerSimNode::~ServerSimNode() {
  // Stopping a node closes its links and stops its Replica; nothing is drained (as a crash).
  node_.reset();
}

void ServerSimNode::Restart() {
  if (node_) return;
  ++incarnation_;
  const int cut = disk_.Recover();
  server::ServerConfig config = config_;
  config.node_seed = ctx_.rng->Next() | 1;
  node_ = std::make_unique<server::ServerNode>(std::move(config), &clock_);
  auto factory = [this](server::ReplicationSetup setup)
      -> zab::Result<std::unique_ptr<server::NodeReplication>> {
    auto r = std::make_unique<SimReplication>(std::move(setup), &disk_, ctx_, hooks_);
    replication_ = r.get();
    return std::unique_ptr<server::NodeReplication>(std::move(r));
  };
  if (zab::Status s = node_->Start(&disk_, &storage_, factory); !s.ok()) {
    throw SimFailure("server " + std::to_string(id()) + ": start failed: " + s.ToString());
  }
  ctx_.trace->Note(10, id(), disk_.LastZxid(), cut);
  if (ctx_.trace->verbose()) {
    ctx_.trace->Print("server " + std::to_string(id()) + ": start at " +
                      Hex(node_->tree().last_zxid()) +
                      (cut > 0 ? ", cut " + std::to_string(cut) + " damaged log records" : ""));
  }
  ctx_.net->NodeUp(id());
  ScheduleNodeTick();
}

void ServerSimNode::Crash(bool tear) {
  if (!node_) return;
  ++incarnation_;
  const std::string what = disk_.Crash(ctx_.rng, tear);
  replication_ = nullptr;
  node_.reset();  // its links close; its Replica stops
  ctx_.trace->Note(11, id());
  if (ctx_.trace->verbose()) {
    ctx_.trace->Print("server " + std::to_string(id()) + ": CRASH (" + what + ")");
  }
  ctx_.net->NodeDown(id());
}

void ServerSimNode::ScheduleNodeTick() {
  ctx_.queue->After(kNodeTickUnits, [this, inc = incarnation_] {
    if (!node_ || inc != incarnation_) return;
    node_->OnTick();
    ScheduleNodeTick();
  });
}

void ServerSimNode::OnConnected(zab::ServerId peer, zab::Channel ch) {
  if (replication_) replication_->OnConnected(peer, ch);
}

void ServerSimNode::OnDisconnected(zab::ServerId peer, zab::Channel ch) {
  if (replication_) replication_->OnDisconnected(peer, ch);
}

void ServerSimNode::OnMessage(zab::ServerId from, zab::Message msg) {
  if (replication_) replication_->OnMessage(from, std::move(msg));
}

void ServerSimNode::OnOutputWritten(zab::ServerId peer) {
  if (replication_) replication_->OnOutputWritten(peer);
}

}  // namespace zk::sim
