"""zk::recipes::Mutex and kazoo's Lock on one lock path exclude each other.

Three `recipe_tool lock` processes (our C++ Mutex: "_c_<uuid>-lock-<seq>" nodes) and two kazoo
clients (kazoo's Lock: "<uuid>__lock__<seq>" nodes, told about ours with
extra_lock_patterns=["-lock-"]) take the same lock in rounds. Every holder appends
"start <who> <token>" when it has the lock and "end <who> <token>" before releasing it to one
journal (O_APPEND, one write per line), where the token is the czxid of the holder's contender
node. Checked: the journal alternates start/end of the same holder (never two holders at once),
every round of every holder happened, and the tokens strictly increase in journal order (the
fencing token grows from holder to holder, whichever client library took the lock).

Runs against a 3-member zabkeeper ensemble and against Apache ZooKeeper.
"""
import os
import subprocess
import tempfile
import threading

import pytest
from kazoo.recipe.lock import Lock

import kazoo_ext as kx
import zkfixtures as zf
from ensemble import Ensemble

ROUNDS = 5
HOLD_MS = 30
CPP_HOLDERS = 3
KAZOO_HOLDERS = 2


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


def check_journal(journal):
    with open(journal) as f:
        lines = [l.split() for l in f.read().splitlines()]
    assert len(lines) == 2 * ROUNDS * (CPP_HOLDERS + KAZOO_HOLDERS), lines
    last_token = 0
    holds = {}
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
    assert sorted(holds.values()) == [ROUNDS] * (CPP_HOLDERS + KAZOO_HOLDERS), holds
    assert sum(1 for w in holds if w.startswith("kazoo")) == KAZOO_HOLDERS


def run_contention(hosts):
    journal = tempfile.mktemp(prefix="lock-journal-")
    path = "/interop/lock"
    errors = []
    procs = [subprocess.Popen([recipe_tool(), "lock", "--hosts", hosts, "--path", path,
                               "--name", "cpp%d" % n, "--rounds", str(ROUNDS),
                               "--hold-ms", str(HOLD_MS), "--journal", journal],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(CPP_HOLDERS)]
    threads = [threading.Thread(target=kazoo_holder,
                                args=(hosts, path, "kazoo%d" % n, journal, errors))
               for n in range(KAZOO_HOLDERS)]
    for t in threads:
        t.start()
    try:
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, "recipe_tool failed: %s" % err
            assert out.count("acquired ") == ROUNDS
        for t in threads:
            t.join(120)
        assert not errors, errors
        check_journal(journal)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        if os.path.exists(journal):
            os.remove(journal)


@pytest.fixture
def skip_without_tool():
    if not os.access(recipe_tool(), os.X_OK):
        if zf.in_ci():
            pytest.fail("recipe_tool not built at %s" % recipe_tool())
        pytest.skip("recipe_tool not built")


def test_mutex_and_kazoo_lock_exclude_each_other_on_zabkeeper_ensemble(skip_without_tool):
    e = Ensemble(3)
    try:
        e.start()
        run_contention(e.hosts())
    except BaseException:
        e.dump_logs()
        raise
    finally:
        e.cleanup()


def test_mutex_and_kazoo_lock_exclude_each_other_on_apache(skip_without_tool):
    reason = zf.skip_reason("apache")
    if reason:
        pytest.skip(reason)
    s = zf.make_server("apache")
    s.start()
    try:
        run_contention(s.hosts)
    finally:
        s.cleanup()
