// Test harness of the client tests: a server under test (zabkeeper or Apache ZooKeeper, chosen by
// $ZK_TEST_SERVER) that can be stopped, killed, restarted and paused, and a TCP proxy that can
// cut or black-hole the client's connection. Not thread-safe unless stated.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/zk_client.h"

namespace zk::client::test {

class TestServer {
 public:
  // Starts a server of kind $ZK_TEST_SERVER on a free port in a fresh temp dir: "zabkeeper",
  // "apache", or "zabkeeper-ensemble" — the server under test is member 1 of a 3-voter ensemble
  // whose two other members run for the whole test run (Stop/Kill9/Start act on member 1 only).
  TestServer();
  ~TestServer();

  bool apache() const { return kind_ == "apache"; }
  uint16_t port() const { return port_; }
  std::string hosts() const { return "127.0.0.1:" + std::to_string(port_); }

  void Start();  // Same port and dataDir; waits until it serves.
  void Stop();   // SIGTERM and wait.
  void Kill9();  // SIGKILL and wait.

 private:
  void WaitReady();
  pid_t ReadPid() const;
  bool ensemble() const { return kind_ == "zabkeeper-ensemble"; }
  // Writes <dir>/zoo.cfg (and data/myid for an ensemble member).
  void WriteZabkeeperConfig(const std::string& dir, uint16_t port, int myid) const;
  static pid_t SpawnZabkeeper(const std::string& dir);

  std::string kind_;
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string servers_cfg_;  // ensemble: the server.N lines
  std::vector<std::pair<std::string, pid_t>> companions_;  // ensemble members 2 and 3
};

// The shared server of the test run (started on first use, stopped at exit).
TestServer& Server();

// A loopback TCP proxy in front of the server. Thread-safe.
class Proxy {
 public:
  explicit Proxy(uint16_t upstream_port);
  ~Proxy();
  std::string hosts() const { return "127.0.0.1:" + std::to_string(port_); }
  // Closes every proxied connection; while `refuse` is set, new connections are closed at once.
  void Cut(bool refuse);
  void Refuse(bool refuse) { refuse_ = refuse; }
  // While set, bytes from the server are held back (the client sees a silent server).
  void Blackhole(bool on) { blackhole_ = on; }
  // Turns the black hole on just before the client's next request of type `opcode` reaches the
  // server (that request is applied; its reply and everything after it are held back).
  void BlackholeFromRequest(int32_t opcode) { blackhole_on_op_ = opcode; }
  // Whether the black hole is on (set by Blackhole, or by the armed request having gone by).
  bool blackholed() const { return blackhole_; }

 private:
  void AcceptLoop();
  void Pump(int from, int to, bool from_server);

  uint16_t upstream_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> refuse_{false};
  std::atomic<bool> blackhole_{false};
  std::atomic<int32_t> blackhole_on_op_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// Records connection states; Wait blocks until `st` was seen (deadline) .
class StateRecorder {
 public:
  StateListener Listener();
  bool Wait(ConnectionState st, std::chrono::milliseconds timeout);
  std::vector<ConnectionState> States();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ConnectionState> states_;
};

// Collects watch events; Wait for the n-th event.
class EventSink {
 public:
  Watcher Make();
  bool WaitCount(size_t n, std::chrono::milliseconds timeout);
  std::vector<WatchEvent> Events();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WatchEvent> events_;
};

// A connected client (fails the test if it cannot connect within 15 s).
std::unique_ptr<Client> Connect(const std::string& connect_string, Options opts = {});
// Connect with `states` recording the connection states.
std::unique_ptr<Client> ConnectRecording(const std::string& connect_string, StateRecorder& states,
                                         Options opts = {});
// A unique path prefix for one test case ("/t<N>-<name>").
std::string UniquePath(const std::string& name);
// Polls `pred` every 10 ms until it holds (true) or `timeout` passed (its last answer).
bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

}  // namespace zk::client::test
