// WatcherSet: the watchers of one watched path, sized for the common case of a few: a sorted
// vector grown a few slots at a time (a path watched by 9 sessions holds 96 bytes of ids, not a
// hash table's 160), which becomes a hash set once it holds more than kMaxSorted watchers (a hot
// node watched by thousands stays O(1) per add and remove). Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace zk::server {

using WatcherId = uint64_t;

class WatcherSet {
 public:
  static constexpr size_t kMaxSorted = 64;

  // Whether `w` was added (false: it was there already).
  bool insert(WatcherId w);
  // Whether `w` was there (and is now gone).
  bool erase(WatcherId w);
  bool contains(WatcherId w) const;
  bool empty() const { return size() == 0; }
  size_t size() const { return large_ ? large_->size() : sorted_.size(); }
  // Every watcher, in increasing order.
  std::vector<WatcherId> Sorted() const;

 private:
  std::vector<WatcherId> sorted_;                          // while small
  std::unique_ptr<absl::flat_hash_set<WatcherId>> large_;  // once large
};

}  // namespace zk::server
