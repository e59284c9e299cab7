"""Drive /usr/lib/zookeeper/bin/cli_mt (ZooKeeper's C client shell) over stdin.

cli_mt runs every command asynchronously and prints results (to stderr) from
its completion thread, so each command is sent only after the previous one's
output has been seen (polled with a deadline)."""

import re
import subprocess
import threading
import time

CLI_MT = "/usr/lib/zookeeper/bin/cli_mt"


class CliMt(object):
    def __init__(self, hosts, timeout=30.0):
        self.proc = subprocess.Popen(["stdbuf", "-oL", "-eL", CLI_MT, hosts], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.buf = ""
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.wait_for(r"state = CONNECTED_STATE", 0, timeout)

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.buf += line
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, start, timeout=20.0):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        with self.cond:
            while True:
                m = rx.search(self.buf, start)
                if m:
                    return self.buf[start:]
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise AssertionError("cli_mt: no %r within %.0fs; output since command:\n%s"
                                         % (pattern, timeout, self.buf[start:]))
                self.cond.wait(min(left, 0.5))

    def cmd(self, line, expect, timeout=20.0):
        """Send one command, wait until `expect` (regex) appears in the output
        produced since, and return that output."""
        with self.cond:
            start = len(self.buf)
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.wait_for(expect, start, timeout)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)
        return self.buf
