// HugePageRestorer and HugePageRanges: collapsing memory that a fork's copy-on-write split back
// into 2 MiB pages, on real anonymous mappings, as the kernel here does it.
#include "server/huge_page_restorer.h"

#include <doctest/doctest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "server/huge_page_ranges.h"

namespace zk::server {
namespace {

constexpr size_t kHuge = kHugePageBytes;  // the size the production code collapses

// An anonymous mapping aligned to 2 MiB, unmapped at scope exit.
struct AlignedMapping {
  explicit AlignedMapping(size_t bytes) : size(bytes) {
    raw =
        ::mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(raw != MAP_FAILED);
    base = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + kHuge - 1) & ~(kHuge - 1));
  }
  ~AlignedMapping() { ::munmap(raw, size + kHuge); }
  AddressRange range() const {
    return {reinterpret_cast<uintptr_t>(base), reinterpret_cast<uintptr_t>(base) + size};
  }
  void* raw;
  char* base;
  size_t size;
};

// AnonHugePages of the mapping that holds `addr`, in KiB, from /proc/self/smaps.
long AnonHugeKiB(const void* addr) {
  std::ifstream smaps("/proc/self/smaps");
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0;
    unsigned long hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
      inside = lo <= a && a < hi;
      continue;
    }
    long kib = 0;
    if (inside && std::sscanf(line.c_str(), "AnonHugePages: %ld kB", &kib) == 1) return kib;
  }
  return -1;
}

size_t ResidentPages(const char* begin, size_t bytes) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::string vec(bytes / page, '\0');
  REQUIRE(::mincore(const_cast<char*>(begin), bytes,
                    reinterpret_cast<unsigned char*>(vec.data())) == 0);
  size_t n = 0;
  for (char c : vec) n += static_cast<unsigned char>(c) & 1;
  return n;
}

bool ThpNever() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::stringstream s;
  s << f.rdbuf();
  return s.str().empty() || s.str().find("[never]") != std::string::npos;
}

// Forks a child that shares the mapping, writes one byte per 64 KiB of it meanwhile (each write
// copies the page the child shares and splits the huge page around it), and waits for the child.
void SplitByFork(char* base, size_t bytes) {
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    char c;
    ::close(ready[1]);
    (void)!::read(ready[0], &c, 1);  // until the parent closes its end
    ::_exit(0);
  }
  ::close(ready[0]);
  for (size_t off = 0; off < bytes; off += 64 << 10) base[off] = static_cast<char>(base[off] + 1);
  ::close(ready[1]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
}

}  // namespace

TEST_CASE("CollapseToHugePages: a range split by a fork's copy-on-write is on huge pages again") {
  if (ThpNever()) {
    MESSAGE("transparent huge pages are off on this machine: nothing to split or collapse");
    return;
  }
  constexpr size_t kBytes = 4 * kHuge;
  AlignedMapping m(kBytes);
  REQUIRE(::madvise(m.base, kBytes, MADV_HUGEPAGE) == 0);
  for (size_t i = 0; i < kBytes; ++i) m.base[i] = static_cast<char>(i % 251);
  SplitByFork(m.base, kBytes);
  CHECK(AnonHugeKiB(m.base) == 0);  // every 2 MiB was written to while shared
  CHECK(ResidentPages(m.base, kBytes) == kBytes / static_cast<size_t>(::sysconf(_SC_PAGESIZE)));

  std::atomic<bool> stop{false};
  const CollapseFigures f = CollapseToHugePages(m.range(), stop);
  CHECK(f.sparse_bytes == 0);
  if (f.unsupported) {
    MESSAGE("this kernel cannot collapse (MADV_COLLAPSE): the range stays split");
    CHECK(f.collapsed_bytes == 0);
  } else {
    CHECK(f.collapsed_bytes + f.failed_bytes == static_cast<int64_t>(kBytes));
    CHECK(AnonHugeKiB(m.base) == (f.collapsed_bytes >> 10));
    CHECK(f.collapsed_bytes > 0);
  }
  // The contents survive the copy, the bytes written while shared included.
  for (size_t i = 0; i < kBytes; ++i) {
    const char want = static_cast<char>(i % 251 + (i % (64 << 10) == 0 ? 1 : 0));
    if (m.base[i] != want) {
      FAIL("byte " << i << " changed");
      break;
    }
  }
}

TEST_CASE("CollapseToHugePages: a range less than 7/8 resident is left alone") {
  if (ThpNever()) return;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  AlignedMapping m(2 * kHuge);
  // 4 KiB pages first, so that the touches below fault in small pages whatever the THP mode.
  REQUIRE(::madvise(m.base, 2 * kHuge, MADV_NOHUGEPAGE) == 0);
  for (size_t off = 0; off < kHuge; off += 4 * page) m.base[off] = 1;  // a quarter resident
  std::memset(m.base + kHuge, 2, kHuge);                               // all resident
  REQUIRE(::madvise(m.base, 2 * kHuge, MADV_HUGEPAGE) == 0);
  const size_t sparse_before = ResidentPages(m.base, kHuge);
  CHECK(sparse_before == kHuge / page / 4);

  std::atomic<bool> stop{false};
  const CollapseFigures f = CollapseToHugePages(m.range(), stop);
  if (f.unsupported) return;
  CHECK(f.sparse_bytes == static_cast<int64_t>(kHuge));
  CHECK(f.collapsed_bytes + f.failed_bytes == static_cast<int64_t>(kHuge));
  CHECK(ResidentPages(m.base, kHuge) == sparse_before);  // nothing made resident
  CHECK(m.base[kHuge] == 2);
  CHECK(m.base[0] == 1);
}

TEST_CASE("CollapseToHugePages: the unaligned ends are skipped, and a stop is heeded") {
  AlignedMapping m(3 * kHuge);
  std::memset(m.base, 3, 3 * kHuge);
  std::atomic<bool> stop{false};
  // Only the middle 2 MiB is a whole aligned huge page of [base + 4 KiB, base + 6 MiB - 4 KiB).
  const AddressRange inner{m.range().begin + 4096, m.range().end - 4096};
  const CollapseFigures f = CollapseToHugePages(inner, stop);
  if (!f.unsupported) {
    CHECK(f.sparse_bytes == 0);
    CHECK(f.collapsed_bytes + f.failed_bytes == static_cast<int64_t>(kHuge));
  }
  stop = true;
  const CollapseFigures none = CollapseToHugePages(m.range(), stop);
  CHECK(none.collapsed_bytes + none.failed_bytes + none.sparse_bytes == 0);
}

TEST_CASE("HugePageRestorer: runs on its own thread, reports once, and can be stopped") {
  HugePageRestorer restorer(/*min_bytes=*/2 * kHuge);
  CHECK_FALSE(restorer.Start({}));  // nothing to collapse
  CHECK_FALSE(restorer.running());
  CHECK_FALSE(restorer.TakeFigures().has_value());

  AlignedMapping m(2 * kHuge);
  std::memset(m.base, 4, 2 * kHuge);
  CHECK_FALSE(restorer.Start({{m.range().begin, m.range().end - 4096}}));  // below the minimum
  CHECK_FALSE(restorer.running());
  REQUIRE(restorer.Start({m.range()}));
  std::optional<CollapseFigures> f;
  while (!(f = restorer.TakeFigures())) ::usleep(1000);
  CHECK_FALSE(restorer.running());
  CHECK_FALSE(restorer.TakeFigures().has_value());  // once
  if (!f->unsupported) {
    CHECK(f->collapsed_bytes + f->failed_bytes + f->sparse_bytes ==
          static_cast<int64_t>(2 * kHuge));
    // Stopped at once: the thread is joined and nothing is reported.
    REQUIRE(restorer.Start({m.range()}));
    restorer.Stop();
    CHECK_FALSE(restorer.running());
    CHECK_FALSE(restorer.TakeFigures().has_value());
  } else {
    CHECK_FALSE(restorer.Start({m.range()}));  // the kernel cannot: not tried again
  }
}

TEST_CASE("HugePageRanges: the latest range grows in place; another start is a new range") {
  auto table = std::make_unique<HugePageRanges>();
  CHECK(table->Ranges().empty());
  const uintptr_t a = uintptr_t{1} << 46;
  REQUIRE(table->Record(a, a + 4096));
  REQUIRE(table->Record(a, a + 8192));
  std::vector<AddressRange> r = table->Ranges();
  REQUIRE(r.size() == 1);
  CHECK(r[0].begin == a);
  CHECK(r[0].end == a + 8192);
  REQUIRE(table->Record(a + kHuge, a + kHuge + 100));
  r = table->Ranges();
  REQUIRE(r.size() == 2);
  CHECK(r[0].end == a + 8192);
  CHECK(r[1].size() == 100);
  for (size_t i = 2; i < HugePageRanges::kMaxRanges; ++i)
    REQUIRE(table->Record(a + i * kHuge, a + i * kHuge + 1));
  CHECK_FALSE(table->Record(a + HugePageRanges::kMaxRanges * kHuge,
                            a + HugePageRanges::kMaxRanges * kHuge + 1));
  CHECK(table->Record(a + (HugePageRanges::kMaxRanges - 1) * kHuge,
                      a + HugePageRanges::kMaxRanges * kHuge));  // the latest still grows
  CHECK(table->Ranges().size() == HugePageRanges::kMaxRanges);
  CHECK(HeapHugePageRanges().Ranges().empty());  // no huge-page heap in a test binary
}

}  // namespace zk::server
