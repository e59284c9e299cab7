// Recovery validation of LeveldbLogStore: corrupt or torn log tails are cut on Open, never fatal.
// The record layout (groups of entries, and the single-entry records of older logs).
#include <doctest/doctest.h>
#include <leveldb/db.h>
#include <leveldb/options.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "tests/unit/zab/test_util.h"
#include "zab/leveldb_log_store.h"
#include "zab/log_record.h"

namespace zk::zab {
namespace {

using testing::Entries;
using testing::Entry;
using testing::TempDir;
using testing::Zxids;

std::unique_ptr<LeveldbLogStore> OpenStore(const std::string& dir) {
  auto result = LeveldbLogStore::Open(dir, LeveldbLogStore::Options());
  REQUIRE_MESSAGE(result.ok(), result.status().ToString());
  return std::move(result).value();
}

void WriteEntries(const std::string& dir, int64_t first, int64_t last) {
  auto store = OpenStore(dir);
  for (int64_t z = first; z <= last; z += 10) {
    REQUIRE(store->Append(Entries(z, std::min(z + 9, last)), true).ok());
  }
}

// Runs f on the raw LevelDB database in dir (the store must be closed).
template <class F>
void WithRawDb(const std::string& dir, F f) {
  leveldb::DB* raw = nullptr;
  leveldb::Options options;
  REQUIRE(leveldb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  f(db.get());
}

std::vector<LogEntry> ReadAll(LogStore* store) {
  std::vector<LogEntry> out;
  REQUIRE(store->Read(0, INT64_MAX, SIZE_MAX, &out).ok());
  return out;
}

TEST_CASE("LeveldbLogStore cuts the log at a checksum mismatch") {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  WriteEntries(dir, 1, 100);
  WithRawDb(dir, [](leveldb::DB* db) {
    std::string value;
    // The group of entries 51..60.
    REQUIRE(db->Get(leveldb::ReadOptions(), record::GroupKey(60), &value).ok());
    value[3] = static_cast<char>(value[3] ^ 0x5a);  // Damage the checksum.
    REQUIRE(db->Put(leveldb::WriteOptions(), record::GroupKey(60), value).ok());
  });
  {
    auto store = OpenStore(dir);
    CHECK(store->TruncatedOnOpen() == 5);  // the groups 51..60 to 91..100
    CHECK(store->FirstZxid() == 1);
    CHECK(store->LastZxid() == 50);
    CHECK(ReadAll(store.get()) == Entries(1, 50));
    REQUIRE(store->Append(Entries(51, 52), true).ok());
  }
  auto store = OpenStore(dir);  // The cut was durable; nothing more to cut.
  CHECK(store->TruncatedOnOpen() == 0);
  CHECK(ReadAll(store.get()) == Entries(1, 52));
}

TEST_CASE("LeveldbLogStore cuts the log at damaged data") {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  WriteEntries(dir, 1, 100);
  WithRawDb(dir, [](leveldb::DB* db) {
    std::string value;
    REQUIRE(db->Get(leveldb::ReadOptions(), record::GroupKey(100), &value).ok());
    value.back() = static_cast<char>(value.back() ^ 1);
    REQUIRE(db->Put(leveldb::WriteOptions(), record::GroupKey(100), value).ok());
  });
  auto store = OpenStore(dir);
  CHECK(store->TruncatedOnOpen() == 1);
  CHECK(store->LastZxid() == 90);
}

TEST_CASE("LeveldbLogStore cuts the log at a value shorter than its checksum") {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  WriteEntries(dir, 1, 100);
  WithRawDb(dir, [](leveldb::DB* db) {
    REQUIRE(db->Put(leveldb::WriteOptions(), record::GroupKey(30), "abc").ok());
  });
  auto store = OpenStore(dir);
  CHECK(store->TruncatedOnOpen() == 8);
  CHECK(store->LastZxid() == 20);
  CHECK(Zxids(ReadAll(store.get())).size() == 20);
}

TEST_CASE("LeveldbLogStore cuts the log at a key of the wrong size") {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  WriteEntries(dir, 1, 100);
  WithRawDb(dir, [](leveldb::DB* db) {
    // Sorts right after the group that ends at 50.
    REQUIRE(db->Put(leveldb::WriteOptions(), record::LogKey(50) + "x", "whatever").ok());
  });
  auto store = OpenStore(dir);
  CHECK(store->TruncatedOnOpen() == 6);  // The bad key and the groups 51..60 to 91..100.
  CHECK(store->LastZxid() == 50);
  CHECK(ReadAll(store.get()) == Entries(1, 50));
}

TEST_CASE("LeveldbLogStore survives a torn LevelDB write-ahead log tail") {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto store = OpenStore(dir);
    for (int64_t z = 1; z <= 10; ++z) REQUIRE(store->Append(Entries(z, z), true).ok());
  }
  // The newest *.log file holds the last writes (the memtable was never flushed).
  std::filesystem::path newest;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() == ".log" && f.path().filename() > newest.filename()) {
      newest = f.path();
    }
  }
  REQUIRE(!newest.empty());
  // The log is preallocated: its data ends where its zero tail begins (the last record ends in
  // "txn-10", not in a zero byte).
  std::string log;
  {
    std::ifstream in(newest, std::ios::binary);
    log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const size_t data_end = log.find_last_not_of('\0') + 1;
  REQUIRE(data_end > 3);
  SUBCASE("cut short") { std::filesystem::resize_file(newest, data_end - 3); }
  SUBCASE("torn in front of the preallocated zeros") {
    std::fstream out(newest, std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(data_end - 3));
    out.write("\0\0\0", 3);
    REQUIRE(out.good());
  }

  auto store = OpenStore(dir);
  CHECK(store->LastZxid() == 9);
  CHECK(ReadAll(store.get()) == Entries(1, 9));
  REQUIRE(store->Append(Entries(10, 11), true).ok());
}

// The keys of the log records in the (closed) store's database, in order.
std::vector<std::string> LogKeys(const std::string& dir) {
  std::vector<std::string> keys;
  WithRawDb(dir, [&keys](leveldb::DB* db) {
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid() && it->key()[0] == record::kLogPrefix; it->Next()) {
      keys.push_back(it->key().ToString());
    }
  });
  return keys;
}

TEST_CASE("LeveldbLogStore writes one record per Append, and splits one past 1 MiB of data") {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  std::vector<LogEntry> big;
  for (int64_t z = 11; z <= 14; ++z) big.push_back(LogEntry{z, std::string(400 << 10, 'a' + z)});
  big.push_back(LogEntry{15, std::string(2 << 20, 'z')});  // larger than a record on its own
  big.push_back(LogEntry{16, "small"});
  {
    auto store = OpenStore(dir);
    REQUIRE(store->Append(Entries(1, 10), true).ok());
    REQUIRE(store->Append(big, true).ok());
    REQUIRE(store->Append(Entries(17, 17), true).ok());
  }
  // 400 KiB x 2 fit in 1 MiB, a third does not; 15 is alone; 16 starts a record after it.
  CHECK(LogKeys(dir) == std::vector<std::string>{record::GroupKey(10), record::GroupKey(12),
                                                 record::GroupKey(14), record::GroupKey(15),
                                                 record::GroupKey(16), record::GroupKey(17)});
  auto store = OpenStore(dir);
  CHECK(store->TruncatedOnOpen() == 0);
  std::vector<LogEntry> want = Entries(1, 10);
  want.insert(want.end(), big.begin(), big.end());
  want.push_back(Entry(17));
  CHECK(ReadAll(store.get()) == want);
  std::vector<LogEntry> some;
  REQUIRE(store->Read(12, 15, SIZE_MAX, &some).ok());
  CHECK(Zxids(some) == std::vector<int64_t>{12, 13, 14, 15});
  CHECK(store->FloorZxid(100).value() == 17);
}

TEST_CASE("LeveldbLogStore reads, truncates and purges a log of single-entry records") {
  // A log written before group records: one record per entry, under 9-byte keys.
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  { auto store = OpenStore(dir); }
  WithRawDb(dir, [](leveldb::DB* db) {
    for (int64_t z = 1; z <= 20; ++z) {
      std::string value;
      record::EncodeLogValue(z, Entry(z).data, &value);
      REQUIRE(db->Put(leveldb::WriteOptions(), record::LogKey(z), value).ok());
    }
  });
  {
    auto store = OpenStore(dir);
    CHECK(store->TruncatedOnOpen() == 0);
    CHECK(store->FirstZxid() == 1);
    CHECK(store->LastZxid() == 20);
    CHECK(ReadAll(store.get()) == Entries(1, 20));
    REQUIRE(store->Append(Entries(21, 30), true).ok());  // a group after them
    CHECK(ReadAll(store.get()) == Entries(1, 30));
    CHECK(store->FloorZxid(25).value() == 25);
    CHECK(store->FloorZxid(20).value() == 20);
    REQUIRE(store->TruncateAfter(25).ok());
    CHECK(store->LastZxid() == 25);
    bool more = true;
    REQUIRE(store->PurgeSome(5, 100, &more).ok());
    CHECK_FALSE(more);
    CHECK(store->FirstZxid() == 5);
    REQUIRE(store->TruncateAfter(15).ok());
    CHECK(ReadAll(store.get()) == Entries(5, 15));
  }
  {
    auto store = OpenStore(dir);
    CHECK(store->TruncatedOnOpen() == 0);
    CHECK(store->FirstZxid() == 5);
    CHECK(store->LastZxid() == 15);
    CHECK(ReadAll(store.get()) == Entries(5, 15));
  }
  CHECK(LogKeys(dir) == [] {
    std::vector<std::string> keys;  // single records stay as they are
    for (int64_t z = 5; z <= 15; ++z) keys.push_back(record::LogKey(z));
    return keys;
  }());
}

TEST_CASE("log group encoding: round trip and every malformation rejected") {
  std::string value;
  record::GroupValueBuilder b(&value);
  b.Add(5, "five");
  b.Add(7, "");
  b.Add(int64_t{2} << 32 | 1, "next epoch");
  b.Finish();
  CHECK(b.entries() == 3);
  const int64_t last = int64_t{2} << 32 | 1;
  std::vector<record::EntryView> got;
  REQUIRE(record::DecodeGroupValue(last, value, &got).ok());
  REQUIRE(got.size() == 3);
  CHECK(got[0].zxid == 5);
  CHECK(got[0].data == "five");
  CHECK(got[1].zxid == 7);
  CHECK(got[1].data.empty());
  CHECK(got[2].data == "next epoch");
  got.clear();
  REQUIRE(record::DecodeRecord(record::GroupKey(last), value, &got).ok());
  CHECK(got.size() == 3);

  // The checksum covers the key's zxid and every byte after it.
  got.clear();
  CHECK(record::DecodeGroupValue(last + 1, value, &got).IsCorruption());
  for (size_t i = 0; i < value.size(); ++i) {
    std::string bad = value;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    CHECK(record::DecodeGroupValue(last, bad, &got).IsCorruption());
  }
  CHECK(record::DecodeGroupValue(last, value.substr(0, 11), &got).IsCorruption());
  CHECK(got.empty());  // nothing appended on failure

  // Malformed bodies with a valid checksum: the builder's checksum over a hand-made body.
  auto with_checksum = [](int64_t key_zxid, std::string body) {
    std::string v(record::kChecksumSize, '\0');
    const uint64_t sum = record::Checksum(key_zxid, body);
    for (int i = 0; i < 8; ++i) v[i] = static_cast<char>(sum >> (56 - 8 * i));
    return v + body;
  };
  auto be = [](uint64_t v, int bytes) {
    std::string out;
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
    return out;
  };
  auto entry = [&be](int64_t z, std::string_view d) {
    return be(static_cast<uint64_t>(z), 8) + be(d.size(), 4) + std::string(d);
  };
  CHECK(record::DecodeGroupValue(9, with_checksum(9, be(1, 4) + entry(9, "x")), &got).ok());
  got.clear();
  CHECK(record::DecodeGroupValue(9, with_checksum(9, be(0, 4)), &got).IsCorruption());  // empty
  CHECK(record::DecodeGroupValue(9, with_checksum(9, be(2, 4) + entry(9, "x")), &got)
            .IsCorruption());  // count above its entries
  CHECK(record::DecodeGroupValue(9, with_checksum(9, be(1, 4) + entry(9, "x") + "!"), &got)
            .IsCorruption());  // trailing bytes
  CHECK(record::DecodeGroupValue(9, with_checksum(9, be(1, 4) + entry(8, "x")), &got)
            .IsCorruption());  // last zxid is not the key's
  CHECK(record::DecodeGroupValue(9, with_checksum(9, be(2, 4) + entry(9, "x") + entry(9, "y")),
                                 &got)
            .IsCorruption());  // zxids not increasing
  CHECK(record::DecodeGroupValue(
            9, with_checksum(9, be(1, 4) + be(9, 8) + be(1000, 4) + "short"), &got)
            .IsCorruption());  // size overruns the group
  CHECK(record::DecodeGroupValue(9, with_checksum(9, be(0xffffffff, 4) + entry(9, "x")), &got)
            .IsCorruption());
  CHECK(got.empty());

  int64_t zxid = 0;
  bool group = false;
  CHECK(record::DecodeRecordKey(record::GroupKey(77), &zxid, &group));
  CHECK((zxid == 77 && group));
  CHECK(record::DecodeRecordKey(record::LogKey(78), &zxid, &group));
  CHECK((zxid == 78 && !group));
  CHECK_FALSE(record::DecodeRecordKey(record::LogKey(78) + "x", &zxid, &group));
  // Both kinds sort by zxid.
  CHECK(record::GroupKey(255) < record::LogKey(256));
  CHECK(record::LogKey(255) < record::GroupKey(256));
  CHECK(record::LogKey(255) < record::GroupKey(255));
}

TEST_CASE("log record encoding round trip") {
  std::string value;
  record::EncodeLogValue(42, "hello", &value);
  CHECK(value.size() == record::kChecksumSize + 5);
  std::string_view data;
  CHECK(record::DecodeLogValue(42, value, &data).ok());
  CHECK(data == "hello");
  CHECK(record::DecodeLogValue(43, value, &data).IsCorruption());  // Checksum covers the zxid.
  CHECK(record::DecodeLogValue(42, "short", &data).IsCorruption());
  int64_t zxid = 0;
  CHECK(record::DecodeLogKey(record::LogKey(int64_t{7} << 32 | 9), &zxid));
  CHECK(zxid == (int64_t{7} << 32 | 9));
  CHECK(!record::DecodeLogKey("L123", &zxid));
  CHECK(!record::DecodeLogKey(record::MetaKey("12345678"), &zxid));
  CHECK(record::LogKey(255) < record::LogKey(256));  // Big-endian keys sort by zxid.
}

TEST_CASE("LeveldbLogStore reports the memory its memtable holds, and it grows with appends") {
  TempDir tmp;
  auto store = OpenStore(tmp.Sub("db"));
  const int64_t empty = store->MemoryBytes();
  CHECK(empty >= 0);
  std::vector<LogEntry> entries;
  for (int64_t z = 1; z <= 1000; ++z) entries.push_back(LogEntry{z, std::string(1000, 'x')});
  REQUIRE(store->Append(entries, false).ok());
  // A megabyte of entries sits in the (4 MiB) memtable until it is flushed.
  CHECK(store->MemoryBytes() >= empty + 1000 * 1000);
}

}  // namespace
}  // namespace zk::zab
