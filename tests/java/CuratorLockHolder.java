import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.StandardLockInternalsDriver;
import org.apache.zookeeper.data.Stat;

/**
 * One Curator contender of the cross-client lock test (tests/integration/test_recipes_interop.py):
 * takes Curator's InterProcessMutex on a lock path in rounds, next to zk::recipes::Mutex
 * processes and kazoo Lock clients, and journals each hold.
 *
 * Usage: CuratorLockHolder hosts lock-path name rounds hold-ms journal
 *
 * Once connected it prints "ACTION start-contenders" and waits for "DONE" (the driver starts the
 * other contenders then, so all of them queue at about the same time). Each round:
 * acquire(60 s) (not acquired = failure), read the fencing token — the czxid of the first
 * contender node, which must be this session's while it holds the lock — print
 * "acquired TOKEN", append "start NAME TOKEN" to the journal, sleep hold-ms, append
 * "end NAME TOKEN", release. Journal lines are single O_APPEND writes.
 *
 * Ordering across libraries: Curator sorts contenders by the text after its lock name "lock-",
 * and a name without "lock-" by the whole name. kazoo's nodes ("UUID__lock__SEQ") have no
 * "lock-", so stock Curator would sort them after every sequence number and take the lock while
 * a kazoo client holds it. The mutex is therefore given a driver that sorts by the trailing
 * sequence number (Curator's public LockInternalsDriver extension point; kazoo in turn needs
 * extra_lock_patterns to see Curator's and our nodes). zk::recipes::Mutex nodes
 * ("_c_UUID-lock-SEQ") sort the same either way.
 */
final class CuratorLockHolder {
  static final long ACQUIRE_S = 60;

  private CuratorLockHolder() {}

  public static void main(String[] args) {
    Support.main("CuratorLockHolder", args, CuratorLockHolder::run);
  }

  /** Curator's standard driver, ordering contenders by their trailing sequence number. */
  static final class SequenceOrder extends StandardLockInternalsDriver {
    @Override
    public String fixForSorting(String str, String lockName) {
      return trailingDigits(str) >= 10 ? str.substring(str.length() - 10)
                                       : super.fixForSorting(str, lockName);
    }
  }

  static int trailingDigits(String name) {
    int i = name.length();
    while (i > 0 && Character.isDigit(name.charAt(i - 1))) {
      i--;
    }
    return name.length() - i;
  }

  static void run(String[] args) throws Exception {
    Support.checkEq("argument count (hosts lock-path name rounds hold-ms journal)", 6, args.length);
    String hosts = args[0];
    String path = args[1];
    String name = args[2];
    int rounds = Integer.parseInt(args[3]);
    long holdMs = Long.parseLong(args[4]);
    Path journal = Paths.get(args[5]);

    CuratorFramework client = Support.curator(hosts);
    long session = client.getZookeeperClient().getZooKeeper().getSessionId();
    InterProcessMutex mutex = new InterProcessMutex(client, path, new SequenceOrder());
    Support.action("start-contenders");
    for (int round = 1; round <= rounds; round++) {
      Support.check(mutex.acquire(ACQUIRE_S, TimeUnit.SECONDS),
          "%s: lock %s not acquired within %d s in round %d", name, path, ACQUIRE_S, round);
      long token = holderToken(client, path, session);
      System.out.println("acquired " + token);
      System.out.flush();
      Support.appendLine(journal, "start " + name + " " + token);
      Thread.sleep(holdMs);
      Support.appendLine(journal, "end " + name + " " + token);
      mutex.release();
    }
    client.close();
  }

  /**
   * The czxid of the contender node with the lowest sequence number, which must belong to this
   * session: the one who holds the lock is the first in line.
   */
  static long holderToken(CuratorFramework client, String path, long session) throws Exception {
    List<String> children = client.getChildren().forPath(path);
    String first = null;
    for (String child : children) {
      Support.check(trailingDigits(child) >= 10, "contender %s/%s has no sequence number", path,
          child);
      if (first == null || sequence(child) < sequence(first)) {
        first = child;
      }
    }
    Support.check(first != null, "lock acquired but %s has no contenders", path);
    Stat stat = client.checkExists().forPath(path + "/" + first);
    Support.check(stat != null && stat.getEphemeralOwner() == session,
        "lock acquired by session 0x%x but the first contender of %s is %s, owned by %s (all: %s)",
        session, path, first,
        stat == null ? "nobody (gone)" : "0x" + Long.toHexString(stat.getEphemeralOwner()),
        children);
    return stat.getCzxid();
  }

  static long sequence(String name) {
    return Long.parseLong(name.substring(name.length() - 10));
  }
}
