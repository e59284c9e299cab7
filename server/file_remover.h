// FileRemover: unlinks files on a thread of its own. Unlinking a large file frees its blocks and
// drops its cached pages inside the unlink call: for a snapshot of 10M znodes (1.2 GB, in the page
// cache, on ext4 mounted with discard) that took 75-400 ms, and on the node's thread it stopped
// every client for that long. Callers make a file's name leave its directory first (a rename)
// when the directory's listing must change at once.
//
// Thread-safety: Remove and Drain may be called from any thread. Ownership: owns its thread, which
// starts with the first Remove; the destructor removes what is queued, then joins it.
#pragma once

#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "zab/mutex.h"
#include "zab/thread_annotations.h"

namespace zk::server {

class FileRemover {
 public:
  FileRemover() = default;
  ~FileRemover();
  FileRemover(const FileRemover&) = delete;
  FileRemover& operator=(const FileRemover&) = delete;

  // Queues the files for unlinking, in order; returns at once. A file already gone is no error;
  // other failures are logged.
  void Remove(std::vector<std::string> files);

  // Waits until every file queued so far has been unlinked (or failed to be).
  void Drain();

 private:
  void Run();

  zab::Mutex mu_;
  zab::CondVar work_cv_{&mu_};
  zab::CondVar idle_cv_{&mu_};
  std::deque<std::string> queue_ ZK_GUARDED_BY(mu_);
  bool busy_ ZK_GUARDED_BY(mu_) = false;  // the thread is unlinking a file taken off queue_
  bool stopping_ ZK_GUARDED_BY(mu_) = false;
  std::thread thread_;  // started by the first Remove, under mu_
};

}  // namespace zk::server
