// FileRemover: unlinks files on a thread of its own. Unlinking a large file frees its blocks and
// drops its cached pages inside the unlink call: for a snapshot of 10M znodes (1.2 GB, in the page
// cache, on ext4 mounted with discard) that took 75-400 ms, and on the node's thread it stopped
// every client for that long. Callers make a file's name leave its directory first (a rename)
// when the directory's listing must change at once.
//
// Off the node's thread the unlink still stalled writes: freeing a gigabyte of blocks is one
// journal commit (with discards, on ext4 mounted with `discard`), and the transaction log's
// fdatasync waits for it; right after each snapshot of 10M znodes the log logged runs of five or
// six syncs of 47-68 ms. So a file larger than kFreeStep is first shrunk kFreeStep at a time,
// kFreePauseMs apart, and unlinked then (docs/performance.md, "Keeping the heap on huge pages").
// A reader that still has such a file open sees it shrink: only files nobody needs any more are
// given here (a learner's snapshot read that lost this race fails whole and is retried).
//
// Thread-safety: Remove and Drain may be called from any thread. Ownership: owns its thread (a
// one-thread asio::thread_pool); the destructor removes what is queued, then joins it.
#pragma once

#include <asio/thread_pool.hpp>
#include <string>
#include <vector>

namespace zk::server {

// The blocks of a large file are freed this many bytes at a time before its unlink, this long
// apart (see above).
inline constexpr int64_t kFreeStep = int64_t{64} << 20;
inline constexpr int kFreePauseMs = 20;

// Unlinks `file`, shrinking it first when it is larger than kFreeStep; a file already gone is no
// error, other failures are logged.
void UnlinkFile(const std::string& file);

class FileRemover {
 public:
  FileRemover();
  ~FileRemover();
  FileRemover(const FileRemover&) = delete;
  FileRemover& operator=(const FileRemover&) = delete;

  // Queues the files for UnlinkFile, in order; returns at once.
  void Remove(std::vector<std::string> files);

  // Waits until every file queued so far has been unlinked (or failed to be).
  void Drain();

 private:
  asio::thread_pool pool_{1};
};

}  // namespace zk::server
