"""Raw ZooKeeper wire frames for the byte-level differential test (test_wire_bytes.py).

Three parts, none of which uses a ZooKeeper client library:

* ``enc``: jute encoders for every request body (big-endian ints/longs, int-length-prefixed
  strings and buffers, -1 for a null buffer, vectors as an int count + items).
* ``Conn``: one TCP connection that sends framed requests and reads framed replies, with
  notifications kept in arrival order.
* ``mask_reply``: walks a reply frame with the record layout of the request's op code and
  rewrites only what legitimately differs between two servers running the same script:
  zxids (relabelled per frame in order of first appearance, so equal zxids stay equal and
  0 / -1 stay as they are), ctime/mtime (positive -> 1), session ids (-> the session's
  ordinal in the script) and session passwords (zeroed). Every other byte — lengths, error
  codes, bodies present or absent, trailing bytes — is compared as sent. It also returns a
  readable decoding for the failure message.

The only normalisation beyond masking is ``sort_children``: child lists are compared as
sorted lists, because Apache ZooKeeper returns them in its HashSet's iteration order
(docs/wire-protocol.md).
"""

import socket
import struct
import time

# Op codes (ZooDefs.OpCode).
CREATE, DELETE, EXISTS, GET_DATA, SET_DATA, GET_ACL, SET_ACL, GET_CHILDREN = 1, 2, 3, 4, 5, 6, 7, 8
SYNC, PING, GET_CHILDREN2, CHECK, MULTI, CREATE2, RECONFIG = 9, 11, 12, 13, 14, 15, 16
CHECK_WATCHES, REMOVE_WATCHES, CREATE_CONTAINER, DELETE_CONTAINER, CREATE_TTL = 17, 18, 19, 20, 21
MULTI_READ, AUTH, SET_WATCHES, SASL, GET_EPHEMERALS, GET_ALL_CHILDREN_NUMBER = 22, 100, 101, 102, 103, 104
SET_WATCHES2, ADD_WATCH, WHO_AM_I, CREATE_SESSION, CLOSE_SESSION, ERROR = 105, 106, 107, -10, -11, -1

NOTIFICATION_XID, PING_XID, AUTH_XID, SET_WATCHES_XID = -1, -2, -4, -8

# Create flags and perms.
PERSISTENT, EPHEMERAL, PERSISTENT_SEQUENTIAL, EPHEMERAL_SEQUENTIAL = 0, 1, 2, 3
CONTAINER, PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL = 4, 5, 6
ALL = 31


class enc(object):
    """jute encoders."""

    @staticmethod
    def i32(v):
        return struct.pack(">i", v)

    @staticmethod
    def i64(v):
        return struct.pack(">q", v)

    @staticmethod
    def boolean(v):
        return b"\1" if v else b"\0"

    @staticmethod
    def string(s):
        b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        return struct.pack(">i", len(b)) + b

    @staticmethod
    def buffer(b):
        if b is None:
            return struct.pack(">i", -1)
        return enc.string(b)

    @staticmethod
    def strings(items):
        return struct.pack(">i", len(items)) + b"".join(enc.string(s) for s in items)

    @staticmethod
    def acl(entries):
        """entries: [(perms, scheme, id)]"""
        out = struct.pack(">i", len(entries))
        for perms, scheme, ident in entries:
            out += struct.pack(">i", perms) + enc.string(scheme) + enc.string(ident)
        return out

    # -- request bodies ----------------------------------------------------------------
    @staticmethod
    def create(path, data=b"", acl=None, flags=PERSISTENT, ttl=None):
        body = enc.string(path) + enc.buffer(data) + enc.acl(acl or OPEN_ACL) + enc.i32(flags)
        if ttl is not None:
            body += enc.i64(ttl)
        return body

    @staticmethod
    def delete(path, version=-1):
        return enc.string(path) + enc.i32(version)

    @staticmethod
    def path_watch(path, watch=False):
        return enc.string(path) + enc.boolean(watch)

    @staticmethod
    def path(path):
        return enc.string(path)

    @staticmethod
    def set_data(path, data, version=-1):
        return enc.string(path) + enc.buffer(data) + enc.i32(version)

    @staticmethod
    def set_acl(path, acl, version=-1):
        return enc.string(path) + enc.acl(acl) + enc.i32(version)

    @staticmethod
    def check(path, version):
        return enc.string(path) + enc.i32(version)

    @staticmethod
    def multi(ops):
        """ops: [(op code, body)]; ends with the done header {-1, true, -1}."""
        out = b""
        for op, body in ops:
            out += struct.pack(">i?i", op, False, -1) + body
        return out + struct.pack(">i?i", -1, True, -1)

    @staticmethod
    def watches(path, watcher_type):
        return enc.string(path) + enc.i32(watcher_type)

    @staticmethod
    def add_watch(path, mode):
        return enc.string(path) + enc.i32(mode)

    @staticmethod
    def set_watches(relative_zxid, data=(), exist=(), child=(), persistent=None, recursive=None):
        body = enc.i64(relative_zxid) + enc.strings(list(data)) + enc.strings(list(exist))
        body += enc.strings(list(child))
        if persistent is not None:
            body += enc.strings(list(persistent)) + enc.strings(list(recursive or []))
        return body

    @staticmethod
    def auth(scheme, auth, kind=0):
        return enc.i32(kind) + enc.string(scheme) + enc.buffer(auth)

    @staticmethod
    def reconfig(joining="", leaving="", new_members="", config_id=-1):
        return enc.string(joining) + enc.string(leaving) + enc.string(new_members) + \
            enc.i64(config_id)

    @staticmethod
    def connect(timeout=30000, session_id=0, passwd=b"\0" * 16, last_zxid=0, read_only=False,
                protocol_version=0):
        body = struct.pack(">iqiq", protocol_version, last_zxid, timeout, session_id)
        body += enc.buffer(passwd)
        if read_only is not None:
            body += enc.boolean(read_only)
        return body


OPEN_ACL = [(ALL, "world", "anyone")]


# ------------------------------------------------------------------------- connection --

class Closed(Exception):
    pass


class Conn(object):
    """One client connection speaking raw frames. ``frames`` keeps every frame received, in
    order; ``until_xid`` reads until the reply with a given xid arrives."""

    def __init__(self, host, port, timeout=10.0):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""
        self.closed = False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send_frame(self, body):
        try:
            self.s.sendall(struct.pack(">i", len(body)) + body)
        except OSError:
            self.closed = True

    def send_raw(self, data):
        try:
            self.s.sendall(data)
        except OSError:
            self.closed = True

    def recv_frame(self, timeout=None):
        """The next frame, or None once the server closed the connection."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack_from(">i", self.buf, 0)[0]
                if len(self.buf) >= 4 + n:
                    frame, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return frame
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no complete frame within %.1fs (have %d bytes)"
                                     % (timeout or self.timeout, len(self.buf)))
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            except socket.timeout:
                continue
            if not chunk:
                self.closed = True
                return None
            self.buf += chunk

    def until_xid(self, xid):
        """Frames up to and including the reply with this xid (notifications before it
        included). Ends early, with a None entry, if the server closes the connection."""
        out = []
        while True:
            f = self.recv_frame()
            out.append(f)
            if f is None:
                return out
            if len(f) >= 4 and struct.unpack_from(">i", f, 0)[0] == xid:
                return out

    def alive(self, timeout=5.0):
        """Pings; True if the ping is answered (frames before it are returned too), False if
        the server closed the connection."""
        if self.closed:
            return False, []
        self.send_frame(struct.pack(">ii", PING_XID, PING))
        got = []
        try:
            while True:
                f = self.recv_frame(timeout)
                if f is None:
                    return False, got
                if struct.unpack_from(">i", f, 0)[0] == PING_XID:
                    return True, got
                got.append(f)
        except AssertionError:
            return True, got  # neither closed nor answered: reported by the caller's diff


# ----------------------------------------------------------------------------- masking --

class _Walker(object):
    """Reads a frame field by field, writing the masked copy and a decoded description."""

    def __init__(self, frame, ctx):
        self.f = frame
        self.pos = 0
        self.out = bytearray(frame)
        self.desc = []
        self.ctx = ctx
        self.zxids = {}

    def left(self):
        return len(self.f) - self.pos

    def _take(self, fmt):
        n = struct.calcsize(fmt)
        if self.left() < n:
            raise ValueError("short")
        v = struct.unpack_from(fmt, self.f, self.pos)[0]
        self.pos += n
        return v

    def i32(self, name):
        v = self._take(">i")
        self.desc.append("%s=%d" % (name, v))
        return v

    def boolean(self, name):
        v = self._take(">?")
        self.desc.append("%s=%s" % (name, v))
        return v

    def _put64(self, at, v):
        struct.pack_into(">q", self.out, at, v)

    def zxid(self, name):
        at = self.pos
        v = self._take(">q")
        if v > 0:
            label = self.zxids.setdefault(v, len(self.zxids) + 1)
            self._put64(at, label)
            self.desc.append("%s=z%d" % (name, label))
        else:
            self.desc.append("%s=%d" % (name, v))
        return v

    def time(self, name):
        at = self.pos
        v = self._take(">q")
        if v > 0:
            self._put64(at, 1)
        self.desc.append("%s=%s" % (name, "t" if v > 0 else v))
        return v

    def session(self, name):
        at = self.pos
        v = self._take(">q")
        label = self.ctx.session_label(v)
        if label is not None:
            self._put64(at, label)
            self.desc.append("%s=S%d" % (name, label))
        else:
            self.desc.append("%s=0x%x" % (name, v))
        return v

    def string(self, name):
        n = self._take(">i")
        if n < 0:
            self.desc.append("%s=null" % name)
            return None
        if self.left() < n:
            raise ValueError("short")
        b = self.f[self.pos:self.pos + n]
        self.pos += n
        self.desc.append("%s=%r" % (name, b.decode("utf-8", "replace") if b.isascii() else b))
        return b

    def passwd(self, name):
        at = self.pos
        n = self._take(">i")
        if n < 0 or self.left() < n:
            raise ValueError("short")
        self.out[at + 4:at + 4 + n] = b"\0" * n
        self.pos += n
        self.desc.append("%s=<%d bytes>" % (name, n))

    def strings(self, name, sort=False):
        start = self.pos
        count = self._take(">i")
        if count < 0:
            self.desc.append("%s=null" % name)
            return
        items = []
        for _ in range(count):
            n = self._take(">i")
            if self.left() < n:
                raise ValueError("short")
            items.append(self.f[self.pos:self.pos + n])
            self.pos += n
        if sort:
            items.sort()
            self.out[start + 4:self.pos] = b"".join(struct.pack(">i", len(x)) + x for x in items)
        self.desc.append("%s=%r" % (name, [x.decode("utf-8", "replace") for x in items]))

    def stat(self, name="stat"):
        self.desc.append("%s{" % name)
        self.zxid("czxid")
        self.zxid("mzxid")
        self.time("ctime")
        self.time("mtime")
        self.i32("version")
        self.i32("cversion")
        self.i32("aversion")
        self.session("ephemeralOwner")
        self.i32("dataLength")
        self.i32("numChildren")
        self.zxid("pzxid")
        self.desc.append("}")

    def acl(self, name="acl"):
        count = self._take(">i")
        self.desc.append("%s[%d]" % (name, count))
        for _ in range(max(count, 0)):
            self.i32("perms")
            self.string("scheme")
            self.string("id")


class MaskContext(object):
    """Per-server state of a script run: the session ids seen, numbered in order of the
    handshakes that created them."""

    def __init__(self):
        self.sessions = {}

    def add_session(self, sid):
        if sid and sid not in self.sessions:
            self.sessions[sid] = len(self.sessions) + 1

    def session_label(self, sid):
        return self.sessions.get(sid)


def _body(w, op, sort_children):
    """Walks the response record of `op` (the frame's header already read, err == 0)."""
    if op in (CREATE, SYNC):
        w.string("path")
    elif op in (CREATE2, CREATE_CONTAINER, CREATE_TTL):
        w.string("path")
        w.stat()
    elif op in (EXISTS, SET_DATA, SET_ACL, CHECK):
        w.stat()
    elif op == GET_DATA or op == RECONFIG:
        w.string("data")
        w.stat()
    elif op == GET_ACL:
        w.acl()
        w.stat()
    elif op == GET_CHILDREN:
        w.strings("children", sort=sort_children)
    elif op == GET_CHILDREN2:
        w.strings("children", sort=sort_children)
        w.stat()
    elif op == GET_EPHEMERALS:
        w.strings("ephemerals", sort=True)
    elif op == GET_ALL_CHILDREN_NUMBER:
        w.i32("totalNumber")
    elif op == ADD_WATCH:
        w.i32("errorResponse")
    elif op == WHO_AM_I:
        n = w.i32("clientInfo.count")
        for _ in range(max(n, 0)):
            w.string("authScheme")
            w.string("user")
    elif op == SASL:
        w.string("token")
    elif op in (MULTI, MULTI_READ):
        while True:
            t = w.i32("type")
            done = w.boolean("done")
            err = w.i32("err")
            if done:
                break
            if t == ERROR:
                w.i32("errorResponse")
            elif t == CREATE:
                w.string("path")
            elif t in (CREATE2, CREATE_CONTAINER, CREATE_TTL):
                w.string("path")
                w.stat()
            elif t == SET_DATA:
                w.stat()
            elif t == GET_DATA:
                w.string("data")
                w.stat()
            elif t == GET_CHILDREN:
                w.strings("children", sort=sort_children)
            elif t in (DELETE, CHECK):
                pass
            else:
                raise ValueError("unknown multi result type %d" % t)
            del err


def mask_reply(frame, op, ctx, sort_children=True):
    """(masked bytes, description) of one reply or notification frame to a request of `op`.
    A frame the layout does not fit is kept as it is from the first byte it cannot walk."""
    if frame is None:
        return b"<closed>", "<connection closed by the server>"
    w = _Walker(frame, ctx)
    try:
        xid = w.i32("xid")
        w.zxid("zxid")
        err = w.i32("err")
        if xid == NOTIFICATION_XID:
            w.i32("type")
            w.i32("state")
            w.string("path")
        elif err == 0 and w.left() > 0 and xid not in (PING_XID, AUTH_XID):
            _body(w, op, sort_children)
    except ValueError:
        w.desc.append("<undecodable from byte %d>" % w.pos)
    if w.left() > 0:
        w.desc.append("<%d trailing bytes: %s>" % (w.left(), frame[w.pos:].hex()))
    return bytes(w.out), " ".join(w.desc)


def mask_connect_response(frame, ctx, register=False):
    """A ConnectResponse {int protocolVersion, int timeOut, long sessionId, buffer passwd
    [, bool readOnly]}: the session id and password masked."""
    if frame is None:
        return b"<closed>", "<connection closed by the server>"
    w = _Walker(frame, ctx)
    try:
        w.i32("protocolVersion")
        w.i32("timeOut")
        at = w.pos
        sid = struct.unpack_from(">q", frame, at)[0]
        if register:
            ctx.add_session(sid)
        w.session("sessionId")
        w.passwd("passwd")
        if w.left() > 0:
            w.boolean("readOnly")
    except (ValueError, struct.error):
        w.desc.append("<undecodable from byte %d>" % w.pos)
    if w.left() > 0:
        w.desc.append("<%d trailing bytes: %s>" % (w.left(), frame[w.pos:].hex()))
    return bytes(w.out), " ".join(w.desc)
