import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooKeeper;

/**
 * The Java client with canBeReadOnly=true against a member cut off from its quorum in read-only
 * mode: it connects (ConnectedReadOnly), reads what was written before the cut, gets
 * NotReadOnlyException for a write; when the member has rejoined its quorum (ACTION heal) the
 * client ends up SyncConnected on it with a new session (its read-only session was local) and
 * writes.
 *
 * args: the isolated member's host:port, a path written before the cut, its data.
 */
public class ReadOnlyClient {
  public static void main(String[] args) {
    Support.main("ReadOnlyClient", args, a -> run(a[0], a[1], a[2]));
  }

  static void run(String host, String path, String expected) throws Exception {
    BlockingQueue<KeeperState> states = new LinkedBlockingQueue<>();
    ZooKeeper zk = new ZooKeeper(host, Support.SESSION_TIMEOUT_MS, e -> {
      if (e.getType() == org.apache.zookeeper.Watcher.Event.EventType.None) {
        states.add(e.getState());
      }
    }, /*canBeReadOnly=*/true);
    try {
      Support.checkEq("first state", KeeperState.ConnectedReadOnly,
                      Support.take(states, "a read-only connection"));
      long roSession = zk.getSessionId();
      Support.check(roSession != 0, "a read-only session id, got 0");
      Support.checkEq("data read read-only", expected,
                      new String(zk.getData(path, false, null), StandardCharsets.UTF_8));
      Support.checkThrows("create while read-only", KeeperException.NotReadOnlyException.class,
                          () -> zk.create(path + "-java", new byte[0], OPEN_ACL_UNSAFE,
                                          CreateMode.PERSISTENT));
      Support.action("heal");
      KeeperState s;
      do {
        s = Support.take(states, "a read-write connection after the heal");
      } while (s != KeeperState.SyncConnected);
      zk.create(path + "-java", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      Support.summary("new_session", zk.getSessionId() != roSession);
    } finally {
      zk.close();
    }
  }
}
