// SimReplication: the server node's replication port (server/node_replication.h) in the
// simulator — the production zab::Replica on the simulated Network, with a SimDisk as its disk
// and log. It ticks the Replica every kUnitsPerTick units (one unit is one millisecond of the
// node's clock, so the node's kReplicationTickMs holds), runs deferred work and disk work as
// events of their own, and reports to the owner what the Checker needs: every proposal before it
// is sent (and its withdrawal when the Replica refuses it), every txn on the wire, and every
// committed txn just before and once the node has applied it.
//
// Thread-safety: none. Ownership: owns the Replica; borrows the disk, the node (as its
// zab::StateMachine) and the shared context. Stop (or destruction) voids every event it
// scheduled.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/node_replication.h"
#include "tests/sim/sim_node.h"

namespace zk::sim {

struct SimReplicationHooks {
  // The leader `self` is about to propose `data` as `zxid`; withdrawn when refused.
  std::function<void(int64_t zxid, const std::string& data)> proposing;
  std::function<void(int64_t zxid)> withdrawn;
  // A Proposal or Inform this server sends.
  std::function<void(int64_t zxid, const std::string& data)> on_wire;
  // The node is about to apply the committed `entry` (its tree is still at the txn before).
  std::function<void(const zab::LogEntry& entry)> applying;
  // The node applied the committed `entry`.
  std::function<void(const zab::LogEntry& entry)> applied;
  // The node's state was replaced (snapshot installed or rebuilt after a truncation).
  std::function<void(const char* why)> reset;
  // The Peer's role, serving flag or epoch changed.
  std::function<void()> role_changed;
};

class SimReplication final : public server::NodeReplication,
                             private zab::StateMachine,
                             private zab::ReplicaNetwork {
 public:
  SimReplication(server::ReplicationSetup setup, SimDisk* disk, SimContext ctx,
                 SimReplicationHooks hooks);
  ~SimReplication() override;

  // Network events for this server (from its Endpoint).
  void OnConnected(zab::ServerId peer, zab::Channel ch) { replica_->OnConnected(peer, ch); }
  void OnDisconnected(zab::ServerId peer, zab::Channel ch) { replica_->OnDisconnected(peer, ch); }
  void OnMessage(zab::ServerId from, zab::Message msg) {
    replica_->OnMessage(from, std::move(msg));
  }
  void OnOutputWritten(zab::ServerId peer) { replica_->OnOutputWritten(peer); }

  // server::NodeReplication.
  zab::Status Start() override;
  void Stop() override;
  int64_t Propose(std::string data) override;
  zab::ConfigProposal ProposeConfig(zab::QuorumConfig next, std::string txn) override;
  int64_t NextZxid() const override { return replica_->NextZxid(); }
  // The simulated network needs no addresses.
  void MembershipChanged(const std::map<zab::ServerId, zab::PeerAddress>&, const std::string&,
                         int64_t) override {}
  bool SendApp(zab::ServerId to, std::string data) override {
    return replica_->SendApp(to, std::move(data));
  }
  const zab::Peer& peer() const override { return replica_->peer(); }
  void RunOnDisk(std::function<bool()> step) override {
    Defer([this, step = std::move(step)]() mutable {
      if (step()) RunOnDisk(std::move(step));
    });
  }
  void Defer(std::function<void()> fn) override;
  // Both run in one event, a random 1-30 units later (a load takes a while); neither once
  // the replication stopped.
  void RunInBackground(std::function<void()> work, std::function<void()> then) override;
  void StateLoaded(const zab::Status& status) override;
  zab::GroupCommitLog::Stats LogStats() const override { return {}; }

 private:
  void ScheduleTick();

  // zab::StateMachine: forwards to the node, telling the hooks.
  void ApplyCommitted(const zab::LogEntry& entry) override;
  bool StoredSnapshotFile(int64_t zxid, int64_t* snapshot_zxid, std::string* path) override {
    return node_->StoredSnapshotFile(zxid, snapshot_zxid, path);
  }
  void LoadState(zab::StateLoad load) override;
  void Deliver(zab::ServerId from, std::string data) override {
    node_->Deliver(from, std::move(data));
  }
  void RoleChanged() override;
  void Failed(const zab::Status& status) override { node_->Failed(status); }

  // zab::ReplicaNetwork.
  bool Send(zab::ServerId to, zab::Message&& msg) override;
  void Disconnect(zab::ServerId peer) override;
  std::optional<size_t> QueuedBytes(zab::ServerId peer) override;

  const zab::ServerId self_;
  SimDisk* disk_;
  SimContext ctx_;
  SimReplicationHooks hooks_;
  zab::StateMachine* node_;
  std::unique_ptr<zab::Replica> replica_;
  // What the node's pending state load is for the reset hook: "snapshot" or "truncate".
  const char* loading_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace zk::sim
