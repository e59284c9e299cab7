// zk_populate: a load tool for ZooKeeper-compatible servers (zabkeeper, Apache ZooKeeper). It opens
// one session, creates the parent znode, then creates `--count` persistent children of `--size`
// bytes named n0000000, n0000001, ... with `--depth` create requests pipelined on the one
// connection, pings every session timeout / 3, and prints the create rate. The data of each
// child is pseudo-random (xorshift), so that neither server's disk footprint profits from
// compressing it. With `--verify` it
// only counts the parent's children (getAllChildrenNumber; getChildren2's numChildren if the
// server lacks it) and exits 1 unless there are exactly `--count`.
//
// Exit codes: 0 success, 1 wrong child count or a failed create, 2 connection or protocol error.
//
//   zk_populate --port 2181 --count 1000000 --size 100 --parent /bench --depth 1000
//   zk_populate --port 2181 --count 1000000 --parent /bench --verify
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "client/proto/jute.h"
#include "client/proto/records.h"
#include "client/proto/wire_constants.h"

namespace zk::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxFrameBytes = 256u << 20;  // getChildren2 of a million children is ~12 MB
constexpr size_t kReadChunk = 256u << 10;
constexpr int kExitMismatch = 1;
constexpr int kExitError = 2;

struct Options {
  std::string host = "127.0.0.1";
  int port = 2181;
  int64_t count = 1000000;
  int size = 100;
  std::string parent = "/bench";
  int depth = 1000;
  int session_timeout_ms = 30000;
  int io_timeout_ms = 30000;
  int connect_timeout_ms = 10000;
  bool verify = false;
  bool quiet = false;
};

// The reply-side view of one frame: its header and the bytes after it.
struct Reply {
  proto::ReplyHeader header;
  std::string_view body;
};

// One non-blocking TCP connection carrying length-prefixed jute frames. Requests are appended to
// an output buffer and flushed as the socket accepts them; replies are read into an input buffer
// and taken one frame at a time. Not thread-safe.
class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }

  // Connects to host:port; returns false (with a message on stderr) on failure.
  bool Open(const std::string& host, int port, int timeout_ms) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port_str = std::to_string(port);
    if (int rc = getaddrinfo(host.c_str(), port_str.c_str(), &hints, &res); rc != 0) {
      std::fprintf(stderr, "zk_populate: %s: %s\n", host.c_str(), gai_strerror(rc));
      return false;
    }
    int last_errno = 0;
    for (addrinfo* ai = res; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
      int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
        last_errno = errno;
        close(fd);
        continue;
      }
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof(err);
      if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
          err != 0) {
        last_errno = err != 0 ? err : ETIMEDOUT;
        close(fd);
        continue;
      }
      fd_ = fd;
    }
    freeaddrinfo(res);
    if (fd_ < 0) {
      std::fprintf(stderr, "zk_populate: connect %s:%d: %s\n", host.c_str(), port,
                   std::strerror(last_errno));
      return false;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return true;
  }

  // A writer that appends to the output buffer; wrap each frame in BeginFrame/EndFrame.
  proto::JuteWriter Writer() { return proto::JuteWriter(&out_); }
  bool HasPendingOutput() const { return out_pos_ < out_.size(); }

  // Waits up to timeout_ms for the socket, then writes what it can and reads what has arrived.
  // Returns false on a socket error or when the server closed the connection.
  bool Pump(int timeout_ms) {
    pollfd p{fd_, static_cast<short>(POLLIN | (HasPendingOutput() ? POLLOUT : 0)), 0};
    int n = poll(&p, 1, timeout_ms);
    if (n < 0 && errno != EINTR) return Fail("poll");
    if (n <= 0) return true;
    if ((p.revents & POLLOUT) != 0 && !Flush()) return false;
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !Receive()) return false;
    return true;
  }

  // Takes the next complete reply frame, if any. Sets *error on a malformed frame.
  bool NextReply(Reply* reply, bool* error) {
    *error = false;
    if (in_.size() - in_pos_ < 4) return false;
    proto::JuteReader len_reader(in_.data() + in_pos_, 4);
    int32_t len = 0;
    len_reader.ReadInt(&len);
    if (len < 0 || static_cast<size_t>(len) > kMaxFrameBytes) {
      std::fprintf(stderr, "zk_populate: bad frame length %d\n", len);
      *error = true;
      return false;
    }
    if (in_.size() - in_pos_ - 4 < static_cast<size_t>(len)) return false;
    std::string_view frame(in_.data() + in_pos_ + 4, static_cast<size_t>(len));
    in_pos_ += 4 + static_cast<size_t>(len);
    proto::JuteReader r(frame.data(), frame.size());
    if (!reply->header.Read(r)) {
      std::fprintf(stderr, "zk_populate: truncated reply header\n");
      *error = true;
      return false;
    }
    reply->body = frame.substr(r.position());
    return true;
  }

  // Takes the next complete raw frame (the handshake answer has no reply header).
  bool NextRawFrame(std::string* frame) {
    if (in_.size() - in_pos_ < 4) return false;
    proto::JuteReader len_reader(in_.data() + in_pos_, 4);
    int32_t len = 0;
    len_reader.ReadInt(&len);
    if (len < 0 || static_cast<size_t>(len) > kMaxFrameBytes) return false;
    if (in_.size() - in_pos_ - 4 < static_cast<size_t>(len)) return false;
    frame->assign(in_.data() + in_pos_ + 4, static_cast<size_t>(len));
    in_pos_ += 4 + static_cast<size_t>(len);
    return true;
  }

 private:
  bool Fail(const char* what) {
    std::fprintf(stderr, "zk_populate: %s: %s\n", what, std::strerror(errno));
    return false;
  }

  bool Flush() {
    while (HasPendingOutput()) {
      ssize_t n = send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        return Fail("send");
      }
      out_pos_ += static_cast<size_t>(n);
    }
    if (out_pos_ == out_.size()) {
      out_.clear();
      out_pos_ = 0;
    } else if (out_pos_ > (1u << 20)) {
      out_.erase(0, out_pos_);
      out_pos_ = 0;
    }
    return true;
  }

  bool Receive() {
    if (in_pos_ > 0 && in_pos_ == in_.size()) {
      in_.clear();
      in_pos_ = 0;
    } else if (in_pos_ > (1u << 20)) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    for (;;) {
      const size_t old = in_.size();
      in_.resize(old + kReadChunk);
      ssize_t n = recv(fd_, in_.data() + old, kReadChunk, 0);
      in_.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
      if (n > 0) continue;
      if (n == 0) {
        std::fprintf(stderr, "zk_populate: server closed the connection\n");
        return false;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno != EINTR) return Fail("recv");
    }
  }

  int fd_ = -1;
  std::string out_;
  size_t out_pos_ = 0;
  std::string in_;
  size_t in_pos_ = 0;
};

int64_t MillisSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// A session on one connection: the handshake, pings, and synchronous or pipelined requests.
class Session {
 public:
  explicit Session(const Options& options) : options_(options) {}

  bool Connect() {
    if (!conn_.Open(options_.host, options_.port, options_.connect_timeout_ms)) return false;
    proto::JuteWriter w = conn_.Writer();
    const size_t mark = w.BeginFrame();
    proto::ConnectRequest req;
    req.timeout_ms = options_.session_timeout_ms;
    req.passwd.assign(kSessionPasswordLength, '\0');
    req.Write(w);
    w.EndFrame(mark);
    const auto start = Clock::now();
    std::string frame;
    while (!conn_.NextRawFrame(&frame)) {
      if (MillisSince(start) > options_.connect_timeout_ms) {
        std::fprintf(stderr, "zk_populate: no handshake answer within %d ms\n",
                     options_.connect_timeout_ms);
        return false;
      }
      if (!conn_.Pump(100)) return false;
    }
    proto::JuteReader r(frame.data(), frame.size());
    proto::ConnectResponse resp;
    if (!resp.Read(r) || resp.timeout_ms <= 0) {
      std::fprintf(stderr, "zk_populate: session refused (timeout %d)\n", resp.timeout_ms);
      return false;
    }
    ping_interval_ms_ = resp.timeout_ms / 3;
    last_ping_ = Clock::now();
    return true;
  }

  // Queues one request frame: header then `body(JuteWriter&)`.
  template <class F>
  int32_t Send(OpCode op, F body) {
    const int32_t xid = next_xid_++;
    proto::JuteWriter w = conn_.Writer();
    const size_t mark = w.BeginFrame();
    proto::RequestHeader{xid, static_cast<int32_t>(op)}.Write(w);
    body(w);
    w.EndFrame(mark);
    return xid;
  }

  // Sends a ping when one is due.
  void MaybePing() {
    if (MillisSince(last_ping_) < ping_interval_ms_) return;
    proto::JuteWriter w = conn_.Writer();
    const size_t mark = w.BeginFrame();
    proto::RequestHeader{xids::kPing, static_cast<int32_t>(OpCode::kPing)}.Write(w);
    w.EndFrame(mark);
    last_ping_ = Clock::now();
  }

  // Pumps the connection and hands every reply except pings and notifications to
  // `on_reply(const Reply&)`. Returns false on a connection or framing error.
  template <class F>
  bool Poll(int timeout_ms, F on_reply) {
    MaybePing();
    if (!conn_.Pump(timeout_ms)) return false;
    Reply reply;
    bool error = false;
    while (conn_.NextReply(&reply, &error)) {
      if (reply.header.xid == xids::kPing || reply.header.xid == xids::kNotification) continue;
      on_reply(reply);
    }
    return !error;
  }

  // Sends one request and waits for its reply, copied into *header and *body.
  template <class F>
  bool Call(OpCode op, F body, proto::ReplyHeader* header, std::string* body_out) {
    const int32_t xid = Send(op, body);
    bool done = false;
    bool ok = true;
    const auto start = Clock::now();
    while (!done) {
      if (MillisSince(start) > options_.io_timeout_ms) {
        std::fprintf(stderr, "zk_populate: no reply within %d ms\n", options_.io_timeout_ms);
        return false;
      }
      ok = Poll(100, [&](const Reply& r) {
        if (r.header.xid != xid) return;
        *header = r.header;
        body_out->assign(r.body);
        done = true;
      });
      if (!ok) return false;
    }
    return true;
  }

 private:
  const Options& options_;
  Connection conn_;
  int32_t next_xid_ = 1;
  int ping_interval_ms_ = 10000;
  Clock::time_point last_ping_;
};

std::vector<proto::Acl> OpenAcl() {
  return {proto::Acl{perms::kAll, proto::Id{"world", "anyone"}}};
}

// Overwrites *data with the next pseudo-random bytes of the xorshift64 state *x.
void FillRandom(uint64_t* x, std::string* data) {
  for (size_t i = 0; i < data->size(); i += sizeof(uint64_t)) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    std::memcpy(data->data() + i, x, std::min(sizeof(uint64_t), data->size() - i));
  }
}

std::string ChildName(const std::string& parent, int64_t i) {
  char name[32];
  std::snprintf(name, sizeof(name), "/n%07lld", static_cast<long long>(i));
  return (parent == "/" ? std::string() : parent) + name;
}

// Counts the parent's children; returns kExitError if the server did not say.
int CountChildren(Session& session, const Options& options, int64_t* count) {
  proto::ReplyHeader header;
  std::string body;
  const proto::PathRequest req{options.parent};
  if (!session.Call(
          OpCode::kGetAllChildrenNumber, [&](proto::JuteWriter& w) { req.Write(w); }, &header,
          &body)) {
    return kExitError;
  }
  if (header.err == static_cast<int32_t>(Err::kOk)) {
    proto::JuteReader r(body.data(), body.size());
    proto::GetAllChildrenNumberResponse resp;
    if (!resp.Read(r)) return kExitError;
    *count = resp.total;
    return 0;
  }
  if (header.err != static_cast<int32_t>(Err::kUnimplemented)) {
    std::fprintf(stderr, "zk_populate: getAllChildrenNumber %s: %s\n", options.parent.c_str(),
                 std::string(ErrName(static_cast<Err>(header.err))).c_str());
    return kExitError;
  }
  const proto::PathWatchRequest req2{options.parent, false};
  if (!session.Call(
          OpCode::kGetChildren2, [&](proto::JuteWriter& w) { req2.Write(w); }, &header, &body)) {
    return kExitError;
  }
  if (header.err != static_cast<int32_t>(Err::kOk)) {
    std::fprintf(stderr, "zk_populate: getChildren2 %s: %s\n", options.parent.c_str(),
                 std::string(ErrName(static_cast<Err>(header.err))).c_str());
    return kExitError;
  }
  proto::JuteReader r(body.data(), body.size());
  proto::GetChildren2Response resp;
  if (!resp.Read(r)) return kExitError;
  *count = resp.stat.num_children;
  return 0;
}

int Verify(Session& session, const Options& options) {
  int64_t count = 0;
  if (int rc = CountChildren(session, options, &count); rc != 0) return rc;
  std::printf("%s has %lld children (expected %lld)\n", options.parent.c_str(),
              static_cast<long long>(count), static_cast<long long>(options.count));
  return count == options.count ? 0 : kExitMismatch;
}

int Populate(Session& session, const Options& options) {
  const std::vector<proto::Acl> acl = OpenAcl();
  proto::ReplyHeader header;
  std::string body;
  proto::CreateRequest parent{options.parent, "", false, acl, 0};
  if (!session.Call(
          OpCode::kCreate, [&](proto::JuteWriter& w) { parent.Write(w); }, &header, &body)) {
    return kExitError;
  }
  if (header.err != static_cast<int32_t>(Err::kOk) &&
      header.err != static_cast<int32_t>(Err::kNodeExists)) {
    std::fprintf(stderr, "zk_populate: create %s: %s\n", options.parent.c_str(),
                 std::string(ErrName(static_cast<Err>(header.err))).c_str());
    return kExitError;
  }

  proto::CreateRequest req{"", std::string(static_cast<size_t>(options.size), 'x'), false, acl,
                           static_cast<int32_t>(CreateMode::kPersistent)};
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
  int64_t sent = 0;
  int64_t done = 0;
  int64_t failed = 0;
  int32_t first_err = 0;
  const auto start = Clock::now();
  auto last_progress = start;
  auto last_reply = start;
  while (done < options.count) {
    while (sent < options.count && sent - done < options.depth) {
      req.path = ChildName(options.parent, sent);
      FillRandom(&rng, &req.data);
      session.Send(OpCode::kCreate, [&](proto::JuteWriter& w) { req.Write(w); });
      ++sent;
    }
    const int64_t before = done;
    const bool ok = session.Poll(100, [&](const Reply& r) {
      ++done;
      if (r.header.err != static_cast<int32_t>(Err::kOk)) {
        if (failed++ == 0) first_err = r.header.err;
      }
    });
    if (!ok) {
      std::fprintf(stderr, "zk_populate: connection lost after %lld creates\n",
                   static_cast<long long>(done));
      return kExitError;
    }
    if (done != before) {
      last_reply = Clock::now();
    } else if (MillisSince(last_reply) > options.io_timeout_ms) {
      std::fprintf(stderr, "zk_populate: no reply for %d ms after %lld creates\n",
                   options.io_timeout_ms, static_cast<long long>(done));
      return kExitError;
    }
    if (!options.quiet && MillisSince(last_progress) >= 10000) {
      last_progress = Clock::now();
      std::fprintf(stderr, "zk_populate: %lld/%lld created\n", static_cast<long long>(done),
                   static_cast<long long>(options.count));
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("created %lld znodes of %d bytes under %s in %.3f s: %.0f ops/s\n",
              static_cast<long long>(done), options.size, options.parent.c_str(), secs,
              secs > 0 ? static_cast<double>(done) / secs : 0.0);
  if (failed > 0) {
    std::fprintf(stderr, "zk_populate: %lld creates failed, first with %s\n",
                 static_cast<long long>(failed),
                 std::string(ErrName(static_cast<Err>(first_err))).c_str());
    return kExitMismatch;
  }
  return 0;
}

}  // namespace
}  // namespace zk::tools

int main(int argc, char** argv) {
  zk::tools::Options o;
  CLI::App app{"zk_populate: create N znodes on a ZooKeeper server, or verify they exist"};
  app.add_option("--host", o.host, "server host")->capture_default_str();
  app.add_option("--port", o.port, "server client port")->capture_default_str();
  app.add_option("--count", o.count, "number of children")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{9999999}));
  app.add_option("--size", o.size, "bytes of data per child")
      ->capture_default_str()
      ->check(CLI::Range(0, zk::kDefaultJuteMaxBuffer - 1024));
  app.add_option("--parent", o.parent, "parent znode (created first)")->capture_default_str();
  app.add_option("--depth", o.depth, "outstanding requests")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--session-timeout", o.session_timeout_ms, "requested session timeout, ms")
      ->capture_default_str();
  app.add_option("--connect-timeout", o.connect_timeout_ms,
                 "give up when the TCP connect plus session handshake take longer, ms")
      ->capture_default_str();
  app.add_option("--io-timeout", o.io_timeout_ms, "give up after this long without a reply, ms")
      ->capture_default_str();
  app.add_flag("--verify", o.verify, "only check that the parent has --count children");
  app.add_flag("-q,--quiet", o.quiet, "no progress lines");
  CLI11_PARSE(app, argc, argv);
  if (o.parent.empty() || o.parent[0] != '/' || (o.parent.size() > 1 && o.parent.back() == '/')) {
    std::fprintf(stderr, "zk_populate: --parent must be an absolute znode path\n");
    return zk::tools::kExitError;
  }

  zk::tools::Session session(o);
  if (!session.Connect()) return zk::tools::kExitError;
  return o.verify ? zk::tools::Verify(session, o) : zk::tools::Populate(session, o);
}
