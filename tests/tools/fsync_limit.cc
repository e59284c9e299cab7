// fsync_limit: the latency floor of a durable log append on one disk. For each record size it
// times `--count` appends of that size, each followed by fdatasync, to a file in `--dir`, in
// three layouts of the file:
//   growing      each append extends the file (new blocks and a new size for every sync);
//   prewritten   the file was first filled with zeros and synced, appends overwrite the zeros
//                (blocks allocated and initialised; fdatasync only writes the data);
//   fallocated   the file was first extended with fallocate (blocks reserved but unwritten, so
//                each sync still converts an extent in the file system's journal).
// It prints p50/p99/mean per layout in microseconds, one line each. The files are removed.
//
//   fsync_limit --dir /var/lib/zabkeeper --count 2000 --size 4096 --size 100
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

namespace zk::tools {
namespace {

using FsyncClock = std::chrono::steady_clock;

enum class Layout { kGrowing, kPrewritten, kFallocated };

const char* LayoutName(Layout layout) {
  switch (layout) {
    case Layout::kGrowing:
      return "growing";
    case Layout::kPrewritten:
      return "prewritten";
    case Layout::kFallocated:
      return "fallocated";
  }
  return "?";
}

[[noreturn]] void DieErrno(const std::string& what) {
  std::fprintf(stderr, "fsync_limit: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(2);
}

void WriteAll(int fd, const char* data, size_t size, off_t offset, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      DieErrno("write " + path);
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
}

// Prepares the file for `bytes` of appends in the given layout.
void Prepare(int fd, Layout layout, size_t bytes, const std::string& path) {
  if (layout == Layout::kPrewritten) {
    std::vector<char> zeros(1 << 20, 0);
    for (size_t done = 0; done < bytes; done += zeros.size()) {
      WriteAll(fd, zeros.data(), std::min(zeros.size(), bytes - done), static_cast<off_t>(done),
               path);
    }
    if (::fsync(fd) != 0) DieErrno("fsync " + path);
  } else if (layout == Layout::kFallocated) {
    if (::fallocate(fd, 0, 0, static_cast<off_t>(bytes)) != 0) DieErrno("fallocate " + path);
    if (::fsync(fd) != 0) DieErrno("fsync " + path);
  }
}

uint64_t Percentile(const std::vector<uint64_t>& sorted, double p) {
  size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

void Measure(const std::string& dir, Layout layout, size_t record_size, int count) {
  const std::string path = dir + "/fsync_limit." + std::to_string(::getpid()) + ".tmp";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) DieErrno("open " + path);
  // A fresh file's directory entry is synced once, as a log's would be at creation.
  if (::fsync(fd) != 0) DieErrno("fsync " + path);
  const size_t total = record_size * static_cast<size_t>(count);
  Prepare(fd, layout, total + (1 << 20), path);

  std::vector<char> record(record_size);
  std::vector<uint64_t> micros;
  micros.reserve(static_cast<size_t>(count));
  uint32_t state = 0x9e3779b9u;
  for (int i = 0; i < count; ++i) {
    for (char& c : record) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      c = static_cast<char>(state);
    }
    auto start = FsyncClock::now();
    WriteAll(fd, record.data(), record.size(), static_cast<off_t>(i * record_size), path);
    if (::fdatasync(fd) != 0) DieErrno("fdatasync " + path);
    micros.push_back(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(FsyncClock::now() - start).count()));
  }
  ::close(fd);
  ::unlink(path.c_str());

  std::vector<uint64_t> sorted = micros;
  std::sort(sorted.begin(), sorted.end());
  double mean = static_cast<double>(std::accumulate(sorted.begin(), sorted.end(), uint64_t{0})) /
                static_cast<double>(sorted.size());
  std::printf("%-10s size=%-5zu count=%d p50=%lluus p99=%lluus mean=%.0fus\n", LayoutName(layout),
              record_size, count, static_cast<unsigned long long>(Percentile(sorted, 0.50)),
              static_cast<unsigned long long>(Percentile(sorted, 0.99)), mean);
  std::fflush(stdout);
}

}  // namespace
}  // namespace zk::tools

int main(int argc, char** argv) {
  CLI::App app{"fsync_limit: p50/p99 of append+fdatasync on a growing vs a prewritten file"};
  std::string dir = ".";
  int count = 2000;
  std::vector<size_t> sizes;
  app.add_option("--dir", dir, "directory on the disk to measure (a data directory)");
  app.add_option("--count", count, "appends per layout and size")->check(CLI::PositiveNumber);
  app.add_option("--size", sizes, "record size in bytes (repeatable; default 4096 and 100)");
  CLI11_PARSE(app, argc, argv);
  if (sizes.empty()) sizes = {4096, 100};
  for (size_t size : sizes) {
    if (size == 0) {
      std::fprintf(stderr, "fsync_limit: --size must be positive\n");
      return 2;
    }
    for (auto layout : {zk::tools::Layout::kGrowing, zk::tools::Layout::kPrewritten,
                        zk::tools::Layout::kFallocated}) {
      zk::tools::Measure(dir, layout, size, count);
    }
  }
  return 0;
}
