// zk::discovery::ServiceDiscovery: registers this process's service instances and queries the
// registry, in Apache Curator's curator-x-discovery layout, so C++ services and Java services
// using Curator's ServiceDiscovery (or Dubbo 3's application-level discovery on it) see each
// other.
//
// Layout: "<base path>/<service name>/<instance id>", the node's data the instance as Curator's
// JsonInstanceSerializer writes it (instance_json.h). DYNAMIC instances are ephemeral nodes (they
// go with the registering session), DYNAMIC_SEQUENTIAL ephemeral-sequential, STATIC and PERMANENT
// persistent; parents are created as containers, as Curator does.
//
// Guarantees and failure model:
// * A registered instance stays registered while this object lives and its client's session
//   does: if someone deletes the node, it is created again (a watch on each node; Curator's
//   watchInstances), and after every reconnect each node is checked and re-created if missing.
//   A node found existing at registration (left by an earlier session of this process) is
//   replaced, as Curator does.
// * Session expiry: a zk::client::Client never gets a new session, so the ephemeral nodes are
//   gone with it; create a new Client and call Rebind(it): every registered instance is
//   registered again through it (the recipes' caches follow the same model).
// * Close (and the destructor) unregisters every instance still registered (best effort).
//
// Threads: Register, Update, Unregister, Rebind, Close and the queries block the calling thread
// (never from a client callback). Thread-safe. The re-creation after a deletion runs on the
// client's io thread (asynchronous requests only).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/discovery/service_instance.h"
#include "client/zk_client.h"

namespace zk::discovery {

struct ServiceDiscoveryOptions {
  std::string base_path = "/services";
  std::vector<client::Acl> acl = client::OpenAclUnsafe();
  // Re-create an instance's node when someone deletes it.
  bool watch_instances = true;
};

class ServiceDiscovery {
 public:
  // REQUIRES: `client` outlives this object (or the next Rebind).
  explicit ServiceDiscovery(client::Client& client, ServiceDiscoveryOptions options = {});
  ~ServiceDiscovery();
  ServiceDiscovery(const ServiceDiscovery&) = delete;
  ServiceDiscovery& operator=(const ServiceDiscovery&) = delete;

  // Registers (or replaces) the instance. For DYNAMIC_SEQUENTIAL the id becomes the created
  // node's name; the instance as registered is returned.
  client::Result<ServiceInstance> Register(const ServiceInstance& instance);
  // Writes the instance's new data (it must be registered through this object).
  client::Result<void> Update(const ServiceInstance& instance);
  // Deletes the instance's node; kNoNode-tolerant. kInvalidState if not registered here.
  client::Result<void> Unregister(const std::string& name, const std::string& id);
  // Registers everything again through `client` (after the old session ended).
  client::Result<void> Rebind(client::Client& client);
  // Unregisters every instance registered through this object. Idempotent.
  void Close();

  // The registered service names.
  client::Result<std::vector<std::string>> QueryForNames();
  // The instances of a service (nodes whose data is not an instance are skipped).
  client::Result<std::vector<ServiceInstance>> QueryForInstances(const std::string& name);
  client::Result<std::optional<ServiceInstance>> QueryForInstance(const std::string& name,
                                                                  const std::string& id);

  std::string ServicePath(const std::string& name) const;
  std::string InstancePath(const std::string& name, const std::string& id) const;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace zk::discovery
