#include "server/file_remover.h"

#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <future>
#include <system_error>
#include <thread>
#include <utility>

namespace zk::server {

namespace {

// Shrinks `file` by kFreeStep at a time, kFreePauseMs apart, down to kFreeStep or less. Best
// effort: the unlink that follows frees whatever is left.
void FreeBlocksGradually(const std::string& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    for (off_t size = st.st_size; size > kFreeStep;) {
      size -= kFreeStep;
      if (::ftruncate(fd, size) != 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(kFreePauseMs));
    }
  }
  ::close(fd);
}

}  // namespace

void UnlinkFile(const std::string& file) {
  FreeBlocksGradually(file);
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
