#include "client/watch_stream.h"

namespace zk::client {

WatchStream::WatchStream() : state_(std::make_shared<State>()) {}

bool WatchStream::IsFinal(const WatchEvent& ev) {
  return ev.type == EventType::kPersistentWatchRemoved ||
         (ev.type == EventType::kNone &&
          (ev.state == KeeperState::kExpired || ev.state == KeeperState::kClosed));
}

Watcher WatchStream::Listener() const {
  return [s = state_](const WatchEvent& ev) {
    {
      std::lock_guard<std::mutex> l(s->mu);
      if (s->ended) return;
      s->events.push_back(ev);
      if (IsFinal(ev)) s->ended = true;
    }
    s->cv.notify_all();
  };
}

std::optional<WatchEvent> WatchStream::Next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(state_->mu);
  state_->cv.wait_for(l, timeout, [&] { return !state_->events.empty() || state_->ended; });
  if (state_->events.empty()) return std::nullopt;
  WatchEvent ev = std::move(state_->events.front());
  state_->events.pop_front();
  return ev;
}

bool WatchStream::ended() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->ended;
}

size_t WatchStream::pending() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->events.size();
}

}  // namespace zk::client
