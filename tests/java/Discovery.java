import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.x.discovery.ServiceCache;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceProvider;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;
import org.apache.curator.x.discovery.details.ServiceCacheListener;
import org.apache.curator.x.discovery.strategies.RoundRobinStrategy;

/**
 * curator-x-discovery on two clients: registration of instances with a JSON payload,
 * queryForNames / queryForInstance(s), a ServiceCache that reports instances added, updated and
 * removed by the other ServiceDiscovery (including by closing it: its instances are ephemeral),
 * a round-robin ServiceProvider that hands out each instance in turn, and unregistration.
 *
 * args: connection string.
 */
public class Discovery {
  static final String BASE = "/services";

  /** The instances' payload, serialized as JSON by Curator. */
  public static class Payload {
    public String zone;
    public int weight;

    public Payload() {}

    Payload(String zone, int weight) {
      this.zone = zone;
      this.weight = weight;
    }

    @Override
    public String toString() {
      return zone + "/" + weight;
    }
  }

  public static void main(String[] args) {
    Support.main("Discovery", args, a -> run(a[0]));
  }

  static ServiceDiscovery<Payload> discovery(CuratorFramework client) throws Exception {
    ServiceDiscovery<Payload> d = ServiceDiscoveryBuilder.builder(Payload.class)
                                      .client(client)
                                      .basePath(BASE)
                                      .serializer(new JsonInstanceSerializer<>(Payload.class))
                                      .build();
    d.start();
    return d;
  }

  static ServiceInstance<Payload> instance(String id, int port, Payload payload) throws Exception {
    return ServiceInstance.<Payload>builder()
        .name("web")
        .id(id)
        .address("10.0.0." + port % 100)
        .port(port)
        .payload(payload)
        .build();
  }

  /** "id@address:port[zone/weight]" of each instance, sorted by id. */
  static String describe(Collection<ServiceInstance<Payload>> instances) {
    List<String> out = new ArrayList<>();
    for (ServiceInstance<Payload> i : instances) {
      out.add(i.getId() + "@" + i.getAddress() + ":" + i.getPort() + "[" + i.getPayload() + "]");
    }
    out.sort(null);
    return String.join(",", out);
  }

  static void run(String hosts) throws Exception {
    CuratorFramework c1 = Support.curator(hosts);
    CuratorFramework c2 = Support.curator(hosts);
    ServiceDiscovery<Payload> d1 = discovery(c1);
    ServiceDiscovery<Payload> d2 = discovery(c2);

    d1.registerService(instance("w1", 8081, new Payload("a", 1)));
    Support.checkEq("queryForNames", "web", String.join(",", d2.queryForNames()));
    Support.checkEq(
        "queryForInstances", "w1@10.0.0.81:8081[a/1]", describe(d2.queryForInstances("web")));
    Support.checkEq(
        "queryForInstance payload zone", "a", d2.queryForInstance("web", "w1").getPayload().zone);
    Support.checkEq("queryForInstance of an unknown id", null, d2.queryForInstance("web", "nope"));
    Support.check(c1.checkExists().forPath(BASE + "/web/w1") != null,
        "the instance node %s/web/w1 exists", BASE);

    // A cache on d1 follows what d2 does.
    ServiceCache<Payload> cache = d1.serviceCacheBuilder().name("web").build();
    BlockingQueue<String> changes = new LinkedBlockingQueue<>();
    cache.addListener(new ServiceCacheListener() {
      @Override
      public void cacheChanged() {
        changes.add(describe(cache.getInstances()));
      }

      @Override
      public void stateChanged(CuratorFramework client, ConnectionState newState) {}
    });
    cache.start();
    Support.checkEq(
        "ServiceCache after start", "w1@10.0.0.81:8081[a/1]", describe(cache.getInstances()));

    ServiceInstance<Payload> w2 = instance("w2", 8082, new Payload("b", 2));
    d2.registerService(w2);
    awaitView(changes, "w1@10.0.0.81:8081[a/1],w2@10.0.0.82:8082[b/2]");
    d2.updateService(instance("w2", 8082, new Payload("c", 3)));
    awaitView(changes, "w1@10.0.0.81:8081[a/1],w2@10.0.0.82:8082[c/3]");

    // Round robin hands out each registered instance in turn.
    ServiceProvider<Payload> provider = d1.serviceProviderBuilder()
                                            .serviceName("web")
                                            .providerStrategy(new RoundRobinStrategy<>())
                                            .build();
    provider.start();
    Support.checkEq("ServiceProvider.getAllInstances", 2, provider.getAllInstances().size());
    List<String> picks = new ArrayList<>();
    for (int i = 0; i < 4; i++) picks.add(provider.getInstance().getId());
    Support.check(!picks.get(0).equals(picks.get(1)) && picks.get(0).equals(picks.get(2))
            && picks.get(1).equals(picks.get(3)),
        "round robin alternates between w1 and w2: %s", picks);
    Support.checkEq("round robin covers", "w1,w2", Support.sorted(picks));
    Support.summary("round_robin", String.join(",", picks));

    d2.unregisterService(w2);
    awaitView(changes, "w1@10.0.0.81:8081[a/1]");
    Support.checkEq("queryForInstances after unregister", "w1@10.0.0.81:8081[a/1]",
        describe(d1.queryForInstances("web")));

    // Instances are ephemeral: closing d2 and its client removes what d2 registered.
    d2.registerService(instance("w3", 8083, new Payload("d", 4)));
    awaitView(changes, "w1@10.0.0.81:8081[a/1],w3@10.0.0.83:8083[d/4]");
    d2.close();
    c2.close();
    awaitView(changes, "w1@10.0.0.81:8081[a/1]");

    d1.unregisterService(d1.queryForInstance("web", "w1"));
    awaitView(changes, "");
    Support.checkEq(
        "queryForInstances after the last unregister", "", describe(d1.queryForInstances("web")));
    Support.summary("cache_views", 6);

    provider.close();
    cache.close();
    d1.close();
    c1.close();
  }

  /** Waits until a cacheChanged event shows this view of the instances. */
  static void awaitView(BlockingQueue<String> changes, String want) throws InterruptedException {
    List<String> seen = new ArrayList<>();
    while (true) {
      String view = Support.take(changes, "a ServiceCache view of [" + want + "]; saw " + seen);
      if (view.equals(want)) {
        return;
      }
      seen.add(view);
    }
  }
}
