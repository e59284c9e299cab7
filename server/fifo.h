// Fifo<T>: a first-in first-out queue on one vector, for the per-connection queues an idle
// session keeps. An empty Fifo allocates nothing (libstdc++'s std::deque allocates a map and a
// 512-byte node as soon as it is constructed, which at 10,000 idle sessions is megabytes).
// pop_front resets the element (its memory goes at once) and advances a head index; the
// consumed prefix is dropped once it is most of the vector, so every operation is amortized
// O(1). As with std::vector, push_back may invalidate references and iterators.
#pragma once
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace zk::server {

template <typename T>
class Fifo {
 public:
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  // Elements the storage holds room for (consumed slots included).
  size_t capacity() const { return items_.capacity(); }

  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }

  void push_back(T item) { items_.push_back(std::move(item)); }

  void pop_front() {
    items_[head_] = T{};
    if (++head_ == items_.size()) {
      // Drained: keep a small vector's capacity, give a burst's back.
      items_.clear();
      if (items_.capacity() > kKeptCapacity) std::vector<T>().swap(items_);
      head_ = 0;
    } else if (head_ >= kKeptCapacity && head_ > items_.size() / 2) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  // Gives the storage of an empty queue back (an idle connection holds none).
  void ReleaseIfEmpty() {
    if (empty() && items_.capacity() > 0) {
      std::vector<T>().swap(items_);
      head_ = 0;
    }
  }

  iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  const_iterator end() const { return items_.end(); }

 private:
  static constexpr size_t kKeptCapacity = 16;
  std::vector<T> items_;
  size_t head_ = 0;
};

}  // namespace zk::server
