// FileNodeStorage: the node's snapshot and directory port on real files.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "server/config.h"
#include "server/data_tree.h"
#include "server/file_node_storage.h"
#include "server/session_tracker.h"
#include "tests/unit/server/temp_dir.h"

namespace zk::server {
namespace {

ServerConfig ConfigIn(const std::string& data, const std::string& log) {
  ServerConfig c;
  c.data_dir = data;
  c.data_log_dir = log;
  std::filesystem::create_directories(SnapshotDir(c));
  std::filesystem::create_directories(TxnLogDir(c));
  return c;
}

void WriteBytes(const std::string& path, size_t n) {
  std::ofstream(path, std::ios::binary) << std::string(n, 'x');
}

}  // namespace

TEST_CASE("FileNodeStorage: stores, lists, loads, removes and purges snapshots") {
  testutil::TempDir dir;
  const ServerConfig config = ConfigIn(dir.path, dir.path);
  FileNodeStorage storage(config);
  CHECK(storage.SnapshotZxids().empty());
  std::unique_ptr<DataTree> tree = std::make_unique<DataTree>();
  auto none = storage.LoadNewestSnapshot(&tree);
  REQUIRE(none.ok());
  CHECK_FALSE(none.value().has_value());

  // Two snapshots in the background (a forked writer), each polled to its end.
  DataTree live;
  SessionTracker sessions(1, 2000, 0);
  for (int64_t zxid : {int64_t{5}, int64_t{9}}) {
    live.SetLastZxid(zxid);
    REQUIRE(storage.StartSnapshot(live, sessions));
    CHECK(storage.SnapshotRunning());
    std::optional<zab::Status> done;
    while (!(done = storage.PollSnapshot())) {
    }
    CHECK(done->ok());
    CHECK_FALSE(storage.SnapshotRunning());
  }
  CHECK(storage.SnapshotZxids() == std::vector<int64_t>{5, 9});
  CHECK(storage.SnapshotLocation(9) == SnapshotFileName(SnapshotDir(config), 9));
  CHECK(storage.SnapshotWrittenAt(9) > 0);
  CHECK(storage.SnapshotWrittenAt(7) == 0);

  auto loaded = storage.LoadNewestSnapshot(&tree);
  REQUIRE(loaded.ok());
  REQUIRE(loaded.value().has_value());
  CHECK(loaded.value()->zxid == 9);

  // A snapshot received whole is stored under its zxid; removing one leaves the others.
  std::ifstream in(storage.SnapshotLocation(9), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(storage.StoreSnapshot(12, bytes).ok());
  storage.RemoveSnapshot(5);
  CHECK(storage.SnapshotZxids() == std::vector<int64_t>{9, 12});
  CHECK(storage.PurgeSnapshots(1) == 12);
  CHECK(storage.SnapshotZxids() == std::vector<int64_t>{12});
}

TEST_CASE("FileNodeStorage: sizes of dataDir, dataLogDir, snapshots and log") {
  testutil::TempDir dir;
  SUBCASE("one directory for both") {
    const ServerConfig config = ConfigIn(dir.path, dir.path);
    FileNodeStorage storage(config);
    WriteBytes(dir.path + "/myid", 2);
    WriteBytes(TxnLogDir(config) + "/000001.log", 100);
    const StorageSizes s = storage.Sizes();
    CHECK(s.log == 100);
    CHECK(s.snapshots == 0);
    CHECK(s.data_dir >= 102);
    CHECK(s.data_log_dir == s.data_dir);
  }
  SUBCASE("a separate dataLogDir") {
    std::filesystem::create_directories(dir.path + "/data");
    std::filesystem::create_directories(dir.path + "/log");
    const ServerConfig config = ConfigIn(dir.path + "/data", dir.path + "/log");
    FileNodeStorage storage(config);
    WriteBytes(dir.path + "/data/myid", 2);
    WriteBytes(TxnLogDir(config) + "/000001.log", 100);
    const StorageSizes s = storage.Sizes();
    CHECK(s.data_dir == 2);
    CHECK(s.data_log_dir == 100);
    CHECK(s.log == 100);
  }
}

}  // namespace zk::server
