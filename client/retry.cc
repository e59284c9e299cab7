#include "client/retry.h"

#include <algorithm>
#include <random>

namespace zk::client {

namespace {
// 2^(retry+1) must stay within an int (Curator caps at 29 retries for the same reason).
constexpr int kMaxExponent = 29;
}  // namespace

bool IsRetryable(Err err) {
  switch (err) {
    case Err::kConnectionLoss:
    case Err::kOperationTimeout:
    case Err::kRequestTimeout:
    case Err::kSessionMoved:
    case Err::kThrottledOp:
      return true;
    default:
      return false;
  }
}

ExponentialBackoffRetry::ExponentialBackoffRetry(std::chrono::milliseconds base_sleep,
                                                 int max_retries,
                                                 std::chrono::milliseconds max_sleep)
    : base_(base_sleep), max_retries_(std::clamp(max_retries, 0, kMaxExponent)),
      max_sleep_(max_sleep) {}

bool ExponentialBackoffRetry::AllowRetry(int retry_count, std::chrono::milliseconds,
                                         std::chrono::milliseconds* sleep) const {
  if (retry_count >= max_retries_) return false;
  thread_local std::mt19937 rng{std::random_device{}()};
  const int span = 1 << (std::min(retry_count, kMaxExponent - 1) + 1);
  const int factor = std::max(1, std::uniform_int_distribution<int>(0, span - 1)(rng));
  const auto cap = max_sleep_ / factor;  // base * factor <= max_sleep without overflow
  *sleep = base_ > cap ? max_sleep_ : base_ * factor;
  return true;
}

bool RetryNTimes::AllowRetry(int retry_count, std::chrono::milliseconds,
                             std::chrono::milliseconds* sleep) const {
  if (retry_count >= n_) return false;
  *sleep = sleep_;
  return true;
}

bool RetryUntilElapsed::AllowRetry(int, std::chrono::milliseconds elapsed,
                                   std::chrono::milliseconds* sleep) const {
  if (elapsed + sleep_ >= max_elapsed_) return false;
  *sleep = sleep_;
  return true;
}

}  // namespace zk::client
