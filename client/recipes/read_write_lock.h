// zk::recipes::ReadWriteLock: a fair distributed read-write lock (Apache Curator's
// InterProcessReadWriteLock semantics and znode layout), on the public zk::client::Client API.
//
// Layout: readers and writers are ephemeral-sequential children of the lock path,
// "<path>/_c_<uuid>-__READ__<10-digit sequence>" and "<path>/_c_<uuid>-__WRIT__<10-digit
// sequence>"; the path is created as a container. All contenders form one queue ordered by
// sequence number:
// * a writer holds the lock when it is first in the queue, and otherwise watches only the
//   contender just before it (reader or writer): writers are granted in queue order, and a
//   writer waits for every reader queued before it;
// * a reader holds the lock when no writer is queued before it — readers share the lock, and a
//   reader queued behind a waiting writer waits too (writers do not starve) — and otherwise
//   watches the first writer of the queue (as Curator does).
// Curator's InterProcessReadWriteLock uses these names and rules, so C++ and Java readers and
// writers on one path exclude each other.
//
// Re-entrancy and downgrade (per ReadWriteLock object): each side is re-entrant. The holder of
// the write lock may take the read lock too; it is granted at once, and its node is numbered
// with the write node's sequence (a plain ephemeral node; Curator 5.5's fix of CURATOR-621), so
// a writer that queued behind the write lock also stays queued behind the read lock: acquire
// write, acquire read, release write = a downgrade that no writer can slip into. Upgrading is
// not possible: WriteLock().Acquire while this object holds only the read lock fails with
// kInvalidState (it would wait behind its own reader forever).
//
// Guarantees and failure model: those of Mutex (mutex.h), for each side: a hold is reported lost
// (lost listener, IsHeld() == false) after a suspension longer than `lost_after_suspended`
// (default: the negotiated session timeout), on session expiry, on Close, and when the node is
// deleted; the fencing token is the czxid of the side's node (write tokens strictly increase
// from writer to writer; a reader's token is larger than that of every writer that held before
// it); lost create replies are found by the protection prefix; connection losses while waiting
// are waited out.
//
// Threads: as Mutex. Acquire, TryAcquire, Release block (never from a client callback). Cancel,
// IsHeld, FencingToken, NodePath and the setters from any thread. Lost listeners run on the
// client's io thread or the recipes' scheduler thread and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/recipes/mutex.h"
#include "client/zk_client.h"

namespace zk::recipes {

struct ReadWriteLockOptions {
  // How long the connection may stay suspended before a holder is told its lock is lost.
  // 0 = the negotiated session timeout.
  std::chrono::milliseconds lost_after_suspended{0};
  // ACL of the contender nodes and of the lock path when it is created.
  std::vector<client::Acl> acl = client::OpenAclUnsafe();
};

class ReadWriteLock {
 public:
  // The node names after the protection prefix (Curator's; the same length).
  static constexpr std::string_view kReadName = "__READ__";
  static constexpr std::string_view kWriteName = "__WRIT__";

  // One side of the lock (ReadLock() or WriteLock()), with the API of Mutex.
  class Lock {
   public:
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

    // Blocks until held: true; false after Cancel(). Errors as Mutex::Acquire; and
    // kInvalidState for WriteLock().Acquire while this object holds only the read lock.
    client::Result<bool> Acquire();
    // As Acquire, but gives up after `timeout` (false; the node is removed).
    client::Result<bool> Acquire(std::chrono::milliseconds timeout);
    client::Result<bool> TryAcquire() { return Acquire(std::chrono::milliseconds(0)); }
    // Gives one hold back (the last deletes the node). kInvalidState if not held.
    client::Result<void> Release();
    // Wakes an Acquire of this side waiting in another thread; it returns false.
    void Cancel();

    bool IsHeld() const;
    // The czxid of this side's node while held; 0 otherwise.
    int64_t FencingToken() const;
    // This side's node (full path) while acquiring or holding; empty otherwise.
    std::string NodePath() const;
    // Called once per acquisition of this side that is lost.
    void SetLostListener(std::function<void(LockLostReason)> listener);

   private:
    friend class ReadWriteLock;
    Lock(ReadWriteLock& owner, bool write);
    client::Result<bool> AcquireUntil(
        std::optional<std::chrono::steady_clock::time_point> deadline);

    ReadWriteLock& owner_;
    const bool write_;
    std::unique_ptr<LockDriver> driver_;
  };

  // REQUIRES: `client` outlives the lock; `path` is an absolute znode path.
  ReadWriteLock(client::Client& client, std::string path, ReadWriteLockOptions options = {});
  // Releases what is held (best effort) and cancels waiting Acquires.
  ~ReadWriteLock();
  ReadWriteLock(const ReadWriteLock&) = delete;
  ReadWriteLock& operator=(const ReadWriteLock&) = delete;

  Lock& ReadLock() { return *read_; }
  Lock& WriteLock() { return *write_; }
  const std::string& path() const { return path_; }

  // The contenders at `path` in queue order (IsWriter tells the kinds apart).
  static client::Result<std::vector<Contender>> Contenders(client::Client& client,
                                                           const std::string& path);
  static bool IsWriter(std::string_view node_name);

 private:
  const std::string path_;
  // The write side first: the read side's predicate and downgrade consult it.
  std::unique_ptr<Lock> write_;
  std::unique_ptr<Lock> read_;
};

}  // namespace zk::recipes
