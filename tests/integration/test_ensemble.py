"""Replication with real processes: 3 and 5 voters plus an observer on loopback, driven by
Debian's kazoo. Writes through any member are seen through every member; a leader killed
under load is replaced without losing an acknowledged write or a live session's ephemeral;
a restarted member rejoins by DIFF, a wiped one by SNAP; an isolated minority commits nothing
and catches up when healed; srvr/mntr report the roles as ZooKeeper does."""
import re
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException

from ensemble import Ensemble, retrying_client as client, serve
from zkfixtures import wait_until

TICK = {"tickTime": 200}


@pytest.fixture
def ensemble(request):
    voters, observers = getattr(request, "param", (3, 1))
    e = Ensemble(voters, observers, extra_cfg=TICK)
    yield from serve(e)


def test_roles_and_writes_seen_everywhere(ensemble):
    modes = sorted(m.mode() for m in ensemble.members.values())
    assert modes == ["follower", "follower", "leader", "observer"]
    leader = ensemble.leader()
    stats = leader.mntr()
    assert stats["zk_server_state"] == "leader"
    assert stats["zk_followers"] == "3"          # two followers and the observer
    assert stats["zk_synced_followers"] == "2"
    assert stats["zk_pending_syncs"] == "0"
    for m in ensemble.members.values():
        if m is not leader:
            assert "zk_followers" not in m.mntr()

    clients = {sid: client(m.hosts) for sid, m in ensemble.members.items()}
    try:
        for sid, c in clients.items():
            c.create("/from-%d" % sid, b"data-%d" % sid)
        for sid, c in clients.items():
            c.sync("/")
            for other in clients:
                assert c.get("/from-%d" % other)[0] == b"data-%d" % other
        # A client's read after its own write sees it, on a follower and on the observer.
        for sid, c in clients.items():
            for i in range(20):
                c.set("/from-%d" % sid, b"v%d" % i)
                assert c.get("/from-%d" % sid)[0] == b"v%d" % i
        # Stats agree across members (same zxid, same data).
        zxids = {c.exists("/from-1").mzxid for c in clients.values()}
        assert len(zxids) == 1
    finally:
        for c in clients.values():
            c.stop()


def test_leader_killed_under_load(ensemble):
    leader = ensemble.leader()
    others = [m for m in ensemble.members.values() if m is not leader and not m.observer]
    # A live session whose ephemeral must survive the failover.
    keeper = client(others[0].hosts)
    keeper.create("/live", b"", ephemeral=True)
    acked, errors, gaps = [], [], []
    stop = threading.Event()

    def writer(n, hosts):
        c = client(hosts)
        last = time.monotonic()
        i = 0
        while not stop.is_set():
            try:
                c.create("/w%d-%d" % (n, i), b"x")
                acked.append("/w%d-%d" % (n, i))
                now = time.monotonic()
                gaps.append(now - last)
                last = now
            except KazooException as e:
                errors.append(e)
            i += 1
        c.stop()

    threads = [threading.Thread(target=writer, args=(n, ensemble.hosts(others)))
               for n in range(3)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: len(acked) > 200, 20, what="writes before the kill")
        leader.kill9()
        before = len(acked)
        wait_until(lambda: len(acked) > before + 200, 30, what="writes after the kill")
    finally:
        stop.set()
        for t in threads:
            t.join()
    new_leader = ensemble.leader()
    assert new_leader is not None and new_leader is not leader
    check = client(new_leader.hosts)
    try:
        check.sync("/")
        missing = [p for p in acked if check.exists(p) is None]
        assert missing == []
        assert check.exists("/live") is not None
        assert keeper.connected
    finally:
        check.stop()
        keeper.stop()
    # The old leader rejoins from its log, never by a whole snapshot, and has everything. It may
    # have logged proposals that no follower acknowledged before the kill: then the new leader
    # truncates those (TRUNC) and sends the rest as a diff; otherwise it sends a plain DIFF.
    leader.start()
    ensemble.wait_serving()
    assert re.search(r"synchronizing with leader \d+ by (DIFF|TRUNC)",
                     leader.log_text().split("==== start")[-1])
    c = client(leader.hosts)
    try:
        c.sync("/")
        assert [p for p in acked if c.exists(p) is None] == []
    finally:
        c.stop()


def test_wiped_follower_rejoins_by_snapshot(ensemble):
    leader = ensemble.leader()
    c = client(leader.hosts)
    try:
        for i in range(300):
            c.create("/n%03d" % i, b"%d" % i)
        follower = next(m for m in ensemble.members.values()
                        if m is not leader and not m.observer)
        follower.kill9()
        follower.wipe()
        c.create("/while-away", b"")
        follower.start()
        ensemble.wait_serving()
        assert re.search(r"synchronizing with leader \d+ by SNAP", follower.log_text())
        f = client(follower.hosts)
        try:
            f.sync("/")
            assert len(f.get_children("/")) == len(c.get_children("/"))
            assert f.get("/n299")[0] == b"299"
            assert f.exists("/while-away") is not None
            f.create("/after", b"")   # and it takes part in new writes
            c.sync("/")
            assert c.exists("/after") is not None
        finally:
            f.stop()
    finally:
        c.stop()


def test_isolated_minority_commits_nothing_and_catches_up(ensemble):
    isolated = ensemble.members[1]
    majority = [m for sid, m in ensemble.members.items() if sid != 1]
    assert isolated.mode() == "follower"
    c = client(ensemble.hosts(majority))
    try:
        c.create("/before", b"")
        ensemble.isolate(1)
        # It notices the silence (syncLimit) and stops serving: nothing is acknowledged there.
        wait_until(lambda: "not currently serving" in isolated.four_letter("srvr"), 15,
                   what="the isolated member to stop serving")
        iso = KazooClient(hosts=isolated.hosts, timeout=4.0)
        with pytest.raises(Exception):
            iso.start(timeout=2)
        iso.stop()
        # The majority keeps committing.
        for i in range(50):
            c.create("/during-%d" % i, b"")
        ensemble.heal()
        wait_until(lambda: isolated.mode() == "follower", 30, what="the healed member to rejoin")
        f = client(isolated.hosts)
        try:
            f.sync("/")
            assert all(f.exists("/during-%d" % i) is not None for i in range(50))
        finally:
            f.stop()
    finally:
        c.stop()


@pytest.mark.parametrize("ensemble", [(5, 0)], indirect=True)
def test_five_voters_survive_two_failures(ensemble):
    leader = ensemble.leader()
    followers = [m for m in ensemble.members.values() if m is not leader]
    followers[0].kill9()
    leader.kill9()
    alive = followers[1:]
    wait_until(lambda: any(m.mode() == "leader" for m in alive), 30, what="a new leader")
    c = client(ensemble.hosts(alive))
    try:
        c.create("/five", b"ok")
        for m in alive:
            m_c = client(m.hosts)
            try:
                m_c.sync("/")
                assert m_c.get("/five")[0] == b"ok"
            finally:
                m_c.stop()
        # A third failure leaves no quorum: nothing commits, members stop serving.
        alive[0].kill9()
        wait_until(lambda: all("not currently serving" in m.four_letter("srvr") for m in alive[1:]),
                   30, what="the minority to stop serving")
    finally:
        c.stop()
