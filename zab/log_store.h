// LogStore: the durable ZAB transaction log plus a tiny persisted key/value for metadata (ZAB
// keeps acceptedEpoch and currentEpoch there). A log entry is an opaque byte string with a zxid;
// zab/ knows nothing of what the bytes mean. The log holds entries with strictly increasing
// zxids, not necessarily contiguous (the epoch in the high 32 bits jumps between leaders).
//
// Who calls what: the disk thread (GroupCommitLog) calls Append; ordered disk work posted through
// GroupCommitLog::RunOnDiskThread calls TruncateAfter (ZAB TRUNC) and PurgeSome (after a
// snapshot, a step at a time between group commits, then ReclaimSpace); the node driver calls
// PutMeta before ACKEPOCH / the NEWLEADER ack; leader sync (DIFF) calls Read.
//
// Thread-safety: mutating calls (Append, TruncateAfter, PurgeBefore, PurgeSome, ReclaimSpace,
// PutMeta) must come from one thread at a time. Reading calls (Read, FirstZxid, LastZxid, GetMeta) may be made from any
// thread, also concurrently with a mutation; they then see the state before or after it (Read of
// a range being truncated or purged may see part of it gone). Both stores in zab/ implement this.
//
// Errors are returned as Status; an implementation never throws and never aborts on bad data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zab/status.h"

namespace zk::zab {

struct LogEntry {
  int64_t zxid = 0;
  std::string data;  // Opaque bytes (the server's msgpack txn).

  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

class LogStore {
 public:
  LogStore() = default;
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;
  virtual ~LogStore() = default;

  // Appends entries as one atomic batch: after a crash either all or none are present. With
  // sync, the entries are on stable storage when OK is returned. An empty vector is a no-op.
  // REQUIRES: entries[0].zxid > LastZxid() and zxids strictly increase within entries
  //           (otherwise returns InvalidArgument and writes nothing).
  virtual Status Append(const std::vector<LogEntry>& entries, bool sync) = 0;

  // Removes every entry with zxid > `zxid`, atomically and durably (synced). A zxid at or above
  // LastZxid() is a no-op; one below FirstZxid() empties the log.
  virtual Status TruncateAfter(int64_t zxid) = 0;

  // Removes every entry with zxid < `zxid` and reclaims their disk space. Not synced: after a
  // crash a prefix of the removed entries may reappear (harmless). A zxid above LastZxid()
  // empties the log, after which LastZxid() is 0 again; callers normally keep the last entry.
  virtual Status PurgeBefore(int64_t zxid) = 0;

  // One step of PurgeBefore(zxid): removes at most `max_entries` of the entries with zxid <
  // `zxid`, the oldest first, and sets *more to whether any remain. A long purge done in steps
  // lets appends go between them. Disk space may be reclaimed only by ReclaimSpace.
  // REQUIRES: max_entries > 0.
  virtual Status PurgeSome(int64_t zxid, size_t max_entries, bool* more) {
    (void)max_entries;
    *more = false;
    return PurgeBefore(zxid);
  }
  // Asks for the disk space of the entries PurgeSome removed below `zxid` to be reclaimed, and
  // returns without waiting for it (LevelDB compacts that key range on a thread of the store's
  // own, so the disk thread's appends never wait for a compaction). A no-op where removal
  // frees space itself.
  virtual Status ReclaimSpace(int64_t zxid) {
    (void)zxid;
    return Status::OK();
  }

  // Replaces *out with the entries whose zxid lies in [from_zxid, to_zxid], in zxid order, stopping
  // before the entry that would make the sum of data sizes exceed max_bytes; the first entry found
  // is always returned, however large, so callers make progress. Entries already purged are
  // simply absent: compare FirstZxid() to detect that a range is no longer complete.
  virtual Status Read(int64_t from_zxid, int64_t to_zxid, size_t max_bytes,
                      std::vector<LogEntry>* out) = 0;

  // The largest zxid <= `zxid` present in the log, 0 if there is none.
  virtual Result<int64_t> FloorZxid(int64_t zxid) = 0;

  // Zxid of the first / last entry, 0 if the log is empty.
  virtual int64_t FirstZxid() = 0;
  virtual int64_t LastZxid() = 0;

  // Bytes the store holds in memory for the log (LevelDB: its memtables and block cache), which
  // its options bound however long the log grows; 0 where not known. Thread-safe.
  virtual int64_t MemoryBytes() { return 0; }

  // Persisted metadata, in a namespace separate from the log.
  virtual Status PutMeta(std::string_view key, std::string_view value, bool sync) = 0;
  // Returns std::nullopt when the key was never written.
  virtual Result<std::optional<std::string>> GetMeta(std::string_view key) = 0;
};

}  // namespace zk::zab
