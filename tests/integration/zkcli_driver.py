"""Helpers for test_zkcli.py: run build/bin/zkcli one-shot, as a script, or
interactively in a pseudo-terminal (pexpect).

The interactive helper gives zkcli its own HOME (history file) and a fixed
terminal size, and waits for the prompt before every line it sends, as a
person would."""

import os
import re
import subprocess

import pexpect

import zkfixtures as zf


def zkcli_binary():
    return os.path.join(zf.zk_bin_dir(), "zkcli")


def run(server, *args, input=None, timeout=30, json=False, extra=()):
    """Runs `zkcli -server SERVER [--json] EXTRA... ARGS...`; returns CompletedProcess."""
    cmd = [zkcli_binary(), "-server", server] + (["--json"] if json else []) + list(extra)
    cmd += list(args)
    return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)


PROMPT = r"\[zk: [^\]]*\((CONNECTED|CONNECTING|CLOSED|EXPIRED)\) (\d+)\] "


class Interactive(object):
    def __init__(self, server, home, extra=(), timeout=15):
        env = dict(os.environ)
        env.update({"HOME": home, "TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
        env.pop("ZKCLI_HISTORY", None)
        self.child = pexpect.spawn(zkcli_binary(), ["-server", server] + list(extra),
                                   encoding="utf-8", timeout=timeout, env=env,
                                   dimensions=(40, 200))
        self.transcript = []
        self.child.logfile_read = _Collector(self.transcript)

    def prompt(self, state="CONNECTED"):
        """Waits for a prompt in `state`; returns the command number it shows."""
        self.child.expect(r"\[zk: [^\]]*\((?:%s)\) (?P<n>\d+)\] " % state)
        return int(self.child.match.group("n"))

    def start(self):
        """Waits for the session event of a new connection and the CONNECTED prompt after it
        (the event comes below the first prompt, or before the prompt that ends a `connect`
        command if the connection was that fast); returns the command number."""
        self.child.expect(r"WATCHER::\r?\n\r?\nWatchedEvent state:SyncConnected type:None "
                          r"path:null\r?\n")
        return self.prompt()

    def command(self, line, expect=None):
        """Sends a line at the prompt and returns the output up to the next prompt."""
        self.child.sendline(line)
        self.child.expect(PROMPT)
        out = self.child.before
        if expect is not None:
            assert re.search(expect, out), "no %r in output of %r:\n%s" % (expect, line, out)
        return out

    def output(self):
        return "".join(self.transcript)

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)


class _Collector(object):
    def __init__(self, sink):
        self.sink = sink

    def write(self, s):
        self.sink.append(s)

    def flush(self):
        pass
