"""The Prometheus endpoint (metricsProvider.*) scraped by Debian's real Prometheus server: a
3-server zabkeeper ensemble exports /metrics on free ports, a temporary Prometheus scrapes the
three every second, and the figures are read back through Prometheus' HTTP query API."""
import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request

import pytest

from ensemble import Ensemble, retrying_client, serve
from zkfixtures import _die_with_parent, free_port, wait_until

PROMETHEUS = "/usr/bin/prometheus"
PROVIDER = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"
CREATED = 20  # children the test creates, plus their parent

pytestmark = pytest.mark.skipif(not os.path.exists(PROMETHEUS),
                                reason="Debian's prometheus is not installed")


def http_get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8")


class Prometheus(object):
    """A throwaway Prometheus server scraping `targets` every second."""

    def __init__(self, targets):
        self.tmp = tempfile.mkdtemp(prefix="zk-prometheus-")
        self.port = free_port()
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: zabkeeper\n    static_configs:\n"
                    "      - targets: [%s]\n" % ", ".join("'%s'" % t for t in targets))
        self.log = open(os.path.join(self.tmp, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + cfg,
             "--storage.tsdb.path=" + os.path.join(self.tmp, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent)
        wait_until(self.ready, 60.0, interval=0.2, what="prometheus ready")

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("prometheus exited:\n" + self.log_text())
        try:
            return http_get("http://127.0.0.1:%d/-/ready" % self.port, timeout=1.0) != ""
        except OSError:
            return False

    def query(self, expr):
        """{instance: float} of an instant query."""
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.port, urllib.parse.urlencode({"query": expr}))
        reply = json.loads(http_get(url))
        assert reply["status"] == "success", reply
        return {r["metric"].get("instance", ""): float(r["value"][1])
                for r in reply["data"]["result"]}

    def log_text(self):
        with open(os.path.join(self.tmp, "prometheus.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")[-6000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture
def ensemble():
    e = Ensemble(3, 0, extra_cfg={"tickTime": 200,
                                  "metricsProvider.className": PROVIDER,
                                  "metricsProvider.httpHost": "127.0.0.1",
                                  "metricsProvider.exportJvmInfo": "false"})
    for m in e.members.values():
        m.metrics_port = free_port()
        m.extra_cfg["metricsProvider.httpPort"] = m.metrics_port
        m.write_cfg()
    yield from serve(e)


def test_prometheus_scrapes_the_ensemble(ensemble):
    members = list(ensemble.members.values())
    targets = ["127.0.0.1:%d" % m.metrics_port for m in members]

    # Each member serves the text format itself.
    text = http_get("http://%s/metrics" % targets[0])
    assert "# TYPE znode_count gauge" in text
    assert "# TYPE readlatency summary" in text
    assert 'updatelatency{quantile="0.99"}' in text

    before = int(members[0].mntr()["zk_znode_count"])
    zk = retrying_client(ensemble.hosts())
    try:
        zk.create("/metrics-test", b"")
        for i in range(CREATED - 1):
            zk.create("/metrics-test/n%02d" % i, b"x" * 10)
        zk.sync("/")
        expected = before + CREATED
        wait_until(lambda: all(int(m.mntr()["zk_znode_count"]) == expected for m in members),
                   30.0, what="every member applied the creates")

        prom = Prometheus(targets)
        try:
            # znode_count: the same on all three, and what mntr says, once scraped.
            counts = wait_until(
                lambda: (lambda r: r if len(r) == 3 and set(r.values()) == {expected} else None)(
                    prom.query("znode_count")),
                60.0, interval=0.2, what="znode_count of all three scraped")
            assert set(counts) == set(targets)

            # The leader proposed every write; each member's quorum is 3; each member looked
            # for a leader at least once (at start) and timed how long that took.
            assert set(prom.query("quorum_size").values()) == {3.0}
            looked = prom.query("looking_count")
            assert len(looked) == 3 and all(v >= 1 for v in looked.values())
            elections = prom.query("election_time_count")
            assert len(elections) == 3 and all(v >= 1 for v in elections.values())
            leader_target = "127.0.0.1:%d" % ensemble.leader().metrics_port
            proposals = wait_until(lambda: prom.query("proposal_count").get(leader_target),
                                   30.0, interval=0.2, what="proposal_count scraped")
            assert proposals >= CREATED

            # packets_received grows as the client keeps talking.
            first = wait_until(lambda: prom.query("sum(packets_received)").get(""), 30.0,
                               interval=0.2, what="packets_received scraped")
            for i in range(50):
                zk.get("/metrics-test/n%02d" % (i % (CREATED - 1)))
            wait_until(lambda: prom.query("sum(packets_received)").get("", 0) > first, 30.0,
                       interval=0.2, what="packets_received to grow")

            # The latency summaries carry their quantiles; writes were timed on the member
            # holding the client's connection.
            q99 = wait_until(lambda: prom.query('readlatency{quantile="0.99"}'), 30.0,
                             interval=0.2, what="readlatency quantile scraped")
            assert len(q99) == 3 and all(v >= 0 for v in q99.values())
            writes = wait_until(
                lambda: prom.query("sum(updatelatency_count)").get("", 0) >= CREATED, 30.0,
                interval=0.2, what="updatelatency_count")
            assert writes
            assert len(prom.query('updatelatency{quantile="0.5"}')) == 3
            fsyncs = wait_until(lambda: prom.query("fsynctime_count"), 30.0, interval=0.2,
                                what="fsynctime scraped")
            assert len(fsyncs) == 3 and all(v > 0 for v in fsyncs.values())

            # The allocator's live heap, as mntr also reports it: a member holding a tree,
            # sessions and buffers has some (0 would mean the allocator could not be asked).
            heap = prom.query("zabkeeper_heap_allocated_bytes")
            assert len(heap) == 3 and all(v > 0 for v in heap.values())
            assert int(members[0].mntr()["zk_heap_allocated_bytes"]) > 0
        except BaseException:
            import sys
            sys.stderr.write("---- prometheus log ----\n%s\n" % prom.log_text())
            raise
        finally:
            prom.stop()
    finally:
        zk.stop()
        zk.close()


def test_unknown_metrics_provider_is_a_startup_error(tmp_path):
    from zkfixtures import ZabkeeperServer
    s = ZabkeeperServer(tmpdir=str(tmp_path),
                        extra_cfg={"metricsProvider.className": "com.example.NoSuchProvider"})
    out = subprocess.run(s.command(), capture_output=True, timeout=30)
    assert out.returncode != 0
    assert b"metricsProvider.className" in out.stdout + out.stderr


def test_metrics_port_in_use_is_a_startup_error(tmp_path):
    import socket
    from zkfixtures import ZabkeeperServer
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        s = ZabkeeperServer(tmpdir=str(tmp_path),
                            extra_cfg={"metricsProvider.className": PROVIDER,
                                       "metricsProvider.httpHost": "127.0.0.1",
                                       "metricsProvider.httpPort": busy.getsockname()[1]})
        out = subprocess.run(s.command(), capture_output=True, timeout=30)
        assert out.returncode != 0
        assert b"metricsProvider" in out.stdout + out.stderr
    finally:
        busy.close()
