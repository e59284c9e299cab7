// NodeClock: the server node's port to time. The node reads the time only through it, so the
// simulator can run the node on virtual time. MonotonicMs drives session expiry, latencies and
// uptime; WallMs stamps znodes (ctime/mtime) and what operators read as dates.
// Thread-safety: SystemClock is safe from any thread; a node calls its clock on its own thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace zk::server {

class NodeClock {
 public:
  virtual ~NodeClock() = default;
  virtual int64_t MonotonicMs() const = 0;
  virtual int64_t WallMs() const = 0;
};

// The machine's clocks: steady_clock and system_clock.
class SystemClock final : public NodeClock {
 public:
  int64_t MonotonicMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  int64_t WallMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace zk::server
