// zk::discovery::Weigher: an instance's load-balancing weight at this moment, as Dubbo computes
// it (AbstractLoadBalance.getWeight): the configured weight (WeightOf, service_instance.h: the
// payload's weight, Dubbo's default 100) reduced while the instance warms up. During the warm-up
// time after its registration (registration_time_utc; Dubbo's default 10 minutes) the weight
// ramps up linearly from 1 to the configured weight, so a fresh provider (cold caches, JIT) gets
// a small share of the calls first:
//   uptime = now - registration_time_utc (ms)
//   uptime < 0 (registered "in the future": clock skew)  -> 1
//   0 < uptime < warmup                                  -> CalculateWarmupWeight(...)
//   otherwise (uptime 0, at or past the warm-up, no registration time, warm-up 0) -> weight
// CalculateWarmupWeight is Dubbo's to the bit: (int)(uptime / ((float)warmup / weight)) in single
// precision, truncated, at least 1 and at most weight. (Dubbo truncates the uptime to an int
// first, which wraps after 24.8 days of uptime; here it is not truncated.)
//
// Threads: thread-safe. The configured weight is parsed from the payload's JSON once per
// distinct payload text and remembered (a bounded cache), so weighing is cheap on the hot path.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "client/discovery/provider_strategy.h"
#include "client/discovery/service_instance.h"

namespace zk::discovery {

inline constexpr int64_t kDefaultWarmupMs = 10 * 60 * 1000;  // Dubbo's DEFAULT_WARMUP

// Dubbo's calculateWarmupWeight. REQUIRES: weight >= 1, warmup_ms >= 1.
int32_t CalculateWarmupWeight(int64_t uptime_ms, int64_t warmup_ms, int32_t weight);

struct WeigherOptions {
  int64_t warmup_ms = kDefaultWarmupMs;  // 0: no warm-up
  NowMsFn now_ms;                        // empty: SystemNowMs
};

class Weigher {
 public:
  explicit Weigher(WeigherOptions options = {});

  // The weight after the warm-up, >= 1.
  int32_t WeightOf(const ServiceInstance& instance) const;
  // The configured weight (WeightOf of service_instance.h, remembered per payload text).
  int32_t ConfiguredWeight(const ServiceInstance& instance) const;
  int64_t NowMs() const { return now_ms_(); }

 private:
  const int64_t warmup_ms_;
  const NowMsFn now_ms_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, int32_t> by_payload_;  // guarded by mu_
};

}  // namespace zk::discovery
