import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.Participant;

/**
 * One Curator participant of the cross-client leader election test
 * (tests/integration/test_recipes_interop.py): joins Curator's LeaderLatch election on a latch
 * path next to zk::recipes::LeaderLatch processes, leads once, and journals it.
 *
 * Usage: CuratorLatchParticipant hosts latch-path id hold-ms journal
 *
 * Once connected it prints "ACTION start-contenders" and waits for "DONE" (the driver lets the
 * participants join one at a time, behind a gate node that leads until all of them wait). Then:
 * start a LeaderLatch(client, path, id); wait for leadership (120 s at most, in 50 ms slices,
 * reading getParticipants() after each slice); once leading, check that getParticipants() names
 * this id as the leader, print "leading", append "lead ID" to the journal, sleep hold-ms, read
 * the participants again, append "unlead ID", close the latch and the client. Exits 1 if it was
 * not leading any more after hold-ms (hasLeadership() false), or on any failure. Its last line
 * before "OK" is "participants-seen ID,ID,...": every participant id it saw in the election
 * (C++ participants' ids are their nodes' data, as Curator's).
 */
final class CuratorLatchParticipant {
  static final long AWAIT_MS = 120_000;
  static final long SLICE_MS = 50;

  private CuratorLatchParticipant() {}

  public static void main(String[] args) {
    Support.main("CuratorLatchParticipant", args, CuratorLatchParticipant::run);
  }

  static void run(String[] args) throws Exception {
    Support.checkEq("argument count (hosts latch-path id hold-ms journal)", 5, args.length);
    String hosts = args[0];
    String path = args[1];
    String id = args[2];
    long holdMs = Long.parseLong(args[3]);
    Path journal = Paths.get(args[4]);

    CuratorFramework client = Support.curator(hosts);
    Support.action("start-contenders");
    LeaderLatch latch = new LeaderLatch(client, path, id);
    TreeSet<String> seen = new TreeSet<>();
    latch.start();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AWAIT_MS);
    while (!latch.await(SLICE_MS, TimeUnit.MILLISECONDS)) {
      Support.check(System.nanoTime() < deadline, "%s: not leader of %s within %d ms", id, path,
          AWAIT_MS);
      participants(latch, seen);
    }
    List<Participant> now = participants(latch, seen);
    Support.check(!now.isEmpty() && now.get(0).isLeader() && now.get(0).getId().equals(id),
        "%s leads %s but getParticipants() says %s", id, path, now);
    System.out.println("leading");
    System.out.flush();
    Support.appendLine(journal, "lead " + id);
    Thread.sleep(holdMs);
    participants(latch, seen);
    boolean still = latch.hasLeadership();
    Support.appendLine(journal, "unlead " + id);
    latch.close();
    client.close();
    Support.check(still, "%s lost the leadership of %s while leading", id, path);
    System.out.println("participants-seen " + String.join(",", seen));
  }

  /** The election's participants in order (the first leads); their ids are added to seen. */
  static List<Participant> participants(LeaderLatch latch, TreeSet<String> seen)
      throws Exception {
    List<Participant> all = new ArrayList<>(latch.getParticipants());
    for (Participant p : all) {
      seen.add(p.getId());
    }
    return all;
  }
}
