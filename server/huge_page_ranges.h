// HugePageRanges: the address ranges of huge-page mappings that an allocator has handed out. The
// process's table (HeapHugePageRanges) is filled by the heap's allocator (server/huge_page_heap.cc,
// nothing else) and read by HugePageRestorer (server/huge_page_restorer.h), which puts split pages
// back on 2 MiB pages.
//
// A fixed table appended to without a lock: the allocator records from inside tcmalloc, under its
// page-heap lock, where neither an allocation nor a lock that a reader might hold while
// allocating is safe.
//
// Thread-safety: one recording thread at a time (the allocator's lock sees to it); reading from
// any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace zk::server {

// The size of the huge pages the heap is mapped on and restored to (x86-64's and arm64's PMD size).
inline constexpr uintptr_t kHugePageBytes = uintptr_t{2} << 20;

struct AddressRange {
  uintptr_t begin = 0;
  uintptr_t end = 0;  // one past the last byte
  size_t size() const { return end - begin; }
};

class HugePageRanges {
 public:
  // 4,096 ranges: the heap's allocator reserves 256 MiB at a time, so a terabyte of heap.
  static constexpr size_t kMaxRanges = 4096;

  // Records that [begin, end) is in use. A mapping's used part grows from its start, so a call
  // with the `begin` of the latest range only moves that range's end forward; another `begin`
  // starts a new range. Returns false when the table is full (that range is not recorded: its
  // pages are simply never restored).
  bool Record(uintptr_t begin, uintptr_t end);

  // The ranges recorded so far, oldest first.
  std::vector<AddressRange> Ranges() const;

 private:
  struct Slot {
    std::atomic<uintptr_t> begin{0};
    std::atomic<uintptr_t> end{0};
  };
  std::array<Slot, kMaxRanges> slots_;
  std::atomic<size_t> count_{0};
};

// The process's table: what the heap holds on huge-page mappings.
HugePageRanges& HeapHugePageRanges();

}  // namespace zk::server
