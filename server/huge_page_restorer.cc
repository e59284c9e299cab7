#include "server/huge_page_restorer.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <utility>

#include "server/snapshot.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25  // Linux 6.1; glibc's headers name it from 2.37 on
#endif

namespace zk::server {
namespace {

constexpr size_t kMinPage = 4096;
// Consecutive failures after which a run gives up: the kernel has no huge page to give (memory
// fragmented or short), and trying every range would only burn CPU.
constexpr int kMaxFailuresInARow = 8;

int64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// Whether at least 7/8 of the 4 KiB pages of the huge page at `begin` are resident.
bool MostlyResident(uintptr_t begin, size_t page_size) {
  unsigned char resident[kHugePageBytes / kMinPage];
  if (::mincore(reinterpret_cast<void*>(begin), kHugePageBytes, resident) != 0) return false;
  const size_t pages = kHugePageBytes / page_size;
  size_t count = 0;
  for (size_t i = 0; i < pages; ++i) count += resident[i] & 1;
  return count * 8 >= pages * 7;
}

}  // namespace

CollapseFigures CollapseToHugePages(AddressRange range, const std::atomic<bool>& stop) {
  const auto start = std::chrono::steady_clock::now();
  CollapseFigures f;
  const long page = ::sysconf(_SC_PAGESIZE);
  if (page < static_cast<long>(kMinPage) || kHugePageBytes % static_cast<uintptr_t>(page) != 0) {
    f.unsupported = true;
    return f;
  }
  const uintptr_t first = (range.begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  const uintptr_t last = range.end & ~(kHugePageBytes - 1);
  int failures_in_a_row = 0;
  for (uintptr_t at = first; first >= range.begin && at < last; at += kHugePageBytes) {
    if (stop.load(std::memory_order_relaxed)) break;
    if (!MostlyResident(at, static_cast<size_t>(page))) {
      f.sparse_bytes += kHugePageBytes;
      continue;
    }
    if (::madvise(reinterpret_cast<void*>(at), kHugePageBytes, MADV_COLLAPSE) == 0) {
      f.collapsed_bytes += kHugePageBytes;
      failures_in_a_row = 0;
      continue;
    }
    if (errno == EINVAL) {  // unknown advice, or a mapping the kernel will not put on THP
      f.unsupported = true;
      break;
    }
    f.failed_bytes += kHugePageBytes;  // ENOMEM, EAGAIN, EBUSY: no huge page to be had just now
    if (++failures_in_a_row == kMaxFailuresInARow) break;
  }
  f.wall_us = MicrosSince(start);
  return f;
}

HugePageRestorer::~HugePageRestorer() { Stop(); }

bool HugePageRestorer::Start(std::vector<AddressRange> ranges) {
  if (running()) return false;
  (void)TakeFigures();
  size_t bytes = 0;
  for (const AddressRange& r : ranges) bytes += r.size();
  if (unsupported_ || ranges.empty() || bytes < min_bytes_) return false;
  stop_.store(false);
  done_.store(false);
  thread_ = std::thread([this, ranges = std::move(ranges)] {
    pthread_setname_np(pthread_self(), "zk-hugepages");
    // Per thread on Linux; best effort, like the snapshot child's own.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kSnapshotNice);
    const auto start = std::chrono::steady_clock::now();
    CollapseFigures total;
    for (const AddressRange& r : ranges) {
      const CollapseFigures f = CollapseToHugePages(r, stop_);
      total.collapsed_bytes += f.collapsed_bytes;
      total.sparse_bytes += f.sparse_bytes;
      total.failed_bytes += f.failed_bytes;
      if (f.unsupported) {
        total.unsupported = true;
        break;
      }
      if (stop_.load(std::memory_order_relaxed)) break;
    }
    total.wall_us = MicrosSince(start);
    figures_ = total;
    done_.store(true, std::memory_order_release);
  });
  return true;
}

std::optional<CollapseFigures> HugePageRestorer::TakeFigures() {
  if (!thread_.joinable() || !done_.load(std::memory_order_acquire)) return std::nullopt;
  thread_.join();
  if (figures_.unsupported) unsupported_ = true;
  return figures_;
}

void HugePageRestorer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace zk::server
