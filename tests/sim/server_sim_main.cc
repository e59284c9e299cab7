// server_sim: runs the whole-server simulation (tests/sim/server_simulation.h) for one seed or a
// range of seeds.
//   server_sim --seed 42 --verbose   replays seed 42 with a trace of every event and the logs
//   server_sim --seeds 1..100        sweeps; prints each failure with its replay command
// Exit status: 0 when every seed passed, 1 otherwise.
#include <chrono>
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "tests/sim/seed_range.h"
#include "tests/sim/server_simulation.h"

int main(int argc, char** argv) {
  CLI::App app{"server_sim: deterministic simulation of zabkeeper servers and their clients"};
  uint64_t seed = 0;
  std::string seeds;
  zk::sim::ServerSimOptions base;
  bool determinism = false;
  bool quiet = false;
  std::string plant = "none";
  app.add_option("--seed", seed, "run one seed");
  app.add_option("--seeds", seeds, "run a range of seeds, A..B inclusive");
  app.add_option("--steps", base.steps, "ticks of the fault phase")->capture_default_str();
  app.add_option("--nodes", base.voters, "voters: 3 or 5 (default: chosen by the seed)")
      ->check(CLI::IsMember({0, 3, 5}));
  app.add_option("--observers", base.observers, "observers: 0 or 1 (default: chosen by the seed)")
      ->check(CLI::IsMember({-1, 0, 1}));
  app.add_option("--clients", base.clients, "client sessions at any time")->capture_default_str();
  app.add_flag("--no-faults", [&base](int64_t) { base.faults = false; },
               "no crashes, partitions or broken connections");
  app.add_option("--plant", plant,
                 "break one guarantee on purpose (zxid-goes-back, event-after-data, "
                 "duplicate-event, version-skew, repeated-sequence, frozen-leader-clock, "
                 "stale-read, lost-ack) to see its checker catch it")
      ->capture_default_str();
  app.add_option("--reconfig", base.reconfig,
                 "membership changes: 1 on, 0 off, -1 the seed decides (a third of the seeds)")
      ->capture_default_str();
  app.add_flag("--verbose,-v", base.verbose, "trace every action and fault, with the logs");
  app.add_flag("--check-determinism", determinism, "run every seed twice, compare the traces");
  app.add_flag("--quiet,-q", quiet, "print failures and the summary only");
  CLI11_PARSE(app, argc, argv);

  if (auto bug = zk::sim::PlantedBugNamed(plant)) {
    base.plant = *bug;
  } else {
    std::fprintf(stderr, "unknown --plant %s\n", plant.c_str());
    return 2;
  }
  uint64_t first = seed, last = seed;
  if (!seeds.empty() && !zk::sim::ParseSeedRange(seeds, &first, &last)) {
    std::fprintf(stderr, "--seeds wants A..B\n");
    return 2;
  }
  if (seeds.empty() && seed == 0) {
    std::fprintf(stderr, "give --seed N or --seeds A..B\n");
    return 2;
  }
  auto replay = [&](uint64_t s) {
    std::string cmd = std::string(argv[0]) + " --seed " + std::to_string(s) + " --steps " +
                      std::to_string(base.steps) + " --clients " + std::to_string(base.clients);
    if (base.voters != 0) cmd += " --nodes " + std::to_string(base.voters);
    if (base.observers >= 0) cmd += " --observers " + std::to_string(base.observers);
    if (!base.faults) cmd += " --no-faults";
    if (base.reconfig >= 0) cmd += " --reconfig " + std::to_string(base.reconfig);
    if (base.plant != zk::sim::PlantedBug::kNone) cmd += " --plant " + plant;
    return cmd + " --verbose";
  };

  const auto started = std::chrono::steady_clock::now();
  uint64_t failures = 0;
  int64_t sessions = 0, ops = 0, acked = 0, events = 0, expired = 0, crashes = 0,
          partitions = 0, slowest_end = 0, snapshots = 0, diffs = 0, truncs = 0, snaps = 0,
          reconfigs = 0, memberships = 0, reconfig_seeds = 0;
  for (uint64_t s = first; s <= last; ++s) {
    zk::sim::ServerSimOptions o = base;
    o.seed = s;
    zk::sim::ServerSimResult r = zk::sim::RunServerSimulation(o);
    if (r.ok && determinism) {
      o.verbose = false;
      zk::sim::ServerSimResult again = zk::sim::RunServerSimulation(o);
      if (again.fingerprint != r.fingerprint || again.tick != r.tick) {
        r.ok = false;
        r.failure = "nondeterminism: a second run of the seed took another course";
      }
    }
    if (!r.ok) {
      ++failures;
      std::printf("FAIL seed %llu at tick %lld (%s):\n%s\n  replay: %s\n",
                  static_cast<unsigned long long>(s), static_cast<long long>(r.tick),
                  r.profile.c_str(), r.failure.c_str(), replay(s).c_str());
    } else if (!quiet && first == last) {
      std::printf(
          "seed %llu ok (%s): %lld sessions, %lld requests, %lld writes acknowledged, %lld "
          "watch events, %lld expired, %lld crashes, %lld partitions, %lld snapshots, "
          "%lld/%lld/%lld DIFF/TRUNC/SNAP, last zxid 0x%llx; end phase %lld ticks; trace "
          "%016llx\n",
          static_cast<unsigned long long>(s), r.profile.c_str(),
          static_cast<long long>(r.sessions), static_cast<long long>(r.ops),
          static_cast<long long>(r.acked_writes), static_cast<long long>(r.events),
          static_cast<long long>(r.expired), static_cast<long long>(r.crashes),
          static_cast<long long>(r.partitions), static_cast<long long>(r.snapshots),
          static_cast<long long>(r.diffs), static_cast<long long>(r.truncs),
          static_cast<long long>(r.snaps), static_cast<unsigned long long>(r.last_zxid),
          static_cast<long long>(r.end_took), static_cast<unsigned long long>(r.fingerprint));
    }
    sessions += r.sessions;
    ops += r.ops;
    acked += r.acked_writes;
    events += r.events;
    expired += r.expired;
    crashes += r.crashes;
    partitions += r.partitions;
    slowest_end = std::max(slowest_end, r.end_took);
    snapshots += r.snapshots;
    diffs += r.diffs;
    truncs += r.truncs;
    snaps += r.snaps;
    reconfigs += r.reconfigs;
    memberships += r.memberships;
    reconfig_seeds += r.reconfigs > 0 ? 1 : 0;
    std::fflush(stdout);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (first != last || quiet) {
    std::printf(
        "server_sim: %llu seeds (%llu..%llu), %llu failed; %lld sessions, %lld requests, %lld "
        "writes acknowledged, %lld watch events, %lld expired, %lld crashes, %lld partitions, "
        "%lld snapshots, %lld/%lld/%lld DIFF/TRUNC/SNAP; %lld reconfigs in %lld seeds, %lld "
        "memberships committed; slowest end phase %lld ticks; %.1f s\n",
        static_cast<unsigned long long>(last - first + 1), static_cast<unsigned long long>(first),
        static_cast<unsigned long long>(last), static_cast<unsigned long long>(failures),
        static_cast<long long>(sessions), static_cast<long long>(ops),
        static_cast<long long>(acked), static_cast<long long>(events),
        static_cast<long long>(expired), static_cast<long long>(crashes),
        static_cast<long long>(partitions), static_cast<long long>(snapshots),
        static_cast<long long>(diffs), static_cast<long long>(truncs),
        static_cast<long long>(snaps), static_cast<long long>(reconfigs),
        static_cast<long long>(reconfig_seeds), static_cast<long long>(memberships),
        static_cast<long long>(slowest_end), secs);
  }
  return failures == 0 ? 0 : 1;
}
