// DigestAudit: run-time detection of replicas that diverged. The leader samples its tree digest
// (DataTree::digest(), which covers every node's path, stat, data and ACL) after applying a txn
// and sends (zxid, digest) to its learners; a learner compares it with its own digest at the
// same zxid. Equal txn streams give equal digests, so a difference means this replica's tree is
// not the leader's (a bug in apply, a corrupted disk, a bad upgrade) — as ZooKeeper 3.6+ checks
// the digest that travels with its proposals.
//
// A learner usually applied the zxid before the leader's sample arrives (the leader sends it
// after its own apply, behind the COMMIT on the same connection), so the digests of the last
// kHistory applied zxids are kept; a sample for a zxid not applied yet waits (at most
// kMaxPending of them) until it is. A sample older than the history is dropped uncompared.
//
// Pure and single-threaded (the io thread); no clocks, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace zk::server {

struct DigestMismatch {
  int64_t zxid = 0;
  uint64_t expected = 0;  // the leader's
  uint64_t actual = 0;    // ours
};

class DigestAudit {
 public:
  static constexpr size_t kHistory = 4096;
  static constexpr size_t kMaxPending = 64;

  // Forgets history and pending samples: the tree was replaced (SNAP, reload) or the leader
  // changed.
  void Reset();

  // This replica applied `zxid`, after which its tree digest is `digest`. Returns the mismatch
  // of a pending sample for this zxid, if any.
  std::optional<DigestMismatch> Applied(int64_t zxid, uint64_t digest);

  // The leader's digest after `zxid`. Returns a mismatch if this replica applied `zxid` with a
  // different digest.
  std::optional<DigestMismatch> Sample(int64_t zxid, uint64_t digest);

  uint64_t checks() const { return checks_; }          // samples compared
  uint64_t mismatches() const { return mismatches_; }  // of which differed
  uint64_t dropped() const { return dropped_; }        // samples never compared

 private:
  struct Entry {
    int64_t zxid;
    uint64_t digest;
  };
  std::optional<DigestMismatch> Compare(int64_t zxid, uint64_t expected, uint64_t actual);

  std::deque<Entry> history_;  // applied, zxid ascending
  std::deque<Entry> pending_;  // leader's samples ahead of us, zxid ascending
  uint64_t checks_ = 0;
  uint64_t mismatches_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace zk::server
