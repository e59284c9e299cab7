"""Quotas, differential: the same raw request frames (what zkCli's setquota/delquota send, then
creates, sets, deletes, multis and a session close inside the quota'd subtrees) to Apache
ZooKeeper 3.8 (the reference) and to zabkeeper, with enforceQuota=true in both zoo.cfg files.

Compared byte for byte (wire_bytes.mask_reply: only zxids, times and session ids are masked):
every reply (so every error code, QUOTAEXCEEDED -125 included, and the multi's per-op error
layout), and after every step the getData reply of each quota's zookeeper_limits and
zookeeper_stats nodes (data, dataLength, version: the server rewrites the stats in place).

zabkeeper runs standalone and as a 3-member ensemble (the script through a follower, so
writes are forwarded); in the ensemble the quota nodes are then read from every member. A
restart (of Apache and standalone zabkeeper; of a follower in the ensemble) keeps the stats, and
so does rebuilding a follower that lost its disk from the leader.

Run one server's transcript by hand:
  /usr/bin/python3 test_quota.py [zabkeeper|apache]
"""

import os
import struct
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import zkfixtures as zf  # noqa: E402
from ensemble import Ensemble  # noqa: E402
from wire_bytes import (  # noqa: E402
    CHECK, CLOSE_SESSION, CREATE, CREATE2, DELETE, EPHEMERAL, GET_DATA, MULTI,
    PERSISTENT_SEQUENTIAL, SET_DATA, SYNC, Conn, MaskContext, enc, mask_connect_response,
    mask_reply)

# A low snapCount so that restarts load the stats from a snapshot, not only from the log.
CFG = {"enforceQuota": "true", "snapCount": "10"}
QUOTA_ROOT = "/zookeeper/quota"
QUOTAEXCEEDED = -125

# The quotas the script sets, and their quota nodes.
QUOTAS = ("/q", "/r/s")


def limits(path):
    return QUOTA_ROOT + path + "/zookeeper_limits"


def stats(path):
    return QUOTA_ROOT + path + "/zookeeper_stats"


class Run(object):
    """One script against one server: connections by name, the transcript of masked frames."""

    def __init__(self, srv):
        self.srv = srv
        self.ctx = MaskContext()
        self.conns = {}
        self.xids = {}
        self.transcript = []  # (label, masked frame, description)

    def open(self, name):
        c = Conn(self.srv.host, self.srv.port)
        c.send_frame(enc.connect())
        masked, desc = mask_connect_response(c.recv_frame(), self.ctx, register=True)
        self.transcript.append(("connect " + name, masked, desc))
        self.conns[name] = c
        self.xids[name] = 0

    def req(self, op, body, label, name="a"):
        """Sends one request; records its reply; returns the reply's error code."""
        self.xids[name] += 1
        xid = self.xids[name]
        self.conns[name].send_frame(struct.pack(">ii", xid, op) + body)
        err = None
        for f in self.conns[name].until_xid(xid):
            masked, desc = mask_reply(f, op, self.ctx)
            self.transcript.append((label, masked, desc))
            if f is not None and len(f) >= 16:
                err = struct.unpack_from(">i", f, 12)[0]
        return err

    def quota_nodes(self, label):
        for q in QUOTAS:
            for p in (limits(q), stats(q)):
                self.req(GET_DATA, enc.path_watch(p), "%s: getData %s" % (label, p))

    def step(self, op, body, label, name="a"):
        err = self.req(op, body, label, name)
        self.quota_nodes(label)
        return err

    def close(self):
        for c in self.conns.values():
            c.close()


def set_quota(run, path, limits_record):
    """zkCli's setquota on a path without a quota: the /zookeeper/quota levels with null data,
    then zookeeper_limits, then zookeeper_stats as count=0,bytes=0 (the server counts it)."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        level = QUOTA_ROOT + "/" + "/".join(parts[:i])
        run.req(CREATE, enc.create(level, None), "setquota %s: create %s" % (path, level))
    run.step(CREATE, enc.create(limits(path), limits_record), "setquota %s: limits" % path)
    run.step(CREATE2, enc.create(stats(path), b"count=0,bytes=0"), "setquota %s: stats" % path)


def script(run):
    run.open("a")
    a = lambda op, body, label: run.step(op, body, label)  # noqa: E731
    a(CREATE, enc.create("/q", b"abc"), "create /q")
    a(CREATE, enc.create("/q/a", b"12"), "create /q/a")
    a(CREATE, enc.create("/r", b""), "create /r")
    a(CREATE, enc.create("/r/s", None), "create /r/s (null data)")
    a(CREATE, enc.create("/r/s/t", b"tt"), "create /r/s/t")
    set_quota(run, "/q", b"count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=4")
    set_quota(run, "/r/s", b"count=2,bytes=-1")
    # Count: /q, /q/a, then two more reach countHardLimit=4; the fifth is refused.
    a(CREATE, enc.create("/q/b", b""), "create /q/b")
    a(CREATE, enc.create("/q/b/c", b"x"), "create /q/b/c")
    assert a(CREATE, enc.create("/q/d", b""), "create /q/d over the count") == QUOTAEXCEEDED
    assert a(CREATE2, enc.create("/q/b/d", b"", flags=PERSISTENT_SEQUENTIAL),
             "create2 sequential over the count") == QUOTAEXCEEDED
    # A data change needs no count: allowed, and the bytes follow.
    a(SET_DATA, enc.set_data("/q/a", b"1234567890"), "setData /q/a")
    # setquota -B 20 on the existing quota: zkCli merges into the limits with setData.
    a(SET_DATA, enc.set_data(limits("/q"), b"count=-1,bytes=-1=;byteHardLimit=20;countHardLimit=4"),
      "setquota -B 20 /q")
    # bytes are 3 + 10 + 0 + 1 = 14: +7 goes over 20, +6 reaches it.
    assert a(SET_DATA, enc.set_data("/q/b", b"1234567"), "setData over the bytes") == QUOTAEXCEEDED
    assert a(SET_DATA, enc.set_data("/q/b", b"1234567", 99),
             "setData over the bytes, bad version (the quota is checked first)") == QUOTAEXCEEDED
    a(SET_DATA, enc.set_data("/q/b", b"123456"), "setData up to the bytes")
    a(SET_DATA, enc.set_data("/q/b", b"12345"), "setData shrinking")
    # Multis: the failing op carries -125, the others the usual layout; the check uses the
    # committed tree, so a delete earlier in the same multi frees nothing.
    a(MULTI, enc.multi([(CREATE, enc.create("/x", b"")),
                        (SET_DATA, enc.set_data("/q/a", b"1234567890123")),
                        (CHECK, enc.check("/q", -1))]), "multi with a set over the bytes")
    a(MULTI, enc.multi([(DELETE, enc.delete("/q/b/c")),
                        (CREATE, enc.create("/q/e", b""))]), "multi delete + create at the count")
    a(MULTI, enc.multi([(DELETE, enc.delete("/q/b/c")),
                        (SET_DATA, enc.set_data("/q/a", b"1"))]), "multi delete + set")
    # Soft limits only: everything passes (and is logged).
    a(SET_DATA, enc.set_data(limits("/q"), b"count=3,bytes=5"), "soft limits on /q")
    a(CREATE, enc.create("/q/f", b"ffffff"), "create over the soft limits")
    a(CREATE, enc.create("/q/s-", b"z", flags=PERSISTENT_SEQUENTIAL), "sequential create")
    a(CREATE, enc.create("/r/s/u", b"uuu"), "create under /r/s over its soft count")
    a(CREATE, enc.create("/r/st", b"not under /r/s"), "create beside /r/s")
    # An ephemeral of another session counts until that session closes.
    run.open("b")
    run.step(CREATE, enc.create("/q/eph", b"eee", flags=EPHEMERAL), "ephemeral", name="b")
    run.step(CLOSE_SESSION, b"", "close the ephemeral's session", name="b")
    a(DELETE, enc.delete("/q/f"), "delete /q/f")
    a(DELETE, enc.delete("/r/s/t"), "delete /r/s/t")


def delquota(run):
    """zkCli's delquota /q (children of the quota dir, then the empty levels), and a write
    under /q afterwards that no quota counts or limits."""
    run.open("a")
    a = lambda op, body, label: run.step(op, body, label)  # noqa: E731
    a(DELETE, enc.delete(limits("/q")), "delquota /q: limits")
    a(DELETE, enc.delete(stats("/q")), "delquota /q: stats")
    a(DELETE, enc.delete(QUOTA_ROOT + "/q"), "delquota /q: level")
    a(CREATE, enc.create("/q/g", b"ggggggggggggggggggggggggg"), "create under /q without a quota")


def run_script(srv, part):
    run = Run(srv)
    try:
        part(run)
    finally:
        run.close()
    return run.transcript


def read_quota_nodes(srv, label):
    """The quota nodes' getData replies as one member answers them (after a sync)."""
    run = Run(srv)
    try:
        run.open("a")
        run.req(SYNC, enc.path("/"), label + ": sync")
        run.quota_nodes(label)
    finally:
        run.close()
    return run.transcript


def diff(reference, transcript):
    problems = []
    for i in range(max(len(reference), len(transcript))):
        r = reference[i] if i < len(reference) else ("<missing>", b"", "<missing>")
        t = transcript[i] if i < len(transcript) else ("<missing>", b"", "<missing>")
        if r[1] != t[1] or r[0] != t[0]:
            problems.append("step %d %s\n  apache:    %s\n  zabkeeper: %s" % (i, r[0], r[2], t[2]))
    return problems


def assert_same(reference, transcript):
    assert len(reference) >= 6, "the reference transcript is too short to mean anything"
    problems = diff(reference, transcript)
    assert not problems, "%d difference(s) from Apache ZooKeeper:\n%s" % (
        len(problems), "\n".join(problems[:20]))


@pytest.fixture(scope="module")
def apache():
    reason = zf.skip_reason("apache") or zf.skip_reason("zabkeeper")
    if reason:
        pytest.skip(reason)
    srv = zf.make_server("apache", CFG)
    srv.start()
    out = {"script": run_script(srv, script)}
    out["before restart"] = read_quota_nodes(srv, "read back")
    srv.restart()
    out["after restart"] = read_quota_nodes(srv, "read back")
    out["delquota"] = run_script(srv, delquota)
    srv.cleanup()
    # The reference itself must show the quota at work, or the comparison proves nothing.
    errors = [d for _, _, d in out["script"] if "err=-125" in d]
    assert errors, "Apache did not enforce the quota: is enforceQuota=true read from zoo.cfg?"
    stats_reads = [d for label, _, d in out["before restart"] if "zookeeper_stats" in label]
    assert any("count=" in d for d in stats_reads)
    return out


def test_standalone_matches_apache(apache):
    srv = zf.make_server("zabkeeper", CFG)
    try:
        srv.start()
        assert_same(apache["script"], run_script(srv, script))
        # The first refusal is logged (later warnings in the same second are held back).
        assert "Quota exceeded: /q [current count=5, hardCountLimit=4]" in srv.log_tail(200000)
        assert_same(apache["before restart"], read_quota_nodes(srv, "read back"))
        srv.restart()
        assert_same(apache["after restart"], read_quota_nodes(srv, "read back"))
        assert_same(apache["delquota"], run_script(srv, delquota))
    finally:
        srv.cleanup()


def test_ensemble_matches_apache_on_every_member(apache):
    ens = Ensemble(3, extra_cfg=CFG).start()
    try:
        follower = next(m for m in ens.members.values() if m.mode() == "follower")
        assert_same(apache["script"], run_script(follower, script))
        for m in ens.members.values():
            assert_same(apache["before restart"], read_quota_nodes(m, "read back"))
        # A follower restarted from its own disk (snapshot + log) keeps the stats.
        follower.restart(hard=True)
        ens.wait_serving()
        assert_same(apache["after restart"], read_quota_nodes(follower, "read back"))
        # A member that lost its disk is rebuilt from the leader (SNAP or DIFF from zero).
        other = next(m for m in ens.members.values() if m.mode() == "follower" and m is not follower)
        other.stop()
        other.wipe()
        other.start()
        ens.wait_serving()
        assert_same(apache["after restart"], read_quota_nodes(other, "read back"))
        assert_same(apache["delquota"], run_script(ens.leader(), delquota))
        for m in ens.members.values():
            read_quota_nodes(m, "sync")  # every member has applied the delquota
        digests = {m.sid: m.mntr().get("zk_digest") for m in ens.members.values()}
        assert None not in digests.values() and len(set(digests.values())) == 1, (
            "members' tree digests differ: %r" % digests)
    except Exception:
        ens.dump_logs()
        raise
    finally:
        ens.cleanup()


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "zabkeeper"
    s = zf.make_server(kind, CFG)
    try:
        s.start()
        for label, _, desc in run_script(s, script):
            print("%-60s %s" % (label, desc))
    finally:
        s.cleanup()
