#include "zab/leveldb_log_store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "zab/log_record.h"
#include "zab/log_store_util.h"
#include "zab/preallocating_env.h"

namespace zk::zab {

namespace {

Status FromLeveldb(const leveldb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  std::string msg(what);
  msg.append(": ");
  msg.append(s.ToString());
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  return Status::IOError(msg);
}

bool IsLogKey(const leveldb::Slice& key) { return !key.empty() && key[0] == record::kLogPrefix; }

std::string_view View(const leveldb::Slice& s) { return std::string_view(s.data(), s.size()); }

// The first key after every log key.
const leveldb::Slice kLogEnd("M", 1);
static_assert(record::kLogPrefix + 1 == record::kMetaPrefix);

// The most entry data one record holds: a larger Append is written as several records (in one
// atomic batch), so that a read or a rewrite of one record stays small. An entry larger than
// this is a record of its own.
constexpr size_t kMaxRecordDataBytes = size_t{1} << 20;

// Where a seek finds the first record that may hold `zxid` or a later entry: records are keyed
// by their last zxid, so the first key at or above LogKey(zxid) is the first record whose last
// entry is at or above it.
std::string SeekKeyFor(int64_t zxid) {
  return zxid <= 0 ? std::string(1, record::kLogPrefix) : record::LogKey(zxid);
}

// The entries of the record under the iterator (views into its value).
Status DecodeAt(const leveldb::Iterator& it, std::vector<record::EntryView>* entries) {
  entries->clear();
  return record::DecodeRecord(View(it.key()), View(it.value()), entries);
}

// Puts a group record of entries [begin, end) of `entries` into *batch.
void PutGroup(const std::vector<record::EntryView>& entries, size_t begin, size_t end,
              std::string* scratch, leveldb::WriteBatch* batch) {
  record::GroupValueBuilder group(scratch);
  for (size_t i = begin; i < end; ++i) group.Add(entries[i].zxid, entries[i].data);
  group.Finish();
  batch->Put(record::GroupKey(entries[end - 1].zxid), *scratch);
}

}  // namespace

Result<std::unique_ptr<LeveldbLogStore>> LeveldbLogStore::Open(const std::string& dir,
                                                               const Options& options) {
  PreallocatingEnv::Options env_options;
  env_options.chunk_bytes = options.wal_preallocation_bytes;
  auto env = std::make_unique<PreallocatingEnv>(leveldb::Env::Default(), env_options);
  std::unique_ptr<leveldb::Cache> cache(leveldb::NewLRUCache(options.block_cache_bytes));
  leveldb::Options db_options;
  db_options.env = env.get();
  db_options.create_if_missing = true;
  // Let LevelDB drop a torn tail of its own WAL (also one torn at preallocated zeros).
  db_options.paranoid_checks = false;
  db_options.reuse_logs = false;  // A preallocated log is never appended to after a restart.
  db_options.write_buffer_size = options.write_buffer_bytes;
  // Each open table holds a descriptor (PreallocatingEnv reads tables with pread): keep them few
  // beside the client connections'. A log of 256 tables of 2 MiB is half a GiB of txns.
  db_options.max_open_files = 256;
  db_options.block_cache = cache.get();
  db_options.compression = leveldb::kNoCompression;
  leveldb::DB* raw_db = nullptr;
  Status s = FromLeveldb(leveldb::DB::Open(db_options, dir, &raw_db), "open " + dir);
  if (!s.ok()) return s;
  std::unique_ptr<LeveldbLogStore> store(new LeveldbLogStore(
      std::move(env), std::move(cache), std::unique_ptr<leveldb::DB>(raw_db), options));
  s = store->ValidateAndCut();
  if (!s.ok()) return s;
  return store;
}

LeveldbLogStore::LeveldbLogStore(std::unique_ptr<PreallocatingEnv> env,
                                 std::unique_ptr<leveldb::Cache> cache,
                                 std::unique_ptr<leveldb::DB> db, const Options& options)
    : options_(options), env_(std::move(env)), cache_(std::move(cache)), db_(std::move(db)) {}

LeveldbLogStore::~LeveldbLogStore() {
  {
    MutexLock lock(&compact_mu_);
    compact_stop_ = true;
    compact_cv_.SignalAll();
  }
  if (compactor_.joinable()) compactor_.join();  // a compaction under way finishes first
  db_.reset();  // Close before the cache and the Env go.
}

Status LeveldbLogStore::ValidateAndCut() {
  leveldb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read_options));
  int64_t first = 0;
  int64_t prev = 0;
  std::string reason;
  int64_t bad_zxid = 0;
  bool bad_key = false;
  std::vector<record::EntryView> entries;
  for (it->Seek(leveldb::Slice(&record::kLogPrefix, 1)); it->Valid() && IsLogKey(it->key());
       it->Next()) {
    int64_t key_zxid = 0;
    if (!record::DecodeRecordKey(View(it->key()), &key_zxid)) {
      reason = "log key of " + std::to_string(it->key().size()) + " bytes";
      bad_key = true;
      break;
    }
    Status s = DecodeAt(*it, &entries);
    if (!s.ok()) {
      reason = s.message();
      bad_zxid = key_zxid;
      break;
    }
    if (entries.front().zxid <= prev) {
      reason = "zxid not above previous zxid " + std::to_string(prev);
      bad_zxid = entries.front().zxid;
      break;
    }
    if (first == 0) first = entries.front().zxid;
    prev = entries.back().zxid;
  }
  Status s = FromLeveldb(it->status(), "log recovery scan");
  if (!s.ok()) return s;

  if (!reason.empty()) {
    // One atomic batch: a crash part-way through a cut must not leave valid entries behind a gap.
    leveldb::WriteBatch batch;
    uint64_t cut = 0;
    for (; it->Valid() && IsLogKey(it->key()); it->Next()) {
      batch.Delete(it->key());
      ++cut;
    }
    s = FromLeveldb(it->status(), "log recovery cut scan");
    if (!s.ok()) return s;
    if (bad_key) {
      spdlog::warn("zab log: corrupt record after zxid {:#x} ({}); cutting {} records from there",
                   prev, reason, cut);
    } else {
      spdlog::warn("zab log: corrupt record at zxid {:#x} ({}); cutting it and {} later records",
                   bad_zxid, reason, cut - 1);
    }
    leveldb::WriteOptions write_options;
    write_options.sync = true;
    s = FromLeveldb(db_->Write(write_options, &batch), "log recovery cut");
    if (!s.ok()) return s;
    truncated_on_open_ = cut;
  }
  first_zxid_.store(first, std::memory_order_release);
  last_zxid_.store(prev, std::memory_order_release);
  return Status::OK();
}

Status LeveldbLogStore::ReloadBounds() {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  int64_t first = 0;
  int64_t last = 0;
  it->Seek(leveldb::Slice(&record::kLogPrefix, 1));
  if (it->Valid() && IsLogKey(it->key())) {
    std::vector<record::EntryView> entries;
    Status s = DecodeAt(*it, &entries);
    if (!s.ok()) return Status::Corruption("log bounds: the first record: " + s.message());
    first = entries.front().zxid;
    it->Seek(kLogEnd);
    if (it->Valid()) {
      it->Prev();
    } else {
      it->SeekToLast();
    }
    if (!it->Valid() || !record::DecodeRecordKey(View(it->key()), &last)) {
      return Status::Corruption("log bounds: cannot find the last log record");
    }
  }
  Status s = FromLeveldb(it->status(), "log bounds");
  if (!s.ok()) return s;
  first_zxid_.store(first, std::memory_order_release);
  last_zxid_.store(last, std::memory_order_release);
  return Status::OK();
}

Status LeveldbLogStore::Append(const std::vector<LogEntry>& entries, bool sync) {
  if (entries.empty()) return Status::OK();
  Status s = internal::CheckAppendOrder(entries, LastZxid());
  if (!s.ok()) return s;
  // One group record per kMaxRecordDataBytes of data: a group commit is one LevelDB key, not one
  // per txn (each key costs a memtable insert, a table entry and, when purged, a tombstone).
  leveldb::WriteBatch& batch = append_batch_;
  batch.Clear();
  for (size_t begin = 0; begin < entries.size();) {
    record::GroupValueBuilder group(&scratch_);
    size_t bytes = 0;
    size_t end = begin;
    do {
      const LogEntry& e = entries[end];
      if (e.data.size() > std::numeric_limits<uint32_t>::max()) {
        return Status::InvalidArgument("log entry of " + std::to_string(e.data.size()) +
                                       " bytes at zxid " + std::to_string(e.zxid));
      }
      group.Add(e.zxid, e.data);
      bytes += e.data.size();
      ++end;
    } while (end < entries.size() && bytes + entries[end].data.size() <= kMaxRecordDataBytes);
    group.Finish();
    batch.Put(record::GroupKey(entries[end - 1].zxid), scratch_);
    begin = end;
  }
  leveldb::WriteOptions write_options;
  write_options.sync = sync;
  s = FromLeveldb(db_->Write(write_options, &batch), "log append");
  if (batch.ApproximateSize() > kKeptBatchBytes) append_batch_ = leveldb::WriteBatch();
  if (!s.ok()) return s;
  if (FirstZxid() == 0) first_zxid_.store(entries.front().zxid, std::memory_order_release);
  last_zxid_.store(entries.back().zxid, std::memory_order_release);
  return Status::OK();
}

Status LeveldbLogStore::TruncateAfter(int64_t zxid) {
  if (zxid >= LastZxid()) return Status::OK();
  leveldb::WriteBatch batch;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  std::vector<record::EntryView> entries;
  std::string scratch;
  it->Seek(SeekKeyFor(zxid));
  // The first record found may hold entries at or below zxid too: it is rewritten with those.
  if (it->Valid() && IsLogKey(it->key())) {
    Status s = DecodeAt(*it, &entries);
    if (!s.ok()) return Status::Corruption("log truncate: " + s.message());
    if (entries.back().zxid > zxid) {
      size_t keep = 0;
      while (keep < entries.size() && entries[keep].zxid <= zxid) ++keep;
      batch.Delete(it->key());
      if (keep > 0) PutGroup(entries, 0, keep, &scratch, &batch);
    }
    it->Next();
  }
  for (; it->Valid() && IsLogKey(it->key()); it->Next()) batch.Delete(it->key());
  Status s = FromLeveldb(it->status(), "log truncate scan");
  if (!s.ok()) return s;
  it.reset();
  leveldb::WriteOptions write_options;
  write_options.sync = true;
  s = FromLeveldb(db_->Write(write_options, &batch), "log truncate");
  if (!s.ok()) return s;
  return ReloadBounds();
}

int64_t LeveldbLogStore::MemoryBytes() {
  std::string value;
  if (!db_->GetProperty("leveldb.approximate-memory-usage", &value)) return 0;
  return std::strtoll(value.c_str(), nullptr, 10);
}

Status LeveldbLogStore::PurgeBefore(int64_t zxid) {
  const size_t per_batch = options_.purge_batch_entries > 0 ? options_.purge_batch_entries : 1;
  // Ascending batches: a crash part-way leaves a shorter prefix removed, never a gap.
  bool more = true;
  while (more) {
    Status s = PurgeSome(zxid, per_batch, &more);
    if (!s.ok()) return s;
  }
  // Synchronous, unlike ReclaimSpace: the space is free when this returns.
  const std::string begin(1, record::kLogPrefix);
  const std::string end = record::LogKey(zxid);
  const leveldb::Slice begin_slice(begin);
  const leveldb::Slice end_slice(end);
  db_->CompactRange(&begin_slice, &end_slice);
  return Status::OK();
}

Status LeveldbLogStore::PurgeSome(int64_t zxid, size_t max_entries, bool* more) {
  *more = false;
  const int64_t first = FirstZxid();
  if (first == 0 || zxid <= first) return Status::OK();
  // Seek to the record of the first live entry: the tombstones of earlier steps, not yet
  // compacted away, are skipped by the seek instead of being walked over again at every step.
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  leveldb::WriteBatch batch;
  std::vector<record::EntryView> entries;
  std::string scratch;
  size_t budget = max_entries;
  int64_t new_first = 0;  // 0: no entry is left
  for (it->Seek(SeekKeyFor(first)); it->Valid() && IsLogKey(it->key()); it->Next()) {
    Status s = DecodeAt(*it, &entries);
    if (!s.ok()) return Status::Corruption("log purge: " + s.message());
    size_t below = 0;  // this record's entries below zxid: a prefix of it
    while (below < entries.size() && entries[below].zxid < zxid) ++below;
    if (below == 0 || budget == 0) {
      *more = below > 0;
      new_first = entries.front().zxid;
      break;
    }
    const size_t removed = std::min(below, budget);
    budget -= removed;
    if (removed == entries.size()) {
      batch.Delete(it->key());
      continue;
    }
    // Part of this record goes: it is rewritten, under the same key, with the rest.
    PutGroup(entries, removed, entries.size(), &scratch, &batch);
    new_first = entries[removed].zxid;
    *more = removed < below;
    break;
  }
  Status s = FromLeveldb(it->status(), "log purge scan");
  if (!s.ok()) return s;
  it.reset();
  if (budget == max_entries) return Status::OK();  // nothing below zxid
  s = FromLeveldb(db_->Write(leveldb::WriteOptions(), &batch), "log purge");
  if (!s.ok()) return s;
  if (new_first == 0) {
    // Purged past the last entry: the log is empty.
    first_zxid_.store(0, std::memory_order_release);
    last_zxid_.store(0, std::memory_order_release);
  } else {
    first_zxid_.store(new_first, std::memory_order_release);
  }
  return Status::OK();
}

Status LeveldbLogStore::ReclaimSpace(int64_t zxid) {
  MutexLock lock(&compact_mu_);
  if (compact_stop_) return Status::OK();
  compact_below_ = std::max(compact_below_, zxid);
  if (!compactor_.joinable()) compactor_ = std::thread([this] { CompactLoop(); });
  compact_cv_.Signal();
  return Status::OK();
}

void LeveldbLogStore::CompactLoop() {
  pthread_setname_np(pthread_self(), "zk-compact");
  for (;;) {
    int64_t below = 0;
    {
      MutexLock lock(&compact_mu_);
      while (compact_below_ == 0 && !compact_stop_) compact_cv_.Wait();
      if (compact_stop_) return;
      below = compact_below_;
      compact_below_ = 0;
    }
    // LevelDB's CompactRange may run beside the disk thread's writes; it touches no member of
    // this store but db_.
    const std::string begin(1, record::kLogPrefix);
    const std::string end = record::LogKey(below);
    const leveldb::Slice begin_slice(begin);
    const leveldb::Slice end_slice(end);
    const auto start = std::chrono::steady_clock::now();
    db_->CompactRange(&begin_slice, &end_slice);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    spdlog::debug("log: compacting the purged range below {:#x} took {} ms", below, ms);
  }
}

Result<int64_t> LeveldbLogStore::FloorZxid(int64_t zxid) {
  if (zxid <= 0) return int64_t{0};
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  // The first record whose last entry is at or above zxid: the answer is in it when its first
  // entry is at or below zxid, else it is the last entry of the record before it.
  it->Seek(record::LogKey(zxid));
  if (it->Valid() && IsLogKey(it->key())) {
    std::vector<record::EntryView> entries;
    Status s = DecodeAt(*it, &entries);
    if (!s.ok()) return Status::Corruption("log floor: " + s.message());
    int64_t found = 0;
    for (const record::EntryView& e : entries) {
      if (e.zxid > zxid) break;
      found = e.zxid;
    }
    if (found != 0) return found;
    it->Prev();
  } else if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
  for (; it->Valid() && IsLogKey(it->key()); it->Prev()) {
    int64_t last = 0;
    if (record::DecodeRecordKey(View(it->key()), &last) && last <= zxid) return last;
  }
  Status s = FromLeveldb(it->status(), "log floor");
  if (!s.ok()) return s;
  return int64_t{0};
}

Status LeveldbLogStore::Read(int64_t from_zxid, int64_t to_zxid, size_t max_bytes,
                             std::vector<LogEntry>* out) {
  out->clear();
  if (from_zxid > to_zxid) return Status::OK();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  std::vector<record::EntryView> entries;
  size_t bytes = 0;
  for (it->Seek(SeekKeyFor(from_zxid)); it->Valid() && IsLogKey(it->key()); it->Next()) {
    Status s = DecodeAt(*it, &entries);
    if (!s.ok()) return Status::Corruption("log read: " + s.message());
    for (const record::EntryView& e : entries) {
      if (e.zxid < from_zxid) continue;
      if (e.zxid > to_zxid) return Status::OK();
      bytes += e.data.size();
      if (!out->empty() && bytes > max_bytes) return Status::OK();
      out->push_back(LogEntry{e.zxid, std::string(e.data)});
    }
  }
  return FromLeveldb(it->status(), "log read");
}

Status LeveldbLogStore::PutMeta(std::string_view key, std::string_view value, bool sync) {
  leveldb::WriteOptions write_options;
  write_options.sync = sync;
  return FromLeveldb(
      db_->Put(write_options, record::MetaKey(key), leveldb::Slice(value.data(), value.size())),
      "meta put");
}

Result<std::optional<std::string>> LeveldbLogStore::GetMeta(std::string_view key) {
  leveldb::ReadOptions read_options;
  read_options.verify_checksums = true;
  std::string value;
  leveldb::Status s = db_->Get(read_options, record::MetaKey(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromLeveldb(s, "meta get");
  return std::optional<std::string>(std::move(value));
}

}  // namespace zk::zab
