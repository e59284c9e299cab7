// Retry policies (as Apache Curator names them) and a loop that retries an operation on the
// errors that say "not done, try again".
//
//   ExponentialBackoffRetry policy(std::chrono::milliseconds(100), 5);
//   Result<DataResult> r = CallWithRetry(policy, [&] { return zk->GetData("/config"); });
//
// Retryable codes (IsRetryable): kConnectionLoss, kOperationTimeout, kRequestTimeout,
// kSessionMoved, kThrottledOp. Everything else (kNoNode, kBadVersion, kSessionExpired, ...) is an
// answer and returned at once; an expired Client never recovers, so kSessionExpired is not
// retried (create a new Client). Beware: a create that failed with kConnectionLoss may have been
// applied; retrying it can give kNodeExists, or a second sequential node.
//
// Thread-safety: policies are immutable after construction and may be shared between threads
// (their random jitter comes from a per-thread generator). CallWithRetry blocks the calling
// thread while it sleeps between attempts: never call it on the client's io thread (from a
// callback).
#pragma once

#include <chrono>
#include <thread>
#include <type_traits>

#include "client/result.h"

namespace zk::client {

bool IsRetryable(Err err);

class RetryPolicy {
 public:
  virtual ~RetryPolicy() = default;
  // Whether retry number `retry_count` (0 = the first retry) may run when `elapsed` has passed
  // since the first attempt started; if so, sets *sleep to the time to wait before it.
  virtual bool AllowRetry(int retry_count, std::chrono::milliseconds elapsed,
                          std::chrono::milliseconds* sleep) const = 0;
};

// Up to max_retries retries, sleeping base * random(1 .. 2^(retry+1)) each, at most max_sleep.
class ExponentialBackoffRetry : public RetryPolicy {
 public:
  ExponentialBackoffRetry(std::chrono::milliseconds base_sleep, int max_retries,
                          std::chrono::milliseconds max_sleep = std::chrono::milliseconds::max());
  bool AllowRetry(int retry_count, std::chrono::milliseconds elapsed,
                  std::chrono::milliseconds* sleep) const override;

 private:
  std::chrono::milliseconds base_;
  int max_retries_;
  std::chrono::milliseconds max_sleep_;
};

// Exponential back-off whose sleep is bounded by max_sleep (Curator's
// BoundedExponentialBackoffRetry).
class BoundedExponentialBackoffRetry : public ExponentialBackoffRetry {
 public:
  BoundedExponentialBackoffRetry(std::chrono::milliseconds base_sleep,
                                 std::chrono::milliseconds max_sleep, int max_retries)
      : ExponentialBackoffRetry(base_sleep, max_retries, max_sleep) {}
};

// Exactly n retries, a fixed sleep between attempts.
class RetryNTimes : public RetryPolicy {
 public:
  RetryNTimes(int n, std::chrono::milliseconds sleep_between) : n_(n), sleep_(sleep_between) {}
  bool AllowRetry(int retry_count, std::chrono::milliseconds elapsed,
                  std::chrono::milliseconds* sleep) const override;

 private:
  int n_;
  std::chrono::milliseconds sleep_;
};

// Retries, with a fixed sleep, as long as less than max_elapsed has passed since the first
// attempt (Curator's RetryUntilElapsed); a retry never starts after the deadline.
class RetryUntilElapsed : public RetryPolicy {
 public:
  RetryUntilElapsed(std::chrono::milliseconds max_elapsed, std::chrono::milliseconds sleep_between)
      : max_elapsed_(max_elapsed), sleep_(sleep_between) {}
  bool AllowRetry(int retry_count, std::chrono::milliseconds elapsed,
                  std::chrono::milliseconds* sleep) const override;

 private:
  std::chrono::milliseconds max_elapsed_;
  std::chrono::milliseconds sleep_;
};

// Calls `attempt()` (which returns a Result<T>) until it succeeds, fails with a code that is not
// retryable, or the policy gives up; returns the last result.
template <class Attempt>
auto CallWithRetry(const RetryPolicy& policy, Attempt&& attempt) -> std::invoke_result_t<Attempt&> {
  const auto start = std::chrono::steady_clock::now();
  for (int retry = 0;; ++retry) {
    auto r = attempt();
    if (r.ok() || !IsRetryable(r.err())) return r;
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::chrono::milliseconds sleep{0};
    if (!policy.AllowRetry(retry, elapsed, &sleep)) return r;
    if (sleep.count() > 0) std::this_thread::sleep_for(sleep);
  }
}

}  // namespace zk::client
