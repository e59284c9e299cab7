// ClientStream: the byte stream under a client Connection, either the TCP socket itself or TLS
// over it (server side), chosen when the connection starts; the connection's read loop and
// writes go through it unchanged. For TLS, a gathered write is coalesced into one buffer
// (OpenSSL writes one buffer per record). All methods run on the io thread; the caller keeps
// the stream alive until its handlers ran (Connection's shared_ptr does).
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <asio.hpp>
#include <asio/ssl.hpp>

namespace zk::server {

class ClientStream {
 public:
  explicit ClientStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  // Turns the stream into the server end of TLS with `context`.
  // REQUIRES: nothing was read or written yet.
  void StartTls(std::shared_ptr<asio::ssl::context> context) {
    context_ = std::move(context);
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *context_);
  }
  bool is_tls() const { return tls_ != nullptr; }
  SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }
  asio::ip::tcp::socket& socket() { return socket_; }

  // Waits for the first byte and calls handler(ec, starts_tls) without consuming it: true when
  // it opens a TLS handshake record (0x16), as ZooKeeper's port unification detects TLS.
  template <typename Handler>
  void AsyncDetectTls(Handler handler) {
    socket_.async_wait(asio::socket_base::wait_read,
                       [this, handler = std::move(handler)](const asio::error_code& ec) mutable {
                         unsigned char first = 0;
                         asio::error_code rec = ec;
                         size_t n = 0;
                         if (!rec) {
                           n = socket_.receive(asio::buffer(&first, 1),
                                               asio::socket_base::message_peek, rec);
                         }
                         handler(rec, n == 1 && first == 0x16);
                       });
  }

  template <typename Handler>
  void AsyncHandshake(Handler handler) {
    tls_->async_handshake(asio::ssl::stream_base::server, std::move(handler));
  }

  template <typename Handler>
  void AsyncReadSome(asio::mutable_buffer buffer, Handler handler) {
    if (tls_) {
      tls_->async_read_some(buffer, std::move(handler));
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
    tls_out_.clear();
    for (const auto& b : buffers) {
      tls_out_.append(static_cast<const char*>(b.data()), b.size());
    }
    asio::async_write(*tls_, asio::buffer(tls_out_), std::move(handler));
  }

  void Close() {
    asio::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  asio::ip::tcp::socket socket_;
  std::shared_ptr<asio::ssl::context> context_;  // kept alive for tls_
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  std::string tls_out_;  // the coalesced write in progress
};

}  // namespace zk::server
