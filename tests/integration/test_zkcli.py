"""zkcli end to end: the real binary against a real zabkeeper.

One-shot commands and scripts check zkCli.sh's output formats, --json, exit
codes and error lines; the interactive shell runs in a pseudo-terminal
(pexpect) for editing, history, completion, Ctrl-C, asynchronous watch output
and the prompt's connection state.  Each test works under its own top-level
node of one module-wide server."""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pexpect
import pytest

import zkfixtures as zf
from zkcli_driver import Interactive, run, zkcli_binary

STAT_LINES = ["cZxid = 0x[0-9a-f]+", r"ctime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d \S+ \d{4}",
              "mZxid = 0x[0-9a-f]+", r"mtime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d \S+ \d{4}",
              "pZxid = 0x[0-9a-f]+", r"cversion = \d+", r"dataVersion = \d+",
              r"aclVersion = \d+", "ephemeralOwner = 0x[0-9a-f]+", r"dataLength = \d+",
              r"numChildren = \d+"]


def assert_stat_block(lines):
    assert len(lines) == len(STAT_LINES), lines
    for line, rx in zip(lines, STAT_LINES):
        assert re.fullmatch(rx, line), (line, rx)


@pytest.fixture(scope="module")
def server():
    if not os.access(zkcli_binary(), os.X_OK):
        pytest.fail("zkcli not built at %s" % zkcli_binary())
    s = zf.ZabkeeperServer({"extendedTypesEnabled": "true"})
    try:
        s.start()
        yield s
    finally:
        s.cleanup()


@pytest.fixture
def hosts(server):
    return server.hosts


@pytest.fixture
def home():
    d = tempfile.mkdtemp(prefix="zkcli-home-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def ok(hosts, *args, **kw):
    r = run(hosts, *args, **kw)
    assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
    return r


# ---------------------------------------------------------------------------
# One-shot commands: zkCli.sh's formats


def test_create_get_set_stat_formats(hosts):
    r = ok(hosts, "create", "/fmt", "hello world")
    assert r.stderr.strip() == "Created /fmt"
    ok(hosts, "create", "/fmt/b")
    ok(hosts, "create", "-s", "/fmt/seq-", "x")
    r = ok(hosts, "ls", "/fmt")
    assert r.stdout == "[b, seq-0000000001]\n"
    r = ok(hosts, "get", "-s", "/fmt")
    lines = r.stdout.splitlines()
    assert lines[0] == "hello world"
    assert_stat_block(lines[1:])
    assert "dataLength = 11" in lines and "numChildren = 2" in lines
    r = ok(hosts, "set", "-s", "/fmt", "v2")
    assert "dataVersion = 1" in r.stdout.splitlines()
    r = ok(hosts, "stat", "/fmt")
    assert_stat_block(r.stdout.splitlines())
    r = ok(hosts, "ls", "-s", "/fmt")
    assert r.stdout.splitlines()[0] == "[b, seq-0000000001]"
    assert_stat_block(r.stdout.splitlines()[1:])
    r = ok(hosts, "ls", "-R", "/fmt")
    assert r.stdout.splitlines() == ["/fmt", "/fmt/b", "/fmt/seq-0000000001"]
    r = ok(hosts, "getAcl", "/fmt")
    assert r.stdout == "'world,'anyone\n: cdrwa\n"
    r = ok(hosts, "getAllChildrenNumber", "/fmt")
    assert r.stdout == "2\n"
    assert ok(hosts, "sync", "/fmt").stdout == "Sync is OK\n"
    r = ok(hosts, "whoami")
    assert r.stdout.splitlines()[0] == "Auth scheme: User"
    assert "ip: 127.0.0.1" in r.stdout.splitlines()


def test_create_modes_and_flags(hosts):
    ok(hosts, "create", "/modes")
    ok(hosts, "create", "-c", "/modes/c")
    ok(hosts, "create", "/modes/c/child")
    ok(hosts, "create", "-t", "60000", "/modes/t", "ttl")
    ok(hosts, "create", "/modes/acl", "d", "world:anyone:r")
    assert ok(hosts, "getAcl", "/modes/acl").stdout == "'world,'anyone\n: r\n"
    r = run(hosts, "create", "-c", "-e", "/modes/x")
    assert r.returncode == 2
    assert "-c cannot be combined with -s or -e" in r.stderr
    r = run(hosts, "create", "-t", "abc", "/modes/x")
    assert r.returncode == 2 and "-t argument must be a long value" in r.stderr
    r = run(hosts, "create", "-e", "-t", "10", "/modes/x")
    assert "TTLs cannot be used with Ephemeral znodes" in r.stderr
    # An ephemeral node lives as long as its session: the one-shot session ends with zkcli.
    ok(hosts, "create", "-e", "/modes/e")
    assert run(hosts, "stat", "/modes/e").returncode == 1
    # Within one session (a script), getEphemerals sees it.
    r = ok(hosts, input="create -e /modes/e2\ngetEphemerals /modes\n")
    assert r.stdout == "[/modes/e2]\n"
    # Data that looks like an option and data with spaces survive quoting.
    ok(hosts, "create", "/modes/neg", "-5")
    assert ok(hosts, "get", "/modes/neg").stdout == "-5\n"


def test_errors_are_one_line_with_exit_codes(hosts):
    ok(hosts, "create", "/err")
    ok(hosts, "create", "/err/child")
    cases = [
        (("get", "/err/none"), 1, "Node does not exist: /err/none"),
        (("delete", "/err"), 1, "Node not empty: /err"),
        (("set", "-v", "7", "/err", "x"), 1, "version No is not valid : /err"),
        (("create", "/err"), 1, "Node already exists: /err"),
        (("ls", "noslash"), 2, "Path must start with / character"),
        (("get",), 2, "Usage: get [-s] [-w] [-b] path"),
        (("get", "-q", "/err"), 2, "get: unknown option -q (usage: get [-s] [-w] [-b] path)"),
        (("bogus",), 2, "Command not found: bogus (type 'help' for the list of commands)"),
        (("set", "-v", "x", "/err", "d"), 2, '-v needs a version number, not "x"'),
        (("redo", "1"), 2, "Command not found: redo (type 'help' for the list of commands)"),
    ]
    for args, code, message in cases:
        r = run(hosts, *args)
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert r.stderr.strip() == message, (args, r.stderr)
        assert r.stdout == "", (args, r.stdout)
    # No auth: a node only its creator may read.
    ok(hosts, "setAcl", "/err/child", "digest:someone:AAAAAAAAAAAAAAAAAAAAAAAAAAA=:cdrwa")
    r = run(hosts, "get", "/err/child")
    assert r.returncode == 1 and r.stderr.strip() == "Insufficient permission : /err/child"


def test_not_connected_fails_fast(hosts):
    dead = "127.0.0.1:%d" % zf.free_port()
    t0 = time.monotonic()
    r = run(dead, "ls", "/", extra=["--request-timeout", "1500"])
    assert r.returncode == 3
    assert r.stderr.strip() == "Not connected: no server of %s answered within 1500 ms" % dead
    assert time.monotonic() - t0 < 10


def test_auth_and_digest_acl(hosts):
    script = ("create /authn\n"
              "addauth digest alice:secret\n"
              "create /authn/mine m auth:alice:secret:cdrwa\n"
              "getAcl /authn/mine\n"
              "whoami\n")
    r = ok(hosts, input=script)
    assert "'digest,'alice:" in r.stdout
    assert "digest: alice" in r.stdout
    r = run(hosts, "get", "/authn/mine")
    assert r.returncode == 1 and "Insufficient permission : /authn/mine" in r.stderr
    r = ok(hosts, input="addauth digest alice:secret\nget /authn/mine\n")
    assert r.stdout == "m\n"


def test_deleteall_and_setacl_recursive(hosts):
    script = "".join("create /del%s\n" % p for p in
                     ["", "/a", "/a/1", "/a/2", "/b", "/b/1", "/b/1/x"])
    ok(hosts, input=script)
    ok(hosts, "setAcl", "-R", "/del", "world:anyone:cdrwa")
    assert ok(hosts, "getAllChildrenNumber", "/del").stdout == "6\n"
    ok(hosts, "deleteall", "/del", "-b", "2")
    r = run(hosts, "stat", "/del")
    assert r.returncode == 1 and "Node does not exist: /del" in r.stderr


def test_quota_commands(hosts):
    ok(hosts, input="create /q one\ncreate /q/a two\n")
    ok(hosts, "setquota", "-n", "10", "/q")
    r = ok(hosts, "listquota", "/q")
    assert r.stderr.strip() == "absolute path is /zookeeper/quota/q/zookeeper_limits"
    assert r.stdout.splitlines() == [
        "Output quota for /q count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=-1",
        "Output stat for /q count=2,bytes=6"]
    # The server keeps the stats current: listquota shows live figures.
    ok(hosts, input="create /q/b three\nset /q/a 2\ndelete /q/b\ncreate /q/c 4444\n")
    r = ok(hosts, "listquota", "/q")
    assert r.stdout.splitlines()[1] == "Output stat for /q count=3,bytes=8"
    ok(hosts, "setquota", "-b", "100", "/q")
    r = ok(hosts, "get", "/zookeeper/quota/q/zookeeper_limits")
    assert r.stdout == "count=10,bytes=100=;byteHardLimit=-1;countHardLimit=-1\n"
    r = run(hosts, "setquota", "-n", "5", "/q/a")
    assert r.returncode == 1 and "/q/a has a parent /q which has a quota" in r.stderr
    r = run(hosts, "setquota", "-n", "0", "/q")
    assert r.returncode == 2 and "the num quota must be greater than zero" in r.stderr
    ok(hosts, "delquota", "-n", "/q")
    r = ok(hosts, "listquota", "/q")
    assert "Output quota for /q count=-1,bytes=100=;" in r.stdout
    ok(hosts, "delquota", "/q")
    r = run(hosts, "listquota", "/q")
    assert r.returncode == 1 and "quota for /q does not exist." in r.stderr
    assert run(hosts, "stat", "/zookeeper/quota/q").returncode == 1


# ---------------------------------------------------------------------------
# --json


def js(hosts, *args, **kw):
    r = ok(hosts, *args, json=True, **kw)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def test_json_output(hosts):
    [c] = js(hosts, "create", "/json", "d1")
    assert c["path"] == "/json" and c["stat"]["dataLength"] == 2
    js(hosts, "create", "/json/k")
    [g] = js(hosts, "get", "-s", "/json")
    assert g["data"] == "d1" and g["stat"]["numChildren"] == 1
    assert list(g["stat"].keys()) == ["cZxid", "ctime", "mZxid", "mtime", "pZxid", "cversion",
                                      "dataVersion", "aclVersion", "ephemeralOwner",
                                      "dataLength", "numChildren"]
    [ls] = js(hosts, "ls", "/json")
    assert ls == {"path": "/json", "children": ["k"]}
    [st] = js(hosts, "stat", "/json")
    assert st["stat"]["dataVersion"] == 0
    [s] = js(hosts, "set", "/json", "d2")
    assert s["stat"]["dataVersion"] == 1
    [acl] = js(hosts, "getAcl", "/json")
    assert acl["acl"] == [{"scheme": "world", "id": "anyone", "perms": "cdrwa"}]
    [n] = js(hosts, "getAllChildrenNumber", "/json")
    assert n["count"] == 1
    [w] = js(hosts, "whoami")
    assert {"scheme": "ip", "user": "127.0.0.1"} in w["identities"]
    [v] = js(hosts, "version")
    assert v["name"] == "zkcli" and v["version"]
    [rec] = js(hosts, "ls", "-R", "/json")
    assert rec["nodes"] == ["/json", "/json/k"]
    [t] = js(hosts, "tree", "/json")
    assert t["nodes"] == 1 and t["children"][0]["name"] == "k"
    [du] = js(hosts, "du", "/json")
    assert du["nodes"] == 2 and du["bytes"] == 2
    # Binary data comes back as base64.
    js(hosts, "set", "-b", "/json/k", "AAH/")
    [b] = js(hosts, "get", "/json/k")
    assert b["data_base64"] == "AAH/" and "data" not in b
    # Errors stay one plain line on stderr.
    r = run(hosts, "get", "/json/none", json=True)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip() == "Node does not exist: /json/none"


# ---------------------------------------------------------------------------
# Scripts


def test_script_file_and_stdin(hosts, home):
    path = os.path.join(home, "setup.zk")
    with open(path, "w") as f:
        f.write("# comment lines and blank lines are skipped\n\n"
                "create /script\n"
                "create /script/a 'with space'\n"
                "get /script/a\n"
                "get /script/missing\n"
                "ls /script\n")
    r = run(hosts, extra=["-f", path])
    assert r.returncode == 1  # One command failed; the others ran.
    assert r.stdout == "with space\n[a]\n"
    assert "Node does not exist: /script/missing" in r.stderr
    r = run(hosts, extra=["--stop-on-error"], input="get /script/missing\nls /script\n")
    assert r.returncode == 1 and r.stdout == ""
    # history and redo work in scripts too.
    r = ok(hosts, input="ls /script\nhistory\nredo 0\n")
    assert r.stdout == "[a]\n0 - ls /script\n1 - history\n[a]\n"
    r = run(hosts, input='set /script/a "unterminated\nbogus\nls /script\n')
    assert r.returncode == 2
    assert "Cannot parse the line: unterminated double quote" in r.stderr
    assert r.stdout == "[a]\n"


# ---------------------------------------------------------------------------
# zkcli's own commands


def test_tree_and_du(hosts):
    ok(hosts, input="".join("create /tr%s %s\n" % (p, d) for p, d in
                            [("", "r"), ("/a", "aa"), ("/a/x", "xxx"), ("/b", "")]))
    r = ok(hosts, "tree", "/tr")
    assert r.stdout == ("/tr (3)\n"
                        "├── a (1)\n"
                        "│   └── x\n"
                        "└── b\n"
                        "\n"
                        "4 nodes\n")
    r = ok(hosts, "tree", "-d", "1", "/tr")
    assert "├── a (+1 not shown)" in r.stdout
    r = ok(hosts, "du", "/tr")
    assert [l.split() for l in r.stdout.splitlines()] == [
        ["NODES", "BYTES", "PATH"], ["2", "5", "/tr/a"], ["1", "0", "/tr/b"], ["4", "6", "/tr"]]


def test_dump_and_load_round_trip(hosts, home):
    ok(hosts, input="create /dump text\ncreate /dump/bin\ncreate -c /dump/box\n"
                    "create /dump/box/in x\ncreate /dump/ro r world:anyone:r\n"
                    "create -e /dump/eph\n")
    ok(hosts, "set", "-b", "/dump/bin", "AP8BgA==")
    path = os.path.join(home, "backup.json")
    r = ok(hosts, "dump", "-o", path, "/dump")
    assert "Dumped 5 nodes of /dump" in r.stderr
    with open(path) as f:
        d = json.load(f)
    assert d["format"] == "zkcli-dump" and d["path"] == "/dump"
    by_path = {n["path"]: n for n in d["nodes"]}
    assert by_path[""]["data"] == "text"
    assert by_path["/bin"]["data_base64"] == "AP8BgA=="
    # Servers report containers with ephemeralOwner 0 (as Apache ZooKeeper does): persistent.
    assert "mode" not in by_path["/box"]
    assert by_path["/ro"]["acl"] == [{"scheme": "world", "id": "anyone", "perms": "r"}]
    # Restore elsewhere, then over a changed original.
    r = ok(hosts, "load", path, "/restored")
    assert r.stdout.strip() == "Loaded 5 nodes into /restored: 5 created, 0 updated, 0 unchanged"
    assert ok(hosts, "get", "-b", "/restored/bin").stdout == "AP8BgA==\n"
    assert ok(hosts, "getAcl", "/restored/ro").stdout == "'world,'anyone\n: r\n"
    assert ok(hosts, "get", "/restored/box/in").stdout == "x\n"
    ok(hosts, "set", "/dump", "changed")
    ok(hosts, "delete", "/dump/box/in")
    r = ok(hosts, "load", "-n", path)
    assert r.stdout.splitlines() == ["update /dump data", "create /dump/box/in",
                                     "Would load 5 nodes into /dump: 1 created, 1 updated, "
                                     "3 unchanged"]
    assert ok(hosts, "get", "/dump").stdout == "changed\n"  # Dry run changed nothing.
    ok(hosts, "load", path)
    assert ok(hosts, "get", "/dump").stdout == "text\n"
    assert ok(hosts, "get", "/dump/box/in").stdout == "x\n"
    # Broken dumps are refused with a reason.
    with open(path, "w") as f:
        f.write('{"format": "zkcli-dump", "version": 1, "nodes": [{"path": "/x/y"}]}')
    r = run(hosts, "load", path, "/other")
    assert r.returncode == 1 and "its parent comes later or is missing" in r.stderr


def test_stat4_table(hosts):
    dead = "127.0.0.1:%d" % zf.free_port()
    r = ok(hosts + "," + dead, "stat4")
    lines = r.stdout.splitlines()
    assert lines[0].split() == [hosts, dead]
    assert lines[1].split()[:2] == ["status", "ok"] and "refused" in lines[1]
    assert re.search(r"^Mode\s+standalone\s+-$", r.stdout, re.M), r.stdout
    assert re.search(r"^Node count\s+\d+", r.stdout, re.M)
    r = ok(hosts, "stat4", "ruok")
    assert [l.split() for l in r.stdout.splitlines()] == [["SERVER", "ANSWER"], [hosts, "imok"]]
    [j] = [json.loads(l) for l in ok(hosts, "stat4", "mntr", json=True).stdout.splitlines()]
    assert j["servers"][0]["values"]["zk_server_state"] == "standalone"
    r = run(dead, "stat4")
    assert r.returncode == 3 and "no server answered" in r.stderr


def _line_reader(stream):
    """A queue that a thread fills with the lines of `stream` (None at its end)."""
    q = queue.Queue()

    def pump():
        for line in stream:
            q.put(line)
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return q


def test_watch_streams_events_until_interrupted(hosts):
    ok(hosts, "create", "/stream")
    p = subprocess.Popen([zkcli_binary(), "-server", hosts, "--json", "watch", "-R", "/stream"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = _line_reader(p.stdout), _line_reader(p.stderr)
        # The watch is registered once this line is printed.
        assert err.get(timeout=20).startswith("Watching /stream and its subtree")
        ok(hosts, "create", "/stream/a", "1")
        ok(hosts, "set", "/stream/a", "2")
        ok(hosts, "delete", "/stream/a")
        lines = [json.loads(out.get(timeout=20)) for _ in range(3)]
        p.send_signal(signal.SIGINT)
        assert p.wait(10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert [(e["type"], e["path"]) for e in lines] == [
        ("NodeCreated", "/stream/a"), ("NodeDataChanged", "/stream/a"),
        ("NodeDeleted", "/stream/a")]
    assert all(isinstance(e["time"], int) for e in lines)


def test_addwatch_and_removewatches_in_a_script(hosts):
    script = ("create /aw\n"
              "addWatch /aw\n"
              "create /aw/x\n"
              "set /aw/x 1\n"
              "removewatches /aw\n"
              "create /aw/y\n"
              "removewatches /aw\n")
    r = run(hosts, input=script)
    assert r.returncode == 1
    events = re.findall(r"WatchedEvent state:SyncConnected type:(\w+) path:(\S+)", r.stdout)
    assert events == [("NodeCreated", "/aw/x"), ("NodeDataChanged", "/aw/x"),
                      ("PersistentWatchRemoved", "/aw")]
    assert r.stderr.strip().endswith("KeeperErrorCode = No such watcher for /aw")
    # One-shot watches: one line per notification even when get -w and stat -w both watch.
    r = ok(hosts, input="get -w /aw/x\nstat -w /aw/x\nls -w /aw\ndelete /aw/x\n")
    events = re.findall(r"type:(\w+) path:(\S+)", r.stdout)
    assert sorted(events) == [("NodeChildrenChanged", "/aw"), ("NodeDeleted", "/aw/x")]
    r = ok(hosts, input="printwatches off\nget -w /aw/y\nset /aw/y 2\nprintwatches\n")
    assert "WATCHER" not in r.stdout and r.stdout.endswith("printwatches is off\n")


# ---------------------------------------------------------------------------
# The interactive shell, in a pseudo-terminal


@pytest.fixture
def shell_factory(hosts, home):
    shells = []

    def make(server=None, extra=()):
        sh = Interactive(server or hosts, home, extra=extra)
        shells.append(sh)
        return sh

    yield make
    for sh in shells:
        sh.close()


def test_interactive_editing_history_and_completion(shell_factory, home):
    sh = shell_factory()
    assert sh.start() == 0
    sh.command("create /ia hello", expect="Created /ia")
    sh.command("create /ia/child-one c1")
    # Tab completes command names and znode paths (asked from the server).
    sh.command("getAllCh\t /ia", expect=r"^[^\n]*\n1\r?\n")
    sh.command("get /ia/ch\t", expect=r"\nc1\r?\n")
    # Emacs editing: Ctrl-A to the start, Ctrl-F forward, insert, Ctrl-E to the end.
    sh.command("gt /i\x01\x06e\x05a", expect=r"\nhello\r?\n")
    # Ctrl-C at the prompt discards the line; the shell stays.
    sh.child.send("junk words")
    sh.child.sendintr()
    sh.child.expect(r"\^C")
    sh.prompt()
    out = sh.command("history")
    assert "junk" not in out
    assert re.search(r"0 - create /ia hello\r?\n1 - create /ia/child-one c1\r?\n", out), out
    # Up arrow recalls the previous line.
    sh.command("get /ia/child-one", expect="c1")
    sh.child.send("\x1b[A")
    sh.command("", expect=r"\nc1\r?\n")
    # Ctrl-D quits with status 0 and leaves a history file.
    sh.child.sendeof()
    sh.child.expect(pexpect.EOF)
    sh.child.close()
    assert sh.child.exitstatus == 0
    with open(os.path.join(home, ".zkcli_history")) as f:
        saved = f.read()
    assert "create\\040/ia\\040hello" in saved or "create /ia hello" in saved
    assert "junk" not in saved
    # A new shell recalls the last line of the previous one.
    sh2 = shell_factory()
    sh2.start()
    sh2.child.send("\x1b[A")
    sh2.command("", expect=r"\nc1\r?\n")


def test_interactive_ctrl_c_at_the_prompt_is_answered_every_time(shell_factory):
    # Ctrl-C makes the terminal discard the typed input as it raises SIGINT; when that happens
    # between the line editor's poll and its read, a blocking read used to sleep until the next
    # key (about one Ctrl-C in a hundred under load). Each one must be answered at once.
    sh = shell_factory()
    sh.start()
    for i in range(150):
        sh.child.send("junk words")
        sh.child.sendintr()
        try:
            sh.child.expect(r"\^C", timeout=5)
        except pexpect.TIMEOUT:
            pytest.fail("Ctrl-C number %d was not answered within 5 s" % (i + 1))
        sh.prompt()
    assert "junk" not in sh.command("history")


def test_interactive_async_watch_output_keeps_the_typed_line(shell_factory, hosts):
    sh = shell_factory()
    sh.start()
    sh.command("create /iw v0")
    sh.command("get -w /iw", expect="v0")
    sh.child.send("get /i")  # Typed, not entered.
    time.sleep(0.3)
    ok(hosts, "set", "/iw", "v1")
    sh.child.expect(r"WATCHER::\r?\n\r?\nWatchedEvent state:SyncConnected "
                    r"type:NodeDataChanged path:/iw")
    sh.prompt()  # Redrawn below the event...
    sh.command("w", expect=r"\nv1\r?\n")  # ...with "get /i" still in the line.


def test_interactive_ctrl_c_cancels_the_running_command(shell_factory, hosts):
    sh = shell_factory()
    sh.start()
    sh.command("create /ic")
    sh.child.sendline("watch /ic")
    sh.child.expect("Watching /ic")
    time.sleep(0.3)
    ok(hosts, "set", "/ic", "x")
    sh.child.expect(r"\d\d:\d\d:\d\d\.\d{3} NodeDataChanged /ic")
    sh.child.sendintr()
    assert sh.prompt() == 2
    sh.command("ls /ic", expect=r"\[\]")
    assert sh.child.isalive()


def test_interactive_bad_input_never_ends_the_shell(shell_factory):
    sh = shell_factory()
    sh.start()
    for line, message in [('set /x "unterminated', "Cannot parse the line: unterminated double"),
                          ("bogus", "Command not found: bogus"),
                          ("create", "Usage: create"),
                          ("get -z /", "unknown option -z"),
                          ("redo 99", "Command index out of range"),
                          ("delete /", "Arguments are not valid : /|Insufficient|NONODE|"),
                          ("ls /a//b", "empty node name specified"),
                          ("setAcl /zookeeper nonsense", "does not have the form"),
                          ("printwatches maybe", "say on or off")]:
        sh.command(line, expect=message)
    sh.command("   ")
    sh.command("version", expect="zkcli version")
    assert sh.child.isalive()


def test_interactive_prompt_follows_the_connection(shell_factory):
    s = zf.ZabkeeperServer()
    try:
        s.start()
        sh = shell_factory(server=s.hosts, extra=["-timeout", "4000"])
        sh.start()
        sh.child.sendline("close")
        sh.prompt("CLOSED")
        sh.command("ls /", expect="Not connected")
        sh.child.sendline("connect")
        sh.start()
        sh.command("ls /", expect=r"\[zookeeper\]")
        s.kill9()
        # Disconnected, then expired once no server answered for the session timeout.
        sh.child.expect("WatchedEvent state:Disconnected type:None path:null", timeout=15)
        sh.child.expect("WatchedEvent state:Expired type:None path:null", timeout=20)
        sh.prompt("EXPIRED")
        sh.command("ls /", expect="Session expired: the server has ended this session")
        s.start()
        sh.child.sendline("connect")
        sh.start()
        sh.command("ls /", expect=r"\[zookeeper\]")
    finally:
        s.cleanup()


# ---------------------------------------------------------------------------
# Recipe commands: lock, lock ls, leader, election run


def test_lock_runs_the_command_holding_the_lock(hosts, tmp_path):
    journal = tmp_path / "journal"
    script = "echo start $$ >> %s; sleep 0.3; echo end $$ >> %s" % (journal, journal)
    procs = [subprocess.Popen([zkcli_binary(), "-server", hosts, "lock", "/rlock/a", "--",
                               "sh", "-c", script]) for _ in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    lines = journal.read_text().split("\n")[:-1]
    assert len(lines) == 6
    for i in range(0, 6, 2):  # never two holders at once
        assert lines[i].split()[0] == "start" and lines[i + 1].split()[0] == "end", lines
        assert lines[i].split()[1] == lines[i + 1].split()[1], lines
    # The exit status is the command's; the lock is free afterwards.
    r = run(hosts, "lock", "/rlock/a", "--", "sh", "-c", "exit 7")
    assert r.returncode == 7, (r.stdout, r.stderr)
    assert ok(hosts, "lock", "ls", "/rlock/a").stdout == ""


def test_lock_ls_and_timeout_while_held(hosts):
    holder = subprocess.Popen([zkcli_binary(), "-server", hosts, "lock", "/rlock/b", "--",
                               "sleep", "3"])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            out = run(hosts, "lock", "ls", "/rlock/b").stdout  # NONODE until the lock exists
            if out:
                break
            time.sleep(0.25)  # each poll is a new process and connection
        assert re.fullmatch(r"holder _c_[0-9a-f-]{36}-lock-0000000000 token=\d+ session=0x[0-9a-f]+\n",
                            out), out
        r = run(hosts, "lock", "-t", "0.3", "/rlock/b", "--", "true")
        assert r.returncode == 1 and "not acquired (timed out)" in r.stderr, r.stderr
        j = json.loads(ok(hosts, "lock", "ls", "/rlock/b", json=True).stdout)
        assert len(j["contenders"]) == 1 and j["contenders"][0]["holder"] is True
    finally:
        assert holder.wait(timeout=30) == 0


def test_election_run_and_leader(hosts, tmp_path):
    # The first leader's command runs until the test creates `release`.
    release = tmp_path / "release"
    first = subprocess.Popen([zkcli_binary(), "-server", hosts, "election", "run", "/relect",
                              "one", "--", "sh", "-c",
                              "while [ ! -e %s ]; do sleep 0.05; done" % release])
    second = None
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "leader one" not in run(hosts, "leader",
                                                                      "/relect").stdout:
            time.sleep(0.25)  # each poll is a new process and connection
        second = subprocess.Popen([zkcli_binary(), "-server", hosts, "election", "run",
                                   "/relect", "two", "--", "true"])
        deadline = time.monotonic() + 10
        out = ""
        while time.monotonic() < deadline:
            out = run(hosts, "leader", "/relect").stdout
            if "waiting two" in out:
                break
            time.sleep(0.25)  # each poll is a new process and connection
        assert re.fullmatch(r"leader one \(_c_\S+-latch-\d{10}\)\nwaiting two \(_c_\S+\)\n", out), out
        j = json.loads(ok(hosts, "leader", "/relect", json=True).stdout)
        assert [(p["id"], p["leader"]) for p in j["participants"]] == [("one", True),
                                                                        ("two", False)]
    finally:
        release.touch()
        assert first.wait(timeout=30) == 0
        if second is not None:
            assert second.wait(timeout=30) == 0
    assert ok(hosts, "leader", "/relect").stdout == ""


# ---------------------------------------------------------------------------
# Service registry commands: services, services ls, services watch, services register


def test_services_register_ls_and_watch(hosts, tmp_path):
    release = tmp_path / "release"
    watch = subprocess.Popen([zkcli_binary(), "-server", hosts, "services", "watch", "svc"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reg = subprocess.Popen([zkcli_binary(), "-server", hosts, "services", "register", "svc",
                            "--id", "i1", "--address", "10.0.0.9", "--port", "7001",
                            "--payload", '{"weight":5}', "--", "sh", "-c",
                            "while [ ! -e %s ]; do sleep 0.05; done; exit 3" % release])
    try:
        deadline = time.monotonic() + 10
        out = ""
        while time.monotonic() < deadline:
            # `services watch` may create /services/svc before the instance is
            # registered, so "svc 0" can be seen first: wait for the instance.
            out = run(hosts, "services").stdout
            if out == "svc 1\n":
                break
            time.sleep(0.25)  # each poll is a new process and connection
        assert out == "svc 1\n", out
        out = ok(hosts, "services", "ls", "svc").stdout
        assert out == 'i1 10.0.0.9:7001 DYNAMIC payload={"weight":5}\n', out
        j = json.loads(ok(hosts, "services", "ls", "svc", "--json").stdout)
        inst = j["instances"][0]
        assert (inst["name"], inst["id"], inst["address"], inst["port"], inst["payload"],
                inst["serviceType"]) == ("svc", "i1", "10.0.0.9", 7001, {"weight": 5}, "DYNAMIC")
        # The node is Curator's layout: /services/<name>/<id>, ephemeral.
        assert "ephemeralOwner = 0x0\n" not in ok(hosts, "stat", "/services/svc/i1").stdout
    finally:
        release.touch()
        # The command's exit status is zkcli's; the instance goes with it.
        assert reg.wait(timeout=30) == 3
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and run(hosts, "services").stdout != "svc 0\n":
        time.sleep(0.25)
    assert run(hosts, "services").stdout == "svc 0\n"
    watch.send_signal(signal.SIGINT)
    out, err = watch.communicate(timeout=30)
    assert "Watching service svc" in err, err
    assert out.splitlines() == ["added i1 10.0.0.9:7001", "removed i1 10.0.0.9:7001"], out
    r = run(hosts, "services", "frobnicate")
    assert r.returncode != 0 and "services" in r.stderr, r.stderr
