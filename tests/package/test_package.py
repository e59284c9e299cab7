"""The Debian packages end to end, on this machine (root, no systemd running):

cpack builds zabkeeper and zabkeeper-dev from the build dir; `dpkg -i` installs them; the files,
the conffile, the zabkeeper system user and its data directory are checked; the unit's
ExecStart line, read from the installed unit file, runs as the unit's User (the conffile is
edited to a free client port, as an operator would); zkcli creates and reads a znode; the server
stops on SIGTERM; `dpkg -r` keeps configuration, data and user; `dpkg --purge` removes them.

Whatever happens, the machine is left as it was: the fixture kills the server and purges both
packages, the user and the directories. The test skips when not root or when any of those
already exists (a real installation is never touched).

Environment: ZK_BUILD_DIR (the CMake build dir), ZK_CPACK (the cpack executable).
"""

import glob
import grp
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from zkfixtures import free_port  # noqa: E402  (one port allocator for every suite)

PACKAGES = ("zabkeeper", "zabkeeper-dev")
USER = "zabkeeper"
DATA_DIR = "/var/lib/zabkeeper"
CONF_DIR = "/etc/zabkeeper"
CONF = CONF_DIR + "/zoo.cfg"
UNIT = "/lib/systemd/system/zabkeeper.service"
WAIT_S = 60


def run(*argv, check=True, **kw):
    return subprocess.run(argv, check=check, capture_output=True, text=True, **kw)


def installed(package):
    r = run("dpkg-query", "-W", "-f=${db:Status-Status}", package, check=False)
    return r.returncode == 0 and r.stdout.strip() not in ("", "not-installed")


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def four_letter(port, word):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(word.encode())
            chunks = []
            while True:
                b = s.recv(4096)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


def unit_service_section(path):
    """The [Service] keys of a systemd unit file (the last value of a repeated key)."""
    section, keys = None, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
            elif section == "Service" and "=" in line:
                k, v = line.split("=", 1)
                keys[k.strip()] = v.strip()
    return keys


@pytest.fixture
def machine():
    """Skips unless the machine is free for the test; afterwards, restores it."""
    if os.geteuid() != 0:
        pytest.skip("installing packages needs root")
    for tool in ("dpkg", "dpkg-deb", "dpkg-shlibdeps", "file"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing (scripts/deps.sh package)")
    for p in PACKAGES:
        if installed(p):
            pytest.skip(f"package {p} is installed on this machine; not touching it")
    if user_exists(USER) or group_exists(USER):
        pytest.skip(f"user or group {USER} exists on this machine; not touching it")
    for d in (DATA_DIR, CONF_DIR):
        if os.path.exists(d):
            pytest.skip(f"{d} exists on this machine; not touching it")
    state = {"server": None}
    yield state
    server = state["server"]
    if server is not None and server.poll() is None:
        server.kill()
        server.wait()
    present = [p for p in PACKAGES if installed(p)]
    if present:
        run("dpkg", "--purge", *present, check=False)
    if user_exists(USER):
        run("userdel", USER, check=False)
    if group_exists(USER):
        run("groupdel", USER, check=False)
    for d in (DATA_DIR, CONF_DIR):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def debs(tmp_path):
    build_dir = os.environ["ZK_BUILD_DIR"]
    cpack = os.environ.get("ZK_CPACK", "cpack")
    out = tmp_path / "packages"
    r = run(cpack, "--config", os.path.join(build_dir, "CPackConfig.cmake"), "-G", "DEB",
            "-B", str(out), check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    found = {}
    for p in PACKAGES:
        files = glob.glob(str(out / f"{p}_*.deb"))
        assert len(files) == 1, (p, os.listdir(out))
        found[p] = files[0]
    return found


def test_package_install_run_purge(machine, debs, tmp_path):
    server_deb, dev_deb = debs["zabkeeper"], debs["zabkeeper-dev"]

    # The control data: shared-library dependencies computed, the conffile declared.
    depends = run("dpkg-deb", "-f", server_deb, "Depends").stdout
    for lib in ("libc6", "libstdc++6", "libssl3", "libleveldb"):
        assert lib in depends, depends
    assert run("dpkg-deb", "-I", server_deb, "conffiles").stdout.split() == [CONF]
    contents = run("dpkg-deb", "-c", server_deb).stdout
    for path in ("./usr/bin/zabkeeper", "./usr/bin/zkcli", "./usr/bin/zkbench", "." + UNIT, "." + CONF):
        assert re.search(rf" {re.escape(path)}$", contents, re.M), path
    assert "./usr/include/zabkeeper/client/zk_client.h" in run("dpkg-deb", "-c", dev_deb).stdout

    r = run("dpkg", "-i", server_deb, dev_deb, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    for p in PACKAGES:
        assert installed(p), p

    # Files.
    for prog in ("zabkeeper", "zkcli", "zkbench"):
        assert os.access(f"/usr/bin/{prog}", os.X_OK), prog
    assert "zabkeeper" in run("/usr/bin/zabkeeper", "--version").stdout
    assert CONF in run("dpkg-query", "-W", "-f=${Conffiles}", "zabkeeper").stdout
    with open(CONF) as f:
        conf = f.read()
    assert re.search(r"^dataDir=/var/lib/zabkeeper$", conf, re.M), conf
    assert os.path.exists("/usr/include/zabkeeper/client/zk_client.h")
    assert run("pkg-config", "--libs", "zabkeeper", check=False).stdout.find("-lzabkeeper_client") >= 0

    # The user and its data directory.
    user = pwd.getpwnam(USER)
    assert user.pw_uid < 1000, user
    assert user.pw_dir == DATA_DIR
    assert user.pw_shell.endswith("nologin")
    st = os.stat(DATA_DIR)
    assert (st.st_uid, st.st_gid) == (user.pw_uid, user.pw_gid)
    assert stat.S_IMODE(st.st_mode) == 0o750

    # The unit: its ExecStart, as its User, on a free port written into the conffile.
    service = unit_service_section(UNIT)
    assert service.get("User") == USER, service
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == "/usr/bin/zabkeeper" and CONF in argv, argv
    port, admin_port = free_port(), free_port()
    assert re.search(r"^admin\.serverPort=8080$", conf, flags=re.M), conf
    with open(CONF, "w") as f:
        edited = re.sub(r"^clientPort=\d+$", f"clientPort={port}", conf, flags=re.M)
        f.write(re.sub(r"^admin\.serverPort=\d+$", f"admin.serverPort={admin_port}", edited,
                       flags=re.M))
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        machine["server"] = subprocess.Popen(
            argv, user=USER, group=service.get("Group", USER), extra_groups=[], cwd="/",
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    server = machine["server"]

    def log_text():
        return log_path.read_text(errors="replace")

    deadline = time.monotonic() + WAIT_S
    while "Mode: standalone" not in four_letter(port, "srvr"):
        assert server.poll() is None, "the server exited:\n" + log_text()
        assert time.monotonic() < deadline, "the server did not serve:\n" + log_text()
        time.sleep(0.1)
    assert int(run("ps", "-o", "uid=", "-p", str(server.pid)).stdout) == user.pw_uid
    # Its AdminServer, as the packaged configuration enables it.
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/commands/ruok", timeout=5) as r:
        assert json.load(r) == {"command": "ruok", "error": None}

    endpoint = f"127.0.0.1:{port}"
    r = run("/usr/bin/zkcli", "-server", endpoint, "create", "/from-package", "installed",
            check=False, timeout=WAIT_S)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run("/usr/bin/zkcli", "-server", endpoint, "get", "/from-package", check=False,
            timeout=WAIT_S)
    assert r.returncode == 0 and "installed" in r.stdout.splitlines(), r.stdout + r.stderr

    # The server wrote its data as the zabkeeper user.
    written = [os.path.join(d, n) for d, _, names in os.walk(DATA_DIR) for n in names]
    assert written, "nothing under " + DATA_DIR
    assert all(os.stat(p).st_uid == user.pw_uid for p in written)

    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=WAIT_S) == 0, log_text()

    # remove keeps the (edited) configuration, the data and the user.
    r = run("dpkg", "-r", *PACKAGES, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not os.path.exists("/usr/bin/zabkeeper")
    assert not os.path.exists("/usr/include/zabkeeper")
    assert os.path.exists(CONF) and f"clientPort={port}" in open(CONF).read()
    assert os.listdir(DATA_DIR)
    assert user_exists(USER)

    # purge removes them.
    r = run("dpkg", "--purge", *PACKAGES, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    for p in PACKAGES:
        assert not installed(p), p
    assert not os.path.exists(CONF_DIR)
    assert not os.path.exists(DATA_DIR)
    assert not user_exists(USER)
    assert not group_exists(USER)
    assert not os.path.exists(UNIT)
