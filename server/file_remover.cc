#include "server/file_remover.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace zk::server {

FileRemover::~FileRemover() {
  {
    zab::MutexLock lock(&mu_);
    stopping_ = true;
    work_cv_.Signal();
  }
  if (thread_.joinable()) thread_.join();
}

void FileRemover::Remove(std::vector<std::string> files) {
  if (files.empty()) return;
  zab::MutexLock lock(&mu_);
  for (std::string& f : files) queue_.push_back(std::move(f));
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  work_cv_.Signal();
}

void FileRemover::Drain() {
  zab::MutexLock lock(&mu_);
  while (!queue_.empty() || busy_) idle_cv_.Wait();
}

void FileRemover::Run() {
  pthread_setname_np(pthread_self(), "zk-unlink");
  for (;;) {
    std::string file;
    {
      zab::MutexLock lock(&mu_);
      busy_ = false;
      if (queue_.empty()) idle_cv_.SignalAll();
      while (queue_.empty() && !stopping_) work_cv_.Wait();
      if (queue_.empty()) return;  // Stopping, and everything queued is removed.
      file = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
      spdlog::warn("unlink {}: {}", file, std::system_category().message(errno));
    }
  }
}

}  // namespace zk::server
