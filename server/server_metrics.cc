// ServerNode's figures: Metrics() gathers one MetricsSnapshot on the io thread (what mntr
// prints and /metrics exports), and the bookkeeping of the times it reports (elections,
// snapshots).
#include <spdlog/spdlog.h>

#include <memory>

#include "server/allocator.h"
#include "server/process_figures.h"
#include "server/server_node.h"

namespace zk::server {
MetricsSnapshot ServerNode::Metrics() const {
  MetricsSnapshot m;
  m.server_state = ModeString();
  if (m.server_state == "leader") m.peer_state = "leading - broadcast";
  if (m.server_state == "follower") m.peer_state = "following - broadcast";
  if (m.server_state == "observer") m.peer_state = "observing - broadcast";
  m.distributed = config_.IsDistributed();
  m.uptime_ms = UptimeMs();

  if (tree_) {
    m.znode_count = ReportedNodeCount();
    for (const auto& [session, paths] : tree_->AllEphemerals()) {
      m.ephemerals_count += static_cast<int64_t>(paths.size());
    }
    m.approximate_data_size = tree_->approximate_data_size();
    m.last_zxid = tree_->last_zxid();
    m.digest = static_cast<int64_t>(tree_->digest());
  }
  m.watch_count = static_cast<int64_t>(watches_.watch_count());
  for (const auto& [id, st] : conns_) {
    m.outstanding_requests += static_cast<int64_t>(st.queue.size());
    for (const Pending& p : st.queue) {
      if (p.zxid == kAwaitingLeader && p.type != OpCode::kSync) ++m.forwarded_writes_pending;
    }
  }
  m.num_alive_connections = static_cast<int64_t>(conns_.size());
  m.global_sessions = sessions_ ? static_cast<int64_t>(sessions_->size()) : 0;

  m.packets_received = stats_.packets_received;
  m.packets_sent = stats_.packets_sent;
  m.avg_latency_ms = stats_.avg_latency_ms();
  m.min_latency_ms = static_cast<int64_t>(stats_.min_latency_ms);
  m.max_latency_ms = static_cast<int64_t>(stats_.max_latency_ms);
  m.read_latency_us = stats_.read_latency_us;
  m.update_latency_us = stats_.update_latency_us;
  m.connection_rejected = stats_.connections_rejected;
  m.sessionless_connections_expired = stats_.sessionless_connections_expired;
  m.stale_sessions_expired = stats_.sessions_expired;
  m.frames_rejected = stats_.frames_rejected;

  if (m.distributed) {
    for (const auto& [id, address] : config_.servers) {
      if (!address.observer) ++m.quorum_size;
    }
  }
  m.proposal_count = stats_.proposals;
  m.looking_count = stats_.looking_count;
  m.election_time_ms = stats_.election_time_ms;
  m.digest_mismatches_count = digest_audit_.mismatches();
  if (m.server_state == "leader" && replication_) {
    // As ZooKeeper: learners connected, voters in sync, learners still being synchronized.
    m.leader = true;
    for (const zab::LearnerStatus& l : replication_->peer().Learners()) {
      ++m.learners;
      if (l.synced && !l.observer) ++m.synced_followers;
      if (l.synced && l.observer) ++m.synced_observers;
      if (!l.synced) ++m.pending_syncs;
    }
  }

  if (replication_) {
    const zab::GroupCommitLog::Stats disk = replication_->LogStats();
    m.fsync_us = disk.sync_micros;
    m.group_commit_batch = disk.batch_entries;
    m.fsync_threshold_exceed_count = disk.slow_syncs;
    m.fsync_time_total_ms = disk.total_sync_micros / 1000;
  }
  m.snapshot_time_ms = stats_.snapshot_time_ms;
  if (storage_) {
    const StorageSizes sizes = storage_->Sizes();
    m.log_dir_bytes = sizes.log;
    m.snapshot_dir_bytes = sizes.snapshots;
  }

  m.open_file_descriptor_count = OpenFileDescriptors();
  m.max_file_descriptor_count = MaxFileDescriptors();
  m.rss_bytes = ResidentBytes();
  const AllocatorFigures heap = CurrentAllocatorFigures();
  m.heap_allocated_bytes = static_cast<int64_t>(heap.allocated_bytes);
  m.heap_free_bytes = static_cast<int64_t>(heap.free_bytes);
  m.log_memory_bytes = log_store_ ? log_store_->MemoryBytes() : 0;
  return m;
}

void ServerNode::TrackElection() {
  if (!config_.IsDistributed() || !replication_) return;
  const bool looking = replication_->peer().state() == zab::PeerState::kLooking;
  if (looking && looking_since_ms_ < 0) {
    looking_since_ms_ = NowMs();
    ++stats_.looking_count;
  } else if (!looking && looking_since_ms_ >= 0) {
    stats_.election_time_ms.Record(static_cast<uint64_t>(NowMs() - looking_since_ms_));
    looking_since_ms_ = -1;
  }
}

}  // namespace zk::server
