// Snapshots: the whole DataTree plus the live sessions at one zxid, as a msgpack stream,
// zstd-compressed and checksummed, in files `<dir>/snapshot.<zxid as 16 lowercase hex digits>`.
// Restart = newest valid snapshot + log replay from its zxid (see docs/storage.md).
//
// Taking a snapshot never stalls writes: SnapshotWriter fork()s, and the child process serializes
// its copy-on-write image of the tree (exactly the state at the fork, i.e. tree.last_zxid()),
// writes `snapshot.<zxid>.tmp`, fsyncs it, renames it to `snapshot.<zxid>`, fsyncs the directory
// and _exit()s (0 on success). The parent keeps applying txns and polls for the child's end.
// The child never logs through spdlog and takes no lock another thread may hold; it reports
// errors on stderr (write(2)) and through a pipe to the parent.
//
// File format (all integers little-endian):
//   offset 0   magic           8 bytes  "ZKSNAP01"
//   offset 8   format_version  u32      4 (3 and 2 are read too: 2's sessions carry no password)
//   offset 12  flags           u32      0 (reserved)
//   offset 16  zxid            i64      the tree's last_zxid(); equals the zxid in the file name
//   offset 24  node_count      u64
//   offset 32  session_count   u64
//   offset 40  tree_digest     u64      DataTree::digest() of the serialized tree, which leaves
//                                       /zookeeper/config out (formats 2 and 3: digests of
//                                       other rules, not checked when loading)
//   offset 48  payload_size    u64      uncompressed payload bytes
//   offset 56  one zstd frame holding the payload
//   last 8     trailer         u64      XXH64 (seed 0) of every byte before it
// Payload: a sequence of msgpack arrays ("chunks", at most kSnapshotChunkItems items and about
// kSnapshotChunkBytes bytes each, so neither side ever holds more than one chunk):
//   session chunks, each [[id, timeout_ms, password (bin, 16 bytes)], ...], session_count items
//   in all (format 2: [id, timeout_ms], the password derived from the id), then
//   node chunks, each [node, ...], node_count items in all, parents before children
//   (DataTree::Walk order), node = [path (str), data (bin), data_null, acl, czxid, mzxid, pzxid,
//   ctime, mtime, ephemeral_owner, version, cversion (stored form), aversion, num_children], acl =
//   [[perms, scheme, id], ...].
// An empty chunk never occurs; a reader tells sessions from nodes by the running counts.
//
// Thread-safety: the free functions are thread-compatible: they read or write the tree/tracker
// passed in, which the caller must not mutate concurrently (WriteSnapshotFile runs on the io
// thread or in the forked child). SnapshotWriter is single-threaded (the io thread).
// Ownership: SnapshotWriter owns its child process and reaps it (its destructor waits).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/data_tree.h"
#include "server/session_tracker.h"
#include "zab/status.h"

namespace zk::server {

class FileRemover;

inline constexpr char kSnapshotMagic[] = "ZKSNAP01";  // 8 bytes on disk (no NUL)
inline constexpr uint32_t kSnapshotFormatVersion = 4;
// The oldest format LoadSnapshotFile still reads.
inline constexpr uint32_t kOldestSnapshotFormatVersion = 2;
inline constexpr size_t kSnapshotHeaderSize = 56;
inline constexpr size_t kSnapshotTrailerSize = 8;
inline constexpr size_t kSnapshotChunkBytes = 1 << 20;
inline constexpr size_t kSnapshotChunkItems = 65536;

struct SnapshotSession {
  int64_t id = 0;
  int32_t timeout_ms = 0;
  SessionPassword password{};
};

// "<dir>/snapshot.<zxid as 16 hex digits>".
std::string SnapshotFileName(const std::string& dir, int64_t zxid);

// Writes a snapshot of `tree` (at tree.last_zxid()) and `sessions` into `dir` synchronously:
// tmp file, fsync, rename, directory fsync. Never logs (it runs in the forked child); every
// failure is returned. `zstd_level` is passed to zstd as is (1..19 sensible; 0 = zstd default).
// REQUIRES: nothing mutates `tree` or `sessions` during the call; `dir` exists.
zab::Status WriteSnapshotFile(const DataTree& tree, const SessionTracker& sessions,
                              const std::string& dir, int zstd_level);

// Stores the bytes of a complete snapshot file of `zxid` (as a leader sends it to a learner) in
// `dir` the same way: tmp file, fsync, rename, directory fsync. The bytes are validated when
// loaded, not here.
zab::Status WriteSnapshotBytes(const std::string& dir, int64_t zxid, std::string_view bytes);

// Takes snapshots in a forked child process so the io thread keeps serving.
class SnapshotWriter {
 public:
  explicit SnapshotWriter(std::string dir, int zstd_level);
  ~SnapshotWriter();  // Waits for a running child (blocking) and reaps it.
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  // Forks a child that writes a snapshot of the current `tree` and `sessions`. Returns false
  // if a snapshot is already running or fork()/pipe() failed (logged). The parent may mutate
  // both right after Start returns: the child works on its copy-on-write image. The child runs
  // at a lower CPU priority (nice kSnapshotNice): on a busy machine it takes the CPU time left
  // over by the threads that serve clients instead of competing with them as an equal.
  // REQUIRES: called on the thread that owns `tree` and `sessions`.
  bool Start(const DataTree& tree, const SessionTracker& sessions);

  // Non-blocking: nullopt while the child runs or when none is running; once the child has
  // ended, its outcome exactly once (OK, or IOError carrying the child's error message).
  std::optional<zab::Status> Poll();

  bool running() const { return pid_ > 0; }
  // How long the last successful Start's fork() took, in microseconds (page tables are copied:
  // it grows with the server's memory).
  int64_t last_fork_us() const { return last_fork_us_; }
  // The zxid of the snapshot being written; 0 when none is running.
  int64_t running_zxid() const { return pid_ > 0 ? running_zxid_ : 0; }
  // Of the last child Poll reaped: the time from fork to reaping, and the CPU time it used
  // (user + system), in microseconds.
  int64_t last_wall_us() const { return last_wall_us_; }
  int64_t last_child_cpu_us() const { return last_child_cpu_us_; }

 private:
  zab::Status Reap(int wait_status);

  const std::string dir_;
  const int zstd_level_;
  pid_t pid_ = -1;
  int err_fd_ = -1;  // read end of the child's error pipe
  int64_t running_zxid_ = 0;
  int64_t last_fork_us_ = 0;
  std::chrono::steady_clock::time_point started_;
  int64_t last_wall_us_ = 0;
  int64_t last_child_cpu_us_ = 0;
};

// The snapshot child's nice value (0 is the server's own; 19 the lowest priority). At 10 the
// child gets roughly a tenth of a CPU that the server's threads keep busy, and all of an idle one.
inline constexpr int kSnapshotNice = 10;

struct LoadedSnapshot {
  int64_t zxid = 0;
  std::vector<SnapshotSession> sessions;  // sorted by id
  std::string file;                       // full path of the snapshot loaded
};

// Loads the newest valid snapshot in `dir` into `*tree`. Snapshots are tried newest first; one
// that fails validation (bad magic/version/header, checksum, truncation, zstd or msgpack error,
// node under a missing parent, count or digest mismatch) is logged with spdlog::warn and the next
// older one is tried on a fresh DataTree (`*tree` is replaced). On success the tree holds the
// snapshot and tree->last_zxid() == zxid. Returns nullopt (and leaves `*tree` a fresh tree) when
// `dir` holds no valid snapshot: if snapshot files existed but all were bad, that is logged as an
// error, and the caller must not treat the server as fresh unless its log starts at zxid 1.
// Returns a non-OK status only when `dir` exists but cannot be listed.
// REQUIRES: tree != nullptr and *tree is a fresh DataTree (or null).
zab::Result<std::optional<LoadedSnapshot>> LoadNewestSnapshot(const std::string& dir,
                                                              std::unique_ptr<DataTree>* tree);

// The zxids of the complete snapshot files in `dir`, ascending (".tmp" files ignored; empty when
// `dir` is missing).
std::vector<int64_t> ListSnapshotZxids(const std::string& dir);

// Keeps the newest max(retain_count, 1) snapshots and deletes older ones, plus stray ".tmp" files
// older than the newest snapshot (a newer or equal .tmp may belong to a running child, so this is
// safe to call while a SnapshotWriter runs). An older snapshot is renamed to "<name>.purged"
// here, so it has left the listing on return; it and the other files are unlinked by `remover`
// when given (their blocks freed on its thread), else here. Returns the zxid of the oldest
// retained snapshot (the log before it may be purged), or 0 if there is none. Failures to
// rename or delete are logged; ".purged" files a crash left behind are deleted too.
int64_t PurgeSnapshots(const std::string& dir, int retain_count, FileRemover* remover = nullptr);

}  // namespace zk::server
