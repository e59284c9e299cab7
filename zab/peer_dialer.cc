// PeerTransport, the dialing side: address resolution, connect with a timeout, back-off.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "zab/peer_transport.h"

#include <optional>

namespace zk::zab {

Status PeerTransport::Resolve(asio::io_context& io, const std::string& host, uint16_t port,
                              std::vector<asio::ip::tcp::endpoint>* out) {
  out->clear();
  asio::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) {
    out->emplace_back(address, port);
    return Status::OK();
  }
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (!ec) {
    for (const auto& r : results) out->push_back(r.endpoint());
  }
  if (out->empty()) {
    return Status::IOError("cannot resolve " + host + ": " +
                           (ec ? ec.message() : std::string("no address")));
  }
  return Status::OK();
}

void PeerTransport::ScheduleDial(Link& link) {
  const uint64_t generation = ++link.generation;
  link.timer->expires_after(link.backoff);
  link.backoff = std::min(2 * link.backoff, config_.max_backoff);
  link.timer->async_wait(
      [this, alive = std::weak_ptr<char>(alive_), &link, generation](const asio::error_code& ec) {
        if (ec || alive.expired() || link.generation != generation) return;
        Dial(link);
      });
}

void PeerTransport::Dial(Link& link) {
  if (!running_ || link.conn || link.dialing || config_.servers.count(link.peer) == 0) return;
  const PeerAddress& addr = config_.servers.at(link.peer);
  const uint16_t port = link.channel == Channel::kElection ? addr.election_port : addr.quorum_port;
  std::vector<asio::ip::tcp::endpoint> endpoints;
  Status s = Resolve(io_, addr.host, port, &endpoints);
  if (!s.ok()) {
    if (link.failed_dials++ == 0) {
      spdlog::warn("dialing server {} ({} channel): {}", link.peer, ChannelName(link.channel),
                   s.message());
    }
    ScheduleDial(link);
    return;
  }
  if (source_address_) {
    // A socket bound to an IPv4 address cannot reach an IPv6 one, and the other way round.
    const bool v4 = source_address_->is_v4();
    std::erase_if(endpoints, [v4](const auto& e) { return e.address().is_v4() != v4; });
    if (endpoints.empty()) {
      if (link.failed_dials++ == 0) {
        spdlog::warn("dialing server {} ({} channel): {} has no address of the family of {}",
                     link.peer, ChannelName(link.channel), addr.host, source_address_->to_string());
      }
      ScheduleDial(link);
      return;
    }
  }
  link.dialing = std::make_shared<TcpSocket>(io_);
  const uint64_t generation = ++link.generation;
  // The connect timeout closes the socket; the connect then completes with operation_aborted.
  link.timer->expires_after(config_.connect_timeout);
  link.timer->async_wait(
      [alive = std::weak_ptr<char>(alive_), &link, generation](const asio::error_code& ec) {
        if (ec || alive.expired() || link.generation != generation || !link.dialing) return;
        asio::error_code ignored;
        link.dialing->close(ignored);
      });
  ConnectTo(link,
            std::make_shared<const std::vector<asio::ip::tcp::endpoint>>(std::move(endpoints)), 0,
            generation);
}

void PeerTransport::ConnectTo(Link& link,
                              std::shared_ptr<const std::vector<asio::ip::tcp::endpoint>> endpoints,
                              size_t next, uint64_t generation) {
  std::shared_ptr<TcpSocket> socket = link.dialing;
  const asio::ip::tcp::endpoint& to = (*endpoints)[next];
  asio::error_code ec;
  socket->close(ec);
  socket->open(to.protocol(), ec);
  if (!ec && source_address_) {
    socket->bind(asio::ip::tcp::endpoint(*source_address_, 0), ec);
  }
  std::weak_ptr<char> alive = alive_;
  auto done = [this, alive, &link, generation, endpoints, next,
               socket](const asio::error_code& result) {
    if (alive.expired() || link.generation != generation) return;
    if (result && result != asio::error::operation_aborted && next + 1 < endpoints->size()) {
      ConnectTo(link, endpoints, next + 1, generation);
      return;
    }
    OnDialed(link, result);
  };
  if (ec) {
    // Reported from the io_context, as a failed connect would be, never from within Dial.
    asio::post(io_, [done, ec] { done(ec); });
    return;
  }
  socket->async_connect(to, done);
}

void PeerTransport::OnDialed(Link& link, const asio::error_code& ec) {
  std::shared_ptr<TcpSocket> socket = std::move(link.dialing);
  ++link.generation;  // the connect timeout is moot
  link.timer->cancel();
  if (ec) {
    const std::string why =
        ec == asio::error::operation_aborted
            ? "timed out after " + std::to_string(config_.connect_timeout.count()) + " ms"
            : ec.message();
    // A peer that is down fails every dial: say so once, then quietly keep trying.
    if (link.failed_dials++ == 0) {
      spdlog::info("dialing server {} ({} channel) failed: {}; retrying", link.peer,
                   ChannelName(link.channel), why);
    } else {
      spdlog::debug("dialing server {} ({} channel) failed: {}", link.peer,
                    ChannelName(link.channel), why);
    }
    ScheduleDial(link);
    return;
  }
  std::optional<TlsSetup> tls;
  if (config_.tls_context) {
    tls = TlsSetup{config_.tls_context(), asio::ssl::stream_base::client,
                   config_.tls_verify_hostname && config_.servers.count(link.peer) != 0
                       ? config_.servers.at(link.peer).host
                       : ""};
  }
  auto conn = std::make_shared<PeerConnection>(std::move(*socket), AsOwner(), config_.limits,
                                               tls ? &*tls : nullptr);
  conn->SetPeer(link.peer, link.channel);
  conn->SendHandshake(
      Handshake{wire::kHandshakeMagic, wire::kProtocolVersion, config_.self, link.channel});
  conn->Start(/*expect_handshake=*/false);
  Adopt(link, std::move(conn), "dialed");
}

}  // namespace zk::zab
