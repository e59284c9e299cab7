#include "zab/peer_transport.h"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "zab/message_codec.h"

namespace zk::zab {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

constexpr auto kE = Channel::kElection;
constexpr auto kQ = Channel::kQuorum;

struct Event {
  enum Kind { kUp, kDown, kMessage } kind;
  ServerId peer = 0;
  Channel channel = kE;
  Message msg;
};

// One server's transport and everything its callbacks saw.
struct Node {
  std::unique_ptr<PeerTransport> transport;
  std::vector<Event> events;
  // Runs inside on_message after the event is recorded (may call into the transport).
  std::function<void(ServerId, const Message&)> hook;

  size_t Count(Event::Kind kind, ServerId peer, Channel channel) const {
    size_t n = 0;
    for (const Event& e : events) n += e.kind == kind && e.peer == peer && e.channel == channel;
    return n;
  }
  std::vector<Message> Received(ServerId peer, Channel channel) const {
    std::vector<Message> out;
    for (const Event& e : events) {
      if (e.kind == Event::kMessage && e.peer == peer && e.channel == channel) {
        out.push_back(e.msg);
      }
    }
    return out;
  }
};

// Transports of servers 1..n in one io_context on loopback, listening on ports the kernel picks.
// Only a higher id dials a lower one, so starting them in id order lets each dial ports that are
// already known; the ports of higher ids are never used by lower ones (placeholders).
class Mesh {
 public:
  explicit Mesh(int n) : n_(n) {
    spdlog::set_level(spdlog::level::warn);
    for (ServerId id = 1; id <= n_; ++id) Start(id);
  }
  ~Mesh() {
    for (auto& [id, node] : nodes_) node.transport.reset();
  }

  PeerTransportConfig Config(ServerId id) {
    PeerTransportConfig c;
    c.self = id;
    for (ServerId other = 1; other <= n_; ++other) {
      auto it = ports_.find(other);
      c.servers[other] = it != ports_.end() ? it->second : PeerAddress{"127.0.0.1", 1, 1};
    }
    if (!ports_.count(id)) c.servers[id] = PeerAddress{"127.0.0.1", 0, 0};
    c.initial_backoff = 10ms;
    c.max_backoff = 200ms;
    if (tweak_) tweak_(c);
    return c;
  }

  // (Re)starts server `id`, on the ports it had before if it ran before.
  void Start(ServerId id, std::function<void(PeerTransportConfig&)> tweak = nullptr) {
    tweak_ = std::move(tweak);
    Node& node = nodes_[id];
    node.transport.reset();
    node.events.clear();
    node.hook = nullptr;
    Node* np = &node;
    PeerTransportCallbacks cb;
    cb.on_connected = [np](ServerId p, Channel c) { np->events.push_back({Event::kUp, p, c, {}}); };
    cb.on_disconnected = [np](ServerId p, Channel c) {
      np->events.push_back({Event::kDown, p, c, {}});
    };
    cb.on_message = [np](ServerId p, Message&& m) {
      np->events.push_back({Event::kMessage, p, ChannelOf(m), m});
      if (np->hook) np->hook(p, np->events.back().msg);
    };
    PeerTransportConfig config = Config(id);
    REQUIRE(config.Validate() == "");
    node.transport = std::make_unique<PeerTransport>(io_, std::move(config), std::move(cb));
    Status s = node.transport->Start();
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    ports_[id] =
        PeerAddress{"127.0.0.1", node.transport->listen_port(kQ), node.transport->listen_port(kE)};
    tweak_ = nullptr;
  }

  void Stop(ServerId id) {
    nodes_[id].transport->Stop();
    nodes_[id].transport.reset();
  }

  PeerTransport& T(ServerId id) { return *nodes_.at(id).transport; }
  Node& N(ServerId id) { return nodes_.at(id); }
  asio::io_context& io() { return io_; }
  const PeerAddress& Address(ServerId id) { return ports_.at(id); }

  // Runs the io_context until `done` holds; false after `timeout`.
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.restart();
      io_.run_one_for(10ms);
    }
    return true;
  }
  // Runs whatever is ready for a while (to show that something does NOT happen).
  void RunFor(std::chrono::milliseconds d) {
    io_.restart();
    io_.run_for(d);
  }

  bool Connected(ServerId a, ServerId b) {
    return nodes_.count(a) && nodes_[a].transport && T(a).IsConnected(b, kE) &&
           T(a).IsConnected(b, kQ);
  }
  bool AllConnected() {
    for (ServerId a = 1; a <= n_; ++a) {
      for (ServerId b = 1; b <= n_; ++b) {
        if (a != b && !Connected(a, b)) return false;
      }
    }
    return true;
  }

 private:
  int n_;
  asio::io_context io_;
  std::map<ServerId, Node> nodes_;
  std::map<ServerId, PeerAddress> ports_;
  std::function<void(PeerTransportConfig&)> tweak_;
};

Notification Note(int64_t round) {
  return Notification{Vote{1, round, 1}, round, PeerState::kLooking};
}

TEST_CASE("config validation") {
  PeerTransportConfig c;
  c.self = 1;
  CHECK(c.Validate() != "");
  c.servers[1] = PeerAddress{"127.0.0.1", 0, 0};
  c.servers[2] = PeerAddress{"127.0.0.1", 2888, 3888};
  CHECK(c.Validate() == "");
  c.servers[3] = PeerAddress{"127.0.0.1", 0, 3888};
  CHECK(c.Validate() != "");
  c.servers.erase(3);
  c.limits.snapshot_chunk_bytes = c.limits.max_frame_bytes;
  CHECK(c.Validate() != "");
  c.limits.snapshot_chunk_bytes = 1 << 20;
  c.max_backoff = 1ms;
  CHECK(c.Validate() != "");
}

TEST_CASE("all pairs connect on both channels and deliver FIFO per channel") {
  Mesh mesh(3);
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  for (ServerId a = 1; a <= 3; ++a) {
    for (ServerId b = 1; b <= 3; ++b) {
      if (a == b) continue;
      CHECK(mesh.N(a).Count(Event::kUp, b, kE) == 1);
      CHECK(mesh.N(a).Count(Event::kUp, b, kQ) == 1);
      CHECK(mesh.N(a).Count(Event::kDown, b, kQ) == 0);
    }
  }
  constexpr int kCount = 300;
  for (int i = 1; i <= kCount; ++i) {
    for (ServerId a = 1; a <= 3; ++a) {
      for (ServerId b = 1; b <= 3; ++b) {
        if (a == b) continue;
        REQUIRE(mesh.T(a).Send(b, Note(i)));
        REQUIRE(mesh.T(a).Send(b, Proposal{i, "from " + std::to_string(a)}));
      }
    }
  }
  auto all_in = [&] {
    for (ServerId b = 1; b <= 3; ++b) {
      for (ServerId a = 1; a <= 3; ++a) {
        if (a != b && mesh.N(b).Received(a, kQ).size() < kCount) return false;
        if (a != b && mesh.N(b).Received(a, kE).size() < kCount) return false;
      }
    }
    return true;
  };
  REQUIRE(mesh.RunUntil(all_in));
  for (ServerId b = 1; b <= 3; ++b) {
    for (ServerId a = 1; a <= 3; ++a) {
      if (a == b) continue;
      const auto q = mesh.N(b).Received(a, kQ);
      const auto e = mesh.N(b).Received(a, kE);
      REQUIRE(q.size() == kCount);
      REQUIRE(e.size() == kCount);
      for (int i = 0; i < kCount; ++i) {
        CHECK(q[i] == Message(Proposal{i + 1, "from " + std::to_string(a)}));
        CHECK(e[i] == Message(Note(i + 1)));
      }
      const PeerStats s = mesh.T(a).Stats(b);
      CHECK(s.messages_out == 2 * kCount);
      CHECK(s.bytes_out > 0);
      CHECK(mesh.T(b).Stats(a).messages_in == 2 * kCount);
      CHECK(s.connects == 2);
    }
  }
}

TEST_CASE("send without a connection returns false") {
  Mesh mesh(2);
  CHECK(!mesh.T(1).Send(9, Ping{1}));  // unknown server
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  CHECK(!mesh.T(1).Send(2, LogRange{1, 2}));  // never on the wire
  CHECK(mesh.T(1).Send(2, Ping{1}));
  mesh.Stop(2);
  REQUIRE(mesh.RunUntil([&] { return !mesh.T(1).IsConnected(2, kQ); }));
  CHECK(!mesh.T(1).Send(2, Ping{2}));
  CHECK(!mesh.T(1).Send(2, Note(1)));
  CHECK(mesh.T(1).Stats(2).send_dropped >= 3);
}

TEST_CASE("a stopped and recreated transport reconnects") {
  Mesh mesh(3);
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));

  // Server 1 accepts from everyone; its peers notice at once and redial until it is back.
  mesh.Stop(1);
  REQUIRE(mesh.RunUntil(
      [&] {
        return mesh.N(2).Count(Event::kDown, 1, kE) == 1 &&
               mesh.N(2).Count(Event::kDown, 1, kQ) == 1 &&
               mesh.N(3).Count(Event::kDown, 1, kE) == 1 &&
               mesh.N(3).Count(Event::kDown, 1, kQ) == 1;
      },
      1s));
  CHECK(mesh.Connected(2, 3));
  mesh.RunFor(50ms);  // a few refused redials
  mesh.Start(1);
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  CHECK(mesh.N(2).Count(Event::kUp, 1, kQ) == 2);
  CHECK(mesh.T(2).Stats(1).disconnects == 2);

  // Server 3 dials everyone: after a restart it connects again.
  mesh.Stop(3);
  REQUIRE(mesh.RunUntil(
      [&] { return !mesh.T(1).IsConnected(3, kQ) && !mesh.T(2).IsConnected(3, kE); }, 1s));
  mesh.Start(3);
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  REQUIRE(mesh.T(3).Send(1, Proposal{77, "after restart"}));
  REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Received(3, kQ).size() == 1; }));
  CHECK(mesh.N(1).Received(3, kQ)[0] == Message(Proposal{77, "after restart"}));
  // The stopped transport reported nothing about its own shutdown.
  CHECK(mesh.N(3).Count(Event::kDown, 1, kQ) == 0);
}

// After on_disconnected, nothing from that connection is delivered; the next on_connected opens
// a new one.
void CheckNoStaleDelivery(const Node& node, ServerId peer, Channel channel) {
  bool up = false;
  for (const Event& e : node.events) {
    if (e.peer != peer || e.channel != channel) continue;
    if (e.kind == Event::kUp) {
      CHECK(!up);
      up = true;
    } else if (e.kind == Event::kDown) {
      CHECK(up);
      up = false;
    } else {
      CHECK_MESSAGE(up, "message delivered while the connection was down");
    }
  }
}

TEST_CASE("disconnect: reported at once, nothing stale delivered, the dialer reconnects") {
  Mesh mesh(2);
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));

  SUBCASE("the accepting side disconnects from inside on_message") {
    // Server 2 floods; server 1 drops the connection on the 10th message, with the rest of the
    // flood already read or on its way.
    mesh.N(1).hook = [&](ServerId from, const Message& m) {
      if (from == 2 && std::get<Proposal>(m).zxid == 10) {
        mesh.T(1).Disconnect(2, kQ);
        CHECK(!mesh.T(1).IsConnected(2, kQ));
        CHECK(!mesh.T(1).Send(2, Commit{1}));
      }
    };
    for (int i = 1; i <= 2000; ++i) REQUIRE(mesh.T(2).Send(1, Proposal{i, std::string(100, 'p')}));
    REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Count(Event::kDown, 2, kQ) == 1; }));
    mesh.N(1).hook = nullptr;
    const auto before = mesh.N(1).Received(2, kQ);
    CHECK(before.size() == 10);
    // Server 2 sees the EOF, redials, and new traffic flows.
    REQUIRE(mesh.RunUntil(
        [&] { return mesh.N(1).Count(Event::kUp, 2, kQ) == 2 && mesh.T(2).IsConnected(1, kQ); }));
    CHECK(mesh.N(2).Count(Event::kDown, 1, kQ) == 1);
    REQUIRE(mesh.T(2).Send(1, Proposal{5000, "fresh"}));
    REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Received(2, kQ).size() == 11; }));
    CHECK(mesh.N(1).Received(2, kQ).back() == Message(Proposal{5000, "fresh"}));
    CheckNoStaleDelivery(mesh.N(1), 2, kQ);
  }

  SUBCASE("the dialing side disconnects and redials after its back-off") {
    for (int i = 1; i <= 100; ++i) REQUIRE(mesh.T(1).Send(2, Note(i)));
    mesh.T(2).Disconnect(1, kE);
    // Reported synchronously.
    CHECK(mesh.N(2).Count(Event::kDown, 1, kE) == 1);
    CHECK(!mesh.T(2).IsConnected(1, kE));
    CHECK(!mesh.T(2).Send(1, Note(1)));
    CHECK(mesh.T(2).IsConnected(1, kQ));  // the other channel is untouched
    REQUIRE(mesh.RunUntil([&] {
      return mesh.N(1).Count(Event::kUp, 2, kE) == 2 && mesh.N(2).Count(Event::kUp, 1, kE) == 2;
    }));
    CHECK(mesh.N(2).Received(1, kE).empty());  // the flood was queued on the old connection
    CheckNoStaleDelivery(mesh.N(2), 1, kE);
    CheckNoStaleDelivery(mesh.N(1), 2, kE);
    REQUIRE(mesh.T(2).Send(1, Note(42)));
    REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Received(2, kE).size() == 1; }));
  }
}

TEST_CASE("a 50 MB snapshot is streamed in chunks and delivered intact, in order") {
  Mesh mesh(3);
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  std::string data(50u << 20, '\0');
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::memcpy(&data[i], &x, 8);
  }
  const Snapshot expected{0x300000123, data};
  REQUIRE(mesh.T(3).Send(1, Proposal{1, "before"}));
  REQUIRE(mesh.T(3).Send(1, Snapshot{expected.zxid, std::move(data)}));
  REQUIRE(mesh.T(3).Send(1, Commit{0x300000123}));
  REQUIRE(mesh.T(3).Send(1, Note(5)));  // the election channel is not held up
  REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Received(3, kQ).size() == 3; }, 20s));
  const auto got = mesh.N(1).Received(3, kQ);
  CHECK(got[0] == Message(Proposal{1, "before"}));
  REQUIRE(std::holds_alternative<Snapshot>(got[1]));
  CHECK(std::get<Snapshot>(got[1]).zxid == expected.zxid);
  CHECK(std::get<Snapshot>(got[1]).data.size() == expected.data.size());
  CHECK(std::get<Snapshot>(got[1]).data == expected.data);
  CHECK(got[2] == Message(Commit{0x300000123}));
  CHECK(mesh.N(1).Received(3, kE).size() == 1);
  CHECK(mesh.T(3).Stats(1).bytes_out > expected.data.size());
  CHECK(mesh.T(1).IsConnected(3, kQ));
}

TEST_CASE("a snapshot over the receiver's limit closes the connection") {
  Mesh mesh(2);
  mesh.Start(1, [](PeerTransportConfig& c) { c.limits.max_snapshot_bytes = 1 << 20; });
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  REQUIRE(mesh.T(2).Send(1, Snapshot{5, std::string(3u << 20, 's')}));
  REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Count(Event::kDown, 2, kQ) == 1; }));
  CHECK(mesh.N(1).Received(2, kQ).empty());
  CHECK(mesh.T(1).IsConnected(2, kE));
  // The sender refuses one over its own limit without closing.
  REQUIRE(mesh.RunUntil([&] { return mesh.T(1).IsConnected(2, kQ); }));
  CHECK(!mesh.T(1).Send(2, Snapshot{5, std::string(2u << 20, 's')}));
  CHECK(mesh.T(1).IsConnected(2, kQ));
  CHECK(mesh.T(1).Send(2, Snapshot{6, std::string(1u << 20, 's')}));
  REQUIRE(mesh.RunUntil([&] { return mesh.N(2).Received(1, kQ).size() == 1; }));
}

TEST_CASE("ordinary output over the queue limit closes the connection") {
  Mesh mesh(2);
  mesh.Start(1, [](PeerTransportConfig& c) {
    c.limits.max_frame_bytes = 64 << 10;
    c.limits.snapshot_chunk_bytes = 32 << 10;
    c.limits.max_queued_bytes = 64 << 10;
  });
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  // A message too large for a frame is refused without closing.
  CHECK(!mesh.T(1).Send(2, Proposal{1, std::string(70000, 'q')}));
  CHECK(mesh.T(1).IsConnected(2, kQ));
  // Nothing is written before the io_context runs again, so the queue only grows.
  int sent = 0;
  while (mesh.T(1).Send(2, Proposal{sent + 1, std::string(10000, 'q')})) ++sent;
  CHECK(sent == 6);
  CHECK(mesh.N(1).Count(Event::kDown, 2, kQ) == 1);  // reported from inside Send
  CHECK(!mesh.T(1).IsConnected(2, kQ));
  CHECK(mesh.T(1).Send(2, Note(1)));  // the election channel is unaffected
  REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Count(Event::kUp, 2, kQ) == 2; }));
}

// A raw client socket in the test's io_context.
class RawPeer {
 public:
  RawPeer(Mesh& mesh, uint16_t port) : mesh_(mesh), socket_(mesh.io()) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    // The transport sends nothing to a dialer, so the read ends only when it closes.
    socket_.async_read_some(asio::buffer(*buf_),
                            [closed = closed_, buf = buf_](const asio::error_code& ec, size_t) {
                              if (ec) *closed = true;
                            });
  }
  ~RawPeer() {
    asio::error_code ec;
    socket_.close(ec);
    mesh_.RunFor(1ms);
  }
  void Write(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  bool WaitClosed() {
    return mesh_.RunUntil([this] { return *closed_; }, 3s);
  }

 private:
  Mesh& mesh_;
  tcp::socket socket_;
  std::shared_ptr<std::array<char, 64>> buf_ = std::make_shared<std::array<char, 64>>();
  std::shared_ptr<bool> closed_ = std::make_shared<bool>(false);
};

std::string Frame(const Message& m) {
  std::string f;
  REQUIRE(EncodeMessageFrame(m, wire::kDefaultMaxFrameBytes, &f).ok());
  return f;
}

TEST_CASE("bad peers are closed while the others keep working") {
  Mesh mesh(3);
  mesh.Start(1, [](PeerTransportConfig& c) { c.handshake_timeout = 100ms; });
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  const uint16_t quorum = mesh.Address(1).quorum_port;
  const uint16_t election = mesh.Address(1).election_port;
  auto hs = [](ServerId id, Channel c, uint32_t magic = wire::kHandshakeMagic,
               uint32_t version = wire::kProtocolVersion) {
    return EncodeHandshakeFrame(Handshake{magic, version, id, c});
  };
  struct Case {
    const char* name;
    uint16_t port;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"garbage", quorum, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"oversized frame", quorum, std::string("\x7f\xff\xff\xff", 4) + "xxxx"},
      {"a message instead of a handshake", quorum, Frame(Commit{1})},
      {"bad magic", quorum, hs(2, kQ, 0xdeadbeef)},
      {"bad version", quorum, hs(2, kQ, wire::kHandshakeMagic, 99)},
      {"own id", election, hs(1, kE)},
      {"wrong channel for the port", election, hs(2, kQ)},
      {"no handshake at all", quorum, ""},
  };
  uint64_t rejected = mesh.T(1).rejected_connections();
  for (const Case& c : cases) {
    INFO(c.name);
    RawPeer raw(mesh, c.port);
    if (!c.bytes.empty()) raw.Write(c.bytes);
    CHECK(raw.WaitClosed());
    CHECK(mesh.T(1).rejected_connections() == ++rejected);
  }
  // A lower id must not dial: server 1 pretending to dial server 2.
  {
    RawPeer raw(mesh, mesh.Address(2).quorum_port);
    raw.Write(hs(1, kQ));
    CHECK(raw.WaitClosed());
  }
  CHECK(mesh.AllConnected());
  for (ServerId a = 1; a <= 3; ++a) {
    for (ServerId b = 1; b <= 3; ++b) {
      if (a != b) CHECK(mesh.N(a).Count(Event::kDown, b, kQ) == 0);
    }
  }
  REQUIRE(mesh.T(2).Send(1, Proposal{1, "still fine"}));
  REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Received(2, kQ).size() == 1; }));
}

TEST_CASE("membership changes: a joining server with a higher id, SetServers, removal") {
  Mesh mesh(2);
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));

  SUBCASE("a server no member lists yet, with a higher id, is accepted") {
    mesh.Start(3);  // lists 1, 2 and itself; 1 and 2 do not list 3
    REQUIRE(mesh.RunUntil([&] { return mesh.Connected(1, 3) && mesh.Connected(2, 3); }));
    CHECK(mesh.N(1).Count(Event::kUp, 3, kQ) == 1);
    REQUIRE(mesh.T(3).Send(1, Proposal{1, "joining"}));
    REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Received(3, kQ).size() == 1; }));
    // Listing it changes nothing for a connection it dialed; unlisting it keeps the connection.
    mesh.T(1).SetServers({{1, mesh.Address(1)}, {2, mesh.Address(2)}, {3, mesh.Address(3)}});
    mesh.T(1).SetServers({{1, mesh.Address(1)}, {2, mesh.Address(2)}});
    mesh.RunFor(50ms);
    CHECK(mesh.Connected(1, 3));
  }

  SUBCASE("an unlisted lower id is refused; listed later, it is dialed") {
    mesh.Start(2, [](PeerTransportConfig& c) { c.servers.erase(1); });
    mesh.RunFor(100ms);
    CHECK(!mesh.Connected(2, 1));
    {
      RawPeer raw(mesh, mesh.Address(2).quorum_port);
      raw.Write(EncodeHandshakeFrame(Handshake{wire::kHandshakeMagic, wire::kProtocolVersion, 1,
                                               kQ}));
      CHECK(raw.WaitClosed());
    }
    mesh.T(2).SetServers({{1, mesh.Address(1)}, {2, mesh.Address(2)}});
    REQUIRE(mesh.RunUntil([&] { return mesh.Connected(2, 1) && mesh.Connected(1, 2); }));
  }

  SUBCASE("a server no longer listed is not redialed") {
    mesh.T(2).SetServers({{2, mesh.Address(2)}});
    mesh.T(2).Disconnect(1, kQ);
    mesh.T(2).Disconnect(1, kE);
    mesh.RunFor(300ms);  // beyond max_backoff
    CHECK(!mesh.T(2).IsConnected(1, kQ));
    CHECK(!mesh.T(2).IsConnected(1, kE));
  }
}

TEST_CASE("Disconnect writes what was queued on the connection before closing it") {
  Mesh mesh(2);
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  // Queued and closed within one handler, as a leader stepping down sends its last COMMITs.
  for (int i = 1; i <= 200; ++i) REQUIRE(mesh.T(1).Send(2, Commit{i}));
  mesh.T(1).Disconnect(2, kQ);
  CHECK(mesh.N(1).Count(Event::kDown, 2, kQ) == 1);  // reported at once
  CHECK(!mesh.T(1).Send(2, Commit{999}));
  REQUIRE(mesh.RunUntil([&] { return mesh.N(2).Count(Event::kDown, 1, kQ) >= 1; }));
  const auto got = mesh.N(2).Received(1, kQ);
  REQUIRE(got.size() == 200);
  CHECK(got.back() == Message(Commit{200}));
}

TEST_CASE("an impostor's connection replaces the peer's, and its bad frames close it") {
  Mesh mesh(3);
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  auto handshake =
      EncodeHandshakeFrame(Handshake{wire::kHandshakeMagic, wire::kProtocolVersion, 3, kQ});

  SUBCASE("a message of the other channel") {
    RawPeer raw(mesh, mesh.Address(1).quorum_port);
    raw.Write(handshake + Frame(Proposal{9, "via raw"}) + Frame(Note(1)) + Frame(Commit{9}));
    REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Count(Event::kDown, 3, kQ) == 2; }));
    CHECK(raw.WaitClosed());
    // Old connection down, raw one up, its valid Proposal delivered, then down at the bad frame:
    // the Commit after it is never delivered.
    CHECK(mesh.N(1).Count(Event::kUp, 3, kQ) == 2);
    const auto got = mesh.N(1).Received(3, kQ);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == Message(Proposal{9, "via raw"}));
    CheckNoStaleDelivery(mesh.N(1), 3, kQ);
  }
  SUBCASE("a broken snapshot stream") {
    RawPeer raw(mesh, mesh.Address(1).quorum_port);
    std::string chunk0 = EncodeSnapshotChunkFrameHead(5, 10, 0, 4) + "abcd";
    std::string gap = EncodeSnapshotChunkFrameHead(5, 10, 6, 4) + "ghij";
    raw.Write(handshake + chunk0 + gap);
    REQUIRE(mesh.RunUntil([&] { return mesh.N(1).Count(Event::kDown, 3, kQ) == 2; }));
    CHECK(raw.WaitClosed());
    CHECK(mesh.N(1).Received(3, kQ).empty());
  }
  // The real server 3 saw its connection replaced (EOF), redials, and is back.
  REQUIRE(mesh.RunUntil(
      [&] { return mesh.N(1).Count(Event::kUp, 3, kQ) == 3 && mesh.T(3).IsConnected(1, kQ); }));
  REQUIRE(mesh.T(3).Send(1, Proposal{10, "real"}));
  REQUIRE(mesh.RunUntil([&] {
    return mesh.N(1).Received(3, kQ).size() >= 1 &&
           mesh.N(1).Received(3, kQ).back() == Message(Proposal{10, "real"});
  }));
  CHECK(mesh.Connected(1, 2));
}

TEST_CASE("throughput of small proposals over loopback") {
  Mesh mesh(2);
  REQUIRE(mesh.RunUntil([&] { return mesh.AllConnected(); }));
  constexpr int kCount = 100000;
  int acked = 0;
  // Server 1 (the leader here) proposes; server 2 acks each; 1 counts the acks.
  mesh.N(2).hook = [&](ServerId, const Message& m) {
    mesh.T(2).Send(1, Ack{std::get<Proposal>(m).zxid});
  };
  mesh.N(1).hook = [&](ServerId, const Message&) { ++acked; };
  const auto start = std::chrono::steady_clock::now();
  int sent = 0;
  REQUIRE(mesh.RunUntil(
      [&] {
        // Keep up to 1000 proposals in flight.
        while (sent < kCount && sent - acked < 1000) {
          ++sent;
          REQUIRE(mesh.T(1).Send(2, Proposal{sent, std::string(100, 'd')}));
        }
        return acked == kCount;
      },
      30s));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("loopback: " << static_cast<int64_t>(kCount / secs) << " proposal+ack round trips/s");
  const auto acks = mesh.N(1).Received(2, kQ);
  REQUIRE(acks.size() == kCount);
  CHECK(acks.front() == Message(Ack{1}));
  CHECK(acks.back() == Message(Ack{kCount}));
}

// Server 1 played by two raw acceptors on `host` (its quorum and election ports), which record
// the address every connection comes from; server 2 is a transport configured by the caller.
class SourceProbe {
 public:
  explicit SourceProbe(const std::string& host) {
    spdlog::set_level(spdlog::level::warn);
    for (auto& acceptor : acceptors_) {
      acceptor =
          std::make_unique<tcp::acceptor>(io_, tcp::endpoint(asio::ip::make_address(host), 0));
      Accept(*acceptor);
    }
    server1_ = PeerAddress{host, acceptors_[0]->local_endpoint().port(),
                           acceptors_[1]->local_endpoint().port()};
  }
  ~SourceProbe() { transport_.reset(); }

  // Starts server 2 at `host`; REQUIREs that it starts.
  PeerTransport& StartServer2(const std::string& host, bool listen_on_all_ips) {
    PeerTransportConfig c;
    c.self = 2;
    c.servers[1] = server1_;
    c.servers[2] = PeerAddress{host, 0, 0};
    c.listen_on_all_ips = listen_on_all_ips;
    c.initial_backoff = 10ms;
    REQUIRE(c.Validate() == "");
    PeerTransportCallbacks cb;
    cb.on_connected = [](ServerId, Channel) {};
    cb.on_disconnected = [](ServerId, Channel) {};
    cb.on_message = [](ServerId, Message&&) {};
    transport_ = std::make_unique<PeerTransport>(io_, std::move(c), std::move(cb));
    const Status s = transport_->Start();
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return *transport_;
  }

  // The source addresses of the first `n` dials server 1 received.
  std::vector<std::string> Sources(size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (sources_.size() < n && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_one_for(10ms);
    }
    return sources_;
  }

  // Whether a plain connect to `address`:`port` succeeds.
  bool Reachable(const std::string& address, uint16_t port) {
    tcp::socket s(io_);
    asio::error_code ec;
    s.connect(tcp::endpoint(asio::ip::make_address(address), port), ec);
    return !ec;
  }

 private:
  void Accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](const asio::error_code& ec, tcp::socket socket) {
      if (ec) return;
      asio::error_code rec;
      const tcp::endpoint remote = socket.remote_endpoint(rec);
      sources_.push_back(rec ? "?" : remote.address().to_string());
      accepted_.push_back(std::move(socket));  // kept open: the dialer does not redial
      Accept(acceptor);
    });
  }

  asio::io_context io_;
  std::array<std::unique_ptr<tcp::acceptor>, 2> acceptors_;
  PeerAddress server1_;
  std::vector<tcp::socket> accepted_;
  std::vector<std::string> sources_;
  std::unique_ptr<PeerTransport> transport_;
};

TEST_CASE("dials leave from the server's own address, and it listens only there") {
  SourceProbe probe("127.0.0.21");
  PeerTransport& t = probe.StartServer2("127.0.0.22", /*listen_on_all_ips=*/false);
  REQUIRE(t.source_address().has_value());
  CHECK(t.source_address()->to_string() == "127.0.0.22");
  const std::vector<std::string> sources = probe.Sources(2);
  REQUIRE(sources.size() == 2);  // one dial per channel
  CHECK(sources[0] == "127.0.0.22");
  CHECK(sources[1] == "127.0.0.22");
  CHECK(probe.Reachable("127.0.0.22", t.listen_port(kQ)));
  CHECK(probe.Reachable("127.0.0.22", t.listen_port(kE)));
  CHECK_FALSE(probe.Reachable("127.0.0.23", t.listen_port(kQ)));
}

TEST_CASE("with listen_on_all_ips, or a wildcard host, the kernel picks the source") {
  for (const auto& [host, all_ips] :
       {std::pair<std::string, bool>{"127.0.0.22", true}, {"0.0.0.0", false}}) {
    INFO(host << (all_ips ? " listening on all addresses" : ""));
    SourceProbe probe("127.0.0.21");
    PeerTransport& t = probe.StartServer2(host, all_ips);
    CHECK_FALSE(t.source_address().has_value());
    const std::vector<std::string> sources = probe.Sources(2);
    REQUIRE(sources.size() == 2);
    // On Linux loopback the kernel's choice is the route's preferred source, 127.0.0.1.
    CHECK(sources[0] != "127.0.0.22");
    CHECK(sources[1] != "127.0.0.22");
    CHECK(probe.Reachable("127.0.0.23", t.listen_port(kQ)));
    CHECK(probe.Reachable("127.0.0.22", t.listen_port(kE)));
  }
}

TEST_CASE("a mesh whose servers each have their own loopback address") {
  // The Mesh above uses 127.0.0.1 for everyone; here server N is 127.0.0.(30+N).
  asio::io_context io;
  std::map<ServerId, std::unique_ptr<PeerTransport>> transports;
  std::map<ServerId, PeerAddress> addresses;
  std::map<ServerId, std::vector<std::string>> received;
  for (ServerId id = 1; id <= 3; ++id) {
    PeerTransportConfig c;
    c.self = id;
    const std::string host = "127.0.0." + std::to_string(30 + id);
    for (ServerId other = 1; other <= 3; ++other) {
      c.servers[other] = addresses.count(other) ? addresses[other] : PeerAddress{host, 1, 1};
    }
    c.servers[id] = PeerAddress{host, 0, 0};
    c.initial_backoff = 10ms;
    PeerTransportCallbacks cb;
    cb.on_connected = [](ServerId, Channel) {};
    cb.on_disconnected = [](ServerId, Channel) {};
    cb.on_message = [&received, id](ServerId from, Message&& m) {
      if (auto* p = std::get_if<Proposal>(&m)) received[id].push_back(p->data);
      (void)from;
    };
    transports[id] = std::make_unique<PeerTransport>(io, std::move(c), std::move(cb));
    REQUIRE(transports[id]->Start().ok());
    addresses[id] =
        PeerAddress{host, transports[id]->listen_port(kQ), transports[id]->listen_port(kE)};
  }
  auto run_until = [&io](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_one_for(10ms);
    }
    return done();
  };
  REQUIRE(run_until([&] {
    for (ServerId a = 1; a <= 3; ++a) {
      for (ServerId b = 1; b <= 3; ++b) {
        if (a != b && !transports[a]->IsConnected(b, kQ)) return false;
      }
    }
    return true;
  }));
  REQUIRE(transports[1]->Send(3, Proposal{1, "1 to 3"}));
  REQUIRE(transports[3]->Send(2, Proposal{1, "3 to 2"}));
  REQUIRE(run_until([&] { return received[3].size() == 1 && received[2].size() == 1; }));
  CHECK(received[3][0] == "1 to 3");
  CHECK(received[2][0] == "3 to 2");
  // One frame, encoded once, written to both connections.
  const uint64_t out_before = transports[1]->Stats(2).messages_out;
  CHECK(transports[1]->SendToAll({2, 3}, Proposal{2, "1 to all"}) == 2);
  REQUIRE(run_until([&] { return received[3].size() == 2 && received[2].size() == 2; }));
  CHECK(received[3][1] == "1 to all");
  CHECK(received[2][1] == "1 to all");
  CHECK(transports[1]->Stats(2).messages_out == out_before + 1);
  transports.clear();
}

}  // namespace
}  // namespace zk::zab
