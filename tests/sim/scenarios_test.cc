// Scripted ZAB scenarios through the whole simulated ensemble (Peer + SimDisk + DataTree on the
// simulated network, checkers on), with exact expected outcomes. Each runs under several seeds:
// delays and interleavings change, the outcome must not.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/txn.h"
#include "tests/sim/cluster.h"
#include "tests/sim/sim_disk.h"
#include "tests/sim/simulation.h"
#include "zab/zxid.h"

namespace zk::sim {
namespace {

using zab::MakeZxid;
using zab::ServerId;

// Sync modes each server received (SyncStart messages), and INFORMs per server.
struct Observed {
  std::map<ServerId, std::vector<zab::SyncStart>> syncs;
  std::map<ServerId, int> informs;
};

ClusterOptions Options(uint64_t seed, int voters, int observers = 0) {
  ClusterOptions o;
  o.seed = seed;
  o.voters = voters;
  o.observers = observers;
  o.verbose = std::getenv("ZK_SIM_TRACE") != nullptr;  // a trace of every event, for debugging
  o.timing = SimTiming();
  // Exact outcomes: every connection is up before the first vote travels, and no message is
  // slower than the election's finalize wait.
  o.net.first_dial_max = 0;
  o.net.slow_per_mille = 0;
  return o;
}

void Watch(Cluster* c, Observed* seen) {
  c->net().on_deliver = [seen](ServerId, ServerId to, const zab::Message& m) {
    if (auto* s = std::get_if<zab::SyncStart>(&m)) seen->syncs[to].push_back(*s);
    if (std::holds_alternative<zab::Inform>(m)) ++seen->informs[to];
  };
}

// A txn as the leader of its epoch would have logged it: creates "/t<epoch>_<counter>".
std::string TxnBytes(int64_t zxid) {
  server::Txn t;
  t.zxid = zxid;
  t.type = OpCode::kCreate;
  t.time_ms = 1;
  server::CreateTxn create;
  create.path =
      "/t" + std::to_string(zab::ZxidEpoch(zxid)) + "_" + std::to_string(zab::ZxidCounter(zxid));
  create.data = "x";
  create.acl = server::acls::OpenUnsafe();
  t.body = create;
  return server::EncodeTxn(t);
}

// Writes a history onto a server's disk before it boots, and registers the txns as proposed.
void Preload(Cluster* c, ServerId id, int64_t accepted, int64_t current,
             const std::vector<int64_t>& zxids, std::set<int64_t>* registered) {
  std::vector<zab::LogEntry> entries;
  for (int64_t z : zxids) {
    entries.push_back(zab::LogEntry{z, TxnBytes(z)});
    if (registered->insert(z).second) c->checker().OnPropose(0, z, entries.back().data);
  }
  REQUIRE(c->node(id).disk().Append(entries, true).ok());
  c->node(id).disk().TEST_SetEpochs(accepted, current);
}

std::vector<int64_t> Range(int64_t epoch, int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t i = first; i <= last; ++i) out.push_back(MakeZxid(epoch, i));
  return out;
}

server::WriteRequest Create(const std::string& path) {
  server::WriteRequest req;
  req.type = OpCode::kCreate;
  req.op.type = OpCode::kCreate;
  req.op.path = path;
  req.op.data = "d";
  req.op.acl = server::acls::OpenUnsafe();
  return req;
}

// Every live server serves under one leader and holds the same tree.
bool Converged(Cluster& c) {
  ServerId l = c.ServingLeader();
  if (l == 0) return false;
  for (ServerId id : c.ids()) {
    SimNode& n = c.node(id);
    if (!n.alive()) continue;
    if (!n.peer().serving() || n.peer().leader() != l) return false;
    if (n.state().last_zxid() != c.node(l).state().last_zxid()) return false;
  }
  return true;
}

// Every live server has applied `zxid`.
bool AllApplied(Cluster& c, int64_t zxid) {
  for (ServerId id : c.ids()) {
    if (c.node(id).alive() && c.node(id).state().last_zxid() < zxid) return false;
  }
  return true;
}

void RequireSameTrees(Cluster& c) {
  ServerId l = c.ServingLeader();
  REQUIRE(l != 0);
  for (ServerId id : c.ids()) {
    if (!c.node(id).alive()) continue;
    CHECK(c.node(id).state().last_zxid() == c.node(l).state().last_zxid());
    CHECK(c.node(id).state().digest() == c.node(l).state().digest());
  }
}

constexpr int64_t kBound = 300;  // ticks: far above any election + sync with these timings
const uint64_t kSeeds[] = {1, 2, 3, 4, 5, 6, 7, 8};

// Boots every server, recording what they receive, and waits until all serve one leader.
void Boot(Cluster* c, Observed* seen) {
  Watch(c, seen);
  c->StartAll();
  REQUIRE(c->RunUntil([c] { return Converged(*c); }, kBound));
}

TEST_CASE("three voters elect the highest (epoch, zxid, id)") {
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    {  // equal histories: the highest id
      Cluster c(Options(seed, 3));
      std::set<int64_t> reg;
      for (ServerId id : {1, 2, 3}) Preload(&c, id, 1, 1, Range(1, 1, 3), &reg);
      c.StartAll();
      REQUIRE(c.RunUntil([&] { return Converged(c); }, kBound));
      CHECK(c.ServingLeader() == 3);
      CHECK(c.node(3).peer().current_epoch() == 2);
    }
    {  // the longest history wins over a higher id
      Cluster c(Options(seed, 3));
      std::set<int64_t> reg;
      Preload(&c, 1, 1, 1, Range(1, 1, 5), &reg);
      for (ServerId id : {2, 3}) Preload(&c, id, 1, 1, Range(1, 1, 3), &reg);
      Observed seen;
      Watch(&c, &seen);
      c.StartAll();
      REQUIRE(c.RunUntil([&] { return Converged(c); }, kBound));
      CHECK(c.ServingLeader() == 1);
      for (ServerId id : {2, 3}) {
        REQUIRE(!seen.syncs[id].empty());
        CHECK(seen.syncs[id].back() == zab::SyncStart{zab::SyncMode::kDiff, MakeZxid(1, 3)});
      }
      CHECK(c.node(2).state().last_zxid() == MakeZxid(1, 5));
      RequireSameTrees(c);
    }
    {  // a higher current epoch wins over a longer history
      Cluster c(Options(seed, 3));
      std::set<int64_t> reg;
      Preload(&c, 1, 1, 1, Range(1, 1, 5), &reg);
      std::vector<int64_t> h2 = Range(1, 1, 2);
      h2.push_back(MakeZxid(2, 1));
      Preload(&c, 2, 2, 2, h2, &reg);
      Preload(&c, 3, 1, 1, Range(1, 1, 2), &reg);
      c.StartAll();
      REQUIRE(c.RunUntil([&] { return Converged(c); }, kBound));
      CHECK(c.ServingLeader() == 2);
      CHECK(c.node(2).peer().current_epoch() == 3);
    }
  }
}

TEST_CASE("a follower with extra uncommitted txns gets TRUNC and drops them") {
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    Cluster c(Options(seed, 3));
    std::set<int64_t> reg;
    // Server 1 logged 1:3..1:5 that epoch 2 never saw; server 2 leads (higher current epoch).
    Preload(&c, 1, 1, 1, Range(1, 1, 5), &reg);
    std::vector<int64_t> h = Range(1, 1, 2);
    h.push_back(MakeZxid(2, 1));
    Preload(&c, 2, 2, 2, h, &reg);
    Preload(&c, 3, 2, 2, h, &reg);
    Observed seen;
    Boot(&c, &seen);
    CHECK(c.ServingLeader() == 3);
    REQUIRE(!seen.syncs[1].empty());
    CHECK(seen.syncs[1].back() == zab::SyncStart{zab::SyncMode::kTrunc, MakeZxid(1, 2)});
    const StateMachine& sm = c.node(1).state();
    CHECK(sm.last_zxid() == MakeZxid(2, 1));
    CHECK(sm.tree().Find("/t1_3") == nullptr);
    CHECK(sm.tree().Find("/t2_1") != nullptr);
    std::string data;
    CHECK_FALSE(c.node(1).disk().DurableRecord(MakeZxid(1, 3), &data));
    RequireSameTrees(c);
  }
}

TEST_CASE("a wiped follower gets SNAP: the stored snapshot plus the log after it") {
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    Cluster c(Options(seed, 3));
    std::set<int64_t> reg;
    // Servers 2 and 3 hold a snapshot at 1:4 and the log from there to 1:6.
    StateMachine at4;
    for (int64_t z : Range(1, 1, 4)) REQUIRE(at4.Apply({z, TxnBytes(z)}).empty());
    for (ServerId id : {2, 3}) {
      Preload(&c, id, 1, 1, Range(1, 1, 6), &reg);
      c.node(id).disk().Compact(MakeZxid(1, 4), at4.Serialize());
    }
    Observed seen;
    Boot(&c, &seen);
    CHECK(c.ServingLeader() == 3);
    REQUIRE(!seen.syncs[1].empty());
    CHECK(seen.syncs[1].back() == zab::SyncStart{zab::SyncMode::kSnap, MakeZxid(1, 6)});
    // The stored snapshot, then the logged txns after it.
    CHECK(c.node(1).state().base_zxid() == MakeZxid(1, 4));
    CHECK(c.node(1).disk().snapshot_zxid() == MakeZxid(1, 4));
    CHECK(c.node(1).state().tree().Find("/t1_1") != nullptr);
    CHECK(c.node(1).state().tree().Find("/t1_6") != nullptr);
    RequireSameTrees(c);
  }
}

TEST_CASE("a lagging follower gets DIFF and catches up") {
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    Cluster c(Options(seed, 3));
    Observed seen;
    Boot(&c, &seen);
    const ServerId leader = c.ServingLeader();
    const ServerId lagging = leader == 1 ? 2 : 1;
    int64_t early = 0;
    for (int i = 0; i < 3; ++i) early = c.Write(leader, Create("/e" + std::to_string(i)));
    REQUIRE(early != 0);
    REQUIRE(c.RunUntil([&] { return AllApplied(c, early); }, kBound));
    c.RunTicks(5);  // let the lagging server's disk settle
    c.node(lagging).Crash(false);
    const int64_t at = c.node(lagging).disk().Durable().last_zxid;
    CHECK(at >= early);
    int64_t last = 0;
    for (int i = 0; i < 10; ++i) {
      last = c.Write(leader, Create("/w" + std::to_string(i)));
      REQUIRE(last != 0);
      c.RunTicks(1);
    }
    REQUIRE(c.RunUntil([&] { return c.node(leader).state().last_zxid() == last; }, kBound));
    seen.syncs.clear();
    c.node(lagging).Restart();
    REQUIRE(c.RunUntil([&] { return Converged(c); }, kBound));
    CHECK(c.ServingLeader() == leader);
    REQUIRE(!seen.syncs[lagging].empty());
    CHECK(seen.syncs[lagging].back() == zab::SyncStart{zab::SyncMode::kDiff, at});
    CHECK(c.node(lagging).state().tree().Find("/w9") != nullptr);
    RequireSameTrees(c);
  }
}

TEST_CASE("an isolated leader steps down; its uncommitted proposals are truncated") {
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    Cluster c(Options(seed, 3));
    Observed seen;
    Boot(&c, &seen);
    const ServerId old = c.ServingLeader();
    const int64_t old_epoch = c.node(old).peer().current_epoch();
    const int64_t committed = c.Write(old, Create("/before"));
    REQUIRE(committed != 0);
    REQUIRE(c.RunUntil([&] { return AllApplied(c, committed); }, kBound));

    std::set<Direction> cut;
    for (ServerId id : c.ids()) {
      if (id == old) continue;
      cut.insert({old, id});
      cut.insert({id, old});
    }
    c.net().SetHeld(cut, "isolate the leader");
    const int64_t lost = c.Write(old, Create("/lost"));
    REQUIRE(lost != 0);
    // It notices within syncLimit (plus a ping period) that no quorum hears it.
    const zab::PeerConfig t = SimTiming();
    REQUIRE(c.RunUntil([&] { return !c.node(old).peer().serving(); },
                       t.sync_limit_ticks + 2 * t.ping_ticks + 1));
    // The other two elect a new leader in a higher epoch.
    REQUIRE(c.RunUntil(
        [&] {
          ServerId l = c.ServingLeader();
          return l != 0 && l != old && c.node(l).peer().current_epoch() > old_epoch;
        },
        kBound));
    c.net().SetHeld({}, "heal");
    seen.syncs.clear();
    REQUIRE(c.RunUntil([&] { return Converged(c); }, kBound));
    CHECK(c.ServingLeader() != old);
    REQUIRE(!seen.syncs[old].empty());
    CHECK(seen.syncs[old].back() == zab::SyncStart{zab::SyncMode::kTrunc, committed});
    for (ServerId id : c.ids()) {
      CHECK(c.node(id).state().tree().Find("/lost") == nullptr);
      CHECK(c.node(id).state().tree().Find("/before") != nullptr);
    }
    std::string data;
    CHECK_FALSE(c.node(old).disk().DurableRecord(lost, &data));
    RequireSameTrees(c);
  }
}

TEST_CASE("an observer learns commits by INFORM but never counts for the quorum") {
  for (uint64_t seed : kSeeds) {
    CAPTURE(seed);
    Cluster c(Options(seed, 3, 1));
    Observed seen;
    Boot(&c, &seen);
    const ServerId leader = c.ServingLeader();
    CHECK(c.node(4).peer().state() == zab::PeerState::kObserving);
    int64_t last = 0;
    for (int i = 0; i < 5; ++i) {
      last = c.Write(leader, Create("/o" + std::to_string(i)));
      REQUIRE(last != 0);
    }
    REQUIRE(c.RunUntil([&] { return AllApplied(c, last) && Converged(c); }, kBound));
    CHECK(seen.informs[4] >= 5);
    for (ServerId id : c.ids()) {
      if (id != 4) CHECK(seen.informs[id] == 0);
    }
    CHECK(c.node(4).state().last_zxid() == last);
    RequireSameTrees(c);
    for (const zab::LearnerStatus& s : c.node(leader).peer().Learners()) {
      if (s.id == 4) CHECK(s.observer);
    }

    // Leader + observer are no quorum of voters: the leader steps down, nothing commits.
    for (ServerId id : c.voters()) {
      if (id != leader) c.node(id).Crash(false);
    }
    const int64_t orphan = c.Write(leader, Create("/orphan"));
    REQUIRE(orphan != 0);
    const zab::PeerConfig t = SimTiming();
    REQUIRE(c.RunUntil([&] { return !c.node(leader).peer().serving(); },
                       t.sync_limit_ticks + 2 * t.ping_ticks + 1));
    c.RunTicks(kBound);
    CHECK(c.ServingLeader() == 0);
    CHECK(c.node(leader).state().last_zxid() < orphan);
    CHECK(c.node(4).state().last_zxid() < orphan);
    CHECK(c.checker().committed_max() < orphan);
  }
}

TEST_CASE("a torn append is cut at restart; the server rejoins") {
  Rng rng(7);
  SimDisk disk;
  std::vector<zab::LogEntry> first = {{MakeZxid(1, 1), TxnBytes(MakeZxid(1, 1))}};
  disk.Enqueue(zab::AppendAction{1, first});
  CHECK(disk.CompleteOne() == 1);
  std::vector<zab::LogEntry> batch;
  for (int i = 2; i <= 6; ++i) batch.push_back({MakeZxid(1, i), TxnBytes(MakeZxid(1, i))});
  disk.Enqueue(zab::AppendAction{2, batch});
  disk.Enqueue(zab::SaveEpochsAction{3, 1, 1});
  std::string what = disk.Crash(&rng, true);
  CHECK(what.find("torn") != std::string::npos);
  const int64_t before = disk.LastZxid();
  CHECK(before > MakeZxid(1, 1));  // at least the damaged record reached the disk
  CHECK(disk.Recover() == 1);      // exactly the damaged last record is cut
  CHECK(disk.LastZxid() == before - 1);
  CHECK(disk.accepted_epoch() == 0);  // the epochs write after it was lost
  for (const zab::LogEntry& e : disk.DurableLog()) CHECK(e.data == TxnBytes(e.zxid));
}

// The checkers themselves: each property, violated on purpose, must be reported.
TEST_CASE("the checker reports each violated property") {
  auto entry = [](int64_t z, std::string d) { return zab::LogEntry{z, std::move(d)}; };
  StateMachine sm;
  {  // integrity: applying a txn nobody proposed
    Checker ch;
    CHECK_THROWS_AS(ch.OnApply(1, entry(MakeZxid(1, 1), TxnBytes(MakeZxid(1, 1))), 0, false, sm),
                    SimFailure);
  }
  {  // integrity: other bytes than proposed
    Checker ch;
    ch.OnPropose(1, MakeZxid(1, 1), TxnBytes(MakeZxid(1, 1)));
    CHECK_THROWS_AS(ch.OnWireTxn(1, MakeZxid(1, 1), "other"), SimFailure);
  }
  {  // one leader per epoch
    Checker ch;
    SimDisk d1, d2;
    ch.OnServing(1, true, 3, 1, 0, &d1);
    CHECK_THROWS_AS(ch.OnServing(2, true, 3, 2, 0, &d2), SimFailure);
    CHECK_THROWS_AS(ch.OnServing(3, false, 4, 2, 0, &d2), SimFailure);  // no leader of epoch 4
  }
  {  // primary order: applying below the committed history, skipping a committed txn
    Checker ch;
    const int64_t a = MakeZxid(1, 1), b = MakeZxid(1, 2), x = MakeZxid(1, 3);
    for (int64_t z : {a, b, x}) ch.OnPropose(1, z, TxnBytes(z));
    StateMachine s1, s2;
    REQUIRE(s1.Apply(entry(a, TxnBytes(a))).empty());
    ch.OnApply(1, entry(a, TxnBytes(a)), 0, true, s1);
    REQUIRE(s1.Apply(entry(b, TxnBytes(b))).empty());
    ch.OnApply(1, entry(b, TxnBytes(b)), a, true, s1);
    // Server 2 applies 1:3 straight after nothing: it skipped committed 1:1 and 1:2.
    REQUIRE(s2.Apply(entry(x, TxnBytes(x))).empty());
    CHECK_THROWS_AS(ch.OnApply(2, entry(x, TxnBytes(x)), 0, false, s2), SimFailure);
  }
  {  // lost ack: a later leader without an acknowledged write
    Checker ch;
    const int64_t a = MakeZxid(1, 1);
    ch.OnPropose(1, a, TxnBytes(a));
    StateMachine s1;
    REQUIRE(s1.Apply(entry(a, TxnBytes(a))).empty());
    ch.OnApply(1, entry(a, TxnBytes(a)), 0, true, s1);
    CHECK(ch.acked().count(a) == 1);
    SimDisk empty;
    CHECK_THROWS_AS(ch.OnServing(2, true, 2, 2, 0, &empty), SimFailure);
  }
  {  // digests: two trees at one zxid that differ
    Checker ch;
    const int64_t a = MakeZxid(1, 1);
    ch.OnPropose(1, a, TxnBytes(a));
    StateMachine s1;
    REQUIRE(s1.Apply(entry(a, TxnBytes(a))).empty());
    ch.OnTreeReset(1, s1, true, "restart");
    // A snapshot labelled 1:1 holding another tree.
    server::Txn t;
    REQUIRE(server::DecodeTxn(TxnBytes(a), &t));
    std::get<server::CreateTxn>(t.body).data = "different";
    StateMachine other, s2;
    REQUIRE(other.Apply(entry(a, server::EncodeTxn(t))).empty());
    REQUIRE(s2.Reset(a, other.Serialize()).empty());
    CHECK_THROWS_AS(ch.OnTreeReset(2, s2, false, "snapshot"), SimFailure);
  }
}

// Membership changes under faults: the joint-quorum checker catches the planted bug (commit
// with the new membership's quorum alone) within a few seeds, and the same seeds without it
// pass every checker, liveness after healing included.
TEST_CASE("reconfig: the planted new-quorum-only commit is caught; without it the seeds pass") {
  int caught = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SimOptions o;
    o.seed = seed;
    o.steps = 800;
    o.reconfig = 1;
    o.plant_commit_with_new_quorum_only = true;
    SimResult bug = RunSimulation(o);
    if (!bug.ok && bug.failure.find("joint quorum") != std::string::npos) ++caught;
    o.plant_commit_with_new_quorum_only = false;
    SimResult r = RunSimulation(o);
    INFO("seed ", seed, ": ", r.failure);
    CHECK(r.ok);
  }
  CHECK(caught >= 5);
}

TEST_CASE("reconfig: membership changes over spares under crashes and partitions pass") {
  int64_t changes = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SimOptions o;
    o.seed = seed;
    o.voters = 3;
    o.steps = 600;
    o.reconfig = 1;
    SimResult r = RunSimulation(o);
    INFO("seed ", seed, ": ", r.failure);
    CHECK(r.ok);
    changes += r.config_changes;
  }
  CHECK(changes > 20);
}

}  // namespace
}  // namespace zk::sim
