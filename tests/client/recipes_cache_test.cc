// zk::recipes::NodeCache, ChildrenCache, TreeCache and ConfigWatcher against the server under
// test: initial load, every event kind, many quick changes (the listener's events, replayed into
// a map, must equal the server's tree, and no event may be duplicated or inconsistent), resync
// after a cut connection and after a session expiry (Rebind), the one-shot fallback of the tree
// cache, and typed configuration values.
#include <doctest/doctest.h>

#include <atomic>
#include <climits>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "client/recipes/children_cache.h"
#include "client/recipes/config_json.h"
#include "client/recipes/config_watcher.h"
#include "client/recipes/node_cache.h"
#include "client/recipes/tree_cache.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;
using recipes::CachedNode;
using recipes::CacheEvent;
using recipes::CacheEventType;

// What a cache knows of a node.
struct Seen {
  std::string data;
  int64_t czxid = 0;
  int64_t mzxid = 0;
  bool operator==(const Seen&) const = default;
};
using State = std::map<std::string, Seen>;

std::string Describe(const State& s) {
  std::ostringstream out;
  for (const auto& [path, n] : s) out << path << "=" << n.data << "@" << n.mzxid << " ";
  return out.str();
}

State FromNodes(const std::map<std::string, CachedNode>& nodes, bool by_name_under = false,
                const std::string& parent = "") {
  State out;
  for (const auto& [key, n] : nodes) {
    out[by_name_under ? parent + "/" + key : key] = Seen{n.data, n.stat.czxid, n.stat.mzxid};
  }
  return out;
}

// The server's subtree at `root` down to `max_depth`, read through `c` (whose reads follow its
// own writes).
State ServerState(Client& c, const std::string& root, int max_depth, bool with_data,
                  bool include_root) {
  State out;
  std::function<void(const std::string&, int)> visit = [&](const std::string& path, int depth) {
    auto d = c.GetData(path);
    if (!d.ok()) return;
    if (include_root || depth > 0) {
      out[path] = Seen{with_data ? d->data : "", d->stat.czxid, d->stat.mzxid};
    }
    if (depth >= max_depth) return;
    auto kids = c.GetChildren(path);
    if (!kids.ok()) return;
    for (const auto& k : kids->children) visit(path + "/" + k, depth + 1);
  };
  visit(root, 0);
  return out;
}

// Records a cache's events and replays the node events into a map, noting every event that does
// not fit the map as it stands (a duplicate, a missing predecessor, an older version).
class EventLog {
 public:
  recipes::CacheListener Listener() {
    return [this](const CacheEvent& ev) { Add(ev); };
  }

  void Add(const CacheEvent& ev) {
    std::lock_guard<std::mutex> l(mu_);
    events_.push_back(ev);
    const std::string& p = ev.node.path;
    const Seen now{ev.node.data, ev.node.stat.czxid, ev.node.stat.mzxid};
    auto it = state_.find(p);
    switch (ev.type) {
      case CacheEventType::kAdded:
        if (it != state_.end()) bad_.push_back("added twice: " + p);
        state_[p] = now;
        break;
      case CacheEventType::kUpdated:
        if (it == state_.end()) {
          bad_.push_back("update of an absent node: " + p);
        } else if (it->second.czxid != now.czxid || it->second.mzxid >= now.mzxid) {
          bad_.push_back("update not newer: " + p);
        } else if (!ev.previous || ev.previous->stat.mzxid != it->second.mzxid ||
                   ev.previous->data != it->second.data) {
          bad_.push_back("update's previous is not the last delivered state: " + p);
        }
        state_[p] = now;
        break;
      case CacheEventType::kRemoved:
        if (it == state_.end()) {
          bad_.push_back("removal of an absent node: " + p);
        } else {
          if (it->second.czxid != now.czxid) bad_.push_back("removal of another node: " + p);
          state_.erase(it);
        }
        break;
      default:
        break;
    }
    cv_.notify_all();
  }

  // Waits until the replayed state equals `want`.
  bool WaitState(const State& want, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu_);
    const bool ok = cv_.wait_for(l, timeout, [&] { return state_ == want; });
    if (!ok) MESSAGE("replayed: " << Describe(state_) << "\nserver:   " << Describe(want));
    return ok;
  }
  // Waits until `n` events of `type` were delivered.
  bool WaitCount(CacheEventType type, size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, timeout, [&] { return CountLocked(type) >= n; });
  }
  size_t Count(CacheEventType type) {
    std::lock_guard<std::mutex> l(mu_);
    return CountLocked(type);
  }
  std::vector<CacheEvent> Events() {
    std::lock_guard<std::mutex> l(mu_);
    return events_;
  }
  std::vector<CacheEventType> Types() {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<CacheEventType> out;
    for (const auto& e : events_) out.push_back(e.type);
    return out;
  }
  std::vector<std::string> Violations() {
    std::lock_guard<std::mutex> l(mu_);
    return bad_;
  }
  State Replayed() {
    std::lock_guard<std::mutex> l(mu_);
    return state_;
  }

 private:
  size_t CountLocked(CacheEventType type) const {
    size_t n = 0;
    for (const auto& e : events_) n += e.type == type ? 1 : 0;
    return n;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<CacheEvent> events_;
  State state_;
  std::vector<std::string> bad_;
};

void CheckClean(EventLog& log) {
  auto bad = log.Violations();
  for (const auto& b : bad) MESSAGE(b);
  CHECK(bad.empty());
}

// After `n` events of `type`, with the replayed state equal to the server's, a write made now
// (the barrier node) reaches the cache last: every event of the earlier changes was delivered
// before it, so none can still be on its way as a duplicate.
void SettleAndCompare(EventLog& log, Client& writer, const std::string& root,
                      const std::string& barrier, int max_depth, bool with_data,
                      bool include_root) {
  State want = ServerState(writer, root, max_depth, with_data, include_root);
  REQUIRE(log.WaitState(want, 15s));
  REQUIRE(writer.Create(barrier, "b").ok());
  want = ServerState(writer, root, max_depth, with_data, include_root);
  REQUIRE(log.WaitState(want, 15s));
  CheckClean(log);
}

recipes::TreeCacheOptions TreeMode(bool persistent) {
  recipes::TreeCacheOptions o;
  o.persistent_watch = persistent;
  return o;
}

// Random creates, updates and deletes under `root` (two levels, a few names each), pipelined;
// returns once every one was answered.
void ChurnTree(Client& w, const std::string& root, uint32_t seed, int ops) {
  std::mt19937 rng(seed);
  const char* names[] = {"a", "b", "c", "d"};
  std::atomic<int> done{0};
  std::promise<void> all;
  auto finish = [&] {
    if (++done == ops) all.set_value();
  };
  for (int i = 0; i < ops; ++i) {
    std::string path = root + "/" + names[rng() % 4];
    if (rng() % 2 == 0) path += std::string("/") + names[rng() % 4];
    const std::string data = "v" + std::to_string(i);
    switch (rng() % 4) {
      case 0:
      case 1:
        w.CreateAsync(path, data, OpenAclUnsafe(), CreateMode::kPersistent, 0,
                      [&](Result<CreateResult>) { finish(); });
        break;
      case 2:
        w.SetDataAsync(path, data, kAnyVersion, [&](Result<Stat>) { finish(); });
        break;
      default:
        w.DeleteAsync(path, kAnyVersion, [&](Result<void>) { finish(); });
        break;
    }
  }
  REQUIRE(all.get_future().wait_for(30s) == std::future_status::ready);
}

// Forces the expiry of `victim`'s session: keeps it away behind the proxy and closes its session
// from another client.
void ExpireBehindProxy(Client& victim, Proxy& proxy) {
  proxy.Refuse(true);
  proxy.Cut(true);
  Options o;
  o.session_id = victim.session_id();
  o.session_password = victim.session_password();
  auto thief = Connect(Server().hosts(), o);
  thief->Close();  // the server ends the session
}

// ---- NodeCache ---------------------------------------------------------------------------------

TEST_CASE("node cache: created, changed, deleted, created again; the initial load") {
  const std::string p = UniquePath("nodecache");
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  EventLog log;  // outlives the cache that calls it
  recipes::NodeCache cache(*c, p);
  cache.AddListener(log.Listener());
  REQUIRE(cache.Start().ok());
  CHECK(cache.Start().err() == Err::kInvalidState);
  REQUIRE(*cache.AwaitInitialized(10s));
  CHECK_FALSE(cache.Current().has_value());
  REQUIRE(log.WaitCount(CacheEventType::kInitialized, 1, 5s));

  auto created = w->Create(p, "one");
  REQUIRE(created.ok());
  REQUIRE(log.WaitCount(CacheEventType::kAdded, 1, 5s));
  REQUIRE(cache.Current().has_value());
  CHECK(cache.Current()->data == "one");
  CHECK(cache.Current()->stat.czxid == created->stat.czxid);
  REQUIRE(w->SetData(p, "two").ok());
  REQUIRE(log.WaitCount(CacheEventType::kUpdated, 1, 5s));
  CHECK(cache.Current()->data == "two");
  auto ev = log.Events().back();
  CHECK(ev.node.data == "two");
  REQUIRE(ev.previous.has_value());
  CHECK(ev.previous->data == "one");
  REQUIRE(w->Delete(p).ok());
  REQUIRE(log.WaitCount(CacheEventType::kRemoved, 1, 5s));
  CHECK_FALSE(cache.Current().has_value());
  CHECK(log.Events().back().node.data == "two");  // as it was last
  REQUIRE(w->Create(p, "three").ok());
  REQUIRE(log.WaitCount(CacheEventType::kAdded, 2, 5s));
  CHECK(cache.Current()->data == "three");
  CHECK(log.Types() ==
        std::vector<CacheEventType>{CacheEventType::kInitialized, CacheEventType::kAdded,
                                    CacheEventType::kUpdated, CacheEventType::kRemoved,
                                    CacheEventType::kAdded});
  CheckClean(log);

  // A second cache on the existing node loads it before it says initialized.
  EventLog log2;  // outlives the cache that calls it
  recipes::NodeCache again(*c, p);
  again.AddListener(log2.Listener());
  REQUIRE(again.Start().ok());
  REQUIRE(log2.WaitCount(CacheEventType::kInitialized, 1, 10s));
  CHECK(log2.Types() == std::vector<CacheEventType>{CacheEventType::kAdded,
                                                    CacheEventType::kInitialized});
  CHECK(again.Current()->data == "three");
  again.Close();
  CHECK(again.AwaitInitialized(10ms).err() == Err::kInvalidState);
  recipes::NodeCache bad(*c, "relative");
  CHECK(bad.Start().err() == Err::kBadArguments);
}

TEST_CASE("node cache: a change made while the connection was cut is reported once after it") {
  const std::string p = UniquePath("nodecache-cut");
  Proxy proxy(Server().port());
  auto c = Connect(proxy.hosts());
  auto w = Connect(Server().hosts());
  REQUIRE(w->Create(p, "before").ok());
  EventLog log;  // outlives the cache that calls it
  recipes::NodeCache cache(*c, p);
  cache.AddListener(log.Listener());
  REQUIRE(cache.Start().ok());
  REQUIRE(*cache.AwaitInitialized(10s));
  proxy.Cut(/*refuse=*/true);
  REQUIRE(log.WaitCount(CacheEventType::kSuspended, 1, 5s));
  REQUIRE(w->SetData(p, "meanwhile-1").ok());
  REQUIRE(w->SetData(p, "meanwhile-2").ok());
  CHECK(cache.Current()->data == "before");  // the last delivered state stays readable
  proxy.Refuse(false);
  REQUIRE(log.WaitCount(CacheEventType::kResynced, 1, 15s));
  REQUIRE(log.WaitState(ServerState(*w, p, 0, true, true), 5s));
  CHECK(cache.Current()->data == "meanwhile-2");
  SettleAndCompare(log, *w, p, p + "/barrier", 0, true, true);
  CHECK(log.Count(CacheEventType::kUpdated) == 1);  // one difference, reported once
  CHECK(log.Count(CacheEventType::kReconnected) == 1);
}

// ---- ChildrenCache -----------------------------------------------------------------------------

TEST_CASE("children cache: initial load, added, updated, removed, parent deleted and created") {
  const std::string p = UniquePath("children");
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  REQUIRE(w->Create(p, "parent").ok());
  REQUIRE(w->Create(p + "/x", "X").ok());
  REQUIRE(w->Create(p + "/y", "Y").ok());
  REQUIRE(w->Create(p + "/y/deep", "not cached").ok());
  for (bool with_data : {true, false}) {
    CAPTURE(with_data);
    recipes::ChildrenCacheOptions o;
    o.cache_data = with_data;
    EventLog log;  // outlives the cache that calls it
    recipes::ChildrenCache cache(*c, p, o);
    cache.AddListener(log.Listener());
    REQUIRE(cache.Start().ok());
    REQUIRE(*cache.AwaitInitialized(10s));
    REQUIRE(log.WaitCount(CacheEventType::kInitialized, 1, 5s));
    auto types = log.Types();
    REQUIRE(types.size() == 3);  // both children, then initialized
    CHECK(types.back() == CacheEventType::kInitialized);
    auto kids = cache.Children();
    REQUIRE(kids.size() == 2);
    CHECK(kids["x"].data == (with_data ? "X" : ""));
    CHECK(kids["y"].stat.num_children == 1);
    CHECK_FALSE(cache.Get(p).has_value());  // the parent is not part of the state
    CHECK_FALSE(cache.Get(p + "/y/deep").has_value());

    REQUIRE(w->Create(p + "/z", "Z").ok());
    REQUIRE(w->SetData(p + "/x", "X2").ok());
    REQUIRE(w->Delete(p + "/y/deep").ok());  // not a child: no event
    REQUIRE(w->Delete(p + "/y").ok());
    SettleAndCompare(log, *w, p, p + "/barrier", 1, with_data, false);
    CHECK(log.Count(CacheEventType::kUpdated) == 1);
    CHECK(cache.Child("x")->data == (with_data ? "X2" : ""));
    CHECK_FALSE(cache.Child("y").has_value());
    CHECK(log.Events().back().node.path == p + "/barrier");

    // Restore the tree for the next round.
    REQUIRE(w->Delete(p + "/barrier").ok());
    REQUIRE(w->Delete(p + "/z").ok());
    REQUIRE(w->Create(p + "/y", "Y").ok());
    REQUIRE(w->Create(p + "/y/deep", "not cached").ok());
    REQUIRE(w->SetData(p + "/x", "X").ok());
  }

  // The parent goes (its children are reported removed) and comes back.
  const std::string q = UniquePath("children-parent");
  EventLog log;  // outlives the cache that calls it
  recipes::ChildrenCache cache(*c, q);
  cache.AddListener(log.Listener());
  REQUIRE(cache.Start().ok());
  REQUIRE(*cache.AwaitInitialized(10s));
  CHECK(cache.Children().empty());
  REQUIRE(w->Create(q, "").ok());
  REQUIRE(w->Create(q + "/a", "A").ok());
  REQUIRE(log.WaitCount(CacheEventType::kAdded, 1, 5s));
  REQUIRE(w->Delete(q + "/a").ok());
  REQUIRE(w->Delete(q).ok());
  REQUIRE(log.WaitCount(CacheEventType::kRemoved, 1, 5s));
  REQUIRE(w->Create(q, "").ok());
  REQUIRE(w->Create(q + "/b", "B").ok());
  SettleAndCompare(log, *w, q, q + "/barrier", 1, true, false);
}

TEST_CASE("children cache: many quick changes end in the server's state, each reported once") {
  const std::string p = UniquePath("children-churn");
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  REQUIRE(w->Create(p, "").ok());
  EventLog log;  // outlives the cache that calls it
  recipes::ChildrenCache cache(*c, p);
  cache.AddListener(log.Listener());
  REQUIRE(cache.Start().ok());
  REQUIRE(*cache.AwaitInitialized(10s));
  const uint32_t seed = std::random_device()();
  CAPTURE(seed);
  ChurnTree(*w, p, seed, 400);
  SettleAndCompare(log, *w, p, p + "/barrier", 1, true, false);
  CHECK(FromNodes(cache.Children(), true, p) == log.Replayed());
}

// ---- TreeCache ---------------------------------------------------------------------------------

TEST_CASE("tree cache: initial load of an existing tree and every event kind") {
  for (bool persistent : {true, false}) {
    CAPTURE(persistent);
    const std::string p = UniquePath("tree");
    auto c = Connect(Server().hosts());
    auto w = Connect(Server().hosts());
    REQUIRE(w->Create(p, "root").ok());
    REQUIRE(w->Create(p + "/a", "A").ok());
    REQUIRE(w->Create(p + "/a/b", "B").ok());
    REQUIRE(w->Create(p + "/a/b/c", "C").ok());
    REQUIRE(w->Create(p + "/d", "D").ok());
    EventLog log;  // outlives the cache that calls it
    recipes::TreeCache cache(*c, p, TreeMode(persistent));
    cache.AddListener(log.Listener());
    REQUIRE(cache.Start().ok());
    REQUIRE(*cache.AwaitInitialized(10s));
    CHECK(cache.uses_persistent_watch() == persistent);
    REQUIRE(log.WaitCount(CacheEventType::kInitialized, 1, 5s));
    auto events = log.Events();
    REQUIRE(events.size() == 6);
    CHECK(events.back().type == CacheEventType::kInitialized);
    std::map<std::string, size_t> order;
    for (size_t i = 0; i < 5; ++i) {
      CHECK(events[i].type == CacheEventType::kAdded);
      order[events[i].node.path] = i;
    }
    CHECK(order[p] < order[p + "/a"]);  // parents before their children
    CHECK(order[p + "/a"] < order[p + "/a/b"]);
    CHECK(order[p + "/a/b"] < order[p + "/a/b/c"]);
    CHECK(cache.Snapshot().size() == 5);
    CHECK(cache.Children(p + "/a").count("b") == 1);
    CHECK(cache.Get(p + "/a/b/c")->data == "C");
    if (!persistent) {
      // One-shot watches: the server holds a data and a child watch on the nodes for the cache.
      CHECK(c->CheckWatches(p + "/a/b/c", WatcherType::kData).ok());
      CHECK(c->CheckWatches(p + "/a/b/c", WatcherType::kChildren).ok());
    } else if (!Server().apache()) {  // Apache 3.8 cannot check persistent types
      CHECK(c->CheckWatches(p, WatcherType::kPersistentRecursive).ok());
    }

    REQUIRE(w->SetData(p + "/a/b/c", "C2").ok());
    REQUIRE(w->Create(p + "/a/b/c/e", "E").ok());
    REQUIRE(w->SetData(p, "root2").ok());
    REQUIRE(w->Delete(p + "/d").ok());
    REQUIRE(w->Create(p + "/d", "D again").ok());  // a new node of the same name
    REQUIRE(w->Delete(p + "/a/b/c/e").ok());
    REQUIRE(w->Delete(p + "/a/b/c").ok());
    SettleAndCompare(log, *w, p, p + "/barrier", INT_MAX, true, true);
    CHECK(FromNodes(cache.Snapshot()) == log.Replayed());

    // The whole tree goes: deepest nodes first, the root last.
    REQUIRE(w->Delete(p + "/barrier").ok());
    REQUIRE(w->Delete(p + "/a/b").ok());
    REQUIRE(w->Delete(p + "/a").ok());
    REQUIRE(w->Delete(p + "/d").ok());
    REQUIRE(w->Delete(p).ok());
    REQUIRE(log.WaitState({}, 10s));
    CHECK(cache.Snapshot().empty());
    REQUIRE(w->Create(p, "reborn").ok());
    REQUIRE(w->Create(p + "/n", "N").ok());
    SettleAndCompare(log, *w, p, p + "/barrier", INT_MAX, true, true);
    cache.Close();
    if (persistent && !Server().apache()) {
      CHECK(c->CheckWatches(p, WatcherType::kPersistentRecursive).err() == Err::kNoWatcher);
    }
  }
}

TEST_CASE("tree cache: max depth and stat-only nodes") {
  const std::string p = UniquePath("tree-depth");
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  REQUIRE(w->Create(p, "r").ok());
  REQUIRE(w->Create(p + "/a", "A").ok());
  REQUIRE(w->Create(p + "/a/b", "B").ok());
  for (bool persistent : {true, false}) {
    CAPTURE(persistent);
    recipes::TreeCacheOptions o = TreeMode(persistent);
    o.max_depth = 1;
    o.cache_data = false;
    EventLog log;  // outlives the cache that calls it
    recipes::TreeCache cache(*c, p, o);
    cache.AddListener(log.Listener());
    REQUIRE(cache.Start().ok());
    REQUIRE(*cache.AwaitInitialized(10s));
    auto snap = cache.Snapshot();
    CHECK(snap.size() == 2);
    CHECK(snap[p + "/a"].data.empty());
    CHECK(snap[p + "/a"].stat.num_children == 1);
    REQUIRE(w->Create(p + "/a/b/deeper", "").ok());  // below the depth: nothing
    REQUIRE(w->SetData(p + "/a", "A2").ok());
    REQUIRE(w->Create(p + "/z", "").ok());
    SettleAndCompare(log, *w, p, p + "/barrier", 1, false, true);
    REQUIRE(w->Delete(p + "/a/b/deeper").ok());
    REQUIRE(w->Delete(p + "/z").ok());
    REQUIRE(w->Delete(p + "/barrier").ok());
  }
}

TEST_CASE("tree cache: many quick changes end in the server's state, each reported once") {
  for (bool persistent : {true, false}) {
    CAPTURE(persistent);
    const std::string p = UniquePath("tree-churn");
    auto c = Connect(Server().hosts());
    auto w = Connect(Server().hosts());
    REQUIRE(w->Create(p, "").ok());
    EventLog log;  // outlives the cache that calls it
    recipes::TreeCache cache(*c, p, TreeMode(persistent));
    cache.AddListener(log.Listener());
    REQUIRE(cache.Start().ok());
    REQUIRE(*cache.AwaitInitialized(10s));
    const uint32_t seed = std::random_device()();
    CAPTURE(seed);
    ChurnTree(*w, p, seed, 400);
    SettleAndCompare(log, *w, p, p + "/barrier", INT_MAX, true, true);
    CHECK(FromNodes(cache.Snapshot()) == log.Replayed());
  }
}

TEST_CASE("tree cache: resync after the connection is cut while the tree changes") {
  for (bool persistent : {true, false}) {
    CAPTURE(persistent);
    const std::string p = UniquePath("tree-cut");
    Proxy proxy(Server().port());
    auto c = Connect(proxy.hosts());
    auto w = Connect(Server().hosts());
    REQUIRE(w->Create(p, "").ok());
    REQUIRE(w->Create(p + "/keep", "k").ok());
    REQUIRE(w->Create(p + "/change", "0").ok());
    REQUIRE(w->Create(p + "/gone", "g").ok());
    REQUIRE(w->Create(p + "/gone/kid", "g").ok());
    REQUIRE(w->Create(p + "/again", "first").ok());
    EventLog log;  // outlives the cache that calls it
    recipes::TreeCache cache(*c, p, TreeMode(persistent));
    cache.AddListener(log.Listener());
    REQUIRE(cache.Start().ok());
    REQUIRE(*cache.AwaitInitialized(10s));
    const uint32_t seed = std::random_device()();
    CAPTURE(seed);
    // Changes race the cut, happen while the client is away, and race the resync.
    auto churn = std::async(std::launch::async, [&] { ChurnTree(*w, p + "/keep", seed, 100); });
    proxy.Cut(/*refuse=*/true);
    REQUIRE(log.WaitCount(CacheEventType::kSuspended, 1, 5s));
    churn.get();
    REQUIRE(w->SetData(p + "/change", "1").ok());
    REQUIRE(w->SetData(p + "/change", "2").ok());
    REQUIRE(w->Delete(p + "/gone/kid").ok());
    REQUIRE(w->Delete(p + "/gone").ok());
    REQUIRE(w->Delete(p + "/again").ok());
    REQUIRE(w->Create(p + "/again", "second").ok());
    REQUIRE(w->Create(p + "/new", "n").ok());
    proxy.Refuse(false);
    ChurnTree(*w, p + "/keep", seed + 1, 100);
    REQUIRE(log.WaitCount(CacheEventType::kResynced, 1, 15s));
    SettleAndCompare(log, *w, p, p + "/barrier", INT_MAX, true, true);
    CHECK(FromNodes(cache.Snapshot()) == log.Replayed());
    CHECK(cache.uses_persistent_watch() == persistent);
    CHECK(log.Count(CacheEventType::kReconnected) == 1);
  }
}

TEST_CASE("caches survive a session expiry: kSessionEnded, then Rebind resyncs the differences") {
  for (bool persistent : {true, false}) {
    CAPTURE(persistent);
    const std::string p = UniquePath("tree-expire");
    Proxy proxy(Server().port());
    Options o;
    o.session_timeout = 4000ms;
    // Two sessions: Apache ZooKeeper 3.8 keeps one watch mode per path and session
    // (ZOOKEEPER-4466), and the children cache sets one-shot watches on the tree's root.
    auto c = Connect(proxy.hosts(), o);
    auto c2 = Connect(proxy.hosts(), o);
    auto w = Connect(Server().hosts());
    REQUIRE(w->Create(p, "").ok());
    REQUIRE(w->Create(p + "/stay", "s").ok());
    REQUIRE(w->Create(p + "/change", "0").ok());
    REQUIRE(w->Create(p + "/gone", "g").ok());
    REQUIRE(w->Create(p + "/again", "first").ok());
    EventLog tlog, klog, nlog;
    std::unique_ptr<Client> own;  // the node cache's new client, made by its listener
    std::atomic<int> rebinds{0};
    recipes::TreeCache tree(*c, p, TreeMode(persistent));
    recipes::ChildrenCache kids(*c2, p);
    recipes::NodeCache node(*c2, p + "/change");
    tree.AddListener(tlog.Listener());
    kids.AddListener(klog.Listener());
    node.AddListener(nlog.Listener());
    // The node cache rebinds itself from its listener, on its event thread.
    node.AddListener([&](const CacheEvent& ev) {
      if (ev.type != CacheEventType::kSessionEnded) return;
      Options fresh_options;
      fresh_options.connect_string = Server().hosts();
      auto started = Client::Start(fresh_options);
      if (!started.ok()) return;
      own = std::move(started).value();
      if (node.Rebind(*own).ok()) ++rebinds;
    });
    REQUIRE(tree.Start().ok());
    REQUIRE(kids.Start().ok());
    REQUIRE(node.Start().ok());
    REQUIRE(*tree.AwaitInitialized(10s));
    REQUIRE(*kids.AwaitInitialized(10s));
    REQUIRE(*node.AwaitInitialized(10s));

    ExpireBehindProxy(*c, proxy);
    ExpireBehindProxy(*c2, proxy);
    REQUIRE(w->SetData(p + "/change", "1").ok());
    REQUIRE(w->Delete(p + "/gone").ok());
    REQUIRE(w->Delete(p + "/again").ok());
    REQUIRE(w->Create(p + "/again", "second").ok());
    REQUIRE(w->Create(p + "/new", "n").ok());
    proxy.Refuse(false);
    REQUIRE(tlog.WaitCount(CacheEventType::kSessionEnded, 1, 20s));
    REQUIRE(klog.WaitCount(CacheEventType::kSessionEnded, 1, 5s));
    REQUIRE(nlog.WaitCount(CacheEventType::kSessionEnded, 1, 5s));
    CHECK(c->state() == ConnectionState::kExpired);
    CHECK(c2->state() == ConnectionState::kExpired);
    // The last delivered state stays readable (the node cache may have rebound already).
    CHECK(tree.Get(p + "/gone").has_value());
    CHECK(kids.Child("gone").has_value());

    auto fresh = Connect(Server().hosts());
    auto fresh2 = Connect(Server().hosts());
    REQUIRE(tree.Rebind(*fresh).ok());
    REQUIRE(kids.Rebind(*fresh2).ok());
    REQUIRE(tlog.WaitCount(CacheEventType::kResynced, 1, 15s));
    REQUIRE(klog.WaitCount(CacheEventType::kResynced, 1, 15s));
    REQUIRE(nlog.WaitCount(CacheEventType::kResynced, 1, 15s));
    CHECK(rebinds.load() == 1);  // its listener ran before the resync's events
    REQUIRE(tlog.WaitState(ServerState(*w, p, INT_MAX, true, true), 5s));
    REQUIRE(klog.WaitState(ServerState(*w, p, 1, true, false), 5s));
    REQUIRE(nlog.WaitState(ServerState(*w, p + "/change", 0, true, true), 5s));
    CHECK(nlog.Count(CacheEventType::kUpdated) == 1);
    CHECK(tree.uses_persistent_watch() == persistent);
    // The caches follow the new session.
    REQUIRE(w->SetData(p + "/change", "2").ok());
    REQUIRE(nlog.WaitCount(CacheEventType::kUpdated, 2, 5s));
    CHECK(node.Current()->data == "2");
    SettleAndCompare(tlog, *w, p, p + "/barrier", INT_MAX, true, true);
    REQUIRE(klog.WaitState(ServerState(*w, p, 1, true, false), 5s));
    CheckClean(klog);
    CheckClean(nlog);
    tree.Close();
    kids.Close();
    node.Close();
  }
}

TEST_CASE("cache listeners run in order on one thread and may block and call the client") {
  const std::string p = UniquePath("tree-listener");
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  REQUIRE(w->Create(p, "").ok());
  std::mutex mu;
  std::set<std::thread::id> threads;
  std::vector<std::string> reads;
  recipes::TreeCache cache(*c, p);
  cache.AddListener([&](const CacheEvent& ev) {
    if (ev.type != CacheEventType::kAdded || ev.node.path == p) return;
    auto r = c->GetData(ev.node.path);  // a blocking call: fine on the cache's thread
    std::lock_guard<std::mutex> l(mu);
    threads.insert(std::this_thread::get_id());
    reads.push_back(r.ok() ? r->data : "?");
  });
  REQUIRE(cache.Start().ok());
  REQUIRE(*cache.AwaitInitialized(10s));
  for (int i = 0; i < 5; ++i) REQUIRE(w->Create(p + "/n" + std::to_string(i), std::to_string(i)).ok());
  REQUIRE(Eventually([&] {
    std::lock_guard<std::mutex> l(mu);
    return reads.size() == 5;
  }, 10s));
  std::lock_guard<std::mutex> l(mu);
  CHECK(reads == std::vector<std::string>{"0", "1", "2", "3", "4"});
  CHECK(threads.size() == 1);
  CHECK(threads.count(std::this_thread::get_id()) == 0);
}

// ---- ConfigWatcher -----------------------------------------------------------------------------

TEST_CASE("config watcher: typed values, change callbacks with old and new, parse errors") {
  const std::string p = UniquePath("config");
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  REQUIRE(w->Create(p, " 42 ").ok());
  std::mutex mu;
  std::vector<std::pair<std::optional<int64_t>, std::optional<int64_t>>> changes;
  std::vector<std::string> errors;
  recipes::ConfigWatcher<int64_t> limit(*c, p, recipes::ParseInt64, /*fallback=*/7);
  limit.SetChangeListener([&](const std::optional<int64_t>& o, const std::optional<int64_t>& n) {
    std::lock_guard<std::mutex> l(mu);
    changes.emplace_back(o, n);
  });
  limit.SetErrorListener([&](const recipes::ConfigError& e) {
    std::lock_guard<std::mutex> l(mu);
    errors.push_back(e.data + ": " + e.message);
  });
  CHECK(limit.Get() == 7);  // the fallback until loaded
  REQUIRE(limit.Start().ok());
  REQUIRE(*limit.AwaitInitialized(10s));
  REQUIRE(Eventually([&] { return limit.Get() == 42; }, 5s));
  auto count = [&] {
    std::lock_guard<std::mutex> l(mu);
    return changes.size() + errors.size();
  };
  REQUIRE(Eventually([&] { return count() == 1; }, 5s));
  REQUIRE(w->SetData(p, "not a number").ok());
  REQUIRE(Eventually([&] { return count() == 2; }, 5s));
  CHECK(limit.Get() == 42);  // the last good value stays
  REQUIRE(limit.LastError().has_value());
  CHECK(limit.LastError()->data == "not a number");
  CHECK(limit.LastError()->message.find("not an integer") != std::string::npos);
  REQUIRE(w->SetData(p, "42").ok());  // parses, equal: no change, the error is cleared
  REQUIRE(w->SetData(p, "43").ok());
  REQUIRE(Eventually([&] { return limit.Get() == 43; }, 5s));
  CHECK_FALSE(limit.LastError().has_value());
  REQUIRE(w->Delete(p).ok());
  REQUIRE(Eventually([&] { return limit.Get() == 7; }, 5s));
  REQUIRE(w->Create(p, "-5").ok());
  REQUIRE(Eventually([&] { return limit.Get() == -5; }, 5s));
  std::lock_guard<std::mutex> l(mu);
  using V = std::optional<int64_t>;
  const std::vector<std::pair<V, V>> want{{7, 42}, {42, 43}, {43, 7}, {7, -5}};
  CHECK(changes == want);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("not a number: not an integer") == 0);
}

struct Limits {
  int64_t max = 0;
  std::string mode;
  bool operator==(const Limits&) const = default;
};
void from_json(const nlohmann::json& j, Limits& l) {
  j.at("max").get_to(l.max);
  j.at("mode").get_to(l.mode);
}

TEST_CASE("config watcher: JSON documents, booleans, strings; the parsers") {
  const std::string p = UniquePath("config-json");
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  REQUIRE(w->Create(p, R"({"max": 3, "mode": "fast"})").ok());
  recipes::ConfigWatcher<Limits> limits(*c, p, recipes::JsonAs<Limits>());
  recipes::ConfigWatcher<nlohmann::json> doc(*c, p, recipes::ParseJson);
  recipes::ConfigWatcher<std::string> text(*c, p, recipes::ParseString);
  REQUIRE(limits.Start().ok());
  REQUIRE(doc.Start().ok());
  REQUIRE(text.Start().ok());
  REQUIRE(*limits.AwaitInitialized(10s));
  REQUIRE(Eventually([&] { return limits.Get() == Limits{3, "fast"}; }, 5s));
  REQUIRE(Eventually([&] { return doc.Get().has_value(); }, 5s));
  CHECK((*doc.Get())["mode"] == "fast");
  REQUIRE(w->SetData(p, R"({"max": 4})").ok());  // valid JSON, not a Limits
  REQUIRE(Eventually([&] { return limits.LastError().has_value(); }, 5s));
  CHECK(limits.Get() == Limits{3, "fast"});
  REQUIRE(Eventually([&] { return doc.Get() && (*doc.Get())["max"] == 4; }, 5s));
  REQUIRE(w->SetData(p, "{broken").ok());
  REQUIRE(Eventually([&] { return doc.LastError().has_value(); }, 5s));
  CHECK(Eventually([&] { return text.GetOr("") == "{broken"; }, 5s));
  CHECK((*doc.Get())["max"] == 4);

  std::string err;
  CHECK(recipes::ParseBool(" Yes ", &err) == true);
  CHECK(recipes::ParseBool("off", &err) == false);
  CHECK_FALSE(recipes::ParseBool("maybe", &err).has_value());
  CHECK(recipes::ParseInt64("+12", &err) == 12);
  CHECK_FALSE(recipes::ParseInt64("12x", &err).has_value());
  CHECK_FALSE(recipes::ParseInt64("99999999999999999999", &err).has_value());
  CHECK(err.find("out of range") != std::string::npos);
  CHECK(recipes::ParseDouble("2.5", &err) == 2.5);
  CHECK_FALSE(recipes::ParseDouble("nan", &err).has_value());
}

TEST_CASE("config watcher: a change missed while the session expired is applied after Rebind") {
  const std::string p = UniquePath("config-expire");
  Proxy proxy(Server().port());
  Options o;
  o.session_timeout = 4000ms;
  auto c = Connect(proxy.hosts(), o);
  auto w = Connect(Server().hosts());
  REQUIRE(w->Create(p, "1").ok());
  std::atomic<int> changes{0};
  recipes::ConfigWatcher<int64_t> value(*c, p, recipes::ParseInt64);
  value.SetChangeListener([&](const auto&, const auto&) { ++changes; });
  REQUIRE(value.Start().ok());
  REQUIRE(*value.AwaitInitialized(10s));
  REQUIRE(Eventually([&] { return value.Get() == 1; }, 5s));
  ExpireBehindProxy(*c, proxy);
  REQUIRE(w->SetData(p, "2").ok());
  proxy.Refuse(false);
  REQUIRE(Eventually([&] { return c->state() == ConnectionState::kExpired; }, 20s));
  CHECK(value.Get() == 1);
  auto fresh = Connect(Server().hosts());
  REQUIRE(value.Rebind(*fresh).ok());
  REQUIRE(Eventually([&] { return value.Get() == 2; }, 10s));
  CHECK(changes.load() == 2);
  value.Close();  // before `fresh` goes
}

}  // namespace
}  // namespace zk::client::test
