#include "server/container_reaper.h"

#include <algorithm>

namespace zk::server {

ContainerReaper::ContainerReaper(ContainerReaperLimits limits) : limits_(limits) {}

void ContainerReaper::Start(int64_t now_ms) {
  running_ = true;
  next_check_ms_ = now_ms + limits_.check_interval_ms;
  last_tick_ms_ = now_ms;
  budget_ = 1;
  queue_.clear();
  in_flight_.clear();
  in_flight_order_.clear();
}

void ContainerReaper::Stop() {
  running_ = false;
  queue_.clear();
  in_flight_.clear();
  in_flight_order_.clear();
}

bool ContainerReaper::IsCandidate(const DataTree& tree, const std::string& path, bool ttl,
                                  int64_t wall_ms) const {
  const DataTree::Node* n = tree.Find(path);
  if (!n || tree.NumChildren(*n) != 0) return false;
  const NodeStat& s = tree.StoredStat(*n);
  if (ttl) {
    int64_t ttl_ms = s.ephemeral_owner & ephemeral_owner::kMaxTtl;
    return ttl_ms > 0 && (limits_.test_ignore_ttl || wall_ms - s.mtime > ttl_ms);
  }
  // A container that once had a child goes when empty; one that never had a child goes only
  // after maxNeverUsedIntervalMs (0 = never).
  const int64_t never_used = limits_.max_never_used_interval_ms;
  return s.cversion > 0 || (never_used > 0 && wall_ms - s.mtime > never_used);
}

void ContainerReaper::Scan(const DataTree& tree, int64_t wall_ms) {
  queue_.clear();
  for (const auto& path : tree.Containers()) {
    if (!in_flight_.contains(path) && IsCandidate(tree, path, false, wall_ms)) {
      queue_.push_back({path, false});
    }
  }
  for (const auto& path : tree.TtlNodes()) {
    if (!in_flight_.contains(path) && IsCandidate(tree, path, true, wall_ms)) {
      queue_.push_back({path, true});
    }
  }
}

std::vector<std::string> ContainerReaper::Tick(int64_t now_ms, int64_t wall_ms,
                                               const DataTree& tree) {
  std::vector<std::string> out;
  if (!running_) return out;
  const int64_t elapsed = std::max<int64_t>(0, now_ms - last_tick_ms_);
  last_tick_ms_ = now_ms;
  // Pacing: one delete per 60000 / maxPerMinute ms while candidates wait, the first of a check
  // at once; at most 100 ms worth of deletes saved up when ticks come late.
  const double per_ms = static_cast<double>(limits_.max_per_minute) / 60000.0;
  if (queue_.empty()) {
    budget_ = 1;
  } else {
    budget_ = std::min(budget_ + static_cast<double>(elapsed) * per_ms, 1 + per_ms * 100);
  }
  if (now_ms >= next_check_ms_) {
    Scan(tree, wall_ms);
    next_check_ms_ += limits_.check_interval_ms;
    if (next_check_ms_ <= now_ms) next_check_ms_ = now_ms + limits_.check_interval_ms;
  }
  while (budget_ >= 1 && !queue_.empty()) {
    Candidate c = std::move(queue_.front());
    queue_.pop_front();
    if (in_flight_.contains(c.path) || !IsCandidate(tree, c.path, c.ttl, wall_ms)) continue;
    out.push_back(std::move(c.path));
    budget_ -= 1;
  }
  return out;
}

void ContainerReaper::Submitted(const std::string& path, int64_t zxid) {
  if (zxid <= 0) return;
  in_flight_.insert(path);
  in_flight_order_.emplace_back(zxid, path);
}

void ContainerReaper::Applied(int64_t zxid) {
  while (!in_flight_order_.empty() && in_flight_order_.front().first <= zxid) {
    in_flight_.erase(in_flight_order_.front().second);
    in_flight_order_.pop_front();
  }
}

}  // namespace zk::server
