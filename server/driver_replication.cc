#include "server/driver_replication.h"

#include <spdlog/spdlog.h>

#include "server/dynamic_config_file.h"

namespace zk::server {
ReplicationFactory DriverReplication::Factory(asio::io_context& io, const ServerConfig& config) {
  return [&io, &config](ReplicationSetup setup)
             -> zab::Result<std::unique_ptr<NodeReplication>> {
    std::unique_ptr<DriverReplication> r(new DriverReplication(io, config));
    if (zab::Status s = r->Build(std::move(setup)); !s.ok()) return s;
    return std::unique_ptr<NodeReplication>(std::move(r));
  };
}

DriverReplication::~DriverReplication() { Stop(); }

zab::Status DriverReplication::Build(ReplicationSetup setup) {
  zab::NodeDriverOptions options;
  options.tick = std::chrono::milliseconds(kReplicationTickMs);
  options.send = [this](zab::ServerId to, zab::Message&& msg) {
    return transport_ && transport_->Send(to, std::move(msg));
  };
  options.send_to_all = [this](const std::vector<zab::ServerId>& to, const zab::Message& msg) {
    if (transport_) transport_->SendToAll(to, msg);
  };
  options.disconnect = [this](zab::ServerId peer) {
    if (transport_) transport_->Disconnect(peer, zab::Channel::kQuorum);
  };
  options.queued_bytes = [this](zab::ServerId peer) -> size_t {
    return transport_ ? transport_->QueuedBytes(peer, zab::Channel::kQuorum) : 0;
  };
  options.stream_high_water_bytes = setup.replica.stream_high_water_bytes;
  options.stream_max_held_bytes = setup.replica.stream_max_held_bytes;
  options.slow_sync = std::chrono::milliseconds(config_.fsync_warning_threshold_ms);
  member_ = setup.peer;
  driver_ = std::make_unique<zab::NodeDriver>(io_, setup.peer, setup.durable, setup.log, setup.machine,
                                              std::move(options), setup.seed);
  if (!config_.IsDistributed()) return zab::Status::OK();

  zab::PeerTransportConfig tc;
  tc.self = config_.server_id;
  tc.limits.max_queued_bytes = static_cast<size_t>(config_.test_peer_max_queued_bytes);
  tc.listen_on_all_ips = config_.quorum_listen_on_all_ips;
  for (const auto& [id, a] : config_.servers) {
    tc.servers[id] = zab::PeerAddress{a.host, static_cast<uint16_t>(a.quorum_port),
                                      static_cast<uint16_t>(a.election_port)};
  }
  if (config_.ssl_quorum) {
    auto tls = TlsContextSource::Create(io_, config_.quorum_tls, "quorum");
    if (!tls.ok()) return tls.status();
    quorum_tls_ = std::move(tls.value());
    tc.tls_context = [this] { return quorum_tls_->current(); };
    tc.tls_verify_hostname = config_.quorum_tls.hostname_verification;
  }
  zab::PeerTransportCallbacks cb;
  cb.on_connected = [this](zab::ServerId p, zab::Channel c) { driver_->OnConnected(p, c); };
  cb.on_disconnected = [this](zab::ServerId p, zab::Channel c) { driver_->OnDisconnected(p, c); };
  cb.on_message = [this](zab::ServerId p, zab::Message&& m) {
    driver_->OnMessage(p, std::move(m));
  };
  cb.on_written = [this](zab::ServerId p, zab::Channel c) {
    if (c == zab::Channel::kQuorum) driver_->OnOutputWritten(p);
  };
  transport_ = std::make_unique<zab::PeerTransport>(io_, std::move(tc), std::move(cb));
  return zab::Status::OK();
}

zab::Status DriverReplication::Start() {
  if (transport_) {
    if (zab::Status s = transport_->Start(); !s.ok()) return s;
    spdlog::info("ensemble member {} of {} voters and {} observers; looking for a leader",
                 member_.id, member_.voters.size(), member_.observers.size());
  }
  driver_->Start();
  return zab::Status::OK();
}

void DriverReplication::Stop() {
  if (stopped_) return;
  stopped_ = true;
  alive_.reset();
  if (quorum_tls_) quorum_tls_->Stop();
  if (transport_) transport_->Stop();
  if (driver_) driver_->Stop();  // drains and syncs what was submitted
}

void DriverReplication::MembershipChanged(const std::map<zab::ServerId, zab::PeerAddress>& servers,
                                          const std::string& text, int64_t version) {
  if (transport_) transport_->SetServers(servers);
  // Written once per version (the config file named it already when the server started).
  if (version == 0 || config_.config_file_path.empty() || version == dynamic_written_ ||
      version == config_.dynamic_config_version) {
    return;
  }
  dynamic_written_ = version;
  if (zab::Status s = WriteDynamicConfig(config_.config_file_path, text, version); !s.ok()) {
    // The log holds the membership (what a restart uses); the files are for operators.
    spdlog::warn("could not write the dynamic configuration of version {:x}: {}", version,
                 s.message());
  }
}

void DriverReplication::Defer(std::function<void()> fn) {
  asio::post(io_, [alive = std::weak_ptr<bool>(alive_), fn = std::move(fn)] {
    if (!alive.expired()) fn();
  });
}

}  // namespace zk::server
