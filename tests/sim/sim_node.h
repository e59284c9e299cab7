// SimNode: one simulated server — the production driver core zab::Replica (zab/replica.h), its
// SimDisk (the Replica's disk port) and its StateMachine. SimNode is the rest of the Replica's
// environment: its network port (the simulated Network; every proposal on the wire is checked),
// its zab::StateMachine (the DataTree: Apply applies the decoded server::Txn, LoadState replaces
// the tree a little later, the stored snapshot is the disk's newest one) and its clock
// (Tick every kUnitsPerTick units). So the simulator runs the same driver code as the server.
// Crash loses the Replica and the pending disk work (maybe tearing an append); Restart recovers
// the disk, rebuilds the tree from snapshot + the WHOLE durable log and constructs a new
// Replica. Every change is reported to the Checker; driver-rule violations by the core throw
// SimFailure.
//
// Thread-safety: none. Ownership: owns Replica, disk and tree; borrows the shared context.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/prep.h"
#include "tests/sim/checker.h"
#include "tests/sim/event_queue.h"
#include "tests/sim/network.h"
#include "tests/sim/rng.h"
#include "tests/sim/sim_disk.h"
#include "tests/sim/state_machine.h"
#include "tests/sim/trace.h"
#include "zab/peer.h"
#include "zab/replica.h"

namespace zk::sim {

struct NodeOptions {
  int64_t disk_min_delay = 1;  // units per completion
  int64_t disk_max_delay = 12;
  uint64_t disk_slow_per_mille = 30;
  int64_t disk_slow_delay = 80;
  uint64_t compact_per_mille = 0;  // per tick, when the tree is compactable
};

struct SimContext {
  EventQueue* queue = nullptr;
  Rng* rng = nullptr;
  Trace* trace = nullptr;
  Network* net = nullptr;
  Checker* checker = nullptr;
};

class SimNode final : public Endpoint, private zab::StateMachine, private zab::ReplicaNetwork {
 public:
  SimNode(zab::PeerConfig config, NodeOptions options, SimContext ctx);

  // First boot (from whatever the disk holds), or restart after Crash().
  void Restart();
  void Crash(bool tear);

  // Endpoint.
  bool alive() const override { return alive_; }
  void OnConnected(zab::ServerId peer, zab::Channel ch) override;
  void OnDisconnected(zab::ServerId peer, zab::Channel ch) override;
  void OnMessage(zab::ServerId from, zab::Message msg) override;
  void OnOutputWritten(zab::ServerId peer) override;

  // Workload, at a serving leader: preps `req` against the tree plus in-flight writes, proposes
  // it and returns its zxid, or 0 when this server cannot propose now.
  int64_t ProposeWrite(const server::WriteRequest& req, int64_t session_id, int32_t cxid);
  // At a serving leader: proposes the membership `next` as a config txn (its application txn a
  // SetData of /zookeeper/config holding the encoded config). The Peer's verdict.
  zab::ConfigProposal ProposeConfig(zab::QuorumConfig next);
  // At a serving learner: forwards an application payload to the leader (SendApp). False when
  // this server cannot now.
  bool ForwardToLeader(std::string payload);
  // Called (in an event of its own, after the batch) for every payload a DeliverAction hands over.
  std::function<void(zab::ServerId from, const std::string& data)> on_app_data;

  zab::ServerId id() const { return config_.id; }
  bool is_observer() const {
    return std::find(config_.voters.begin(), config_.voters.end(), config_.id) ==
           config_.voters.end();
  }
  // The static membership this server started from (its PeerConfig's).
  const zab::PeerConfig& static_config() const { return config_; }
  // REQUIRES: alive().
  const zab::Peer& peer() const { return replica_->peer(); }
  bool serving_leader() const {
    return alive_ && peer().state() == zab::PeerState::kLeading && peer().serving();
  }
  const sim::StateMachine& state() const { return sm_; }
  SimDisk& disk() { return disk_; }
  uint64_t app_delivered() const { return app_delivered_; }

 private:
  void ScheduleTick();
  void Tick(uint64_t incarnation);
  void Rebuild(const char* why, bool restart);
  void Observe();
  // After each input: the memberships the Peer holds agree with the committed history.
  void CheckConfigs();
  void MaybeCompact();
  [[noreturn]] void Fail(const std::string& what);
  std::string Name() const { return "server " + std::to_string(config_.id); }

  // zab::StateMachine.
  void ApplyCommitted(const zab::LogEntry& entry) override;
  bool StoredSnapshotFile(int64_t zxid, int64_t* snapshot_zxid, std::string* path) override;
  // Carried out in an event of its own, a random 1-30 units later (a load takes a while).
  void LoadState(zab::StateLoad load) override;
  void Deliver(zab::ServerId from, std::string data) override;
  void RoleChanged() override { Observe(); }
  void Failed(const zab::Status& status) override;

  // zab::ReplicaNetwork.
  bool Send(zab::ServerId to, zab::Message&& msg) override;
  void Disconnect(zab::ServerId peer) override;
  std::optional<size_t> QueuedBytes(zab::ServerId peer) override;

  const zab::PeerConfig config_;
  const NodeOptions options_;
  SimContext ctx_;
  bool alive_ = false;
  uint64_t incarnation_ = 0;
  SimDisk disk_;
  sim::StateMachine sm_;
  std::unique_ptr<zab::Replica> replica_;
  std::unique_ptr<server::Prep> prep_;  // while a serving leader; refers to sm_'s tree
  bool served_ = false;
  int64_t served_epoch_ = 0;
  zab::PeerState served_state_ = zab::PeerState::kLooking;
  uint64_t app_delivered_ = 0;
};

}  // namespace zk::sim
