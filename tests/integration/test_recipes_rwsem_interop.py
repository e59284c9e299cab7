"""zk::recipes::ReadWriteLock and Semaphore work on the same znodes as Apache Curator's
InterProcessReadWriteLock and InterProcessSemaphoreV2.

Read-write lock: two C++ contenders (`recipe_tool rwlock`, a reader cppR and a writer cppW) and
two Curator 5.4 contenders (tests/java/CuratorRwSem, a reader curR and a writer curW) share one
lock path ("_c_<uuid>-__READ__<seq>" and "_c_<uuid>-__WRIT__<seq>" nodes on both sides). The
driver paces every contender through its stdin: it makes one join the queue (acquire), waits
until the contender's node exists, or makes a holder release, one step at a time, so the queue
order is known. A gate writer node made by a plain kazoo client comes first, so that nobody holds
until the driver deletes it. After every step the driver computes, from the queue and Curator's
rules (a writer holds when first; a reader holds when no writer is queued before it), who must
hold now, waits until exactly those have acquired, and checks that every other contender still
waits. The script has Curator's writer wait behind a C++ reader and a C++ writer behind a
Curator writer, C++ and Curator readers wait behind queued writers of the other library, and a
C++ reader and a Curator reader hold the lock together. Every hold is journaled ("start WHO R|W
TOKEN" ... "end WHO R|W TOKEN", single O_APPEND writes); the journal must show a writer only
alone, readers only without a writer, the holds in the order of the script, and write tokens
(czxids of the writers' nodes) that grow.

Semaphore: three `recipe_tool semaphore` processes (one taking two leases per round) and two JVMs
running CuratorRwSem semaphore (one lease per round) take leases of one semaphore of MAX_LEASES
leases in rounds, journaling "start WHO K" and "end WHO K". The driver first fills leases/ with
MAX_LEASES lease nodes of Curator's layout made by a plain kazoo client, and waits until every
contender queues in the one internal mutex at <path>/locks (C++ and Curator mutex nodes in one
queue) with nobody holding a lease; then it deletes them. Checked: the leases held at once (the
sum of K over open holds in the journal) never exceed MAX_LEASES; every round of every holder
happened; the libraries took turns; no lease or lock node is left.

Each test runs against a 3-member zabkeeper ensemble and against Apache ZooKeeper (the module
shares test_recipes_interop's servers fixture). Without a JDK and Debian's Curator jars the
read-write lock test is skipped and the semaphore test runs its C++ holders only (a warning),
except in CI (CI=true) where that is a failure.
"""
import os
import queue
import subprocess
import threading
import uuid

import pytest
from kazoo.exceptions import NoNodeError

import java_support as js
import kazoo_ext as kx
import test_recipes_interop as ri
import zkfixtures as zf
# The shared fixtures (pytest finds fixtures among a module's names).
from test_recipes_interop import hosts, java_classes, servers  # noqa: F401

STEP_TIMEOUT_S = 30

# The read-write lock test.
RWLOCK_PATH = "/interop/rwlock"
CONTENDERS = {"cppR": "read", "cppW": "write", "curR": "read", "curW": "write"}
SCRIPT = [
    ("join", "curR"), ("join", "curW"), ("join", "cppR"), ("join", "cppW"),
    ("open", None),        # curR holds; cppR waits behind the queued Curator writer
    ("release", "curR"),   # curW holds
    ("join", "curR"),
    ("release", "curW"),   # cppR holds; cppW waits behind it, curR behind cppW
    ("release", "cppR"),   # cppW holds
    ("join", "cppR"), ("join", "curW"),
    ("release", "cppW"),   # curR and cppR hold together; curW waits
    ("join", "cppW"),
    ("release", "cppR"),   # curR holds
    ("release", "curR"),   # curW holds
    ("release", "curW"),   # cppW holds
    ("release", "cppW"),
]
ROUNDS = 2  # joins per contender in SCRIPT

# The semaphore test.
SEM_PATH = "/interop/semaphore"
MAX_LEASES = 3
SEM_ROUNDS = 5
SEM_HOLD_MS = 30
CPP_COUNTS = [1, 1, 2]  # leases per round of each C++ holder
CURATOR_SEM_HOLDERS = 2


# -- the read-write lock test -------------------------------------------------------------------

class CppProgram(ri.JavaProgram):
    """A `recipe_tool rwlock --hold-ms -1` process, paced by lines on its stdin."""

    def __init__(self, who, args, deadline):  # pylint: disable=super-init-not-called
        self.main = "recipe_tool"
        self.who = who
        self.deadline = deadline
        self.proc = subprocess.Popen(
            [ri.recipe_tool()] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, preexec_fn=zf._die_with_parent)
        self.out_q, self.err_q = queue.Queue(), queue.Queue()
        self.lines, self.err = [], []
        self.pumps = [threading.Thread(target=js.pump_lines, args=(self.proc.stdout, self.out_q),
                                       daemon=True),
                      threading.Thread(target=js.pump_lines, args=(self.proc.stderr, self.err_q),
                                       daemon=True)]
        for t in self.pumps:
            t.start()

    def finish(self):
        while self.next_line() is not None:
            pass
        rc = self.proc.wait(timeout=30)
        assert rc == 0, "%s exited %s: %s" % (self.who, rc, self.failure())
        return self.lines


class Contender(object):
    """One paced contender: joins the queue (acquire) and releases when told; counts the
    acquisitions it reported ("acquired ..." lines)."""

    def __init__(self, who, program, java):
        self.who = who
        self.program = program
        self.java = java
        self.joins = 0
        self.acquired = 0
        self.pending = []  # stdout lines read by poll() and not yet consumed

    def _read(self, block):
        if block:
            line = self.program.next_line()
        else:
            try:
                line = self.program.out_q.get_nowait()
            except queue.Empty:
                return None
            if line is None:
                self.program.out_q.put(None)  # the end, for finish()
                return None
            self.program.lines.append(line)
        if line is not None and line.startswith("acquired "):
            self.acquired += 1
        return line

    def poll(self):
        """Reads the stdout lines that are there without waiting."""
        line = self._read(block=False)
        while line is not None:
            self.pending.append(line)
            line = self._read(block=False)

    def _await_action(self, name):
        while True:
            line = self.pending.pop(0) if self.pending else self._read(block=True)
            assert line is not None, "%s exited: %s" % (self.who, self.program.failure())
            if line == "ACTION " + name:
                return

    def _tell(self, action):
        if self.java:
            self._await_action(action)
            self.program.go()
        else:
            self.program.proc.stdin.write(action + "\n")
            self.program.proc.stdin.flush()

    def join(self):
        self._tell("acquire")
        self.joins += 1

    def release(self):
        self._tell("release")

    def holds(self):
        self.poll()
        return self.joins > 0 and self.acquired == self.joins


def children(zk, path):
    """The children of path; none if it does not exist (yet, or any more)."""
    try:
        return zk.get_children(path)
    except NoNodeError:
        return []


def expected_holders(q):
    """Curator's rules on a queue of (who, mode): a writer holds when first; a reader holds when
    no writer is queued before it."""
    if not q:
        return set()
    if q[0][1] == "write":
        return {q[0][0]}
    held = set()
    for who, mode in q:
        if mode == "write":
            break
        held.add(who)
    return held


def check_rwlock_journal(journal, holds):
    """Writers alone, readers without writers, the holds of the script in its order, growing
    write tokens. holds: the expected groups of holders, in order."""
    lines = ri.read_journal(journal)
    text = "\n".join(" ".join(l) for l in lines)
    active = {}
    started = []
    last_write_token = 0
    for n, (event, who, mode, token) in enumerate(lines):
        if event == "start":
            assert who not in active, "%s started twice at line %d:\n%s" % (who, n + 1, text)
            if mode == "W":
                assert not active, "writer %s started while %s held, at line %d:\n%s" % (
                    who, sorted(active), n + 1, text)
                assert int(token) > last_write_token, "write token did not grow at line %d:\n%s" % (
                    n + 1, text)
                last_write_token = int(token)
            else:
                assert all(m == "R" for m in active.values()), (
                    "reader %s started while a writer held, at line %d:\n%s" % (who, n + 1, text))
            active[who] = mode
            started.append(who)
        else:
            assert active.get(who) == mode, "%s ended what it did not hold, at line %d:\n%s" % (
                who, n + 1, text)
            del active[who]
    assert not active, text
    # The holders, grouped as the script grants them.
    order = [w for g in holds for w in sorted(g)]
    assert len(started) == len(order), "holds %s, expected %s:\n%s" % (started, order, text)
    seen = []
    for g in holds:
        seen += sorted(started[len(seen):len(seen) + len(g)])
    assert seen == order, "holds out of the script's order (%s):\n%s" % (order, text)


def run_rwlock(connect, classes):
    zk = kx.new_client(connect)
    contenders = {}
    try:
        with ri.Contention("rwlock") as c:
            for who, mode in sorted(CONTENDERS.items()):
                if who.startswith("cur"):
                    c.java(classes, "CuratorRwSem", who,
                           ["rwlock", connect, RWLOCK_PATH, who, mode, ROUNDS, -1, c.journal])
                    contenders[who] = Contender(who, c.jvms[-1], True)
            gate = zk.create("%s/_c_%s-__WRIT__" % (RWLOCK_PATH, uuid.uuid4()), b"",
                             ephemeral=True, sequence=True, makepath=True)
            c.await_ready()
            c.go()
            for who, mode in sorted(CONTENDERS.items()):
                if who.startswith("cpp"):
                    p = CppProgram(who, ["rwlock", "--hosts", connect, "--path", RWLOCK_PATH,
                                         "--name", who, "--mode", mode, "--rounds", str(ROUNDS),
                                         "--hold-ms", "-1", "--journal", c.journal], c.deadline)
                    c.jvms.append(p)  # stopped, and dumped on failure, with the JVMs
                    contenders[who] = Contender(who, p, False)
            q = [("gate", "write")]  # the queue, as (who, mode)
            holding = set()
            holds = []  # the groups of holders, in the order they are granted
            for step, who in SCRIPT:
                if step == "join":
                    contenders[who].join()
                    q.append((who, CONTENDERS[who]))
                elif step == "open":
                    zk.delete(gate)
                    q.pop(0)
                else:
                    contenders[who].release()
                    q = [e for e in q if e[0] != who]
                what = "after %s %s" % (step, who or "")
                zf.wait_until(lambda: len(children(zk, RWLOCK_PATH)) == len(q), STEP_TIMEOUT_S,
                              interval=0.02, what="%d lock nodes %s" % (len(q), what))
                want = expected_holders(q) - {"gate"}
                zf.wait_until(lambda: all(contenders[w].holds() for w in want), STEP_TIMEOUT_S,
                              interval=0.02, what="%s to hold %s" % (sorted(want), what))
                queued = [e[0] for e in q]
                for w, con in contenders.items():
                    if w in queued and w not in want:
                        assert not con.holds(), "%s holds %s; only %s may (queue: %s)" % (
                            w, what, sorted(want), " ".join(queued))
                if want - holding:
                    holds.append(want - holding)
                holding = want
            for con in contenders.values():
                con.program.finish()
            check_rwlock_journal(c.journal, holds)
    finally:
        zk.stop()
        zk.close()


# -- the semaphore test -------------------------------------------------------------------------

def check_semaphore_journal(journal, holders):
    lines = ri.read_journal(journal)
    text = "\n".join(" ".join(l) for l in lines)
    assert len(lines) == 2 * SEM_ROUNDS * len(holders), text
    active = {}
    held = 0
    turns = {}
    for n, (event, who, k) in enumerate(lines):
        if event == "start":
            assert who not in active, text
            active[who] = int(k)
            held += int(k)
            assert held <= MAX_LEASES, "%d leases held at once at line %d:\n%s" % (
                held, n + 1, text)
            turns.setdefault(ri.kind_of(who), []).append(n)
        else:
            held -= active.pop(who)
    assert not active and held == 0, text
    counts = {}
    for event, who, _ in lines:
        if event == "start":
            counts[who] = counts.get(who, 0) + 1
    assert counts == {w: SEM_ROUNDS for w in holders}, counts
    for a in turns:
        for b in turns:
            assert turns[a][0] < turns[b][-1], "%s only held after %s was done:\n%s" % (a, b, text)


def run_semaphore(connect, classes):
    zk = kx.new_client(connect)
    try:
        blockers = [zk.create("%s/leases/_c_%s-lease-" % (SEM_PATH, uuid.uuid4()), b"",
                              ephemeral=True, sequence=True, makepath=True)
                    for _ in range(MAX_LEASES)]
        with ri.Contention("semaphore") as c:
            curator = ["curator%d" % n for n in range(CURATOR_SEM_HOLDERS if classes else 0)]
            for who in curator:
                c.java(classes, "CuratorRwSem", who,
                       ["semaphore", connect, SEM_PATH, who, MAX_LEASES, SEM_ROUNDS, SEM_HOLD_MS,
                        c.journal])
            c.await_ready()
            cpp = ["cpp%d" % n for n in range(len(CPP_COUNTS))]
            for who, count in zip(cpp, CPP_COUNTS):
                c.recipe_tool(["semaphore", "--hosts", connect, "--path", SEM_PATH, "--name", who,
                               "--max-leases", str(MAX_LEASES), "--count", str(count),
                               "--rounds", str(SEM_ROUNDS), "--hold-ms", str(SEM_HOLD_MS),
                               "--journal", c.journal])
            c.go()
            # The semaphore is full: everyone queues in the one mutex at <path>/locks.
            everyone = len(cpp) + len(curator)
            zf.wait_until(lambda: len(children(zk, SEM_PATH + "/locks")) == everyone,
                          STEP_TIMEOUT_S, interval=0.02,
                          what="%d contenders in %s/locks" % (everyone, SEM_PATH))
            assert not os.path.exists(c.journal), "a lease was taken while none was free"
            for b in blockers:
                zk.delete(b)
            c.finish_tools("acquired ", SEM_ROUNDS)
            for j in c.jvms:
                lines = j.finish()
                assert sum(1 for l in lines if l.startswith("acquired ")) == SEM_ROUNDS, lines
            check_semaphore_journal(c.journal, cpp + curator)
        for sub in ("leases", "locks"):
            left = children(zk, SEM_PATH + "/" + sub)
            assert left == [], "nodes left in %s/%s: %s" % (SEM_PATH, sub, left)
    finally:
        zk.stop()
        zk.close()


# -- tests --------------------------------------------------------------------------------------

def test_rwlock_and_curator_rwlock_share_reads_and_exclude_writes(hosts, java_classes):  # noqa
    if java_classes is None:
        pytest.skip("needs Curator (see the warning)")
    run_rwlock(hosts, java_classes)


def test_semaphore_and_curator_semaphore_never_exceed_max_leases(hosts, java_classes):  # noqa: F811
    run_semaphore(hosts, java_classes)
