"""sslQuorum=true: peer traffic (quorum and election ports) over mutual TLS with ssl.quorum.*
keys. A member whose certificate the others do not trust cannot join; with a valid one it can.
Certificates are made by the test with the openssl command (tls_certs.py)."""

import os
import shutil
import tempfile

import pytest
from kazoo.client import KazooClient

import tls_certs
import zkfixtures as zf
from ensemble import Ensemble

pytestmark = [
    pytest.mark.skipif(not zf.zabkeeper_available(), reason="zabkeeper binary not built"),
    pytest.mark.skipif(not tls_certs.openssl_available(), reason="openssl command missing"),
]


@pytest.fixture(scope="module")
def pki():
    d = tempfile.mkdtemp(prefix="zk-tls-quorum-pki-")
    yield tls_certs.TestPki(d)
    if not os.environ.get("ZK_KEEP_TMP"):
        shutil.rmtree(d, ignore_errors=True)


def quorum_cfg(keystore, ca):
    return {
        "sslQuorum": "true",
        "ssl.quorum.keyStore.location": keystore,
        "ssl.quorum.keyStore.type": "PEM",
        "ssl.quorum.trustStore.location": ca,
        "ssl.quorum.trustStore.type": "PEM",
    }


def set_cfg(member, cfg):
    member.extra_cfg.update(cfg)
    member.write_cfg()


def test_quorum_tls_member_without_a_valid_certificate_cannot_join(pki):
    e = Ensemble(voters=3, extra_cfg=quorum_cfg(pki.server.keystore, pki.ca.cert))
    try:
        rogue = pki.factory.issue(pki.rogue_ca, "rogue_peer", "/CN=peer3", 0x6667)
        m1, m2, m3 = e.members[1], e.members[2], e.members[3]
        set_cfg(m3, {"ssl.quorum.keyStore.location": rogue.keystore})
        m1.start()
        m2.start()
        e.wait_serving([m1, m2])
        zk = KazooClient(hosts=e.hosts([m1, m2]), timeout=10)
        zk.start(timeout=15)
        zk.create("/quorum-tls", b"replicated")
        m3.start()
        # Member 3 dials 1 and 2 (the higher id dials); both refuse its certificate.
        for m in (m1, m2):
            zf.wait_until(lambda: "TLS handshake" in m.log_text(), timeout=20,
                          what="member %d refusing member 3's certificate" % m.sid)
        assert m3.mode() is None  # not serving: it has no quorum
        # With a certificate from the ensemble's CA, it joins and syncs.
        m3.stop()
        set_cfg(m3, {"ssl.quorum.keyStore.location": pki.server.keystore})
        m3.start()
        e.wait_serving([m3])
        direct = KazooClient(hosts=m3.hosts, timeout=10)
        direct.start(timeout=15)
        try:
            direct.sync("/quorum-tls")
            assert direct.get("/quorum-tls")[0] == b"replicated"
        finally:
            direct.stop()
            direct.close()
        zk.stop()
        zk.close()
    except Exception:
        e.dump_logs()
        raise
    finally:
        e.cleanup()


def test_plaintext_member_cannot_join_a_tls_quorum(pki):
    e = Ensemble(voters=3, extra_cfg=quorum_cfg(pki.server.keystore, pki.ca.cert))
    try:
        m1, m2, m3 = e.members[1], e.members[2], e.members[3]
        for k in list(m3.extra_cfg):
            if k.startswith("ssl") :
                del m3.extra_cfg[k]
        m3.write_cfg()
        m1.start()
        m2.start()
        e.wait_serving([m1, m2])
        m3.start()
        zf.wait_until(lambda: "rejecting a peer connection" in m1.log_text(), timeout=20,
                      what="member 1 refusing member 3's plaintext connection")
        assert m3.mode() is None
    except Exception:
        e.dump_logs()
        raise
    finally:
        e.cleanup()
