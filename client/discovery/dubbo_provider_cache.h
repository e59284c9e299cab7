// zk::discovery::DubboProviderCache: the URLs registered under one category folder of a Dubbo 2.7
// interface (dubbo_registry.h's layout; "providers" by default), decoded, and kept current by a
// watch-driven zk::recipes::ChildrenCache (children_cache.h) — what Dubbo's consumer-side
// RegistryDirectory holds for an interface.
//
// A child counts when its name is an encoded URL (it contains "%3A%2F%2F", encoded "://", as
// Dubbo filters them) that decodes and parses; other children are ignored. The nodes' data is not
// read (Dubbo ignores it). Listeners get kAdded / kRemoved with the decoded URL when such a child
// comes or goes, and the cache's other events (kInitialized, kSuspended, kReconnected, kResynced,
// kSessionEnded) without one; a data change of a URL node is not an event.
//
// Guarantees, failure model (reconnects; session expiry: kSessionEnded, then Rebind(new client)
// re-reads and reports the differences) and threads: those of the ChildrenCache (cache.h). The
// folder may be missing: the cache is then empty and waits for its creation.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/discovery/dubbo_url.h"
#include "client/recipes/cache.h"
#include "client/zk_client.h"

namespace zk::recipes {
class ChildrenCache;
}

namespace zk::discovery {

struct DubboUrlEvent {
  recipes::CacheEventType type = recipes::CacheEventType::kInitialized;
  std::string node_name;        // kAdded, kRemoved: the child's (encoded) name
  std::optional<DubboUrl> url;  // kAdded, kRemoved: the decoded URL
};
using DubboUrlListener = std::function<void(const DubboUrlEvent&)>;

class DubboProviderCache {
 public:
  // `root` as DubboRegistryOptions::root. REQUIRES: `client` outlives the cache (or the next
  // Rebind).
  DubboProviderCache(client::Client& client, std::string_view interface,
                     std::string_view root = "/dubbo", std::string_view category = "providers");
  ~DubboProviderCache();  // Close()
  DubboProviderCache(const DubboProviderCache&) = delete;
  DubboProviderCache& operator=(const DubboProviderCache&) = delete;

  // As the Cache's (cache.h).
  client::Result<void> Start();
  client::Result<bool> AwaitInitialized(std::chrono::milliseconds timeout);
  client::Result<void> Rebind(client::Client& client);
  void Close();
  // Add listeners before Start to see the initial load.
  uint64_t AddListener(DubboUrlListener listener);
  void RemoveListener(uint64_t id);

  // The decoded URLs, ordered by node name.
  std::vector<DubboUrl> Urls() const;
  // The folder watched: <root>/<encoded interface>/<category>.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<recipes::ChildrenCache> cache_;
};

}  // namespace zk::discovery
