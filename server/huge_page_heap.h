// The heap on transparent huge pages: makes tcmalloc (linked into the zabkeeper binary only)
// take its memory from mappings that ask the kernel for 2 MiB pages (madvise MADV_HUGEPAGE,
// which the kernel's default THP mode, "madvise", requires). Only worth it for a large heap,
// and that is what a server with millions of znodes has:
//   - fork() of the snapshot writer copies one entry per 2 MiB instead of one per 4 KiB page;
//   - every walk of the tree and every lookup in a large child set misses the TLB far less.
// Each range it hands out is recorded in HeapHugePageRanges() (server/huge_page_ranges.h), so
// that HugePageRestorer can collapse what a snapshot's fork split back into huge pages.
// docs/performance.md ("Huge pages", "Keeping the heap on huge pages") has the figures.
#pragma once

namespace zk::server {

// Installs the huge-page system allocator in tcmalloc. Memory the allocator already holds stays
// where it is; everything it takes from the system from now on is on huge-page mappings.
// Returns false (and changes nothing) when the process's allocator is not tcmalloc.
// Call once, early, before the server allocates its tree.
bool UseHugePageHeap();

}  // namespace zk::server
