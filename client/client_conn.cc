// Client::Impl: connecting, the handshake, framing, pings and reconnects (io thread).
#include <algorithm>
#include <cstring>

#include "client/client_impl.h"

namespace zk::client {

namespace {
constexpr auto kTick = std::chrono::milliseconds(20);
constexpr auto kMinConnectTimeout = std::chrono::milliseconds(500);
constexpr auto kMaxBackoffMs = 200;
constexpr size_t kReadChunk = 64 * 1024;
}  // namespace

void Client::Impl::StartConnect() {
  if (phase_ == Phase::kClosing || phase_ == Phase::kDone) return;
  if (attempts_in_round_ >= hosts_.size()) {
    attempts_in_round_ = 0;
    ScheduleReconnect();
    return;
  }
  const HostPort& hp = hosts_[next_host_];
  current_host_ = hp.host;
  current_ = hp;
  next_host_ = (next_host_ + 1) % hosts_.size();
  ++attempts_in_round_;
  const uint64_t gen = ++gen_;
  phase_ = Phase::kResolving;
  // Per-attempt budget: the session timeout split across the hosts (ClientCnxn's connectTimeout).
  // Capped at a third of the session timeout so that a server that accepts but never answers
  // the handshake (e.g. one still starting) does not eat the whole session timeout.
  const auto session = negotiated_ms_ > 0 ? std::chrono::milliseconds(negotiated_ms_)
                                          : options_.session_timeout;
  auto budget = std::min(session / static_cast<int>(hosts_.size()), session / 3);
  attempt_deadline_ = Clock::now() + std::max<Clock::duration>(budget, kMinConnectTimeout);
  resolver_.async_resolve(
      hp.host, std::to_string(hp.port),
      [this, keep = Keep(), gen](const asio::error_code& ec,
                                 asio::ip::tcp::resolver::results_type results) {
        if (gen != gen_) return;
        if (ec) {
          Disconnect(Err::kConnectionLoss);
          return;
        }
        phase_ = Phase::kConnecting;
        asio::async_connect(socket_, results,
                            [this, keep = Keep(), gen](const asio::error_code& ec2,
                                                       const asio::ip::tcp::endpoint&) {
                              if (gen != gen_) return;
                              if (ec2) {
                                Disconnect(Err::kConnectionLoss);
                                return;
                              }
                              OnConnected(gen);
                            });
      });
}

void Client::Impl::ScheduleReconnect() {
  std::uniform_int_distribution<int> jitter(10, kMaxBackoffMs);
  backoff_timer_.expires_after(std::chrono::milliseconds(jitter(rng_)));
  const uint64_t gen = gen_;
  backoff_timer_.async_wait([this, keep = Keep(), gen](const asio::error_code& ec) {
    if (ec || gen != gen_) return;
    StartConnect();
  });
}

void Client::Impl::OnConnected(uint64_t gen) {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  phase_ = Phase::kHandshaking;
  if (tls_context_) {
    StartTlsHandshake(gen);
  } else {
    SendConnectRequest(gen);
  }
}

void Client::Impl::StartTlsHandshake(uint64_t gen) {
  tls_ = std::make_shared<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
  asio::error_code ec;
  const bool is_ip = (asio::ip::make_address(current_host_, ec), !ec);
  if (!is_ip) SSL_set_tlsext_host_name(tls_->native_handle(), current_host_.c_str());
  if (options_.tls.verify_hostname) {
    tls_->set_verify_callback(asio::ssl::host_name_verification(current_host_), ec);
  }
  tls_->async_handshake(asio::ssl::stream_base::client,
                        [this, keep = Keep(), gen, tls = tls_](const asio::error_code& hec) {
                          if (gen != gen_) return;
                          if (hec) {
                            Disconnect(Err::kConnectionLoss);
                            return;
                          }
                          SendConnectRequest(gen);
                        });
}

void Client::Impl::SendConnectRequest(uint64_t gen) {
  proto::ConnectRequest req;
  req.last_zxid_seen = last_zxid_;
  req.timeout_ms = static_cast<int32_t>(options_.session_timeout.count());
  {
    std::lock_guard<std::mutex> l(mu_);
    // As ClientCnxn: until a read-write server has seen the session, every connection asks
    // for a new one (a read-only server's session is local to it).
    req.session_id = seen_rw_server_ ? session_id_ : 0;
    req.passwd = passwd_.empty() || !seen_rw_server_ ? std::string(kSessionPasswordLength, '\0')
                                                     : passwd_;
  }
  req.read_only = options_.can_be_read_only;
  req.has_read_only = true;
  proto::JuteWriter w;
  size_t mark = w.BeginFrame();
  req.Write(w);
  w.EndFrame(mark);
  out_pending_.clear();
  WriteFrame(w.buffer());
  last_recv_ = Clock::now();
  in_begin_ = in_end_ = 0;
  StartRead(gen);
}

void Client::Impl::StartRead(uint64_t gen) {
  // Make room: move the unparsed tail to the front, grow for a frame larger than the buffer.
  if (in_begin_ > 0) {
    std::memmove(in_buf_.data(), in_buf_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  size_t want = kReadChunk;
  if (in_end_ >= 4) want = std::max(want, 4 + static_cast<size_t>(FrameLength()));
  if (in_buf_.size() < want + kReadChunk / 2) in_buf_.resize(want + kReadChunk / 2);
  auto on_read = [this, keep = Keep(), gen, tls = tls_](const asio::error_code& ec, size_t n) {
    if (gen != gen_) return;
    if (ec) {
      Disconnect(Err::kConnectionLoss);
      return;
    }
    last_recv_ = Clock::now();
    in_end_ += n;
    OnBytes(gen);
  };
  auto buffer = asio::buffer(in_buf_.data() + in_end_, in_buf_.size() - in_end_);
  if (tls_context_) {
    tls_->async_read_some(buffer, std::move(on_read));
  } else {
    socket_.async_read_some(buffer, std::move(on_read));
  }
}

uint32_t Client::Impl::FrameLength() const {
  const auto* b = reinterpret_cast<const uint8_t*>(in_buf_.data() + in_begin_);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

void Client::Impl::OnBytes(uint64_t gen) {
  // Every complete frame in the buffer, in order; stop if one of them ended the connection.
  while (gen == gen_ && in_end_ - in_begin_ >= 4) {
    const uint32_t len = FrameLength();
    if (len > options_.max_frame_bytes) {
      Disconnect(Err::kMarshallingError);
      return;
    }
    if (in_end_ - in_begin_ < 4 + static_cast<size_t>(len)) break;
    const char* frame = in_buf_.data() + in_begin_ + 4;
    in_begin_ += 4 + len;
    OnFrame(std::string_view(frame, len));
  }
  if (gen != gen_ || !socket_.is_open()) return;
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
  StartRead(gen);
}

void Client::Impl::OnFrame(std::string_view frame) {
  proto::JuteReader r(frame.data(), frame.size(), options_.max_frame_bytes);
  if (phase_ == Phase::kHandshaking) {
    OnHandshake(r);
    return;
  }
  last_heard_ = last_recv_;
  OnReply(r);
}

void Client::Impl::OnHandshake(proto::JuteReader& r) {
  proto::ConnectResponse resp;
  if (!resp.Read(r)) {
    Disconnect(Err::kMarshallingError);
    return;
  }
  if (resp.timeout_ms <= 0) {
    // The server does not know the session (any more): it expired.
    Terminate(ConnectionState::kExpired, Err::kSessionExpired);
    return;
  }
  const bool read_only = resp.has_read_only && resp.read_only;
  // A new session when the previous one existed only on a read-only server.
  const bool resumed = ever_connected_ && seen_rw_server_;
  read_only_ = read_only;
  if (!read_only) seen_rw_server_ = true;
  {
    std::lock_guard<std::mutex> l(mu_);
    session_id_ = resp.session_id;
    passwd_ = resp.passwd;
    negotiated_ms_ = resp.timeout_ms;
    connected_ = true;
  }
  read_timeout_ = std::chrono::milliseconds(resp.timeout_ms) * 2 / 3;
  phase_ = Phase::kConnected;
  ever_connected_ = true;
  attempts_in_round_ = 0;
  last_heard_ = Clock::now();
  // Order matters: credentials first, then watches, then the requests queued meanwhile.
  SendAuths();
  SendSetWatches();
  while (!queued_.empty()) {
    auto req = std::move(queued_.front());
    queued_.pop_front();
    if (!req->done) SendRequest(req);  // Timed-out ones were already completed.
  }
  Notify(read_only ? ConnectionState::kReadOnly
                   : resumed ? ConnectionState::kReconnected : ConnectionState::kConnected);
  if (read_only && phase_ == Phase::kConnected) StartRwProbing();
}

void Client::Impl::WriteFrame(const std::string& frame) {
  out_pending_ += frame;
  last_send_ = Clock::now();
  KickWrite();
}

void Client::Impl::KickWrite() {
  if (writing_ || out_pending_.empty() || !socket_.is_open()) return;
  writing_ = true;
  out_inflight_.swap(out_pending_);
  out_pending_.clear();
  const uint64_t gen = gen_;
  auto on_written = [this, keep = Keep(), gen, tls = tls_](const asio::error_code& ec, size_t) {
    if (gen != gen_) return;
    writing_ = false;
    out_inflight_.clear();
    if (ec) {
      Disconnect(Err::kConnectionLoss);
      return;
    }
    KickWrite();
  };
  if (tls_context_) {
    asio::async_write(*tls_, asio::buffer(out_inflight_), std::move(on_written));
  } else {
    asio::async_write(socket_, asio::buffer(out_inflight_), std::move(on_written));
  }
}

void Client::Impl::SendRequest(const std::shared_ptr<Request>& req) {
  req->xid = next_xid_++;
  if (next_xid_ == INT32_MAX) next_xid_ = 1;
  // Framed straight into the output buffer: no temporary per request.
  proto::JuteWriter w(&out_pending_);
  size_t mark = w.BeginFrame();
  proto::RequestHeader{req->xid, static_cast<int32_t>(req->op)}.Write(w);
  out_pending_ += req->body;
  w.EndFrame(mark);
  sent_.push_back(req);
  last_send_ = Clock::now();
  KickWrite();
}

void Client::Impl::SendPing() {
  proto::JuteWriter w;
  size_t mark = w.BeginFrame();
  proto::RequestHeader{xids::kPing, static_cast<int32_t>(OpCode::kPing)}.Write(w);
  w.EndFrame(mark);
  WriteFrame(w.buffer());
}

void Client::Impl::SendAuths() {
  for (Auth& a : auths_) SendAuth(a);
}

void Client::Impl::SendAuth(Auth& a) {
  proto::JuteWriter w;
  size_t mark = w.BeginFrame();
  proto::RequestHeader{xids::kAuth, static_cast<int32_t>(OpCode::kAuth)}.Write(w);
  proto::AuthPacket{0, a.scheme, a.auth}.Write(w);
  w.EndFrame(mark);
  auth_waiters_.push_back(std::move(a.unsent_cb));
  a.unsent_cb = nullptr;
  WriteFrame(w.buffer());
}

void Client::Impl::SendSetWatches() {
  if (watches_.empty()) return;
  // Persistent watches need setWatches2 (ZooKeeper 3.6+); plain setWatches otherwise, which
  // every server version understands.
  const bool v2 = watches_.has_persistent();
  const OpCode op = v2 ? OpCode::kSetWatches2 : OpCode::kSetWatches;
  proto::SetWatchesRequest chunk;
  size_t bytes = 0;
  auto flush = [&] {
    if (bytes == 0) return;
    chunk.relative_zxid = last_zxid_;
    proto::JuteWriter w(&out_pending_);
    size_t mark = w.BeginFrame();
    proto::RequestHeader{xids::kSetWatches, static_cast<int32_t>(op)}.Write(w);
    chunk.Write(w, v2);
    w.EndFrame(mark);
    chunk = proto::SetWatchesRequest();
    bytes = 0;
  };
  // Every frame stays below kSetWatchesMaxChunk (ClientCnxn's SET_WATCHES_MAX_LENGTH), far
  // below any server's frame limit: the header and five list lengths take < 64 bytes.
  watches_.ForEachPath([&](std::vector<std::string> proto::SetWatchesRequest::*list,
                           const std::string& path) {
    if (bytes + path.size() + 4 > static_cast<size_t>(kSetWatchesMaxChunk) - 64) flush();
    (chunk.*list).push_back(path);
    bytes += path.size() + 4;
  });
  flush();
  last_send_ = Clock::now();
  KickWrite();
}

void Client::Impl::OnReply(proto::JuteReader& r) {
  proto::ReplyHeader hdr;
  if (!hdr.Read(r)) {
    Disconnect(Err::kMarshallingError);
    return;
  }
  if (hdr.zxid > 0) last_zxid_ = std::max(last_zxid_, hdr.zxid);
  const Err err = static_cast<Err>(hdr.err);
  switch (hdr.xid) {
    case xids::kNotification:
      OnNotification(r);
      return;
    case xids::kPing:
    case xids::kSetWatches:
      return;
    case xids::kAuth: {
      Callback<void> cb;
      if (!auth_waiters_.empty()) {
        cb = std::move(auth_waiters_.front());
        auth_waiters_.pop_front();
      }
      if (err != Err::kOk) {
        if (cb) cb(Err::kAuthFailed);
        Terminate(ConnectionState::kAuthFailed, Err::kAuthFailed);
        return;
      }
      if (cb) cb(Result<void>());
      return;
    }
    default:
      break;
  }
  if (sent_.empty() || sent_.front()->xid != hdr.xid) {
    // Replies come in request order; anything else is a broken stream.
    Disconnect(Err::kMarshallingError);
    return;
  }
  std::shared_ptr<Request> req = std::move(sent_.front());
  sent_.pop_front();
  if (req->done) return;
  req->done = true;
  RegisterWatch(*req, err);
  req->on_reply(err, &r);
}

void Client::Impl::OnNotification(proto::JuteReader& r) {
  proto::WatcherEvent ev;
  if (!ev.Read(r)) {
    Disconnect(Err::kMarshallingError);
    return;
  }
  WatchEvent out;
  out.type = static_cast<EventType>(ev.type);
  out.state = static_cast<KeeperState>(ev.state);
  out.path = ev.path;  // Server path; FireWatches maps it.
  FireWatches(out);
}

void Client::Impl::Disconnect(Err why) {
  ++gen_;
  StopRwProbing();
  asio::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  writing_ = false;
  out_pending_.clear();
  out_inflight_.clear();
  const bool was_connected = phase_ == Phase::kConnected || phase_ == Phase::kClosing;
  {
    std::lock_guard<std::mutex> l(mu_);
    connected_ = false;
  }
  // Requests in flight may or may not have been applied: fail them, never resend.
  std::deque<std::shared_ptr<Request>> sent;
  sent.swap(sent_);
  std::deque<Callback<void>> auths;
  auths.swap(auth_waiters_);
  if (phase_ == Phase::kClosing) {
    for (auto& req : sent) {
      if (!req->done) {
        req->done = true;
        req->on_reply(Err::kClosing, nullptr);
      }
    }
    FinishClose();
    return;
  }
  if (phase_ == Phase::kDone) return;
  (void)why;
  phase_ = Phase::kIdle;
  if (was_connected) Notify(ConnectionState::kSuspended);
  for (auto& req : sent) {
    if (!req->done) {
      req->done = true;
      req->on_reply(Err::kConnectionLoss, nullptr);
    }
  }
  for (auto& cb : auths) {
    if (cb) cb(Err::kConnectionLoss);
  }
  if (phase_ != Phase::kIdle) return;  // A callback closed the client.
  StartConnect();
}

void Client::Impl::ArmTick() {
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this, keep = Keep()](const asio::error_code& ec) {
    if (ec || phase_ == Phase::kDone) return;
    Tick();
    if (phase_ != Phase::kDone) ArmTick();
  });
}

void Client::Impl::Tick() {
  const auto now = Clock::now();
  if (!deadlines_.empty()) ExpireTimedOutRequests(now);
  if (phase_ == Phase::kDone) return;
  if (phase_ == Phase::kClosing) {
    if (now >= close_deadline_) FinishClose();
    return;
  }
  // A session that could not be resumed within its timeout is dead (the server expires it).
  // One that only a read-only server knew is not: the next connection starts a new one.
  if (phase_ != Phase::kConnected && session_id() != 0 && seen_rw_server_ &&
      now - last_heard_ > std::chrono::milliseconds(negotiated_ms_ > 0
                                                        ? negotiated_ms_
                                                        : options_.session_timeout.count())) {
    Terminate(ConnectionState::kExpired, Err::kSessionExpired);
    return;
  }
  if (phase_ == Phase::kResolving || phase_ == Phase::kConnecting ||
      phase_ == Phase::kHandshaking) {
    if (now >= attempt_deadline_) Disconnect(Err::kConnectionLoss);
    return;
  }
  if (phase_ == Phase::kConnected) {
    if (now - last_recv_ > read_timeout_) {
      Disconnect(Err::kConnectionLoss);
      return;
    }
    if (now - last_send_ >= read_timeout_ / 2) SendPing();
  }
}

}  // namespace zk::client
