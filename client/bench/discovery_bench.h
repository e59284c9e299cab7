// The discovery benchmark of zkbench (`--op discovery`): how fast a provider's arrival and death
// reach every consumer's cache. `caches` consumers, each with its own session and its own
// zk::discovery::ServiceCache of one service, watch it; then, `rounds` times:
// * arrival: a provider (a session of this process) registers a new instance; measured from the
//   Register call to the moment each cache's listener sees it (one sample per cache and round,
//   and the slowest cache of the round);
// * death: a provider process (this binary, `--op discovery-provider`) registered an instance and
//   is killed with SIGKILL; measured from the kill to the moment each cache no longer holds it —
//   the provider's session timeout (its ephemeral node goes when the session expires) plus the
//   notification and the caches' re-reads.
// Before measuring, registrations and unregistrations for `warmup_s` seconds (unmeasured).
// Quantiles are exact (nearest rank) over every sample. With --cpu-pids, the servers' CPU seconds
// over the arrival phase, per registration.
#pragma once

#include <string>
#include <vector>

namespace zk::bench {

struct DiscoveryBenchConfig {
  std::string servers;
  int caches = 100;
  int rounds = 20;
  double warmup_s = 10;         // unmeasured registrations and unregistrations first
  int deaths = 5;               // provider processes killed (each one round of the death phase)
  int provider_session_ms = 4000;
  std::string base = "/zkbench-discovery";
  int session_timeout_ms = 30000;
  std::vector<int> cpu_pids;
  bool json = false;
};

// Runs the benchmark and prints its report (and, with json, one JSON line last). Returns the
// process exit code: 0 if every change reached every cache.
int RunDiscoveryBench(const DiscoveryBenchConfig& cfg, const std::string& self_exe);

// The provider process of the death phase: registers `id` under `base`, prints "registered" and
// waits to be killed.
int RunDiscoveryProvider(const DiscoveryBenchConfig& cfg, const std::string& id);

}  // namespace zk::bench
