// HugePageRestorer: puts the heap back on 2 MiB pages after a snapshot child has exited.
//
// Why: the snapshot writer is a fork of the server. The first write the server makes to a huge
// page that the child still shares splits the server's mapping of that page into 512 entries of
// 4 KiB, and the kernel does not merge them again on its own in any useful time (khugepaged
// scans a few MiB every ten seconds). Under writes, a few snapshots leave the whole heap split,
// and then:
//   - the next fork copies one page-table entry per 4 KiB on the io thread: 42-55 ms for a
//     2 GiB heap, against about 2 ms while it is mapped in 2 MiB pages (docs/performance.md,
//     "Keeping the heap on huge pages");
//   - every walk and lookup in the tree misses the TLB far more often.
// MADV_COLLAPSE (Linux 6.1) merges a range back into one huge page on the caller's thread: it
// copies the 2 MiB into a fresh huge page and maps that. Done after the child exited (while it
// lives, the copy would double the memory the two share) and before the next fork.
//
// Only ranges that are nearly all resident are collapsed (at least 7/8 of their 4 KiB pages),
// so memory the allocator gave back to the system is not made resident again by more than an
// eighth of a range. And only a large heap is restored: the collapse copies every byte (0.16-0.32
// s for 2.2 GiB here, on a thread at nice 10), while a smaller heap forks quickly enough even
// split (2,000,000 znodes, about 500 MiB of heap: 9-16 ms; a split 2 GiB heap, 42-55 ms).
//
// Thread-safety: a HugePageRestorer is used from one thread (the node's); its run goes on a
// thread of its own. Ownership: owns that thread; the destructor stops the run and joins it.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "server/huge_page_ranges.h"

namespace zk::server {

struct CollapseFigures {
  int64_t collapsed_bytes = 0;  // ranges now mapped in 2 MiB pages (or already were)
  int64_t sparse_bytes = 0;     // skipped: less than 7/8 resident
  int64_t failed_bytes = 0;     // the kernel could not collapse them (no free huge page, ...)
  bool unsupported = false;     // no MADV_COLLAPSE here (kernel before 6.1, THP disabled, ...)
  int64_t wall_us = 0;
};

// Collapses each 2 MiB-aligned part of `range` that is at least 7/8 resident, in order; the
// unaligned ends are left alone. Stops early once `stop` is true, and at the first sign that the
// kernel cannot do it at all (`unsupported`).
CollapseFigures CollapseToHugePages(AddressRange range, const std::atomic<bool>& stop);

// The heap below which HugePageRestorer does nothing (see above).
inline constexpr size_t kMinHeapToRestore = size_t{1} << 30;

class HugePageRestorer {
 public:
  // Runs only for ranges that add up to `min_bytes` or more.
  explicit HugePageRestorer(size_t min_bytes = kMinHeapToRestore) : min_bytes_(min_bytes) {}
  ~HugePageRestorer();
  HugePageRestorer(const HugePageRestorer&) = delete;
  HugePageRestorer& operator=(const HugePageRestorer&) = delete;

  // Starts collapsing `ranges` on a thread of its own, at the snapshot writer's lower CPU
  // priority. Returns false, starting nothing, when the ranges add up to less than the minimum,
  // a run is still under way, or an earlier run found the kernel unable to collapse.
  bool Start(std::vector<AddressRange> ranges);

  // True from Start until the run has ended.
  bool running() const { return thread_.joinable() && !done_.load(std::memory_order_acquire); }

  // Once the run has ended: joins its thread and returns its figures (once); otherwise nothing.
  // Start after a run's end collects it first (its figures are then lost).
  std::optional<CollapseFigures> TakeFigures();

  // Ends a run early (within one 2 MiB collapse) and joins its thread; its figures are dropped.
  void Stop();

 private:
  const size_t min_bytes_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  CollapseFigures figures_;  // written by the run's thread, read after done_
  bool unsupported_ = false;
};

}  // namespace zk::server
