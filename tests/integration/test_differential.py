"""Differential test: the same seeded random operation sequence against Apache
ZooKeeper (reference) and zabkeeper, compared op by op and as a final tree.

Run:
  pytest -q test_differential.py                      # default seeds, 3000 ops each
  ZK_DIFF_SEED=17 ZK_DIFF_OPS=5000 pytest -q test_differential.py   # replay one seed
  /usr/bin/python3 tests/integration/test_differential.py --seeds 1-50 --ops 5000
  /usr/bin/python3 tests/integration/test_differential.py --candidate apache   # self-check

The candidate defaults to zabkeeper; ZK_DIFF_CANDIDATE=apache runs Apache vs
Apache (the harness self-check, which must always pass).

What is compared for every op: the exception class (kazoo's name for the
server's error code) or the result: returned path, data, sorted children, ACL
list, multi per-op results (RolledBackError / the failing op's error /
RuntimeInconsistency), and Stat fields except ctime/mtime.

Normalisation
-------------
* ``ephemeralOwner`` is mapped to a label: ``0`` -> 0, one of our sessions ->
  ``"s<slot>.<generation>"``, 0x80.. -> ``"container"``, 0xff.. -> ``"ttl:<ms>"``,
  anything else -> ``"other"`` (Apache 3.8 reports 0 for container and TTL nodes).
* zxids (czxid, mzxid, pzxid) are mapped per server to the *rank of first
  observation*: the first distinct non-zero zxid the harness sees is z0, the next
  new one z1, ...; 0 stays 0.  On a zxid's first sighting the label also carries
  its position among all zxids seen so far (``z7@5`` = 8th distinct zxid, 5 seen
  ones are smaller), so an order inversion is caught too.  This is immune to how
  many zxids a server spends on session create/close or failed writes (gaps),
  while equal zxids (all ops of one multi) must stay equal and order must agree.
"""

import argparse
import bisect
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import pytest  # noqa: E402

from kazoo.security import ACL, Id, make_digest_acl, make_digest_acl_credential, OPEN_ACL_UNSAFE  # noqa: E402

import kazoo_ext as kx  # noqa: E402
import zkfixtures as zf  # noqa: E402

SUPER_PASSWORD = "superpw"
SUPER_DIGEST = make_digest_acl_credential("super", SUPER_PASSWORD)  # super:<base64 sha1>

# Config for both servers: TTL on, super digest, and container/TTL reaping far
# away so it never races with the run (zabkeeper must honour these keys too).
DIFF_CFG = {
    "extendedTypesEnabled": "true",
    "DigestAuthenticationProvider.superDigest": SUPER_DIGEST,
    "znode.container.checkIntervalMs": "3600000",
}

NUM_SLOTS = 3
BASE_PATHS = ["/a", "/b", "/c", "/a/x", "/a/y", "/b/x", "/a/x/q", "/c/x", "/c/x/y", "/b/x/z"]
BAD_PATHS = ["//a", "a", "/a/", "/zookeeper/x", "/", "/a/./b", "/a/../b", "/a//b", "/a/.",
             "/a/..", "/.a", "", "/zookeeper", "/zookeeper/quota", "/zookeeper/config",
             "/a\x01b", "/a\x00b", "/a/x/"]
USERS = [("user1", "pw1"), ("user2", "pw2"), ("super", SUPER_PASSWORD), ("user1", "wrong")]

ALL = 31
ACL_CHOICES = {
    "open": list(OPEN_ACL_UNSAFE),
    "read": [ACL(1, Id("world", "anyone"))],
    "u1": [make_digest_acl("user1", "pw1", all=True)],
    "u1+read": [make_digest_acl("user1", "pw1", all=True), ACL(1, Id("world", "anyone"))],
    "u2cd": [make_digest_acl("user2", "pw2", create=True, delete=True, read=True)],
    "creator": [ACL(ALL, Id("auth", ""))],
    "ip": [ACL(ALL, Id("ip", "127.0.0.1"))],
    "badscheme": [ACL(ALL, Id("foo", "bar"))],
    "baddigest": [ACL(ALL, Id("digest", "nocolon"))],
    "nodelete": [ACL(ALL & ~8, Id("world", "anyone"))],
}

MODES = [kx.PERSISTENT, kx.EPHEMERAL, kx.PERSISTENT_SEQUENTIAL, kx.EPHEMERAL_SEQUENTIAL,
         kx.CONTAINER, kx.PERSISTENT_WITH_TTL, kx.PERSISTENT_SEQUENTIAL_WITH_TTL]
MODE_WEIGHTS = [30, 15, 10, 8, 8, 5, 4]
TTLS = [3600000, 86400000, 0, -5, 1 << 41]   # huge TTLs never expire during a run; 0/-5/2^41 invalid
BIG = 1048576 + 16   # > jute.maxbuffer: Apache drops the connection (ConnectionLoss)


# --------------------------------------------------------------------------
# Operation generator
# --------------------------------------------------------------------------
class OpGenerator(object):
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.extra_paths = []   # sequential names observed (fed back by the harness)

    def observe_path(self, p):
        if p and p not in self.extra_paths and p not in BASE_PATHS:
            self.extra_paths.append(p)
            if len(self.extra_paths) > 24:
                self.extra_paths.pop(0)

    def path(self):
        r = self.rng
        if self.extra_paths and r.random() < 0.25:
            return r.choice(self.extra_paths)
        return r.choice(BASE_PATHS)

    def data(self):
        r = self.rng
        k = r.random()
        if k < 0.1:
            return b""
        if k < 0.12:
            return None
        return bytes(r.getrandbits(8) for _ in range(r.randint(1, 24)))

    def version(self):
        return self.rng.choice(["any", "any", "right", "right", "right", "wrong", 3])

    def create_op(self):
        r = self.rng
        mode = r.choices(MODES, MODE_WEIGHTS)[0]
        path = self.path()
        if mode in (kx.PERSISTENT_SEQUENTIAL, kx.EPHEMERAL_SEQUENTIAL,
                    kx.PERSISTENT_SEQUENTIAL_WITH_TTL) and r.random() < 0.5:
            path = path + "/s"
        acl = r.choices(list(ACL_CHOICES), [40, 4, 4, 3, 2, 3, 2, 1, 1, 2])[0]
        ttl = r.choice(TTLS) if mode in (kx.PERSISTENT_WITH_TTL, kx.PERSISTENT_SEQUENTIAL_WITH_TTL) else 0
        return {"op": "create", "path": path, "data": self.data(), "mode": mode, "acl": acl,
                "ttl": ttl, "create2": r.random() < 0.7}

    def sub_op(self):
        r = self.rng
        k = r.random()
        if k < 0.4:
            op = self.create_op()
            op["create2"] = True
            return op
        if k < 0.6:
            return {"op": "delete", "path": self.path(), "version": self.version()}
        if k < 0.8:
            return {"op": "set", "path": self.path(), "data": self.data(), "version": self.version()}
        return {"op": "check", "path": self.path(), "version": self.version()}

    def next(self):
        r = self.rng
        slot = r.randrange(NUM_SLOTS)
        kinds = ["create", "delete", "set", "exists", "get", "children", "multi", "get_acls",
                 "set_acls", "add_auth", "close_session", "bad_path", "big_data", "sync",
                 "all_children_number", "get_ephemerals"]
        weights = [26, 12, 14, 6, 6, 7, 10, 3, 3, 1.5, 0.8, 4, 0.15, 0.5, 1, 1]
        kind = r.choices(kinds, weights)[0]
        if kind == "create":
            op = self.create_op()
        elif kind == "delete":
            op = {"op": "delete", "path": self.path(), "version": self.version()}
        elif kind == "set":
            op = {"op": "set", "path": self.path(), "data": self.data(), "version": self.version()}
        elif kind in ("exists", "get", "children", "get_acls", "sync", "all_children_number"):
            op = {"op": kind, "path": r.choice(BASE_PATHS + ["/", "/zookeeper"]) if r.random() < 0.2 else self.path()}
        elif kind == "get_ephemerals":
            op = {"op": kind, "path": r.choice(["/", "/a", "/b/x", "/c"])}
        elif kind == "multi":
            op = {"op": "multi", "ops": [self.sub_op() for _ in range(r.randint(1, 4))]}
        elif kind == "set_acls":
            op = {"op": "set_acls", "path": self.path(),
                  "acl": r.choice(["open", "open", "read", "u1", "u1+read", "creator", "ip", "badscheme", "nodelete"]),
                  "version": self.version()}
        elif kind == "add_auth":
            op = {"op": "add_auth", "user": r.choice(USERS)}
        elif kind == "close_session":
            op = {"op": "close_session"}
        elif kind == "bad_path":
            sub = r.choice(["create", "delete", "set", "exists", "get", "children", "multi"])
            bp = r.choice(BAD_PATHS)
            if sub == "create":
                op = self.create_op()
                op["path"] = bp
                if op["mode"] in (kx.EPHEMERAL, kx.EPHEMERAL_SEQUENTIAL):
                    op["mode"] = kx.PERSISTENT
                if bp in ("/zookeeper/x",):
                    op["mode"] = kx.EPHEMERAL  # keep /zookeeper clean-ish: dies with the session
            elif sub == "multi":
                op = {"op": "multi", "ops": [self.sub_op(), {"op": "create", "path": bp, "data": b"",
                      "mode": kx.EPHEMERAL, "acl": "open", "ttl": 0, "create2": True}]}
            elif sub in ("delete",):
                op = {"op": sub, "path": bp, "version": r.choice(["any", "wrong"])}
            elif sub == "set":
                op = {"op": sub, "path": bp, "data": b"x", "version": "wrong"}
            else:
                op = {"op": sub, "path": bp}
        elif kind == "big_data":
            op = {"op": r.choice(["create", "set"]), "path": self.path(), "data": b"B" * BIG,
                  "mode": kx.PERSISTENT, "acl": "open", "ttl": 0, "create2": True, "version": "any"}
        op["slot"] = slot
        return op


def op_repr(op):
    def short(v):
        if isinstance(v, bytes) and len(v) > 32:
            return "<%d bytes>" % len(v)
        return v
    if op.get("op") == "multi":
        return "multi(slot=%s, [%s])" % (op.get("slot"), ", ".join(op_repr(s) for s in op["ops"]))
    return "%s(%s)" % (op["op"], ", ".join("%s=%r" % (k, short(v)) for k, v in sorted(op.items()) if k != "op"))


# --------------------------------------------------------------------------
# One server side: sessions, normalisation, execution
# --------------------------------------------------------------------------
class Side(object):
    def __init__(self, name, server):
        self.name = name
        self.server = server
        self.clients = [None] * NUM_SLOTS
        self.gen = [0] * NUM_SLOTS
        self.owner_labels = {}
        self.zxid_rank = {}
        self.zxid_sorted = []
        self.observer = None

    # -- sessions
    def open_slot(self, slot):
        c = kx.new_client(self.server.hosts, timeout=30.0)
        self.clients[slot] = c
        self.owner_labels[c.client_id[0]] = "s%d.%d" % (slot, self.gen[slot])

    def client(self, slot):
        if self.clients[slot] is None:
            self.open_slot(slot)
        return self.clients[slot]

    def close_slot(self, slot):
        c = self.clients[slot]
        if c is None:
            return None
        # After a dropped connection (e.g. an oversized request) kazoo may still be
        # reconnecting; wait for it, so both servers' slots close the same way.
        if not c.client_id:
            try:
                zf.wait_until(lambda: c.client_id, 15, what="slot %d to reconnect" % slot)
            except Exception:
                pass
        sid = c.client_id[0] if c.client_id else None
        c.stop()
        c.close()
        self.clients[slot] = None
        self.gen[slot] += 1
        return sid

    def close_all(self):
        for i in range(NUM_SLOTS):
            try:
                self.close_slot(i)
            except Exception:
                pass
        if self.observer is not None:
            try:
                self.observer.stop()
                self.observer.close()
            except Exception:
                pass
            self.observer = None

    # -- normalisation
    def zx(self, z):
        if z == 0:
            return 0
        if z in self.zxid_rank:
            return "z%d" % self.zxid_rank[z]
        pos = bisect.bisect_left(self.zxid_sorted, z)
        self.zxid_sorted.insert(pos, z)
        self.zxid_rank[z] = len(self.zxid_rank)
        return "z%d@%d" % (self.zxid_rank[z], pos)

    def owner(self, o):
        if o == 0:
            return 0
        if o in self.owner_labels:
            return self.owner_labels[o]
        u = o & 0xFFFFFFFFFFFFFFFF
        if u == 0x8000000000000000:
            return "container"
        if (u >> 56) == 0xFF:
            return "ttl:%d" % (u & 0xFFFFFFFFFF)
        return "other"

    def stat(self, st):
        if st is None:
            return None
        return ("czxid", self.zx(st.czxid), "mzxid", self.zx(st.mzxid), "pzxid", self.zx(st.pzxid),
                "version", st.version, "cversion", st.cversion, "aversion", st.aversion,
                "owner", self.owner(st.ephemeralOwner), "dataLength", st.dataLength,
                "numChildren", st.numChildren)

    # -- execution helpers
    def current_stat(self, path):
        c = self.observer_client()
        try:
            return kx.raw_call(c, kx.RawExists(path))
        except Exception:
            return None

    def observer_client(self):
        if self.observer is None:
            self.observer = kx.new_client(self.server.hosts, timeout=30.0)
            self.observer.add_auth("digest", "super:" + SUPER_PASSWORD)
            self.owner_labels[self.observer.client_id[0]] = "observer"
        return self.observer

    def resolve_version(self, sym, path, field="version"):
        if sym == "any":
            return -1
        if isinstance(sym, int):
            return sym
        st = self.current_stat(path) if path else None
        cur = getattr(st, field) if st is not None else 0
        return cur if sym == "right" else cur + 1

    def build_request(self, op):
        o = op["op"]
        if o == "create":
            return kx.make_create(op["path"], op["data"], ACL_CHOICES[op["acl"]], op["mode"],
                                  op["ttl"], op.get("create2", True))
        if o == "delete":
            return kx.RawDelete(op["path"], self.resolve_version(op["version"], op["path"]))
        if o == "set":
            return kx.RawSetData(op["path"], op["data"], self.resolve_version(op["version"], op["path"]))
        if o == "check":
            return kx.RawCheck(op["path"], self.resolve_version(op["version"], op["path"]))
        raise ValueError(o)

    def execute(self, op):
        """Run op, return its normalised result."""
        o = op["op"]
        slot = op.get("slot", 0)
        try:
            if o == "close_session":
                sid = self.close_slot(slot)
                if sid is None:
                    return ("noop",)
                # its ephemerals must be gone, as seen from another session
                left = [p for p in self.walk_paths() if self.current_stat(p) is not None
                        and self.current_stat(p).ephemeralOwner == sid]
                return ("closed", sorted(left))
            c = self.client(slot)
            if o == "add_auth":
                u, p = op["user"]
                c.add_auth("digest", "%s:%s" % (u, p))
                return ("ok",)
            if o in ("create", "delete", "set"):
                r = kx.raw_call(c, self.build_request(op))
                if o == "create":
                    return ("ok", r[0], self.stat(r[1]))
                if o == "delete":
                    return ("ok",)
                return ("ok", self.stat(r))
            if o == "exists":
                try:
                    return ("ok", self.stat(kx.raw_call(c, kx.RawExists(op["path"]))))
                except kx.EXCEPTIONS[-101]:
                    return ("ok", None)
            if o == "get":
                data, st = kx.raw_call(c, kx.RawGetData(op["path"]))
                return ("ok", data, self.stat(st))
            if o == "children":
                ch, st = kx.raw_call(c, kx.RawGetChildren2(op["path"]))
                return ("ok", sorted(ch), self.stat(st))
            if o == "get_acls":
                acls, st = kx.raw_call(c, kx.RawGetACL(op["path"]))
                return ("ok", [(a.perms, a.id.scheme, a.id.id) for a in acls], self.stat(st))
            if o == "set_acls":
                v = self.resolve_version(op["version"], op["path"], "aversion")
                return ("ok", self.stat(kx.raw_call(c, kx.RawSetACL(op["path"], ACL_CHOICES[op["acl"]], v))))
            if o == "sync":
                return ("ok", c.sync(op["path"]))
            if o == "all_children_number":
                return ("ok", kx.raw_call(c, kx.GetAllChildrenNumber(op["path"])))
            if o == "get_ephemerals":
                return ("ok", sorted(kx.raw_call(c, kx.GetEphemerals(op["path"]))))
            if o == "multi":
                reqs = [self.build_request(s) for s in op["ops"]]
                res = kx.raw_call(c, kx.Multi(reqs))
                out = []
                for r in res:
                    if r[0] == "create":
                        out.append(("create", r[1], self.stat(r[2])))
                    elif r[0] == "set":
                        out.append(("set", self.stat(r[1])))
                    else:
                        out.append(r)
                return ("ok", out)
            raise ValueError("unknown op %r" % o)
        except Exception as e:  # server error -> compare the class
            if isinstance(e, (ValueError, TypeError, AttributeError, KeyError)):
                raise
            return ("error", type(e).__name__)

    # -- whole tree
    def walk_paths(self):
        c = self.observer_client()
        out = []
        stack = ["/"]
        while stack:
            p = stack.pop()
            out.append(p)
            try:
                ch = kx.raw_call(c, kx.RawGetChildren2(p))[0]
            except Exception:
                continue
            for n in ch:
                stack.append(("/" if p == "/" else p + "/") + n)
        return sorted(out)

    def dump_tree(self):
        c = self.observer_client()
        tree = {}
        for p in self.walk_paths():
            try:
                data, st = kx.raw_call(c, kx.RawGetData(p))
                acls = kx.raw_call(c, kx.RawGetACL(p))[0]
                ch = kx.raw_call(c, kx.RawGetChildren2(p))[0]
            except Exception as e:
                tree[p] = ("error", type(e).__name__)
                continue
            tree[p] = (data, self.stat(st), sorted(ch), [(a.perms, a.id.scheme, a.id.id) for a in acls])
        return tree


class Mismatch(AssertionError):
    pass


def run_differential(seed, nops, ref_server, cand_server, log=None, progress=False):
    """Run seed's op sequence in lockstep on both servers; raise Mismatch on the first difference."""
    gen = OpGenerator(seed)
    ref = Side("apache", ref_server)
    cand = Side(cand_server.kind, cand_server)
    try:
        for side in (ref, cand):
            side.observer_client()
            for s in range(NUM_SLOTS - 1):
                side.open_slot(s)
        for i in range(nops):
            op = gen.next()
            r1 = ref.execute(op)
            r2 = cand.execute(op)
            if log is not None:
                log.append((i, op, r1))
            if r1 != r2:
                raise Mismatch("seed=%d op#%d %s\n  %s: %r\n  %s: %r\nreplay: ZK_DIFF_SEED=%d ZK_DIFF_OPS=%d" % (
                    seed, i, op_repr(op), ref.name, r1, cand.name, r2, seed, i + 1))
            if op["op"] == "close_session" and r1[0] == "closed" and r1[1]:
                raise Mismatch("seed=%d op#%d: ephemerals of closed session still present: %r" % (seed, i, r1[1]))
            # feed created names back so later ops hit sequential nodes too
            if r1[0] == "ok" and op["op"] == "create":
                gen.observe_path(r1[1])
            elif r1[0] == "ok" and op["op"] == "multi":
                for x in r1[1]:
                    if x[0] == "create":
                        gen.observe_path(x[1])
            if progress and i % 1000 == 999:
                print("  seed %d: %d ops" % (seed, i + 1), flush=True)
        for side in (ref, cand):
            for s in range(NUM_SLOTS):
                side.close_slot(s)
        t1, t2 = ref.dump_tree(), cand.dump_tree()
        if t1 != t2:
            lines = []
            for p in sorted(set(t1) | set(t2)):
                if t1.get(p) != t2.get(p):
                    lines.append("  %s\n    %s: %r\n    %s: %r" % (p, ref.name, t1.get(p), cand.name, t2.get(p)))
            raise Mismatch("seed=%d final trees differ after %d ops:\n%s" % (seed, nops, "\n".join(lines[:40])))
        return len(t1)
    finally:
        ref.close_all()
        cand.close_all()


# --------------------------------------------------------------------------
# pytest
# --------------------------------------------------------------------------
def _seeds():
    s = os.environ.get("ZK_DIFF_SEED")
    if s:
        return parse_seeds(s)
    return [1, 2, 3]


def _nops():
    return int(os.environ.get("ZK_DIFF_OPS", "3000"))


def parse_seeds(text):
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


@pytest.fixture(scope="module")
def diff_servers():
    cand_kind = os.environ.get("ZK_DIFF_CANDIDATE", "zabkeeper")
    for kind in ("apache", cand_kind):
        reason = zf.skip_reason(kind)
        if reason:
            pytest.skip(reason)
    ref = zf.ApacheZooKeeper(DIFF_CFG)
    cand = zf.make_server(cand_kind, DIFF_CFG)
    try:
        ref.start()
        cand.start()
        yield ref, cand
    finally:
        ref.cleanup()
        cand.cleanup()


@pytest.mark.parametrize("seed", _seeds())
def test_differential(seed, diff_servers):
    ref, cand = diff_servers
    # each seed gets fresh servers' worth of state? No: restart both on empty dataDirs
    # would cost time; instead every seed runs under its own top-level namespace-free
    # tree by wiping user nodes first (via a recursive delete as super).
    _wipe(ref)
    _wipe(cand)
    try:
        n = run_differential(seed, _nops(), ref, cand)
    except Mismatch:
        sys.stderr.write("---- %s log ----\n%s\n" % (cand.kind, cand.log_tail(8000)))
        raise
    assert n >= 4  # /, /zookeeper, /zookeeper/config, /zookeeper/quota at least


def _wipe(server):
    c = kx.new_client(server.hosts)
    try:
        c.add_auth("digest", "super:" + SUPER_PASSWORD)
        for ch in c.get_children("/"):
            if ch != "zookeeper":
                c.delete("/" + ch, recursive=True)
        for ch in c.get_children("/zookeeper"):
            if ch not in ("config", "quota"):
                c.delete("/zookeeper/" + ch, recursive=True)
        c.set("/", b"")
    finally:
        c.stop()
        c.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1-3", help="e.g. 1-50 or 3,7,9")
    ap.add_argument("--ops", type=int, default=3000)
    ap.add_argument("--candidate", default=os.environ.get("ZK_DIFF_CANDIDATE", "zabkeeper"),
                    choices=sorted(zf.SERVER_KINDS))
    ap.add_argument("--keep-going", action="store_true", help="continue with the next seed after a mismatch")
    args = ap.parse_args(argv)
    failures = 0
    for seed in parse_seeds(args.seeds):
        ref = zf.ApacheZooKeeper(DIFF_CFG)
        cand = zf.make_server(args.candidate, DIFF_CFG)
        t0 = time.monotonic()
        try:
            ref.start()
            cand.start()
            n = run_differential(seed, args.ops, ref, cand, progress=True)
            print("seed %d: OK (%d ops, %d nodes, %.1fs)" % (seed, args.ops, n, time.monotonic() - t0), flush=True)
        except Mismatch as e:
            failures += 1
            print("seed %d: MISMATCH\n%s" % (seed, e), flush=True)
            print("candidate log: %s" % cand.log_path)
            if not args.keep_going:
                os.environ["ZK_KEEP_TMP"] = "1"
                return 1
        finally:
            ref.cleanup()
            cand.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
