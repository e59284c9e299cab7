// ZooKeeperServer: one zabkeeper server process around its ServerNode (server/server_node.h).
// It creates the data directories, opens the transaction log (LevelDB) and the snapshot files
// (the node's ports), listens on the client ports (plain, TLS, or both on one
// unified port), turns accepted sockets into Connections (the node's ClientLinks), ticks the
// node every 100 ms, and runs the AdminServer and the Prometheus endpoint, whose threads hand
// their work to the io thread. Everything the node decides, it decides itself; this class only
// carries bytes and time to it.
//
// Threads: the io thread runs everything here, except the AdminServer's and the metrics
// endpoint's HTTP threads, which only post to the io thread and wait for its answer.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "server/admin_server.h"
#include "server/client_poller.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/driver_replication.h"
#include "server/file_node_storage.h"
#include "server/metrics_exporter.h"
#include "server/metrics_snapshot.h"
#include "server/node_clock.h"
#include "server/server_node.h"
#include "server/tls_context.h"
#include "zab/leveldb_log_store.h"
#include "zab/status.h"
#include "zab/tcp_socket.h"

namespace zk::server {

class ZooKeeperServer {
 public:
  ZooKeeperServer(asio::io_context& io, ServerConfig config);
  ~ZooKeeperServer();
  ZooKeeperServer(const ZooKeeperServer&) = delete;
  ZooKeeperServer& operator=(const ZooKeeperServer&) = delete;

  // Opens the log, recovers the node's state from dataDir, starts replication, then listens. When
  // the node's log fails later, the server stops and the io_context is stopped (failed() is then
  // true).
  zab::Status Start();
  // Stops accepting, closes connections, drains the log. Idempotent. Io thread only.
  void Stop();

  uint16_t client_port() const { return bound_port_; }
  uint16_t secure_client_port() const { return bound_secure_port_; }
  // The AdminServer's bound port; 0 when admin.enableServer=false.
  uint16_t admin_port() const { return admin_ ? admin_->port() : 0; }
  // True when the server stopped because its log failed; the process must exit non-zero.
  bool failed() const { return node_.failed(); }

  const ServerNode& node() const { return node_; }

 private:
  zab::Status StartAdminServer();
  zab::Status StartMetricsExporter();
  // From any thread but the io thread: the node's Metrics() taken on the io thread, or nullopt
  // if it did not answer in time. Never blocks the io thread.
  std::optional<MetricsSnapshot> SnapshotForScrape();
  // A client port: its listening socket, and the pause after accept ran out of descriptors.
  struct ClientListener {
    explicit ClientListener(asio::io_context& io) : acceptor(io), pause(io) {}
    zab::TcpAcceptor acceptor;
    asio::steady_timer pause;
    std::chrono::milliseconds backoff{0};  // the current pause; 0 while accepting normally
    std::chrono::steady_clock::time_point paused_since;
  };

  // Listens on host:port (port 0: the kernel picks); returns the bound port in *bound.
  zab::Status Listen(zab::TcpAcceptor& acceptor, const std::string& host, int port,
                     const char* what, uint16_t* bound);
  // Accepts, every time the listening socket is readable, all connections waiting.
  void Accept(ClientListener& listener, ConnectionSecurity security);
  // Takes every connection waiting on the listener. False when it ran out of descriptors and
  // paused (PauseAccepting resumes accepting); true when the backlog is empty.
  bool AcceptWaiting(ClientListener& listener, ConnectionSecurity security);
  // After accept failed for want of descriptors or memory (`error`): waits before accepting
  // again, 50 ms at first and twice as long each time it fails again (at most 1 s), instead of
  // spinning on a listening socket that stays readable. The connections wait in the backlog.
  void PauseAccepting(ClientListener& listener, ConnectionSecurity security, int error);
  // Turns an accepted socket into a Connection (or closes it: too many from its address).
  void Admit(int fd, ConnectionSecurity security);
  void ScheduleTick();

  asio::io_context& io_;
  SystemClock clock_;
  std::unique_ptr<zab::LeveldbLogStore> log_store_;
  std::unique_ptr<FileNodeStorage> storage_;
  ClientPoller poller_;         // the plain client sockets; outlives the node's connections
  ServerNode node_;             // declared after its ports: destroyed before them
  const ServerConfig& config_;  // the node's
  ClientListener listener_;
  ClientListener secure_listener_;                // secureClientPort
  std::unique_ptr<TlsContextSource> client_tls_;  // ssl.*, when a client port speaks TLS
  std::unique_ptr<AdminServer> admin_;            // admin.enableServer
  std::unique_ptr<MetricsExporter> metrics_exporter_;
  asio::steady_timer tick_timer_;
  uint16_t bound_port_ = 0;
  uint16_t bound_secure_port_ = 0;
  bool stopped_ = false;
};

}  // namespace zk::server
