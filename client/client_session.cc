// Client::Impl: lifecycle, request queueing, watches, session end and Close.
#include <algorithm>

#include "client/client_impl.h"

namespace zk::client {

Client::Impl::Impl(Options options, ConnectString cs,
                   std::shared_ptr<asio::ssl::context> tls_context)
    : options_(std::move(options)),
      cs_(std::move(cs)),
      registration_(options_.event_loop != nullptr ? &options_.event_loop->impl() : nullptr),
      own_io_(registration_.loop == nullptr ? std::make_unique<asio::io_context>() : nullptr),
      io_(registration_.loop != nullptr ? registration_.loop->io() : *own_io_),
      work_(asio::make_work_guard(io_)),
      socket_(io_),
      tls_context_(std::move(tls_context)),
      resolver_(io_),
      tick_timer_(io_),
      backoff_timer_(io_),
      probe_timer_(io_),
      probe_socket_(io_),
      probe_resolver_(io_) {
  rng_.seed(options_.seed != 0 ? options_.seed : std::random_device{}());
  hosts_ = cs_.hosts;
  std::shuffle(hosts_.begin(), hosts_.end(), rng_);
  session_id_ = options_.session_id;
  passwd_ = options_.session_password;
  seen_rw_server_ = options_.session_id != 0;
  last_heard_ = Clock::now();
}

Client::Impl::~Impl() {
  // On a shared loop there is no thread to join: the Impl is destroyed by the last handler that
  // held it, or by the last Client reference once the close finished.
  if (thread_.joinable()) {
    if (std::this_thread::get_id() == thread_.get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
}

void Client::Impl::StartThread(std::shared_ptr<Impl> self) {
  self_ = self;
  if (shared_loop()) {
    io_thread_id_ = registration_.loop->thread_id();
    asio::post(io_, [this, keep = std::move(self)] {
      ArmTick();
      StartConnect();
    });
    return;
  }
  std::mutex m;
  std::condition_variable cv;
  bool started = false;
  thread_ = std::thread([self = std::move(self), &m, &cv, &started]() mutable {
    {
      // Notified under the lock: once it is released the starting thread may return, and `m`
      // and `cv` (on its stack) are gone.
      std::lock_guard<std::mutex> l(m);
      self->io_thread_id_ = std::this_thread::get_id();
      started = true;
      cv.notify_all();
    }
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
    } else if (!OnIoThread() || posted_ > 0) {
      // From another thread (or behind requests that are): hand over in submission order.
      ++posted_;
      asio::post(io_, [this, keep = Keep(), req = std::move(req)]() mutable {
        {
          std::lock_guard<std::mutex> l2(mu_);
          --posted_;
        }
        Enqueue(std::move(req));
      });
      return;
    }
  }
  if (inline_err == Err::kOk) {
    // From a callback on the io thread: no hand-off, straight to the queue or the socket.
    Enqueue(std::move(req));
    return;
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
  if (phase_ != Phase::kConnected && req->fail_if_disconnected) {
    req->done = true;
    req->on_reply(Err::kConnectionLoss, nullptr);
    return;
  }
  if (req->deadline != Clock::time_point::max()) TrackDeadline(req);
  if (phase_ == Phase::kConnected) {
    SendRequest(req);
  } else {
    queued_.push_back(std::move(req));
  }
}

void Client::Impl::TrackDeadline(const std::shared_ptr<Request>& req) {
  if (deadlines_.size() >= compact_deadlines_at_) {
    // Drop completed requests so the heap holds about as many entries as live timed requests.
    std::erase_if(deadlines_, [](const Deadline& d) { return d.req->done; });
    std::make_heap(deadlines_.begin(), deadlines_.end());
    compact_deadlines_at_ = std::max<size_t>(1024, 2 * deadlines_.size());
  }
  deadlines_.push_back(Deadline{req->deadline, req});
  std::push_heap(deadlines_.begin(), deadlines_.end());
}

void Client::Impl::AddAuth(std::string scheme, std::string auth, Callback<void> cb) {
  Err inline_err = Err::kOk;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (terminal_err_ != Err::kOk) {
      inline_err = terminal_err_;
    } else {
      asio::post(io_, [this, keep = Keep(), scheme = std::move(scheme), auth = std::move(auth),
                       cb = std::move(cb)]() mutable {
        if (phase_ == Phase::kDone || phase_ == Phase::kClosing) {
          cb(Err::kClosing);
          return;
        }
        auths_.push_back(Auth{std::move(scheme), std::move(auth), std::move(cb)});
        if (phase_ == Phase::kConnected) {
          SendAuth(auths_.back());
        }
      });
      return;
    }
  }
  cb(inline_err);
}

void Client::Impl::ExpireTimedOutRequests(Clock::time_point now) {
  // Timed-out requests stay where they are (in queued_, skipped when sending; in sent_, so that
  // late replies still line up) and are only marked done.
  while (!deadlines_.empty() && deadlines_.front().at <= now) {
    std::pop_heap(deadlines_.begin(), deadlines_.end());
    std::shared_ptr<Request> req = std::move(deadlines_.back().req);
    deadlines_.pop_back();
    if (!req->done) {
      req->done = true;
      req->on_reply(Err::kRequestTimeout, nullptr);
    }
  }
}

void Client::Impl::Notify(ConnectionState st) {
  {
    std::lock_guard<std::mutex> l(mu_);
    state_ = st;
  }
  cv_.notify_all();
  if (options_.state_listener) options_.state_listener(st);
  std::lock_guard<std::mutex> notifying(notifying_mu_);
  std::vector<std::shared_ptr<StateListener>> listeners;
  {
    std::lock_guard<std::mutex> l(listeners_mu_);
    for (const auto& entry : listeners_) listeners.push_back(entry.second);
  }
  for (const auto& listener : listeners) {
    bool still_registered;
    {
      std::lock_guard<std::mutex> l(listeners_mu_);
      still_registered = std::any_of(listeners_.begin(), listeners_.end(),
                                     [&](const auto& e) { return e.second == listener; });
    }
    if (still_registered) (*listener)(st);
  }
}

uint64_t Client::Impl::AddStateListener(StateListener listener) {
  std::lock_guard<std::mutex> l(listeners_mu_);
  const uint64_t id = next_listener_id_++;
  listeners_[id] = std::make_shared<StateListener>(std::move(listener));
  return id;
}

void Client::Impl::RemoveStateListener(uint64_t id) {
  {
    std::lock_guard<std::mutex> l(listeners_mu_);
    listeners_.erase(id);
  }
  // Wait out a call in progress (never on the io thread, which may be making it).
  if (!OnIoThread()) std::lock_guard<std::mutex> wait(notifying_mu_);
}

void Client::Impl::FailAll(Err err) {
  std::deque<std::shared_ptr<Request>> all;
  all.swap(sent_);
  for (auto& q : queued_) all.push_back(std::move(q));
  queued_.clear();
  deadlines_.clear();
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
  StopRwProbing();
  const bool closing = phase_ == Phase::kClosing;
  phase_ = Phase::kDone;
  FailAll(err);
  if (final_state == ConnectionState::kExpired) {
    // Every registered watcher learns once that the session ended.
    Deliver(watches_.TakeAll(), WatchEvent{EventType::kNone, KeeperState::kExpired, ""});
  } else {
    // Persistent listeners always get a final event; one-shot watchers only on expiry.
    Deliver(watches_.TakeAll(/*persistent_only=*/true),
            WatchEvent{EventType::kNone, KeeperState::kClosed, ""});
  }
  watches_.TakeAll();
  Notify(final_state);
  if (closing) FinishClose();
}

void Client::Impl::Close() {
  bool join = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!close_requested_) {
      close_requested_ = true;
      asio::post(io_, [this, keep = Keep()] { StartClose(); });
    }
    if (!OnIoThread() && !thread_joined_) {
      thread_joined_ = true;
      join = true;
    }
  }
  if (!join) return;
  if (shared_loop()) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return closed_; });
    return;
  }
  if (thread_.joinable()) thread_.join();
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
  StopRwProbing();
  {
    std::lock_guard<std::mutex> l(mu_);
    connected_ = false;
  }
  FailAll(Err::kClosing);
  Deliver(watches_.TakeAll(/*persistent_only=*/true),
          WatchEvent{EventType::kNone, KeeperState::kClosed, ""});
  watches_.TakeAll();
  Notify(ConnectionState::kClosed);
  work_.reset();
  if (shared_loop()) {
    // The loop goes on serving its other clients; Close() waits for this.
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    cv_.notify_all();
    return;
  }
  io_.stop();
}

void Client::Impl::DropConnection() {
  asio::post(io_, [this, keep = Keep()] {
    if (phase_ == Phase::kConnected) Disconnect(Err::kConnectionLoss);
  });
}

void Client::Impl::UpdateHosts(std::vector<HostPort> fresh) {
  asio::post(io_, [this, keep = Keep(), fresh = std::move(fresh)]() mutable {
    if (fresh.empty() || phase_ == Phase::kClosing || phase_ == Phase::kDone) return;
    const auto same = [](const HostPort& a, const HostPort& b) {
      return a.host == b.host && a.port == b.port;
    };
    const auto contains = [&](const std::vector<HostPort>& list, const HostPort& hp) {
      return std::any_of(list.begin(), list.end(), [&](const HostPort& x) { return same(x, hp); });
    };
    std::vector<HostPort> added;
    for (const HostPort& hp : fresh) {
      if (!contains(hosts_, hp)) added.push_back(hp);
    }
    const size_t old_count = hosts_.size();
    std::shuffle(fresh.begin(), fresh.end(), rng_);
    const bool connected = phase_ == Phase::kConnected;
    std::optional<HostPort> target;
    if (connected && !contains(fresh, current_)) {
      target = fresh.front();  // its server left: any of the new list
    } else if (connected && fresh.size() > old_count && !added.empty()) {
      // Grown: move with probability 1 - old/new, to an added server, so that the sessions end
      // up spread evenly (ZooKeeper's StaticHostProvider does the same).
      const double p = 1.0 - static_cast<double>(old_count) / static_cast<double>(fresh.size());
      if (std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p) {
        target = added[std::uniform_int_distribution<size_t>(0, added.size() - 1)(rng_)];
      }
    }
    hosts_ = std::move(fresh);
    next_host_ = 0;
    attempts_in_round_ = 0;
    if (target) {
      for (size_t i = 0; i < hosts_.size(); ++i) {
        if (same(hosts_[i], *target)) next_host_ = i;
      }
      Disconnect(Err::kConnectionLoss);
    }
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
