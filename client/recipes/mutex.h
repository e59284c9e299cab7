// zk::recipes::Mutex: a fair distributed lock (Apache Curator's InterProcessMutex semantics and
// znode layout), on the public zk::client::Client API.
//
// Layout: contenders are ephemeral-sequential children of the lock path,
// "<path>/_c_<uuid>-lock-<10-digit sequence>"; the path is created as a container (the server
// removes it once the last contender is gone). The contender with the lowest sequence number
// holds the lock; every other one watches only the contender just before it (a release wakes
// exactly one waiter: no herd effect), so the lock is granted in the order contenders queued.
// Contenders are ordered by the trailing sequence number whatever their names, so this class
// excludes Curator's InterProcessMutex ("_c_<uuid>-lock-", the same layout) and kazoo's Lock
// ("<uuid>__lock__"; kazoo sees ours with extra_lock_patterns=["-lock-"]) on one path. (Curator
// and kazoo between themselves need more: Curator orders by the text after "lock-", which
// kazoo's names lack; see docs/recipes.md.)
//
// Guarantees and failure model:
// * At most one contender node is first at any zxid, so among holders that still believe they
//   hold, there is one — except across a connection break: a holder cut off from the ensemble
//   cannot know when its session expires and its node goes. It is therefore told the lock is
//   lost (lost listener, IsHeld() == false) once the connection has been suspended for
//   `lost_after_suspended` (default: the negotiated session timeout, the earliest moment the
//   session may have expired — Curator's standard policy), when the session expires, when the
//   client closes, and when its node is deleted by someone else. It never keeps believing it
//   holds a lock whose node is gone; but between the node's deletion and the moment the holder
//   learns of it, another contender may acquire. Guard outside resources with the fencing token.
// * Fencing token: the czxid of the holder's contender node. It strictly increases from holder
//   to holder of the same lock path (each holder's node was created after its predecessor's),
//   so a resource that remembers the largest token it saw can refuse a stale holder.
// * A create whose reply is lost to a connection break is found again by its protection prefix
//   instead of being duplicated.
// * Re-entrant per Mutex object: Acquire while held counts; the lock goes at the last Release.
//
// Threads: Acquire, TryAcquire, Release block the calling thread (never call them from a client
// callback: they return kInvalidState there). Cancel, IsHeld, FencingToken and the setters may be
// called from any thread. The lost listener runs on the client's io thread or on the recipes'
// scheduler thread, never while a Mutex method holds the Mutex's internal lock; it must not
// block. One Mutex object may be used by several threads; contenders in one process should
// normally use one Mutex object each.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/zk_client.h"

namespace zk::recipes {

class LockDriver;

enum class LockLostReason {
  kSuspendedTooLong,  // the connection stayed suspended beyond lost_after_suspended
  kSessionExpired,
  kNodeDeleted,       // the contender node was deleted (by someone else, or the session ended)
  kClosed,            // the client was closed
};
const char* LockLostReasonName(LockLostReason reason);

struct MutexOptions {
  // How long the connection may stay suspended before the holder is told the lock is lost.
  // 0 = the negotiated session timeout.
  std::chrono::milliseconds lost_after_suspended{0};
  // ACL of the contender nodes and of the lock path when it is created.
  std::vector<client::Acl> acl = client::OpenAclUnsafe();
  // The part of the node name after the protection prefix (Curator: "lock-").
  std::string lock_name = "lock-";
  // The data of the contender nodes (Curator's LeaderSelector: the participant id).
  std::string node_data;
};

// One contender of a lock, in queue order (for inspection; `lock ls`).
struct Contender {
  std::string name;   // node name
  int64_t sequence = 0;
  int64_t czxid = 0;  // the fencing token it holds or will hold
  int64_t owner = 0;  // ephemeralOwner: the session id
};

class Mutex {
 public:
  // REQUIRES: `client` outlives the Mutex; `path` is an absolute znode path.
  Mutex(client::Client& client, std::string path, MutexOptions options = {});
  // Releases the lock if held (best effort) and cancels a waiting Acquire.
  ~Mutex();
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Blocks until the lock is held: true. False if Cancel() was called while waiting. Errors:
  // kSessionExpired, kClosing, kAuthFailed (the session ended), kNoAuth/kInvalidAcl (ACLs), or
  // kNoNode if the contender node vanished while waiting (the session ended meanwhile).
  // Connection losses are waited out and retried.
  client::Result<bool> Acquire();
  // As Acquire, but gives up after `timeout` (false; the contender node is removed).
  client::Result<bool> Acquire(std::chrono::milliseconds timeout);
  // Acquire only if free now (Acquire with a zero timeout).
  client::Result<bool> TryAcquire() { return Acquire(std::chrono::milliseconds(0)); }
  // Gives the lock back (the last of the re-entrant holds deletes the contender node).
  // kInvalidState if not held by this object.
  client::Result<void> Release();
  // Wakes an Acquire waiting in another thread; it returns false. An Acquire that starts later
  // waits again (a Cancel that comes before the Acquire begins is lost: see Shut).
  void Cancel();
  // Cancels for good: the Acquire under way (or about to begin) and every later one return
  // false. A hold is kept until Release. For an owner that stops, racing its own acquiring thread.
  void Shut();

  // Held, and not told lost since.
  bool IsHeld() const;
  // The fencing token while held (the contender node's czxid); 0 when not held.
  int64_t FencingToken() const;
  // The contender node's full path while acquiring or holding; empty otherwise.
  std::string NodePath() const;
  const std::string& path() const { return path_; }

  // Called once per acquisition that is lost (see the reasons).
  void SetLostListener(std::function<void(LockLostReason)> listener);

  // The contenders of the lock at `path`, in queue order (the first holds it).
  static client::Result<std::vector<Contender>> Contenders(client::Client& client,
                                                           const std::string& path);

 private:
  const std::string path_;
  std::unique_ptr<LockDriver> driver_;  // the contender machinery (lock_driver.h)
};

// Holds a Mutex for a scope: acquires in the constructor (check owns()), releases at the end.
class LockGuard {
 public:
  explicit LockGuard(Mutex& mutex) : mutex_(mutex), result_(mutex.Acquire()) {}
  LockGuard(Mutex& mutex, std::chrono::milliseconds timeout)
      : mutex_(mutex), result_(mutex.Acquire(timeout)) {}
  ~LockGuard() {
    if (owns()) mutex_.Release();
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

  bool owns() const { return result_.ok() && *result_; }
  // Why the lock is not owned (kOk with owns() == false: timed out or cancelled).
  Err err() const { return result_.err(); }

 private:
  Mutex& mutex_;
  client::Result<bool> result_;
};

}  // namespace zk::recipes
