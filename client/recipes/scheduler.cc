#include "client/recipes/scheduler.h"

namespace zk::recipes {

Scheduler& Scheduler::Instance() {
  static Scheduler instance;
  return instance;
}

Scheduler::Scheduler() : thread_([this] { Run(); }) {}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t Scheduler::At(Clock::time_point at, std::function<void()> fn) {
  uint64_t id;
  {
    std::lock_guard<std::mutex> l(mu_);
    id = next_id_++;
    queue_.emplace(std::make_pair(at, id), std::move(fn));
  }
  cv_.notify_all();
  return id;
}

bool Scheduler::Cancel(uint64_t id) {
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->first.second == id) {
        queue_.erase(it);
        return true;
      }
    }
  }
  if (std::this_thread::get_id() != thread_.get_id()) {
    std::lock_guard<std::mutex> wait(running_mu_);  // a running callback finishes first
  }
  return false;
}

void Scheduler::Run() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    if (queue_.empty()) {
      cv_.wait(l);
      continue;
    }
    auto first = queue_.begin();
    const Clock::time_point due = first->first.first;  // the entry may go while we wait
    if (due > Clock::now()) {
      cv_.wait_until(l, due);
      continue;
    }
    std::function<void()> fn = std::move(first->second);
    queue_.erase(first);
    std::lock_guard<std::mutex> running(running_mu_);
    l.unlock();
    fn();
    l.lock();
  }
}

}  // namespace zk::recipes
