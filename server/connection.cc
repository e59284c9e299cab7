#include "server/connection.h"

#include "server/tls_context.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
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

Connection::Connection(zab::TcpSocket socket, uint64_t id, LinkHandler* handler,
                       size_t max_frame_bytes, size_t max_queued_output_bytes,
                       ConnectionSecurity security, std::shared_ptr<asio::ssl::context> tls_context)
    : stream_(std::move(socket)),
      tls_(tls_context ? std::make_unique<TlsParts>(TlsParts{std::move(tls_context), {}})
                       : nullptr),
      id_(id),
      handler_(handler),
      max_frame_bytes_(static_cast<uint32_t>(std::min<size_t>(max_frame_bytes, UINT32_MAX))),
      max_queued_bytes_(
          static_cast<uint32_t>(std::min<size_t>(max_queued_output_bytes, UINT32_MAX))),
      security_(security) {
  asio::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    remote_address_ = ep.address().to_string();
    remote_port_ = ep.port();
  }
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  stats_.established = std::chrono::system_clock::now();
}

void Connection::Start() {
  switch (security_) {
    case ConnectionSecurity::kPlain:
      Read();
      return;
    case ConnectionSecurity::kTls:
      StartTls();
      return;
    case ConnectionSecurity::kDetect:
      stream_.AsyncDetectTls([self = shared_from_this()](const asio::error_code& ec, bool tls) {
        if (self->closed_) return;
        if (ec) {
          self->Close();
        } else if (tls) {
          self->StartTls();
        } else {
          self->Read();
        }
      });
      return;
  }
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
  stream_.StartTls(tls_->context);
  stream_.AsyncHandshake([self = shared_from_this()](const asio::error_code& ec) {
    if (self->closed_) return;
    if (ec) {
      spdlog::info("TLS handshake with {}:{} failed: {}", self->remote_address_,
                   self->remote_port_, ec.message());
      self->Close();
      return;
    }
    self->tls_->peer_subject = PeerSubjectDn(self->stream_.ssl());
    self->handler_->OnTlsEstablished(*self);
    self->Read();
  });
}

void Connection::Read() {
  if (reading_ || closed_ || close_after_flush_ || handler_paused_) return;
  if (queued_bytes_ > max_queued_bytes_) {
    read_paused_ = true;
    return;
  }
  read_paused_ = false;
  reading_ = true;
  if (!stream_.is_tls() && in_start_ == in_.size() && read_chunk_ == kMinReadChunk) {
    // Quiet, nothing partial: wait without a buffer, then read what came (OnReadable).
    stream_.AsyncWaitReadable(
        [self = shared_from_this()](const asio::error_code& ec) { self->OnReadable(ec); });
    return;
  }
  // Compact the buffer, then read into its tail.
  if (in_start_ > 0) {
    in_.erase(0, in_start_);
    in_start_ = 0;
  }
  size_t used = in_.size();
  in_.resize(used + read_chunk_);
  stream_.AsyncReadSome(asio::buffer(in_.data() + used, read_chunk_),
                        [self = shared_from_this(), used](const asio::error_code& ec, size_t n) {
                          self->in_.resize(used + (ec ? 0 : n));
                          self->OnRead(ec, n);
                        });
}

void Connection::OnReadable(const asio::error_code& wait_ec) {
  if (closed_) {
    reading_ = false;
    return;
  }
  if (wait_ec) {
    OnRead(wait_ec, 0);
    return;
  }
  in_.clear();
  in_start_ = 0;
  in_.resize(read_chunk_);
  asio::error_code ec;
  const size_t n = stream_.ReceiveNow(asio::buffer(in_.data(), read_chunk_), ec);
  in_.resize(n);
  if (ec == asio::error::would_block) {  // woken with nothing to read: wait again
    reading_ = false;
    Read();
    return;
  }
  OnRead(ec, n);
}

void Connection::OnRead(const asio::error_code& ec, size_t n) {
  reading_ = false;
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
    // Everything parsed: start over at the front. Give the buffer back when the next read
    // waits without one (quiet plain TCP, see Read) or when it grew for a burst or a large
    // frame beyond what the next read needs.
    in_.clear();
    in_start_ = 0;
    const bool quiet = read_chunk_ == kMinReadChunk;
    if ((quiet && (!stream_.is_tls() || in_.capacity() > 2 * kMinReadChunk)) ||
        in_.capacity() > 2 * kMaxReadChunk) {
      std::string().swap(in_);
    }
  }
  Read();
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
  // is done with the handler sending them.
  if (writing_ == 0 && !flush_posted_) {
    flush_posted_ = true;
    asio::post(stream_.socket().get_executor(), [self = shared_from_this()] {
      self->flush_posted_ = false;
      self->Flush();
    });
  }
}

void Connection::Flush() {
  if (closed_ || writing_ > 0) return;  // OnWrite flushes after the write in flight
  if (!stream_.is_tls()) WriteNow();
  if (closed_) return;
  if (!out_.empty()) {
    Write();
  } else if (close_after_flush_) {
    Close();
    return;
  } else {
    // Everything is written: hold no storage while idle (after a burst of replies the queue's
    // vector was a few hundred bytes per connection; bench-scale.sh, docs/performance.md).
    out_.ReleaseIfEmpty();
  }
  if (read_paused_ && queued_bytes_ <= max_queued_bytes_ / 2) Read();
}

void Connection::WriteNow() {
  std::array<asio::const_buffer, kMaxGather> bufs;
  while (!out_.empty()) {
    size_t count = 0;
    size_t total = 0;
    for (auto it = out_.begin(); it != out_.end() && count < bufs.size(); ++it) {
      bufs[count++] = asio::buffer(*it);
      total += it->size();
    }
    asio::error_code ec;
    size_t n = stream_.SendNow(std::span<const asio::const_buffer>(bufs.data(), count), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      return;  // the socket is full: an async write takes the rest
    }
    if (ec) {
      Close();
      return;
    }
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
    if (!all) return;
  }
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
  stream_.AsyncWrite(bufs, [self = shared_from_this()](const asio::error_code& ec, size_t n) {
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
  stream_.Close();
  NotifyClosed();
}

void Connection::NotifyClosed() {
  if (notified_) return;
  notified_ = true;
  handler_->OnClosed(*this);
}

}  // namespace zk::server
