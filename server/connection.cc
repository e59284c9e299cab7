#include "server/connection.h"

#include "server/tls_context.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

namespace zk::server {
namespace {

// A read asks for read_chunk_ bytes: kMinReadChunk (connection.h) on a quiet connection, doubled up to
// kMaxReadChunk while reads fill it (a pipelining client). A quiet plain-TCP connection with no
// partial frame waits for readability without any buffer and reads once data is there, so an
// idle session holds no read buffer at all (TLS keeps its kMinReadChunk: OpenSSL may hold
// decrypted bytes the socket no longer shows).
constexpr size_t kMaxReadChunk = 64 * 1024;
constexpr size_t kMaxGather = 64;
// A string of this capacity or more holds its bytes on the heap (libstdc++ holds up to 15 inline).
constexpr size_t kHeapStringBytes = 32;

bool IsFourLetterWord(const char* p) {
  for (int i = 0; i < 4; ++i) {
    if (p[i] < 'a' || p[i] > 'z') return false;
  }
  return true;
}

}  // namespace

std::optional<asio::ip::tcp::endpoint> PeerEndpoint(int fd) {
  asio::ip::tcp::endpoint ep;
  socklen_t len = static_cast<socklen_t>(ep.capacity());
  if (::getpeername(fd, ep.data(), &len) != 0) return std::nullopt;
  ep.resize(len);
  return ep;
}

Connection::Connection(int fd, ClientPoller* poller, uint64_t id, LinkHandler* handler,
                       size_t max_frame_bytes, size_t max_queued_output_bytes,
                       ConnectionSecurity security, std::shared_ptr<asio::ssl::context> tls_context)
    : poller_(poller),
      tls_(tls_context ? std::make_unique<TlsParts>(TlsParts{std::move(tls_context), {}})
                       : nullptr),
      id_(id),
      handler_(handler),
      max_frame_bytes_(static_cast<uint32_t>(std::min<size_t>(max_frame_bytes, UINT32_MAX))),
      max_queued_bytes_(
          static_cast<uint32_t>(std::min<size_t>(max_queued_output_bytes, UINT32_MAX))),
      fd_(fd),
      security_(security) {
  if (auto ep = PeerEndpoint(fd_)) {
    remote_address_ = ep->address().to_string();
    remote_port_ = ep->port();
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  stats_.established = std::chrono::system_clock::now();
}

Connection::~Connection() {
  if (fd_ >= 0) {
    poller_->Remove(fd_);
    ::close(fd_);
  }
}

void Connection::Start() {
  switch (security_) {
    case ConnectionSecurity::kPlain:
      StartPlain();
      return;
    case ConnectionSecurity::kTls:
      StartTls();
      return;
    case ConnectionSecurity::kDetect:
      // The first report of the socket peeks at its first byte (DetectNow).
      WantPoll();
      return;
  }
}

void Connection::StartPlain() {
  security_ = ConnectionSecurity::kPlain;
  Read();
}

const std::string& Connection::tls_peer_subject() const {
  static const std::string kNone;
  return tls_ ? tls_->peer_subject : kNone;
}

void Connection::StartTls() {
  if (!tls_) {  // a TLS port without a context: nothing to speak TLS with
    spdlog::warn("connection from {}:{} wants TLS, but no TLS context is configured",
                 remote_address_, remote_port_);
    Close();
    return;
  }
  // The socket leaves the poller for an asio stream.
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
  poller_->Remove(fd_);
  polled_ = false;
  poll_events_ = 0;
  zab::TcpSocket socket(poller_->context());
  asio::error_code assign_ec;
  socket.assign(local.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), fd_,
                assign_ec);
  if (assign_ec) {
    spdlog::warn("connection {} from {}: cannot start TLS: {}", id_, remote_address_,
                 assign_ec.message());
    Close();  // still owns fd_
    return;
  }
  fd_ = -1;
  stream_ = std::make_unique<zab::SocketStream>(std::move(socket));
  security_ = ConnectionSecurity::kTls;
  stream_->StartTls(tls_->context);
  stream_->AsyncHandshake([self = shared_from_this()](const asio::error_code& ec) {
    if (self->closed_) return;
    if (ec) {
      spdlog::info("TLS handshake with {}:{} failed: {}", self->remote_address_,
                   self->remote_port_, ec.message());
      self->Close();
      return;
    }
    self->tls_->peer_subject = PeerSubjectDn(self->stream_->ssl());
    self->handler_->OnTlsEstablished(*self);
    self->Read();
  });
}

void Connection::Read() {
  if (closed_ || close_after_flush_ || handler_paused_) return;
  if (queued_bytes_ > max_queued_bytes_) {
    read_paused_ = true;
    return;
  }
  read_paused_ = false;
  if (fd_ >= 0) {
    WantPoll();
    return;
  }
  if (reading_) return;
  reading_ = true;
  const size_t used = MakeReadRoom();
  stream_->AsyncReadSome(asio::buffer(in_.data() + used, read_chunk_),
                         [self = shared_from_this(), used](const asio::error_code& ec, size_t n) {
                           self->reading_ = false;
                           self->in_.resize(used + (ec ? 0 : n));
                           self->OnRead(ec, n);
                           if (!self->closed_) self->Read();
                         });
}

uint8_t Connection::WantedEvents() const {
  uint8_t want = 0;
  if (ReadingAllowed()) want |= EPOLLIN;
  if (write_blocked_) want |= EPOLLOUT;
  return want;
}

void Connection::WantPoll() {
  if (fd_ < 0 || closed_) return;
  // What is registered stays until a report shows it unwanted (OnPollEvents).
  const uint8_t want = poll_events_ | WantedEvents();
  if (polled_ && want == poll_events_) return;
  const int err = polled_ ? poller_->Modify(fd_, want) : poller_->Add(fd_, want, this);
  if (err != 0) {
    spdlog::warn("connection {} from {}: cannot poll its socket: {}", id_, remote_address_,
                 std::strerror(err));
    Close();
    return;
  }
  polled_ = true;
  poll_events_ = want;
}

bool Connection::OnPollEvents(uint32_t events) {
  auto self = shared_from_this();  // a handler below may drop the node's reference
  if (security_ == ConnectionSecurity::kDetect && !DetectNow()) return false;
  if ((events & EPOLLERR) != 0) {  // a socket error ends a TCP connection
    Close();
    return false;
  }
  if ((events & EPOLLOUT) != 0 && write_blocked_) {
    write_blocked_ = false;
    Flush();
    if (closed_) return false;
  }
  bool more = false;
  if ((events & (EPOLLIN | EPOLLHUP)) != 0) {
    if (ReadingAllowed()) {
      more = ReadNow();  // reads the end of the stream, if that is what came
      if (closed_) return false;
      Read();  // pauses reading while the queued output is over its limit
    } else if ((events & EPOLLHUP) != 0) {  // gone both ways: nothing to answer
      Close();
      return false;
    }
  }
  if (closed_) return false;
  // Interest no longer wanted goes now, so that a level-triggered report does not repeat.
  if (const uint8_t want = WantedEvents(); want != poll_events_) {
    poll_events_ = want;
    poller_->Modify(fd_, want);
  }
  return more;
}

bool Connection::DetectNow() {
  unsigned char first = 0;
  const ssize_t n = ::recv(fd_, &first, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  if (n <= 0) {
    Close();
    return false;
  }
  if (first == 0x16) {  // a TLS handshake record, as ZooKeeper's port unification detects TLS
    StartTls();
    return false;
  }
  StartPlain();
  return !closed_;
}

size_t Connection::MakeReadRoom() {
  if (in_start_ > 0) {  // drop what is parsed
    in_.erase(0, in_start_);
    in_start_ = 0;
  }
  const size_t used = in_.size();
  in_.resize(used + read_chunk_);
  return used;
}

bool Connection::ReadNow() {
  const size_t chunk = read_chunk_;
  const size_t used = MakeReadRoom();
  ssize_t n;
  do {
    n = ::recv(fd_, in_.data() + used, chunk, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    in_.resize(used);
    if (used == 0) std::string().swap(in_);  // woken with nothing to read: hold no buffer
    return false;
  }
  if (n <= 0) {
    in_.resize(used);
    OnRead(n == 0 ? asio::error::make_error_code(asio::error::eof)
                  : asio::error_code(errno, asio::error::get_system_category()),
           0);
    return false;
  }
  in_.resize(used + static_cast<size_t>(n));
  OnRead(asio::error_code(), static_cast<size_t>(n));
  return static_cast<size_t>(n) == chunk && !closed_;
}

void Connection::OnRead(const asio::error_code& ec, size_t n) {
  if (closed_) return;
  if (ec) {
    if (ec != asio::error::eof && ec != asio::error::connection_reset &&
        ec != asio::error::operation_aborted && ec != asio::ssl::error::stream_truncated) {
      spdlog::debug("connection {} from {}: read error: {}", id_, remote_address_, ec.message());
    }
    Close();
    return;
  }
  stats_.bytes_received += n;
  if (n == read_chunk_ && read_chunk_ < kMaxReadChunk) {
    read_chunk_ *= 2;
  } else if (n < read_chunk_ / 8 && read_chunk_ > kMinReadChunk) {
    read_chunk_ /= 2;
  }
  ParseFrames();
  if (in_start_ == in_.size()) {
    // Everything parsed: start over at the front. Give the buffer back on a quiet plain
    // connection (the next read allocates when data is there) or when it grew for a burst or
    // a large frame beyond what the next read needs.
    in_.clear();
    in_start_ = 0;
    const bool quiet = read_chunk_ == kMinReadChunk;
    if ((quiet && (fd_ >= 0 || in_.capacity() > 2 * kMinReadChunk)) ||
        in_.capacity() > 2 * kMaxReadChunk) {
      std::string().swap(in_);
    }
  }
}

void Connection::ParseFrames() {
  while (!closed_ && !close_after_flush_ && in_.size() - in_start_ >= 4) {
    const char* p = in_.data() + in_start_;
    if (first_frame_ && IsFourLetterWord(p)) {
      first_frame_ = false;
      std::string word(p, 4);
      in_start_ += 4;
      handler_->OnFourLetterWord(*this, word);
      return;
    }
    uint32_t be;
    std::memcpy(&be, p, 4);
    auto len = static_cast<int32_t>(ntohl(be));
    if (len < 0 || static_cast<size_t>(len) > max_frame_bytes_) {
      spdlog::warn("closing connection {} from {}:{}: frame length {} out of range (limit {})",
                   id_, remote_address_, remote_port_, len, max_frame_bytes_);
      Close();
      return;
    }
    if (in_.size() - in_start_ < 4 + static_cast<size_t>(len)) {
      // Make room for a large frame in one go.
      if (in_.capacity() < in_start_ + 4 + static_cast<size_t>(len) + read_chunk_) {
        in_.reserve(in_start_ + 4 + static_cast<size_t>(len) + read_chunk_);
      }
      return;
    }
    first_frame_ = false;
    std::string_view frame(p + 4, static_cast<size_t>(len));
    in_start_ += 4 + static_cast<size_t>(len);
    ++stats_.packets_received;
    handler_->OnFrame(*this, frame);
  }
}

void Connection::Send(std::string frame) {
  if (closed_) return;
  // A write in flight points into queued frames, which move when the queue grows: bytes held
  // inline by a short string would move with it. (A reply is never that short: 20 bytes at
  // least.)
  if (frame.capacity() < kHeapStringBytes) frame.reserve(kHeapStringBytes);
  queued_bytes_ += frame.size();
  out_.push_back(std::move(frame));
  ++stats_.packets_sent;
  // Replies to one batch of requests or txns go out together: the flush runs once the io thread
  // is done with the handler sending them, or with the poller's batch of reports. (A blocked
  // socket flushes when it is writable.)
  if (writing_ == 0 && !write_blocked_ && !flush_posted_) {
    flush_posted_ = true;
    if (polled_ && poller_->DeferToBatchEnd(this)) return;
    asio::post(poller_->context(), [self = shared_from_this()] {
      self->flush_posted_ = false;
      self->Flush();
    });
  }
}

void Connection::OnBatchEnd() {
  auto self = shared_from_this();  // the flush may close it, and the node drop it
  flush_posted_ = false;
  Flush();
}

void Connection::Flush() {
  if (closed_ || writing_ > 0) return;  // OnWrite flushes after the write in flight
  if (fd_ >= 0) {
    if (!WriteNow()) return;
    if (write_blocked_) WantPoll();  // the rest when the socket is writable
  } else if (!out_.empty()) {
    Write();
  }
  if (out_.empty()) {
    if (close_after_flush_) {
      Close();
      return;
    }
    // Everything is written: hold no storage while idle (after a burst of replies the
    // queue's vector was a few hundred bytes per connection; bench-scale.sh,
    // docs/performance.md).
    out_.ReleaseIfEmpty();
  }
  if (read_paused_ && queued_bytes_ <= max_queued_bytes_ / 2) Read();
}

bool Connection::WriteNow() {
  std::array<iovec, kMaxGather> iov;
  while (!out_.empty()) {
    size_t count = 0;
    size_t total = 0;
    for (auto it = out_.begin(); it != out_.end() && count < iov.size(); ++it) {
      iov[count++] = iovec{it->data(), it->size()};
      total += it->size();
    }
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = count;
    ssize_t sent;
    do {
      sent = ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        write_blocked_ = true;
        return true;
      }
      if (errno != EPIPE && errno != ECONNRESET) {
        spdlog::debug("connection {} from {}: write error: {}", id_, remote_address_,
                      std::strerror(errno));
      }
      Close();
      return false;
    }
    auto n = static_cast<size_t>(sent);
    stats_.bytes_sent += n;
    queued_bytes_ -= n;
    const bool all = n == total;
    while (n > 0) {
      std::string& front = out_.front();
      if (n < front.size()) {
        front.erase(0, n);  // written in part: the rest goes first next time
        break;
      }
      n -= front.size();
      out_.pop_front();
    }
    if (!all) {  // the socket took less: its buffer is full
      write_blocked_ = true;
      return true;
    }
  }
  write_blocked_ = false;
  return true;
}

void Connection::Write() {
  if (closed_ || out_.empty()) return;
  // The frames stay in out_ until written (OnWrite pops them).
  std::vector<asio::const_buffer> bufs;
  bufs.reserve(std::min(out_.size(), kMaxGather));
  for (auto it = out_.begin(); it != out_.end() && bufs.size() < kMaxGather; ++it) {
    bufs.emplace_back(asio::buffer(*it));
  }
  writing_ = static_cast<uint32_t>(bufs.size());
  stream_->AsyncWrite(bufs, [self = shared_from_this()](const asio::error_code& ec, size_t n) {
    self->OnWrite(ec, n);
  });
}

void Connection::OnWrite(const asio::error_code& ec, size_t n) {
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  stats_.bytes_sent += n;
  queued_bytes_ -= n;
  for (; writing_ > 0; --writing_) out_.pop_front();
  Flush();
}

void Connection::PauseReading() { handler_paused_ = true; }

void Connection::ResumeReading() {
  if (!handler_paused_) return;
  handler_paused_ = false;
  Read();
}

void Connection::CloseAfterFlush() {
  if (closed_) return;
  close_after_flush_ = true;
  if (out_.empty()) Close();  // else the flush or OnWrite closes
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  if (fd_ >= 0) {
    if (polled_) poller_->Remove(fd_);
    polled_ = false;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    fd_ = -1;
  } else if (stream_) {
    stream_->Close();
  }
  NotifyClosed();
}

void Connection::NotifyClosed() {
  if (notified_) return;
  notified_ = true;
  handler_->OnClosed(*this);
}

}  // namespace zk::server
