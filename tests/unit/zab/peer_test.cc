// Scripted scenarios for the ZAB core: a tiny in-process cluster of Replicas (the production
// driver core, zab/replica.h) with a perfect FIFO network and a disk that completes all queued
// work whenever the cluster runs. The randomized fault-injecting simulator lives in tests/sim/;
// these tests pin down exact outcomes of the protocol's main paths.
#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "zab/config_txn.h"
#include "zab/memory_log_store.h"
#include "zab/peer.h"
#include "zab/replica.h"
#include "zab/zxid.h"

namespace zk::zab {
namespace {

// The state machine: the applied txns, in order. Its snapshot is that list, serialized.
using Applied = std::vector<LogEntry>;

std::string Serialize(const Applied& a) {
  std::string out;
  for (const LogEntry& e : a) {
    out += std::to_string(e.zxid) + ":" + e.data + "\n";
  }
  return out;
}

Applied Deserialize(const std::string& s) {
  Applied a;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t colon = s.find(':', pos), nl = s.find('\n', pos);
    a.push_back(LogEntry{std::stoll(s.substr(pos, colon - pos)), s.substr(colon + 1, nl - colon - 1)});
    pos = nl + 1;
  }
  return a;
}

struct Envelope {
  ServerId from, to;
  Message msg;
};

class Cluster;

// One server: its log, durable snapshot and epochs, its applied txns, and its Replica, whose
// ports (disk, network, state machine) this is. Disk work waits in a queue until the cluster
// completes it.
struct Node final : ReplicaDisk, ReplicaNetwork, StateMachine {
  std::unique_ptr<MemoryLogStore> log = std::make_unique<MemoryLogStore>();
  std::unique_ptr<Replica> replica;
  Applied applied;
  Applied snapshot;  // durable snapshot
  int64_t accepted = 0, current = 0;
  std::optional<QuorumConfig> committed_config;  // durable (SaveConfig)
  bool up = false;
  std::map<SyncMode, int> syncs;  // SyncStart messages received, by mode

  ServerId id = 0;
  Cluster* cluster = nullptr;
  struct DiskOp {
    uint64_t seq;
    std::vector<LogEntry> entries;  // an append
    bool truncate = false;
    int64_t after = 0;
    bool epochs = false;
    int64_t accepted = 0, current = 0;
    std::optional<QuorumConfig> config;  // a SaveConfig
  };
  std::deque<DiskOp> disk;
  std::deque<LogChunkRequest> log_reads;
  std::deque<SnapshotFileRequest> snapshot_reads;

  std::deque<StateLoad> loads;  // state loads the Replica started, not yet carried out
  bool defer_loads = false;     // leave them pending (a slow load)

  bool Busy() const {
    return !disk.empty() || !log_reads.empty() || !snapshot_reads.empty() ||
           (!loads.empty() && !defer_loads);
  }
  // Completes every queued disk operation and read, reporting each to the Replica.
  void CompleteDiskWork();
  void ApplyDiskOp(const DiskOp& op);

  // ReplicaDisk.
  void Append(uint64_t seq, std::vector<LogEntry> entries) override {
    disk.push_back(DiskOp{seq, std::move(entries)});
  }
  void Truncate(uint64_t seq, int64_t after_zxid) override {
    disk.push_back(DiskOp{seq, {}, true, after_zxid});
  }
  void SaveEpochs(uint64_t seq, int64_t a, int64_t c) override {
    disk.push_back(DiskOp{seq, {}, false, 0, true, a, c});
  }
  void SaveConfig(uint64_t seq, const QuorumConfig& c) override {
    DiskOp op{seq, {}};
    op.config = c;
    disk.push_back(std::move(op));
  }
  void ReadLogChunk(const LogChunkRequest& r) override { log_reads.push_back(r); }
  void ReadSnapshotFile(const SnapshotFileRequest& r) override { snapshot_reads.push_back(r); }

  // ReplicaNetwork.
  bool Send(ServerId to, Message&& msg) override;
  // Records the proposals sent to several servers at once, then sends each a copy.
  void SendToAll(const std::vector<ServerId>& to, const Message& msg) override {
    if (auto* p = std::get_if<Proposal>(&msg)) proposal_broadcasts.emplace_back(p->zxid, to);
    if (std::holds_alternative<Commit>(msg)) ++commit_broadcasts;
    ReplicaNetwork::SendToAll(to, msg);
  }
  std::vector<std::pair<int64_t, std::vector<ServerId>>> proposal_broadcasts;
  int commit_broadcasts = 0;
  void Disconnect(ServerId peer) override;
  std::optional<size_t> QueuedBytes(ServerId) override { return std::nullopt; }

  // StateMachine.
  void ApplyCommitted(const LogEntry& entry) override {
    if (!applied.empty()) REQUIRE(entry.zxid > applied.back().zxid);
    applied.push_back(entry);
  }
  bool StoredSnapshotFile(int64_t zxid, int64_t* snapshot_zxid, std::string* path) override {
    // The state at `zxid` itself: the applied txns up to it (every one of them is durable).
    REQUIRE((applied.empty() ? 0 : applied.back().zxid) >= zxid);
    *snapshot_zxid = zxid;
    *path = zxid == 0 ? std::string() : "state-at-" + std::to_string(zxid);
    return true;
  }
  void LoadState(StateLoad load) override { loads.push_back(std::move(load)); }
  // Carries out a state load (CompleteDiskWork does, as the disk work).
  void CarryOutLoad(const StateLoad& load) {
    if (load.kind == StateLoad::Kind::kInstall) {
      applied = Deserialize(load.data);
      snapshot = applied;
      return;
    }
    applied = snapshot;
    std::vector<LogEntry> entries;
    REQUIRE(log->Read(0, load.zxid, SIZE_MAX, &entries).ok());
    for (LogEntry& e : entries) applied.push_back(e);
  }
  void Deliver(ServerId, std::string) override {}
  void RoleChanged() override {}
  void Failed(const Status& status) override { FAIL("replica failed: " << status.ToString()); }
};

class Cluster {
 public:
  explicit Cluster(int voters, int observers = 0, int64_t max_zxid_counter = kMaxZxidCounter) {
    config_.TEST_max_zxid_counter = max_zxid_counter;
    for (int i = 1; i <= voters; ++i) config_.voters.push_back(i);
    for (int i = voters + 1; i <= voters + observers; ++i) config_.observers.push_back(i);
    config_.finalize_wait_ticks = 2;
    config_.init_limit_ticks = 50;
    config_.sync_limit_ticks = 20;
    config_.ping_ticks = 5;
    for (int i = 1; i <= voters + observers; ++i) Start(i);
  }

  Node& node(ServerId id) { return nodes_[id]; }

  // Starts a server outside the static membership, waiting to be added.
  void StartJoiner(ServerId id) {
    joining_.insert(id);
    Start(id);
  }

  // Proposes a membership change at the leader and runs until quiet.
  ConfigProposal Reconfig(std::vector<ServerId> voters, std::vector<ServerId> observers = {}) {
    ServerId l = Leader();
    REQUIRE(l != 0);
    ConfigProposal p = nodes_[l].replica->ProposeConfig(
        MakeQuorumConfig(0, std::move(voters), std::move(observers)), "config-txn");
    Settle();
    return p;
  }

  void Start(ServerId id) {
    Node& n = nodes_[id];
    // Recover: snapshot + the whole log.
    n.applied = n.snapshot;
    std::vector<LogEntry> entries;
    REQUIRE(n.log->Read(0, INT64_MAX, SIZE_MAX, &entries).ok());
    for (LogEntry& e : entries) {
      if (n.applied.empty() || e.zxid > n.applied.back().zxid) n.applied.push_back(e);
    }
    PeerConfig c = config_;
    c.id = id;
    c.joining = joining_.contains(id);
    DurableState d{n.accepted, n.current, n.applied.empty() ? 0 : n.applied.back().zxid};
    d.committed_config = n.committed_config;
    for (const LogEntry& e : n.applied) {  // snapshot + log: every config the state holds
      QuorumConfig qc;
      std::string_view txn;
      if (DecodeConfigTxn(e.data, &qc, &txn)) {
        qc.version = e.zxid;
        d.seen_configs.push_back(qc);
      }
    }
    n.id = id;
    n.cluster = this;
    n.disk.clear();
    n.log_reads.clear();
    n.snapshot_reads.clear();
    n.replica = std::make_unique<Replica>(c, d, n.log.get(), &n, &n, &n, ReplicaOptions{},
                                          static_cast<uint64_t>(id));
    n.up = true;
    for (auto& [other, o] : nodes_) {
      if (other == id || !o.up) continue;
      for (Channel ch : {Channel::kElection, Channel::kQuorum}) {
        n.replica->OnConnected(other, ch);
        o.replica->OnConnected(id, ch);
      }
    }
    n.replica->Start();
  }

  void Crash(ServerId id) {
    nodes_[id].up = false;
    nodes_[id].replica.reset();
    nodes_[id].disk.clear();  // pending disk work is lost
    nodes_[id].log_reads.clear();
    nodes_[id].snapshot_reads.clear();
    nodes_[id].loads.clear();
    for (auto& [other, o] : nodes_) {
      if (other == id || !o.up) continue;
      for (Channel ch : {Channel::kElection, Channel::kQuorum}) o.replica->OnDisconnected(id, ch);
    }
    std::erase_if(net_, [&](const Envelope& e) { return e.from == id || e.to == id; });
  }

  // Cuts the links between two running peers (both channels, messages in flight dropped) and
  // keeps them cut until Link.
  void Cut(ServerId a, ServerId b) {
    cut_.insert({std::min(a, b), std::max(a, b)});
    for (Channel ch : {Channel::kElection, Channel::kQuorum}) {
      nodes_[a].replica->OnDisconnected(b, ch);
      nodes_[b].replica->OnDisconnected(a, ch);
    }
    std::erase_if(net_, [&](const Envelope& e) {
      return (e.from == a && e.to == b) || (e.from == b && e.to == a);
    });
  }

  void Link(ServerId a, ServerId b) {
    cut_.erase({std::min(a, b), std::max(a, b)});
    for (Channel ch : {Channel::kElection, Channel::kQuorum}) {
      nodes_[a].replica->OnConnected(b, ch);
      nodes_[b].replica->OnConnected(a, ch);
    }
  }

  void Wipe(ServerId id) {
    Node& n = nodes_[id];
    n.log = std::make_unique<MemoryLogStore>();
    n.snapshot.clear();
    n.applied.clear();
    n.accepted = n.current = 0;
  }

  // Runs until quiet: every node's actions carried out, every message delivered.
  void Settle() {
    for (int rounds = 0; rounds < 100000; ++rounds) {
      bool busy = false;
      for (auto& [id, n] : nodes_) {
        if (n.up && n.Busy()) {
          busy = true;
          n.CompleteDiskWork();
        }
      }
      if (!net_.empty()) {
        busy = true;
        Envelope e = std::move(net_.front());
        net_.erase(net_.begin());
        Node& to = nodes_[e.to];
        if (to.up) {
          if (auto* s = std::get_if<SyncStart>(&e.msg)) ++to.syncs[s->mode];
          to.replica->OnMessage(e.from, std::move(e.msg));
        }
      }
      if (!busy) return;
    }
    FAIL("cluster never settled");
  }

  void Ticks(int n) {
    for (int i = 0; i < n; ++i) {
      for (auto& [id, node] : nodes_) {
        if (node.up) node.replica->Tick();
      }
      Settle();
    }
  }

  ServerId Leader() {
    ServerId leader = 0;
    for (auto& [id, n] : nodes_) {
      if (n.up && n.replica->peer().state() == PeerState::kLeading &&
          n.replica->peer().serving()) {
        CHECK(leader == 0);
        leader = id;
      }
    }
    return leader;
  }

  int64_t Write(const std::string& data) {
    ServerId l = Leader();
    REQUIRE(l != 0);
    int64_t zxid = nodes_[l].replica->Propose(data);
    REQUIRE(zxid != 0);
    Settle();
    return zxid;
  }

  // From `from`'s network port: queues the message unless `to` is down or cut off.
  bool Route(ServerId from, ServerId to, Message msg) {
    if (!nodes_[to].up || cut_.contains({std::min(from, to), std::max(from, to)})) return false;
    net_.push_back({from, to, std::move(msg)});
    return true;
  }

 private:
  PeerConfig config_;
  std::set<ServerId> joining_;
  std::map<ServerId, Node> nodes_;
  std::vector<Envelope> net_;
  std::set<std::pair<ServerId, ServerId>> cut_;
};

void Node::ApplyDiskOp(const DiskOp& op) {
  if (op.config) {
    committed_config = op.config;
  } else if (op.truncate) {
    REQUIRE(log->TruncateAfter(op.after).ok());
  } else if (op.epochs) {
    accepted = op.accepted;
    current = op.current;
  } else {
    REQUIRE(log->Append(op.entries, true).ok());
  }
}

void Node::CompleteDiskWork() {
  while (up && Busy()) {
    if (!disk.empty()) {
      DiskOp op = std::move(disk.front());
      disk.pop_front();
      ApplyDiskOp(op);
      if (op.truncate || op.epochs || op.config) {
        replica->OnDiskOpDone(op.seq, Status::OK());
      } else {
        replica->OnAppendDurable(op.entries.back().zxid, Status::OK());
      }
    } else if (!loads.empty() && !defer_loads) {
      StateLoad load = std::move(loads.front());
      loads.pop_front();
      CarryOutLoad(load);
      replica->OnStateLoaded(Status::OK());
    } else if (!log_reads.empty()) {
      LogChunkRequest r = log_reads.front();
      log_reads.pop_front();
      std::vector<LogEntry> entries;
      Status s = log->Read(r.from, r.upto, r.max_bytes, &entries);
      replica->OnLogChunkRead(r, s, std::move(entries), log->FirstZxid());
    } else {
      SnapshotFileRequest r = snapshot_reads.front();
      snapshot_reads.pop_front();
      Applied upto;
      for (const LogEntry& e : applied) {
        if (e.zxid <= r.zxid) upto.push_back(e);
      }
      replica->OnSnapshotFileRead(r, Serialize(upto));
    }
  }
}

bool Node::Send(ServerId to, Message&& msg) { return cluster->Route(id, to, std::move(msg)); }

// The test network keeps connections up; a learner whose sync failed notices by its timeouts.
void Node::Disconnect(ServerId) {}

std::vector<int64_t> Zxids(const Applied& a) {
  std::vector<int64_t> z;
  for (const LogEntry& e : a) z.push_back(e.zxid);
  return z;
}

TEST_CASE("a standalone peer leads alone and commits once durable") {
  Cluster c(1);
  c.Settle();
  REQUIRE(c.Leader() == 1);
  CHECK(c.node(1).current == 1);
  int64_t z = c.Write("a");
  CHECK(z == MakeZxid(1, 1));
  CHECK(Zxids(c.node(1).applied) == std::vector<int64_t>{z});
  // Restart: a new epoch, the history kept.
  c.Crash(1);
  c.Start(1);
  c.Settle();
  REQUIRE(c.Leader() == 1);
  CHECK(c.node(1).current == 2);
  CHECK(c.Write("b") == MakeZxid(2, 1));
  CHECK(c.node(1).applied.size() == 2);
}

TEST_CASE("three voters elect the highest id, replicate and agree") {
  Cluster c(3);
  c.Settle();
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  for (int i = 1; i <= 3; ++i) {
    CHECK(c.node(i).replica->peer().serving());
    CHECK(c.node(i).current == 1);
  }
  for (int i = 0; i < 10; ++i) c.Write("w" + std::to_string(i));
  for (int i = 1; i <= 3; ++i) CHECK(c.node(i).applied.size() == 10);
  CHECK(Zxids(c.node(1).applied) == Zxids(c.node(3).applied));
}

TEST_CASE("a leader hands each proposal and commit to the network once for all followers") {
  Cluster c(3);
  c.Settle();
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  const size_t before = c.node(3).proposal_broadcasts.size();
  for (int i = 0; i < 5; ++i) c.Write("w" + std::to_string(i));
  const auto& sent = c.node(3).proposal_broadcasts;
  REQUIRE(sent.size() == before + 5);
  for (size_t i = before; i < sent.size(); ++i) {
    CHECK(sent[i].second == std::vector<ServerId>{1, 2});
    if (i > before) CHECK(sent[i].first > sent[i - 1].first);
  }
  CHECK(c.node(3).commit_broadcasts >= 5);
  // Followers send nothing to several servers; every follower applied every write.
  CHECK(c.node(1).proposal_broadcasts.empty());
  CHECK(c.node(2).proposal_broadcasts.empty());
  CHECK(c.node(1).applied.size() == 5);
  CHECK(c.node(2).applied.size() == 5);
}

TEST_CASE("the leader dies: the most up-to-date survivor leads, nothing committed is lost") {
  Cluster c(3);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  for (int i = 0; i < 5; ++i) c.Write("w" + std::to_string(i));
  c.Crash(3);
  c.Ticks(5);
  ServerId l = c.Leader();
  REQUIRE(l == 2);
  CHECK(c.node(2).current == 2);
  c.Write("after");
  CHECK(c.node(1).applied.size() == 6);
  CHECK(c.node(2).applied.size() == 6);
  // The old leader rejoins by DIFF and catches up.
  c.Start(3);
  c.Ticks(10);
  CHECK(c.Leader() == 2);
  CHECK(c.node(3).syncs[SyncMode::kDiff] == 1);
  CHECK(Zxids(c.node(3).applied) == Zxids(c.node(2).applied));
  CHECK(c.node(3).replica->peer().serving());
}

// Three voters commit a few txns; server 1 crashes, loses its disk and misses one more txn. It
// is not started again: a SNAP awaits it when it is.
void WipeFollowerWhileWriting(Cluster& c) {
  c.Ticks(5);
  for (int i = 0; i < 5; ++i) c.Write("w" + std::to_string(i));
  c.Crash(1);
  c.Wipe(1);
  c.Write("while away");
}

TEST_CASE("a wiped follower rejoins by SNAP") {
  Cluster c(3);
  WipeFollowerWhileWriting(c);
  c.Start(1);
  c.Ticks(10);
  CHECK(c.node(1).syncs[SyncMode::kSnap] == 1);
  CHECK(Zxids(c.node(1).applied) == Zxids(c.node(3).applied));
  c.Write("after");
  CHECK(Zxids(c.node(1).applied) == Zxids(c.node(3).applied));
}

TEST_CASE("a learner loading the leader's snapshot holds what follows until the load is done") {
  Cluster c(3);
  WipeFollowerWhileWriting(c);
  c.node(1).defer_loads = true;
  c.Start(1);
  c.Ticks(3);
  Replica& learner = *c.node(1).replica;
  REQUIRE(c.node(1).syncs[SyncMode::kSnap] == 1);
  REQUIRE(c.node(1).loads.size() == 1);
  CHECK(c.node(1).loads.front().kind == StateLoad::Kind::kInstall);
  CHECK(learner.loading_state());
  // The leader goes on committing with the other follower; what reaches server 1 waits.
  c.Write("during the load");
  CHECK(learner.held_actions() > 0);
  CHECK(c.node(1).applied.empty());
  CHECK(!learner.peer().serving());
  c.node(1).defer_loads = false;
  c.Ticks(5);
  CHECK(!learner.loading_state());
  CHECK(learner.held_actions() == 0);
  CHECK(learner.peer().serving());
  CHECK(Zxids(c.node(1).applied) == Zxids(c.node(3).applied));
  c.Write("after");
  CHECK(Zxids(c.node(1).applied) == Zxids(c.node(3).applied));
}

TEST_CASE("a follower holding an uncommitted txn is truncated") {
  Cluster c(3);
  c.Ticks(5);
  c.Write("committed");
  // Leader 3 logs a txn nobody else sees, then dies.
  c.Crash(1);
  c.Crash(2);
  int64_t lost = c.node(3).replica->Propose("uncommitted");
  REQUIRE(lost != 0);
  c.Settle();
  CHECK(c.node(3).applied.size() == 1);  // never committed
  c.Crash(3);
  c.Start(1);
  c.Start(2);
  c.Ticks(10);
  REQUIRE(c.Leader() == 2);
  c.Write("new epoch");
  c.Start(3);  // replays its log (with the uncommitted txn), then must be truncated
  c.Ticks(10);
  CHECK(c.node(3).syncs[SyncMode::kTrunc] == 1);
  CHECK(Zxids(c.node(3).applied) == Zxids(c.node(2).applied));
  std::vector<LogEntry> log;
  REQUIRE(c.node(3).log->Read(lost, lost, SIZE_MAX, &log).ok());
  CHECK(log.empty());
}

TEST_CASE("a leader that loses its quorum steps down; a minority commits nothing") {
  Cluster c(3);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  c.Crash(1);
  c.Crash(2);
  CHECK(c.node(3).replica->Propose("x") != 0);
  c.Settle();
  CHECK(c.node(3).applied.empty());
  c.Ticks(30);
  CHECK(c.node(3).replica->peer().state() == PeerState::kLooking);
  CHECK(c.Leader() == 0);
}

TEST_CASE("an observer learns every commit but never counts for the quorum") {
  Cluster c(3, 1);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  CHECK(c.node(4).replica->peer().state() == PeerState::kObserving);
  c.Write("a");
  CHECK(c.node(4).applied.size() == 1);
  c.Crash(1);
  c.Crash(2);
  CHECK(c.node(3).replica->Propose("needs a voter") != 0);
  c.Settle();
  CHECK(c.node(3).applied.size() == 1);  // the observer's presence commits nothing
  CHECK(c.node(4).applied.size() == 1);
}

TEST_CASE("a voter that follows a server which follows another finds out within ticks") {
  // Server 1 cannot reach 3: among the voters it hears (1 and 2) the best is 2, and 1 decides to
  // follow 2 while 2, hearing 3, follows 3.
  Cluster c(3);
  c.Cut(1, 3);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  REQUIRE(c.node(2).replica->peer().state() == PeerState::kFollowing);
  REQUIRE_FALSE(c.node(1).replica->peer().serving());
  // Told by 2 that it follows 3, server 1 does not wait for 2 to lead.
  CHECK(c.node(1).replica->peer().state() == PeerState::kLooking);
  // Once 1 can reach 3 it must join it within a few ticks, not after initLimit (50 ticks).
  c.Link(1, 3);
  c.Ticks(5);
  CHECK(c.node(1).replica->peer().state() == PeerState::kFollowing);
  CHECK(c.node(1).replica->peer().serving());
  c.Write("reaches every voter");
  CHECK(c.node(1).applied.size() == 1);
}

TEST_CASE("an exhausted zxid counter starts a new epoch; nothing is lost") {
  Cluster c(3, 0, /*max_zxid_counter=*/4);
  c.Ticks(5);
  std::vector<int64_t> written;
  for (int i = 0; written.size() < 20 && i < 200; ++i) {
    ServerId l = c.Leader();
    if (l == 0) {
      c.Ticks(1);  // re-electing after the counter ran out
      continue;
    }
    int64_t z = c.node(l).replica->Propose("w" + std::to_string(written.size()));
    c.Settle();
    if (z != 0) written.push_back(z);
  }
  REQUIRE(written.size() == 20);
  c.Ticks(5);
  for (size_t i = 1; i < written.size(); ++i) CHECK(written[i] > written[i - 1]);
  for (int64_t z : written) CHECK(ZxidCounter(z) <= 4);
  CHECK(ZxidEpoch(written.back()) >= 5);  // 20 txns at most 4 per epoch
  for (int i = 1; i <= 3; ++i) {
    CAPTURE(i);
    CHECK(Zxids(c.node(i).applied) == written);
  }
}

}  // namespace
}  // namespace zk::zab

// ---- Reconfiguration ---------------------------------------------------------------------

namespace zk::zab {
namespace {

std::vector<ServerId> Voters(const Peer& p) { return p.committed_config().voters; }

TEST_CASE("reconfig: a joining server is added as a voter and counts from the commit on") {
  Cluster c(3);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  c.Write("a");
  c.StartJoiner(4);
  c.Ticks(5);
  CHECK(c.node(4).replica->peer().state() == PeerState::kFollowing);
  CHECK(c.node(4).replica->peer().serving());
  ConfigProposal p = c.Reconfig({1, 2, 3, 4});
  REQUIRE(p.result == ConfigChange::kProposed);
  for (ServerId id : {1, 2, 3, 4}) {
    const Peer& peer = c.node(id).replica->peer();
    CHECK(Voters(peer) == std::vector<ServerId>{1, 2, 3, 4});
    CHECK(peer.committed_config().version == p.zxid);
    CHECK(peer.pending_config() == nullptr);
    CHECK(c.node(id).committed_config == peer.committed_config());  // durable
  }
  // Four voters: the quorum is three. With 1 and 2 gone, 3 and 4 commit nothing.
  c.Crash(1);
  c.Crash(2);
  c.Ticks(40);
  CHECK(c.Leader() == 0);
  c.Start(1);
  c.Ticks(20);
  REQUIRE(c.Leader() != 0);
  int64_t z = c.Write("b");
  for (ServerId id : {1, 3, 4}) CHECK(c.node(id).applied.back().zxid == z);
}

TEST_CASE("reconfig: a removed follower is dropped and no longer counts") {
  Cluster c(3);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  REQUIRE(c.Reconfig({2, 3}).result == ConfigChange::kProposed);
  CHECK(Voters(c.node(3).replica->peer()) == std::vector<ServerId>{2, 3});
  CHECK(Voters(c.node(2).replica->peer()) == std::vector<ServerId>{2, 3});
  // Voters {2, 3}: both are needed; server 1 alone cannot help the leader commit.
  c.Cut(2, 3);
  c.Ticks(40);
  CHECK(c.Leader() == 0);
  c.Link(2, 3);
  c.Ticks(40);
  REQUIRE(c.Leader() != 0);
  c.Write("after");
}

TEST_CASE("reconfig: the leader removed by a change steps down once it commits") {
  Cluster c(3);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  ConfigProposal p = c.Reconfig({1, 2});
  REQUIRE(p.result == ConfigChange::kProposed);
  // The COMMIT reached 1 and 2 before the leader stepped down.
  CHECK(c.node(3).replica->peer().state() != PeerState::kLeading);
  CHECK(Voters(c.node(1).replica->peer()) == std::vector<ServerId>{1, 2});
  c.Ticks(40);
  ServerId l = c.Leader();
  CHECK((l == 1 || l == 2));
  int64_t z = c.Write("under the new leader");
  CHECK(c.node(1).applied.back().zxid == z);
  CHECK(c.node(2).applied.back().zxid == z);
  CHECK(c.node(3).replica->peer().committed_config().version == p.zxid);
}

TEST_CASE("reconfig: an observer promoted to voter follows from then on") {
  Cluster c(3, 1);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  CHECK(c.node(4).replica->peer().state() == PeerState::kObserving);
  REQUIRE(c.Reconfig({1, 2, 3, 4}).result == ConfigChange::kProposed);
  c.Ticks(20);
  CHECK(c.node(4).replica->peer().state() == PeerState::kFollowing);
  CHECK(c.node(4).replica->peer().serving());
  // And back: demoted, it observes again.
  REQUIRE(c.Reconfig({1, 2, 3}, {4}).result == ConfigChange::kProposed);
  c.Ticks(20);
  CHECK(c.node(4).replica->peer().state() == PeerState::kObserving);
  int64_t z = c.Write("x");
  CHECK(c.node(4).applied.back().zxid == z);
}

TEST_CASE("reconfig: a second change is refused while one is pending") {
  Cluster c(3);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  Replica& leader = *c.node(3).replica;
  // Proposed, not yet acked (nothing delivered yet): pending.
  ConfigProposal first = leader.ProposeConfig(MakeQuorumConfig(0, {2, 3}, {}), "c1");
  REQUIRE(first.result == ConfigChange::kProposed);
  REQUIRE(leader.peer().pending_config() != nullptr);
  CHECK(leader.peer().pending_config()->version == first.zxid);
  CHECK(leader.ProposeConfig(MakeQuorumConfig(0, {1, 2, 3}, {}), "c2").result ==
        ConfigChange::kInProgress);
  c.Settle();
  CHECK(leader.peer().pending_config() == nullptr);
  CHECK(Voters(leader.peer()) == std::vector<ServerId>{2, 3});
  // Committed: the next change may go.
  CHECK(c.Reconfig({1, 2, 3}).result == ConfigChange::kProposed);
}

TEST_CASE("reconfig: a change without a synced quorum of the new voters is refused") {
  Cluster c(3);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  // 4 and 5 do not run: {3, 4, 5} has only the leader.
  CHECK(c.Reconfig({3, 4, 5}).result == ConfigChange::kNoQuorum);
  CHECK(c.node(3).replica->peer().pending_config() == nullptr);
  CHECK(c.Reconfig({}).result == ConfigChange::kInvalid);
  // A follower's refusal: not the leader.
  CHECK(c.node(1).replica->ProposeConfig(MakeQuorumConfig(0, {1, 2, 3}, {}), "x").result ==
        ConfigChange::kNotLeader);
}

TEST_CASE("reconfig: a member that missed a change entirely learns it from a notification") {
  Cluster c(3);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  c.Crash(1);
  c.StartJoiner(4);
  c.StartJoiner(5);
  c.Ticks(5);
  // {1, 4, 5}: 4 and 5 are synced and 2 and 3 ack under the old membership; 1 is down.
  ConfigProposal p = c.Reconfig({1, 4, 5});
  REQUIRE(p.result == ConfigChange::kProposed);
  c.Ticks(40);
  const ServerId l = c.Leader();
  REQUIRE((l == 4 || l == 5));
  // Everyone who knew the static membership goes, and one of the new voters: server 1 comes
  // back with {1, 2, 3} and neither the config txn nor a live voter of that membership.
  const ServerId survivor = l == 4 ? 5 : 4;
  c.Crash(l);
  c.Crash(2);
  c.Crash(3);
  c.Start(1);
  REQUIRE(c.node(1).replica->peer().committed_config().version == 0);
  c.Ticks(60);
  const Peer& p1 = c.node(1).replica->peer();
  CHECK(p1.committed_config().version == p.zxid);
  CHECK(Voters(p1) == std::vector<ServerId>{1, 4, 5});
  CHECK(c.node(1).committed_config == p1.committed_config());  // durable
  REQUIRE(c.Leader() == survivor);
  int64_t z = c.Write("by the new membership's quorum");
  CHECK(c.node(1).applied.back().zxid == z);
  CHECK(c.node(survivor).applied.back().zxid == z);
}

TEST_CASE("reconfig: a restarted member recovers the committed membership and a pending one") {
  Cluster c(3);
  c.Ticks(5);
  REQUIRE(c.Leader() == 3);
  c.StartJoiner(4);
  c.Ticks(5);
  REQUIRE(c.Reconfig({1, 2, 3, 4}).result == ConfigChange::kProposed);
  c.Crash(4);
  c.Start(4);
  CHECK(Voters(c.node(4).replica->peer()) == std::vector<ServerId>{1, 2, 3, 4});
  c.Ticks(20);
  CHECK(c.node(4).replica->peer().state() == PeerState::kFollowing);
  // A durable config lost (crash before SaveConfig): recovered from the log as pending.
  c.Crash(2);
  c.node(2).committed_config.reset();
  c.Start(2);
  const Peer& p2 = c.node(2).replica->peer();
  REQUIRE(p2.pending_config() != nullptr);
  CHECK(p2.pending_config()->voters == std::vector<ServerId>{1, 2, 3, 4});
  CHECK(p2.committed_config().version == 0);
  c.Ticks(20);
  CHECK(c.node(2).replica->peer().pending_config() == nullptr);
  CHECK(Voters(c.node(2).replica->peer()) == std::vector<ServerId>{1, 2, 3, 4});
}

}  // namespace
}  // namespace zk::zab
