// Persistent and recursive watches (addWatch), removeWatches/checkWatches, multiRead and check,
// against the server under test.
#include <doctest/doctest.h>

#include <algorithm>

#include "client/watch_stream.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;

// Takes `n` events from the stream (fails the test if they do not come within 5 s each).
std::vector<WatchEvent> Take(WatchStream& s, size_t n) {
  std::vector<WatchEvent> out;
  while (out.size() < n) {
    auto ev = s.Next(5s);
    if (!ev) break;
    out.push_back(*ev);
  }
  REQUIRE(out.size() == n);
  return out;
}

// Apache ZooKeeper before 3.9 (Debian's is 3.8) neither knows the watcher types Persistent and
// PersistentRecursive in checkWatches/removeWatches (ZOOKEEPER-4472; it answers
// kMarshallingError) nor keeps two watch modes of one session on the same path (ZOOKEEPER-4466).
bool OldApache() { return Server().apache(); }

// After the client's own round trip every event the server sent before it has been delivered.
void Barrier(Client& c) { REQUIRE(c.Sync("/").ok()); REQUIRE(c.Exists("/").ok()); }

TEST_CASE("a persistent watch reports every event of its node and stays registered") {
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  const std::string p = UniquePath("persist");
  WatchStream s;
  REQUIRE(c->AddWatch(p, AddWatchMode::kPersistent, s.Listener()).ok());
  REQUIRE(w->Create(p, "0").ok());
  REQUIRE(w->SetData(p, "1").ok());
  REQUIRE(w->SetData(p, "2").ok());
  REQUIRE(w->Create(p + "/kid", "").ok());
  REQUIRE(w->SetData(p + "/kid", "x").ok());  // Not the watched node: no event.
  REQUIRE(w->Delete(p + "/kid").ok());
  REQUIRE(w->Delete(p).ok());
  auto ev = Take(s, 6);
  const EventType want[] = {EventType::kNodeCreated,         EventType::kNodeDataChanged,
                            EventType::kNodeDataChanged,     EventType::kNodeChildrenChanged,
                            EventType::kNodeChildrenChanged, EventType::kNodeDeleted};
  for (size_t i = 0; i < 6; ++i) {
    CHECK(ev[i].type == want[i]);
    CHECK(ev[i].path == p);
  }
  Barrier(*c);
  CHECK(s.pending() == 0);
  CHECK(!s.ended());
  if (!OldApache()) CHECK(c->CheckWatches(p, WatcherType::kPersistent).ok());
}

TEST_CASE("a recursive watch covers the subtree and never reports children changes") {
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  const std::string p = UniquePath("recursive");
  REQUIRE(w->Create(p, "").ok());
  WatchStream s;
  REQUIRE(c->AddWatch(p, AddWatchMode::kPersistentRecursive, s.Listener()).ok());
  REQUIRE(w->Create(p + "/a", "").ok());
  REQUIRE(w->Create(p + "/a/b", "").ok());
  REQUIRE(w->SetData(p + "/a/b", "v").ok());
  REQUIRE(w->Delete(p + "/a/b").ok());
  REQUIRE(w->SetData(p, "top").ok());
  auto ev = Take(s, 5);
  CHECK(ev[0].type == EventType::kNodeCreated);
  CHECK(ev[0].path == p + "/a");
  CHECK(ev[1].type == EventType::kNodeCreated);
  CHECK(ev[1].path == p + "/a/b");
  CHECK(ev[2].type == EventType::kNodeDataChanged);
  CHECK(ev[2].path == p + "/a/b");
  CHECK(ev[3].type == EventType::kNodeDeleted);
  CHECK(ev[3].path == p + "/a/b");
  CHECK(ev[4].type == EventType::kNodeDataChanged);
  CHECK(ev[4].path == p);
  Barrier(*c);
  CHECK(s.pending() == 0);
}

TEST_CASE("one-shot and persistent watchers on one node both receive its event") {
  auto c = Connect(Server().hosts());
  const std::string p = UniquePath("both");
  REQUIRE(c->Create(p, "").ok());
  WatchStream s;
  EventSink once;
  REQUIRE(c->AddWatch(p, AddWatchMode::kPersistent, s.Listener()).ok());
  REQUIRE(c->GetData(p, once.Make()).ok());
  REQUIRE(c->SetData(p, "1").ok());
  REQUIRE(c->SetData(p, "2").ok());
  auto ev = Take(s, OldApache() ? 1 : 2);  // Old Apache drops the persistent mode (see above).
  CHECK(ev.back().type == EventType::kNodeDataChanged);
  REQUIRE(once.WaitCount(1, 5s));
  Barrier(*c);
  CHECK(once.Events().size() == 1);
}

TEST_CASE("removeWatches ends persistent streams and tells one-shot watchers") {
  auto c = Connect(Server().hosts());
  const std::string p = UniquePath("remove");
  const std::string q = p + "-persistent";
  REQUIRE(c->Create(p, "").ok());
  REQUIRE(c->Create(q, "").ok());
  WatchStream s;
  REQUIRE(c->AddWatch(q, AddWatchMode::kPersistent, s.Listener()).ok());
  EventSink data, child;
  REQUIRE(c->GetData(p, data.Make()).ok());
  REQUIRE(c->GetChildren(p, child.Make()).ok());
  CHECK(c->CheckWatches(p, WatcherType::kData).ok());
  CHECK(c->CheckWatches(p, WatcherType::kChildren).ok());
  CHECK(c->CheckWatches(q, WatcherType::kChildren).ok() == OldApache());  // Old: in both tables.
  if (!OldApache()) {
    CHECK(c->CheckWatches(q, WatcherType::kPersistentRecursive).err() == Err::kNoWatcher);
    CHECK(c->CheckWatches(q, WatcherType::kPersistent).ok());
  }

  const WatcherType persistent = OldApache() ? WatcherType::kAny : WatcherType::kPersistent;
  REQUIRE(c->RemoveWatches(q, persistent).ok());
  auto ev = Take(s, 1);
  CHECK(ev[0].type == EventType::kPersistentWatchRemoved);
  CHECK(ev[0].path == q);
  CHECK(s.ended());
  CHECK(c->CheckWatches(q, WatcherType::kAny).err() == Err::kNoWatcher);
  CHECK(c->RemoveWatches(q, persistent).err() == Err::kNoWatcher);
  REQUIRE(c->SetData(q, "after").ok());

  REQUIRE(c->RemoveWatches(p, WatcherType::kData).ok());
  REQUIRE(data.WaitCount(1, 1s));
  CHECK(data.Events()[0].type == EventType::kDataWatchRemoved);
  CHECK(data.Events()[0].path == p);
  CHECK(c->CheckWatches(p, WatcherType::kData).err() == Err::kNoWatcher);

  // The child watcher is untouched by the data removal and fires normally.
  REQUIRE(c->Create(p + "/k", "").ok());
  REQUIRE(child.WaitCount(1, 5s));
  CHECK(child.Events()[0].type == EventType::kNodeChildrenChanged);
  REQUIRE(c->SetData(p, "after").ok());
  Barrier(*c);
  CHECK(data.Events().size() == 1);
  CHECK(s.pending() == 0);
}

TEST_CASE("removeWatches with local removes the client's watchers while disconnected") {
  Proxy proxy(Server().port());
  StateRecorder states;
  auto c = ConnectRecording(proxy.hosts(), states);
  const std::string p = UniquePath("localrm");
  REQUIRE(c->Create(p, "").ok());
  WatchStream s;
  REQUIRE(c->AddWatch(p, AddWatchMode::kPersistentRecursive, s.Listener()).ok());
  proxy.Cut(/*refuse=*/true);
  REQUIRE(states.Wait(ConnectionState::kSuspended, 5s));
  // Done at once, without the server.
  REQUIRE(c->RemoveWatches(p, WatcherType::kPersistentRecursive, /*local=*/true).ok());
  auto ev = Take(s, 1);
  CHECK(ev[0].type == EventType::kPersistentWatchRemoved);
  proxy.Refuse(false);
  REQUIRE(states.Wait(ConnectionState::kReconnected, 10s));
  // Not re-registered after the reconnect.
  CHECK(c->CheckWatches(p, WatcherType::kAny).err() == Err::kNoWatcher);
  CHECK(c->RemoveWatches(p, WatcherType::kAny, /*local=*/true).err() == Err::kNoWatcher);
}

TEST_CASE("persistent watches are re-registered after a reconnect (setWatches2)") {
  Proxy proxy(Server().port());
  StateRecorder states;
  auto c = ConnectRecording(proxy.hosts(), states);
  auto w = Connect(Server().hosts());
  const std::string p = UniquePath("rereg");
  REQUIRE(w->Create(p, "").ok());
  REQUIRE(w->Create(p + "/f", "").ok());
  REQUIRE(w->Create(p + "/o", "").ok());
  WatchStream flat, deep;
  EventSink once;
  REQUIRE(c->AddWatch(p + "/f", AddWatchMode::kPersistent, flat.Listener()).ok());
  REQUIRE(c->AddWatch(p, AddWatchMode::kPersistentRecursive, deep.Listener()).ok());
  REQUIRE(c->GetData(p + "/o", once.Make()).ok());
  proxy.Cut(/*refuse=*/true);
  REQUIRE(states.Wait(ConnectionState::kSuspended, 5s));
  // Changed while disconnected: the one-shot watch fires on re-registration.
  REQUIRE(w->SetData(p + "/o", "meanwhile").ok());
  proxy.Refuse(false);
  REQUIRE(states.Wait(ConnectionState::kReconnected, 10s));
  REQUIRE(once.WaitCount(1, 5s));
  CHECK(once.Events()[0].type == EventType::kNodeDataChanged);
  CHECK(once.Events()[0].path == p + "/o");
  Barrier(*c);
  // That notification also reaches the recursive listener above the node (the client
  // dispatches events by path, as ZooKeeper's Java client does).
  while (auto ev = deep.Next(0ms)) {
    CHECK(ev->type == EventType::kNodeDataChanged);
    CHECK(ev->path == p + "/o");
  }
  CHECK(flat.pending() == 0);
  // Changes after the reconnect reach both persistent listeners.
  REQUIRE(w->Create(p + "/f/x", "").ok());
  auto f = Take(flat, 1);
  CHECK(f[0].type == EventType::kNodeChildrenChanged);
  CHECK(f[0].path == p + "/f");
  auto d = Take(deep, 1);
  CHECK(d[0].type == EventType::kNodeCreated);
  CHECK(d[0].path == p + "/f/x");
  if (!OldApache()) CHECK(c->CheckWatches(p, WatcherType::kPersistentRecursive).ok());
}

TEST_CASE("persistent listeners get a final event when the client closes") {
  auto c = Connect(Server().hosts());
  WatchStream s;
  REQUIRE(c->AddWatch("/", AddWatchMode::kPersistent, s.Listener()).ok());
  c->Close();
  CHECK(s.ended());
  auto ev = Take(s, 1);
  CHECK(ev[0].type == EventType::kNone);
  CHECK(ev[0].state == KeeperState::kClosed);
  CHECK(!s.Next(10ms).has_value());
}

TEST_CASE("addWatch argument checks") {
  auto c = Connect(Server().hosts());
  WatchStream s;
  CHECK(c->AddWatch("bad", AddWatchMode::kPersistent, s.Listener()).err() == Err::kBadArguments);
  CHECK(c->AddWatch("/", AddWatchMode::kPersistent, nullptr).err() == Err::kBadArguments);
  CHECK(c->AddWatch("/", static_cast<AddWatchMode>(7), s.Listener()).err() ==
        Err::kBadArguments);
  CHECK(c->RemoveWatches("/", static_cast<WatcherType>(0)).err() == Err::kBadArguments);
}

TEST_CASE("multiRead answers each op on its own; check compares versions") {
  auto c = Connect(Server().hosts());
  const std::string p = UniquePath("mread");
  REQUIRE(c->Create(p, "top").ok());
  REQUIRE(c->Create(p + "/a", "A").ok());
  REQUIRE(c->Create(p + "/b", "").ok());
  auto r = c->MultiRead({Op::GetData(p), Op::GetChildren(p), Op::GetData(p + "/none"),
                         Op::GetData(p + "/a")});
  REQUIRE(r.ok());
  REQUIRE(r->size() == 4);
  CHECK((*r)[0].err == Err::kOk);
  CHECK((*r)[0].data == "top");
  CHECK((*r)[0].stat.num_children == 2);
  CHECK((*r)[1].err == Err::kOk);
  auto kids = (*r)[1].children;
  std::sort(kids.begin(), kids.end());
  CHECK(kids == std::vector<std::string>{"a", "b"});
  CHECK((*r)[2].err == Err::kNoNode);
  CHECK((*r)[3].data == "A");
  CHECK(c->MultiRead({Op::GetData(p), Op::SetData(p, "x")}).err() == Err::kBadArguments);
  CHECK(c->Multi({Op::GetData(p)}).err() == Err::kBadArguments);
  auto empty = c->MultiRead({});
  REQUIRE(empty.ok());
  CHECK(empty->empty());

  CHECK(c->Check(p, 0).ok());
  CHECK(c->Check(p, kAnyVersion).ok());
  CHECK(c->Check(p, 5).err() == Err::kBadVersion);
  CHECK(c->Check(p + "/none", kAnyVersion).err() == Err::kNoNode);
  CHECK(c->Check("nope", 0).err() == Err::kBadArguments);
}

}  // namespace
}  // namespace zk::client::test
