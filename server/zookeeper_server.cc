#include "server/zookeeper_server.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <malloc.h>

#include <random>

#include "zab/check.h"
#include "zab/zxid.h"

namespace zk::server {
namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(100);
constexpr size_t kMaxQueuedOutputBytes = 8 << 20;
constexpr size_t kReplayChunkBytes = 4 << 20;

}  // namespace

ZooKeeperServer::ZooKeeperServer(asio::io_context& io, ServerConfig config)
    : io_(io),
      config_(std::move(config)),
      acceptor_(io),
      secure_acceptor_(io),
      tick_timer_(io),
      enforced_auth_schemes_(config_.EnforcedAuthSchemes()),
      reaper_(ContainerReaperLimits{config_.container_check_interval_ms,
                                    config_.container_max_per_minute,
                                    config_.container_max_never_used_interval_ms}),
      read_only_timer_(io) {
  seed_ = config_.node_seed;
  std::random_device os_random;
  while (seed_ == 0) seed_ = (static_cast<uint64_t>(os_random()) << 32) | os_random();
}

ZooKeeperServer::~ZooKeeperServer() { Stop(); }

int64_t ZooKeeperServer::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t ZooKeeperServer::WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

zab::Status ZooKeeperServer::Start() {
  started_ = std::chrono::steady_clock::now();
  spdlog::info("node seed {} (node.seed={} in zoo.cfg repeats this server's random choices)",
               seed_, seed_);
  std::error_code fec;
  for (const std::string& dir : {SnapshotDir(config_), TxnLogDir(config_)}) {
    std::filesystem::create_directories(dir, fec);
    if (fec) return zab::Status::IOError("cannot create " + dir + ": " + fec.message());
  }

  if (zab::Status s = LoadSaslUsers(); !s.ok()) return s;
  if (zab::Status s = Recover(); !s.ok()) return s;

  if (config_.secure_client_port >= 0 || config_.port_unification) {
    auto tls = TlsContextSource::Create(io_, config_.client_tls, "client");
    if (!tls.ok()) return tls.status();
    client_tls_ = std::move(tls.value());
  }
  std::string host = config_.client_port_address.empty() ? "0.0.0.0" : config_.client_port_address;
  if (config_.client_port_set || config_.secure_client_port < 0) {
    if (zab::Status s = Listen(acceptor_, host, config_.client_port, "clientPortAddress",
                               &bound_port_);
        !s.ok()) {
      return s;
    }
    spdlog::info("serving clients on {}:{}{} (last zxid 0x{:x}, {} znodes, {} sessions)", host,
                 bound_port_, config_.port_unification ? " (TLS and plaintext)" : "",
                 tree_->last_zxid(), tree_->node_count(), sessions_->size());
    Accept(acceptor_,
           config_.port_unification ? ConnectionSecurity::kDetect : ConnectionSecurity::kPlain);
  } else {
    spdlog::info("clientPort is not set: no plaintext client port");
  }
  if (config_.secure_client_port >= 0) {
    std::string secure_host = config_.secure_client_port_address.empty()
                                  ? host
                                  : config_.secure_client_port_address;
    if (zab::Status s = Listen(secure_acceptor_, secure_host, config_.secure_client_port,
                               "secureClientPortAddress", &bound_secure_port_);
        !s.ok()) {
      return s;
    }
    spdlog::info("serving TLS clients on {}:{}", secure_host, bound_secure_port_);
    Accept(secure_acceptor_, ConnectionSecurity::kTls);
  }
  if (zab::Status s = StartMetricsExporter(); !s.ok()) return s;
  ScheduleTick();
  if (zab::Status s = StartAdminServer(); !s.ok()) return s;
  return zab::Status::OK();
}

zab::Status ZooKeeperServer::StartAdminServer() {
  if (!config_.admin.enabled) return zab::Status::OK();
  // The HTTP threads hand each command to the io thread, which answers through `done`.
  auto run = [this](const AdminCommandSpec& spec, std::map<std::string, std::string> params,
                    AdminServer::Done done) {
    asio::post(io_, [this, &spec, params = std::move(params), done = std::move(done)] {
      done(AdminCommand(spec, params));
    });
  };
  auto admin = AdminServer::Start(config_, std::move(run));
  if (!admin.ok()) return admin.status();
  admin_ = std::move(admin).value();
  return zab::Status::OK();
}

zab::Status ZooKeeperServer::Listen(asio::ip::tcp::acceptor& acceptor, const std::string& host,
                                    int port, const char* what, uint16_t* bound) {
  asio::error_code ec;
  asio::ip::tcp::endpoint ep(asio::ip::make_address(host, ec), static_cast<uint16_t>(port));
  if (ec) return zab::Status::InvalidArgument(std::string(what) + " " + host + ": " + ec.message());
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) {
    acceptor.listen(config_.client_port_listen_backlog > 0
                        ? config_.client_port_listen_backlog
                        : asio::socket_base::max_listen_connections,
                    ec);
  }
  if (ec) {
    return zab::Status::IOError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                                ec.message());
  }
  *bound = acceptor.local_endpoint().port();
  return zab::Status::OK();
}

zab::Status ZooKeeperServer::LoadState(int64_t upto, int64_t* replayed, int64_t* snapshot_zxid) {
  tree_ = std::make_unique<DataTree>();
  digest_audit_.Reset();
  auto loaded = LoadNewestSnapshot(SnapshotDir(config_), &tree_);
  if (!loaded.ok()) return loaded.status();
  sessions_ = std::make_unique<SessionTracker>(config_.server_id, config_.tick_time_ms, WallMs());
  const int64_t now = NowMs();
  *snapshot_zxid = 0;
  *replayed = 0;
  if (loaded.value()) {
    *snapshot_zxid = loaded.value()->zxid;
    for (const auto& s : loaded.value()->sessions) {
      sessions_->Add(s.id, s.timeout_ms, s.password, now);
    }
  }
  int64_t first = log_store_->FirstZxid();
  int64_t last = std::min(upto, log_store_->LastZxid());
  // Zxids are contiguous within an epoch; a log may also start at an epoch's first txn.
  const bool log_follows_snapshot =
      first <= *snapshot_zxid + 1 ||
      (zab::ZxidEpoch(first) > zab::ZxidEpoch(*snapshot_zxid) && zab::ZxidCounter(first) == 1);
  if (last > *snapshot_zxid && !log_follows_snapshot) {
    return zab::Status::Corruption(
        fmt::format("transaction log starts at zxid 0x{:x} but the newest valid snapshot is at "
                    "0x{:x}: txns are missing",
                    first, *snapshot_zxid));
  }
  int64_t next = *snapshot_zxid + 1;
  int64_t applied = *snapshot_zxid;
  while (next <= last) {
    std::vector<zab::LogEntry> entries;
    if (zab::Status s = log_store_->Read(next, last, kReplayChunkBytes, &entries); !s.ok()) {
      return s;
    }
    if (entries.empty()) break;
    for (const auto& e : entries) {
      Txn txn;
      if (!DecodeTxn(e.data, &txn) || txn.zxid != e.zxid) {
        spdlog::warn("transaction log: undecodable record at zxid 0x{:x}; cutting the log there",
                     e.zxid);
        if (zab::Status s = log_store_->TruncateAfter(applied); !s.ok()) return s;
        last = applied;
        break;
      }
      tree_->Apply(txn, nullptr);
      if (const auto* create = std::get_if<CreateSessionTxn>(&txn.body)) {
        sessions_->Add(txn.session_id, create->timeout_ms,
                       SessionPasswordOf(txn.session_id, create->password), now);
      } else if (std::holds_alternative<CloseSessionTxn>(txn.body)) {
        sessions_->Remove(txn.session_id);
      }
      ++*replayed;
      applied = e.zxid;
      next = e.zxid + 1;
    }
  }
  tree_->SetLastZxid(std::max(tree_->last_zxid(), applied));
  PrepOptions prep_options{.extended_types_enabled = config_.extended_types_enabled,
                           .enforce_quota = config_.enforce_quota,
                           .sasl_scheme = config_.sasl_auth_provider};
  // Quota warnings at most once a second (ZooKeeper rate-limits them too), with a count of the
  // ones held back.
  prep_options.quota_warning = [last_ms = int64_t{0},
                                held = int64_t{0}](const std::string& message) mutable {
    const int64_t now_ms = WallMs();
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
  prep_ = std::make_unique<Prep>(*tree_, std::move(prep_options));
  prep_->set_last_zxid(tree_->last_zxid());
  return zab::Status::OK();
}

zab::Status ZooKeeperServer::Recover() {
  auto t0 = std::chrono::steady_clock::now();
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - t)
        .count();
  };
  zab::LeveldbLogStore::Options options;
  auto store = zab::LeveldbLogStore::Open(TxnLogDir(config_), options);
  if (!store.ok()) return store.status();
  log_store_ = std::move(store.value());
  if (log_store_->TruncatedOnOpen() > 0) {
    spdlog::warn("transaction log: cut {} damaged entries at its tail",
                 log_store_->TruncatedOnOpen());
  }
  spdlog::info("transaction log opened and validated in {} ms", ms_since(t0));
  int64_t replayed = 0, snapshot_zxid = 0;
  if (zab::Status s = LoadState(INT64_MAX, &replayed, &snapshot_zxid); !s.ok()) return s;
  snapshots_ =
      std::make_unique<SnapshotWriter>(SnapshotDir(config_), config_.snapshot_compression_level);
  txns_since_snapshot_ = replayed;
  std::mt19937_64 rng(seed_);
  // As ZooKeeper: snapshot after a random count in [snapCount/2+1, snapCount], so that the
  // servers of an ensemble do not all snapshot at once.
  int64_t half = std::max(1, config_.snap_count / 2);
  next_snapshot_after_ = half + 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(half));
  // Loading leaves freed buffers (decompression, msgpack zones, log reads) in the heap; hand
  // them back to the system before serving.
  malloc_trim(0);
  spdlog::info("recovered {} znodes, {} sessions from snapshot 0x{:x} + {} txns in {} ms",
               tree_->node_count(), sessions_->size(), snapshot_zxid, replayed, ms_since(t0));
  return StartReplication();
}

void ZooKeeperServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  metrics_exporter_.reset();  // a scrape in progress gets no figures from now on
  if (admin_) admin_->Stop();
  asio::error_code ec;
  acceptor_.close(ec);
  secure_acceptor_.close(ec);
  if (client_tls_) client_tls_->Stop();
  if (quorum_tls_) quorum_tls_->Stop();
  tick_timer_.cancel();
  read_only_timer_.cancel();
  std::vector<std::shared_ptr<Connection>> conns;
  for (auto& [id, st] : conns_) conns.push_back(st.conn);
  for (auto& c : conns) c->Close();
  snapshots_.reset();  // waits for a running snapshot child
  if (transport_) transport_->Stop();
  if (driver_) driver_->Stop();  // drains and syncs what was submitted
  driver_.reset();
  transport_.reset();
  log_store_.reset();  // closes LevelDB
}

void ZooKeeperServer::Accept(asio::ip::tcp::acceptor& acceptor, ConnectionSecurity security) {
  acceptor.async_accept([this, &acceptor, security](const asio::error_code& ec,
                                                    asio::ip::tcp::socket socket) {
    if (stopped_) return;
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        spdlog::warn("accept failed: {}", ec.message());
        Accept(acceptor, security);
      }
      return;
    }
    asio::error_code rec;
    std::string ip = socket.remote_endpoint(rec).address().to_string();
    int& per_ip = conns_per_ip_[ip];
    if ((config_.max_client_cnxns > 0 && per_ip >= config_.max_client_cnxns) ||
        (config_.max_cnxns > 0 && static_cast<int>(conns_.size()) >= config_.max_cnxns)) {
      ++stats_.connections_rejected;
      if (config_.max_cnxns > 0 && static_cast<int>(conns_.size()) >= config_.max_cnxns) {
        spdlog::warn("too many connections - max is {} (maxCnxns); refusing {}", config_.max_cnxns,
                     ip);
      } else {
        spdlog::warn("too many connections from {} - max is {}", ip, config_.max_client_cnxns);
      }
      if (per_ip == 0) conns_per_ip_.erase(ip);
      socket.close(rec);
      Accept(acceptor, security);
      return;
    }
    ++per_ip;
    uint64_t id = next_conn_id_++;
    auto conn = std::make_shared<Connection>(
        std::move(socket), id, this, MaxFieldBytes(), kMaxQueuedOutputBytes, security,
        security == ConnectionSecurity::kPlain ? nullptr : client_tls_->current());
    ConnState& st = conns_[id];
    st.conn = conn;
    st.who.ids.push_back(AuthId{"ip", ip});
    conn->Start();
    Accept(acceptor, security);
  });
}

ZooKeeperServer::ConnState* ZooKeeperServer::StateOf(uint64_t conn_id) {
  auto it = conns_.find(conn_id);
  return it == conns_.end() ? nullptr : &it->second;
}

void ZooKeeperServer::OnClosed(Connection& conn) {
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

void ZooKeeperServer::OnTlsEstablished(Connection& conn) {
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

void ZooKeeperServer::ScheduleTick() {
  tick_timer_.expires_after(kTickInterval);
  tick_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    OnTick();
    ScheduleTick();
  });
}

void ZooKeeperServer::OnTick() {
  if (leading()) ExpireSessions();
  if (leading() && tree_->last_zxid() != digest_sampled_zxid_) SampleDigest();
  if (serving() && !leading()) ReportActivity();
  if (read_only_) ExpireReadOnlySessions();
  if (leading()) {
    if (!reaper_.running()) reaper_.Start(NowMs());
    ReapContainersAndTtls();
  } else if (reaper_.running()) {
    reaper_.Stop();
  }
  if (auto done = snapshots_->Poll()) {
    if (!done->ok()) {
      spdlog::error("snapshot failed: {}", done->ToString());
    } else {
      stats_.snapshot_time_ms.Record(static_cast<uint64_t>(NowMs() - snapshot_started_ms_));
      int64_t oldest = PurgeSnapshots(SnapshotDir(config_), config_.autopurge_snap_retain_count);
      if (oldest > 0) {
        // The log before the oldest retained snapshot is no longer needed for recovery. The
        // entry at the snapshot's zxid is kept so the log is never empty: an empty log could
        // not tell a fresh server from one whose snapshots were all lost.
        driver_->RunOnDiskThread([store = log_store_.get(), oldest] {
          if (zab::Status s = store->PurgeBefore(oldest); !s.ok()) {
            spdlog::warn("log purge failed: {}", s.ToString());
          }
        });
      }
    }
  }
}

void ZooKeeperServer::MaybeSnapshot() {
  if (++txns_since_snapshot_ < next_snapshot_after_ || snapshots_->running()) return;
  if (snapshots_->Start(*tree_, *sessions_)) {
    snapshot_started_ms_ = NowMs();
    spdlog::info("snapshot of zxid 0x{:x} started ({} txns since the last)", tree_->last_zxid(),
                 txns_since_snapshot_);
    txns_since_snapshot_ = 0;
  }
}

}  // namespace zk::server
