// loopback_rtt: the round-trip floor of a request and its reply over TCP on loopback, between
// two threads with blocking sockets (TCP_NODELAY on both ends): `--count` exchanges of `--size`
// bytes, each sent only once the previous reply is read, as a single-session client with one
// request outstanding does. Prints p50/p99/mean in microseconds on one line. The figure a
// server's single-session read latency is compared with (scripts/bench-latency.sh).
//
//   loopback_rtt --count 20000 --size 64
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace zk::tools {
namespace {

bool WriteFull(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadFull(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void NoDelay(int fd) {
  int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int Fail(const char* what) {
  std::fprintf(stderr, "loopback_rtt: %s: %s\n", what, std::strerror(errno));
  return 1;
}

int Run(int count, size_t size) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return Fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Fail("listen");
  }
  // The echoing end: replies with what it read until the client closes.
  std::thread echo([listener, size] {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    NoDelay(fd);
    std::vector<char> buf(size);
    while (ReadFull(fd, buf.data(), size) && WriteFull(fd, buf.data(), size)) {
    }
    ::close(fd);
  });
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int rc = Fail("connect");
    ::shutdown(listener, SHUT_RDWR);
    echo.join();
    return rc;
  }
  NoDelay(fd);
  std::vector<char> buf(size, 'x');
  std::vector<double> us;
  us.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (!WriteFull(fd, buf.data(), size) || !ReadFull(fd, buf.data(), size)) {
      Fail("exchange");
      break;
    }
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() -
                                                           start).count());
  }
  ::close(fd);
  echo.join();
  ::close(listener);
  if (us.size() != static_cast<size_t>(count)) return 1;
  std::sort(us.begin(), us.end());
  const double mean = std::accumulate(us.begin(), us.end(), 0.0) / static_cast<double>(us.size());
  std::printf("loopback size=%zu count=%d p50=%.0fus p99=%.0fus mean=%.0fus\n", size, count,
              us[us.size() / 2], us[us.size() * 99 / 100], mean);
  return 0;
}

}  // namespace
}  // namespace zk::tools

int main(int argc, char** argv) {
  CLI::App app{"loopback_rtt: round-trip latency floor of TCP on loopback"};
  int count = 20000;
  size_t size = 64;
  app.add_option("--count", count, "exchanges")->check(CLI::Range(1, 10000000));
  app.add_option("--size", size, "bytes each way")->check(CLI::Range(1, 1 << 20));
  CLI11_PARSE(app, argc, argv);
  return zk::tools::Run(count, size);
}
