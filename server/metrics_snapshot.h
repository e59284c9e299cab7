// MetricsSnapshot: every figure one server reports, taken at one moment on the io thread
// (ServerNode::Metrics). It is the single source of both `mntr` (MntrText renders it) and
// the Prometheus endpoint (metrics_exporter.h turns it into metric families), so the two never
// disagree. Latencies and times are ZooKeeper's units (milliseconds) unless a name says
// otherwise; histograms keep microseconds where the hot path records them.
//
// A plain value (a few KB, mostly histograms): copy it to any thread.
#pragma once

#include <cstdint>
#include <string>

#include "zab/log_linear_histogram.h"

namespace zk::server {

struct MetricsSnapshot {
  std::string server_state;  // standalone, leader, follower, observer, read-only, looking
  std::string peer_state;    // "leading - broadcast" ...; empty when standalone
  bool distributed = false;  // a member of an ensemble
  int64_t uptime_ms = 0;

  // The tree and its clients.
  int64_t znode_count = 0;  // as ZooKeeper counts: znodes + 1
  int64_t watch_count = 0;
  int64_t ephemerals_count = 0;
  int64_t approximate_data_size = 0;
  int64_t outstanding_requests = 0;
  int64_t num_alive_connections = 0;
  int64_t global_sessions = 0;
  int64_t local_sessions = 0;  // zabkeeper has no local sessions: always 0
  int64_t last_zxid = 0;
  int64_t digest = 0;

  // Requests.
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  double avg_latency_ms = 0;
  int64_t min_latency_ms = 0;
  int64_t max_latency_ms = 0;
  zab::LogLinearHistogram read_latency_us;
  zab::LogLinearHistogram update_latency_us;
  uint64_t connection_rejected = 0;
  uint64_t sessionless_connections_expired = 0;
  uint64_t stale_sessions_expired = 0;
  uint64_t frames_rejected = 0;
  // Writes of this follower's clients sent to the leader and not yet answered.
  int64_t forwarded_writes_pending = 0;

  // Replication.
  int64_t quorum_size = 0;  // voting members (ensemble only)
  uint64_t proposal_count = 0;
  uint64_t looking_count = 0;
  zab::LogLinearHistogram election_time_ms;
  uint64_t digest_mismatches_count = 0;
  bool leader = false;  // the learner figures below are set on the leader only
  int64_t learners = 0;
  int64_t synced_followers = 0;
  int64_t synced_observers = 0;
  int64_t pending_syncs = 0;

  // Storage.
  zab::LogLinearHistogram fsync_us;            // one per group commit
  zab::LogLinearHistogram group_commit_batch;  // txns per group commit
  uint64_t fsync_threshold_exceed_count = 0;   // group commits slower than 1 s
  uint64_t fsync_time_total_ms = 0;
  zab::LogLinearHistogram snapshot_time_ms;
  int64_t log_dir_bytes = 0;       // the txn log (LevelDB) directory
  int64_t snapshot_dir_bytes = 0;  // the snapshot directory

  // Process.
  int64_t open_file_descriptor_count = 0;
  int64_t max_file_descriptor_count = 0;
  int64_t rss_bytes = 0;
  // The allocator's bytes in use by the program and held free (allocator.h): the heap a live-heap
  // figure of a JVM compares with.
  int64_t heap_allocated_bytes = 0;
  int64_t heap_free_bytes = 0;
  // What the log store holds in memory (zab::LogStore::MemoryBytes), part of the heap above.
  int64_t log_memory_bytes = 0;
};

}  // namespace zk::server
