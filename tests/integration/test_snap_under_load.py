"""A wiped follower synchronizes by SNAP of a large tree while a client keeps writing and reading
on the leader: the follower converges to the leader's state (same last zxid, same tree digest,
every znode), every write acknowledged during the SNAP is on it, and the leader's client sees
no error. The leader's client latency during the SNAP is printed (no timed assertion; the
figures belong to tests/tools/bench_ensemble.py --measure rejoin and docs/performance.md).

ZK_SNAP_ZNODES sets the tree's size (default 200,000; 1000000 for the full measurement)."""
import os
import re
import subprocess
import threading
import time

from kazoo.exceptions import KazooException

from ensemble import Ensemble, retrying_client as client
from zkfixtures import wait_until, zk_bin_dir

ZNODES = int(os.environ.get("ZK_SNAP_ZNODES", "200000"))


def digest_line(member):
    """'<zxid>: <digest>' from the hash four-letter word."""
    return member.four_letter("hash", timeout=5.0).strip()


def populate(member, count, verify=False):
    args = [os.path.join(zk_bin_dir(), "zk_populate"), "--host", member.host, "--port",
            str(member.port), "--count", str(count), "--parent", "/bench"]
    args += ["--verify"] if verify else ["--size", "100", "--depth", "1000"]
    return subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def test_follower_snap_of_a_large_tree_while_the_leader_serves():
    # snapCount below the tree's size: the leader has stored snapshots to send.
    e = Ensemble(3, 0, extra_cfg={"snapCount": max(2, ZNODES // 4)})
    try:
        e.start()
        leader = e.leader()
        assert populate(leader, ZNODES) == 0
        follower = next(m for m in e.members.values() if m is not leader)
        follower.kill9()
        follower.wipe()

        c = client(leader.hosts)
        c.create("/during", b"")
        acked = []  # paths created on the leader during the SNAP
        errors = []
        latencies = []  # seconds per create + get
        stop = threading.Event()

        def writer():
            i = 0
            while not stop.is_set():
                path = "/during/n%07d" % i
                t = time.monotonic()
                try:
                    c.create(path, b"v%d" % i)
                    assert c.get(path)[0] == b"v%d" % i
                except KazooException as ex:
                    errors.append(repr(ex))
                    continue
                latencies.append(time.monotonic() - t)
                acked.append(path)
                i += 1

        w = threading.Thread(target=writer)
        w.start()
        try:
            follower.start()
            wait_until(lambda: populate(follower, ZNODES, verify=True) == 0, 300,
                       interval=0.1, what="the wiped follower to serve every znode")
        finally:
            stop.set()
            w.join()

        lat = sorted(latencies)
        if lat:
            print("\nleader create+get during the SNAP of %d znodes: %d ops, p50 %.2f ms, "
                  "p99 %.2f ms, max %.2f ms" % (
                      ZNODES, len(lat), 1000 * lat[len(lat) // 2],
                      1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], 1000 * lat[-1]))
        assert errors == []
        assert acked, "no write went through during the SNAP"
        log = follower.log_text()
        assert re.search(r"synchronizing with leader \d+ by SNAP", log), log[-3000:]

        # Quiet now: the follower reaches the leader's last zxid and tree digest.
        want = digest_line(leader)
        wait_until(lambda: digest_line(follower) == want, 60,
                   what="the follower's digest to equal the leader's (%s)" % want)
        f = client(follower.hosts)
        try:
            children = set(f.get_children("/during"))
            missing = [p for p in acked if p.rsplit("/", 1)[1] not in children]
            assert missing == []
            assert f.get(acked[-1])[0] == c.get(acked[-1])[0]
            assert leader.mntr()["zk_znode_count"] == follower.mntr()["zk_znode_count"]
        finally:
            f.stop()
            c.stop()
    except BaseException:
        e.dump_logs()
        raise
    finally:
        e.cleanup()
