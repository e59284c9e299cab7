// zk::recipes::LockDriver: the contender machinery the lock recipes share (Mutex, both sides of
// ReadWriteLock, the Semaphore's internal mutex), after Apache Curator's LockInternals. Internal
// to the recipes: use Mutex, ReadWriteLock or Semaphore.
//
// A contender is an ephemeral-sequential child of the lock path named "<protection prefix>
// <node name><10-digit sequence>" (contenders.h); the lock path is created as a container. A
// lock kind is a node name plus a predicate (Curator's LockInternalsDriver.getsTheLock): given
// the contenders sorted by sequence number and the index of our own, do we hold the lock, and if
// not, which single contender do we wait on (a data watch on it; its deletion wakes us, and the
// predicate is asked again). The mutex's predicate is FirstInLine.
//
// Guarantees and failure model, for every lock built on it (the recipes' headers restate them):
// * A hold is reported lost (lost listener, IsHeld() == false) once the connection has been
//   suspended for `lost_after_suspended` (default: the negotiated session timeout), when the
//   session expires, when the client closes, and when the contender node is deleted (a watch on
//   it, and a check on every reconnect). A hold reported lost while suspended whose session
//   survived has its node deleted at once.
// * Fencing token: the czxid of the contender node.
// * A create whose reply is lost to a connection break is found again by its protection prefix.
// * Re-entrant per LockDriver: Acquire while held counts; the node goes at the last Release.
// * Connection losses while waiting are waited out; the wait ends on the deadline, Cancel, the
//   end of the session, or the disappearance of the own node.
//
// Threads: Acquire and Release block (not from a client callback). Cancel, IsHeld,
// FencingToken, NodePath, SetLostListener: any thread. The lost listener runs on the client's io
// thread or the recipes' scheduler thread, never under the driver's lock; it must not block.
// The predicate runs on the thread calling Acquire, without the driver's lock held.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/recipes/ensure_path.h"
#include "client/recipes/mutex.h"
#include "client/zk_client.h"

namespace zk::recipes {

// A predicate's answer (Curator's PredicateResults).
struct LockVerdict {
  bool holds = false;
  std::string watch;  // when !holds: the name of the contender to wait on
};

// Decides for the contender at index `mine` of `sorted` (contenders sorted by sequence number,
// SortBySequence).
using LockPredicate =
    std::function<LockVerdict(const std::vector<std::string>& sorted, size_t mine)>;

// The exclusive lock's predicate: the first contender holds; every other one waits on the
// contender just before it.
LockVerdict FirstInLine(const std::vector<std::string>& sorted, size_t mine);

struct LockDriverOptions {
  // See MutexOptions.
  std::chrono::milliseconds lost_after_suspended{0};
  std::vector<client::Acl> acl = client::OpenAclUnsafe();
  // The part of the node name after the protection prefix ("lock-", "__READ__", ...).
  std::string node_name = "lock-";
  // The data of the contender nodes (Curator's LeaderSelector: the participant id).
  std::string node_data;
  LockPredicate predicate = FirstInLine;
};

class LockDriver {
 public:
  using Clock = std::chrono::steady_clock;

  // REQUIRES: `client` outlives the driver; `path` is an absolute znode path.
  LockDriver(client::Client& client, std::string path, LockDriverOptions options);
  // Releases the hold if any (best effort) and cancels a waiting Acquire.
  ~LockDriver();
  LockDriver(const LockDriver&) = delete;
  LockDriver& operator=(const LockDriver&) = delete;

  // Waits until the predicate grants the lock (true), the deadline passes or Cancel is called
  // (false; the node is removed). Errors as Mutex::Acquire.
  // `granted_sequence`: instead of queueing, create the node as a plain ephemeral node numbered
  // with this sequence and hold it at once. For a caller that holds an exclusive lock on the same
  // path with that sequence number (Curator's write-to-read downgrade): nothing can conflict,
  // and every contender queued after the exclusive holder stays queued after the new node.
  client::Result<bool> Acquire(std::optional<Clock::time_point> deadline,
                               std::optional<int64_t> granted_sequence = std::nullopt);
  // Gives one hold back; the last deletes the node. kInvalidState if not held.
  client::Result<void> Release();
  // Wakes an Acquire waiting in another thread (it returns false); a later Acquire waits again.
  void Cancel();
  // Cancel for good: the waiting Acquire and every later one return false (holds are kept).
  // For a driver used by a single acquisition whose Cancel may come before it starts waiting.
  void Shut();

  bool IsHeld() const;
  int64_t FencingToken() const;
  std::string NodePath() const;
  void SetLostListener(std::function<void(LockLostReason)> listener);

  const std::string& path() const { return path_; }

  struct State;

 private:
  client::Result<void> CreateContender(std::optional<int64_t> granted_sequence);
  void DeleteContender();
  // Marks the node held and watches it for deletion.
  void Hold(const std::string& node);

  client::Client& client_;
  const std::string path_;
  const LockDriverOptions options_;
  std::shared_ptr<State> state_;
  uint64_t listener_id_ = 0;
};

// --- helpers shared by the recipes -----------------------------------------------------------

// A node created by CreateProtected.
struct ProtectedNode {
  std::string path;  // full path
  int64_t czxid = 0;
};

// Creates "<parent>/<NewProtectionPrefix()><name>" holding `data` with `mode` (creating `parent`
// as a container if needed). A create whose reply was lost to a connection break is looked for by its prefix
// and created again only if absent. Waits out connection losses while the session lives.
client::Result<ProtectedNode> CreateProtected(client::Client& client, const std::string& parent,
                                              const std::string& name,
                                              const std::vector<client::Acl>& acl, CreateMode mode,
                                              const std::string& data = {});

// Deletes `node`, waiting out connection losses while the session lives (a node of an ended
// session is gone already).
void DeleteNode(client::Client& client, const std::string& node);

// The contenders at `path` in sequence order, with their czxid and owner (Mutex::Contenders).
client::Result<std::vector<Contender>> ListContenders(client::Client& client,
                                                      const std::string& path);

}  // namespace zk::recipes
