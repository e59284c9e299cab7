#include "zab/group_commit.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iterator>
#include <utility>

namespace zk::zab {

GroupCommitLog::GroupCommitLog(LogStore* store, DurableCallback on_durable,
                               uint64_t slow_sync_micros)
    : store_(store),
      on_durable_(std::move(on_durable)),
      slow_sync_micros_(slow_sync_micros),
      thread_([this] { Run(); }) {}

GroupCommitLog::~GroupCommitLog() { Stop(); }

void GroupCommitLog::Submit(std::vector<LogEntry> entries) {
  if (entries.empty()) return;
  const size_t count = entries.size();
  if (!Enqueue(Item(std::move(entries)))) {
    spdlog::error("zab group commit: Submit after Stop dropped {} entries", count);
  }
}

void GroupCommitLog::RunOnDiskThread(std::function<void()> work) {
  if (!Enqueue(Item(std::move(work)))) {
    spdlog::error("zab group commit: RunOnDiskThread after Stop dropped");
  }
}

void GroupCommitLog::RunRepeatedly(std::function<bool()> step) {
  (void)Enqueue(Item(std::function<void()>([this, step = std::move(step)]() mutable {
    if (step()) RunRepeatedly(std::move(step));
  })));
}

bool GroupCommitLog::Enqueue(Item item) {
  bool wake = false;
  {
    MutexLock lock(&mu_);
    if (stopping_) return false;
    // The disk thread waits only on an empty queue; a non-empty one it takes without waiting.
    wake = queue_.empty();
    queue_.push_back(std::move(item));
  }
  // Signalled after unlocking: a disk thread woken while mu_ is still held would block on it
  // at once, and its wake-up would cost a second futex call (and usually a second context
  // switch) on this thread's unlock.
  if (wake) work_cv_.Signal();
  return true;
}

void GroupCommitLog::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    work_cv_.SignalAll();
  }
  std::call_once(join_once_, [this] { thread_.join(); });
}

GroupCommitLog::Stats GroupCommitLog::GetStats() const {
  Stats stats;
  stats.syncs = syncs_.load(std::memory_order_relaxed);
  stats.entries_written = entries_written_.load(std::memory_order_relaxed);
  stats.max_batch_entries = max_batch_entries_.load(std::memory_order_relaxed);
  stats.total_sync_micros = total_sync_micros_.load(std::memory_order_relaxed);
  MutexLock lock(&stats_mu_);
  stats.slow_syncs = slow_syncs_;
  stats.sync_micros = sync_micros_;
  stats.batch_entries = batch_entries_;
  return stats;
}

void GroupCommitLog::Run() {
  pthread_setname_np(pthread_self(), "zk-disk");  // as top, perf and gdb show it
  std::deque<Item> work;
  std::vector<LogEntry> batch;
  for (;;) {
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) work_cv_.Wait();
      if (queue_.empty()) return;  // Stopping and drained.
      work.swap(queue_);
    }
    for (Item& item : work) {
      if (auto* entries = std::get_if<std::vector<LogEntry>>(&item)) {
        if (batch.empty()) {
          batch.swap(*entries);
        } else {
          batch.insert(batch.end(), std::make_move_iterator(entries->begin()),
                       std::make_move_iterator(entries->end()));
        }
      } else {
        Flush(&batch);
        RunDiskWork(std::get<std::function<void()>>(item));
      }
    }
    Flush(&batch);
    work.clear();
  }
}

void GroupCommitLog::RunDiskWork(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
  if (static_cast<uint64_t>(micros) > slow_sync_micros_) {
    // Appends queued behind it waited as long, though no sync was slow.
    spdlog::warn("zab log: other disk work (a purge step, a truncation, ...) took {:.1f} ms "
                 "(fsync.warningthresholdms is {}); the writes queued behind it waited that long",
                 static_cast<double>(micros) / 1000, slow_sync_micros_ / 1000);
  }
}

void GroupCommitLog::Flush(std::vector<LogEntry>* batch) {
  if (batch->empty()) return;
  int64_t durable_zxid = 0;
  if (error_.ok()) {
    const auto start = std::chrono::steady_clock::now();
    Status s = store_->Append(*batch, /*sync=*/true);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    const bool slow = static_cast<uint64_t>(micros) > slow_sync_micros_;
    syncs_.fetch_add(1, std::memory_order_relaxed);
    total_sync_micros_.fetch_add(static_cast<uint64_t>(micros), std::memory_order_relaxed);
    {
      MutexLock lock(&stats_mu_);
      sync_micros_.Record(static_cast<uint64_t>(micros));
      if (slow) ++slow_syncs_;
      if (s.ok()) batch_entries_.Record(batch->size());
    }
    if (slow) {
      // As ZooKeeper's warning: every write acknowledged by this group commit waited for it.
      spdlog::warn(
          "zab log: writing and syncing {} txns took {:.1f} ms (fsync.warningthresholdms is {}); "
          "every write in them waited that long",
          batch->size(), static_cast<double>(micros) / 1000, slow_sync_micros_ / 1000);
    }
    if (s.ok()) {
      entries_written_.fetch_add(batch->size(), std::memory_order_relaxed);
      if (batch->size() > max_batch_entries_.load(std::memory_order_relaxed)) {
        max_batch_entries_.store(batch->size(), std::memory_order_relaxed);
      }
      durable_zxid = batch->back().zxid;
    } else {
      spdlog::error("zab group commit: append of {} entries ({:#x}..{:#x}) failed: {}",
                    batch->size(), batch->front().zxid, batch->back().zxid, s.ToString());
      error_ = s;
    }
  }
  if (!error_.ok()) durable_zxid = store_->LastZxid();
  batch->clear();
  on_durable_(durable_zxid, error_);
}

}  // namespace zk::zab
