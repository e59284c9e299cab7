import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.nodes.GroupMember;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Curator recipes whose correctness rests on sessions and ephemerals:
 *
 * group-member: two GroupMembers see each other's data and updates; one closes, the other sees
 *   it leave.
 * leader-latch: two LeaderLatches, one leader; the leader's session is expired server-side; the
 *   other becomes leader, the first sees LOST and hasLeadership()==false, and a listener on both
 *   proves there were never two leaders at once.
 * persistent-node: an ephemeral PersistentNode is re-created under the new session after its
 *   session expired, and again after another client deleted it; close() removes it.
 *
 * args: connection string, then the parts to run (default: all three).
 */
public class Recipes {
  public static void main(String[] args) {
    Support.main("Recipes", args, a -> {
      List<String> parts = a.length > 1
          ? List.of(a).subList(1, a.length)
          : List.of("group-member", "leader-latch", "persistent-node");
      for (String p : parts) {
        switch (p) {
          case "group-member":
            groupMember(a[0]);
            break;
          case "leader-latch":
            leaderLatch(a[0]);
            break;
          case "persistent-node":
            persistentNode(a[0]);
            break;
          default:
            throw new IllegalArgumentException("unknown part " + p);
        }
      }
    });
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String members(GroupMember g) {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : g.getCurrentMembers().entrySet()) {
      out.put(e.getKey(), new String(e.getValue(), StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  /** GroupMember offers no listener, so its view is polled against the deadline. */
  static void awaitMembers(GroupMember g, String who, String want) throws InterruptedException {
    try {
      Support.awaitCondition(
          who + "'s view of the group to be " + want, () -> members(g).equals(want));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; saw " + members(g));
    }
  }

  static void groupMember(String hosts) throws Exception {
    CuratorFramework c1 = Support.curator(hosts);
    CuratorFramework c2 = Support.curator(hosts);
    GroupMember m1 = new GroupMember(c1, "/group", "m1", b("data-1"));
    GroupMember m2 = new GroupMember(c2, "/group", "m2", b("data-2"));
    m1.start();
    m2.start();
    awaitMembers(m1, "m1", "{m1=data-1, m2=data-2}");
    awaitMembers(m2, "m2", "{m1=data-1, m2=data-2}");
    m1.setThisData(b("data-1b"));
    awaitMembers(m2, "m2", "{m1=data-1b, m2=data-2}");
    m2.close();
    awaitMembers(m1, "m1", "{m1=data-1b}");
    Support.check(c1.checkExists().forPath("/group/m2") == null, "m2's node is gone after close");
    Support.summary("group_member", "joined+updated+left");
    m1.close();
    c2.close();
    c1.close();
  }

  /** Leadership transitions of every latch, and the most leaders there ever were at once. */
  static final class Transitions {
    final List<String> log = new ArrayList<>();
    final List<String> leaders = new ArrayList<>();
    int maxLeaders = 0;

    synchronized void leader(String id) {
      log.add(id + ":leader");
      leaders.add(id);
      maxLeaders = Math.max(maxLeaders, leaders.size());
    }

    synchronized void notLeader(String id) {
      log.add(id + ":not");
      leaders.remove(id);
    }

    synchronized String describe() {
      return String.join(",", log);
    }
  }

  static LeaderLatch latch(
      CuratorFramework c, String id, Transitions t, CountDownLatch lostLeadership) {
    LeaderLatch l = new LeaderLatch(c, "/latch", id);
    l.addListener(new LeaderLatchListener() {
      @Override
      public void isLeader() {
        t.leader(id);
      }

      @Override
      public void notLeader() {
        t.notLeader(id);
        lostLeadership.countDown();
      }
    });
    return l;
  }

  static void leaderLatch(String hosts) throws Exception {
    Transitions t = new Transitions();
    Support.StateLog states1 = new Support.StateLog();
    CuratorFramework c1 = Support.curator(hosts, states1);
    CuratorFramework c2 = Support.curator(hosts);
    ZooKeeper observer = Support.connect(hosts);
    CountDownLatch oneLost = new CountDownLatch(1);
    LeaderLatch one = latch(c1, "one", t, oneLost);
    LeaderLatch two = latch(c2, "two", t, new CountDownLatch(1));
    one.start();
    Support.check(
        one.await(Support.WAIT_MS, TimeUnit.MILLISECONDS), "the first latch becomes leader");
    two.start();
    Support.awaitChildren(observer, "/latch", 2);
    Support.checkEq("leader seen by one", "one", one.getLeader().getId());
    Support.checkEq("leader seen by two", "one", two.getLeader().getId());
    Support.check(!two.hasLeadership(), "the second latch is not leader while the first is");
    Support.checkEq("participants", 2, two.getParticipants().size());

    // Expire one's session on the server: its member drops its connection when the second
    // handle attaches (one loses leadership on SUSPENDED), and the close ends the session.
    int mark = states1.all().size();
    ZooKeeper z1 = c1.getZookeeperClient().getZooKeeper();
    long sid = z1.getSessionId();
    Support.expireSession(
        hosts, sid, z1.getSessionPasswd(), () -> Support.await(oneLost, "one's notLeader"));
    Support.check(two.await(Support.WAIT_MS, TimeUnit.MILLISECONDS),
        "the second latch becomes leader after the expiry");
    states1.awaitState(ConnectionState.LOST, mark);
    Support.check(
        !one.hasLeadership(), "the first latch has no leadership after its session expired");
    // one rejoins under a new session, behind two.
    Support.awaitChildren(observer, "/latch", 2);
    Support.checkEq("leader after the expiry", "two", one.getLeader().getId());
    Support.check(two.hasLeadership() && !one.hasLeadership(), "two leads, one does not");
    Support.check(c1.getZookeeperClient().getZooKeeper().getSessionId() != sid,
        "one's client has a new session");
    synchronized (t) {
      Support.checkEq("leaders at once (transitions " + t.describe() + ")", 1, t.maxLeaders);
      Support.checkEq("leadership transitions", "one:leader,one:not,two:leader", t.describe());
    }
    Support.summary("latch_transitions", t.describe());
    Support.summary("latch_client_states", states1.describe());
    two.close();
    one.close();
    observer.close();
    c2.close();
    c1.close();
  }

  /** Waits until the node exists (exists watches), returning its Stat. */
  static Stat awaitExists(ZooKeeper zk, String path, BlockingQueue<String> events)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Support.WAIT_MS);
    while (true) {
      Stat st = zk.exists(path, new Support.EventQueue("observer", events));
      if (st != null) {
        return st;
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      String e = left > 0 ? events.poll(left, TimeUnit.MILLISECONDS) : null;
      if (e == null) {
        throw new AssertionError("timed out waiting for " + path + " to be re-created");
      }
    }
  }

  static void persistentNode(String hosts) throws Exception {
    String path = "/pn/node";
    ZooKeeper observer = Support.connect(hosts);
    observer.create("/pn", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    CuratorFramework c = Support.curator(hosts);
    PersistentNode node = new PersistentNode(c, CreateMode.EPHEMERAL, false, path, b("hello"));
    node.start();
    Support.check(
        node.waitForInitialCreate(Support.WAIT_MS, TimeUnit.MILLISECONDS), "the node is created");
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    ZooKeeper z = c.getZookeeperClient().getZooKeeper();
    long sid = z.getSessionId();
    Stat st = observer.exists(path, new Support.EventQueue("observer", events));
    Support.check(st != null, "%s exists", path);
    Support.checkEq("owner of the node", sid, st.getEphemeralOwner());

    Support.expireSession(hosts, sid, z.getSessionPasswd(), null);
    Support.checkEq("event after the owner's session expired", "observer NodeDeleted " + path,
        Support.take(events, "the node's deletion by the expiry"));
    st = awaitExists(observer, path, events);
    long sid2 = c.getZookeeperClient().getZooKeeper().getSessionId();
    Support.check(sid2 != sid, "the client has a new session after the expiry");
    Support.checkEq("owner of the re-created node", sid2, st.getEphemeralOwner());
    Support.checkEq("data of the re-created node", "hello",
        new String(observer.getData(path, false, null), StandardCharsets.UTF_8));

    events.clear();
    observer.exists(path, new Support.EventQueue("observer", events));
    observer.delete(path, -1);
    Support.checkEq("event after another client deleted the node", "observer NodeDeleted " + path,
        Support.take(events, "the node's deletion"));
    st = awaitExists(observer, path, events);
    Support.checkEq("owner of the node re-created after a delete", sid2, st.getEphemeralOwner());

    events.clear();
    CountDownLatch changed = new CountDownLatch(1);
    observer.getData(path, e -> changed.countDown(), null);
    node.setData(b("world"));
    Support.await(changed, "the data change of the node");
    Support.checkEq("data after setData", "world",
        new String(observer.getData(path, false, null), StandardCharsets.UTF_8));

    CountDownLatch gone = new CountDownLatch(1);
    observer.exists(path, e -> gone.countDown());
    node.close();
    Support.await(gone, "the node's deletion by close()");
    Support.checkEq("the node after close()", null, observer.exists(path, false));
    Support.summary("persistent_node", "expiry+delete+setData+close");
    observer.close();
    c.close();
  }
}
