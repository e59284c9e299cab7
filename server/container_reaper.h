// ContainerReaper: decides when the leader deletes empty containers and expired TTL nodes, on
// ZooKeeper's ContainerManager schedule. Every znode.container.checkIntervalMs (the first check
// one interval after this server became leader) it looks for candidates: containers without
// children that once had one (cversion > 0) or that are older than
// znode.container.maxNeverUsedIntervalMs (0 = never), and TTL nodes without children whose TTL
// has passed since their last modification. Candidates are handed out for deletion at most
// znode.container.maxPerMinute per minute, spread evenly, as ZooKeeper paces them.
//
// Pure: fed the clocks and the tree, it returns paths; the caller submits a deleteContainer txn
// for each and reports its zxid (Submitted). A delete that is not applied by the time its zxid
// is passed (the proposal was dropped, or failed because the node gained a child) is forgotten,
// so the node is looked at again at the next check. Not thread-safe; the io thread owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "server/data_tree.h"

namespace zk::server {

struct ContainerReaperLimits {
  int64_t check_interval_ms = 60000;      // znode.container.checkIntervalMs
  int64_t max_per_minute = 10000;         // znode.container.maxPerMinute
  int64_t max_never_used_interval_ms = 0; // znode.container.maxNeverUsedIntervalMs
  bool test_ignore_ttl = false;           // ServerConfig::test_reaper_ignores_ttl (a test seam)
};

class ContainerReaper {
 public:
  explicit ContainerReaper(ContainerReaperLimits limits);

  // This server became leader at `now_ms` (monotonic): the first check is one interval later.
  // Forgets everything queued or in flight.
  void Start(int64_t now_ms);
  // This server stopped leading: nothing is handed out until Start.
  void Stop();
  bool running() const { return running_; }

  // Called on every tick while leading. `now_ms` is monotonic, `wall_ms` the wall clock that
  // znode mtimes use. Returns the paths to delete now (each checked again against the tree
  // just before it is returned).
  std::vector<std::string> Tick(int64_t now_ms, int64_t wall_ms, const DataTree& tree);

  // The deleteContainer txn for `path` was proposed with `zxid` (0: it could not be proposed).
  void Submitted(const std::string& path, int64_t zxid);
  // A txn was applied: deletes at or below it are no longer in flight.
  void Applied(int64_t zxid);

  size_t queued() const { return queue_.size(); }
  size_t in_flight() const { return in_flight_order_.size(); }

 private:
  // Whether `path` should go now, by the rules above.
  bool IsCandidate(const DataTree& tree, const std::string& path, bool ttl, int64_t wall_ms) const;
  void Scan(const DataTree& tree, int64_t wall_ms);

  ContainerReaperLimits limits_;
  bool running_ = false;
  int64_t next_check_ms_ = 0;
  int64_t last_tick_ms_ = 0;
  double budget_ = 0;  // deletes that may be handed out now (maxPerMinute pacing)
  struct Candidate {
    std::string path;
    bool ttl = false;
  };
  std::deque<Candidate> queue_;
  // Deletes proposed and not yet applied, in zxid order, and their paths.
  std::deque<std::pair<int64_t, std::string>> in_flight_order_;
  absl::flat_hash_set<std::string> in_flight_;
};

}  // namespace zk::server
