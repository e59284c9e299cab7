"""zk::discovery and Apache Curator's curator-x-discovery share one registry.

Curator → C++: tests/java/CuratorDiscoveryPeer registers two instances of "java-svc" with
Curator 5.4's ServiceDiscovery (a Map payload with a list in it, an sslPort and a UriSpec on one,
the other disabled) and prints each as Curator's JsonInstanceSerializer writes it; `recipe_tool
discovery-list` (a zk::discovery::ServiceCache) must see both with every field equal, the
payload and the UriSpec included (compared as parsed JSON).

C++ → Curator: `recipe_tool discovery-register` registers two instances of "cpp-svc" (a
payload object with nested members, a UriSpec, one disabled); a Curator ServiceCache must see
both, and
Curator's serialization of what it decoded must equal ours field for field, and Curator must
read cpp-2 as disabled (we write "enabled":false when it is false); Curator builds the
URI from our UriSpec; Curator's queryForNames lists both services.

Against a 3-member zabkeeper ensemble and Apache ZooKeeper (test_recipes_interop's servers
fixture). Needs a JDK and Debian's Curator jars: skipped without them, except in CI (a failure).
"""
import json
import subprocess

import pytest

import java_support as js
import test_recipes_interop as ri
import zkfixtures as zf
# The shared fixtures (pytest finds fixtures among a module's names).
from test_recipes_interop import hosts, java_classes, servers  # noqa: F401

BASE = "/interop/services"

CPP_INSTANCES = [
    {"name": "cpp-svc", "id": "cpp-1", "address": "192.168.7.1", "port": 9001, "sslPort": None,
     "payload": {"zone": "us-1", "weight": 7, "meta": {"owner": "team-a", "tags": ["x", "y"]}},
     "registrationTimeUTC": 1764800000001, "serviceType": "DYNAMIC",
     "uriSpec": {"parts": [{"value": "scheme", "variable": True},
                           {"value": "://", "variable": False},
                           {"value": "address", "variable": True},
                           {"value": ":", "variable": False},
                           {"value": "port", "variable": True},
                           {"value": "/rpc", "variable": False}]},
     "enabled": True},
    {"name": "cpp-svc", "id": "cpp-2", "address": "192.168.7.2", "port": 9002, "sslPort": 9443,
     "payload": {"zone": "us-2", "weight": 3}, "registrationTimeUTC": 1764800000002,
     "serviceType": "DYNAMIC", "uriSpec": None, "enabled": False},
]


def seen_lines(out, prefix="seen "):
    return sorted((json.loads(l[len(prefix):]) for l in out.splitlines() if l.startswith(prefix)),
                  key=lambda i: i["id"])


def need_java(java_classes):  # noqa: F811 - the fixture
    if java_classes is None:
        pytest.skip("no JDK or Curator")


def test_cpp_cache_sees_curator_instances(hosts, java_classes):  # noqa: F811
    need_java(java_classes)
    with ri.Contention("discovery") as c:
        c.java(java_classes, "CuratorDiscoveryPeer", "curator",
               [hosts, BASE, "register", "java-svc"])
        j = c.jvms[0]
        line = j.next_line()
        while line is not None and line != "ACTION registered":  # both are registered
            line = j.next_line()
        assert line is not None, "the Curator peer exited: %s" % j.failure()
        registered = sorted((json.loads(l[len("instance "):]) for l in j.lines
                             if l.startswith("instance ")), key=lambda i: i["id"])
        assert [i["id"] for i in registered] == ["java-1", "java-2"], j.lines
        r = subprocess.run([ri.recipe_tool(), "discovery-list", "--hosts", hosts, "--base", BASE,
                            "--name", "java-svc", "--count", "2"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        seen = seen_lines(r.stdout)
        assert seen == registered, "ours:\n%s\nCurator's:\n%s" % (seen, registered)
        # Written back by us, byte for byte what Curator wrote.
        ours = sorted(l[len("seen "):] for l in r.stdout.splitlines() if l.startswith("seen "))
        theirs = sorted(l[len("instance "):] for l in j.lines if l.startswith("instance "))
        assert ours == theirs
        j.go()
        j.finish()


def test_curator_cache_sees_cpp_instances(hosts, java_classes):  # noqa: F811
    need_java(java_classes)
    reg = subprocess.Popen(
        [ri.recipe_tool(), "discovery-register", "--hosts", hosts, "--base", BASE] +
        sum((["--instance", json.dumps(i)] for i in CPP_INSTANCES), []),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=zf._die_with_parent)
    try:
        for i in CPP_INSTANCES:
            line = reg.stdout.readline()
            assert line.strip() == "registered " + i["id"], (line, reg.stderr.read())
        r = subprocess.run(js.java_command(java_classes, "CuratorDiscoveryPeer",
                                           [hosts, BASE, "list", "cpp-svc", "2"]),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        seen = seen_lines(r.stdout)
        for i in seen:
            # Curator re-serializes the Map it decoded our payload into with its type id.
            assert i["payload"].pop("@class") == "java.util.LinkedHashMap", i
        # Curator's default serializer writes no "enabled": that one is checked on its own.
        expected = [{k: v for k, v in i.items() if k != "enabled"} for i in CPP_INSTANCES]
        assert seen == expected, "Curator decoded:\n%s" % seen
        enabled = sorted(l.split()[1:] for l in r.stdout.splitlines() if l.startswith("enabled "))
        assert enabled == [["cpp-1", "true"], ["cpp-2", "false"]], r.stdout
        uris = [l.split(" ", 2)[1:] for l in r.stdout.splitlines() if l.startswith("uri ")]
        assert uris == [["cpp-1", "http://192.168.7.1:9001/rpc"]], r.stdout
        names = next(l for l in r.stdout.splitlines() if l.startswith("names "))
        assert "cpp-svc" in names.split(" ", 1)[1].split(","), names
    finally:
        reg.stdin.close()
        assert reg.wait(timeout=30) == 0, reg.stderr.read()
