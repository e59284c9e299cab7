// zk::discovery::ServiceCache: the instances of one service, kept current by watches (Apache
// Curator's ServiceCache), for picking a provider per call without a round trip.
//
// Built on zk::recipes::TreeCache of "<base path>/<service name>" down to its children: the
// initial load, then one persistent recursive watch where the server has addWatch (ZooKeeper
// 3.6+, zabkeeper), one-shot watches otherwise; nodes whose data is not an instance
// (instance_json.h) are left out.
//
// Guarantees and failure model: those of the recipes' caches (client/recipes/cache.h) — no change
// missed or duplicated, a resync after every reconnect; after the client's session ends the
// cache keeps its last instances and Rebind(new client) brings it up to date. An instance whose
// provider died stays in the cache until the provider's session expires on the servers (its
// ephemeral node is deleted then) and the deletion reaches the cache: up to the provider's
// session timeout plus a round trip. Callers should report failing instances to a down-instance
// policy (load_balancer.h, down_instance_policy.h) to stop picking them sooner.
//
// Threads: listeners run on the cache's event thread, one at a time; Instances() and Instance()
// are thread-safe snapshots.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/discovery/service_instance.h"
#include "client/zk_client.h"

namespace zk::recipes {
class TreeCache;
}

namespace zk::discovery {

class ServiceCache {
 public:
  // REQUIRES: `client` outlives the cache (or the next Rebind).
  ServiceCache(client::Client& client, const std::string& base_path, std::string name);
  ~ServiceCache();
  ServiceCache(const ServiceCache&) = delete;
  ServiceCache& operator=(const ServiceCache&) = delete;

  client::Result<void> Start();
  client::Result<bool> AwaitInitialized(std::chrono::milliseconds timeout);
  client::Result<void> Rebind(client::Client& client);
  void Close();

  // Every cached instance (enabled or not), ordered by id.
  std::vector<ServiceInstance> Instances() const;
  std::optional<ServiceInstance> Instance(const std::string& id) const;
  const std::string& name() const { return name_; }

  // Called after each change of the instances (Curator's cacheChanged), and with
  // `session_ended` true when the client's session ended (Rebind to resume).
  uint64_t AddListener(std::function<void(bool session_ended)> listener);
  void RemoveListener(uint64_t id);

 private:
  const std::string name_;
  const std::string path_;
  std::unique_ptr<recipes::TreeCache> cache_;
};

}  // namespace zk::discovery
