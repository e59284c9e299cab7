#include "client/discovery/load_balancer.h"

#include <array>
#include <cassert>
#include <utility>

#include "client/discovery/curator_strategies.h"

namespace zk::discovery {

namespace {

constexpr std::array<std::pair<StrategyKind, std::string_view>, 7> kNames = {{
    {StrategyKind::kRandom, "random"},
    {StrategyKind::kRoundRobin, "roundrobin"},
    {StrategyKind::kWeightedRandom, "weightedrandom"},
    {StrategyKind::kSmoothWeightedRoundRobin, "weightedroundrobin"},
    {StrategyKind::kLeastActive, "leastactive"},
    {StrategyKind::kShortestResponse, "shortestresponse"},
    {StrategyKind::kConsistentHash, "consistenthash"},
}};

NowMsFn ClockOf(const LoadBalancerOptions& options) {
  return options.now_ms ? options.now_ms : NowMsFn(SystemNowMs);
}

}  // namespace

std::string_view StrategyKindName(StrategyKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "roundrobin";
}

std::optional<StrategyKind> ParseStrategyKind(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::unique_ptr<ProviderStrategy> MakeStrategy(const LoadBalancerOptions& options,
                                               std::shared_ptr<CallStats> stats,
                                               std::shared_ptr<const Weigher> weigher) {
  switch (options.strategy) {
    case StrategyKind::kRandom:
      return std::make_unique<RandomStrategy>();
    case StrategyKind::kRoundRobin:
      return std::make_unique<RoundRobinStrategy>();
    case StrategyKind::kWeightedRandom:
      return std::make_unique<WeightedRandomStrategy>(std::move(weigher));
    case StrategyKind::kSmoothWeightedRoundRobin:
      return std::make_unique<SmoothWeightedRoundRobinStrategy>(std::move(weigher));
    case StrategyKind::kLeastActive:
      return std::make_unique<LeastActiveStrategy>(std::move(stats), std::move(weigher));
    case StrategyKind::kShortestResponse:
      return std::make_unique<ShortestResponseStrategy>(std::move(stats), std::move(weigher),
                                                        options.slide_period_ms);
    case StrategyKind::kConsistentHash:
      return std::make_unique<ConsistentHashStrategy>(options.virtual_nodes);
  }
  return std::make_unique<RoundRobinStrategy>();
}

LoadBalancer::LoadBalancer(LoadBalancerOptions options)
    : LoadBalancer(nullptr, std::move(options)) {}

LoadBalancer::LoadBalancer(std::unique_ptr<ProviderStrategy> strategy, LoadBalancerOptions options)
    : now_ms_(ClockOf(options)),
      weigher_(std::make_shared<const Weigher>(WeigherOptions{options.warmup_ms, now_ms_})),
      stats_(std::make_shared<CallStats>(now_ms_)),
      down_(options.down, now_ms_),
      strategy_(strategy ? std::move(strategy) : MakeStrategy(options, stats_, weigher_)) {
  if (options.sticky) strategy_ = std::make_unique<StickyStrategy>(std::move(strategy_));
}

bool LoadBalancer::IsAvailable(const ServiceInstance& instance) {
  return instance.enabled && !down_.IsDown(instance);
}

std::optional<ServiceInstance> LoadBalancer::Pick(const std::vector<ServiceInstance>& instances,
                                                  std::string_view key) {
  std::vector<const ServiceInstance*> candidates;
  candidates.reserve(instances.size());
  for (const auto& instance : instances) {
    if (IsAvailable(instance)) candidates.push_back(&instance);
  }
  auto index = strategy_->PickFrom(candidates, key);
  if (!index) return std::nullopt;
  return *candidates[*index];
}

Call LoadBalancer::StartCall(const std::vector<ServiceInstance>& instances, std::string_view key) {
  auto picked = Pick(instances, key);
  if (!picked) return Call();
  NoteCallStart(*picked);
  return Call(this, std::move(*picked), now_ms_());
}

void LoadBalancer::NoteError(const ServiceInstance& instance) { down_.NoteError(instance); }

void LoadBalancer::NoteSuccess(const ServiceInstance& instance) { down_.NoteSuccess(instance); }

void LoadBalancer::NoteCallStart(const ServiceInstance& instance) { stats_->CallStarted(instance); }

void LoadBalancer::NoteCallEnd(const ServiceInstance& instance, int64_t elapsed_ms,
                               bool succeeded) {
  stats_->CallEnded(instance, elapsed_ms, succeeded);
  succeeded ? NoteSuccess(instance) : NoteError(instance);
}

Call::Call(LoadBalancer* lb, ServiceInstance instance, int64_t start_ms)
    : lb_(lb), instance_(std::move(instance)), start_ms_(start_ms) {}

Call::Call(Call&& other) noexcept
    : lb_(std::exchange(other.lb_, nullptr)),
      instance_(std::move(other.instance_)),
      start_ms_(other.start_ms_),
      ended_(other.ended_) {}

Call& Call::operator=(Call&& other) noexcept {
  if (this != &other) {
    End(0);
    lb_ = std::exchange(other.lb_, nullptr);
    instance_ = std::move(other.instance_);
    start_ms_ = other.start_ms_;
    ended_ = other.ended_;
  }
  return *this;
}

Call::~Call() { End(0); }

void Call::Succeeded() { End(1); }
void Call::Failed() { End(-1); }

void Call::End(int outcome) {
  if (lb_ == nullptr || ended_) return;
  ended_ = true;
  if (outcome == 0) {
    lb_->call_stats()->Of(instance_)->active.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  lb_->NoteCallEnd(instance_, lb_->NowMs() - start_ms_, outcome > 0);
}

}  // namespace zk::discovery
