// GroupCommitLog: the disk thread. Submitted entries are queued without blocking; the disk thread
// takes everything queued at once and writes it as ONE synced LogStore::Append (group commit:
// concurrent submissions share one fsync), then reports the new durable zxid through the
// completion callback. Ordered disk work (truncate, purge, meta writes, reads for sync) runs on
// the same thread via RunOnDiskThread, after every append submitted before it.
//
// Errors are sticky: after an Append fails, every later batch is reported failed without being
// written (writing past a lost batch would leave a gap in the log); the owner is expected to stop.
//
// Thread-safety: Submit, RunOnDiskThread, Stop and the stats accessors are thread-safe.
// Ownership: borrows the LogStore, which must outlive this object; while the disk thread runs,
// only it may mutate the store (see LogStore's contract). Owns the disk thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "zab/log_linear_histogram.h"
#include "zab/log_store.h"
#include "zab/mutex.h"
#include "zab/status.h"
#include "zab/thread_annotations.h"

namespace zk::zab {

class GroupCommitLog {
 public:
  // Called on the disk thread after each group commit. On success durable_zxid is the last zxid
  // of the batch just synced; on failure it is the store's LastZxid(), and status says why.
  // Must not call Stop(); it should hand off quickly (e.g. asio::post to the io thread).
  using DurableCallback = std::function<void(int64_t durable_zxid, Status status)>;

  struct Stats {
    uint64_t syncs = 0;              // Synced Append calls (failed ones included).
    uint64_t entries_written = 0;    // Entries in successful Appends.
    uint64_t max_batch_entries = 0;  // Largest group committed in one Append.
    uint64_t total_sync_micros = 0;  // Wall time spent in synced Appends.
    uint64_t slow_syncs = 0;         // Synced Appends slower than the warning threshold.
    LogLinearHistogram sync_micros;    // Duration of each synced Append, in microseconds.
    LogLinearHistogram batch_entries;  // Entries in each successful Append (the group size).
  };
  // The default warning threshold: ZooKeeper's fsync.warningthresholdms, 1 s.
  static constexpr uint64_t kDefaultSlowSyncMicros = 1000 * 1000;

  // Starts the disk thread. A synced Append slower than slow_sync_micros is logged as a warning
  // and counted in Stats::slow_syncs.
  // REQUIRES: store != nullptr; on_durable is callable.
  GroupCommitLog(LogStore* store, DurableCallback on_durable,
                 uint64_t slow_sync_micros = kDefaultSlowSyncMicros);
  ~GroupCommitLog();  // Calls Stop().

  GroupCommitLog(const GroupCommitLog&) = delete;
  GroupCommitLog& operator=(const GroupCommitLog&) = delete;

  // Queues entries for the next group commit; never blocks on disk. Empty vectors are ignored.
  // REQUIRES: across all calls (in the order the calls are made), zxids strictly increase and
  //           start above the store's LastZxid(); Stop() has not been called (else dropped and
  //           logged).
  void Submit(std::vector<LogEntry> entries);

  // Runs work on the disk thread after all appends submitted before this call are synced (or
  // failed). `work` may use the store freely.
  // REQUIRES: Stop() has not been called (else dropped and logged).
  void RunOnDiskThread(std::function<void()> work);

  // Runs `step` on the disk thread as RunOnDiskThread does, and again, after the appends and
  // work queued meanwhile, for as long as it returns true: a long job (the log purge) done a
  // step at a time so that group commits are not held up behind it. Stop ends the repetition
  // silently (a step queued before Stop still runs once).
  void RunRepeatedly(std::function<bool()> step);

  // Processes everything queued, then joins the disk thread. Idempotent.
  // REQUIRES: not called from the disk thread (callback or RunOnDiskThread work).
  void Stop();

  Stats GetStats() const;

 private:
  using Item = std::variant<std::vector<LogEntry>, std::function<void()>>;

  // Queues `item` and wakes the disk thread if it may be waiting; false (nothing queued) after
  // Stop.
  bool Enqueue(Item item);
  void Run();
  // Appends and syncs *batch (disk thread only), then clears it.
  void Flush(std::vector<LogEntry>* batch);
  // Runs one queued piece of disk work, warning when it took longer than the slow-sync limit.
  void RunDiskWork(const std::function<void()>& work);

  LogStore* const store_;
  const DurableCallback on_durable_;
  const uint64_t slow_sync_micros_;

  Mutex mu_;
  CondVar work_cv_{&mu_};
  std::deque<Item> queue_ ZK_GUARDED_BY(mu_);
  bool stopping_ ZK_GUARDED_BY(mu_) = false;

  // Disk thread only.
  Status error_;

  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> entries_written_{0};
  std::atomic<uint64_t> max_batch_entries_{0};
  std::atomic<uint64_t> total_sync_micros_{0};
  // Written by the disk thread once per group commit, copied by GetStats.
  mutable Mutex stats_mu_;
  uint64_t slow_syncs_ ZK_GUARDED_BY(stats_mu_) = 0;
  LogLinearHistogram sync_micros_ ZK_GUARDED_BY(stats_mu_);
  LogLinearHistogram batch_entries_ ZK_GUARDED_BY(stats_mu_);

  std::once_flag join_once_;
  std::thread thread_;  // Last: starts after every other member is constructed.
};

}  // namespace zk::zab
