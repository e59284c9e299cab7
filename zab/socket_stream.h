// SocketStream: the byte stream under a connection (a PeerConnection, a TLS client Connection):
// the TCP socket itself, or TLS over it, chosen before the first byte is read or written; the
// connection's read loop and writes go through it unchanged, with no extra thread or copy on
// the plain path. For TLS, a gathered write is coalesced into one buffer (OpenSSL writes one
// buffer at a time). All methods run on the io thread; the caller keeps the stream alive until
// its handlers ran (the connections' shared_ptr does).
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <asio.hpp>
#include <asio/ssl.hpp>

#include "zab/tcp_socket.h"

namespace zk::zab {

// How one end of a connection speaks TLS.
struct TlsSetup {
  std::shared_ptr<asio::ssl::context> context;
  asio::ssl::stream_base::handshake_type role = asio::ssl::stream_base::server;
  // Non-empty: the peer's certificate must name this DNS name or IP address.
  std::string verify_host;
};

class SocketStream {
 public:
  explicit SocketStream(TcpSocket socket) : socket_(std::move(socket)) {}
  SocketStream(const SocketStream&) = delete;  // the TLS stream refers to socket_
  SocketStream& operator=(const SocketStream&) = delete;

  // Turns the stream into one end of TLS with `context` (server role, no host check).
  // REQUIRES: nothing was read or written yet.
  void StartTls(std::shared_ptr<asio::ssl::context> context) {
    StartTls(TlsSetup{std::move(context), asio::ssl::stream_base::server, ""});
  }
  void StartTls(const TlsSetup& setup) {
    tls_ = std::make_unique<Tls>(socket_, setup);
    if (!setup.verify_host.empty()) {
      asio::error_code ec;
      tls_->stream.set_verify_callback(asio::ssl::host_name_verification(setup.verify_host), ec);
    }
  }
  bool is_tls() const { return tls_ != nullptr; }
  SSL* ssl() { return tls_ ? tls_->stream.native_handle() : nullptr; }
  TcpSocket& socket() { return socket_; }

  template <typename Handler>
  void AsyncHandshake(Handler handler) {
    tls_->stream.async_handshake(tls_->role, std::move(handler));
  }

  template <typename Handler>
  void AsyncReadSome(asio::mutable_buffer buffer, Handler handler) {
    if (tls_) {
      tls_->stream.async_read_some(buffer, std::move(handler));
    } else {
      socket_.async_read_some(buffer, std::move(handler));
    }
  }

  // Writes all of `buffers`; REQUIRES: no write in progress.
  template <typename Buffers, typename Handler>
  void AsyncWrite(const Buffers& buffers, Handler handler) {
    if (!tls_) {
      asio::async_write(socket_, buffers, std::move(handler));
      return;
    }
    std::string& out = tls_->out;
    out.clear();
    for (const auto& b : buffers) out.append(static_cast<const char*>(b.data()), b.size());
    asio::async_write(tls_->stream, asio::buffer(out), std::move(handler));
  }

  void Close() {
    asio::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  // What only a TLS stream needs, apart, so that a plain connection (most of them, and the
  // idle ones of a big fleet) does not carry it.
  struct Tls {
    Tls(TcpSocket& socket, const TlsSetup& setup)
        : context(setup.context), role(setup.role), stream(socket, *context) {}
    std::shared_ptr<asio::ssl::context> context;  // kept alive for stream
    asio::ssl::stream_base::handshake_type role;
    asio::ssl::stream<TcpSocket&> stream;
    std::string out;  // the coalesced write in progress
  };

  TcpSocket socket_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace zk::zab
