// EventQueue: watch events and connection-state changes handed from the client's io thread to
// zkcli's main thread, which prints them between (or during) commands and while the user types.
// Push never blocks for long (a mutex and one write(2) to a self-pipe), so it is safe to call
// from client callbacks. Wakeup is the self-pipe that lets the line editor's poll(2) notice
// pushed events and SIGINT; Notify() is async-signal-safe. Both are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "client/zk_client.h"

namespace zk::zkcli {

class Wakeup {
 public:
  Wakeup();
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  void Notify();  // Async-signal-safe.
  void Drain();   // Empties the pipe (non-blocking).
  int read_fd() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

struct QueuedEvent {
  // Either a watch event or (when `state` is set) a connection-state change.
  client::WatchEvent event;
  std::optional<client::ConnectionState> state;
  std::chrono::system_clock::time_point when;
};

class EventQueue {
 public:
  explicit EventQueue(Wakeup* wakeup = nullptr) : wakeup_(wakeup) {}

  void Push(QueuedEvent e);
  std::deque<QueuedEvent> TakeAll();
  // Waits until an event is queued or `timeout` passes; true if events are queued.
  bool WaitFor(std::chrono::milliseconds timeout);
  bool Empty();

 private:
  Wakeup* wakeup_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<QueuedEvent> events_;
};

}  // namespace zk::zkcli
