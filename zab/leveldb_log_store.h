// LeveldbLogStore: the durable LogStore, on LevelDB (record layout in zab/log_record.h).
//
// Each Append is written as one record (a group of entries; several records in one atomic batch
// when its data passes 1 MiB): one LevelDB key per group commit, not per entry. Logs written
// before group records (one record per entry) are read, truncated and purged alike.
// Truncating or purging inside a record rewrites it with the entries that remain.
//
// Open() runs recovery validation: it walks the log in zxid order, checking each record's
// checksum and layout and that zxids strictly increase. At the first bad record (checksum
// mismatch, a value too short or malformed, a key of the wrong size, zxids not increasing) it
// logs one warning and cuts the log there: that record and everything after it are deleted in
// one synced batch.
// A torn tail of LevelDB's own write-ahead log is dropped by LevelDB's recovery
// (paranoid_checks=false). LevelDB's write-ahead log files are kept preallocated (zeros written and
// synced ahead of the data, see zab/preallocating_env.h) so that a synced append does not allocate
// blocks; Options::wal_preallocation_bytes sets how far ahead. Bad data never aborts the process;
// only errors LevelDB itself cannot get past (e.g. an unreadable table file) make Open() fail with
// a Status.
//
// Thread-safety: as the LogStore contract (one mutator at a time; reads from any thread).
// Ownership: owns the LevelDB handle and its block cache; closes the database on destruction.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <string>

#include <leveldb/write_batch.h>

#include "zab/log_store.h"
#include "zab/mutex.h"

namespace leveldb {
class Cache;
class DB;
}  // namespace leveldb

namespace zk::zab {

class PreallocatingEnv;

class LeveldbLogStore final : public LogStore {
 public:
  struct Options {
    size_t block_cache_bytes = 8 << 20;          // LevelDB block cache (LRU).
    size_t write_buffer_bytes = 4 << 20;         // LevelDB memtable size.
    size_t purge_batch_entries = 1024;           // Deletes per WriteBatch (PurgeSome step) in PurgeBefore.
    uint64_t wal_preallocation_bytes = 1 << 20;  // Zeros kept ahead in the WAL (0: none).
  };

  // Opens (creating if missing) the store in directory `dir` and validates the log.
  static Result<std::unique_ptr<LeveldbLogStore>> Open(const std::string& dir,
                                                       const Options& options);

  ~LeveldbLogStore() override;

  Status Append(const std::vector<LogEntry>& entries, bool sync) override;
  Status TruncateAfter(int64_t zxid) override;
  Status PurgeBefore(int64_t zxid) override;
  Status PurgeSome(int64_t zxid, size_t max_entries, bool* more) override;
  Status ReclaimSpace(int64_t zxid) override;
  Status Read(int64_t from_zxid, int64_t to_zxid, size_t max_bytes,
              std::vector<LogEntry>* out) override;
  Result<int64_t> FloorZxid(int64_t zxid) override;
  int64_t FirstZxid() override { return first_zxid_.load(std::memory_order_acquire); }
  int64_t LastZxid() override { return last_zxid_.load(std::memory_order_acquire); }
  Status PutMeta(std::string_view key, std::string_view value, bool sync) override;
  Result<std::optional<std::string>> GetMeta(std::string_view key) override;
  int64_t MemoryBytes() override;

  // Number of log records (groups of entries) the recovery validation in Open() cut.
  uint64_t TruncatedOnOpen() const { return truncated_on_open_; }

 private:
  LeveldbLogStore(std::unique_ptr<PreallocatingEnv> env, std::unique_ptr<leveldb::Cache> cache,
                  std::unique_ptr<leveldb::DB> db, const Options& options);

  Status ValidateAndCut();
  // Recomputes first_zxid_ and last_zxid_ from the database.
  Status ReloadBounds();

  const Options options_;
  std::unique_ptr<PreallocatingEnv> env_;  // Outlives db_ (declared first, destroyed last).
  std::unique_ptr<leveldb::Cache> cache_;  // Outlives db_.
  std::unique_ptr<leveldb::DB> db_;
  std::atomic<int64_t> first_zxid_{0};
  std::atomic<int64_t> last_zxid_{0};
  uint64_t truncated_on_open_ = 0;
  std::string scratch_;  // Value encoding buffer for Append (mutator thread only).
  // Append's batch, cleared and reused (mutator thread only): a fresh batch grew its buffer by
  // reallocation and copy up to the size of each group commit. One that held more than
  // kKeptBatchBytes is dropped after use, so a burst of large txns does not pin its memory.
  leveldb::WriteBatch append_batch_;
  static constexpr size_t kKeptBatchBytes = 4 << 20;

  // ReclaimSpace's compactions, on a thread started at the first request; requests made while
  // one runs coalesce into one more. Joined by the destructor before the database closes.
  void CompactLoop();
  Mutex compact_mu_;
  CondVar compact_cv_{&compact_mu_};
  int64_t compact_below_ ZK_GUARDED_BY(compact_mu_) = 0;  // 0: nothing requested
  bool compact_stop_ ZK_GUARDED_BY(compact_mu_) = false;
  std::thread compactor_;
};

}  // namespace zk::zab
