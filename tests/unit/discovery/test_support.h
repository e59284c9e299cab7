// Helpers of the discovery unit tests: instances and a clock the test moves by hand.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/discovery/provider_strategy.h"
#include "client/discovery/service_instance.h"

namespace zk::discovery::testing {

// An instance of service "svc" at <id>.example:20880 (or the address given), with the weight in
// its payload when > 0.
inline ServiceInstance Instance(const std::string& id, int weight = 0, int64_t registered_ms = 0,
                                const std::string& address = "") {
  ServiceInstance i;
  i.name = "svc";
  i.id = id;
  i.address = address.empty() ? id + ".example" : address;
  i.port = 20880;
  if (weight > 0) i.payload_json = "{\"weight\":" + std::to_string(weight) + "}";
  i.registration_time_utc = registered_ms;
  return i;
}

class FakeClock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000)
      : now_(std::make_shared<std::atomic<int64_t>>(start_ms)) {}
  NowMsFn Fn() const {
    auto now = now_;
    return [now] { return now->load(); };
  }
  int64_t Now() const { return now_->load(); }
  void Advance(int64_t ms) { now_->fetch_add(ms); }
  void Set(int64_t ms) { now_->store(ms); }

 private:
  std::shared_ptr<std::atomic<int64_t>> now_;
};

// How often each id was picked by `pick` in `n` picks from `instances`.
template <typename PickFn>
std::map<std::string, int> CountPicks(const std::vector<ServiceInstance>& instances, int n,
                                      PickFn pick) {
  std::map<std::string, int> counts;
  for (int i = 0; i < n; ++i) {
    auto index = pick();
    if (index) ++counts[instances[*index].id];
  }
  return counts;
}

}  // namespace zk::discovery::testing
