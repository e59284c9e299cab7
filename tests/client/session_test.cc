// Connection management: reconnects, session resume, watch restoration, expiry, timeouts, Close.
#include <doctest/doctest.h>

#include "client/watch_stream.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("ephemerals vanish on Close; Close completes outstanding work and ends the client") {
  auto other = Connect(Server().hosts());
  StateRecorder states;
  Options o;
  o.state_listener = states.Listener();
  auto c = Connect(Server().hosts(), o);
  const std::string p = UniquePath("close");
  REQUIRE(c->Create(p, "", OpenAclUnsafe(), CreateMode::kEphemeral).ok());
  std::atomic<int> done{0};
  for (int i = 0; i < 100; ++i) {
    c->ExistsAsync(p, nullptr, [&](Result<Stat> r) {
      if (r.ok() || r.err() == Err::kClosing) ++done;
    });
  }
  c->Close();
  CHECK(done.load() == 100);  // Every callback ran before Close returned.
  auto st = states.States();
  REQUIRE(!st.empty());
  CHECK(st.back() == ConnectionState::kClosed);
  CHECK(c->Exists(p).err() == Err::kClosing);
  bool ran_inline = false;
  c->ExistsAsync(p, nullptr, [&](Result<Stat> r) { ran_inline = r.err() == Err::kClosing; });
  CHECK(ran_inline);
  c->Close();  // idempotent
  CHECK(states.States().size() == st.size());
  CHECK(other->Exists(p).err() == Err::kNoNode);
}

TEST_CASE("requests outstanding at a disconnect fail with kConnectionLoss; the session resumes") {
  Proxy proxy(Server().port());
  StateRecorder states;
  Options o;
  o.state_listener = states.Listener();
  auto c = Connect(proxy.hosts(), o);
  const int64_t sid = c->session_id();
  const std::string p = UniquePath("loss");
  REQUIRE(c->Create(p, "", OpenAclUnsafe(), CreateMode::kEphemeral).ok());
  proxy.Blackhole(true);
  auto f = c->GetDataFuture(p);
  // The request is on the wire and unanswered: break the connection under it.
  CHECK(f.wait_for(200ms) == std::future_status::timeout);
  proxy.Cut(false);
  proxy.Blackhole(false);
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  CHECK(f.get().err() == Err::kConnectionLoss);
  CHECK(states.Wait(ConnectionState::kSuspended, 5s));
  CHECK(states.Wait(ConnectionState::kReconnected, 10s));
  CHECK(c->session_id() == sid);
  CHECK(c->Exists(p).ok());
}

TEST_CASE("a watch is restored after a reconnect and fires for a change made meanwhile") {
  Proxy proxy(Server().port());
  StateRecorder states;
  Options o;
  o.state_listener = states.Listener();
  auto c = Connect(proxy.hosts(), o);
  auto w = Connect(Server().hosts());
  const std::string p = UniquePath("rewatch");
  REQUIRE(w->Create(p, "0").ok());
  EventSink data, created;
  REQUIRE(c->GetData(p, data.Make()).ok());
  CHECK(c->Exists(p + "/later", created.Make()).err() == Err::kNoNode);
  proxy.Cut(/*refuse=*/true);
  REQUIRE(states.Wait(ConnectionState::kSuspended, 5s));
  REQUIRE(w->SetData(p, "1").ok());
  REQUIRE(w->Create(p + "/later", "").ok());
  CHECK(data.Events().empty());
  proxy.Refuse(false);
  REQUIRE(states.Wait(ConnectionState::kReconnected, 10s));
  REQUIRE(data.WaitCount(1, 5s));
  CHECK(data.Events()[0].type == EventType::kNodeDataChanged);
  CHECK(data.Events()[0].path == p);
  REQUIRE(created.WaitCount(1, 5s));
  CHECK(created.Events()[0].type == EventType::kNodeCreated);
  CHECK(created.Events()[0].path == p + "/later");
}

TEST_CASE("per-request timeout") {
  Proxy proxy(Server().port());
  Options o;
  o.request_timeout = 300ms;
  auto c = Connect(proxy.hosts(), o);
  proxy.Blackhole(true);
  auto start = std::chrono::steady_clock::now();
  auto r = c->Exists("/");
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.err() == Err::kRequestTimeout);
  CHECK(took >= 290ms);
  CHECK(took < 3s);
  proxy.Blackhole(false);
  // The late reply is dropped; the next request gets its own answer.
  auto d = c->GetData("/");
  CHECK(d.ok());
}

TEST_CASE("session resumes after the server is killed and restarted; the ephemeral survives") {
  StateRecorder states;
  Options o;
  o.session_timeout = 20000ms;
  o.state_listener = states.Listener();
  auto c = Connect(Server().hosts(), o);
  const int64_t sid = c->session_id();
  const std::string p = UniquePath("resume");
  REQUIRE(c->Create(p, "x", OpenAclUnsafe(), CreateMode::kEphemeral).ok());
  EventSink data;
  REQUIRE(c->GetData(p, data.Make()).ok());
  Server().Kill9();
  REQUIRE(states.Wait(ConnectionState::kSuspended, 10s));
  Server().Start();
  REQUIRE(states.Wait(ConnectionState::kReconnected, 30s));
  CHECK(c->session_id() == sid);
  auto st = c->Exists(p);
  REQUIRE(st.ok());
  CHECK(st->ephemeral_owner == sid);
  // The data watch was re-registered with the restarted server.
  REQUIRE(c->SetData(p, "y").ok());
  REQUIRE(data.WaitCount(1, 5s));
  CHECK(data.Events()[0].type == EventType::kNodeDataChanged);
  CHECK(states.States().front() == ConnectionState::kConnected);
}

TEST_CASE("a recursive watch is restored after kill -9 of the server and a change meanwhile") {
  StateRecorder states;
  Options o;
  o.session_timeout = 20000ms;
  Proxy proxy(Server().port());
  auto c = ConnectRecording(proxy.hosts(), states, o);
  const std::string p = UniquePath("kill-rec");
  REQUIRE(c->Create(p, "").ok());
  REQUIRE(c->Create(p + "/o", "").ok());
  WatchStream s;
  EventSink once;
  REQUIRE(c->AddWatch(p, AddWatchMode::kPersistentRecursive, s.Listener()).ok());
  REQUIRE(c->GetData(p + "/o", once.Make()).ok());
  proxy.Refuse(true);  // Keep the client away until the node has changed.
  Server().Kill9();
  REQUIRE(states.Wait(ConnectionState::kSuspended, 10s));
  Server().Start();
  {
    // Another session changes the node before ours is back: the one-shot watch learns of it
    // when it is re-registered (relative zxid).
    auto w = Connect(Server().hosts());
    REQUIRE(w->SetData(p + "/o", "meanwhile").ok());
  }
  proxy.Refuse(false);
  REQUIRE(states.Wait(ConnectionState::kReconnected, 30s));
  REQUIRE(once.WaitCount(1, 5s));
  CHECK(once.Events()[0].type == EventType::kNodeDataChanged);
  REQUIRE(c->Sync("/").ok());
  // That notification also reached the recursive listener above the node.
  auto first = s.Next(0ms);
  REQUIRE(first.has_value());
  CHECK(first->type == EventType::kNodeDataChanged);
  CHECK(first->path == p + "/o");
  REQUIRE(c->Create(p + "/after", "").ok());
  auto ev = s.Next(5s);
  REQUIRE(ev.has_value());
  CHECK(ev->type == EventType::kNodeCreated);
  CHECK(ev->path == p + "/after");
}

TEST_CASE("session expires while the server is down longer than the session timeout") {
  StateRecorder states;
  Options o;
  o.session_timeout = 2000ms;
  o.state_listener = states.Listener();
  auto c = Connect(Server().hosts(), o);
  const std::string p = UniquePath("expire");
  REQUIRE(c->Create(p, "", OpenAclUnsafe(), CreateMode::kEphemeral).ok());
  EventSink ev;
  REQUIRE(c->GetData(p, ev.Make()).ok());
  auto pending = c->GetDataFuture(p + "/none");
  REQUIRE(pending.wait_for(5s) == std::future_status::ready);
  Server().Stop();
  REQUIRE(states.Wait(ConnectionState::kExpired, 15s));
  Server().Start();
  CHECK(c->Exists("/").err() == Err::kSessionExpired);
  REQUIRE(ev.WaitCount(1, 1s));
  CHECK(ev.Events()[0].type == EventType::kNone);
  CHECK(ev.Events()[0].state == KeeperState::kExpired);
  // The server expires it too: the ephemeral disappears.
  auto other = Connect(Server().hosts());
  auto deadline = std::chrono::steady_clock::now() + 30s;
  Err e = Err::kOk;
  while (std::chrono::steady_clock::now() < deadline) {
    EventSink gone;
    e = other->Exists(p, gone.Make()).err();
    if (e == Err::kNoNode) break;
    gone.WaitCount(1, 2s);  // Wait for the deletion event (or recheck).
  }
  CHECK(e == Err::kNoNode);
}

TEST_CASE("the server reports an unknown session as expired (timeout 0 in ConnectResponse)") {
  StateRecorder states;
  Options o;
  o.connect_string = Server().hosts();
  o.session_id = 0x7eadbeef12345;
  o.session_password = std::string(16, 'x');
  o.state_listener = states.Listener();
  auto c = Client::Start(o);
  REQUIRE(c.ok());
  CHECK(c.value()->WaitConnected(10s).err() == Err::kSessionExpired);
  CHECK(states.Wait(ConnectionState::kExpired, 1s));
}

TEST_CASE("another client can resume a session with its id and password") {
  Proxy proxy(Server().port());
  StateRecorder states;
  Options oa;
  oa.session_timeout = 20000ms;
  oa.state_listener = states.Listener();
  auto a = Connect(proxy.hosts(), oa);
  const std::string p = UniquePath("handoff");
  REQUIRE(a->Create(p, "", OpenAclUnsafe(), CreateMode::kEphemeral).ok());
  // Keep `a` away from the server, or it would take the session back.
  proxy.Cut(/*refuse=*/true);
  REQUIRE(states.Wait(ConnectionState::kSuspended, 5s));
  Options o;
  o.session_id = a->session_id();
  o.session_password = a->session_password();
  auto b = Connect(Server().hosts(), o);
  CHECK(b->session_id() == a->session_id());
  auto eph = b->GetEphemerals("/");
  REQUIRE(eph.ok());
  CHECK(std::find(eph->begin(), eph->end(), p) != eph->end());
}

TEST_CASE("UpdateServerList moves the session when its server left the list") {
  Proxy a(Server().port());
  Proxy b(Server().port());
  StateRecorder states;
  Options o;
  o.state_listener = states.Listener();
  auto c = Connect(a.hosts(), o);
  const int64_t sid = c->session_id();
  CHECK(c->UpdateServerList("not a host list:x").err() == Err::kBadArguments);
  CHECK(c->UpdateServerList(b.hosts() + "/chroot").err() == Err::kBadArguments);
  // The same server again: nothing moves.
  REQUIRE(c->UpdateServerList(a.hosts()).ok());
  REQUIRE(c->Sync("/").ok());
  CHECK(states.States() == std::vector<ConnectionState>{ConnectionState::kConnected});
  // Its server is not in the new list: the session moves to one that is.
  REQUIRE(c->UpdateServerList(b.hosts()).ok());
  CHECK(states.Wait(ConnectionState::kSuspended, 5s));
  CHECK(states.Wait(ConnectionState::kReconnected, 10s));
  CHECK(c->session_id() == sid);
  a.Cut(/*refuse=*/true);  // the old route is gone for good; the session does not need it
  CHECK(c->Create(UniquePath("moved"), "", OpenAclUnsafe(), CreateMode::kEphemeral).ok());
  CHECK(c->connected());
}

TEST_CASE("ClientHostsOf reads the client addresses of a configuration") {
  CHECK(ClientHostsOf("server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n"
                      "server.2=10.0.0.2:2888:3888:observer;10.0.1.2:2182\n"
                      "server.3=10.0.0.3:2888:3888:participant\n"
                      "server.4=[::1]:2888:3888:participant;2184\n"
                      "version=100000003") == "10.0.0.1:2181,10.0.1.2:2182,[::1]:2184");
  CHECK(ClientHostsOf("version=0").empty());
}

}  // namespace
}  // namespace zk::client::test
