"""pytest fixtures for the integration suites.

* ``server_kind``: parametrized over zkfixtures.default_kinds() (zabkeeper,
  apache; override with ZK_SERVERS=apache or ZK_SERVERS=zabkeeper).  A kind that
  cannot run here is skipped with the reason, except that a missing zabkeeper
  binary is a failure when CI=true.
* ``zk_factory``: ``zk_factory(extra_cfg=None, kind=None)`` starts a server of
  the test's kind and stops it after the test; its log is printed if the test
  failed.
* ``zk``: one started server with the default config.
* ``java_classes``: the Java test programs of tests/java/, compiled once per session
  (java_support.py); skipped where the JDK or a jar is missing, a failure when CI=true.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import zkfixtures as zf  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "zabkeeper_only: runs against zabkeeper only")
    config.addinivalue_line("markers", "slow: long-running test")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def pytest_generate_tests(metafunc):
    if "server_kind" in metafunc.fixturenames:
        kinds = zf.default_kinds()
        if metafunc.definition.get_closest_marker("zabkeeper_only"):
            kinds = [k for k in kinds if k == "zabkeeper"] or kinds[:0]
            if os.environ.get("ZK_CRASH_APACHE") == "1":
                kinds = zf.default_kinds()
        metafunc.parametrize("server_kind", kinds)


@pytest.fixture
def zk_factory(request, server_kind):
    reason = zf.skip_reason(server_kind)
    if reason:
        pytest.skip(reason)
    servers = []

    def make(extra_cfg=None, kind=None, start=True):
        s = zf.make_server(kind or server_kind, extra_cfg)
        servers.append(s)
        if start:
            s.start()
        return s

    yield make
    failed = any(getattr(request.node, "rep_" + w, None) is not None and
                 getattr(request.node, "rep_" + w).failed for w in ("setup", "call"))
    for s in servers:
        if failed:
            sys.stderr.write("\n---- %s server log (%s) ----\n%s\n" % (s.kind, s.log_path, s.log_tail()))
        s.cleanup()


@pytest.fixture
def zk(zk_factory):
    return zk_factory()


@pytest.fixture(scope="session")
def java_classes(tmp_path_factory):
    import java_support
    reason = java_support.java_missing()
    if reason:
        if zf.in_ci():
            pytest.fail("the Java test programs cannot run: " + reason)
        pytest.skip(reason)
    return java_support.compile_classes(tmp_path_factory)
