#include "tests/client/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <sstream>

#include <doctest/doctest.h>

namespace zk::client::test {

namespace {

std::string Env(const char* name, const char* def = "") {
  const char* v = std::getenv(name);
  return v != nullptr ? v : def;
}

// A loopback port that is free now and that this process has not handed out before (probing
// with bind(0) and closing can return the same port twice). Ports come from below the kernel's
// ephemeral range (32768+) so no outgoing connection takes one before the server binds it.
uint16_t FreePort() {
  static std::set<uint16_t> given;
  static std::mt19937 rng(static_cast<uint32_t>(getpid()) ^
                          static_cast<uint32_t>(std::random_device{}()));
  std::uniform_int_distribution<int> pick(20000, 32767);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto port = static_cast<uint16_t>(pick(rng));
    if (given.contains(port)) continue;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    close(fd);
    if (!free) continue;
    given.insert(port);
    return port;
  }
  FAIL("no free loopback port in 20000..32767");
  return 0;
}

// Sends a four-letter word and returns the reply ("" if no connection).
std::string FourLetter(uint16_t port, const char* word) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    (void)!send(fd, word, 4, MSG_NOSIGNAL);  // the server may already have closed it
    shutdown(fd, SHUT_WR);
    char buf[4096];
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, 2000) > 0) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

int Run(const std::string& cmd) { return std::system(cmd.c_str()); }

}  // namespace

TestServer::TestServer() : kind_(Env("ZK_TEST_SERVER", "zabkeeper")) {
  char tmpl[] = "/tmp/zk-client-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  port_ = FreePort();
  if (ensemble()) {
    for (int id = 1; id <= 3; ++id) {
      servers_cfg_ += "server." + std::to_string(id) + "=127.0.0.1:" +
                      std::to_string(FreePort()) + ":" + std::to_string(FreePort()) + "\n";
    }
    for (int id = 2; id <= 3; ++id) {
      std::string dir = dir_ + "/member" + std::to_string(id);
      WriteZabkeeperConfig(dir, FreePort(), id);
      companions_.emplace_back(dir, SpawnZabkeeper(dir));
    }
  }
  if (!apache()) WriteZabkeeperConfig(dir_, port_, ensemble() ? 1 : 0);
  Start();
}

TestServer::~TestServer() {
  Stop();
  for (auto& [dir, pid] : companions_) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
  Run("rm -rf '" + dir_ + "'");
}

void TestServer::WriteZabkeeperConfig(const std::string& dir, uint16_t port, int myid) const {
  Run("mkdir -p '" + dir + "/data'");
  std::ofstream cfg(dir + "/zoo.cfg");
  cfg << "tickTime=500\ndataDir=" << dir << "/data\nclientPort=" << port
      << "\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nadmin.enableServer=false\n"
      << "minSessionTimeout=1000\nmaxSessionTimeout=60000\nextendedTypesEnabled=true\n"
      << servers_cfg_;
  if (myid > 0) std::ofstream(dir + "/data/myid") << myid << "\n";
}

pid_t TestServer::SpawnZabkeeper(const std::string& dir) {
  std::string bin = Env("ZK_BIN_DIR", "build/bin") + "/zabkeeper";
  std::string log = dir + "/server.log";
  std::string cfg = dir + "/zoo.cfg";
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "a", stdout);
    (void)f;
    dup2(fileno(stdout), 2);
    execl(bin.c_str(), bin.c_str(), "--config", cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

pid_t TestServer::ReadPid() const {
  std::ifstream f(dir_ + "/zk.pid");
  pid_t p = -1;
  f >> p;
  return p;
}

void TestServer::Start() {
  if (apache()) {
    std::string cmd = Env("ZK_SOURCE_DIR", ".") + "/scripts/zk-reference.sh start " +
                      std::to_string(port_) + " '" + dir_ +
                      "' minSessionTimeout=1000 maxSessionTimeout=60000 "
                      "extendedTypesEnabled=true >/dev/null";
    REQUIRE_MESSAGE(Run(cmd) == 0, "zk-reference.sh start failed, see " << dir_);
    pid_ = ReadPid();
  } else {
    pid_ = SpawnZabkeeper(dir_);
  }
  WaitReady();
}

void TestServer::WaitReady() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (FourLetter(port_, "ruok") == "imok") {
      std::string srvr = FourLetter(port_, "srvr");
      if (!srvr.empty() && srvr.find("not currently serving") == std::string::npos) {
        if (ensemble()) {
          // Member 1 serves as part of the ensemble, never alone.
          REQUIRE_MESSAGE((srvr.find("Mode: follower") != std::string::npos ||
                           srvr.find("Mode: leader") != std::string::npos),
                          "ensemble member 1 answered srvr with: " << srvr);
        }
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // Polling a process, not a test.
  }
  FAIL("server did not start on port " << port_ << " (dir " << dir_ << ")");
}

void TestServer::Stop() {
  if (pid_ <= 0) return;
  if (apache()) {
    Run(Env("ZK_SOURCE_DIR", ".") + "/scripts/zk-reference.sh stop " + std::to_string(port_) +
        " '" + dir_ + "' >/dev/null");
  } else {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

void TestServer::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  if (apache()) {
    while (kill(pid_, 0) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Run("rm -f '" + dir_ + "/zk.pid'");
  } else {
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

TestServer& Server() {
  static TestServer* server = new TestServer();
  static bool registered = [] {
    std::atexit([] { delete server; });
    return true;
  }();
  (void)registered;
  return *server;
}

// ---- Proxy ----

Proxy::Proxy(uint16_t upstream_port) : upstream_(upstream_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  listen(listen_fd_, 64);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

Proxy::~Proxy() {
  stop_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  close(listen_fd_);
  acceptor_.join();
  Cut(true);
  for (auto& t : threads_) t.join();
}

void Proxy::Cut(bool refuse) {
  refuse_ = refuse;
  std::lock_guard<std::mutex> l(mu_);
  for (int fd : fds_) shutdown(fd, SHUT_RDWR);
}

void Proxy::AcceptLoop() {
  while (!stop_) {
    int c = accept(listen_fd_, nullptr, nullptr);
    if (c < 0) {
      if (stop_) return;
      continue;
    }
    if (refuse_) {
      close(c);
      continue;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(upstream_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close(c);
      close(s);
      continue;
    }
    std::lock_guard<std::mutex> l(mu_);
    fds_.push_back(c);
    fds_.push_back(s);
    threads_.emplace_back([this, c, s] { Pump(c, s, false); });
    threads_.emplace_back([this, c, s] { Pump(s, c, true); });
  }
}

void Proxy::Pump(int from, int to, bool from_server) {
  char buf[65536];
  std::string frames;  // client to server: bytes of the frame under way (for BlackholeFromRequest)
  for (;;) {
    if (from_server && blackhole_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      pollfd p{from, 0, 0};
      poll(&p, 1, 0);
      if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) break;
      continue;
    }
    pollfd p{from, POLLIN, 0};
    if (poll(&p, 1, 20) == 0) continue;
    if (from_server && blackhole_) continue;
    ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0) break;
    if (!from_server) {
      // Frames are <4-byte length><xid><type>...; the connect request (first frame) has no
      // type, and its bytes at that offset are zeros for a new session.
      frames.append(buf, static_cast<size_t>(n));
      auto be32 = [&](size_t at) {
        return static_cast<int32_t>((uint32_t(uint8_t(frames[at])) << 24) |
                                    (uint32_t(uint8_t(frames[at + 1])) << 16) |
                                    (uint32_t(uint8_t(frames[at + 2])) << 8) |
                                    uint32_t(uint8_t(frames[at + 3])));
      };
      size_t at = 0;
      while (frames.size() - at >= 4) {
        const auto len = static_cast<size_t>(be32(at));
        if (frames.size() - at < 4 + len) break;
        const int32_t armed = blackhole_on_op_;
        if (armed != 0 && len >= 8 && be32(at + 8) == armed) {
          blackhole_ = true;
          blackhole_on_op_ = 0;
        }
        at += 4 + len;
      }
      frames.erase(0, at);
    }
    // MSG_NOSIGNAL: a peer that went away must end this pump, not the test process (SIGPIPE).
    if (send(to, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
  }
  shutdown(from, SHUT_RDWR);
  shutdown(to, SHUT_RDWR);
}

// ---- recorders ----

StateListener StateRecorder::Listener() {
  return [this](ConnectionState st) {
    std::lock_guard<std::mutex> l(mu_);
    states_.push_back(st);
    cv_.notify_all();
  };
}

bool StateRecorder::Wait(ConnectionState st, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, timeout, [&] {
    for (auto s : states_) {
      if (s == st) return true;
    }
    return false;
  });
}

std::vector<ConnectionState> StateRecorder::States() {
  std::lock_guard<std::mutex> l(mu_);
  return states_;
}

Watcher EventSink::Make() {
  return [this](const WatchEvent& ev) {
    std::lock_guard<std::mutex> l(mu_);
    events_.push_back(ev);
    cv_.notify_all();
  };
}

bool EventSink::WaitCount(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, timeout, [&] { return events_.size() >= n; });
}

std::vector<WatchEvent> EventSink::Events() {
  std::lock_guard<std::mutex> l(mu_);
  return events_;
}

std::unique_ptr<Client> Connect(const std::string& connect_string, Options opts) {
  opts.connect_string = connect_string;
  auto c = Client::Start(std::move(opts));
  REQUIRE(c.ok());
  REQUIRE(c.value()->WaitConnected(std::chrono::seconds(15)).ok());
  return std::move(c).value();
}

std::unique_ptr<Client> ConnectRecording(const std::string& connect_string, StateRecorder& states,
                                         Options opts) {
  opts.state_listener = states.Listener();
  return Connect(connect_string, std::move(opts));
}

std::string UniquePath(const std::string& name) {
  static std::atomic<int> n{0};
  return "/t" + std::to_string(getpid()) + "-" + std::to_string(n++) + "-" + name;
}

bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace zk::client::test
