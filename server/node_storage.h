// NodeStorage: the server node's port to its snapshots and data directories. The node never
// touches a file itself: it loads, lists, stores and purges snapshots, and asks for directory
// sizes, through this interface. FileNodeStorage (server/file_node_storage.h) is the production
// implementation on dataDir; the simulator gives the node one of its own. The transaction log is
// a separate port, zab::LogStore.
//
// Threads: called on the node's thread, except that a learner's state load
// (ServerNode::LoadState, on the replication's background thread) calls LoadNewestSnapshot,
// SnapshotZxids, StoreSnapshot and RemoveSnapshot while the node's thread may call the others:
// implementations keep those four free of shared mutable state (FileNodeStorage: they only touch
// files). A background snapshot runs elsewhere (a forked child in production) and reports
// through PollSnapshot.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/data_tree.h"
#include "server/session_tracker.h"
#include "server/snapshot.h"
#include "zab/status.h"

namespace zk::server {

// What the node's files take on disk, in bytes.
struct StorageSizes {
  int64_t data_dir = 0;      // under dataDir (ZooKeeper's dataDirSize)
  int64_t data_log_dir = 0;  // under dataLogDir (dataLogSize; the same figure when they are one)
  int64_t snapshots = 0;     // the snapshot directory
  int64_t log = 0;           // the transaction log directory
};

class NodeStorage {
 public:
  virtual ~NodeStorage() = default;

  // Loads the newest valid snapshot into `*tree` (see LoadNewestSnapshot): nullopt, with a fresh
  // tree, when none is stored.
  virtual zab::Result<std::optional<LoadedSnapshot>> LoadNewestSnapshot(
      std::unique_ptr<DataTree>* tree) = 0;
  // The zxids of the stored snapshots, ascending.
  virtual std::vector<int64_t> SnapshotZxids() = 0;
  // Where the stored snapshot of `zxid` can be read whole (for a learner synchronized by
  // snapshot; the ZAB driver reads it off the node's thread).
  virtual std::string SnapshotLocation(int64_t zxid) = 0;
  // Stores a complete snapshot received from the leader, durably, before returning.
  virtual zab::Status StoreSnapshot(int64_t zxid, std::string_view bytes) = 0;
  // Deletes the stored snapshot of `zxid` (one of a history the leader replaced).
  virtual void RemoveSnapshot(int64_t zxid) = 0;
  // When the stored snapshot of `zxid` was written, in seconds since the epoch; 0 if unknown.
  virtual int64_t SnapshotWrittenAt(int64_t zxid) = 0;

  // Starts a snapshot of the current tree and sessions in the background; false when one is
  // running or it could not start (logged). The caller may change both once it returns.
  virtual bool StartSnapshot(const DataTree& tree, const SessionTracker& sessions) = 0;
  virtual bool SnapshotRunning() const = 0;
  // The outcome of the background snapshot once it has ended, exactly once; nullopt before.
  virtual std::optional<zab::Status> PollSnapshot() = 0;
  // Keeps the newest `retain_count` snapshots; returns the zxid of the oldest kept (the log
  // before it may be purged), or 0 when none is stored.
  virtual int64_t PurgeSnapshots(int retain_count) = 0;
  // Waits for a running background snapshot to end. No callback after it.
  virtual void Close() = 0;

  // What the files take now (for `dirs`, `conf`, mntr and /metrics).
  virtual StorageSizes Sizes() = 0;
};

}  // namespace zk::server
