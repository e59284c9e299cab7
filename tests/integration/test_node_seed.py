"""The server logs the seed of its random choices at start, and node.seed in zoo.cfg sets it,
so that a production run's choices (election timeouts, snapshot cadence) can be repeated."""
import re

import pytest

import zkfixtures as zf

pytestmark = pytest.mark.skipif(not zf.zabkeeper_available(), reason="zabkeeper not built")


def logged_seeds(srv):
    return [int(s) for s in re.findall(r"node seed (\d+) ", srv.log_tail(200000))]


def test_configured_seed_is_used_and_logged():
    with zf.ZabkeeperServer(extra_cfg={"node.seed": 987654321987}) as srv:
        assert logged_seeds(srv) == [987654321987]


def test_drawn_seed_is_logged_and_differs_between_starts():
    seeds = []
    for _ in range(2):
        with zf.ZabkeeperServer() as srv:
            got = logged_seeds(srv)
            assert len(got) == 1 and got[0] != 0
            seeds.append(got[0])
    assert seeds[0] != seeds[1]
