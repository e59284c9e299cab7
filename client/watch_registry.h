// WatchRegistry: the watchers a client session holds, keyed by server path (internal header).
//
// Five tables, as ZooKeeper's client keeps them: one-shot data, exist and child watchers, and
// persistent and persistent-recursive listeners. Trigger() applies ZooKeeper's delivery rules to
// a notification: one-shot watchers are removed when they fire; persistent ones stay; a recursive
// listener on a node or any of its ancestors receives created/deleted/data-changed events of the
// node but never children-changed ones.
//
// Thread-safety: none; the client touches it on its io thread only. Watchers are held through
// shared_ptr so that a persistent listener can be invoked while the registry changes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/proto/records.h"
#include "client/zk_client.h"

namespace zk::client {

enum class WatchKind { kNone, kData, kExist, kChild, kPersistent, kPersistentRecursive };

using WatcherPtr = std::shared_ptr<Watcher>;

class WatchRegistry {
 public:
  // REQUIRES: kind != kNone.
  void Add(WatchKind kind, const std::string& path, Watcher watcher);

  // The watchers a notification of `type` at `path` reaches; one-shot ones are removed.
  std::vector<WatcherPtr> Trigger(EventType type, const std::string& path);

  // Whether some watcher of `type` (WatcherType semantics: kData covers data and exist watchers,
  // kAny covers all five tables) is registered at exactly `path`.
  bool Has(const std::string& path, WatcherType type) const;

  // Removes the watchers of `type` at `path`; each comes with the event type that tells it so
  // (kDataWatchRemoved, kChildWatchRemoved or kPersistentWatchRemoved).
  std::vector<std::pair<EventType, WatcherPtr>> Remove(const std::string& path, WatcherType type);

  // Removes and returns every watcher; `persistent_only` leaves the one-shot ones registered.
  std::vector<WatcherPtr> TakeAll(bool persistent_only = false);

  bool empty() const;
  bool has_persistent() const { return !persistent_.empty() || !recursive_.empty(); }

  // The setWatches lists of every registered path (the persistent ones only in v2 requests).
  // Calls `add(list, path)` once per (table, path), where `list` points into a SetWatchesRequest.
  void ForEachPath(
      const std::function<void(std::vector<std::string> proto::SetWatchesRequest::*,
                               const std::string&)>& add) const;

 private:
  using Table = std::map<std::string, std::vector<WatcherPtr>>;
  Table* TableOf(WatchKind kind);

  Table data_;
  Table exist_;
  Table child_;
  Table persistent_;
  Table recursive_;
};

}  // namespace zk::client
