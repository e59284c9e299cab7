import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * What every Java client test program shares: checks that fail with a message naming what was
 * expected and what was seen, bounded waits on latches and queues, the SUMMARY lines the pytest
 * driver reads, the ACTION handshake through which a program asks the driver to act on the
 * servers, the journal lines of the cross-client recipe tests, client construction, and
 * server-side session expiry.
 *
 * Output protocol (stdout): "SUMMARY key=value" lines, "ACTION name" (the driver answers "DONE"
 * on stdin), and "OK program" as the last line on success. A failure prints "FAILED: ..." on
 * stderr and exits 1.
 */
final class Support {
  /** Bound of every single wait (an event, a latch, a reconnect). */
  static final long WAIT_MS = 20_000;
  static final int SESSION_TIMEOUT_MS = 10_000;

  private Support() {}

  interface Body {
    void run(String[] args) throws Exception;
  }

  /** Runs a test program's body; exits 0 after "OK name", or 1 with the failure on stderr. */
  static void main(String name, String[] args, Body body) {
    int rc = 0;
    try {
      body.run(args);
      System.out.println("OK " + name);
    } catch (Throwable t) {
      System.err.println("FAILED: " + name + ": " + t);
      t.printStackTrace(System.err);
      rc = 1;
    }
    System.out.flush();
    System.err.flush();
    // Client threads (Curator, ZooKeeper event threads) must not keep the JVM alive.
    Runtime.getRuntime().halt(rc);
  }

  // -- checks ---------------------------------------------------------------------------------

  static void check(boolean cond, String what, Object... args) {
    if (!cond) {
      throw new AssertionError(String.format(what, args));
    }
  }

  static void checkEq(String what, Object expected, Object actual) {
    if (!Objects.equals(expected, actual)) {
      throw new AssertionError(what + ": expected <" + expected + "> but saw <" + actual + ">");
    }
  }

  /** The call must throw an exception of the given class. */
  static void checkThrows(String what, Class<? extends Throwable> expected, ThrowingRunnable r) {
    try {
      r.run();
    } catch (Throwable t) {
      if (expected.isInstance(t)) {
        return;
      }
      throw new AssertionError(
          what + ": expected " + expected.getSimpleName() + " but got " + t, t);
    }
    throw new AssertionError(what + ": expected " + expected.getSimpleName() + " but it succeeded");
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  static String sorted(Collection<String> items) {
    return String.join(",", new TreeSet<>(items));
  }

  // -- bounded waits --------------------------------------------------------------------------

  static void await(CountDownLatch latch, String what) throws InterruptedException {
    if (!latch.await(WAIT_MS, TimeUnit.MILLISECONDS)) {
      throw new AssertionError("timed out after " + WAIT_MS + " ms waiting for " + what);
    }
  }

  static <T> T take(BlockingQueue<T> q, String what) throws InterruptedException {
    T v = q.poll(WAIT_MS, TimeUnit.MILLISECONDS);
    if (v == null) {
      throw new AssertionError("timed out after " + WAIT_MS + " ms waiting for " + what);
    }
    return v;
  }

  /**
   * Polls a condition against a deadline. Only for state that offers no event to wait on (e.g.
   * a recipe's view that has no listener); everything else waits on a latch or a queue.
   */
  static void awaitCondition(String what, BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + WAIT_MS + " ms waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  // -- output protocol ------------------------------------------------------------------------

  static void summary(String key, Object value) {
    System.out.println("SUMMARY " + key + "=" + value);
    System.out.flush();
  }

  private static BufferedReader stdin;

  /** Asks the driver to do something to the servers and waits until it says it is done. */
  static void action(String name) throws Exception {
    System.out.println("ACTION " + name);
    System.out.flush();
    if (stdin == null) {
      stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    }
    String reply = stdin.readLine();
    checkEq("driver reply to ACTION " + name, "DONE", reply);
  }

  /**
   * Appends one line to a journal file shared by concurrent processes: one write, O_APPEND, so
   * lines never interleave.
   */
  static void appendLine(Path journal, String line) throws Exception {
    Files.write(journal, (line + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
  }

  // -- clients --------------------------------------------------------------------------------

  /** A raw ZooKeeper handle, connected (SyncConnected seen) before it is returned. */
  static ZooKeeper connect(String hosts) throws Exception {
    return connect(hosts, null);
  }

  /** As connect(hosts); events other than connection states go to defaultWatcher if given. */
  static ZooKeeper connect(String hosts, Watcher defaultWatcher) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(hosts, SESSION_TIMEOUT_MS, e -> {
      if (e.getType() == Watcher.Event.EventType.None) {
        if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
          connected.countDown();
        }
      } else if (defaultWatcher != null) {
        defaultWatcher.process(e);
      }
    });
    await(connected, "a ZooKeeper session on " + hosts);
    return zk;
  }

  /** A started Curator client, connected before it is returned. */
  static CuratorFramework curator(String hosts) throws Exception {
    return curator(hosts, null);
  }

  /** As curator(hosts), with a connection-state listener added before the client starts. */
  static CuratorFramework curator(String hosts, ConnectionStateListener states) throws Exception {
    CuratorFramework c = CuratorFrameworkFactory.builder()
                             .connectString(hosts)
                             .sessionTimeoutMs(SESSION_TIMEOUT_MS)
                             .connectionTimeoutMs(5_000)
                             .retryPolicy(new BoundedExponentialBackoffRetry(50, 1_000, 40))
                             .build();
    if (states != null) {
      c.getConnectionStateListenable().addListener(states);
    }
    c.start();
    check(c.blockUntilConnected((int) WAIT_MS, TimeUnit.MILLISECONDS),
        "Curator client connects to %s", hosts);
    return c;
  }

  /** Connection-state event recorder for ZooKeeper watchers. */
  static final class EventQueue implements Watcher {
    final String tag;
    final BlockingQueue<String> sink;

    EventQueue(String tag, BlockingQueue<String> sink) {
      this.tag = tag;
      this.sink = sink;
    }

    @Override
    public void process(WatchedEvent e) {
      if (e.getType() == Event.EventType.None) {
        return;
      }
      sink.add(tag + " " + e.getType() + " " + e.getPath());
    }
  }

  /** Records a Curator client's connection states in order; waits on them without polling. */
  static final class StateLog implements ConnectionStateListener {
    private final List<ConnectionState> states = new ArrayList<>();

    @Override
    public synchronized void stateChanged(CuratorFramework client, ConnectionState newState) {
      states.add(newState);
      notifyAll();
    }

    synchronized List<ConnectionState> all() {
      return new ArrayList<>(states);
    }

    synchronized String describe() {
      List<String> out = new ArrayList<>();
      for (ConnectionState s : states) out.add(s.name());
      return String.join("+", out);
    }

    /** Waits until the state was seen (at or after index from). */
    synchronized void awaitState(ConnectionState want, int from) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
      while (states.subList(Math.min(from, states.size()), states.size()).indexOf(want) < 0) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new AssertionError(
              "timed out waiting for connection state " + want + "; saw " + describe());
        }
        wait(left);
      }
    }

    /** Waits until the latest state is a connected one (CONNECTED, RECONNECTED, READ_ONLY). */
    synchronized void awaitConnected() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
      while (states.isEmpty() || !states.get(states.size() - 1).isConnected()) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new AssertionError("timed out waiting to be connected; saw " + describe());
        }
        wait(left);
      }
    }
  }

  // -- server-side session expiry -------------------------------------------------------------

  /**
   * The member of hosts whose "cons" lists the session, or hosts itself if none does (then the
   * expiring handle may land anywhere).
   */
  static String memberOf(String hosts, long sessionId) {
    String needle = "sid=0x" + Long.toHexString(sessionId);
    for (String h : hosts.split(",")) {
      if (fourLetter(h, "cons").contains(needle)) {
        return h;
      }
    }
    return hosts;
  }

  static String fourLetter(String hostPort, String word) {
    int colon = hostPort.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(
                    hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))),
          2_000);
      s.setSoTimeout(2_000);
      OutputStream out = s.getOutputStream();
      out.write(word.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      s.shutdownOutput();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (Exception e) {
      return "";
    }
  }

  /**
   * Ends a session on the server while its owner is still running: a second handle attaches to
   * the session (on the member the owner is connected to, which makes that member drop the
   * owner's connection) and closes it, which closes the session. beforeClose runs while the
   * second handle is attached (e.g. to wait until the owner saw its disconnection). Repeated
   * until a fresh attach is told the session has expired, which proves it is gone.
   */
  static void expireSession(String hosts, long sessionId, byte[] password,
      ThrowingRunnable beforeClose) throws Exception {
    String member = memberOf(hosts, sessionId);
    for (int attempt = 0; attempt < 5; attempt++) {
      BlockingQueue<Watcher.Event.KeeperState> states = new LinkedBlockingQueue<>();
      ZooKeeper killer = new ZooKeeper(member, SESSION_TIMEOUT_MS, e -> {
        if (e.getType() == Watcher.Event.EventType.None) {
          states.add(e.getState());
        }
      }, sessionId, password);
      try {
        Watcher.Event.KeeperState st =
            take(states, "the attach to session 0x" + Long.toHexString(sessionId));
        if (st == Watcher.Event.KeeperState.Expired) {
          return;
        }
        checkEq("state of a second handle attached to session 0x" + Long.toHexString(sessionId),
            Watcher.Event.KeeperState.SyncConnected, st);
        if (attempt == 0 && beforeClose != null) {
          beforeClose.run();
        }
      } finally {
        killer.close();
      }
    }
    throw new AssertionError(
        "session 0x" + Long.toHexString(sessionId) + " still alive after 5 closes");
  }

  /** Waits (child watches, no polling) until the node has n children; returns them. */
  static List<String> awaitChildren(ZooKeeper zk, String path, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (true) {
      CountDownLatch changed = new CountDownLatch(1);
      List<String> kids = zk.getChildren(path, e -> changed.countDown());
      if (kids.size() == n) {
        return kids;
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0 || !changed.await(left, TimeUnit.MILLISECONDS)) {
        throw new AssertionError(
            "timed out waiting for " + n + " children of " + path + "; saw " + kids);
      }
    }
  }
}
