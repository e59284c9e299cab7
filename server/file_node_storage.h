// FileNodeStorage: the NodeStorage of a server process — snapshot files in dataDir's snapshot
// directory (server/snapshot.h: written by a forked child, or whole when received from a
// leader), and the sizes of dataDir and dataLogDir read from the file system. After each forked
// child it puts the heap back on huge pages (server/huge_page_restorer.h) before the next fork.
// Threads: the node's thread only. Ownership: owns its SnapshotWriter (Close waits for it), the
// HugePageRestorer (Close stops it) and the thread that unlinks purged snapshots (the destructor
// waits for it).
#pragma once

#include <memory>
#include <string>

#include "server/config.h"
#include "server/file_remover.h"
#include "server/huge_page_restorer.h"
#include "server/node_storage.h"

namespace zk::server {

class FileNodeStorage final : public NodeStorage {
 public:
  // REQUIRES: the snapshot directory of `config` exists.
  explicit FileNodeStorage(const ServerConfig& config);
  ~FileNodeStorage() override;

  zab::Result<std::optional<LoadedSnapshot>> LoadNewestSnapshot(
      std::unique_ptr<DataTree>* tree) override;
  std::vector<int64_t> SnapshotZxids() override;
  std::string SnapshotLocation(int64_t zxid) override;
  zab::Status StoreSnapshot(int64_t zxid, std::string_view bytes) override;
  void RemoveSnapshot(int64_t zxid) override;
  int64_t SnapshotWrittenAt(int64_t zxid) override;
  bool StartSnapshot(const DataTree& tree, const SessionTracker& sessions) override;
  bool SnapshotRunning() const override;
  std::optional<zab::Status> PollSnapshot() override;
  int64_t PurgeSnapshots(int retain_count) override;
  void Close() override;
  StorageSizes Sizes() override;

 private:
  const std::string data_dir_;
  const std::string data_log_dir_;
  const std::string snapshot_dir_;
  const std::string log_dir_;
  std::unique_ptr<SnapshotWriter> writer_;
  HugePageRestorer restorer_;  // runs between a child's end and the next fork
  FileRemover remover_;        // purged snapshots are unlinked on its thread
};

}  // namespace zk::server
