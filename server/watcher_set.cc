#include "server/watcher_set.h"

#include <algorithm>

namespace zk::server {

namespace {
constexpr size_t kGrowBy = 4;  // slots added when the sorted vector is full
}  // namespace

bool WatcherSet::insert(WatcherId w) {
  if (large_) return large_->insert(w).second;
  auto at = std::lower_bound(sorted_.begin(), sorted_.end(), w);
  if (at != sorted_.end() && *at == w) return false;
  if (sorted_.size() == kMaxSorted) {
    large_ = std::make_unique<absl::flat_hash_set<WatcherId>>(sorted_.begin(), sorted_.end());
    std::vector<WatcherId>().swap(sorted_);
    return large_->insert(w).second;
  }
  if (sorted_.size() == sorted_.capacity()) {
    const auto offset = at - sorted_.begin();
    sorted_.reserve(sorted_.size() + kGrowBy);
    at = sorted_.begin() + offset;
  }
  sorted_.insert(at, w);
  return true;
}

bool WatcherSet::erase(WatcherId w) {
  if (large_) return large_->erase(w) > 0;
  auto at = std::lower_bound(sorted_.begin(), sorted_.end(), w);
  if (at == sorted_.end() || *at != w) return false;
  sorted_.erase(at);
  return true;
}

bool WatcherSet::contains(WatcherId w) const {
  if (large_) return large_->contains(w);
  return std::binary_search(sorted_.begin(), sorted_.end(), w);
}

std::vector<WatcherId> WatcherSet::Sorted() const {
  if (!large_) return sorted_;
  std::vector<WatcherId> out(large_->begin(), large_->end());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace zk::server
