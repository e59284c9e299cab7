"""iptables rules that tests insert to cut or refuse loopback traffic, and that never outlive
the test process.

Every rule carries the comment ``zabkeeper-test:<pid>`` of the process that inserted it. A rule
is removed by the test that made it; one left behind by a process that was killed (a timeout, a
Ctrl-C) would go on dropping or refusing whatever later binds the same port, so importing this
module first deletes the tagged rules whose process is gone. Rules of live processes (another
suite running at the same time) are left alone.
"""

import os
import re
import shlex
import subprocess

TAG = "zabkeeper-test"
_TAGGED = re.compile(r'--comment "?%s:(\d+)"?' % TAG)


def _iptables(*args, check=True):
    run = subprocess.check_call if check else subprocess.call
    return run(["iptables"] + list(args))


def insert(*spec):
    """Inserts rule ``spec`` (``"INPUT", "-i", "lo", ...``) at the top of its chain, tagged with
    this process; returns the tagged rule for remove()."""
    rule = list(spec) + ["-m", "comment", "--comment", "%s:%d" % (TAG, os.getpid())]
    _iptables("-I", *rule)
    return rule


def remove(rule):
    """Deletes a rule that insert() returned; a rule already gone is not an error."""
    _iptables("-D", *rule, check=False)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale():
    """Deletes every tagged rule whose process has exited; returns how many."""
    try:
        listing = subprocess.run(["iptables", "-S"], capture_output=True, text=True,
                                 check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return 0
    removed = 0
    for line in listing.splitlines():
        m = _TAGGED.search(line)
        if not line.startswith("-A ") or not m or _alive(int(m.group(1))):
            continue
        # `iptables -S` prints the rule as it was added; -D takes the same words.
        if _iptables("-D", *shlex.split(line[3:]), check=False) == 0:
            removed += 1
    return removed


sweep_stale()
