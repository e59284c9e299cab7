import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.PathChildrenCache;
import org.apache.curator.framework.recipes.cache.TreeCache;
import org.apache.curator.framework.state.ConnectionState;

/**
 * Curator's three caches (CuratorCache, TreeCache, PathChildrenCache), each on its own client,
 * fed by a fourth client: the initial load, then a timed run of create/update/delete rounds in
 * which every cache must report every change in order while the caches' clients stay CONNECTED (no
 * SUSPENDED/RECONNECTED: a server reply the Java client misreads drops the connection). Then the
 * driver crashes the leader (ACTION crash-leader); writes made meanwhile reach every cache once it
 * is connected again, and every change made after that is reported, none lost.
 *
 * args: connection string, seconds of activity.
 */
public class CuratorCaches {
  static final String ROOT = "/caches";

  /**
   * One cache's events, normalized to "created|changed path data", "deleted path", "initialized".
   */
  static final class Recorder {
    final String name;
    final Support.StateLog states;
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    int ignored = 0;

    Recorder(String name, Support.StateLog states) {
      this.name = name;
      this.states = states;
    }

    /** The next event; a timeout names the cache and its client's connection states. */
    String next(Object what) throws InterruptedException {
      try {
        return Support.take(events, name + ": " + what);
      } catch (AssertionError e) {
        throw new AssertionError(
            e.getMessage() + " (connection states of its client: " + states.describe() + ")");
      }
    }

    void add(String kind, ChildData d) {
      String data = d.getData() == null ? "" : new String(d.getData(), StandardCharsets.UTF_8);
      events.add(kind.equals("deleted") ? kind + " " + d.getPath()
                                        : kind + " " + d.getPath() + " " + data);
    }

    /** The next event must be exactly this one. */
    void expect(String event) throws InterruptedException {
      Support.checkEq(name + " next event", event, next(event));
    }

    /** The next expected.size() events are these, in any order. */
    void expectSet(Set<String> expected) throws InterruptedException {
      Set<String> got = new HashSet<>();
      for (int i = 0; i < expected.size(); i++) got.add(next(expected));
      Support.checkEq(name + " events", expected, got);
    }

    /** Consumes events until every expected one was seen; others are counted, not failed. */
    void awaitAll(Set<String> expected) throws InterruptedException {
      Set<String> missing = new HashSet<>(expected);
      while (!missing.isEmpty()) {
        String e = next(missing + " (still missing)");
        if (!missing.remove(e)) {
          ignored++;
        }
      }
    }
  }

  public static void main(String[] args) {
    Support.main("CuratorCaches", args, a -> run(a[0], Integer.parseInt(a[1])));
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("deprecation") // TreeCache and PathChildrenCache are what is under test
  static void run(String hosts, int seconds) throws Exception {
    // One client (session) per cache: Apache ZooKeeper 3.8.0 keeps one watch mode per path and
    // session, so TreeCache's one-shot watch on the root would replace CuratorCache's
    // persistent-recursive one if they shared a session (fixed in later ZooKeeper releases).
    Support.StateLog ccStates = new Support.StateLog();
    Support.StateLog tcStates = new Support.StateLog();
    Support.StateLog pcStates = new Support.StateLog();
    List<Support.StateLog> allStates = List.of(ccStates, tcStates, pcStates);
    CuratorFramework ccClient = Support.curator(hosts, ccStates);
    CuratorFramework tcClient = Support.curator(hosts, tcStates);
    CuratorFramework pcClient = Support.curator(hosts, pcStates);
    List<CuratorFramework> clients = List.of(ccClient, tcClient, pcClient);
    CuratorFramework writer = Support.curator(hosts);
    for (Support.StateLog s : allStates) s.awaitState(ConnectionState.CONNECTED, 0);

    writer.create().forPath(ROOT, b("root"));
    for (int i = 0; i < 3; i++) writer.create().forPath(ROOT + "/n" + i, b("d" + i));

    Recorder cc = new Recorder("CuratorCache", ccStates);
    Recorder tc = new Recorder("TreeCache", tcStates);
    Recorder pc = new Recorder("PathChildrenCache", pcStates);
    List<Recorder> all = List.of(cc, tc, pc);

    CuratorCache curatorCache = CuratorCache.build(ccClient, ROOT);
    curatorCache.listenable().addListener(
        CuratorCacheListener.builder()
            .forCreates(d -> cc.add("created", d))
            .forChanges((before, after) -> cc.add("changed", after))
            .forDeletes(d -> cc.add("deleted", d))
            .forInitialized(() -> cc.events.add("initialized"))
            .build());
    TreeCache treeCache = TreeCache.newBuilder(tcClient, ROOT).build();
    treeCache.getListenable().addListener((c, e) -> {
      switch (e.getType()) {
        case NODE_ADDED:
          tc.add("created", e.getData());
          break;
        case NODE_UPDATED:
          tc.add("changed", e.getData());
          break;
        case NODE_REMOVED:
          tc.add("deleted", e.getData());
          break;
        case INITIALIZED:
          tc.events.add("initialized");
          break;
        default:
          break; // connection events: the state log covers them
      }
    });
    PathChildrenCache childrenCache = new PathChildrenCache(pcClient, ROOT, true);
    childrenCache.getListenable().addListener((c, e) -> {
      switch (e.getType()) {
        case CHILD_ADDED:
          pc.add("created", e.getData());
          break;
        case CHILD_UPDATED:
          pc.add("changed", e.getData());
          break;
        case CHILD_REMOVED:
          pc.add("deleted", e.getData());
          break;
        case INITIALIZED:
          pc.events.add("initialized");
          break;
        default:
          break;
      }
    });
    curatorCache.start();
    treeCache.start();
    childrenCache.start(PathChildrenCache.StartMode.POST_INITIALIZED_EVENT);

    // Initial load: the root (CuratorCache, TreeCache) and its three children, then initialized.
    Set<String> kids = new HashSet<>();
    for (int i = 0; i < 3; i++) kids.add("created " + ROOT + "/n" + i + " d" + i);
    Set<String> withRoot = new HashSet<>(kids);
    withRoot.add("created " + ROOT + " root");
    cc.expectSet(withRoot);
    cc.expect("initialized");
    tc.expectSet(withRoot);
    tc.expect("initialized");
    pc.expectSet(kids);
    pc.expect("initialized");
    Support.summary("initial",
        cc.name + ":" + withRoot.size() + "," + tc.name + ":" + withRoot.size() + "," + pc.name
            + ":" + kids.size());

    // Timed activity: each change waits until all three caches reported it.
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    int rounds = 0;
    while (System.nanoTime() < end) {
      String p = ROOT + "/r" + rounds;
      writer.create().forPath(p, b("c" + rounds));
      for (Recorder r : all) r.expect("created " + p + " c" + rounds);
      writer.setData().forPath(p, b("u" + rounds));
      for (Recorder r : all) r.expect("changed " + p + " u" + rounds);
      writer.delete().forPath(p);
      for (Recorder r : all) r.expect("deleted " + p);
      rounds++;
    }
    Support.check(rounds > 0, "at least one round of activity");
    for (int i = 0; i < 3; i++) {
      Support.checkEq("connection states of " + all.get(i).name + "'s client during " + seconds
              + " s of activity",
          "CONNECTED", allStates.get(i).describe());
    }
    Support.summary("rounds", rounds);
    Support.summary("states_before_crash", ccStates.describe());

    // Leader crash.
    int mark = ccStates.all().size();
    Support.action("crash-leader");
    Set<String> during = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      String p = ROOT + "/during-" + i;
      // Retried by Curator until a member takes it; idempotent: a retry after a connection loss
      // may find its own earlier attempt committed.
      writer.create().idempotent().forPath(p, b("x" + i));
      during.add("created " + p + " x" + i);
    }
    // A cache's client is connected again once a request through it succeeded and its state
    // listener's latest state is a connected one.
    for (int i = 0; i < 3; i++) {
      clients.get(i).checkExists().forPath(ROOT);
      allStates.get(i).awaitConnected();
    }
    for (Recorder r : all) r.awaitAll(during);
    for (int i = 0; i < 5; i++) {
      String p = ROOT + "/during-" + i;
      Support.check(curatorCache.get(p).isPresent(), "CuratorCache holds %s", p);
      Support.check(treeCache.getCurrentData(p) != null, "TreeCache holds %s", p);
      Support.check(childrenCache.getCurrentData(p) != null, "PathChildrenCache holds %s", p);
    }
    List<ConnectionState> after = ccStates.all().subList(mark, ccStates.all().size());
    List<String> afterNames = new ArrayList<>();
    for (ConnectionState s : after) afterNames.add(s.name());
    Support.summary(
        "states_after_crash", afterNames.isEmpty() ? "none" : String.join("+", afterNames));

    // After the reconnect: every change is reported by every cache.
    int changes = 0;
    for (int i = 0; i < 20; i++) {
      String p = ROOT + "/after-" + i;
      writer.create().idempotent().forPath(p, b("a" + i));
      for (Recorder r : all) r.awaitAll(Set.of("created " + p + " a" + i));
      writer.setData().idempotent().forPath(p, b("b" + i));
      for (Recorder r : all) r.awaitAll(Set.of("changed " + p + " b" + i));
      changes += 2;
    }
    for (int i = 0; i < 20; i++) {
      String p = ROOT + "/after-" + i;
      writer.delete().idempotent().forPath(p);
      for (Recorder r : all) r.awaitAll(Set.of("deleted " + p));
      changes++;
    }
    Support.summary("after_crash_changes", changes);
    Support.summary("ignored_events", cc.ignored + tc.ignored + pc.ignored);
    for (int i = 0; i < 3; i++) {
      Support.check(!allStates.get(i).all().contains(ConnectionState.LOST),
          "%s's session survived the crash; states %s", all.get(i).name,
          allStates.get(i).describe());
    }

    curatorCache.close();
    treeCache.close();
    childrenCache.close();
    writer.close();
    for (CuratorFramework c : clients) c.close();
  }
}
