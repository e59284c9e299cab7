// zk::discovery::ServiceDiscovery and ServiceCache against the server under test: registration
// in Curator's layout (ephemeral node, Curator's JSON), queries, update and unregister; the node
// re-created after someone deletes it; re-registration through a new client after the session
// ended; a cache that follows instances coming and going, including a provider whose session
// ends.
#include <doctest/doctest.h>

#include <atomic>

#include "client/discovery/instance_json.h"
#include "client/discovery/registrar.h"
#include "client/discovery/service_cache.h"
#include "client/discovery/service_discovery.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;
using discovery::ServiceCache;
using discovery::ServiceDiscovery;
using discovery::ServiceDiscoveryOptions;
using discovery::ServiceInstance;

ServiceInstance MakeInstance(const std::string& name, const std::string& id, int port) {
  ServiceInstance in;
  in.name = name;
  in.id = id;
  in.address = "127.0.0.1";
  in.port = port;
  in.registration_time_utc = 1700000000000 + port;
  in.payload_json = R"({"weight":3})";
  return in;
}

bool Exists(Client& c, const std::string& path) { return c.Exists(path).ok(); }

TEST_CASE("discovery: register, query, update, unregister in Curator's layout") {
  const std::string base = UniquePath("discovery") + "/services";
  auto c = Connect(Server().hosts());
  ServiceDiscoveryOptions opts;
  opts.base_path = base;
  ServiceDiscovery sd(*c, opts);
  auto a = MakeInstance("orders", "a", 9001);
  auto b = MakeInstance("orders", "b", 9002);
  REQUIRE(sd.Register(a).ok());
  REQUIRE(sd.Register(b).ok());
  REQUIRE(sd.Register(MakeInstance("billing", "x", 9100)).ok());

  auto raw = c->GetData(base + "/orders/a");
  REQUIRE(raw.ok());
  CHECK(raw->data == discovery::ToCuratorJson(a));
  CHECK(raw->stat.ephemeral_owner == c->session_id());  // DYNAMIC: ephemeral
  auto parent = c->GetData(base + "/orders");
  REQUIRE(parent.ok());

  auto names = sd.QueryForNames();
  REQUIRE(names.ok());
  std::sort(names->begin(), names->end());
  CHECK(*names == std::vector<std::string>{"billing", "orders"});
  auto all = sd.QueryForInstances("orders");
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  auto one = sd.QueryForInstance("orders", "b");
  REQUIRE(one.ok());
  REQUIRE(one->has_value());
  CHECK(**one == b);
  CHECK(sd.QueryForInstance("orders", "nope")->has_value() == false);

  b.enabled = false;
  REQUIRE(sd.Update(b).ok());
  CHECK(sd.QueryForInstance("orders", "b")->value().enabled == false);
  REQUIRE(sd.Unregister("orders", "b").ok());
  CHECK_FALSE(Exists(*c, base + "/orders/b"));
  CHECK(sd.Unregister("orders", "b").err() == Err::kInvalidState);
  sd.Close();
  CHECK_FALSE(Exists(*c, base + "/orders/a"));
  CHECK_FALSE(Exists(*c, base + "/billing/x"));
}

TEST_CASE("discovery: an instance deleted by someone else comes back; Rebind after expiry") {
  const std::string base = UniquePath("discovery-heal") + "/services";
  auto observer = Connect(Server().hosts());
  Proxy proxy(Server().port());
  auto c = Connect(proxy.hosts());
  ServiceDiscoveryOptions opts;
  opts.base_path = base;
  ServiceDiscovery sd(*c, opts);
  auto inst = MakeInstance("api", "p1", 7000);
  REQUIRE(sd.Register(inst).ok());
  const std::string path = base + "/api/p1";
  REQUIRE(observer->Delete(path).ok());
  CHECK(Eventually([&] { return Exists(*observer, path); }, 10s));
  REQUIRE(observer->Delete(path).ok());  // again: the watch was re-armed
  CHECK(Eventually([&] { return Exists(*observer, path); }, 10s));

  // The session ends: the node goes; through a new client it is registered again.
  proxy.Refuse(true);
  proxy.Cut(true);
  Options o;
  o.session_id = c->session_id();
  o.session_password = c->session_password();
  auto thief = Connect(Server().hosts(), o);
  thief->Close();
  CHECK(Eventually([&] { return !Exists(*observer, path); }, 10s));
  auto fresh = Connect(Server().hosts());
  REQUIRE(sd.Rebind(*fresh).ok());
  auto data = observer->GetData(path);
  REQUIRE(data.ok());
  CHECK(data->stat.ephemeral_owner == fresh->session_id());
  CHECK(*discovery::FromCuratorJson(data->data) == inst);
  proxy.Refuse(false);
  sd.Close();
  CHECK_FALSE(Exists(*observer, path));
}

TEST_CASE("discovery: a registrar's registration comes back by itself after its session expired") {
  const std::string base = UniquePath("discovery-registrar") + "/services";
  auto observer = Connect(Server().hosts());
  Proxy proxy(Server().port());
  Options o;
  o.connect_string = proxy.hosts();
  o.session_timeout = 1500ms;
  ServiceDiscoveryOptions opts;
  opts.base_path = base;
  auto started = discovery::Registrar::Start(o, opts);
  REQUIRE(started.ok());
  auto registrar = std::move(started).value();
  auto inst = MakeInstance("api", "r1", 7100);
  REQUIRE(registrar->Register(inst).ok());
  const std::string path = base + "/api/r1";
  const int64_t first_session = registrar->session_id();
  CHECK(observer->GetData(path)->stat.ephemeral_owner == first_session);
  // Cut off past the session timeout: the servers expire the session and delete the node.
  proxy.Refuse(true);
  proxy.Cut(true);
  CHECK(Eventually([&] { return !Exists(*observer, path); }, 20s));
  proxy.Refuse(false);
  // Back on a new session, without anyone calling anything.
  CHECK(Eventually([&] { return registrar->sessions() == 2; }, 20s));
  CHECK(Eventually([&] { return Exists(*observer, path); }, 10s));
  auto data = observer->GetData(path);
  REQUIRE(data.ok());
  CHECK(data->stat.ephemeral_owner == registrar->session_id());
  CHECK(registrar->session_id() != first_session);
  CHECK(*discovery::FromCuratorJson(data->data) == inst);
  registrar->Close();
  CHECK_FALSE(Exists(*observer, path));
}

TEST_CASE("discovery: a service cache follows providers coming, changing and going") {
  const std::string base = UniquePath("discovery-cache") + "/services";
  auto consumer = Connect(Server().hosts());
  auto p1 = Connect(Server().hosts());
  auto p2 = Connect(Server().hosts());
  ServiceDiscoveryOptions opts;
  opts.base_path = base;
  ServiceDiscovery r1(*p1, opts), r2(*p2, opts);
  REQUIRE(r1.Register(MakeInstance("search", "one", 1)).ok());

  ServiceCache cache(*consumer, base, "search");
  std::atomic<int> changes{0};
  cache.AddListener([&](bool ended) {
    if (!ended) ++changes;
  });
  REQUIRE(cache.Start().ok());
  REQUIRE(*cache.AwaitInitialized(10s));
  REQUIRE(cache.Instances().size() == 1);
  CHECK(cache.Instance("one")->port == 1);

  REQUIRE(r2.Register(MakeInstance("search", "two", 2)).ok());
  CHECK(Eventually([&] { return cache.Instances().size() == 2; }, 10s));
  auto two = MakeInstance("search", "two", 2);
  two.payload_json = R"({"weight":9})";
  REQUIRE(r2.Update(two).ok());
  CHECK(Eventually([&] { return discovery::WeightOf(*cache.Instance("two")) == 9; }, 10s));
  // A provider that dies: its session ends on the servers and the instance leaves the cache.
  p2->Close();
  CHECK(Eventually([&] { return cache.Instances().size() == 1; }, 10s));
  CHECK_FALSE(cache.Instance("two").has_value());
  // one (initial), two, two updated, two removed; the listener runs on the cache's thread,
  // possibly just after the snapshot above changed.
  CHECK(Eventually([&] { return changes.load() >= 4; }, 10s));
  // Nodes that are not instances are ignored.
  REQUIRE(consumer->Create(base + "/search/junk", "not json").ok());
  CHECK(Eventually([&] { return cache.Instances().size() == 1 && changes.load() >= 5; }, 10s));
  cache.Close();
}

}  // namespace
}  // namespace zk::client::test
