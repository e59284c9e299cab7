import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;

/**
 * The Curator counterpart of `zkbench --op lock` (client/bench/lock_bench.h), for
 * scripts/bench-recipes.sh: N contenders, each a thread with its own CuratorFramework session
 * and its own InterProcessMutex on one lock path, acquire (500 ms at most per call) and release
 * in a loop; after the warm-up (which also warms up the JIT) every acquisition, hand-off
 * (a holder's release call to the next holder's acquire return), acquire call and
 * acquire+release cycle is recorded, and quantiles are exact (nearest rank), as zkbench's.
 *
 * Usage: CuratorLockBench servers contenders warmup-s duration-s hold-us path [cpu-pids clk-tck]
 * cpu-pids: comma-separated server pids whose CPU time (utime+stime from /proc/PID/stat, in
 * clock ticks of clk-tck per second) is reported for the measured window, as zkbench's
 * --cpu-pids. Prints a human summary, then one JSON line with the same keys as
 * `zkbench --op lock --json`.
 * Exits 1 if there were no acquisitions or any error.
 */
final class CuratorLockBench {
  private CuratorLockBench() {}

  static final class Shared {
    long measureFrom;
    long measureUntil;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong releasedNs = new AtomicLong();
    final AtomicInteger releasedBy = new AtomicInteger(-1);

    boolean measuring(long t) {
      return t >= measureFrom && t < measureUntil;
    }
  }

  static final class Samples {
    long[] v = new long[1024];
    int n;

    void add(long x) {
      if (n == v.length) {
        v = Arrays.copyOf(v, n * 2);
      }
      v[n++] = x;
    }

    void addAll(Samples o) {
      for (int i = 0; i < o.n; i++) {
        add(o.v[i]);
      }
    }
  }

  static final class Contender implements Runnable {
    final int index;
    final Shared shared;
    final CuratorFramework client;
    final InterProcessMutex mutex;
    final long holdUs;
    final Samples acquire = new Samples();
    final Samples handoff = new Samples();
    final Samples cycle = new Samples();
    long acquisitions;
    long errors;
    final List<String> errorNames = new ArrayList<>();

    Contender(int index, Shared shared, String servers, String path, long holdUs)
        throws Exception {
      this.index = index;
      this.shared = shared;
      this.holdUs = holdUs;
      client = CuratorFrameworkFactory.builder()
                   .connectString(servers)
                   .sessionTimeoutMs(30_000)
                   .connectionTimeoutMs(15_000)
                   .retryPolicy(new BoundedExponentialBackoffRetry(50, 1_000, 10))
                   .build();
      client.start();
      if (!client.blockUntilConnected(15, TimeUnit.SECONDS)) {
        throw new IllegalStateException("cannot connect to " + servers);
      }
      mutex = new InterProcessMutex(client, path);
    }

    @Override
    public void run() {
      while (!shared.stop.get()) {
        long t0 = System.nanoTime();
        boolean got;
        try {
          got = mutex.acquire(500, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
          if (shared.measuring(System.nanoTime())) {
            errors++;
            errorNames.add(e.toString());
          }
          continue;
        }
        long t1 = System.nanoTime();
        if (!got) {
          continue;
        }
        long released = shared.releasedNs.getAndSet(0);
        int by = shared.releasedBy.get();
        boolean measuring = shared.measuring(t1);
        if (measuring) {
          acquisitions++;
          acquire.add(t1 - t0);
          if (released != 0 && by != index) {
            handoff.add(t1 - released);
          }
        }
        if (holdUs > 0) {
          long until = System.nanoTime() + holdUs * 1000;
          while (System.nanoTime() < until) {
            try {
              TimeUnit.NANOSECONDS.sleep(until - System.nanoTime());
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        }
        shared.releasedBy.set(index);
        shared.releasedNs.set(System.nanoTime());
        try {
          mutex.release();
        } catch (Exception e) {
          if (measuring) {
            errors++;
            errorNames.add(e.toString());
          }
          continue;
        }
        if (measuring) {
          cycle.add(System.nanoTime() - t0);
        }
      }
    }
  }

  /** utime + stime of the processes in seconds; -1 if one is unreadable. */
  static double cpuSeconds(String[] pids, double clkTck) {
    double total = 0;
    for (String pid : pids) {
      try {
        String stat = new String(java.nio.file.Files.readAllBytes(
            java.nio.file.Paths.get("/proc/" + pid + "/stat")), "US-ASCII");
        // Fields after the command name (which may hold spaces) start after the last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
        // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        total += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / clkTck;
      } catch (Exception e) {
        return -1;
      }
    }
    return total;
  }

  /** {n, p50, p90, p99, max, mean} in microseconds, nearest rank. */
  static String quantiles(Samples s) {
    long[] v = Arrays.copyOf(s.v, s.n);
    Arrays.sort(v);
    if (v.length == 0) {
      return "{\"n\":0,\"p50\":0,\"p90\":0,\"p99\":0,\"max\":0,\"mean\":0}";
    }
    double sum = 0;
    for (long x : v) {
      sum += x;
    }
    return String.format(java.util.Locale.ROOT,
        "{\"n\":%d,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f}", v.length,
        rank(v, 0.5), rank(v, 0.9), rank(v, 0.99), v[v.length - 1] / 1000.0,
        sum / v.length / 1000.0);
  }

  static double rank(long[] sorted, double q) {
    int r = (int) Math.ceil(q * sorted.length);
    r = Math.max(1, Math.min(sorted.length, r));
    return sorted[r - 1] / 1000.0;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 6 && args.length != 8) {
      System.err.println(
          "usage: CuratorLockBench servers contenders warmup-s duration-s hold-us path"
              + " [cpu-pids clk-tck]");
      System.exit(2);
    }
    String servers = args[0];
    int n = Integer.parseInt(args[1]);
    double warmup = Double.parseDouble(args[2]);
    double duration = Double.parseDouble(args[3]);
    long holdUs = Long.parseLong(args[4]);
    String path = args[5];

    Shared shared = new Shared();
    List<Contender> contenders = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      contenders.add(new Contender(i, shared, servers, path, holdUs));
    }
    long t0 = System.nanoTime();
    shared.measureFrom = t0 + (long) (warmup * 1e9);
    shared.measureUntil = shared.measureFrom + (long) (duration * 1e9);
    List<Thread> threads = new ArrayList<>();
    for (Contender c : contenders) {
      Thread t = new Thread(c, "contender-" + c.index);
      threads.add(t);
      t.start();
    }
    String[] pids = args.length == 8 ? args[6].split(",") : new String[0];
    double clkTck = args.length == 8 ? Double.parseDouble(args[7]) : 100;
    long now;
    while ((now = System.nanoTime()) < shared.measureFrom) {
      TimeUnit.NANOSECONDS.sleep(shared.measureFrom - now);
    }
    double cpuBefore = cpuSeconds(pids, clkTck);
    while ((now = System.nanoTime()) < shared.measureUntil) {
      TimeUnit.NANOSECONDS.sleep(shared.measureUntil - now);
    }
    double cpuAfter = cpuSeconds(pids, clkTck);
    shared.stop.set(true);
    for (Thread t : threads) {
      t.join();
    }
    Samples acquire = new Samples();
    Samples handoff = new Samples();
    Samples cycle = new Samples();
    long acquisitions = 0;
    long errors = 0;
    List<String> errorNames = new ArrayList<>();
    for (Contender c : contenders) {
      acquire.addAll(c.acquire);
      handoff.addAll(c.handoff);
      cycle.addAll(c.cycle);
      acquisitions += c.acquisitions;
      errors += c.errors;
      errorNames.addAll(c.errorNames);
      c.client.close();
    }
    double perS = acquisitions / duration;
    System.out.printf(java.util.Locale.ROOT,
        "CuratorLockBench: contenders=%d hold-us=%d path=%s servers=%s%n", n, holdUs, path,
        servers);
    System.out.printf(java.util.Locale.ROOT, "  acquisitions: %d in %.1f s = %.0f /s (errors: %d)%n",
        acquisitions, duration, perS, errors);
    for (String e : errorNames.subList(0, Math.min(5, errorNames.size()))) {
      System.out.println("  error " + e);
    }
    String cpu = "";
    if (pids.length > 0 && cpuBefore >= 0 && cpuAfter >= 0) {
      double serverCpu = cpuAfter - cpuBefore;
      System.out.printf(java.util.Locale.ROOT,
          "  server CPU: %.2f s = %.3f s per 10k acquisitions%n", serverCpu,
          acquisitions > 0 ? serverCpu * 1e4 / acquisitions : -1.0);
      cpu = String.format(java.util.Locale.ROOT,
          ",\"server_cpu_s\":%.3f,\"server_cpu_s_per_10k_ops\":%.4f", serverCpu,
          acquisitions > 0 ? serverCpu * 1e4 / acquisitions : -1.0);
    }
    System.out.printf(java.util.Locale.ROOT,
        "{\"op\":\"lock\",\"client\":\"Curator InterProcessMutex\",\"servers\":\"%s\","
            + "\"contenders\":%d,\"hold_us\":%d,\"warmup_s\":%s,\"duration_s\":%s,"
            + "\"acquisitions\":%d,\"acquisitions_per_sec\":%.3f,\"errors\":%d,"
            + "\"handoff_us\":%s,\"acquire_us\":%s,\"cycle_us\":%s%s}%n",
        servers, n, holdUs, args[2], args[3], acquisitions, perS, errors, quantiles(handoff),
        quantiles(acquire), quantiles(cycle), cpu);
    System.exit(acquisitions > 0 && errors == 0 ? 0 : 1);
  }
}
