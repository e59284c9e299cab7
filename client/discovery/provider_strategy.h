// zk::discovery::ProviderStrategy: picks one instance of a service for one call, from the
// instances known at that moment (Curator's ProviderStrategy, Dubbo's LoadBalance). The list is
// passed on every pick and may differ from one pick to the next as instances come and go; a
// strategy keeps only what it needs between picks (a counter, per-instance state keyed by the
// instance's name and id, a hash ring) and copes with instances it has never seen and with
// instances that vanished (their state is dropped or ignored).
//
// The strategies: curator_strategies.h (random, round-robin, sticky), dubbo_strategies.h
// (weighted random, smooth weighted round-robin, least-active, shortest-response),
// consistent_hash_strategy.h. Weights and Dubbo's warm-up: instance_weight.h. Skipping failing
// instances and the call hooks: down_instance_policy.h, load_balancer.h.
//
// Threads: every strategy is thread-safe; one object serves many calling threads at once. A
// pick never blocks on anything but a short internal mutex (some strategies need none).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "client/discovery/service_instance.h"

namespace zk::discovery {

// The clock of the strategies and of the down-instance policy: milliseconds since the epoch
// (wall clock, as Curator and Dubbo use: the warm-up compares it with registration_time_utc).
// Tests inject their own.
using NowMsFn = std::function<int64_t()>;
int64_t SystemNowMs();

// An instance's identity within the strategies' state: its service name and id.
struct InstanceRef {
  std::string_view name;
  std::string_view id;
  InstanceRef(std::string_view n, std::string_view i) : name(n), id(i) {}
  InstanceRef(const ServiceInstance& instance) : name(instance.name), id(instance.id) {}  // NOLINT
};
struct InstanceKey {
  std::string name;
  std::string id;
  explicit InstanceKey(InstanceRef ref) : name(ref.name), id(ref.id) {}
};
// Orders InstanceKeys and looks them up by InstanceRef without building a key.
struct InstanceKeyLess {
  using is_transparent = void;
  static InstanceRef Ref(const InstanceKey& k) { return {k.name, k.id}; }
  static InstanceRef Ref(InstanceRef r) { return r; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    InstanceRef x = Ref(a), y = Ref(b);
    return std::tie(x.name, x.id) < std::tie(y.name, y.id);
  }
};

class ProviderStrategy {
 public:
  virtual ~ProviderStrategy() = default;

  // Picks one of `candidates` (pointers into the caller's list, valid during the call) and
  // returns its index; nullopt if and only if `candidates` is empty. `key` is the call's hash
  // key (the chosen call arguments as a string); only the consistent hash uses it.
  virtual std::optional<size_t> PickFrom(std::span<const ServiceInstance* const> candidates,
                                         std::string_view key) = 0;
  // The strategy's name ("random", "roundrobin", ... as Curator and Dubbo name them).
  virtual std::string_view Name() const = 0;

  // Convenience: picks from a list of instances (every one a candidate).
  std::optional<size_t> Pick(const std::vector<ServiceInstance>& instances,
                             std::string_view key = {});
};

}  // namespace zk::discovery
