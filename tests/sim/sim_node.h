// SimNode: one simulated server — a zab::Peer, its SimDisk and its StateMachine — and the driver
// that carries out the Peer's Actions exactly as peer.h prescribes:
//   - disk actions join the disk's queue and complete later, in order, after random delays
//     (usually everything queued at once, as group commit does); each completion reports
//     Persisted(seq);
//   - Truncate with rebuild_state finishes all pending disk work at once, rebuilds the tree from
//     the durable snapshot + log before the next action, and reports Persisted after the batch;
//   - InstallSnapshot replaces the tree at once and becomes durable later;
//   - Apply applies the decoded server::Txn to the DataTree;
//   - Send expands LogRange into Proposal + Commit pairs read from the durable log, and replaces
//     an empty Snapshot by the newest stored snapshot plus the logged txns after it;
//   - Disconnect closes the quorum connection; Deliver hands the payload to on_app_data.
// Crash loses the Peer and the pending disk work (maybe tearing an append); Restart recovers the
// disk, rebuilds the tree from snapshot + the WHOLE durable log and constructs a new Peer.
// Every change is reported to the Checker; driver-rule violations by the core throw SimFailure.
//
// Thread-safety: none. Ownership: owns Peer, disk and tree; borrows the shared context.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
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

class SimNode final : public Endpoint {
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

  // Workload, at a serving leader: preps `req` against the tree plus in-flight writes, proposes
  // it and returns its zxid, or 0 when this server cannot propose now.
  int64_t ProposeWrite(const server::WriteRequest& req, int64_t session_id, int32_t cxid);
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
  // REQUIRES: alive().
  const zab::Peer& peer() const { return *peer_; }
  bool serving_leader() const {
    return alive_ && peer_->state() == zab::PeerState::kLeading && peer_->serving();
  }
  const StateMachine& state() const { return sm_; }
  SimDisk& disk() { return disk_; }
  uint64_t app_delivered() const { return app_delivered_; }

 private:
  void ScheduleTick();
  void Tick(uint64_t incarnation);
  void ScheduleDisk();
  void DiskDone(uint64_t incarnation);
  // Takes and carries out actions until the Peer has none, then reports state changes.
  void Drain();
  void Carry(zab::Action& action);
  // Sends the logged txns in (after, upto] as Proposal + Commit pairs from the durable log.
  void SendLogged(zab::ServerId to, int64_t after, int64_t upto, const char* what);
  void Rebuild(const char* why, bool restart);
  void Observe();
  void MaybeCompact();
  [[noreturn]] void Fail(const std::string& what);
  std::string Name() const { return "server " + std::to_string(config_.id); }

  const zab::PeerConfig config_;
  const NodeOptions options_;
  SimContext ctx_;
  bool alive_ = false;
  uint64_t incarnation_ = 0;
  SimDisk disk_;
  StateMachine sm_;
  std::unique_ptr<zab::Peer> peer_;
  std::unique_ptr<server::Prep> prep_;  // while a serving leader; refers to sm_'s tree
  bool disk_busy_ = false;
  uint64_t persisted_after_batch_ = 0;
  bool served_ = false;
  int64_t served_epoch_ = 0;
  zab::PeerState served_state_ = zab::PeerState::kLooking;
  uint64_t app_delivered_ = 0;
};

}  // namespace zk::sim
