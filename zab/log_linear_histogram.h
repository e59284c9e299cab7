// LogLinearHistogram: a fixed-bucket histogram of non-negative integers (durations in
// microseconds, batch sizes), cheap enough for the request path: Record() is a bit_width, a shift
// and three additions, no allocation, no lock, no atomic.
//
// Buckets are log-linear: each value below 16 has its own bucket; above, every power of two
// [2^e, 2^(e+1)) is split into 8 equal buckets, so a bucket is at most 1/8 of its lower bound
// wide and a quantile read back is within 12.5 % of the true value (exact below 16). Values of
// 2^40 and more share the last bucket. Min, max, count and sum are kept exactly.
//
// Thread-safety: none. One thread records; readers on other threads get a copy made on the
// recording thread (the type is a plain value, about 2.5 KB).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace zk::zab {

class LogLinearHistogram {
 public:
  static constexpr int kSubBucketBits = 3;                        // 8 buckets per power of two
  static constexpr uint64_t kLinearLimit = 2u << kSubBucketBits;  // values below: exact
  static constexpr int kFirstExponent = kSubBucketBits + 1;       // log2(kLinearLimit)
  static constexpr int kLastExponent = 40;                        // 2^40 and above: last bucket
  static constexpr size_t kBucketCount =
      kLinearLimit + (kLastExponent - kFirstExponent) * (size_t{1} << kSubBucketBits);

  void Record(uint64_t value) {
    ++buckets_[BucketOf(value)];
    if (count_ == 0 || value < min_) min_ = value;
    if (value > max_) max_ = value;
    ++count_;
    sum_ += value;
  }

  uint64_t count() const { return count_; }
  uint64_t sum() const { return sum_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double average() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

  // The value below which a fraction q (0..1) of the recorded values lie: the upper end of the
  // bucket holding the ceil(q * count)-th smallest value, clamped to [min, max]. 0 when empty.
  uint64_t Quantile(double q) const {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * count_)));
    uint64_t seen = 0;
    for (size_t b = 0; b < kBucketCount; ++b) {
      seen += buckets_[b];
      if (seen >= rank) return std::clamp(UpperBound(b), min(), max_);
    }
    return max_;
  }

  static size_t BucketOf(uint64_t value) {
    if (value < kLinearLimit) return static_cast<size_t>(value);
    const int exponent = std::bit_width(value) - 1;
    if (exponent >= kLastExponent) return kBucketCount - 1;
    const uint64_t sub = (value >> (exponent - kSubBucketBits)) & ((1u << kSubBucketBits) - 1);
    return kLinearLimit + static_cast<size_t>(exponent - kFirstExponent) * (1u << kSubBucketBits) +
           sub;
  }
  // The smallest and the largest value bucket b holds (the last bucket has no upper end).
  static uint64_t LowerBound(size_t b) {
    if (b < kLinearLimit) return b;
    const size_t i = b - kLinearLimit;
    const int exponent = kFirstExponent + static_cast<int>(i >> kSubBucketBits);
    const uint64_t sub = i & ((1u << kSubBucketBits) - 1);
    return ((uint64_t{1} << kSubBucketBits) + sub) << (exponent - kSubBucketBits);
  }
  static uint64_t UpperBound(size_t b) {
    if (b < kLinearLimit) return b;
    if (b == kBucketCount - 1) return UINT64_MAX;
    return LowerBound(b + 1) - 1;
  }

 private:
  std::array<uint64_t, kBucketCount> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = 0;
  uint64_t max_ = 0;
};

}  // namespace zk::zab
