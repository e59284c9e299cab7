// zk::recipes::NodeCache: a local copy of one znode's data and Stat, kept current by watches
// (Apache Curator's NodeCache), on the public zk::client::Client API.
//
// The node may not exist: the cache then holds nothing and watches for its creation (an exists
// watch). Events: kAdded when it is created (Curator: nodeChanged on create), kUpdated when its
// data changes, kRemoved when it is deleted; a node deleted and created again between two reads
// is kRemoved then kAdded. The initial load reports the node (kAdded, if it exists), then
// kInitialized.
//
// Guarantees, failure model (reconnects, session expiry and Rebind), threads: see cache.h.
// Watches: one getData watch while the node exists, one exists watch while it does not.
#pragma once

#include <optional>
#include <string>

#include "client/recipes/cache.h"

namespace zk::recipes {

class NodeCache : public Cache {
 public:
  // REQUIRES: `client` outlives the cache (or the next Rebind); `path` is an absolute znode path
  // (else Start fails with kBadArguments).
  NodeCache(client::Client& client, std::string path);

  // The node as cached now, or nullopt while it does not exist (or is not loaded yet).
  std::optional<CachedNode> Current() const;
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
};

}  // namespace zk::recipes
