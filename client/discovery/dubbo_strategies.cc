#include "client/discovery/dubbo_strategies.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <vector>

#include "client/discovery/curator_strategies.h"

namespace zk::discovery {

namespace {

constexpr int64_t kRecyclePeriodMs = 60'000;  // Dubbo's RoundRobinLoadBalance.RECYCLE_PERIOD

std::shared_ptr<const Weigher> OrDefault(std::shared_ptr<const Weigher> weigher) {
  return weigher ? std::move(weigher) : std::make_shared<const Weigher>();
}

// Among `tied` (indexes into candidates, with their weights), weighted random; uniform when
// the weights are all equal (Dubbo's tie-break in least-active and shortest-response).
size_t BreakTie(const std::vector<size_t>& tied, const std::vector<int32_t>& weights) {
  if (tied.size() == 1) return tied[0];
  int64_t total = 0;
  bool same = true;
  for (size_t i : tied) {
    total += weights[i];
    if (weights[i] != weights[tied[0]]) same = false;
  }
  if (!same && total > 0) {
    int64_t offset = RandomBelow(total);
    for (size_t i : tied) {
      offset -= weights[i];
      if (offset < 0) return i;
    }
  }
  return tied[RandomIndex(tied.size())];
}

}  // namespace

WeightedRandomStrategy::WeightedRandomStrategy(std::shared_ptr<const Weigher> weigher)
    : weigher_(OrDefault(std::move(weigher))) {}

std::optional<size_t> WeightedRandomStrategy::PickFrom(
    std::span<const ServiceInstance* const> candidates, std::string_view) {
  if (candidates.empty()) return std::nullopt;
  if (candidates.size() == 1) return 0;
  // Cumulative weights; binary search for a random offset below the total.
  std::vector<int64_t> cumulative(candidates.size());
  int64_t total = 0;
  bool same = true;
  int32_t first = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    int32_t w = weigher_->WeightOf(*candidates[i]);
    if (i == 0) first = w;
    if (w != first) same = false;
    total += w;
    cumulative[i] = total;
  }
  if (same || total <= 0) return RandomIndex(candidates.size());
  int64_t offset = RandomBelow(total);
  auto it = std::upper_bound(cumulative.begin(), cumulative.end(), offset);
  return static_cast<size_t>(it - cumulative.begin());
}

SmoothWeightedRoundRobinStrategy::SmoothWeightedRoundRobinStrategy(
    std::shared_ptr<const Weigher> weigher)
    : weigher_(OrDefault(std::move(weigher))) {}

std::optional<size_t> SmoothWeightedRoundRobinStrategy::PickFrom(
    std::span<const ServiceInstance* const> candidates, std::string_view) {
  if (candidates.empty()) return std::nullopt;
  if (candidates.size() == 1) return 0;
  std::vector<int32_t> weights(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) weights[i] = weigher_->WeightOf(*candidates[i]);
  int64_t now = weigher_->NowMs();

  std::lock_guard lock(mu_);
  int64_t total = 0;
  int64_t max_current = std::numeric_limits<int64_t>::min();
  size_t selected = 0;
  State* selected_state = nullptr;
  for (size_t i = 0; i < candidates.size(); ++i) {
    InstanceRef ref(*candidates[i]);
    auto it = states_.find(ref);
    if (it == states_.end()) {
      it = states_.emplace(InstanceKey(ref), State{}).first;
      it->second.weight = weights[i];
    }
    State& s = it->second;
    if (s.weight != weights[i]) {  // the weight changed: start over
      s.weight = weights[i];
      s.current = 0;
    }
    s.current += s.weight;
    s.last_update_ms = now;
    if (s.current > max_current) {
      max_current = s.current;
      selected = i;
      selected_state = &s;
    }
    total += s.weight;
  }
  if (states_.size() != candidates.size()) {
    for (auto it = states_.begin(); it != states_.end();) {
      if (now - it->second.last_update_ms > kRecyclePeriodMs) {
        it = states_.erase(it);
      } else {
        ++it;
      }
    }
  }
  selected_state->current -= total;
  return selected;
}

LeastActiveStrategy::LeastActiveStrategy(std::shared_ptr<CallStats> stats,
                                         std::shared_ptr<const Weigher> weigher)
    : stats_(std::move(stats)), weigher_(OrDefault(std::move(weigher))) {
  assert(stats_ != nullptr);
}

std::optional<size_t> LeastActiveStrategy::PickFrom(
    std::span<const ServiceInstance* const> candidates, std::string_view) {
  if (candidates.empty()) return std::nullopt;
  if (candidates.size() == 1) return 0;
  std::vector<int32_t> weights(candidates.size());
  std::vector<size_t> least;
  int32_t least_active = std::numeric_limits<int32_t>::max();
  for (size_t i = 0; i < candidates.size(); ++i) {
    int32_t active = stats_->Of(*candidates[i])->active.load(std::memory_order_relaxed);
    weights[i] = weigher_->WeightOf(*candidates[i]);
    if (active < least_active) {
      least_active = active;
      least.assign(1, i);
    } else if (active == least_active) {
      least.push_back(i);
    }
  }
  return BreakTie(least, weights);
}

ShortestResponseStrategy::ShortestResponseStrategy(std::shared_ptr<CallStats> stats,
                                                   std::shared_ptr<const Weigher> weigher,
                                                   int64_t slide_period_ms)
    : stats_(std::move(stats)),
      weigher_(OrDefault(std::move(weigher))),
      slide_period_ms_(slide_period_ms),
      window_start_ms_(stats_ ? stats_->NowMs() : 0) {
  assert(stats_ != nullptr);
}

std::optional<size_t> ShortestResponseStrategy::PickFrom(
    std::span<const ServiceInstance* const> candidates, std::string_view) {
  if (candidates.empty()) return std::nullopt;
  if (candidates.size() == 1) return 0;
  std::vector<int32_t> weights(candidates.size());
  std::vector<size_t> shortest;
  int64_t shortest_estimate = std::numeric_limits<int64_t>::max();
  for (size_t i = 0; i < candidates.size(); ++i) {
    auto c = stats_->Of(*candidates[i]);
    int64_t estimate = c->WindowAverageElapsedMs() *
                       (static_cast<int64_t>(c->active.load(std::memory_order_relaxed)) + 1);
    weights[i] = weigher_->WeightOf(*candidates[i]);
    if (estimate < shortest_estimate) {
      shortest_estimate = estimate;
      shortest.assign(1, i);
    } else if (estimate == shortest_estimate) {
      shortest.push_back(i);
    }
  }
  // A new window every slide period (after this pick, as in Dubbo). One thread wins the reset.
  int64_t now = stats_->NowMs();
  int64_t start = window_start_ms_.load(std::memory_order_relaxed);
  if (now - start > slide_period_ms_ && window_start_ms_.compare_exchange_strong(start, now)) {
    stats_->ResetWindows();
  }
  return BreakTie(shortest, weights);
}

}  // namespace zk::discovery
