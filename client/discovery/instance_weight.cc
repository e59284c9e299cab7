#include "client/discovery/instance_weight.h"

#include <algorithm>

namespace zk::discovery {

namespace {
constexpr size_t kMaxRememberedPayloads = 4096;
}  // namespace

int32_t CalculateWarmupWeight(int64_t uptime_ms, int64_t warmup_ms, int32_t weight) {
  // Single precision as Java's float: uptime / (warmup / weight).
  float step = static_cast<float>(warmup_ms) / static_cast<float>(weight);
  float ww = static_cast<float>(uptime_ms) / step;
  if (!(ww >= 1.0f)) return 1;
  if (ww >= static_cast<float>(weight)) return weight;
  return std::max<int32_t>(1, static_cast<int32_t>(ww));
}

Weigher::Weigher(WeigherOptions options)
    : warmup_ms_(std::max<int64_t>(0, options.warmup_ms)),
      now_ms_(options.now_ms ? std::move(options.now_ms) : NowMsFn(SystemNowMs)) {}

int32_t Weigher::ConfiguredWeight(const ServiceInstance& instance) const {
  if (instance.payload_json.empty()) return zk::discovery::WeightOf(instance);
  {
    std::lock_guard lock(mu_);
    auto it = by_payload_.find(instance.payload_json);
    if (it != by_payload_.end()) return it->second;
  }
  int32_t w = zk::discovery::WeightOf(instance);  // parses; outside the lock
  std::lock_guard lock(mu_);
  if (by_payload_.size() >= kMaxRememberedPayloads) by_payload_.clear();
  by_payload_.emplace(instance.payload_json, w);
  return w;
}

int32_t Weigher::WeightOf(const ServiceInstance& instance) const {
  int32_t weight = ConfiguredWeight(instance);
  if (weight <= 0) return 1;  // WeightOf never answers so; kept for safety
  if (warmup_ms_ <= 0 || instance.registration_time_utc <= 0) return weight;
  int64_t uptime = now_ms_() - instance.registration_time_utc;
  if (uptime < 0) return 1;
  if (uptime > 0 && uptime < warmup_ms_) return CalculateWarmupWeight(uptime, warmup_ms_, weight);
  return weight;
}

}  // namespace zk::discovery
