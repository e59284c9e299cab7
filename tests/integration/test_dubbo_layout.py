"""Dubbo 2.7's ZooKeeper layout as zk::discovery::DubboRegistry writes it, read back by kazoo (an
independent client), and Dubbo's URL encoding against the real java.net.URLEncoder/URLDecoder.

`recipe_tool dubbo-register` keeps one provider or consumer URL registered while its standard
input is open. kazoo checks the exact znodes: /dubbo/<interface>/{providers,consumers,
configurators,routers} as persistent folders, the URL's node named URLEncoder.encode(url) (the
expectation built here from the parameters, sorted as Dubbo's TreeMap sorts them, and encoded by
Python's quote_plus), ephemeral unless dynamic=false, re-created after kazoo deletes it, gone
when the process closes its registry.

`recipe_tool dubbo-codec` and tests/java/DubboUrlCodec.java (run from source by the JDK) encode
and decode the same tricky and random strings; their outputs must be equal byte for byte.
"""
import os
import random
import subprocess
import threading
import urllib.parse

import pytest

import java_support as js
import kazoo_ext as kx
import zkfixtures as zf

INTERFACE = "org.example.Greeter"
TIMEOUT_S = 30


def recipe_tool():
    return os.path.join(zf.zk_bin_dir(), "recipe_tool")


def java_encode(s):
    """URLEncoder.encode(s, "UTF-8") by another library: quote_plus keeps '~', Java does not."""
    return urllib.parse.quote_plus(s, safe="*").replace("~", "%7E")


def dubbo_url(protocol, address, path, params):
    """URL.toFullString: parameters in key order (ASCII keys: Java's String order)."""
    return "%s://%s/%s?%s" % (protocol, address, path,
                              "&".join("%s=%s" % (k, params[k]) for k in sorted(params)))


class Registration(object):
    """A recipe_tool dubbo-register process; its path and URL as it printed them."""

    def __init__(self, hosts, args):
        self.proc = subprocess.Popen(
            [recipe_tool(), "dubbo-register", "--hosts", hosts] + args,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = [self.proc.stdout.readline().rstrip("\n") for _ in range(2)]
        if not lines[0].startswith("path "):
            self.proc.kill()
            raise AssertionError("dubbo-register failed: %r %s" % (lines, self.proc.stderr.read()))
        self.path = lines[0][len("path "):]
        self.url = lines[1][len("url "):]

    def stop(self):
        self.proc.stdin.close()
        rc = self.proc.wait(TIMEOUT_S)
        assert rc == 0, self.proc.stderr.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_children(zk, path, pred):
    """Waits (on kazoo's child watch, not by polling) until pred(children) holds."""
    done = threading.Event()

    def watch(children):
        if pred(children):
            done.set()
            return False  # stop watching
        return True

    kx_watch = zk.ChildrenWatch(path, watch)
    assert done.wait(TIMEOUT_S), "children of %s: %s" % (path, zk.get_children(path))
    return kx_watch


def test_dubbo_layout_read_by_kazoo(zk):
    assert os.path.exists(recipe_tool()), recipe_tool()
    client = kx.new_client(zk.hosts)
    regs = []
    try:
        provider_params = {
            "anyhost": "true", "application": "greeter", "deprecated": "false",
            "dubbo": "2.0.2", "dynamic": "true", "generic": "false", "interface": INTERFACE,
            "methods": "greet,ping", "note": "a b~c*d+e%f", "pid": "4242",
            "release": "2.7.8", "side": "provider", "timestamp": "1700000000000",
            "weight": "50"}
        provider = Registration(zk.hosts, [
            "--interface", INTERFACE, "--application", "greeter", "--methods", "greet,ping",
            "--address", "10.9.8.7", "--port", "20880", "--timestamp", "1700000000000",
            "--pid", "4242", "--weight", "50", "--param", "note=a b~c*d+e%f"])
        regs.append(provider)
        url = dubbo_url("dubbo", "10.9.8.7:20880", INTERFACE, provider_params)
        name = java_encode(url)
        service = "/dubbo/" + INTERFACE
        assert provider.url == url
        assert provider.path == service + "/providers/" + name
        assert "a+b%7Ec*d%2Be%25f" in name
        assert client.get_children("/dubbo") == [INTERFACE]
        assert sorted(client.get_children(service)) == ["configurators", "providers"]
        assert client.get_children(service + "/providers") == [name]
        assert urllib.parse.unquote_plus(name) == url
        data, stat = client.get(provider.path)
        assert data == b"10.9.8.7"
        assert stat.ephemeralOwner != 0
        for folder in ["/dubbo", service, service + "/providers", service + "/configurators"]:
            assert client.exists(folder).ephemeralOwner == 0, folder

        consumer = Registration(zk.hosts, [
            "--interface", INTERFACE, "--application", "caller", "--methods", "greet",
            "--address", "10.9.8.6", "--side", "consumer", "--timestamp", "1700000000001",
            "--pid", "77"])
        regs.append(consumer)
        consumer_url = dubbo_url("consumer", "10.9.8.6", INTERFACE, {
            "application": "caller", "category": "consumers", "check": "false",
            "dubbo": "2.0.2", "interface": INTERFACE, "methods": "greet", "pid": "77",
            "release": "2.7.8", "side": "consumer", "sticky": "false",
            "timestamp": "1700000000001"})
        assert consumer.url == consumer_url
        assert client.get_children(service + "/consumers") == [java_encode(consumer_url)]
        assert sorted(client.get_children(service)) == [
            "configurators", "consumers", "providers", "routers"]
        assert client.get_children(service + "/routers") == []

        static = Registration(zk.hosts, [
            "--interface", INTERFACE, "--address", "10.9.8.5", "--port", "20881",
            "--timestamp", "1700000000002", "--pid", "5", "--persistent"])
        regs.append(static)
        assert "dynamic%3Dfalse" in static.path
        assert client.exists(static.path).ephemeralOwner == 0

        # Deleted by someone else, the provider's node comes back.
        first_czxid = client.exists(provider.path).czxid
        client.delete(provider.path)
        wait_children(client, service + "/providers", lambda kids: name in kids)
        again = client.exists(provider.path)
        assert again.czxid > first_czxid
        assert again.ephemeralOwner == stat.ephemeralOwner

        # Closed registries take their dynamic URLs with them; dynamic=false stays.
        provider.stop()
        consumer.stop()
        static.stop()
        assert client.get_children(service + "/providers") == [static.path.rsplit("/", 1)[1]]
        assert client.get_children(service + "/consumers") == []
    finally:
        for r in regs:
            r.kill()
        client.stop()
        client.close()


TRICKY = [
    "", " ", "+", "%", "%%", "~", "*", ".-_", "a b", "a+b", "100%", "~user/*.txt",
    "dubbo://10.0.0.1:20880/org.example.Greeter?anyhost=true&methods=a,b&note=x y",
    "!\"#$&'()+,/:;<=>?@[\\]^`{|}", "\t\r\x01\x7f", "\x00",
    "\u00e9t\u00e9", "\u4e2d\u6587", "\U0001F600", "\uffff", "\ue000", "\u00a0",
    "key=value&other=\u00fc", "/dubbo/org.example.Greeter/providers",
]

DECODE_ONLY = [
    "a+b", "%41%42", "%c3%a9", "%C3%A9", "%", "%4", "%G0", "%+A", "%-0", "%-1", "%%41",
    "plain", "++", "%2B%2b", "dubbo%3A%2F%2Fh%3A1%2Fx%3Fa%3D1", "%F0%9F%98%80", "~*",
]


def codec(command, lines):
    r = subprocess.run(command, input="".join(l + "\n" for l in lines), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = r.stdout.split("\n")
    assert len(out) == len(lines) + 1 and out[-1] == "", out[-5:]
    return out[:-1]


def random_strings(n, seed=11):
    rng = random.Random(seed)
    alphabet = ([chr(c) for c in range(0x20, 0x7f)] + list("\t\n\u00e9\u00fc\u4e2d\u20ac") +
                ["\U0001F600", "\U00010348", "\uffff", "\ue000"])
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(n)]


def test_url_encoding_matches_java():
    if not os.path.exists(zf.JAVA):
        pytest.skip("no JDK (%s)" % zf.JAVA)
    assert os.path.exists(recipe_tool()), recipe_tool()
    inputs = TRICKY + random_strings(400)
    lines = ["encode " + s.encode("utf-8").hex() for s in inputs]
    # Decode what Java encoded (round trip) and strings chosen to probe the decoder.
    java_prog = [zf.JAVA, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                 os.path.join(js.JAVA_SRC, "DubboUrlCodec.java")]
    java_enc = codec(java_prog, lines)
    ours_enc = codec([recipe_tool(), "dubbo-codec"], lines)
    for s, j, o in zip(inputs, java_enc, ours_enc):
        assert o == j, "encode %r: java %r, ours %r" % (s, bytes.fromhex(j), bytes.fromhex(o))
        assert bytes.fromhex(j).decode("ascii") == java_encode(s)
    decode_inputs = [bytes.fromhex(j).decode("ascii") for j in java_enc] + DECODE_ONLY
    dlines = ["decode " + s.encode("utf-8").hex() for s in decode_inputs]
    java_dec = codec(java_prog, dlines)
    ours_dec = codec([recipe_tool(), "dubbo-codec"], dlines)
    for s, j, o in zip(decode_inputs, java_dec, ours_dec):
        assert o == j, "decode %r: java %r, ours %r" % (s, j, o)
    for s, d in zip(inputs, java_dec):
        assert bytes.fromhex(d).decode("utf-8") == s
    assert java_dec[len(inputs) + DECODE_ONLY.index("%")] == "ERR"
    assert java_dec[len(inputs) + DECODE_ONLY.index("%+A")] == "0a"
