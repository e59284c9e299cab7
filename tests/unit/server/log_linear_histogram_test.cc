// LogLinearHistogram: bucket geometry, exact figures, and quantiles within one bucket's error.
#include "zab/log_linear_histogram.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace zk::zab {
namespace {

// The exact q-quantile of sorted values, as LogLinearHistogram::Quantile defines the rank.
uint64_t ExactQuantile(const std::vector<uint64_t>& sorted, double q) {
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * sorted.size())));
  return sorted[rank - 1];
}

TEST_CASE("an empty histogram reports zeros") {
  LogLinearHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.sum() == 0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.average() == 0.0);
  CHECK(h.Quantile(0.5) == 0);
  CHECK(h.Quantile(0.99) == 0);
}

TEST_CASE("values below 16 have a bucket each and come back exactly") {
  LogLinearHistogram h;
  for (uint64_t v = 0; v < 16; ++v) {
    CHECK(LogLinearHistogram::BucketOf(v) == v);
    h.Record(v);
  }
  CHECK(h.count() == 16);
  CHECK(h.sum() == 120);
  CHECK(h.min() == 0);
  CHECK(h.max() == 15);
  CHECK(h.Quantile(0.5) == 7);  // the 8th smallest of 0..15
  CHECK(h.Quantile(1.0) == 15);
  CHECK(h.Quantile(0.0) == 0);
}

TEST_CASE("each bucket holds exactly the values between its bounds, at most 1/8 wide") {
  for (size_t b = 0; b + 1 < LogLinearHistogram::kBucketCount; ++b) {
    const uint64_t lo = LogLinearHistogram::LowerBound(b);
    const uint64_t hi = LogLinearHistogram::UpperBound(b);
    CAPTURE(b);
    REQUIRE(lo <= hi);
    CHECK(LogLinearHistogram::BucketOf(lo) == b);
    CHECK(LogLinearHistogram::BucketOf(hi) == b);
    CHECK(LogLinearHistogram::LowerBound(b + 1) == hi + 1);  // no gaps, no overlaps
    if (lo >= 16) CHECK(hi - lo + 1 <= lo / 8);
  }
  const size_t last = LogLinearHistogram::kBucketCount - 1;
  CHECK(LogLinearHistogram::BucketOf(uint64_t{1} << 40) == last);
  CHECK(LogLinearHistogram::BucketOf(UINT64_MAX) == last);
}

TEST_CASE("quantiles are within one bucket of the exact ones") {
  std::mt19937_64 rng(42);
  // Latency-like: mostly tens to hundreds of microseconds with a long tail.
  std::lognormal_distribution<double> dist(5.0, 1.5);
  std::vector<uint64_t> values;
  LogLinearHistogram h;
  for (int i = 0; i < 20000; ++i) {
    const auto v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    CAPTURE(q);
    const uint64_t exact = ExactQuantile(values, q);
    const uint64_t got = h.Quantile(q);
    // Reported as the upper end of the exact value's bucket (never below the value, at most
    // 12.5 % above it).
    CHECK(got >= exact);
    CHECK(got <= LogLinearHistogram::UpperBound(LogLinearHistogram::BucketOf(exact)));
    CHECK(static_cast<double>(got) <= static_cast<double>(exact) * 1.125 + 1);
  }
  CHECK(h.count() == values.size());
  CHECK(h.min() == values.front());
  CHECK(h.max() == values.back());
}

TEST_CASE("quantiles never leave [min, max]") {
  LogLinearHistogram h;
  h.Record(1000);  // bucket [960, 1023]
  CHECK(h.Quantile(0.5) == 1000);
  h.Record(1001);
  CHECK(h.Quantile(0.99) == 1001);
  CHECK(h.Quantile(0.01) == 1001);  // same bucket: its upper end, clamped to the max
  h.Record(uint64_t{1} << 50);
  CHECK(h.Quantile(1.0) == uint64_t{1} << 50);
  CHECK(h.max() == uint64_t{1} << 50);
}

}  // namespace
}  // namespace zk::zab
