// ServerStats: the counters the four-letter words (srvr, stat, mntr, cons, crst) report,
// updated on the io thread. Plain struct; single-threaded.
#pragma once

#include <cstdint>

namespace zk::server {

struct ServerStats {
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  uint64_t min_latency_ms = 0;
  uint64_t max_latency_ms = 0;
  uint64_t total_latency_ms = 0;
  uint64_t latency_count = 0;
  uint64_t connections_rejected = 0;
  uint64_t frames_rejected = 0;
  uint64_t sessions_expired = 0;

  void RecordLatency(uint64_t ms) {
    if (latency_count == 0 || ms < min_latency_ms) min_latency_ms = ms;
    if (ms > max_latency_ms) max_latency_ms = ms;
    total_latency_ms += ms;
    ++latency_count;
  }
  double avg_latency_ms() const {
    return latency_count ? static_cast<double>(total_latency_ms) / latency_count : 0.0;
  }
};

}  // namespace zk::server
