import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Server-side reaping with znode.container.checkIntervalMs set small: a container made by
 * Curator's creatingParentContainersIfNeeded() and one made with CreateMode.CONTAINER are each
 * deleted by the server within REAP_BOUND_MS after their last child is deleted; a TTL node
 * without children is deleted once its TTL passed; a container that never had a child, and
 * one that still has a child, are not reaped (watched for several check intervals).
 *
 * args: connection string, the server's checkIntervalMs.
 */
public class Containers {
  static final long REAP_BOUND_MS = 10_000;
  static final byte[] B = new byte[0];

  public static void main(String[] args) {
    Support.main("Containers", args, a -> run(a[0], Long.parseLong(a[1])));
  }

  /** Waits (exists watch) for the server to delete the node; returns how long it took. */
  static long awaitReaped(ZooKeeper zk, String path, BlockingQueue<String> events, long since)
      throws Exception {
    String e = events.poll(REAP_BOUND_MS, TimeUnit.MILLISECONDS);
    Support.check(e != null, "%s reaped within %d ms (it still exists: %s)", path, REAP_BOUND_MS,
        zk.exists(path, false) != null);
    Support.checkEq("watch event of " + path, "reaped NodeDeleted " + path, e);
    return (System.nanoTime() - since) / 1_000_000;
  }

  static void run(String hosts, long intervalMs) throws Exception {
    ZooKeeper zk = Support.connect(hosts);
    CuratorFramework c = Support.curator(hosts);
    long t0 = System.nanoTime();
    BlockingQueue<String> keptEvents = new LinkedBlockingQueue<>();
    zk.create("/never", B, OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
    zk.exists("/never", new Support.EventQueue("never", keptEvents));
    zk.create("/kept", B, OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
    zk.create("/kept/child", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    zk.exists("/kept", new Support.EventQueue("kept", keptEvents));

    // Curator's container parents.
    c.create().creatingParentContainersIfNeeded().forPath("/cbox/child");
    Support.check(zk.exists("/cbox/child", false) != null, "/cbox/child exists");
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    zk.exists("/cbox", new Support.EventQueue("reaped", events));
    long t = System.nanoTime();
    c.delete().forPath("/cbox/child");
    long curatorMs = awaitReaped(zk, "/cbox", events, t);

    // A CreateMode.CONTAINER node.
    zk.create("/rbox", B, OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
    zk.create("/rbox/c", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    zk.exists("/rbox", new Support.EventQueue("reaped", events));
    t = System.nanoTime();
    zk.delete("/rbox/c", -1);
    long rawMs = awaitReaped(zk, "/rbox", events, t);

    // A TTL node without children goes once its TTL passed.
    zk.create("/ttl", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, new Stat(), 500);
    zk.exists("/ttl", new Support.EventQueue("reaped", events));
    long ttlMs = awaitReaped(zk, "/ttl", events, System.nanoTime());

    // Neither the never-used container nor the one with a child went away during at least
    // four check intervals: no watch event on them until then.
    long quietUntil = t0 + TimeUnit.MILLISECONDS.toNanos(4 * intervalMs);
    long left = TimeUnit.NANOSECONDS.toMillis(quietUntil - System.nanoTime());
    String e = left > 0 ? keptEvents.poll(left, TimeUnit.MILLISECONDS) : keptEvents.poll();
    Support.checkEq("watch event on a container that never had a child or still has one", null, e);
    Support.check(zk.exists("/never", false) != null, "the never-used container still exists");
    Support.check(zk.exists("/kept", false) != null, "the container with a child still exists");

    Support.summary("reaped", "curator-parent,container,ttl");
    Support.summary("not_reaped", "never-used,with-child");
    Support.summary("reap_ms", curatorMs + "," + rawMs + "," + ttlMs);
    c.close();
    zk.close();
  }
}
