// FileRemover: unlinks files on a thread of its own. Unlinking a large file frees its blocks and
// drops its cached pages inside the unlink call: for a snapshot of 10M znodes (1.2 GB, in the page
// cache, on ext4 mounted with discard) that took 75-400 ms, and on the node's thread it stopped
// every client for that long. Callers make a file's name leave its directory first (a rename)
// when the directory's listing must change at once.
//
// Thread-safety: Remove and Drain may be called from any thread. Ownership: owns its thread (a
// one-thread asio::thread_pool); the destructor removes what is queued, then joins it.
#pragma once

#include <asio/thread_pool.hpp>
#include <string>
#include <vector>

namespace zk::server {

// Unlinks `file`; a file already gone is no error, other failures are logged.
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
