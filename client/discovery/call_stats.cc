#include "client/discovery/call_stats.h"

namespace zk::discovery {

namespace {
constexpr int64_t kForgetAfterMs = 60'000;
}  // namespace

int64_t CallStats::Counters::WindowAverageElapsedMs() const {
  int64_t n = succeeded.load(std::memory_order_relaxed) -
              window_succeeded_base.load(std::memory_order_relaxed);
  if (n <= 0) return 0;
  int64_t elapsed = succeeded_elapsed_ms.load(std::memory_order_relaxed) -
                    window_elapsed_base.load(std::memory_order_relaxed);
  return elapsed / n;
}

CallStats::CallStats(NowMsFn now_ms) : now_ms_(now_ms ? std::move(now_ms) : NowMsFn(SystemNowMs)) {}

std::shared_ptr<CallStats::Counters> CallStats::Of(InstanceRef instance) {
  int64_t now = now_ms_();
  std::lock_guard lock(mu_);
  auto it = counters_.find(instance);
  if (it == counters_.end()) {
    if (now - last_purge_ms_ >= kForgetAfterMs) {
      last_purge_ms_ = now;
      for (auto p = counters_.begin(); p != counters_.end();) {
        const Counters& c = *p->second;
        if (c.active.load() <= 0 && now - c.last_seen_ms.load() >= kForgetAfterMs) {
          p = counters_.erase(p);
        } else {
          ++p;
        }
      }
    }
    it = counters_.emplace(InstanceKey(instance), std::make_shared<Counters>()).first;
  }
  it->second->last_seen_ms.store(now, std::memory_order_relaxed);
  return it->second;
}

void CallStats::CallStarted(InstanceRef instance) {
  Of(instance)->active.fetch_add(1, std::memory_order_relaxed);
}

void CallStats::CallEnded(InstanceRef instance, int64_t elapsed_ms, bool succeeded) {
  auto c = Of(instance);
  c->active.fetch_sub(1, std::memory_order_relaxed);
  if (succeeded) {
    c->succeeded_elapsed_ms.fetch_add(elapsed_ms < 0 ? 0 : elapsed_ms, std::memory_order_relaxed);
    c->succeeded.fetch_add(1, std::memory_order_relaxed);
  } else {
    c->failed.fetch_add(1, std::memory_order_relaxed);
  }
}

void CallStats::ResetWindows() {
  std::lock_guard lock(mu_);
  for (auto& [key, c] : counters_) {
    c->window_succeeded_base.store(c->succeeded.load());
    c->window_elapsed_base.store(c->succeeded_elapsed_ms.load());
  }
}

}  // namespace zk::discovery
