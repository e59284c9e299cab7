// ShardedHashSet: a hash set whose growth never rehashes more than a slice of it at once.
//
// An absl::flat_hash_set grows by rehashing every element into a table twice the size, in one
// go. For the children of a znode that is a stall of the io thread: a parent with about a million
// children took 80-270 ms to grow (docs/performance.md, "Growing a large child set"), and
// every client waited. This set is one flat_hash_set while small; once it holds kSplitAt
// elements it splits into kShards sets chosen by the top bits of the element's hash, so each
// later growth rehashes about 1/kShards of the elements (a 10-million-child parent: ~40,000).
//
// The interface is the part of flat_hash_set the tree uses: find/contains/insert/erase by key
// (heterogeneous, through the transparent Hash and Eq), size, reserve and forward iteration
// (shard by shard; the order is unspecified, as a hash set's is). Elements are immutable once in
// the set. Iterators and references are invalidated by insert, erase and reserve, as
// flat_hash_set's are.
#pragma once

#include <absl/container/flat_hash_set.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <utility>

namespace zk::server {

// The size at which a ShardedHashSet splits, and into how many sets. Below it a growth rehashes
// at most half of it; past it about size() / kShardedHashSetShards elements.
inline constexpr size_t kShardedHashSetSplitAt = size_t{1} << 16;
inline constexpr size_t kShardedHashSetShards = 256;

template <class T, class Hash, class Eq>
class ShardedHashSet {
  using Set = absl::flat_hash_set<T, Hash, Eq>;

 public:
  static constexpr size_t kSplitAt = kShardedHashSetSplitAt;
  static constexpr size_t kShards = kShardedHashSetShards;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    reference operator*() const { return *it_; }
    pointer operator->() const { return &*it_; }
    const_iterator& operator++() {
      ++it_;
      SkipEmpty();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    // Iterators of one set compare equal at the same element, and at the end.
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      if (a.shard_ != b.shard_) return false;
      return a.shard_ == a.count_ || a.it_ == b.it_;
    }

   private:
    friend class ShardedHashSet;
    const_iterator(const Set* sets, size_t count, size_t shard, typename Set::const_iterator it)
        : sets_(sets), count_(count), shard_(shard), it_(it) {}
    // Moves past the ends of empty sets to the next element, or to the end of the whole set.
    void SkipEmpty() {
      while (it_ == sets_[shard_].end()) {
        if (++shard_ == count_) return;
        it_ = sets_[shard_].begin();
      }
    }

    const Set* sets_ = nullptr;
    size_t count_ = 0;
    size_t shard_ = 0;  // == count_ at the end
    typename Set::const_iterator it_;
  };
  using iterator = const_iterator;

  ShardedHashSet() = default;
  ShardedHashSet(const ShardedHashSet&) = delete;
  ShardedHashSet& operator=(const ShardedHashSet&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const_iterator begin() const {
    const_iterator it(sets(), count(), 0, sets()[0].begin());
    it.SkipEmpty();
    return it;
  }
  const_iterator end() const { return const_iterator(sets(), count(), count(), {}); }

  template <class K>
  const_iterator find(const K& key) const {
    if (!shards_) {
      auto it = small_.find(key);
      return it == small_.end() ? end() : const_iterator(&small_, 1, 0, it);
    }
    const size_t hash = Hash{}(key);
    const size_t shard = ShardOf(hash);
    auto it = shards_[shard].find(key, hash);
    return it == shards_[shard].end() ? end() : const_iterator(shards_.get(), kShards, shard, it);
  }

  template <class K>
  bool contains(const K& key) const {
    return find(key) != end();
  }

  // Inserts `value` unless an equal element is present; .second tells which.
  std::pair<const_iterator, bool> insert(T value) {
    if (!shards_ && small_.size() + 1 >= kSplitAt) Split(small_.size() + 1);
    if (!shards_) {
      auto [it, inserted] = small_.insert(std::move(value));
      size_ += inserted ? 1 : 0;
      return {const_iterator(&small_, 1, 0, it), inserted};
    }
    const size_t shard = ShardOf(Hash{}(value));
    auto [it, inserted] = shards_[shard].insert(std::move(value));
    size_ += inserted ? 1 : 0;
    return {const_iterator(shards_.get(), kShards, shard, it), inserted};
  }

  // Erases the element equal to `key`; returns how many were erased (0 or 1).
  template <class K>
  size_t erase(const K& key) {
    if (!shards_) {
      const size_t erased = small_.erase(key);
      size_ -= erased;
      return erased;
    }
    const size_t hash = Hash{}(key);
    Set& shard = shards_[ShardOf(hash)];
    auto it = shard.find(key, hash);  // hashed once, as find does
    if (it == shard.end()) return 0;
    shard.erase(it);
    --size_;
    return 1;
  }

  // Makes room for `n` elements in all (the snapshot loader knows a parent's child count).
  void reserve(size_t n) {
    if (!shards_ && n >= kSplitAt) Split(n);
    if (!shards_) {
      small_.reserve(n);
      return;
    }
    const size_t per_shard = n / kShards + n / kShards / 8 + 16;  // room for an uneven split
    for (size_t i = 0; i < kShards; ++i) shards_[i].reserve(per_shard);
  }

  // Whether the set has split (for tests).
  bool split() const { return shards_ != nullptr; }

 private:
  static size_t ShardOf(size_t hash) {
    // The top bits: flat_hash_set places an element by its hash's low bits (above the seven it
    // keeps in its control bytes), so a shard's elements still spread over its whole table.
    return static_cast<size_t>(static_cast<uint64_t>(hash) >> 56) % kShards;
  }
  const Set* sets() const { return shards_ ? shards_.get() : &small_; }
  size_t count() const { return shards_ ? kShards : 1; }

  // Moves the elements of small_ into kShards sets with room for `expected` elements in all.
  void Split(size_t expected) {
    auto shards = std::make_unique<Set[]>(kShards);
    const size_t per_shard = expected / kShards + expected / kShards / 8 + 16;
    for (size_t i = 0; i < kShards; ++i) shards[i].reserve(per_shard);
    for (const T& v : small_) shards[ShardOf(Hash{}(v))].insert(v);
    Set().swap(small_);  // frees its table
    shards_ = std::move(shards);
  }

  Set small_;                       // the elements while not split
  std::unique_ptr<Set[]> shards_;  // kShards sets once split; then small_ is empty
  size_t size_ = 0;
};

}  // namespace zk::server
