// zk::discovery::DubboRegistry and DubboProviderCache against the server under test: Dubbo 2.7's
// exact layout (folders, node names, ephemeral or persistent nodes), decoded URLs equal to the
// registered ones, the node created again after an external delete, an ephemeral provider gone
// with its session and the provider list following, re-registration after Rebind.
#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "client/discovery/dubbo_provider_cache.h"
#include "client/discovery/dubbo_registry.h"
#include "client/recipes/ensure_path.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;
using discovery::DubboEncode;
using discovery::DubboProviderCache;
using discovery::DubboRegistry;
using discovery::DubboRegistryOptions;
using discovery::DubboServiceSpec;
using discovery::DubboUrl;
using discovery::DubboUrlEvent;
using recipes::CacheEventType;

constexpr const char* kInterface = "org.example.Greeter";

DubboServiceSpec Spec(const std::string& host, int32_t port) {
  DubboServiceSpec spec;
  spec.interface = kInterface;
  spec.application = "greeter";
  spec.methods = "greet,ping";
  spec.host = host;
  spec.port = port;
  return spec;
}

DubboRegistryOptions Root(const std::string& root) {
  DubboRegistryOptions o;
  o.root = root;
  return o;
}

std::vector<std::string> Children(Client& c, const std::string& path) {
  auto r = c.GetChildren(path);
  if (!r.ok()) return {};
  std::vector<std::string> out = r->children;
  std::sort(out.begin(), out.end());
  return out;
}

// Records a provider cache's events; waits for the n-th event of a type.
class UrlEvents {
 public:
  discovery::DubboUrlListener Listener() {
    return [this](const DubboUrlEvent& ev) {
      std::lock_guard<std::mutex> l(mu_);
      events_.push_back(ev);
      cv_.notify_all();
    };
  }
  bool WaitCount(CacheEventType type, size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, timeout, [&] { return CountLocked(type) >= n; });
  }
  size_t Count(CacheEventType type) {
    std::lock_guard<std::mutex> l(mu_);
    return CountLocked(type);
  }
  std::vector<DubboUrlEvent> Events() {
    std::lock_guard<std::mutex> l(mu_);
    return events_;
  }

 private:
  size_t CountLocked(CacheEventType type) const {
    return static_cast<size_t>(std::count_if(
        events_.begin(), events_.end(), [&](const DubboUrlEvent& e) { return e.type == type; }));
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<DubboUrlEvent> events_;
};

// Forces the expiry of `victim`'s session: keeps it away behind the proxy and closes its session
// from another client.
void ExpireBehindProxy(Client& victim, Proxy& proxy) {
  proxy.Refuse(true);
  proxy.Cut(true);
  Options o;
  o.session_id = victim.session_id();
  o.session_password = victim.session_password();
  auto thief = Connect(Server().hosts(), o);
  thief->Close();  // the server ends the session
}

TEST_CASE("dubbo registry: a provider and a consumer at Dubbo's exact paths, decoded back") {
  const std::string root = UniquePath("dubbo");
  const std::string service = root + "/" + kInterface;
  auto c = Connect(Server().hosts());
  auto r = Connect(Server().hosts());
  DubboRegistry registry(*c, Root(root));
  const DubboUrl provider = discovery::MakeProviderUrl(Spec("10.1.2.3", 20880));
  auto registered = registry.Register(provider, 10s);
  REQUIRE(registered.ok());
  const std::string provider_name = DubboEncode(provider.ToFullString());
  CHECK(*registered == service + "/providers/" + provider_name);
  // A provider creates providers/ and (subscribing to overrides) configurators/.
  CHECK(Children(*r, root) == std::vector<std::string>{kInterface});
  CHECK(Children(*r, service) == std::vector<std::string>{"configurators", "providers"});
  CHECK(Children(*r, service + "/providers") == std::vector<std::string>{provider_name});
  auto node = r->GetData(*registered);
  REQUIRE(node.ok());
  CHECK(node->stat.ephemeral_owner == c->session_id());
  CHECK(node->data == "10.1.2.3");
  for (const std::string& folder : {root, service, service + "/providers"}) {
    auto f = r->Exists(folder);
    REQUIRE(f.ok());
    CHECK(f->ephemeral_owner == 0);
  }

  // A consumer adds consumers/ and (subscribing) routers/.
  const DubboUrl consumer = discovery::MakeConsumerUrl(Spec("10.1.2.4", 0));
  auto consumer_path = registry.Register(consumer, 10s);
  REQUIRE(consumer_path.ok());
  CHECK(*consumer_path == service + "/consumers/" + DubboEncode(consumer.ToFullString()));
  CHECK(Children(*r, service) ==
        std::vector<std::string>{"configurators", "consumers", "providers", "routers"});
  CHECK(Children(*r, service + "/configurators").empty());
  CHECK(Children(*r, service + "/routers").empty());

  // Decoded, the nodes' names are the registered URLs.
  auto providers = discovery::ListDubboUrls(*r, root, kInterface, "providers");
  REQUIRE(providers.ok());
  REQUIRE(providers->size() == 1);
  CHECK((*providers)[0] == provider);
  auto consumers = discovery::ListDubboUrls(*r, root, kInterface, "consumers");
  REQUIRE(consumers.ok());
  REQUIRE(consumers->size() == 1);
  CHECK((*consumers)[0] == consumer);
  CHECK(registry.Registered().size() == 2);
  // Registering again changes nothing.
  CHECK(registry.Register(provider, 10s).ok());
  CHECK(Children(*r, service + "/providers").size() == 1);

  // Unregister deletes the node; Close the other dynamic ones.
  REQUIRE(registry.Unregister(provider, 10s).ok());
  CHECK(Children(*r, service + "/providers").empty());
  CHECK(registry.Registered().size() == 1);
  registry.Close();
  CHECK(Children(*r, service + "/consumers").empty());
  CHECK(registry.Register(provider, 1s).err() == Err::kInvalidState);
}

TEST_CASE("dubbo registry: dynamic=false is a persistent node, left by Close; bad URLs refused") {
  const std::string root = UniquePath("dubbo-static");
  auto c = Connect(Server().hosts());
  auto r = Connect(Server().hosts());
  DubboServiceSpec spec = Spec("10.1.2.5", 20881);
  spec.dynamic = false;
  const DubboUrl url = discovery::MakeProviderUrl(spec);
  std::string path;
  {
    DubboRegistry registry(*c, Root(root));
    auto registered = registry.Register(url, 10s);
    REQUIRE(registered.ok());
    path = *registered;
    auto stat = r->Exists(path);
    REQUIRE(stat.ok());
    CHECK(stat->ephemeral_owner == 0);
    DubboUrl bad = url;
    bad.parameters["q"] = "a&b";  // Dubbo's own format cannot carry it
    CHECK(registry.Register(bad, 1s).err() == Err::kBadArguments);
    DubboUrl nameless;
    nameless.protocol = "dubbo";
    nameless.host = "h";
    CHECK(registry.Register(nameless, 1s).err() == Err::kBadArguments);
  }  // Close
  CHECK(r->Exists(path).ok());
  c->Close();
  CHECK(r->Exists(path).ok());
  // Unregister deletes it.
  auto c2 = Connect(Server().hosts());
  DubboRegistry registry(*c2, Root(root));
  REQUIRE(registry.Register(url, 10s).ok());
  REQUIRE(registry.Unregister(url, 10s).ok());
  CHECK(r->Exists(path).err() == Err::kNoNode);
}

TEST_CASE("dubbo registry: the node comes back after an external delete; the cache sees both") {
  const std::string root = UniquePath("dubbo-delete");
  auto c = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  UrlEvents events;
  DubboProviderCache cache(*w, kInterface, root);
  cache.AddListener(events.Listener());
  REQUIRE(cache.Start().ok());
  REQUIRE(*cache.AwaitInitialized(10s));
  CHECK(cache.Urls().empty());

  DubboRegistry registry(*c, Root(root));
  const DubboUrl url = discovery::MakeProviderUrl(Spec("10.1.2.6", 20882));
  auto path = registry.Register(url, 10s);
  REQUIRE(path.ok());
  REQUIRE(events.WaitCount(CacheEventType::kAdded, 1, 10s));
  REQUIRE(cache.Urls().size() == 1);
  CHECK(cache.Urls()[0] == url);

  for (int round = 1; round <= 3; ++round) {
    CAPTURE(round);
    REQUIRE(w->Delete(*path).ok());
    REQUIRE(events.WaitCount(CacheEventType::kRemoved, round, 10s));
    REQUIRE(events.WaitCount(CacheEventType::kAdded, round + 1, 10s));
    auto stat = w->Exists(*path);
    REQUIRE(stat.ok());
    CHECK(stat->ephemeral_owner == c->session_id());
    REQUIRE(cache.Urls().size() == 1);
    CHECK(cache.Urls()[0] == url);
  }
  const auto all = events.Events();
  for (const auto& ev : all) {
    if (ev.type == CacheEventType::kAdded || ev.type == CacheEventType::kRemoved) {
      REQUIRE(ev.url.has_value());
      CHECK(*ev.url == url);
      CHECK(ev.node_name == DubboEncode(url.ToFullString()));
    }
  }
  // Unregistered, it stays gone.
  REQUIRE(registry.Unregister(url, 10s).ok());
  REQUIRE(events.WaitCount(CacheEventType::kRemoved, 4, 10s));
  CHECK(cache.Urls().empty());
  CHECK(w->Exists(*path).err() == Err::kNoNode);
}

TEST_CASE("dubbo registry: a provider's session ends, the list follows; Rebind registers again") {
  const std::string root = UniquePath("dubbo-expire");
  Proxy proxy(Server().port());
  Options o;
  o.session_timeout = 4000ms;
  auto c = Connect(proxy.hosts(), o);
  auto other = Connect(Server().hosts());
  auto w = Connect(Server().hosts());
  std::unique_ptr<Client> fresh;  // the registry's next client: outlives it
  UrlEvents events;
  DubboProviderCache cache(*w, kInterface, root);
  cache.AddListener(events.Listener());
  REQUIRE(cache.Start().ok());
  REQUIRE(*cache.AwaitInitialized(10s));

  DubboRegistry registry(*c, Root(root));
  DubboRegistry stays(*other, Root(root));
  const DubboUrl url = discovery::MakeProviderUrl(Spec("10.1.2.7", 20883));
  const DubboUrl peer = discovery::MakeProviderUrl(Spec("10.1.2.8", 20883));
  auto path = registry.Register(url, 10s);
  REQUIRE(path.ok());
  REQUIRE(stays.Register(peer, 10s).ok());
  REQUIRE(events.WaitCount(CacheEventType::kAdded, 2, 10s));
  CHECK(cache.Urls().size() == 2);

  ExpireBehindProxy(*c, proxy);
  // The server removed the ephemeral node with the session: the list has only the peer.
  REQUIRE(events.WaitCount(CacheEventType::kRemoved, 1, 10s));
  REQUIRE(cache.Urls().size() == 1);
  CHECK(cache.Urls()[0] == peer);
  proxy.Refuse(false);
  // The registry learns that its session ended; a registration then says so.
  REQUIRE(Eventually([&] { return c->state() == ConnectionState::kExpired; }, 20s));
  const DubboUrl late = discovery::MakeProviderUrl(Spec("10.1.2.9", 20883));
  CHECK(registry.Register(late, 5s).err() == Err::kSessionExpired);

  // Rebind: both URLs are registered through the new session.
  fresh = Connect(Server().hosts());
  REQUIRE(registry.Rebind(*fresh).ok());
  REQUIRE(events.WaitCount(CacheEventType::kAdded, 4, 10s));
  auto stat = w->Exists(*path);
  REQUIRE(stat.ok());
  CHECK(stat->ephemeral_owner == fresh->session_id());
  auto urls = cache.Urls();
  CHECK(urls.size() == 3);
  CHECK(std::count(urls.begin(), urls.end(), url) == 1);
  CHECK(std::count(urls.begin(), urls.end(), late) == 1);
  CHECK(registry.Register(url, 10s).ok());
  // And kept there: deleted, it comes back through the new session.
  REQUIRE(w->Delete(*path).ok());
  REQUIRE(events.WaitCount(CacheEventType::kAdded, 5, 10s));
  stat = w->Exists(*path);
  REQUIRE(stat.ok());
  CHECK(stat->ephemeral_owner == fresh->session_id());
  registry.Close();
  REQUIRE(events.WaitCount(CacheEventType::kRemoved, 4, 10s));  // the deleted one, url and late
  CHECK(cache.Urls() == std::vector<DubboUrl>{peer});
}

TEST_CASE("dubbo registry: registering while disconnected, and a delete missed while away") {
  const std::string root = UniquePath("dubbo-cut");
  Proxy proxy(Server().port());
  Options o;
  o.session_timeout = 10000ms;
  auto c = Connect(proxy.hosts(), o);
  auto w = Connect(Server().hosts());
  UrlEvents events;
  DubboProviderCache cache(*w, kInterface, root);
  cache.AddListener(events.Listener());
  REQUIRE(cache.Start().ok());
  REQUIRE(*cache.AwaitInitialized(10s));
  DubboRegistry registry(*c, Root(root));
  const DubboUrl kept = discovery::MakeProviderUrl(Spec("10.1.4.1", 1));
  const DubboUrl later = discovery::MakeProviderUrl(Spec("10.1.4.2", 2));
  auto kept_path = registry.Register(kept, 10s);
  REQUIRE(kept_path.ok());
  REQUIRE(events.WaitCount(CacheEventType::kAdded, 1, 10s));

  proxy.Refuse(true);
  proxy.Cut(true);
  // Not in place while the connection is down: the call times out, the URL is kept.
  CHECK(registry.Register(later, 300ms).err() == Err::kOperationTimeout);
  REQUIRE(w->Delete(*kept_path).ok());  // the registry's watch fires only after the reconnect
  REQUIRE(events.WaitCount(CacheEventType::kRemoved, 1, 10s));
  proxy.Refuse(false);
  REQUIRE(events.WaitCount(CacheEventType::kAdded, 3, 15s));
  auto urls = cache.Urls();
  CHECK(urls.size() == 2);
  CHECK(std::count(urls.begin(), urls.end(), kept) == 1);
  CHECK(std::count(urls.begin(), urls.end(), later) == 1);
  CHECK(registry.Register(later, 10s).ok());
  auto stat = w->Exists(*kept_path);
  REQUIRE(stat.ok());
  CHECK(stat->ephemeral_owner == c->session_id());
}

TEST_CASE("dubbo registry: an ephemeral node of another session is replaced, as Dubbo does") {
  const std::string root = UniquePath("dubbo-stale");
  auto stale = Connect(Server().hosts());
  auto c = Connect(Server().hosts());
  const DubboUrl url = discovery::MakeProviderUrl(Spec("10.1.2.10", 20884));
  const std::string path = discovery::DubboUrlPath(root, url);
  // What an old session of the same process left, not yet removed by the server.
  REQUIRE(recipes::EnsurePath(*stale, path.substr(0, path.rfind('/')), OpenAclUnsafe(),
                              CreateMode::kPersistent) == Err::kOk);
  REQUIRE(stale->Create(path, "old", OpenAclUnsafe(), CreateMode::kEphemeral).ok());
  DubboRegistry registry(*c, Root(root));
  auto registered = registry.Register(url, 10s);
  REQUIRE(registered.ok());
  CHECK(*registered == path);
  auto node = c->GetData(path);
  REQUIRE(node.ok());
  CHECK(node->stat.ephemeral_owner == c->session_id());
  CHECK(node->data == "10.1.2.10");
}

TEST_CASE("dubbo provider cache: Rebind after its session expired resyncs the list") {
  const std::string root = UniquePath("dubbo-cache-expire");
  Proxy proxy(Server().port());
  Options o;
  o.session_timeout = 4000ms;
  auto c = Connect(proxy.hosts(), o);
  auto p = Connect(Server().hosts());
  std::unique_ptr<Client> fresh;  // the cache's next client: outlives it
  UrlEvents events;
  DubboProviderCache cache(*c, kInterface, root);
  cache.AddListener(events.Listener());
  REQUIRE(cache.Start().ok());
  REQUIRE(*cache.AwaitInitialized(10s));
  DubboRegistry registry(*p, Root(root));
  const DubboUrl a = discovery::MakeProviderUrl(Spec("10.1.3.1", 1));
  const DubboUrl b = discovery::MakeProviderUrl(Spec("10.1.3.2", 2));
  REQUIRE(registry.Register(a, 10s).ok());
  REQUIRE(events.WaitCount(CacheEventType::kAdded, 1, 10s));

  ExpireBehindProxy(*c, proxy);
  REQUIRE(registry.Unregister(a, 10s).ok());
  REQUIRE(registry.Register(b, 10s).ok());
  proxy.Refuse(false);
  REQUIRE(events.WaitCount(CacheEventType::kSessionEnded, 1, 20s));
  CHECK(cache.Urls() == std::vector<DubboUrl>{a});  // the last state stays readable
  fresh = Connect(Server().hosts());
  REQUIRE(cache.Rebind(*fresh).ok());
  REQUIRE(events.WaitCount(CacheEventType::kResynced, 1, 15s));
  CHECK(cache.Urls() == std::vector<DubboUrl>{b});
  CHECK(events.Count(CacheEventType::kRemoved) == 1);
  CHECK(events.Count(CacheEventType::kAdded) == 2);
}

}  // namespace
}  // namespace zk::client::test
