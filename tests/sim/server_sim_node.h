// ServerSimNode: one simulated zabkeeper server running the production server::ServerNode — the
// request pipeline the process runs — on simulated ports: virtual time (SimClock), a SimDisk as
// its transaction log and the Replica's disk, SimNodeStorage for snapshots, and SimReplication
// (the production zab::Replica on the simulated Network). Clients reach it through ClientLinks
// the simulation attaches (node()->AdmitLink / AttachLink). The node is ticked every 100 units
// (its OnTick: session expiry, reaping, digests, read-only mode), the Replica every
// kUnitsPerTick.
//
// Crash loses the node, its connections and the disk's pending work (maybe tearing an append);
// Restart recovers the disk and builds a new node, which recovers from the durable log as the
// process does. Events scheduled for an earlier incarnation are dropped.
//
// Thread-safety: none. Ownership: owns the node, its disk and storage; borrows the context.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/config.h"
#include "server/node_clock.h"
#include "server/server_node.h"
#include "tests/sim/network.h"
#include "tests/sim/sim_disk.h"
#include "tests/sim/sim_node.h"
#include "tests/sim/sim_node_storage.h"
#include "tests/sim/sim_replication.h"

namespace zk::sim {

// The node's clock: one unit of the event queue is one millisecond. FreezeWhile plants a bug:
// while `frozen` holds, the monotonic clock stands still.
class SimClock final : public server::NodeClock {
 public:
  explicit SimClock(const EventQueue* queue) : queue_(queue) {}
  void FreezeWhile(std::function<bool()> frozen) { frozen_ = std::move(frozen); }
  int64_t MonotonicMs() const override {
    if (frozen_ && frozen_()) {
      if (frozen_at_ < 0) frozen_at_ = queue_->now();
      return frozen_at_;
    }
    frozen_at_ = -1;
    return queue_->now();
  }
  // A fixed epoch plus the simulated time (ctime/mtime are part of the replicated state, so
  // they must not depend on the host).
  int64_t WallMs() const override { return kWallEpochMs + queue_->now(); }

 private:
  static constexpr int64_t kWallEpochMs = 1'700'000'000'000;
  const EventQueue* queue_;
  std::function<bool()> frozen_;
  mutable int64_t frozen_at_ = -1;
};

inline constexpr int64_t kNodeTickUnits = 100;

class ServerSimNode final : public Endpoint {
 public:
  // `config` names every member in `servers` and this one in `server_id`.
  ServerSimNode(server::ServerConfig config, NodeOptions options, SimContext ctx,
                SimReplicationHooks hooks);
  ~ServerSimNode() override;

  void Restart();
  void Crash(bool tear);

  zab::ServerId id() const { return static_cast<zab::ServerId>(config_.server_id); }
  // The running node; nullptr while crashed.
  server::ServerNode* node() { return node_.get(); }
  const server::ServerNode* node() const { return node_.get(); }
  // The Peer under the node. REQUIRES: alive().
  const zab::Peer& peer() const { return replication_->peer(); }
  bool serving() const { return replication_ != nullptr && replication_->peer().serving(); }
  bool leading() const { return serving() && peer().state() == zab::PeerState::kLeading; }
  // Bumped by every Crash and Restart: a client link keeps the incarnation it was attached in
  // and goes quiet once it changes.
  uint64_t incarnation() const { return incarnation_; }
  SimDisk& disk() { return disk_; }
  const SimNodeStorage& storage() const { return storage_; }
  SimClock& clock() { return clock_; }

  // Endpoint.
  bool alive() const override { return node_ != nullptr; }
  void OnConnected(zab::ServerId peer, zab::Channel ch) override;
  void OnDisconnected(zab::ServerId peer, zab::Channel ch) override;
  void OnMessage(zab::ServerId from, zab::Message msg) override;
  void OnOutputWritten(zab::ServerId peer) override;

 private:
  void ScheduleNodeTick();

  const server::ServerConfig config_;
  SimContext ctx_;
  SimReplicationHooks hooks_;
  SimClock clock_;
  SimDisk disk_;
  SimNodeStorage storage_;  // its files outlive crashes, like the disk
  SimReplication* replication_ = nullptr;  // owned by node_
  std::unique_ptr<server::ServerNode> node_;
  uint64_t incarnation_ = 0;
};

}  // namespace zk::sim
