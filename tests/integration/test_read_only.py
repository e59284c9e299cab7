"""Read-only mode (readonlymode.enabled=true) with a 3-member zabkeeper ensemble: the lowest-id
member, cut off from its quorum with iptables, serves reads to clients that asked for a
read-only session (kazoo's read_only=True), refuses their writes and syncs with NOTREADONLY,
refuses clients that did not ask, says so in srvr/isro/mntr; once healed it rejoins the quorum,
closes its read-only connections, and the client reconnects read-write. Our client (through
zkcli -r) finds a read-write server by itself with its background `isro` probe; Apache's Java
client with canBeReadOnly goes through the same cycle."""
import subprocess
import threading

import pexpect
import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NotReadOnlyCallError
from kazoo.protocol.states import KeeperState
from kazoo.retry import KazooRetry

import java_support as js
import packet_filter
from ensemble import Ensemble, serve
from zkcli_driver import Interactive
from zkfixtures import wait_until

# maxSessionTimeout: a read-write session must outlive the partition (20 ticks would be 4 s).
CFG = {"tickTime": 200, "readonlymode.enabled": "true", "maxSessionTimeout": 30000}


@pytest.fixture
def ensemble():
    e = Ensemble(3, 0, extra_cfg=CFG)
    yield from serve(e)


def kazoo(hosts, read_only=False, timeout=6.0):
    return KazooClient(hosts=hosts, timeout=timeout, read_only=read_only,
                       connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.2))


def test_isolated_member_serves_reads_read_only_then_rejoins(ensemble):
    isolated = ensemble.members[1]
    majority = [m for sid, m in ensemble.members.items() if sid != 1]
    assert isolated.four_letter("isro") == "rw"
    rw = kazoo(isolated.hosts)
    rw.start(timeout=15)
    try:
        rw.create("/ro/data", b"before", makepath=True)
        rw.sync("/")  # the isolated member has applied it
    finally:
        rw.stop()
        rw.close()

    ensemble.isolate(1)
    # syncLimit (5 ticks) to notice, then at least 2 s of looking before it turns read-only.
    wait_until(lambda: isolated.four_letter("isro") == "ro", 20,
               what="the isolated member to turn read-only")
    assert "Mode: read-only" in isolated.four_letter("srvr")
    assert "Mode: read-only" in isolated.four_letter("stat")
    assert isolated.mntr()["zk_server_state"] == "read-only"

    # A client that did not ask for read-only is refused.
    plain = kazoo(isolated.hosts)
    with pytest.raises(Exception):
        plain.start(timeout=2)
    plain.stop()
    plain.close()

    ro = kazoo(isolated.hosts, read_only=True)
    states = []
    rejoined = threading.Event()

    def on_state(_):
        states.append(ro.client_state)
        if ro.client_state == KeeperState.CONNECTED and KeeperState.CONNECTED_RO in states:
            rejoined.set()

    ro.add_listener(on_state)
    ro.start(timeout=15)
    try:
        assert ro.client_state == KeeperState.CONNECTED_RO
        ro_session = ro.client_id[0]
        assert ro_session != 0
        assert ro.get("/ro/data")[0] == b"before"
        assert ro.get_children("/ro") == ["data"]
        assert ro.exists("/ro/data", watch=lambda e: None) is not None
        with pytest.raises(NotReadOnlyCallError):
            ro.create("/ro/new", b"x")
        with pytest.raises(NotReadOnlyCallError):
            ro.set("/ro/data", b"after")
        with pytest.raises(NotReadOnlyCallError):
            ro.sync("/")
        # A refused write leaves the session usable.
        assert ro.get("/ro/data")[0] == b"before"
        cons = isolated.four_letter("cons")
        assert "0x%x" % ro_session in cons

        # The majority keeps committing meanwhile.
        w = kazoo(ensemble.hosts(majority))
        w.start(timeout=15)
        try:
            w.set("/ro/data", b"during")
        finally:
            w.stop()
            w.close()

        ensemble.heal()
        wait_until(lambda: isolated.mode() == "follower", 30, what="the healed member to rejoin")
        # The member closed the read-only connection; kazoo reconnects, now read-write (its
        # read-only session is unknown to the quorum: kazoo starts a new one).
        assert rejoined.wait(30), "states seen: %r" % states
        assert ro.client_state == KeeperState.CONNECTED
        assert ro.client_id[0] != ro_session
        ro.sync("/")
        assert ro.get("/ro/data")[0] == b"during"
        ro.create("/ro/after", b"rw again")
        assert isolated.four_letter("isro") == "rw"
    finally:
        ro.stop()
        ro.close()


def test_read_write_session_resumes_read_only(ensemble):
    """A session created read-write resumes on the cut-off member as read-only (as ZooKeeper's
    learner accepts a session it knows), keeps its ephemeral, and cannot write there."""
    isolated = ensemble.members[1]
    c = kazoo(isolated.hosts, read_only=True, timeout=20.0)
    states = []
    c.add_listener(lambda s: states.append(c.client_state))
    c.start(timeout=15)
    try:
        assert c.client_state == KeeperState.CONNECTED
        session = c.client_id[0]
        c.create("/eph", b"mine", ephemeral=True)
        ensemble.isolate(1)
        wait_until(lambda: c.client_state == KeeperState.CONNECTED_RO, 30,
                   what="the client to resume read-only")
        assert c.client_id[0] == session
        assert c.get("/eph")[1].ephemeralOwner == session
        with pytest.raises(NotReadOnlyCallError):
            c.delete("/eph")
        ensemble.heal()
        wait_until(lambda: isolated.mode() == "follower", 30, what="the healed member to rejoin")
        wait_until(lambda: c.client_state == KeeperState.CONNECTED, 30,
                   what="the client to resume read-write")
        assert c.client_id[0] == session  # the same session, still alive on the quorum
        c.delete("/eph")
    finally:
        c.stop()
        c.close()


def _reject_client_port(member):
    return packet_filter.insert("INPUT", "-i", "lo", "-d", member.host, "-p", "tcp", "--dport",
                                str(member.port), "-j", "REJECT", "--reject-with", "tcp-reset")


def test_cpp_client_moves_from_read_only_to_read_write_server(ensemble, tmp_path):
    """zkcli -r (our client with can_be_read_only) with every member in its connect string: while
    only the cut-off member is reachable it is CONNECTEDREADONLY; once the others are reachable
    its background `isro` probe finds one and it moves there, though the member it was on is
    still read-only."""
    isolated = ensemble.members[1]
    rw = kazoo(isolated.hosts)
    rw.start(timeout=15)
    try:
        rw.create("/ro/data", b"before", makepath=True)
        rw.sync("/")
    finally:
        rw.stop()
        rw.close()
    ensemble.isolate(1)
    wait_until(lambda: isolated.four_letter("isro") == "ro", 20,
               what="the isolated member to turn read-only")
    rules = []
    cli = None
    try:
        rules = [_reject_client_port(m) for sid, m in ensemble.members.items() if sid != 1]
        cli = Interactive(ensemble.hosts(), str(tmp_path), extra=["-r"], timeout=20)
        cli.child.expect(r"WatchedEvent state:ConnectedReadOnly type:None path:null")
        cli.child.sendline("get /ro/data")
        cli.child.expect(r"before")
        cli.child.sendline("create /ro/new x")
        cli.child.expect(r"Not a read-only call")
        for rule in rules:
            packet_filter.remove(rule)
        rules = []
        cli.child.expect(r"WatchedEvent state:SyncConnected type:None path:null")
        assert isolated.four_letter("isro") == "ro"
        cli.child.sendline("create /ro/new x")
        cli.child.expect(r"Created /ro/new")
        cli.child.sendline("quit")
        cli.child.expect(pexpect.EOF)
    finally:
        for rule in rules:
            packet_filter.remove(rule)
        if cli:
            cli.close()


@pytest.mark.skipif(bool(js.java_missing()), reason="the JDK or the ZooKeeper jars are missing")
def test_java_client_read_only_then_read_write(ensemble, tmp_path_factory):
    """Apache's Java client with canBeReadOnly: ConnectedReadOnly on the cut-off member,
    NotReadOnlyException for a write, SyncConnected with a new session after the heal."""
    classes = js.compile_classes(tmp_path_factory)
    isolated = ensemble.members[1]
    rw = kazoo(isolated.hosts)
    rw.start(timeout=15)
    try:
        rw.create("/ro/data", b"before", makepath=True)
        rw.sync("/")
    finally:
        rw.stop()
        rw.close()
    ensemble.isolate(1)
    wait_until(lambda: isolated.four_letter("isro") == "ro", 20,
               what="the isolated member to turn read-only")
    proc = subprocess.Popen(js.java_command(classes, "ReadOnlyClient",
                                            [isolated.hosts, "/ro/data", "before"]),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=js.JAVA_SRC)
    try:
        lines = []
        for line in iter(proc.stdout.readline, ""):
            lines.append(line.rstrip("\n"))
            if line.startswith("ACTION heal"):
                ensemble.heal()
                proc.stdin.write("DONE\n")
                proc.stdin.flush()
        rc = proc.wait(timeout=60)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == 0 and lines[-1] == "OK ReadOnlyClient", "\n".join(lines) + "\n" + err
    assert "SUMMARY new_session=true" in lines
