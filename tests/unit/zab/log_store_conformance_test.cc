// One conformance suite, run against every LogStore implementation.
#include <doctest/doctest.h>

#include <memory>

#include "tests/unit/zab/test_util.h"
#include "zab/leveldb_log_store.h"
#include "zab/memory_log_store.h"

namespace zk::zab {
namespace {

using testing::Entries;
using testing::Entry;
using testing::TempDir;
using testing::Zxids;

struct MemoryFixture {
  static constexpr bool kPersistent = false;
  MemoryFixture() : store(std::make_unique<MemoryLogStore>()) {}
  LogStore* get() { return store.get(); }
  void Reopen() {}
  std::unique_ptr<MemoryLogStore> store;
};

struct LeveldbFixture {
  static constexpr bool kPersistent = true;
  LeveldbFixture() { Reopen(); }
  LogStore* get() { return store.get(); }
  void Reopen() {
    store.reset();
    auto result = LeveldbLogStore::Open(dir.Sub("db"), LeveldbLogStore::Options());
    REQUIRE_MESSAGE(result.ok(), result.status().ToString());
    store = std::move(result).value();
    CHECK(store->TruncatedOnOpen() == 0);
  }
  TempDir dir;
  std::unique_ptr<LeveldbLogStore> store;
};

std::vector<LogEntry> ReadAll(LogStore* store, int64_t from = 0, int64_t to = INT64_MAX,
                              size_t max_bytes = SIZE_MAX) {
  std::vector<LogEntry> out;
  Status s = store->Read(from, to, max_bytes, &out);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return out;
}

std::vector<int64_t> Range(int64_t first, int64_t last) { return Zxids(Entries(first, last)); }

TEST_CASE_TEMPLATE("LogStore conformance", F, MemoryFixture, LeveldbFixture) {
  F f;
  LogStore* store = f.get();

  SUBCASE("empty") {
    CHECK(store->FirstZxid() == 0);
    CHECK(store->LastZxid() == 0);
    CHECK(ReadAll(store).empty());
    CHECK(store->Append({}, true).ok());
    CHECK(store->LastZxid() == 0);
  }

  SUBCASE("append and read ranges") {
    REQUIRE(store->Append(Entries(1, 10), true).ok());
    REQUIRE(store->Append(Entries(11, 20), false).ok());
    CHECK(store->FirstZxid() == 1);
    CHECK(store->LastZxid() == 20);
    std::vector<LogEntry> all = ReadAll(store);
    CHECK(all == Entries(1, 20));
    CHECK(Zxids(ReadAll(store, 5, 7)) == Range(5, 7));
    CHECK(Zxids(ReadAll(store, 18, 100)) == Range(18, 20));
    CHECK(ReadAll(store, 21, 100).empty());
    CHECK(ReadAll(store, 7, 5).empty());
    CHECK(Zxids(ReadAll(store, 20, 20)) == Range(20, 20));
  }

  SUBCASE("sparse zxids across epochs") {
    const int64_t e1 = int64_t{1} << 32;
    const int64_t e2 = int64_t{2} << 32;
    REQUIRE(store->Append({Entry(e1 + 1), Entry(e1 + 2), Entry(e2 + 1)}, true).ok());
    CHECK(Zxids(ReadAll(store, e1 + 2, e2 + 5)) == std::vector<int64_t>{e1 + 2, e2 + 1});
    CHECK(Zxids(ReadAll(store, e1 + 3, e2)).empty());
    CHECK(store->LastZxid() == e2 + 1);
  }

  SUBCASE("floor") {
    const int64_t e1 = int64_t{1} << 32;
    const int64_t e2 = int64_t{2} << 32;
    CHECK(store->FloorZxid(e1 + 1).value() == 0);
    REQUIRE(store->Append({Entry(e1 + 1), Entry(e1 + 5), Entry(e2 + 1)}, true).ok());
    REQUIRE(store->PutMeta("zz", "v", true).ok());  // metadata never counts as a log entry
    CHECK(store->FloorZxid(0).value() == 0);
    CHECK(store->FloorZxid(e1).value() == 0);
    CHECK(store->FloorZxid(e1 + 1).value() == e1 + 1);
    CHECK(store->FloorZxid(e1 + 4).value() == e1 + 1);
    CHECK(store->FloorZxid(e1 + 5).value() == e1 + 5);
    CHECK(store->FloorZxid(e2).value() == e1 + 5);
    CHECK(store->FloorZxid(e2 + 1).value() == e2 + 1);
    CHECK(store->FloorZxid(INT64_MAX).value() == e2 + 1);
    REQUIRE(store->TruncateAfter(e1 + 1).ok());
    CHECK(store->FloorZxid(e2 + 7).value() == e1 + 1);
  }

  SUBCASE("max_bytes") {
    REQUIRE(store->Append(Entries(1, 9), true).ok());  // "txn-N": 5 bytes each.
    CHECK(Zxids(ReadAll(store, 1, 9, 10)) == Range(1, 2));
    CHECK(Zxids(ReadAll(store, 1, 9, 14)) == Range(1, 2));
    CHECK(Zxids(ReadAll(store, 1, 9, 15)) == Range(1, 3));
    CHECK(Zxids(ReadAll(store, 3, 9, 0)) == Range(3, 3));  // Always at least one entry.
    REQUIRE(store->Append({LogEntry{10, std::string(1000, 'x')}}, true).ok());
    CHECK(Zxids(ReadAll(store, 10, 10, 1)) == Range(10, 10));
    CHECK(ReadAll(store, 10, 10, 1)[0].data.size() == 1000);
  }

  SUBCASE("non-increasing zxid append rejected") {
    REQUIRE(store->Append(Entries(1, 5), true).ok());
    Status s = store->Append({Entry(5)}, true);
    CHECK(s.IsInvalidArgument());
    CHECK(store->Append({Entry(3)}, true).IsInvalidArgument());
    CHECK(store->Append({Entry(6), Entry(8), Entry(7)}, true).IsInvalidArgument());
    CHECK(store->Append({Entry(6), Entry(6)}, true).IsInvalidArgument());
    CHECK(store->Append({Entry(0)}, true).IsInvalidArgument());
    CHECK(store->LastZxid() == 5);
    CHECK(ReadAll(store) == Entries(1, 5));  // Rejected batches write nothing.
  }

  SUBCASE("zero or negative zxid rejected on empty log") {
    CHECK(store->Append({Entry(0)}, true).IsInvalidArgument());
    CHECK(store->Append({Entry(-5)}, true).IsInvalidArgument());
    CHECK(store->LastZxid() == 0);
  }

  SUBCASE("truncate") {
    REQUIRE(store->Append(Entries(1, 10), true).ok());
    REQUIRE(store->TruncateAfter(20).ok());
    CHECK(store->LastZxid() == 10);
    REQUIRE(store->TruncateAfter(7).ok());
    CHECK(store->LastZxid() == 7);
    CHECK(Zxids(ReadAll(store)) == Range(1, 7));
    // Appending after a truncate reuses the cut zxids.
    REQUIRE(store->Append({LogEntry{8, "new"}}, true).ok());
    CHECK(ReadAll(store, 8, 8)[0].data == "new");
    REQUIRE(store->TruncateAfter(0).ok());
    CHECK(store->FirstZxid() == 0);
    CHECK(store->LastZxid() == 0);
    CHECK(ReadAll(store).empty());
    REQUIRE(store->Append(Entries(1, 2), true).ok());
    CHECK(Zxids(ReadAll(store)) == Range(1, 2));
  }

  SUBCASE("purge") {
    REQUIRE(store->Append(Entries(1, 10), true).ok());
    REQUIRE(store->PurgeBefore(1).ok());
    CHECK(store->FirstZxid() == 1);
    REQUIRE(store->PurgeBefore(4).ok());
    CHECK(store->FirstZxid() == 4);
    CHECK(store->LastZxid() == 10);
    CHECK(Zxids(ReadAll(store)) == Range(4, 10));
    CHECK(Zxids(ReadAll(store, 1, 5)) == Range(4, 5));
    REQUIRE(store->Append(Entries(11, 12), true).ok());
    CHECK(Zxids(ReadAll(store)) == Range(4, 12));
    REQUIRE(store->PurgeBefore(12).ok());
    CHECK(store->FirstZxid() == 12);
    CHECK(store->LastZxid() == 12);
    REQUIRE(store->PurgeBefore(100).ok());
    CHECK(store->FirstZxid() == 0);
    CHECK(store->LastZxid() == 0);
  }

  SUBCASE("purge in steps") {
    REQUIRE(store->Append(Entries(1, 10), true).ok());
    bool more = false;
    REQUIRE(store->PurgeSome(8, 3, &more).ok());
    CHECK(more);
    CHECK(store->FirstZxid() == 4);  // the oldest go first
    CHECK(Zxids(ReadAll(store)) == Range(4, 10));
    REQUIRE(store->PurgeSome(8, 3, &more).ok());
    CHECK(more);
    CHECK(store->FirstZxid() == 7);
    // Appends go between steps.
    REQUIRE(store->Append(Entries(11, 11), true).ok());
    REQUIRE(store->PurgeSome(8, 3, &more).ok());
    CHECK(!more);
    CHECK(store->FirstZxid() == 8);
    CHECK(store->LastZxid() == 11);
    CHECK(Zxids(ReadAll(store)) == Range(8, 11));
    REQUIRE(store->ReclaimSpace(8).ok());
    // Nothing left below: a no-op that says so.
    REQUIRE(store->PurgeSome(8, 3, &more).ok());
    CHECK(!more);
    CHECK(Zxids(ReadAll(store)) == Range(8, 11));
    // Exactly max_entries left below: removed, and no more.
    REQUIRE(store->PurgeSome(11, 3, &more).ok());
    CHECK(!more);
    CHECK(Zxids(ReadAll(store)) == Range(11, 11));
    REQUIRE(store->PurgeSome(100, 5, &more).ok());
    CHECK(!more);
    CHECK(store->FirstZxid() == 0);
    CHECK(store->LastZxid() == 0);
  }

  SUBCASE("meta") {
    auto missing = store->GetMeta("acceptedEpoch");
    REQUIRE(missing.ok());
    CHECK(!missing->has_value());
    REQUIRE(store->PutMeta("acceptedEpoch", "3", true).ok());
    REQUIRE(store->PutMeta("currentEpoch", "2", false).ok());
    REQUIRE(store->PutMeta("acceptedEpoch", "4", true).ok());
    auto accepted = store->GetMeta("acceptedEpoch");
    REQUIRE(accepted.ok());
    CHECK(accepted->value() == "4");
    CHECK(store->GetMeta("currentEpoch")->value() == "2");
    // Meta and log do not interfere.
    REQUIRE(store->Append(Entries(1, 3), true).ok());
    CHECK(Zxids(ReadAll(store)) == Range(1, 3));
    REQUIRE(store->TruncateAfter(0).ok());
    REQUIRE(store->PurgeBefore(100).ok());
    CHECK(store->GetMeta("acceptedEpoch")->value() == "4");
    std::string binary("a\0b\xff", 4);
    REQUIRE(store->PutMeta(binary, binary, true).ok());
    CHECK(store->GetMeta(binary)->value() == binary);
  }

  if constexpr (F::kPersistent) {
    SUBCASE("reopen keeps data") {
      REQUIRE(store->Append(Entries(1, 50), true).ok());
      REQUIRE(store->PurgeBefore(10).ok());
      REQUIRE(store->TruncateAfter(40).ok());
      REQUIRE(store->PutMeta("currentEpoch", "7", true).ok());
      f.Reopen();
      store = f.get();
      CHECK(store->FirstZxid() == 10);
      CHECK(store->LastZxid() == 40);
      CHECK(ReadAll(store) == Entries(10, 40));
      CHECK(store->GetMeta("currentEpoch")->value() == "7");
      REQUIRE(store->Append(Entries(41, 42), true).ok());
      CHECK(store->Append({Entry(40)}, true).IsInvalidArgument());
    }
  }
}

}  // namespace
}  // namespace zk::zab
