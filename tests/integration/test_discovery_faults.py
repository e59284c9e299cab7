"""Service caches converge under faults: no instance lost, no phantom instance.

A 3-member zabkeeper ensemble (tickTime 200 ms). Providers are `recipe_tool discovery-register`
processes (one instance each, 2 s sessions); consumers are three `recipe_tool discovery-list
--follow` processes (zk::discovery::ServiceCache) that print the ids they hold after every
change. Faults, in order, each followed by a check that every consumer holds exactly the live
providers (within the bound the model gives) and still does a moment later:

1. five providers register: every cache shows all five;
2. two providers are killed with -9: their instances stay until their sessions expire, then
   leave every cache (bound: session timeout + 3 s; the time is measured);
3. the ensemble's leader is killed and a provider registers during the election: every cache
   shows it (and nothing else changes); the old leader restarts;
4. one provider is killed with -9 and one stops cleanly (it unregisters at once);
5. in the end each cache equals what an independent client (kazoo) lists.
"""
import json
import os
import queue
import subprocess
import threading
import time

import pytest

import kazoo_ext as kx
import test_recipes_interop as ri
import zkfixtures as zf
from ensemble import Ensemble

TICK_MS = 200
SESSION_MS = 2000
BASE = "/svc-faults"
NAME = "echo"
SETTLE_S = 1.0


class Consumer(object):
    """A `discovery-list --follow` process; `state` is the last set of ids it printed."""

    def __init__(self, hosts):
        self.proc = subprocess.Popen(
            [ri.recipe_tool(), "discovery-list", "--hosts", hosts, "--base", BASE, "--name", NAME,
             "--follow", "--session-timeout", str(SESSION_MS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=zf._die_with_parent)
        self.lock = threading.Lock()
        self.state = None
        self.history = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("state "):
                ids = frozenset(i for i in line[len("state "):].strip().split(",") if i)
                with self.lock:
                    self.state = ids
                    self.history.append(ids)

    def current(self):
        with self.lock:
            return self.state

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.returncode


def provider(hosts, pid):
    inst = {"name": NAME, "id": pid, "address": "127.0.0.1", "port": 7000 + int(pid[1:]),
            "sslPort": None, "payload": None, "registrationTimeUTC": 1764800000000,
            "serviceType": "DYNAMIC", "uriSpec": None}
    p = subprocess.Popen([ri.recipe_tool(), "discovery-register", "--hosts", hosts, "--base",
                          BASE, "--instance", json.dumps(inst), "--session-timeout",
                          str(SESSION_MS)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=zf._die_with_parent)
    line = p.stdout.readline()
    assert line.strip() == "registered " + pid, (line, p.stderr.read() if p.poll() else "")
    return p


@pytest.fixture
def ensemble():
    if zf.skip_reason("zabkeeper"):
        pytest.skip(zf.skip_reason("zabkeeper"))
    e = Ensemble(3, extra_cfg={"tickTime": TICK_MS})
    try:
        e.start()
        yield e
    except BaseException:
        e.dump_logs()
        raise
    finally:
        e.cleanup()


def test_service_caches_converge_after_provider_kills_and_a_leader_kill(ensemble):
    hosts = ensemble.hosts()
    consumers = [Consumer(hosts) for _ in range(3)]
    providers = {}
    zk = kx.new_client(hosts)

    def expect_all(ids, bound_s, what):
        ids = frozenset(ids)
        start = time.monotonic()
        zf.wait_until(lambda: all(c.current() == ids for c in consumers), bound_s,
                      interval=0.02, what="every cache holding %s (%s): %s" % (
                          sorted(ids), what, [sorted(c.current() or []) for c in consumers]))
        took = time.monotonic() - start
        time.sleep(SETTLE_S)  # and no late phantom or loss
        assert all(c.current() == ids for c in consumers), (
            what, [sorted(c.current() or []) for c in consumers])
        return took

    try:
        for n in range(1, 6):
            providers["p%d" % n] = provider(hosts, "p%d" % n)
        expect_all(providers, 10, "five registered")

        # Killed providers leave every cache once their sessions expire.
        for pid in ("p2", "p4"):
            providers.pop(pid).kill()
        took = expect_all(providers, SESSION_MS / 1000.0 + 3, "two killed")
        assert took >= SESSION_MS / 1000.0 / 2, "gone before their sessions could expire"

        # The leader dies; a provider registers during the election.
        leader = ensemble.leader()
        assert leader is not None
        leader.kill9()
        providers["p6"] = provider(hosts, "p6")
        expect_all(providers, 15, "registered during a leader change")
        leader.start()
        ensemble.wait_serving()

        # One killed, one stopped cleanly (unregistered at once).
        providers.pop("p1").kill()
        p3 = providers.pop("p3")
        p3.stdin.close()
        assert p3.wait(timeout=20) == 0
        expect_all(providers, SESSION_MS / 1000.0 + 3, "one killed, one stopped")

        listed = frozenset(zk.get_children("%s/%s" % (BASE, NAME)))
        assert listed == frozenset(providers), listed
        for c in consumers:
            # Never an id that was not registered at some point.
            seen = frozenset().union(*c.history)
            assert seen <= {"p1", "p2", "p3", "p4", "p5", "p6"}, seen
    finally:
        zk.stop()
        zk.close()
        for c in consumers:
            c.stop()
        for p in providers.values():
            p.kill()
            p.wait()
