// PlantBug: the link tap (SimClientLink::SetTap) that breaks one client guarantee on purpose, for
// the tests that show the history checkers catch it (tests/sim/server_simulation_test.cc). Each
// tap parses the frames the way a client would: the first frame each way is the handshake; after
// it, the client's requests carry a RequestHeader (xid, type) and the server's replies a
// ReplyHeader (xid, zxid, err) — notifications have xid -1.
//
//   kZxidGoesBack      one reply's zxid becomes 1, below what the session has seen;
//   kEventAfterData    each watch event is held back until after the next reply;
//   kDuplicateEvent    each watch event is delivered twice;
//   kVersionSkew       one setData reply shows a version one higher;
//   kRepeatedSequence  a sequential create's reply names the first sequential node this session
//                      created under the same parent;
//   kStaleRead         getData replies show the node's creation as its last change;
//   kLostAck           one create's reply carries a zxid the ensemble never reaches.
// kFrozenLeaderClock, kEarlyTtlReap and kIdleReaper are not taps (the simulation freezes the
// leaders' clocks; sets the servers' test seam ServerConfig::test_reaper_ignores_ttl; sets their
// reaper's check interval to an hour while the end phase's bound keeps the profile's); kNone
// and they get an empty tap.
//
// Thread-safety: none.
#pragma once

#include <cstdint>

#include "tests/sim/server_simulation.h"
#include "tests/sim/sim_client_link.h"

namespace zk::sim {

LinkTap PlantBug(PlantedBug bug, uint64_t seed);

}  // namespace zk::sim
