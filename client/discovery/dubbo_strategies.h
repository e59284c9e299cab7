// Apache Dubbo's weighted load balancers (dubbo-cluster's RandomLoadBalance,
// RoundRobinLoadBalance, LeastActiveLoadBalance, ShortestResponseLoadBalance), on the list of
// instances given to each pick. Weights come from a Weigher (instance_weight.h: the payload's
// weight with Dubbo's warm-up). As in Dubbo, a list of one instance is answered with it without
// touching any state.
//
// * WeightedRandomStrategy ("random"): candidate i with probability weight_i / sum of weights;
//   uniform when all weights are equal.
// * SmoothWeightedRoundRobinStrategy ("roundrobin"): nginx's smooth weighted round-robin, as
//   Dubbo's RoundRobinLoadBalance: every pick adds each candidate's weight to its current value,
//   picks the largest current (the first in list order on ties) and subtracts the total weight
//   from it. With weights 5,1,1 the sequence is a a b a c a a, repeating; over any whole cycle
//   each instance is picked exactly weight times. State per instance (name, id); a changed
//   weight (warm-up, payload update) restarts that instance's current value at 0, as Dubbo
//   does; state of instances absent from the list for a minute is dropped (Dubbo's recycle
//   period).
// * LeastActiveStrategy ("leastactive"): the candidates with the fewest calls in flight
//   (CallStats); among several, weighted random (uniform if their weights are equal).
// * ShortestResponseStrategy ("shortestresponse"): the candidates with the smallest estimated
//   response time = average elapsed time of the successful calls in the current window x
//   (calls in flight + 1); among several, weighted random. The window restarts every slide
//   period (Dubbo's default 30 s). An instance without a success in the window estimates 0, so
//   new and idle instances get tried (as in Dubbo).
//
// Threads: thread-safe. The round-robin's state is under a mutex (one short loop per pick);
// the others only read atomics (CallStats) and the Weigher.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "client/discovery/call_stats.h"
#include "client/discovery/instance_weight.h"
#include "client/discovery/provider_strategy.h"

namespace zk::discovery {

class WeightedRandomStrategy : public ProviderStrategy {
 public:
  explicit WeightedRandomStrategy(std::shared_ptr<const Weigher> weigher = nullptr);
  std::optional<size_t> PickFrom(std::span<const ServiceInstance* const> candidates,
                                 std::string_view key) override;
  std::string_view Name() const override { return "random"; }

 private:
  const std::shared_ptr<const Weigher> weigher_;
};

class SmoothWeightedRoundRobinStrategy : public ProviderStrategy {
 public:
  explicit SmoothWeightedRoundRobinStrategy(std::shared_ptr<const Weigher> weigher = nullptr);
  std::optional<size_t> PickFrom(std::span<const ServiceInstance* const> candidates,
                                 std::string_view key) override;
  std::string_view Name() const override { return "roundrobin"; }

 private:
  struct State {
    int32_t weight = 0;
    int64_t current = 0;
    int64_t last_update_ms = 0;
  };
  const std::shared_ptr<const Weigher> weigher_;
  std::mutex mu_;
  std::map<InstanceKey, State, InstanceKeyLess> states_;  // guarded by mu_
};

class LeastActiveStrategy : public ProviderStrategy {
 public:
  // REQUIRES: stats != nullptr (the callers report their calls to it).
  explicit LeastActiveStrategy(std::shared_ptr<CallStats> stats,
                               std::shared_ptr<const Weigher> weigher = nullptr);
  std::optional<size_t> PickFrom(std::span<const ServiceInstance* const> candidates,
                                 std::string_view key) override;
  std::string_view Name() const override { return "leastactive"; }

 private:
  const std::shared_ptr<CallStats> stats_;
  const std::shared_ptr<const Weigher> weigher_;
};

inline constexpr int64_t kDefaultSlidePeriodMs = 30'000;

class ShortestResponseStrategy : public ProviderStrategy {
 public:
  // REQUIRES: stats != nullptr. The window's clock is the stats' clock.
  explicit ShortestResponseStrategy(std::shared_ptr<CallStats> stats,
                                    std::shared_ptr<const Weigher> weigher = nullptr,
                                    int64_t slide_period_ms = kDefaultSlidePeriodMs);
  std::optional<size_t> PickFrom(std::span<const ServiceInstance* const> candidates,
                                 std::string_view key) override;
  std::string_view Name() const override { return "shortestresponse"; }

 private:
  const std::shared_ptr<CallStats> stats_;
  const std::shared_ptr<const Weigher> weigher_;
  const int64_t slide_period_ms_;
  std::atomic<int64_t> window_start_ms_;
};

}  // namespace zk::discovery
