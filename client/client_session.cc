// Client::Impl: lifecycle, request queueing, watches, session end and Close.
#include <algorithm>

#include "client/client_impl.h"

namespace zk::client {

Client::Impl::Impl(Options options, ConnectString cs)
    : options_(std::move(options)),
      cs_(std::move(cs)),
      work_(asio::make_work_guard(io_)),
      socket_(io_),
      resolver_(io_),
      tick_timer_(io_),
      backoff_timer_(io_) {
  rng_.seed(options_.seed != 0 ? options_.seed : std::random_device{}());
  hosts_ = cs_.hosts;
  std::shuffle(hosts_.begin(), hosts_.end(), rng_);
  session_id_ = options_.session_id;
  passwd_ = options_.session_password;
  last_heard_ = Clock::now();
}

Client::Impl::~Impl() {
  if (thread_.joinable()) {
    if (std::this_thread::get_id() == thread_.get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
}

void Client::Impl::StartThread(std::shared_ptr<Impl> self) {
  std::mutex m;
  std::condition_variable cv;
  bool started = false;
  thread_ = std::thread([self = std::move(self), &m, &cv, &started]() mutable {
    {
      std::lock_guard<std::mutex> l(m);
      self->io_thread_id_ = std::this_thread::get_id();
      started = true;
    }
    cv.notify_all();
    asio::post(self->io_, [p = self.get()] {
      p->ArmTick();
      p->StartConnect();
    });
    self->io_.run();
    // Closing: drop handlers (and what they capture) while the Impl is still alive.
    self->io_.restart();
    self->io_.poll();
  });
  std::unique_lock<std::mutex> l(m);
  cv.wait(l, [&] { return started; });
}

void Client::Impl::Submit(std::shared_ptr<Request> req) {
  Err inline_err = Err::kOk;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (terminal_err_ != Err::kOk) {
      inline_err = terminal_err_;
    } else {
      asio::post(io_, [this, req = std::move(req)]() mutable { Enqueue(std::move(req)); });
      return;
    }
  }
  req->done = true;
  req->on_reply(inline_err, nullptr);
}

void Client::Impl::Enqueue(std::shared_ptr<Request> req) {
  if (phase_ == Phase::kDone || phase_ == Phase::kClosing) {
    Err err;
    {
      std::lock_guard<std::mutex> l(mu_);
      err = terminal_err_ != Err::kOk ? terminal_err_ : Err::kClosing;
    }
    req->done = true;
    req->on_reply(err, nullptr);
    return;
  }
  if (queued_.size() + sent_.size() >= options_.max_pending_requests) {
    req->done = true;
    req->on_reply(Err::kThrottledOp, nullptr);
    return;
  }
  if (req->deadline != Clock::time_point::max()) ++timed_requests_;
  if (phase_ == Phase::kConnected) {
    SendRequest(req);
  } else {
    queued_.push_back(std::move(req));
  }
}

void Client::Impl::AddAuth(std::string scheme, std::string auth, Callback<void> cb) {
  Err inline_err = Err::kOk;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (terminal_err_ != Err::kOk) {
      inline_err = terminal_err_;
    } else {
      asio::post(io_, [this, scheme = std::move(scheme), auth = std::move(auth),
                       cb = std::move(cb)]() mutable {
        if (phase_ == Phase::kDone || phase_ == Phase::kClosing) {
          cb(Err::kClosing);
          return;
        }
        auths_.push_back(Auth{std::move(scheme), std::move(auth), std::move(cb)});
        if (phase_ == Phase::kConnected) {
          Auth& a = auths_.back();
          proto::JuteWriter w;
          size_t mark = w.BeginFrame();
          proto::RequestHeader{xids::kAuth, static_cast<int32_t>(OpCode::kAuth)}.Write(w);
          proto::AuthPacket{0, a.scheme, a.auth}.Write(w);
          w.EndFrame(mark);
          auth_waiters_.push_back(std::move(a.unsent_cb));
          a.unsent_cb = nullptr;
          WriteFrame(w.buffer());
        }
      });
      return;
    }
  }
  cb(inline_err);
}

void Client::Impl::RegisterWatch(Request& req, Err err) {
  if (req.watch_kind == WatchKind::kNone || !req.watcher) return;
  std::map<std::string, std::vector<Watcher>>* table = nullptr;
  if (err == Err::kOk) {
    table = req.watch_kind == WatchKind::kChild ? &child_watches_ : &data_watches_;
  } else if (err == Err::kNoNode && req.watch_kind == WatchKind::kExist) {
    table = &exist_watches_;
  }
  if (table != nullptr) (*table)[req.watch_path].push_back(std::move(req.watcher));
}

void Client::Impl::FireWatches(const WatchEvent& ev) {
  std::vector<Watcher> fire;
  auto take = [&](std::map<std::string, std::vector<Watcher>>& m) {
    auto it = m.find(ev.path);
    if (it == m.end()) return;
    for (auto& w : it->second) fire.push_back(std::move(w));
    m.erase(it);
  };
  switch (ev.type) {
    case EventType::kNodeCreated:
    case EventType::kNodeDataChanged:
      take(data_watches_);
      take(exist_watches_);
      break;
    case EventType::kNodeChildrenChanged:
      take(child_watches_);
      break;
    case EventType::kNodeDeleted:
      take(data_watches_);
      take(exist_watches_);
      take(child_watches_);
      break;
    default:
      return;
  }
  WatchEvent out = ev;
  out.path = cs_.ToClient(ev.path);
  for (auto& w : fire) {
    if (w) w(out);
  }
}

void Client::Impl::ExpireTimedOutRequests(Clock::time_point now) {
  auto expire = [&](std::deque<std::shared_ptr<Request>>& q, bool erase) {
    for (auto it = q.begin(); it != q.end();) {
      Request& req = **it;
      if (!req.done && req.deadline <= now) {
        req.done = true;
        req.on_reply(Err::kRequestTimeout, nullptr);
        if (erase) {
          --timed_requests_;
          it = q.erase(it);
          continue;
        }
      }
      ++it;
    }
  };
  expire(queued_, /*erase=*/true);
  // Sent requests stay in sent_ so that their (late) replies still line up.
  expire(sent_, /*erase=*/false);
}

void Client::Impl::Notify(ConnectionState st) {
  {
    std::lock_guard<std::mutex> l(mu_);
    state_ = st;
  }
  cv_.notify_all();
  if (options_.state_listener) options_.state_listener(st);
}

void Client::Impl::FailAll(Err err) {
  std::deque<std::shared_ptr<Request>> all;
  all.swap(sent_);
  for (auto& q : queued_) all.push_back(std::move(q));
  queued_.clear();
  timed_requests_ = 0;
  for (auto& req : all) {
    if (!req->done) {
      req->done = true;
      req->on_reply(err, nullptr);
    }
  }
  std::deque<Callback<void>> auths;
  auths.swap(auth_waiters_);
  for (auto& a : auths_) {
    if (a.unsent_cb) auths.push_back(std::move(a.unsent_cb));
  }
  auths_.clear();
  for (auto& cb : auths) {
    if (cb) cb(err);
  }
}

void Client::Impl::Terminate(ConnectionState final_state, Err err) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (terminal_err_ == Err::kOk) terminal_err_ = err;
    connected_ = false;
  }
  ++gen_;
  asio::error_code ignored;
  socket_.close(ignored);
  backoff_timer_.cancel();
  const bool closing = phase_ == Phase::kClosing;
  phase_ = Phase::kDone;
  FailAll(err);
  if (final_state == ConnectionState::kExpired) {
    // Every registered watcher learns once that the session ended.
    std::vector<Watcher> all;
    for (auto* m : {&data_watches_, &exist_watches_, &child_watches_}) {
      for (auto& [path, ws] : *m) {
        for (auto& w : ws) all.push_back(std::move(w));
      }
      m->clear();
    }
    for (auto& w : all) {
      if (w) w(WatchEvent{EventType::kNone, KeeperState::kExpired, ""});
    }
  }
  data_watches_.clear();
  exist_watches_.clear();
  child_watches_.clear();
  Notify(final_state);
  if (closing) FinishClose();
}

void Client::Impl::Close() {
  bool join = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!close_requested_) {
      close_requested_ = true;
      asio::post(io_, [this] { StartClose(); });
    }
    if (!OnIoThread() && !thread_joined_) {
      thread_joined_ = true;
      join = true;
    }
  }
  if (join && thread_.joinable()) thread_.join();
}

void Client::Impl::StartClose() {
  if (phase_ == Phase::kDone) {
    FinishClose();
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    if (terminal_err_ == Err::kOk) terminal_err_ = Err::kClosing;
  }
  // Queued (unsent) requests will never be sent now.
  std::deque<std::shared_ptr<Request>> queued;
  queued.swap(queued_);
  for (auto& req : queued) {
    if (!req->done) {
      req->done = true;
      req->on_reply(Err::kClosing, nullptr);
    }
  }
  if (phase_ != Phase::kConnected) {
    phase_ = Phase::kClosing;
    FinishClose();
    return;
  }
  phase_ = Phase::kClosing;
  auto wait = options_.request_timeout.count() > 0
                  ? std::chrono::duration_cast<Clock::duration>(options_.request_timeout)
                  : read_timeout_;
  close_deadline_ = Clock::now() + wait;
  // Outstanding requests are answered before the closeSession reply (per-session FIFO).
  auto req = std::make_shared<Request>();
  req->op = OpCode::kCloseSession;
  req->on_reply = [this](Err, proto::JuteReader*) { FinishClose(); };
  SendRequest(req);
}

void Client::Impl::FinishClose() {
  if (phase_ == Phase::kDone && !work_.owns_work()) return;
  phase_ = Phase::kDone;
  ++gen_;
  asio::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  tick_timer_.cancel();
  backoff_timer_.cancel();
  {
    std::lock_guard<std::mutex> l(mu_);
    connected_ = false;
  }
  FailAll(Err::kClosing);
  data_watches_.clear();
  exist_watches_.clear();
  child_watches_.clear();
  Notify(ConnectionState::kClosed);
  work_.reset();
  io_.stop();
}

void Client::Impl::DropConnection() {
  asio::post(io_, [this] {
    if (phase_ == Phase::kConnected) Disconnect(Err::kConnectionLoss);
  });
}

Result<void> Client::Impl::WaitConnected(std::chrono::milliseconds timeout) {
  if (OnIoThread()) return Err::kInvalidState;
  std::unique_lock<std::mutex> l(mu_);
  bool done = cv_.wait_for(l, timeout, [&] { return connected_ || terminal_err_ != Err::kOk; });
  if (terminal_err_ != Err::kOk) return terminal_err_;
  if (!done) return Err::kOperationTimeout;
  return Result<void>();
}

int64_t Client::Impl::session_id() const {
  std::lock_guard<std::mutex> l(mu_);
  return session_id_;
}
std::string Client::Impl::session_password() const {
  std::lock_guard<std::mutex> l(mu_);
  return passwd_;
}
std::chrono::milliseconds Client::Impl::negotiated_timeout() const {
  std::lock_guard<std::mutex> l(mu_);
  return std::chrono::milliseconds(negotiated_ms_);
}
ConnectionState Client::Impl::state() const {
  std::lock_guard<std::mutex> l(mu_);
  return state_;
}
bool Client::Impl::connected() const {
  std::lock_guard<std::mutex> l(mu_);
  return connected_;
}

}  // namespace zk::client
