#include "server/client_poller.h"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace zk::server {
namespace {

// Reports fetched per epoll_wait; a full batch is followed by another Drain.
constexpr int kBatch = 128;

int CreateEpollSet() {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  return fd;
}

}  // namespace

ClientPoller::ClientPoller(asio::io_context& io)
    : io_(io), epoll_fd_(CreateEpollSet()), watch_(io, epoll_fd_) {}

ClientPoller::~ClientPoller() { Stop(); }

int ClientPoller::Add(int fd, uint32_t events, Handler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return errno;
  if (static_cast<size_t>(fd) >= handlers_.size()) {
    handlers_.resize(std::max<size_t>(static_cast<size_t>(fd) + 1, handlers_.size() * 2), nullptr);
  }
  handlers_[static_cast<size_t>(fd)] = handler;
  ++registered_;
  if (!watching_ && !stopped_) Watch();
  return 0;
}

int ClientPoller::Modify(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : errno;
}

void ClientPoller::Remove(int fd) {
  if (fd < 0 || static_cast<size_t>(fd) >= handlers_.size() ||
      handlers_[static_cast<size_t>(fd)] == nullptr) {
    return;
  }
  Handler* handler = handlers_[static_cast<size_t>(fd)];
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  handlers_[static_cast<size_t>(fd)] = nullptr;
  --registered_;
  for (std::vector<Handler*>* list : {&deferred_, &ending_}) {
    for (Handler*& h : *list) {
      if (h == handler) h = nullptr;
    }
  }
}

bool ClientPoller::DeferToBatchEnd(Handler* handler) {
  if (!in_batch_) return false;
  deferred_.push_back(handler);
  return true;
}

void ClientPoller::Stop() {
  if (stopped_) return;
  stopped_ = true;
  asio::error_code ec;
  watch_.cancel(ec);
  // The set stays open: the descriptors still in it are closed by their owners, after Remove.
}

void ClientPoller::Watch() {
  watching_ = true;
  watch_.async_wait(asio::posix::descriptor_base::wait_read,
                    [this, alive = std::weak_ptr<char>(alive_)](const asio::error_code& ec) {
                      if (ec == asio::error::operation_aborted || alive.expired()) return;
                      if (ec) {
                        spdlog::error("client poller: wait on the epoll set: {}", ec.message());
                        return;
                      }
                      watching_ = false;
                      Drain();
                    });
}

void ClientPoller::PostDrain() {
  if (drain_posted_) return;
  drain_posted_ = true;
  asio::post(io_, [this, alive = std::weak_ptr<char>(alive_)] {
    if (alive.expired()) return;
    drain_posted_ = false;
    Drain();
  });
}

void ClientPoller::Drain() {
  if (stopped_) return;
  epoll_event events[kBatch];
  int n = ::epoll_wait(epoll_fd_, events, kBatch, 0);
  if (n < 0) {
    if (errno != EINTR) spdlog::error("client poller: epoll_wait: {}", std::strerror(errno));
    n = 0;
  }
  bool again = n == kBatch;
  in_batch_ = true;
  for (int i = 0; i < n; ++i) {
    const auto fd = static_cast<size_t>(events[i].data.fd);
    // Looked up per report: a handler called earlier in the batch may have removed this one.
    Handler* handler = fd < handlers_.size() ? handlers_[fd] : nullptr;
    if (handler != nullptr && handler->OnPollEvents(events[i].events)) again = true;
  }
  while (!deferred_.empty()) {  // an OnBatchEnd may defer more
    ending_.swap(deferred_);
    for (size_t i = 0; i < ending_.size(); ++i) {
      if (Handler* handler = ending_[i]) handler->OnBatchEnd();
    }
    ending_.clear();
  }
  in_batch_ = false;
  if (stopped_) return;
  // The wait is pending again before the io_context polls its reactor: asio registers the set
  // edge-triggered, and re-arms a wait with an epoll_ctl that reports the set if it is ready
  // now. Readiness a handler said it left behind is polled again in any case, not trusting
  // that detail of asio.
  if (!watching_) Watch();
  if (again) PostDrain();
}

}  // namespace zk::server
