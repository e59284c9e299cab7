// Cluster: a whole simulated ensemble in one process — the event queue, the one Rng, the
// network, the checker and one SimNode per server — with the controls both the randomized
// simulation and the scripted scenario tests use: run for a number of ticks, crash, restart,
// partition, heal, write at the serving leader.
//
// Thread-safety: none. Ownership: owns everything of the run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "server/prep.h"
#include "tests/sim/checker.h"
#include "tests/sim/event_queue.h"
#include "tests/sim/network.h"
#include "tests/sim/rng.h"
#include "tests/sim/sim_node.h"
#include "tests/sim/trace.h"
#include "zab/peer.h"

namespace zk::sim {

struct ClusterOptions {
  uint64_t seed = 1;
  int voters = 3;
  int observers = 0;
  // Servers outside the static membership, waiting to be added by a config change (ids after
  // the voters and observers).
  int spares = 0;
  // The planted bug of PeerConfig::TEST_commit_with_new_quorum_only, on every server.
  bool commit_with_new_quorum_only = false;
  bool verbose = false;
  zab::PeerConfig timing;  // only the tick fields are used
  NetworkOptions net;
  NodeOptions node;
};

// Timing the simulator runs the core with (small, so that a run sees many elections).
zab::PeerConfig SimTiming();

class Cluster {
 public:
  explicit Cluster(const ClusterOptions& options);

  // Boots every server whose disk was prepared (or is empty).
  void StartAll();
  // Advances simulated time by `ticks` ticks.
  void RunTicks(int64_t ticks);
  // Runs tick by tick until pred() holds (checked after each tick); false after max_ticks.
  bool RunUntil(const std::function<bool()>& pred, int64_t max_ticks);

  SimNode& node(zab::ServerId id) { return *nodes_.at(id); }
  const std::vector<zab::ServerId>& ids() const { return ids_; }
  const std::vector<zab::ServerId>& voters() const { return voters_; }
  size_t quorum() const { return voters_.size() / 2 + 1; }

  // The serving leader of the highest epoch, or 0.
  zab::ServerId ServingLeader() const;
  // A serving leader whose quorum of voters (of its committed membership) serves under it in
  // its epoch, or 0.
  zab::ServerId LeaderWithQuorum() const;
  // Proposes a write at the serving leader `id`; returns its zxid or 0.
  int64_t Write(zab::ServerId id, const server::WriteRequest& req, int64_t session_id = 0);
  // A one-line state of every server (for failure reports and verbose traces).
  std::string Describe() const;

  EventQueue& queue() { return queue_; }
  Rng& rng() { return rng_; }
  Trace& trace() { return trace_; }
  Network& net() { return net_; }
  Checker& checker() { return checker_; }
  int64_t tick() const { return queue_.now() / kUnitsPerTick; }

 private:
  ClusterOptions options_;
  EventQueue queue_;
  Rng rng_;
  Trace trace_;
  Network net_;
  Checker checker_;
  std::vector<zab::ServerId> ids_;
  std::vector<zab::ServerId> voters_;
  std::map<zab::ServerId, std::unique_ptr<SimNode>> nodes_;
  int32_t next_cxid_ = 1;
};

}  // namespace zk::sim
