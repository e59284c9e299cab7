import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.zookeeper.data.Stat;

/**
 * One Curator contender of the cross-client read-write lock and semaphore tests
 * (tests/integration/test_recipes_rwsem_interop.py), next to zk::recipes processes
 * (recipe_tool rwlock / semaphore) on the same paths, journaling each hold.
 *
 * Usage:
 *   CuratorRwSem rwlock hosts lock-path name read|write rounds hold-ms journal
 *   CuratorRwSem semaphore hosts sem-path name max-leases rounds hold-ms journal
 *
 * Once connected it prints "ACTION start-contenders" and waits for "DONE". Then, per round:
 * rwlock takes InterProcessReadWriteLock's read or write lock (acquire(60 s); not acquired =
 * failure), prints "acquired TOKEN" (the czxid of this session's lock node), appends
 * "start NAME R|W TOKEN" to the journal, holds for hold-ms, appends "end NAME R|W TOKEN" and
 * releases. With hold-ms -1 the driver paces it: each round it asks "ACTION acquire" before
 * acquiring and "ACTION release" before releasing, and goes on when the driver answers "DONE".
 * semaphore acquires one lease of InterProcessSemaphoreV2(max-leases) (acquire(60 s)), prints
 * "acquired 1", appends "start NAME 1", holds hold-ms, appends "end NAME 1" and returns the
 * lease.
 * Journal lines are single O_APPEND writes.
 */
final class CuratorRwSem {
  static final long ACQUIRE_S = 60;

  private CuratorRwSem() {}

  public static void main(String[] args) {
    Support.main("CuratorRwSem", args, CuratorRwSem::run);
  }

  static void run(String[] args) throws Exception {
    Support.check(args.length == 8, "usage: rwlock|semaphore hosts path name mode|max rounds "
        + "hold-ms journal (got %d arguments)", args.length);
    String hosts = args[1];
    String path = args[2];
    String name = args[3];
    int rounds = Integer.parseInt(args[5]);
    long holdMs = Long.parseLong(args[6]);
    Path journal = Paths.get(args[7]);
    CuratorFramework client = Support.curator(hosts);
    if (args[0].equals("rwlock")) {
      boolean write = args[4].equals("write");
      Support.check(write || args[4].equals("read"), "mode %s is neither read nor write", args[4]);
      readWriteLock(client, path, name, write, rounds, holdMs, journal);
    } else {
      Support.checkEq("subcommand", "semaphore", args[0]);
      semaphore(client, path, name, Integer.parseInt(args[4]), rounds, holdMs, journal);
    }
    client.close();
  }

  static void readWriteLock(CuratorFramework client, String path, String name, boolean write,
      int rounds, long holdMs, Path journal) throws Exception {
    long session = client.getZookeeperClient().getZooKeeper().getSessionId();
    InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client, path);
    InterProcessMutex lock = write ? rw.writeLock() : rw.readLock();
    String kind = write ? "W" : "R";
    Support.action("start-contenders");
    for (int round = 1; round <= rounds; round++) {
      if (holdMs < 0) {
        Support.action("acquire");
      }
      Support.check(lock.acquire(ACQUIRE_S, TimeUnit.SECONDS),
          "%s: %s lock %s not acquired within %d s in round %d", name, kind, path, ACQUIRE_S,
          round);
      long token = ownToken(client, path, session, write ? "__WRIT__" : "__READ__");
      System.out.println("acquired " + token);
      System.out.flush();
      Support.appendLine(journal, "start " + name + " " + kind + " " + token);
      if (holdMs < 0) {
        Support.action("release");
      } else {
        Thread.sleep(holdMs);
      }
      Support.appendLine(journal, "end " + name + " " + kind + " " + token);
      lock.release();
    }
  }

  /** The czxid of this session's node of the given kind (one lock per process). */
  static long ownToken(CuratorFramework client, String path, long session, String kind)
      throws Exception {
    List<String> children = client.getChildren().forPath(path);
    Long token = null;
    for (String child : children) {
      if (!child.contains(kind)) {
        continue;
      }
      Stat stat = client.checkExists().forPath(path + "/" + child);
      if (stat != null && stat.getEphemeralOwner() == session) {
        Support.check(token == null, "two %s nodes of session 0x%x in %s: %s", kind, session, path,
            children);
        token = stat.getCzxid();
      }
    }
    Support.check(token != null, "lock held but session 0x%x has no %s node in %s: %s", session,
        kind, path, children);
    return token;
  }

  static void semaphore(CuratorFramework client, String path, String name, int maxLeases,
      int rounds, long holdMs, Path journal) throws Exception {
    InterProcessSemaphoreV2 semaphore = new InterProcessSemaphoreV2(client, path, maxLeases);
    Support.action("start-contenders");
    for (int round = 1; round <= rounds; round++) {
      Collection<Lease> leases = semaphore.acquire(1, ACQUIRE_S, TimeUnit.SECONDS);
      Support.check(leases != null, "%s: no lease of %s within %d s in round %d", name, path,
          ACQUIRE_S, round);
      System.out.println("acquired " + leases.size());
      System.out.flush();
      Support.appendLine(journal, "start " + name + " " + leases.size());
      Thread.sleep(holdMs);
      Support.appendLine(journal, "end " + name + " " + leases.size());
      semaphore.returnAll(leases);
    }
  }
}
