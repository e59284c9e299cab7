"""Replica divergence is detected at run time: the leader sends its tree digest to its learners,
and a learner whose digest differs at the same zxid logs it, counts it in mntr
(zk_digest_mismatches_count) and, with digest.onMismatch=stopServing, stops serving clients.

A divergent apply is planted with the test seam test.divergeOnPath on member 3: it applies every
setData of that path with a different value than the other replicas.
"""
import pytest

import zkfixtures as zf
from ensemble import Ensemble, retrying_client as client
from test_wire_protocol import Raw
from zkfixtures import wait_until

pytestmark = pytest.mark.skipif(not zf.zabkeeper_available(), reason="zabkeeper not built")

PLANTED = 3


def start_ensemble(on_mismatch):
    e = Ensemble(3, 0, extra_cfg={"tickTime": 200, "digest.onMismatch": on_mismatch})
    e.members[PLANTED].extra_cfg["test.divergeOnPath"] = "/diverge"
    e.members[PLANTED].write_cfg()
    return e.start()


def mismatches(m):
    return int(m.mntr().get("zk_digest_mismatches_count", "-1"))


def diverged_members(e):
    """The members whose data differs from the leader's: the planted one, or, if it leads,
    the two others."""
    leader = e.leader()
    if leader.sid == PLANTED:
        return {sid for sid in e.members if sid != PLANTED}
    return {PLANTED}


def test_a_divergent_replica_is_reported_and_the_others_are_not():
    e = start_ensemble("log")
    try:
        c = client(e.hosts())
        try:
            # Agreeing replicas: writes well past one digest sample, no mismatch anywhere.
            for i in range(300):
                c.create("/same-%d" % i, b"v")
            c.sync("/")
            for m in e.members.values():
                assert mismatches(m) == 0, m.log_text()[-3000:]
            c.create("/diverge", b"a")
            c.set("/diverge", b"b")
            expected = diverged_members(e)
            wait_until(lambda: all(mismatches(e.members[s]) >= 1 for s in expected), 15,
                       what="the diverged replicas to report a digest mismatch")
            for sid, m in e.members.items():
                if sid not in expected:
                    assert mismatches(m) == 0
                else:
                    assert "DIGEST MISMATCH" in m.log_text()
            # "log" keeps every member serving.
            for m in e.members.values():
                assert m.mode() in ("leader", "follower")
        finally:
            c.stop()
            c.close()
    except BaseException:
        e.dump_logs()
        raise
    finally:
        e.cleanup()


def test_stop_serving_closes_clients_and_refuses_new_ones():
    e = start_ensemble("stopServing")
    try:
        c = client(e.hosts())
        try:
            c.create("/diverge", b"a")
            c.set("/diverge", b"b")
            expected = diverged_members(e)
            wait_until(lambda: all(mismatches(e.members[s]) >= 1 for s in expected), 15,
                       what="the diverged replicas to report a digest mismatch")
            for sid in expected:
                raw = Raw(e.members[sid])
                try:
                    assert raw.handshake() is None, "a diverged member accepted a session"
                finally:
                    raw.close()
            healthy = [m for sid, m in e.members.items() if sid not in expected]
            for m in healthy:
                raw = Raw(m)
                try:
                    hs = raw.handshake()
                    assert hs is not None and hs["sid"] != 0
                finally:
                    raw.close()
        finally:
            c.stop()
            c.close()
    except BaseException:
        e.dump_logs()
        raise
    finally:
        e.cleanup()
