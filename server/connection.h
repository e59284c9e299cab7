// Connection: the ClientLink of one asio client connection on the io thread, over plain TCP or TLS (zab::SocketStream;
// on a unified port the first byte decides, the TLS handshake first when it opens one). It
// splits the byte stream into length-prefixed frames (rejecting negative or oversized lengths), recognises a four-letter
// word in the first four bytes, and writes the replies queued while one handler ran together,
// once it returns: a non-blocking gathered send on plain TCP (no asio operation, so an idle
// session holds only its read wait), an asynchronous write for what the socket does not take
// at once, and always for TLS. When a client
// stops reading and its queued output passes a limit, the connection stops reading its
// requests until the queue drains (back-pressure). All methods run on the io thread; owned by
// shared_ptr (asio handlers keep it alive until closed).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio.hpp>

#include "server/client_link.h"
#include "server/fifo.h"
#include "zab/socket_stream.h"

namespace zk::server {

// How a connection speaks: plain TCP, TLS, or whichever the client's first byte shows.
enum class ConnectionSecurity : uint8_t { kPlain, kTls, kDetect };

class Connection final : public ClientLink, public std::enable_shared_from_this<Connection> {
 public:
  // `tls_context` is used when `security` is kTls, or kDetect and the client starts TLS.
  Connection(zab::TcpSocket socket, uint64_t id, LinkHandler* handler,
             size_t max_frame_bytes, size_t max_queued_output_bytes,
             ConnectionSecurity security = ConnectionSecurity::kPlain,
             std::shared_ptr<asio::ssl::context> tls_context = nullptr);

  void Start();
  // Queues one complete frame (length prefix included) for writing.
  void Send(std::string frame) override;
  // Stops reading; closes once queued output is written.
  void CloseAfterFlush() override;
  // Closes now, dropping queued output. Idempotent.
  void Close() override;
  // Stops/resumes reading requests (the handler's back-pressure, e.g. too many outstanding
  // requests). Frames already read are still delivered.
  void PauseReading() override;
  void ResumeReading() override;

  uint64_t id() const override { return id_; }
  bool closed() const override { return closed_; }
  const std::string& remote_address() const override { return remote_address_; }
  uint16_t remote_port() const override { return remote_port_; }
  ConnectionStats& stats() override { return stats_; }
  bool is_tls() const override { return stream_.is_tls(); }
  // The subject DN (RFC 2253) of the client's certificate; empty without TLS or certificate.
  const std::string& tls_peer_subject() const override;
  size_t queued_output_bytes() const override { return queued_bytes_; }

 private:
  void StartTls();
  void Read();
  void OnReadable(const asio::error_code& ec);
  void OnRead(const asio::error_code& ec, size_t n);
  void ParseFrames();
  // Writes what is queued: as much as the socket takes at once (plain TCP, no asio operation),
  // the rest by an asynchronous write; then closes (CloseAfterFlush) or resumes reading.
  void Flush();
  // Plain TCP: gathered non-blocking sends until out_ is empty or the socket is full.
  void WriteNow();
  // An asynchronous gathered write of the frames at the front of out_ (counted in writing_).
  void Write();
  void OnWrite(const asio::error_code& ec, size_t n);
  void NotifyClosed();

  // A TLS-capable connection's context and, once the handshake is done, its peer's subject:
  // apart, so that a plain connection does not carry them.
  struct TlsParts {
    std::shared_ptr<asio::ssl::context> context;
    std::string peer_subject;
  };

  // Members ordered so that a Connection with its shared_ptr control block (312 bytes) fits the
  // allocator's 320-byte class: 10,000 idle sessions hold 10,000 of them.
  zab::SocketStream stream_;
  std::unique_ptr<TlsParts> tls_;  // null for a plain connection
  uint64_t id_;
  LinkHandler* handler_;
  std::string remote_address_;

  std::string in_;  // bytes read, not yet parsed

  // Frames queued; the first writing_ of them are being written by the write in flight, which
  // points into their bytes. Not a deque: an empty std::deque still holds a map and a 512-byte
  // node per idle session (fifo.h). Every frame's bytes are on the heap (Send), so they stay
  // where they are when the queue's storage grows while a write is in flight.
  Fifo<std::string> out_;
  size_t queued_bytes_ = 0;
  ConnectionStats stats_;

  uint32_t max_frame_bytes_;
  uint32_t max_queued_bytes_;
  uint32_t in_start_ = 0;  // parse position in in_
  static constexpr uint32_t kMinReadChunk = 1024;
  uint32_t read_chunk_ = kMinReadChunk;  // bytes asked for by the next read (connection.cc)
  uint32_t writing_ = 0;  // frames at the front of out_ in the write in flight
  uint16_t remote_port_ = 0;
  ConnectionSecurity security_;
  bool first_frame_ = true;
  bool reading_ = false;
  bool read_paused_ = false;     // paused because queued output is over the limit
  bool handler_paused_ = false;  // paused by the handler
  bool flush_posted_ = false;  // a Flush is posted to run after the current handler
  bool close_after_flush_ = false;
  bool closed_ = false;
  bool notified_ = false;
};

}  // namespace zk::server
