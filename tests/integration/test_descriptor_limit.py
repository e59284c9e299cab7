"""A server out of file descriptors keeps serving and does not spin.

The server runs with a low RLIMIT_NOFILE, and idle TCP connections take every descriptor left.
accept() then fails with EMFILE while the listening socket stays readable: a server that
retried at once would burn a CPU and write a log line per try. zabkeeper pauses accepting
(50 ms, doubling to 1 s), logs the episode once, keeps serving the sessions it has, and accepts
the waiting connections once descriptors are free again.
"""

import os
import socket
import time

import pytest
from kazoo.client import KazooClient

import zkfixtures as zf

pytestmark = pytest.mark.zabkeeper_only

NOFILE = 96


class LimitedServer(zf.ZabkeeperServer):
    def command(self):
        return ["/bin/sh", "-c", 'ulimit -n %d && exec "$@"' % NOFILE, "sh"] + \
            super(LimitedServer, self).command()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_accept_pauses_when_out_of_descriptors():
    if zf.skip_reason("zabkeeper"):
        pytest.skip(zf.skip_reason("zabkeeper"))
    srv = LimitedServer({"maxClientCnxns": "0"})  # all from one address
    idle = []
    try:
        srv.start()
        pid = srv.proc.pid
        with open("/proc/%d/limits" % pid) as f:
            assert any(l.startswith("Max open files") and " %d " % NOFILE in l for l in f)
        c = KazooClient(hosts=srv.hosts, timeout=15)
        c.start(timeout=15)
        c.create("/before", b"1")

        # Idle connections until the server has no descriptor left, and a few more that wait in
        # the listen backlog.
        free = NOFILE - open_fds(pid)
        for _ in range(free + 8):
            s = socket.create_connection((srv.host, srv.port), timeout=5)
            idle.append(s)
        zf.wait_until(lambda: open_fds(pid) == NOFILE, 10, what="every descriptor in use")

        # Out of descriptors for 2 s: the server sleeps between tries instead of spinning.
        before = cpu_seconds(pid)
        time.sleep(2.0)
        used = cpu_seconds(pid) - before
        assert used < 0.5, "%.2f s of CPU in 2 s while out of descriptors" % used
        log = srv.log_tail(200000)
        assert log.count("pausing accepts") == 1
        assert log.count("accept failed") == 1  # the one line of the episode

        # The session it had keeps working (no descriptor needed for that).
        c.set("/before", b"2")
        assert c.get("/before")[0] == b"2"

        # Descriptors free again: the waiting connections are accepted and new clients served.
        for s in idle[:-8]:
            s.close()
        del idle[:-8]
        c2 = KazooClient(hosts=srv.hosts, timeout=15)
        c2.start(timeout=15)
        assert c2.get("/before")[0] == b"2"
        c2.stop()
        c2.close()
        zf.wait_until(lambda: "accepting connections again" in srv.log_tail(200000), 10,
                      what="the end of the pause logged")
        c.stop()
        c.close()
    finally:
        for s in idle:
            s.close()
        srv.cleanup()
