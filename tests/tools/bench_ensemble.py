"""Ensemble figures, zabkeeper beside Apache ZooKeeper (Debian) with the same topology and
ZooKeeper's default timeouts (tickTime=2000, initLimit=10, syncLimit=5):

  failover  3 voters; writer sessions connected to the two followers create znodes in a loop;
            the leader is killed with SIGKILL; prints the longest gap between two consecutive
            acknowledged writes (all writers merged) and checks that no acknowledged write is
            missing afterwards.
  rejoin    3 voters holding N znodes of 100 bytes (zk_populate); a follower is killed, its
            dataDir wiped and the process restarted; prints the seconds from exec until that
            follower serves all N znodes, and the latency of a client writing and reading on the
            leader meanwhile (setData then getData in a loop, one session): p50, p99 and the
            longest, which shows whether sending the snapshot stalls the leader's clients;
            getData alone apart (no disk on its way: only the leader's io thread).
  resync    3 voters; a follower is stopped while --gap-mib values of 1,000,000 bytes are
            written (1074: about 1 GiB), then restarted; prints the seconds until its last zxid
            is the leader's (a DIFF streamed from the leader's log) and the leader's client
            latency meanwhile, as for rejoin.
--repeat N runs rejoin or resync N times on the same ensemble and reports medians (the runs
too). For diagnosis: ZK_BENCH_SLOW=FILE appends the probe's operations slower than 20 ms with
their wall-clock start (to set beside the servers' logs); ZK_BENCH_PERF=FILE records the
leader with perf (on-CPU samples and context switches, call chains) into FILE.1, FILE.2, ...
during each run; ZK_BENCH_LOG_LEVEL=debug starts the servers at that level (the driver then
logs its io thread stalls); ZK_KEEP_TMP=1 keeps the data directories and logs.

Prints one JSON object per measurement on stdout. Run through scripts/bench-ensemble.sh.
"""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from kazoo.client import KazooClient  # noqa: E402
from kazoo.exceptions import KazooException  # noqa: E402
from kazoo.retry import KazooRetry  # noqa: E402

import ensemble  # noqa: E402
from ensemble import Ensemble  # noqa: E402
from zkfixtures import wait_until, zk_bin_dir  # noqa: E402

if os.environ.get("ZK_BENCH_LOG_LEVEL"):
    # debug shows the driver's io thread stalls ("io thread late by N ms").
    _member_command = ensemble.Member.command
    ensemble.Member.command = lambda self: _member_command(self) + [
        "--log-level", os.environ["ZK_BENCH_LOG_LEVEL"]]

DEFAULTS = {"tickTime": 2000, "initLimit": 10, "syncLimit": 5, "snapCount": 100000}


def client(hosts):
    c = KazooClient(hosts=hosts, timeout=10.0,
                    connection_retry=KazooRetry(max_tries=-1, delay=0.01, max_delay=0.1))
    c.start(timeout=30)
    return c


def failover(kind, writers, seconds_before, seconds_after):
    e = Ensemble(3, 0, kind=kind, extra_cfg=DEFAULTS)
    try:
        e.start()
        leader = e.leader()
        followers = [m for m in e.members.values() if m is not leader]
        hosts = e.hosts(followers)
        done = []  # (monotonic time, path), appended by every writer
        lock = threading.Lock()
        stop = threading.Event()

        def writer(n):
            c = client(hosts)
            i = 0
            while not stop.is_set():
                path = "/f%d-%d" % (n, i)
                try:
                    c.create(path, b"x")
                    with lock:
                        done.append((time.monotonic(), path))
                except KazooException:
                    pass
                i += 1
            c.stop()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        for t in threads:
            t.start()
        time.sleep(seconds_before)
        killed_at = time.monotonic()
        leader.kill9()
        time.sleep(seconds_after)
        stop.set()
        for t in threads:
            t.join()
        times = sorted(t for t, _ in done)
        window = [t for t in times if t >= killed_at - 1.0]
        gaps = [b - a for a, b in zip(window, window[1:])]
        after = [t for t in times if t > killed_at]
        check = client(e.hosts(followers))
        check.sync("/")
        missing = sum(1 for _, p in done if check.exists(p) is None)
        check.stop()
        return {"kind": kind, "measure": "failover", "writers": writers,
                "acked": len(done), "missing_after_failover": missing,
                "longest_gap_s": round(max(gaps), 3) if gaps else None,
                "first_ack_after_kill_s": round(after[0] - killed_at, 3) if after else None,
                "new_leader": (e.leader().sid if e.leader() else None)}
    finally:
        e.cleanup()


def start_perf(member):
    """With ZK_BENCH_PERF=FILE, samples the member's process (perf record -g, every thread)
    until stop_perf: where its io thread spends the stalls."""
    out = os.environ.get("ZK_BENCH_PERF")
    if not out:
        return None
    start_perf.runs += 1
    # On-CPU samples and every context switch (where a thread blocked), with call chains.
    p = subprocess.Popen(["perf", "record", "-q", "-F", "999", "-e", "cpu-clock",
                          "-e", "sched:sched_switch", "-g", "--call-graph", "dwarf,16384",
                          "-o", "%s.%d" % (out, start_perf.runs), "-p", str(member.proc.pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return p


start_perf.runs = 0


def stop_perf(p):
    if p is not None:
        p.send_signal(signal.SIGINT)
        p.wait()


class LeaderProbe(object):
    """A client of the leader that sets and reads one znode in a loop (one session) from start()
    until stop(), timing each set+get: what the leader's clients see meanwhile."""

    def __init__(self, leader):
        self.c = client(leader.hosts)
        if self.c.exists("/probe") is None:
            self.c.create("/probe", b"0")
        self.latencies = []  # seconds per setData+getData
        self.gets = []  # seconds per getData alone (no disk on the way: the io thread only)
        self.slow = []  # (wall clock at the start, seconds) of the operations above 20 ms
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self):
        while not self._stop.is_set():
            t = time.monotonic()
            wall = time.time()
            try:
                self.c.set("/probe", b"x" * 100)
                g = time.monotonic()
                self.c.get("/probe")
                self.gets.append(time.monotonic() - g)
            except KazooException:
                self.errors += 1
                continue
            self.latencies.append(time.monotonic() - t)
            if self.latencies[-1] > 0.02:
                self.slow.append((wall, self.latencies[-1]))

    def start(self):
        self._thread.start()

    def stop(self):
        """Stops the loop and closes the session; returns the figures (ms)."""
        self._stop.set()
        self._thread.join()
        self.c.stop()
        self.c.close()
        if os.environ.get("ZK_BENCH_SLOW"):
            # The slow operations with their wall-clock start, to set beside the servers' logs.
            with open(os.environ["ZK_BENCH_SLOW"], "a") as f:
                for wall, sec in self.slow:
                    f.write("%s.%03d %.1f ms\n" % (time.strftime("%H:%M:%S", time.gmtime(wall)),
                                                   int(wall * 1000) % 1000, 1000 * sec))
        lat = sorted(self.latencies)
        gets = sorted(self.gets)

        def ms(v, q):
            return round(1000 * v[min(len(v) - 1, int(q * len(v)))], 2) if v else None

        return {"leader_probe_ops": len(lat), "leader_probe_errors": self.errors,
                "leader_set_get_p50_ms": ms(lat, 0.5), "leader_set_get_p99_ms": ms(lat, 0.99),
                "leader_set_get_max_ms": ms(lat, 1.0), "leader_get_p99_ms": ms(gets, 0.99),
                "leader_get_max_ms": ms(gets, 1.0)}


def summarize(kind, measure, runs, extra):
    """One result: the figures of every run and, for the timed ones, their median."""
    out = {"kind": kind, "measure": measure}
    out.update(extra)
    for key in runs[0]:
        values = [r[key] for r in runs]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out[key] = statistics.median(values)
        else:
            out[key] = values[0] if len(set(map(str, values))) == 1 else values
    if len(runs) > 1:
        out["runs"] = runs
    return out


def rejoin(kind, znodes, repeat):
    e = Ensemble(3, 0, kind=kind, extra_cfg=DEFAULTS)
    populate = os.path.join(zk_bin_dir(), "zk_populate")
    try:
        e.start()
        leader = e.leader()
        t0 = time.monotonic()
        subprocess.check_call([populate, "--host", leader.host, "--port", str(leader.port),
                               "--count", str(znodes), "--size", "100", "--parent", "/bench",
                               "--depth", "1000"], stdout=subprocess.DEVNULL)
        populate_s = time.monotonic() - t0
        runs = []
        for i in range(repeat):
            leader = e.leader()
            followers = [m for m in e.members.values() if m is not leader]
            follower = followers[i % len(followers)]
            follower.kill9()
            follower.wipe()
            probe = LeaderProbe(leader)
            perf = start_perf(leader)
            probe.start()
            t0 = time.monotonic()
            follower.start()

            def serves_all():
                r = subprocess.run([populate, "--host", follower.host, "--port",
                                    str(follower.port), "--count", str(znodes), "--parent",
                                    "/bench", "--verify"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return r.returncode == 0

            try:
                wait_until(serves_all, 600, interval=0.05,
                           what="the wiped follower to serve all znodes")
            finally:
                rejoin_s = time.monotonic() - t0
                stop_perf(perf)
                figures = probe.stop()
            run = {"rejoin_s": round(rejoin_s, 2),
                   "by_snapshot": ("by SNAP" in follower.log_text()) if kind == "zabkeeper"
                   else None}
            run.update(figures)
            runs.append(run)
        return summarize(kind, "rejoin", runs,
                         {"znodes": znodes, "populate_s": round(populate_s, 2)})
    finally:
        e.cleanup()


def last_zxid(member):
    m = re.search(r"^Zxid: (0x[0-9a-f]+)", member.four_letter("srvr", timeout=2.0), re.M)
    return int(m.group(1), 16) if m else -1


def resync(kind, mib, repeat):
    """A follower stopped while `mib` values of about 1 MiB (1,000,000 bytes: jute.maxbuffer is
    just above) are committed, then restarted: seconds until its last zxid is the leader's (a
    DIFF of the whole gap), and the leader's client latency meanwhile."""
    e = Ensemble(3, 0, kind=kind, extra_cfg=DEFAULTS)
    value = os.urandom(1000000)
    try:
        e.start()
        writer = client(e.leader().hosts)
        writer.ensure_path("/resync")
        runs = []
        for i in range(repeat):
            leader = e.leader()
            followers = [m for m in e.members.values() if m is not leader]
            follower = followers[i % len(followers)]
            follower.stop()
            t0 = time.monotonic()
            pending = []
            for _ in range(mib):
                pending.append(writer.set_async("/resync", value))
                if len(pending) >= 8:
                    pending.pop(0).get(timeout=60)
            for p in pending:
                p.get(timeout=60)
            write_s = time.monotonic() - t0
            target = last_zxid(leader)
            probe = LeaderProbe(leader)
            perf = start_perf(leader)
            probe.start()
            t0 = time.monotonic()
            follower.start()
            try:
                wait_until(lambda: last_zxid(follower) >= target, 900, interval=0.05,
                           what="the follower to catch up with the leader")
            finally:
                resync_s = time.monotonic() - t0
                stop_perf(perf)
                figures = probe.stop()
            log = follower.log_text().rsplit("==== start", 1)[-1]
            run = {"write_s": round(write_s, 2), "resync_s": round(resync_s, 2),
                   "mode": (re.search(r"synchronizing with leader \d+ by (\w+)", log) or
                            [None, None])[1] if kind == "zabkeeper" else None}
            run.update(figures)
            runs.append(run)
        writer.stop()
        writer.close()
        return summarize(kind, "resync", runs, {"gap_mib": mib})
    finally:
        e.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=["zabkeeper", "apache"], required=True)
    ap.add_argument("--measure", choices=["failover", "rejoin", "resync"], required=True)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--before", type=float, default=3.0)
    ap.add_argument("--after", type=float, default=8.0)
    ap.add_argument("--znodes", type=int, default=1000000)
    ap.add_argument("--gap-mib", type=int, default=1074,
                    help="resync: values of 1,000,000 bytes written while the follower is down")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rejoin, resync: runs on the same ensemble (medians are reported)")
    a = ap.parse_args()
    if a.measure == "failover":
        r = failover(a.kind, a.writers, a.before, a.after)
    elif a.measure == "rejoin":
        r = rejoin(a.kind, a.znodes, a.repeat)
    else:
        r = resync(a.kind, a.gap_mib, a.repeat)
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
