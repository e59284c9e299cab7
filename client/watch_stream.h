// zk::client::WatchStream: the events of a persistent watch as a stream that a thread pulls.
//
//   WatchStream stream;
//   zk->AddWatch("/config", AddWatchMode::kPersistentRecursive, stream.Listener());
//   while (auto ev = stream.Next(std::chrono::seconds(1))) { ... }   // nullopt: timeout or end
//
// Listener() returns the Watcher to register (with Client::AddWatch*); the client calls it on its
// io thread and it only appends to the stream's queue, so it never blocks the session. The
// stream ends after a final event: kPersistentWatchRemoved (RemoveWatches), or type kNone with
// state kExpired or kClosed (the session ended). Next() still returns the events queued before
// the end, then nullopt at once.
//
// Thread-safety: all methods are thread-safe. Copies share one queue (a handle); the queue lives
// as long as the last copy or registered listener. Several threads calling Next() each receive
// distinct events.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "client/zk_client.h"

namespace zk::client {

class WatchStream {
 public:
  WatchStream();

  // The watcher to register; every call returns a listener feeding this stream.
  Watcher Listener() const;

  // The next event, waiting up to `timeout`; nullopt on timeout or once the stream ended and
  // every event was taken.
  std::optional<WatchEvent> Next(std::chrono::milliseconds timeout);

  // A final event was received (events may still be queued).
  bool ended() const;
  // Events queued and not yet taken.
  size_t pending() const;

  // Whether `ev` ends a persistent watch's stream.
  static bool IsFinal(const WatchEvent& ev);

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<WatchEvent> events;
    bool ended = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace zk::client
