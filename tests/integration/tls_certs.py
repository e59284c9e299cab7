"""Test certificates made with the `openssl` command: a CA, server and client certificates
signed by it, and a rogue CA with a client certificate of its own.

A key store file (ZooKeeper's PEM key store) holds the private key followed by the
certificate; clients get the key and the certificate as separate files too.
"""

import os
import shutil
import subprocess


def openssl_available():
    return shutil.which("openssl") is not None


def _run(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# Loopback: 127.0.0.1 and the own addresses of ensemble members (ensemble.Ensemble.address).
DEFAULT_SANS = tuple(["IP:127.0.0.1"] + ["IP:127.0.0.%d" % (10 + sid) for sid in range(1, 10)] +
                     ["DNS:localhost"])


class Cert(object):
    def __init__(self, directory, name):
        self.name = name
        self.key = os.path.join(directory, name + ".key")
        self.cert = os.path.join(directory, name + ".crt")
        self.keystore = os.path.join(directory, name + ".pem")


class CertFactory(object):
    """Makes CAs and certificates under `directory`."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)

    def ca(self, name, subject=None):
        c = Cert(self.dir, name)
        _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", c.key, "-out", c.cert, "-days", "2",
             "-subj", subject or "/CN=%s" % name, cwd=self.dir)
        return c

    def issue(self, ca, name, subject, serial, sans=DEFAULT_SANS,
              key_password=None):
        """A certificate signed by `ca`; returns a Cert whose keystore is key + cert."""
        c = Cert(self.dir, name)
        csr = os.path.join(self.dir, name + ".csr")
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n")
            f.write("keyUsage=digitalSignature,keyEncipherment\n")
            f.write("extendedKeyUsage=serverAuth,clientAuth\n")
            if sans:
                f.write("subjectAltName=%s\n" % ",".join(sans))
        _run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", c.key, "-out", csr, "-subj", subject, cwd=self.dir)
        _run("x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key,
             "-set_serial", str(serial), "-days", "2", "-extfile", ext, "-out", c.cert,
             cwd=self.dir)
        if key_password is not None:
            encrypted = c.key + ".enc"
            _run("pkcs8", "-topk8", "-in", c.key, "-out", encrypted, "-passout",
                 "pass:" + key_password, cwd=self.dir)
            os.replace(encrypted, c.key)
        with open(c.keystore, "w") as out:
            for part in (c.key, c.cert):
                with open(part) as f:
                    out.write(f.read())
        return c


class TestPki(object):
    """The usual set: ca, server (serial 0x1001), client1, client2, rogue_ca, rogue client."""

    def __init__(self, directory):
        self.factory = CertFactory(directory)
        self.dir = directory
        self.ca = self.factory.ca("ca", "/CN=zabkeeper test CA")
        self.server = self.factory.issue(self.ca, "server", "/O=Example/OU=zk/CN=server",
                                         0x1001)
        self.client1 = self.factory.issue(self.ca, "client1", "/O=Example/OU=ops/CN=client1",
                                          0x2001)
        self.client2 = self.factory.issue(self.ca, "client2", "/O=Example/OU=ops/CN=client2",
                                          0x2002)
        self.rogue_ca = self.factory.ca("rogue_ca", "/CN=rogue CA")
        self.rogue = self.factory.issue(self.rogue_ca, "rogue", "/O=Example/OU=ops/CN=client1",
                                        0x6666)

    # The subject DNs as the server's x509 scheme prints them (RFC 2253, most specific first).
    CLIENT1_DN = "CN=client1,OU=ops,O=Example"
    CLIENT2_DN = "CN=client2,OU=ops,O=Example"

    def server_cfg(self, client_auth="need", **extra):
        cfg = {
            "ssl.keyStore.location": self.server.keystore,
            "ssl.keyStore.type": "PEM",
            "ssl.trustStore.location": self.ca.cert,
            "ssl.trustStore.type": "PEM",
            "ssl.clientAuth": client_auth,
        }
        cfg.update(extra)
        return cfg
