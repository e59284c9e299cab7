"""The AdminServer (admin.* keys): Apache ZooKeeper 3.8 and zabkeeper, each with the same tree,
session and watches, are asked every command over HTTP; the answers must have the same keys
(recursively), the same JSON types everywhere and the same values where they are
deterministic. The differences zabkeeper intends are listed here (INTENDED_DIFFERENCES) and in
docs/operations.md, "AdminServer". Then a 3-server ensemble of each answers leader,
voting_view and zabstate with the same shapes and the roles they have."""
import json
import ssl
import urllib.error
import urllib.request

import pytest
from kazoo.client import KazooClient

import tls_certs
from ensemble import Ensemble
from zkfixtures import free_port, make_server, skip_reason, wait_until

COMMANDS = {
    # primary name: aliases
    "configuration": ["conf", "config"],
    "connection_stat_reset": ["crst"],
    "connections": ["cons"],
    "dirs": [],
    "dump": [],
    "environment": ["env", "envi"],
    "get_trace_mask": ["gtmk"],
    "hash": [],
    "initial_configuration": ["icfg"],
    "is_read_only": ["isro"],
    "last_snapshot": ["lsnp"],
    "leader": ["lead"],
    "monitor": ["mntr"],
    "observer_connection_stat_reset": ["orst"],
    "observers": ["obsr"],
    "ruok": [],
    "server_stats": ["srvr"],
    "set_trace_mask": ["stmk"],
    "stat_reset": ["srst"],
    "stats": ["stat"],
    "system_properties": ["sysp"],
    "voting_view": [],
    "watch_summary": ["wchs"],
    "watches": ["wchc"],
    "watches_by_path": ["wchp"],
    "zabstate": [],
}

# Where zabkeeper's answer is meant to differ from Apache ZooKeeper 3.8's (docs/operations.md).
INTENDED_DIFFERENCES = {
    # ZooKeeper's metrics system has ~400 keys; zabkeeper reports the classic mntr keys (a
    # subset, same types) plus its own, below.
    "monitor": "key subset plus zabkeeper's own keys",
    # No JVM: only the Java property names that describe the process (a subset).
    "system_properties": "key subset",
    # ZooKeeper lists the digests it logged (none yet on a fresh server); zabkeeper the current.
    "hash": "digests list content",
}
ZABKEEPER_MONITOR_KEYS = {
    "min_proposal_size", "max_proposal_size", "last_proposal_size", "fsync_threshold_exceed_count",
    "fsync_count", "fsync_time_total_ms", "group_commit_max_batch", "digest",
    "last_zxid", "frames_rejected", "rss_bytes", "heap_allocated_bytes", "heap_free_bytes",
    "log_memory_bytes",
    "log_size_bytes", "snapshot_size_bytes",
    "forwarding_queue_length",
}

# Values that must be equal in both answers (after the same load), by command and key path.
DETERMINISTIC = {
    "configuration": [("tick_time",), ("max_client_cnxns",), ("min_session_timeout",),
                      ("max_session_timeout",), ("server_id",), ("client_port_listen_backlog",)],
    "get_trace_mask": [("tracemask",)],
    "is_read_only": [("read_only",)],
    "leader": [("error",)],
    "observers": [("synced_observers",), ("observers",)],
    "server_stats": [("read_only",), ("server_stats", "server_state"), ("node_count",),
                     ("server_stats", "num_alive_client_connections"),
                     ("server_stats", "outstanding_requests"), ("server_stats", "provider_null")],
    "set_trace_mask": [("error",)],
    "voting_view": [("current_config",)],
    "watch_summary": [("num_connections",), ("num_paths",), ("num_total_watches",)],
    "watches_by_path": [("path_to_session_ids",)],  # session ids mapped, see below
    "zabstate": [("voting",), ("zabstate",)],
}


def http_get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def command(port, name):
    status, ctype, body = http_get(port, "/commands/" + name)
    assert status == 200, (name, status, body)
    assert ctype.startswith("application/json"), (name, ctype)
    return json.loads(body)


# Objects whose keys are data (session ids, expiry times, paths, server ids): their values are
# compared by shape, their keys by test_session_keyed_answers_match and DETERMINISTIC.
DATA_KEYED = {".expiry_time_to_session_ids", ".session_id_to_ephemeral_paths",
              ".session_id_to_watched_paths", ".path_to_session_ids", ".current_config"}


def shape_differences(a, b, where=""):
    """Differences of keys (recursively) and JSON types between two answers."""
    out = []
    if type(a) is not type(b):
        return ["%s: %s vs %s" % (where or "answer", type(a).__name__, type(b).__name__)]
    if isinstance(a, dict) and where in DATA_KEYED:
        if a and b:
            out += shape_differences(next(iter(a.values())), next(iter(b.values())), where + "[*]")
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append("%s.%s: only in apache" % (where, k))
            elif k not in b:
                out.append("%s.%s: only in zabkeeper" % (where, k))
            else:
                out += shape_differences(a[k], b[k], "%s.%s" % (where, k))
    elif isinstance(a, list) and a and b:
        out += shape_differences(a[0], b[0], where + "[0]")
    return out


def at(d, path):
    for k in path:
        d = d[k]
    return d


def load(hosts):
    """The same load on either server: a tree, an ephemeral and two watches of one session."""
    zk = KazooClient(hosts=hosts, timeout=10)
    zk.start()
    zk.ensure_path("/a/b")
    zk.create("/e", b"x", ephemeral=True)
    zk.get("/a", watch=lambda e: None)
    zk.get_children("/a", watch=lambda e: None)
    return zk


def admin_cfg():
    return {"admin.enableServer": "true", "admin.serverAddress": "127.0.0.1",
            "admin.serverPort": free_port()}


@pytest.fixture(scope="module")
def servers():
    for kind in ("zabkeeper", "apache"):
        reason = skip_reason(kind)
        if reason:
            pytest.skip(reason)
    started = {}
    try:
        for kind in ("zabkeeper", "apache"):
            cfg = admin_cfg()
            s = make_server(kind, cfg)
            s.start()
            s.admin_port = int(cfg["admin.serverPort"])
            wait_until(lambda: http_get(s.admin_port, "/commands")[0] == 200, 60,
                       what="%s AdminServer" % kind)
            s.client = load(s.hosts)
            started[kind] = s
        yield started
    finally:
        for s in started.values():
            try:
                s.client.stop()
            except Exception:
                pass
            s.cleanup()


def test_the_listing_links_every_command(servers):
    import re
    bodies = {}
    for kind, s in servers.items():
        status, _, body = http_get(s.admin_port, "/commands")
        assert status == 200
        bodies[kind] = re.findall(r'<a href="/commands/(\w+)">(\w+)</a>', body)
    assert bodies["zabkeeper"] == bodies["apache"]
    assert [n for n, _ in bodies["zabkeeper"]] == sorted(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_apaches_shape(servers, name):
    z = command(servers["zabkeeper"].admin_port, name)
    a = command(servers["apache"].admin_port, name)
    assert z["command"] == a["command"] == name
    assert z["error"] == a["error"]
    diffs = shape_differences(z, a)
    if name == "monitor":
        only_z = {k for k in z if k not in a}
        assert only_z <= ZABKEEPER_MONITOR_KEYS, only_z - ZABKEEPER_MONITOR_KEYS
        diffs = [d for d in diffs if "only in apache" not in d and "only in zabkeeper" not in d]
    elif name == "system_properties":
        diffs = [d for d in diffs if "only in apache" not in d]
        assert all(isinstance(v, str) for v in z.values() if v is not None)
    elif name == "hash":
        assert isinstance(z["digests"], list) and isinstance(a["digests"], list)
        assert all(set(d) == {"zxid", "digest", "digestVersion"} for d in z["digests"])
        diffs = [d for d in diffs if not d.startswith(".digests")]
    assert diffs == [], diffs
    for path in DETERMINISTIC.get(name, []):
        if name == "watches_by_path":
            # Same watched paths, each watched by one session.
            assert sorted(at(z, path)) == sorted(at(a, path))
            assert all(len(v) == 1 for v in at(z, path).values())
            continue
        assert at(z, path) == at(a, path), (name, path)


def test_session_keyed_answers_match(servers):
    """dump and watches: the same paths under the one session of each server."""
    for kind, s in servers.items():
        sid = s.client.client_id[0]
        dump = command(s.admin_port, "dump")
        assert dump["session_id_to_ephemeral_paths"] == {str(sid): ["/e"]}, kind
        assert [sid] in dump["expiry_time_to_session_ids"].values(), kind
        watches = command(s.admin_port, "watches")
        assert watches["session_id_to_watched_paths"] == {str(sid): ["/a"]}, kind
        by_path = command(s.admin_port, "watches_by_path")
        assert by_path["path_to_session_ids"] == {"/a": [sid]}, kind


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_aliases_answer_as_the_primary_name(servers, name):
    port = servers["zabkeeper"].admin_port
    for alias in COMMANDS[name]:
        assert command(port, alias)["command"] == name


def test_unknown_command_and_set_trace_mask(servers):
    for s in servers.values():
        assert command(s.admin_port, "nosuch") == {"command": "nosuch",
                                                   "error": "Unknown command: nosuch"}
    answers = [command(s.admin_port, "set_trace_mask?traceMask=306") for s in servers.values()]
    assert answers[0] == answers[1]
    assert answers[0]["tracemask"] == 306


def test_admin_commands_ignore_the_four_letter_whitelist():
    """As ZooKeeper: 4lw.commands.whitelist limits the four-letter words only."""
    reason = skip_reason("zabkeeper")
    if reason:
        pytest.skip(reason)
    cfg = admin_cfg()
    cfg["4lw.commands.whitelist"] = "ruok"  # the fixture's readiness probe
    with make_server("zabkeeper", cfg) as s:
        port = int(cfg["admin.serverPort"])
        wait_until(lambda: http_get(port, "/commands")[0] == 200, 30, what="AdminServer")
        assert "not in the whitelist" in s.four_letter("mntr")
        assert command(port, "mntr")["server_state"] == "standalone"


def test_the_counters_reset_through_the_admin_server():
    reason = skip_reason("zabkeeper")
    if reason:
        pytest.skip(reason)
    cfg = admin_cfg()
    with make_server("zabkeeper", cfg) as s:
        port = int(cfg["admin.serverPort"])
        wait_until(lambda: http_get(port, "/commands")[0] == 200, 30, what="AdminServer")
        zk = load(s.hosts)
        try:
            assert command(port, "srvr")["server_stats"]["packets_received"] > 0
            command(port, "srst")
            assert command(port, "srvr")["server_stats"]["packets_received"] == 0
            assert command(port, "cons")["connections"][0]["packets_received"] > 0
            command(port, "crst")
            assert command(port, "cons")["connections"][0]["packets_received"] == 0
        finally:
            zk.stop()


def https_get(port, path, context):
    with urllib.request.urlopen("https://127.0.0.1:%d%s" % (port, path), timeout=30,
                                context=context) as r:
        return r.status, json.loads(r.read().decode())


@pytest.mark.skipif(not tls_certs.openssl_available(), reason="openssl command missing")
def test_https_with_the_client_ports_key_store(tmp_path):
    """admin.forceHttps=true serves HTTPS with ssl.keyStore.location; admin.needClientAuth=true
    also asks for a client certificate signed by ssl.trustStore.location."""
    reason = skip_reason("zabkeeper")
    if reason:
        pytest.skip(reason)
    pki = tls_certs.TestPki(str(tmp_path))
    cfg = admin_cfg()
    cfg.update({"admin.forceHttps": "true", "ssl.keyStore.location": pki.server.keystore,
                "ssl.trustStore.location": pki.ca.cert})
    port = int(cfg["admin.serverPort"])
    trusting = ssl.create_default_context(cafile=pki.ca.cert)
    with make_server("zabkeeper", cfg):
        assert https_get(port, "/commands/ruok", trusting) == (200, {"command": "ruok",
                                                                     "error": None})
        with pytest.raises((OSError, urllib.error.URLError)):
            http_get(port, "/commands/ruok")  # plain HTTP is not served

    cfg["admin.needClientAuth"] = "true"
    cfg["admin.serverPort"] = port = free_port()
    with make_server("zabkeeper", cfg):
        with pytest.raises((OSError, urllib.error.URLError)):
            https_get(port, "/commands/ruok", trusting)  # no client certificate
        with_cert = ssl.create_default_context(cafile=pki.ca.cert)
        with_cert.load_cert_chain(pki.client1.cert, pki.client1.key)
        assert https_get(port, "/commands/ruok", with_cert)[0] == 200


def test_force_https_without_a_key_store_stops_the_start():
    reason = skip_reason("zabkeeper")
    if reason:
        pytest.skip(reason)
    cfg = admin_cfg()
    cfg["admin.forceHttps"] = "true"
    s = make_server("zabkeeper", cfg)
    try:
        with pytest.raises(Exception):
            s.start()
        assert "ssl.keyStore.location" in s.log_tail()
    finally:
        s.cleanup()


def start_admin_ensemble(kind):
    e = Ensemble(3, 0, kind=kind, extra_cfg={"tickTime": 200} if kind == "zabkeeper" else {})
    for m in e.members.values():
        cfg = admin_cfg()
        m.admin_port = int(cfg["admin.serverPort"])
        m.extra_cfg.update(cfg)
        m.write_cfg()
    if kind == "apache":
        for m in e.members.values():
            # The member's java command turns the AdminServer off; zoo.cfg turns it back on.
            m.java_command = (lambda orig: lambda: [
                a for a in orig() if a != "-Dzookeeper.admin.enableServer=false"])(m.java_command)
    return e.start()


def roles_view(e):
    """Each member's leader, voting_view and zabstate answers, after a write."""
    zk = KazooClient(hosts=e.hosts(), timeout=10)
    zk.start()
    zk.create("/written", b"")
    zk.sync("/")
    zk.stop()
    out = {}
    for sid, m in e.members.items():
        wait_until(lambda: command(m.admin_port, "zabstate")["zabstate"] == "broadcast", 30,
                   what="member %d in broadcast" % sid)
        out[sid] = {n: command(m.admin_port, n) for n in ("leader", "voting_view", "zabstate")}
    return out


def test_ensemble_leader_voting_view_and_zabstate():
    reason = skip_reason("zabkeeper")
    if reason:
        pytest.skip(reason)
    e = start_admin_ensemble("zabkeeper")
    try:
        views = roles_view(e)
        leader = e.leader()
        assert leader is not None
        for sid, v in views.items():
            assert v["leader"]["error"] is None
            assert v["leader"]["leader_id"] == leader.sid
            assert v["leader"]["is_leader"] == (sid == leader.sid)
            assert v["leader"]["leader_ip"] == e.address(leader.sid)
            config = v["voting_view"]["current_config"]
            assert sorted(config) == ["1", "2", "3"]
            for peer_sid, view in config.items():
                q, el = e.peer_ports[int(peer_sid)]
                assert view["server_addresses"] == ["%s:%d" % (e.address(int(peer_sid)), q)]
                assert view["election_addresses"] == ["%s:%d" % (e.address(int(peer_sid)), el)]
                assert view["learner_type"] == "participant"
                own = e.members[sid].hosts
                assert view["client_address"] == (own if int(peer_sid) == sid else "")
            z = v["zabstate"]
            assert z["myid"] == sid and z["voting"] is True
            q, el = e.peer_ports[sid]
            assert z["quorum_address"]["one"] == "%s:%d" % (e.address(sid), q)
            assert z["election_address"]["all_ports"] == [el]
            assert z["client_address"] == e.members[sid].hosts
            assert z["is_leader"] == (sid == leader.sid)
            assert z["zabstate"] == "broadcast"
            assert z["zab_epoch"] >= 1 and z["zab_counter"] >= 1
            assert z["last_zxid"] == "0x%x" % (z["zab_epoch"] << 32 | z["zab_counter"])
        if skip_reason("apache") is None:
            a = start_admin_ensemble("apache")
            try:
                apache_views = roles_view(a)
                for name in ("leader", "voting_view", "zabstate"):
                    assert shape_differences(views[1][name], apache_views[1][name]) == [], name
            finally:
                a.cleanup()
    except BaseException:
        e.dump_logs()
        raise
    finally:
        e.cleanup()
