#include "server/huge_page_heap.h"

#include <gperftools/malloc_extension.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

#include "server/huge_page_ranges.h"

namespace zk::server {
namespace {

// Address space reserved at a time. Only what the allocator touches becomes resident; the
// reservation costs no memory (MAP_NORESERVE) and keeps the heap in a few large mappings.
constexpr size_t kReserveBytes = size_t{256} << 20;

uintptr_t AlignUp(uintptr_t v, uintptr_t alignment) {
  return (v + alignment - 1) & ~(alignment - 1);
}

// Hands out memory from huge-page mappings, front to back. tcmalloc calls Alloc with its page
// heap lock held, so no lock of its own; it never gives memory back (tcmalloc returns free
// pages with madvise, not by unmapping them).
class HugePageSysAllocator final : public SysAllocator {
 public:
  explicit HugePageSysAllocator(SysAllocator* fallback) : fallback_(fallback) {}

  void* Alloc(size_t size, size_t* actual_size, size_t alignment) override {
    if (alignment < sizeof(void*)) alignment = sizeof(void*);
    if ((alignment & (alignment - 1)) != 0) return Fallback(size, actual_size, alignment);
    uintptr_t start = AlignUp(next_, alignment);
    if (next_ == 0 || start + size > end_ || start + size < start) {
      if (!Reserve(size + alignment)) return Fallback(size, actual_size, alignment);
      start = AlignUp(next_, alignment);
    }
    next_ = start + size;
    // For HugePageRestorer: what the heap uses of this mapping, now up to next_.
    (void)HeapHugePageRanges().Record(region_begin_, next_);
    if (actual_size != nullptr) *actual_size = size;
    return reinterpret_cast<void*>(start);
  }

 private:
  // Maps a new region of at least `bytes` (kReserveBytes or more) aligned to a huge page; the
  // rest of the current one is left unused (address space only, never touched).
  bool Reserve(size_t bytes) {
    if (bytes > SIZE_MAX - 2 * kHugePageBytes) return false;
    const size_t len = AlignUp(bytes > kReserveBytes ? bytes : kReserveBytes, kHugePageBytes);
    void* p = ::mmap(nullptr, len + kHugePageBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    const uintptr_t raw = reinterpret_cast<uintptr_t>(p);
    const uintptr_t aligned = AlignUp(raw, kHugePageBytes);
    // Give back the slack before and after the aligned region.
    if (aligned > raw) ::munmap(p, aligned - raw);
    const uintptr_t tail = raw + len + kHugePageBytes - (aligned + len);
    if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + len), tail);
    // Best effort: without it (THP "never") this is an ordinary anonymous mapping.
    (void)::madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
    region_begin_ = aligned;
    next_ = aligned;
    end_ = aligned + len;
    return true;
  }

  void* Fallback(size_t size, size_t* actual_size, size_t alignment) {
    return fallback_ != nullptr ? fallback_->Alloc(size, actual_size, alignment) : nullptr;
  }

  SysAllocator* const fallback_;
  uintptr_t region_begin_ = 0;
  uintptr_t next_ = 0;
  uintptr_t end_ = 0;
};

}  // namespace

bool UseHugePageHeap() {
  MallocExtension* ext = MallocExtension::instance();
  SysAllocator* current = ext->GetSystemAllocator();
  if (current == nullptr) return false;  // not tcmalloc: the default MallocExtension has none
  // Lives as long as the process: tcmalloc keeps calling it.
  static HugePageSysAllocator allocator(current);
  ext->SetSystemAllocator(&allocator);
  return true;
}

}  // namespace zk::server
