// The down-instance policy and the LoadBalancer facade: skipping failing instances, calls,
// concurrent use.
#include "client/discovery/load_balancer.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "client/discovery/down_instance_policy.h"
#include "tests/unit/discovery/test_support.h"

namespace zk::discovery {
namespace {

using testing::FakeClock;
using testing::Instance;

TEST_CASE("down-instance policy: down after N errors within the window, back after the down time") {
  FakeClock clock;
  DownInstancePolicy policy({}, clock.Fn());  // Curator's defaults: 2 errors, 30 s
  auto a = Instance("a");
  auto b = Instance("b");
  CHECK_FALSE(policy.IsDown(a));
  policy.NoteError(a);
  CHECK_FALSE(policy.IsDown(a));
  clock.Advance(29'999);
  policy.NoteError(a);  // second error within 30 s of the first
  CHECK(policy.IsDown(a));
  CHECK_FALSE(policy.IsDown(b));
  // An updated instance (same name and id) is the same instance.
  auto a2 = a;
  a2.payload_json = R"({"weight":5})";
  CHECK(policy.IsDown(a2));
  clock.Advance(15'000);
  policy.NoteError(a);  // an error while down does not extend it
  clock.Advance(14'999);
  CHECK(policy.IsDown(a));
  clock.Advance(1);  // 30 s after the error that crossed the threshold
  CHECK_FALSE(policy.IsDown(a));
  CHECK(policy.Tracked() == 0);
  // A clean slate: one error is not enough again.
  policy.NoteError(a);
  CHECK_FALSE(policy.IsDown(a));

  // Errors further apart than the window do not add up.
  policy.NoteError(b);
  clock.Advance(30'000);
  policy.NoteError(b);
  CHECK_FALSE(policy.IsDown(b));
  clock.Advance(10'000);
  policy.NoteError(b);
  CHECK(policy.IsDown(b));
}

TEST_CASE("down-instance policy: thresholds, times and successes as configured") {
  FakeClock clock;
  DownInstancePolicy policy({.error_threshold = 3, .error_window_ms = 1'000, .down_ms = 5'000},
                            clock.Fn());
  auto a = Instance("a");
  policy.NoteError(a);
  policy.NoteError(a);
  policy.NoteSuccess(a);  // Curator's way: a success forgives nothing
  CHECK_FALSE(policy.IsDown(a));
  policy.NoteError(a);
  CHECK(policy.IsDown(a));
  clock.Advance(4'999);
  CHECK(policy.IsDown(a));
  clock.Advance(1);
  CHECK_FALSE(policy.IsDown(a));

  DownInstancePolicy forgiving({.error_threshold = 2, .success_clears_errors = true}, clock.Fn());
  forgiving.NoteError(a);
  forgiving.NoteSuccess(a);
  forgiving.NoteError(a);
  CHECK_FALSE(forgiving.IsDown(a));
  forgiving.NoteError(a);
  CHECK(forgiving.IsDown(a));
  forgiving.NoteSuccess(a);  // a success never revives an instance already down
  CHECK(forgiving.IsDown(a));
}

TEST_CASE("LoadBalancer skips down and disabled instances; none when all are down") {
  FakeClock clock;
  LoadBalancer lb({.strategy = StrategyKind::kRoundRobin, .now_ms = clock.Fn()});
  std::vector<ServiceInstance> instances = {Instance("a"), Instance("b"), Instance("c")};
  instances[2].enabled = false;  // Curator's ServiceProvider skips disabled instances too
  std::map<std::string, int> counts;
  for (int i = 0; i < 1'000; ++i) ++counts[lb.Pick(instances)->id];
  CHECK(counts["a"] == 500);
  CHECK(counts["b"] == 500);
  CHECK(counts.count("c") == 0);

  lb.NoteError(instances[1]);
  lb.NoteError(instances[1]);
  for (int i = 0; i < 1'000; ++i) REQUIRE(lb.Pick(instances)->id == "a");
  lb.NoteError(instances[0]);
  clock.Advance(10'000);
  lb.NoteError(instances[0]);
  CHECK_FALSE(lb.Pick(instances).has_value());  // every instance down: none, as Curator
  CHECK_FALSE(lb.StartCall(instances));
  clock.Advance(20'000);  // b's down time is over
  for (int i = 0; i < 100; ++i) REQUIRE(lb.Pick(instances)->id == "b");
  clock.Advance(10'000);  // and a's
  counts.clear();
  for (int i = 0; i < 1'000; ++i) ++counts[lb.Pick(instances)->id];
  CHECK(counts["a"] == 500);
  CHECK(counts["b"] == 500);
}

TEST_CASE("LoadBalancer's consistent hash: a down instance's keys move and come back") {
  FakeClock clock;
  LoadBalancer lb({.strategy = StrategyKind::kConsistentHash, .now_ms = clock.Fn()});
  std::vector<ServiceInstance> instances = {Instance("a"), Instance("b"), Instance("c"),
                                            Instance("d")};
  std::vector<std::string> before;
  for (int k = 0; k < 2'000; ++k) before.push_back(lb.Pick(instances, std::to_string(k))->id);
  lb.NoteError(instances[2]);
  lb.NoteError(instances[2]);
  for (int k = 0; k < 2'000; ++k) {
    auto id = lb.Pick(instances, std::to_string(k))->id;
    REQUIRE(id != "c");
    if (before[k] != "c") REQUIRE(id == before[k]);
  }
  clock.Advance(30'000);
  for (int k = 0; k < 2'000; ++k) REQUIRE(lb.Pick(instances, std::to_string(k))->id == before[k]);
}

TEST_CASE("Call objects count calls in flight and report their outcome") {
  FakeClock clock;
  LoadBalancer lb({.strategy = StrategyKind::kLeastActive, .now_ms = clock.Fn()});
  std::vector<ServiceInstance> instances = {Instance("a"), Instance("b")};
  auto active = [&](int i) { return lb.call_stats()->Of(instances[i])->active.load(); };
  {
    Call first = lb.StartCall(instances);
    REQUIRE(first);
    Call second = lb.StartCall(instances);
    REQUIRE(second);
    CHECK(first.instance().id != second.instance().id);  // least-active spreads them
    CHECK(active(0) == 1);
    CHECK(active(1) == 1);
    clock.Advance(40);
    first.Succeeded();
    first.Failed();  // the first outcome counts
    auto c = lb.call_stats()->Of(first.instance());
    CHECK(c->succeeded.load() == 1);
    CHECK(c->succeeded_elapsed_ms.load() == 40);
    CHECK(c->failed.load() == 0);
    Call moved = std::move(second);
  }  // `moved` ends without an outcome
  CHECK(active(0) == 0);
  CHECK(active(1) == 0);
  CHECK(lb.down_policy().Tracked() == 0);

  Call failing = lb.StartCall(instances);
  std::string id = failing.instance().id;
  failing.Failed();
  lb.NoteCallStart(failing.instance());
  lb.NoteCallEnd(failing.instance(), 5, false);  // the second error: down
  for (int i = 0; i < 100; ++i) REQUIRE(lb.Pick(instances)->id != id);
}

TEST_CASE("strategy names parse and name every kind") {
  for (auto kind : {StrategyKind::kRandom, StrategyKind::kRoundRobin, StrategyKind::kWeightedRandom,
                    StrategyKind::kSmoothWeightedRoundRobin, StrategyKind::kLeastActive,
                    StrategyKind::kShortestResponse, StrategyKind::kConsistentHash}) {
    CHECK(ParseStrategyKind(StrategyKindName(kind)) == kind);
  }
  CHECK_FALSE(ParseStrategyKind("fastest").has_value());
  LoadBalancer sticky({.strategy = StrategyKind::kRandom, .sticky = true});
  CHECK(sticky.strategy().Name() == "sticky");
}

TEST_CASE("one LoadBalancer serves many threads: exact smooth round-robin counts, no lost calls") {
  constexpr int kThreads = 4;
  constexpr int kPicksPerThread = 26'250;  // 4 x 26250 = 15000 cycles of 5,1,1
  LoadBalancer lb({.strategy = StrategyKind::kSmoothWeightedRoundRobin});
  std::vector<ServiceInstance> instances = {Instance("a", 5), Instance("b", 1), Instance("c", 1)};
  std::atomic<int> a{0}, b{0}, c{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPicksPerThread; ++i) {
        auto id = lb.Pick(instances)->id;
        (id == "a" ? a : id == "b" ? b : c).fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(a.load() == 75'000);
  CHECK(b.load() == 15'000);
  CHECK(c.load() == 15'000);
}

TEST_CASE("concurrent calls, errors and changing lists on every strategy") {
  for (auto kind : {StrategyKind::kRandom, StrategyKind::kRoundRobin, StrategyKind::kWeightedRandom,
                    StrategyKind::kSmoothWeightedRoundRobin, StrategyKind::kLeastActive,
                    StrategyKind::kShortestResponse, StrategyKind::kConsistentHash}) {
    CAPTURE(StrategyKindName(kind));
    LoadBalancer lb({.strategy = kind,
                     .sticky = kind == StrategyKind::kRandom,
                     .down = {.error_threshold = 3, .down_ms = 1}});
    std::vector<ServiceInstance> all;
    for (int i = 0; i < 8; ++i) all.push_back(Instance("p" + std::to_string(i), 10 * (i + 1)));
    std::atomic<int> picked{0}, invalid{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 2'000; ++i) {
          // Each thread sees its own, changing, subset of the instances.
          std::vector<ServiceInstance> some(all.begin() + (i + t) % 4, all.end() - (i % 2));
          Call call = lb.StartCall(some, std::to_string(i));
          if (!call) continue;
          picked.fetch_add(1);
          bool listed = false;
          for (const auto& s : some) listed = listed || s.id == call.instance().id;
          if (!listed) invalid.fetch_add(1);
          if (i % 7 == 0) {
            call.Failed();
          } else if (i % 2 == 0) {
            call.Succeeded();
          }  // else: ends without an outcome
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(picked.load() > 0);
    CHECK(invalid.load() == 0);
    for (const auto& s : all) CHECK(lb.call_stats()->Of(s)->active.load() == 0);
  }
}

}  // namespace
}  // namespace zk::discovery
