import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.leader.Participant;

/**
 * One Curator participant of the cross-client leader selector test
 * (tests/integration/test_recipes_interop.py): queues in Curator's LeaderSelector on a path next
 * to zk::recipes::LeaderSelector processes, leads once, and journals it.
 *
 * Usage: CuratorSelectorParticipant hosts path id hold-ms journal
 *
 * Once connected it prints "ACTION start-contenders" and waits for "DONE" (the driver lets the
 * participants queue one at a time behind a gate node). Then: start a LeaderSelector(client,
 * path, listener) with this id, without auto-requeue; in takeLeadership check that
 * getParticipants() names this id as the leader, print "leading", append "lead ID" to the
 * journal, sleep hold-ms, read the participants again, append "unlead ID" and return. Waits 120
 * s at most for its term. Its last line before "OK" is "participants-seen ID,ID,...": every
 * participant id it saw (C++ participants' ids are their nodes' data, as Curator's).
 */
final class CuratorSelectorParticipant {
  static final long AWAIT_MS = 120_000;

  private CuratorSelectorParticipant() {}

  public static void main(String[] args) {
    Support.main("CuratorSelectorParticipant", args, CuratorSelectorParticipant::run);
  }

  static void run(String[] args) throws Exception {
    Support.checkEq("argument count (hosts path id hold-ms journal)", 5, args.length);
    String hosts = args[0];
    String path = args[1];
    String id = args[2];
    long holdMs = Long.parseLong(args[3]);
    Path journal = Paths.get(args[4]);

    CuratorFramework client = Support.curator(hosts);
    Support.action("start-contenders");
    TreeSet<String> seen = new TreeSet<>();
    CountDownLatch led = new CountDownLatch(1);
    AtomicReference<String> failure = new AtomicReference<>();
    LeaderSelector[] holder = new LeaderSelector[1];
    holder[0] = new LeaderSelector(client, path, new LeaderSelectorListenerAdapter() {
      @Override
      public void takeLeadership(CuratorFramework c) throws Exception {
        try {
          Participant leader = participants(holder[0], seen);
          if (!leader.isLeader() || !leader.getId().equals(id)) {
            failure.set(id + " leads " + path + " but getParticipants() says " + leader);
          }
          System.out.println("leading");
          System.out.flush();
          Support.appendLine(journal, "lead " + id);
          Thread.sleep(holdMs);
          participants(holder[0], seen);
          Support.appendLine(journal, "unlead " + id);
        } finally {
          led.countDown();
        }
      }
    });
    holder[0].setId(id);
    holder[0].start();
    Support.check(led.await(AWAIT_MS, TimeUnit.MILLISECONDS), "%s: no term on %s within %d ms",
        id, path, AWAIT_MS);
    holder[0].close();
    client.close();
    Support.check(failure.get() == null, "%s", failure.get());
    System.out.println("participants-seen " + String.join(",", seen));
  }

  /** The first participant (the leader); every participant's id is added to seen. */
  static Participant participants(LeaderSelector selector, TreeSet<String> seen)
      throws Exception {
    Participant first = null;
    for (Participant p : selector.getParticipants()) {
      seen.add(p.getId());
      if (first == null) {
        first = p;
      }
    }
    return first;
  }
}
