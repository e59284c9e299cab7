// Connection: the ClientLink of one client connection on the io thread, over plain TCP or TLS
// (on a unified port the first byte decides, the TLS handshake first when it opens one). It
// splits the byte stream into length-prefixed frames (rejecting negative or oversized lengths),
// recognises a four-letter word in the first four bytes, and writes the replies queued while one
// handler ran together, once it returns. When a client stops reading and its queued output
// passes a limit, the connection stops reading its requests until the queue drains
// (back-pressure). All methods run on the io thread; owned by shared_ptr (posted handlers and,
// for TLS, asio's handlers keep it alive until they ran).
//
// Plain TCP is a bare non-blocking descriptor in the ClientPoller (client_poller.h): readable
// and, while a write is cut short, writable interest, level-triggered; reads and gathered sends
// are direct system calls, so an idle session holds no asio state and no read buffer. TLS (and
// a unified port's connection once its first byte opens a handshake) goes through asio's
// stream (zab::SocketStream).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio.hpp>

#include "server/client_link.h"
#include "server/client_poller.h"
#include "server/fifo.h"
#include "zab/socket_stream.h"

namespace zk::server {

// How a connection speaks: plain TCP, TLS, or whichever the client's first byte shows.
enum class ConnectionSecurity : uint8_t { kPlain, kTls, kDetect };

// The address at the other end of the TCP socket `fd`; nullopt when it has none.
std::optional<asio::ip::tcp::endpoint> PeerEndpoint(int fd);

class Connection final : public ClientLink,
                         public ClientPoller::Handler,
                         public std::enable_shared_from_this<Connection> {
 public:
  // Takes `fd`, an accepted TCP socket (closed with the connection; every read and write on it
  // is non-blocking, whatever its flags). `poller` outlives every connection it serves
  // (ZooKeeperServer closes them all before it goes). `tls_context` is used when `security`
  // is kTls, or kDetect and the client starts TLS.
  Connection(int fd, ClientPoller* poller, uint64_t id, LinkHandler* handler,
             size_t max_frame_bytes, size_t max_queued_output_bytes,
             ConnectionSecurity security = ConnectionSecurity::kPlain,
             std::shared_ptr<asio::ssl::context> tls_context = nullptr);
  ~Connection() override;

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
  bool is_tls() const override { return stream_ != nullptr && stream_->is_tls(); }
  // The subject DN (RFC 2253) of the client's certificate; empty without TLS or certificate.
  const std::string& tls_peer_subject() const override;
  size_t queued_output_bytes() const override { return queued_bytes_; }

  // Plain TCP: what the poller saw on the socket.
  bool OnPollEvents(uint32_t events) override;
  // Plain TCP: the flush of replies queued during the poller's batch.
  void OnBatchEnd() override;

 private:
  // Plain TCP from the first byte on (a unified port's connection once it is known to be).
  void StartPlain();
  // Hands the socket from the poller to an asio stream and starts the TLS handshake.
  void StartTls();
  // Whether requests are read now: not closed or closing, not paused.
  bool ReadingAllowed() const {
    return !closed_ && !close_after_flush_ && !handler_paused_ && !read_paused_;
  }
  // (Re)starts reading unless paused (and pauses it while queued output is over the limit).
  void Read();
  // Compacts in_ (drops the parsed bytes) and grows it by read_chunk_; returns where the read
  // goes.
  size_t MakeReadRoom();
  // Plain TCP: one non-blocking read; returns true when it filled its buffer (more may wait).
  bool ReadNow();
  // A unified port, first byte: peeks at it; TLS or plain from then on. Returns true when the
  // connection is plain now (and its report is to be handled as such).
  bool DetectNow();
  void OnRead(const asio::error_code& ec, size_t n);
  void ParseFrames();
  // Writes what is queued: on plain TCP as much as the socket takes now, the rest when the
  // poller reports it writable; on TLS by an asynchronous write. Then closes (CloseAfterFlush)
  // or resumes reading.
  void Flush();
  // Plain TCP: gathered non-blocking sends until out_ is empty or the socket is full
  // (write_blocked_ then). Returns false when it closed the connection.
  bool WriteNow();
  // TLS: an asynchronous gathered write of the frames at the front of out_ (counted in writing_).
  void Write();
  void OnWrite(const asio::error_code& ec, size_t n);
  // Plain TCP: registers with the poller the interest the state asks for, when it adds any
  // (interest no longer wanted is dropped when a report shows it, see OnPollEvents).
  void WantPoll();
  // Plain TCP: the interest the state asks for (EPOLLIN while reading, EPOLLOUT while blocked).
  uint8_t WantedEvents() const;
  void NotifyClosed();

  // A TLS-capable connection's context and, once the handshake is done, its peer's subject:
  // apart, so that a plain connection does not carry them.
  struct TlsParts {
    std::shared_ptr<asio::ssl::context> context;
    std::string peer_subject;
  };

  // Members ordered without padding: 10,000 idle sessions hold 10,000 of them.
  ClientPoller* poller_;
  std::unique_ptr<zab::SocketStream> stream_;  // TLS only: null while fd_ is polled
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
  uint32_t writing_ = 0;  // TLS: frames at the front of out_ in the write in flight
  int fd_;  // plain TCP (and a unified port's until TLS): the socket; -1 once closed or TLS
  uint16_t remote_port_ = 0;
  uint8_t poll_events_ = 0;  // the interest registered for fd_ (EPOLLIN, EPOLLOUT)
  ConnectionSecurity security_;
  bool first_frame_ = true;
  bool reading_ = false;         // TLS: a read is in flight
  bool polled_ = false;          // fd_ is registered with poller_
  bool write_blocked_ = false;   // plain TCP: the socket took less than queued; wait for EPOLLOUT
  bool read_paused_ = false;     // paused because queued output is over the limit
  bool handler_paused_ = false;  // paused by the handler
  // A Flush is posted to run after the current handler, or deferred to the poller's batch end.
  bool flush_posted_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
  bool notified_ = false;
};

}  // namespace zk::server
