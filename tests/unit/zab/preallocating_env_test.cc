// PreallocatingEnv: LevelDB write-ahead logs kept written ahead with zeros; a crash with the zero
// tail present loses no synced record and brings back nothing that was not written.
#include "zab/preallocating_env.h"

#include <doctest/doctest.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/unit/zab/test_util.h"
#include "zab/leveldb_log_store.h"

namespace zk::zab {
namespace {

namespace fs = std::filesystem;
using testing::Entries;
using testing::TempDir;

constexpr uint64_t kTestChunk = 64 * 1024;

std::string PreallocReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The write-ahead log files in a database directory.
std::vector<std::string> PreallocLogFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (PreallocatingEnv::IsWriteAheadLogName(entry.path().string())) {
      out.push_back(entry.path().string());
    }
  }
  return out;
}

// What a crash leaves: the files of a database as they are on disk now (every write the test
// makes is synced, so the page cache holds nothing the disk would not).
void CopyAsCrash(const std::string& from, const std::string& to) {
  fs::copy(from, to, fs::copy_options::recursive);
}

// A value of `size` bytes, none of them zero, distinct per key.
std::string PreallocValue(int key, size_t size) {
  std::string v(size, 'a');
  for (size_t i = 0; i < size; ++i) v[i] = static_cast<char>('a' + (key + i) % 26);
  return v;
}

std::string PreallocKey(int key) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%08d", key);
  return buf;
}

std::unique_ptr<leveldb::DB> PreallocOpenDb(leveldb::Env* env, const std::string& dir,
                                            bool paranoid, bool reuse_logs = false) {
  leveldb::Options options;
  options.env = env;
  options.create_if_missing = true;
  options.paranoid_checks = paranoid;
  options.reuse_logs = reuse_logs;
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, dir, &raw);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return std::unique_ptr<leveldb::DB>(raw);
}

std::map<std::string, std::string> PreallocReadAll(leveldb::DB* db) {
  std::map<std::string, std::string> out;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    out[it->key().ToString()] = it->value().ToString();
  REQUIRE(it->status().ok());
  return out;
}

TEST_CASE("PreallocatingEnv recognises LevelDB's write-ahead log names") {
  CHECK(PreallocatingEnv::IsWriteAheadLogName("/data/version-2/000003.log"));
  CHECK(PreallocatingEnv::IsWriteAheadLogName("7.log"));
  CHECK_FALSE(PreallocatingEnv::IsWriteAheadLogName("/data/LOG"));
  CHECK_FALSE(PreallocatingEnv::IsWriteAheadLogName("/data/LOG.old"));
  CHECK_FALSE(PreallocatingEnv::IsWriteAheadLogName("/data/MANIFEST-000002"));
  CHECK_FALSE(PreallocatingEnv::IsWriteAheadLogName("/data/000005.ldb"));
  CHECK_FALSE(PreallocatingEnv::IsWriteAheadLogName("/data/.log"));
  CHECK_FALSE(PreallocatingEnv::IsWriteAheadLogName("/data/x1.log"));
  CHECK_FALSE(PreallocatingEnv::IsWriteAheadLogName("/data/000005.log.tmp"));
}

TEST_CASE("PreallocatingEnv keeps a log's data followed by synced zeros") {
  TempDir tmp;
  PreallocatingEnv env(leveldb::Env::Default(), PreallocatingEnv::Options{kTestChunk});
  const std::string path = tmp.Sub("000009.log");
  leveldb::WritableFile* raw = nullptr;
  REQUIRE(env.NewWritableFile(path, &raw).ok());
  std::unique_ptr<leveldb::WritableFile> file(raw);

  std::string written;
  REQUIRE(file->Append("first").ok());
  REQUIRE(file->Sync().ok());
  written += "first";
  std::string on_disk = PreallocReadFile(path);
  // The first chunk was zeroed before the first write (the next may be under way).
  CHECK(on_disk.size() >= kTestChunk);
  CHECK(on_disk.compare(0, written.size(), written) == 0);
  CHECK(on_disk.find_first_not_of('\0', written.size()) == std::string::npos);

  // One write larger than what is prewritten: zeroed in the writer before the data goes there.
  const std::string big = PreallocValue(7, 3 * kTestChunk + 100);
  REQUIRE(file->Append(big).ok());
  REQUIRE(file->Sync().ok());
  written += big;
  on_disk = PreallocReadFile(path);
  CHECK(on_disk.size() >= written.size());
  CHECK(on_disk.compare(0, written.size(), written) == 0);
  CHECK(on_disk.find_first_not_of('\0', written.size()) == std::string::npos);

  // Past several chunks, in appends of assorted sizes with a flush after each (as LevelDB does).
  for (int i = 0; written.size() < 5 * kTestChunk; ++i) {
    std::string piece = PreallocValue(i, 1 + (i * 7919) % 20000);
    REQUIRE(file->Append(piece).ok());
    REQUIRE(file->Flush().ok());
    written += piece;
  }
  REQUIRE(file->Sync().ok());
  REQUIRE(file->Close().ok());
  on_disk = PreallocReadFile(path);
  CHECK(on_disk.size() % (32 * 1024) == 0);
  CHECK(on_disk.size() >= written.size());
  CHECK(on_disk.size() <= written.size() + 2 * kTestChunk);
  CHECK(on_disk.compare(0, written.size(), written) == 0);
  CHECK(on_disk.find_first_not_of('\0', written.size()) == std::string::npos);
}

TEST_CASE("PreallocatingEnv leaves files other than logs to the wrapped Env") {
  TempDir tmp;
  PreallocatingEnv env(leveldb::Env::Default(), PreallocatingEnv::Options{kTestChunk});
  const std::string path = tmp.Sub("MANIFEST-000001");
  leveldb::WritableFile* raw = nullptr;
  REQUIRE(env.NewWritableFile(path, &raw).ok());
  std::unique_ptr<leveldb::WritableFile> file(raw);
  REQUIRE(file->Append("manifest").ok());
  REQUIRE(file->Close().ok());
  CHECK(PreallocReadFile(path) == "manifest");
  file.reset();
  REQUIRE(env.NewAppendableFile(path, &raw).ok());
  file.reset(raw);
  REQUIRE(file->Append("+").ok());
  REQUIRE(file->Close().ok());
  CHECK(PreallocReadFile(path) == "manifest+");

  // A log is never appended to at its physical end (behind its zeros).
  raw = nullptr;
  CHECK(env.NewAppendableFile(tmp.Sub("000004.log"), &raw).IsNotSupportedError());
  CHECK(raw == nullptr);
}

TEST_CASE("PreallocatingEnv runs LevelDB's background jobs on a thread named zk-leveldb") {
  PreallocatingEnv env(leveldb::Env::Default(), PreallocatingEnv::Options{kTestChunk});
  struct Seen {
    std::mutex mu;
    std::condition_variable cv;
    bool ran = false;
    std::string thread_name;
  } seen;
  env.Schedule(
      [](void* arg) {
        auto* s = static_cast<Seen*>(arg);
        char name[16] = {};
        pthread_getname_np(pthread_self(), name, sizeof name);
        std::lock_guard<std::mutex> lock(s->mu);
        s->thread_name = name;
        s->ran = true;
        s->cv.notify_all();
      },
      &seen);
  std::unique_lock<std::mutex> lock(seen.mu);
  REQUIRE(seen.cv.wait_for(lock, std::chrono::seconds(30), [&] { return seen.ran; }));
  CHECK(seen.thread_name == PreallocatingEnv::kBackgroundThreadName);
  CHECK(seen.thread_name == "zk-leveldb");
}

TEST_CASE("PreallocatingEnv: a crash with the zero tail present loses no synced record") {
  TempDir tmp;
  PreallocatingEnv env(leveldb::Env::Default(), PreallocatingEnv::Options{kTestChunk});
  const std::string dir = tmp.Sub("db");
  std::map<std::string, std::string> synced;
  std::vector<std::map<std::string, std::string>> expected;  // What each crash copy must hold.
  {
    auto db = PreallocOpenDb(&env, dir, /*paranoid=*/true);
    leveldb::WriteOptions sync;
    sync.sync = true;
    int crashes = 0;
    for (int i = 0; i < 120; ++i) {
      // Mostly small records, some spanning LevelDB's 32 KiB log blocks.
      const size_t size = i % 17 == 5 ? 40000 + static_cast<size_t>(i) : 50 + (i * 37) % 900;
      REQUIRE(db->Put(sync, PreallocKey(i), PreallocValue(i, size)).ok());
      synced[PreallocKey(i)] = PreallocValue(i, size);
      if (i % 13 == 0) {
        CopyAsCrash(dir, tmp.Sub("crash" + std::to_string(crashes++)));
        expected.push_back(synced);
      }
    }
  }
  REQUIRE(expected.size() >= 9);
  for (size_t c = 0; c < expected.size(); ++c) {
    CAPTURE(c);
    const std::string crash = tmp.Sub("crash" + std::to_string(c));
    const std::vector<std::string> logs = PreallocLogFiles(crash);
    REQUIRE(logs.size() == 1);
    // The zero tail is there: the first chunk was zeroed before the first record was written.
    CHECK(fs::file_size(logs[0]) >= kTestChunk);
    {
      // paranoid_checks: any corruption LevelDB's log reader reported would fail the open.
      auto db = PreallocOpenDb(&env, crash, /*paranoid=*/true);
      CHECK(PreallocReadAll(db.get()) == expected[c]);
      leveldb::WriteOptions sync;
      sync.sync = true;
      REQUIRE(db->Put(sync, "later", "value").ok());
    }
    auto db = PreallocOpenDb(&env, crash, /*paranoid=*/true);
    std::map<std::string, std::string> all = expected[c];
    all["later"] = "value";
    CHECK(PreallocReadAll(db.get()) == all);
  }
}

TEST_CASE("PreallocatingEnv: a record torn at the zeros is dropped, the synced ones kept") {
  TempDir tmp;
  PreallocatingEnv env(leveldb::Env::Default(), PreallocatingEnv::Options{kTestChunk});
  const std::string dir = tmp.Sub("db");
  std::map<std::string, std::string> synced;
  {
    auto db = PreallocOpenDb(&env, dir, /*paranoid=*/false);
    leveldb::WriteOptions sync;
    sync.sync = true;
    for (int i = 0; i < 30; ++i) {
      REQUIRE(db->Put(sync, PreallocKey(i), PreallocValue(i, 300)).ok());
      synced[PreallocKey(i)] = PreallocValue(i, 300);
    }
    CopyAsCrash(dir, tmp.Sub("crash"));
  }
  const std::string crash = tmp.Sub("crash");
  const std::vector<std::string> logs = PreallocLogFiles(crash);
  REQUIRE(logs.size() == 1);
  {
    // An unsynced record the crash tore: a header (bad checksum, length 200, full type) and part
    // of its payload, right where the data ends and the zeros begin.
    std::string log = PreallocReadFile(logs[0]);
    const size_t data_end = log.find_last_not_of('\0') + 1;
    REQUIRE(data_end < log.size());
    std::string torn("\x12\x34\x56\x78\xc8\x00\x01", 7);
    torn += std::string(60, 'z');
    std::fstream out(logs[0], std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(data_end));
    out.write(torn.data(), static_cast<std::streamsize>(torn.size()));
    REQUIRE(out.good());
  }
  {
    auto db = PreallocOpenDb(&env, crash, /*paranoid=*/false);
    CHECK(PreallocReadAll(db.get()) == synced);
    REQUIRE(db->Put(leveldb::WriteOptions(), "later", "value").ok());
  }
  // Reopened with reuse_logs: the Env refuses to append to the old log, LevelDB starts a new one.
  auto db = PreallocOpenDb(&env, crash, /*paranoid=*/false, /*reuse_logs=*/true);
  synced["later"] = "value";
  CHECK(PreallocReadAll(db.get()) == synced);
}

TEST_CASE("LeveldbLogStore: a crash with the preallocated log tail loses no synced entry") {
  TempDir tmp;
  const std::string dir = tmp.Sub("db");
  LeveldbLogStore::Options options;
  options.wal_preallocation_bytes = kTestChunk;
  {
    auto store = LeveldbLogStore::Open(dir, options);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString());
    for (int64_t z = 1; z <= 500; z += 25) REQUIRE((*store)->Append(Entries(z, z + 24), true).ok());
    CopyAsCrash(dir, tmp.Sub("crash"));
  }
  const std::string crash = tmp.Sub("crash");
  REQUIRE(PreallocLogFiles(crash).size() == 1);
  CHECK(fs::file_size(PreallocLogFiles(crash)[0]) >= kTestChunk);
  {
    auto store = LeveldbLogStore::Open(crash, options);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString());
    CHECK((*store)->TruncatedOnOpen() == 0);
    CHECK((*store)->LastZxid() == 500);
    std::vector<LogEntry> read;
    REQUIRE((*store)->Read(0, INT64_MAX, SIZE_MAX, &read).ok());
    CHECK(read == Entries(1, 500));
    REQUIRE((*store)->Append(Entries(501, 600), true).ok());
  }
  auto store = LeveldbLogStore::Open(crash, options);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  CHECK((*store)->TruncatedOnOpen() == 0);
  std::vector<LogEntry> read;
  REQUIRE((*store)->Read(0, INT64_MAX, SIZE_MAX, &read).ok());
  CHECK(read == Entries(1, 600));
}

}  // namespace
}  // namespace zk::zab
