#include "client/discovery/dubbo_provider_cache.h"

#include "client/discovery/dubbo_registry.h"
#include "client/recipes/children_cache.h"

namespace zk::discovery {

namespace {

std::string_view NameOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string_view(path)
                                    : std::string_view(path).substr(slash + 1);
}

}  // namespace

DubboProviderCache::DubboProviderCache(client::Client& client, std::string_view interface,
                                       std::string_view root, std::string_view category)
    : path_(DubboCategoryPath(root, interface, category)),
      cache_(std::make_unique<recipes::ChildrenCache>(
          client, path_, recipes::ChildrenCacheOptions{.cache_data = false})) {}

DubboProviderCache::~DubboProviderCache() { Close(); }

client::Result<void> DubboProviderCache::Start() { return cache_->Start(); }

client::Result<bool> DubboProviderCache::AwaitInitialized(std::chrono::milliseconds timeout) {
  return cache_->AwaitInitialized(timeout);
}

client::Result<void> DubboProviderCache::Rebind(client::Client& client) {
  return cache_->Rebind(client);
}

void DubboProviderCache::Close() { cache_->Close(); }

uint64_t DubboProviderCache::AddListener(DubboUrlListener listener) {
  return cache_->AddListener([listener = std::move(listener)](const recipes::CacheEvent& ev) {
    DubboUrlEvent out;
    out.type = ev.type;
    switch (ev.type) {
      case recipes::CacheEventType::kUpdated:
        return;  // the data of a URL node means nothing
      case recipes::CacheEventType::kAdded:
      case recipes::CacheEventType::kRemoved: {
        out.node_name = std::string(NameOf(ev.node.path));
        out.url = DecodeDubboNodeName(out.node_name);
        if (!out.url) return;
        break;
      }
      default:
        break;
    }
    listener(out);
  });
}

void DubboProviderCache::RemoveListener(uint64_t id) { cache_->RemoveListener(id); }

std::vector<DubboUrl> DubboProviderCache::Urls() const {
  std::vector<DubboUrl> out;
  for (const auto& [name, node] : cache_->Children()) {
    if (auto url = DecodeDubboNodeName(name)) out.push_back(std::move(*url));
  }
  return out;
}

}  // namespace zk::discovery
