// ServerStats: the counters and histograms the four-letter words (srvr, stat, mntr, cons, crst)
// and the Prometheus exporter report, updated on the io thread. Everything here is a plain
// integer or a LogLinearHistogram: the request path pays a few additions per request, never a
// lock or an allocation. Plain struct; single-threaded (others read a copy made on the io
// thread, see MetricsSnapshot).
#pragma once

#include <cstdint>

#include "zab/log_linear_histogram.h"

namespace zk::server {

struct ServerStats {
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  uint64_t min_latency_ms = 0;
  uint64_t max_latency_ms = 0;
  uint64_t total_latency_ms = 0;
  uint64_t latency_count = 0;
  uint64_t connections_rejected = 0;
  uint64_t sessionless_connections_expired = 0;  // closed with no session after 10 s
  uint64_t frames_rejected = 0;
  uint64_t sessions_expired = 0;
  // Request latencies (arrival to reply) in microseconds: reads and other non-txn requests
  // (ZooKeeper's readlatency), and writes (updatelatency).
  zab::LogLinearHistogram read_latency_us;
  zab::LogLinearHistogram update_latency_us;
  uint64_t proposals = 0;                    // txns this server proposed as leader
  uint64_t looking_count = 0;                // times this member started looking for a leader
  zab::LogLinearHistogram election_time_ms;  // looking -> a leader found (ensemble only)
  zab::LogLinearHistogram snapshot_time_ms;  // snapshot start -> its child seen finished

  // One answered request that took `micros`; `write` for txn requests (create, setData, ...).
  void RecordRequest(bool write, uint64_t micros) {
    RecordLatency(micros / 1000);
    (write ? update_latency_us : read_latency_us).Record(micros);
  }
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
