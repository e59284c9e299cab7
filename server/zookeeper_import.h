// Importing an Apache ZooKeeper data directory: `zabkeeper --config zoo.cfg --import-zookeeper`
// reads the newest valid snapshot and the transaction logs Apache ZooKeeper (3.4 to 3.9) left in
// `<dataDir>/version-2` and `<dataLogDir>/version-2`, replays the logs onto the snapshot as
// ZooKeeper does when it restarts, and writes the result as one zabkeeper snapshot into this
// server's own directories. The ZooKeeper files are only read, never changed.
//
// What carries over: every znode with its data, ACL and whole Stat (czxid, mzxid, pzxid, ctime,
// mtime, version, cversion, aversion, ephemeralOwner), so sequential numbering continues where it
// stopped; containers, TTL nodes and quota nodes; the last zxid, so clients that saw it can
// reconnect; and the open global sessions with their timeouts and with the passwords ZooKeeper
// gave their clients, so a client that reconnects within its session timeout resumes its session
// and keeps its ephemerals and watches. Sessions no client resumes expire as usual.
//
// ZooKeeper's snapshots are fuzzy (taken while txns were applied), so the replay starts at the
// snapshot's zxid and tolerates what ZooKeeper tolerates there: a create of a node the snapshot
// already holds (the parent's cversion and pzxid are raised to the txn's), a delete of a node it
// no longer holds. Every record is checked: file magic and version, the snapshot's Adler-32
// checksum, each log record's Adler-32 and end-of-record marker. A snapshot that fails is skipped
// for the next older one (as ZooKeeper does); a log ends at its first empty or torn record (its
// preallocated tail). A gap between the snapshot and the logs, or within the logs, is an error,
// and so is a snapshot without any log (a wrong log directory would silently lose txns).
// Compressed snapshots (snapshot.compression.method gz/snappy) are reported with a clear error.
//
// Thread-compatible free functions; they read files and log nothing (errors are returned).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/data_tree.h"
#include "server/session_tracker.h"
#include "server/snapshot.h"
#include "zab/status.h"

namespace zk::server {

struct ServerConfig;

// The state read from a ZooKeeper data directory.
struct ImportedZooKeeperState {
  std::unique_ptr<DataTree> tree;         // tree->last_zxid() is the last zxid replayed
  std::vector<SnapshotSession> sessions;  // open global sessions, ZooKeeper's passwords
  std::string snapshot_file;              // the snapshot read ("" when there was none)
  int64_t snapshot_zxid = 0;
  std::vector<std::string> log_files;     // the logs replayed, oldest first
  int64_t txns_replayed = 0;
};

// The 16-byte password Apache ZooKeeper gives the client of session `id`: its java.util.Random
// seeded with id ^ 0xB3415C00. (zabkeeper's own sessions get random passwords.)
SessionPassword ApacheSessionPassword(int64_t id);

// Adler-32 of `bytes`, continuing from `adler` (1 for a fresh checksum), as java.util.zip.Adler32.
uint32_t Adler32(uint32_t adler, std::string_view bytes);

// Parses the bytes of a ZooKeeper snapshot file into *tree (a fresh DataTree) and *sessions.
// Returns Corruption naming what is wrong.
zab::Status ParseZooKeeperSnapshot(std::string_view bytes, DataTree* tree,
                                   std::vector<SnapshotSession>* sessions);

// Reads `snap_dir` (snapshot.<hex zxid> files) and `log_dir` (log.<hex zxid> files).
zab::Result<ImportedZooKeeperState> ReadZooKeeperState(const std::string& snap_dir,
                                                       const std::string& log_dir);

// The whole import for `config`: reads `snap_dir` (empty: `<dataDir>/version-2`) and `log_dir`
// (empty: `snap_dir` if that was given, else `<dataLogDir>/version-2`), refuses if this server already holds state (a snapshot or a
// non-empty log), and writes the snapshot into its snapshot directory. `*summary` gets a
// one-paragraph description of what was imported.
zab::Status ImportZooKeeperDataDir(const ServerConfig& config, std::string snap_dir,
                                   std::string log_dir, std::string* summary);

}  // namespace zk::server
