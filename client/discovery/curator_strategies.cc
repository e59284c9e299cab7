#include "client/discovery/curator_strategies.h"

#include <cassert>
#include <random>

namespace zk::discovery {

namespace {

std::mt19937_64& ThreadGenerator() {
  thread_local std::mt19937_64 generator([] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  }());
  return generator;
}

}  // namespace

size_t RandomIndex(size_t n) {
  return std::uniform_int_distribution<size_t>(0, n - 1)(ThreadGenerator());
}

int64_t RandomBelow(int64_t bound) {
  return std::uniform_int_distribution<int64_t>(0, bound - 1)(ThreadGenerator());
}

std::optional<size_t> RandomStrategy::PickFrom(std::span<const ServiceInstance* const> candidates,
                                               std::string_view) {
  if (candidates.empty()) return std::nullopt;
  return RandomIndex(candidates.size());
}

std::optional<size_t> RoundRobinStrategy::PickFrom(
    std::span<const ServiceInstance* const> candidates, std::string_view) {
  if (candidates.empty()) return std::nullopt;
  return static_cast<size_t>(next_.fetch_add(1, std::memory_order_relaxed) % candidates.size());
}

StickyStrategy::StickyStrategy(std::unique_ptr<ProviderStrategy> master)
    : master_(std::move(master)) {
  assert(master_ != nullptr);
}

std::optional<size_t> StickyStrategy::PickFrom(std::span<const ServiceInstance* const> candidates,
                                               std::string_view key) {
  std::lock_guard lock(mu_);
  if (ours_) {
    InstanceRef ours(ours_->name, ours_->id);
    for (size_t i = 0; i < candidates.size(); ++i) {
      InstanceRef c(*candidates[i]);
      if (c.name == ours.name && c.id == ours.id) return i;
    }
    ours_.reset();  // gone
  }
  auto picked = master_->PickFrom(candidates, key);
  if (picked) {
    ours_.emplace(InstanceRef(*candidates[*picked]));
    ++switches_;
  }
  return picked;
}

uint64_t StickyStrategy::Switches() const {
  std::lock_guard lock(mu_);
  return switches_;
}

}  // namespace zk::discovery
