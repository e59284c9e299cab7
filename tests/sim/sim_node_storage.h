// SimNodeStorage: the server node's snapshot port (server/node_storage.h) in the server
// simulation: the production snapshot files (server/snapshot.h) in a directory of their own on a
// memory file system (/dev/shm when there is one), written synchronously — a snapshot the node
// starts is complete when StartSnapshot returns and reported done at the next PollSnapshot. So
// the simulated servers take, purge, send, receive, install and recover from real snapshots.
// Files survive a simulated crash (a snapshot is renamed into place whole, as in production).
//
// Thread-safety: none. Ownership: owns the directory (removed with the object).
#pragma once

#include <optional>
#include <string>

#include "server/node_storage.h"

namespace zk::sim {

class SimNodeStorage final : public server::NodeStorage {
 public:
  // `name` makes the directory's name unique within the process (e.g. "seed-12-server-3").
  explicit SimNodeStorage(const std::string& name);
  ~SimNodeStorage() override;
  SimNodeStorage(const SimNodeStorage&) = delete;
  SimNodeStorage& operator=(const SimNodeStorage&) = delete;

  // The bytes of a stored snapshot file, or empty (the Replica reads files through its disk).
  std::string ReadFile(const std::string& path) const;

  zab::Result<std::optional<server::LoadedSnapshot>> LoadNewestSnapshot(
      std::unique_ptr<server::DataTree>* tree) override;
  std::vector<int64_t> SnapshotZxids() override;
  std::string SnapshotLocation(int64_t zxid) override;
  zab::Status StoreSnapshot(int64_t zxid, std::string_view bytes) override;
  void RemoveSnapshot(int64_t zxid) override;
  int64_t SnapshotWrittenAt(int64_t /*zxid*/) override { return 0; }
  bool StartSnapshot(const server::DataTree& tree,
                     const server::SessionTracker& sessions) override;
  bool SnapshotRunning() const override { return false; }
  std::optional<zab::Status> PollSnapshot() override;
  int64_t PurgeSnapshots(int retain_count) override;
  void Close() override {}
  server::StorageSizes Sizes() override { return {}; }

  int64_t snapshots_taken() const { return taken_; }

 private:
  std::string dir_;
  std::optional<zab::Status> done_;
  int64_t taken_ = 0;
};

}  // namespace zk::sim
