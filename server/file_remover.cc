#include "server/file_remover.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <future>
#include <system_error>
#include <utility>

namespace zk::server {

void UnlinkFile(const std::string& file) {
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
    spdlog::warn("unlink {}: {}", file, std::system_category().message(errno));
  }
}

FileRemover::FileRemover() {
  asio::post(pool_, [] { pthread_setname_np(pthread_self(), "zk-unlink"); });
}

FileRemover::~FileRemover() { pool_.join(); }  // Runs what is queued first.

void FileRemover::Remove(std::vector<std::string> files) {
  if (files.empty()) return;
  asio::post(pool_, [files = std::move(files)] {
    for (const std::string& f : files) UnlinkFile(f);
  });
}

void FileRemover::Drain() {
  std::promise<void> done;
  asio::post(pool_, [&done] { done.set_value(); });
  done.get_future().wait();
}

}  // namespace zk::server
