"""Dynamic reconfiguration of a zabkeeper ensemble of real processes, driven by kazoo's
`reconfig` as ZooKeeper 3.8 answers it (docs/operations.md, "Changing the membership").

An ensemble of three voters runs with reconfigEnabled=true and a super digest. A server that
joins is started first with a configuration listing the current members and itself (as
ZooKeeper's procedure says); it connects to the members, which accept a server they do not list
yet, and `reconfig -add` makes it a member. The tests check what clients see (the reply,
/zookeeper/config on every member, its watch), what the members do (roles, writes acknowledged
before, during and after a change present everywhere), and what survives a restart
(zoo.cfg.dynamic.<version>, dynamicConfigFile).
"""
import os
import re
import subprocess
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (BadArgumentsError, BadVersionError, NewConfigNoQuorumError,
                              NoAuthError)
from kazoo.security import make_digest_acl_credential

import java_support
import zkcli_driver
from ensemble import Ensemble, Member, retrying_client, serve
from zkfixtures import free_port, wait_until

SUPER_PASSWORD = "reconfig-secret"
RECONFIG_CFG = {
    "reconfigEnabled": "true",
    "DigestAuthenticationProvider.superDigest": make_digest_acl_credential("super",
                                                                           SUPER_PASSWORD),
}
TIMEOUT = 30.0


@pytest.fixture
def ensemble():
    yield from serve(Ensemble(voters=3, extra_cfg=RECONFIG_CFG))


def super_client(hosts):
    c = retrying_client(hosts)
    c.add_auth("digest", "super:" + SUPER_PASSWORD)
    return c


def server_lines(ens):
    """The server.N lines of the ensemble's static configuration, by id."""
    return {sid: "%s:%d:%d:participant" % ((Ensemble.address(sid),) + ens.peer_ports[sid])
            for sid in ens.peer_ports}


def parse_config(data):
    """(servers {id: line}, version) of /zookeeper/config's text."""
    text = data.decode() if isinstance(data, bytes) else data
    servers, version = {}, None
    for line in text.splitlines():
        m = re.match(r"server\.(\d+)=(.*)$", line)
        if m:
            servers[int(m.group(1))] = m.group(2)
        elif line.startswith("version="):
            version = int(line[len("version="):], 16)
    return servers, version


def new_member(ens, sid, observer=False):
    """A server `sid` configured with the ensemble's members and itself, not started. Its line
    (with its client port, as a joining server's must be) is `member.spec`."""
    host = Ensemble.address(sid)
    q, e = free_port(host), free_port(host)
    ens.peer_ports[sid] = (q, e)
    servers = {}
    for other, (oq, oe) in ens.peer_ports.items():
        if other == sid:
            continue
        role = ":observer" if ens.members[other].observer else ""
        servers["server.%d" % other] = "%s:%d:%d%s" % (Ensemble.address(other), oq, oe, role)
    role = "observer" if observer else "participant"
    servers["server.%d" % sid] = "%s:%d:%d:%s" % (host, q, e, role)
    d = os.path.join(ens.tmp, "s%d" % sid)
    while os.path.exists(d):  # a replacement of a member that had the id
        d += "+"
    os.makedirs(d)
    m = Member(sid, servers, d, observer=observer, host=host)
    m.extra_cfg.update(RECONFIG_CFG)
    m.write_cfg()
    m.spec = "server.%d=%s:%d:%d:%s;%s:%d" % (sid, host, q, e, role, host, m.port)
    ens.members[sid] = m
    return m


def config_of(member):
    c = KazooClient(hosts=member.hosts, timeout=10.0, read_only=True)
    c.start(timeout=15)
    try:
        data, _ = c.get("/zookeeper/config")
        return parse_config(data)
    finally:
        c.stop()
        c.close()


def wait_config_everywhere(members, ids, timeout=TIMEOUT):
    wait_until(lambda: all(set(config_of(m)[0]) == set(ids) for m in members), timeout,
               what="every member holding the membership %s" % sorted(ids))


class Writer(object):
    """Writes /load/<n> in a loop through a retrying client; `acked` holds what was
    acknowledged."""

    def __init__(self, hosts):
        self.client = retrying_client(hosts)
        self.client.ensure_path("/load")
        self.acked = []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        n = 0
        while not self.stop_flag.is_set():
            path = "/load/w%06d" % n
            try:
                self.client.create(path, b"x")
                self.acked.append(path)
                n += 1
            except Exception:
                time.sleep(0.05)

    def stop(self):
        self.stop_flag.set()
        self.thread.join(30)
        self.client.stop()
        self.client.close()


def check_everywhere(members, paths):
    for m in members:
        c = KazooClient(hosts=m.hosts, timeout=10.0)
        c.start(timeout=15)
        try:
            c.sync("/")
            have = set(c.get_children("/load"))
            missing = [p for p in paths if p.rsplit("/", 1)[1] not in have]
            assert not missing, "member %d lost %d acknowledged writes, e.g. %s" % (
                m.sid, len(missing), missing[:3])
        finally:
            c.stop()
            c.close()


def test_config_node_holds_the_static_membership(ensemble):
    c = super_client(ensemble.hosts())
    try:
        data, stat = c.get("/zookeeper/config")
        servers, version = parse_config(data)
        assert servers == server_lines(ensemble)
        assert version == 0
        assert stat.version == -1  # as ZooKeeper: set outside any txn with version -1
    finally:
        c.stop()


def test_add_and_remove_an_observer(ensemble):
    c = super_client(ensemble.hosts())
    seen = []
    try:
        c.get("/zookeeper/config", watch=lambda e: seen.append(e))
        c.create("/before", b"1")
        observer = new_member(ensemble, 4, observer=True)
        observer.start()
        data, stat = c.reconfig(joining=observer.spec, leaving=None, new_members=None)
        servers, version = parse_config(data)
        assert set(servers) == {1, 2, 3, 4}
        assert servers[4].endswith(":observer;%s:%d" % (observer.host, observer.port))
        assert version == stat.mzxid, "the version is the zxid of the reconfig txn"
        wait_until(lambda: seen, TIMEOUT, what="the config watch firing")
        assert seen[0].path == "/zookeeper/config" and seen[0].type == "CHANGED"
        wait_config_everywhere(ensemble.members.values(), {1, 2, 3, 4})
        wait_until(lambda: observer.mode() == "observer", TIMEOUT, what="server 4 observing")
        # The observer serves what was written before and after it joined.
        c.create("/after", b"2")
        oc = KazooClient(hosts=observer.hosts, timeout=10.0)
        oc.start(timeout=15)
        try:
            oc.sync("/")
            assert oc.exists("/before") and oc.exists("/after")
        finally:
            oc.stop()
        # The files a restart reads: the dynamic file, and zoo.cfg pointing at it.
        for m in ensemble.members.values():
            dyn = "%s.dynamic.%x" % (m.cfg_path, version)
            assert os.path.exists(dyn), "member %d wrote no %s" % (m.sid, dyn)
            with open(m.cfg_path) as f:
                cfg = f.read()
            assert "dynamicConfigFile=" + dyn in cfg and "server.1=" not in cfg

        data, _ = c.reconfig(joining=None, leaving="4", new_members=None, from_config=version)
        servers, _ = parse_config(data)
        assert set(servers) == {1, 2, 3}
        wait_config_everywhere([m for m in ensemble.members.values() if m.sid != 4],
                               {1, 2, 3})
        c.create("/after-removal", b"3")
    finally:
        c.stop()


def test_reconfig_refusals(ensemble):
    plain = retrying_client(ensemble.hosts())
    c = super_client(ensemble.hosts())
    try:
        _, stat = c.get("/zookeeper/config")
        with pytest.raises(NoAuthError):
            plain.reconfig(joining=None, leaving="3", new_members=None)
        with pytest.raises(BadArgumentsError):
            c.reconfig(joining="server.9=no-ports-here", leaving=None, new_members=None)
        with pytest.raises(BadArgumentsError):  # a joining server needs its client port
            c.reconfig(joining="server.9=127.0.0.19:1234:1235", leaving=None, new_members=None)
        with pytest.raises(BadArgumentsError):  # one voter left (standaloneEnabled)
            c.reconfig(joining=None, leaving="1,2", new_members=None)
        with pytest.raises(BadVersionError):
            c.reconfig(joining=None, leaving="3", new_members=None, from_config=0x12345)
        with pytest.raises(NewConfigNoQuorumError):
            # Two voters that are not running: no synced quorum of the new membership.
            c.reconfig(joining="server.8=127.0.0.18:1001:1002;1003,"
                               "server.9=127.0.0.19:1001:1002;1003",
                       leaving="3", new_members=None)
        # Nothing changed; the ensemble still takes writes.
        data, after = c.get("/zookeeper/config")
        assert set(parse_config(data)[0]) == {1, 2, 3}
        assert after.mzxid == stat.mzxid
        c.create("/still-writable", b"")
    finally:
        plain.stop()
        c.stop()


def test_grow_to_five_and_shrink_back_under_writes(ensemble):
    c = super_client(ensemble.hosts())
    writer = Writer(ensemble.hosts([ensemble.members[s] for s in (1, 2, 3)]))
    try:
        time.sleep(0.5)
        joiners = [new_member(ensemble, sid) for sid in (4, 5)]
        # 5 lists 4 as a member too, as it would after 4 joined.
        for j in joiners:
            j.start()
        c.reconfig(joining=joiners[0].spec + "," + joiners[1].spec, leaving=None,
                   new_members=None)
        wait_config_everywhere(ensemble.members.values(), {1, 2, 3, 4, 5})
        wait_until(lambda: all(j.mode() in ("follower", "leader") for j in joiners), TIMEOUT,
                   what="servers 4 and 5 following")
        time.sleep(0.5)
        # Shrink: the two original followers go (the leader may be any of them).
        leaving = [s for s in (1, 2, 3) if ensemble.members[s].mode() != "leader"][:2]
        c.reconfig(joining=None, leaving=",".join(str(s) for s in leaving), new_members=None)
        remaining = [m for m in ensemble.members.values() if m.sid not in leaving]
        wait_config_everywhere(remaining, {m.sid for m in remaining})
        time.sleep(0.5)
    finally:
        writer.stop()
    assert len(writer.acked) > 50, "the writer made little progress: %d" % len(writer.acked)
    check_everywhere(remaining, writer.acked)
    c.stop()


def test_remove_the_leader(ensemble):
    c = super_client(ensemble.hosts())
    try:
        joiner = new_member(ensemble, 4)
        joiner.start()
        c.reconfig(joining=joiner.spec, leaving=None, new_members=None)
        wait_config_everywhere(ensemble.members.values(), {1, 2, 3, 4})
        leader = ensemble.leader()
        c.create("/before", b"")
        c.reconfig(joining=None, leaving=str(leader.sid), new_members=None)
        rest = [m for m in ensemble.members.values() if m.sid != leader.sid]
        wait_config_everywhere(rest, {m.sid for m in rest})
        wait_until(lambda: any(m.mode() == "leader" for m in rest), TIMEOUT,
                   what="a new leader among the remaining members")
        c2 = retrying_client(ensemble.hosts(rest))
        try:
            c2.create("/after", b"")
            assert c2.exists("/before")
        finally:
            c2.stop()
    finally:
        c.stop()


def test_membership_survives_restart(ensemble):
    c = super_client(ensemble.hosts())
    try:
        joiner = new_member(ensemble, 4)
        joiner.start()
        data, _ = c.reconfig(joining=joiner.spec, leaving=None, new_members=None)
        servers, version = parse_config(data)
        wait_config_everywhere(ensemble.members.values(), {1, 2, 3, 4})
        c.create("/x", b"")
    finally:
        c.stop()
    for m in ensemble.members.values():
        m.stop()
    for m in ensemble.members.values():
        m.start()
    ensemble.wait_serving()
    for m in ensemble.members.values():
        got, v = config_of(m)
        assert set(got) == {1, 2, 3, 4} and v == version


def test_replace_a_failed_member(ensemble):
    """Member 3's machine is gone: a fresh server 3 on other ports takes its place."""
    c = super_client(ensemble.hosts())
    writer = Writer(ensemble.hosts([ensemble.members[s] for s in (1, 2)]))
    try:
        old = ensemble.members[3]
        old.kill9()
        del ensemble.members[3]
        replacement = new_member(ensemble, 3)  # new ports, empty data directory
        replacement.start()
        data, _ = c.reconfig(joining=replacement.spec, leaving=None, new_members=None)
        servers, _ = parse_config(data)
        assert servers[3].endswith(";%s:%d" % (replacement.host, replacement.port))
        wait_config_everywhere(ensemble.members.values(), {1, 2, 3})
        wait_until(lambda: replacement.mode() in ("follower", "leader"), TIMEOUT,
                   what="the replacement following")
        # It is a voter now: with member 1 stopped, 2 and 3 still make a quorum.
        ensemble.members[1].stop()
        time.sleep(0.5)
    finally:
        writer.stop()
        old.cleanup()
    c2 = retrying_client(ensemble.hosts([ensemble.members[s] for s in (2, 3)]))
    try:
        c2.create("/with-the-replacement", b"")
    finally:
        c2.stop()
    check_everywhere([ensemble.members[2], ensemble.members[3]], writer.acked)


def test_zkcli_reconfig_and_config(ensemble):
    joiner = new_member(ensemble, 4, observer=True)
    joiner.start()
    script = "addauth digest super:%s\nreconfig -add %s\nconfig -c\n" % (SUPER_PASSWORD,
                                                                         joiner.spec)
    r = zkcli_driver.run(ensemble.hosts(), "-f", "-", input=script)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Committed new configuration:" in r.stdout
    assert re.search(r"^server\.4=.*:observer;", r.stdout, re.M)
    assert joiner.hosts in r.stdout  # config -c: the client addresses
    version = parse_config(r.stdout.split("Committed new configuration:")[1])[1]
    script = ("addauth digest super:%s\nreconfig -remove 4 -v %x -s\nconfig\n" %
              (SUPER_PASSWORD, version))
    r = zkcli_driver.run(ensemble.hosts([ensemble.members[s] for s in (1, 2, 3)]), "-f", "-",
                         input=script)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "server.4=" not in r.stdout.split("Committed new configuration:")[1]
    assert "dataVersion = -1" in r.stdout  # -s: the Stat of /zookeeper/config
    # A stale version is refused as ZooKeeper refuses it.
    r = zkcli_driver.run(ensemble.hosts([ensemble.members[s] for s in (1, 2, 3)]), "-f", "-",
                         input="addauth digest super:%s\nreconfig -remove 3 -v %x\n" %
                         (SUPER_PASSWORD, version))
    assert r.returncode != 0
    assert "version No is not valid : /zookeeper/config" in r.stderr  # zkCli.sh's words


def test_java_admin_and_curator_reconfig(ensemble, java_classes):
    """Apache's ZooKeeperAdmin and Curator (tests/java/ReconfigAdmin.java) reconfigure the
    ensemble (an observer added, then a bulk membership without it whose lines carry the client
    addresses); every configuration text they get back is parsed by ZooKeeper's own QuorumMaj,
    and Curator's EnsembleTracker takes its connection string from the last one."""
    voters = [ensemble.members[sid] for sid in (1, 2, 3)]
    observer = new_member(ensemble, 4, observer=True)
    observer.start()
    # The bulk membership Curator sets: the voters, now with their client addresses.
    members = ",".join("server.%d=%s;%s" % (m.sid, server_lines(ensemble)[m.sid], m.hosts)
                       for m in voters)
    cmd = java_support.java_command(java_classes, "ReconfigAdmin",
                                    [ensemble.hosts(voters), SUPER_PASSWORD, observer.spec, "4",
                                     members])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=150,
                       cwd=java_support.JAVA_SRC)
    out = r.stdout.splitlines()
    assert r.returncode == 0 and out and out[-1] == "OK ReconfigAdmin", r.stdout + r.stderr
    s = dict(line[len("SUMMARY "):].split("=", 1) for line in out if line.startswith("SUMMARY "))
    assert s["before"] == "1:participant,2:participant,3:participant"
    assert s["before_version"] == "0"
    assert s["after"] == "1:participant,2:participant,3:participant,4:observer"
    assert s["event"] == "config NodeDataChanged /zookeeper/config"
    assert s["stale"] == "BADVERSION"
    assert s["curator_after"] == "1:participant,2:participant,3:participant"
    assert s["curator_connection"] == ",".join(sorted(m.hosts for m in voters))
    wait_config_everywhere(voters, {1, 2, 3})
