// Pipelined: runs n requests given as futures, at most a window of them waiting at once (the
// benchmarks' set-up: populating a tree, changing many nodes).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "client/zk_client.h"

namespace zk::bench {

// Runs `op(i)` for i in [0, n), each returning a std::future<client::Result<T>>; at most
// `window` wait at once. Returns the number of results that are neither kOk nor `tolerated`.
template <class Op>
int64_t Pipelined(int64_t n, Op op, Err tolerated = Err::kOk, int64_t window = 1000) {
  int64_t errors = 0;
  for (int64_t i = 0; i < n; i += window) {
    std::vector<decltype(op(0))> inflight;
    for (int64_t j = i; j < std::min(n, i + window); ++j) inflight.push_back(op(j));
    for (auto& f : inflight) {
      auto r = f.get();
      if (!r.ok() && r.err() != tolerated) ++errors;
    }
  }
  return errors;
}

}  // namespace zk::bench
