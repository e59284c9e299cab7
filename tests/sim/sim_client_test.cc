// SimClient on its own (hand-made server frames) and against a real standalone ServerNode in
// this process (LevelDB log and snapshot files in a temporary directory), with the
// HistoryChecker run over what the sessions saw.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <asio.hpp>

#include "client/proto/jute.h"
#include "client/proto/records.h"
#include "server/config.h"
#include "server/file_node_storage.h"
#include "server/node_clock.h"
#include "server/server_node.h"
#include "tests/sim/history_checker.h"
#include "tests/sim/sim_client.h"
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

// A standalone ServerNode with its log and snapshots in a temporary directory.
struct StandaloneNode {
  StandaloneNode() {
    char tmpl[] = "/tmp/zk_sim_client_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    server::ServerConfig config;
    config.data_dir = dir;
    config.data_log_dir = dir;
    config.tick_time_ms = 200;  // sessions of 400 ms .. 4 s
    config.node_seed = 99;
    for (const std::string& d : {server::SnapshotDir(config), server::TxnLogDir(config)}) {
      std::filesystem::create_directories(d);
    }
    auto opened = zab::LeveldbLogStore::Open(server::TxnLogDir(config),
                                             zab::LeveldbLogStore::Options{});
    REQUIRE(opened.ok());
    log = std::move(opened.value());
    storage = std::make_unique<server::FileNodeStorage>(config);
    node = std::make_unique<server::ServerNode>(io, config, &clock);
    REQUIRE(node->Start(log.get(), storage.get()).ok());
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

  std::shared_ptr<SimClientLink> Connect(SimClient& client) {
    auto link = std::make_shared<SimClientLink>(
        node->AdmitLink("127.0.0.1"), &client,
        [this](SimClientLink::Direction, std::function<void()> fn) {
          deliveries.push_back(std::move(fn));
        });
    link->SetHandler(node.get());
    link->set_pump_on_delivery(true);
    node->AttachLink(link);
    link->SendToNode(client.ConnectFrame());
    return link;
  }

  std::string dir;
  asio::io_context io;
  server::SystemClock clock;
  std::unique_ptr<zab::LeveldbLogStore> log;
  std::unique_ptr<server::FileNodeStorage> storage;
  std::unique_ptr<server::ServerNode> node;
  std::deque<std::function<void()>> deliveries;
};

size_t RepliedOps(const SimClient& c) {
  size_t n = 0;
  for (const OpRecord& op : c.history().ops) n += op.outcome == Outcome::kReplied ? 1 : 0;
  return n;
}

TEST_CASE("SimClients against a standalone ServerNode: histories pass every check") {
  StandaloneNode server;
  constexpr int kClients = 3;
  std::vector<std::unique_ptr<SimClient>> clients;
  std::vector<std::shared_ptr<SimClientLink>> links;
  for (int i = 0; i < kClients; ++i) {
    SimClientOptions options;
    options.close_per_mille = 0;  // sessions stay; one is closed explicitly below
    clients.push_back(std::make_unique<SimClient>(i + 1, 1000 + i, options));
  }
  // The node serves once its single-member ensemble has elected itself: connect until accepted.
  for (int i = 0; i < kClients; ++i) {
    SimClient& c = *clients[i];
    bool up = server.RunUntil([&] {
      if (c.state() == SimClient::State::kDisconnected) {
        if (i < static_cast<int>(links.size())) links[i]->DetachClient();
        auto link = server.Connect(c);
        if (i < static_cast<int>(links.size())) {
          links[i] = link;
        } else {
          links.push_back(link);
        }
      }
      return c.state() == SimClient::State::kConnected;
    });
    REQUIRE(up);
  }

  auto all_replied_at_least = [&](size_t n) {
    for (const auto& c : clients) {
      if (RepliedOps(*c) < n) return false;
    }
    return true;
  };
  REQUIRE(server.RunUntil([&] { return all_replied_at_least(150); }));

  // Client 1 loses its connection and comes back with its session, lastZxidSeen and watches.
  const int64_t session1 = clients[0]->session_id();
  links[0]->Disconnect();
  CHECK(clients[0]->state() == SimClient::State::kDisconnected);
  links[0] = server.Connect(*clients[0]);
  REQUIRE(server.RunUntil([&] { return clients[0]->state() == SimClient::State::kConnected; }));
  CHECK(clients[0]->session_id() == session1);
  REQUIRE(server.RunUntil([&] { return all_replied_at_least(300); }));

  // Quiesce: no new requests; wait for every outstanding reply.
  for (auto& l : links) l->set_pump_on_delivery(false);
  REQUIRE(server.RunUntil([&] {
    for (const auto& c : clients) {
      if (c->outstanding() > 0) return false;
    }
    return true;
  }));

  std::vector<ClientHistory> histories;
  size_t ok_writes = 0, ok_multis = 0, events = 0, unknown = 0;
  for (const auto& c : clients) {
    histories.push_back(c->history());
    events += c->history().events.size();
    for (const OpRecord& op : c->history().ops) {
      unknown += op.outcome == Outcome::kUnknown ? 1 : 0;
      if (!op.ok()) continue;
      ok_multis += op.type == OpCode::kMulti ? 1 : 0;
      ok_writes += op.type == OpCode::kCreate2 || op.type == OpCode::kSetData ||
                           op.type == OpCode::kDelete || op.type == OpCode::kMulti
                       ? 1
                       : 0;
    }
  }
  MESSAGE("ops replied: " << RepliedOps(*clients[0]) << "/" << RepliedOps(*clients[1]) << "/"
                          << RepliedOps(*clients[2]) << ", successful writes " << ok_writes
                          << " (multis " << ok_multis << "), watch events " << events
                          << ", unknown outcomes " << unknown
                          << ", final zxid 0x" << std::hex << server.node->tree().last_zxid());
  CHECK(ok_writes > 20);
  CHECK(ok_multis > 0);
  CHECK(events > 0);

  std::set<int64_t> dead;
  for (const ClientHistory& h : histories) {
    if (server.node->sessions().Find(h.session_id) == nullptr) dead.insert(h.session_id);
  }
  HistoryChecker checker(histories);
  std::vector<std::string> violations = checker.CheckAll(&server.node->tree(), dead);
  std::string all;
  for (const std::string& v : violations) all += v + "\n";
  INFO(all);
  CHECK(violations.empty());
}

}  // namespace
}  // namespace zk::sim
