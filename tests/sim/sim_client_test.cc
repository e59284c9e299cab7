// SimClient on its own (hand-made server frames) and against a real standalone ServerNode in
// this process (LevelDB log and snapshot files in a temporary directory), with the
// HistoryChecker run over what the sessions saw.
#include "tests/sim/sim_client.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "client/proto/jute.h"
#include "client/proto/records.h"
#include "server/config.h"
#include "server/driver_replication.h"
#include "server/file_node_storage.h"
#include "server/node_clock.h"
#include "server/server_node.h"
#include "tests/sim/history_checker.h"
#include "tests/sim/rng.h"
#include "tests/sim/sim_client_link.h"
#include "zab/leveldb_log_store.h"

namespace zk::sim {
namespace {

std::string ConnectResponseFrame(int64_t session, int32_t timeout_ms) {
  proto::ConnectResponse rsp;
  rsp.timeout_ms = timeout_ms;
  rsp.session_id = session;
  rsp.passwd.assign(kSessionPasswordLength, 'p');
  proto::JuteWriter w;
  rsp.Write(w);
  return w.Take();
}

std::string ReplyFrame(int32_t xid, int64_t zxid, Err err) {
  proto::JuteWriter w;
  proto::ReplyHeader{xid, zxid, static_cast<int32_t>(err)}.Write(w);
  return w.Take();
}

TEST_CASE("SimClient: handshake, replies, connection loss and a refused reconnect") {
  SimClientOptions options;
  options.close_per_mille = 0;
  SimClient client(7, 42, options);
  CHECK(client.state() == SimClient::State::kDisconnected);
  CHECK_FALSE(client.NextFrame().has_value());

  std::string hello = client.ConnectFrame();
  proto::JuteReader hr(hello);
  proto::ConnectRequest req;
  REQUIRE(req.Read(hr));
  CHECK(req.session_id == 0);
  CHECK(req.last_zxid_seen == 0);
  CHECK(client.state() == SimClient::State::kHandshaking);

  client.OnFrame(ConnectResponseFrame(0x77, 6000));
  REQUIRE(client.state() == SimClient::State::kConnected);
  CHECK(client.session_id() == 0x77);
  CHECK(client.negotiated_timeout_ms() == 6000);

  // Requests go out up to the outstanding limit, with xids 1, 2, 3.
  std::vector<int32_t> xids;
  while (auto f = client.NextFrame()) {
    proto::JuteReader r(*f);
    proto::RequestHeader h;
    REQUIRE(h.Read(r));
    xids.push_back(h.xid);
  }
  CHECK(xids == std::vector<int32_t>{1, 2, 3});

  client.OnFrame(ReplyFrame(1, 0x10, Err::kNoNode));
  client.OnFrame(ReplyFrame(3, 0x11, Err::kNoNode));  // out of order: a protocol error
  CHECK(client.last_zxid_seen() == 0x10);
  CHECK(client.history().ops[0].outcome == Outcome::kReplied);
  CHECK(client.history().ops[0].zxid == 0x10);
  CHECK(client.history().protocol_errors.size() == 1);

  client.OnDisconnected();
  CHECK(client.state() == SimClient::State::kDisconnected);
  CHECK(client.history().ops[1].outcome == Outcome::kUnknown);
  CHECK(client.history().ops[2].outcome == Outcome::kUnknown);

  std::string again = client.ConnectFrame();
  proto::JuteReader ar(again);
  proto::ConnectRequest req2;
  REQUIRE(req2.Read(ar));
  CHECK(req2.session_id == 0x77);
  CHECK(req2.last_zxid_seen == 0x10);
  CHECK(req2.passwd == std::string(kSessionPasswordLength, 'p'));

  client.OnFrame(ConnectResponseFrame(0, 0));  // the session is gone
  CHECK(client.ended());
  CHECK(client.history().steps.back().kind == StepKind::kExpired);
  CHECK_FALSE(client.NextFrame().has_value());
}

// Time that moves only when the test says (session expiry).
struct ManualClockForSimClient final : server::NodeClock {
  int64_t MonotonicMs() const override { return now_ms; }
  int64_t WallMs() const override { return 1'700'000'000'000 + now_ms; }
  int64_t now_ms = 1'000'000;
};

// The node's FileNodeStorage, except that snapshots are only recorded, not written, and one
// "runs" for as long as `hold` is set: what the node does when a snapshot is due while the last
// one is still being written. Records the zxid at which each snapshot was started and at which
// each was found still running (the node asks only when one is due).
class HeldSnapshotStorage final : public server::NodeStorage {
 public:
  explicit HeldSnapshotStorage(std::unique_ptr<server::NodeStorage> files)
      : files_(std::move(files)) {}

  bool hold = false;
  std::function<int64_t()> zxid_now;       // the node's last applied zxid
  std::vector<int64_t> started;            // zxids of the snapshots started
  // zxids at which one was due but still running (SnapshotRunning is const in the interface)
  mutable std::vector<int64_t> found_running;

  zab::Result<std::optional<server::LoadedSnapshot>> LoadNewestSnapshot(
      std::unique_ptr<server::DataTree>* t) override {
    return files_->LoadNewestSnapshot(t);
  }
  std::vector<int64_t> SnapshotZxids() override { return files_->SnapshotZxids(); }
  std::string SnapshotLocation(int64_t zxid) override { return files_->SnapshotLocation(zxid); }
  zab::Status StoreSnapshot(int64_t zxid, std::string_view bytes) override {
    return files_->StoreSnapshot(zxid, bytes);
  }
  void RemoveSnapshot(int64_t zxid) override { files_->RemoveSnapshot(zxid); }
  int64_t SnapshotWrittenAt(int64_t zxid) override { return files_->SnapshotWrittenAt(zxid); }
  bool StartSnapshot(const server::DataTree& t, const server::SessionTracker&) override {
    if (running_) return false;
    started.push_back(t.last_zxid());
    running_ = true;
    return true;
  }
  bool SnapshotRunning() const override {
    if (running_) found_running.push_back(zxid_now());
    return running_;
  }
  std::optional<zab::Status> PollSnapshot() override {
    if (!running_ || hold) return std::nullopt;
    running_ = false;
    return zab::Status::OK();
  }
  int64_t PurgeSnapshots(int retain_count) override {
    return files_->PurgeSnapshots(retain_count);
  }
  void Close() override { files_->Close(); }
  server::StorageSizes Sizes() override { return files_->Sizes(); }

 private:
  std::unique_ptr<server::NodeStorage> files_;
  bool running_ = false;
};

// A standalone ServerNode with its log and snapshots in a temporary directory.
struct StandaloneNode {
  // With `snap_count` > 0 the node runs with that snapCount over a HeldSnapshotStorage (`held`).
  explicit StandaloneNode(int snap_count = 0) {
    char tmpl[] = "/tmp/zk_sim_client_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    server::ServerConfig config;
    config.data_dir = dir;
    config.data_log_dir = dir;
    config.tick_time_ms = 200;  // sessions of 400 ms .. 4 s
    config.node_seed = 99;
    if (snap_count > 0) config.snap_count = snap_count;
    for (const std::string& d : {server::SnapshotDir(config), server::TxnLogDir(config)}) {
      std::filesystem::create_directories(d);
    }
    auto opened =
        zab::LeveldbLogStore::Open(server::TxnLogDir(config), zab::LeveldbLogStore::Options{});
    REQUIRE(opened.ok());
    log = std::move(opened.value());
    storage = std::make_unique<server::FileNodeStorage>(config);
    if (snap_count > 0) {
      auto wrapped = std::make_unique<HeldSnapshotStorage>(std::move(storage));
      held = wrapped.get();
      storage = std::move(wrapped);
    }
    node = std::make_unique<server::ServerNode>(config, &clock);
    if (held != nullptr) held->zxid_now = [this] { return node->tree().last_zxid(); };
    REQUIRE(node->Start(log.get(), storage.get(), server::DriverReplication::Factory(io, node->config()))
                .ok());
  }
  ~StandaloneNode() {
    node->Stop();
    node.reset();
    storage.reset();
    log.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  // Runs the io_context and the links' deliveries until `done` holds; false if it never does
  // within `rounds` rounds.
  bool RunUntil(const std::function<bool()>& done, int rounds = 20000) {
    for (int i = 0; i < rounds; ++i) {
      if (done()) return true;
      while (!deliveries.empty()) {
        auto fn = std::move(deliveries.front());
        deliveries.pop_front();
        fn();
      }
      io.restart();
      io.run_one_for(std::chrono::milliseconds(5));
      io.poll();
    }
    return done();
  }

  // A new connection of `client`; one the node refuses (too many) is closed at once. Without
  // `say_hello` the client's ConnectRequest is not sent (the caller may send it later).
  std::shared_ptr<SimClientLink> Connect(SimClient& client, bool say_hello = true) {
    const std::string address = "10.0.0." + std::to_string(client.history().client_id);
    const uint64_t id = node->AdmitLink(address);
    auto link = std::make_shared<SimClientLink>(
        id, address, &client, [this](SimClientLink::Direction, std::function<void()> fn) {
          if (schedule_at_random == nullptr) {
            deliveries.push_back(std::move(fn));
          } else {
            auto at = deliveries.begin() +
                      static_cast<std::ptrdiff_t>(schedule_at_random->Below(deliveries.size() + 1));
            deliveries.insert(at, std::move(fn));
          }
        });
    std::string hello = client.ConnectFrame();
    if (id == 0) {
      link->Disconnect();
      return link;
    }
    link->SetHandler(node.get());
    link->set_pump_on_delivery(true);
    node->AttachLink(link);
    if (say_hello) link->SendToNode(std::move(hello));
    return link;
  }

  std::string dir;
  asio::io_context io;
  ManualClockForSimClient clock;
  std::unique_ptr<zab::LeveldbLogStore> log;
  std::unique_ptr<server::NodeStorage> storage;
  HeldSnapshotStorage* held = nullptr;
  std::unique_ptr<server::ServerNode> node;
  std::deque<std::function<void()>> deliveries;
  Rng* schedule_at_random = nullptr;  // when set, deliveries run in a random order
};

size_t RepliedOps(const SimClient& c) {
  size_t n = 0;
  for (const OpRecord& op : c.history().ops) n += op.outcome == Outcome::kReplied ? 1 : 0;
  return n;
}

// What a workload run produced.
struct WorkloadRun {
  std::vector<ClientHistory> histories;
  std::set<int64_t> dead;
  size_t ok_writes = 0, ok_multis = 0, events = 0, unknown = 0, reconnects = 0, closed = 0;
};

// `clients` sessions run against `server` until `ops` replies have arrived in all; deliveries
// interleave at random (FIFO per link); every so often a connection is cut and the client comes
// back with its session; a session that closed itself is replaced by a fresh client.
WorkloadRun RunWorkload(StandaloneNode& server, uint64_t seed, int clients, size_t ops) {
  Rng rng(seed);
  struct Slot {
    std::unique_ptr<SimClient> client;
    std::shared_ptr<SimClientLink> link;
  };
  std::vector<Slot> slots;
  WorkloadRun run;
  uint64_t next_client_id = 1;
  size_t total_replied = 0;  // of replaced clients
  auto connect = [&](Slot& slot) {
    if (slot.link) slot.link->DetachClient();
    slot.link = server.Connect(*slot.client);
  };
  for (int i = 0; i < clients; ++i) {
    SimClientOptions options;
    options.close_per_mille = 4;
    slots.push_back(Slot{std::make_unique<SimClient>(next_client_id++, rng.Next(), options), {}});
  }
  // Deliveries run in a random order; each link keeps its own frames in order.
  server.schedule_at_random = &rng;
  auto replied = [&] {
    size_t n = total_replied;
    for (const Slot& s : slots) n += RepliedOps(*s.client);
    return n;
  };
  const size_t target = ops * static_cast<size_t>(clients);
  bool finished = server.RunUntil([&] {
    for (Slot& slot : slots) {
      SimClient& c = *slot.client;
      if (c.ended()) {
        ++run.closed;
        total_replied += RepliedOps(c);
        run.histories.push_back(c.history());
        if (slot.link) slot.link->DetachClient();
        SimClientOptions options;
        options.close_per_mille = 4;
        slot.client = std::make_unique<SimClient>(next_client_id++, rng.Next(), options);
        slot.link.reset();
        connect(slot);
      } else if (c.state() == SimClient::State::kDisconnected) {
        ++run.reconnects;
        connect(slot);
      } else if (c.state() == SimClient::State::kConnected && rng.PerMille(3)) {
        slot.link->Disconnect();  // the network cuts it; the client comes back next round
      }
    }
    return replied() >= target;
  });
  REQUIRE(finished);
  // Quiesce: no new requests; every outstanding reply arrives.
  for (Slot& slot : slots) {
    if (slot.link) slot.link->set_pump_on_delivery(false);
  }
  bool quiet = server.RunUntil([&] {
    for (const Slot& s : slots) {
      if (s.client->state() == SimClient::State::kHandshaking || s.client->outstanding() > 0) {
        return false;
      }
    }
    return true;
  });
  if (!quiet) {
    for (const Slot& s : slots) {
      const ClientHistory& h = s.client->history();
      std::string tail;
      for (size_t i = h.steps.size() > 8 ? h.steps.size() - 8 : 0; i < h.steps.size(); ++i) {
        const Step& st = h.steps[i];
        tail += " " + std::to_string(static_cast<int>(st.kind));
        if (st.kind == StepKind::kInvoke || st.kind == StepKind::kOutcome) {
          tail += "(" + DescribeOp(h.ops[st.op]) + ")";
        }
      }
      MESSAGE("client " << h.client_id << " state " << static_cast<int>(s.client->state())
                        << " outstanding " << s.client->outstanding() << " link closed "
                        << (s.link ? s.link->closed() : true) << " queued deliveries "
                        << server.deliveries.size() << " last steps" << tail);
    }
  }
  REQUIRE(quiet);
  server.schedule_at_random = nullptr;
  for (Slot& slot : slots) {
    run.histories.push_back(slot.client->history());
    if (slot.link) slot.link->DetachClient();
  }
  for (const ClientHistory& h : run.histories) {
    run.events += h.events.size();
    for (const OpRecord& op : h.ops) {
      run.unknown += op.outcome == Outcome::kUnknown ? 1 : 0;
      if (!op.ok()) continue;
      run.ok_multis += op.type == OpCode::kMulti ? 1 : 0;
      run.ok_writes += op.type == OpCode::kCreate2 || op.type == OpCode::kSetData ||
                               op.type == OpCode::kDelete || op.type == OpCode::kMulti
                           ? 1
                           : 0;
    }
    if (h.session_id != 0 && server.node->sessions().Find(h.session_id) == nullptr) {
      run.dead.insert(h.session_id);
    }
  }
  return run;
}

TEST_CASE("SimClients against a standalone ServerNode: histories pass every check") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    StandaloneNode server;
    WorkloadRun run = RunWorkload(server, seed, 4, 400);
    MESSAGE("seed " << seed << ": sessions " << run.histories.size() << " (closed " << run.closed
                    << "), reconnects " << run.reconnects << ", successful writes " << run.ok_writes
                    << " (multis " << run.ok_multis << "), watch events " << run.events
                    << ", unknown outcomes " << run.unknown << ", final zxid "
                    << server.node->tree().last_zxid());
    CHECK(run.ok_writes > 100);
    CHECK(run.ok_multis > 0);
    CHECK(run.events > 0);
    CHECK(run.reconnects > 0);
    HistoryChecker checker(run.histories, run.dead);
    std::vector<std::string> violations = checker.CheckAll(&server.node->tree(), run.dead);
    std::string all;
    for (const std::string& v : violations) all += v + "\n";
    INFO(all);
    CHECK(violations.empty());
  }
}

TEST_CASE("a session left disconnected expires: its reconnect is refused, its ephemerals go") {
  StandaloneNode server;
  Rng rng(11);
  server.schedule_at_random = &rng;
  std::vector<std::unique_ptr<SimClient>> clients;
  std::vector<std::shared_ptr<SimClientLink>> links;
  for (int i = 0; i < 3; ++i) {
    SimClientOptions options;
    options.close_per_mille = 0;
    clients.push_back(std::make_unique<SimClient>(i + 1, 500 + i, options));
    links.push_back(server.Connect(*clients.back()));
  }
  auto keep_connected = [&] {
    for (size_t i = 1; i < clients.size(); ++i) {
      if (clients[i]->state() == SimClient::State::kDisconnected) {
        links[i]->DetachClient();
        links[i] = server.Connect(*clients[i]);
      }
    }
  };
  REQUIRE(server.RunUntil([&] {
    keep_connected();
    if (clients[0]->state() == SimClient::State::kDisconnected) {
      links[0]->DetachClient();
      links[0] = server.Connect(*clients[0]);
    }
    return RepliedOps(*clients[0]) >= 150 && RepliedOps(*clients[1]) >= 150;
  }));
  const int64_t gone = clients[0]->session_id();
  MESSAGE("the silent session owns " << server.node->tree().EphemeralsOf(gone).size()
                                     << " ephemerals before it expires");
  links[0]->Disconnect();
  links[0]->DetachClient();
  // Time passes in steps of 100 ms while the other sessions keep working; the silent one expires.
  bool expired = false;
  for (int step = 0; step < 200 && !expired; ++step) {
    server.clock.now_ms += 100;
    const size_t r1 = RepliedOps(*clients[1]), r2 = RepliedOps(*clients[2]);
    REQUIRE(server.RunUntil([&] {
      keep_connected();
      return RepliedOps(*clients[1]) > r1 && RepliedOps(*clients[2]) > r2;
    }));
    server.node->OnTick();
    expired = server.node->sessions().Find(gone) == nullptr;
  }
  REQUIRE(expired);
  links[0] = server.Connect(*clients[0]);
  REQUIRE(server.RunUntil([&] { return clients[0]->ended(); }));
  CHECK(clients[0]->history().steps.back().kind == StepKind::kExpired);
  CHECK(server.node->tree().EphemeralsOf(gone).empty());

  for (auto& l : links) l->set_pump_on_delivery(false);
  REQUIRE(server.RunUntil([&] {
    return clients[1]->outstanding() == 0 && clients[2]->outstanding() == 0 &&
           clients[1]->state() != SimClient::State::kHandshaking &&
           clients[2]->state() != SimClient::State::kHandshaking;
  }));
  server.schedule_at_random = nullptr;
  std::vector<ClientHistory> histories;
  std::set<int64_t> dead;
  for (auto& c : clients) {
    histories.push_back(c->history());
    if (server.node->sessions().Find(c->session_id()) == nullptr) dead.insert(c->session_id());
  }
  CHECK(dead == std::set<int64_t>{gone});
  std::vector<std::string> violations =
      HistoryChecker(histories, dead).CheckAll(&server.node->tree(), dead);
  std::string all;
  for (const std::string& v : violations) all += v + "\n";
  INFO(all);
  CHECK(violations.empty());
}

// ZooKeeper's sessionlessCnxnTimeout: a connection that has not asked for a session 10 s after
// it was accepted is closed; one that said hello late, or has a session, stays.
TEST_CASE("a connection without a session is closed after the sessionless timeout") {
  StandaloneNode server;
  SimClientOptions options;
  options.close_per_mille = 0;
  SimClient talker(1, 41, options);
  SimClient mute(2, 42, options);
  SimClient late(3, 43, options);
  // Refused while the node is not yet serving: the talker comes back until it has a session.
  auto talker_link = server.Connect(talker);
  REQUIRE(server.RunUntil([&] {
    if (talker.state() == SimClient::State::kDisconnected) {
      talker_link->DetachClient();
      talker_link = server.Connect(talker);
    }
    return talker.state() == SimClient::State::kConnected;
  }));
  auto mute_link = server.Connect(mute, /*say_hello=*/false);
  auto late_link = server.Connect(late, /*say_hello=*/false);
  // Time passes in ticks of 100 ms while the talker keeps working (its session stays alive).
  auto pass = [&](int64_t ms) {
    for (int64_t t = 0; t < ms; t += 100) {
      server.clock.now_ms += 100;
      const size_t before = RepliedOps(talker);
      REQUIRE(server.RunUntil([&] { return RepliedOps(talker) > before; }));
      server.node->OnTick();
    }
    REQUIRE(server.RunUntil([] { return true; }));
  };
  pass(5000);
  late_link->SendToNode(late.ConnectFrame());
  REQUIRE(server.RunUntil([&] { return late.state() == SimClient::State::kConnected; }));
  pass(server::kSessionlessConnectionTimeoutMs - 5000 - 100);
  CHECK_FALSE(mute_link->closed());  // 9.9 s: not yet
  pass(100);
  // The node closes it; the client hears it and the node forgets the link a delivery later.
  REQUIRE(server.RunUntil([&] {
    return mute_link->closed() && mute.state() == SimClient::State::kDisconnected &&
           server.node->link_count() == 2;
  }));
  CHECK(mute.state() == SimClient::State::kDisconnected);
  CHECK_FALSE(late_link->closed());
  CHECK(late.state() == SimClient::State::kConnected);
  CHECK_FALSE(talker_link->closed());
  CHECK(talker.state() == SimClient::State::kConnected);
  CHECK(server.node->link_count() == 2);
  CHECK(server.node->Metrics().sessionless_connections_expired == 1);
}

// ZooKeeper's snapshot cadence: a snapshot is due after a count of txns drawn in
// [snapCount/2+1, snapCount]; when one is due while the last is still being written it is
// skipped, and either way the count starts over (it does not fire at every txn until the last
// snapshot ends).
TEST_CASE("a snapshot due while the last one runs is skipped, and the count starts over") {
  StandaloneNode server(/*snap_count=*/20);  // due every 11..20 txns
  REQUIRE(server.held != nullptr);
  HeldSnapshotStorage& held = *server.held;
  SimClientOptions options;
  options.close_per_mille = 0;  // one session all along
  SimClient client(1, 500, options);
  auto link = server.Connect(client);
  const auto last_zxid = [&] {
    if (client.state() == SimClient::State::kDisconnected) {  // refused before serving, or lost
      link->DetachClient();
      link = server.Connect(client);
    }
    return server.node->tree().last_zxid();
  };

  held.hold = true;  // the first snapshot keeps running
  // 300 txns of epoch 1 (a zxid's low 32 bits count the epoch's txns).
  REQUIRE(server.RunUntil([&] { return (last_zxid() & 0xffffffff) >= 300; }));
  REQUIRE(held.started.size() == 1);
  REQUIRE(held.found_running.size() >= 2);
  server.node->OnTick();  // polled while held: nothing ends
  held.hold = false;
  server.node->OnTick();  // the snapshot ends
  const int64_t ended_at = last_zxid();
  REQUIRE(server.RunUntil([&] {
    server.node->OnTick();  // from now on each snapshot ends at the next tick
    return held.started.size() >= 3;
  }));

  // Every point at which a snapshot was due, started or skipped, in zxid order: each is 11..20
  // txns after the one before (every applied txn counts, and standalone zxids are consecutive).
  std::vector<int64_t> due = held.found_running;
  due.insert(due.end(), held.started.begin(), held.started.end());
  std::sort(due.begin(), due.end());
  CHECK(std::adjacent_find(due.begin(), due.end()) == due.end());
  for (size_t i = 1; i < due.size(); ++i) {
    CAPTURE(due[i - 1]);
    CAPTURE(due[i]);
    CHECK(due[i] - due[i - 1] >= 11);
    CHECK(due[i] - due[i - 1] <= 20);
  }
  // Skips happened only while the first snapshot ran; the next one started at its own count.
  CHECK(held.found_running.back() <= ended_at);
  CHECK(held.started[1] > ended_at);
  CHECK(held.found_running.size() >= (ended_at - held.started[0]) / 20);
  link->Disconnect();
}

// The checks catch faults planted into histories the real server produced.
TEST_CASE("planted faults in a real history are caught") {
  StandaloneNode server;
  WorkloadRun run = RunWorkload(server, 7, 3, 300);
  {
    std::vector<std::string> clean =
        HistoryChecker(run.histories, run.dead).CheckAll(&server.node->tree(), run.dead);
    std::string all;
    for (const std::string& v : clean) all += v + "\n";
    INFO(all);
    REQUIRE(clean.empty());
  }
  SUBCASE("a setData's version bumped") {
    // Bumps go unflagged only on paths an op of unknown outcome may have written; most are not.
    size_t bumps = 0, flagged = 0;
    for (size_t hi = 0; hi < run.histories.size(); ++hi) {
      for (size_t oi = 0; oi < run.histories[hi].ops.size(); ++oi) {
        const OpRecord& op = run.histories[hi].ops[oi];
        if (!op.ok() || op.type != OpCode::kSetData) continue;
        std::vector<ClientHistory> planted = run.histories;
        planted[hi].ops[oi].stat.version += 1;
        ++bumps;
        flagged += HistoryChecker(planted).CheckWriteOrder().empty() ? 0 : 1;
      }
    }
    REQUIRE(bumps > 0);
    CHECK(flagged * 2 > bumps);
  }
  SUBCASE("reads return data nobody wrote") {
    for (ClientHistory& hist : run.histories) {
      for (OpRecord& op : hist.ops) {
        if (op.type == OpCode::kGetData && op.ok()) op.data_read = "garbage";
      }
    }
    CHECK_FALSE(HistoryChecker(run.histories).CheckReadData().empty());
  }
  SUBCASE("a read answered from the past") {
    // A getData answered after an earlier reply of its session (replies are FIFO).
    size_t h = 0, o = 0;
    bool found = false;
    for (h = 0; h < run.histories.size() && !found; ++h) {
      const std::vector<OpRecord>& ops = run.histories[h].ops;
      for (o = 1; o < ops.size() && !found; ++o) {
        found = ops[o].ok() && ops[o].type == OpCode::kGetData &&
                ops[o - 1].outcome == Outcome::kReplied && ops[o - 1].zxid > 1;
      }
    }
    REQUIRE(found);
    run.histories[h - 1].ops[o - 1].zxid = 1;
    CHECK_FALSE(HistoryChecker(run.histories).CheckSessionOrder().empty());
  }
  SUBCASE("an acknowledged create missing from an empty final tree") {
    server::DataTree empty;
    CHECK_FALSE(HistoryChecker(run.histories).CheckAckedWritesDurable(empty, run.dead).empty());
  }
  SUBCASE("a watch event delivered twice") {
    bool planted = false;
    for (ClientHistory& hist : run.histories) {
      for (size_t i = 0; i < hist.steps.size() && !planted; ++i) {
        if (hist.steps[i].kind != StepKind::kEvent) continue;
        hist.steps.insert(hist.steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, hist.steps[i]);
        planted = true;
      }
    }
    REQUIRE(planted);
    CHECK_FALSE(HistoryChecker(run.histories).CheckOneEventPerWatch().empty());
  }
}

}  // namespace
}  // namespace zk::sim
