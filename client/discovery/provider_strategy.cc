#include "client/discovery/provider_strategy.h"

#include <chrono>

namespace zk::discovery {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<size_t> ProviderStrategy::Pick(const std::vector<ServiceInstance>& instances,
                                             std::string_view key) {
  std::vector<const ServiceInstance*> candidates;
  candidates.reserve(instances.size());
  for (const auto& instance : instances) candidates.push_back(&instance);
  return PickFrom(candidates, key);
}

}  // namespace zk::discovery
