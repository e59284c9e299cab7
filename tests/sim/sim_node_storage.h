// SimNodeStorage: the server node's snapshot port (server/node_storage.h) in the server
// simulation. Simulated servers take no snapshots of their own (StartSnapshot declines), so a
// learner is always synchronized from the initial state plus the log, and recovery replays the
// whole durable log of its SimDisk. A non-empty snapshot offered to StoreSnapshot is therefore a
// bug of the run, reported as a failed store (the node then fails, and the run with it).
// Snapshots themselves are covered by the ZAB-level simulation and the storage tests.
//
// Thread-safety: none.
#pragma once

#include "server/node_storage.h"

namespace zk::sim {

class SimNodeStorage final : public server::NodeStorage {
 public:
  zab::Result<std::optional<server::LoadedSnapshot>> LoadNewestSnapshot(
      std::unique_ptr<server::DataTree>* tree) override {
    *tree = std::make_unique<server::DataTree>();
    return std::optional<server::LoadedSnapshot>();
  }
  std::vector<int64_t> SnapshotZxids() override { return {}; }
  std::string SnapshotLocation(int64_t /*zxid*/) override { return {}; }
  zab::Status StoreSnapshot(int64_t zxid, std::string_view /*bytes*/) override {
    return zab::Status::InvalidArgument("the server simulation stores no snapshots (offered 0x" +
                                        std::to_string(zxid) + ")");
  }
  void RemoveSnapshot(int64_t /*zxid*/) override {}
  int64_t SnapshotWrittenAt(int64_t /*zxid*/) override { return 0; }
  bool StartSnapshot(const server::DataTree& /*tree*/,
                     const server::SessionTracker& /*sessions*/) override {
    return false;
  }
  bool SnapshotRunning() const override { return false; }
  std::optional<zab::Status> PollSnapshot() override { return std::nullopt; }
  int64_t PurgeSnapshots(int /*retain_count*/) override { return 0; }
  void Close() override {}
  server::StorageSizes Sizes() override { return {}; }
};

}  // namespace zk::sim
