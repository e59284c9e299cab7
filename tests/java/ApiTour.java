import static org.apache.zookeeper.ZooDefs.Ids.CREATOR_ALL_ACL;
import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;
import static org.apache.zookeeper.ZooDefs.Ids.READ_ACL_UNSAFE;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

/**
 * Every call of the ZooKeeper 3.8 Java client once, against the server in args[0]: creates in
 * every CreateMode (TTL needs extendedTypesEnabled=true), delete, exists, getData/setData,
 * getACL/setACL, digest auth and a digest ACL, whoAmI, getChildren with and without Stat,
 * getAllChildrenNumber, getEphemerals, sync, multi (success, failure with per-op results) and
 * read-only multi, async variants, and watches: one-shot data/exists/child watches with every
 * event type, persistent and persistent-recursive watches (addWatch), removeWatches and
 * removeAllWatches.
 *
 * Watch events from every watcher go to one queue in delivery order, so "no further event"
 * is proven by a barrier: a later watch on another node fires and must be the next event.
 */
public class ApiTour {
  static final String R = "/tour";
  static final byte[] B = "x".getBytes(StandardCharsets.UTF_8);
  static final long TTL_MS = 60_000;
  // Container and TTL nodes are marked in the server's ephemeralOwner field, but a client's Stat
  // shows 0 for them (ZooKeeper hides the marker).
  static final long TTL_OWNER = 0;
  static final long CONTAINER_OWNER = 0;

  static final BlockingQueue<String> events = new LinkedBlockingQueue<>();
  static int barriers = 0;
  static ZooKeeper zk;

  public static void main(String[] args) {
    Support.main("ApiTour", args, a -> run(a[0]));
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String s(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  static void run(String hosts) throws Exception {
    zk = Support.connect(hosts, new Support.EventQueue("default", events));
    createModes();
    readsAndWrites();
    acls(hosts);
    children();
    multi();
    async();
    oneShotWatches();
    persistentWatches();
    removeWatches();
    zk.close();
  }

  static Stat stat(String path) throws Exception {
    Stat st = zk.exists(path, false);
    Support.check(st != null, "%s exists", path);
    return st;
  }

  static void createModes() throws Exception {
    long sid = zk.getSessionId();
    Stat st = new Stat();
    Support.checkEq("create persistent with Stat", R,
        zk.create(R, b("root"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, st));
    Support.checkEq("create Stat dataLength", 4, st.getDataLength());
    Support.checkEq("create Stat version", 0, st.getVersion());
    Support.checkEq("create Stat czxid == mzxid", st.getCzxid(), st.getMzxid());
    Support.checkEq("create Stat ephemeralOwner", 0L, st.getEphemeralOwner());

    Support.checkEq("create persistent", R + "/pers",
        zk.create(R + "/pers", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
    String pseq = zk.create(R + "/pseq-", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL);
    String eph = zk.create(R + "/eph", B, OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
    String eseq = zk.create(R + "/eseq-", B, OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);
    Support.check(pseq.matches(R + "/pseq-\\d{10}"), "sequential name has 10 digits: %s", pseq);
    Support.check(eseq.matches(R + "/eseq-\\d{10}"), "sequential name has 10 digits: %s", eseq);
    // The suffix is the parent's cversion before the create: pers made it 1, pseq 2, eph 3.
    Support.checkEq("persistent sequential name", R + "/pseq-0000000001", pseq);
    Support.checkEq("ephemeral sequential name", R + "/eseq-0000000003", eseq);
    Support.checkEq("ephemeral owner", sid, stat(eph).getEphemeralOwner());
    Support.checkEq("ephemeral sequential owner", sid, stat(eseq).getEphemeralOwner());

    st = new Stat();
    zk.create(R + "/cont", B, OPEN_ACL_UNSAFE, CreateMode.CONTAINER, st);
    Support.checkEq(
        "container ephemeralOwner (create Stat)", CONTAINER_OWNER, st.getEphemeralOwner());
    Support.checkEq("container ephemeralOwner (exists)", CONTAINER_OWNER,
        stat(R + "/cont").getEphemeralOwner());

    st = new Stat();
    zk.create(R + "/ttl", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, st, TTL_MS);
    Support.checkEq("TTL ephemeralOwner (create Stat)", TTL_OWNER, st.getEphemeralOwner());
    String tseq = zk.create(
        R + "/tseq-", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, st, TTL_MS);
    Support.checkEq("TTL sequential name", R + "/tseq-0000000006", tseq);
    Support.checkEq("TTL sequential ephemeralOwner", TTL_OWNER, stat(tseq).getEphemeralOwner());

    Support.checkThrows("create an existing node", KeeperException.NodeExistsException.class,
        () -> zk.create(R + "/pers", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
    Support.checkThrows("create without a parent", KeeperException.NoNodeException.class,
        () -> zk.create(R + "/none/x", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
    Support.checkThrows("create under an ephemeral",
        KeeperException.NoChildrenForEphemeralsException.class,
        () -> zk.create(eph + "/x", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));

    Support.checkEq("getEphemerals()", Arrays.asList(eph, eseq), sortedList(zk.getEphemerals()));
    Support.checkEq(
        "getEphemerals(prefix)", Arrays.asList(eseq), sortedList(zk.getEphemerals(R + "/es")));
    Support.summary("create_modes", 7);
    Support.summary("sequence_names",
        pseq.substring(pseq.length() - 10) + "," + eseq.substring(eseq.length() - 10) + ","
            + tseq.substring(tseq.length() - 10));
  }

  static List<String> sortedList(List<String> l) {
    List<String> out = new ArrayList<>(l);
    Collections.sort(out);
    return out;
  }

  static void readsAndWrites() throws Exception {
    String p = R + "/data";
    zk.create(p, b("v0"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    Stat st = zk.setData(p, b("v1"), 0);
    Support.checkEq("setData version", 1, st.getVersion());
    Support.checkThrows("setData with a stale version", KeeperException.BadVersionException.class,
        () -> zk.setData(p, b("v2"), 0));
    Stat got = new Stat();
    Support.checkEq("getData", "v1", s(zk.getData(p, false, got)));
    Support.checkEq("getData Stat", st, got);
    Support.checkEq("exists Stat", st, zk.exists(p, false));
    Support.checkEq("exists on a missing node", null, zk.exists(R + "/missing", false));
    Support.checkThrows("getData of a missing node", KeeperException.NoNodeException.class,
        () -> zk.getData(R + "/missing", false, null));

    Support.checkThrows("delete with a wrong version", KeeperException.BadVersionException.class,
        () -> zk.delete(R + "/pers", 5));
    zk.delete(R + "/pers", 0);
    Support.checkEq("exists after delete", null, zk.exists(R + "/pers", false));
    Support.checkThrows("delete a missing node", KeeperException.NoNodeException.class,
        () -> zk.delete(R + "/pers", -1));
    Support.checkThrows("delete a node with children", KeeperException.NotEmptyException.class,
        () -> zk.delete(R, -1));

    CompletableFuture<Integer> synced = new CompletableFuture<>();
    zk.sync(R, (rc, path, ctx) -> synced.complete(rc), null);
    Support.checkEq("sync rc", 0, synced.get(Support.WAIT_MS, TimeUnit.MILLISECONDS));
  }

  static String digest(String userPassword) throws Exception {
    byte[] sha = MessageDigest.getInstance("SHA1").digest(b(userPassword));
    return userPassword.substring(0, userPassword.indexOf(':')) + ":"
        + Base64.getEncoder().encodeToString(sha);
  }

  static String whoAmI(ZooKeeper z) throws Exception {
    List<String> ids = new ArrayList<>();
    for (ClientInfo ci : z.whoAmI()) ids.add(ci.getAuthScheme() + ":" + ci.getUser());
    return Support.sorted(ids);
  }

  static void acls(String hosts) throws Exception {
    String p = R + "/acl";
    zk.create(p, B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    Stat st = new Stat();
    Support.checkEq("getACL of an open node", OPEN_ACL_UNSAFE, zk.getACL(p, st));
    Support.checkEq("aversion before setACL", 0, st.getAversion());
    Support.checkEq("setACL aversion", 1, zk.setACL(p, OPEN_ACL_UNSAFE, 0).getAversion());
    Support.checkThrows("setACL with a stale aversion", KeeperException.BadVersionException.class,
        () -> zk.setACL(p, READ_ACL_UNSAFE, 0));
    Support.checkEq("setACL aversion", 2, zk.setACL(p, READ_ACL_UNSAFE, 1).getAversion());
    Support.checkEq("getACL after setACL", READ_ACL_UNSAFE, zk.getACL(p, new Stat()));
    Support.checkThrows("setData on a read-only ACL", KeeperException.NoAuthException.class,
        () -> zk.setData(p, B, -1));
    Support.checkThrows("setACL without the ADMIN permission",
        KeeperException.NoAuthException.class, () -> zk.setACL(p, OPEN_ACL_UNSAFE, -1));
    zk.getData(p, false, null);

    Support.checkEq("whoAmI before auth", "ip:127.0.0.1", whoAmI(zk));
    zk.addAuthInfo("digest", b("alice:secret"));
    Support.checkEq("whoAmI after digest auth", "digest:alice,ip:127.0.0.1", whoAmI(zk));
    String secret = R + "/secret";
    zk.create(secret, b("s"), CREATOR_ALL_ACL, CreateMode.PERSISTENT);
    List<ACL> acl = zk.getACL(secret, new Stat());
    Support.checkEq("CREATOR_ALL_ACL becomes the creator's digest",
        Arrays.asList(new ACL(ZooDefs.Perms.ALL, new Id("digest", digest("alice:secret")))), acl);
    // bob may only read R/shared.
    String shared = R + "/shared";
    zk.create(shared, b("sh"),
        Arrays.asList(new ACL(ZooDefs.Perms.READ, new Id("digest", digest("bob:pw"))),
            new ACL(ZooDefs.Perms.ALL, new Id("digest", digest("alice:secret")))),
        CreateMode.PERSISTENT);

    ZooKeeper other = Support.connect(hosts);
    Support.checkThrows("getData without auth", KeeperException.NoAuthException.class,
        () -> other.getData(secret, false, null));
    other.addAuthInfo("digest", b("alice:wrong"));
    Support.checkThrows("getData with a wrong password", KeeperException.NoAuthException.class,
        () -> other.getData(secret, false, null));
    other.addAuthInfo("digest", b("bob:pw"));
    Support.checkEq("bob reads the shared node", "sh", s(other.getData(shared, false, null)));
    Support.checkThrows("bob writes the shared node", KeeperException.NoAuthException.class,
        () -> other.setData(shared, B, -1));
    Support.checkThrows("bob reads alice's node", KeeperException.NoAuthException.class,
        () -> other.getData(secret, false, null));
    other.addAuthInfo("digest", b("alice:secret"));
    Support.checkEq("getData with the right password", "s", s(other.getData(secret, false, null)));
    other.close();
    Support.summary("whoami", whoAmI(zk).replace(',', '+'));
  }

  static void children() throws Exception {
    String t = R + "/tree";
    zk.create(t, B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    for (String c : new String[] {"/a", "/a/b", "/a/b/c", "/d"}) {
      zk.create(t + c, B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    }
    Support.checkEq("getChildren", Arrays.asList("a", "d"), sortedList(zk.getChildren(t, false)));
    Stat st = new Stat();
    Support.checkEq(
        "getChildren with Stat", Arrays.asList("a", "d"), sortedList(zk.getChildren(t, false, st)));
    Support.checkEq("getChildren Stat numChildren", 2, st.getNumChildren());
    Support.checkEq("getChildren Stat cversion", 2, st.getCversion());
    Support.checkEq("getAllChildrenNumber", 4, zk.getAllChildrenNumber(t));
    Support.checkEq("getAllChildrenNumber of a leaf", 0, zk.getAllChildrenNumber(t + "/d"));
    Support.checkThrows("getChildren of a missing node", KeeperException.NoNodeException.class,
        () -> zk.getChildren(R + "/missing", false));
    Support.summary("all_children", zk.getAllChildrenNumber(t));
  }

  static String describe(List<OpResult> results) {
    List<String> out = new ArrayList<>();
    for (OpResult r : results) {
      if (r instanceof OpResult.ErrorResult) {
        out.add("error(" + ((OpResult.ErrorResult) r).getErr() + ")");
      } else if (r instanceof OpResult.CreateResult) {
        out.add("create");
      } else if (r instanceof OpResult.SetDataResult) {
        out.add("setData");
      } else if (r instanceof OpResult.CheckResult) {
        out.add("check");
      } else if (r instanceof OpResult.DeleteResult) {
        out.add("delete");
      } else if (r instanceof OpResult.GetDataResult) {
        out.add("getData");
      } else if (r instanceof OpResult.GetChildrenResult) {
        out.add("getChildren");
      } else {
        out.add(r.getClass().getSimpleName());
      }
    }
    return String.join("+", out);
  }

  static void multi() throws Exception {
    String m = R + "/m";
    List<OpResult> ok =
        zk.multi(Arrays.asList(Op.create(m, b("m0"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
            Op.create(m + "/s-", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL),
            Op.setData(m, b("m1"), 0), Op.check(m, 1),
            Op.create(m + "/gone", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
            Op.delete(m + "/gone", 0)));
    Support.checkEq("multi results", "create+create+setData+check+create+delete", describe(ok));
    Support.checkEq("multi sequential create path", m + "/s-0000000000",
        ((OpResult.CreateResult) ok.get(1)).getPath());
    Support.checkEq(
        "multi setData version", 1, ((OpResult.SetDataResult) ok.get(2)).getStat().getVersion());
    Support.checkEq("data after multi", "m1", s(zk.getData(m, false, null)));

    List<OpResult> failed = null;
    try {
      zk.multi(Arrays.asList(Op.create(m + "/f1", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
          Op.check(m, 7), Op.create(m + "/f2", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)));
    } catch (KeeperException.BadVersionException e) {
      failed = e.getResults();
    }
    Support.check(failed != null, "a multi with a failing check throws BadVersionException");
    Support.checkEq(
        "failed multi per-op results", "error(0)+error(-103)+error(-2)", describe(failed));
    Support.checkEq("failed multi left nothing behind", null, zk.exists(m + "/f1", false));
    Support.summary("multi_ok", describe(ok));
    Support.summary("multi_failed", describe(failed));

    List<OpResult> read = zk.multi(Arrays.asList(Op.getChildren(m), Op.getData(m)));
    Support.checkEq("read-only multi results", "getChildren+getData", describe(read));
    Support.checkEq("read-only multi children", Arrays.asList("s-0000000000"),
        ((OpResult.GetChildrenResult) read.get(0)).getChildren());
    Support.checkEq(
        "read-only multi data", "m1", s(((OpResult.GetDataResult) read.get(1)).getData()));
    Support.checkEq("read-only multi stat version", 1,
        ((OpResult.GetDataResult) read.get(1)).getStat().getVersion());
    // A read-only multi does not fail as a whole: each read has its own result.
    List<OpResult> partial = zk.multi(Arrays.asList(Op.getData(R + "/missing"), Op.getChildren(m)));
    Support.checkEq(
        "read-only multi with a missing node", "error(-101)+getChildren", describe(partial));
    Support.summary("multi_read", describe(read));
    Support.summary("multi_read_missing", describe(partial));
  }

  static <T> T get(CompletableFuture<T> f, String what) throws Exception {
    try {
      return f.get(Support.WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("timed out waiting for " + what);
    }
  }

  static void async() throws Exception {
    String p = R + "/async";
    CompletableFuture<String> created = new CompletableFuture<>();
    zk.create(p, b("a0"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
        (int rc, String path, Object ctx, String name, Stat st)
            -> created.complete(rc + " " + name + " " + st.getVersion()),
        null);
    Support.checkEq(
        "async create (Create2Callback)", "0 " + p + " 0", get(created, "async create"));

    CompletableFuture<String> set = new CompletableFuture<>();
    zk.setData(
        p, b("a1"), 0, (rc, path, ctx, st) -> set.complete(rc + " " + st.getVersion()), null);
    Support.checkEq("async setData", "0 1", get(set, "async setData"));

    CompletableFuture<String> data = new CompletableFuture<>();
    zk.getData(p, false,
        (rc, path, ctx, d, st) -> data.complete(rc + " " + s(d) + " " + st.getVersion()), null);
    Support.checkEq("async getData", "0 a1 1", get(data, "async getData"));

    CompletableFuture<Integer> missing = new CompletableFuture<>();
    zk.exists(R + "/missing", false, (rc, path, ctx, st) -> missing.complete(rc), null);
    Support.checkEq("async exists of a missing node rc", KeeperException.Code.NONODE.intValue(),
        get(missing, "async exists"));

    CompletableFuture<String> kids = new CompletableFuture<>();
    zk.getChildren(R + "/tree", false,
        (int rc, String path, Object ctx, List<String> ch, Stat st)
            -> kids.complete(rc + " " + Support.sorted(ch) + " " + st.getNumChildren()),
        null);
    Support.checkEq(
        "async getChildren (Children2Callback)", "0 a,d 2", get(kids, "async getChildren"));

    CompletableFuture<String> count = new CompletableFuture<>();
    zk.getAllChildrenNumber(R + "/tree", (rc, path, ctx, n) -> count.complete(rc + " " + n), null);
    Support.checkEq("async getAllChildrenNumber", "0 4", get(count, "async getAllChildrenNumber"));

    CompletableFuture<String> ephs = new CompletableFuture<>();
    zk.getEphemerals(
        R + "/eph", (rc, ctx, paths) -> ephs.complete(rc + " " + Support.sorted(paths)), null);
    Support.checkEq("async getEphemerals", "0 " + R + "/eph", get(ephs, "async getEphemerals"));

    CompletableFuture<String> multi = new CompletableFuture<>();
    zk.multi(Arrays.asList(Op.check(p, 1), Op.setData(p, b("a2"), 1)),
        (rc, path, ctx, results) -> multi.complete(rc + " " + describe(results)), null);
    Support.checkEq("async multi", "0 check+setData", get(multi, "async multi"));

    CompletableFuture<Integer> deleted = new CompletableFuture<>();
    zk.delete(p, 2, (rc, path, ctx) -> deleted.complete(rc), null);
    Support.checkEq("async delete rc", 0, get(deleted, "async delete"));
    Support.checkEq("exists after async delete", null, zk.exists(p, false));
    Support.summary("async_calls", 9);
  }

  // -- watches --------------------------------------------------------------------------------

  static Watcher watcher(String tag) {
    return new Support.EventQueue(tag, events);
  }

  static String next(String what) throws InterruptedException {
    return Support.take(events, what);
  }

  static void expect(String event) throws InterruptedException {
    Support.checkEq("next watch event", event, next(event));
  }

  /** The next n events, in any order (one change firing several watchers). */
  static void expectAll(String... expected) throws InterruptedException {
    Set<String> got = new HashSet<>();
    for (int i = 0; i < expected.length; i++) got.add(next(String.join(" and ", expected)));
    Support.checkEq("watch events of one change", new HashSet<>(Arrays.asList(expected)), got);
  }

  /** Proves no other event is pending: a fresh watch on a new node fires and comes next. */
  static void barrier() throws Exception {
    String p = R + "/barrier-" + (barriers++);
    zk.exists(p, watcher("barrier"));
    zk.create(p, B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    Support.checkEq("next event after the barrier node's creation (an unexpected event came first)",
        "barrier NodeCreated " + p, next("the barrier event"));
  }

  static void oneShotWatches() throws Exception {
    String w = R + "/w";
    Support.checkEq("exists with a watch on a missing node", null, zk.exists(w, watcher("exists")));
    zk.create(w, b("0"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    expect("exists NodeCreated " + w);

    zk.getData(w, watcher("data"), null);
    zk.exists(w, watcher("exists"));
    zk.getData(w, true, null); // the default watcher
    zk.setData(w, b("1"), -1);
    expectAll(
        "data NodeDataChanged " + w, "exists NodeDataChanged " + w, "default NodeDataChanged " + w);
    zk.setData(w, b("2"), -1); // one-shot: nothing fires now
    barrier();

    zk.getChildren(w, watcher("child"));
    zk.create(w + "/c", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    expect("child NodeChildrenChanged " + w);

    zk.getData(w + "/c", watcher("data"), null);
    zk.getChildren(w, watcher("child"));
    zk.delete(w + "/c", -1);
    expectAll("data NodeDeleted " + w + "/c", "child NodeChildrenChanged " + w);

    zk.getChildren(w, watcher("child"));
    zk.exists(w, watcher("exists"));
    zk.delete(w, -1);
    expectAll("child NodeDeleted " + w, "exists NodeDeleted " + w);
    zk.create(w, B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT); // no watch left
    barrier();
    Support.summary(
        "one_shot_events", "NodeCreated,NodeDataChanged,NodeChildrenChanged,NodeDeleted");
  }

  static void persistentWatches() throws Exception {
    String p = R + "/pw";
    zk.addWatch(p, watcher("persistent"), AddWatchMode.PERSISTENT);
    zk.create(p, b("0"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    expect("persistent NodeCreated " + p);
    zk.setData(p, b("1"), -1);
    expect("persistent NodeDataChanged " + p);
    zk.setData(p, b("2"), -1);
    expect("persistent NodeDataChanged " + p);
    zk.create(p + "/k", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    expect("persistent NodeChildrenChanged " + p);
    zk.setData(p + "/k", b("1"), -1); // not recursive: no event for the child's data
    zk.delete(p + "/k", -1);
    expect("persistent NodeChildrenChanged " + p);
    zk.delete(p, -1);
    expect("persistent NodeDeleted " + p);
    zk.create(p, B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    expect("persistent NodeCreated " + p);
    barrier();

    String r = R + "/rw";
    zk.addWatch(r, watcher("recursive"), AddWatchMode.PERSISTENT_RECURSIVE);
    zk.create(r, B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    expect("recursive NodeCreated " + r);
    zk.create(r + "/a", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    expect("recursive NodeCreated " + r + "/a");
    zk.create(r + "/a/b", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    expect("recursive NodeCreated " + r + "/a/b");
    zk.setData(r + "/a/b", b("1"), -1);
    expect("recursive NodeDataChanged " + r + "/a/b");
    zk.setData(r + "/a/b", b("2"), -1);
    expect("recursive NodeDataChanged " + r + "/a/b");
    zk.delete(r + "/a/b", -1);
    expect("recursive NodeDeleted " + r + "/a/b");
    zk.setData(r, b("1"), -1);
    expect("recursive NodeDataChanged " + r);
    barrier();
    Support.summary(
        "persistent_events", "NodeCreated,NodeDataChanged,NodeChildrenChanged,NodeDeleted");
    Support.summary("recursive_events", "NodeCreated,NodeDataChanged,NodeDeleted");

    // Both kinds go away with removeAllWatches(Any): a PersistentWatchRemoved each, then silence.
    zk.removeAllWatches(p, Watcher.WatcherType.Any, false);
    expect("persistent PersistentWatchRemoved " + p);
    zk.removeAllWatches(r, Watcher.WatcherType.Any, false);
    expect("recursive PersistentWatchRemoved " + r);
    zk.setData(p, b("3"), -1);
    zk.create(r + "/z", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    barrier();
  }

  static void removeWatches() throws Exception {
    String x = R + "/rm";
    zk.create(x, B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    Watcher dataW = watcher("rmdata");
    Watcher childW = watcher("rmchild");
    zk.getData(x, dataW, null);
    zk.getChildren(x, childW);
    // removeWatches (the checkWatches request) for one watcher and one type.
    zk.removeWatches(x, dataW, Watcher.WatcherType.Data, false);
    expect("rmdata DataWatchRemoved " + x);
    zk.setData(x, b("1"), -1); // the data watch is gone; the child watch stays
    zk.create(x + "/c", B, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    expect("rmchild NodeChildrenChanged " + x);
    barrier();
    Support.checkThrows("removeWatches of a watcher that is not registered",
        KeeperException.NoWatcherException.class,
        () -> zk.removeWatches(x, dataW, Watcher.WatcherType.Data, false));

    // removeAllWatches (the removeWatches request) for every watcher of both types.
    zk.getData(x, dataW, null);
    zk.getChildren(x, childW);
    zk.removeAllWatches(x, Watcher.WatcherType.Any, false);
    expectAll("rmdata DataWatchRemoved " + x, "rmchild ChildWatchRemoved " + x);
    zk.setData(x, b("2"), -1);
    zk.delete(x + "/c", -1);
    barrier();
    Support.checkThrows("removeAllWatches on a path without watches",
        KeeperException.NoWatcherException.class,
        () -> zk.removeAllWatches(x, Watcher.WatcherType.Any, false));
    Support.summary("removed_events", "DataWatchRemoved,ChildWatchRemoved,PersistentWatchRemoved");
    Support.summary("barriers", barriers);
  }
}
