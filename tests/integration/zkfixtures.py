"""Server fixtures for the integration suites.

Two interchangeable server wrappers with the same interface:

* ``ZabkeeperServer(extra_cfg)`` runs ``$ZK_BIN_DIR/zabkeeper --config <cfg>``.
* ``ApacheZooKeeper(extra_cfg)`` runs Debian's Apache ZooKeeper 3.8
  (``org.apache.zookeeper.server.ZooKeeperServerMain``) directly with java.

Both write a zoo.cfg into a private temp dir (dataDir under it, a free loopback
clientPort, ``clientPortAddress=127.0.0.1``, ``4lw.commands.whitelist=*``,
``tickTime=2000`` unless overridden), capture the server's output in
``<tmp>/server.log``, and wait until ``ruok`` answers ``imok`` (polling against a
deadline).  ``stop()`` sends SIGTERM and waits, ``kill9()`` SIGKILLs,
``restart()`` starts again on the same port with the same dataDir.

Keys in ``extra_cfg`` are written to zoo.cfg.  For Apache, keys that ZooKeeper
only reads as *system properties without the ``zookeeper.`` prefix*
(``znode.container.*``) are also passed as ``-D`` options, so the same dict
configures both servers; zabkeeper is expected to read them from zoo.cfg.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

ZK_JAR_DIR = "/usr/share/java"
# zookeeper.jar's manifest Class-Path pulls in jute, netty, jetty, slf4j-api...
# It has no slf4j binding, so add log4j 1.2 + slf4j-log4j12 to get a log file.
APACHE_CLASSPATH = [
    ZK_JAR_DIR + "/zookeeper.jar",
    ZK_JAR_DIR + "/slf4j-log4j12.jar",
    ZK_JAR_DIR + "/log4j-1.2.jar",
    # The AdminServer (Jetty, which the manifest brings) needs the servlet API, which it does
    # not (Debian's libservlet-api-java).
    ZK_JAR_DIR + "/servlet-api.jar",
]
JAVA = "/usr/bin/java"

# zoo.cfg keys that Apache ZooKeeper reads as bare system properties.
APACHE_SYSPROP_KEYS = (
    "znode.container.checkIntervalMs",
    "znode.container.maxPerMinute",
    "znode.container.maxNeverUsedIntervalMs",
    "zookeeper.snapCount",
    "zookeeper.snapshot.compression.method",
)

LOG4J_PROPERTIES = """\
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File={logfile}
log4j.appender.FILE.Append=true
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{{ISO8601}} %-5p [%t:%C{{1}}@%L] - %m%n
"""


def zk_bin_dir():
    return os.environ.get("ZK_BIN_DIR") or os.path.join(HERE, "..", "..", "build", "bin")


def zabkeeper_binary():
    return os.path.join(zk_bin_dir(), "zabkeeper")


def zabkeeper_available():
    b = zabkeeper_binary()
    return os.path.isfile(b) and os.access(b, os.X_OK)


def apache_available():
    return os.path.isfile(JAVA) and os.path.isfile(APACHE_CLASSPATH[0])


def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# Ports handed out by free_port in this process; never handed out twice.
_ports_given = set()
# Listening ports come from below the kernel's ephemeral range, so that no outgoing connection
# (a server dialing a peer, a client) can take one between the probe and the server's bind.
_PORT_RANGE = (20000, 32767)


def _ephemeral_floor():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(host="127.0.0.1"):
    """A TCP port that is free on a loopback address now and that this process has not handed
    out before: two calls never return the same port (probing with bind(0) and closing could),
    and the port lies below the ephemeral range so outgoing connections don't take it."""
    low, high = _PORT_RANGE[0], min(_PORT_RANGE[1], _ephemeral_floor() - 1)
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(1000):
        port = rng.randint(low, high)
        if port in _ports_given:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((host, port))
        except OSError:
            continue
        finally:
            s.close()
        _ports_given.add(port)
        return port
    raise RuntimeError("no free port on %s in %d..%d" % (host, low, high))


def four_letter(host, port, word, timeout=5.0):
    """Send a four-letter word, return the full reply as str ('' on failure)."""
    if isinstance(word, str):
        word = word.encode()
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(word)
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except socket.timeout:
                    break
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return ""


def wait_until(pred, timeout, interval=0.05, what="condition"):
    """Poll pred() until truthy or the deadline passes; return its value or raise."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def _die_with_parent():
    """preexec_fn: SIGKILL the server if the test process dies (prctl PDEATHSIG),
    so an interrupted pytest never leaves servers behind."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


class ServerError(Exception):
    pass


class BaseServer(object):
    kind = "base"
    start_timeout = 30.0

    def __init__(self, extra_cfg=None, tmpdir=None, port=None, host="127.0.0.1"):
        self.extra_cfg = dict(extra_cfg or {})
        self._own_tmp = tmpdir is None
        self.tmpdir = tmpdir or tempfile.mkdtemp(prefix="zk-%s-" % self.kind)
        self.data_dir = os.path.join(self.tmpdir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.cfg_path = os.path.join(self.tmpdir, "zoo.cfg")
        self.log_path = os.path.join(self.tmpdir, "server.log")
        self.host = host
        self.port = port or free_port(host)
        self.proc = None
        self._logf = None
        self.write_cfg()

    # -- configuration -------------------------------------------------
    def cfg(self):
        cfg = {
            "tickTime": "2000",
            "dataDir": self.data_dir,
            "clientPort": str(self.port),
            "clientPortAddress": self.host,
            "4lw.commands.whitelist": "*",
            # On by default at :8080 in both servers, so every server of a run would collide
            # there; tests that exercise the AdminServer turn it on with a free port.
            "admin.enableServer": "false",
        }
        for k, v in self.extra_cfg.items():
            cfg[k] = str(v)
        return cfg

    def write_cfg(self):
        with open(self.cfg_path, "w") as f:
            for k, v in self.cfg().items():
                f.write("%s=%s\n" % (k, v))

    @property
    def hosts(self):
        return "%s:%d" % (self.host, self.port)

    # -- process control -------------------------------------------------
    def command(self):
        raise NotImplementedError

    def env(self):
        return dict(os.environ)

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            raise ServerError("%s already running" % self.kind)
        self._logf = open(self.log_path, "ab")
        self._logf.write(("\n==== start %s at %s ====\n" % (self.kind, time.ctime())).encode())
        self._logf.flush()
        self.proc = subprocess.Popen(
            self.command(), stdout=self._logf, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=self.tmpdir, env=self.env(),
            start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerError("%s exited with %s during startup\n%s" % (
                    self.kind, self.proc.returncode, self.log_tail()))
            if self.ready():
                return self
            if time.monotonic() > deadline:
                self.kill9()
                raise ServerError("%s did not answer ruok within %.0fs\n%s" % (
                    self.kind, self.start_timeout, self.log_tail()))
            time.sleep(0.1)

    def ready(self):
        """ruok answers imok and the server is actually serving (Apache answers
        imok while still loading, and srvr then says 'not currently serving')."""
        if self.four_letter("ruok", timeout=1.0).strip() != "imok":
            return False
        srvr = self.four_letter("srvr", timeout=1.0)
        return bool(srvr) and "not currently serving" not in srvr

    def _wait_port_closed(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.05)

    def stop(self, timeout=30.0):
        """SIGTERM and wait (SIGKILL if it does not exit in time). Returns exit code."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        self._close_log()
        self.proc = None
        self._wait_port_closed()
        return rc

    def kill9(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
        rc = self.proc.wait()
        self._close_log()
        self.proc = None
        self._wait_port_closed()
        return rc

    def restart(self, hard=False):
        if hard:
            self.kill9()
        else:
            self.stop()
        return self.start()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _close_log(self):
        if self._logf is not None:
            self._logf.close()
            self._logf = None

    def cleanup(self):
        self.kill9()
        if self._own_tmp and not os.environ.get("ZK_KEEP_TMP"):
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def four_letter(self, word, timeout=5.0):
        return four_letter(self.host, self.port, word, timeout=timeout)

    def log_tail(self, nbytes=20000):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - nbytes))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return "<no log>"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if exc[0] is not None:
            sys.stderr.write("---- %s log (%s) ----\n%s\n" % (self.kind, self.log_path, self.log_tail()))
        self.cleanup()

    def __repr__(self):
        return "<%s %s dir=%s>" % (self.__class__.__name__, self.hosts, self.tmpdir)


class ZabkeeperServer(BaseServer):
    kind = "zabkeeper"
    start_timeout = 30.0

    def command(self):
        b = zabkeeper_binary()
        if not os.path.isfile(b):
            raise ServerError("zabkeeper binary not found at %s (set ZK_BIN_DIR)" % b)
        return [b, "--config", self.cfg_path]


class ApacheZooKeeper(BaseServer):
    """Debian's Apache ZooKeeper 3.8, standalone, in the foreground.

    Same as ``zkServer.sh start-foreground`` with ZOOMAIN=ZooKeeperServerMain
    (zkEnv.sh's CLASSPATH is /etc/zookeeper/conf:/usr/share/java/zookeeper.jar;
    the jar's manifest brings the rest), plus a log4j binding writing to the
    temp dir, the admin server off unless asked for (it would bind :8080) and JVM flags that
    make startup cheaper on a small machine.
    """
    kind = "apache"
    start_timeout = 60.0

    def java_command(self):
        return apache_java_command(self.tmpdir, self.cfg_path, self.log_path, self.extra_cfg)

    def command(self):
        with open(os.path.join(self.tmpdir, "log4j.properties"), "w") as f:
            f.write(LOG4J_PROPERTIES.format(logfile=os.path.join(self.tmpdir, "zookeeper.log")))
        return self.java_command()

    def log_tail(self, nbytes=20000):
        out = super(ApacheZooKeeper, self).log_tail(nbytes // 2)
        p = os.path.join(self.tmpdir, "zookeeper.log")
        try:
            with open(p, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - nbytes // 2))
                out += "\n---- zookeeper.log ----\n" + f.read().decode("utf-8", "replace")
        except OSError:
            pass
        return out


def apache_java_command(conf_dir, cfg_path, log_path, extra_cfg=None):
    """The java command line used for Apache ZooKeeper (also by scripts/zk-reference.sh)."""
    extra_cfg = extra_cfg or {}
    props = {
        "zookeeper.log.dir": os.path.dirname(log_path),
        "log4j.configuration": "file:" + os.path.join(conf_dir, "log4j.properties"),
        "zookeeper.admin.enableServer": str(extra_cfg.get("admin.enableServer", "false")).lower(),
        "zookeeper.4lw.commands.whitelist": "*",
        "zookeeper.jmx.log4j.disable": "true",
    }
    if str(extra_cfg.get("extendedTypesEnabled", "")).lower() == "true":
        props["zookeeper.extendedTypesEnabled"] = "true"
    for k in APACHE_SYSPROP_KEYS:
        if k in extra_cfg:
            props[k] = str(extra_cfg[k])
    cmd = [JAVA, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
           "-Xshare:auto"]
    cmd += ["-D%s=%s" % kv for kv in sorted(props.items())]
    cmd += ["-cp", ":".join([conf_dir] + APACHE_CLASSPATH),
            "org.apache.zookeeper.server.ZooKeeperServerMain", cfg_path]
    return cmd


SERVER_KINDS = {"zabkeeper": ZabkeeperServer, "apache": ApacheZooKeeper}


def make_server(kind, extra_cfg=None, **kw):
    return SERVER_KINDS[kind](extra_cfg, **kw)


def skip_reason(kind):
    """None if servers of this kind can run here, else why not.

    Missing zabkeeper is a skip locally but an error in CI (CI=true)."""
    if kind == "zabkeeper" and not zabkeeper_available():
        if in_ci():
            return None  # let it fail loudly
        return "zabkeeper binary not built (%s)" % zabkeeper_binary()
    if kind == "apache" and not apache_available():
        return "Apache ZooKeeper not installed (%s)" % APACHE_CLASSPATH[0]
    return None


def default_kinds():
    """Server kinds for parametrized protocol tests; ZK_SERVERS=apache,zabkeeper overrides."""
    env = os.environ.get("ZK_SERVERS")
    if env:
        return [k.strip() for k in env.split(",") if k.strip()]
    return ["zabkeeper", "apache"]


def parse_mntr(text):
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        k, sep, v = line.partition("\t")
        if not sep:
            raise ValueError("mntr line without tab: %r" % line)
        out[k] = v
    return out


if __name__ == "__main__":
    # Manual helper: python3 zkfixtures.py apache|zabkeeper  -> runs until Ctrl-C
    kind = sys.argv[1] if len(sys.argv) > 1 else "apache"
    s = make_server(kind)
    s.start()
    print(s.hosts, s.tmpdir, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        s.cleanup()
