// Connection and ClientPoller over real loopback sockets, driven by one io_context in the test's
// thread: framing, replies, writes the socket cannot take at once, back-pressure, the peer's
// close, a unified port's first byte, and the poller's own contract.
#include "server/client_poller.h"
#include "server/connection.h"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace zk::server {
namespace {

struct Recorder final : LinkHandler {
  std::vector<std::string> frames;
  std::vector<std::string> words;
  int closed = 0;
  std::function<void(ClientLink&, std::string_view)> on_frame;

  void OnFrame(ClientLink& link, std::string_view frame) override {
    frames.emplace_back(frame);
    if (on_frame) on_frame(link, frame);
  }
  void OnFourLetterWord(ClientLink&, std::string_view word) override { words.emplace_back(word); }
  void OnClosed(ClientLink&) override { ++closed; }
  void OnTlsEstablished(ClientLink&) override {}
};

std::string Frame(std::string_view body) {
  const uint32_t be = htonl(static_cast<uint32_t>(body.size()));
  std::string out(reinterpret_cast<const char*>(&be), 4);
  out.append(body);
  return out;
}

// A connected loopback pair: the client end blocking, the server end accepted non-blocking.
struct SocketPair {
  int client = -1;
  int server = -1;
};

SocketPair Connect(int client_rcvbuf = 0) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  SocketPair pair;
  pair.client = ::socket(AF_INET, SOCK_STREAM, 0);
  if (client_rcvbuf > 0) {
    ::setsockopt(pair.client, SOL_SOCKET, SO_RCVBUF, &client_rcvbuf, sizeof(client_rcvbuf));
  }
  REQUIRE(::connect(pair.client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  pair.server = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  REQUIRE(pair.server >= 0);
  ::close(listener);
  return pair;
}

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    REQUIRE(n > 0);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Runs `io` until `done()` or a generous bound; returns done().
bool RunUntil(asio::io_context& io, const std::function<bool()>& done,
              std::chrono::milliseconds bound = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(5));
  }
  return done();
}

// Reads what the client end has now, without blocking.
std::string ReadAvailable(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

struct Fixture {
  asio::io_context io{1};
  ClientPoller poller{io};
  Recorder handler;

  std::shared_ptr<Connection> Open(int fd, size_t max_queued = 8 << 20,
                                   ConnectionSecurity security = ConnectionSecurity::kPlain) {
    auto conn = std::make_shared<Connection>(fd, &poller, 1, &handler, 1 << 20, max_queued,
                                             security);
    conn->Start();
    return conn;
  }
};

TEST_CASE("A plain connection delivers frames split anywhere or in bulk, and writes replies") {
  Fixture f;
  SocketPair s = Connect();
  auto conn = f.Open(s.server);
  f.handler.on_frame = [](ClientLink& link, std::string_view body) {
    link.Send(Frame("re:" + std::string(body)));
  };
  CHECK(conn->remote_address() == "127.0.0.1");
  CHECK(conn->remote_port() != 0);
  CHECK_FALSE(conn->is_tls());

  const std::string second = Frame("bcdef");
  WriteAll(s.client, Frame("a") + second.substr(0, 2));
  REQUIRE(RunUntil(f.io, [&] { return f.handler.frames.size() == 1; }));
  WriteAll(s.client, second.substr(2));
  std::string bulk;
  for (int i = 0; i < 500; ++i) bulk += Frame("n" + std::to_string(i));
  WriteAll(s.client, bulk);
  REQUIRE(RunUntil(f.io, [&] { return f.handler.frames.size() == 502; }));
  CHECK(f.handler.frames[0] == "a");
  CHECK(f.handler.frames[1] == "bcdef");
  CHECK(f.handler.frames[501] == "n499");

  std::string expected = Frame("re:a") + Frame("re:bcdef");
  for (int i = 0; i < 500; ++i) expected += Frame("re:n" + std::to_string(i));
  std::string got;
  REQUIRE(RunUntil(f.io, [&] {
    got += ReadAvailable(s.client);
    return got.size() >= expected.size();
  }));
  CHECK(got == expected);
  CHECK(conn->stats().packets_received == 502);
  CHECK(conn->stats().packets_sent == 502);
  CHECK(conn->stats().bytes_sent == expected.size());
  CHECK(conn->queued_output_bytes() == 0);
  CHECK(f.handler.closed == 0);
  conn->Close();
  ::close(s.client);
}

TEST_CASE("Output the socket cannot take at once goes when the client reads, in order") {
  Fixture f;
  SocketPair s = Connect(/*client_rcvbuf=*/4096);
  auto conn = f.Open(s.server, /*max_queued=*/64 << 20);
  constexpr int kFrames = 2000;
  std::string expected;
  for (int i = 0; i < kFrames; ++i) {
    std::string body(4096, static_cast<char>('a' + i % 26));
    body.replace(0, std::to_string(i).size(), std::to_string(i));
    std::string frame = Frame(body);
    expected += frame;
    conn->Send(std::move(frame));
  }
  // The flush writes what the socket takes; the rest waits for the client.
  REQUIRE(RunUntil(f.io, [&] { return conn->queued_output_bytes() < expected.size(); }));
  for (int i = 0; i < 20; ++i) f.io.run_one_for(std::chrono::milliseconds(5));
  CHECK(conn->queued_output_bytes() > 0);
  std::string got;
  REQUIRE(RunUntil(f.io, [&] {
    got += ReadAvailable(s.client);
    return got.size() >= expected.size();
  }));
  CHECK(got == expected);
  CHECK(conn->queued_output_bytes() == 0);
  CHECK(conn->stats().bytes_sent == expected.size());
  conn->Close();
  ::close(s.client);
}

TEST_CASE("Past its output limit a connection stops reading until the client catches up") {
  Fixture f;
  SocketPair s = Connect(/*client_rcvbuf=*/4096);
  int small = 4096;
  ::setsockopt(s.server, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  auto conn = f.Open(s.server, /*max_queued=*/64 << 10);
  f.handler.on_frame = [](ClientLink& link, std::string_view) {
    link.Send(Frame(std::string(32 << 10, 'r')));
  };
  // Requests of 16 KiB, pushed without blocking while the io_context runs.
  constexpr size_t kRequests = 40;
  std::string requests;
  for (size_t i = 0; i < kRequests; ++i) requests += Frame(std::string(16 << 10, 'q'));
  size_t pushed = 0;
  auto push = [&] {
    while (pushed < requests.size()) {
      ssize_t n = ::send(s.client, requests.data() + pushed, requests.size() - pushed,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n <= 0) break;
      pushed += static_cast<size_t>(n);
    }
  };
  REQUIRE(RunUntil(f.io, [&] {
    push();
    return f.handler.frames.size() >= 2;
  }));
  // The client reads nothing: once more than 64 KiB of replies wait, no request is read.
  for (int i = 0; i < 100; ++i) {
    push();
    f.io.run_one_for(std::chrono::milliseconds(2));
  }
  const size_t while_blocked = f.handler.frames.size();
  CHECK(while_blocked < kRequests);
  CHECK(conn->queued_output_bytes() > (64u << 10));

  size_t received = 0;
  const size_t reply_bytes = 4 + (32 << 10);
  REQUIRE(RunUntil(f.io, [&] {
    push();
    received += ReadAvailable(s.client).size();
    return received >= kRequests * reply_bytes;
  }));
  CHECK(f.handler.frames.size() == kRequests);
  CHECK(received == kRequests * reply_bytes);
  CHECK(f.handler.closed == 0);
  conn->Close();
  ::close(s.client);
}

TEST_CASE("The client's close reaches the handler once and leaves the poller") {
  Fixture f;
  SocketPair s = Connect();
  auto conn = f.Open(s.server);
  WriteAll(s.client, Frame("last"));
  REQUIRE(RunUntil(f.io, [&] { return f.handler.frames.size() == 1; }));
  CHECK(f.poller.registered() == 1);
  ::close(s.client);
  REQUIRE(RunUntil(f.io, [&] { return f.handler.closed == 1; }));
  CHECK(conn->closed());
  CHECK(f.poller.registered() == 0);
  conn->Close();  // idempotent
  CHECK(f.handler.closed == 1);
}

TEST_CASE("A unified port's connection is plain unless its first byte opens a TLS handshake") {
  Fixture f;
  SocketPair s = Connect();
  auto conn = f.Open(s.server, 8 << 20, ConnectionSecurity::kDetect);
  SUBCASE("plain") {
    WriteAll(s.client, Frame("hello"));
    REQUIRE(RunUntil(f.io, [&] { return f.handler.frames.size() == 1; }));
    CHECK(f.handler.frames[0] == "hello");
    CHECK_FALSE(conn->is_tls());
  }
  SUBCASE("a four-letter word") {
    WriteAll(s.client, "ruok");
    REQUIRE(RunUntil(f.io, [&] { return f.handler.words.size() == 1; }));
    CHECK(f.handler.words[0] == "ruok");
  }
  SUBCASE("TLS, without a context to answer it: closed") {
    WriteAll(s.client, std::string("\x16\x03\x01", 3));
    REQUIRE(RunUntil(f.io, [&] { return f.handler.closed == 1; }));
    CHECK(f.handler.frames.empty());
    CHECK(f.poller.registered() == 0);
    char c;
    CHECK(::recv(s.client, &c, 1, 0) <= 0);  // the server end is closed
  }
  conn->Close();
  ::close(s.client);
}

// A pipe end read one byte per report, with a handler that may remove another registration.
struct PipeReader final : ClientPoller::Handler {
  ClientPoller* poller = nullptr;
  int fd = -1;
  int calls = 0;
  std::string got;
  int remove_on_call = -1;  // a descriptor to remove when called
  bool defer = false;       // asks for OnBatchEnd when called
  int batch_ends = 0;
  int calls_at_batch_end = -1;  // calls of `watched` when OnBatchEnd ran
  const PipeReader* watched = nullptr;

  void OnBatchEnd() override {
    ++batch_ends;
    if (watched != nullptr) calls_at_batch_end = watched->calls;
  }

  bool OnPollEvents(uint32_t events) override {
    ++calls;
    if (remove_on_call >= 0) poller->Remove(remove_on_call);
    if (defer) CHECK(poller->DeferToBatchEnd(this));
    if ((events & EPOLLIN) == 0) return false;
    char c;
    if (::read(fd, &c, 1) != 1) return false;
    got.push_back(c);
    return true;  // one byte a report: more may be there
  }
};

// Whether the poller's own re-poll or asio's re-arm of its wait brings the rest, a handler that
// takes less than is there gets it all, and nothing after its Remove.
TEST_CASE("ClientPoller reports a descriptor until a handler has taken what is there") {
  asio::io_context io(1);
  ClientPoller poller(io);
  int p[2];
  REQUIRE(::pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
  PipeReader reader;
  reader.poller = &poller;
  reader.fd = p[0];
  REQUIRE(poller.Add(p[0], EPOLLIN, &reader) == 0);
  REQUIRE(::write(p[1], "0123456789", 10) == 10);  // one edge for the whole
  REQUIRE(RunUntil(io, [&] { return reader.got.size() == 10; }));
  CHECK(reader.got == "0123456789");
  poller.Remove(p[0]);
  CHECK(poller.registered() == 0);
  REQUIRE(::write(p[1], "x", 1) == 1);
  const int calls = reader.calls;
  for (int i = 0; i < 20; ++i) io.run_one_for(std::chrono::milliseconds(2));
  CHECK(reader.calls == calls);  // removed: never called again
  ::close(p[0]);
  ::close(p[1]);
}

TEST_CASE("ClientPoller calls no handler removed earlier in the same batch") {
  asio::io_context io(1);
  ClientPoller poller(io);
  int a[2], b[2];
  REQUIRE(::pipe2(a, O_NONBLOCK | O_CLOEXEC) == 0);
  REQUIRE(::pipe2(b, O_NONBLOCK | O_CLOEXEC) == 0);
  PipeReader ra, rb;
  ra.poller = rb.poller = &poller;
  ra.fd = a[0];
  rb.fd = b[0];
  ra.remove_on_call = b[0];
  rb.remove_on_call = a[0];
  REQUIRE(poller.Add(a[0], EPOLLIN, &ra) == 0);
  REQUIRE(poller.Add(b[0], EPOLLIN, &rb) == 0);
  // Both readable before the io_context polls: one batch reports both.
  REQUIRE(::write(a[1], "a", 1) == 1);
  REQUIRE(::write(b[1], "b", 1) == 1);
  REQUIRE(RunUntil(io, [&] { return ra.calls + rb.calls >= 1; }));
  for (int i = 0; i < 20; ++i) io.run_one_for(std::chrono::milliseconds(2));
  // Whichever ran first removed the other.
  CHECK(((ra.calls > 0) != (rb.calls > 0)));
  CHECK(poller.registered() == 1);
  for (int fd : {a[0], a[1], b[0], b[1]}) ::close(fd);
}

TEST_CASE("ClientPoller ends a batch with the OnBatchEnd asked for in it, never a removed one") {
  asio::io_context io(1);
  ClientPoller poller(io);
  CHECK_FALSE(poller.DeferToBatchEnd(nullptr));  // outside a batch: the caller posts instead
  int a[2], b[2], c[2];
  for (int* p : {a, b, c}) REQUIRE(::pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
  PipeReader ra, rb, rc;
  for (PipeReader* r : {&ra, &rb, &rc}) r->poller = &poller;
  ra.fd = a[0];
  rb.fd = b[0];
  rc.fd = c[0];
  ra.defer = rb.defer = rc.defer = true;
  ra.watched = &rb;  // its batch end comes after rb's report, whichever order the batch had
  rb.watched = &ra;
  REQUIRE(poller.Add(a[0], EPOLLIN, &ra) == 0);
  REQUIRE(poller.Add(b[0], EPOLLIN, &rb) == 0);
  REQUIRE(poller.Add(c[0], EPOLLIN, &rc) == 0);
  REQUIRE(::write(a[1], "a", 1) == 1);
  REQUIRE(::write(b[1], "b", 1) == 1);
  REQUIRE(RunUntil(io, [&] { return ra.batch_ends >= 1 && rb.batch_ends >= 1; }));
  CHECK(ra.calls_at_batch_end >= 1);
  CHECK(rb.calls_at_batch_end >= 1);
  CHECK(rc.batch_ends == 0);  // not reported, never asked

  // One removed in the batch it asked in (or before its report) gets no OnBatchEnd.
  ra.defer = false;
  ra.remove_on_call = c[0];
  REQUIRE(::write(c[1], "c", 1) == 1);
  REQUIRE(::write(a[1], "a", 1) == 1);  // both reported in one batch: ra removes rc
  REQUIRE(RunUntil(io, [&] { return ra.got.size() == 2; }));
  for (int i = 0; i < 10; ++i) io.run_one_for(std::chrono::milliseconds(2));
  CHECK(rc.batch_ends == 0);
  CHECK(poller.registered() == 2);
  for (int* p : {a, b, c}) {
    ::close(p[0]);
    ::close(p[1]);
  }
}

}  // namespace
}  // namespace zk::server
