"""zk::recipes work on the same znodes as Apache Curator's and kazoo's recipes.

Lock: zk::recipes::Mutex, kazoo's Lock and Curator's InterProcessMutex exclude each other on
one path. Three `recipe_tool lock` processes (our C++ Mutex: "_c_<uuid>-lock-<seq>" nodes), two
kazoo clients (kazoo's Lock: "<uuid>__lock__<seq>" nodes, told about ours and Curator's with
extra_lock_patterns=["-lock-"]) and two JVMs running tests/java/CuratorLockHolder (Apache
Curator 5.4's InterProcessMutex: "_c_<uuid>-lock-<seq>" nodes, the same layout as ours) take the
same lock in rounds. The JVMs start first; once both are connected the others start and all
begin together. Every holder appends "start <who> <token>" when it has the lock and
"end <who> <token>" before releasing it to one journal (O_APPEND, one write per line), where
the token is the czxid of the holder's contender node. Checked: the journal alternates
start/end of the same holder (never two holders at once), every round of every holder
happened, the libraries took turns (each one's first hold comes before every other's
last), and the tokens strictly increase in journal order (the fencing token grows from holder
to holder, whichever client library took the lock). A Curator holder also checks, while it
holds, that the first contender node is its own.

Curator sorts contenders by the text after its lock name "lock-", so kazoo's nodes (no
"lock-" in them) would sort after every sequence number and a stock InterProcessMutex would
take the lock while a kazoo client holds it. CuratorLockHolder gives the mutex a driver that
orders by the trailing sequence number (see its comment); that is the Curator side of this
interop, as extra_lock_patterns is kazoo's.

Leader election: zk::recipes::LeaderLatch and Curator's LeaderLatch elect one leader at a time
on one path. Three `recipe_tool latch` processes and two JVMs running
tests/java/CuratorLatchParticipant join one election (both write "_c_<uuid>-latch-<seq>" nodes
holding the participant id); each waits to lead, appends "lead <id>" to a journal, leads for
LEAD_MS, checks that it still leads, appends "unlead <id>" and leaves. A gate node of the same
layout, made by a plain kazoo client, leads first; the participants join behind it one at a
time, the libraries alternating (curator0 cpp0 curator1 cpp1 cpp2), and once all of them wait
the gate is deleted. Checked: each participant made exactly one node, in join order; nobody
led while the gate was first; the journal alternates lead/unlead of the same participant (never
two leaders at once); every participant led exactly once, in the order they joined (so
leadership passed from Curator to C++ and back). A Curator participant also checks, when it
leads, that Curator's getParticipants() names it as the leader, and reports every participant
id it saw in the election: C++ participants' ids must be among them (Curator reads our nodes'
data as ids).

Leader selector: the same election run with zk::recipes::LeaderSelector (`recipe_tool select`,
one term each, journaled by its callback) and, on one path, Curator's LeaderSelector
(tests/java/CuratorSelectorParticipant: "_c_<uuid>-lock-<seq>" nodes with the id as data), and
on another path kazoo's Election, unmodified (a kazoo Lock: "<uuid>__lock__<seq>" nodes), with
our selector configured with node_name "__lock__" so kazoo's contender pattern matches our
nodes. The same checks, plus: kazoo's contenders() and Curator's getParticipants() list the C++
participants' ids.

kazoo's Election cannot share a path with latch nodes: it is a plain kazoo Lock (it takes no
extra_lock_patterns), whose contenders are only the "__lock__" nodes, so it ignores every
"-latch-" participant. Nor can Curator and kazoo share one path: Curator orders nodes by the
text after its node name, so it sorts kazoo's names after every real sequence number.

Each test runs against a 3-member zabkeeper ensemble and against Apache ZooKeeper (one of
each per module). Without a JDK and Debian's Curator jars the Curator contenders are left out
(a warning), except in CI (CI=true) where that is a failure.
"""
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings

import pytest
from kazoo.exceptions import NoNodeError
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock

import java_support as js
import kazoo_ext as kx
import zkfixtures as zf
from ensemble import Ensemble

TIMEOUT_S = 120

# The lock test.
ROUNDS = 5
HOLD_MS = 30
CPP_HOLDERS = 3
KAZOO_HOLDERS = 2
CURATOR_HOLDERS = 2
LOCK_PATH = "/interop/lock"

# The leader election test.
LEAD_MS = 150
CPP_PARTICIPANTS = 3
CURATOR_PARTICIPANTS = 2
LATCH_PATH = "/interop/latch"
KAZOO_PARTICIPANTS = 2


class Flavour(object):
    """One election recipe under test: its path, node name, Curator program, recipe_tool
    subcommand, and whether kazoo's Election or Curator joins it."""

    def __init__(self, name, path, node_name, curator_main, tool_args, kazoo):
        self.name, self.path, self.node_name = name, path, node_name
        self.curator_main, self.tool_args, self.kazoo = curator_main, tool_args, kazoo


LATCH = Flavour("latch", LATCH_PATH, "latch-", "CuratorLatchParticipant", ["latch"], False)
SELECTOR_CURATOR = Flavour("selector", "/interop/selector", "lock-",
                           "CuratorSelectorParticipant", ["select"], False)
SELECTOR_KAZOO = Flavour("selector-kazoo", "/interop/selector-kazoo", "__lock__", None,
                         ["select", "--node-name", "__lock__"], True)
SETTLE_S = 0.2


def recipe_tool():
    return os.path.join(zf.zk_bin_dir(), "recipe_tool")


def append(journal, line):
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def read_journal(journal):
    """The journal's lines, each split into words."""
    with open(journal) as f:
        return [l.split() for l in f.read().splitlines()]


def kind_of(who):
    return who.rstrip("0123456789")


class JavaProgram(object):
    """One JVM running a program of tests/java/, its stdout and stderr read by threads."""

    def __init__(self, classes, main, who, args, deadline):
        self.main = main
        self.who = who
        self.deadline = deadline
        self.proc = subprocess.Popen(
            js.java_command(classes, main, args),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=zf._die_with_parent)
        self.out_q, self.err_q = queue.Queue(), queue.Queue()
        self.lines, self.err = [], []
        self.pumps = [threading.Thread(target=js.pump_lines, args=(self.proc.stdout, self.out_q),
                                       daemon=True),
                      threading.Thread(target=js.pump_lines, args=(self.proc.stderr, self.err_q),
                                       daemon=True)]
        for t in self.pumps:
            t.start()

    def next_line(self):
        """The next stdout line, None at its end."""
        try:
            line = self.out_q.get(timeout=max(0.0, self.deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError("%s still running after %ds" % (self.who, TIMEOUT_S))
        if line is not None:
            self.lines.append(line)
        return line

    def await_ready(self):
        """Waits until it is connected and asks for the other contenders to be started."""
        line = self.next_line()
        while line is not None and line != "ACTION start-contenders":
            line = self.next_line()
        assert line is not None, "%s exited before it was ready: %s" % (self.who, self.failure())

    def go(self):
        self.proc.stdin.write("DONE\n")
        self.proc.stdin.flush()

    def finish(self):
        """Waits until it exits; checks that it succeeded; returns its stdout lines."""
        while self.next_line() is not None:
            pass
        rc = self.proc.wait(timeout=30)
        assert rc == 0 and self.lines[-1:] == ["OK " + self.main], "%s exited %s: %s" % (
            self.who, rc, self.failure())
        return self.lines

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for t in self.pumps:
            t.join(timeout=5)
        while not self.err_q.empty():
            line = self.err_q.get()
            if line is not None:
                self.err.append(line)

    def failure(self):
        """Its "FAILED: ..." line, else its last lines of stderr (it has exited)."""
        self.stop()
        return next((e for e in self.err if e.startswith("FAILED")), "\n".join(self.err[-20:]))

    def dump(self):
        sys.stderr.write("---- %s stdout ----\n%s\n---- stderr ----\n%s\n" % (
            self.who, "\n".join(self.lines), "\n".join(self.err[-200:])))


class Contention(object):
    """The contenders of one run, writing one journal. The JVMs start first (they take
    seconds); once all are connected (await_ready) the others start, then go() lets the JVMs
    begin, so that all contend at about the same time. As a context manager: at its end kills
    whatever still runs, removes the journal and, if the body failed, prints the JVMs' output."""

    def __init__(self, name):
        self.journal = tempfile.mktemp(prefix=name + "-journal-")
        self.deadline = time.monotonic() + TIMEOUT_S
        self.jvms, self.tools = [], []

    def java(self, classes, main, who, args):
        self.jvms.append(JavaProgram(classes, main, who, args, self.deadline))

    def await_ready(self):
        for j in self.jvms:
            j.await_ready()

    def recipe_tool(self, args):
        self.tools.append(subprocess.Popen([recipe_tool()] + args, stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE, text=True))

    def go(self):
        for j in self.jvms:
            j.go()

    def finish_tools(self, marker, count):
        """Waits for every recipe_tool: it must exit 0 having printed marker count times."""
        for p in self.tools:
            out, err = p.communicate(timeout=max(1.0, self.deadline - time.monotonic()))
            assert p.returncode == 0, "recipe_tool %s failed (%d): %s" % (
                " ".join(p.args[1:]), p.returncode, err)
            assert out.count(marker) == count, out

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        for j in self.jvms:
            j.stop()
            if exc_type is not None:
                j.dump()
        for p in self.tools:
            if p.poll() is None:
                p.kill()
            if exc_type is not None and p.stderr and not p.stderr.closed:
                sys.stderr.write("---- recipe_tool %s (exit %s) stderr ----\n%s\n" % (
                    " ".join(p.args[1:]), p.wait(), p.stderr.read()))
            p.wait()
        if exc_type is not None and os.path.exists(self.journal):
            sys.stderr.write("---- journal ----\n%s\n" % open(self.journal).read())
        if os.path.exists(self.journal):
            os.remove(self.journal)
        return False


# -- the lock test ------------------------------------------------------------------------------

def kazoo_holder(hosts, path, who, journal, errors):
    c = kx.new_client(hosts)
    try:
        for _ in range(ROUNDS):
            lock = Lock(c, path, identifier=who, extra_lock_patterns=["-lock-"])
            if not lock.acquire(timeout=60):
                errors.append("%s: not acquired within 60 s" % who)
                return
            token = c.exists(path + "/" + lock.node).czxid
            append(journal, "start %s %d" % (who, token))
            threading.Event().wait(HOLD_MS / 1000.0)
            append(journal, "end %s %d" % (who, token))
            lock.release()
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append("%s: %r" % (who, e))
    finally:
        c.stop()
        c.close()


def check_journal(journal, curator_holders):
    holders = CPP_HOLDERS + KAZOO_HOLDERS + curator_holders
    lines = read_journal(journal)
    assert len(lines) == 2 * ROUNDS * holders, lines
    last_token = 0
    holds = {}
    turns = {}  # kind -> indices of its holds
    for i in range(0, len(lines), 2):
        start, end = lines[i], lines[i + 1]
        assert start[0] == "start" and end[0] == "end", "overlap at line %d: %r %r" % (i, start, end)
        assert start[1:] == end[1:], "holder changed inside a hold at line %d: %r %r" % (
            i, start, end)
        token = int(start[2])
        assert token > last_token, "fencing token did not grow at line %d: %d after %d" % (
            i, token, last_token)
        last_token = token
        holds[start[1]] = holds.get(start[1], 0) + 1
        turns.setdefault(kind_of(start[1]), []).append(i // 2)
    assert sorted(holds.values()) == [ROUNDS] * holders, holds
    expected = {"cpp": CPP_HOLDERS, "kazoo": KAZOO_HOLDERS, "curator": curator_holders}
    assert {k: sum(1 for w in holds if kind_of(w) == k) for k in expected} == expected, holds
    # The libraries contended with each other rather than one after the other.
    order = " ".join(l[1] for l in lines[::2])
    for a in turns:
        for b in turns:
            assert turns[a][0] < turns[b][-1], "%s only held after %s was done: %s" % (a, b, order)


def run_contention(hosts, classes):
    """Runs every lock contender against hosts; classes: the compiled Java programs or None."""
    errors = []
    with Contention("lock") as c:
        for n in range(CURATOR_HOLDERS if classes else 0):
            who = "curator%d" % n
            c.java(classes, "CuratorLockHolder", who,
                   [hosts, LOCK_PATH, who, ROUNDS, HOLD_MS, c.journal])
        c.await_ready()
        for n in range(CPP_HOLDERS):
            c.recipe_tool(["lock", "--hosts", hosts, "--path", LOCK_PATH, "--name", "cpp%d" % n,
                           "--rounds", str(ROUNDS), "--hold-ms", str(HOLD_MS),
                           "--journal", c.journal])
        threads = [threading.Thread(target=kazoo_holder,
                                    args=(hosts, LOCK_PATH, "kazoo%d" % n, c.journal, errors))
                   for n in range(KAZOO_HOLDERS)]
        for t in threads:
            t.start()
        c.go()
        c.finish_tools("acquired ", ROUNDS)
        for t in threads:
            t.join(TIMEOUT_S)
        assert not errors, errors
        for j in c.jvms:
            lines = j.finish()
            assert sum(1 for l in lines if l.startswith("acquired ")) == ROUNDS, lines
        check_journal(c.journal, len(c.jvms))


# -- the leader election test -------------------------------------------------------------------

def check_election_journal(journal, order):
    """One leader at a time, each participant exactly once, in the order they joined."""
    lines = read_journal(journal)
    text = "\n".join(" ".join(l) for l in lines)
    assert len(lines) == 2 * len(order), text
    for i in range(0, len(lines), 2):
        lead, unlead = lines[i], lines[i + 1]
        assert lead[0] == "lead" and unlead[0] == "unlead", (
            "two leaders at once at line %d: %r %r\n%s" % (i + 1, lead, unlead, text))
        assert lead[1:] == unlead[1:], "leader changed while leading at line %d: %r %r\n%s" % (
            i + 1, lead, unlead, text)
    leaders = [l[1] for l in lines[::2]]
    assert sorted(leaders) == sorted(order), "not everyone led exactly once:\n" + text
    assert set(kind_of(l) for l in leaders) == set(kind_of(p) for p in order), text
    assert leaders == order, "leaders not in the order they joined (%s):\n%s" % (
        " ".join(order), text)


def kazoo_participant(hosts, path, who, journal, started, errors):
    """kazoo's Election, unmodified: leads once (journaled), then leaves; `started` is set once
    its contender node exists. Records the contenders' ids kazoo saw while leading."""
    c = kx.new_client(hosts)
    try:
        election = Election(c, path, identifier=who)

        def lead():
            ids = election.contenders()
            if not ids or ids[0] != who:
                errors.append("%s leads but kazoo's contenders() says %s" % (who, ids))
            append(journal, "lead " + who)
            threading.Event().wait(LEAD_MS / 1000.0)
            append(journal, "unlead " + who)
            errors.append(("seen", who, ids))

        t = threading.Thread(target=election.run, args=(lead,), daemon=True)
        t.start()
        zf.wait_until(lambda: election.lock.node is not None, 30, interval=0.01,
                      what="the node of %s" % who)
        started.set()
        t.join(TIMEOUT_S)
        if t.is_alive():
            errors.append("%s: no term within %d s" % (who, TIMEOUT_S))
            election.cancel()
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append("%s: %r" % (who, e))
        started.set()
    finally:
        c.stop()
        c.close()


def latch_nodes(zk, path=LATCH_PATH):
    """The election's nodes in sequence order, as (name, participant id, session) triples."""
    nodes = []
    for name in sorted(zk.get_children(path), key=lambda n: n[-10:]):
        try:
            data, stat = zk.get(path + "/" + name)
        except NoNodeError:
            continue
        nodes.append((name, data.decode(), stat.ephemeralOwner))
    return nodes


def describe(nodes):
    return "\n".join("  %s id=%s session=0x%x" % n for n in nodes)


def run_election(hosts, classes, flavour=LATCH):
    """Runs every participant of one election flavour against hosts; classes: the compiled Java
    programs or None.

    A gate participant — a node of the flavour's layout created by a plain kazoo client, with id
    "gate" — leads first, so nobody else can lead until the driver deletes it. Behind it the
    others join one at a time (the next starts once the node of the one before exists), the
    libraries alternating; so all of them wait at once, the sequence numbers give the order
    they must lead in, and leadership passes from one library to the other and back. Before the
    gate goes, every participant must have exactly one node, in join order."""
    path = flavour.path
    cpp = ["cpp%d" % n for n in range(CPP_PARTICIPANTS)]
    if flavour.kazoo:
        others = ["kazoo%d" % n for n in range(KAZOO_PARTICIPANTS)]
    else:
        others = ["curator%d" % n for n in range(CURATOR_PARTICIPANTS if classes else 0)]
    order = []
    for n in range(max(len(cpp), len(others))):
        order += others[n:n + 1] + cpp[n:n + 1]
    zk = kx.new_client(hosts)
    errors, threads = [], []
    try:
        with Contention(flavour.name) as c:
            if not flavour.kazoo:
                for who in others:
                    c.java(classes, flavour.curator_main, who,
                           [hosts, path, who, LEAD_MS, c.journal])
            jvms = dict(zip(others, c.jvms))
            gate = zk.create("%s/_c_%s-%s" % (path, uuid.uuid4(), flavour.node_name), b"gate",
                             ephemeral=True, sequence=True, makepath=True)
            try:
                c.await_ready()
                for n, who in enumerate(order):
                    if who in jvms:
                        jvms[who].go()
                    elif who.startswith("kazoo"):
                        started = threading.Event()
                        t = threading.Thread(target=kazoo_participant,
                                             args=(hosts, path, who, c.journal, started, errors),
                                             daemon=True)
                        t.start()
                        threads.append(t)
                        started.wait(30)
                    else:
                        c.recipe_tool(flavour.tool_args + [
                            "--hosts", hosts, "--path", path, "--name", who,
                            "--hold-ms", str(LEAD_MS), "--journal", c.journal])
                    zf.wait_until(lambda: len(zk.get_children(path)) >= n + 2, 30,
                                  interval=0.02, what="the node of %s" % who)
                # A second node of one participant would follow its first within a round trip.
                time.sleep(SETTLE_S)
                nodes = latch_nodes(zk, path)
                assert [i for _, i, _ in nodes] == ["gate"] + order, (
                    "not one node per participant, in join order (%s):\n%s" % (
                        " ".join(order), describe(nodes)))
                early = read_journal(c.journal) if os.path.exists(c.journal) else []
                assert not early, "led while the gate node was first: %s" % early
                zk.delete(gate)
                c.finish_tools("leading", 1)
                for t in threads:
                    t.join(TIMEOUT_S)
                seen = set()
                for j in c.jvms:
                    lines = j.finish()
                    assert lines.count("leading") == 1, lines
                    seen.update(next(l for l in lines if l.startswith("participants-seen "))
                                .split(" ", 1)[1].split(","))
                for e in errors:
                    if isinstance(e, tuple):
                        seen.update(e[2])
                failures = [e for e in errors if not isinstance(e, tuple)]
                assert not failures, failures
                check_election_journal(c.journal, order)
                if others:
                    assert seen <= set(order + ["gate"]), "%s saw unknown ids: %s" % (
                        kind_of(others[0]), seen)
                    assert seen & set(cpp), "%s never saw a C++ participant: %s" % (
                        kind_of(others[0]), sorted(seen))
            except BaseException:
                try:
                    now = describe(latch_nodes(zk, path))
                except Exception as e:  # noqa: BLE001 - only a diagnostic
                    now = repr(e)
                sys.stderr.write("---- election nodes ----\n%s\n" % now)
                raise
    finally:
        zk.stop()
        zk.close()


# -- fixtures and tests -------------------------------------------------------------------------

@pytest.fixture
def java_classes(tmp_path_factory):
    """The compiled Java programs, or None where there is no JDK or no Curator (not in CI)."""
    reason = js.java_missing()
    if reason:
        if zf.in_ci():
            pytest.fail("Curator contenders cannot run: " + reason)
        warnings.warn("Curator contenders left out: " + reason)
        return None
    return js.compile_classes(tmp_path_factory)


class EnsembleServers(object):
    def __init__(self):
        self.e = Ensemble(3)

    def start(self):
        self.e.start()
        self.hosts = self.e.hosts()

    def dump_logs(self):
        self.e.dump_logs()

    def cleanup(self):
        self.e.cleanup()


class ApacheServer(object):
    def __init__(self):
        self.s = zf.make_server("apache")

    def start(self):
        self.s.start()
        self.hosts = self.s.hosts

    def dump_logs(self):
        sys.stderr.write("---- apache log ----\n%s\n" % self.s.log_tail())

    def cleanup(self):
        self.s.cleanup()


@pytest.fixture(scope="module", params=["zabkeeper-ensemble", "apache"])
def servers(request):
    """A 3-member zabkeeper ensemble or a standalone Apache ZooKeeper, shared by the module's
    tests (they use different paths). Skipped without recipe_tool (a failure in CI)."""
    if not os.access(recipe_tool(), os.X_OK):
        if zf.in_ci():
            pytest.fail("recipe_tool not built at %s" % recipe_tool())
        pytest.skip("recipe_tool not built")
    kind = "zabkeeper" if request.param == "zabkeeper-ensemble" else request.param
    reason = zf.skip_reason(kind)
    if reason:
        pytest.skip(reason)
    s = EnsembleServers() if kind == "zabkeeper" else ApacheServer()
    try:
        try:
            s.start()
        except BaseException:
            s.dump_logs()
            raise
        yield s
    finally:
        s.cleanup()


@pytest.fixture
def hosts(request, servers):
    """The servers' connect string; their logs are printed if the test failed."""
    yield servers.hosts
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        servers.dump_logs()


def test_mutex_kazoo_lock_and_curator_mutex_exclude_each_other(hosts, java_classes):
    run_contention(hosts, java_classes)


def test_leader_latch_and_curator_leader_latch_elect_one_leader(hosts, java_classes):
    run_election(hosts, java_classes)


def test_leader_selector_and_curator_leader_selector_take_turns(hosts, java_classes):
    run_election(hosts, java_classes, SELECTOR_CURATOR)


def test_leader_selector_and_kazoo_election_take_turns(hosts):
    run_election(hosts, None, SELECTOR_KAZOO)
