"""zk::recipes::Mutex and zk::recipes::LeaderLatch under faults: real `recipe_tool` processes
against a real 3-member zabkeeper ensemble (tickTime 200 ms, sessions of SESSION_MS), killed with
SIGKILL, frozen with SIGSTOP past their session timeout, and the ensemble's leader killed.

Every recipe_tool writes one journal (O_APPEND, one write per line: the file is one total order
of what all processes wrote), and so does this driver: before it signals a process it appends
"kill P" / "stop P", once the process is dead or every thread of it is stopped "killed P" /
"stopped P", and "cont P" before SIGCONT. Every line ends with CLOCK_MONOTONIC ms (the tool's
--trace; Python's time.monotonic() reads the same clock).

Mutual exclusion under faults (test_mutex_exclusion_under_faults). CONTENDERS contenders in
PROCESSES processes (threads of `recipe_tool lock --contenders`, each its own session and Mutex)
take one lock ROUNDS times, journaling "start C token" when they hold it, "end C token" before
releasing, and "lost C token reason" when the Mutex's lost listener tells them the lock is lost
(that hold ends there and the contender queues again). Meanwhile: a holder's process is killed;
a holder's process is stopped until another contender holds the lock (so past its session
timeout), then continued; the ensemble's leader (srvr "Mode: leader") is killed and restarted;
another holder's process is killed; and a last contender that holds for a minute (until told
lost, then it stops) is cut off from the ensemble by stopping two of the three members past the
session timeout. The argument the journal check makes:
  * A hold is open from its "start" line to its "end" or "lost" line. A hold is *excused* from
    the moment its process was killed ("kill P") or stopped ("stopped P"): from there on its
    holder cannot act until it is continued, and a holder continued after its session expired is
    a paused holder (a GC pause): it may still write "end" before it hears the news, with its
    old token. No lock service can prevent that; the fencing token can: such a write carries a
    token smaller than the latest start's, so a resource that keeps the largest token it saw
    refuses it. Those stale writes are counted, and checked to carry an old token.
  * Checked: at every "start", every other open hold is excused (no two holders overlap except
    where the earlier one was told "lost" first, or was dead or frozen); tokens strictly
    increase over the starts in journal order (a start with an older token is allowed only if
    its process was stopped between the contender's previous line and it — acquired before the
    freeze, journaled after: a stale write); the holder cut off from the quorum is told "lost"
    within two session timeouts + 1 s of the freeze (its connection is suspended at the latest
    when no reply came for 2/3 of the session timeout, and the Mutex gives the hold up after a
    session timeout of suspension); every contender of a process that was not killed completed
    its ROUNDS rounds and its process exited 0. (The members are continued only once that
    holder was told: the Mutex promises to tell a cut-off holder within its bound, not before
    the servers can expire its session — see mutex.h.)

Fairness and herd (test_mutex_fair_and_no_herd). A gate node of the lock layout (kazoo) holds
the lock; WAITERS `recipe_tool lock` processes queue behind it one at a time (the next starts
once the node of the one before exists), then the gate is deleted. Checked: the contender nodes
belong to the waiters' sessions in the order they were started; in the servers' watch tables
(wchc, wchp on every member) each waiter's session watches exactly one path, its predecessor's
node, and each node is watched by exactly one session, its successor's (a release wakes exactly
one waiter); the waiters acquired in queue order; and on the wire (cons on every member, once
every member has applied the last release): every waiter's connection was sent exactly two
frames more than it received — the watch notifications "predecessor deleted" and "own node
deleted" (by its own release); every request and ping gets exactly one reply. A herd would wake
every waiter at every release: the k-th waiter would have received k notifications.

Election with kills (test_leader_latch_under_faults). PARTICIPANTS participants in several
`recipe_tool latch --stay` processes stay in one election, journaling "lead N" / "unlead N" at
every change of their listener, rejoining with a new session when theirs expired. FAULTS times
the leader's process is killed or stopped (alternating); a stopped one is continued once a new
leader journaled and its session timeout passed. Then the ensemble's leader is killed (the
latch's leader gives up when its connection is suspended, and leads again after the reconnect,
or is replaced if its session expired) and restarted. Checked:
  * journal intervals: at every "lead" line, every participant whose "lead" has no "unlead" yet
    is excused — its process was killed or stopped since it began to lead (a stopped process
    cannot be asked, nor write "unlead"; when continued it still believes it leads until its
    io thread reads the connection the server closed, and then says "unlead": that delay is
    measured and bounded by RESUME_BOUND_MS);
  * samples: between faults the driver asks every running process ("status" on stdin) which of
    its participants HasLeadership(); at most one in every sample. A stopped process is not
    asked, nor a continued one until its leader's "unlead" is in the journal. Sampling and
    faults happen in this one thread, so a sample never spans a process fault; leadership
    moves from one running participant to another only through a session expiry, which comes
    no sooner than a third of a session timeout after the old leader gave up (a live client
    finds its connection suspended within 2/3 of the session timeout of silence, and gives up
    at once), far longer than a sample takes;
  * the new leader journals "lead" no earlier than SESSION_MS/2 after the fault (the old
    leader's last heartbeat was at most a third of a session timeout before it: its client
    pings after that much silence) and no later than SESSION_MS + tickTime + ELECTION_MS (the
    old session expires at most a session timeout plus one expiry tick after its last
    heartbeat, which was before the fault; then one round of getChildren);
  * in the end every participant of a live process is in the election exactly once, and the
    processes exit 0.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import queue

import pytest
from kazoo.exceptions import NoNodeError

import kazoo_ext as kx
import zkfixtures as zf
from ensemble import Ensemble

TICK_MS = 200
SESSION_MS = 2000
DEADLINE_S = 90

# Mutual exclusion under faults.
PROCESSES = 5
CONTENDERS = 5          # per process
ROUNDS = 6
HOLD_MS = 40
LONG_HOLD_MS = 60000
LOCK_PATH = "/faults/lock"

# Fairness and herd.
WAITERS = 8
FAIR_PATH = "/fair/lock"

# Election with kills.
LATCH_PROCESSES = 5
PER_PROCESS = 2
PARTICIPANTS = LATCH_PROCESSES * PER_PROCESS
FAULTS = 4
ELECTION_MS = 1000
RESUME_BOUND_MS = 2000
LATCH_PATH = "/faults/latch"


def recipe_tool():
    return os.path.join(zf.zk_bin_dir(), "recipe_tool")


def now_ms():
    return int(time.monotonic() * 1000)


class Journal(object):
    def __init__(self, name):
        fd, self.path = tempfile.mkstemp(prefix=name + "-journal-")
        os.close(fd)

    def append(self, *words):
        line = " ".join(str(w) for w in words) + " %d\n" % now_ms()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def lines(self):
        """Complete lines, each split into words (the last word is the time)."""
        with open(self.path) as f:
            text = f.read()
        return [l.split() for l in text.split("\n")[:-1]]

    def text(self):
        with open(self.path) as f:
            return f.read()


def proc_of(name):
    return name.split(".")[0]


class Tool(object):
    """One recipe_tool process labelled `label` (its contenders are label.0, label.1, ...)."""

    def __init__(self, label, args):
        self.label = label
        self.proc = subprocess.Popen([recipe_tool()] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=zf._die_with_parent)
        self.out = queue.Queue()
        self.err = []
        self.state = "running"  # running, stopped, killed
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.out.put),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err.append),
                         daemon=True).start()

    @staticmethod
    def _pump(stream, put):
        for line in stream:
            put(line.rstrip("\n"))

    def all_stopped(self):
        task_dir = "/proc/%d/task" % self.proc.pid
        try:
            for tid in os.listdir(task_dir):
                with open(os.path.join(task_dir, tid, "stat")) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] not in ("T", "t"):
                        return False
        except OSError:
            return False
        return True

    def kill(self, journal):
        journal.append("kill", self.label)
        self.proc.kill()
        self.proc.wait()
        self.state = "killed"
        journal.append("killed", self.label)

    def stop(self, journal):
        journal.append("stop", self.label)
        self.proc.send_signal(signal.SIGSTOP)
        zf.wait_until(self.all_stopped, 10, interval=0.005, what="%s stopped" % self.label)
        self.state = "stopped"
        journal.append("stopped", self.label)

    def cont(self, journal):
        journal.append("cont", self.label)
        self.proc.send_signal(signal.SIGCONT)
        self.state = "running"

    def ask(self, line, timeout=10.0):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.out.get(timeout=timeout)

    def finish(self, timeout):
        """Ends standard input and waits for the exit status."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        return self.proc.wait(timeout=timeout)

    def cleanup(self):
        if self.proc.poll() is None:
            if self.state == "stopped":
                self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
        self.proc.wait()

    def stderr_text(self):
        return "\n".join(self.err)


class Run(object):
    """The tools of one test and their journal; on failure prints the journal and stderr."""

    def __init__(self, name):
        self.journal = Journal(name)
        self.tools = {}

    def tool(self, label, args):
        t = Tool(label, args + ["--journal", self.journal.path, "--trace"])
        self.tools[label] = t
        return t

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        for t in self.tools.values():
            t.cleanup()
        if exc_type is not None:
            for label, t in sorted(self.tools.items()):
                if t.err:
                    sys.stderr.write("---- %s stderr ----\n%s\n" % (label, t.stderr_text()))
            sys.stderr.write("---- journal ----\n%s\n" % self.journal.text())
        if not os.environ.get("ZK_KEEP_TMP"):
            os.remove(self.journal.path)
        return False


def wait_journal(journal, pred, timeout, what, between=None):
    """Waits until pred(lines) is true; `between` runs at every poll (sampling)."""
    def check():
        if between:
            between()
        return pred(journal.lines())
    return zf.wait_until(check, timeout, interval=0.02, what=what)


@pytest.fixture
def ensemble():
    if not os.access(recipe_tool(), os.X_OK):
        if zf.in_ci():
            pytest.fail("recipe_tool not built at %s" % recipe_tool())
        pytest.skip("recipe_tool not built")
    reason = zf.skip_reason("zabkeeper")
    if reason:
        pytest.skip(reason)
    e = Ensemble(3, extra_cfg={"tickTime": TICK_MS})
    try:
        e.start()
        yield e
    except BaseException:
        e.dump_logs()
        raise
    finally:
        e.cleanup()


# -- mutual exclusion under faults ---------------------------------------------------------------

def open_holds(lines):
    """Open holds after `lines`: token -> contender (holds with "start" but no "end"/"lost")."""
    holds = {}
    for w in lines:
        if w[0] == "start":
            holds[int(w[2])] = w[1]
        elif w[0] in ("end", "lost"):
            holds.pop(int(w[2]), None)
    return holds


def starts_after(lines, index):
    return [w for w in lines[index:] if w[0] == "start"]


def check_mutex_journal(lines, rounds_of):
    """The journal argument of the module docstring. rounds_of: contender -> rounds it must have
    completed (contenders of killed processes are left out). Returns (stale writes, lost lines)."""
    text = "\n".join(" ".join(w) for w in lines)
    holds = {}          # token -> [contender, excused]
    max_token = 0
    last_line = {}      # contender -> index of its last line
    stopped_at = {}     # process -> indices of its "stopped" lines
    stale, lost = [], []
    ends = {}
    for i, w in enumerate(lines):
        kind = w[0]
        if kind in ("kill", "stopped"):
            for h in holds.values():
                if proc_of(h[0]) == w[1]:
                    h[1] = True
            if kind == "stopped":
                stopped_at.setdefault(w[1], []).append(i)
            continue
        if kind not in ("start", "end", "lost"):
            if len(w) > 1:
                last_line[w[1]] = i
            continue
        who, token = w[1], int(w[2])
        if kind == "start":
            for t, (other, excused) in holds.items():
                assert excused, (
                    "line %d: %s started (token %d) while %s held the lock (token %d) and was "
                    "neither told lost, nor dead, nor frozen\n%s" % (i + 1, who, token, other, t,
                                                                     text))
            if token > max_token:
                max_token = token
                holds[token] = [who, False]
            else:
                prev = last_line.get(who, -1)
                assert any(prev < s < i for s in stopped_at.get(proc_of(who), [])), (
                    "line %d: token %d of %s does not exceed %d, and its process was not frozen "
                    "since its previous line\n%s" % (i + 1, token, who, max_token, text))
                holds[token] = [who, True]
                stale.append(i)
        else:
            h = holds.pop(token, None)
            assert h is not None and h[0] == who, "line %d: %s without an open hold\n%s" % (
                i + 1, " ".join(w), text)
            if h[1] and token < max_token:
                stale.append(i)   # a paused holder's write: its token is older than the latest
            if kind == "end":
                ends[who] = ends.get(who, 0) + 1
            else:
                lost.append(i)
        last_line[who] = i
    done = set(w[1] for w in lines if w[0] == "done")
    for who, rounds in rounds_of.items():
        assert who in done, "%s did not complete its rounds\n%s" % (who, text)
        assert ends.get(who, 0) >= rounds, "%s: %d holds ended, %d expected\n%s" % (
            who, ends.get(who, 0), rounds, text)
    return stale, lost


def find_frozen_holder(run, candidates, timeout):
    """Stops the process of the current holder; returns its Tool once a stopped process is seen
    to hold the lock in the journal (a process that turns out not to hold is continued at once,
    and the next holder is tried)."""
    j = run.journal
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = j.lines()
        holders = [who for who in open_holds(lines).values() if proc_of(who) in candidates]
        if not holders:
            n = len(lines)
            wait_journal(j, lambda ls: len(starts_after(ls, n)) > 0, 30, "a new holder")
            continue
        t = run.tools[proc_of(holders[-1])]
        t.stop(j)
        if any(proc_of(who) == t.label for who in open_holds(j.lines()).values()):
            return t
        t.cont(j)
    raise AssertionError("no holder's process could be frozen while holding")


def test_mutex_exclusion_under_faults(ensemble):
    hosts = ensemble.hosts()
    common = ["lock", "--hosts", hosts, "--path", LOCK_PATH,
              "--session-timeout", str(SESSION_MS)]
    deadline = time.monotonic() + DEADLINE_S
    with Run("mutex-faults") as run:
        j = run.journal
        for n in range(PROCESSES):
            run.tool("p%d" % n, common + ["--name", "p%d" % n, "--contenders", str(CONTENDERS),
                                          "--rounds", str(ROUNDS), "--hold-ms", str(HOLD_MS)])
        live = set(run.tools)
        wait_journal(j, lambda ls: len([w for w in ls if w[0] == "session"]) == CONTENDERS *
                     PROCESSES and len(starts_after(ls, 0)) >= 5, 30,
                     "every contender connected, and five holds")

        def recovered(what, min_starts=1):
            """Waits for min_starts holds started after this point by contenders of running
            processes."""
            n = len(j.lines())
            wait_journal(j, lambda ls: len([w for w in starts_after(ls, n)
                                            if run.tools[proc_of(w[1])].state == "running"])
                         >= min_starts, 30, what)

        # 1. kill -9 a holder's process.
        victim = find_frozen_holder(run, live, 20)
        victim.kill(j)
        live.discard(victim.label)
        recovered("a holder after the first kill", 3)

        # 2. SIGSTOP a holder's process past its session timeout, then SIGCONT.
        frozen = find_frozen_holder(run, live, 20)
        stopped_ms = now_ms()
        n = len(j.lines())
        wait_journal(j, lambda ls: len(starts_after(ls, n)) > 0, 30,
                     "another holder while %s is frozen" % frozen.label)
        time.sleep(max(0.0, (stopped_ms + SESSION_MS + TICK_MS - now_ms()) / 1000.0))
        frozen.cont(j)
        recovered("holds after the continue", 3)

        # 3. kill -9 the ensemble's leader, then restart it.
        leader = ensemble.leader()
        assert leader is not None
        j.append("srvkill", "s%d" % leader.sid)
        leader.kill9()
        recovered("holds without the old leader", 3)
        leader.start()
        ensemble.wait_serving()
        j.append("srvstart", "s%d" % leader.sid)

        # 4. kill -9 another holder's process.
        victim2 = find_frozen_holder(run, live, 20)
        victim2.kill(j)
        live.discard(victim2.label)
        recovered("a holder after the second kill", 3)

        # 5. A holder cut off from the ensemble: two of the three members stopped.
        run.tool("long", common + ["--name", "long", "--rounds", "1", "--count-lost",
                                   "--hold-ms", str(LONG_HOLD_MS)])
        wait_journal(j, lambda ls: "long" in open_holds(ls).values(), 30, "the long holder")
        members = sorted(ensemble.members.values(), key=lambda m: m.sid)[:2]
        j.append("freeze", ",".join("s%d" % m.sid for m in members))
        for m in members:
            m.proc.send_signal(signal.SIGSTOP)
        try:
            wait_journal(j, lambda ls: any(w[0] == "lost" and w[1] == "long" for w in ls),
                         SESSION_MS / 1000.0 + 10, "the long holder told lost")
        finally:
            for m in members:
                m.proc.send_signal(signal.SIGCONT)
            j.append("thaw", ",".join("s%d" % m.sid for m in members))
        lines = j.lines()
        long_lost = next(w for w in lines if w[0] == "lost" and w[1] == "long")
        freeze = next(w for w in lines if w[0] == "freeze")
        # Told at the latest once the connection was suspended (no reply within 2/3 of the
        # session timeout) for a session timeout.
        assert int(long_lost[-1]) - int(freeze[-1]) <= 2 * SESSION_MS + 1000, (
            "the cut-off holder was told lost %d ms after the freeze" % (
                int(long_lost[-1]) - int(freeze[-1])))
        ensemble.wait_serving()

        for label in sorted(live) + ["long"]:
            t = run.tools[label]
            rc = t.finish(max(1.0, deadline - time.monotonic()))
            assert rc == 0, "%s exited %d: %s" % (label, rc, t.stderr_text())
        lines = j.lines()
        rounds_of = {"%s.%d" % (p, c): ROUNDS for p in live for c in range(CONTENDERS)}
        rounds_of["long"] = 0
        stale, lost = check_mutex_journal(lines, rounds_of)
        assert lost, "no hold was reported lost"
        starts = len(starts_after(lines, 0))
        sys.stderr.write("mutex under faults: %d holds, %d lost, %d stale writes fenced off\n" % (
            starts, len(lost), len(stale)))


# -- fairness and herd ---------------------------------------------------------------------------

def watches_by_session(ensemble):
    """wchc of every member, merged: session id -> set of watched paths."""
    out = {}
    for m in ensemble.members.values():
        session = None
        for line in m.four_letter("wchc").splitlines():
            if line.startswith("0x"):
                session = int(line, 16)
                out.setdefault(session, set())
            elif line.startswith("\t") and session is not None:
                out[session].add(line.strip())
    return out


def watchers_by_path(ensemble):
    """wchp of every member, merged: path -> list of watching session ids."""
    out = {}
    for m in ensemble.members.values():
        path = None
        for line in m.four_letter("wchp").splitlines():
            if line.startswith("/"):
                path = line.strip()
                out.setdefault(path, [])
            elif line.startswith("\t0x") and path is not None:
                out[path].append(int(line.strip(), 16))
    return out


CONS_RE = re.compile(r"queued=(\d+),recved=(\d+),sent=(\d+),sid=0x([0-9a-f]+)")


def connections_by_session(ensemble):
    """cons of every member: session id -> (queued, received, sent) of its connection."""
    out = {}
    for m in ensemble.members.values():
        for line in m.four_letter("cons").splitlines():
            mo = CONS_RE.search(line)
            if mo:
                sid = int(mo.group(4), 16)
                assert sid not in out, "session 0x%x on two members" % sid
                out[sid] = tuple(int(mo.group(k)) for k in (1, 2, 3))
    return out


def test_mutex_fair_and_no_herd(ensemble):
    zk = kx.new_client(ensemble.hosts())
    try:
        run_fairness(ensemble, zk)
    finally:
        zk.stop()
        zk.close()


def run_fairness(ensemble, zk):
    hosts = ensemble.hosts()
    with Run("mutex-fair") as run:
        j = run.journal
        gate = zk.create("%s/_c_%s-lock-" % (FAIR_PATH, uuid.uuid4()), b"gate", ephemeral=True,
                         sequence=True, makepath=True)
        names = ["w%d" % n for n in range(WAITERS)]
        for n, who in enumerate(names):
            run.tool(who, ["lock", "--hosts", hosts, "--path", FAIR_PATH, "--name", who,
                           "--rounds", "1", "--hold-ms", "50", "--linger"])
            zf.wait_until(lambda: len(zk.get_children(FAIR_PATH)) >= n + 2, 30, interval=0.01,
                          what="the node of %s" % who)
        lines = j.lines()
        session = {w[1]: int(w[2], 16) for w in lines if w[0] == "session"}
        assert sorted(session) == sorted(names), lines
        nodes = sorted(zk.get_children(FAIR_PATH), key=lambda c: c[-10:])
        paths = ["%s/%s" % (FAIR_PATH, c) for c in nodes]
        assert paths[0] == gate
        owners = [zk.exists(p).ephemeralOwner for p in paths[1:]]
        assert owners == [session[w] for w in names], "nodes not in the order the waiters queued"
        assert not [w for w in lines if w[0] == "start"], "acquired while the gate held the lock"

        # The watch tables: waiter k watches only node k-1, node k-1 is watched only by waiter k.
        # (Each waiter queued on its own and waits; its watch is registered before it waits, but
        # its getData reply may still be on the way: wait for the tables to show all of them.)
        def watched():
            by_session = watches_by_session(ensemble)
            return all(by_session.get(session[w]) for w in names) and by_session
        by_session = zf.wait_until(watched, 10, what="every waiter's watch")
        by_path = watchers_by_path(ensemble)
        for k, who in enumerate(names):
            assert by_session[session[who]] == {paths[k]}, (
                "%s watches %s, not only its predecessor %s" % (who, by_session[session[who]],
                                                                paths[k]))
            assert by_path.get(paths[k]) == [session[who]], (
                "node %s watched by %s, not only by its successor %s" % (
                    paths[k], by_path.get(paths[k]), who))
        assert paths[-1] not in by_path, "the last waiter's node is watched"
        before = connections_by_session(ensemble)
        for who in names:
            q, recved, sent = before[session[who]]
            assert sent == recved, "%s received notifications while queued" % who

        zk.delete(gate)
        wait_journal(j, lambda ls: len([w for w in ls if w[0] == "done"]) == WAITERS, 30,
                     "every waiter done")
        lines = j.lines()
        starts = [w for w in lines if w[0] == "start"]
        assert [w[1] for w in starts] == names, "not acquired in queue order"
        tokens = [int(w[2]) for w in starts]
        assert tokens == sorted(set(tokens)), tokens
        for a, b in zip(starts, [w for w in lines if w[0] == "end"]):
            assert a[1:3] == b[1:3]
        assert [w[0] for w in lines if w[0] in ("start", "end")] == ["start", "end"] * WAITERS

        # Every member has applied the last release (so sent every notification it causes).
        for m in ensemble.members.values():
            c = kx.new_client(m.hosts)
            try:
                c.sync(FAIR_PATH)
                assert c.get_children(FAIR_PATH) == []
            finally:
                c.stop()
                c.close()
        after = connections_by_session(ensemble)
        notified = {}
        for who in names:
            q, recved, sent = after[session[who]]
            assert q == 0, "%s has requests in flight" % who
            notified[who] = sent - recved
        assert notified == {who: 2 for who in names}, (
            "watch notifications per waiter (expected 2: predecessor deleted, own node "
            "deleted): %s" % notified)
        for who in names:
            assert run.tools[who].finish(30) == 0, run.tools[who].stderr_text()


# -- election with kills -------------------------------------------------------------------------

def leaders_now(lines):
    """Participants whose last lead/unlead line is "lead"."""
    leading = set()
    for w in lines:
        if w[0] == "lead":
            leading.add(w[1])
        elif w[0] == "unlead":
            leading.discard(w[1])
    return leading


def check_election_journal(lines):
    """At every "lead", every other participant still leading is excused (killed or stopped
    since it began to lead). Returns the number of lead lines."""
    text = "\n".join(" ".join(w) for w in lines)
    leading = {}  # participant -> excused
    leads = 0
    for i, w in enumerate(lines):
        if w[0] in ("kill", "stopped"):
            for who in leading:
                if proc_of(who) == w[1]:
                    leading[who] = True
        elif w[0] == "lead":
            assert w[1] not in leading, "line %d: %s led twice\n%s" % (i + 1, w[1], text)
            for other, excused in leading.items():
                assert excused, "line %d: %s leads while %s still leads\n%s" % (
                    i + 1, w[1], other, text)
            leading[w[1]] = False
            leads += 1
        elif w[0] == "unlead":
            assert w[1] in leading, "line %d: unlead without lead\n%s" % (i + 1, text)
            del leading[w[1]]
    return leads


def test_leader_latch_under_faults(ensemble):
    hosts = ensemble.hosts()
    deadline = time.monotonic() + DEADLINE_S
    zk = kx.new_client(hosts)
    try:
        run_election(ensemble, zk, deadline)
    finally:
        zk.stop()
        zk.close()


def run_election(ensemble, zk, deadline):
    hosts = ensemble.hosts()
    with Run("latch-faults") as run:
        j = run.journal
        for n in range(LATCH_PROCESSES):
            run.tool("e%d" % n, ["latch", "--hosts", hosts, "--path", LATCH_PATH,
                                 "--name", "e%d" % n, "--stay",
                                 "--participants", str(PER_PROCESS),
                                 "--session-timeout", str(SESSION_MS)])
        samples = []
        settling = set()  # continued processes whose old leader has not said "unlead" yet

        def sample():
            for label in list(settling):
                if not any(w[0] == "unlead" and proc_of(w[1]) == label
                           for w in j.lines()[settling_from[label]:]):
                    continue
                settling.discard(label)
            asked = [t for t in run.tools.values()
                     if t.state == "running" and t.label not in settling]
            t0 = now_ms()
            leads = []
            for t in asked:
                answer = t.ask("status")
                assert answer.startswith("status "), answer
                leads += [kv.split("=")[0] for kv in answer.split()[1:] if kv.endswith("=1")]
            samples.append((t0, now_ms(), leads))
            assert len(leads) <= 1, "two participants lead at once: %s" % leads

        settling_from = {}

        def stable_leader(lines):
            leading = [who for who in leaders_now(lines)
                       if run.tools[proc_of(who)].state != "killed"]
            if len(leading) != 1:
                return None
            return leading[0] if run.tools[proc_of(leading[0])].state == "running" else None

        def in_election(expected):
            out = []
            for c in zk.get_children(LATCH_PATH):
                try:
                    out.append(zk.get("%s/%s" % (LATCH_PATH, c))[0].decode())
                except NoNodeError:
                    pass
            return sorted(out) == sorted(expected)

        everyone = ["e%d.%d" % (n, k) for n in range(LATCH_PROCESSES) for k in range(PER_PROCESS)]
        wait_journal(j, lambda ls: in_election(everyone), 30, "every participant in the election",
                     between=sample)

        measured = []
        for f in range(FAULTS):
            who = wait_journal(j, stable_leader, 30, "a leader", between=sample)
            t = run.tools[proc_of(who)]
            n = len(j.lines())
            if f % 2 == 0:
                t.kill(j)
            else:
                t.stop(j)
            fault_ms = int(j.lines()[n][-1])  # the "kill"/"stop" line, written before the signal
            new = wait_journal(j, lambda ls: [w for w in ls[n:] if w[0] == "lead"], 30,
                               "a new leader after %s of %s" % ("kill" if f % 2 == 0 else "stop",
                                                                t.label), between=sample)[0]
            assert proc_of(new[1]) != t.label
            took = int(new[-1]) - fault_ms
            measured.append(took)
            assert SESSION_MS // 2 <= took <= SESSION_MS + TICK_MS + ELECTION_MS, (
                "new leader %s after %d ms" % (new[1], took))
            if t.state == "stopped":
                time.sleep(max(0.0, (fault_ms + SESSION_MS + TICK_MS - now_ms()) / 1000.0))
                settling_from[t.label] = len(j.lines())
                settling.add(t.label)
                t.cont(j)
                cont_ms = now_ms()
                told = wait_journal(j, lambda ls: [w for w in ls[settling_from[t.label]:]
                                                   if w[0] == "unlead" and w[1] == who],
                                    10, "%s told it no longer leads" % who, between=sample)[0]
                assert int(told[-1]) - cont_ms <= RESUME_BOUND_MS

        # The ensemble's leader killed: the latch's leader may give up (its connection
        # suspended) and lead again, or be replaced; never two leaders.
        server = ensemble.leader()
        assert server is not None
        j.append("srvkill", "s%d" % server.sid)
        server.kill9()
        ensemble.wait_serving()
        alive = ["%s.%d" % (t.label, k) for t in run.tools.values() if t.state != "killed"
                 for k in range(PER_PROCESS)]
        wait_journal(j, lambda ls: stable_leader(ls) and in_election(alive), 30,
                     "a leader after the ensemble's failover", between=sample)
        server.start()
        ensemble.wait_serving()
        j.append("srvstart", "s%d" % server.sid)

        # Everyone alive is back in the election, once.
        alive = [t for t in run.tools.values() if t.state != "killed"]
        expected = ["%s.%d" % (t.label, k) for t in alive for k in range(PER_PROCESS)]
        wait_journal(j, lambda ls: in_election(expected), 30,
                     "every live participant in the election", between=sample)
        sample()
        for t in alive:
            rc = t.finish(max(1.0, deadline - time.monotonic()))
            assert rc == 0, "%s exited %d: %s" % (t.label, rc, t.stderr_text())
        leads = check_election_journal(j.lines())
        assert leads >= FAULTS + 1
        assert len(samples) >= 20, "too few samples: %d" % len(samples)
        sys.stderr.write("election: new leader after %s ms; %d samples\n" % (measured,
                                                                            len(samples)))
