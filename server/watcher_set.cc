#include "server/watcher_set.h"

#include <algorithm>
#include <utility>

namespace zk::server {

namespace {
constexpr uint32_t kGrowBy = 2;  // ids added when the sorted array is full: 16 bytes
}  // namespace

WatcherSet::~WatcherSet() { Release(); }

WatcherSet::WatcherSet(WatcherSet&& other) noexcept
    : size_(std::exchange(other.size_, 0)), capacity_(std::exchange(other.capacity_, 0)) {
  sorted_ = std::exchange(other.sorted_, nullptr);
}

WatcherSet& WatcherSet::operator=(WatcherSet&& other) noexcept {
  if (this != &other) {
    Release();
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    sorted_ = std::exchange(other.sorted_, nullptr);
  }
  return *this;
}

void WatcherSet::Release() {
  if (is_large()) {
    delete large_;
  } else {
    delete[] sorted_;
  }
  sorted_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

bool WatcherSet::insert(WatcherId w) {
  if (is_large()) return large_->insert(w).second;
  WatcherId* end = sorted_ + size_;
  WatcherId* at = std::lower_bound(sorted_, end, w);
  if (at != end && *at == w) return false;
  if (size_ == kMaxSorted) {
    auto* large = new LargeSet(sorted_, end);
    large->insert(w);
    delete[] sorted_;
    large_ = large;
    size_ = 0;
    capacity_ = kLarge;
    return true;
  }
  const size_t offset = static_cast<size_t>(at - sorted_);
  if (size_ == capacity_) {
    auto* grown = new WatcherId[capacity_ + kGrowBy];
    std::copy(sorted_, at, grown);
    std::copy(at, end, grown + offset + 1);
    delete[] sorted_;
    sorted_ = grown;
    capacity_ += kGrowBy;
  } else {
    std::copy_backward(at, end, end + 1);
  }
  sorted_[offset] = w;
  ++size_;
  return true;
}

bool WatcherSet::erase(WatcherId w) {
  if (is_large()) return large_->erase(w) > 0;
  WatcherId* end = sorted_ + size_;
  WatcherId* at = std::lower_bound(sorted_, end, w);
  if (at == end || *at != w) return false;
  std::copy(at + 1, end, at);
  if (--size_ == 0) Release();
  return true;
}

bool WatcherSet::contains(WatcherId w) const {
  if (is_large()) return large_->contains(w);
  return std::binary_search(sorted_, sorted_ + size_, w);
}

std::vector<WatcherId> WatcherSet::Sorted() const {
  if (!is_large()) return std::vector<WatcherId>(sorted_, sorted_ + size_);
  std::vector<WatcherId> out(large_->begin(), large_->end());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace zk::server
