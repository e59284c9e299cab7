// EventLoop: the shared io thread (client/event_loop.h).
#include "client/event_loop.h"

#include "client/client_impl.h"

namespace zk::client {

EventLoop::Impl::Impl() : work_(asio::make_work_guard(io_)) {
  std::promise<std::thread::id> started;
  std::future<std::thread::id> id = started.get_future();
  thread_ = std::thread([this, &started] {
    started.set_value(std::this_thread::get_id());
    io_.run();
  });
  thread_id_ = id.get();
}

EventLoop::Impl::~Impl() {
  {
    // Clients that closed may still have cancelled operations to finish on the loop; each
    // releases itself once the last of them ran.
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return clients_ == 0; });
  }
  work_.reset();
  io_.stop();
  thread_.join();
}

void EventLoop::Impl::ClientStarted() {
  std::lock_guard<std::mutex> l(mu_);
  ++clients_;
}

void EventLoop::Impl::ClientGone() {
  std::lock_guard<std::mutex> l(mu_);
  --clients_;
  cv_.notify_all();
}

std::unique_ptr<EventLoop> EventLoop::Start() {
  return std::unique_ptr<EventLoop>(new EventLoop(std::make_unique<Impl>()));
}

EventLoop::EventLoop(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EventLoop::~EventLoop() = default;

}  // namespace zk::client
