#include "client/recipes/event_waiter.h"

#include "client/recipes/ensure_path.h"
#include "client/retry.h"

namespace zk::recipes {

EventWaiter::EventWaiter(client::Client& client)
    : client_(client), core_(std::make_shared<Core>()) {
  std::weak_ptr<Core> weak = core_;
  listener_id_ = client_.AddStateListener([weak](client::ConnectionState) {
    if (auto c = weak.lock()) c->Bump();
  });
}

EventWaiter::~EventWaiter() { client_.RemoveStateListener(listener_id_); }

uint64_t EventWaiter::generation() const {
  std::lock_guard<std::mutex> l(core_->mu);
  return core_->generation;
}

client::Watcher EventWaiter::MakeWatcher() const {
  std::weak_ptr<Core> weak = core_;
  return [weak](const client::WatchEvent&) {
    if (auto c = weak.lock()) c->Bump();
  };
}

EventWaiter::Outcome EventWaiter::Wait(uint64_t seen, std::optional<Clock::time_point> deadline) {
  std::unique_lock<std::mutex> l(core_->mu);
  auto done = [&] { return core_->generation != seen || core_->cancelled; };
  if (deadline) {
    if (!core_->cv.wait_until(l, *deadline, done)) return Outcome::kTimedOut;
  } else {
    core_->cv.wait(l, done);
  }
  return core_->cancelled ? Outcome::kCancelled : Outcome::kWoken;
}

void EventWaiter::Wake() { core_->Bump(); }

void EventWaiter::Cancel() {
  std::lock_guard<std::mutex> l(core_->mu);
  core_->cancelled = true;
  core_->cv.notify_all();
}

bool EventWaiter::cancelled() const {
  std::lock_guard<std::mutex> l(core_->mu);
  return core_->cancelled;
}

void EventWaiter::Reset() {
  std::lock_guard<std::mutex> l(core_->mu);
  core_->cancelled = false;
}

client::Result<bool> WaitWhileExists(client::Client& client, EventWaiter& waiter,
                                     const std::string& path,
                                     std::optional<EventWaiter::Clock::time_point> deadline) {
  while (true) {
    const uint64_t seen = waiter.generation();
    auto r = client.Exists(path, waiter.MakeWatcher());
    if (r.err() == Err::kNoNode) return true;
    if (!r.ok()) {
      if (!client::IsRetryable(r.err())) return r.err();
      Err e = WaitConnectedUntil(client, deadline);
      if (e == Err::kOperationTimeout) return false;
      if (e != Err::kOk) return e;
      continue;
    }
    if (waiter.Wait(seen, deadline) != EventWaiter::Outcome::kWoken) return false;
  }
}

}  // namespace zk::recipes
