import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.admin.ZooKeeperAdmin;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.quorum.QuorumPeer.QuorumServer;
import org.apache.zookeeper.server.quorum.flexible.QuorumMaj;

/**
 * Dynamic reconfiguration through Apache's Java admin client and Curator, as an operator's tool
 * or a Curator application does it: ZooKeeperAdmin.getConfig with a watch and reconfigure
 * (incremental add of an observer, BADVERSION on a stale fromConfig, NOAUTH without super),
 * every configuration text parsed by ZooKeeper's own QuorumMaj (what Curator's EnsembleTracker
 * parses it with), then Curator's getConfig().forEnsemble() and a bulk reconfig
 * (withNewMembers().fromConfig(): the observer gone, every voter's line with its client address),
 * and Curator's EnsembleTracker moving its connection string to those client addresses.
 *
 * Args: hosts superPassword joiningSpec joiningId newMembers. The joining server is running,
 * configured with the members and itself; newMembers is the comma-separated bulk membership.
 */
public final class ReconfigAdmin {
  private ReconfigAdmin() {}

  public static void main(String[] args) {
    Support.main("ReconfigAdmin", args, ReconfigAdmin::run);
  }

  /** The configuration text as ZooKeeper's own parser reads it. */
  static QuorumMaj parse(byte[] text) throws Exception {
    Properties p = new Properties();
    p.load(new StringReader(new String(text, StandardCharsets.UTF_8)));
    return new QuorumMaj(p);
  }

  /** "id:role" of each member, in id order. */
  static String members(QuorumMaj q) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<Long, QuorumServer> e : new java.util.TreeMap<>(q.getAllMembers()).entrySet()) {
      out.add(e.getKey() + ":" + (q.getObservingMembers().containsKey(e.getKey())
                                      ? "observer" : "participant"));
    }
    return String.join(",", out);
  }

  static ZooKeeperAdmin admin(String hosts, Watcher events) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeperAdmin zk = new ZooKeeperAdmin(hosts, Support.SESSION_TIMEOUT_MS, e -> {
      if (e.getType() == Watcher.Event.EventType.None) {
        if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
          connected.countDown();
        }
      } else if (events != null) {
        events.process(e);
      }
    });
    Support.await(connected, "a ZooKeeperAdmin session on " + hosts);
    return zk;
  }

  static void run(String[] args) throws Exception {
    String hosts = args[0];
    byte[] superAuth = ("super:" + args[1]).getBytes(StandardCharsets.UTF_8);
    String joining = args[2];
    String joiningId = args[3];
    List<String> newMembers = List.of(args[4].split(","));

    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    ZooKeeperAdmin admin = admin(hosts, null);
    admin.addAuthInfo("digest", superAuth);
    Stat stat = new Stat();
    QuorumMaj before = parse(admin.getConfig(new Support.EventQueue("config", events), stat));
    Support.summary("before", members(before));
    Support.summary("before_version", Long.toHexString(before.getVersion()));

    // Without super (and without an ACL on /zookeeper/config granting it): NOAUTH.
    ZooKeeperAdmin plain = admin(hosts, null);
    Support.checkThrows("reconfigure without super", KeeperException.NoAuthException.class,
        () -> plain.reconfigure(null, joiningId, null, -1, new Stat()));
    plain.close();

    // Add the observer: the reply is the new configuration, its version the reconfig's zxid.
    Stat added = new Stat();
    QuorumMaj after = parse(admin.reconfigure(joining, null, null, -1, added));
    Support.summary("after", members(after));
    Support.checkEq("the new version is the zxid of the change", added.getMzxid(),
        after.getVersion());
    Support.summary("event", Support.take(events, "the config watch"));
    Stat read = new Stat();
    QuorumMaj reread = parse(admin.getConfig(false, read));
    Support.checkEq("getConfig after the change", members(after), members(reread));
    Support.checkEq("the config node's mzxid", added.getMzxid(), read.getMzxid());

    // A stale fromConfig: BADVERSION, nothing changes.
    Support.checkThrows("reconfigure from a stale version",
        KeeperException.BadVersionException.class,
        () -> admin.reconfigure(null, joiningId, null, before.getVersion(), new Stat()));
    Support.summary("stale", "BADVERSION");

    // Curator, as an application: its EnsembleTracker follows /zookeeper/config.
    CuratorFramework curator = CuratorFrameworkFactory.builder()
                                   .connectString(hosts)
                                   .sessionTimeoutMs(Support.SESSION_TIMEOUT_MS)
                                   .connectionTimeoutMs(5_000)
                                   .authorization("digest", superAuth)
                                   .retryPolicy(new BoundedExponentialBackoffRetry(50, 1_000, 40))
                                   .build();
    curator.start();
    Support.check(curator.blockUntilConnected((int) Support.WAIT_MS, TimeUnit.MILLISECONDS),
        "Curator connects to %s", hosts);
    QuorumMaj seen = parse(curator.getConfig().forEnsemble());
    Support.checkEq("Curator's getConfig", members(after), members(seen));
    Stat removed = new Stat();
    QuorumMaj last = parse(curator.reconfig()
                               .withNewMembers(newMembers)
                               .storingStatIn(removed)
                               .fromConfig(seen.getVersion())
                               .forEnsemble());
    Support.summary("curator_after", members(last));
    Support.checkEq("Curator's reconfig version", removed.getMzxid(), last.getVersion());
    // The tracker rewrites the connection string from the committed membership's client
    // addresses once its watch fires (members without one are left out, as it does).
    String expected = connectionString(last);
    Support.awaitCondition("Curator's connection string becoming " + expected,
        () -> expected.equals(sortedHosts(
            curator.getZookeeperClient().getCurrentConnectionString())));
    Support.summary("curator_connection", expected);
    curator.close();
    admin.close();
  }

  /** The client addresses of the membership, as EnsembleTracker would list them, sorted. */
  static String connectionString(QuorumMaj q) {
    List<String> out = new ArrayList<>();
    for (QuorumServer s : q.getAllMembers().values()) {
      if (s.clientAddr == null) {
        continue;
      }
      out.add(s.clientAddr.getHostString() + ":" + s.clientAddr.getPort());
    }
    return Support.sorted(out);
  }

  static String sortedHosts(String connect) {
    return Support.sorted(List.of(connect.split(",")));
  }
}
