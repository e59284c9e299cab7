// zk::recipes::Semaphore: a distributed counting semaphore of `max_leases` leases (Apache
// Curator's InterProcessSemaphoreV2 semantics and znode layout), on the public
// zk::client::Client API.
//
// Layout: "<path>/leases/" holds one ephemeral-sequential node per lease,
// "_c_<uuid>-lease-<10-digit sequence>"; "<path>/locks/" is a Mutex (Curator's InterProcessMutex
// layout, "_c_<uuid>-lock-<seq>") that serialises acquirers. Both are created as containers.
// To acquire, a client takes the mutex, creates its lease node, and — while the leases/ node
// has more than `max_leases` children — waits on a children watch of leases/ (a returned lease
// wakes it; nothing polls); then it releases the mutex. Only the mutex holder adds lease nodes
// and it keeps its own only once the count is within the bound, so the leases held never exceed
// `max_leases`, whoever holds them (every child of leases/ counts, whatever its name). Waiters
// queue fairly on the mutex. Curator's InterProcessSemaphoreV2 uses the same layout and
// algorithm, so C++ and Java holders on one path share the `max_leases` leases (all of them
// must use the same `max_leases`).
//
// Several leases at once: Acquire(n) takes the mutex once and adds its n lease nodes one after
// the other, each when the count allows, keeping the mutex until it has all n — so two
// multi-lease acquirers of this library never each hold a part and wait for the rest. (Curator
// takes the mutex once per lease.) n > max_leases is kBadArguments. On timeout, Cancel or an
// error the leases taken so far are returned.
//
// Guarantees and failure model:
// * A lease is an ephemeral node: it ends with the session (expiry or Close), or when returned
//   (Lease::Close or its destructor). A holder cut off from the ensemble cannot know when its
//   session, and so its lease, ends: as with Mutex, past the session timeout another client may
//   have taken the lease. Leases carry no lost listener; watch the client's connection state.
// * Lease creates whose reply was lost to a connection break are found again by their
//   protection prefix; connection losses while waiting are waited out. Acquire fails when the
//   session ends (kSessionExpired, kClosing, kAuthFailed), on ACL errors, or with kNoNode if its
//   lease node vanished while it waited.
//
// Threads: Acquire and Lease::Close block (never from a client callback). Cancel may be called
// from any thread. One Semaphore object may be used by several threads: each Acquire is a
// contender of its own on the internal mutex. Leases may be closed from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/recipes/mutex.h"
#include "client/zk_client.h"

namespace zk::recipes {

// One lease of a Semaphore: returned (its node deleted) by Close or on destruction.
// Move-only. REQUIRES: the client outlives the lease.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease() { Close(); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Returns the lease: deletes its node, waiting out connection losses while the session
  // lives. Idempotent.
  void Close();
  // Not returned yet (its node may still have gone with the session).
  bool valid() const { return !node_.empty(); }
  // The lease node's full path; empty once returned.
  const std::string& NodePath() const { return node_; }

 private:
  friend class Semaphore;
  Lease(client::Client* client, std::string node) : client_(client), node_(std::move(node)) {}

  client::Client* client_ = nullptr;
  std::string node_;
};

struct SemaphoreOptions {
  // ACL of the lease and lock nodes and of the paths when they are created.
  std::vector<client::Acl> acl = client::OpenAclUnsafe();
};

class Semaphore {
 public:
  // REQUIRES: `client` outlives the Semaphore and its leases; `path` is an absolute znode path;
  // max_leases > 0.
  Semaphore(client::Client& client, std::string path, int max_leases,
            SemaphoreOptions options = {});
  // Cancels waiting Acquires. Leases already handed out stay valid.
  ~Semaphore();
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Blocks until `count` leases are held: they are returned. An empty vector if Cancel() was
  // called meanwhile. Errors: see the header comment; kBadArguments unless
  // 0 < count <= max_leases.
  client::Result<std::vector<Lease>> Acquire(int count = 1);
  // As Acquire, but gives up after `timeout` (an empty vector; no lease node is left behind).
  client::Result<std::vector<Lease>> Acquire(int count, std::chrono::milliseconds timeout);
  client::Result<std::vector<Lease>> TryAcquire(int count = 1) {
    return Acquire(count, std::chrono::milliseconds(0));
  }
  // Wakes every Acquire of this object waiting in another thread; they return no leases.
  void Cancel();

  int max_leases() const { return max_leases_; }
  const std::string& path() const { return path_; }

  // The lease nodes under `path` (names, in sequence order): the leases held now, plus those of
  // an acquirer still waiting for the count to allow its own.
  static client::Result<std::vector<std::string>> LeaseNodes(client::Client& client,
                                                             const std::string& path);

  struct State;

 private:
  client::Result<std::vector<Lease>> AcquireUntil(
      int count, std::optional<std::chrono::steady_clock::time_point> deadline);

  client::Client& client_;
  const std::string path_;
  const std::string leases_path_;
  const int max_leases_;
  const SemaphoreOptions options_;
  std::shared_ptr<State> state_;
  uint64_t listener_id_ = 0;
};

}  // namespace zk::recipes
