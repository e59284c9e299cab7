"""Durability and recovery of zabkeeper's storage, driven through real processes.

Snapshots are taken every snapCount txns by a forked child while writes continue, old
snapshots are purged down to autopurge.snapRetainCount together with the log before the oldest
kept one, a damaged newest snapshot falls back to an older one plus the log, and a torn log tail
is cut with a warning instead of stopping the server.
"""

import glob
import os

import pytest
from kazoo.client import KazooClient

import zkfixtures as zf

pytestmark = pytest.mark.zabkeeper_only


def connect(srv):
    c = KazooClient(hosts=srv.hosts, timeout=15)
    c.start(timeout=15)
    return c


def snapshots(srv):
    return sorted(glob.glob(os.path.join(srv.data_dir, "snapshots", "snapshot.*")))


def complete_snapshots(srv):
    return [s for s in snapshots(srv) if not s.endswith(".tmp")]


def write_nodes(c, prefix, n):
    c.ensure_path(prefix)
    for i in range(n):
        c.create("%s/n%05d" % (prefix, i), b"v%d" % i)


def check_nodes(c, prefix, n):
    kids = c.get_children(prefix)
    assert len(kids) == n
    for i in (0, n // 2, n - 1):
        assert c.get("%s/n%05d" % (prefix, i))[0] == b"v%d" % i


def test_snapshots_are_taken_and_purged(zk_factory):
    srv = zk_factory({"snapCount": "100", "autopurge.snapRetainCount": "3"})
    c = connect(srv)
    write_nodes(c, "/s", 1200)
    # Many snapshots were due (one per 51..100 txns); once the children finished, purging has
    # left exactly the 3 newest.
    zf.wait_until(lambda: srv.log_tail(200000).count("snapshot of zxid") >= 5, 20,
                  what="at least 5 snapshots started")
    zf.wait_until(lambda: len(complete_snapshots(srv)) == 3, 20,
                  what="snapshots purged to the 3 newest")
    c.stop()
    c.close()
    srv.restart()
    c = connect(srv)
    check_nodes(c, "/s", 1200)
    c.stop()
    c.close()


def test_damaged_newest_snapshot_falls_back_to_older(zk_factory):
    srv = zk_factory({"snapCount": "100", "autopurge.snapRetainCount": "3"})
    c = connect(srv)
    write_nodes(c, "/d", 700)
    zf.wait_until(lambda: len(complete_snapshots(srv)) >= 2, 20, what="two snapshots")
    c.stop()
    c.close()
    srv.stop()
    newest = complete_snapshots(srv)[-1]
    with open(newest, "r+b") as f:
        f.seek(os.path.getsize(newest) // 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0xFF]))
    srv.start()
    c = connect(srv)
    check_nodes(c, "/d", 700)
    c.stop()
    c.close()
    assert "skipping" in srv.log_tail()


@pytest.mark.parametrize("where", ["data_end", "file_end"])
def test_torn_log_tail_is_cut_not_fatal(zk_factory, where):
    srv = zk_factory()
    c = connect(srv)
    write_nodes(c, "/t", 300)
    c.stop()
    c.close()
    srv.kill9()
    # Garbage in LevelDB's write-ahead log: a torn record at the tail. The log is preallocated
    # (zeros after its data): "data_end" tears it where the data ends and the zeros begin (what a
    # crash leaves), "file_end" behind the zeros (what a crash leaves in a log without them).
    logs = glob.glob(os.path.join(srv.data_dir, "txnlog", "*.log"))
    assert logs, "no LevelDB log file found"
    newest = max(logs, key=os.path.getmtime)
    with open(newest, "r+b") as f:
        content = f.read()
        data_end = len(content.rstrip(b"\0"))
        assert data_end > 0, "the newest log holds no data"
        if where == "data_end":
            assert len(content) - data_end >= 100, "no preallocated zeros after the log's data"
            f.seek(data_end)
        else:
            f.seek(0, os.SEEK_END)
        f.write(os.urandom(100))
    srv.start()
    c = connect(srv)
    check_nodes(c, "/t", 300)
    # The server keeps accepting writes after the cut.
    c.create("/t/after", b"x")
    assert c.get("/t/after")[0] == b"x"
    c.stop()
    c.close()
