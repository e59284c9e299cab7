// zk::discovery::CallStats: per-instance call counters that the least-active and
// shortest-response strategies read (Dubbo's RpcStatus): calls in flight ("active"), calls
// succeeded with their total elapsed time, calls failed, and a sliding window over the
// successes (the counts since the window was last reset; ShortestResponseStrategy resets it
// every slide period, as Dubbo's ShortestResponseLoadBalance does).
//
// Callers report each call's start and end (LoadBalancer's Call object does it for them).
// Instances are keyed by name and id; counters of an instance with no call in flight that no
// pick has looked at for a minute are forgotten (instances come and go).
//
// Threads: thread-safe. The counters are atomics; the map from instance to counters is under a
// mutex held only for the lookup.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "client/discovery/provider_strategy.h"

namespace zk::discovery {

class CallStats {
 public:
  struct Counters {
    std::atomic<int32_t> active{0};
    std::atomic<int64_t> succeeded{0};
    std::atomic<int64_t> succeeded_elapsed_ms{0};
    std::atomic<int64_t> failed{0};
    // The window: the counts at its last reset.
    std::atomic<int64_t> window_succeeded_base{0};
    std::atomic<int64_t> window_elapsed_base{0};
    std::atomic<int64_t> last_seen_ms{0};

    // Average elapsed time of the successes in the window (0 when none, as Dubbo).
    int64_t WindowAverageElapsedMs() const;
  };

  explicit CallStats(NowMsFn now_ms = {});

  // The counters of an instance, created at first use. The pointer stays valid after the
  // instance is forgotten (it is then simply no longer shared).
  std::shared_ptr<Counters> Of(InstanceRef instance);

  void CallStarted(InstanceRef instance);
  // `elapsed_ms` counts only for a success.
  void CallEnded(InstanceRef instance, int64_t elapsed_ms, bool succeeded);

  // Starts a new window for every instance.
  void ResetWindows();
  int64_t NowMs() const { return now_ms_(); }

 private:
  const NowMsFn now_ms_;
  std::mutex mu_;
  std::map<InstanceKey, std::shared_ptr<Counters>, InstanceKeyLess> counters_;  // guarded by mu_
  int64_t last_purge_ms_ = 0;                                                   // guarded by mu_
};

}  // namespace zk::discovery
