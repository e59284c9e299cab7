// zk::recipes::ChildrenCache: a local copy of the children of one znode, with their data and
// Stat, kept current by watches (Apache Curator's PathChildrenCache), on the public
// zk::client::Client API.
//
// Events (cache.h): kAdded / kUpdated / kRemoved for a child (Curator's CHILD_ADDED,
// CHILD_UPDATED, CHILD_REMOVED), kInitialized after the initial load has reported every child
// present (Curator's POST_INITIALIZED_EVENT start mode), and the connection events. The parent
// itself is not reported; it may be missing: the cache then holds no children and watches for
// its creation (it never creates it, unlike PathChildrenCache's default). Deleting the parent
// reports each child's kRemoved first. Grandchildren are not cached (use a TreeCache).
//
// Watches (one-shot): getChildren and exists on the parent; per child getData, or exists when
// the cache keeps no data (ChildrenCacheOptions::cache_data = false: nodes carry the Stat only,
// and kUpdated still reports every data change by its mzxid).
//
// Guarantees, failure model (reconnects, session expiry and Rebind), threads: see cache.h.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "client/recipes/cache.h"

namespace zk::recipes {

struct ChildrenCacheOptions {
  bool cache_data = true;  // keep each child's data (else its Stat only)
};

class ChildrenCache : public Cache {
 public:
  // REQUIRES: `client` outlives the cache (or the next Rebind); `path` is an absolute znode path
  // (else Start fails with kBadArguments).
  ChildrenCache(client::Client& client, std::string path, ChildrenCacheOptions options = {});

  // The cached children, by name: one consistent snapshot.
  std::map<std::string, CachedNode> Children() const;
  // One child by name.
  std::optional<CachedNode> Child(const std::string& name) const;
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
};

}  // namespace zk::recipes
