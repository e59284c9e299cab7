"""Upgrading from Apache ZooKeeper: `zabkeeper --import-zookeeper` reads the snapshots and logs
Debian's Apache ZooKeeper wrote, and zabkeeper then serves the same tree with the same Stats and
ACLs, continues sequential numbering and zxids, and lets a client that was connected to
ZooKeeper resume its session and its ephemeral when it reconnects to zabkeeper on
the same address. (kazoo drops its watches when its connection drops, so re-registered
watches are not part of this test; the Java and C clients send them again on reconnect.)
"""
import os
import subprocess
import threading

import pytest
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

import kazoo_ext as kx
import zkfixtures as zf

pytestmark = [
    pytest.mark.skipif(zf.skip_reason("apache") is not None, reason=str(zf.skip_reason("apache"))),
    pytest.mark.skipif(zf.skip_reason("zabkeeper") is not None,
                       reason=str(zf.skip_reason("zabkeeper"))),
]

STAT_FIELDS = ("czxid", "mzxid", "pzxid", "ctime", "mtime", "version", "cversion", "aversion",
               "ephemeralOwner", "dataLength", "numChildren")


def snapshot_tree(zk, path="/"):
    """Every node below and at `path`: (data, stat fields, ACLs)."""
    out = {}
    stack = [path]
    while stack:
        p = stack.pop()
        if p == "/zookeeper/config":
            continue  # describes the Apache ensemble; zabkeeper keeps its own
        data, stat = zk.get(p)
        acls, _ = zk.get_acls(p)
        out[p] = (data, tuple(getattr(stat, f) for f in STAT_FIELDS),
                  sorted((a.perms, a.id.scheme, a.id.id) for a in acls))
        for c in zk.get_children(p):
            stack.append(p.rstrip("/") + "/" + c)
    return out


def connect(hosts, **kw):
    zk = KazooClient(hosts=hosts, timeout=30.0, **kw)
    zk.start(timeout=30)
    return zk


def run_import(cfg_path, *extra):
    return subprocess.run([zf.zabkeeper_binary(), "--config", cfg_path, "--import-zookeeper"]
                          + list(extra), capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("compression", ["none", "gz", "snappy"])
def test_import_then_serve_and_resume_sessions(tmp_path, compression):
    # Reapers off for the test's length: the container must still be there to compare.
    no_reaping = {"znode.container.checkIntervalMs": "600000"}
    apache_cfg = dict(no_reaping, extendedTypesEnabled="true")
    apache_cfg["zookeeper.snapCount"] = "40"
    if compression != "none":
        apache_cfg["zookeeper.snapshot.compression.method"] = compression
    apache = zf.ApacheZooKeeper(apache_cfg,
                                tmpdir=str(tmp_path / "apache"))
    os.makedirs(apache.tmpdir, exist_ok=True)
    apache.start()
    zab = None
    holder = writer = fresh = None
    try:
        writer = connect(apache.hosts)
        writer.add_auth("digest", "alice:secret")
        writer.create("/app", b"config-v1")
        writer.create("/app/nested/deep", b"\x00\x01\xff binary", makepath=True)
        writer.create("/app/empty", b"")
        writer.create("/secure", b"s", acl=[make_digest_acl("alice", "secret", all=True)])
        for i in range(6):
            writer.create("/seq/job-", b"%d" % i, sequence=True, makepath=True)
        for name in sorted(writer.get_children("/seq"))[:2]:
            writer.delete("/seq/" + name)
        writer.create("/containers")
        kx.raw_call(writer, kx.make_create("/containers/c1", b"", flags=kx.CONTAINER))
        writer.create("/containers/c1/child", b"x")
        kx.raw_call(writer, kx.make_create("/ttl", b"t", flags=kx.PERSISTENT_WITH_TTL,
                                           ttl=600000))
        # Enough writes for several snapshots and logs (snapCount=40), so the import replays a
        # log tail onto a snapshot taken while writes went on.
        for i in range(150):
            writer.set("/app", b"config-v%d" % (i + 2))
        writer.delete("/containers/c1/child")
        gone = connect(apache.hosts)
        gone.create("/members/m-", b"", ephemeral=True, sequence=True, makepath=True)
        gone.stop()  # its session closes and its ephemeral goes

        holder = connect(apache.hosts)
        holder.create("/members/holder", b"alive", ephemeral=True)
        session_id, password = holder.client_id
        before = snapshot_tree(writer)
        last_zxid = max(v[1][STAT_FIELDS.index("mzxid")] for v in before.values())
        writer.stop()
        writer = None
        apache.stop()
        snaps = [f for f in os.listdir(os.path.join(apache.data_dir, "version-2"))
                 if f.startswith("snapshot.")]
        logs = [f for f in os.listdir(os.path.join(apache.data_dir, "version-2"))
                if f.startswith("log.")]
        assert len(snaps) >= 2 and len(logs) >= 2, (snaps, logs)
        if compression != "none":
            assert any(f.endswith("." + compression) for f in snaps), snaps

        # zabkeeper on ZooKeeper's address, with ZooKeeper's dataDir: its files live beside
        # version-2, which stays as it was.
        zab = zf.ZabkeeperServer(dict(no_reaping, dataDir=apache.data_dir,
                                      extendedTypesEnabled="true"),
                                 tmpdir=str(tmp_path / "zab"),
                                 port=apache.port)
        os.makedirs(zab.tmpdir, exist_ok=True)
        zab.write_cfg()
        before_files = sorted(os.listdir(os.path.join(apache.data_dir, "version-2")))
        r = run_import(zab.cfg_path)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "imported Apache ZooKeeper data" in r.stdout + r.stderr
        assert sorted(os.listdir(os.path.join(apache.data_dir, "version-2"))) == before_files
        again = run_import(zab.cfg_path)
        assert again.returncode == 1 and "already holds data" in again.stdout + again.stderr

        zab.start()
        # The client that was connected to ZooKeeper resumes its session on zabkeeper.
        zf.wait_until(lambda: holder.connected, 30, what="holder reconnected")
        assert holder.client_id[0] == session_id
        data, stat = holder.get("/members/holder")
        assert data == b"alive" and stat.ephemeralOwner == session_id

        fresh = connect(zab.hosts)
        fresh.add_auth("digest", "alice:secret")
        after = snapshot_tree(fresh)
        assert set(after) == set(before)
        for path in before:
            assert after[path] == before[path], path
        assert not fresh.exists("/members/m-0000000000")

        # The resumed session works: a watch set now fires.
        fired = threading.Event()
        holder.get("/app", watch=lambda event: fired.set())
        fresh.set("/app", b"changed on zabkeeper")
        assert fired.wait(10), "watch did not fire"

        # Numbering and zxids continue.
        created = fresh.create("/seq/job-", b"", sequence=True)
        assert created == "/seq/job-0000000006"
        assert fresh.exists(created).czxid > last_zxid
        assert fresh.get_acls("/secure")[0][0].id.scheme == "digest"
        assert fresh.exists("/ttl").ephemeralOwner == before["/ttl"][1][
            STAT_FIELDS.index("ephemeralOwner")]

        # The password ZooKeeper gave is the one zabkeeper checks: a wrong one gets a new session.
        intruder = KazooClient(hosts=zab.hosts, timeout=30.0,
                               client_id=(session_id, bytes(16)))
        try:
            intruder.start(timeout=30)
            assert intruder.client_id[0] != session_id
        finally:
            intruder.stop()
            intruder.close()
        assert holder.exists("/members/holder").ephemeralOwner == session_id
        assert password != bytes(16)

        # Closing the resumed session deletes its ephemeral.
        holder.stop()
        zf.wait_until(lambda: not fresh.exists("/members/holder"), 10, what="ephemeral gone")
    finally:
        for c in (holder, writer, fresh):
            if c is not None:
                try:
                    c.stop()
                    c.close()
                except Exception:
                    pass
        if zab is not None:
            zab.stop()
            zab.cleanup()
        apache.stop()


def test_import_refuses_damaged_files(tmp_path):
    zk_dir = tmp_path / "zk" / "version-2"
    zk_dir.mkdir(parents=True)
    (zk_dir / "snapshot.0").write_bytes(b"ZKSN not really a snapshot")
    zab = zf.ZabkeeperServer({"dataDir": str(tmp_path / "zk")}, tmpdir=str(tmp_path / "zab"))
    zab.write_cfg()
    r = run_import(zab.cfg_path)
    assert r.returncode == 1
    assert "no valid ZooKeeper snapshot" in r.stdout + r.stderr
    assert not os.path.exists(str(tmp_path / "zk" / "snapshots" / "snapshot.0000000000000000"))


def test_import_into_one_member_of_an_ensemble(tmp_path):
    """The documented ensemble upgrade: import on one member, start all three; the members that
    have nothing get the imported tree from the leader."""
    from ensemble import Ensemble
    apache = zf.ApacheZooKeeper({"zookeeper.snapCount": "40"}, tmpdir=str(tmp_path / "apache"))
    apache.start()
    ens = None
    try:
        writer = connect(apache.hosts)
        for i in range(60):
            writer.create("/data/n-", b"v%d" % i, sequence=True, makepath=True)
        writer.set("/data", b"top")
        before = snapshot_tree(writer)
        writer.stop()
        writer.close()
        apache.stop()

        ens = Ensemble(voters=3)
        r = run_import(ens.members[1].cfg_path, "--zookeeper-data-dir",
                       os.path.join(apache.data_dir, "version-2"))
        assert r.returncode == 0, r.stdout + r.stderr
        ens.start()
        for m in ens.members.values():
            c = connect(m.hosts)
            try:
                c.sync("/")
                assert snapshot_tree(c) == before, m.sid
            finally:
                c.stop()
                c.close()
    except Exception:
        if ens is not None:
            ens.dump_logs()
        raise
    finally:
        if ens is not None:
            ens.cleanup()
        apache.stop()
