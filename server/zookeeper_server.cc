#include "server/zookeeper_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>

namespace zk::server {
namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(100);
constexpr size_t kMaxQueuedOutputBytes = 8 << 20;
// How long a scrape waits for the io thread before it answers without figures.
constexpr auto kScrapeTimeout = std::chrono::seconds(5);
// Pauses of accepting after it ran out of descriptors: the first, and the longest.
constexpr auto kFirstAcceptPause = std::chrono::milliseconds(50);
constexpr auto kLongestAcceptPause = std::chrono::milliseconds(1000);

// Whether accept failed for want of a resource that closing connections gives back.
bool OutOfResources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

}  // namespace

ZooKeeperServer::ZooKeeperServer(asio::io_context& io, ServerConfig config)
    : io_(io),
      poller_(io),
      node_(std::move(config), &clock_),
      config_(node_.config()),
      listener_(io),
      secure_listener_(io),
      tick_timer_(io) {}

ZooKeeperServer::~ZooKeeperServer() { Stop(); }

zab::Status ZooKeeperServer::Start() {
  std::error_code fec;
  for (const std::string& dir : {SnapshotDir(config_), TxnLogDir(config_)}) {
    std::filesystem::create_directories(dir, fec);
    if (fec) return zab::Status::IOError("cannot create " + dir + ": " + fec.message());
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto store = zab::LeveldbLogStore::Open(TxnLogDir(config_), zab::LeveldbLogStore::Options{});
  if (!store.ok()) return store.status();
  log_store_ = std::move(store.value());
  if (log_store_->TruncatedOnOpen() > 0) {
    spdlog::warn("transaction log: cut {} damaged records at its tail",
                 log_store_->TruncatedOnOpen());
  }
  spdlog::info("transaction log opened and validated in {} ms",
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - t0)
                   .count());
  storage_ = std::make_unique<FileNodeStorage>(config_);
  node_.SetOnFailed([this] {
    Stop();
    io_.stop();
  });
  if (zab::Status s = node_.Start(log_store_.get(), storage_.get(),
                                   DriverReplication::Factory(io_, config_)); !s.ok()) return s;

  if (config_.secure_client_port >= 0 || config_.port_unification) {
    auto tls = TlsContextSource::Create(io_, config_.client_tls, "client");
    if (!tls.ok()) return tls.status();
    client_tls_ = std::move(tls.value());
  }
  std::string host = config_.client_port_address.empty() ? "0.0.0.0" : config_.client_port_address;
  if (config_.client_port_set || config_.secure_client_port < 0) {
    if (zab::Status s = Listen(listener_.acceptor, host, config_.client_port, "clientPortAddress",
                               &bound_port_);
        !s.ok()) {
      return s;
    }
    node_.SetClientPort(bound_port_);
    spdlog::info("serving clients on {}:{}{} (last zxid 0x{:x}, {} znodes, {} sessions)", host,
                 bound_port_, config_.port_unification ? " (TLS and plaintext)" : "",
                 node_.tree().last_zxid(), node_.tree().node_count(), node_.sessions().size());
    Accept(listener_,
           config_.port_unification ? ConnectionSecurity::kDetect : ConnectionSecurity::kPlain);
  } else {
    spdlog::info("clientPort is not set: no plaintext client port");
  }
  if (config_.secure_client_port >= 0) {
    std::string secure_host = config_.secure_client_port_address.empty()
                                  ? host
                                  : config_.secure_client_port_address;
    if (zab::Status s = Listen(secure_listener_.acceptor, secure_host, config_.secure_client_port,
                               "secureClientPortAddress", &bound_secure_port_);
        !s.ok()) {
      return s;
    }
    spdlog::info("serving TLS clients on {}:{}", secure_host, bound_secure_port_);
    Accept(secure_listener_, ConnectionSecurity::kTls);
  }
  if (zab::Status s = StartMetricsExporter(); !s.ok()) return s;
  ScheduleTick();
  if (zab::Status s = StartAdminServer(); !s.ok()) return s;
  return zab::Status::OK();
}

void ZooKeeperServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  metrics_exporter_.reset();  // a scrape in progress gets no figures from now on
  if (admin_) admin_->Stop();
  asio::error_code ec;
  for (ClientListener* l : {&listener_, &secure_listener_}) {
    l->acceptor.close(ec);
    l->pause.cancel();
  }
  if (client_tls_) client_tls_->Stop();
  tick_timer_.cancel();
  node_.Stop();
  poller_.Stop();
  storage_.reset();
  log_store_.reset();  // closes LevelDB
}

zab::Status ZooKeeperServer::StartAdminServer() {
  if (!config_.admin.enabled) return zab::Status::OK();
  // The HTTP threads hand each command to the io thread, which answers through `done`.
  auto run = [this](const AdminCommandSpec& spec, std::map<std::string, std::string> params,
                    AdminServer::Done done) {
    asio::post(io_, [this, &spec, params = std::move(params), done = std::move(done)] {
      done(node_.AdminCommand(spec, params));
    });
  };
  auto admin = AdminServer::Start(config_, std::move(run));
  if (!admin.ok()) return admin.status();
  admin_ = std::move(admin).value();
  return zab::Status::OK();
}

zab::Status ZooKeeperServer::StartMetricsExporter() {
  if (!config_.metrics_provider_enabled) return zab::Status::OK();
  auto exporter = MetricsExporter::Start(config_.metrics_http_host, config_.metrics_http_port,
                                         [this] { return SnapshotForScrape(); });
  if (!exporter.ok()) return exporter.status();
  metrics_exporter_ = std::move(exporter).value();
  spdlog::info("metrics: Prometheus endpoint on http://{}:{}/metrics", config_.metrics_http_host,
               metrics_exporter_->port());
  return zab::Status::OK();
}

std::optional<MetricsSnapshot> ZooKeeperServer::SnapshotForScrape() {
  // The io thread fills the promise when it gets to it; this (scrape) thread waits, with a
  // bound, so a stopped or stalled io thread costs a scrape its figures, never a hang.
  auto promise = std::make_shared<std::promise<MetricsSnapshot>>();
  std::future<MetricsSnapshot> future = promise->get_future();
  asio::post(io_, [this, promise] { promise->set_value(node_.Metrics()); });
  if (future.wait_for(kScrapeTimeout) != std::future_status::ready) {
    spdlog::warn("metrics: the io thread did not answer a scrape within {} s",
                 kScrapeTimeout.count());
    return std::nullopt;
  }
  try {
    return future.get();
  } catch (const std::future_error&) {  // the io_context dropped the request unrun
    return std::nullopt;
  }
}

zab::Status ZooKeeperServer::Listen(zab::TcpAcceptor& acceptor, const std::string& host,
                                    int port, const char* what, uint16_t* bound) {
  asio::error_code ec;
  asio::ip::tcp::endpoint ep(asio::ip::make_address(host, ec), static_cast<uint16_t>(port));
  if (ec) return zab::Status::InvalidArgument(std::string(what) + " " + host + ": " + ec.message());
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.native_non_blocking(true, ec);  // Accept takes connections until EAGAIN
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

void ZooKeeperServer::Accept(ClientListener& listener, ConnectionSecurity security) {
  listener.acceptor.async_wait(asio::socket_base::wait_read, [this, &listener, security](
                                                                 const asio::error_code& ec) {
    if (stopped_) return;
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        spdlog::warn("accept failed: {}", ec.message());
        Accept(listener, security);
      }
      return;
    }
    if (AcceptWaiting(listener, security)) Accept(listener, security);
  });
}

bool ZooKeeperServer::AcceptWaiting(ClientListener& listener, ConnectionSecurity security) {
  // Bare descriptors: a plain connection never becomes an asio socket (client_poller.h).
  for (;;) {
    const int fd = ::accept4(listener.acceptor.native_handle(), nullptr, nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      if (listener.backoff.count() != 0) {
        listener.backoff = std::chrono::milliseconds(0);
        spdlog::info("accepting connections again after {} ms",
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - listener.paused_since)
                         .count());
      }
      Admit(fd, security);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (OutOfResources(errno)) {
      PauseAccepting(listener, security, errno);
      return false;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      spdlog::warn("accept failed: {}", std::strerror(errno));
    }
    return true;
  }
}

void ZooKeeperServer::PauseAccepting(ClientListener& listener, ConnectionSecurity security,
                                     int error) {
  if (listener.backoff.count() == 0) {
    listener.backoff = kFirstAcceptPause;
    listener.paused_since = std::chrono::steady_clock::now();
    // Once per episode: every retry would otherwise log a line.
    spdlog::warn(
        "accept failed: {} ({} client connections open); pausing accepts, {} ms at first and "
        "up to {} ms between tries, until one succeeds",
        std::strerror(error), node_.link_count(), kFirstAcceptPause.count(),
        kLongestAcceptPause.count());
  } else {
    listener.backoff =
        std::min<std::chrono::milliseconds>(listener.backoff * 2, kLongestAcceptPause);
  }
  listener.pause.expires_after(listener.backoff);
  listener.pause.async_wait([this, &listener, security](const asio::error_code& ec) {
    if (ec || stopped_) return;
    Accept(listener, security);
  });
}

void ZooKeeperServer::Admit(int fd, ConnectionSecurity security) {
  const auto peer = PeerEndpoint(fd);
  const uint64_t id = node_.AdmitLink(peer ? peer->address().to_string() : std::string());
  if (id == 0) {
    ::close(fd);
    return;
  }
  auto conn = std::make_shared<Connection>(
      fd, &poller_, id, &node_, node_.MaxFieldBytes(), kMaxQueuedOutputBytes, security,
      security == ConnectionSecurity::kPlain ? nullptr : client_tls_->current());
  node_.AttachLink(conn);
  conn->Start();
}

void ZooKeeperServer::ScheduleTick() {
  tick_timer_.expires_after(kTickInterval);
  tick_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    node_.OnTick();
    ScheduleTick();
  });
}

}  // namespace zk::server
