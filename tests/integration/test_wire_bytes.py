"""Byte-level differential test: the same raw request frames to Apache ZooKeeper 3.8 (Debian's,
the reference) and to zabkeeper, the reply frames compared byte for byte.

Every op code that Apache 3.8 accepts is sent, in its success and its main error cases, inside
and outside multi, with and without watches; plus the handshake variants, notifications of every
event type (one-shot, persistent and persistent-recursive watches, setWatches and setWatches2
re-registration), auth, and malformed and unknown requests. Each scenario is a script run once
against each server on fresh connections; a script step sends one frame and records every frame
that comes back on any of the script's connections (the requester reads up to its reply; every
other connection is pinged, so a notification it was sent arrives before the ping's answer), and
whether a connection was closed.

What may differ is masked (wire_bytes.py): zxids (relabelled per frame in order of first
appearance: equal stays equal), ctime/mtime, session ids (-> their ordinal in the script) and
session passwords. Child lists are compared sorted: Apache returns them in its HashSet's
iteration order, which docs/wire-protocol.md lists as a difference. Nothing else is normalised,
so a missing or extra byte anywhere fails the test with both decodings printed.

Run one server's transcript by hand:
  /usr/bin/python3 test_wire_bytes.py [zabkeeper|apache] [scenario]
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
    ADD_WATCH, ALL, AUTH, CHECK, CHECK_WATCHES, CLOSE_SESSION, CONTAINER, CREATE, CREATE2,
    CREATE_CONTAINER, CREATE_SESSION, CREATE_TTL, DELETE, DELETE_CONTAINER, EPHEMERAL,
    EPHEMERAL_SEQUENTIAL, EXISTS, GET_ACL, GET_ALL_CHILDREN_NUMBER, GET_CHILDREN, GET_CHILDREN2,
    GET_DATA, GET_EPHEMERALS, MULTI, MULTI_READ, OPEN_ACL, PERSISTENT, PERSISTENT_SEQUENTIAL,
    PERSISTENT_SEQUENTIAL_WITH_TTL, PERSISTENT_WITH_TTL, PING, PING_XID, RECONFIG, REMOVE_WATCHES,
    SASL, SET_ACL, SET_DATA, SET_WATCHES, SET_WATCHES2, SYNC, WHO_AM_I, Conn, MaskContext, enc,
    mask_connect_response, mask_reply)
from kazoo.security import make_digest_acl_credential  # noqa: E402

SUPER_PASSWORD = "superpw"
CFG = {
    "extendedTypesEnabled": "true",
    "DigestAuthenticationProvider.superDigest": make_digest_acl_credential("super", SUPER_PASSWORD),
    "znode.container.checkIntervalMs": "3600000",  # no reaping during the scripts
}

U1 = make_digest_acl_credential("user1", "pw1")  # "user1:<base64 sha1>"
U1_ACL = [(ALL, "digest", U1)]
READ_ONLY_ACL = [(1, "world", "anyone")]

# Watcher types (checkWatches/removeWatches) and addWatch modes.
W_CHILDREN, W_DATA, W_ANY, W_PERSISTENT, W_RECURSIVE = 1, 2, 3, 4, 5
MODE_PERSISTENT, MODE_RECURSIVE = 0, 1
PERSISTENT_TYPES_39 = ("watcher types 4 and 5 in checkWatches/removeWatches work as in ZooKeeper "
                       "3.9; Apache 3.8 answers MARSHALLINGERROR")


class Run(object):
    """One scenario against one server: named connections, the transcript of masked frames."""

    def __init__(self, srv, scenario):
        self.srv = srv
        self.scenario = scenario
        self.ctx = MaskContext()
        self.conns = {}
        self.sessions = {}   # name -> (session id, password) as the server sent them
        self.xids = {}
        self.last_zxid = 0   # the last reply header's zxid (unmasked): for setWatches
        self.transcript = []  # (step label, connection, masked frame, description)

    def _record(self, label, name, masked, desc):
        self.transcript.append((label, name, masked, desc))

    def open(self, name, label=None, pipelined=None, **connect):
        """Connects and handshakes; `pipelined` requests are sent in the same write as the
        ConnectRequest, before its answer."""
        c = Conn(self.srv.host, self.srv.port)
        self.conns[name] = c
        self.xids[name] = 0
        body = enc.connect(**connect)
        data = struct.pack(">i", len(body)) + body
        ops = []
        for op, req in pipelined or []:
            xid = self._next_xid(name)
            payload = struct.pack(">ii", xid, op) + req
            data += struct.pack(">i", len(payload)) + payload
            ops.append((xid, op))
        c.send_raw(data)
        label = label or "connect %s %r" % (name, connect)
        frame = c.recv_frame()
        masked, desc = mask_connect_response(frame, self.ctx, register=True)
        self._record(label, name, masked, desc)
        if frame is not None and len(frame) >= 16:
            sid = struct.unpack_from(">q", frame, 8)[0]
            plen = struct.unpack_from(">i", frame, 16)[0]
            self.sessions[name] = (sid, frame[20:20 + max(plen, 0)])
        for xid, op in ops:
            self._read_reply(label + " / pipelined op %d" % op, name, xid, op)
        return c

    def _next_xid(self, name):
        self.xids[name] += 1
        return self.xids[name]

    def _read_reply(self, label, name, xid, op):
        for f in self.conns[name].until_xid(xid):
            if f is not None and len(f) >= 16 and struct.unpack_from(">i", f, 0)[0] == xid:
                self.last_zxid = struct.unpack_from(">q", f, 4)[0]
            masked, desc = mask_reply(f, op, self.ctx)
            self._record(label, name, masked, desc)

    def req(self, name, op, body=b"", label=None, xid=None, settle=True, zabkeeper_only=None):
        """Sends one request on `name`, records its reply (and notifications before it), then
        the notifications every other open connection got.

        zabkeeper_only=(expected description, reason): a listed difference
        (docs/wire-protocol.md). The request is not sent to Apache; zabkeeper's reply must
        decode to exactly the expected description (after its xid)."""
        if callable(body):
            body = body(self)
        label = "%s: %s" % (self.scenario, label or "op %d on %s" % (op, name))
        xid = self._next_xid(name) if xid is None else xid
        if zabkeeper_only is not None:
            expected, reason = zabkeeper_only
            marker = (b"<listed difference>", "listed difference: " + reason)
            if self.srv.kind != "zabkeeper":
                self._record(label, name, *marker)
                return
            before = len(self.transcript)
        c = self.conns[name]
        c.send_frame(struct.pack(">ii", xid, op) + body)
        self._read_reply(label, name, xid, op)
        if zabkeeper_only is not None:
            got = self.transcript[before:]
            if len(got) == 1 and got[0][3].split(" ", 1)[-1] == expected:
                self.transcript[before:] = [(label, name) + marker]
            return
        if settle:
            self.settle(label, skip=name)

    def settle(self, label, skip=None):
        for other, c in sorted(self.conns.items()):
            if other == skip or c.closed:
                continue
            alive, frames = c.alive()
            for f in frames:
                masked, desc = mask_reply(f, PING, self.ctx)
                self._record(label + " [pending on %s]" % other, other, masked, desc)
            if not alive:
                self._record(label + " [state of %s]" % other, other, b"closed", "closed")

    def state(self, name, label):
        """Records whether the server keeps `name` open (a ping is answered) or closed it."""
        alive, frames = self.conns[name].alive()
        for f in frames:
            masked, desc = mask_reply(f, PING, self.ctx)
            self._record("%s: %s" % (self.scenario, label), name, masked, desc)
        self._record("%s: %s" % (self.scenario, label), name,
                     b"open" if alive else b"closed", "open" if alive else "closed")

    def close_all(self):
        for c in self.conns.values():
            c.close()


# ---------------------------------------------------------------------------- scenarios --

def sc_handshake(r):
    r.open("a", read_only=False)
    r.open("no-ro-byte", read_only=None)
    r.open("ro-true", read_only=True)
    r.open("short-timeout", timeout=1000)
    r.open("long-timeout", timeout=10 ** 6)
    r.open("negative-timeout", timeout=-5)
    r.open("protocol-1", protocol_version=1)
    r.open("pipelined", pipelined=[(GET_DATA, enc.path_watch("/zookeeper")),
                                   (EXISTS, enc.path_watch("/hs-none", True))])
    sid, pw = r.sessions["a"]
    r.open("resume", session_id=sid, passwd=pw, read_only=False, timeout=20000)
    r.state("a", "the resumed session's old connection")
    r.req("resume", GET_DATA, enc.path_watch("/zookeeper"), "get on the resumed session")
    r.open("resume-no-ro", session_id=sid, passwd=pw, read_only=None)
    r.open("bad-password", session_id=sid, passwd=bytes(x ^ 0xff for x in pw), read_only=False)
    r.state("bad-password", "after a wrong password")
    r.state("resume-no-ro", "the session's connection after a wrong password")
    r.open("bad-password-no-ro", session_id=sid, passwd=b"x" * 16, read_only=None)
    r.open("unknown-session", session_id=0x0badc0ffee0001, passwd=b"x" * 16)
    r.state("unknown-session", "after an unknown session id")
    r.open("short-password", session_id=0x0badc0ffee0002, passwd=b"x")
    r.open("future-zxid", last_zxid=1 << 60)
    r.state("future-zxid", "after a lastZxidSeen above the server's")
    r.req("pipelined", CLOSE_SESSION, label="closeSession")
    r.state("pipelined", "after closeSession")
    sid, pw = r.sessions["pipelined"]
    r.open("resume-closed", session_id=sid, passwd=pw)


def _tree(r, base):
    """base, base/d (data "v"), base/e (no data), base/acl (user1 only), base/ro (read only),
    base/d/k1..k3, an ephemeral base/eph of `a`."""
    r.req("a", CREATE, enc.create(base, b"root"), "create base")
    r.req("a", CREATE, enc.create(base + "/d", b"v"), "create d")
    r.req("a", CREATE, enc.create(base + "/e", None), "create e (null data)")
    r.req("a", CREATE, enc.create(base + "/acl", b"secret", U1_ACL), "create acl")
    r.req("a", CREATE, enc.create(base + "/ro", b"r", READ_ONLY_ACL), "create ro")
    for k in ("k1", "k2", "k3"):
        r.req("a", CREATE, enc.create(base + "/d/" + k, k.encode()), "create d/" + k)
    r.req("a", CREATE, enc.create(base + "/eph", b"x", flags=EPHEMERAL), "create eph")
    for name in ("e1", "e2", "e3", "zz", "aa"):
        r.req("a", CREATE, enc.create(base + "/d/k1/" + name, flags=EPHEMERAL_SEQUENTIAL),
              "create ephemeral %s" % name)


def sc_reads(r):
    base = "/reads"
    r.open("a")
    r.open("b")
    _tree(r, base)
    for path in (base + "/d", base + "/none", "/", "/zookeeper", base + "/a\0b", ""):
        r.req("a", EXISTS, enc.path_watch(path), "exists %r" % path)
    r.req("b", EXISTS, enc.path_watch(base + "/none", True), "exists+watch missing")
    for path in (base + "/d", base + "/e", base + "/none", base + "/acl", "/", "/zookeeper/config",
                 "/zookeeper/quota"):
        r.req("a", GET_DATA, enc.path_watch(path), "getData %r" % path)
    r.req("b", GET_DATA, enc.path_watch(base + "/d", True), "getData+watch")
    r.req("b", GET_DATA, enc.path_watch(base + "/none", True), "getData+watch missing")
    for path in (base + "/d", base + "/acl", base + "/none", "/"):
        r.req("a", GET_ACL, enc.path(path), "getACL %r" % path)
    for path in (base, base + "/d", base + "/e", base + "/none", base + "/acl", "/"):
        r.req("a", GET_CHILDREN, enc.path_watch(path), "getChildren %r" % path)
        r.req("a", GET_CHILDREN2, enc.path_watch(path), "getChildren2 %r" % path)
    r.req("b", GET_CHILDREN, enc.path_watch(base + "/d", True), "getChildren+watch")
    r.req("b", GET_CHILDREN2, enc.path_watch(base, True), "getChildren2+watch")
    for path in (base, base + "/d", base + "/none", base + "/acl", "/"):
        r.req("a", GET_ALL_CHILDREN_NUMBER, enc.path(path), "getAllChildrenNumber %r" % path)
    for prefix in ("/", base, base + "/e", "/nothing", ""):
        r.req("a", GET_EPHEMERALS, enc.path(prefix), "getEphemerals %r" % prefix)
    r.req("b", GET_EPHEMERALS, enc.path("/"), "getEphemerals of another session")
    for path in (base, "/", base + "/none"):
        r.req("a", SYNC, enc.path(path), "sync %r" % path)
    r.req("a", WHO_AM_I, label="whoAmI")
    r.req("a", PING, xid=PING_XID, label="ping")
    # The watches set above fire now, each once.
    r.req("a", SET_DATA, enc.set_data(base + "/d", b"w"), "setData fires the data watch")
    r.req("a", CREATE, enc.create(base + "/d/k4"), "create fires the child watch")
    r.req("a", CREATE, enc.create(base + "/none"), "create fires the exists watches")
    r.req("a", DELETE, enc.delete(base + "/d/k4"), "nothing left to fire")


def sc_auth(r):
    base = "/auth"
    r.open("a")
    r.open("u1")
    r.open("super")
    r.req("a", CREATE, enc.create(base, b"", U1_ACL + READ_ONLY_ACL), "create with two ACL entries")
    r.req("u1", AUTH, enc.auth("digest", b"user1:pw1"), "auth user1", xid=-4)
    r.req("u1", AUTH, enc.auth("digest", b"user1:pw1"), "auth user1 again", xid=-4)
    r.req("super", AUTH, enc.auth("digest", ("super:" + SUPER_PASSWORD).encode()), "auth super",
          xid=-4)
    r.req("a", GET_ACL, enc.path(base), "getACL without ADMIN (masked digests)")
    r.req("u1", GET_ACL, enc.path(base), "getACL with ADMIN")
    r.req("a", SET_DATA, enc.set_data(base, b"x"), "setData NOAUTH")
    r.req("u1", SET_DATA, enc.set_data(base, b"x"), "setData as user1")
    r.req("super", SET_DATA, enc.set_data(base, b"y"), "setData as super")
    r.req("a", CREATE, enc.create(base + "/c"), "create under it NOAUTH")
    r.req("u1", CREATE, enc.create(base + "/c", b"", [(ALL, "auth", "")]), "create with auth ACL")
    r.req("a", CREATE, enc.create(base + "/c2", b"", [(ALL, "auth", "")]),
          "auth ACL without credentials")
    r.req("u1", GET_ACL, enc.path(base + "/c"), "getACL of the auth-ACL node")
    r.req("u1", CREATE, enc.create(base + "/ip", b"", [(ALL, "ip", "127.0.0.1")]), "ip ACL")
    r.req("a", GET_DATA, enc.path_watch(base + "/ip"), "read with the ip ACL")
    r.req("u1", CREATE, enc.create(base + "/bad", b"", [(ALL, "ip", "300.1.1.1")]),
          "malformed ip ACL")
    r.req("u1", CREATE, enc.create(base + "/bad", b"", [(ALL, "foo", "bar")]), "unknown scheme")
    r.req("u1", CREATE, enc.create(base + "/bad", b"", [(ALL, "digest", "nocolon")]),
          "malformed digest")
    r.req("u1", CREATE, enc.create(base + "/bad", b"", []), "empty ACL")
    r.req("u1", CREATE, enc.create(base + "/bad", b"", [(ALL, "world", "someone")]),
          "world with another id")
    r.req("u1", SET_ACL, enc.set_acl(base, OPEN_ACL, 5), "setACL BADVERSION")
    r.req("u1", SET_ACL, enc.set_acl(base, OPEN_ACL, 0), "setACL")
    r.req("a", SET_ACL, enc.set_acl(base + "/c", OPEN_ACL), "setACL NOAUTH")
    r.req("u1", SET_ACL, enc.set_acl(base + "/none", OPEN_ACL), "setACL NONODE")
    r.req("u1", SET_ACL, enc.set_acl(base, []), "setACL empty list")
    for name in ("a", "u1", "super"):
        r.req(name, WHO_AM_I, label="whoAmI of " + name)
    r.req("a", AUTH, enc.auth("unknownscheme", b"x"), "auth with an unknown scheme", xid=-4)
    r.state("a", "after a failed auth")


def sc_writes(r):
    base = "/writes"
    r.open("a")
    r.open("b")
    r.req("a", CREATE, enc.create(base, b"root"), "create base")
    r.req("a", CREATE, enc.create(base, b"root"), "create NODEEXISTS")
    modes = [("persistent", PERSISTENT, None), ("ephemeral", EPHEMERAL, None),
             ("p-seq", PERSISTENT_SEQUENTIAL, None), ("e-seq", EPHEMERAL_SEQUENTIAL, None),
             ("container", CONTAINER, None)]
    for name, flags, _ in modes:
        r.req("a", CREATE, enc.create(base + "/c-" + name, b"d", flags=flags), "create " + name)
        r.req("a", CREATE2, enc.create(base + "/c2-" + name, b"d", flags=flags),
              "create2 " + name)
    r.req("a", CREATE_CONTAINER, enc.create(base + "/cc", b"d", flags=CONTAINER),
          "createContainer")
    r.req("a", CREATE_CONTAINER, enc.create(base + "/cc2", b"d", flags=PERSISTENT),
          "createContainer with persistent flags")
    r.req("a", CREATE_TTL, enc.create(base + "/ttl", b"d", flags=PERSISTENT_WITH_TTL, ttl=60000),
          "createTTL")
    r.req("a", CREATE_TTL, enc.create(base + "/ttl-seq", b"d", flags=PERSISTENT_SEQUENTIAL_WITH_TTL,
                                      ttl=60000), "createTTL sequential")
    r.req("a", CREATE_TTL, enc.create(base + "/ttl0", b"d", flags=PERSISTENT_WITH_TTL, ttl=0),
          "createTTL ttl 0")
    r.req("a", CREATE_TTL, enc.create(base + "/ttl-big", b"d", flags=PERSISTENT_WITH_TTL,
                                      ttl=1 << 41), "createTTL ttl too large")
    r.req("a", CREATE_TTL, enc.create(base + "/ttl-p", b"d", flags=PERSISTENT, ttl=1000),
          "createTTL with persistent flags")
    r.req("a", CREATE, enc.create(base + "/ttl-c", b"d", flags=PERSISTENT_WITH_TTL),
          "create with TTL flags but no TTL")
    for flags in (7, -1, 100):
        r.req("a", CREATE, enc.create(base + "/f%d" % flags, flags=flags), "create flags %d" % flags)
    r.req("a", CREATE, enc.create(base + "/none/x"), "create NONODE parent")
    r.req("a", CREATE2, enc.create(base + "/none/x"), "create2 NONODE parent")
    r.req("a", CREATE, enc.create(base + "/c-ephemeral/x"), "create under an ephemeral")
    r.req("a", CREATE, enc.create(base + "/c-ephemeral/x", flags=PERSISTENT_SEQUENTIAL),
          "sequential create under an ephemeral")
    for path in ("", "x", base + "/", base + "//x", base + "/./x", base + "/../x", "/zookeeper/x",
                 base + "/a\0b", base + "/a\x01b", "/"):
        r.req("a", CREATE, enc.create(path), "create bad path %r" % path)
    r.req("a", DELETE, enc.delete("/zookeeper/x"), "delete the node created under /zookeeper")
    r.req("a", CREATE, enc.create(base + "/", flags=PERSISTENT_SEQUENTIAL),
          "sequential create of a trailing slash")
    r.req("a", CREATE, enc.create(base + "/big", b"z" * 100000), "create 100 kB")
    r.req("a", CREATE, enc.create(base + "/ro", b"r", READ_ONLY_ACL), "create read-only node")
    r.req("a", CREATE, enc.create(base + "/ro/x"), "create NOAUTH")
    # setData
    r.req("a", SET_DATA, enc.set_data(base, b"one"), "setData")
    r.req("a", SET_DATA, enc.set_data(base, b"two", 1), "setData version 1")
    r.req("a", SET_DATA, enc.set_data(base, b"x", 7), "setData BADVERSION")
    r.req("a", SET_DATA, enc.set_data(base + "/none", b"x"), "setData NONODE")
    r.req("a", SET_DATA, enc.set_data(base + "/ro", b"x"), "setData NOAUTH")
    r.req("a", SET_DATA, enc.set_data(base, None), "setData null")
    r.req("a", SET_DATA, enc.set_data("bad", b"x"), "setData bad path")
    # check outside multi
    r.req("a", CHECK, enc.check(base, 3), "check", zabkeeper_only=(
        "zxid=z1 err=0", "Apache 3.8 never answers a successful check outside a multi"))
    r.req("a", CHECK, enc.check(base, 9), "check BADVERSION")
    r.req("a", CHECK, enc.check(base + "/none", -1), "check NONODE")
    # delete
    r.req("a", DELETE, enc.delete(base + "/c-persistent", 5), "delete BADVERSION")
    r.req("a", DELETE, enc.delete(base + "/c-persistent", 0), "delete")
    r.req("a", DELETE, enc.delete(base + "/c-persistent"), "delete NONODE")
    r.req("a", DELETE, enc.delete(base), "delete NOTEMPTY")
    r.req("a", DELETE, enc.delete(base + "/none/x"), "delete NONODE parent")
    for path in ("/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config", "bad", base + "/"):
        r.req("a", DELETE, enc.delete(path), "delete %r" % path)
    r.req("a", DELETE_CONTAINER, enc.path(base + "/cc"), "deleteContainer from a client")
    r.state("a", "after deleteContainer")
    r.req("b", DELETE, enc.delete(base + "/c-ephemeral"), "delete another session's ephemeral")


def sc_multi(r):
    base = "/multi"
    r.open("a")
    r.open("w")
    r.req("a", CREATE, enc.create(base, b"root"), "create base")
    r.req("w", GET_CHILDREN, enc.path_watch(base, True), "child watch on base")
    r.req("w", GET_DATA, enc.path_watch(base, True), "data watch on base")
    ok = [
        (CREATE, enc.create(base + "/p", b"1")),
        (CREATE2, enc.create(base + "/p2", b"2")),
        (CREATE, enc.create(base + "/s-", b"3", flags=PERSISTENT_SEQUENTIAL)),
        (CREATE_CONTAINER, enc.create(base + "/cont", b"", flags=CONTAINER)),
        (CREATE_TTL, enc.create(base + "/ttl", b"", flags=PERSISTENT_WITH_TTL, ttl=60000)),
        (CREATE, enc.create(base + "/eph", b"", flags=EPHEMERAL)),
        (SET_DATA, enc.set_data(base, b"changed", 0)),
        (CHECK, enc.check(base + "/p", 0)),
        (DELETE, enc.delete(base + "/p2", 0)),
    ]
    r.req("a", MULTI, enc.multi(ok), "multi of every op kind")
    fail = [
        (CREATE, enc.create(base + "/q", b"")),
        (CREATE, enc.create(base + "/p", b"")),
        (SET_DATA, enc.set_data(base, b"never")),
    ]
    r.req("a", MULTI, enc.multi(fail), "multi failing on its second op")
    r.req("a", MULTI, enc.multi([(CHECK, enc.check(base, 5)), (DELETE, enc.delete(base + "/p"))]),
          "multi failing its first check")
    r.req("a", MULTI, enc.multi([(DELETE, enc.delete(base + "/p")),
                                 (DELETE, enc.delete(base + "/p"))]), "multi deleting twice")
    r.req("a", MULTI, enc.multi([(CREATE, enc.create(base + "/x/y"))]), "multi NONODE parent")
    r.req("a", MULTI, enc.multi([(CREATE, enc.create("bad"))]), "multi bad path")
    r.req("a", MULTI, enc.multi([(CREATE, enc.create(base + "/v")),
                                 (CREATE, enc.create(base + "/v/w")),
                                 (DELETE, enc.delete(base + "/v/w")),
                                 (DELETE, enc.delete(base + "/v"))]), "multi seeing its own ops")
    r.req("a", MULTI, enc.multi([]), "empty multi")
    r.req("a", MULTI, enc.multi([(SET_ACL, enc.set_acl(base, OPEN_ACL))]), "multi with setACL")
    r.req("a", MULTI, enc.multi([(CREATE, enc.create(base + "/m1")),
                                 (GET_DATA, enc.path_watch(base))]), "multi mixing a read")
    r.req("a", MULTI, enc.multi([(CREATE_TTL, enc.create(base + "/t0", flags=PERSISTENT_WITH_TTL,
                                                         ttl=0))]), "multi with a TTL of 0")
    r.req("a", MULTI, enc.multi([(CREATE, enc.create(base + "/c0", flags=9))]),
          "multi with bad create flags")
    r.req("a", MULTI, enc.multi([(CREATE, enc.create(base + "/ro", b"", READ_ONLY_ACL)),
                                 (CREATE, enc.create(base + "/ro/x"))]), "multi NOAUTH")
    r.req("a", MULTI_READ, enc.multi([(GET_DATA, enc.path_watch(base)),
                                      (GET_CHILDREN, enc.path_watch(base)),
                                      (GET_DATA, enc.path_watch(base + "/none")),
                                      (GET_CHILDREN, enc.path_watch(base + "/none"))]),
          "multiRead with per-op errors")
    r.req("w", MULTI_READ, enc.multi([(GET_DATA, enc.path_watch(base + "/p", True)),
                                      (GET_CHILDREN, enc.path_watch(base + "/p", True))]),
          "multiRead with watches")
    r.req("a", MULTI_READ, enc.multi([]), "empty multiRead")
    r.req("a", MULTI_READ, enc.multi([(GET_DATA, enc.path_watch(base)),
                                      (DELETE, enc.delete(base + "/p"))]), "multiRead mixing a write")
    r.req("a", MULTI_READ, enc.multi([(GET_ACL, enc.path(base))]), "multiRead with getACL")
    r.req("a", MULTI_READ, enc.multi([(EXISTS, enc.path_watch(base))]), "multiRead with exists")
    r.req("a", MULTI, enc.multi([(SET_DATA, enc.set_data(base + "/p", b"fire"))]),
          "multi firing the multiRead watches")
    r.req("a", MULTI, enc.multi([(DELETE, enc.delete(base + "/s-0000000002"))]),
          "multi firing the child watch")
    r.req("w", EXISTS, enc.path_watch(base + "/eph", True), "exists watch on the ephemeral")
    r.req("w", GET_CHILDREN2, enc.path_watch(base, True), "child watch before the close")
    r.req("a", CLOSE_SESSION, label="closeSession with an ephemeral from a multi")
    r.req("w", EXISTS, enc.path_watch(base + "/eph"), "the ephemeral is gone")


def sc_watches(r):
    base = "/watches"
    r.open("a")
    r.open("w")
    r.open("p")
    r.req("a", CREATE, enc.create(base, b""), "create base")
    r.req("a", CREATE, enc.create(base + "/x", b""), "create x")
    r.req("w", EXISTS, enc.path_watch(base + "/y", True), "exists watch on missing y")
    r.req("w", GET_DATA, enc.path_watch(base + "/x", True), "data watch on x")
    r.req("w", GET_CHILDREN, enc.path_watch(base, True), "child watch on base")
    r.req("w", CHECK_WATCHES, enc.watches(base + "/x", W_DATA), "checkWatches data")
    r.req("w", CHECK_WATCHES, enc.watches(base + "/x", W_CHILDREN), "checkWatches children NOWATCHER")
    r.req("w", CHECK_WATCHES, enc.watches(base, W_ANY), "checkWatches any")
    r.req("w", CHECK_WATCHES, enc.watches(base, 9), "checkWatches bad type")
    r.req("p", ADD_WATCH, enc.add_watch(base + "/x", MODE_PERSISTENT), "addWatch persistent")
    r.req("p", ADD_WATCH, enc.add_watch(base, MODE_RECURSIVE), "addWatch recursive")
    r.req("p", ADD_WATCH, enc.add_watch(base + "/none", MODE_PERSISTENT), "addWatch on a missing node")
    r.req("p", ADD_WATCH, enc.add_watch(base, 7), "addWatch bad mode")
    r.req("p", ADD_WATCH, enc.add_watch("bad", MODE_PERSISTENT), "addWatch bad path")
    r.req("p", CHECK_WATCHES, enc.watches(base + "/x", W_PERSISTENT), "checkWatches persistent",
          zabkeeper_only=("zxid=z1 err=0", PERSISTENT_TYPES_39))
    r.req("p", CHECK_WATCHES, enc.watches(base, W_RECURSIVE), "checkWatches recursive",
          zabkeeper_only=("zxid=z1 err=0", PERSISTENT_TYPES_39))
    r.req("a", CREATE, enc.create(base + "/y", b""), "NodeCreated")
    r.req("a", SET_DATA, enc.set_data(base + "/x", b"1"), "NodeDataChanged")
    r.req("a", SET_DATA, enc.set_data(base + "/x", b"2"), "persistent again, one-shot not")
    r.req("a", CREATE, enc.create(base + "/x/deep", b""), "child of x")
    r.req("a", SET_DATA, enc.set_data(base + "/x/deep", b"1"), "deep data change")
    r.req("w", GET_DATA, enc.path_watch(base + "/x/deep", True), "data watch on deep")
    r.req("a", DELETE, enc.delete(base + "/x/deep"), "NodeDeleted")
    r.req("a", CREATE, enc.create(base + "/none", b""), "created under the persistent watch")
    r.req("p", REMOVE_WATCHES, enc.watches(base + "/x", W_PERSISTENT), "removeWatches persistent",
          zabkeeper_only=("zxid=z1 err=0", PERSISTENT_TYPES_39))
    r.req("p", REMOVE_WATCHES, enc.watches(base + "/x", W_PERSISTENT), "removeWatches NOWATCHER",
          zabkeeper_only=("zxid=z1 err=-121", PERSISTENT_TYPES_39))
    r.req("w", GET_DATA, enc.path_watch(base + "/x", True), "data watch again")
    r.req("w", GET_CHILDREN, enc.path_watch(base + "/x", True), "child watch on x")
    r.req("w", REMOVE_WATCHES, enc.watches(base + "/x", W_CHILDREN), "removeWatches children")
    r.req("w", REMOVE_WATCHES, enc.watches(base + "/x", W_ANY), "removeWatches any")
    r.req("w", REMOVE_WATCHES, enc.watches(base + "/x", W_DATA), "removeWatches data NOWATCHER")
    r.req("a", SET_DATA, enc.set_data(base + "/x", b"3"), "only the recursive watch fires")
    r.req("a", DELETE, enc.delete(base + "/y"), "deletion under the recursive watch")
    # setWatches: re-registration relative to a zxid, firing what changed after it.
    r.req("a", CREATE, enc.create(base + "/s", b""), "create s")
    r.req("a", CREATE, enc.create(base + "/s/c", b""), "create s/c")
    r.req("a", CREATE, enc.create(base + "/gone", b""), "create gone")
    r.req("a", SYNC, enc.path(base), "the zxid to re-register from")
    r.open("r")
    rel = {}

    def remember(run):
        rel["zxid"] = run.last_zxid
        return enc.path(base)
    r.req("a", SYNC, remember, "remember the zxid")
    r.req("a", SET_DATA, enc.set_data(base + "/s", b"changed"), "data changes after it")
    r.req("a", CREATE, enc.create(base + "/s/d", b""), "children change after it")
    r.req("a", DELETE, enc.delete(base + "/gone"), "deleted after it")
    r.req("a", CREATE, enc.create(base + "/born", b""), "created after it")
    r.req("r", SET_WATCHES, lambda run: enc.set_watches(
        rel["zxid"], data=[base + "/s", base + "/gone", base + "/x"],
        exist=[base + "/born", base + "/unborn"], child=[base + "/s", base, base + "/gone"]),
        "setWatches", xid=-8)
    r.req("a", CREATE, enc.create(base + "/unborn", b""), "a re-registered exist watch fires")
    r.req("a", SET_DATA, enc.set_data(base + "/x", b"4"), "a re-registered data watch fires")
    r.open("r2")
    r.req("r2", SET_WATCHES2, lambda run: enc.set_watches(
        rel["zxid"], data=[base + "/s"], exist=[], child=[base + "/s"],
        persistent=[base + "/x"], recursive=[base + "/s"]), "setWatches2", xid=-8)
    r.req("a", SET_DATA, enc.set_data(base + "/x", b"5"), "re-registered persistent watch")
    r.req("a", CREATE, enc.create(base + "/s/e", b""), "re-registered recursive watch")
    r.req("a", DELETE, enc.delete(base + "/s/e"), "recursive watch: deletion")


def sc_errors(r):
    r.open("a")
    r.req("a", RECONFIG, enc.reconfig(), "reconfig (disabled)")
    r.req("a", SASL, enc.buffer(b"token"), "sasl without a SASL provider")
    r.state("a", "after sasl")
    r.open("b")
    r.req("b", GET_DATA, enc.string("/zook"), "getData without its watch byte")
    r.state("b", "after a truncated read")
    r.req("b", EXISTS, b"\0\0\0\x20/a", "exists with a string overrunning the body")
    r.state("b", "after an overrunning string")
    r.req("b", GET_DATA, enc.path_watch("/zookeeper") + b"extra", "getData with trailing bytes")
    r.open("c")
    r.req("c", SET_DATA, enc.string("/x"), "truncated setData")
    r.state("c", "after a truncated write")
    r.open("d")
    r.req("d", MULTI_READ, enc.multi([(CREATE, enc.create("/x"))]), "multiRead with a write")
    r.state("d", "after multiRead with a write")
    r.open("e")
    r.req("e", MULTI, enc.multi([(GET_DATA, enc.path_watch("/zookeeper"))]), "multi with a read")
    r.state("e", "after multi with a read")
    r.open("f")
    r.req("f", CREATE_SESSION, b"", "createSession after the handshake")
    r.state("f", "after createSession")
    for op in (999, 10, 23, 108):
        name = "u%d" % op
        r.open(name)
        r.req(name, op, enc.path("/zookeeper"), "unknown op code %d" % op)
        r.state(name, "after op code %d" % op)


SCENARIOS = {
    "handshake": sc_handshake,
    "reads": sc_reads,
    "auth": sc_auth,
    "writes": sc_writes,
    "multi": sc_multi,
    "watches": sc_watches,
    "errors": sc_errors,
}


def run_scenario(srv, name):
    r = Run(srv, name)
    try:
        SCENARIOS[name](r)
    finally:
        r.close_all()
    return r.transcript


def diff(reference, candidate):
    """Human-readable list of the steps whose frames differ (empty when equal)."""
    out = []
    n = max(len(reference), len(candidate))
    for i in range(n):
        a = reference[i] if i < len(reference) else None
        b = candidate[i] if i < len(candidate) else None
        if a is not None and b is not None and a[1:3] == b[1:3]:
            continue
        step = (a or b)[0]
        out.append("step %d, %s\n  apache    %s: %s\n              %s\n  zabkeeper %s: %s\n"
                   "              %s" % (
                       i, step,
                       a[1] if a else "-", a[3] if a else "<no frame>", a[2].hex() if a else "",
                       b[1] if b else "-", b[3] if b else "<no frame>", b[2].hex() if b else ""))
        if a is None or b is None or a[0] != b[0]:
            out.append("(transcripts out of step from here on)")
            break
    return out


class Servers(object):
    """The reference (Apache standalone) and the candidates, started on first use: zabkeeper
    standalone, and a follower of a 3-member zabkeeper ensemble (every connection of a script
    goes to that follower, so writes are forwarded to the leader and answered after commit)."""

    def __init__(self):
        self.made = {}
        self.ensemble = None
        self.reference_transcripts = {}

    def get(self, which):
        if which not in self.made:
            if which == "follower":
                self.ensemble = Ensemble(3, extra_cfg=CFG).start()
                self.made[which] = next(m for m in self.ensemble.members.values()
                                        if m.mode() == "follower")
            else:
                kind = "apache" if which == "apache" else "zabkeeper"
                self.made[which] = zf.make_server(kind, CFG)
                self.made[which].start()
        return self.made[which]

    def reference(self, scenario):
        if scenario not in self.reference_transcripts:
            self.reference_transcripts[scenario] = run_scenario(self.get("apache"), scenario)
        return self.reference_transcripts[scenario]

    def cleanup(self):
        for which, s in self.made.items():
            if which != "follower":
                s.cleanup()
        if self.ensemble is not None:
            self.ensemble.cleanup()


@pytest.fixture(scope="module")
def servers():
    for kind in ("apache", "zabkeeper"):
        reason = zf.skip_reason(kind)
        if reason:
            pytest.skip(reason)
    s = Servers()
    try:
        yield s
    finally:
        s.cleanup()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("candidate", ["standalone", "follower"])
def test_reply_bytes_match_apache(servers, candidate, scenario):
    reference = servers.reference(scenario)
    transcript = run_scenario(servers.get(candidate), scenario)
    assert len(reference) > 3, "the reference transcript is too short to mean anything"
    problems = diff(reference, transcript)
    if candidate == "follower":
        # An ensemble member's /zookeeper/config holds the membership (as an Apache ensemble
        # member's does, test_reconfig.py); the reference is standalone, where it is empty.
        problems = [p for p in problems if "getData '/zookeeper/config'" not in p]
    assert not problems, "%d difference(s) from Apache ZooKeeper:\n%s" % (
        len(problems), "\n".join(problems))


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "zabkeeper"
    names = sys.argv[2:] or list(SCENARIOS)
    srv = zf.make_server(kind, CFG)
    srv.start()
    try:
        for name in names:
            for label, conn, masked, desc in run_scenario(srv, name):
                print("%-60s %-14s %s" % (label[:60], conn, desc))
    finally:
        srv.cleanup()
