// Simulation: one randomized run of the whole ensemble from one seed. The seed picks the
// ensemble (3 or 5 voters, maybe an observer) and a fault profile, then drives `steps` ticks of
// faults (crashes with torn writes, restarts, symmetric/asymmetric/bridge partitions and heals,
// connection breaks, local compaction) under a random write workload, with the Checker watching
// every step. Then the liveness phase: every fault is healed and every server restarted, and
// within `liveness_ticks` a leader must serve with a quorum, and a new write must commit and be
// applied on every server; finally every acknowledged write must be in every tree.
//
// The same seed and options give the same run, event for event (see Trace::fingerprint()).
#pragma once

#include <cstdint>
#include <string>

namespace zk::sim {

struct SimOptions {
  uint64_t seed = 1;
  int voters = 0;              // 3 or 5; 0: chosen by the seed
  int observers = -1;          // 0 or 1; -1: chosen by the seed
  int64_t steps = 600;         // ticks of the fault phase
  int64_t liveness_ticks = 0;  // bound of the liveness phase; 0: derived from the timing
  int reconfig = -1;  // membership changes (spare servers, random reconfigs): 1 on, 0 off,
                      // -1: chosen by the seed (a third of the seeds)
  // The planted bug: commit with the new membership's quorum alone (the checkers must catch it).
  bool plant_commit_with_new_quorum_only = false;
  bool verbose = false;
};

struct SimResult {
  bool ok = true;
  std::string failure;  // what broke, with the servers' states
  int64_t tick = 0;     // when
  uint64_t fingerprint = 0;
  std::string profile;  // the ensemble and fault profile the seed chose
  int64_t committed = 0;
  int64_t acked = 0;
  int64_t epochs = 0;
  int64_t crashes = 0;
  int64_t partitions = 0;
  int64_t forwarded = 0;  // writes forwarded from a learner and delivered to its leader
  int64_t diffs = 0, truncs = 0, snaps = 0;  // synchronizations by mode
  int64_t liveness_took = 0;                 // ticks until the liveness write was everywhere
  int64_t config_changes = 0;                // config txns committed
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace zk::sim
