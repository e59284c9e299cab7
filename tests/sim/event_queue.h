// EventQueue: simulated time and the events scheduled in it. Time is counted in units
// (kUnitsPerTick units make one Peer tick). Events run in (time, scheduling order): two events
// at the same time run in the order they were scheduled, so the queue adds no nondeterminism.
//
// Thread-safety: none. Ownership: owns the scheduled closures.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace zk::sim {

inline constexpr int64_t kUnitsPerTick = 10;

class EventQueue {
 public:
  int64_t now() const { return now_; }

  // Runs `fn` at now() + delay. REQUIRES: delay >= 0.
  void After(int64_t delay, std::function<void()> fn) {
    heap_.push(Event{now_ + delay, next_order_++, std::move(fn)});
  }

  // Runs every event due at or before `until` (also those they schedule), then sets now() to
  // `until`.
  void RunUntil(int64_t until) {
    while (!heap_.empty() && heap_.top().time <= until) {
      Event e = heap_.top();
      heap_.pop();
      now_ = e.time;
      e.fn();
    }
    now_ = until;
  }

  // Drops every scheduled event (end of a run).
  void Clear() { heap_ = {}; }

 private:
  struct Event {
    int64_t time;
    uint64_t order;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.order > b.order;
    }
  };

  int64_t now_ = 0;
  uint64_t next_order_ = 0;
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
};

}  // namespace zk::sim
