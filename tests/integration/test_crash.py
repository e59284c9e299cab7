"""Durability under kill -9: every acknowledged write survives a crash.

8 writer threads (one kazoo session each) create persistent-sequential and
persistent nodes and overwrite their data as fast as they can; the server is
SIGKILLed mid-load, restarted on the same dataDir, and every acknowledged write
must be there with its data.  A node may instead hold the value of the one write
that was in flight (sent, not acknowledged) when the server died.  Two rounds,
two kill points, the second round also re-checks the first round's writes.

zabkeeper only by default; ZK_CRASH_APACHE=1 also runs it against Apache
(validates the harness).
"""

import random
import threading
import time

import pytest

from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError

import kazoo_ext as kx
from zkfixtures import wait_until

N_WRITERS = 8
# A request made after the kill (between two requests) is queued by kazoo until it reconnects,
# which cannot happen before the restart; such a request gives up after this many seconds.
REQUEST_TIMEOUT = 10.0
KILL_POINTS = (2.5, 4.5)   # seconds of load before kill -9, one per round


class Writer(threading.Thread):
    def __init__(self, hosts, round_no, idx, stop):
        super(Writer, self).__init__(daemon=True)
        self.client = kx.new_client(hosts, timeout=20.0)
        self.base = "/crash/r%d/w%d" % (round_no, idx)
        self.client.ensure_path(self.base)
        self.rng = random.Random(round_no * 100 + idx)
        self.stop_ev = stop
        self.acked = {}       # path -> data of the last acknowledged write
        self.in_flight = {}   # path -> data of an unacknowledged write (at most one)
        self.own = []
        self.count = 0
        self.error = None

    def run(self):
        c = self.client
        n = 0
        try:
            while not self.stop_ev.is_set():
                n += 1
                data = ("%s#%d" % (self.base, n)).encode()
                k = self.rng.random()
                if k < 0.35 or not self.own:
                    self.in_flight = {"<seq>": data}
                    path = c.create_async(self.base + "/s-", data, sequence=True).get(
                        timeout=REQUEST_TIMEOUT)
                    self.own.append(path)
                elif k < 0.5:
                    path = "%s/p%d" % (self.base, n)
                    self.in_flight = {path: data}
                    c.create_async(path, data).get(timeout=REQUEST_TIMEOUT)
                    self.own.append(path)
                else:
                    path = self.rng.choice(self.own)
                    self.in_flight = {path: data}
                    c.set_async(path, data).get(timeout=REQUEST_TIMEOUT)
                self.acked[path] = data
                self.in_flight = {}
                self.count += 1
        except (KazooException, KazooTimeoutError) as e:
            self.error = e          # connection loss at the kill: expected


def run_round(server, round_no, kill_after):
    stop = threading.Event()
    writers = [Writer(server.hosts, round_no, i, stop) for i in range(N_WRITERS)]
    for w in writers:
        w.start()
    t0 = time.monotonic()
    # let the load run, but make sure writes are actually being acknowledged
    wait_until(lambda: time.monotonic() - t0 >= kill_after and sum(w.count for w in writers) > 50,
               kill_after + 30, what="load to make progress")
    server.kill9()
    for w in writers:
        w.join(60)
        assert not w.is_alive(), "writer hung after the kill"
    stop.set()
    server.start()
    return writers


def verify(server, writers):
    c = kx.new_client(server.hosts, timeout=20.0)
    try:
        checked = 0
        for w in writers:
            for path, data in w.acked.items():
                allowed = {data}
                if path in w.in_flight:
                    allowed.add(w.in_flight[path])
                try:
                    got = c.get(path)[0]
                except KazooException as e:
                    pytest.fail("acknowledged write lost: %s (%r) -> %r" % (path, data, e))
                assert got in allowed, "%s: acknowledged %r, found %r" % (path, data, got)
                checked += 1
            # nothing beyond what was acknowledged or in flight appeared
            kids = set(c.get_children(w.base))
            acked_kids = {p.rsplit("/", 1)[1] for p in w.acked}
            extra = kids - acked_kids
            assert len(extra) <= 1 and (not extra or w.in_flight), \
                "%s: unexpected nodes %r" % (w.base, sorted(extra))
        return checked
    finally:
        c.stop()
        c.close()


@pytest.mark.zabkeeper_only
def test_acknowledged_writes_survive_kill9(zk_factory):
    server = zk_factory()
    all_writers = []
    for round_no, kill_after in enumerate(KILL_POINTS):
        writers = run_round(server, round_no, kill_after)
        total = sum(w.count for w in writers)
        assert total > 50, "too little load before the kill (%d writes)" % total
        all_writers += writers
        checked = verify(server, all_writers)
        assert checked == sum(len(w.acked) for w in all_writers)
        for w in writers:
            try:
                w.client.stop()
                w.client.close()
            except Exception:
                pass
