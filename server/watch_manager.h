// WatchManager: who watches what, and who must hear about a tree change. One-shot data/exists
// and child watches, persistent and persistent-recursive watches (addWatch), with ZooKeeper's
// trigger rules: NodeCreated and NodeDataChanged reach data watches; NodeDeleted reaches data and
// child watches; NodeChildrenChanged reaches child watches; persistent watches see all four at
// their path; recursive watches see everything at or below their path except
// NodeChildrenChanged. A watcher hears one event per change at most. Single-threaded.
// Memory, for a million watches over 100,000 paths: each watched path is one allocation (its
// watchers and its bytes) named by a 4-byte id; a watch costs its 8-byte id in the path's
// WatcherSet and the path's 4-byte id in its watcher's set.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
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
  WatchManager();
  ~WatchManager();
  // The indexes' hashers point at paths_: neither copied nor moved.
  WatchManager(const WatchManager&) = delete;
  WatchManager& operator=(const WatchManager&) = delete;

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
  // One watched path of one kind: its watchers, its kind and the path's bytes, in one
  // allocation (watch_manager.cc). Named by a PathId, its slot in paths_.
  struct WatchedPath;
  using PathId = uint32_t;
  // Hash and equality of PathIds by their paths, so a kind's index holds 4-byte ids and is
  // searched with a std::string_view.
  struct PathIdHash {
    using is_transparent = void;
    const std::vector<WatchedPath*>* paths;
    size_t operator()(std::string_view path) const;
    size_t operator()(PathId id) const;
  };
  struct PathIdEq {
    using is_transparent = void;
    const std::vector<WatchedPath*>* paths;
    bool operator()(PathId a, PathId b) const { return a == b; }
    bool operator()(PathId a, std::string_view b) const;
    bool operator()(std::string_view a, PathId b) const { return (*this)(b, a); }
  };
  using PathIndex = absl::flat_hash_set<PathId, PathIdHash, PathIdEq>;

  PathIndex& IndexOf(WatchKind kind) { return index_[static_cast<int>(kind)]; }
  const PathIndex& IndexOf(WatchKind kind) const { return index_[static_cast<int>(kind)]; }
  // A new entry for `path` (no watchers yet), in a free slot of paths_, and in its kind's index.
  PathId NewPath(WatchKind kind, std::string_view path);
  // Removes an entry (its watchers must be gone) from its index and frees its slot.
  void FreePath(PathId id);
  std::string_view PathOf(PathId id) const;
  bool RemoveOne(WatchKind kind, const std::string& path, WatcherId watcher);
  // Removes one watch from its watcher's index (the path's watcher set is the caller's).
  void DropRef(WatcherId watcher, PathId id);
  bool HasOne(WatchKind kind, const std::string& path, WatcherId watcher) const;
  void Fire(WatchKind kind, const std::string& path, bool one_shot, EventType type,
            const std::string& event_path, absl::flat_hash_set<WatcherId>* seen,
            std::vector<Notification>* out);

  // Every watched path by id; null marks a free id (in free_ids_). Never shrinks: 8 bytes per
  // path at the peak.
  std::vector<WatchedPath*> paths_;
  std::vector<PathId> free_ids_;
  // path -> its id, per kind (the hashers read paths_).
  PathIndex index_[4];
  // watcher -> the ids of the paths it watches: 4 bytes a watch.
  absl::flat_hash_map<WatcherId, absl::flat_hash_set<PathId>> by_watcher_;
  size_t total_ = 0;
};

}  // namespace zk::server
