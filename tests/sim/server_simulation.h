// ServerSimulation: one randomized run of a whole zabkeeper ensemble — production ServerNodes
// (tests/sim/server_sim_node.h) on the simulated network and disks — driven by simulated client
// sessions (tests/sim/sim_client.h) that speak the ZooKeeper wire protocol to any member, move
// between members when their connection breaks, and issue reads, writes, multis, ephemeral and
// sequential creates, container parents and TTL nodes, and watches. The seed picks the ensemble
// and a fault profile (crashes with torn writes, partitions, peer and client connection breaks)
// and the reaper's check interval and pace.
//
// Checked while it runs: every txn on the wire is one its leader proposed with those bytes, and
// servers' trees at equal zxids have equal digests. Then the end phase: every fault is healed and
// every server restarted; a leader must serve with every member within a bound; the clients stop
// and drop their connections without closing their sessions, so every session must expire and
// every ephemeral go (on every member), and all members must reach the same zxid and digest;
// then the leader's reaper must remove every empty container that had a child and every expired
// TTL node from every member within a bound (tests/sim/reaper_audit.h, which also checks each
// reaper delete as the members apply it).
// Finally the clients' histories are checked (tests/sim/history_checker.h: session order,
// read-your-writes, watch order, one event per watch, write order, sequential numbers, ephemerals
// and acknowledged writes against the final tree).
//
// Membership changes (a third of the seeds): now and then the serving leader receives a
// reconfig as a follower forwards it (a super session's request, through ServerNode::Deliver),
// that changes a member's role, or states every member's role at once, with or without the
// current version as fromConfig (sometimes a stale one); some are refused (BADARGUMENTS with
// fewer than two voters, BADVERSION, RECONFIGINPROGRESS, NEWCONFIGNOQUORUM). They commit under
// the same faults, and the end phase also waits for every member to hold the same committed
// membership, with /zookeeper/config holding its text.
//
// Planted bugs (`plant`) break one guarantee on purpose, in the simulated environment, so the
// tests can assert that the checker of its domain catches it.
//
// The same seed and options give the same run, event for event (see Trace::fingerprint()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace zk::sim {

enum class PlantedBug {
  kNone,
  kZxidGoesBack,        // a reply to a client carries a zxid below one it already saw
  kEventAfterData,      // a watch event reaches the client after the next reply
  kDuplicateEvent,      // a watch event reaches the client twice
  kVersionSkew,         // a setData reply shows a version one too high
  kRepeatedSequence,    // a sequential create's reply names an earlier sequence number
  kFrozenLeaderClock,   // every leader's clock stands still: it never expires a session
  kStaleRead,           // a read reply shows the node as it was before the session's write
  kLostAck,             // a failed create is reported to the client as done
  kEarlyTtlReap,        // the leader's reaper deletes TTL nodes before their TTL passed
  kIdleReaper,          // the leader's reaper never checks (its interval is an hour)
};

// "zxid-goes-back", "event-after-data", ... (the enumerators' names in kebab case); nullopt for
// an unknown name. "none" is kNone.
std::optional<PlantedBug> PlantedBugNamed(const std::string& name);
std::string PlantedBugName(PlantedBug bug);

struct ServerSimOptions {
  uint64_t seed = 1;
  int voters = 0;      // 3 or 5; 0: chosen by the seed
  int observers = -1;  // 0 or 1; -1: chosen by the seed
  int clients = 6;     // sessions at any time
  int64_t steps = 1200;  // ticks of the fault phase
  bool faults = true;  // false: no crashes, partitions or breaks (planted-bug tests)
  // Membership changes: 1 on, 0 off, -1 the seed decides (a third of the seeds).
  int reconfig = -1;
  PlantedBug plant = PlantedBug::kNone;
  bool verbose = false;
};

struct ServerSimResult {
  bool ok = true;
  std::string failure;
  int64_t tick = 0;
  uint64_t fingerprint = 0;
  std::string profile;
  int64_t last_zxid = 0;    // of the final trees
  int64_t sessions = 0;     // client sessions established
  int64_t ops = 0;          // requests sent
  int64_t acked_writes = 0;
  int64_t events = 0;       // watch events delivered
  int64_t expired = 0;      // sessions that saw SESSIONEXPIRED during the run
  int64_t crashes = 0;
  int64_t partitions = 0;
  int64_t end_took = 0;     // ticks of the end phase
  int64_t snapshots = 0;    // taken by the servers
  int64_t reaped = 0;       // containers and TTL nodes the reaper deleted (committed)
  int64_t diffs = 0, truncs = 0, snaps = 0;  // learner synchronizations by mode
  int64_t reconfigs = 0;    // reconfig requests the leaders received
  int64_t memberships = 0;  // memberships committed (distinct versions above 0)
};

ServerSimResult RunServerSimulation(const ServerSimOptions& options);

}  // namespace zk::sim
