#include "client/discovery/down_instance_policy.h"

#include <algorithm>

namespace zk::discovery {

DownInstancePolicy::DownInstancePolicy(DownInstancePolicyOptions options, NowMsFn now_ms)
    : options_(options), now_ms_(now_ms ? std::move(now_ms) : NowMsFn(SystemNowMs)) {}

bool DownInstancePolicy::Expired(const Status& s, int64_t now) const {
  if (s.down_until_ms != 0) return now >= s.down_until_ms;
  return now - s.first_error_ms >= options_.error_window_ms;
}

void DownInstancePolicy::PurgeLocked(int64_t now) {
  for (auto it = statuses_.begin(); it != statuses_.end();) {
    it = Expired(it->second, now) ? statuses_.erase(it) : std::next(it);
  }
  tracked_.store(statuses_.size(), std::memory_order_release);
}

void DownInstancePolicy::NoteError(InstanceRef instance) {
  int64_t now = now_ms_();
  std::lock_guard lock(mu_);
  PurgeLocked(now);
  auto it = statuses_.find(instance);
  if (it == statuses_.end()) {
    it = statuses_.emplace(InstanceKey(instance), Status{now, 0, 0}).first;
    tracked_.store(statuses_.size(), std::memory_order_release);
  }
  Status& s = it->second;
  if (s.down_until_ms != 0) return;  // already down
  ++s.errors;
  if (s.errors >= std::max(1, options_.error_threshold)) s.down_until_ms = now + options_.down_ms;
}

void DownInstancePolicy::NoteSuccess(InstanceRef instance) {
  if (!options_.success_clears_errors) return;
  if (tracked_.load(std::memory_order_acquire) == 0) return;
  std::lock_guard lock(mu_);
  auto it = statuses_.find(instance);
  if (it != statuses_.end() && it->second.down_until_ms == 0) {
    statuses_.erase(it);
    tracked_.store(statuses_.size(), std::memory_order_release);
  }
}

bool DownInstancePolicy::IsDown(InstanceRef instance) {
  if (tracked_.load(std::memory_order_acquire) == 0) return false;
  int64_t now = now_ms_();
  std::lock_guard lock(mu_);
  auto it = statuses_.find(instance);
  if (it == statuses_.end()) return false;
  if (Expired(it->second, now)) {
    statuses_.erase(it);
    tracked_.store(statuses_.size(), std::memory_order_release);
    return false;
  }
  return it->second.down_until_ms != 0;
}

size_t DownInstancePolicy::Tracked() {
  std::lock_guard lock(mu_);
  PurgeLocked(now_ms_());
  return statuses_.size();
}

}  // namespace zk::discovery
