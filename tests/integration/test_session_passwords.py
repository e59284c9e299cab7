"""Session passwords are random secrets: a session can be resumed only with the password its
client was given, never with one derived from the session id (which any client can read from
ephemeralOwner, cons or dump). The password travels with the session's create txn, so every
member of an ensemble checks it, and a restart (log replay or snapshot) keeps it.
"""
import ctypes
import ctypes.util
import os
import struct

import pytest

import zkfixtures as zf
from ensemble import Ensemble
from test_wire_protocol import Raw
from zkfixtures import wait_until

pytestmark = pytest.mark.skipif(not zf.zabkeeper_available(), reason="zabkeeper not built")


class _Xxh128(ctypes.Structure):
    _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]


def derived_password(session_id):
    """The password zabkeeper formerly derived from a session id and a public constant
    (XXH3-128 of the id's 8 bytes, seed 0xB3415C00; high half first), computed here with the
    system's libxxhash, as an attacker would."""
    lib = ctypes.CDLL(ctypes.util.find_library("xxhash") or "libxxhash.so.0")
    lib.XXH3_128bits_withSeed.restype = _Xxh128
    lib.XXH3_128bits_withSeed.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint64]
    raw = struct.pack("<q", session_id)
    h = lib.XXH3_128bits_withSeed(raw, len(raw), 0xB3415C00)
    return struct.pack("<QQ", h.high64, h.low64)


def new_session(srv, timeout=30000):
    c = Raw(srv)
    hs = c.handshake(timeout=timeout)
    assert hs is not None and hs["sid"] != 0 and len(hs["passwd"]) == 16
    return c, hs["sid"], hs["passwd"]


def resume(srv, sid, passwd):
    """The session id and password the server answers a resume with (0 and zeros if refused)."""
    c = Raw(srv)
    try:
        hs = c.handshake(session_id=sid, passwd=passwd)
        assert hs is not None, "the server closed the connection instead of answering"
        return hs["sid"], hs["passwd"]
    finally:
        c.close()


def test_derived_passwords_are_refused_and_given_ones_accepted():
    with zf.ZabkeeperServer() as srv:
        first, sid, pw = new_session(srv)
        second, sid2, pw2 = new_session(srv)
        assert pw != derived_password(sid)
        assert pw2 != derived_password(sid2)
        assert pw != pw2
        first.close()

        assert resume(srv, sid, derived_password(sid)) == (0, b"\0" * 16)
        assert resume(srv, sid, pw2) == (0, b"\0" * 16)  # another session's password
        # The refused attempts did not harm the session: its own password still works.
        assert resume(srv, sid, pw) == (sid, pw)
        second.close()


@pytest.mark.parametrize("snapshot", [False, True], ids=["log", "snapshot"])
def test_password_survives_restart(snapshot):
    # snapCount=2: a snapshot is taken within a few txns; the default replays the log.
    extra = {"snapCount": 2} if snapshot else {}
    with zf.ZabkeeperServer(extra_cfg=extra) as srv:
        c, sid, pw = new_session(srv, timeout=60000)
        if snapshot:
            for _ in range(4):
                new_session(srv)[0].close()
            wait_until(lambda: any(n.startswith("snapshot.") and not n.endswith(".tmp")
                                   for n in _snapshot_files(srv)),
                       10, what="a snapshot file")
        c.close()
        srv.kill9()
        srv.start()
        assert resume(srv, sid, pw) == (sid, pw)
        assert resume(srv, sid, derived_password(sid)) == (0, b"\0" * 16)


def _snapshot_files(srv):
    names = []
    for root, _, files in os.walk(srv.data_dir):
        names.extend(files)
    return names


def test_every_member_checks_the_password():
    ens = Ensemble(voters=3)
    try:
        ens.start()
        members = list(ens.members.values())
        c, sid, pw = new_session(members[0], timeout=60000)
        c.close()
        for m in members:
            # A member may apply the create txn a moment after the one the client used.
            wait_until(lambda: resume(m, sid, pw) == (sid, pw), 10,
                       what="member %d to accept the session's password" % m.sid)
            assert resume(m, sid, derived_password(sid)) == (0, b"\0" * 16)
    finally:
        ens.cleanup()
