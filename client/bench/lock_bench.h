// The lock benchmark of zkbench (`--op lock`): N contenders, each a thread with its own session
// and its own zk::recipes::Mutex on one lock path, acquire and release in a loop for the run's
// duration (holding it for `hold_us`, 0 by default).
//
// Measured, in the window after the warm-up:
// * acquisitions per second (every Acquire that returned true);
// * hand-off latency, with N > 1: from the moment a holder calls Release to the moment the next
//   holder's Acquire returns — the time the lock is free while someone waits for it (delete of
//   the holder's node, the watch event at the next waiter, its getChildren);
// * acquire latency: the duration of each Acquire call (with N == 1 the uncontended cost:
//   create + getChildren);
// * cycle latency: acquire + release of one contender, back to back.
// Every sample is kept and quantiles are exact (nearest rank), the same rule as
// scripts/bench/CuratorLockBench.java, the Curator counterpart this is compared with.
// Errors (an Acquire or Release that failed) are counted apart and never as acquisitions.
#pragma once

#include <string>
#include <vector>

namespace zk::bench {

struct LockBenchConfig {
  std::string servers;
  int contenders = 10;
  double warmup_s = 2;
  double duration_s = 10;
  int hold_us = 0;
  std::string path = "/zkbench-lock";
  int session_timeout_ms = 30000;
  std::vector<int> cpu_pids;  // server processes whose CPU time is reported
  bool json = false;
};

// Runs the benchmark and prints its report (and, with json, one JSON line last). Returns the
// process exit code: 0 if there were acquisitions and no errors.
int RunLockBench(const LockBenchConfig& cfg);

}  // namespace zk::bench
