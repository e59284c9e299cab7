// EventWaiter: how a recipe's blocking call waits for a watch instead of polling. Watchers made
// by MakeWatcher(), connection state changes of the client, Wake() and Cancel() all bump a
// generation; the waiting thread notes the generation before it reads the znodes (and sets its
// watch), then waits for it to move. A watch that fires between the read and the wait is
// therefore never missed. Watchers hold the waiter weakly: firing after it is gone is harmless.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "client/zk_client.h"

namespace zk::recipes {

class EventWaiter {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Outcome { kWoken, kCancelled, kTimedOut };

  // Wakes on every connection state change of `client` (REQUIRES: it outlives the waiter).
  explicit EventWaiter(client::Client& client);
  ~EventWaiter();
  EventWaiter(const EventWaiter&) = delete;
  EventWaiter& operator=(const EventWaiter&) = delete;

  // The generation to pass to Wait; read it before the reads whose watches are to wake you.
  uint64_t generation() const;
  // A one-shot watcher that wakes the waiter.
  client::Watcher MakeWatcher() const;
  // Blocks until the generation moved past `seen`, Cancel() was called, or `deadline` passed.
  Outcome Wait(uint64_t seen, std::optional<Clock::time_point> deadline);
  void Wake();
  // Wakes every Wait with kCancelled until Reset().
  void Cancel();
  bool cancelled() const;
  void Reset();

 private:
  struct Core {
    mutable std::mutex mu;
    std::condition_variable cv;
    uint64_t generation = 0;
    bool cancelled = false;
    void Bump() {
      std::lock_guard<std::mutex> l(mu);
      ++generation;
      cv.notify_all();
    }
  };
  client::Client& client_;
  std::shared_ptr<Core> core_;
  uint64_t listener_id_ = 0;
};

// Waits while the znode at `path` exists, on an exists watch: true once it does not; false when
// `deadline` passes or the waiter is cancelled. Connection losses are waited out; other errors
// (the session ended, kNoAuth) are returned. Blocks (never from a client callback).
client::Result<bool> WaitWhileExists(client::Client& client, EventWaiter& waiter,
                                     const std::string& path,
                                     std::optional<EventWaiter::Clock::time_point> deadline);

}  // namespace zk::recipes
