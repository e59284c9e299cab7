// WatchManager: who watches what, and who must hear about a tree change. One-shot data/exists
// and child watches, persistent and persistent-recursive watches (addWatch), with ZooKeeper's
// trigger rules: NodeCreated and NodeDataChanged reach data watches; NodeDeleted reaches data and
// child watches; NodeChildrenChanged reaches child watches; persistent watches see all four at
// their path; recursive watches see everything at or below their path except
// NodeChildrenChanged. A watcher hears one event per change at most. Single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "client/proto/wire_constants.h"
#include "server/data_tree.h"
#include "server/watcher_set.h"

namespace zk::server {

enum class WatchKind : uint8_t { kData = 0, kChild = 1, kPersistent = 2, kRecursive = 3 };

struct Notification {
  WatcherId watcher;
  EventType type;
  std::string path;
};

class WatchManager {
 public:
  void Add(WatchKind kind, const std::string& path, WatcherId watcher);

  // Appends the notifications `event` causes; one-shot watches it fires are removed.
  void Trigger(const TreeEvent& event, std::vector<Notification>* out);

  // removeWatches/checkWatches with a ZooKeeper WatcherType. Returns whether any watch matched.
  bool Remove(const std::string& path, WatcherType type, WatcherId watcher);
  bool Has(const std::string& path, WatcherType type, WatcherId watcher) const;

  // Drops every watch of a watcher (its connection closed or its session ended).
  void RemoveWatcher(WatcherId watcher);

  size_t watch_count() const { return total_; }
  size_t path_count() const;
  size_t watcher_count() const { return by_watcher_.size(); }
  // watcher -> paths, and path -> watchers, for the wchc/wchp four-letter words.
  std::map<WatcherId, std::set<std::string>> ByWatcher() const;
  std::map<std::string, std::set<WatcherId>> ByPath() const;

 private:
  // path -> its watchers, per kind. Nodes (not flat slots), so that a path's key keeps its
  // address while it is watched: a watcher's entries point at it.
  using PathMap = absl::node_hash_map<std::string, WatcherSet>;
  // One watch of a watcher: the address of its path's key in MapOf(kind), with the kind in the
  // low bits (keys are 8-byte aligned). 8 bytes a watch instead of a tree node holding a copy of
  // the path.
  using WatchRef = uintptr_t;
  static WatchRef RefOf(WatchKind kind, const std::string& key);
  static WatchKind KindOf(WatchRef ref) { return static_cast<WatchKind>(ref & 3); }
  static const std::string& PathOf(WatchRef ref) {
    return *reinterpret_cast<const std::string*>(ref & ~static_cast<WatchRef>(3));
  }
  PathMap& MapOf(WatchKind kind) { return maps_[static_cast<int>(kind)]; }
  const PathMap& MapOf(WatchKind kind) const { return maps_[static_cast<int>(kind)]; }
  bool RemoveOne(WatchKind kind, const std::string& path, WatcherId watcher);
  // Removes one watch from its watcher's index (the path's watcher set is the caller's).
  void DropRef(WatcherId watcher, WatchRef ref);
  bool HasOne(WatchKind kind, const std::string& path, WatcherId watcher) const;
  void Fire(WatchKind kind, const std::string& path, bool one_shot, EventType type,
            const std::string& event_path, absl::flat_hash_set<WatcherId>* seen,
            std::vector<Notification>* out);

  PathMap maps_[4];
  absl::flat_hash_map<WatcherId, absl::flat_hash_set<WatchRef>> by_watcher_;
  size_t total_ = 0;
};

}  // namespace zk::server
