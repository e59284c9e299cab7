// zk::recipes::TreeCache: a local copy of a whole subtree — every node's data and Stat — kept
// current by watches (Apache Curator's CuratorCache / TreeCache), on the public
// zk::client::Client API.
//
// Events (cache.h): kAdded / kUpdated / kRemoved for any node of the subtree, the root included
// (Curator's NODE_ADDED, NODE_UPDATED, NODE_REMOVED), kInitialized after the initial load has
// reported every node present (parents before their children), and the connection events. A
// removed subtree is reported deepest nodes first. The root may be missing: the cache then holds
// nothing and waits for it.
//
// Watches: where the server has addWatch (ZooKeeper 3.6+, zabkeeper), one persistent recursive
// watch on the root (as CuratorCache does); each of its events makes the cache re-read the node
// it names. Where it has not (the server answers kUnimplemented), or with
// TreeCacheOptions::persistent_watch = false, one-shot getData (or exists) and getChildren
// watches on every node, as Curator's TreeCache does. ZooKeeper does not replay a persistent
// watch's events after a reconnect: the resync after every reconnect (cache.h) re-reads the
// subtree, so nothing is missed either way.
//
// Guarantees, failure model (reconnects, session expiry and Rebind), threads: see cache.h.
#pragma once

#include <climits>
#include <map>
#include <string>

#include "client/recipes/cache.h"

namespace zk::recipes {

struct TreeCacheOptions {
  bool cache_data = true;        // keep every node's data (else its Stat only)
  int max_depth = INT_MAX;       // levels below the root that are cached (0: the root only)
  bool persistent_watch = true;  // try the persistent recursive watch (else one-shot watches)
};

class TreeCache : public Cache {
 public:
  // REQUIRES: `client` outlives the cache (or the next Rebind); `path` is an absolute znode path
  // (else Start fails with kBadArguments).
  TreeCache(client::Client& client, std::string path, TreeCacheOptions options = {});

  // Every cached node, by path: one consistent snapshot.
  std::map<std::string, CachedNode> Snapshot() const;
  // The cached children of `path`, by name.
  std::map<std::string, CachedNode> Children(const std::string& path) const;
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
};

}  // namespace zk::recipes
