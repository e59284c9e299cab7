#include "client/bench/latency_histogram.h"

#include <algorithm>
#include <bit>

namespace zk::bench {

int LatencyHistogram::BucketOf(uint64_t ns) {
  ns = std::min<uint64_t>(ns, (uint64_t{1} << kMaxExp) - 1);
  if (ns < kSub) return static_cast<int>(ns);  // Exact below 64 ns.
  const int exp = 63 - std::countl_zero(ns);   // >= kSubBits
  const int shift = exp - kSubBits;
  const int sub = static_cast<int>((ns >> shift) & (kSub - 1));
  return (shift + 1) * kSub + sub;
}

uint64_t LatencyHistogram::LowerBound(int bucket) {
  if (bucket < kSub) return static_cast<uint64_t>(bucket);
  const int shift = bucket / kSub - 1;
  const uint64_t sub = static_cast<uint64_t>(bucket % kSub);
  return (uint64_t{kSub} + sub) << shift;
}

void LatencyHistogram::Record(uint64_t ns) {
  ++buckets_[BucketOf(ns)];
  ++count_;
  sum_ += ns;
  max_ = std::max(max_, ns);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  if (q >= 1.0) return max_;
  const auto rank = static_cast<uint64_t>(q * static_cast<double>(count_));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen > rank) return std::min(LowerBound(i), max_);
  }
  return max_;
}

}  // namespace zk::bench
