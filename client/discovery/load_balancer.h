// zk::discovery::LoadBalancer: picks the instance for each call — a provider strategy over the
// instances that are enabled and not down — and takes the callers' reports back: errors and
// successes for the down-instance policy, call starts and ends (with their elapsed time) for
// the least-active and shortest-response strategies. Curator's ServiceProvider (strategy, the
// enabled filter and the DownInstancePolicy with noteError) with Dubbo's load balancers and
// RpcStatus counting.
//
//   LoadBalancer lb({.strategy = StrategyKind::kLeastActive});
//   auto instances = cache.Instances();            // the current list, whatever its source
//   if (auto call = lb.StartCall(instances)) {
//     bool ok = Send(call.instance(), request);
//     ok ? call.Succeeded() : call.Failed();       // Failed() counts toward "down"
//   } else { /* no instance available (none registered, all down or disabled) */ }
//
// Pick semantics: the candidates are the given instances with enabled == true that the
// DownInstancePolicy does not hold down, in the given order; the strategy picks one of them
// (provider_strategy.h). None when there is no candidate — also when every instance is down, as
// Curator's ServiceProvider answers null then (a caller that prefers a possibly-dead instance to
// none can pick from the unfiltered list with strategy()).
//
// Threads: thread-safe; one LoadBalancer serves all calling threads of a service. A Call object
// belongs to one thread at a time; it must not outlive its LoadBalancer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "client/discovery/call_stats.h"
#include "client/discovery/consistent_hash_strategy.h"
#include "client/discovery/down_instance_policy.h"
#include "client/discovery/dubbo_strategies.h"
#include "client/discovery/instance_weight.h"
#include "client/discovery/provider_strategy.h"

namespace zk::discovery {

enum class StrategyKind {
  kRandom,                    // Curator's RandomStrategy
  kRoundRobin,                // Curator's RoundRobinStrategy (Curator's default)
  kWeightedRandom,            // Dubbo's "random" (Dubbo's default)
  kSmoothWeightedRoundRobin,  // Dubbo's "roundrobin"
  kLeastActive,               // Dubbo's "leastactive"
  kShortestResponse,          // Dubbo's "shortestresponse"
  kConsistentHash,            // Dubbo's "consistenthash"
};
// "random", "roundrobin", "weightedrandom", "weightedroundrobin", "leastactive",
// "shortestresponse", "consistenthash".
std::string_view StrategyKindName(StrategyKind kind);
std::optional<StrategyKind> ParseStrategyKind(std::string_view name);

struct LoadBalancerOptions {
  StrategyKind strategy = StrategyKind::kRoundRobin;
  bool sticky = false;  // wrap the strategy in a StickyStrategy (Curator's)
  DownInstancePolicyOptions down;
  int64_t warmup_ms = kDefaultWarmupMs;
  int64_t slide_period_ms = kDefaultSlidePeriodMs;
  int virtual_nodes = kDefaultVirtualNodes;
  NowMsFn now_ms;  // empty: SystemNowMs
};

class LoadBalancer;

// One call to a picked instance: counted in flight from StartCall until Succeeded, Failed or
// destruction. Movable, not copyable.
class Call {
 public:
  Call() = default;
  Call(Call&& other) noexcept;
  Call& operator=(Call&& other) noexcept;
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;
  ~Call();

  // Whether an instance was picked.
  explicit operator bool() const { return lb_ != nullptr; }
  // REQUIRES: *this.
  const ServiceInstance& instance() const { return instance_; }

  // End the call: a success (its elapsed time, by the load balancer's clock, feeds the
  // shortest-response estimate) or a failure (noted as an error of the instance). The first of
  // them counts; later ones do nothing. A Call destroyed without either ends without an outcome.
  void Succeeded();
  void Failed();

 private:
  friend class LoadBalancer;
  Call(LoadBalancer* lb, ServiceInstance instance, int64_t start_ms);
  void End(int outcome);  // -1 failure, 0 none, 1 success

  LoadBalancer* lb_ = nullptr;
  ServiceInstance instance_;
  int64_t start_ms_ = 0;
  bool ended_ = false;
};

class LoadBalancer {
 public:
  explicit LoadBalancer(LoadBalancerOptions options = {});
  // With a strategy of one's own; it should read call_stats() and weigher() if it needs such.
  // REQUIRES: strategy != nullptr.
  LoadBalancer(std::unique_ptr<ProviderStrategy> strategy, LoadBalancerOptions options);
  LoadBalancer(const LoadBalancer&) = delete;
  LoadBalancer& operator=(const LoadBalancer&) = delete;

  std::optional<ServiceInstance> Pick(const std::vector<ServiceInstance>& instances,
                                      std::string_view key = {});
  // Pick, then count the call in flight until the Call ends.
  Call StartCall(const std::vector<ServiceInstance>& instances, std::string_view key = {});

  // Reports without a Call object.
  void NoteError(const ServiceInstance& instance);
  void NoteSuccess(const ServiceInstance& instance);
  void NoteCallStart(const ServiceInstance& instance);
  // Also notes the success or the error.
  void NoteCallEnd(const ServiceInstance& instance, int64_t elapsed_ms, bool succeeded);

  // Whether the instance is a candidate now (enabled and not down).
  bool IsAvailable(const ServiceInstance& instance);

  ProviderStrategy& strategy() { return *strategy_; }
  DownInstancePolicy& down_policy() { return down_; }
  const std::shared_ptr<CallStats>& call_stats() const { return stats_; }
  const std::shared_ptr<const Weigher>& weigher() const { return weigher_; }
  int64_t NowMs() const { return now_ms_(); }

 private:
  const NowMsFn now_ms_;
  const std::shared_ptr<const Weigher> weigher_;
  const std::shared_ptr<CallStats> stats_;
  DownInstancePolicy down_;
  std::unique_ptr<ProviderStrategy> strategy_;
};

// The strategy of `options` (without the sticky wrapper), reading `stats` and `weigher`.
std::unique_ptr<ProviderStrategy> MakeStrategy(const LoadBalancerOptions& options,
                                               std::shared_ptr<CallStats> stats,
                                               std::shared_ptr<const Weigher> weigher);

}  // namespace zk::discovery
