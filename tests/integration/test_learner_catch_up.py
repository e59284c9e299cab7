"""A follower far behind the leader catches up by DIFF however large the gap: the leader streams
the log range as the connection drains instead of queueing it at once. The peer connections'
queue limit is lowered (test.peerMaxQueuedBytes=4 MiB) so that a gap of 24 MB is far above it;
queued at once, such a range fails the connection on every attempt and the follower never
rejoins."""
import re


from ensemble import Ensemble, retrying_client as client
from zkfixtures import wait_until

VALUE = b"x" * 1000000  # just under jute.maxbuffer
WRITES = 24


def last_zxid(member):
    m = re.search(r"^Zxid: (0x[0-9a-f]+)", member.four_letter("srvr", timeout=2.0), re.M)
    return int(m.group(1), 16) if m else -1


def test_follower_far_behind_catches_up_by_streamed_diff():
    e = Ensemble(3, 0, extra_cfg={"tickTime": 200, "test.peerMaxQueuedBytes": 4194304})
    try:
        e.start()
        leader = e.leader()
        follower = next(m for m in e.members.values() if m is not leader)
        c = client(leader.hosts)
        try:
            c.create("/big", b"")
            follower.stop()
            for i in range(WRITES):
                c.create("/big/n%02d" % i, VALUE)
            follower.start()
            target = last_zxid(leader)
            wait_until(lambda: last_zxid(follower) == target, 60,
                       what="the follower caught up with the leader's zxid")
            log = follower.log_text()
            assert re.search(r"synchronizing with leader \d+ by DIFF", log), log[-3000:]
            f = client(follower.hosts)
            try:
                assert len(f.get_children("/big")) == WRITES
                assert f.get("/big/n%02d" % (WRITES - 1))[0] == VALUE
                # And it takes part in new writes.
                f.create("/after", b"")
                c.sync("/")
                assert c.exists("/after") is not None
            finally:
                f.stop()
        finally:
            c.stop()
    except BaseException:
        e.dump_logs()
        raise
    finally:
        e.cleanup()
