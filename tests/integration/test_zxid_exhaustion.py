"""An epoch that runs out of zxids: the leader must step down and start a new epoch, and nothing
acknowledged may be lost. ZooKeeper's counter has 2^32 - 1 zxids per epoch; the servers here are
started with the `test.maxZxidCounter` seam lowered to 25, so a few hundred writes cross several
epochs. Writers retry a create that failed with a connection loss under the same name, so every
write is acknowledged exactly once (NodeExists on a retry means the first attempt landed).
Checked: every acknowledged create exists on every member afterwards, the zxid epoch moved
forward several times, and the servers are still up and serving.
"""
import threading

import pytest
from kazoo.exceptions import ConnectionLoss, NodeExistsError, SessionExpiredError
from kazoo.retry import KazooRetry

import kazoo_ext as kx
import zkfixtures as zf
from ensemble import Ensemble
from zkfixtures import wait_until

CFG = {"test.maxZxidCounter": "25", "tickTime": "200"}
WRITES_PER_WRITER = 60
WRITERS = 3


def write_all(c, prefix, acked, errors):
    for i in range(WRITES_PER_WRITER):
        path = "%s-%03d" % (prefix, i)
        while True:
            try:
                c.create(path, b"v")
                break
            except NodeExistsError:
                break  # a retry of a create that had landed before the connection broke
            except (ConnectionLoss, SessionExpiredError):
                continue
            except Exception as e:  # noqa: BLE001 - reported by the test
                errors.append("%s: %r" % (path, e))
                return
        acked.append(path)


def run_writers(hosts):
    clients = [kx.new_client(hosts, timeout=10.0,
                             command_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.2))
               for _ in range(WRITERS)]
    try:
        clients[0].ensure_path("/ex")
        acked, errors = [], []
        threads = [threading.Thread(target=write_all, args=(c, "/ex/w%d" % n, acked, errors))
                   for n, c in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads), "writers did not finish in 60 s"
        assert not errors, errors
        return acked
    finally:
        for c in clients:
            c.stop()
            c.close()


def epoch_of_last_zxid(c):
    zxid = c.exists("/ex").pzxid
    return zxid >> 32


def check_everything_there(hosts, acked):
    c = kx.new_client(hosts)
    try:
        c.sync("/ex")
        have = set("/ex/" + n for n in c.get_children("/ex"))
        missing = sorted(set(acked) - have)
        assert not missing, "acknowledged creates lost: %s" % missing[:10]
        assert len(acked) == WRITERS * WRITES_PER_WRITER
        # 180 writes (+ sessions) at 25 zxids per epoch: several new epochs.
        assert epoch_of_last_zxid(c) >= 5
    finally:
        c.stop()
        c.close()


def test_standalone_survives_zxid_exhaustion(request):
    reason = zf.skip_reason("zabkeeper")
    if reason:
        pytest.skip(reason)
    s = zf.make_server("zabkeeper", CFG)
    s.start()
    try:
        acked = run_writers(s.hosts)
        assert s.running(), s.log_tail()
        check_everything_there(s.hosts, acked)
        assert "zxid counter is exhausted" in s.log_tail(10 ** 7)
    finally:
        s.cleanup()


def test_ensemble_survives_zxid_exhaustion():
    e = Ensemble(3, extra_cfg=CFG)
    try:
        e.start()
        acked = run_writers(e.hosts())
        for m in e.members.values():
            assert m.running(), m.log_tail()
        e.wait_serving()
        for m in e.members.values():
            check_everything_there(m.hosts, acked)
    except BaseException:
        e.dump_logs()
        raise
    finally:
        e.cleanup()
