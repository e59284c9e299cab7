import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.x.discovery.ServiceCache;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceType;
import org.apache.curator.x.discovery.UriSpec;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;

/**
 * The Curator side of the discovery interop test (tests/integration/test_discovery_interop.py):
 * curator-x-discovery (Debian's Curator 5.4) on the same base path as zk::discovery.
 *
 * Usage: CuratorDiscoveryPeer hosts base-path register NAME
 *        CuratorDiscoveryPeer hosts base-path list NAME COUNT
 *
 * register: registers two instances of NAME (ids java-1, java-2) whose payload is a Map (zone,
 * weight, tags), one with an sslPort and a UriSpec, one disabled; prints "instance JSON" for
 * each, as Curator's JsonInstanceSerializer writes it; then "ACTION registered" and, after
 * "DONE", unregisters and exits.
 * list: a Curator ServiceCache on NAME waits until it holds COUNT instances, then prints
 * "seen JSON" for each (Curator's serialization of the instance as Curator decoded it, so every
 * field went through Curator's reader; its default serializer writes no "enabled"), "enabled ID
 * true|false" as Curator decoded it, and "uri ID URI" where the instance has a UriSpec.
 */
final class CuratorDiscoveryPeer {
  private CuratorDiscoveryPeer() {}

  public static void main(String[] args) {
    Support.main("CuratorDiscoveryPeer", args, CuratorDiscoveryPeer::run);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static void run(String[] args) throws Exception {
    Support.check(args.length >= 4, "usage: hosts base register|list NAME [COUNT]");
    String hosts = args[0];
    String base = args[1];
    String mode = args[2];
    String name = args[3];
    CuratorFramework client = Support.curator(hosts);
    JsonInstanceSerializer<Map> serializer = new JsonInstanceSerializer<>(Map.class);
    ServiceDiscovery<Map> discovery = ServiceDiscoveryBuilder.builder(Map.class)
                                          .client(client)
                                          .basePath(base)
                                          .serializer(serializer)
                                          .build();
    discovery.start();
    if (mode.equals("register")) {
      List<ServiceInstance<Map>> mine = new ArrayList<>();
      Map<String, Object> p1 = new LinkedHashMap<>();
      p1.put("zone", "eu-1");
      p1.put("weight", 40);
      p1.put("tags", Arrays.asList("a", "b"));
      mine.add(ServiceInstance.<Map>builder()
                   .name(name)
                   .id("java-1")
                   .address("10.1.2.3")
                   .port(8080)
                   .sslPort(8443)
                   .payload(p1)
                   .uriSpec(new UriSpec("{scheme}://{address}:{port}/api"))
                   .serviceType(ServiceType.DYNAMIC)
                   .build());
      Map<String, Object> p2 = new LinkedHashMap<>();
      p2.put("zone", "eu-2");
      p2.put("weight", 60);
      mine.add(ServiceInstance.<Map>builder()
                   .name(name)
                   .id("java-2")
                   .address("10.1.2.4")
                   .port(8081)
                   .payload(p2)
                   .enabled(false)
                   .build());
      for (ServiceInstance<Map> i : mine) {
        discovery.registerService(i);
        System.out.println("instance " + new String(serializer.serialize(i), "UTF-8"));
      }
      Support.action("registered");
      for (ServiceInstance<Map> i : mine) {
        discovery.unregisterService(i);
      }
    } else {
      Support.check(args.length == 5, "list needs COUNT");
      int count = Integer.parseInt(args[4]);
      ServiceCache<Map> cache = discovery.serviceCacheBuilder().name(name).build();
      cache.start();
      Support.awaitCondition("a cache of " + count + " instances of " + name,
          () -> cache.getInstances().size() >= count);
      for (ServiceInstance<Map> i : cache.getInstances()) {
        System.out.println("seen " + new String(serializer.serialize(i), "UTF-8"));
        System.out.println("enabled " + i.getId() + " " + i.isEnabled());
        if (i.getUriSpec() != null) {
          System.out.println("uri " + i.getId() + " " + i.buildUriSpec());
        }
      }
      Collection<String> names = discovery.queryForNames();
      System.out.println("names " + String.join(",", new java.util.TreeSet<>(names)));
      cache.close();
    }
    discovery.close();
    client.close();
  }
}
