#include "client/zkcli/event_queue.h"

#include <fcntl.h>
#include <unistd.h>

namespace zk::zkcli {

Wakeup::Wakeup() {
  if (pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    fds_[0] = fds_[1] = -1;
  }
}

Wakeup::~Wakeup() {
  for (int fd : fds_) {
    if (fd >= 0) close(fd);
  }
}

void Wakeup::Notify() {
  if (fds_[1] < 0) return;
  char b = 1;
  ssize_t ignored = write(fds_[1], &b, 1);  // A full pipe already wakes the reader.
  (void)ignored;
}

void Wakeup::Drain() {
  if (fds_[0] < 0) return;
  char buf[256];
  while (read(fds_[0], buf, sizeof buf) > 0) {
  }
}

void EventQueue::Push(QueuedEvent e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
  if (wakeup_) wakeup_->Notify();
}

std::deque<QueuedEvent> EventQueue::TakeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  std::deque<QueuedEvent> out;
  out.swap(events_);
  return out;
}

bool EventQueue::WaitFor(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return !events_.empty(); });
}

bool EventQueue::Empty() {
  std::lock_guard<std::mutex> lock(mu_);
  return events_.empty();
}

}  // namespace zk::zkcli
