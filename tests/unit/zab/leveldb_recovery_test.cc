// Recovery validation of LeveldbLogStore: corrupt or torn log tails are cut on Open, never fatal.
#include <doctest/doctest.h>
#include <leveldb/db.h>
#include <leveldb/options.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "tests/unit/zab/test_util.h"
#include "zab/leveldb_log_store.h"
#include "zab/log_record.h"

namespace zk::zab {
namespace {

using testing::Entries;
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
    REQUIRE(db->Get(leveldb::ReadOptions(), record::LogKey(60), &value).ok());
    value[3] = static_cast<char>(value[3] ^ 0x5a);  // Damage the checksum.
    REQUIRE(db->Put(leveldb::WriteOptions(), record::LogKey(60), value).ok());
  });
  {
    auto store = OpenStore(dir);
    CHECK(store->TruncatedOnOpen() == 41);
    CHECK(store->FirstZxid() == 1);
    CHECK(store->LastZxid() == 59);
    CHECK(ReadAll(store.get()) == Entries(1, 59));
    REQUIRE(store->Append(Entries(60, 61), true).ok());
  }
  auto store = OpenStore(dir);  // The cut was durable; nothing more to cut.
  CHECK(store->TruncatedOnOpen() == 0);
  CHECK(ReadAll(store.get()) == Entries(1, 61));
}

TEST_CASE("LeveldbLogStore cuts the log at damaged data") {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  WriteEntries(dir, 1, 100);
  WithRawDb(dir, [](leveldb::DB* db) {
    std::string value;
    REQUIRE(db->Get(leveldb::ReadOptions(), record::LogKey(100), &value).ok());
    value.back() = static_cast<char>(value.back() ^ 1);
    REQUIRE(db->Put(leveldb::WriteOptions(), record::LogKey(100), value).ok());
  });
  auto store = OpenStore(dir);
  CHECK(store->TruncatedOnOpen() == 1);
  CHECK(store->LastZxid() == 99);
}

TEST_CASE("LeveldbLogStore cuts the log at a value shorter than its checksum") {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  WriteEntries(dir, 1, 100);
  WithRawDb(dir, [](leveldb::DB* db) {
    REQUIRE(db->Put(leveldb::WriteOptions(), record::LogKey(30), "abc").ok());
  });
  auto store = OpenStore(dir);
  CHECK(store->TruncatedOnOpen() == 71);
  CHECK(store->LastZxid() == 29);
  CHECK(Zxids(ReadAll(store.get())).size() == 29);
}

TEST_CASE("LeveldbLogStore cuts the log at a key of the wrong size") {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  WriteEntries(dir, 1, 100);
  WithRawDb(dir, [](leveldb::DB* db) {
    // Sorts right after entry 50.
    REQUIRE(db->Put(leveldb::WriteOptions(), record::LogKey(50) + "x", "whatever").ok());
  });
  auto store = OpenStore(dir);
  CHECK(store->TruncatedOnOpen() == 51);  // The bad key and entries 51..100.
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

}  // namespace
}  // namespace zk::zab
