// Distributions of the provider strategies, measured over many picks.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "client/discovery/call_stats.h"
#include "client/discovery/curator_strategies.h"
#include "client/discovery/dubbo_strategies.h"
#include "client/discovery/instance_weight.h"
#include "tests/unit/discovery/test_support.h"

namespace zk::discovery {
namespace {

using testing::CountPicks;
using testing::FakeClock;
using testing::Instance;

constexpr int kPicks = 100'000;

double Share(const std::map<std::string, int>& counts, const std::string& id, int n = kPicks) {
  auto it = counts.find(id);
  return it == counts.end() ? 0.0 : static_cast<double>(it->second) / n;
}

std::string Sequence(ProviderStrategy& s, const std::vector<ServiceInstance>& instances, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += instances[*s.Pick(instances)].id;
  return out;
}

TEST_CASE("every strategy answers none for no instance and the only one for one") {
  auto stats = std::make_shared<CallStats>();
  std::vector<std::unique_ptr<ProviderStrategy>> all;
  all.push_back(std::make_unique<RandomStrategy>());
  all.push_back(std::make_unique<RoundRobinStrategy>());
  all.push_back(std::make_unique<StickyStrategy>(std::make_unique<RandomStrategy>()));
  all.push_back(std::make_unique<WeightedRandomStrategy>());
  all.push_back(std::make_unique<SmoothWeightedRoundRobinStrategy>());
  all.push_back(std::make_unique<LeastActiveStrategy>(stats));
  all.push_back(std::make_unique<ShortestResponseStrategy>(stats));
  for (auto& s : all) {
    CAPTURE(s->Name());
    CHECK_FALSE(s->Pick({}).has_value());
    CHECK(s->Pick({Instance("a")}) == 0u);
  }
}

// Tolerances: with 100000 picks a share's standard deviation is at most 0.0016; the bounds
// below are about six of them.
TEST_CASE("Curator's random: uniform over the instances, whatever their weights") {
  RandomStrategy random;
  std::vector<ServiceInstance> instances = {Instance("a", 1), Instance("b", 50),
                                            Instance("c", 900)};
  auto counts = CountPicks(instances, kPicks, [&] { return random.Pick(instances); });
  for (const char* id : {"a", "b", "c"}) {
    CHECK(Share(counts, id) == doctest::Approx(1.0 / 3).epsilon(0.03));
  }
}

TEST_CASE("Curator's round-robin: list order, exactly even, carrying on over a changed list") {
  RoundRobinStrategy rr;
  std::vector<ServiceInstance> instances = {Instance("a"), Instance("b"), Instance("c")};
  CHECK(Sequence(rr, instances, 7) == "abcabca");
  auto counts = CountPicks(instances, 99'999 - 7, [&] { return rr.Pick(instances); });
  // 7 + 99992 picks: 33333 each in all.
  CHECK(counts["a"] + 3 == 33'333);
  CHECK(counts["b"] + 2 == 33'333);
  CHECK(counts["c"] + 2 == 33'333);
  // b leaves: the rotation carries on over a, c; each exactly every other pick.
  std::vector<ServiceInstance> two = {Instance("a"), Instance("c")};
  std::string s = Sequence(rr, two, 100);
  CHECK(s.find("aa") == std::string::npos);
  CHECK(s.find("cc") == std::string::npos);
  CHECK(std::count(s.begin(), s.end(), 'a') == 50);
}

TEST_CASE("Curator's sticky: keeps its instance while it is listed, then picks another") {
  StickyStrategy sticky(std::make_unique<RandomStrategy>());
  std::vector<ServiceInstance> instances = {Instance("a"), Instance("b"), Instance("c"),
                                            Instance("d")};
  std::string first = instances[*sticky.Pick(instances)].id;
  for (int i = 0; i < 10'000; ++i) REQUIRE(instances[*sticky.Pick(instances)].id == first);
  CHECK(sticky.Switches() == 1);

  // Reordered, updated and with a newcomer: still the same instance (matched by name and id).
  std::vector<ServiceInstance> changed(instances.rbegin(), instances.rend());
  changed.push_back(Instance("e"));
  for (auto& i : changed) i.payload_json = R"({"weight":7})";
  for (int i = 0; i < 1'000; ++i) REQUIRE(changed[*sticky.Pick(changed)].id == first);

  // Its instance leaves: one switch to another, which then sticks.
  std::vector<ServiceInstance> without;
  for (const auto& i : changed) {
    if (i.id != first) without.push_back(i);
  }
  std::string second = without[*sticky.Pick(without)].id;
  CHECK(second != first);
  for (int i = 0; i < 1'000; ++i) REQUIRE(without[*sticky.Pick(without)].id == second);
  // The first one comes back: the sticky one stays.
  for (int i = 0; i < 1'000; ++i) REQUIRE(changed[*sticky.Pick(changed)].id == second);
  CHECK(sticky.Switches() == 2);
  CHECK_FALSE(sticky.Pick({}).has_value());
  CHECK(sticky.Switches() == 2);
}

TEST_CASE("Dubbo's weighted random: shares follow the weights") {
  WeightedRandomStrategy random;
  std::vector<ServiceInstance> instances = {Instance("a", 100), Instance("b", 200),
                                            Instance("c", 300), Instance("d", 400)};
  auto counts = CountPicks(instances, kPicks, [&] { return random.Pick(instances); });
  CHECK(Share(counts, "a") == doctest::Approx(0.1).epsilon(0.1));
  CHECK(Share(counts, "b") == doctest::Approx(0.2).epsilon(0.05));
  CHECK(Share(counts, "c") == doctest::Approx(0.3).epsilon(0.035));
  CHECK(Share(counts, "d") == doctest::Approx(0.4).epsilon(0.025));

  // Equal weights: uniform; no weight counts as 100.
  std::vector<ServiceInstance> equal = {Instance("a", 100), Instance("b"), Instance("c", 100)};
  counts = CountPicks(equal, kPicks, [&] { return random.Pick(equal); });
  for (const char* id : {"a", "b", "c"}) {
    CHECK(Share(counts, id) == doctest::Approx(1.0 / 3).epsilon(0.03));
  }
}

TEST_CASE("Dubbo's weighted random: an instance warming up gets its reduced share") {
  FakeClock clock;
  auto weigher =
      std::make_shared<Weigher>(WeigherOptions{.warmup_ms = 600'000, .now_ms = clock.Fn()});
  WeightedRandomStrategy random(weigher);
  // a registered long ago (weight 100); b one minute ago (warm-up weight 10 of 100).
  std::vector<ServiceInstance> instances = {Instance("a", 100, clock.Now() - 3'600'000),
                                            Instance("b", 100, clock.Now() - 60'000)};
  auto counts = CountPicks(instances, kPicks, [&] { return random.Pick(instances); });
  CHECK(Share(counts, "b") == doctest::Approx(10.0 / 110).epsilon(0.1));
  // Five minutes later b weighs 60: 60 / 160.
  clock.Advance(300'000);
  counts = CountPicks(instances, kPicks, [&] { return random.Pick(instances); });
  CHECK(Share(counts, "b") == doctest::Approx(60.0 / 160).epsilon(0.03));
  // Warm: even.
  clock.Advance(300'000);
  counts = CountPicks(instances, kPicks, [&] { return random.Pick(instances); });
  CHECK(Share(counts, "b") == doctest::Approx(0.5).epsilon(0.02));
}

TEST_CASE("Dubbo's smooth weighted round-robin: nginx's sequence, exact counts") {
  SmoothWeightedRoundRobinStrategy rr;
  std::vector<ServiceInstance> instances = {Instance("a", 5), Instance("b", 1), Instance("c", 1)};
  CHECK(Sequence(rr, instances, 14) ==
        "aabacaa"
        "aabacaa");

  SmoothWeightedRoundRobinStrategy rr2;
  std::vector<ServiceInstance> four = {Instance("a", 1), Instance("b", 2), Instance("c", 3),
                                       Instance("d", 4)};
  auto counts = CountPicks(four, kPicks, [&] { return rr2.Pick(four); });
  CHECK(counts["a"] == 10'000);
  CHECK(counts["b"] == 20'000);
  CHECK(counts["c"] == 30'000);
  CHECK(counts["d"] == 40'000);
  // Every window of 10 consecutive picks holds each instance weight times (smoothness).
  std::string s = Sequence(rr2, four, 1'000);
  for (size_t i = 0; i + 10 <= s.size(); ++i) {
    auto w = s.substr(i, 10);
    REQUIRE(std::count(w.begin(), w.end(), 'a') == 1);
    REQUIRE(std::count(w.begin(), w.end(), 'b') == 2);
    REQUIRE(std::count(w.begin(), w.end(), 'c') == 3);
    REQUIRE(std::count(w.begin(), w.end(), 'd') == 4);
  }

  // c leaves, e (weight 2) comes: the counts follow the new weights at once (within what the
  // carried-over current values allow).
  std::vector<ServiceInstance> changed = {Instance("a", 1), Instance("b", 2), Instance("d", 4),
                                          Instance("e", 2)};
  counts = CountPicks(changed, 9'000, [&] { return rr2.Pick(changed); });
  CHECK(std::abs(counts["a"] - 1'000) <= 2);
  CHECK(std::abs(counts["b"] - 2'000) <= 2);
  CHECK(std::abs(counts["d"] - 4'000) <= 2);
  CHECK(std::abs(counts["e"] - 2'000) <= 2);
  CHECK(counts.count("c") == 0);
}

TEST_CASE("Dubbo's smooth weighted round-robin follows the warm-up") {
  FakeClock clock;
  auto weigher =
      std::make_shared<Weigher>(WeigherOptions{.warmup_ms = 600'000, .now_ms = clock.Fn()});
  SmoothWeightedRoundRobinStrategy rr(weigher);
  // b registered 30 s ago: weight 5 of 100 (for 6 s).
  std::vector<ServiceInstance> instances = {Instance("a", 100, clock.Now() - 3'600'000),
                                            Instance("b", 100, clock.Now() - 30'000)};
  auto counts = CountPicks(instances, 10'500, [&] { return rr.Pick(instances); });
  CHECK(counts["a"] == 10'000);
  CHECK(counts["b"] == 500);
  clock.Advance(570'000);  // b at 600 s: warm
  counts = CountPicks(instances, 10'000, [&] { return rr.Pick(instances); });
  CHECK(std::abs(counts["b"] - 5'000) <= 1);
}

TEST_CASE("Dubbo's least-active picks among the instances with the fewest calls in flight") {
  auto stats = std::make_shared<CallStats>();
  LeastActiveStrategy least(stats);
  std::vector<ServiceInstance> instances = {Instance("a", 100), Instance("b", 300),
                                            Instance("c", 100)};
  stats->CallStarted(instances[0]);
  stats->CallStarted(instances[0]);
  stats->CallStarted(instances[1]);
  for (int i = 0; i < 1'000; ++i) REQUIRE(least.Pick(instances) == 2u);  // c: 0 in flight
  stats->CallStarted(instances[2]);
  stats->CallStarted(instances[2]);
  for (int i = 0; i < 1'000; ++i) REQUIRE(least.Pick(instances) == 1u);  // b: 1
  stats->CallStarted(instances[1]);
  // a, b, c at 2 each: weighted random 1:3:1.
  auto counts = CountPicks(instances, kPicks, [&] { return least.Pick(instances); });
  CHECK(Share(counts, "a") == doctest::Approx(0.2).epsilon(0.05));
  CHECK(Share(counts, "b") == doctest::Approx(0.6).epsilon(0.02));
  CHECK(Share(counts, "c") == doctest::Approx(0.2).epsilon(0.05));
  // a's calls end (one failed): a back at 0.
  stats->CallEnded(instances[0], 5, true);
  stats->CallEnded(instances[0], 5, false);
  for (int i = 0; i < 1'000; ++i) REQUIRE(least.Pick(instances) == 0u);
}

TEST_CASE("Dubbo's shortest-response prefers the faster instance, counting calls in flight") {
  FakeClock clock;
  auto stats = std::make_shared<CallStats>(clock.Fn());
  ShortestResponseStrategy shortest(stats, nullptr, 30'000);
  std::vector<ServiceInstance> instances = {Instance("a"), Instance("b"), Instance("c")};
  // a answers in 100 ms, b in 20 ms, c in 60 ms (10 calls each).
  for (int i = 0; i < 10; ++i) {
    for (auto [index, ms] : {std::pair{0, 100}, std::pair{1, 20}, std::pair{2, 60}}) {
      stats->CallStarted(instances[index]);
      stats->CallEnded(instances[index], ms, true);
    }
  }
  for (int i = 0; i < 1'000; ++i) REQUIRE(shortest.Pick(instances) == 1u);
  // b gets 3 calls in flight: 20 x 4 = 80 > 60 (c, idle): c.
  for (int i = 0; i < 3; ++i) stats->CallStarted(instances[1]);
  for (int i = 0; i < 1'000; ++i) REQUIRE(shortest.Pick(instances) == 2u);
  // c gets 1: 60 x 2 = 120; a 100, b 80: b.
  stats->CallStarted(instances[2]);
  for (int i = 0; i < 1'000; ++i) REQUIRE(shortest.Pick(instances) == 1u);
  // Failures do not count as response times.
  stats->CallStarted(instances[0]);
  stats->CallEnded(instances[0], 1, false);
  CHECK(stats->Of(instances[0])->WindowAverageElapsedMs() == 100);

  // A new window after the slide period: nothing measured in it yet, every estimate 0: random
  // among all three.
  clock.Advance(30'001);
  shortest.Pick(instances);  // the pick that sees the period over starts the new window
  auto counts = CountPicks(instances, 30'000, [&] { return shortest.Pick(instances); });
  for (const char* id : {"a", "b", "c"}) {
    CHECK(Share(counts, id, 30'000) == doctest::Approx(1.0 / 3).epsilon(0.06));
  }
  // Within the new window only new calls count: 10 ms each; a: 10 x 1, b: 10 x 4, c: 10 x 2.
  for (int i = 0; i < 3; ++i) {
    stats->CallStarted(instances[i]);
    stats->CallEnded(instances[i], 10, true);
  }
  for (int i = 0; i < 1'000; ++i) REQUIRE(shortest.Pick(instances) == 0u);
}

}  // namespace
}  // namespace zk::discovery
