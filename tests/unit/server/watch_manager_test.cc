#include "server/watch_manager.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <utility>
#include <set>
#include <string>
#include <vector>

namespace zk::server {
namespace {

std::vector<Notification> Fire(WatchManager& w, EventType type, const std::string& path) {
  std::vector<Notification> out;
  w.Trigger(TreeEvent{type, path}, &out);
  return out;
}

std::set<WatcherId> Who(const std::vector<Notification>& ns) {
  std::set<WatcherId> s;
  for (const auto& n : ns) s.insert(n.watcher);
  return s;
}

TEST_CASE("Data watches: created, changed, deleted; one-shot") {
  for (EventType t :
       {EventType::kNodeCreated, EventType::kNodeDataChanged, EventType::kNodeDeleted}) {
    CAPTURE(t);
    WatchManager w;
    w.Add(WatchKind::kData, "/a", 1);
    CHECK(w.watch_count() == 1);
    auto out = Fire(w, t, "/a");
    REQUIRE(out.size() == 1);
    CHECK(out[0].watcher == 1);
    CHECK(out[0].type == t);
    CHECK(out[0].path == "/a");
    CHECK(w.watch_count() == 0);
    CHECK_FALSE(w.Has("/a", WatcherType::kData, 1));
    CHECK(Fire(w, t, "/a").empty());
  }
  WatchManager w;
  w.Add(WatchKind::kData, "/a", 1);
  CHECK(Fire(w, EventType::kNodeChildrenChanged, "/a").empty());
  CHECK(Fire(w, EventType::kNodeDataChanged, "/b").empty());
  CHECK(Fire(w, EventType::kNodeDataChanged, "/a/b").empty());
  CHECK(Fire(w, EventType::kNone, "/a").empty());
  CHECK(w.Has("/a", WatcherType::kData, 1));  // none of those fired it
}

TEST_CASE("Child watches: children changed and deleted; one-shot") {
  for (EventType t : {EventType::kNodeChildrenChanged, EventType::kNodeDeleted}) {
    CAPTURE(t);
    WatchManager w;
    w.Add(WatchKind::kChild, "/p", 9);
    auto out = Fire(w, t, "/p");
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == t);
    CHECK(out[0].path == "/p");
    CHECK(w.watch_count() == 0);
    CHECK(Fire(w, t, "/p").empty());
  }
  WatchManager w;
  w.Add(WatchKind::kChild, "/p", 9);
  CHECK(Fire(w, EventType::kNodeCreated, "/p").empty());
  CHECK(Fire(w, EventType::kNodeDataChanged, "/p").empty());
  CHECK(Fire(w, EventType::kNodeChildrenChanged, "/p/c").empty());
  CHECK(w.Has("/p", WatcherType::kChildren, 9));
}

TEST_CASE("Persistent watches see all four events at their path and stay") {
  WatchManager w;
  w.Add(WatchKind::kPersistent, "/a", 3);
  for (EventType t :
       {EventType::kNodeCreated, EventType::kNodeDataChanged, EventType::kNodeChildrenChanged,
        EventType::kNodeDeleted, EventType::kNodeCreated}) {
    CAPTURE(t);
    auto out = Fire(w, t, "/a");
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == t);
    CHECK(out[0].watcher == 3);
  }
  CHECK(w.watch_count() == 1);
  CHECK(Fire(w, EventType::kNodeCreated, "/a/b").empty());
  CHECK(Fire(w, EventType::kNodeDataChanged, "/").empty());
}

TEST_CASE("Recursive watches see their subtree except NodeChildrenChanged") {
  WatchManager w;
  w.Add(WatchKind::kRecursive, "/a", 4);
  for (const char* p : {"/a", "/a/b", "/a/b/c/d"}) {
    for (EventType t :
         {EventType::kNodeCreated, EventType::kNodeDataChanged, EventType::kNodeDeleted}) {
      CAPTURE(p);
      CAPTURE(t);
      auto out = Fire(w, t, p);
      REQUIRE(out.size() == 1);
      CHECK(out[0].watcher == 4);
      CHECK(out[0].type == t);
      CHECK(out[0].path == p);  // the changed node's path, not the watch's
    }
    CHECK(Fire(w, EventType::kNodeChildrenChanged, p).empty());
  }
  CHECK(Fire(w, EventType::kNodeCreated, "/ab").empty());
  CHECK(Fire(w, EventType::kNodeCreated, "/").empty());
  CHECK(Fire(w, EventType::kNodeCreated, "/b/a").empty());
  CHECK(w.watch_count() == 1);

  WatchManager root;
  root.Add(WatchKind::kRecursive, "/", 5);
  CHECK(Fire(root, EventType::kNodeCreated, "/x").size() == 1);
  CHECK(Fire(root, EventType::kNodeDeleted, "/x/y/z").size() == 1);
  CHECK(Fire(root, EventType::kNodeDataChanged, "/").size() == 1);
  CHECK(Fire(root, EventType::kNodeChildrenChanged, "/").empty());
}

TEST_CASE("A watcher hears one event per change, and all its one-shot watches there go") {
  WatchManager w;
  w.Add(WatchKind::kData, "/a", 1);
  w.Add(WatchKind::kChild, "/a", 1);
  w.Add(WatchKind::kPersistent, "/a", 1);
  w.Add(WatchKind::kRecursive, "/a", 1);
  w.Add(WatchKind::kRecursive, "/", 1);
  w.Add(WatchKind::kData, "/a", 2);
  w.Add(WatchKind::kRecursive, "/", 3);
  CHECK(w.watch_count() == 7);
  auto out = Fire(w, EventType::kNodeDeleted, "/a");
  CHECK(out.size() == 3);
  CHECK(Who(out) == std::set<WatcherId>{1, 2, 3});
  for (const auto& n : out) {
    CHECK(n.type == EventType::kNodeDeleted);
    CHECK(n.path == "/a");
  }
  CHECK_FALSE(w.Has("/a", WatcherType::kData, 1));
  CHECK_FALSE(w.Has("/a", WatcherType::kChildren, 1));
  CHECK_FALSE(w.Has("/a", WatcherType::kData, 2));
  CHECK(w.Has("/a", WatcherType::kPersistent, 1));
  CHECK(w.Has("/a", WatcherType::kPersistentRecursive, 1));
  CHECK(w.watch_count() == 4);

  // Recursive on two ancestors: still one notification.
  out = Fire(w, EventType::kNodeDataChanged, "/a/b");
  CHECK(out.size() == 2);
  CHECK(Who(out) == std::set<WatcherId>{1, 3});
}

TEST_CASE("Many watchers on one path are all notified") {
  WatchManager w;
  for (WatcherId id = 1; id <= 50; ++id) w.Add(WatchKind::kData, "/hot", id);
  w.Add(WatchKind::kData, "/hot", 7);  // duplicate: no second watch
  CHECK(w.watch_count() == 50);
  CHECK(w.watcher_count() == 50);
  auto out = Fire(w, EventType::kNodeDataChanged, "/hot");
  CHECK(out.size() == 50);
  CHECK(Who(out).size() == 50);
  CHECK(w.watch_count() == 0);
  CHECK(w.watcher_count() == 0);
  CHECK(w.path_count() == 0);
}

TEST_CASE("Remove and Has per WatcherType") {
  WatchManager w;
  w.Add(WatchKind::kData, "/a", 1);
  w.Add(WatchKind::kChild, "/a", 1);
  w.Add(WatchKind::kPersistent, "/a", 1);
  w.Add(WatchKind::kRecursive, "/a", 1);
  w.Add(WatchKind::kData, "/a", 2);

  CHECK(w.Has("/a", WatcherType::kData, 1));
  CHECK(w.Has("/a", WatcherType::kChildren, 1));
  CHECK(w.Has("/a", WatcherType::kPersistent, 1));
  CHECK(w.Has("/a", WatcherType::kPersistentRecursive, 1));
  CHECK(w.Has("/a", WatcherType::kAny, 1));
  CHECK_FALSE(w.Has("/a", WatcherType::kChildren, 2));
  CHECK_FALSE(w.Has("/b", WatcherType::kAny, 1));
  CHECK_FALSE(w.Has("/a", WatcherType::kAny, 3));

  CHECK(w.Remove("/a", WatcherType::kData, 1));
  CHECK_FALSE(w.Remove("/a", WatcherType::kData, 1));
  CHECK_FALSE(w.Has("/a", WatcherType::kData, 1));
  CHECK(w.Has("/a", WatcherType::kData, 2));
  CHECK(w.Has("/a", WatcherType::kChildren, 1));
  CHECK(w.watch_count() == 4);

  CHECK(w.Remove("/a", WatcherType::kChildren, 1));
  CHECK(w.Remove("/a", WatcherType::kPersistent, 1));
  CHECK(w.Has("/a", WatcherType::kAny, 1));  // the recursive one
  CHECK(w.Remove("/a", WatcherType::kPersistentRecursive, 1));
  CHECK_FALSE(w.Has("/a", WatcherType::kAny, 1));
  CHECK_FALSE(w.Remove("/a", WatcherType::kAny, 1));
  CHECK(w.watch_count() == 1);

  w.Add(WatchKind::kData, "/a", 1);
  w.Add(WatchKind::kChild, "/a", 1);
  w.Add(WatchKind::kChild, "/other", 1);
  CHECK(w.Remove("/a", WatcherType::kAny, 1));
  CHECK_FALSE(w.Has("/a", WatcherType::kAny, 1));
  CHECK(w.Has("/other", WatcherType::kChildren, 1));
  CHECK(w.Has("/a", WatcherType::kData, 2));
  CHECK(w.watch_count() == 2);

  // A removed watch no longer fires.
  auto out = Fire(w, EventType::kNodeDeleted, "/a");
  CHECK(Who(out) == std::set<WatcherId>{2});
}

TEST_CASE("RemoveWatcher drops every watch of a watcher") {
  WatchManager w;
  w.Add(WatchKind::kData, "/a", 1);
  w.Add(WatchKind::kChild, "/b", 1);
  w.Add(WatchKind::kPersistent, "/c", 1);
  w.Add(WatchKind::kRecursive, "/", 1);
  w.Add(WatchKind::kData, "/a", 2);
  CHECK(w.watcher_count() == 2);
  CHECK(w.path_count() == 4);
  w.RemoveWatcher(1);
  CHECK(w.watcher_count() == 1);
  CHECK(w.watch_count() == 1);
  CHECK(w.path_count() == 1);
  CHECK_FALSE(w.Has("/", WatcherType::kAny, 1));
  CHECK(Fire(w, EventType::kNodeCreated, "/x").empty());
  CHECK(Who(Fire(w, EventType::kNodeDataChanged, "/a")) == std::set<WatcherId>{2});
  w.RemoveWatcher(1);  // unknown: no-op
  w.RemoveWatcher(2);
  CHECK(w.watch_count() == 0);
  CHECK(w.watcher_count() == 0);
}

// Many paths come and go while watchers hold entries pointing at their keys: every count and
// index agrees with a plain model after one-shot fires, removals and whole watchers leaving (the
// sanitized twin turns a stale key pointer into a failure).
TEST_CASE("Watch indexes stay consistent as thousands of paths come and go") {
  WatchManager w;
  std::map<WatcherId, std::set<std::string>> model;  // data watches only
  auto path = [](int i) { return "/p" + std::to_string(i / 50) + "/c" + std::to_string(i); };
  for (int i = 0; i < 3000; ++i) {
    for (WatcherId watcher = 1; watcher <= 4; ++watcher) {
      if ((i + static_cast<int>(watcher)) % 3 == 0) continue;
      w.Add(WatchKind::kData, path(i), watcher);
      model[watcher].insert(path(i));
    }
  }
  auto count = [&] {
    size_t n = 0;
    for (const auto& [watcher, paths] : model) n += paths.size();
    return n;
  };
  REQUIRE(w.watch_count() == count());
  // Fire every other path (one-shot: gone for everyone), remove some single watches.
  for (int i = 0; i < 3000; i += 2) {
    std::set<WatcherId> expected;
    for (auto& [watcher, paths] : model) {
      if (paths.erase(path(i))) expected.insert(watcher);
    }
    CHECK(Who(Fire(w, EventType::kNodeDataChanged, path(i))) == expected);
  }
  for (int i = 1; i < 3000; i += 6) {
    const bool had = model[2].erase(path(i)) > 0;
    CHECK(w.Remove(path(i), WatcherType::kData, 2) == had);
  }
  CHECK(w.watch_count() == count());
  std::erase_if(model, [](const auto& e) { return e.second.empty(); });
  CHECK(w.ByWatcher() == model);
  w.RemoveWatcher(3);
  model.erase(3);
  CHECK(w.watch_count() == count());
  CHECK(w.ByWatcher() == model);
  // Re-adding after the churn: the same path again under new keys.
  w.Add(WatchKind::kData, path(0), 3);
  CHECK(Who(Fire(w, EventType::kNodeDeleted, path(0))) == std::set<WatcherId>{3});
  for (WatcherId watcher : {1, 2, 4}) w.RemoveWatcher(watcher);
  CHECK(w.watch_count() == 0);
  CHECK(w.path_count() == 0);
  CHECK(w.watcher_count() == 0);
}

// Random adds, removes, fires and watcher removals of data, child and persistent watches over a
// few paths, so path entries are freed and their ids reused many times; checked after every step
// against a model of (kind, path) -> watchers and ZooKeeper's trigger rules.
TEST_CASE("Random watch churn agrees with a model") {
  WatchManager w;
  std::map<std::pair<WatchKind, std::string>, std::set<WatcherId>> model;
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  const std::vector<std::string> paths = {"/a", "/b", "/a/x", "/a/y", "/b/z", "/c"};
  const std::vector<WatchKind> kinds = {WatchKind::kData, WatchKind::kChild,
                                        WatchKind::kPersistent};
  auto count = [&] {
    size_t n = 0;
    for (const auto& [key, ws] : model) n += ws.size();
    return n;
  };
  for (int step = 0; step < 20000; ++step) {
    const std::string& path = paths[pick(static_cast<int>(paths.size()))];
    const WatcherId watcher = 1 + static_cast<WatcherId>(pick(12));
    const int op = pick(10);
    if (op < 5) {
      const WatchKind kind = kinds[pick(3)];
      w.Add(kind, path, watcher);
      model[{kind, path}].insert(watcher);
    } else if (op < 7) {
      const WatchKind kind = kinds[pick(3)];
      const WatcherType type = kind == WatchKind::kData    ? WatcherType::kData
                               : kind == WatchKind::kChild ? WatcherType::kChildren
                                                           : WatcherType::kPersistent;
      const bool had = model[{kind, path}].erase(watcher) > 0;
      CHECK(w.Has(path, type, watcher) == had);
      CHECK(w.Remove(path, type, watcher) == had);
      CHECK_FALSE(w.Has(path, type, watcher));
    } else if (op < 9) {
      const EventType type = std::vector<EventType>{
          EventType::kNodeCreated, EventType::kNodeDataChanged, EventType::kNodeDeleted,
          EventType::kNodeChildrenChanged}[pick(4)];
      std::set<WatcherId> expected;
      const bool data = type != EventType::kNodeChildrenChanged;
      const bool child =
          type == EventType::kNodeDeleted || type == EventType::kNodeChildrenChanged;
      if (data) expected.merge(std::set<WatcherId>(std::exchange(model[{WatchKind::kData, path}], {})));
      if (child) expected.merge(std::set<WatcherId>(std::exchange(model[{WatchKind::kChild, path}], {})));
      for (WatcherId p : model[{WatchKind::kPersistent, path}]) expected.insert(p);
      const auto out = Fire(w, type, path);
      CHECK(out.size() == expected.size());  // one event per watcher
      CHECK(Who(out) == expected);
    } else {
      w.RemoveWatcher(watcher);
      for (auto& [key, ws] : model) ws.erase(watcher);
    }
    REQUIRE(w.watch_count() == count());
  }
  std::map<std::string, std::set<WatcherId>> by_path;
  std::map<WatcherId, std::set<std::string>> by_watcher;
  for (const auto& [key, ws] : model) {
    for (WatcherId x : ws) {
      by_path[key.second].insert(x);
      by_watcher[x].insert(key.second);
    }
  }
  CHECK(w.ByPath() == by_path);
  CHECK(w.ByWatcher() == by_watcher);
  CHECK(w.path_count() == by_path.size());
  for (WatcherId x = 1; x <= 12; ++x) w.RemoveWatcher(x);
  CHECK(w.watch_count() == 0);
  CHECK(w.path_count() == 0);
}

TEST_CASE("ByWatcher and ByPath") {
  WatchManager w;
  w.Add(WatchKind::kData, "/a", 1);
  w.Add(WatchKind::kChild, "/a", 1);
  w.Add(WatchKind::kRecursive, "/b", 1);
  w.Add(WatchKind::kPersistent, "/a", 2);
  CHECK(w.ByWatcher() ==
        std::map<WatcherId, std::set<std::string>>{{1, {"/a", "/b"}}, {2, {"/a"}}});
  CHECK(w.ByPath() == std::map<std::string, std::set<WatcherId>>{{"/a", {1, 2}}, {"/b", {1}}});
  CHECK(w.path_count() == 2);
  Fire(w, EventType::kNodeDataChanged, "/a");  // fires and removes 1's data watch
  CHECK(w.ByWatcher() ==
        std::map<WatcherId, std::set<std::string>>{{1, {"/a", "/b"}}, {2, {"/a"}}});
  Fire(w, EventType::kNodeChildrenChanged, "/a");  // and the child watch
  CHECK(w.ByWatcher() == std::map<WatcherId, std::set<std::string>>{{1, {"/b"}}, {2, {"/a"}}});
}

TEST_CASE("Watches driven by DataTree events") {
  DataTree tree;
  WatchManager w;
  w.Add(WatchKind::kData, "/n", 1);  // exists watch on a missing node
  w.Add(WatchKind::kChild, "/", 2);
  w.Add(WatchKind::kRecursive, "/", 3);
  Txn t;
  t.zxid = 1;
  t.type = OpCode::kCreate;
  t.body = CreateTxn{"/n", "", false, acls::OpenUnsafe(), 0, 1};
  std::vector<TreeEvent> evs;
  tree.Apply(t, &evs);
  std::vector<Notification> out;
  for (const auto& e : evs) w.Trigger(e, &out);
  REQUIRE(out.size() == 3);
  std::map<WatcherId, EventType> got;
  for (const auto& n : out) got[n.watcher] = n.type;
  CHECK(got[1] == EventType::kNodeCreated);
  CHECK(got[2] == EventType::kNodeChildrenChanged);
  CHECK(got[3] == EventType::kNodeCreated);
  CHECK(w.watch_count() == 1);
}

}  // namespace
}  // namespace zk::server
