// DriverReplication: the process's NodeReplication (server/node_replication.h) — a
// zab::NodeDriver (its tick timer on the io thread, the group-commit disk thread and a reader
// thread) and, for an ensemble member, a zab::PeerTransport to the other members over TCP (TLS
// with sslQuorum=true, the ssl.quorum.* files reloaded when they change). Everything the
// transport reports goes to the driver; what the driver sends goes out on the transport.
//
// Threads: constructed, called and destroyed on the io thread. Ownership: owns the driver, the
// transport and the quorum TLS source; borrows the io_context, the LogStore and the node.
#pragma once

#include <memory>

#include <asio.hpp>

#include "server/config.h"
#include "server/node_replication.h"
#include "server/tls_context.h"
#include "zab/node_driver.h"
#include "zab/peer_transport.h"

namespace zk::server {

class DriverReplication final : public NodeReplication {
 public:
  // A ReplicationFactory for a node configured by `config` (server.N lines, sslQuorum, limits),
  // running on `io`. `config` must outlive what the factory builds.
  static ReplicationFactory Factory(asio::io_context& io, const ServerConfig& config);

  ~DriverReplication() override;

  zab::Status Start() override;
  void Stop() override;
  int64_t Propose(std::string data) override { return driver_->Propose(std::move(data)); }
  zab::ConfigProposal ProposeConfig(zab::QuorumConfig next, std::string txn) override {
    return driver_->ProposeConfig(std::move(next), std::move(txn));
  }
  int64_t NextZxid() const override { return driver_->NextZxid(); }
  void MembershipChanged(const std::map<zab::ServerId, zab::PeerAddress>& servers,
                         const std::string& text, int64_t version) override;
  bool SendApp(zab::ServerId to, std::string data) override {
    return driver_->SendApp(to, std::move(data));
  }
  const zab::Peer& peer() const override { return driver_->peer(); }
  void RunOnDisk(std::function<bool()> step) override {
    driver_->RunRepeatedlyOnDiskThread(std::move(step));
  }
  void Defer(std::function<void()> fn) override;
  void RunInBackground(std::function<void()> work, std::function<void()> then) override {
    driver_->RunInBackground(std::move(work), std::move(then));
  }
  void StateLoaded(const zab::Status& status) override { driver_->OnStateLoaded(status); }
  zab::GroupCommitLog::Stats LogStats() const override { return driver_->log_stats(); }

 private:
  DriverReplication(asio::io_context& io, const ServerConfig& config) : io_(io), config_(config) {}
  zab::Status Build(ReplicationSetup setup);

  asio::io_context& io_;
  const ServerConfig& config_;
  zab::PeerConfig member_;
  std::unique_ptr<TlsContextSource> quorum_tls_;
  std::unique_ptr<zab::PeerTransport> transport_;
  std::unique_ptr<zab::NodeDriver> driver_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool stopped_ = false;
  int64_t dynamic_written_ = -1;  // the version of the last dynamic config file written
};

}  // namespace zk::server
