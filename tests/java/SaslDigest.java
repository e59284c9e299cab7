import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ClientInfo;

/**
 * SASL DIGEST-MD5 with Apache's Java client: the credentials come from the JAAS file's Client
 * section (-Djava.security.auth.login.config). Reports the SASL outcome (SUMMARY auth=
 * SaslAuthenticated or AuthFailed) and, when authenticated, what getData(path) answers (SUMMARY
 * read=<data> or the error code) and whoAmI (SUMMARY whoami=scheme:user,... sorted).
 * Args: connectString path.
 */
final class SaslDigest {
  public static void main(String[] args) {
    Support.main("SaslDigest", args, SaslDigest::run);
  }

  private static void run(String[] args) throws Exception {
    BlockingQueue<KeeperState> states = new LinkedBlockingQueue<>();
    ZooKeeper zk = new ZooKeeper(args[0], Support.SESSION_TIMEOUT_MS, e -> {
      if (e.getType() == EventType.None) states.add(e.getState());
    });
    try {
      KeeperState s;
      do {
        s = Support.take(states, "the SASL outcome");
      } while (s == KeeperState.SyncConnected || s == KeeperState.Disconnected);
      Support.summary("auth", s);
      if (s != KeeperState.SaslAuthenticated) return;
      try {
        Support.summary("read", new String(zk.getData(args[1], false, null),
                                           StandardCharsets.UTF_8));
      } catch (KeeperException e) {
        Support.summary("read", e.code());
      }
      List<String> ids = new ArrayList<>();
      for (ClientInfo c : zk.whoAmI()) ids.add(c.getAuthScheme() + ":" + c.getUser());
      Support.summary("whoami", Support.sorted(ids));
    } finally {
      zk.close();
    }
  }
}
