// Clients sharing one EventLoop: many sessions on one thread, each its own session; callbacks on
// the loop's thread; Close from anywhere, including a callback; the loop outlives its clients.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "client/event_loop.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("event loop: 50 sessions on one thread, each its own session, callbacks on the loop") {
  auto loop = EventLoop::Start();
  const std::string base = UniquePath("loop");
  auto admin = Connect(Server().hosts());
  REQUIRE(admin->Create(base, "", OpenAclUnsafe(), CreateMode::kPersistent).ok());
  constexpr int kClients = 50;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    Options o;
    o.event_loop = loop.get();
    clients.push_back(Connect(Server().hosts(), o));
  }
  std::set<int64_t> sessions;
  for (auto& c : clients) sessions.insert(c->session_id());
  CHECK(sessions.size() == kClients);

  std::mutex mu;
  std::set<std::thread::id> callback_threads;
  std::atomic<int> created{0}, watched{0}, refused_blocking{0};
  EventSink sink;
  for (int i = 0; i < kClients; ++i) {
    const std::string p = base + "/n" + std::to_string(i);
    clients[i]->CreateAsync(p, "v", OpenAclUnsafe(), CreateMode::kEphemeral, 0,
                            [&, i](Result<CreateResult> r) {
                              {
                                std::lock_guard<std::mutex> l(mu);
                                callback_threads.insert(std::this_thread::get_id());
                              }
                              // A blocking call from a callback on the loop fails at once, for
                              // this client and for any other on the same loop.
                              if (clients[(i + 1) % kClients]->Exists("/").err() ==
                                  Err::kInvalidState) {
                                ++refused_blocking;
                              }
                              if (r.ok()) ++created;
                            });
    clients[i]->ExistsAsync(p, sink.Make(), [&](Result<Stat>) { ++watched; });
  }
  REQUIRE(Eventually([&] { return created == kClients && watched == kClients; }, 15s));
  CHECK(refused_blocking == kClients);
  {
    std::lock_guard<std::mutex> l(mu);
    CHECK(callback_threads.size() == 1);
    CHECK(callback_threads.count(std::this_thread::get_id()) == 0);
  }
  // (The admin may be connected to another member of an ensemble: its view follows shortly.)
  auto children_left = [&] {
    auto r = admin->GetChildren(base);
    return r.ok() ? r->children.size() : size_t{9999};
  };
  CHECK(Eventually([&] { return children_left() == kClients; }, 15s));
  // Every exists watch fires (NodeDataChanged) when the admin changes the nodes.
  for (int i = 0; i < kClients; ++i) {
    REQUIRE(admin->SetData(base + "/n" + std::to_string(i), "w").ok());
  }
  CHECK(sink.WaitCount(kClients, 15s));

  // Close half of them from this thread: their ephemerals go, the others keep working.
  for (int i = 0; i < kClients / 2; ++i) clients[i]->Close();
  CHECK(Eventually([&] { return children_left() == kClients / 2; }, 15s));
  CHECK(clients[kClients - 1]->Exists(base).ok());
  clients.clear();  // destroying closes the rest
  CHECK(Eventually([&] { return children_left() == 0; }, 15s));
  loop.reset();  // every client is gone: returns
}

TEST_CASE("event loop: a client closed and destroyed from its own callback") {
  auto loop = EventLoop::Start();
  Options o;
  o.event_loop = loop.get();
  auto c = Connect(Server().hosts(), o);
  auto other = Connect(Server().hosts(), o);
  const std::string p = UniquePath("loop-close");
  REQUIRE(c->Create(p, "", OpenAclUnsafe(), CreateMode::kEphemeral).ok());
  std::atomic<bool> closed{false};
  std::unique_ptr<Client> owned = std::move(c);
  Client* raw = owned.get();
  raw->ExistsAsync(p, nullptr, [&](Result<Stat>) {
    owned.reset();  // Close starts here and returns at once; the session ends on the loop
    closed = true;
  });
  REQUIRE(Eventually([&] { return closed.load(); }, 15s));
  CHECK(Eventually([&] { return other->Exists(p).err() == Err::kNoNode; }, 15s));
  CHECK(other->Exists("/").ok());  // the loop goes on serving the other client
  other.reset();
  loop.reset();
}

TEST_CASE("event loop: sessions on the loop resume after a dropped connection") {
  auto loop = EventLoop::Start();
  Options o;
  o.event_loop = loop.get();
  auto a = Connect(Server().hosts(), o);
  auto b = Connect(Server().hosts(), o);
  const int64_t sa = a->session_id();
  a->TEST_DropConnection();
  CHECK(Eventually([&] { return a->Exists("/").ok(); }, 15s));
  CHECK(a->session_id() == sa);
  CHECK(b->Exists("/").ok());
}

}  // namespace
}  // namespace zk::client::test
