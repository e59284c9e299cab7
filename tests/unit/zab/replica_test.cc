// The Replica (zab/replica.h) with scripted ports: a leader streaming a log range to a learner.
#include <doctest/doctest.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "zab/memory_log_store.h"
#include "zab/replica.h"
#include "zab/zxid.h"

namespace zk::zab {
namespace {

class ScriptedMachine final : public StateMachine {
 public:
  void ApplyCommitted(const LogEntry& entry) override { applied.push_back(entry.zxid); }
  bool StoredSnapshotFile(int64_t, int64_t* snapshot_zxid, std::string* path) override {
    *snapshot_zxid = 0;
    path->clear();
    return true;
  }
  void LoadState(StateLoad load) override { loads.push_back(std::move(load)); }
  void Deliver(ServerId, std::string) override {}
  void RoleChanged() override { ++role_changes; }
  void Failed(const Status& status) override { failure = status.ToString(); }

  std::vector<int64_t> applied;
  std::vector<StateLoad> loads;
  int role_changes = 0;
  std::string failure;
};

// Disk work waits until the test completes it; reads wait too.
class ScriptedDisk final : public ReplicaDisk {
 public:
  explicit ScriptedDisk(MemoryLogStore* store) : store_(store) {}

  void Append(uint64_t seq, std::vector<LogEntry> entries) override {
    ops_.push_back({seq, std::move(entries), 0, 0, 0, Kind::kAppend});
  }
  void Truncate(uint64_t seq, int64_t after_zxid) override {
    ops_.push_back({seq, {}, after_zxid, 0, 0, Kind::kTruncate});
  }
  void SaveEpochs(uint64_t seq, int64_t accepted, int64_t current) override {
    ops_.push_back({seq, {}, 0, accepted, current, Kind::kEpochs});
  }
  void SaveConfig(uint64_t seq, const QuorumConfig&) override {
    ops_.push_back({seq, {}, 0, 0, 0, Kind::kConfig});
  }
  void ReadLogChunk(const LogChunkRequest& request) override { log_reads.push_back(request); }
  void ReadSnapshotFile(const SnapshotFileRequest&) override { FAIL("no snapshot expected"); }

  // Makes every queued operation durable and reports it to `replica` (if any).
  void CompleteAll(Replica* replica) {
    while (!ops_.empty()) {
      Op op = std::move(ops_.front());
      ops_.pop_front();
      switch (op.kind) {
        case Kind::kAppend: {
          REQUIRE(store_->Append(op.entries, true).ok());
          if (replica != nullptr) replica->OnAppendDurable(op.entries.back().zxid, Status::OK());
          break;
        }
        case Kind::kTruncate:
          REQUIRE(store_->TruncateAfter(op.after).ok());
          if (replica != nullptr) replica->OnDiskOpDone(op.seq, Status::OK());
          break;
        case Kind::kEpochs:
          REQUIRE(WriteEpochs(store_, op.accepted, op.current).ok());
          if (replica != nullptr) replica->OnDiskOpDone(op.seq, Status::OK());
          break;
        case Kind::kConfig:  // the membership never changes in these tests
          if (replica != nullptr) replica->OnDiskOpDone(op.seq, Status::OK());
          break;
      }
    }
  }

  std::deque<LogChunkRequest> log_reads;

 private:
  enum class Kind { kAppend, kTruncate, kEpochs, kConfig };
  struct Op {
    uint64_t seq;
    std::vector<LogEntry> entries;
    int64_t after, accepted, current;
    Kind kind;
  };
  MemoryLogStore* store_;
  std::deque<Op> ops_;
};

class ScriptedNetwork final : public ReplicaNetwork {
 public:
  bool Send(ServerId to, Message&& msg) override {
    sent.emplace_back(to, std::move(msg));
    return true;
  }
  void Disconnect(ServerId peer) override { disconnected.push_back(peer); }
  std::optional<size_t> QueuedBytes(ServerId) override { return std::nullopt; }

  // Zxids of the proposals sent to `to`.
  std::vector<int64_t> ProposalsTo(ServerId to) const {
    std::vector<int64_t> out;
    for (const auto& [dest, msg] : sent) {
      if (auto* p = std::get_if<Proposal>(&msg); p != nullptr && dest == to) {
        out.push_back(p->zxid);
      }
    }
    return out;
  }
  bool Sent(ServerId to, auto pred) const {
    for (const auto& [dest, msg] : sent) {
      if (dest == to && pred(msg)) return true;
    }
    return false;
  }

  std::vector<std::pair<ServerId, Message>> sent;
  std::vector<ServerId> disconnected;
};

// Server 1, the only voter, restarted with txns 1:1..1:10 in its log; server 2 observes.
struct StandaloneLeader {
  StandaloneLeader() {
    for (int i = 1; i <= 10; ++i) {
      REQUIRE(store.Append({LogEntry{MakeZxid(1, i), "txn" + std::to_string(i)}}, true).ok());
    }
    REQUIRE(WriteEpochs(&store, 1, 1).ok());
    PeerConfig config;
    config.id = 1;
    config.voters = {1};
    config.observers = {2};
    replica = std::make_unique<Replica>(config, DurableState{1, 1, MakeZxid(1, 10)}, &store,
                                        &machine, &disk, &net, ReplicaOptions{}, 7);
    replica->Start();
    for (int i = 0; i < 200 && !(replica->peer().serving() &&
                                 replica->peer().state() == PeerState::kLeading);
         ++i) {
      disk.CompleteAll(replica.get());
      replica->Tick();
    }
    REQUIRE(replica->peer().state() == PeerState::kLeading);
    REQUIRE(replica->peer().serving());
  }

  // Observer 2 connects with txns up to 1:3 and is synchronized by DIFF: the range (1:3, 1:10]
  // is read from the log.
  void ObserverJoins() {
    replica->OnConnected(2, Channel::kQuorum);
    replica->OnMessage(2, LearnerInfo{1, MakeZxid(1, 3), true});
    REQUIRE(net.Sent(2, [](const Message& m) { return std::holds_alternative<LeaderInfo>(m); }));
    replica->OnMessage(2, AckEpoch{1, MakeZxid(1, 3)});
    REQUIRE(disk.log_reads.size() == 1);
    CHECK(disk.log_reads.front().from == MakeZxid(1, 4));
    CHECK(disk.log_reads.front().upto == MakeZxid(1, 10));
  }

  void CompleteRead() {
    LogChunkRequest r = disk.log_reads.front();
    disk.log_reads.pop_front();
    std::vector<LogEntry> entries;
    Status s = store.Read(r.from, r.upto, r.max_bytes, &entries);
    replica->OnLogChunkRead(r, s, std::move(entries), store.FirstZxid());
  }

  MemoryLogStore store;
  ScriptedMachine machine;
  ScriptedDisk disk{&store};
  ScriptedNetwork net;
  std::unique_ptr<Replica> replica;
};

TEST_CASE("a log range is streamed from the log, and what waited behind it follows") {
  StandaloneLeader l;
  l.ObserverJoins();
  CHECK(l.net.ProposalsTo(2).empty());  // nothing before the range
  // A new txn while the range is read waits behind it.
  const int64_t z = l.replica->Propose("new");
  REQUIRE(z != 0);
  l.disk.CompleteAll(l.replica.get());
  CHECK(l.net.ProposalsTo(2).empty());
  l.CompleteRead();
  std::vector<int64_t> expected;
  for (int i = 4; i <= 10; ++i) expected.push_back(MakeZxid(1, i));
  std::vector<int64_t> got = l.net.ProposalsTo(2);
  REQUIRE(got.size() >= expected.size());
  CHECK(std::vector<int64_t>(got.begin(), got.begin() + 7) == expected);
  CHECK(l.net.disconnected.empty());
  CHECK(l.replica->active_streams() == 0);
}

TEST_CASE("a log range purged before it is read disconnects the learner instead of a hole") {
  StandaloneLeader l;
  l.ObserverJoins();
  // A snapshot was taken meanwhile and the log before 1:8 purged: 1:4..1:7 are gone.
  REQUIRE(l.store.PurgeBefore(MakeZxid(1, 8)).ok());
  l.CompleteRead();
  CHECK(l.net.ProposalsTo(2).empty());
  CHECK(l.net.disconnected == std::vector<ServerId>{2});
  CHECK(l.replica->active_streams() == 0);
}

TEST_CASE("a log range purged between two chunks disconnects the learner") {
  StandaloneLeader l;
  l.ObserverJoins();
  // The first chunk holds one entry only.
  LogChunkRequest r = l.disk.log_reads.front();
  l.disk.log_reads.pop_front();
  std::vector<LogEntry> first;
  REQUIRE(l.store.Read(r.from, r.upto, 1, &first).ok());
  REQUIRE(first.size() == 1);
  l.replica->OnLogChunkRead(r, Status::OK(), std::move(first), l.store.FirstZxid());
  CHECK(l.net.ProposalsTo(2) == std::vector<int64_t>{MakeZxid(1, 4)});
  REQUIRE(l.disk.log_reads.size() == 1);
  REQUIRE(l.store.PurgeBefore(MakeZxid(1, 9)).ok());
  l.CompleteRead();
  CHECK(l.net.ProposalsTo(2) == std::vector<int64_t>{MakeZxid(1, 4)});
  CHECK(l.net.disconnected == std::vector<ServerId>{2});
}

TEST_CASE("a failed disk operation fails the replica once") {
  StandaloneLeader l;
  const int64_t z = l.replica->Propose("x");
  REQUIRE(z != 0);
  l.replica->OnAppendDurable(z, Status::IOError("disk gone"));
  CHECK(l.replica->failed());
  CHECK(l.machine.failure.find("disk gone") != std::string::npos);
  CHECK(l.replica->Propose("y") == 0);
}

}  // namespace
}  // namespace zk::zab
