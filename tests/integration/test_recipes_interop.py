"""zk::recipes::Mutex, kazoo's Lock and Curator's InterProcessMutex exclude each other on one path.

Three `recipe_tool lock` processes (our C++ Mutex: "_c_<uuid>-lock-<seq>" nodes), two kazoo
clients (kazoo's Lock: "<uuid>__lock__<seq>" nodes, told about ours and Curator's with
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

Runs against a 3-member zabkeeper ensemble and against Apache ZooKeeper. Without a JDK and
Debian's Curator jars the Curator holders are left out (a warning), except in CI (CI=true)
where that is a failure.
"""
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import warnings

import pytest
from kazoo.recipe.lock import Lock

import java_support as js
import kazoo_ext as kx
import zkfixtures as zf
from ensemble import Ensemble

ROUNDS = 5
HOLD_MS = 30
CPP_HOLDERS = 3
KAZOO_HOLDERS = 2
CURATOR_HOLDERS = 2
LOCK_PATH = "/interop/lock"
TIMEOUT_S = 120


def recipe_tool():
    return os.path.join(zf.zk_bin_dir(), "recipe_tool")


def append(journal, line):
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


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


def kind_of(who):
    return who.rstrip("0123456789")


def check_journal(journal, curator_holders):
    holders = CPP_HOLDERS + KAZOO_HOLDERS + curator_holders
    with open(journal) as f:
        lines = [l.split() for l in f.read().splitlines()]
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


class CuratorHolder(object):
    """One JVM running CuratorLockHolder, its stdout and stderr read by threads."""

    def __init__(self, classes, hosts, journal, who, deadline):
        self.who = who
        self.deadline = deadline
        self.proc = subprocess.Popen(
            js.java_command(classes, "CuratorLockHolder",
                            [hosts, LOCK_PATH, who, ROUNDS, HOLD_MS, journal]),
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
        """Waits until it exits; checks that it succeeded and held the lock in every round."""
        while self.next_line() is not None:
            pass
        rc = self.proc.wait(timeout=30)
        assert rc == 0 and self.lines[-1:] == ["OK CuratorLockHolder"], "%s exited %s: %s" % (
            self.who, rc, self.failure())
        assert sum(1 for l in self.lines if l.startswith("acquired ")) == ROUNDS, self.lines

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


def run_contention(hosts, classes):
    """Runs every contender against hosts; classes: the compiled Java programs or None."""
    journal = tempfile.mktemp(prefix="lock-journal-")
    errors = []
    procs, threads, failed = [], [], True
    # The JVMs take seconds to start: the others start once they are connected.
    deadline = time.monotonic() + TIMEOUT_S
    jvms = [CuratorHolder(classes, hosts, journal, "curator%d" % n, deadline)
            for n in range(CURATOR_HOLDERS if classes else 0)]
    try:
        for j in jvms:
            j.await_ready()
        procs = [subprocess.Popen([recipe_tool(), "lock", "--hosts", hosts, "--path", LOCK_PATH,
                                   "--name", "cpp%d" % n, "--rounds", str(ROUNDS),
                                   "--hold-ms", str(HOLD_MS), "--journal", journal],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for n in range(CPP_HOLDERS)]
        threads = [threading.Thread(target=kazoo_holder,
                                    args=(hosts, LOCK_PATH, "kazoo%d" % n, journal, errors))
                   for n in range(KAZOO_HOLDERS)]
        for t in threads:
            t.start()
        for j in jvms:
            j.go()
        for p in procs:
            out, err = p.communicate(timeout=TIMEOUT_S)
            assert p.returncode == 0, "recipe_tool failed: %s" % err
            assert out.count("acquired ") == ROUNDS
        for t in threads:
            t.join(TIMEOUT_S)
        assert not errors, errors
        for j in jvms:
            j.finish()
        check_journal(journal, len(jvms))
        failed = False
    finally:
        for j in jvms:
            j.stop()
            if failed:
                j.dump()
        for p in procs:
            if p.poll() is None:
                p.kill()
        if os.path.exists(journal):
            os.remove(journal)


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


@pytest.fixture
def skip_without_tool():
    if not os.access(recipe_tool(), os.X_OK):
        if zf.in_ci():
            pytest.fail("recipe_tool not built at %s" % recipe_tool())
        pytest.skip("recipe_tool not built")


def test_mutex_kazoo_lock_and_curator_mutex_exclude_each_other_on_zabkeeper_ensemble(
        skip_without_tool, java_classes):
    e = Ensemble(3)
    try:
        e.start()
        run_contention(e.hosts(), java_classes)
    except BaseException:
        e.dump_logs()
        raise
    finally:
        e.cleanup()


def test_mutex_kazoo_lock_and_curator_mutex_exclude_each_other_on_apache(skip_without_tool,
                                                                        java_classes):
    reason = zf.skip_reason("apache")
    if reason:
        pytest.skip(reason)
    s = zf.make_server("apache")
    s.start()
    try:
        run_contention(s.hosts, java_classes)
    finally:
        s.cleanup()
