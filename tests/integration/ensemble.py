"""An ensemble of real zabkeeper processes on loopback, for the replication tests.

Each member is a ZabkeeperServer (zkfixtures) with server.N lines and a myid file. Partitions
cut a member's peer traffic with iptables rules on the peer ports (loopback): the member with
the lowest id never dials anyone (higher ids dial lower ones), so dropping every packet to or
from its own quorum and election ports isolates it completely while clients still reach it.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

from zkfixtures import ZabkeeperServer, free_port, wait_until


class Member(ZabkeeperServer):
    def __init__(self, sid, servers_cfg, tmpdir, observer=False):
        self.sid = sid
        self.servers_cfg = servers_cfg
        self.observer = observer
        super().__init__(tmpdir=tmpdir, extra_cfg={"initLimit": 10, "syncLimit": 5})
        with open(os.path.join(self.data_dir, "myid"), "w") as f:
            f.write("%d\n" % sid)

    def cfg(self):
        cfg = super().cfg()
        cfg.update(self.servers_cfg)
        if self.observer:
            cfg["peerType"] = "observer"
        return cfg

    def ready(self):
        # A member is up once it answers; serving needs a quorum, which the ensemble waits for.
        return self.four_letter("ruok", timeout=1.0).strip() == "imok"

    def mode(self):
        m = re.search(r"^Mode: (\w+)", self.four_letter("srvr", timeout=2.0), re.M)
        return m.group(1) if m else None

    def mntr(self):
        out = {}
        for line in self.four_letter("mntr", timeout=2.0).splitlines():
            parts = line.split("\t")
            if len(parts) == 2:
                out[parts[0]] = parts[1]
        return out

    def wipe(self):
        for name in os.listdir(self.data_dir):
            if name != "myid":
                p = os.path.join(self.data_dir, name)
                shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Ensemble(object):
    def __init__(self, voters=3, observers=0):
        self.tmp = tempfile.mkdtemp(prefix="zk-ensemble-")
        n = voters + observers
        self.peer_ports = {}
        servers = {}
        for sid in range(1, n + 1):
            q, e = free_port(), free_port()
            self.peer_ports[sid] = (q, e)
            suffix = ":observer" if sid > voters else ""
            servers["server.%d" % sid] = "127.0.0.1:%d:%d%s" % (q, e, suffix)
        self.members = {}
        for sid in range(1, n + 1):
            d = os.path.join(self.tmp, "s%d" % sid)
            os.makedirs(d)
            self.members[sid] = Member(sid, servers, d, observer=sid > voters)
        self.rules = []

    def start(self):
        for m in self.members.values():
            m.start()
        self.wait_serving()
        return self

    def wait_serving(self, members=None, timeout=30.0):
        members = members or [m for m in self.members.values() if m.running()]
        wait_until(lambda: all(m.mode() in ("leader", "follower", "observer") for m in members),
                   timeout, what="every member serving")

    def leader(self):
        for m in self.members.values():
            if m.running() and m.mode() == "leader":
                return m
        return None

    def hosts(self, members=None):
        return ",".join(m.hosts for m in (members or self.members.values()))

    # -- partitions (iptables on the isolated member's peer ports) --------------------------
    def isolate(self, sid):
        assert sid == min(self.members), "only the lowest id is isolated by its own ports"
        ports = ",".join(str(p) for p in self.peer_ports[sid])
        for flag in ("--dports", "--sports"):
            rule = ["INPUT", "-i", "lo", "-p", "tcp", "-m", "multiport", flag, ports, "-j", "DROP"]
            subprocess.check_call(["iptables", "-I"] + rule)
            self.rules.append(rule)

    def heal(self):
        for rule in self.rules:
            subprocess.call(["iptables", "-D"] + rule)
        self.rules = []

    def cleanup(self):
        self.heal()
        for m in self.members.values():
            m.cleanup()
        if not os.environ.get("ZK_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def dump_logs(self):
        import sys
        for sid, m in self.members.items():
            sys.stderr.write("---- member %d log ----\n%s\n" % (sid, m.log_tail(8000)))
