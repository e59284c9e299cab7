// zab_sim: runs the deterministic simulation for one seed or a range of seeds.
//   zab_sim --seed 42 --verbose      replays seed 42 with a trace of every event
//   zab_sim --seeds 1..500           sweeps; prints each failure with its replay command
// Exit status: 0 when every seed passed, 1 otherwise.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "CLI/CLI.hpp"
#include "tests/sim/seed_range.h"
#include "tests/sim/simulation.h"

namespace {

char g_abort_note[512];

void OnAbort(int) {
  // A check in the core or the server aborted the process: say which seed to replay.
  ssize_t n = write(STDERR_FILENO, g_abort_note, std::strlen(g_abort_note));
  (void)n;
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zab_sim: deterministic simulation of a zabkeeper ensemble"};
  uint64_t seed = 0;
  std::string seeds;
  zk::sim::SimOptions base;
  bool observer = false;
  bool no_observer = false;
  bool determinism = false;
  bool quiet = false;
  app.add_option("--seed", seed, "run one seed");
  app.add_option("--seeds", seeds, "run a range of seeds, A..B inclusive");
  app.add_option("--steps", base.steps, "ticks of the fault phase")->capture_default_str();
  app.add_option("--nodes", base.voters, "voters: 3 or 5 (default: chosen by the seed)")
      ->check(CLI::IsMember({0, 3, 5}));
  app.add_flag("--observer", observer, "add an observer (default: chosen by the seed)");
  app.add_flag("--no-observer", no_observer, "no observer");
  app.add_option("--reconfig", base.reconfig,
                 "membership changes: 1 on (spare servers, random reconfigs), 0 off "
                 "(default: chosen by the seed, a third of them)")
      ->check(CLI::IsMember({0, 1}));
  app.add_flag("--plant-new-quorum-only", base.plant_commit_with_new_quorum_only,
               "planted bug: commit a pending config change with the new quorum alone");
  app.add_option("--liveness-ticks", base.liveness_ticks, "bound of the liveness phase");
  app.add_flag("--verbose,-v", base.verbose, "trace every message, action and fault");
  app.add_flag("--check-determinism", determinism, "run every seed twice, compare the traces");
  app.add_flag("--quiet,-q", quiet, "print failures and the summary only");
  CLI11_PARSE(app, argc, argv);

  uint64_t first = seed, last = seed;
  if (!seeds.empty() && !zk::sim::ParseSeedRange(seeds, &first, &last)) {
    std::fprintf(stderr, "--seeds wants A..B\n");
    return 2;
  }
  if (seeds.empty() && seed == 0) {
    std::fprintf(stderr, "give --seed N or --seeds A..B\n");
    return 2;
  }
  base.observers = observer ? 1 : no_observer ? 0 : -1;

  auto replay = [&](uint64_t s) {
    std::string cmd = std::string(argv[0]) + " --seed " + std::to_string(s) + " --steps " +
                      std::to_string(base.steps);
    if (base.voters != 0) cmd += " --nodes " + std::to_string(base.voters);
    if (observer) cmd += " --observer";
    if (no_observer) cmd += " --no-observer";
    if (base.reconfig >= 0) cmd += " --reconfig " + std::to_string(base.reconfig);
    if (base.plant_commit_with_new_quorum_only) cmd += " --plant-new-quorum-only";
    if (base.liveness_ticks > 0) cmd += " --liveness-ticks " + std::to_string(base.liveness_ticks);
    return cmd + " --verbose";
  };
  std::signal(SIGABRT, OnAbort);

  auto started = std::chrono::steady_clock::now();
  uint64_t failures = 0;
  int64_t committed = 0, epochs = 0, crashes = 0, partitions = 0, max_liveness = 0;
  int64_t diffs = 0, truncs = 0, snaps = 0;
  for (uint64_t s = first; s <= last; ++s) {
    std::snprintf(g_abort_note, sizeof g_abort_note,
                  "\nzab_sim: aborted during seed %llu; replay: %s\n",
                  static_cast<unsigned long long>(s), replay(s).c_str());
    zk::sim::SimOptions o = base;
    o.seed = s;
    zk::sim::SimResult r = zk::sim::RunSimulation(o);
    if (r.ok && determinism) {
      o.verbose = false;
      zk::sim::SimResult again = zk::sim::RunSimulation(o);
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
          "seed %llu ok (%s): %lld txns committed, %lld acknowledged, %lld epochs, "
          "%lld forwarded, %lld crashes, %lld partitions, %lld/%lld/%lld DIFF/TRUNC/SNAP; "
          "%lld config changes; liveness in %lld ticks; trace %016llx\n",
          static_cast<unsigned long long>(s), r.profile.c_str(),
          static_cast<long long>(r.committed), static_cast<long long>(r.acked),
          static_cast<long long>(r.epochs), static_cast<long long>(r.forwarded),
          static_cast<long long>(r.crashes), static_cast<long long>(r.partitions),
          static_cast<long long>(r.diffs), static_cast<long long>(r.truncs),
          static_cast<long long>(r.snaps), static_cast<long long>(r.config_changes),
          static_cast<long long>(r.liveness_took), static_cast<unsigned long long>(r.fingerprint));
    }
    committed += r.committed;
    epochs += r.epochs;
    crashes += r.crashes;
    partitions += r.partitions;
    diffs += r.diffs;
    truncs += r.truncs;
    snaps += r.snaps;
    max_liveness = std::max(max_liveness, r.liveness_took);
    std::fflush(stdout);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (first != last || quiet) {
    std::printf(
        "zab_sim: %llu seeds (%llu..%llu), %llu failed; %lld txns committed, %lld "
        "epochs, %lld crashes, %lld partitions, %lld/%lld/%lld DIFF/TRUNC/SNAP; slowest "
        "liveness %lld ticks; %.1f s\n",
        static_cast<unsigned long long>(last - first + 1), static_cast<unsigned long long>(first),
        static_cast<unsigned long long>(last), static_cast<unsigned long long>(failures),
        static_cast<long long>(committed), static_cast<long long>(epochs),
        static_cast<long long>(crashes), static_cast<long long>(partitions),
        static_cast<long long>(diffs), static_cast<long long>(truncs),
        static_cast<long long>(snaps), static_cast<long long>(max_liveness), secs);
  }
  return failures == 0 ? 0 : 1;
}
