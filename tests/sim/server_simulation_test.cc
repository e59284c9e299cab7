// The server simulation runs clean, repeats itself, and each checker catches the bug planted in
// its domain (tests/sim/planted_bugs.h).
#include "tests/sim/server_simulation.h"

#include <doctest/doctest.h>

namespace zk::sim {
namespace {

ServerSimResult RunPlanted(PlantedBug bug) {
  ServerSimOptions o;
  o.seed = 1;
  o.faults = false;
  o.steps = 600;
  o.plant = bug;
  return RunServerSimulation(o);
}

TEST_CASE("seeds with crashes, partitions and broken connections pass every check") {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    ServerSimOptions o;
    o.seed = seed;
    const ServerSimResult r = RunServerSimulation(o);
    INFO("seed ", seed, ": ", r.failure);
    CHECK(r.ok);
    CHECK(r.acked_writes > 0);
    CHECK(r.sessions > 0);
  }
}

TEST_CASE("seeds with membership changes pass, and the changes commit") {
  int64_t memberships = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    ServerSimOptions o;
    o.seed = seed;
    o.reconfig = 1;
    const ServerSimResult r = RunServerSimulation(o);
    INFO("seed ", seed, ": ", r.failure);
    CHECK(r.ok);
    CHECK(r.reconfigs > 0);
    memberships += r.memberships;
  }
  CHECK(memberships > 0);
}

TEST_CASE("a seed replays event for event") {
  ServerSimOptions o;
  o.seed = 7;
  const ServerSimResult a = RunServerSimulation(o);
  const ServerSimResult b = RunServerSimulation(o);
  REQUIRE(a.ok);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.tick == b.tick);
  CHECK(a.ops == b.ops);
}

TEST_CASE("the run without a planted bug passes, so each failure below is the bug's") {
  const ServerSimResult r = RunPlanted(PlantedBug::kNone);
  INFO(r.failure);
  CHECK(r.ok);
}

TEST_CASE("each planted bug is caught by the checker of its domain") {
  const std::pair<PlantedBug, const char*> cases[] = {
      {PlantedBug::kZxidGoesBack, "[session-order]"},
      {PlantedBug::kEventAfterData, "[watch-order]"},
      {PlantedBug::kDuplicateEvent, "[one-event]"},
      {PlantedBug::kVersionSkew, "[write-order]"},
      {PlantedBug::kRepeatedSequence, "[sequential]"},
      {PlantedBug::kFrozenLeaderClock, "sessions 1000 ticks after every client left"},
      {PlantedBug::kStaleRead, "[read-your-writes]"},
      {PlantedBug::kLostAck, "[acked-durable]"},
      {PlantedBug::kEarlyTtlReap, "[reaper-ttl]"},
      {PlantedBug::kIdleReaper, "[reaper-bound]"},
  };
  for (const auto& [bug, caught_by] : cases) {
    const ServerSimResult r = RunPlanted(bug);
    INFO(PlantedBugName(bug), ": ", r.failure);
    CHECK_FALSE(r.ok);
    CHECK(r.failure.find(caught_by) != std::string::npos);
  }
}

}  // namespace
}  // namespace zk::sim
