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
            longest, which shows whether sending the snapshot stalls the leader's clients.

Prints one JSON object per measurement on stdout. Run through scripts/bench-ensemble.sh.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from kazoo.client import KazooClient  # noqa: E402
from kazoo.exceptions import KazooException  # noqa: E402
from kazoo.retry import KazooRetry  # noqa: E402

from ensemble import Ensemble  # noqa: E402
from zkfixtures import wait_until, zk_bin_dir  # noqa: E402

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


def rejoin(kind, znodes):
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
        follower = next(m for m in e.members.values() if m is not leader)
        probe = client(leader.hosts)
        probe.create("/probe", b"0")
        latencies = []  # seconds per setData+getData on the leader, during the rejoin
        stop = threading.Event()

        def probe_leader():
            while not stop.is_set():
                t = time.monotonic()
                try:
                    probe.set("/probe", b"x" * 100)
                    probe.get("/probe")
                except KazooException:
                    continue
                latencies.append(time.monotonic() - t)

        follower.kill9()
        follower.wipe()
        prober = threading.Thread(target=probe_leader)
        prober.start()
        t0 = time.monotonic()
        follower.start()

        def serves_all():
            r = subprocess.run([populate, "--host", follower.host, "--port", str(follower.port),
                                "--count", str(znodes), "--parent", "/bench", "--verify"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return r.returncode == 0

        try:
            wait_until(serves_all, 600, interval=0.05,
                       what="the wiped follower to serve all znodes")
        finally:
            stop.set()
            prober.join()
            probe.stop()
            probe.close()
        rejoin_s = time.monotonic() - t0
        log = follower.log_text()
        lat = sorted(latencies)

        def ms(q):
            return round(1000 * lat[min(len(lat) - 1, int(q * len(lat)))], 2) if lat else None

        return {"kind": kind, "measure": "rejoin", "znodes": znodes,
                "populate_s": round(populate_s, 2), "rejoin_s": round(rejoin_s, 2),
                "by_snapshot": ("by SNAP" in log) if kind == "zabkeeper" else None,
                "leader_probe_ops": len(lat), "leader_set_get_p50_ms": ms(0.5),
                "leader_set_get_p99_ms": ms(0.99),
                "leader_set_get_max_ms": round(1000 * lat[-1], 2) if lat else None}
    finally:
        e.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=["zabkeeper", "apache"], required=True)
    ap.add_argument("--measure", choices=["failover", "rejoin"], required=True)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--before", type=float, default=3.0)
    ap.add_argument("--after", type=float, default=8.0)
    ap.add_argument("--znodes", type=int, default=1000000)
    a = ap.parse_args()
    if a.measure == "failover":
        r = failover(a.kind, a.writers, a.before, a.after)
    else:
        r = rejoin(a.kind, a.znodes)
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
