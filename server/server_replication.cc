// ServerNode: its place in the ensemble. ZAB runs behind the NodeReplication port; this file is the state
// machine side (committed txns applied to the tree, snapshots for learners, state installed from
// the leader or rebuilt after a truncation), the application messages between a follower and its
// leader (forwarded writes and session creation, syncs, session activity), and what the server
// does when it gains or loses a leader: it serves clients only while ZAB says it may.
#include <algorithm>
#include <tuple>
#include <spdlog/spdlog.h>


#include "zab/config_txn.h"
#include "zab/zxid.h"
#include "server/request_decoding.h"
#include "server/server_node.h"

namespace zk::server {

zab::Status ServerNode::StartReplication(const ReplicationFactory& make_replication) {
  zab::PeerConfig pc;
  if (config_.IsDistributed()) {
    pc.id = config_.server_id;
    for (const auto& [id, a] : config_.servers) {
      (a.observer ? pc.observers : pc.voters).push_back(id);
    }
  } else {
    pc.id = 1;
    pc.voters = {1};
  }
  // ZooKeeper's limits are in ticks of tickTime; the replication ticks every kReplicationTickMs.
  const int64_t per_tick = std::max<int64_t>(1, config_.tick_time_ms / kReplicationTickMs);
  pc.init_limit_ticks = config_.init_limit * per_tick;
  pc.sync_limit_ticks = config_.sync_limit * per_tick;
  pc.ping_ticks = std::max<int64_t>(1, per_tick / 2);
  pc.election_retry_ticks = 5;
  pc.election_retry_max_ticks = 200;
  pc.finalize_wait_ticks = 20;
  pc.TEST_max_zxid_counter = config_.test_max_zxid_counter;
  if (std::string err = pc.Validate(); !err.empty()) {
    return zab::Status::InvalidArgument("ensemble configuration: " + err);
  }
  zab::DurableState durable;
  if (zab::Status s = zab::ReadEpochs(log_store_, &durable.accepted_epoch,
                                      &durable.current_epoch);
      !s.ok()) {
    return s;
  }
  durable.last_zxid = tree_->last_zxid();
  if (zab::Status s = zab::ReadCommittedConfig(log_store_, &durable.committed_config); !s.ok()) {
    return s;
  }
  durable.seen_configs = recovered_configs_;
  // Data written before epochs were recorded: its zxids carry the epoch.
  const int64_t data_epoch = zab::ZxidEpoch(durable.last_zxid);
  durable.accepted_epoch = std::max(durable.accepted_epoch, data_epoch);
  durable.current_epoch = std::max(durable.current_epoch, data_epoch);

  ReplicationSetup setup;
  setup.peer = pc;
  setup.durable = durable;
  setup.log = log_store_;
  setup.machine = this;
  setup.seed = seed_;
  // A learner's log range is streamed; what is queued for it stays within half the limit of a
  // peer connection's queue.
  const size_t peer_queue_limit = static_cast<size_t>(config_.test_peer_max_queued_bytes);
  setup.replica.stream_high_water_bytes =
      std::min(zab::kLogStreamHighWaterBytes, peer_queue_limit / 8);
  setup.replica.stream_max_held_bytes = peer_queue_limit / 4;
  auto built = make_replication(std::move(setup));
  if (!built.ok()) return built.status();
  replication_ = std::move(built.value());
  TrackElection();  // a member starts out looking for a leader
  if (zab::Status s = replication_->Start(); !s.ok()) return s;
  UpdateReadOnlyMode();  // a member starts looking for a leader
  NoteMembership();
  return zab::Status::OK();
}

void ServerNode::ApplyCommitted(const zab::LogEntry& entry) {
  if (!sync_points_.empty()) ReleaseSyncs(entry.zxid, /*inclusive=*/false);
  while (!in_flight_.empty() && in_flight_.front().txn.zxid < entry.zxid) in_flight_.pop_front();
  if (!in_flight_.empty() && in_flight_.front().txn.zxid == entry.zxid) {
    Txn txn = std::move(in_flight_.front().txn);
    in_flight_.pop_front();
    ApplyOne(txn);
  } else {
    Txn txn;
    if (!DecodeTxn(zab::SplitConfigTxn(entry.data), &txn) || txn.zxid != entry.zxid) {
      Failed(zab::Status::Corruption(fmt::format("undecodable committed txn 0x{:x}", entry.zxid)));
      return;
    }
    ApplyOne(txn);
  }
  // A committed membership change is in force from its txn on (zab activated it on commit).
  if (zab::IsConfigTxn(entry.data)) NoteMembership();
  if (!sync_points_.empty()) ReleaseSyncs(entry.zxid, /*inclusive=*/true);
}

bool ServerNode::StoredSnapshotFile(int64_t zxid, int64_t* snapshot_zxid,
                                         std::string* path) {
  // The newest complete snapshot file at or below zxid: no serialization, no stall; the log
  // after it (kept by the purge rule) brings the learner the rest.
  *snapshot_zxid = 0;
  path->clear();
  for (int64_t z : storage_->SnapshotZxids()) {
    if (z <= zxid) *snapshot_zxid = z;
  }
  if (*snapshot_zxid == 0) {
    // Nothing stored: the initial state, if the log still starts at the first txn.
    const int64_t first = log_store_->FirstZxid();
    return first <= 1 || zab::ZxidCounter(first) == 1;
  }
  *path = storage_->SnapshotLocation(*snapshot_zxid);
  return true;
}

void ServerNode::LoadState(zab::StateLoad load) {
  struct Job {
    zab::StateLoad load;
    StoredState state;
    zab::Status status;
  };
  auto job = std::make_shared<Job>();
  job->load = std::move(load);
  replication_->RunInBackground(
      [this, job] {
        // Off the io thread: the snapshot file is written and read, the log is read.
        const zab::StateLoad& l = job->load;
        if (l.kind == zab::StateLoad::Kind::kInstall) {
          if (!l.data.empty()) {
            job->status = storage_->StoreSnapshot(l.zxid, l.data);
            if (!job->status.ok()) return;
          } else if (l.zxid != 0) {
            job->status = zab::Status::Corruption("an empty snapshot above zxid 0");
            return;
          }
          // Other snapshots belong to a history the leader replaced.
          for (int64_t z : storage_->SnapshotZxids()) {
            if (z != l.zxid || l.data.empty()) storage_->RemoveSnapshot(z);
          }
          job->status = ReadState(INT64_MAX, /*may_cut_log=*/false, &job->state);
          if (job->status.ok() &&
              (job->state.snapshot_zxid != l.zxid || job->state.tree->last_zxid() != l.zxid)) {
            job->status = zab::Status::Corruption(fmt::format(
                "the snapshot of zxid 0x{:x} from the leader did not load", l.zxid));
          }
        } else {
          // Snapshots above the truncation point hold txns that are gone.
          for (int64_t z : storage_->SnapshotZxids()) {
            if (z > l.zxid) storage_->RemoveSnapshot(z);
          }
          job->status = ReadState(l.zxid, /*may_cut_log=*/false, &job->state);
        }
      },
      [this, job] {
        if (!job->status.ok()) {
          replication_->StateLoaded(job->status);
          return;
        }
        // The old tree is freed off the io thread too (a million znodes take a while).
        std::shared_ptr<DataTree> old(std::move(tree_));
        AdoptState(std::move(job->state));
        replication_->RunInBackground([old = std::move(old)]() mutable { old.reset(); }, [] {});
        in_flight_.clear();
        NoteMembership();  // the loaded tree may hold another text (or none: the initial state)
        if (job->load.kind == zab::StateLoad::Kind::kInstall) {
          txns_since_snapshot_ = 0;
          spdlog::info("installed the leader's snapshot of zxid 0x{:x}: {} znodes, {} sessions",
                       job->load.zxid, tree_->node_count(), sessions_->size());
        } else {
          spdlog::info("truncated to zxid 0x{:x}: rebuilt {} znodes from snapshot 0x{:x} + {} txns",
                       job->load.zxid, tree_->node_count(), job->state.snapshot_zxid,
                       job->state.replayed);
        }
        replication_->StateLoaded(zab::Status::OK());
      });
}

void ServerNode::Deliver(zab::ServerId from, std::string data) {
  AppMessage msg;
  if (!DecodeAppMessage(data, &msg)) {
    spdlog::warn("ignoring a malformed application message from server {}", from);
    return;
  }
  OnAppMessage(from, std::move(msg));
}

void ServerNode::OnAppMessage(zab::ServerId from, AppMessage msg) {
  if (auto* w = std::get_if<ForwardedWrite>(&msg)) {
    if (!leading()) return;
    WriteRequest req;
    const auto type = static_cast<OpCode>(w->type);
    if (!IsWriteOp(type) || !DecodeWriteRequest(type, w->body, MaxFieldBytes(), &req)) {
      spdlog::warn("server {} forwarded a malformed request (op {})", from, w->type);
      return;
    }
    if (type == OpCode::kCloseSession) sessions_->SetClosing(w->session_id);
    SubmitWrite(std::move(req), w->session_id, w->cxid, w->who);
  } else if (auto* c = std::get_if<ForwardedCreateSession>(&msg)) {
    if (!leading()) return;
    ProposeSession(c->session_id, c->timeout_ms);
  } else if (auto* t = std::get_if<TreeDigest>(&msg)) {
    if (leading() || from != replication_->peer().leader()) return;
    if (auto mismatch = digest_audit_.Sample(t->zxid, t->digest)) OnDigestMismatch(*mismatch);
  } else if (auto* s = std::get_if<SyncRequest>(&msg)) {
    if (!leading()) return;
    // The follower answers once it has applied what this leader proposed so far; the commits
    // that bring it there follow this message on the same connection.
    replication_->SendApp(
        from, EncodeAppMessage(SyncDone{s->session_id, s->xid, replication_->NextZxid() - 1}));
  } else if (auto* d = std::get_if<SyncDone>(&msg)) {
    auto it = conn_of_session_.find(d->session_id);
    ConnState* st = it == conn_of_session_.end() ? nullptr : StateOf(it->second);
    if (!st) return;
    for (Pending& p : st->queue) {
      if (p.type == OpCode::kSync && p.zxid == kAwaitingLeader && p.xid == d->xid) {
        // Now answered like a read, in order, from the state the leader vouched for, once
        // this server has applied it.
        p.zxid = 0;
        if (d->zxid > tree_->last_zxid()) {
          p.held = true;
          sync_points_.push_back({d->zxid, d->session_id, d->xid});
        }
        break;
      }
    }
    Drain(*st);
  } else if (auto* a = std::get_if<SessionActivity>(&msg)) {
    if (!leading()) return;
    const int64_t now = NowMs();
    for (int64_t id : a->session_ids) sessions_->Touch(id, now);
  }
}

void ServerNode::ReleaseSyncs(int64_t zxid, bool inclusive) {
  std::vector<SyncPoint> ready;
  std::erase_if(sync_points_, [&](const SyncPoint& s) {
    if (inclusive ? s.zxid > zxid : s.zxid >= zxid) return false;
    ready.push_back(s);
    return true;
  });
  std::sort(ready.begin(), ready.end(), [](const SyncPoint& a, const SyncPoint& b) {
    return std::tie(a.session_id, a.xid) < std::tie(b.session_id, b.xid);
  });
  for (const SyncPoint& s : ready) {
    auto it = conn_of_session_.find(s.session_id);
    ConnState* st = it == conn_of_session_.end() ? nullptr : StateOf(it->second);
    if (!st) continue;
    for (Pending& p : st->queue) {
      if (p.type == OpCode::kSync && p.held && p.xid == s.xid) p.held = false;
    }
    Drain(*st);
  }
}

void ServerNode::ReportActivity() {
  if (active_sessions_.empty()) return;
  SessionActivity a;
  a.session_ids.assign(active_sessions_.begin(), active_sessions_.end());
  std::sort(a.session_ids.begin(), a.session_ids.end());
  active_sessions_.clear();
  replication_->SendApp(replication_->peer().leader(), EncodeAppMessage(a));
}

void ServerNode::CloseAllConnections(const char* why) {
  const std::vector<std::shared_ptr<ClientLink>> doomed =
      LinksWhere([](const ConnState& st) { return st.session_id != 0 || st.handshake_pending; });
  if (!doomed.empty()) spdlog::info("closing {} client connections: {}", doomed.size(), why);
  // Replies already queued (say, to the reconfig that just removed this server) still go out;
  // nothing more is read from these connections.
  for (auto& c : doomed) c->CloseAfterFlush();
}

void ServerNode::SampleDigest() {
  txns_since_digest_sample_ = 0;
  digest_sampled_zxid_ = tree_->last_zxid();
  const std::string msg =
      EncodeAppMessage(TreeDigest{tree_->last_zxid(), tree_->digest()});
  for (const zab::LearnerStatus& l : replication_->peer().Learners()) {
    if (l.synced) replication_->SendApp(l.id, msg);
  }
}

void ServerNode::OnDigestMismatch(const DigestMismatch& m) {
  spdlog::error(
      "DIGEST MISMATCH at zxid 0x{:x}: the leader's tree digest is {}, ours is {}: this "
      "replica's data differs from the leader's ({} mismatches so far){}",
      m.zxid, m.expected, m.actual, digest_audit_.mismatches(),
      config_.digest_stop_on_mismatch ? "; no longer serving clients (digest.onMismatch)" : "");
  if (config_.digest_stop_on_mismatch && !diverged_) {
    diverged_ = true;
    CloseAllConnections("its data differs from the leader's (digest mismatch)");
  }
}

void ServerNode::RoleChanged() {
  NoteMembership();
  TrackElection();
  digest_audit_.Reset();
  UpdateReadOnlyMode();
  if (!serving()) {
    CloseAllConnections("this server is not serving (no leader, or synchronizing)");
    in_flight_.clear();
    sync_points_.clear();
    active_sessions_.clear();
    return;
  }
  if (leading()) {
    // A new leader: proposals continue from its epoch; every session gets a full timeout
    // from now, since the old leader's view of their activity is gone — also the sessions this
    // server marked closing in an earlier term, whose close may have been truncated.
    prep_->Reset(replication_->NextZxid() - 1);
    sessions_->RestartExpiry(NowMs());
  }
  spdlog::info("serving clients as {} (epoch {}, last zxid 0x{:x})", ModeString(),
               replication_->peer().current_epoch(), tree_->last_zxid());
}

void ServerNode::Failed(const zab::Status& status) {
  if (stopped_) return;
  // Nothing more can be acknowledged safely; ZooKeeper exits in the same situation.
  spdlog::critical("storage failed: {}; shutting down", status.ToString());
  failed_ = true;
  replication_->Defer([this] {
    Stop();
    if (on_failed_) on_failed_();
  });
}

}  // namespace zk::server
