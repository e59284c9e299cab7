// PrepOverlay: the writes Prep has turned into txns that the tree has not applied yet, as
// ZooKeeper's outstandingChanges: for each path, the record of its latest change, which is what
// the next write to that path (or under it) must be checked against.
//
// Every change is an entry in a ring, in zxid order, holding its path, the path's hash and the
// record; an index of 16-byte slots finds a path's latest entry. A change costs one hash of its
// path and no copy of it; dropping an applied change costs a probe of the index with the stored
// hash (a newer change of the same path may supersede it). The index is small enough to stay in
// cache, unlike a map holding the records themselves. Single-threaded; not copyable or movable (the index's hash and
// equality read the ring through a pointer to the overlay).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "server/acl.h"
#include "server/data_tree.h"

namespace zk::server {

// What Prep knows of a node: as the tree has it, plus the changes prepped so far.
struct PrepRecord {
  bool exists = false;
  NodeStat stat;
  int32_t child_count = 0;
  std::shared_ptr<const AclList> acl;  // shared with the tree and other records: never copied
  int64_t data_len = 0;  // for the quota check of setData
};

class PrepOverlay {
 public:
  PrepOverlay();
  PrepOverlay(const PrepOverlay&) = delete;
  PrepOverlay& operator=(const PrepOverlay&) = delete;

  // The latest record of `path`, or null when no change of it is pending. Valid until the next
  // Put, DropUpTo or Clear.
  const PrepRecord* Find(std::string_view path) const;
  // Adds the change of `path` by the txn `zxid`, which is not below any change already in.
  void Put(int64_t zxid, std::string path, PrepRecord record);
  // Drops the changes of txns up to `zxid` (the tree has applied them).
  void DropUpTo(int64_t zxid);
  void Clear();

  // Paths with a pending change.
  size_t size() const { return index_.size(); }
  // Changes the ring has room for without growing (the memory it holds: 160 bytes each).
  size_t ring_capacity() const { return ring_.size(); }
  // Calls fn(path, record) with each path's latest record, in no particular order.
  template <class Fn>
  void ForEachLatest(Fn&& fn) const {
    for (const Slot& s : index_) {
      const Entry& e = At(s.latest);
      fn(std::string_view(e.path), e.record);
    }
  }

 private:
  struct Entry {
    int64_t zxid = 0;
    size_t hash = 0;  // of path, computed once
    std::string path;
    PrepRecord record;
  };
  // A path in the index. `key` is an entry of the path that is still in the ring (its path is
  // what the slot hashes and compares); `latest` is its newest entry. Both change in place: every
  // entry they may name holds the same path and hash, so the slot's hash never changes.
  struct Slot {
    mutable uint64_t key = 0;
    mutable uint64_t latest = 0;
  };
  struct SlotHash {
    using is_transparent = void;
    const PrepOverlay* overlay;
    size_t operator()(std::string_view path) const;
    size_t operator()(const Slot& s) const { return overlay->At(s.key).hash; }
  };
  struct SlotEq {
    using is_transparent = void;
    const PrepOverlay* overlay;
    bool operator()(const Slot& a, const Slot& b) const {
      return overlay->PathOf(a) == overlay->PathOf(b);
    }
    bool operator()(const Slot& a, std::string_view b) const { return overlay->PathOf(a) == b; }
    bool operator()(std::string_view a, const Slot& b) const { return a == overlay->PathOf(b); }
  };

  Entry& At(uint64_t seq) { return ring_[seq & (ring_.size() - 1)]; }
  const Entry& At(uint64_t seq) const { return ring_[seq & (ring_.size() - 1)]; }
  std::string_view PathOf(const Slot& s) const { return At(s.key).path; }
  void Grow();

  // Entries [head_, tail_) by sequence number; the ring's size is a power of two.
  std::vector<Entry> ring_;
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
  absl::flat_hash_set<Slot, SlotHash, SlotEq> index_;
};

}  // namespace zk::server
