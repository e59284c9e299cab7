#include <algorithm>
#include "zab/config_txn.h"
#include "server/server_node.h"

#include <spdlog/spdlog.h>

#include <random>

#include "server/allocator.h"
#include "zab/check.h"
#include "zab/zxid.h"

namespace zk::server {
namespace {

constexpr size_t kReplayChunkBytes = 4 << 20;

}  // namespace

ServerNode::ServerNode(ServerConfig config, const NodeClock* clock)
    : config_(std::move(config)),
      clock_(clock),
      enforced_auth_schemes_(config_.EnforcedAuthSchemes()),
      reaper_(ContainerReaperLimits{config_.container_check_interval_ms,
                                    config_.container_max_per_minute,
                                    config_.container_max_never_used_interval_ms,
                                    config_.test_reaper_ignores_ttl}) {
  seed_ = config_.node_seed;
  std::random_device os_random;
  while (seed_ == 0) seed_ = (static_cast<uint64_t>(os_random()) << 32) | os_random();
}

ServerNode::~ServerNode() { Stop(); }

zab::Status ServerNode::Start(zab::LogStore* log, NodeStorage* storage,
                              const ReplicationFactory& make_replication) {
  log_store_ = log;
  storage_ = storage;
  started_ms_ = NowMs();
  spdlog::info("node seed {} (node.seed={} in zoo.cfg repeats this server's random choices)",
               seed_, seed_);
  if (zab::Status s = LoadSaslUsers(); !s.ok()) return s;
  if (zab::Status s = Recover(); !s.ok()) return s;
  return StartReplication(make_replication);
}

zab::Status ServerNode::ReadState(int64_t upto, bool may_cut_log, StoredState* out) const {
  out->tree = std::make_unique<DataTree>();
  auto loaded = storage_->LoadNewestSnapshot(&out->tree);
  if (!loaded.ok()) return loaded.status();
  out->snapshot_zxid = 0;
  out->replayed = 0;
  out->sessions.clear();
  if (loaded.value()) {
    out->snapshot_zxid = loaded.value()->zxid;
    for (const auto& s : loaded.value()->sessions) {
      out->sessions[s.id] = StoredState::Session{s.timeout_ms, s.password};
    }
  }
  int64_t first = log_store_->FirstZxid();
  int64_t last = std::min(upto, log_store_->LastZxid());
  // Zxids are contiguous within an epoch; a log may also start at an epoch's first txn.
  const bool log_follows_snapshot =
      first <= out->snapshot_zxid + 1 ||
      (zab::ZxidEpoch(first) > zab::ZxidEpoch(out->snapshot_zxid) &&
       zab::ZxidCounter(first) == 1);
  if (last > out->snapshot_zxid && !log_follows_snapshot) {
    return zab::Status::Corruption(
        fmt::format("transaction log starts at zxid 0x{:x} but the newest valid snapshot is at "
                    "0x{:x}: txns are missing",
                    first, out->snapshot_zxid));
  }
  int64_t next = out->snapshot_zxid + 1;
  int64_t applied = out->snapshot_zxid;
  while (next <= last) {
    std::vector<zab::LogEntry> entries;
    if (zab::Status s = log_store_->Read(next, last, kReplayChunkBytes, &entries); !s.ok()) {
      return s;
    }
    if (entries.empty()) break;
    for (const auto& e : entries) {
      Txn txn;
      if (!DecodeTxn(zab::SplitConfigTxn(e.data), &txn) || txn.zxid != e.zxid) {
        if (!may_cut_log) {
          return zab::Status::Corruption(
              fmt::format("transaction log: undecodable record at zxid 0x{:x}", e.zxid));
        }
        spdlog::warn("transaction log: undecodable record at zxid 0x{:x}; cutting the log there",
                     e.zxid);
        if (zab::Status s = log_store_->TruncateAfter(applied); !s.ok()) return s;
        last = applied;
        break;
      }
      out->tree->Apply(txn, nullptr);
      if (zab::IsConfigTxn(e.data)) {
        zab::QuorumConfig c;
        std::string_view ignored;
        if (zab::DecodeConfigTxn(e.data, &c, &ignored)) out->configs.push_back(std::move(c));
      }
      if (const auto* create = std::get_if<CreateSessionTxn>(&txn.body)) {
        out->sessions[txn.session_id] = StoredState::Session{
            create->timeout_ms, SessionPasswordOf(txn.session_id, create->password)};
      } else if (std::holds_alternative<CloseSessionTxn>(txn.body)) {
        out->sessions.erase(txn.session_id);
      }
      ++out->replayed;
      applied = e.zxid;
      next = e.zxid + 1;
    }
  }
  out->tree->SetLastZxid(std::max(out->tree->last_zxid(), applied));
  // The membership the tree's /zookeeper/config holds (the last one applied or in force).
  if (const DataTree::Node* node = out->tree->Find(kConfigNodePath)) {
    Membership m;
    if (ParseMembershipText(out->tree->DataOf(*node), &m) && m.version > 0) {
      out->configs.push_back(ToQuorumConfig(m));
    }
  }
  return zab::Status::OK();
}

zab::Status ServerNode::LoadStateNow(int64_t upto, int64_t* replayed, int64_t* snapshot_zxid) {
  StoredState state;
  if (zab::Status s = ReadState(upto, /*may_cut_log=*/true, &state); !s.ok()) return s;
  *replayed = state.replayed;
  *snapshot_zxid = state.snapshot_zxid;
  AdoptState(std::move(state));
  return zab::Status::OK();
}

void ServerNode::AdoptState(StoredState state) {
  tree_ = std::move(state.tree);
  recovered_configs_ = std::move(state.configs);
  membership_version_ = -1;  // the new tree's /zookeeper/config is set again (NoteMembership)
  digest_audit_.Reset();
  sessions_ = std::make_unique<SessionTracker>(config_.server_id, config_.tick_time_ms, WallMs());
  const int64_t now = NowMs();
  for (const auto& [id, s] : state.sessions) sessions_->Add(id, s.timeout_ms, s.password, now);
  PrepOptions prep_options{.extended_types_enabled = config_.extended_types_enabled,
                           .enforce_quota = config_.enforce_quota,
                           .sasl_scheme = config_.sasl_auth_provider,
                           .test_ignore_ttl = config_.test_reaper_ignores_ttl};
  // Quota warnings at most once a second (ZooKeeper rate-limits them too), with a count of the
  // ones held back.
  prep_options.quota_warning = [clock = clock_, last_ms = int64_t{0},
                                held = int64_t{0}](const std::string& message) mutable {
    const int64_t now_ms = clock->MonotonicMs();
    if (now_ms - last_ms < 1000) {
      ++held;
      return;
    }
    if (held > 0) {
      spdlog::warn("{} (and {} more quota warnings in the last second)", message, held);
    } else {
      spdlog::warn("{}", message);
    }
    last_ms = now_ms;
    held = 0;
  };
  prep_options.session_may_write = [this](int64_t session_id) {
    const SessionInfo* s = sessions_->Find(session_id);
    return s != nullptr && !s->closing;
  };
  prep_ = std::make_unique<Prep>(*tree_, std::move(prep_options));
  prep_->set_last_zxid(tree_->last_zxid());
}

zab::Status ServerNode::Recover() {
  const int64_t t0 = NowMs();
  auto ms_since = [this](int64_t t) { return NowMs() - t; };
  int64_t replayed = 0, snapshot_zxid = 0;
  if (zab::Status s = LoadStateNow(INT64_MAX, &replayed, &snapshot_zxid); !s.ok()) return s;
  txns_since_snapshot_ = replayed;
  snapshot_rng_.seed(seed_);
  DrawNextSnapshot();
  // Loading leaves freed buffers (decompression, msgpack zones, log reads) in the heap; hand
  // them back to the system before serving.
  ReleaseFreeMemory();
  spdlog::info("recovered {} znodes, {} sessions from snapshot 0x{:x} + {} txns in {} ms",
               tree_->node_count(), sessions_->size(), snapshot_zxid, replayed, ms_since(t0));
  return zab::Status::OK();
}

void ServerNode::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& link : LinksWhere([](const ConnState&) { return true; })) link->Close();
  if (storage_) storage_->Close();  // waits for a running snapshot
  if (replication_) replication_->Stop();  // drains and syncs what was submitted
  replication_.reset();
}

std::vector<std::shared_ptr<ClientLink>> ServerNode::LinksWhere(
    const std::function<bool(const ConnState&)>& pick) const {
  std::vector<std::pair<uint64_t, std::shared_ptr<ClientLink>>> picked;
  for (const auto& [id, st] : conns_) {
    if (pick(st)) picked.emplace_back(id, st.conn);
  }
  std::sort(picked.begin(), picked.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::shared_ptr<ClientLink>> links;
  links.reserve(picked.size());
  for (auto& [id, link] : picked) links.push_back(std::move(link));
  return links;
}

uint64_t ServerNode::AdmitLink(const std::string& ip) {
  if (stopped_) return 0;
  int& per_ip = conns_per_ip_[ip];
  const bool too_many = config_.max_cnxns > 0 && static_cast<int>(conns_.size()) >= config_.max_cnxns;
  if ((config_.max_client_cnxns > 0 && per_ip >= config_.max_client_cnxns) || too_many) {
    ++stats_.connections_rejected;
    if (too_many) {
      spdlog::warn("too many connections - max is {} (maxCnxns); refusing {}", config_.max_cnxns,
                   ip);
    } else {
      spdlog::warn("too many connections from {} - max is {}", ip, config_.max_client_cnxns);
    }
    if (per_ip == 0) conns_per_ip_.erase(ip);
    return 0;
  }
  ++per_ip;
  return next_conn_id_++;
}

void ServerNode::AttachLink(std::shared_ptr<ClientLink> link) {
  recently_attached_.emplace_back(NowMs(), link->id());
  ConnState& st = conns_[link->id()];
  st.who.ids.push_back(AuthId{"ip", link->remote_address()});
  st.conn = std::move(link);
}

void ServerNode::CloseSessionlessLinks() {
  const int64_t cutoff = NowMs() - kSessionlessConnectionTimeoutMs;
  while (!recently_attached_.empty() && recently_attached_.front().first <= cutoff) {
    const uint64_t id = recently_attached_.front().second;
    recently_attached_.pop_front();
    ConnState* st = StateOf(id);
    if (st == nullptr || st->session_id != 0 || st->handshake_pending) continue;
    spdlog::debug("closing the connection from {}:{}: no session after {} ms",
                  st->conn->remote_address(), st->conn->remote_port(),
                  kSessionlessConnectionTimeoutMs);
    ++stats_.sessionless_connections_expired;
    st->conn->Close();
  }
}

ServerNode::ConnState* ServerNode::StateOf(uint64_t conn_id) {
  auto it = conns_.find(conn_id);
  return it == conns_.end() ? nullptr : &it->second;
}

void ServerNode::OnClosed(ClientLink& conn) {
  auto it = conns_.find(conn.id());
  if (it == conns_.end()) return;
  watches_.RemoveWatcher(conn.id());
  if (it->second.session_id != 0) {
    auto s = conn_of_session_.find(it->second.session_id);
    if (s != conn_of_session_.end() && s->second == conn.id()) {
      conn_of_session_.erase(s);
      if (it->second.read_only) ReadOnlyConnectionClosed(it->second.session_id);
    }
  }
  auto ip = conns_per_ip_.find(conn.remote_address());
  if (ip != conns_per_ip_.end() && --ip->second <= 0) conns_per_ip_.erase(ip);
  conns_.erase(it);
}

void ServerNode::OnTlsEstablished(ClientLink& conn) {
  ConnState* st = StateOf(conn.id());
  if (st == nullptr || conn.tls_peer_subject().empty()) return;
  // As ZooKeeper's X509AuthenticationProvider: the certificate's subject is the x509 id, and
  // X509AuthenticationProvider.superUser names a subject that is super.
  st->who.ids.push_back(AuthId{"x509", conn.tls_peer_subject()});
  if (!config_.x509_super_user.empty() && conn.tls_peer_subject() == config_.x509_super_user) {
    st->who.is_super = true;
    st->who.ids.push_back(AuthId{"super", ""});
  }
}

void ServerNode::OnTick() {
  CloseSessionlessLinks();
  if (leading()) ExpireSessions();
  if (leading() && tree_->last_zxid() != digest_sampled_zxid_) SampleDigest();
  if (serving() && !leading()) ReportActivity();
  MaybeEnterReadOnlyMode();
  if (read_only_) ExpireReadOnlySessions();
  if (leading()) {
    if (!reaper_.running()) reaper_.Start(NowMs());
    ReapContainersAndTtls();
  } else if (reaper_.running()) {
    reaper_.Stop();
  }
  if (auto done = storage_->PollSnapshot()) {
    if (!done->ok()) {
      spdlog::error("snapshot failed: {}", done->ToString());
    } else {
      stats_.snapshot_time_ms.Record(static_cast<uint64_t>(NowMs() - snapshot_started_ms_));
      int64_t oldest = storage_->PurgeSnapshots(config_.autopurge_snap_retain_count);
      if (oldest > 0) {
        // The log before the oldest retained snapshot is no longer needed for recovery. The
        // entry at the snapshot's zxid is kept so the log is never empty: an empty log could
        // not tell a fresh server from one whose snapshots were all lost.
        // A step of kPurgeStepEntries at a time, between group commits: purging a snapshot's
        // worth of txns at once held every write up behind it for hundreds of milliseconds.
        replication_->RunOnDisk([store = log_store_, oldest] {
          bool more = false;
          zab::Status s = store->PurgeSome(oldest, kPurgeStepEntries, &more);
          if (s.ok() && !more) s = store->ReclaimSpace(oldest);
          if (!s.ok()) spdlog::warn("log purge failed: {}", s.ToString());
          return s.ok() && more;
        });
      }
    }
  }
}

void ServerNode::DrawNextSnapshot() {
  const int64_t half = std::max(1, config_.snap_count / 2);
  next_snapshot_after_ =
      half + 1 + static_cast<int64_t>(snapshot_rng_() % static_cast<uint64_t>(half));
}

void ServerNode::MaybeSnapshot() {
  if (++txns_since_snapshot_ < next_snapshot_after_) return;
  // Skipped while the last one runs, as ZooKeeper does ("too busy to snap"): writes faster
  // than snapshots are taken would otherwise keep a snapshot child running all the time.
  if (storage_->SnapshotRunning()) {
    spdlog::warn(
        "snapshot skipped after {} txns: the last one is still running (its child, or the heap "
        "being put back on huge pages after it)",
        txns_since_snapshot_);
  } else if (storage_->StartSnapshot(*tree_, *sessions_)) {
    snapshot_started_ms_ = NowMs();
    spdlog::info("snapshot of zxid 0x{:x} started ({} txns since the last)", tree_->last_zxid(),
                 txns_since_snapshot_);
  } else {
    return;  // fork failed (logged): try again at the next txn
  }
  txns_since_snapshot_ = 0;
  DrawNextSnapshot();
}

}  // namespace zk::server
