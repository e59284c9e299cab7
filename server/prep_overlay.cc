#include "server/prep_overlay.h"

#include <utility>

#include "absl/hash/hash.h"
#include "zab/check.h"

namespace zk::server {

namespace {
constexpr size_t kFirstRingSize = 64;
// A ring this large (10 MiB) is given back once it empties: a burst of large multis must
// not hold its memory for good. Smaller ones are kept, so a load that keeps emptying the ring
// between bursts does not grow it again each time.
constexpr size_t kKeptRingSize = 65536;
}  // namespace

PrepOverlay::PrepOverlay() : index_(0, SlotHash{this}, SlotEq{this}) {}

size_t PrepOverlay::SlotHash::operator()(std::string_view path) const {
  return absl::Hash<std::string_view>{}(path);
}

const PrepRecord* PrepOverlay::Find(std::string_view path) const {
  auto it = index_.find(path);
  return it == index_.end() ? nullptr : &At(it->latest).record;
}

void PrepOverlay::Put(int64_t zxid, std::string path, PrepRecord record) {
  if (tail_ - head_ == ring_.size()) Grow();
  const uint64_t seq = tail_;
  Entry& e = At(seq);
  e.zxid = zxid;
  e.hash = index_.hash_function()(std::string_view(path));
  e.path = std::move(path);
  e.record = std::move(record);
  ++tail_;  // in the ring before the insert: the index hashes the entry's path
  auto [it, inserted] = index_.insert(Slot{seq, seq});
  if (!inserted) it->latest = seq;
}

void PrepOverlay::DropUpTo(int64_t zxid) {
  while (head_ < tail_ && At(head_).zxid <= zxid) {
    Entry& e = At(head_);
    auto it = index_.find(std::string_view(e.path), e.hash);
    ZK_CHECK(it != index_.end());  // every entry's path is in the index until its last drop
    if (it->latest == head_) {
      index_.erase(it);  // the path's last pending change
    } else if (it->key == head_) {
      it->key = it->latest;  // a newer change of the path remains; this entry's path goes
    }
    e.path = std::string();
    e.record = PrepRecord();  // lets go of its ACL list
    ++head_;
  }
  if (head_ == tail_ && ring_.size() > kKeptRingSize) Clear();
}

void PrepOverlay::Clear() {
  index_.clear();
  ring_.clear();
  head_ = tail_ = 0;
}

void PrepOverlay::Grow() {
  std::vector<Entry> bigger(ring_.empty() ? kFirstRingSize : ring_.size() * 2);
  for (uint64_t seq = head_; seq < tail_; ++seq) {
    bigger[seq & (bigger.size() - 1)] = std::move(At(seq));
  }
  ring_ = std::move(bigger);
}

}  // namespace zk::server
