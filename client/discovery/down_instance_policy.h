// zk::discovery::DownInstancePolicy: skips instances that the caller reports as failing, as
// Curator's ServiceProvider does with its DownInstancePolicy (noteError): an instance reported
// failing error_threshold times within error_window_ms (Curator's defaults: 2 errors, 30 s) is
// "down" for down_ms (30 s) from the error that crossed the threshold, and then comes back with
// a clean slate. The error window starts at the instance's first error; errors older than the
// window start a new count. Errors reported while an instance is down (calls that were already
// under way) do not extend its down time.
//
// Curator keys the statuses on every field of the instance and purges them lazily (at most
// every timeout / 2), so there an instance comes back 30 to 45 s after its first error; here
// instances are keyed on their service name and id (an updated instance keeps its status) and
// the times are exact.
//
// Successes: by default, as in Curator, a success does not forgive earlier errors (a flaky
// instance whose calls alternate between failing and succeeding still goes down).
// With success_clears_errors, a success clears the errors counted so far (it never revives an
// instance already down).
//
// When every instance is down: Pick of the LoadBalancer finds no candidate and answers none, as
// Curator's ServiceProvider.getInstance answers null (its filtered list is empty).
//
// Threads: thread-safe. IsDown is the hot path: one atomic load while no instance has errors,
// otherwise a short mutex and a map lookup.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

#include "client/discovery/provider_strategy.h"

namespace zk::discovery {

struct DownInstancePolicyOptions {
  int error_threshold = 2;  // Curator's DownInstancePolicy default
  int64_t error_window_ms = 30'000;
  int64_t down_ms = 30'000;  // Curator's DownInstancePolicy default timeout
  bool success_clears_errors = false;
};

class DownInstancePolicy {
 public:
  explicit DownInstancePolicy(DownInstancePolicyOptions options = {}, NowMsFn now_ms = {});

  void NoteError(InstanceRef instance);
  void NoteSuccess(InstanceRef instance);
  bool IsDown(InstanceRef instance);
  // The instances with a status (errors counted or down); for tests and metrics.
  size_t Tracked();

  const DownInstancePolicyOptions& options() const { return options_; }

 private:
  struct Status {
    int64_t first_error_ms = 0;
    int errors = 0;
    int64_t down_until_ms = 0;  // 0: not down
  };
  // Drops statuses whose window and down time are over. REQUIRES: mu_ held.
  void PurgeLocked(int64_t now);
  bool Expired(const Status& s, int64_t now) const;

  const DownInstancePolicyOptions options_;
  const NowMsFn now_ms_;
  std::mutex mu_;
  std::map<InstanceKey, Status, InstanceKeyLess> statuses_;  // guarded by mu_
  std::atomic<size_t> tracked_{0};                           // statuses_.size()
};

}  // namespace zk::discovery
