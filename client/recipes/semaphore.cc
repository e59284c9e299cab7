#include "client/recipes/semaphore.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <utility>

#include "client/recipes/contenders.h"
#include "client/recipes/lock_driver.h"
#include "client/retry.h"

namespace zk::recipes {

using client::ConnectionState;
using client::Result;
using Clock = std::chrono::steady_clock;

namespace {
constexpr const char* kLocks = "locks";    // Curator's LOCK_PARENT
constexpr const char* kLeases = "leases";  // LEASE_PARENT
constexpr const char* kLeaseName = "lease-";
}  // namespace

// --- Lease -------------------------------------------------------------------------------------

Lease::Lease(Lease&& other) noexcept
    : client_(other.client_), node_(std::exchange(other.node_, {})) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Close();
    client_ = other.client_;
    node_ = std::exchange(other.node_, {});
  }
  return *this;
}

void Lease::Close() {
  if (node_.empty()) return;
  DeleteNode(*client_, node_);
  node_.clear();
}

// --- Semaphore ---------------------------------------------------------------------------------

// Shared with the watchers and the state listener (they hold it weakly).
struct Semaphore::State {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t wakeups = 0;             // bumped by the leases/ children watch and state changes
  uint64_t cancels = 0;             // bumped by Cancel
  bool ended = false;               // the session ended
  std::set<LockDriver*> acquiring;  // the internal-mutex contenders of running Acquires

  void Wake() {
    std::lock_guard<std::mutex> l(mu);
    ++wakeups;
    cv.notify_all();
  }
};

Semaphore::Semaphore(client::Client& client, std::string path, int max_leases,
                     SemaphoreOptions options)
    : client_(client),
      path_(std::move(path)),
      leases_path_(JoinPath(path_, kLeases)),
      max_leases_(max_leases),
      options_(std::move(options)),
      state_(std::make_shared<State>()) {
  std::weak_ptr<State> weak = state_;
  listener_id_ = client_.AddStateListener([weak](ConnectionState cs) {
    auto st = weak.lock();
    if (!st) return;
    std::lock_guard<std::mutex> l(st->mu);
    if (cs == ConnectionState::kExpired || cs == ConnectionState::kClosed ||
        cs == ConnectionState::kAuthFailed) {
      st->ended = true;
    }
    ++st->wakeups;
    st->cv.notify_all();
  });
}

Semaphore::~Semaphore() {
  client_.RemoveStateListener(listener_id_);
  Cancel();
}

void Semaphore::Cancel() {
  std::lock_guard<std::mutex> l(state_->mu);
  ++state_->cancels;
  for (LockDriver* d : state_->acquiring) d->Shut();
  state_->cv.notify_all();
}

Result<std::vector<Lease>> Semaphore::Acquire(int count) {
  return AcquireUntil(count, std::nullopt);
}

Result<std::vector<Lease>> Semaphore::Acquire(int count, std::chrono::milliseconds timeout) {
  return AcquireUntil(count, Clock::now() + timeout);
}

Result<std::vector<Lease>> Semaphore::AcquireUntil(int count,
                                                   std::optional<Clock::time_point> deadline) {
  if (count <= 0 || count > max_leases_ || max_leases_ <= 0) return Err::kBadArguments;
  State& st = *state_;
  // The internal mutex, one contender per Acquire (so that threads sharing this object queue
  // on the server like everyone else).
  LockDriverOptions lock_options;
  lock_options.acl = options_.acl;
  LockDriver lock(client_, JoinPath(path_, kLocks), std::move(lock_options));
  uint64_t cancels;
  {
    std::lock_guard<std::mutex> l(st.mu);
    cancels = st.cancels;
    st.acquiring.insert(&lock);
  }
  struct Unregister {
    State& st;
    LockDriver* lock;
    ~Unregister() {
      std::lock_guard<std::mutex> l(st.mu);
      st.acquiring.erase(lock);
    }
  } unregister{st, &lock};

  auto locked = lock.Acquire(deadline);
  if (!locked.ok()) return locked.err();
  if (!*locked) return std::vector<Lease>{};  // timed out or cancelled

  // Destroyed before `lock` (declared after it): leases not handed out are returned before the
  // mutex is released.
  std::vector<Lease> leases;
  std::weak_ptr<State> weak = state_;
  while (static_cast<int>(leases.size()) < count) {
    auto created = CreateProtected(client_, leases_path_, kLeaseName, options_.acl,
                                   CreateMode::kEphemeralSequential);
    if (!created.ok()) return created.err();
    const std::string mine = created->path.substr(created->path.rfind('/') + 1);
    leases.push_back(Lease(&client_, created->path));
    while (true) {
      uint64_t seen;
      {
        std::lock_guard<std::mutex> l(st.mu);
        if (st.cancels != cancels) return std::vector<Lease>{};
        seen = st.wakeups;
      }
      auto children = client_.GetChildren(leases_path_, [weak](const client::WatchEvent&) {
        if (auto s = weak.lock()) s->Wake();
      });
      if (!children.ok()) {
        if (!client::IsRetryable(children.err())) return children.err();
        Err e = WaitConnectedUntil(client_, deadline);
        if (e == Err::kOperationTimeout) return std::vector<Lease>{};
        if (e != Err::kOk) return e;
        continue;
      }
      const auto& names = children->children;
      if (std::find(names.begin(), names.end(), mine) == names.end()) {
        // Our lease node is gone: the session ended under us (or someone deleted it).
        leases.back().node_.clear();
        std::lock_guard<std::mutex> l(st.mu);
        return st.ended ? Err::kSessionExpired : Err::kNoNode;
      }
      if (static_cast<int>(names.size()) <= max_leases_) break;
      std::unique_lock<std::mutex> l(st.mu);
      auto woken = [&] { return st.wakeups != seen || st.cancels != cancels; };
      if (deadline) {
        if (!st.cv.wait_until(l, *deadline, woken)) return std::vector<Lease>{};  // timed out
      } else {
        st.cv.wait(l, woken);
      }
      if (st.cancels != cancels) return std::vector<Lease>{};
      if (st.ended) return Err::kSessionExpired;
    }
  }
  lock.Release();
  return leases;
}

Result<std::vector<std::string>> Semaphore::LeaseNodes(client::Client& client,
                                                       const std::string& path) {
  auto children = client.GetChildren(JoinPath(path, kLeases));
  if (children.err() == Err::kNoNode) return std::vector<std::string>{};
  if (!children.ok()) return children.err();
  return SortBySequence(std::move(children->children));
}

}  // namespace zk::recipes
