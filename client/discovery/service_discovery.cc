#include "client/discovery/service_discovery.h"

#include <map>
#include <mutex>
#include <utility>

#include "client/discovery/instance_json.h"
#include "client/recipes/contenders.h"
#include "client/recipes/ensure_path.h"
#include "client/retry.h"

namespace zk::discovery {

using client::Result;

namespace {

CreateMode ModeOf(ServiceType type) {
  switch (type) {
    case ServiceType::kDynamic: return CreateMode::kEphemeral;
    case ServiceType::kDynamicSequential: return CreateMode::kEphemeralSequential;
    case ServiceType::kStatic:
    case ServiceType::kPermanent: return CreateMode::kPersistent;
  }
  return CreateMode::kEphemeral;
}

}  // namespace

struct ServiceDiscovery::Shared {
  struct Registration {
    ServiceInstance instance;
    std::string path;  // the node's path (for DYNAMIC_SEQUENTIAL, with its sequence)
  };

  client::Client* client = nullptr;
  ServiceDiscoveryOptions options;
  std::mutex mu;
  std::map<std::pair<std::string, std::string>, Registration> registered;  // (name, id)
  bool closed = false;
  uint64_t listener_id = 0;
  uint64_t epoch = 0;  // bumped by Rebind: callbacks of an older client do nothing

  std::string ServicePath(const std::string& name) const {
    return recipes::JoinPath(options.base_path, name);
  }

  bool Current(const std::string& path, uint64_t e, std::string* data, CreateMode* mode) {
    std::lock_guard<std::mutex> l(mu);
    if (closed || e != epoch) return false;
    for (const auto& [key, reg] : registered) {
      if (reg.path == path) {
        if (data) *data = ToCuratorJson(reg.instance);
        if (mode) *mode = ModeOf(reg.instance.service_type);
        return true;
      }
    }
    return false;
  }

  // Keeps an exists watch on `path`; its deletion re-creates it.
  static void Watch(const std::shared_ptr<Shared>& self, const std::string& path, uint64_t e) {
    if (!self->options.watch_instances) return;
    std::weak_ptr<Shared> weak = self;
    self->client->ExistsAsync(
        path,
        [weak, path, e](const client::WatchEvent& ev) {
          auto s = weak.lock();
          if (!s || !s->Current(path, e, nullptr, nullptr)) return;
          if (ev.type == EventType::kNodeDeleted) {
            Recreate(s, path, e);
          } else if (ev.type != EventType::kNone) {
            Watch(s, path, e);  // changed (e.g. updated): keep watching
          }
        },
        [weak, path, e](Result<client::Stat> r) {
          auto s = weak.lock();
          // Deleted between the registration and the watch: the watch waits for a creation.
          if (s && r.err() == Err::kNoNode) Recreate(s, path, e);
        });
  }

  static void Recreate(const std::shared_ptr<Shared>& self, const std::string& path, uint64_t e) {
    std::string data;
    CreateMode mode;
    if (!self->Current(path, e, &data, &mode)) return;
    if (mode == CreateMode::kEphemeralSequential) return;  // its name cannot be made again
    std::weak_ptr<Shared> weak = self;
    self->client->CreateAsync(path, data, self->options.acl, mode, /*ttl_ms=*/0,
                              [weak, path, e](Result<client::CreateResult> r) {
                                auto s = weak.lock();
                                if (!s) return;
                                // Created, or created meanwhile: watch it again. A failure on a
                                // broken connection is repaired by the reconnect check.
                                if (r.ok() || r.err() == Err::kNodeExists) Watch(s, path, e);
                              });
  }
};

ServiceDiscovery::ServiceDiscovery(client::Client& client, ServiceDiscoveryOptions options)
    : shared_(std::make_shared<Shared>()) {
  shared_->client = &client;
  shared_->options = std::move(options);
  Rebind(client);
}

ServiceDiscovery::~ServiceDiscovery() { Close(); }

std::string ServiceDiscovery::ServicePath(const std::string& name) const {
  return shared_->ServicePath(name);
}

std::string ServiceDiscovery::InstancePath(const std::string& name, const std::string& id) const {
  return recipes::JoinPath(shared_->ServicePath(name), id);
}

namespace {

// Creates the instance's node (replacing one left by an earlier session): its path.
Result<std::string> CreateInstanceNode(client::Client& c, const ServiceDiscoveryOptions& options,
                                       const std::string& service_path, const std::string& path,
                                       const ServiceInstance& instance) {
  const std::string data = ToCuratorJson(instance);
  const CreateMode mode = ModeOf(instance.service_type);
  while (true) {
    auto r = c.Create(path, data, options.acl, mode);
    if (r.ok()) return r->path;
    if (r.err() == Err::kNoNode) {
      Err e = recipes::EnsurePath(c, service_path, options.acl);
      if (e != Err::kOk && !client::IsRetryable(e)) return e;
      continue;
    }
    if (r.err() == Err::kNodeExists) {
      // Left by an earlier registration (our previous session, or a lost reply): replace it.
      auto d = c.Delete(path);
      if (!d.ok() && d.err() != Err::kNoNode && !client::IsRetryable(d.err())) return d.err();
      continue;
    }
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = recipes::WaitConnectedUntil(c, std::nullopt); e != Err::kOk) return e;
  }
}

}  // namespace

Result<ServiceInstance> ServiceDiscovery::Register(const ServiceInstance& instance) {
  if (instance.name.empty() || instance.id.empty()) return Err::kBadArguments;
  client::Client* c;
  uint64_t e;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    if (shared_->closed) return Err::kInvalidState;
    c = shared_->client;
    e = shared_->epoch;
  }
  auto path = CreateInstanceNode(*c, shared_->options, ServicePath(instance.name),
                                 InstancePath(instance.name, instance.id), instance);
  if (!path.ok()) return path.err();
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    shared_->registered[{instance.name, instance.id}] = Shared::Registration{instance, *path};
  }
  Shared::Watch(shared_, *path, e);
  return instance;
}

Result<void> ServiceDiscovery::Update(const ServiceInstance& instance) {
  std::string path;
  client::Client* c;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    auto it = shared_->registered.find({instance.name, instance.id});
    if (it == shared_->registered.end() || shared_->closed) return Err::kInvalidState;
    it->second.instance = instance;
    path = it->second.path;
    c = shared_->client;
  }
  while (true) {
    auto r = c->SetData(path, ToCuratorJson(instance));
    if (r.ok() || r.err() == Err::kNoNode) return {};  // gone: re-created with the new data
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = recipes::WaitConnectedUntil(*c, std::nullopt); e != Err::kOk) return e;
  }
}

Result<void> ServiceDiscovery::Unregister(const std::string& name, const std::string& id) {
  std::string path;
  client::Client* c;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    auto it = shared_->registered.find({name, id});
    if (it == shared_->registered.end()) return Err::kInvalidState;
    path = it->second.path;
    shared_->registered.erase(it);
    c = shared_->client;
  }
  while (true) {
    auto r = c->Delete(path);
    if (r.ok() || r.err() == Err::kNoNode) return {};
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = recipes::WaitConnectedUntil(*c, std::nullopt); e != Err::kOk) return e;
  }
}

Result<void> ServiceDiscovery::Rebind(client::Client& client) {
  std::vector<ServiceInstance> again;
  uint64_t old_listener;
  client::Client* old_client;
  uint64_t e;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    if (shared_->closed) return Err::kInvalidState;
    old_client = shared_->client;
    old_listener = std::exchange(shared_->listener_id, 0);
    shared_->client = &client;
    e = ++shared_->epoch;
    for (const auto& [key, reg] : shared_->registered) again.push_back(reg.instance);
  }
  if (old_listener != 0) old_client->RemoveStateListener(old_listener);
  std::weak_ptr<Shared> weak = shared_;
  const uint64_t id = client.AddStateListener([weak, e](client::ConnectionState cs) {
    if (cs != client::ConnectionState::kReconnected) return;
    auto s = weak.lock();
    if (!s) return;
    std::vector<std::string> paths;
    {
      std::lock_guard<std::mutex> l(s->mu);
      if (s->closed || e != s->epoch) return;
      for (const auto& [key, reg] : s->registered) paths.push_back(reg.path);
    }
    // Deleted while we were away (the watch may have been lost with the connection).
    for (const auto& p : paths) {
      s->client->ExistsAsync(p, nullptr, [weak, p, e](Result<client::Stat> r) {
        auto s2 = weak.lock();
        if (s2 && r.err() == Err::kNoNode) Shared::Recreate(s2, p, e);
      });
    }
  });
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    shared_->listener_id = id;
  }
  for (const auto& inst : again) {
    if (auto r = Register(inst); !r.ok()) return r.err();
  }
  return {};
}

void ServiceDiscovery::Close() {
  std::vector<std::string> paths;
  client::Client* c;
  uint64_t listener;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    if (shared_->closed) return;
    shared_->closed = true;
    for (const auto& [key, reg] : shared_->registered) paths.push_back(reg.path);
    shared_->registered.clear();
    c = shared_->client;
    listener = std::exchange(shared_->listener_id, 0);
  }
  if (listener != 0) c->RemoveStateListener(listener);
  for (const auto& p : paths) c->Delete(p);  // best effort
}

Result<std::vector<std::string>> ServiceDiscovery::QueryForNames() {
  client::Client* c;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    c = shared_->client;
  }
  auto r = c->GetChildren(shared_->options.base_path);
  if (r.err() == Err::kNoNode) return std::vector<std::string>{};
  if (!r.ok()) return r.err();
  return std::move(r->children);
}

Result<std::vector<ServiceInstance>> ServiceDiscovery::QueryForInstances(const std::string& name) {
  client::Client* c;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    c = shared_->client;
  }
  auto children = c->GetChildren(ServicePath(name));
  if (children.err() == Err::kNoNode) return std::vector<ServiceInstance>{};
  if (!children.ok()) return children.err();
  std::vector<ServiceInstance> out;
  for (const auto& child : children->children) {
    auto data = c->GetData(recipes::JoinPath(ServicePath(name), child));
    if (data.err() == Err::kNoNode) continue;
    if (!data.ok()) return data.err();
    if (auto inst = FromCuratorJson(data->data); inst.ok()) out.push_back(std::move(*inst));
  }
  return out;
}

Result<std::optional<ServiceInstance>> ServiceDiscovery::QueryForInstance(const std::string& name,
                                                                         const std::string& id) {
  client::Client* c;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    c = shared_->client;
  }
  auto data = c->GetData(InstancePath(name, id));
  if (data.err() == Err::kNoNode) return std::optional<ServiceInstance>{};
  if (!data.ok()) return data.err();
  auto inst = FromCuratorJson(data->data);
  if (!inst.ok()) return inst.err();
  return std::optional<ServiceInstance>(std::move(*inst));
}

}  // namespace zk::discovery
