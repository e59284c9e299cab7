// PeerTransport: the TCP mesh between the servers of an ensemble, carrying ZAB peer messages
// (messages.h) in the format of message_codec.h. It runs entirely on the caller's io_context:
// no threads of its own, no locks.
//
// Addresses. Each server listens on its quorum port and its election port at its own host (the
// address of its own entry in `servers`), or on every address with listen_on_all_ips. Its dials
// leave from that same address when the host is one specific address (an IP literal other than
// the wildcard, or a name resolving to exactly one address) and listen_on_all_ips is off: a peer
// then sees, and a firewall can match, every server by its own address in both directions.
// Otherwise (a wildcard host, a name with several addresses, listen_on_all_ips) the kernel picks
// the source address; a dial then tries each of the peer's addresses in turn.
//
// Topology. Between two servers
// there is at most one connection per channel, and only the server with the higher id dials
// (the lower id's port for that channel). The dialer opens with a Handshake frame (magic,
// version, its id, the channel); the acceptor closes, with one log line, a connection whose
// handshake is malformed, has a bad magic or version, a lower id, or names the other port's
// channel. A higher id the acceptor does not know is accepted (a server joining through a
// reconfiguration dials the members before they list it; at most 64 such ids), but never dialed. A newly accepted connection from a peer replaces the one it had for that
// channel (on_disconnected for the old one, then on_connected). A dialer redials a lost
// connection, or a failed dial, with exponential back-off: initial_backoff doubling to
// max_backoff, and back to initial_backoff after a connection that received a message or lasted
// max_backoff (a connection refused at once, e.g. at its handshake, does not reset it).
//
// Delivery. Messages are FIFO per connection. on_connected(peer, channel) opens a connection's
// lifetime and on_disconnected(peer, channel) closes it; on_message(peer, msg) comes only in
// between, so nothing read from a connection is delivered once it has been reported down. A
// dead peer's connections are reported down as soon as its EOF or RST arrives (every
// connection keeps a read outstanding). A Snapshot travels as chunk frames, streamed as the
// socket drains, and is delivered whole. Any malformed frame closes its connection.
//
// on_written(peer, channel) reports that queued output was written, so a sender that paces
// itself by QueuedBytes() can queue more.
//
// Callbacks run on the io thread: from asio handlers, and on_disconnected also from within
// Send() (its output queue overflowed) and Disconnect(). Callbacks may call Send, Disconnect,
// IsConnected, Stats and Stop, but must not destroy the transport. Stop() reports nothing; no
// callback runs after it returns.
//
// TLS. With tls_context set, every connection is TLS (mutual, as the context's verify mode
// says): the dialer is the TLS client, the acceptor the TLS server, and the TLS handshake
// precedes the peer Handshake frame, within the same handshake timeout. With
// tls_verify_hostname, the dialer checks the peer's certificate against the configured host and
// the acceptor against the dialer's address. A connection whose TLS handshake fails is closed
// like one with a bad Handshake (logged; the dialer backs off).
//
// Hosts are resolved synchronously when dialing (numeric addresses need no lookup).
//
// Thread-safety: none. Construct, Start and call everything on the io thread (or before the
// io_context runs); destroy it there too. The io_context must outlive the transport.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

// After the standard headers: asio picks its allocation functions by macros those define, and
// every translation unit must make the same choice.
#include <asio.hpp>

#include "zab/messages.h"
#include "zab/peer_connection.h"
#include "zab/status.h"
#include "zab/tcp_socket.h"

namespace zk::zab {

// Where a server listens (zoo.cfg's server.N=host:quorumPort:electionPort).
struct PeerAddress {
  std::string host;
  uint16_t quorum_port = 0;
  uint16_t election_port = 0;
};

struct PeerTransportConfig {
  ServerId self = 0;
  // Every server of the ensemble, this one included: its own entry is where it listens (port 0:
  // the kernel picks one, see listen_port()); observers count like the others.
  std::map<ServerId, PeerAddress> servers;

  PeerConnectionLimits limits;
  size_t max_pending_handshakes = 32;  // accepted connections that have not yet identified
  std::chrono::milliseconds initial_backoff{20};
  std::chrono::milliseconds max_backoff{1000};
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds handshake_timeout{2000};
  // The TLS context for each new connection (called as it opens, so a reloaded certificate
  // applies to new connections); empty = plain TCP.
  std::function<std::shared_ptr<asio::ssl::context>()> tls_context;
  bool tls_verify_hostname = true;
  // Listen on every local address (zoo.cfg's quorumListenOnAllIPs) rather than on this server's
  // own host only; dials then leave from whatever address the kernel picks.
  bool listen_on_all_ips = false;

  // Empty, or what is wrong.
  std::string Validate() const;
};

struct PeerStats {
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t connects = 0;
  uint64_t disconnects = 0;
  uint64_t send_dropped = 0;  // Send() found no connection or could not queue
};

struct PeerTransportCallbacks {
  std::function<void(ServerId peer, Channel channel)> on_connected;
  std::function<void(ServerId peer, Channel channel)> on_disconnected;
  std::function<void(ServerId from, Message&& msg)> on_message;
  // Optional: a write of queued output to `peer` completed (QueuedBytes went down).
  std::function<void(ServerId peer, Channel channel)> on_written;
};

class PeerTransport final : private PeerConnection::Owner {
 public:
  // REQUIRES: config.Validate() is empty; every callback is set.
  PeerTransport(asio::io_context& io, PeerTransportConfig config, PeerTransportCallbacks callbacks);
  // Stops.
  ~PeerTransport() override;
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Listens on both ports and starts dialing the servers with lower ids. IOError when a port
  // cannot be bound (nothing is left running then). REQUIRES: called once.
  Status Start();
  // Closes every connection and listener, reporting nothing. Idempotent; the transport cannot
  // be started again.
  void Stop();

  // Queues `msg` on the connection to `to` for ChannelOf(msg). False (the message dropped) when
  // that connection is not up or the message cannot be sent (see PeerConnection::Send).
  bool Send(ServerId to, Message msg);
  // Queues `msg` for each of `to` as Send would, encoded once: every connection writes the same
  // frame. Returns how many connections took it.
  // REQUIRES: `msg` is not a Snapshot (Send cuts one into chunks for its connection).
  size_t SendToAll(const std::vector<ServerId>& to, const Message& msg);
  // Closes the connection to `peer` on `channel`, if up, and reports it down; the dialing side
  // redials after its back-off. What was queued on it is still written (within the handshake
  // timeout): a leader that steps down delivers its last COMMITs.
  void Disconnect(ServerId peer, Channel channel);
  // The ensemble's members changed (a committed reconfiguration): dials the new servers it
  // should dial, redials a member whose address changed, and stops dialing servers no longer
  // listed (their connections stay until either side closes them). This server's own entry is
  // ignored: it keeps listening where it started.
  void SetServers(const std::map<ServerId, PeerAddress>& servers);

  bool IsConnected(ServerId peer, Channel channel) const;
  // Bytes of ordinary frames queued on that connection and not yet written (0 when down).
  size_t QueuedBytes(ServerId peer, Channel channel) const;
  // The bound port (after Start), also when the configuration asked for port 0.
  uint16_t listen_port(Channel channel) const { return ports_[Index(channel)]; }
  // The address dials leave from (after Start); empty when the kernel picks it.
  const std::optional<asio::ip::address>& source_address() const { return source_address_; }
  PeerStats Stats(ServerId peer) const;
  // Connections closed before identifying themselves or after a bad handshake.
  uint64_t rejected_connections() const { return rejected_; }

 private:
  // One (peer, channel) pair.
  struct Link {
    ServerId peer = 0;
    Channel channel = Channel::kElection;
    bool dialer = false;  // this server dials the peer
    std::shared_ptr<PeerConnection> conn;
    std::chrono::steady_clock::time_point up_since;
    // Dialing state.
    std::unique_ptr<asio::steady_timer> timer;  // back-off, then connect timeout
    std::shared_ptr<TcpSocket> dialing;
    uint64_t generation = 0;  // invalidates stale timer and connect completions
    std::chrono::milliseconds backoff{0};
    uint64_t failed_dials = 0;  // since the last connection
  };
  struct PeerEntry {
    std::array<Link, 2> links;
    // Listed in the configuration (its address known). A server with a higher id that is not
    // listed may still connect (it is joining through a reconfiguration); it is never dialed.
    bool known = true;
    PeerStats totals;  // connects, disconnects, drops, and the traffic of closed connections
  };

  static size_t Index(Channel c) { return static_cast<size_t>(c); }
  PeerConnection::Owner* AsOwner() { return this; }
  // Hands the connection to `to` on `channel` to queue(conn) if it is up; a message it does not
  // take (or that finds no connection to a known peer) counts as dropped.
  template <class Queue>
  bool SendOn(ServerId to, Channel channel, Queue&& queue);
  Link* FindLink(ServerId peer, Channel channel);
  PeerEntry& AddPeer(ServerId id, bool known);

  // peer_transport.cc
  Status Listen(Channel channel, const asio::ip::tcp::endpoint& endpoint);
  void Accept(Channel channel);
  void OnAccepted(Channel channel, TcpSocket socket);
  void Adopt(Link& link, std::shared_ptr<PeerConnection> conn, const char* how);
  // Closes the link's connection (with `flush`, after writing what is queued) and adds its
  // traffic to the totals; reports nothing.
  void Retire(Link& link, bool flush = false);
  // Takes the link's connection down: closes it, logs, schedules a redial, reports it.
  void LinkDown(Link& link, const std::string& reason, bool flush = false);
  void OnHandshake(PeerConnection& conn, const Handshake& hs) override;
  void OnMessage(PeerConnection& conn, Message&& msg) override;
  void OnFailed(PeerConnection& conn, const std::string& reason) override;
  void OnWritten(PeerConnection& conn) override;
  void Reject(PeerConnection& conn, const std::string& reason);

  // peer_dialer.cc
  static Status Resolve(asio::io_context& io, const std::string& host, uint16_t port,
                        std::vector<asio::ip::tcp::endpoint>* out);
  void ScheduleDial(Link& link);
  void Dial(Link& link);
  // Connects link.dialing to endpoints[next], from source_address_ if set; on a refusal or
  // error tries the next endpoint, and reports the last outcome to OnDialed.
  void ConnectTo(Link& link, std::shared_ptr<const std::vector<asio::ip::tcp::endpoint>> endpoints,
                 size_t next, uint64_t generation);
  void OnDialed(Link& link, const asio::error_code& ec);

  asio::io_context& io_;
  PeerTransportConfig config_;
  PeerTransportCallbacks callbacks_;
  bool started_ = false;
  bool running_ = false;
  // Handlers hold a weak_ptr to this and do nothing once it has expired (Stop or destruction).
  std::shared_ptr<char> alive_;
  std::array<std::unique_ptr<TcpAcceptor>, 2> acceptors_;
  std::array<std::unique_ptr<asio::steady_timer>, 2> accept_retry_;
  std::array<uint16_t, 2> ports_{};
  std::optional<asio::ip::address> source_address_;
  std::map<ServerId, PeerEntry> peers_;
  // Accepted connections awaiting their handshake, with the channel of the port they came to.
  std::unordered_map<PeerConnection*, std::pair<std::shared_ptr<PeerConnection>, Channel>> pending_;
  uint64_t rejected_ = 0;
  size_t unknown_peers_ = 0;  // entries made for unlisted servers that connected
};

}  // namespace zk::zab
