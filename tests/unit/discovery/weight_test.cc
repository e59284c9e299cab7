#include <doctest/doctest.h>

#include "client/discovery/instance_weight.h"
#include "tests/unit/discovery/test_support.h"

namespace zk::discovery {
namespace {

using testing::FakeClock;
using testing::Instance;

TEST_CASE("CalculateWarmupWeight is Dubbo's: linear, truncated, at least 1, at most the weight") {
  // Dubbo's default warm-up of 10 minutes and default weight 100: one point per 6 s.
  CHECK(CalculateWarmupWeight(1, 600'000, 100) == 1);
  CHECK(CalculateWarmupWeight(5'999, 600'000, 100) == 1);
  CHECK(CalculateWarmupWeight(6'000, 600'000, 100) == 1);
  CHECK(CalculateWarmupWeight(12'000, 600'000, 100) == 2);
  CHECK(CalculateWarmupWeight(60'000, 600'000, 100) == 10);
  CHECK(CalculateWarmupWeight(299'999, 600'000, 100) == 49);
  CHECK(CalculateWarmupWeight(300'000, 600'000, 100) == 50);
  CHECK(CalculateWarmupWeight(599'999, 600'000, 100) == 99);
  // A weight that does not divide the warm-up: 600000 / 7 = 85714.28 ms per point.
  CHECK(CalculateWarmupWeight(85'714, 600'000, 7) == 1);
  CHECK(CalculateWarmupWeight(300'000, 600'000, 7) == 3);
  CHECK(CalculateWarmupWeight(514'285, 600'000, 7) == 5);
  CHECK(CalculateWarmupWeight(514'286, 600'000, 7) == 6);
  // Single precision as Java's float: 1000 / (3000f / 3) = 1.0 exactly.
  CHECK(CalculateWarmupWeight(1'000, 3'000, 3) == 1);
  CHECK(CalculateWarmupWeight(1'999, 3'000, 3) == 1);
  CHECK(CalculateWarmupWeight(2'000, 3'000, 3) == 2);
}

TEST_CASE("Weigher: the payload's weight, ramped up over the warm-up after registration") {
  FakeClock clock;
  const int64_t registered = clock.Now();
  Weigher weigher({.warmup_ms = 600'000, .now_ms = clock.Fn()});
  auto fresh = Instance("a", 200, registered);

  CHECK(weigher.ConfiguredWeight(fresh) == 200);
  CHECK(weigher.WeightOf(fresh) == 200);  // uptime 0: Dubbo applies no warm-up
  clock.Advance(1);
  CHECK(weigher.WeightOf(fresh) == 1);
  clock.Advance(60'000 - 1);
  CHECK(weigher.WeightOf(fresh) == 20);
  clock.Advance(240'000);
  CHECK(weigher.WeightOf(fresh) == 100);
  clock.Advance(299'999);
  CHECK(weigher.WeightOf(fresh) == 199);
  clock.Advance(1);
  CHECK(weigher.WeightOf(fresh) == 200);
  clock.Advance(86'400'000LL * 60);  // 60 days: no wrap-around as Dubbo's int uptime has
  CHECK(weigher.WeightOf(fresh) == 200);

  // Registered "in the future" (clock skew): 1, as Dubbo.
  CHECK(weigher.WeightOf(Instance("b", 200, clock.Now() + 5'000)) == 1);
  // No registration time, or no payload weight: Dubbo's default 100, no warm-up.
  CHECK(weigher.WeightOf(Instance("c", 0, 0)) == 100);
  CHECK(weigher.WeightOf(Instance("c", 50, 0)) == 50);
  // Dubbo writes the weight as a string in the metadata.
  ServiceInstance meta = Instance("d", 0, clock.Now() - 30'000);
  meta.payload_json = R"({"metadata":{"weight":"40","side":"provider"}})";
  CHECK(weigher.ConfiguredWeight(meta) == 40);
  CHECK(weigher.WeightOf(meta) == 2);  // 30000 / (600000 / 40)

  Weigher no_warmup({.warmup_ms = 0, .now_ms = clock.Fn()});
  CHECK(no_warmup.WeightOf(Instance("e", 200, clock.Now() - 1)) == 200);
}

}  // namespace
}  // namespace zk::discovery
