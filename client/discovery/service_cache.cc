#include "client/discovery/service_cache.h"

#include <utility>

#include "client/discovery/instance_json.h"
#include "client/recipes/tree_cache.h"
#include "client/recipes/contenders.h"

namespace zk::discovery {

using client::Result;

ServiceCache::ServiceCache(client::Client& client, const std::string& base_path, std::string name)
    : name_(std::move(name)),
      path_(recipes::JoinPath(base_path, name_)),
      cache_(std::make_unique<recipes::TreeCache>(client, path_,
                                                  recipes::TreeCacheOptions{.max_depth = 1})) {}

ServiceCache::~ServiceCache() { Close(); }

Result<void> ServiceCache::Start() { return cache_->Start(); }

Result<bool> ServiceCache::AwaitInitialized(std::chrono::milliseconds timeout) {
  return cache_->AwaitInitialized(timeout);
}

Result<void> ServiceCache::Rebind(client::Client& client) { return cache_->Rebind(client); }

void ServiceCache::Close() { cache_->Close(); }

std::vector<ServiceInstance> ServiceCache::Instances() const {
  std::vector<ServiceInstance> out;
  for (const auto& [child, node] : cache_->Children(path_)) {
    if (auto inst = FromCuratorJson(node.data); inst.ok()) out.push_back(std::move(*inst));
  }
  return out;
}

std::optional<ServiceInstance> ServiceCache::Instance(const std::string& id) const {
  auto node = cache_->Get(recipes::JoinPath(path_, id));
  if (!node) return std::nullopt;
  auto inst = FromCuratorJson(node->data);
  if (!inst.ok()) return std::nullopt;
  return std::move(*inst);
}

uint64_t ServiceCache::AddListener(std::function<void(bool session_ended)> listener) {
  return cache_->AddListener([listener = std::move(listener),
                              root = path_](const recipes::CacheEvent& ev) {
    switch (ev.type) {
      case recipes::CacheEventType::kAdded:
      case recipes::CacheEventType::kUpdated:
      case recipes::CacheEventType::kRemoved:
        if (ev.node.path != root) listener(false);  // the service's node itself is no instance
        break;
      case recipes::CacheEventType::kSessionEnded: listener(true); break;
      default: break;
    }
  });
}

void ServiceCache::RemoveListener(uint64_t id) { cache_->RemoveListener(id); }

}  // namespace zk::discovery
