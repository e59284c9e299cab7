"""ZooKeeper's C client (Debian's cli_mt, libzookeeper-mt 3.8) against the server.

cli_mt syntax (from its help): ``create [+[e|s|c|t=ttl]] <path>`` (data is always
"new"), ``set <path> <data>``, ``get``, ``ls``, ``ls2``, ``exists`` (prints
nothing on success, ``Error <rc> for <path>`` otherwise), ``delete``, ``sync``.
"""

import re

import pytest

import kazoo_ext as kx
from cli_driver import CliMt

import os

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/lib/zookeeper/bin/cli_mt"),
                                reason="cli_mt (zookeeper-bin) not installed")


@pytest.fixture
def cli_server(zk_factory):
    return zk_factory({"extendedTypesEnabled": "true"})


def created(path):
    """Regex for the end of a create's output: error rc, or rc 0 plus the name line."""
    return r"^\[%s\]: rc = (?:0\n\tname = \S+$|-\d+)" % re.escape(path)


def children_of(out, path):
    m = re.search(r"^%s: rc = 0\n((?:\t.*\n)*)" % re.escape(path), out, re.M)
    assert m, out
    return sorted(l.strip() for l in m.group(1).splitlines())


def test_cli_crud(cli_server):
    cli = CliMt(cli_server.hosts)
    try:
        out = cli.cmd("create /x", created("/x"))
        assert "[/x]: rc = 0" in out and "name = /x" in out
        out = cli.cmd("get /x", r"^/x: rc = -?\d+[\s\S]*?version=")
        assert re.search(r"^/x: rc = 0\n value_len = 3\nnew\n", out, re.M), out
        assert re.search(r"czxid=\d+", out) and "version=0\taversion=0" in out
        out = cli.cmd("set /x hello", r"^/x: rc = -?\d+")
        assert "/x: rc = 0" in out
        out = cli.cmd("get /x", r"^/x: rc = -?\d+[\s\S]*?version=")
        assert re.search(r"^/x: rc = 0\n value_len = 5\nhello\n", out, re.M), out
        assert "version=1\taversion=0" in out
        out = cli.cmd("create /x/c", created("/x/c"))
        assert "[/x/c]: rc = 0" in out
        out = cli.cmd("ls /", r"^/: rc = -?\d+\n(?:\t.*\n)*time")
        assert children_of(out, "/") == ["x", "zookeeper"]
        out = cli.cmd("ls2 /x", r"^/x: rc = -?\d+\n(?:\t.*\n)*time")
        assert children_of(out, "/x") == ["c"]
        out = cli.cmd("delete /x", r"^/x: rc = -?\d+")
        assert "/x: rc = -111" in out            # ZNOTEMPTY
        out = cli.cmd("exists /nope", r"Error -?\d+ for /nope")
        assert "Error -101 for /nope" in out     # ZNONODE
        out = cli.cmd("delete /x/c", r"^/x/c: rc = -?\d+")
        assert "/x/c: rc = 0" in out
        out = cli.cmd("delete /x", r"^/x: rc = -?\d+")
        assert "/x: rc = 0" in out
        out = cli.cmd("get /x", r"^/x: rc = -?\d+")
        assert "/x: rc = -101" in out
        out = cli.cmd("create /a/b", created("/a/b"))
        assert "[/a/b]: rc = -101" in out
    finally:
        cli.close()


def test_cli_modes_and_session(cli_server):
    from kazoo.client import KazooClient  # noqa: F401
    k = kx.new_client(cli_server.hosts)
    cli = CliMt(cli_server.hosts)
    try:
        k.create("/d")
        out = cli.cmd("create +s /d/q-", created("/d/q-"))
        m = re.search(r"name = (/d/q-\d{10})$", out, re.M)
        assert m and m.group(1) == "/d/q-0000000000", out
        out = cli.cmd("create +s /d/q-", created("/d/q-"))
        assert "name = /d/q-0000000001" in out
        out = cli.cmd("create +e /d/eph", created("/d/eph"))
        assert "[/d/eph]: rc = 0" in out
        assert k.exists("/d/eph").ephemeralOwner != 0
        out = cli.cmd("create +e /d/eph/child", created("/d/eph/child"))
        assert "rc = -108" in out                # ZNOCHILDRENFOREPHEMERALS
        out = cli.cmd("create +c /d/cont", created("/d/cont"))
        assert "[/d/cont]: rc = 0" in out
        out = cli.cmd("create +t=600000 /d/ttl", created("/d/ttl"))
        assert "[/d/ttl]: rc = 0" in out
        out = cli.cmd("create /d/q-0000000001", created("/d/q-0000000001"))
        assert "rc = -110" in out                # ZNODEEXISTS
        cli.cmd("exists /d/eph", r"$")           # no output on success ...
        out = cli.cmd("exists /d/none", r"Error -?\d+ for /d/none")
        assert "Error" not in out.split("Error -101 for /d/none")[0]   # ... so no error before
        out = cli.cmd("ls /d", r"^/d: rc = -?\d+\n(?:\t.*\n)*time")
        assert children_of(out, "/d") == ["cont", "eph", "q-0000000000", "q-0000000001", "ttl"]
    finally:
        cli.close()
    # the C client closed its session on quit: its ephemeral is gone
    assert k.exists("/d/eph") is None
    assert k.exists("/d/ttl") is not None
    k.stop()
    k.close()
