"""Partitions of any member, with real processes: every member has its own loopback address and
dials from it, so iptables can cut the leader (whoever it is) or a follower that is not the
lowest id. A cut-off leader stops serving writes while the majority elects a new leader and goes
on; healed, the old leader rejoins with every acknowledged write and without the write nobody
acknowledged. A cut-off follower catches up when healed."""
import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.retry import KazooRetry

from ensemble import Ensemble, retrying_client as client, serve
from zkfixtures import wait_until

CFG = {"tickTime": 200}


@pytest.fixture
def ensemble():
    e = Ensemble(3, 0, extra_cfg=CFG)
    yield from serve(e)


def all_present(c, paths):
    c.sync("/")
    return all(c.exists(p) is not None for p in paths)


def test_isolated_leader_stops_writes_and_rejoins_with_every_acknowledged_write(ensemble):
    old = ensemble.leader()
    assert old is not None
    others = [m for m in ensemble.members.values() if m is not old]
    acknowledged = []
    c = client(ensemble.hosts(others))
    # A client of the old leader alone, which does not retry on its own.
    on_old = KazooClient(hosts=old.hosts, timeout=4.0,
                         connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.2))
    on_old.start(timeout=15)
    try:
        for i in range(10):
            c.create("/before-%d" % i, b"")
            acknowledged.append("/before-%d" % i)
        wait_until(lambda: all_present(on_old, acknowledged), 15,
                   what="the leader to have the first writes")

        ensemble.isolate(old.sid)
        # A write on the cut-off leader is never acknowledged: it fails (connection loss, or the
        # session lost) instead of succeeding.
        lost = on_old.create_async("/unacknowledged", b"")
        with pytest.raises(KazooException):  # not KazooTimeoutError: it must fail, not hang
            lost.get(timeout=60)
        wait_until(lambda: "not currently serving" in old.four_letter("srvr"), 15,
                   what="the isolated leader to stop serving")

        # The other two elect a new leader among themselves and serve writes.
        wait_until(lambda: any(m.mode() == "leader" for m in others), 30,
                   what="a new leader among the majority")
        for i in range(20):
            c.create("/during-%d" % i, b"")
            acknowledged.append("/during-%d" % i)

        ensemble.heal()
        wait_until(lambda: old.mode() == "follower", 30, what="the old leader to rejoin")
        ensemble.wait_serving()
        f = client(old.hosts)
        try:
            wait_until(lambda: all_present(f, acknowledged), 30,
                       what="every acknowledged write on the old leader")
            assert f.exists("/unacknowledged") is None
        finally:
            f.stop()
        c.sync("/")
        assert c.exists("/unacknowledged") is None
    finally:
        on_old.stop()
        on_old.close()
        c.stop()


def test_isolated_follower_not_the_lowest_id_catches_up(ensemble):
    leader = ensemble.leader()
    assert leader is not None
    followers = sorted(sid for sid, m in ensemble.members.items() if m is not leader)
    sid = followers[-1]  # the highest follower id: never the lowest id of the ensemble
    assert sid != min(ensemble.members)
    isolated = ensemble.members[sid]
    majority = [m for m in ensemble.members.values() if m is not isolated]
    c = client(ensemble.hosts(majority))
    try:
        c.create("/before", b"")
        ensemble.isolate(sid)
        wait_until(lambda: "not currently serving" in isolated.four_letter("srvr"), 15,
                   what="the isolated follower to stop serving")
        written = ["/during-%d" % i for i in range(50)]
        for p in written:
            c.create(p, b"")
        ensemble.heal()
        wait_until(lambda: isolated.mode() == "follower", 30, what="the follower to rejoin")
        f = client(isolated.hosts)
        try:
            wait_until(lambda: all_present(f, ["/before"] + written), 30,
                       what="the healed follower to catch up")
        finally:
            f.stop()
    finally:
        c.stop()
