"""Raw-socket tests of the client wire protocol: handshake, session resume, ping,
unknown/unsupported op codes, malformed frames, per-address connection limits,
invalid paths, four-letter words, whoAmI, getEphemerals/getAllChildrenNumber and
pipelining.

Every test is parametrized over ``server_kind`` (zabkeeper and Apache ZooKeeper
3.8.0), so each assertion is proven against Apache too.  Where zabkeeper does
not (yet) do what Apache does, the case is marked ``xfail(strict=True)`` for
zabkeeper only; the reason names both behaviours.

The tiny jute client below writes big-endian frames by hand (``struct``):
ConnectRequest {int protocolVersion, long lastZxidSeen, int timeOut,
long sessionId, buffer passwd, [bool readOnly]}, RequestHeader {int xid,
int type}, ReplyHeader {int xid, long zxid, int err}.
"""

import re
import socket
import struct
import sys
import time

import pytest

import kazoo_ext as kx
import zkfixtures as zf
from zkfixtures import wait_until

# error codes (KeeperException.Code)
OK = 0
MARSHALLINGERROR = -5
UNIMPLEMENTED = -6
BADARGUMENTS = -8
NONODE = -101
RECONFIGDISABLED = -123

OP_GETDATA = 4
OP_CREATE = 1
OP_PING = 11
OP_RECONFIG = 16
OP_DELETE_CONTAINER = 20
OP_CLOSE = -11
OP_GET_EPHEMERALS = 103
OP_GET_ALL_CHILDREN_NUMBER = 104
OP_WHOAMI = 107

JUTE_MAXBUFFER = 0xfffff  # default jute.maxbuffer (both servers)
TICK = 2000

OPEN_ACL = struct.pack(">i", 1) + struct.pack(">i", 31)  # followed by scheme, id


# ---------------------------------------------------------------- raw client --

def jstr(x):
    """jute ustring/buffer: int length + bytes."""
    b = x.encode("utf-8") if isinstance(x, str) else bytes(x)
    return struct.pack(">i", len(b)) + b


def get_data_body(path, watch=False):
    return jstr(path) + (b"\1" if watch else b"\0")


def create_body(path, data=b"", flags=0):
    return jstr(path) + jstr(data) + OPEN_ACL + jstr("world") + jstr("anyone") + struct.pack(">i", flags)


class Raw(object):
    """One TCP connection speaking raw jute frames."""

    def __init__(self, srv, timeout=10.0):
        self.s = socket.create_connection((srv.host, srv.port), timeout=timeout)
        try:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # the server may already have closed it (e.g. over maxClientCnxns)
        self.buf = b""
        self.hs = None

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send(self, data):
        self.s.sendall(data)

    def send_frame(self, body):
        try:
            self.s.sendall(struct.pack(">i", len(body)) + body)
        except (BrokenPipeError, ConnectionResetError):
            # The server may close a connection as soon as it reads a bad length, while the
            # rest of a large frame is still being sent; reply() then sees the close.
            pass

    def _recv_exact(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self):
        h = self._recv_exact(4)
        if h is None:
            return None
        return self._recv_exact(struct.unpack(">i", h)[0])

    def closed_by_peer(self, timeout=5.0):
        """True if the server closes the connection (EOF or reset) within timeout;
        any bytes that arrive meanwhile are discarded."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.s.settimeout(left)
            try:
                if not self.s.recv(65536):
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
            except socket.timeout:
                return False

    def handshake(self, timeout=30000, session_id=0, passwd=b"\0" * 16, readonly=False, zxid=0):
        """Send a ConnectRequest (readonly=None: without the trailing byte) and
        parse the ConnectResponse; None if the server closed instead."""
        body = struct.pack(">iqiqi", 0, zxid, timeout, session_id, len(passwd)) + passwd
        if readonly is not None:
            body += b"\1" if readonly else b"\0"
        self.send_frame(body)
        r = self.recv_frame()
        if r is None:
            return None
        proto, to, sid, plen = struct.unpack_from(">iiqi", r, 0)
        self.hs = dict(raw=r, len=len(r), proto=proto, timeout=to, sid=sid,
                       passwd=r[20:20 + plen], rest=r[20 + plen:])
        return self.hs

    def request(self, xid, op, body=b""):
        """Send one request and read the next reply (skipping notifications)."""
        self.send_frame(struct.pack(">ii", xid, op) + body)
        return self.reply()

    def reply(self):
        while True:
            r = self.recv_frame()
            if r is None:
                return None
            xid, zxid, err = struct.unpack_from(">iqi", r, 0)
            if xid != -1:
                return xid, zxid, err, r[16:]

    def get_data(self, xid, path="/zookeeper"):
        return self.request(xid, OP_GETDATA, get_data_body(path))


def connect(srv, **kw):
    r = Raw(srv)
    hs = r.handshake(**kw)
    assert hs is not None and hs["timeout"] > 0, hs
    return r


def xfail_on_zabkeeper(request, server_kind, reason):
    if server_kind == "zabkeeper":
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def count_znodes(client, path="/"):
    n = 1
    for c in client.get_children(path):
        n += count_znodes(client, (path.rstrip("/") + "/" + c))
    return n


# ---------------------------------------------------------------- fixtures ---

@pytest.fixture(scope="module")
def _server_cache():
    cache = {}
    yield cache
    for s in cache.values():
        s.cleanup()


@pytest.fixture
def srv(request, server_kind, _server_cache):
    """One default-config server per kind, shared by the tests of this module
    (each test uses its own paths)."""
    reason = zf.skip_reason(server_kind)
    if reason:
        pytest.skip(reason)
    s = _server_cache.get(server_kind)
    if s is None or not s.running():
        if s is not None:
            s.cleanup()
        s = zf.make_server(server_kind)
        _server_cache[server_kind] = s
        s.start()
    yield s
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        sys.stderr.write("\n---- %s server log (%s) ----\n%s\n" % (s.kind, s.log_path, s.log_tail()))


@pytest.fixture
def clients():
    made = []

    def make(srv, **kw):
        c = kx.new_client(srv.hosts, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        try:
            c.stop()
            c.close()
        except Exception:
            pass


@pytest.fixture
def raws():
    made = []

    def make(srv, handshake=True, **kw):
        r = Raw(srv)
        made.append(r)
        if handshake:
            hs = r.handshake(**kw)
            assert hs is not None and hs["timeout"] > 0, hs
        return r

    yield make
    for r in made:
        r.close()


# ------------------------------------------------------------ 1. handshake ---

@pytest.mark.parametrize("readonly", [None, False, True], ids=["no-ro-byte", "ro-false", "ro-true"])
@pytest.mark.parametrize("asked,granted", [(1000, 2 * TICK), (30000, 30000), (100000, 20 * TICK)])
def test_handshake_form_and_timeout_clamp(srv, raws, readonly, asked, granted):
    r = raws(srv, handshake=False)
    hs = r.handshake(timeout=asked, readonly=readonly)
    assert hs is not None
    # The server answers in the client's form: 36 bytes without the read-only
    # byte, 37 with it (and a standalone server is never read-only).
    if readonly is None:
        assert hs["len"] == 36 and hs["rest"] == b""
    else:
        assert hs["len"] == 37 and hs["rest"] == b"\0"
    assert hs["proto"] == 0
    assert hs["timeout"] == granted          # clamped to [2*tick, 20*tick]
    assert hs["sid"] != 0 and len(hs["passwd"]) == 16
    # and the session is usable
    xid, _, err, _ = r.get_data(1)
    assert (xid, err) == (1, OK)


# ------------------------------------------------------- 2. session resume ---

def test_session_resume_closes_old_socket(srv, raws):
    a = raws(srv, readonly=None)
    b = raws(srv, handshake=False)
    hs = b.handshake(session_id=a.hs["sid"], passwd=a.hs["passwd"], readonly=None)
    assert hs is not None
    assert hs["sid"] == a.hs["sid"] and hs["passwd"] == a.hs["passwd"] and hs["timeout"] == 30000
    assert a.closed_by_peer(5.0), "server kept the session's old socket open"
    assert b.get_data(7)[:3:2] == (7, OK)


@pytest.mark.parametrize("readonly", [None, False], ids=["no-ro-byte", "ro-byte"])
@pytest.mark.parametrize("case", ["wrong-password", "unknown-session"])
def test_bad_resume_gets_expired_response_and_close(srv, raws, case, readonly):
    a = raws(srv, readonly=None)
    if case == "wrong-password":
        sid, pw = a.hs["sid"], bytes(x ^ 0xff for x in a.hs["passwd"])
    else:
        sid, pw = 0x0badc0ffee0001, b"x" * 16
    c = raws(srv, handshake=False)
    hs = c.handshake(session_id=sid, passwd=pw, readonly=readonly)
    assert hs is not None, "no ConnectResponse at all"
    assert hs["timeout"] == 0, hs                      # expired
    assert hs["sid"] == 0 and hs["passwd"] == b"\0" * 16
    assert hs["len"] == (36 if readonly is None else 37)
    assert c.closed_by_peer(5.0)
    # the real session survives the bad attempt: resuming it correctly works
    d = raws(srv, handshake=False)
    hs2 = d.handshake(session_id=a.hs["sid"], passwd=a.hs["passwd"], readonly=None)
    assert hs2 is not None and hs2["sid"] == a.hs["sid"] and hs2["timeout"] > 0
    assert d.get_data(3)[:3:2] == (3, OK)


def test_wrong_password_drops_sessions_live_connection(request, srv, server_kind, raws):
    # Apache's processConnectRequest closes the session's current connection
    # (CLIENT_RECONNECT) before it checks the password.
    a = raws(srv, readonly=None)
    c = raws(srv, handshake=False)
    hs = c.handshake(session_id=a.hs["sid"], passwd=b"\x55" * 16, readonly=None)
    assert hs is not None and hs["timeout"] == 0
    assert a.closed_by_peer(3.0)


# ------------------------------------------------------------------ 3. ping ---

def test_ping(srv, raws):
    r = raws(srv)
    rep = r.request(-2, OP_PING)
    assert rep is not None
    xid, zxid, err, body = rep
    assert (xid, err, body) == (-2, OK, b"")
    assert zxid >= 0
    assert r.get_data(5)[:3:2] == (5, OK)


# -------------------------------------------------------- 4. unknown opcode ---

@pytest.mark.parametrize("op", [999, 10, 200, 23, 108])
def test_unknown_opcode_unimplemented(srv, raws, op):
    r = raws(srv)
    rep = r.request(42, op, jstr("/zookeeper"))
    assert rep is not None
    xid, _, err, body = rep
    assert (xid, err, body) == (42, UNIMPLEMENTED, b"")


def test_unknown_opcode_reply_and_close_like_apache(request, srv, server_kind, raws):
    # Apache: UnimplementedRequestProcessor answers ReplyHeader(xid, zxid=-1,
    # UNIMPLEMENTED) and then closes the connection (sendCloseSession); the
    # session itself survives and can be resumed.
    r = raws(srv)
    xid, zxid, err, _ = r.request(43, 999)
    assert (xid, zxid, err) == (43, -1, UNIMPLEMENTED)
    assert r.closed_by_peer(3.0)
    d = raws(srv, handshake=False)
    hs = d.handshake(session_id=r.hs["sid"], passwd=r.hs["passwd"])
    assert hs is not None and hs["timeout"] > 0
    assert d.get_data(1)[:3:2] == (1, OK)


def test_server_internal_delete_container_from_client(request, srv, server_kind, raws):
    r = raws(srv)
    xid, _, err, _ = r.request(44, OP_DELETE_CONTAINER, jstr("/no-such-container"))
    assert (xid, err) == (44, BADARGUMENTS)
    assert r.get_data(45)[:3:2] == (45, OK)


def test_close_session_request(srv, raws):
    r = raws(srv)
    xid, _, err, _ = r.request(9, OP_CLOSE)
    assert (xid, err) == (9, OK)
    assert r.closed_by_peer(5.0)
    d = raws(srv, handshake=False)
    hs = d.handshake(session_id=r.hs["sid"], passwd=r.hs["passwd"])
    assert hs is not None and hs["timeout"] == 0  # the session is gone


# -------------------------------------------------------------- 5. reconfig ---

def test_reconfig_rejected(srv, server_kind, raws):
    # Apache 3.8 with reconfigEnabled=false (its default) answers RECONFIGDISABLED (-123);
    # zabkeeper, which has no dynamic reconfiguration, answers the same. The connection stays
    # usable.
    r = raws(srv)
    body = jstr("") + jstr("") + jstr("") + struct.pack(">q", -1)
    xid, _, err, _ = r.request(11, OP_RECONFIG, body)
    assert (xid, err) == (11, RECONFIGDISABLED)
    assert r.get_data(12)[:3:2] == (12, OK)


# ------------------------------------------------------- 6. malformed input ---

def _bad_huge_len(n):
    return struct.pack(">i", n) + b"x" * 100


MALFORMED = {
    # name: (handshake first?, bytes, zabkeeper log regex)
    "negative-length-before-connect": (False, struct.pack(">i", -5) + b"xxxxx", r"frame length -5 out of range"),
    "negative-length": (True, struct.pack(">i", -5) + b"xxxxx", r"frame length -5 out of range"),
    "length-over-maxbuffer+1KiB-before-connect": (
        False, _bad_huge_len(JUTE_MAXBUFFER + 1024 + 1), r"frame length %d out of range" % (JUTE_MAXBUFFER + 1025)),
    "length-over-maxbuffer+1KiB": (
        True, _bad_huge_len(JUTE_MAXBUFFER + 1024 + 1), r"frame length %d out of range" % (JUTE_MAXBUFFER + 1025)),
    "garbage-connect": (False, struct.pack(">i", 10) + b"\xff" * 10, r"malformed connect request"),
    "connect-negative-passwd-len": (
        False, struct.pack(">i", 44) + struct.pack(">iqiqi", 0, 0, 30000, 0, -7) + b"\0" * 16,
        r"malformed connect request"),
    "empty-connect": (False, struct.pack(">i", 0), r"malformed connect request"),
    "short-request-header": (True, struct.pack(">i", 3) + b"abc", r"malformed request header"),
    "empty-request": (True, struct.pack(">i", 0), r"malformed request header"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_frame_closes_connection(srv, server_kind, clients, raws, case):
    handshake, data, log_re = MALFORMED[case]
    good = clients(srv)
    path = "/malformed-" + re.sub(r"[^a-z0-9]", "", case)
    good.ensure_path(path)
    log_before = srv.log_tail(10 ** 7) if server_kind == "zabkeeper" else ""
    bad = raws(srv, handshake=handshake)
    bad.send(data)
    assert bad.closed_by_peer(5.0), "server did not close the connection after %s" % case
    # the rest of the server is unaffected
    assert srv.running()
    good.create(path + "/child", b"v")
    assert good.get(path + "/child")[0] == b"v"
    fresh = raws(srv)
    assert fresh.get_data(1)[:3:2] == (1, OK)
    if server_kind == "zabkeeper":
        wait_until(lambda: re.search(log_re, srv.log_tail(10 ** 7)[len(log_before):]), 5.0,
                   what="a log line matching %r" % log_re)


def test_truncated_request_body_is_marshalling_error(srv, clients, raws):
    # A getData whose string length points past the end of the frame: Apache
    # answers MARSHALLINGERROR (-5) for that xid and keeps the connection.
    good = clients(srv)
    good.ensure_path("/truncated")
    r = raws(srv)
    hdr = struct.pack(">ii", 21, OP_GETDATA)
    body = hdr + struct.pack(">i", 100000) + b"/abcdefghi\0"
    r.send(struct.pack(">i", len(body)) + body)
    rep = r.reply()
    assert rep is not None, "connection closed instead of a MARSHALLINGERROR reply"
    assert (rep[0], rep[2], rep[3]) == (21, MARSHALLINGERROR, b"")
    assert r.get_data(22)[:3:2] == (22, OK)
    assert srv.running()
    good.set("/truncated", b"still-fine")
    assert good.get("/truncated")[0] == b"still-fine"


def test_frame_at_maxbuffer_is_served(srv, raws):
    r = raws(srv)
    n = JUTE_MAXBUFFER
    body = struct.pack(">ii", 5, OP_GETDATA) + jstr("/" + "a" * (n - 8 - 4 - 1 - 1)) + b"\0"
    assert len(body) == n
    r.send_frame(body)
    rep = r.reply()
    assert rep is not None and rep[:3:2] == (5, NONODE)


def test_frame_just_over_maxbuffer_closes(request, srv, server_kind, raws):
    # Apache 3.8's NIOServerCnxn.readLength rejects len > jute.maxbuffer
    # outright (jute.maxbuffer.extrasize only applies inside records).
    r = raws(srv)
    n = JUTE_MAXBUFFER + 1
    body = struct.pack(">ii", 5, OP_GETDATA) + jstr("/" + "a" * (n - 8 - 4 - 1 - 1)) + b"\0"
    r.send_frame(body)
    assert r.reply() is None
    assert srv.running()


# ------------------------------------------------------ 7. maxClientCnxns ---

def test_max_client_cnxns_per_address(zk_factory, raws):
    srv = zk_factory({"maxClientCnxns": "5"})
    conns = [raws(srv) for _ in range(5)]
    t0 = time.monotonic()
    try:
        sixth = raws(srv, handshake=False)
        closed = sixth.closed_by_peer(5.0)
    except OSError:
        closed = True  # closed before connect() returned (seen with Apache: EPIPE)
    assert closed, "6th connection from 127.0.0.1 was not closed"
    assert time.monotonic() - t0 < 3.0
    for c in conns:  # the five still work
        assert c.get_data(2)[:3:2] == (2, OK)
    conns[0].close()

    def try_new():
        try:
            r = Raw(srv)
        except OSError:
            return None  # still refused while the server notices the close
        try:
            hs = r.handshake(readonly=None)
        except OSError:
            hs = None
        if hs is None:
            r.close()
            return None
        return r
    r = wait_until(try_new, 10.0, interval=0.1, what="a new connection after closing one")
    try:
        assert r.get_data(3)[:3:2] == (3, OK)
    finally:
        r.close()


# ---------------------------------------------------------- 8. invalid paths ---

PATH_CASES = [
    # (op, path, flags, expected err) -- checked against Apache 3.8.0
    ("getData", "a", 0, NONODE),
    ("getData", "//x", 0, NONODE),
    ("getData", "/x\0y", 0, NONODE),
    ("create", "a", 0, BADARGUMENTS),
    ("create", "//x", 0, BADARGUMENTS),
    ("create", "/wp-missing/", 0, NONODE),          # parent checked first
    ("create", "/wp-paths/", 0, BADARGUMENTS),      # parent exists
    ("create", "/wp-paths/x\0y", 0, BADARGUMENTS),
    ("create", "/\0", 0, BADARGUMENTS),
    ("create", "/wp-paths/\x01", 0, BADARGUMENTS),
    ("create", "/wp-paths/.", 0, BADARGUMENTS),
    ("create", "/wp-paths/..", 0, BADARGUMENTS),
    ("create", "", 0, BADARGUMENTS),
    ("create", "/", 0, -110),
    ("create", "/wp-paths//", 2, NONODE),
    ("create", "a", 2, BADARGUMENTS),
]


@pytest.mark.parametrize("op,path,flags,expected", PATH_CASES,
                         ids=["%s-%r-%d" % (c[0], c[1], c[2]) for c in PATH_CASES])
def test_invalid_paths(srv, clients, raws, op, path, flags, expected):
    clients(srv).ensure_path("/wp-paths")
    r = raws(srv)
    if op == "getData":
        rep = r.get_data(31, path)
    else:
        rep = r.request(31, OP_CREATE, create_body(path, flags=flags))
    assert rep is not None
    assert (rep[0], rep[2]) == (31, expected)
    assert r.get_data(32)[:3:2] == (32, OK)


def test_sequential_create_with_trailing_slash(srv, clients, raws):
    c = clients(srv)
    c.ensure_path("/wp-seq")
    r = raws(srv)
    xid, _, err, body = r.request(33, OP_CREATE, create_body("/wp-seq/", flags=2))
    assert (xid, err) == (33, OK)
    name = body[4:].decode()
    assert re.match(r"^/wp-seq/\d{10}$", name), name
    assert c.exists(name) is not None


# ------------------------------------------------------ 9. four-letter words ---

def _no_whitelist_server(kind):
    base = zf.SERVER_KINDS[kind]

    class DefaultWhitelist(base):
        def cfg(self):
            c = super(DefaultWhitelist, self).cfg()
            c.pop("4lw.commands.whitelist", None)
            return c

        def java_command(self):
            return [a for a in super(DefaultWhitelist, self).java_command()
                    if not a.startswith("-Dzookeeper.4lw.commands.whitelist=")]

        def ready(self):  # ruok is not whitelisted by default
            out = self.four_letter("srvr", timeout=1.0)
            return "Zxid:" in out and "not currently serving" not in out

    return DefaultWhitelist()


SRVR_RE = (r"^Zookeeper version: .+\nLatency min/avg/max: \d+/[\d.]+/\d+\nReceived: \d+\nSent: \d+\n"
           r"Connections: \d+\nOutstanding: \d+\nZxid: 0x[0-9a-f]+\nMode: standalone\nNode count: \d+\n$")


def test_four_letter_default_whitelist(request, server_kind):
    reason = zf.skip_reason(server_kind)
    if reason:
        pytest.skip(reason)
    s = _no_whitelist_server(server_kind)
    try:
        s.start()
        assert re.match(SRVR_RE, s.four_letter("srvr")), s.four_letter("srvr")
        for w in ("ruok", "stat", "mntr", "cons", "wchs", "dump", "conf", "envi", "dirs", "isro", "srst"):
            assert s.four_letter(w) == "%s is not executed because it is not in the whitelist.\n" % w
        assert s.four_letter("xyzw") == ""  # not a command at all: treated as a frame length, closed
    except Exception:
        sys.stderr.write("\n---- %s log ----\n%s\n" % (s.kind, s.log_tail()))
        raise
    finally:
        s.cleanup()


# mntr keys Apache 3.8.0 prints that are not summary-set (avg/min/max/cnt/sum/pNN) keys
APACHE_MNTR_PLAIN_KEYS = """
zk_version zk_server_state zk_ephemerals_count zk_num_alive_connections zk_avg_latency
zk_outstanding_requests zk_znode_count zk_global_sessions zk_non_mtls_remote_conn_count
zk_last_client_response_size zk_packets_sent zk_packets_received zk_max_client_response_size
zk_connection_drop_probability zk_watch_count zk_auth_failed_count zk_min_latency
zk_max_file_descriptor_count zk_approximate_data_size zk_open_file_descriptor_count zk_local_sessions
zk_uptime zk_max_latency zk_outstanding_tls_handshake zk_min_client_response_size
zk_non_mtls_local_conn_count zk_proposal_count zk_watch_bytes zk_outstanding_changes_removed
zk_throttled_ops zk_stale_requests_dropped zk_large_requests_rejected zk_insecure_admin_count
zk_connection_rejected zk_cnxn_closed_without_zk_server_running zk_sessionless_connections_expired
zk_looking_count zk_dead_watchers_queued zk_stale_requests zk_connection_drop_count
zk_learner_proposal_received_count zk_digest_mismatches_count zk_dead_watchers_cleared
zk_response_packet_cache_hits zk_bytes_received_count zk_add_dead_watcher_stall_time
zk_request_throttle_wait_count zk_requests_not_forwarded_to_commit_processor
zk_response_packet_cache_misses zk_ensemble_auth_success zk_prep_processor_request_queued
zk_learner_commit_received_count zk_stale_replies zk_connection_request_count zk_response_bytes
zk_ensemble_auth_fail zk_diff_count zk_response_packet_get_children_cache_misses
zk_connection_revalidate_count zk_quit_leading_due_to_disloyal_voter zk_snap_count
zk_unrecoverable_error_count zk_unsuccessful_handshake zk_commit_count
zk_response_packet_get_children_cache_hits zk_sync_processor_request_queued
zk_outstanding_changes_queued zk_request_commit_queued zk_ensemble_auth_skip
zk_skip_learner_request_to_next_processor_count zk_tls_handshake_exceeded zk_revalidate_count
""".split()

# the classic mntr keys of the administrator's guide
MNTR_CORE_KEYS = """
zk_version zk_avg_latency zk_max_latency zk_min_latency zk_packets_received zk_packets_sent
zk_num_alive_connections zk_outstanding_requests zk_server_state zk_znode_count zk_watch_count
zk_ephemerals_count zk_approximate_data_size zk_open_file_descriptor_count
zk_max_file_descriptor_count zk_global_sessions zk_local_sessions zk_uptime zk_connection_rejected
""".split()


def test_four_letter_words_shapes(srv, clients):
    c = clients(srv)
    sid = c.client_id[0]
    c.ensure_path("/fl/a")
    c.create("/fl/eph", b"", ephemeral=True)
    assert c.exists("/fl/nope") is None
    c.get("/fl/a", watch=lambda e: None)

    assert srv.four_letter("ruok") == "imok"
    assert srv.four_letter("isro") == "rw"
    assert re.match(SRVR_RE, srv.four_letter("srvr"))

    # stat: srvr plus a Clients: section listing every connection
    stat = srv.four_letter("stat")
    m = re.match(r"^Zookeeper version: .+\nClients:\n((?: /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+\)\n)+)\n"
                 r"Latency min/avg/max: .+\nReceived: \d+\nSent: \d+\nConnections: \d+\nOutstanding: \d+\n"
                 r"Zxid: 0x[0-9a-f]+\nMode: standalone\nNode count: \d+\n$", stat)
    assert m, stat
    client_port = c._connection._socket.getsockname()[1]
    assert " /127.0.0.1:%d[1](" % client_port in m.group(1)

    # cons: one line per connection, ours with its session id
    cons = srv.four_letter("cons")
    lines = [l for l in cons.split("\n") if l]
    assert lines and all(re.match(r"^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+.*\)$", l) for l in lines), cons
    ours = [l for l in lines if l.startswith(" /127.0.0.1:%d[" % client_port)]
    assert len(ours) == 1 and re.search(
        r",sid=0x%x,lop=\w+,est=\d+,to=\d+,lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,"
        r"minlat=\d+,avglat=\d+,maxlat=\d+\)$" % sid, ours[0]), ours
    assert cons.endswith("\n\n")

    # watches: one data watch on /fl/a
    wchs = srv.four_letter("wchs")
    m = re.match(r"^(\d+) connections watching (\d+) paths\nTotal watches:(\d+)\n$", wchs)
    assert m, wchs
    assert int(m.group(1)) >= 1 and int(m.group(2)) >= 1 and int(m.group(3)) >= 1
    wchc = srv.four_letter("wchc")
    assert re.search(r"(?m)^0x%x\n(\t/.*\n)*\t/fl/a\n" % sid, wchc), wchc
    wchp = srv.four_letter("wchp")
    assert re.search(r"(?m)^/fl/a\n(\t0x[0-9a-f]+\n)*\t0x%x\n" % sid, wchp), wchp

    # dump: our ephemeral under our session id in hex
    dump = srv.four_letter("dump")
    assert dump.startswith("SessionTracker dump:\nSession Sets (")
    assert re.search(r"\nephemeral nodes dump:\nSessions with Ephemerals \(\d+\):\n", dump), dump
    assert re.search(r"(?m)^0x%x:\n(\t/.*\n)*\t/fl/eph\n" % sid, dump), dump
    assert re.search(r"\nConnections dump:\nConnections Sets \(\d+\)/\(\d+\):\n", dump), dump
    assert re.search(r"(?m)^\tip: /127\.0\.0\.1:\d+ sessionId: 0x%x$" % sid, dump), dump

    # dirs / conf / envi
    assert re.match(r"^datadir_size: \d+\nlogdir_size: \d+\n$", srv.four_letter("dirs"))
    conf = srv.four_letter("conf")
    keys = [l.split("=", 1)[0] for l in conf.splitlines() if l]
    assert all("=" in l for l in conf.splitlines() if l), conf
    assert keys == ["clientPort", "secureClientPort", "dataDir", "dataDirSize", "dataLogDir", "dataLogSize",
                    "tickTime", "maxClientCnxns", "minSessionTimeout", "maxSessionTimeout",
                    "clientPortListenBacklog", "serverId"], keys
    assert "clientPort=%d" % srv.port in conf.splitlines()
    envi = srv.four_letter("envi").splitlines()
    assert envi[0] == "Environment:"
    assert [l.split("=", 1)[0] for l in envi[1:]] == [
        "zookeeper.version", "host.name", "java.version", "java.vendor", "java.home", "java.class.path",
        "java.library.path", "java.io.tmpdir", "java.compiler", "os.name", "os.arch", "os.version",
        "user.name", "user.home", "user.dir", "os.memory.free", "os.memory.max", "os.memory.total"]

    # mntr
    mntr = zf.parse_mntr(srv.four_letter("mntr"))
    assert all(k.startswith("zk_") for k in mntr)
    missing = [k for k in MNTR_CORE_KEYS if k not in mntr]
    assert not missing, missing
    assert mntr["zk_server_state"] == "standalone"
    assert int(mntr["zk_ephemerals_count"]) >= 1
    assert int(mntr["zk_watch_count"]) >= 1


def test_mntr_has_apache_keys(request, srv, server_kind):
    xfail_on_zabkeeper(request, server_kind,
                       "zabkeeper's mntr lacks most of Apache 3.8.0's plain (non-summary) mntr keys")
    mntr = zf.parse_mntr(srv.four_letter("mntr"))
    missing = [k for k in APACHE_MNTR_PLAIN_KEYS if k not in mntr]
    assert not missing, missing


def test_watch_counts_in_wchs_and_mntr(srv, clients):
    """The watch counts follow a watch we set and fire."""
    c = clients(srv)
    c.ensure_path("/wc/a")
    c.ensure_path("/wc/b")

    def counts():
        m = re.match(r"^(\d+) connections watching (\d+) paths\nTotal watches:(\d+)\n$", srv.four_letter("wchs"))
        assert m
        return int(m.group(2)), int(m.group(3)), int(zf.parse_mntr(srv.four_letter("mntr"))["zk_watch_count"])

    base = counts()
    c.get("/wc/a", watch=lambda e: None)
    c.exists("/wc/b", watch=lambda e: None)
    assert counts() == (base[0] + 2, base[1] + 2, base[2] + 2)
    c.set("/wc/a", b"fire")  # the data watch fires and is gone
    wait_until(lambda: counts() == (base[0] + 1, base[1] + 1, base[2] + 1), 5.0, what="watch count to drop")


def test_mntr_znode_count_is_real_count(srv, clients):
    c = clients(srv)
    c.ensure_path("/zc/a/b")
    real = count_znodes(c)
    mntr = zf.parse_mntr(srv.four_letter("mntr"))
    srvr_count = int(re.search(r"Node count: (\d+)", srv.four_letter("srvr")).group(1))
    # Apache's DataTree keeps the root under both "" and "/" ("let root have
    # an alias"), so its node count is one more than the znodes that exist.
    assert int(mntr["zk_znode_count"]) == srvr_count
    assert int(mntr["zk_znode_count"]) in (real, real + 1)


def test_znode_count_includes_root_alias_like_apache(request, srv, server_kind, clients):
    c = clients(srv)
    c.ensure_path("/zc2/a")
    real = count_znodes(c)
    assert int(zf.parse_mntr(srv.four_letter("mntr"))["zk_znode_count"]) == real + 1


# ---------------------------------------------------------------- 10. whoAmI ---

def test_who_am_i(srv, clients):
    c = clients(srv)
    assert kx.raw_call(c, kx.WhoAmI()) == [("ip", "127.0.0.1")]
    c.add_auth("digest", "user:pw")
    who = kx.raw_call(c, kx.WhoAmI())
    assert ("digest", "user") in who and ("ip", "127.0.0.1") in who and len(who) == 2


def test_who_am_i_order_like_apache(request, srv, server_kind, clients):
    c = clients(srv)
    c.add_auth("digest", "user:pw")
    assert kx.raw_call(c, kx.WhoAmI()) == [("digest", "user"), ("ip", "127.0.0.1")]


def test_who_am_i_raw(srv, raws):
    r = raws(srv)
    xid, _, err, body = r.request(50, OP_WHOAMI)
    assert (xid, err) == (50, OK)
    assert kx.WhoAmI.deserialize(body, 0) == [("ip", "127.0.0.1")]


# ------------------------------------- 11. getEphemerals / allChildrenNumber ---

def test_get_ephemerals_and_all_children_number(srv, clients):
    c = clients(srv)
    other = clients(srv)
    c.ensure_path("/ge/b")
    c.ensure_path("/ge/p")
    for p in ("/ge/a", "/ge/ab", "/ge/b/c"):
        c.create(p, b"", ephemeral=True)
    other.create("/ge/other", b"", ephemeral=True)
    # only the caller's own ephemerals, by plain string prefix
    assert sorted(kx.raw_call(c, kx.GetEphemerals("/ge"))) == ["/ge/a", "/ge/ab", "/ge/b/c"]
    assert sorted(kx.raw_call(c, kx.GetEphemerals("/ge/a"))) == ["/ge/a", "/ge/ab"]
    assert kx.raw_call(c, kx.GetEphemerals("/ge/b")) == ["/ge/b/c"]
    assert sorted(kx.raw_call(c, kx.GetEphemerals("/"))) == ["/ge/a", "/ge/ab", "/ge/b/c"]
    assert kx.raw_call(c, kx.GetEphemerals("/nope")) == []
    assert kx.raw_call(other, kx.GetEphemerals("/")) == ["/ge/other"]
    # all descendants, not counting the node itself
    assert kx.raw_call(c, kx.GetAllChildrenNumber("/ge")) == 6
    assert kx.raw_call(c, kx.GetAllChildrenNumber("/ge/b")) == 1
    assert kx.raw_call(c, kx.GetAllChildrenNumber("/ge/b/c")) == 0
    assert kx.raw_call(c, kx.GetAllChildrenNumber("/")) == count_znodes(c) - 1
    from kazoo.exceptions import NoNodeError
    with pytest.raises(NoNodeError):
        kx.raw_call(c, kx.GetAllChildrenNumber("/nope"))


def test_get_ephemerals_raw(srv, raws):
    r = raws(srv)
    xid, _, err, body = r.request(60, OP_GET_EPHEMERALS, jstr("/"))
    assert (xid, err, body) == (60, OK, struct.pack(">i", 0))
    xid, _, err, body = r.request(61, OP_GET_ALL_CHILDREN_NUMBER, jstr("/zookeeper"))
    assert (xid, err) == (61, OK) and struct.unpack(">i", body)[0] >= 2


def test_all_children_number_of_empty_path_like_apache(request, srv, server_kind, clients):
    c = clients(srv)
    assert kx.raw_call(c, kx.GetAllChildrenNumber("")) == kx.raw_call(c, kx.GetAllChildrenNumber("/")) + 1


# ------------------------------------------------------------ 12. pipelining ---

def test_requests_after_close_session_answered_in_order(srv, raws):
    """A write still waiting for its txn, then closeSession, then a read, in one burst: the
    replies come in xid order (the read, of a closing session, never overtakes the two before
    it), and the connection closes after the closeSession's reply."""
    r = raws(srv)
    path = "/order-after-close-%d" % int(time.time() * 1e6)
    frames = []
    for xid, op, body in ((1, OP_CREATE, create_body(path, b"x")), (2, OP_CLOSE, b""),
                          (3, OP_GETDATA, get_data_body("/zookeeper"))):
        payload = struct.pack(">ii", xid, op) + body
        frames.append(struct.pack(">i", len(payload)) + payload)
    r.send(b"".join(frames))  # one burst: the server parses all three before any txn commits
    r.s.settimeout(30.0)
    got = []
    while True:
        rep = r.reply()
        if rep is None:
            break
        got.append((rep[0], rep[2]))
    xids = [x for x, _ in got]
    assert xids[:2] == [1, 2], got
    assert got[0][1] == OK and got[1][1] == OK, got
    assert xids == sorted(xids), got


def test_pipelined_requests_answered_in_order(srv, raws):
    r = raws(srv)
    n = 2000
    frames = []
    for xid in range(1, n + 1):
        body = struct.pack(">ii", xid, OP_GETDATA) + get_data_body("/zookeeper" if xid % 2 else "/no-such-node")
        frames.append(struct.pack(">i", len(body)) + body)
    r.send(b"".join(frames))  # one burst
    r.s.settimeout(30.0)
    got = []
    for _ in range(n):
        rep = r.reply()
        assert rep is not None, "connection closed after %d replies" % len(got)
        got.append((rep[0], rep[2]))
    assert [x for x, _ in got] == list(range(1, n + 1))
    assert all(err == (OK if xid % 2 else NONODE) for xid, err in got)


# ------------------------------------------- 8. a client that stops reading ---

def test_replies_to_a_client_that_stops_reading_arrive_whole_and_in_order(srv, raws):
    # 48 pipelined getData replies of 512 KiB each (24 MiB) far exceed the socket buffers and
    # the server's queued-output limit: the server's sends fill the socket, the rest waits for
    # the client to read, and its reading of requests pauses and resumes. Every reply must
    # still arrive whole, in request order.
    r = raws(srv)
    path = "/stops-reading-%d" % time.monotonic_ns()
    data = bytes((i * 7 + 3) % 251 for i in range(512 * 1024))
    created = r.request(1, OP_CREATE, create_body(path, data))
    assert created is not None and created[:3:2] == (1, OK)
    count = 48
    for xid in range(2, 2 + count):
        r.send_frame(struct.pack(">ii", xid, OP_GETDATA) + get_data_body(path))
    r.s.settimeout(30.0)
    for xid in range(2, 2 + count):
        rep = r.reply()
        assert rep is not None, "connection closed before reply %d" % xid
        got_xid, _, err, body = rep
        assert (got_xid, err) == (xid, OK)
        (n,) = struct.unpack_from(">i", body, 0)
        assert n == len(data) and body[4:4 + n] == data, "reply %d corrupted" % xid
    assert srv.running()
