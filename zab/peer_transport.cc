#include "zab/peer_transport.h"

#include <optional>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "zab/check.h"

namespace zk::zab {

namespace {

constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// Unlisted servers with higher ids that may connect (joining through a reconfiguration).
constexpr size_t kMaxUnknownPeers = 64;

}  // namespace

std::string PeerTransportConfig::Validate() const {
  auto self_it = servers.find(self);
  if (self_it == servers.end()) {
    return "the servers do not include this server (" + std::to_string(self) + ")";
  }
  for (const auto& [id, addr] : servers) {
    if (addr.host.empty()) return "server " + std::to_string(id) + " has no host";
    if (id != self && (addr.quorum_port == 0 || addr.election_port == 0)) {
      return "server " + std::to_string(id) + " has no quorum or election port";
    }
  }
  if (limits.max_frame_bytes < 1024 || limits.max_frame_bytes > (size_t{1} << 31)) {
    return "max_frame_bytes must be within [1 KiB, 2 GiB]";
  }
  if (limits.snapshot_chunk_bytes == 0 ||
      limits.snapshot_chunk_bytes + wire::kChunkOverheadBytes > limits.max_frame_bytes) {
    return "snapshot_chunk_bytes must be positive and leave room for its header in a frame";
  }
  if (limits.max_snapshot_bytes == 0) return "max_snapshot_bytes must be positive";
  if (limits.max_queued_bytes < limits.max_frame_bytes) {
    return "max_queued_bytes must hold at least one frame of max_frame_bytes";
  }
  if (limits.max_queued_snapshots == 0) return "max_queued_snapshots must be positive";
  if (max_pending_handshakes == 0) return "max_pending_handshakes must be positive";
  if (initial_backoff.count() <= 0 || max_backoff < initial_backoff) {
    return "backoff must satisfy 0 < initial_backoff <= max_backoff";
  }
  if (connect_timeout.count() <= 0 || handshake_timeout.count() <= 0) {
    return "timeouts must be positive";
  }
  return "";
}

PeerTransport::PeerTransport(asio::io_context& io, PeerTransportConfig config,
                             PeerTransportCallbacks callbacks)
    : io_(io), config_(std::move(config)), callbacks_(std::move(callbacks)) {
  for (const auto& [id, addr] : config_.servers) {
    if (id != config_.self) AddPeer(id, /*known=*/true);
  }
}

PeerTransport::PeerEntry& PeerTransport::AddPeer(ServerId id, bool known) {
  PeerEntry& entry = peers_[id];
  entry.known = known;
  for (Channel channel : {Channel::kElection, Channel::kQuorum}) {
    Link& link = entry.links[Index(channel)];
    link.peer = id;
    link.channel = channel;
    link.dialer = config_.self > id;
    link.timer = std::make_unique<asio::steady_timer>(io_);
    link.backoff = config_.initial_backoff;
  }
  return entry;
}

void PeerTransport::SetServers(const std::map<ServerId, PeerAddress>& servers) {
  for (const auto& [id, addr] : servers) {
    if (id == config_.self) continue;
    auto old = config_.servers.find(id);
    const bool moved = old != config_.servers.end() &&
                       (old->second.host != addr.host || old->second.quorum_port != addr.quorum_port ||
                        old->second.election_port != addr.election_port);
    config_.servers[id] = addr;
    auto it = peers_.find(id);
    if (it == peers_.end()) {
      AddPeer(id, /*known=*/true);
      it = peers_.find(id);
    } else if (!it->second.known) {
      it->second.known = true;
    }
    for (Link& link : it->second.links) {
      if (!link.dialer || !running_) continue;
      if (moved && link.conn) {
        LinkDown(link, "its address changed");  // redials at the new address
      } else if (!link.conn && !link.dialing) {
        link.backoff = config_.initial_backoff;
        Dial(link);
      }
    }
  }
  for (auto& [id, entry] : peers_) {
    if (servers.count(id) != 0 || !entry.known) continue;
    entry.known = false;
    config_.servers.erase(id);
    for (Link& link : entry.links) {
      ++link.generation;  // no redial
      link.timer->cancel();
    }
  }
}

PeerTransport::~PeerTransport() { Stop(); }

PeerTransport::Link* PeerTransport::FindLink(ServerId peer, Channel channel) {
  auto it = peers_.find(peer);
  return it == peers_.end() ? nullptr : &it->second.links[Index(channel)];
}

// ---- Lifecycle -------------------------------------------------------------------------------

Status PeerTransport::Start() {
  if (started_) return Status::InvalidArgument("peer transport started twice");
  started_ = true;
  running_ = true;
  alive_ = std::make_shared<char>();
  const PeerAddress& me = config_.servers.at(config_.self);
  std::vector<asio::ip::tcp::endpoint> own;
  asio::ip::address listen_address = asio::ip::address_v4::any();
  if (!config_.listen_on_all_ips) {
    if (Status s = Resolve(io_, me.host, 0, &own); !s.ok()) {
      Stop();
      return s;
    }
    listen_address = own.front().address();
    const bool one_address = std::all_of(
        own.begin(), own.end(), [&](const auto& e) { return e.address() == listen_address; });
    if (one_address && !listen_address.is_unspecified()) source_address_ = listen_address;
  }
  for (Channel channel : {Channel::kElection, Channel::kQuorum}) {
    const uint16_t port = channel == Channel::kElection ? me.election_port : me.quorum_port;
    if (Status s = Listen(channel, asio::ip::tcp::endpoint(listen_address, port)); !s.ok()) {
      Stop();
      return s;
    }
  }
  spdlog::info(
      "peer transport of server {}: listening on {} (election port {}, quorum port {}), "
      "dialing from {}",
      config_.self, listen_address.to_string(), ports_[Index(Channel::kElection)],
      ports_[Index(Channel::kQuorum)],
      source_address_ ? source_address_->to_string() : std::string("any address"));
  for (auto& [id, entry] : peers_) {
    for (Link& link : entry.links) {
      if (link.dialer) Dial(link);
    }
  }
  return Status::OK();
}

void PeerTransport::Stop() {
  if (!running_) return;
  running_ = false;
  alive_.reset();
  asio::error_code ec;
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    if (acceptors_[i]) acceptors_[i]->close(ec);
    if (accept_retry_[i]) accept_retry_[i]->cancel();
  }
  for (auto& [id, entry] : peers_) {
    for (Link& link : entry.links) {
      ++link.generation;
      link.timer->cancel();
      if (link.dialing) {
        link.dialing->close(ec);
        link.dialing.reset();
      }
      if (link.conn) Retire(link);
    }
  }
  for (auto& [ptr, pending] : pending_) pending.first->Close();
  pending_.clear();
}

// ---- Accepting -------------------------------------------------------------------------------

Status PeerTransport::Listen(Channel channel, const asio::ip::tcp::endpoint& endpoint) {
  auto acceptor = std::make_unique<TcpAcceptor>(io_);
  asio::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  asio::ip::tcp::endpoint bound;
  if (!ec) bound = acceptor->local_endpoint(ec);
  if (ec) {
    return Status::IOError("cannot listen for " + std::string(ChannelName(channel)) +
                           " connections on " + endpoint.address().to_string() + ":" +
                           std::to_string(endpoint.port()) + ": " + ec.message());
  }
  const size_t i = Index(channel);
  ports_[i] = bound.port();
  acceptors_[i] = std::move(acceptor);
  accept_retry_[i] = std::make_unique<asio::steady_timer>(io_);
  Accept(channel);
  return Status::OK();
}

void PeerTransport::Accept(Channel channel) {
  const size_t i = Index(channel);
  acceptors_[i]->async_accept([this, alive = std::weak_ptr<char>(alive_), channel, i](
                                  const asio::error_code& ec, TcpSocket socket) {
    if (alive.expired()) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      spdlog::warn("accepting {} connections: {}", ChannelName(channel), ec.message());
      accept_retry_[i]->expires_after(kAcceptRetry);
      accept_retry_[i]->async_wait([this, alive, channel](const asio::error_code& wait_ec) {
        if (!wait_ec && !alive.expired()) Accept(channel);
      });
      return;
    }
    OnAccepted(channel, std::move(socket));
    Accept(channel);
  });
}

void PeerTransport::OnAccepted(Channel channel, TcpSocket socket) {
  if (pending_.size() >= config_.max_pending_handshakes) {
    ++rejected_;
    asio::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    spdlog::warn(
        "refusing a peer connection from {} on the {} port: {} connections await "
        "their handshake",
        ec ? std::string("?") : remote.address().to_string(), ChannelName(channel),
        pending_.size());
    socket.close(ec);
    return;
  }
  std::optional<TlsSetup> tls;
  if (config_.tls_context) {
    asio::error_code rec;
    auto remote = socket.remote_endpoint(rec);
    tls = TlsSetup{config_.tls_context(), asio::ssl::stream_base::server,
                   config_.tls_verify_hostname && !rec ? remote.address().to_string() : ""};
  }
  auto conn = std::make_shared<PeerConnection>(std::move(socket), AsOwner(), config_.limits,
                                               tls ? &*tls : nullptr);
  pending_.emplace(conn.get(), std::make_pair(conn, channel));
  conn->SetDeadline(
      config_.handshake_timeout,
      "no handshake within " + std::to_string(config_.handshake_timeout.count()) + " ms");
  conn->Start(/*expect_handshake=*/true);
}

void PeerTransport::OnHandshake(PeerConnection& conn, const Handshake& hs) {
  auto it = pending_.find(&conn);
  if (it == pending_.end()) {
    conn.Close();
    return;
  }
  std::shared_ptr<PeerConnection> owned = std::move(it->second.first);
  const Channel port_channel = it->second.second;
  pending_.erase(it);

  std::string why;
  if (hs.magic != wire::kHandshakeMagic) {
    char magic[16];
    std::snprintf(magic, sizeof(magic), "0x%08x", hs.magic);
    why = std::string("bad magic ") + magic;
  } else if (hs.version != wire::kProtocolVersion) {
    why = "protocol version " + std::to_string(hs.version) + ", this server speaks " +
          std::to_string(wire::kProtocolVersion);
  } else if (hs.channel != port_channel) {
    why = std::string("a handshake for the ") + ChannelName(hs.channel) + " channel on the " +
          ChannelName(port_channel) + " port";
  } else if (hs.server_id == config_.self) {
    why = "this server's own id " + std::to_string(hs.server_id);
  } else if (hs.server_id < config_.self &&
             (peers_.count(hs.server_id) == 0 || !peers_.at(hs.server_id).known)) {
    why = "unknown server id " + std::to_string(hs.server_id);
  } else if (hs.server_id > config_.self && peers_.count(hs.server_id) == 0 &&
             unknown_peers_ >= kMaxUnknownPeers) {
    why = "unknown server id " + std::to_string(hs.server_id) + " (too many unknown servers)";
  } else if (hs.server_id < config_.self) {
    why = "server " + std::to_string(hs.server_id) + " has the lower id and must not dial";
  }
  if (!why.empty()) {
    Reject(conn, why);
    return;
  }
  if (peers_.count(hs.server_id) == 0) {
    // A server not (yet) in the configuration: one joining through a reconfiguration.
    ++unknown_peers_;
    AddPeer(hs.server_id, /*known=*/false);
    spdlog::info("server {} is not in this server's configuration; accepting it (joining)",
                 hs.server_id);
  }
  conn.CancelDeadline();
  conn.SetPeer(hs.server_id, hs.channel);
  Link& link = *FindLink(hs.server_id, hs.channel);
  if (link.conn) {
    LinkDown(link, "replaced by a new connection from the peer");
    if (!running_) {
      conn.Close();
      return;
    }
  }
  Adopt(link, std::move(owned), "accepted from");
}

void PeerTransport::Reject(PeerConnection& conn, const std::string& reason) {
  ++rejected_;
  spdlog::warn("rejecting a peer connection from {}: {}", conn.remote(), reason);
  conn.Close();
}

// ---- Connections up and down -----------------------------------------------------------------

void PeerTransport::Adopt(Link& link, std::shared_ptr<PeerConnection> conn, const char* how) {
  link.conn = std::move(conn);
  link.up_since = std::chrono::steady_clock::now();
  link.failed_dials = 0;
  ++peers_[link.peer].totals.connects;
  spdlog::info("peer server {} connected on the {} channel ({} {})", link.peer,
               ChannelName(link.channel), how, link.conn->remote());
  callbacks_.on_connected(link.peer, link.channel);
}

void PeerTransport::Retire(Link& link, bool flush) {
  std::shared_ptr<PeerConnection> conn = std::move(link.conn);
  if (flush) {
    conn->CloseAfterFlush(config_.handshake_timeout);
  } else {
    conn->Close();
  }
  PeerStats& totals = peers_[link.peer].totals;
  const PeerConnectionCounters& c = conn->counters();
  totals.messages_in += c.messages_in;
  totals.messages_out += c.messages_out;
  totals.bytes_in += c.bytes_in;
  totals.bytes_out += c.bytes_out;
}

void PeerTransport::LinkDown(Link& link, const std::string& reason, bool flush) {
  // A connection that carried traffic or lasted was a real one: redial quickly. One that died
  // at once, silent (say, its handshake was refused), keeps the back-off growing.
  const bool proven = link.conn->counters().messages_in > 0 ||
                      std::chrono::steady_clock::now() - link.up_since >= config_.max_backoff;
  Retire(link, flush);
  ++peers_[link.peer].totals.disconnects;
  spdlog::info("peer server {} disconnected on the {} channel: {}", link.peer,
               ChannelName(link.channel), reason);
  if (link.dialer && running_) {
    if (proven) link.backoff = config_.initial_backoff;
    ScheduleDial(link);
  }
  callbacks_.on_disconnected(link.peer, link.channel);
}

void PeerTransport::OnMessage(PeerConnection& conn, Message&& msg) {
  callbacks_.on_message(conn.peer(), std::move(msg));
}

void PeerTransport::OnFailed(PeerConnection& conn, const std::string& reason) {
  if (auto it = pending_.find(&conn); it != pending_.end()) {
    std::shared_ptr<PeerConnection> keep = std::move(it->second.first);
    pending_.erase(it);
    Reject(conn, reason);
    return;
  }
  Link* link = FindLink(conn.peer(), conn.channel());
  if (link == nullptr || link->conn.get() != &conn) return;
  LinkDown(*link, reason);
}

void PeerTransport::OnWritten(PeerConnection& conn) {
  if (!callbacks_.on_written) return;
  Link* link = FindLink(conn.peer(), conn.channel());
  if (link == nullptr || link->conn.get() != &conn) return;
  callbacks_.on_written(link->peer, link->channel);
}

// ---- Sending ---------------------------------------------------------------------------------

template <class Queue>
bool PeerTransport::SendOn(ServerId to, Channel channel, Queue&& queue) {
  Link* link = FindLink(to, channel);
  if (link == nullptr) return false;
  if (running_ && link->conn) {
    std::shared_ptr<PeerConnection> conn = link->conn;  // survives a failure inside queue
    if (queue(*conn)) return true;
  }
  ++peers_[to].totals.send_dropped;
  return false;
}

bool PeerTransport::Send(ServerId to, Message msg) {
  return SendOn(to, ChannelOf(msg), [&](PeerConnection& c) { return c.Send(std::move(msg)); });
}

size_t PeerTransport::SendToAll(const std::vector<ServerId>& to, const Message& msg) {
  ZK_CHECK(!std::holds_alternative<Snapshot>(msg));  // a snapshot is queued as chunks, per peer
  size_t taken = 0;
  auto frame = std::make_shared<std::string>();
  Status s = EncodeMessageFrame(msg, config_.limits.max_frame_bytes, frame.get());
  if (!s.ok()) spdlog::error("not sending a message to {} servers: {}", to.size(), s.ToString());
  std::shared_ptr<const std::string> shared = std::move(frame);
  for (ServerId id : to) {
    taken += SendOn(id, ChannelOf(msg),
                    [&](PeerConnection& c) { return s.ok() && c.SendFrame(shared); })
                 ? 1
                 : 0;
  }
  return taken;
}

void PeerTransport::Disconnect(ServerId peer, Channel channel) {
  Link* link = FindLink(peer, channel);
  if (!running_ || link == nullptr || !link->conn) return;
  LinkDown(*link, "closed by this server", /*flush=*/true);
}

size_t PeerTransport::QueuedBytes(ServerId peer, Channel channel) const {
  auto it = peers_.find(peer);
  if (!running_ || it == peers_.end()) return 0;
  const auto& conn = it->second.links[Index(channel)].conn;
  return conn ? conn->queued_bytes() : 0;
}

bool PeerTransport::IsConnected(ServerId peer, Channel channel) const {
  auto it = peers_.find(peer);
  return running_ && it != peers_.end() && it->second.links[Index(channel)].conn != nullptr;
}

PeerStats PeerTransport::Stats(ServerId peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return PeerStats{};
  PeerStats s = it->second.totals;
  for (const Link& link : it->second.links) {
    if (!link.conn) continue;
    const PeerConnectionCounters& c = link.conn->counters();
    s.messages_in += c.messages_in;
    s.messages_out += c.messages_out;
    s.bytes_in += c.bytes_in;
    s.bytes_out += c.bytes_out;
  }
  return s;
}

}  // namespace zk::zab
