#include "zab/peer_connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace zk::zab {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxRead = 4 << 20;
constexpr size_t kMaxGather = 256;                  // buffers per write
constexpr size_t kMaxWriteBatch = size_t{4} << 20;  // bytes per write, reached by snapshot chunks

}  // namespace

PeerConnection::PeerConnection(TcpSocket socket, Owner* owner,
                               const PeerConnectionLimits& limits, const TlsSetup* tls)
    : stream_(std::move(socket)),
      stream_ready_(tls == nullptr),
      deadline_(stream_.socket().get_executor()),
      owner_(owner),
      limits_(limits),
      assembler_(limits.max_snapshot_bytes) {
  if (tls != nullptr) stream_.StartTls(*tls);
  asio::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  stream_.socket().set_option(asio::socket_base::keep_alive(true), ec);
}

PeerConnection::~PeerConnection() = default;

void PeerConnection::Start(bool expect_handshake) {
  expect_handshake_ = expect_handshake;
  if (stream_ready_) {
    Read();
  } else {
    StartTlsHandshake();
  }
}

void PeerConnection::StartTlsHandshake() {
  stream_.AsyncHandshake([self = shared_from_this()](const asio::error_code& ec) {
    if (self->closed_) return;
    if (ec) {
      self->Fail("TLS handshake: " + ec.message());
      return;
    }
    self->stream_ready_ = true;
    self->Read();
    self->Write();
  });
}

void PeerConnection::SetPeer(ServerId peer, Channel channel) {
  peer_ = peer;
  channel_ = channel;
  peer_known_ = true;
}

// ---- Reading ---------------------------------------------------------------------------------

void PeerConnection::Reserve(size_t n) {
  if (in_capacity_ - in_end_ >= n) return;
  const size_t used = in_end_ - in_start_;
  if (in_capacity_ - used >= n) {
    std::memmove(in_.get(), in_.get() + in_start_, used);
  } else {
    const size_t capacity = std::max(used + n, 2 * in_capacity_);
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (used > 0) std::memcpy(bigger.get(), in_.get() + in_start_, used);
    in_ = std::move(bigger);
    in_capacity_ = capacity;
  }
  in_start_ = 0;
  in_end_ = used;
}

void PeerConnection::Read() {
  if (reading_ || closed_) return;
  reading_ = true;
  const size_t n = std::max(kReadChunk, std::min(want_, kMaxRead));
  Reserve(n);
  stream_.AsyncReadSome(asio::buffer(in_.get() + in_end_, n),
                        [self = shared_from_this()](const asio::error_code& ec, size_t got) {
                          self->OnRead(ec, got);
                        });
}

void PeerConnection::OnRead(const asio::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    Fail(ec == asio::error::eof ? std::string("closed by the peer") : "read: " + ec.message());
    return;
  }
  in_end_ += n;
  counters_.bytes_in += n;
  ParseFrames();
  Read();
}

void PeerConnection::ParseFrames() {
  while (!closed_) {
    const size_t avail = in_end_ - in_start_;
    if (avail < wire::kFrameHeaderBytes) {
      want_ = wire::kFrameHeaderBytes - avail;
      return;
    }
    uint32_t len = 0;
    Status s = DecodeFrameHeader(in_.get() + in_start_, limits_.max_frame_bytes, &len);
    if (!s.ok()) {
      Fail(s.message());
      return;
    }
    const size_t frame = wire::kFrameHeaderBytes + len;
    if (avail < frame) {
      want_ = frame - avail;
      return;
    }
    want_ = 0;
    std::string_view payload(in_.get() + in_start_ + wire::kFrameHeaderBytes, len);
    in_start_ += frame;
    if (!OnFrame(payload)) return;
  }
}

bool PeerConnection::OnFrame(std::string_view payload) {
  if (expect_handshake_) {
    expect_handshake_ = false;
    Handshake hs;
    Status s = DecodeHandshake(payload, &hs);
    if (!s.ok()) {
      Fail(s.message());
      return false;
    }
    if (owner_ == nullptr) return false;
    owner_->OnHandshake(*this, hs);
    if (!closed_ && !peer_known_) Close();  // the owner neither adopted nor closed it
    return !closed_;
  }
  wire::Tag tag;
  Status s = PeekTag(payload, &tag);
  if (s.ok() && tag == wire::Tag::kSnapshotChunk) {
    if (channel_ != Channel::kQuorum) {
      Fail("snapshot chunk on the election channel");
      return false;
    }
    SnapshotChunk chunk;
    s = DecodeSnapshotChunk(payload, &chunk);
    bool complete = false;
    Snapshot snapshot;
    if (s.ok()) s = assembler_.Add(chunk, &complete, &snapshot);
    if (!s.ok()) {
      Fail(s.message());
      return false;
    }
    if (complete) Deliver(std::move(snapshot));
    return !closed_;
  }
  if (s.ok() && assembler_.in_progress()) {
    Fail("a frame inside a snapshot stream");
    return false;
  }
  Message msg;
  if (s.ok()) s = DecodeMessage(payload, &msg);
  if (!s.ok()) {
    Fail(s.message());
    return false;
  }
  if (ChannelOf(msg) != channel_) {
    Fail(std::string("a ") + (channel_ == Channel::kElection ? "quorum" : "election") +
         " message on the " + ChannelName(channel_) + " channel");
    return false;
  }
  Deliver(std::move(msg));
  return !closed_;
}

void PeerConnection::Deliver(Message&& msg) {
  ++counters_.messages_in;
  if (owner_ != nullptr) owner_->OnMessage(*this, std::move(msg));
}

// ---- Writing ---------------------------------------------------------------------------------

bool PeerConnection::Send(Message msg) {
  if (closed_) return false;
  if (auto* snapshot = std::get_if<Snapshot>(&msg)) {
    if (snapshot->data.size() > limits_.max_snapshot_bytes) {
      spdlog::error("not sending a snapshot of {} bytes to server {}: the limit is {}",
                    snapshot->data.size(), peer_, limits_.max_snapshot_bytes);
      return false;
    }
    if (queued_snapshots_ >= limits_.max_queued_snapshots) {
      Fail("more than " + std::to_string(limits_.max_queued_snapshots) + " snapshots queued");
      return false;
    }
    OutItem item;
    item.snapshot = std::make_unique<Snapshot>(std::move(*snapshot));
    out_.push_back(std::move(item));
    ++queued_snapshots_;
  } else {
    OutItem item;
    Status s = EncodeMessageFrame(msg, limits_.max_frame_bytes, &item.frame);
    if (!s.ok()) {
      spdlog::error("not sending a message to server {}: {}", peer_, s.ToString());
      return false;
    }
    if (queued_bytes_ + item.frame.size() > limits_.max_queued_bytes) {
      Fail("output queue over its limit of " + std::to_string(limits_.max_queued_bytes) + " bytes");
      return false;
    }
    queued_bytes_ += item.frame.size();
    out_.push_back(std::move(item));
  }
  ++counters_.messages_out;
  ScheduleWrite();
  return true;
}

bool PeerConnection::SendFrame(std::shared_ptr<const std::string> frame) {
  if (closed_) return false;
  if (queued_bytes_ + frame->size() > limits_.max_queued_bytes) {
    Fail("output queue over its limit of " + std::to_string(limits_.max_queued_bytes) + " bytes");
    return false;
  }
  queued_bytes_ += frame->size();
  OutItem item;
  item.shared_frame = std::move(frame);
  out_.push_back(std::move(item));
  ++counters_.messages_out;
  ScheduleWrite();
  return true;
}

void PeerConnection::SendHandshake(const Handshake& hs) {
  if (closed_) return;
  OutItem item;
  item.frame = EncodeHandshakeFrame(hs);
  queued_bytes_ += item.frame.size();
  out_.push_back(std::move(item));
  ScheduleWrite();
}

void PeerConnection::ScheduleWrite() {
  if (write_posted_ || write_in_flight_) return;
  write_posted_ = true;
  asio::post(stream_.socket().get_executor(), [self = shared_from_this()] {
    self->write_posted_ = false;
    self->Write();
  });
}

void PeerConnection::Write() {
  if (closed_ || write_in_flight_ || out_.empty() || !stream_ready_) return;
  std::vector<asio::const_buffer> bufs;
  size_t batch = 0;
  while (!out_.empty() && bufs.size() + 2 <= kMaxGather && batch < kMaxWriteBatch) {
    OutItem& item = out_.front();
    if (item.shared_frame) {
      const size_t size = item.shared_frame->size();
      writing_frames_ += size;
      batch += size;
      bufs.emplace_back(asio::buffer(*item.shared_frame));
      writing_shared_.push_back(std::move(item.shared_frame));
      out_.pop_front();
      continue;
    }
    if (!item.snapshot) {
      writing_frames_ += item.frame.size();
      batch += item.frame.size();
      writing_.push_back(std::move(item.frame));
      bufs.emplace_back(asio::buffer(writing_.back()));
      out_.pop_front();
      continue;
    }
    // The next chunk of a snapshot: a small head, then the bytes straight from its data.
    const Snapshot& snapshot = *item.snapshot;
    const uint64_t total = snapshot.data.size();
    const size_t n = static_cast<size_t>(
        std::min<uint64_t>(limits_.snapshot_chunk_bytes, total - item.snapshot_offset));
    writing_.push_back(EncodeSnapshotChunkFrameHead(snapshot.zxid, total, item.snapshot_offset, n));
    bufs.emplace_back(asio::buffer(writing_.back()));
    if (n > 0) bufs.emplace_back(asio::buffer(snapshot.data.data() + item.snapshot_offset, n));
    batch += writing_.back().size() + n;
    item.snapshot_offset += n;
    item.snapshot_started = true;
    if (item.snapshot_offset == total) {
      writing_snapshots_.push_back(std::move(item.snapshot));  // alive until written
      out_.pop_front();
      --queued_snapshots_;
    }
  }
  write_in_flight_ = true;
  stream_.AsyncWrite(
      bufs,
      [self = shared_from_this()](const asio::error_code& ec, size_t n) { self->OnWrite(ec, n); });
}

void PeerConnection::OnWrite(const asio::error_code& ec, size_t n) {
  write_in_flight_ = false;
  writing_.clear();
  writing_shared_.clear();
  writing_snapshots_.clear();
  if (closed_) {
    out_.clear();
    return;
  }
  if (ec) {
    Fail("write: " + ec.message());
    return;
  }
  counters_.bytes_out += n;
  queued_bytes_ -= writing_frames_;
  writing_frames_ = 0;
  Write();
  if (close_after_flush_ && !write_in_flight_ && !write_posted_) {
    Close();
    return;
  }
  if (!closed_ && owner_ && peer_known_) owner_->OnWritten(*this);
}

// ---- Closing ---------------------------------------------------------------------------------

void PeerConnection::SetDeadline(std::chrono::milliseconds after, std::string what) {
  if (closed_) return;
  deadline_what_ = std::move(what);
  const uint64_t generation = ++deadline_generation_;
  deadline_.expires_after(after);
  deadline_.async_wait([self = shared_from_this(), generation](const asio::error_code& ec) {
    if (ec || self->closed_ || generation != self->deadline_generation_) return;
    self->Fail(self->deadline_what_);
  });
}

void PeerConnection::CancelDeadline() {
  ++deadline_generation_;
  deadline_.cancel();
}

void PeerConnection::CloseAfterFlush(std::chrono::milliseconds limit) {
  if (closed_) return;
  owner_ = nullptr;
  if (out_.empty() && !write_in_flight_ && !write_posted_) {
    Close();
    return;
  }
  close_after_flush_ = true;
  SetDeadline(limit, "flushing before close");  // its handler holds the connection
}

void PeerConnection::Close() {
  if (closed_) return;
  closed_ = true;
  owner_ = nullptr;
  CancelDeadline();
  stream_.Close();
  if (!write_in_flight_) out_.clear();  // else the write in flight may point into out_.front()
  queued_snapshots_ = 0;
  assembler_.Reset();
}

void PeerConnection::Fail(const std::string& reason) {
  if (closed_) return;
  auto self = shared_from_this();  // the owner may drop its reference in OnFailed
  Owner* owner = owner_;
  Close();
  if (owner != nullptr) owner->OnFailed(*this, reason);
}

}  // namespace zk::zab
