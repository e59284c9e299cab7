#include "client/recipes/node_cache.h"

#include <utility>

#include "client/recipes/cache_engine.h"

namespace zk::recipes {

namespace {

detail::CacheEngineOptions NodeOptions(const std::string& path) {
  detail::CacheEngineOptions o;
  o.root = path;
  o.max_depth = 0;
  o.report_root = true;
  o.cache_data = true;
  o.mode = detail::CacheWatchMode::kOneShot;
  return o;
}

}  // namespace

NodeCache::NodeCache(client::Client& client, std::string path)
    : Cache(client, NodeOptions(path)), path_(std::move(path)) {}

std::optional<CachedNode> NodeCache::Current() const { return Get(path_); }

}  // namespace zk::recipes
