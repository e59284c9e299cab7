"""TLS on the client port: secureClientPort with ssl.* keys, ssl.clientAuth, port unification,
the x509 ACL scheme and certificate reload, driven by kazoo (use_ssl) and python's ssl module.
Certificates are made by the test with the openssl command (tls_certs.py)."""

import os
import socket
import ssl
import tempfile

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import ACL, Id, Permissions

import tls_certs
import zkfixtures as zf

pytestmark = [
    pytest.mark.skipif(not zf.zabkeeper_available(), reason="zabkeeper binary not built"),
    pytest.mark.skipif(not tls_certs.openssl_available(), reason="openssl command missing"),
]


@pytest.fixture(scope="module")
def pki():
    d = tempfile.mkdtemp(prefix="zk-tls-pki-")
    yield tls_certs.TestPki(d)
    if not os.environ.get("ZK_KEEP_TMP"):
        import shutil
        shutil.rmtree(d, ignore_errors=True)


def start_server(request, extra):
    server = zf.ZabkeeperServer(extra_cfg=extra)
    request.addfinalizer(server.cleanup)
    try:
        server.start()
    except Exception:
        server.cleanup()
        raise
    return server


@pytest.fixture
def secure_server(request, pki):
    """A server with clientPort (plain) and secureClientPort (TLS, clientAuth=need)."""
    secure_port = zf.free_port()
    server = start_server(request, pki.server_cfg(secureClientPort=secure_port))
    server.secure_port = secure_port
    return server


def tls_client(port, pki, cert=None, **kw):
    zk = KazooClient(hosts="127.0.0.1:%d" % port, use_ssl=True, verify_certs=True,
                     ca=pki.ca.cert, certfile=cert.cert if cert else None,
                     keyfile=cert.key if cert else None, timeout=10, **kw)
    zk.start(timeout=15)
    return zk


def tls_exchange(port, ca, cert=None, send=b"ruok"):
    """Opens TLS to port, sends `send` and returns (bytes read until close, served cert)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(ca)
    if cert is not None:
        ctx.load_cert_chain(cert.cert, cert.key)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as s:
            served = s.getpeercert()
            s.sendall(send)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data, served


def refused(port, ca, cert):
    """True when the server refuses a TLS client presenting `cert` (None: no certificate).
    With TLS 1.3 the client learns it at its first read after the handshake."""
    try:
        data, _ = tls_exchange(port, ca, cert)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True
    return data == b""


def test_kazoo_over_tls_beside_plaintext(secure_server, pki):
    zk = tls_client(secure_server.secure_port, pki, pki.client1)
    try:
        zk.create("/tls-node", b"over tls")
        assert zk.get("/tls-node")[0] == b"over tls"
    finally:
        zk.stop()
        zk.close()
    plain = KazooClient(hosts=secure_server.hosts, timeout=10)
    plain.start(timeout=15)
    try:
        assert plain.get("/tls-node")[0] == b"over tls"
    finally:
        plain.stop()
        plain.close()
    # A plaintext client (its connect request) on the TLS port is dropped.
    with socket.create_connection(("127.0.0.1", secure_server.secure_port), timeout=10) as s:
        s.sendall(b"\x00\x00\x00\x2c" + b"\x00" * 44)
        try:
            answer = s.recv(100)
        except ConnectionResetError:
            answer = b""
        assert answer == b""


def test_four_letter_word_over_tls(secure_server, pki):
    data, served = tls_exchange(secure_server.secure_port, pki.ca.cert, pki.client1)
    assert data == b"imok"
    assert served["serialNumber"] == "1001"


def test_client_auth_need_refuses_missing_and_rogue_certificates(secure_server, pki):
    assert not refused(secure_server.secure_port, pki.ca.cert, pki.client1)
    assert refused(secure_server.secure_port, pki.ca.cert, None)
    assert refused(secure_server.secure_port, pki.ca.cert, pki.rogue)
    assert "TLS handshake" in secure_server.log_tail()


def test_client_auth_want_and_none(request, pki):
    port = zf.free_port()
    server = start_server(request, pki.server_cfg("want", secureClientPort=port))
    assert not refused(port, pki.ca.cert, None)
    assert not refused(port, pki.ca.cert, pki.client2)
    assert refused(port, pki.ca.cert, pki.rogue)  # a certificate sent must be valid
    server.stop()
    port = zf.free_port()
    start_server(request, pki.server_cfg("none", secureClientPort=port))
    assert not refused(port, pki.ca.cert, None)


def test_x509_acl(secure_server, pki):
    c1 = tls_client(secure_server.secure_port, pki, pki.client1)
    c2 = tls_client(secure_server.secure_port, pki, pki.client2)
    try:
        c1.create("/x509-only", b"secret",
                  acl=[ACL(Permissions.ALL, Id("x509", pki.CLIENT1_DN))])
        assert c1.get("/x509-only")[0] == b"secret"
        with pytest.raises(NoAuthError):
            c2.get("/x509-only")
        # The auth scheme stands for the session's x509 id.
        c2.create("/x509-auth", b"", acl=[ACL(Permissions.ALL, Id("auth", ""))])
        acl, _ = c2.get_acls("/x509-auth")
        assert [(a.id.scheme, a.id.id) for a in acl] == [("x509", pki.CLIENT2_DN)]
        with pytest.raises(NoAuthError):
            c1.set("/x509-auth", b"x")
    finally:
        for c in (c1, c2):
            c.stop()
            c.close()
    plain = KazooClient(hosts=secure_server.hosts, timeout=10)
    plain.start(timeout=15)
    try:
        with pytest.raises(NoAuthError):
            plain.get("/x509-only")
    finally:
        plain.stop()
        plain.close()


def test_x509_super_user(request, pki):
    port = zf.free_port()
    server = start_server(request, pki.server_cfg(
        secureClientPort=port, **{"X509AuthenticationProvider.superUser": pki.CLIENT2_DN}))
    c1 = tls_client(port, pki, pki.client1)
    c2 = tls_client(port, pki, pki.client2)
    try:
        c1.create("/mine", b"m", acl=[ACL(Permissions.ALL, Id("x509", pki.CLIENT1_DN))])
        assert c2.get("/mine")[0] == b"m"  # the super user reads it all
    finally:
        for c in (c1, c2):
            c.stop()
            c.close()
    assert server.running()


def test_port_unification(request, pki):
    server = start_server(request, pki.server_cfg(**{"client.portUnification": "true"}))
    zk = tls_client(server.port, pki, pki.client1)
    try:
        zk.create("/unified", b"tls")
    finally:
        zk.stop()
        zk.close()
    plain = KazooClient(hosts=server.hosts, timeout=10)
    plain.start(timeout=15)
    try:
        assert plain.get("/unified")[0] == b"tls"
    finally:
        plain.stop()
        plain.close()
    assert server.four_letter("ruok") == "imok"
    assert tls_exchange(server.port, pki.ca.cert, pki.client1)[0] == b"imok"


class SecureOnlyServer(zf.ZabkeeperServer):
    """A server configured with secureClientPort and no clientPort."""

    def cfg(self):
        cfg = super(SecureOnlyServer, self).cfg()
        del cfg["clientPort"]
        return cfg

    def ready(self):
        try:
            return tls_exchange(self.secure_port, self.pki.ca.cert, self.pki.client1)[0] == b"imok"
        except (OSError, ssl.SSLError):
            return False


def test_secure_client_port_without_client_port(request, pki):
    port = zf.free_port()
    server = SecureOnlyServer(extra_cfg=pki.server_cfg(secureClientPort=port))
    server.secure_port, server.pki = port, pki
    request.addfinalizer(server.cleanup)
    server.start()
    assert "no plaintext client port" in server.log_tail()
    assert listening_ports(server.proc.pid) == {port}


def listening_ports(pid):
    """The TCP ports process `pid` listens on (from `ss`)."""
    import re
    import subprocess
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    ports = set()
    for line in out.splitlines():
        if "pid=%d," % pid in line:
            ports.add(int(re.split(r"\s+", line)[3].rsplit(":", 1)[1]))
    return ports


def test_encrypted_key_and_protocol_keys(request, pki):
    server_cert = pki.factory.issue(pki.ca, "server_enc", "/CN=server-enc", 0x1100,
                                    key_password="s3cret")
    port = zf.free_port()
    start_server(request, pki.server_cfg(
        "none", secureClientPort=port,
        **{"ssl.keyStore.location": server_cert.keystore, "ssl.keyStore.password": "s3cret",
           "ssl.protocol": "TLSv1.2", "ssl.enabledProtocols": "TLSv1.2",
           "ssl.ciphersuites": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(pki.ca.cert)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as s:
            assert s.version() == "TLSv1.2"
            assert s.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256"
            assert s.getpeercert()["serialNumber"] == "1100"
    # A client limited to TLS 1.3 is refused.
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            ctx.wrap_socket(raw)


def test_bad_key_store_fails_start(pki):
    cfg = pki.server_cfg(secureClientPort=zf.free_port(),
                         **{"ssl.keyStore.location": pki.ca.cert})  # no key in it
    server = zf.ZabkeeperServer(extra_cfg=cfg)
    try:
        with pytest.raises(zf.ServerError):
            server.start()
        assert "keyStore" in server.log_tail() or "private key" in server.log_tail()
    finally:
        server.cleanup()


def test_certificate_reload(request, pki):
    keystore = os.path.join(pki.dir, "reload-keystore.pem")
    with open(pki.server.keystore) as f, open(keystore, "w") as out:
        out.write(f.read())
    port = zf.free_port()
    server = start_server(request, pki.server_cfg(
        secureClientPort=port, **{"ssl.keyStore.location": keystore}))
    zk = tls_client(port, pki, pki.client1)
    try:
        assert tls_exchange(port, pki.ca.cert, pki.client1)[1]["serialNumber"] == "1001"
        renewed = pki.factory.issue(pki.ca, "server_renewed", "/O=Example/OU=zk/CN=server",
                                    0x1002)
        tmp = keystore + ".tmp"
        with open(renewed.keystore) as f, open(tmp, "w") as out:
            out.write(f.read())
        os.replace(tmp, keystore)
        zf.wait_until(lambda: tls_exchange(port, pki.ca.cert, pki.client1)[1]["serialNumber"]
                      == "1002", timeout=15, interval=0.2, what="the renewed certificate")
        assert "reloaded" in server.log_tail()
        # The connection opened before the reload keeps working.
        zk.create("/after-reload", b"")
        # A broken file is not loaded: the last good certificate stays.
        with open(tmp, "w") as out:
            out.write("not a certificate\n")
        os.replace(tmp, keystore)
        zf.wait_until(lambda: "not reloading" in server.log_tail(), timeout=15,
                      what="the refused reload")
        assert tls_exchange(port, pki.ca.cert, pki.client1)[1]["serialNumber"] == "1002"
    finally:
        zk.stop()
        zk.close()


# --- our C++ client, through zkcli ---------------------------------------------------------

def zkcli_tls_flags(pki, cert):
    flags = ["--tls-ca", pki.ca.cert]
    if cert is not None:
        flags += ["--tls-cert", cert.cert, "--tls-key", cert.key]
    return flags


def test_zkcli_over_tls(secure_server, pki):
    from zkcli_driver import run
    server = "127.0.0.1:%d" % secure_server.secure_port
    r = run(server, input="create /cli-tls hello\nget /cli-tls\nwhoami\n",
            extra=zkcli_tls_flags(pki, pki.client1))
    assert r.returncode == 0, r.stderr
    assert "hello" in r.stdout
    assert pki.CLIENT1_DN in r.stdout
    # The name in the certificate (DNS:localhost) is checked against the host connected to.
    r = run("localhost:%d" % secure_server.secure_port, "get", "/cli-tls",
            extra=zkcli_tls_flags(pki, pki.client2))
    assert (r.returncode, r.stdout) == (0, "hello\n"), r.stderr


def test_zkcli_refused_without_client_certificate(secure_server, pki):
    from zkcli_driver import run
    server = "127.0.0.1:%d" % secure_server.secure_port
    for cert in (None, pki.rogue):
        r = run(server, "ls", "/", extra=zkcli_tls_flags(pki, cert) +
                ["--request-timeout", "1500"])
        assert r.returncode == 3, (cert, r.stdout, r.stderr)


def test_zkcli_client_configuration_file(secure_server, pki):
    from zkcli_driver import run
    props = os.path.join(pki.dir, "client.properties")
    with open(props, "w") as f:
        f.write("zookeeper.client.secure=true\n"
                "zookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty\n"
                "zookeeper.ssl.keyStore.location=%s\n"
                "zookeeper.ssl.keyStore.type=PEM\n"
                "zookeeper.ssl.trustStore.location=%s\n" % (pki.client1.keystore, pki.ca.cert))
    r = run("127.0.0.1:%d" % secure_server.secure_port, "ls", "/",
            extra=["-client-configuration", props])
    assert r.returncode == 0, r.stderr
    assert "zookeeper" in r.stdout


def test_zkcli_hostname_verification(request, pki):
    from zkcli_driver import run
    elsewhere = pki.factory.issue(pki.ca, "server_elsewhere", "/CN=elsewhere", 0x1200,
                                  sans=("DNS:elsewhere.example",))
    port = zf.free_port()
    start_server(request, pki.server_cfg(
        "none", secureClientPort=port, **{"ssl.keyStore.location": elsewhere.keystore}))
    server = "127.0.0.1:%d" % port
    r = run(server, "ls", "/", extra=["--tls-ca", pki.ca.cert, "--request-timeout", "1500"])
    assert r.returncode == 3, r.stdout
    r = run(server, "ls", "/", extra=["--tls-ca", pki.ca.cert, "--tls-no-verify-hostname"])
    assert r.returncode == 0, r.stderr
    # A certificate from another CA is refused even without hostname verification.
    r = run(server, "ls", "/", extra=["--tls-ca", pki.rogue_ca.cert, "--tls-no-verify-hostname",
                                      "--request-timeout", "1500"])
    assert r.returncode == 3, r.stdout


# --- the same against Apache ZooKeeper (Netty, PEM stores) ---------------------------------

NETTY_JARS = ["/usr/share/java/netty-codec.jar", "/usr/share/java/netty-handler.jar"]


def start_tls_server(request, kind, pki, port):
    cfg = pki.server_cfg(secureClientPort=port)
    if kind == "apache":
        if not zf.apache_available() or not all(os.path.isfile(j) for j in NETTY_JARS):
            pytest.skip("Apache ZooKeeper or Netty not installed")
        cfg["serverCnxnFactory"] = "org.apache.zookeeper.server.NettyServerCnxnFactory"
        for j in NETTY_JARS:
            if j not in zf.APACHE_CLASSPATH:
                zf.APACHE_CLASSPATH.append(j)
        server = zf.ApacheZooKeeper(extra_cfg=cfg)
    else:
        server = zf.ZabkeeperServer(extra_cfg=cfg)
    request.addfinalizer(server.cleanup)
    server.start()
    return server


@pytest.mark.parametrize("kind", ["zabkeeper", "apache"])
def test_zkcli_tls_and_x509_acl_same_as_apache(request, pki, kind):
    """Our C++ client over TLS, the x509 id and an x509 ACL: the same answers from both.
    (zkCli's ACL syntax separates entries with commas, so the DN here has one attribute.)"""
    from zkcli_driver import run
    solo = pki.factory.issue(pki.ca, "solo", "/CN=solo", 0x2003)
    port = zf.free_port()
    start_tls_server(request, kind, pki, port)
    server = "127.0.0.1:%d" % port
    script = ("create /x509acl data x509:CN=solo:cdrwa\n"
              "getAcl /x509acl\n"
              "whoami\n"
              "get /x509acl\n")
    r = run(server, input=script, extra=zkcli_tls_flags(pki, solo))
    assert r.returncode == 0, r.stderr
    assert "'x509,'CN=solo\n: cdrwa" in r.stdout
    assert "x509: CN=solo" in r.stdout
    assert r.stdout.endswith("data\n")
    r = run(server, "get", "/x509acl", extra=zkcli_tls_flags(pki, pki.client2))
    assert r.returncode == 1 and "Insufficient permission : /x509acl" in r.stderr
