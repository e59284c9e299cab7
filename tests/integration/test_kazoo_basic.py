"""kazoo protocol tests, parametrized over zabkeeper and Apache ZooKeeper 3.8
(``server_kind``), so every assertion is checked against ZooKeeper's real behaviour.

kazoo 2.8 (Debian) lacks addWatch, container/TTL create, getAllChildrenNumber,
getEphemerals and whoAmI; kazoo_ext sends those on the wire itself.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from kazoo.exceptions import (BadArgumentsError, BadVersionError, NoAuthError, NoChildrenForEphemeralsError,
                              NodeExistsError, NoNodeError, NotEmptyError, RolledBackError,
                              RuntimeInconsistency, UnimplementedError)
from kazoo.protocol.states import EventType, KazooState
from kazoo.security import make_digest_acl, make_digest_acl_credential

import kazoo_ext as kx
import zkfixtures as zf
from zkfixtures import wait_until

SUPER_DIGEST = make_digest_acl_credential("super", "superpw")


@pytest.fixture
def client_factory():
    clients = []

    def make(hosts, **kw):
        c = kx.new_client(hosts, **kw)
        clients.append(c)
        return c

    yield make
    for c in clients:
        try:
            c.stop()
            c.close()
        except Exception:
            pass


def test_connect_and_crud(zk, client_factory):
    c = client_factory(zk.hosts)
    assert c.connected
    assert c.client_id[0] != 0
    assert c.create("/crud", b"v1") == "/crud"
    data, st = c.get("/crud")
    assert data == b"v1"
    assert st.version == 0 and st.dataLength == 2 and st.numChildren == 0 and st.ephemeralOwner == 0
    assert st.czxid == st.mzxid == st.pzxid
    st2 = c.set("/crud", b"v22")
    assert st2.version == 1 and st2.mzxid > st.mzxid and st2.czxid == st.czxid
    with pytest.raises(BadVersionError):
        c.set("/crud", b"x", version=0)
    with pytest.raises(NodeExistsError):
        c.create("/crud", b"")
    with pytest.raises(NoNodeError):
        c.create("/nope/child", b"")
    c.create("/crud/child", b"")
    assert c.get_children("/crud") == ["child"]
    pst = c.exists("/crud")
    assert pst.numChildren == 1 and pst.cversion == 1 and pst.pzxid > st2.mzxid
    with pytest.raises(NotEmptyError):
        c.delete("/crud")
    with pytest.raises(BadVersionError):
        c.delete("/crud/child", version=5)
    c.delete("/crud/child", version=0)
    c.delete("/crud")
    assert c.exists("/crud") is None
    with pytest.raises(NoNodeError):
        c.get("/crud")
    # bad paths are rejected by the server
    for bad in ("//a", "a", "/crud/.."):
        with pytest.raises((BadArgumentsError, NoNodeError)):
            kx.raw_call(c, kx.make_create(bad, b""))
    with pytest.raises(BadArgumentsError):
        kx.raw_call(c, kx.make_create("a", b""))
    with pytest.raises(BadArgumentsError):
        kx.raw_call(c, kx.RawDelete("/", -1))
    # big data: 1000 KiB is fine, a packet above jute.maxbuffer (1 MiB - 1) is refused
    c.create("/big", b"x" * (1000 * 1024))
    assert c.exists("/big").dataLength == 1000 * 1024


def test_sequential_names(zk, client_factory):
    """%010d suffix from the parent's child counter.  Observed on Apache 3.8.0:
    a child delete bumps the visible cversion but not the sequence counter
    (the counter advances once per successful child create)."""
    c = client_factory(zk.hosts)
    c.create("/seq")
    names = [c.create("/seq/n-", b"", sequence=True) for _ in range(3)]
    assert names == ["/seq/n-%010d" % i for i in range(3)]
    c.create("/seq/x")
    assert c.create("/seq/n-", sequence=True) == "/seq/n-0000000004"
    assert c.exists("/seq").cversion == 5
    c.delete("/seq/x")
    assert c.exists("/seq").cversion == 6
    assert c.create("/seq/n-", sequence=True, ephemeral=True) == "/seq/n-0000000005"
    assert c.exists("/seq").cversion == 7
    # no prefix: the name is only the counter
    assert c.create("/seq/", sequence=True) == "/seq/0000000006"
    # a failed create does not consume a number
    with pytest.raises(NoNodeError):
        c.create("/seq/missing/n-", sequence=True)
    assert c.create("/seq/n-", sequence=True) == "/seq/n-0000000007"
    # a plain node squatting on the next sequential name: the sequential create
    # fails with NodeExists, and keeps failing (the counter does not move)
    c.create("/seq/n-0000000009")
    for _ in range(2):
        with pytest.raises(NodeExistsError):
            c.create("/seq/n-", sequence=True)
    c.create("/seq/other")
    assert c.create("/seq/n-", sequence=True) == "/seq/n-0000000010"


def test_ephemerals_vanish_on_close(zk, client_factory):
    c1 = client_factory(zk.hosts)
    c2 = client_factory(zk.hosts)
    c1.create("/eph", b"", ephemeral=True)
    eseq = c1.create("/eseq-", b"", ephemeral=True, sequence=True)
    st = c2.exists("/eph")
    assert st.ephemeralOwner == c1.client_id[0]
    with pytest.raises(NoChildrenForEphemeralsError):
        c1.create("/eph/child")
    assert sorted(kx.raw_call(c1, kx.GetEphemerals("/"))) == sorted(["/eph", eseq])
    c1.stop()
    c1.close()
    # closeSession is synchronous: gone as soon as close() returned
    assert c2.exists("/eph") is None
    assert [n for n in c2.get_children("/") if n.startswith("eseq-")] == []


EXPIRY_CHILD = r"""
import sys, time
sys.path.insert(0, %(here)r)
import kazoo_ext as kx
c = kx.new_client(%(hosts)r, timeout=4.0)
c.create("/expiring", b"", ephemeral=True)
print("SESSION %%d %%d" %% (c.client_id[0], c._session_timeout), flush=True)
time.sleep(600)
"""


def test_session_expiry_removes_ephemerals(zk, client_factory):
    """A client that vanishes without closing: its session expires after the
    negotiated timeout (4 s = 2*tickTime) and its ephemerals are deleted."""
    observer = client_factory(zk.hosts)
    deleted = threading.Event()
    proc = subprocess.Popen([sys.executable, "-c", EXPIRY_CHILD % {"here": os.path.dirname(__file__),
                                                                   "hosts": zk.hosts}],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("SESSION"), line
        sid, negotiated = int(line.split()[1]), int(line.split()[2])
        assert negotiated == 4000
        st = observer.exists("/expiring", watch=lambda ev: ev.type == EventType.DELETED and deleted.set())
        assert st is not None and st.ephemeralOwner == sid
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        t0 = time.monotonic()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert deleted.wait(20), "ephemeral of the dead session not removed within 20 s"
    elapsed = time.monotonic() - t0
    assert observer.exists("/expiring") is None
    # not before the timeout (allow for scheduling slop)
    assert elapsed > 2.0, "session expired too early (%.1fs)" % elapsed


def test_one_shot_watches(zk, client_factory):
    c = client_factory(zk.hosts)
    w = client_factory(zk.hosts)
    events = []
    lock = threading.Lock()

    def rec(tag):
        def cb(ev):
            with lock:
                events.append((tag, ev.type, ev.path))
        return cb

    assert w.exists("/wn", watch=rec("exists")) is None
    c.create("/wn", b"1")
    wait_until(lambda: ("exists", EventType.CREATED, "/wn") in events, 10, what="NodeCreated")
    w.get("/wn", watch=rec("data"))
    w.get_children("/wn", watch=rec("child"))
    c.set("/wn", b"2")
    wait_until(lambda: ("data", EventType.CHANGED, "/wn") in events, 10, what="NodeDataChanged")
    c.set("/wn", b"3")                      # one-shot: no second data event
    c.create("/wn/k")
    wait_until(lambda: ("child", EventType.CHILD, "/wn") in events, 10, what="NodeChildrenChanged")
    c.create("/wn/k2")
    w.get("/wn/k", watch=rec("kdata"))
    c.delete("/wn/k")
    wait_until(lambda: ("kdata", EventType.DELETED, "/wn/k") in events, 10, what="NodeDeleted")
    # sync via the watcher's own session: every event for earlier writes has arrived
    w.sync("/")
    w.get("/wn")
    with lock:
        assert [e for e in events if e[0] == "data"] == [("data", EventType.CHANGED, "/wn")]
        assert [e for e in events if e[0] == "child"] == [("child", EventType.CHILD, "/wn")]
        assert [e for e in events if e[0] == "exists"] == [("exists", EventType.CREATED, "/wn")]


def test_persistent_and_recursive_watches(zk, client_factory):
    c = client_factory(zk.hosts)
    w = client_factory(zk.hosts)
    rec = kx.EventRecorder(w)
    c.create("/pw")
    c.create("/rw")
    kx.raw_call(w, kx.AddWatch("/pw", 0))     # PERSISTENT
    kx.raw_call(w, kx.AddWatch("/rw", 1))     # PERSISTENT_RECURSIVE
    c.set("/pw", b"1")
    c.set("/pw", b"2")
    c.create("/pw/a")
    c.create("/rw/a")
    c.create("/rw/a/b")
    c.set("/rw/a/b", b"x")
    c.delete("/rw/a/b")
    c.set("/rw", b"r")
    expected_pw = [(3, "/pw"), (3, "/pw"), (4, "/pw")]
    expected_rw = [(1, "/rw/a"), (1, "/rw/a/b"), (3, "/rw/a/b"), (2, "/rw/a/b"), (3, "/rw")]
    rec.wait_for(lambda ev: len([e for e in ev if e[1].startswith("/rw")]) >= len(expected_rw), 10)
    w.sync("/")
    ev = rec.snapshot()
    assert [e for e in ev if e[1].startswith("/pw")] == expected_pw
    # recursive watches never send NodeChildrenChanged
    assert [e for e in ev if e[1].startswith("/rw")] == expected_rw
    # removeWatches(ANY) removes the persistent watch (Apache 3.8.0 answers
    # MarshallingError for type 4 = PERSISTENT)
    kx.raw_call(w, kx.RemoveWatches("/pw", 3))
    c.set("/pw", b"3")
    c.set("/rw", b"after")
    rec.wait_for(lambda ev: (3, "/rw") in ev[len(expected_pw) + len(expected_rw):], 10)
    assert [e for e in rec.snapshot() if e[1] == "/pw"][len(expected_pw):] == []


def test_multi(zk, client_factory):
    c = client_factory(zk.hosts)
    c.create("/m", b"0")
    t = c.transaction()
    t.create("/m/a", b"a")
    t.check("/m", 0)
    t.set_data("/m", b"1", version=0)
    t.delete("/m/a")
    res = t.commit()
    assert res[0] == "/m/a" and res[1] is True and res[2].version == 1 and res[3] is True
    assert c.get("/m")[0] == b"1" and c.exists("/m/a") is None
    t = c.transaction()
    t.create("/m/b", b"b")
    t.check("/m", 0)                          # wrong: version is 1
    t.set_data("/m", b"2")
    res = t.commit()
    assert [type(r) for r in res] == [RolledBackError, BadVersionError, RuntimeInconsistency]
    assert c.exists("/m/b") is None and c.get("/m")[0] == b"1"
    # all ops of a multi share one zxid
    res = kx.raw_call(c, kx.Multi([kx.make_create("/m/c"), kx.make_create("/m/d")]))
    assert [r[:2] for r in res] == [("create", "/m/c"), ("create", "/m/d")]
    assert c.exists("/m/c").czxid == c.exists("/m/d").czxid == c.exists("/m").pzxid
    # a failing first op
    res = kx.raw_call(c, kx.Multi([kx.RawDelete("/m/zz", -1), kx.make_create("/m/e")]))
    assert res == [("error", -101, "NoNodeError"), ("error", -2, "RuntimeInconsistency")]


def test_acl_digest_and_super(zk_factory, client_factory):
    zk = zk_factory({"DigestAuthenticationProvider.superDigest": SUPER_DIGEST})
    owner = client_factory(zk.hosts)
    owner.add_auth("digest", "alice:secret")
    acl = [make_digest_acl("alice", "secret", all=True)]
    owner.create("/sec", b"s", acl=acl)
    acls, st = owner.get_acls("/sec")
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [(31, "digest", acl[0].id.id)]
    stranger = client_factory(zk.hosts)
    with pytest.raises(NoAuthError):
        stranger.get("/sec")
    with pytest.raises(NoAuthError):
        stranger.set("/sec", b"x")
    stranger.add_auth("digest", "alice:wrong")
    with pytest.raises(NoAuthError):
        stranger.get("/sec")
    stranger.add_auth("digest", "alice:secret")
    assert stranger.get("/sec")[0] == b"s"
    su = client_factory(zk.hosts)
    su.add_auth("digest", "super:superpw")
    su.set("/sec", b"by-super")
    # CREATOR_ALL ("auth" scheme) needs an authenticated session
    anon = client_factory(zk.hosts)
    from kazoo.exceptions import InvalidACLError
    from kazoo.security import CREATOR_ALL_ACL
    with pytest.raises(InvalidACLError):
        anon.create("/cr", acl=CREATOR_ALL_ACL)
    owner.create("/cr", acl=CREATOR_ALL_ACL)
    assert [a.id.scheme for a in owner.get_acls("/cr")[0]] == ["digest"]
    # setACL with aversion
    st = owner.set_acls("/sec", [make_digest_acl("alice", "secret", read=True, admin=True)], version=0)
    assert st.aversion == 1
    with pytest.raises(BadVersionError):
        owner.set_acls("/sec", acl, version=0)
    with pytest.raises(NoAuthError):
        owner.set("/sec", b"no-write-perm")


def test_container_reaped_after_last_child(zk_factory, client_factory):
    zk = zk_factory({"znode.container.checkIntervalMs": "1000"})
    c = client_factory(zk.hosts)
    path, st = kx.raw_call(c, kx.make_create("/cont", b"", flags=kx.CONTAINER))
    assert path == "/cont"
    kx.raw_call(c, kx.make_create("/never-used", b"", flags=kx.CONTAINER))
    c.create("/cont/child")
    c.create("/cont/child2")
    c.delete("/cont/child")
    # still has a child: must survive a few reaper passes
    gone = threading.Event()
    c.exists("/cont", watch=lambda ev: ev.type == EventType.DELETED and gone.set())
    assert not gone.wait(3)
    assert c.exists("/cont") is not None
    c.delete("/cont/child2")
    assert gone.wait(20), "container not reaped within 20 s after its last child was deleted"
    assert c.exists("/cont") is None
    # a container that never had a child is not reaped (maxNeverUsedIntervalMs=0)
    assert c.exists("/never-used") is not None
    # creating under a reaped container: NoNode
    with pytest.raises(NoNodeError):
        c.create("/cont/again")


def test_container_reaping_schedule_and_pace(zk_factory, client_factory):
    # ZooKeeper's ContainerManager: a check every checkIntervalMs, and at most maxPerMinute
    # deletions per minute, evenly spread (here one per 2 s). Emptied containers go within one
    # interval plus their place in the line; never faster than the pace.
    zk = zk_factory({"znode.container.checkIntervalMs": "1000",
                     "znode.container.maxPerMinute": "30"})
    c = client_factory(zk.hosts)
    paths = ["/paced%d" % i for i in range(4)]
    gone_at = {}
    lock = threading.Lock()

    def watcher(ev):
        if ev.type == EventType.DELETED:
            with lock:
                gone_at[ev.path] = time.monotonic()

    for p in paths:
        kx.raw_call(c, kx.make_create(p, b"", flags=kx.CONTAINER))
        c.create(p + "/child")
    for p in paths:
        c.exists(p, watch=watcher)
    emptied = time.monotonic()
    for p in paths:
        c.delete(p + "/child")
    wait_until(lambda: len(gone_at) == len(paths), 30, what="every emptied container reaped")
    times = sorted(gone_at.values())
    # the first within two check intervals (plus slack for a loaded machine)
    assert times[0] - emptied < 2.0 + 3.0, times[0] - emptied
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(g > 1.5 for g in gaps), "deletions faster than maxPerMinute=30: gaps %r" % gaps


def test_ttl_nodes(zk_factory, client_factory):
    zk = zk_factory({"extendedTypesEnabled": "true", "znode.container.checkIntervalMs": "1000"})
    c = client_factory(zk.hosts)
    kx.raw_call(c, kx.make_create("/ttl", b"", flags=kx.PERSISTENT_WITH_TTL, ttl=1500))
    c.create("/tp")
    p, _ = kx.raw_call(c, kx.make_create("/tp/ttls-", b"", flags=kx.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl=1500))
    assert p == "/tp/ttls-0000000000"
    kx.raw_call(c, kx.make_create("/ttlp", b"", flags=kx.PERSISTENT_WITH_TTL, ttl=1500))
    c.create("/ttlp/child")                  # a TTL node with children is kept
    kx.raw_call(c, kx.make_create("/ttllong", b"", flags=kx.PERSISTENT_WITH_TTL, ttl=3600 * 1000))
    st = c.exists("/ttl")
    assert st.ephemeralOwner == 0            # clients see 0 for TTL nodes (Apache 3.8)
    with pytest.raises(BadArgumentsError):
        kx.raw_call(c, kx.make_create("/ttlbad", b"", flags=kx.PERSISTENT_WITH_TTL, ttl=0))
    wait_until(lambda: c.exists("/ttl") is None and c.exists(p) is None, 20, what="TTL nodes to expire")
    assert c.exists("/ttlp") is not None
    assert c.exists("/ttllong") is not None
    c.delete("/ttlp/child")
    wait_until(lambda: c.exists("/ttlp") is None, 20, what="childless TTL node to expire")


def test_ttl_disabled_is_unimplemented(zk, client_factory):
    c = client_factory(zk.hosts)
    with pytest.raises(UnimplementedError):
        kx.raw_call(c, kx.make_create("/t", b"", flags=kx.PERSISTENT_WITH_TTL, ttl=10000))
    assert c.exists("/t") is None


def test_four_letter_words(zk, client_factory):
    assert zk.four_letter("ruok") == "imok"
    srvr = zk.four_letter("srvr")
    assert "Mode: standalone" in srvr
    assert re.search(r"^Zookeeper version: 3\.[89]\.", srvr, re.M), srvr
    m = zf.parse_mntr(zk.four_letter("mntr"))
    assert m["zk_server_state"] == "standalone"
    base = int(m["zk_znode_count"])
    c = client_factory(zk.hosts)
    for i in range(3):
        c.create("/fl%d" % i)
    m2 = zf.parse_mntr(zk.four_letter("mntr"))
    assert int(m2["zk_znode_count"]) == base + 3
    assert re.match(r"3\.[89]\.", m2["zk_version"])
    envi = zk.four_letter("envi")
    assert re.search(r"^zookeeper\.version=3\.[89]\.", envi, re.M), envi
    assert c.server_version()[:2] in ((3, 8), (3, 9))
    assert c.command(b"ruok") == "imok"


def test_children_count_and_ephemerals(zk, client_factory):
    c = client_factory(zk.hosts)
    c.create("/cnt/a/b", makepath=True)
    c.create("/cnt/c")
    assert kx.raw_call(c, kx.GetAllChildrenNumber("/cnt")) == 3
    with pytest.raises(NoNodeError):
        kx.raw_call(c, kx.GetAllChildrenNumber("/nothing"))
    c.create("/cnt/e1", ephemeral=True)
    c.create("/cnt/a/e2", ephemeral=True)
    assert sorted(kx.raw_call(c, kx.GetEphemerals("/cnt"))) == ["/cnt/a/e2", "/cnt/e1"]
    assert kx.raw_call(c, kx.GetEphemerals("/cnt/a")) == ["/cnt/a/e2"]


def test_restart_recovers_tree_and_session(zk, client_factory):
    c = client_factory(zk.hosts, timeout=30.0)
    sid = c.client_id[0]
    c.create("/r/a", b"da", makepath=True)
    c.create("/r/seq-", b"", sequence=True)
    c.set("/r/a", b"db")
    c.create("/r/eph", b"e", ephemeral=True)
    before = {p: c.get(p) for p in ("/r", "/r/a", "/r/eph")}
    states = []
    c.add_listener(states.append)
    zk.restart()
    wait_until(lambda: KazooState.SUSPENDED in states and c.state == KazooState.CONNECTED, 30,
               what="client to reconnect")
    assert c.client_id[0] == sid, "session was not resumed"
    assert KazooState.LOST not in states
    for p, (data, st) in before.items():
        d2, st2 = c.get(p)
        assert d2 == data
        assert (st2.czxid, st2.mzxid, st2.version, st2.cversion, st2.ephemeralOwner) == \
               (st.czxid, st.mzxid, st.version, st.cversion, st.ephemeralOwner)
    assert c.exists("/r/eph").ephemeralOwner == sid
    # new writes continue after the recovered zxid, sequence counters continue
    assert c.create("/r/seq-", sequence=True) == "/r/seq-0000000003"
    assert c.exists("/r/seq-0000000003").czxid > before["/r/a"][1].mzxid
    # a fresh client sees the same tree
    d = client_factory(zk.hosts)
    assert sorted(d.get_children("/r")) == ["a", "eph", "seq-0000000001", "seq-0000000003"]


def test_set_watches_after_restart_fires_changed(zk, client_factory):
    """SetWatches with the zxid the client had seen fires exactly the watches
    whose nodes changed meanwhile (here: across a server restart) and keeps the
    others registered."""
    a = client_factory(zk.hosts, timeout=30.0)
    b = client_factory(zk.hosts, timeout=30.0)
    b.create("/rw/data", b"0", makepath=True)
    b.create("/rw/kids")
    b.create("/rw/same", b"s")
    b.create("/rw/gone")
    a.sync("/")
    a.get("/rw/data")
    seen_zxid = a.last_zxid
    assert seen_zxid >= b.exists("/rw/gone").czxid
    rec = kx.EventRecorder(a)
    sid = a.client_id[0]
    zk.restart()
    b.set("/rw/data", b"1")
    b.create("/rw/kids/k")
    b.create("/rw/new")
    b.delete("/rw/gone")
    wait_until(lambda: a.connected, 30, what="client A to reconnect")
    assert a.client_id[0] == sid
    kx.raw_call(a, kx.SetWatches(seen_zxid, data=["/rw/data", "/rw/same", "/rw/gone"],
                                 exist=["/rw/new", "/rw/never"], child=["/rw/kids"]))
    want = {(3, "/rw/data"), (4, "/rw/kids"), (1, "/rw/new"), (2, "/rw/gone")}
    rec.wait_for(lambda ev: want <= set(ev), 20)
    a.sync("/")
    assert sorted(rec.snapshot()) == sorted(want)
    # the unchanged ones are registered now
    b.set("/rw/same", b"t")
    b.create("/rw/never")
    rec.wait_for(lambda ev: {(3, "/rw/same"), (1, "/rw/never")} <= set(ev), 10)
    # fired watches were one-shot
    b.set("/rw/data", b"2")
    b.sync("/")
    a.sync("/")
    assert [e for e in rec.snapshot() if e[1] == "/rw/data"] == [(3, "/rw/data")]


def test_kazoo_recipes_see_changes_made_during_restart(zk, client_factory):
    """kazoo's DataWatch / ChildrenWatch re-read after reconnecting, so changes
    made while the server was restarting reach the application.  (Session
    timeout 10 s: a connect attempt that lands while Apache is still starting
    hangs until kazoo's read timeout, 2/3 of the session timeout.  The changes
    are made by a client that connects once the server serves again: one that
    was connected before the stop can be caught in that hang, and on a busy
    machine it outlived the writer's 30 s session.)"""
    a = client_factory(zk.hosts, timeout=10.0)
    b = client_factory(zk.hosts, timeout=30.0)
    b.create("/kr/kids", makepath=True)
    b.create("/kr/data", b"0")
    datas, kids = [], []
    a.DataWatch("/kr/data", lambda data, stat: datas.append(data))
    a.ChildrenWatch("/kr/kids", lambda ch: kids.append(sorted(ch)))
    wait_until(lambda: datas == [b"0"] and kids == [[]], 10, what="initial recipe callbacks")
    b.stop()  # its part is done: it must not be caught reconnecting during the restart
    zk.stop()
    wait_until(lambda: not a.connected, 20, what="client A to notice the stop")
    zk.start()
    c = client_factory(zk.hosts, timeout=30.0)
    c.set("/kr/data", b"1")
    c.create("/kr/kids/x")
    wait_until(lambda: datas[-1:] == [b"1"] and kids[-1:] == [["x"]], 45,
               what="recipes to see the new state: %r %r" % (datas, kids))
    c.set("/kr/data", b"2")
    wait_until(lambda: datas[-1:] == [b"2"], 10, what="watch re-armed")
