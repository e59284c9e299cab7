"""An ensemble of real zabkeeper processes on loopback, for the replication tests.

Each member is a ZabkeeperServer (zkfixtures) with server.N lines and a myid file. Member N has
its own loopback address, 127.0.0.(10+N) (``Ensemble.address(N)``): its server.N line, its
clientPortAddress and its client connection string use it, and a zabkeeper member binds the
source address of its peer dials to it. Partitions are iptables rules that drop every packet to
or from a member's address on any member's peer ports, in both directions, so ``isolate(sid)``
cuts any member (the leader, whoever it is, included) from the others while clients still reach
it on its client port. The rules never outlive the test process (packet_filter).
"""
import os
import re
import shutil
import tempfile

from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

import packet_filter
from zkfixtures import (APACHE_CLASSPATH, JAVA, LOG4J_PROPERTIES, ApacheZooKeeper,
                        ZabkeeperServer, free_port, wait_until)


def serve(ensemble):
    """The body of an ensemble fixture (`yield from serve(Ensemble(...))`): yields the ensemble
    started, prints its members' logs when the test fails, and always cleans up."""
    try:
        yield ensemble.start()
    except BaseException:
        ensemble.dump_logs()
        raise
    finally:
        ensemble.cleanup()


def retrying_client(hosts, timeout=10.0):
    """A started kazoo client that keeps reconnecting (every 50-200 ms) through failovers."""
    c = KazooClient(hosts=hosts, timeout=timeout,
                    connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.2))
    c.start(timeout=15)
    return c


class MemberMixin(object):
    """What an ensemble member adds to a server: its server.N lines, myid and role queries."""

    def __init__(self, sid, servers_cfg, tmpdir, observer=False, host="127.0.0.1"):
        self.sid = sid
        self.servers_cfg = servers_cfg
        self.observer = observer
        super(MemberMixin, self).__init__(tmpdir=tmpdir, host=host,
                                          extra_cfg={"initLimit": 10, "syncLimit": 5})
        with open(os.path.join(self.data_dir, "myid"), "w") as f:
            f.write("%d\n" % sid)

    def cfg(self):
        cfg = super(MemberMixin, self).cfg()
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


class Member(MemberMixin, ZabkeeperServer):
    pass


class ApacheMember(MemberMixin, ApacheZooKeeper):
    """An Apache ZooKeeper quorum peer, started as Debian's zkServer.sh does (QuorumPeerMain,
    the JVM's default heap and collector), for side-by-side measurements."""

    def java_command(self):
        with open(os.path.join(self.tmpdir, "log4j.properties"), "w") as f:
            f.write(LOG4J_PROPERTIES.format(logfile=os.path.join(self.tmpdir, "zookeeper.log")))
        return [JAVA, "-Dzookeeper.log.dir=" + self.tmpdir,
                "-Dlog4j.configuration=file:" + os.path.join(self.tmpdir, "log4j.properties"),
                "-Dzookeeper.admin.enableServer=false", "-Dzookeeper.4lw.commands.whitelist=*",
                "-cp", ":".join([self.tmpdir] + APACHE_CLASSPATH),
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", self.cfg_path]

    def command(self):
        return self.java_command()


MEMBER_KINDS = {"zabkeeper": Member, "apache": ApacheMember}


class Ensemble(object):
    def __init__(self, voters=3, observers=0, kind="zabkeeper", extra_cfg=None):
        self.tmp = tempfile.mkdtemp(prefix="zk-ensemble-")
        n = voters + observers
        self.peer_ports = {}
        servers = {}
        for sid in range(1, n + 1):
            host = self.address(sid)
            q, e = free_port(host), free_port(host)
            self.peer_ports[sid] = (q, e)
            suffix = ":observer" if sid > voters else ""
            servers["server.%d" % sid] = "%s:%d:%d%s" % (host, q, e, suffix)
        self.members = {}
        for sid in range(1, n + 1):
            d = os.path.join(self.tmp, "s%d" % sid)
            os.makedirs(d)
            m = MEMBER_KINDS[kind](sid, servers, d, observer=sid > voters,
                                   host=self.address(sid))
            m.extra_cfg.update(extra_cfg or {})
            m.write_cfg()
            self.members[sid] = m
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

    @staticmethod
    def address(sid):
        """Member sid's own loopback address (peer ports and client port)."""
        return "127.0.0.%d" % (10 + sid)

    # -- partitions (iptables on the member's address, on every peer port) -----------------
    def isolate(self, sid):
        """Cuts member sid from every other member: every packet from or to its address on
        any member's quorum or election port is dropped (the connections it dials leave from
        its address, see the module comment). Its client port stays reachable."""
        assert sid in self.members, "no member %d" % sid
        ports = ",".join(str(p) for pair in self.peer_ports.values() for p in pair)
        host = self.address(sid)
        for who in ("-s", "-d"):
            for flag in ("--dports", "--sports"):
                self.rules.append(packet_filter.insert(
                    "INPUT", "-i", "lo", who, host, "-p", "tcp", "-m", "multiport", flag, ports,
                    "-j", "DROP"))

    def heal(self):
        for rule in self.rules:
            packet_filter.remove(rule)
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
