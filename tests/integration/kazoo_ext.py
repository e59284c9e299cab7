"""What Debian's kazoo 2.8 cannot send, added on top of its wire layer.

kazoo 2.8.0 has no container/TTL create, no addWatch (persistent watches), no
getAllChildrenNumber, getEphemerals or whoAmI, and its Transaction parser only
understands create/delete/setData/check results.  The request classes below
follow ``kazoo.protocol.serialization`` (``type``, ``serialize()``,
``deserialize(buf, off)``) and are sent with ``raw_call(client, request)``,
which bypasses kazoo's client-side validation and chroot handling so the
server sees exactly the path we give it.
"""

from collections import namedtuple
import logging
import threading

from kazoo.client import KazooClient
from kazoo.exceptions import EXCEPTIONS
from kazoo.protocol import serialization as ser
from kazoo.protocol.serialization import (
    int_struct, long_struct, stat_struct, read_string, read_buffer,
    write_string, write_buffer, multiheader_struct, MultiHeader, Watch)
from kazoo.protocol.states import ZnodeStat
from kazoo.retry import KazooRetry
from kazoo.security import ACL, Id

# kazoo 2.8 maps only some error codes; an unknown code in a reply raises
# RuntimeError inside its connection thread and kills the client.  Register the
# rest (ZooKeeper 3.8/3.9 KeeperException.Code) so raw calls fail cleanly.
from kazoo.exceptions import ZookeeperError  # noqa: E402

_EXTRA_CODES = {
    -9: "InvalidStateError", -12: "UnknownSessionError", -13: "NewConfigNoQuorumError",
    -14: "ReconfigInProgressError", -15: "SSLConnectionError", -120: "EphemeralOnLocalSessionError",
    -121: "NoWatcherError", -122: "RequestTimeoutError", -123: "ReconfigDisabledError",
    -124: "SessionClosedRequireSaslAuthError", -125: "QuotaExceededError", -127: "ThrottledOpError",
}
for _code, _name in _EXTRA_CODES.items():
    if _code not in EXCEPTIONS:
        EXCEPTIONS[_code] = type(_name, (ZookeeperError,), {"code": _code})

# CreateMode flags
PERSISTENT = 0
EPHEMERAL = 1
PERSISTENT_SEQUENTIAL = 2
EPHEMERAL_SEQUENTIAL = 3
CONTAINER = 4
PERSISTENT_WITH_TTL = 5
PERSISTENT_SEQUENTIAL_WITH_TTL = 6

OP_CREATE = 1
OP_DELETE = 2
OP_SETDATA = 5
OP_CHECK = 13
OP_CREATE2 = 15
OP_CREATE_CONTAINER = 19
OP_CREATE_TTL = 21

CONTAINER_OWNER = -0x8000000000000000  # 0x8000000000000000 as signed long
TTL_OWNER_MASK = -0x0100000000000000   # 0xff00000000000000 as signed long


def _write_acls(acls):
    b = bytearray(int_struct.pack(len(acls)))
    for a in acls:
        b.extend(int_struct.pack(a.perms) + write_string(a.id.scheme) + write_string(a.id.id))
    return b


def _write_path(path):
    # kazoo's write_string turns '' into a null string; keep '' as length 0.
    if path == "":
        return int_struct.pack(0)
    return write_string(path)


def _read_stat(buf, off):
    return ZnodeStat._make(stat_struct.unpack_from(buf, off)), off + stat_struct.size


def create_opcode(flags, use_create2=True):
    if flags == CONTAINER:
        return OP_CREATE_CONTAINER
    if flags in (PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL):
        return OP_CREATE_TTL
    return OP_CREATE2 if use_create2 else OP_CREATE


class CreateAny(namedtuple("CreateAny", "path data acl flags ttl opcode")):
    """create / create2 / createContainer / createTTL, chosen like the Java client."""

    @property
    def type(self):
        return self.opcode

    def serialize(self):
        b = bytearray(_write_path(self.path))
        b.extend(write_buffer(self.data))
        b.extend(_write_acls(self.acl))
        b.extend(int_struct.pack(self.flags))
        if self.opcode == OP_CREATE_TTL:
            b.extend(long_struct.pack(self.ttl))
        return b

    def deserialize(self, buf, off):
        path, off = read_string(buf, off)
        if self.opcode == OP_CREATE:
            return path, None
        stat, off = _read_stat(buf, off)
        return path, stat


def make_create(path, data=b"", acl=None, flags=PERSISTENT, ttl=0, use_create2=True):
    from kazoo.security import OPEN_ACL_UNSAFE
    return CreateAny(path, data, list(acl or OPEN_ACL_UNSAFE), flags, ttl,
                     create_opcode(flags, use_create2))


class RawDelete(namedtuple("RawDelete", "path version")):
    type = OP_DELETE

    def serialize(self):
        return bytes(_write_path(self.path)) + int_struct.pack(self.version)

    @classmethod
    def deserialize(cls, buf, off):
        return True


class RawSetData(namedtuple("RawSetData", "path data version")):
    type = OP_SETDATA

    def serialize(self):
        return bytes(_write_path(self.path)) + bytes(write_buffer(self.data)) + int_struct.pack(self.version)

    @classmethod
    def deserialize(cls, buf, off):
        return _read_stat(buf, off)[0]


class RawCheck(namedtuple("RawCheck", "path version")):
    type = OP_CHECK

    def serialize(self):
        return bytes(_write_path(self.path)) + int_struct.pack(self.version)


class RawExists(namedtuple("RawExists", "path")):
    type = 3

    def serialize(self):
        return bytes(_write_path(self.path)) + b"\0"

    @classmethod
    def deserialize(cls, buf, off):
        return _read_stat(buf, off)[0]


class RawGetData(namedtuple("RawGetData", "path")):
    type = 4

    def serialize(self):
        return bytes(_write_path(self.path)) + b"\0"

    @classmethod
    def deserialize(cls, buf, off):
        data, off = read_buffer(buf, off)
        return data, _read_stat(buf, off)[0]


class RawGetChildren2(namedtuple("RawGetChildren2", "path")):
    type = 12

    def serialize(self):
        return bytes(_write_path(self.path)) + b"\0"

    @classmethod
    def deserialize(cls, buf, off):
        n = int_struct.unpack_from(buf, off)[0]
        off += 4
        children = []
        for _ in range(max(n, 0)):
            c, off = read_string(buf, off)
            children.append(c)
        return children, _read_stat(buf, off)[0]


class RawGetACL(namedtuple("RawGetACL", "path")):
    type = 6

    def serialize(self):
        return _write_path(self.path)

    @classmethod
    def deserialize(cls, buf, off):
        n = int_struct.unpack_from(buf, off)[0]
        off += 4
        acls = []
        for _ in range(max(n, 0)):
            a, off = ser.read_acl(buf, off)
            acls.append(a)
        return acls, _read_stat(buf, off)[0]


class RawSetACL(namedtuple("RawSetACL", "path acls version")):
    type = 7

    def serialize(self):
        return bytes(_write_path(self.path)) + bytes(_write_acls(self.acls)) + int_struct.pack(self.version)

    @classmethod
    def deserialize(cls, buf, off):
        return _read_stat(buf, off)[0]


class Multi(namedtuple("Multi", "operations")):
    """multi (14) whose parser understands create2/container/TTL results."""
    type = 14

    def serialize(self):
        b = bytearray()
        for op in self.operations:
            b.extend(MultiHeader(op.type, False, -1).serialize() + op.serialize())
        return b + multiheader_struct.pack(-1, True, -1)

    @classmethod
    def deserialize(cls, buf, off):
        results = []
        while True:
            header, off = MultiHeader.deserialize(buf, off)
            if header.done:
                break
            t = header.type
            if t == OP_CREATE:
                p, off = read_string(buf, off)
                results.append(("create", p, None))
            elif t in (OP_CREATE2, OP_CREATE_CONTAINER, OP_CREATE_TTL):
                p, off = read_string(buf, off)
                st, off = _read_stat(buf, off)
                results.append(("create", p, st))
            elif t == OP_DELETE:
                results.append(("delete",))
            elif t == OP_SETDATA:
                st, off = _read_stat(buf, off)
                results.append(("set", st))
            elif t == OP_CHECK:
                results.append(("check",))
            elif t == -1:
                err = int_struct.unpack_from(buf, off)[0]
                off += 4
                results.append(("error", err, EXCEPTIONS[err].__name__))
            else:
                raise ValueError("unknown multi result type %d" % t)
        return results


class AddWatch(namedtuple("AddWatch", "path mode")):
    """addWatch (106): mode 0 = PERSISTENT, 1 = PERSISTENT_RECURSIVE."""
    type = 106

    def serialize(self):
        return bytes(_write_path(self.path)) + int_struct.pack(self.mode)

    @classmethod
    def deserialize(cls, buf, off):
        return True


class RemoveWatches(namedtuple("RemoveWatches", "path watcher_type")):
    """removeWatches (18): type 1 children, 2 data, 3 any, 4 persistent, 5 recursive."""
    type = 18

    def serialize(self):
        return bytes(_write_path(self.path)) + int_struct.pack(self.watcher_type)

    @classmethod
    def deserialize(cls, buf, off):
        return True


class SetWatches(namedtuple("SetWatches", "relative_zxid data exist child")):
    """setWatches (101), sent as an ordinary request: kazoo 2.8 drops all its
    watchers when the connection is lost (it dispatches EventType.NONE to them)
    and therefore never re-registers anything itself."""
    type = 101

    def serialize(self):
        b = bytearray(long_struct.pack(self.relative_zxid))
        for lst in (self.data, self.exist, self.child):
            b.extend(int_struct.pack(len(lst)))
            for p in lst:
                b.extend(_write_path(p))
        return b

    @classmethod
    def deserialize(cls, buf, off):
        return True


class GetAllChildrenNumber(namedtuple("GetAllChildrenNumber", "path")):
    type = 104

    def serialize(self):
        return _write_path(self.path)

    @classmethod
    def deserialize(cls, buf, off):
        return int_struct.unpack_from(buf, off)[0]


class GetEphemerals(namedtuple("GetEphemerals", "prefix")):
    type = 103

    def serialize(self):
        return _write_path(self.prefix)

    @classmethod
    def deserialize(cls, buf, off):
        n = int_struct.unpack_from(buf, off)[0]
        off += 4
        out = []
        for _ in range(max(n, 0)):
            s, off = read_string(buf, off)
            out.append(s)
        return out


class WhoAmI(namedtuple("WhoAmI", "")):
    type = 107

    def __bool__(self):
        # An empty namedtuple is falsy, and kazoo only delivers a reply
        # when ``request and async_object`` -- keep the request truthy.
        return True

    def serialize(self):
        return b""

    @classmethod
    def deserialize(cls, buf, off):
        n = int_struct.unpack_from(buf, off)[0]
        off += 4
        out = []
        for _ in range(max(n, 0)):
            scheme, off = read_string(buf, off)
            user, off = read_string(buf, off)
            out.append((scheme, user))
        return out


def raw_call(client, request, timeout=30.0):
    """Send request through the client's connection; return result or raise the
    kazoo exception the server's error code maps to."""
    a = client.handler.async_result()
    client._call(request, a)
    return a.get(timeout=timeout)


def new_client(hosts, timeout=10.0, start=True, **kw):
    """A KazooClient that retries connecting quickly and forever (tests bound it)."""
    kw.setdefault("connection_retry", KazooRetry(max_tries=-1, delay=0.05, backoff=1.5, max_delay=0.5))
    kw.setdefault("logger", logging.getLogger("kazoo.test"))
    c = KazooClient(hosts=hosts, timeout=timeout, **kw)
    if start:
        c.start(timeout=30)
    return c


class EventRecorder(object):
    """Record every WatcherEvent (type, state, path) the server sends to a client,
    including those of persistent watches that kazoo 2.8 does not dispatch."""

    def __init__(self, client):
        self.events = []
        self.cond = threading.Condition()
        conn = client._connection
        orig = conn._read_watch_event

        def hook(buf, off):
            w, _ = Watch.deserialize(buf, off)
            with self.cond:
                self.events.append((w.type, w.path))
                self.cond.notify_all()
            # kazoo warns on unknown types; only forward what it understands
            if w.type in (1, 2, 3, 4):
                return orig(buf, off)
        conn._read_watch_event = hook

    def wait_for(self, pred, timeout):
        import time
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if pred(list(self.events)):
                    return list(self.events)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("events so far: %r" % (self.events,))
                self.cond.wait(left)

    def snapshot(self):
        with self.cond:
            return list(self.events)
