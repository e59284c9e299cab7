#include "client/recipes/leader_selector.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "client/recipes/mutex.h"

namespace zk::recipes {

using client::ConnectionState;
using client::Result;

struct LeadershipContext::Shared {
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  bool cancelled = false;

  void Cancel() {
    std::lock_guard<std::mutex> l(mu);
    cancelled = true;
    cv.notify_all();
  }
};

bool LeadershipContext::Cancelled() const {
  std::lock_guard<std::mutex> l(shared_->mu);
  return shared_->cancelled;
}

bool LeadershipContext::WaitCancelled(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> l(shared_->mu);
  return shared_->cv.wait_for(l, timeout, [&] { return shared_->cancelled; });
}

struct LeaderSelector::Shared {
  std::mutex mu;
  std::condition_variable cv;
  State state = State::kLatent;
  bool queued = false;     // the thread is to queue (again)
  bool acquiring = false;  // the thread is inside Mutex::Acquire (queued in the znodes)
  bool closing = false;    // Close() was called, or the session ended
  std::shared_ptr<LeadershipContext::Shared> term;  // while the callback runs
  std::unique_ptr<Mutex> mutex;
  std::thread thread;
  uint64_t state_listener = 0;

  void CancelTerm() {
    std::shared_ptr<LeadershipContext::Shared> t;
    {
      std::lock_guard<std::mutex> l(mu);
      t = term;
    }
    if (t) t->Cancel();
  }
};

LeaderSelector::LeaderSelector(client::Client& client, std::string path, std::string id,
                               Callback take_leadership, LeaderSelectorOptions options)
    : client_(client),
      path_(std::move(path)),
      id_(std::move(id)),
      take_leadership_(std::move(take_leadership)),
      options_(std::move(options)),
      shared_(std::make_shared<Shared>()) {}

LeaderSelector::~LeaderSelector() { Close(); }

Result<void> LeaderSelector::Start() {
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    if (shared_->state != State::kLatent) return Err::kInvalidState;
    shared_->state = State::kStarted;
    shared_->queued = true;
  }
  // The suspension bound: 0 means at once (the Mutex's 0 would mean the whole session timeout).
  auto bound = std::max(options_.lost_after_suspended, std::chrono::milliseconds(1));
  const auto session = client_.negotiated_timeout();
  if (session.count() > 2) bound = std::min(bound, session / 2 - std::chrono::milliseconds(1));
  MutexOptions mo;
  mo.lost_after_suspended = bound;
  mo.acl = options_.acl;
  mo.node_data = id_;
  mo.lock_name = options_.node_name;
  shared_->mutex = std::make_unique<Mutex>(client_, path_, std::move(mo));
  std::weak_ptr<Shared> weak = shared_;
  shared_->mutex->SetLostListener([weak](LockLostReason) {
    if (auto s = weak.lock()) s->CancelTerm();
  });
  shared_->state_listener = client_.AddStateListener([weak](ConnectionState cs) {
    auto s = weak.lock();
    if (!s) return;
    if (cs != ConnectionState::kExpired && cs != ConnectionState::kClosed &&
        cs != ConnectionState::kAuthFailed) {
      return;
    }
    {
      std::lock_guard<std::mutex> l(s->mu);
      s->closing = true;
      s->state = State::kClosed;
      s->cv.notify_all();
    }
    s->CancelTerm();
  });
  shared_->thread = std::thread([this] { Run(); });
  return {};
}

void LeaderSelector::Run() {
  Shared& s = *shared_;
  while (true) {
    {
      std::unique_lock<std::mutex> l(s.mu);
      s.cv.wait(l, [&] { return s.queued || s.closing; });
      if (s.closing) break;
      s.queued = false;
      s.acquiring = true;
    }
    Result<bool> acquired = s.mutex->Acquire();
    {
      std::lock_guard<std::mutex> l(s.mu);
      s.acquiring = false;
    }
    if (!acquired.ok()) {
      // The node vanished while queued (deleted by someone): queue again, unless the session
      // ended. Any other error (ACLs, the session ended) ends the selector.
      std::lock_guard<std::mutex> l(s.mu);
      if (acquired.err() == Err::kNoNode && !s.closing) {
        s.queued = true;
        continue;
      }
      s.closing = true;
      s.state = State::kClosed;
      break;
    }
    if (!*acquired) continue;  // cancelled: Close()
    auto term = std::make_shared<LeadershipContext::Shared>();
    {
      std::lock_guard<std::mutex> l(s.mu);
      s.term = term;
      if (s.closing) term->Cancel();
    }
    // Lost between Acquire and the term's registration: the lost listener found no term.
    if (!s.mutex->IsHeld()) term->Cancel();
    LeadershipContext ctx(term, s.mutex->FencingToken());
    try {
      take_leadership_(ctx);
    } catch (...) {
      // A throwing callback ends its term as a return does.
    }
    {
      std::lock_guard<std::mutex> l(s.mu);
      s.term.reset();
    }
    s.mutex->Release();
    std::lock_guard<std::mutex> l(s.mu);
    if (options_.auto_requeue && !s.closing) s.queued = true;
  }
}

bool LeaderSelector::Requeue() {
  std::lock_guard<std::mutex> l(shared_->mu);
  if (shared_->state != State::kStarted || shared_->queued || shared_->acquiring ||
      shared_->term) {
    return false;
  }
  shared_->queued = true;
  shared_->cv.notify_all();
  return true;
}

bool LeaderSelector::InterruptLeadership() {
  std::shared_ptr<LeadershipContext::Shared> t;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    t = shared_->term;
  }
  if (!t) return false;
  t->Cancel();
  return true;
}

void LeaderSelector::Close() {
  Shared& s = *shared_;
  {
    std::unique_lock<std::mutex> l(s.mu);
    s.closing = true;
    s.state = State::kClosed;
    s.cv.notify_all();
    if (s.thread.joinable() && s.thread.get_id() == std::this_thread::get_id()) return;
  }
  // Shut, not Cancel: it also stops an Acquire the thread is about to begin.
  if (s.mutex) s.mutex->Shut();
  s.CancelTerm();
  if (s.thread.joinable()) s.thread.join();
  if (s.state_listener != 0) {
    client_.RemoveStateListener(s.state_listener);
    s.state_listener = 0;
  }
  s.mutex.reset();  // releases a hold a callback left behind (none: Run releases after it)
}

bool LeaderSelector::HasLeadership() const {
  std::shared_ptr<LeadershipContext::Shared> t;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    t = shared_->term;
  }
  if (!t) return false;
  std::lock_guard<std::mutex> l(t->mu);
  return !t->cancelled;
}

LeaderSelector::State LeaderSelector::state() const {
  std::lock_guard<std::mutex> l(shared_->mu);
  return shared_->state;
}

Result<std::vector<Participant>> LeaderSelector::Participants(client::Client& client,
                                                              const std::string& path) {
  // The same reading as a latch's: contenders by sequence, each node's data is its id.
  return LeaderLatch::Participants(client, path);
}

}  // namespace zk::recipes
