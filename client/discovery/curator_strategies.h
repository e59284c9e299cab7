// Apache Curator's provider strategies (curator-x-discovery's RandomStrategy,
// RoundRobinStrategy, StickyStrategy), on the list of instances given to each pick. They ignore
// weights (see dubbo_strategies.h for weighted ones).
//
// * RandomStrategy: each candidate with equal probability.
// * RoundRobinStrategy: one counter, incremented by every pick; picks candidates[counter % n].
//   With a fixed list this visits the instances in list order, exactly evenly; when the list
//   changes the rotation carries on over the new list (an instance may be visited twice in a
//   row once then, as in Curator).
// * StickyStrategy: over another strategy; keeps returning the instance it picked (matched by
//   service name and id, the newest version of it from the list) while that instance is in the
//   list, and asks the other strategy for a new one once it is gone (also when it is skipped
//   as down or disabled by the load balancer). Curator matches on every field, so an update of
//   the instance there counts as "gone"; here the instance stays picked through updates.
//
// Threads: thread-safe (the counter is atomic; the sticky choice is under a mutex).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "client/discovery/provider_strategy.h"

namespace zk::discovery {

class RandomStrategy : public ProviderStrategy {
 public:
  std::optional<size_t> PickFrom(std::span<const ServiceInstance* const> candidates,
                                 std::string_view key) override;
  std::string_view Name() const override { return "random"; }
};

class RoundRobinStrategy : public ProviderStrategy {
 public:
  std::optional<size_t> PickFrom(std::span<const ServiceInstance* const> candidates,
                                 std::string_view key) override;
  std::string_view Name() const override { return "roundrobin"; }

 private:
  std::atomic<uint64_t> next_{0};
};

class StickyStrategy : public ProviderStrategy {
 public:
  // REQUIRES: master != nullptr.
  explicit StickyStrategy(std::unique_ptr<ProviderStrategy> master);

  std::optional<size_t> PickFrom(std::span<const ServiceInstance* const> candidates,
                                 std::string_view key) override;
  std::string_view Name() const override { return "sticky"; }

  // How many times a new instance was chosen (Curator's instanceNumber; for tests and metrics).
  uint64_t Switches() const;

 private:
  const std::unique_ptr<ProviderStrategy> master_;
  mutable std::mutex mu_;
  std::optional<InstanceKey> ours_;  // guarded by mu_
  uint64_t switches_ = 0;            // guarded by mu_
};

// A uniformly random index in [0, n), from a per-thread generator. REQUIRES: n > 0.
size_t RandomIndex(size_t n);
// A uniformly random value in [0, bound), from a per-thread generator. REQUIRES: bound > 0.
int64_t RandomBelow(int64_t bound);

}  // namespace zk::discovery
