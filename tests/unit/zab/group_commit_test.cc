#include "zab/group_commit.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/unit/zab/test_util.h"
#include "zab/leveldb_log_store.h"
#include "zab/memory_log_store.h"

namespace zk::zab {
namespace {

using testing::Entries;
using testing::Entry;
using testing::TempDir;

// Wraps a MemoryLogStore: synced appends take `sync_delay` (a slow disk), and the append with
// index `fail_at` (0-based; -1 = never) fails with an IOError.
class SlowStore final : public LogStore {
 public:
  explicit SlowStore(std::chrono::microseconds sync_delay, int fail_at = -1)
      : sync_delay_(sync_delay), fail_at_(fail_at) {}

  Status Append(const std::vector<LogEntry>& entries, bool sync) override {
    if (appends_++ == fail_at_) return Status::IOError("injected");
    if (sync) std::this_thread::sleep_for(sync_delay_);
    return inner_.Append(entries, sync);
  }
  Status TruncateAfter(int64_t zxid) override { return inner_.TruncateAfter(zxid); }
  Status PurgeBefore(int64_t zxid) override { return inner_.PurgeBefore(zxid); }
  Status Read(int64_t from, int64_t to, size_t max_bytes, std::vector<LogEntry>* out) override {
    return inner_.Read(from, to, max_bytes, out);
  }
  Result<int64_t> FloorZxid(int64_t zxid) override { return inner_.FloorZxid(zxid); }
  int64_t FirstZxid() override { return inner_.FirstZxid(); }
  int64_t LastZxid() override { return inner_.LastZxid(); }
  Status PutMeta(std::string_view key, std::string_view value, bool sync) override {
    return inner_.PutMeta(key, value, sync);
  }
  Result<std::optional<std::string>> GetMeta(std::string_view key) override {
    return inner_.GetMeta(key);
  }

  int appends() const { return appends_; }

 private:
  MemoryLogStore inner_;
  const std::chrono::microseconds sync_delay_;
  const int fail_at_;
  std::atomic<int> appends_{0};
};

struct Completion {
  int64_t zxid;
  Status status;
};

std::vector<LogEntry> ReadAll(LogStore* store) {
  std::vector<LogEntry> out;
  REQUIRE(store->Read(0, INT64_MAX, SIZE_MAX, &out).ok());
  return out;
}

// Submits from many threads; zxids are assigned under a lock together with Submit so that the
// submission order is zxid order.
void RunConcurrentSubmits(LogStore* store, int threads, int per_thread,
                          std::chrono::microseconds pause) {
  std::vector<Completion> completions;  // Touched only by the disk thread until Stop().
  GroupCommitLog log(store, [&](int64_t zxid, Status status) {
    completions.push_back({zxid, std::move(status)});
  });
  std::mutex zxid_mu;
  int64_t next_zxid = 1;
  std::atomic<int> submissions{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const int64_t count = 1 + (t + i) % 3;
        {
          std::lock_guard<std::mutex> lock(zxid_mu);
          log.Submit(Entries(next_zxid, next_zxid + count - 1));
          next_zxid += count;
          submissions.fetch_add(1);
        }
        if (pause.count() > 0) std::this_thread::sleep_for(pause);
      }
    });
  }
  for (auto& w : workers) w.join();
  log.Stop();
  log.Stop();  // Idempotent.

  const int64_t last = next_zxid - 1;
  const GroupCommitLog::Stats stats = log.GetStats();
  REQUIRE(!completions.empty());
  int64_t prev = 0;
  for (const Completion& c : completions) {
    CHECK(c.status.ok());
    CHECK(c.zxid > prev);
    prev = c.zxid;
  }
  CHECK(completions.back().zxid == last);
  CHECK(stats.syncs == completions.size());
  CHECK(stats.syncs < static_cast<uint64_t>(submissions.load()));
  CHECK(stats.entries_written == static_cast<uint64_t>(last));
  CHECK(stats.max_batch_entries > 1);
  // The histograms see every group commit: one sync time each, and batch sizes that add up to
  // the entries written.
  CHECK(stats.sync_micros.count() == stats.syncs);
  CHECK(stats.batch_entries.count() == stats.syncs);
  CHECK(stats.batch_entries.sum() == stats.entries_written);
  CHECK(stats.batch_entries.max() == stats.max_batch_entries);
  CHECK(ReadAll(store) == Entries(1, last));
  MESSAGE("submissions=" << submissions.load() << " syncs=" << stats.syncs << " max_batch="
                         << stats.max_batch_entries << " sync_us=" << stats.total_sync_micros);
}

TEST_CASE("GroupCommitLog groups concurrent submissions (slow memory store)") {
  SlowStore store(std::chrono::microseconds(300));
  RunConcurrentSubmits(&store, 8, 200, std::chrono::microseconds(50));
}

TEST_CASE("GroupCommitLog groups concurrent submissions (LevelDB, real fsync)") {
  TempDir tmp;
  auto opened = LeveldbLogStore::Open(tmp.Sub("db"), LeveldbLogStore::Options());
  REQUIRE(opened.ok());
  RunConcurrentSubmits(opened->get(), 4, 100, std::chrono::microseconds(0));
}

TEST_CASE("GroupCommitLog counts the group commits slower than its warning threshold") {
  // Appends take at least 20 ms: above a 5 ms threshold each time, below an hour's never.
  for (const bool low : {true, false}) {
    CAPTURE(low);
    SlowStore store(std::chrono::milliseconds(20));
    GroupCommitLog log(
        &store, [](int64_t, Status) {}, low ? uint64_t{5000} : uint64_t{3600} * 1000 * 1000);
    for (int64_t z = 1; z <= 3; ++z) {
      log.Submit(Entries(z, z));
      log.RunOnDiskThread([] {});  // a group commit of its own for each entry
    }
    log.Stop();
    const GroupCommitLog::Stats stats = log.GetStats();
    CHECK(stats.syncs == 3);
    CHECK(stats.slow_syncs == (low ? 3u : 0u));
  }
}

TEST_CASE("GroupCommitLog runs disk work in order behind pending appends") {
  MemoryLogStore store;
  std::vector<int64_t> durable;
  int64_t seen_last = -1;
  {
    GroupCommitLog log(&store, [&](int64_t zxid, Status status) {
      CHECK(status.ok());
      durable.push_back(zxid);
    });
    log.Submit(Entries(1, 5));
    log.RunOnDiskThread([&] {
      seen_last = store.LastZxid();
      CHECK(store.TruncateAfter(3).ok());
    });
    log.Submit(Entries(4, 6));
    log.Submit({});  // Ignored.
    // The destructor drains and joins.
  }
  CHECK(seen_last == 5);
  CHECK(durable == std::vector<int64_t>{5, 6});
  CHECK(ReadAll(&store) == Entries(1, 6));
}

TEST_CASE("GroupCommitLog repeats a step behind the appends queued meanwhile") {
  MemoryLogStore store;
  std::vector<int64_t> last_seen;  // disk thread only, read after the join
  {
    GroupCommitLog log(&store, [](int64_t, Status status) { CHECK(status.ok()); });
    log.Submit(Entries(1, 5));
    std::promise<void> finished;
    log.RunRepeatedly([&] {
      last_seen.push_back(store.LastZxid());
      // Queued while the step runs: appended before the next step.
      if (last_seen.size() == 1) log.Submit(Entries(6, 7));
      if (last_seen.size() < 3) return true;
      finished.set_value();
      return false;
    });
    finished.get_future().wait();
    log.Stop();
    log.RunRepeatedly([&] {
      last_seen.push_back(-1);  // never: the log has stopped
      return false;
    });
  }
  CHECK(last_seen == std::vector<int64_t>{5, 7, 7});
  CHECK(ReadAll(&store) == Entries(1, 7));
}

TEST_CASE("GroupCommitLog errors are sticky") {
  SlowStore store(std::chrono::microseconds(0), /*fail_at=*/1);
  std::vector<Completion> completions;
  GroupCommitLog log(&store, [&](int64_t zxid, Status status) {
    completions.push_back({zxid, std::move(status)});
  });
  log.Submit(Entries(1, 2));
  log.RunOnDiskThread([] {});  // Forces a separate batch.
  log.Submit(Entries(3, 4));
  log.RunOnDiskThread([] {});
  log.Submit(Entries(5, 6));
  log.Stop();
  REQUIRE(completions.size() == 3);
  CHECK(completions[0].status.ok());
  CHECK(completions[0].zxid == 2);
  CHECK(completions[1].status.IsIOError());
  CHECK(completions[1].zxid == 2);
  CHECK(completions[2].status.IsIOError());
  CHECK(completions[2].zxid == 2);
  CHECK(store.appends() == 2);  // Nothing written after the failure.
  CHECK(store.LastZxid() == 2);
  log.Submit({Entry(7)});  // After Stop: dropped, not crashed.
  CHECK(log.GetStats().entries_written == 2);
}

TEST_CASE("Status and Result") {
  CHECK(Status::OK().ok());
  CHECK(Status::OK().ToString() == "OK");
  Status s = Status::Corruption("bad record");
  CHECK(!s.ok());
  CHECK(s.IsCorruption());
  CHECK(s.ToString() == "Corruption: bad record");
  CHECK(Status::IOError("disk").ToString() == "IO error: disk");

  Result<int> r = 5;
  CHECK(r.ok());
  CHECK(*r == 5);
  Result<int> e = Status::IOError("x");
  CHECK(!e.ok());
  CHECK(e.status().IsIOError());
  Result<std::optional<std::string>> none = std::nullopt;
  CHECK(none.ok());
  CHECK(!none->has_value());
  Result<std::unique_ptr<int>> p = std::make_unique<int>(3);
  std::unique_ptr<int> taken = std::move(p).value();
  CHECK(*taken == 3);
  Result<int> bad = Status::OK();  // Misuse becomes an error, not a value-less "ok".
  CHECK(!bad.ok());
}

}  // namespace
}  // namespace zk::zab
