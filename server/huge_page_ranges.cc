#include "server/huge_page_ranges.h"

namespace zk::server {

bool HugePageRanges::Record(uintptr_t begin, uintptr_t end) {
  const size_t n = count_.load(std::memory_order_relaxed);
  if (n > 0 && slots_[n - 1].begin.load(std::memory_order_relaxed) == begin) {
    slots_[n - 1].end.store(end, std::memory_order_release);
    return true;
  }
  if (n == kMaxRanges) return false;
  slots_[n].begin.store(begin, std::memory_order_relaxed);
  slots_[n].end.store(end, std::memory_order_relaxed);
  count_.store(n + 1, std::memory_order_release);  // publishes the slot's two fields
  return true;
}

std::vector<AddressRange> HugePageRanges::Ranges() const {
  const size_t n = count_.load(std::memory_order_acquire);
  std::vector<AddressRange> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(AddressRange{slots_[i].begin.load(std::memory_order_relaxed),
                               slots_[i].end.load(std::memory_order_acquire)});
  }
  return out;
}

namespace {
// Constant-initialized and trivially destructible: usable by the allocator before main and after
// exit, with no guard on the way.
constinit HugePageRanges g_heap_ranges;
}  // namespace

HugePageRanges& HeapHugePageRanges() { return g_heap_ranges; }

}  // namespace zk::server
