// LatencyHistogram: a fixed-size log-linear histogram of durations in nanoseconds (values from
// 1 ns to ~18 minutes, each within 1/64 = 1.6% of its bucket's lower bound), cheap enough to
// record every operation of a benchmark: Record is a few integer instructions, no allocation.
// Histograms of several threads are merged after the run.
//
// Thread-safety: none; one histogram per thread, Merge after joining.
#pragma once

#include <array>
#include <cstdint>

namespace zk::bench {

class LatencyHistogram {
 public:
  void Record(uint64_t ns);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // The smallest recorded bucket bound below which a fraction q (0..1) of the values lie;
  // max() for q == 1, 0 if empty.
  uint64_t Quantile(double q) const;

 private:
  static constexpr int kSubBits = 6;  // 64 linear sub-buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExp = 40;  // 2^40 ns ~ 18 minutes; larger values are clamped
  static constexpr int kBuckets = (kMaxExp - kSubBits + 1) * kSub;

  static int BucketOf(uint64_t ns);
  static uint64_t LowerBound(int bucket);

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace zk::bench
