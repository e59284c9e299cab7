// Scheduler: one background thread that runs short callbacks at given times, for the recipes'
// timers (for example "the connection has been suspended for longer than the lock may be
// trusted"). The client's io thread is never used for waiting. Process-wide and lazily started;
// callbacks run one at a time on the scheduler's thread and must not block.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace zk::recipes {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;

  // The process-wide instance (its thread starts on first use and stops at exit).
  static Scheduler& Instance();

  // Runs `fn` at `at` (at once if past). Returns an id for Cancel.
  uint64_t At(Clock::time_point at, std::function<void()> fn);
  // Cancels a pending callback; returns false if it already ran (or is running) or the id is
  // unknown. When it returns false from a thread other than the scheduler's, the callback is
  // not running any more.
  bool Cancel(uint64_t id);

  Scheduler();
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::mutex running_mu_;  // held while a callback runs
  bool stop_ = false;
  uint64_t next_id_ = 1;
  // (time, id) -> callback
  std::map<std::pair<Clock::time_point, uint64_t>, std::function<void()>> queue_;
  std::thread thread_;
};

}  // namespace zk::recipes
