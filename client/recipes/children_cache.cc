#include "client/recipes/children_cache.h"

#include <utility>

#include "client/recipes/cache_engine.h"
#include "client/recipes/contenders.h"

namespace zk::recipes {

namespace {

detail::CacheEngineOptions ChildrenOptions(const std::string& path,
                                           const ChildrenCacheOptions& options) {
  detail::CacheEngineOptions o;
  o.root = path;
  o.max_depth = 1;
  o.report_root = false;
  o.cache_data = options.cache_data;
  o.mode = detail::CacheWatchMode::kOneShot;
  return o;
}

}  // namespace

ChildrenCache::ChildrenCache(client::Client& client, std::string path,
                             ChildrenCacheOptions options)
    : Cache(client, ChildrenOptions(path, options)), path_(std::move(path)) {}

std::map<std::string, CachedNode> ChildrenCache::Children() const { return ChildrenOf(path_); }

std::optional<CachedNode> ChildrenCache::Child(const std::string& name) const {
  return Get(JoinPath(path_, name));
}

}  // namespace zk::recipes
