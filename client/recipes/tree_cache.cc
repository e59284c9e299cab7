#include "client/recipes/tree_cache.h"

#include <utility>

#include "client/recipes/cache_engine.h"

namespace zk::recipes {

namespace {

detail::CacheEngineOptions TreeOptions(const std::string& path, const TreeCacheOptions& options) {
  detail::CacheEngineOptions o;
  o.root = path;
  o.max_depth = options.max_depth;
  o.report_root = true;
  o.cache_data = options.cache_data;
  o.mode = options.persistent_watch ? detail::CacheWatchMode::kAuto
                                    : detail::CacheWatchMode::kOneShot;
  return o;
}

}  // namespace

TreeCache::TreeCache(client::Client& client, std::string path, TreeCacheOptions options)
    : Cache(client, TreeOptions(path, options)), path_(std::move(path)) {}

std::map<std::string, CachedNode> TreeCache::Snapshot() const { return Nodes(); }

std::map<std::string, CachedNode> TreeCache::Children(const std::string& path) const {
  return ChildrenOf(path);
}

}  // namespace zk::recipes
