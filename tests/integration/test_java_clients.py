"""Apache's own Java clients against zabkeeper: Debian's ZooKeeper 3.8 Java client and Curator 5.4.

The programs in tests/java/ (one per scenario group, plain .java) are compiled with javac into
a temp dir once per session, against the jars in /usr/share/java (java_support.py). Each runs
in its own JVM with the server's connection string, checks its own expectations (a failure
exits 1 naming what it expected and what it saw), and prints ``SUMMARY key=value`` lines that
the tests here assert on.
A program that needs something done to the servers prints ``ACTION name`` and waits for
``DONE`` on stdin.

Every scenario runs against a 3-voter zabkeeper ensemble (the clients get all three members)
and against Apache ZooKeeper 3.8 standalone as the reference (ZK_SERVERS=zabkeeper or apache
narrows it). The servers are shared by the whole module. Both run with extendedTypesEnabled
(TTL nodes) and znode.container.checkIntervalMs=1000.

* ApiTour: every ZooKeeper client call, every create mode, ACLs and digest auth, multi and
  read-only multi, async calls, one-shot / persistent / recursive watches, watch removal.
* CuratorCaches: CuratorCache, TreeCache and PathChildrenCache through 10 s of activity without
  a single connection-state change, then a SIGKILL of the leader, after which no change is
  lost. The reference for this one is Apache's own 3-voter ensemble (started for it alone).
* Discovery: curator-x-discovery registration, queries, ServiceCache, round-robin provider.
* Recipes: GroupMember; LeaderLatch across a server-side session expiry (never two leaders);
  an ephemeral PersistentNode re-created after its session expired and after a delete.
* Containers: containers (Curator's and CreateMode.CONTAINER) and TTL nodes are reaped within
  10 s; a never-used container and one with a child are not.
"""
import queue
import subprocess
import sys
import threading
import time

import pytest

import java_support as js
import zkfixtures as zf
from ensemble import Ensemble

CHECK_INTERVAL_MS = 1000
SERVER_CFG = {"extendedTypesEnabled": "true", "znode.container.checkIntervalMs": CHECK_INTERVAL_MS}
CACHE_ACTIVITY_S = 10
JAVA_TIMEOUT_S = 150


# -- servers ------------------------------------------------------------------------------------

class EnsembleTarget(object):
    """A shared 3-voter ensemble; the crash action SIGKILLs its leader, restore() restarts it."""

    def __init__(self, kind, ensemble):
        self.kind = kind
        self.ensemble = ensemble
        self.hosts = ensemble.hosts()
        self.killed = None
        self.actions = []

    def action(self, name):
        assert name == "crash-leader", "unknown action %s" % name
        leader = self.ensemble.leader()
        assert leader is not None, "no leader to crash"
        leader.kill9()
        self.killed = leader
        # The others may still call themselves followers for a moment: wait for a new leader
        # (elected by both), then for both to serve.
        new_leader = zf.wait_until(self.ensemble.leader, 30, what="a new leader")
        self.ensemble.wait_serving(members=[m for m in self.ensemble.members.values()
                                            if m is not leader])
        self.actions.append("%s: killed member %d, member %d leads" % (
            name, leader.sid, new_leader.sid))

    def restore(self):
        if self.killed is not None:
            self.killed.start()
            self.ensemble.wait_serving()
            self.killed = None

    def logs(self):
        return "".join("---- member %d log (%s) ----\n%s\n" % (sid, m.log_path, m.log_tail(8000))
                       for sid, m in self.ensemble.members.items())


class ApacheTarget(object):
    """Standalone Apache ZooKeeper: the reference for scenarios that need no leader crash."""
    kind = "apache"

    def __init__(self, server):
        self.server = server
        self.hosts = server.hosts
        self.actions = []

    def action(self, name):
        raise AssertionError("standalone Apache ZooKeeper has no action %s" % name)

    def restore(self):
        pass

    def logs(self):
        return "---- apache log (%s) ----\n%s\n" % (self.server.tmpdir, self.server.log_tail())


@pytest.fixture(scope="module")
def zab_ensemble():
    reason = zf.skip_reason("zabkeeper")
    if reason:
        pytest.skip(reason)
    e = Ensemble(3, 0, extra_cfg=dict(SERVER_CFG, tickTime=500))
    try:
        yield e.start()
    finally:
        e.cleanup()


@pytest.fixture(scope="module")
def apache_server():
    reason = zf.skip_reason("apache")
    if reason:
        pytest.skip(reason)
    s = zf.ApacheZooKeeper(SERVER_CFG)
    try:
        yield s.start()
    finally:
        s.cleanup()


@pytest.fixture(scope="module")
def apache_ensemble():
    """Apache's own 3-voter ensemble, the reference for the leader crash (its only user)."""
    reason = zf.skip_reason("apache")
    if reason:
        pytest.skip(reason)
    e = Ensemble(3, 0, kind="apache", extra_cfg={"tickTime": 500})
    try:
        yield e.start()
    finally:
        e.cleanup()


def crash_kinds():
    """Targets of the leader-crash scenario: each kind's 3-voter ensemble."""
    return [k if k == "zabkeeper" else k + "-ensemble" for k in zf.default_kinds()]


@pytest.fixture(params=zf.default_kinds())
def target(request):
    if request.param == "zabkeeper":
        t = EnsembleTarget("zabkeeper", request.getfixturevalue("zab_ensemble"))
    elif request.param == "apache-ensemble":
        t = EnsembleTarget("apache-ensemble", request.getfixturevalue("apache_ensemble"))
    else:
        t = ApacheTarget(request.getfixturevalue("apache_server"))
    yield t
    failed = any(getattr(request.node, "rep_" + w, None) is not None and
                 getattr(request.node, "rep_" + w).failed for w in ("setup", "call"))
    if failed:
        sys.stderr.write(t.logs())
    t.restore()


# -- running a program ----------------------------------------------------------------------------

def run_java(classes, main, args, target):
    """Runs one program to completion, answering its ACTIONs; returns its SUMMARY dict."""
    cmd = js.java_command(classes, main, args)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=js.JAVA_SRC,
                            preexec_fn=zf._die_with_parent)
    out_q, err_q = queue.Queue(), queue.Queue()
    threads = [threading.Thread(target=js.pump_lines, args=(proc.stdout, out_q), daemon=True),
               threading.Thread(target=js.pump_lines, args=(proc.stderr, err_q), daemon=True)]
    for t in threads:
        t.start()
    lines, deadline = [], start + JAVA_TIMEOUT_S
    try:
        while True:
            try:
                line = out_q.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                proc.kill()
                raise AssertionError("%s still running after %ds" % (main, JAVA_TIMEOUT_S))
            if line is None:
                break
            lines.append(line)
            if line.startswith("ACTION "):
                target.action(line.split(" ", 1)[1])
                proc.stdin.write("DONE\n")
                proc.stdin.flush()
        rc = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for t in threads:
            t.join(timeout=5)
        err = []
        while not err_q.empty():
            e = err_q.get()
            if e is not None:
                err.append(e)
        sys.stderr.write("---- %s on %s (%.1fs) stdout ----\n%s\n---- stderr ----\n%s\n" % (
            main, target.kind, time.monotonic() - start, "\n".join(lines), "\n".join(err[-200:])))
    assert rc == 0 and lines and lines[-1] == "OK " + main, "%s exited %s: %s" % (
        main, rc, next((e for e in err if e.startswith("FAILED")), "\n".join(err[-20:])))
    summary = {}
    for line in lines:
        if line.startswith("SUMMARY "):
            k, _, v = line[len("SUMMARY "):].partition("=")
            summary[k] = v
    return summary


# -- scenarios ----------------------------------------------------------------------------------

def test_zookeeper_api_tour(java_classes, target):
    s = run_java(java_classes, "ApiTour", [target.hosts], target)
    assert s["create_modes"] == "7"
    assert s["sequence_names"] == "0000000001,0000000003,0000000006"
    assert s["whoami"] == "digest:alice+ip:127.0.0.1"
    assert s["all_children"] == "4"
    assert s["multi_ok"] == "create+create+setData+check+create+delete"
    assert s["multi_failed"] == "error(0)+error(-103)+error(-2)"
    assert s["multi_read"] == "getChildren+getData"
    assert s["multi_read_missing"] == "error(-101)+getChildren"
    assert s["async_calls"] == "9"
    assert s["one_shot_events"] == "NodeCreated,NodeDataChanged,NodeChildrenChanged,NodeDeleted"
    assert s["recursive_events"] == "NodeCreated,NodeDataChanged,NodeDeleted"
    assert s["removed_events"] == "DataWatchRemoved,ChildWatchRemoved,PersistentWatchRemoved"
    assert int(s["barriers"]) == 7


@pytest.mark.parametrize("target", crash_kinds(), indirect=True)
def test_curator_caches_no_flap_and_leader_crash(java_classes, target):
    s = run_java(java_classes, "CuratorCaches", [target.hosts, CACHE_ACTIVITY_S], target)
    assert s["initial"] == "CuratorCache:4,TreeCache:4,PathChildrenCache:3"
    assert s["states_before_crash"] == "CONNECTED"
    assert int(s["rounds"]) >= 10
    assert len(target.actions) == 1, target.actions
    assert "LOST" not in s["states_after_crash"]
    assert s["after_crash_changes"] == "60"


def test_service_discovery(java_classes, target):
    s = run_java(java_classes, "Discovery", [target.hosts], target)
    picks = s["round_robin"].split(",")
    assert sorted(set(picks)) == ["w1", "w2"] and picks == picks[:2] * 2
    assert s["cache_views"] == "6"


def test_group_member(java_classes, target):
    s = run_java(java_classes, "Recipes", [target.hosts, "group-member"], target)
    assert s["group_member"] == "joined+updated+left"


def test_leader_latch_session_expiry(java_classes, target):
    s = run_java(java_classes, "Recipes", [target.hosts, "leader-latch"], target)
    assert s["latch_transitions"] == "one:leader,one:not,two:leader"
    states = s["latch_client_states"].split("+")
    assert states[0] == "CONNECTED" and "LOST" in states
    assert states.index("SUSPENDED") < states.index("LOST") < len(states) - 1
    assert states[-1] == "RECONNECTED"


def test_persistent_node_recreated(java_classes, target):
    s = run_java(java_classes, "Recipes", [target.hosts, "persistent-node"], target)
    assert s["persistent_node"] == "expiry+delete+setData+close"


def test_container_reaping(java_classes, target):
    s = run_java(java_classes, "Containers", [target.hosts, CHECK_INTERVAL_MS], target)
    assert s["reaped"] == "curator-parent,container,ttl"
    assert s["not_reaped"] == "never-used,with-child"
    assert all(int(ms) <= 10000 for ms in s["reap_ms"].split(","))
