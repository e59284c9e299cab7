// WatcherSet: the watchers of one watched path, sized for the common case of a few. 16 bytes
// itself; up to kMaxSorted watchers sit in a sorted array grown two ids (16 bytes, one allocator
// size class) at a time, so a path watched by 9 sessions holds 80 bytes of ids, where a vector
// grown by doubling would hold 128 and a hash table 160. Past kMaxSorted it becomes a hash set,
// so a hot node watched by thousands stays O(1) per add and remove. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace zk::server {

using WatcherId = uint64_t;

class WatcherSet {
 public:
  static constexpr uint32_t kMaxSorted = 64;

  WatcherSet() = default;
  ~WatcherSet();
  WatcherSet(WatcherSet&& other) noexcept;
  WatcherSet& operator=(WatcherSet&& other) noexcept;
  WatcherSet(const WatcherSet&) = delete;
  WatcherSet& operator=(const WatcherSet&) = delete;

  // Whether `w` was added (false: it was there already).
  bool insert(WatcherId w);
  // Whether `w` was there (and is now gone).
  bool erase(WatcherId w);
  bool contains(WatcherId w) const;
  bool empty() const { return size() == 0; }
  size_t size() const { return is_large() ? large_->size() : size_; }
  // Every watcher, in increasing order.
  std::vector<WatcherId> Sorted() const;

 private:
  using LargeSet = absl::flat_hash_set<WatcherId>;
  static constexpr uint32_t kLarge = UINT32_MAX;  // capacity_ once the ids are in large_

  bool is_large() const { return capacity_ == kLarge; }
  void Release();

  union {
    WatcherId* sorted_ = nullptr;  // capacity_ slots, the first size_ in increasing order
    LargeSet* large_;
  };
  uint32_t size_ = 0;
  uint32_t capacity_ = 0;
};

static_assert(sizeof(WatcherSet) == 16);

}  // namespace zk::server
