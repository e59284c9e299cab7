// HistoryChecker on hand-written histories: for every check, a correct history passes and one
// with a planted violation of that kind fails with a message naming it.
#include "tests/sim/history_checker.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/acl.h"
#include "server/data_tree.h"
#include "tests/sim/checker.h"

namespace zk::sim {
namespace {

// Builds one session's history; every op is sent and answered at once unless said otherwise.
class HistoryBuilder {
 public:
  HistoryBuilder(uint64_t client, int64_t session) {
    h_.client_id = client;
    h_.session_id = session;
    h_.steps.push_back(Step{StepKind::kConnected});
  }

  size_t Create(const std::string& path, int64_t zxid, CreateMode mode = CreateMode::kPersistent,
                const std::string& created = "") {
    OpRecord op = Base(OpCode::kCreate2, path, zxid);
    op.create_mode = static_cast<int32_t>(mode);
    op.created_path = created.empty() ? path : created;
    op.has_stat = true;
    op.stat.czxid = op.stat.mzxid = op.stat.pzxid = zxid;
    if (mode == CreateMode::kEphemeral || mode == CreateMode::kEphemeralSequential) {
      op.stat.ephemeral_owner = h_.session_id;
    }
    return Add(std::move(op));
  }
  size_t SetData(const std::string& path, int64_t zxid, int32_t new_version,
                 int32_t expected = kAnyVersion) {
    OpRecord op = Base(OpCode::kSetData, path, zxid);
    op.version = expected;
    op.has_stat = true;
    op.stat.mzxid = zxid;
    op.stat.version = new_version;
    return Add(std::move(op));
  }
  size_t Delete(const std::string& path, int64_t zxid) {
    return Add(Base(OpCode::kDelete, path, zxid));
  }
  // A getData answered at reply zxid `zxid` showing the node with `czxid`/`mzxid`/`pzxid`.
  size_t GetData(const std::string& path, int64_t zxid, int64_t czxid, int64_t mzxid,
                 bool watch = false, int64_t pzxid = 0) {
    OpRecord op = Base(OpCode::kGetData, path, zxid);
    op.data_read = "d";  // what every builder write writes
    op.watch = watch;
    op.has_stat = true;
    op.stat.czxid = czxid;
    op.stat.mzxid = mzxid;
    op.stat.pzxid = pzxid == 0 ? czxid : pzxid;
    return Add(std::move(op));
  }
  size_t ReadNoNode(OpCode type, const std::string& path, int64_t zxid, bool watch = false) {
    OpRecord op = Base(type, path, zxid);
    op.watch = watch;
    op.err = static_cast<int32_t>(Err::kNoNode);
    return Add(std::move(op));
  }
  size_t GetChildren(const std::string& path, int64_t zxid, int64_t pzxid, bool watch = false) {
    OpRecord op = Base(OpCode::kGetChildren2, path, zxid);
    op.watch = watch;
    op.has_stat = true;
    op.stat.czxid = 2;
    op.stat.mzxid = 2;
    op.stat.pzxid = pzxid;
    return Add(std::move(op));
  }
  size_t CloseSession(int64_t zxid) {
    size_t i = Add(Base(OpCode::kCloseSession, "", zxid));
    h_.steps.push_back(Step{StepKind::kClosed});
    return i;
  }
  // An op whose connection was lost before the reply.
  size_t Unknown(OpRecord op) {
    op.session_id = h_.session_id;
    op.xid = next_xid_++;
    op.outcome = Outcome::kUnknown;
    h_.ops.push_back(std::move(op));
    size_t i = h_.ops.size() - 1;
    h_.steps.push_back(Step{StepKind::kInvoke, i});
    h_.steps.push_back(Step{StepKind::kOutcome, i});
    h_.steps.push_back(Step{StepKind::kDisconnected});
    h_.steps.push_back(Step{StepKind::kConnected});
    return i;
  }
  void Event(EventType type, const std::string& path, int64_t zxid = -1) {
    h_.events.push_back(WatchEventRecord{
        static_cast<int32_t>(type), static_cast<int32_t>(KeeperState::kSyncConnected), path, zxid});
    h_.steps.push_back(Step{StepKind::kEvent, 0, h_.events.size() - 1});
  }
  void Expired() { h_.steps.push_back(Step{StepKind::kExpired}); }

  OpRecord& op(size_t i) { return h_.ops[i]; }
  const ClientHistory& history() const { return h_; }

 private:
  OpRecord Base(OpCode type, const std::string& path, int64_t zxid) {
    OpRecord op;
    op.type = type;
    op.path = path;
    op.data = "d";
    op.zxid = zxid;
    op.outcome = Outcome::kReplied;
    return op;
  }
  size_t Add(OpRecord op) {
    op.session_id = h_.session_id;
    op.xid = next_xid_++;
    op.last_zxid_at_send = 0;
    h_.ops.push_back(std::move(op));
    size_t i = h_.ops.size() - 1;
    h_.steps.push_back(Step{StepKind::kInvoke, i});
    h_.steps.push_back(Step{StepKind::kOutcome, i});
    return i;
  }

  ClientHistory h_;
  int32_t next_xid_ = 1;
};

bool AnyContains(const std::vector<std::string>& violations, const std::string& needle) {
  for (const std::string& v : violations) {
    if (v.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

constexpr int64_t kSessionA = 0x100;
constexpr int64_t kSessionB = 0x200;

void LoadForTest(server::DataTree& tree, const std::string& path, int64_t czxid, int64_t mzxid,
                 int64_t owner = 0) {
  server::NodeStat st;
  st.czxid = czxid;
  st.mzxid = mzxid;
  st.pzxid = czxid;
  st.ephemeral_owner = owner;
  REQUIRE(tree.LoadNode(path, st, "d", false, server::acls::OpenUnsafe()));
}

TEST_CASE("session order: zxids a session sees never go back") {
  HistoryBuilder a(1, kSessionA);
  a.Create("/p", 5);
  a.GetData("/p", 7, 5, 5);
  a.Event(EventType::kNodeDataChanged, "/p", -1);  // no zxid from the server: not compared
  CHECK(HistoryChecker({a.history()}).CheckSessionOrder().empty());

  a.GetData("/p", 6, 5, 5);  // the tree went back from 7 to 6
  auto v = HistoryChecker({a.history()}).CheckSessionOrder();
  REQUIRE(v.size() == 1);
  CHECK(AnyContains(v, "[session-order]"));
  CHECK(AnyContains(v, "zxid 0x6 after zxid 0x7"));
  CHECK(AnyContains(v, "session 0x100"));

  HistoryBuilder b(2, kSessionB);
  b.GetData("/p", 9, 5, 5);
  b.Event(EventType::kNodeDataChanged, "/p", 8);  // an event from before what it already saw
  CHECK(AnyContains(HistoryChecker({b.history()}).CheckSessionOrder(), "event NodeDataChanged"));
}

TEST_CASE("read-your-writes: a read after the session's own write sees it") {
  HistoryBuilder a(1, kSessionA);
  a.Create("/p", 2);
  a.Create("/p/a", 3);
  a.SetData("/p/a", 7, 1);
  a.GetData("/p/a", 7, 3, 7);
  a.GetChildren("/p", 7, 3);
  CHECK(HistoryChecker({a.history()}).CheckReadYourWrites().empty());

  SUBCASE("stale data") {
    a.GetData("/p/a", 7, 3, 3);  // misses its own setData at 7
    auto v = HistoryChecker({a.history()}).CheckReadYourWrites();
    CHECK(AnyContains(v, "[read-your-writes]"));
    CHECK(AnyContains(v, "setData /p/a succeeded at zxid 0x7"));
  }
  SUBCASE("a deleted node still there") {
    a.Delete("/p/a", 8);
    a.GetData("/p/a", 8, 3, 7);
    CHECK(AnyContains(HistoryChecker({a.history()}).CheckReadYourWrites(), "found the node"));
  }
  SUBCASE("a created node missing, nobody deleted it") {
    a.Create("/p/b", 9);
    a.ReadNoNode(OpCode::kExists, "/p/b", 9);
    CHECK(AnyContains(HistoryChecker({a.history()}).CheckReadYourWrites(), "found no node"));
  }
  SUBCASE("a created node missing because another session deleted it: allowed") {
    a.Create("/p/b", 9);
    HistoryBuilder b(2, kSessionB);
    b.Delete("/p/b", 10);
    a.ReadNoNode(OpCode::kExists, "/p/b", 10);
    CHECK(HistoryChecker({a.history(), b.history()}).CheckReadYourWrites().empty());
  }
  SUBCASE("a child create not reflected in the parent's pzxid") {
    a.Create("/p/c", 10);
    a.GetChildren("/p", 10, 3);
    CHECK(AnyContains(HistoryChecker({a.history()}).CheckReadYourWrites(), "pzxid 0x3"));
  }
}

TEST_CASE("read data: a read shows the data of the write that made its mzxid") {
  HistoryBuilder a(1, kSessionA);
  a.Create("/p", 2);
  a.op(a.SetData("/p", 3, 1)).data = "v3";
  a.op(a.GetData("/p", 3, 2, 3)).data_read = "v3";
  CHECK(HistoryChecker({a.history()}).CheckReadData().empty());

  a.op(a.GetData("/p", 4, 2, 3)).data_read = "v9";  // data no write at mzxid 3 wrote
  auto v = HistoryChecker({a.history()}).CheckReadData();
  REQUIRE(v.size() == 1);
  CHECK(AnyContains(v, "[read-data]"));
  CHECK(AnyContains(v, "read \"v9\" at mzxid 0x3"));
}

TEST_CASE("watch order: the event comes before a reply showing the change") {
  HistoryBuilder a(1, kSessionA);
  a.GetData("/p", 4, 2, 3, /*watch=*/true);
  SUBCASE("event first: passes") {
    a.Event(EventType::kNodeDataChanged, "/p");
    a.GetData("/p", 9, 2, 8);
    CHECK(HistoryChecker({a.history()}).CheckWatchOrder().empty());
  }
  SUBCASE("newer data before the event") {
    a.GetData("/p", 9, 2, 8);
    a.Event(EventType::kNodeDataChanged, "/p");
    auto v = HistoryChecker({a.history()}).CheckWatchOrder();
    REQUIRE(v.size() == 1);
    CHECK(AnyContains(v, "[watch-order]"));
    CHECK(AnyContains(v, "getData /p (watch)"));
  }
  SUBCASE("its own setData answered before the event") {
    a.SetData("/p", 9, 1);
    CHECK(AnyContains(HistoryChecker({a.history()}).CheckWatchOrder(), "its own write"));
  }
  SUBCASE("an exists watch on a missing node, then the node seen") {
    HistoryBuilder b(2, kSessionB);
    b.ReadNoNode(OpCode::kExists, "/q", 4, /*watch=*/true);
    b.GetData("/q", 6, 5, 5);
    CHECK(AnyContains(HistoryChecker({b.history()}).CheckWatchOrder(), "[watch-order]"));
  }
  SUBCASE("a child watch, then a new child seen first") {
    HistoryBuilder b(2, kSessionB);
    b.GetChildren("/p", 4, 3, /*watch=*/true);
    b.GetChildren("/p", 6, 5);
    CHECK(AnyContains(HistoryChecker({b.history()}).CheckWatchOrder(), "children"));
  }
}

TEST_CASE("one event per watch registration") {
  HistoryBuilder a(1, kSessionA);
  a.GetData("/p", 4, 2, 3, /*watch=*/true);
  a.GetChildren("/p", 4, 3, /*watch=*/true);
  a.Event(EventType::kNodeDataChanged, "/p");
  a.Event(EventType::kNodeChildrenChanged, "/p");
  a.ReadNoNode(OpCode::kExists, "/q", 5, /*watch=*/true);
  a.Event(EventType::kNodeCreated, "/q");
  CHECK(HistoryChecker({a.history()}).CheckOneEventPerWatch().empty());

  a.Event(EventType::kNodeCreated, "/q");  // the same registration fires twice
  auto v = HistoryChecker({a.history()}).CheckOneEventPerWatch();
  REQUIRE(v.size() == 1);
  CHECK(AnyContains(v, "[one-event]"));
  CHECK(AnyContains(v, "NodeCreated /q"));

  HistoryBuilder b(2, kSessionB);
  b.GetChildren("/p", 4, 3, /*watch=*/true);
  b.Event(EventType::kNodeDataChanged, "/p");  // a child watch does not hear data changes
  CHECK(AnyContains(HistoryChecker({b.history()}).CheckOneEventPerWatch(), "[one-event]"));
}

TEST_CASE("write order: distinct zxids and a replay consistent with every outcome") {
  HistoryBuilder a(1, kSessionA);
  HistoryBuilder b(2, kSessionB);
  a.Create("/p", 2);
  a.Create("/p/a", 3);
  b.SetData("/p/a", 4, 1);
  a.SetData("/p/a", 5, 2, /*expected=*/1);
  b.Delete("/p/a", 6);
  b.Create("/p/a", 7, CreateMode::kEphemeral);
  a.CloseSession(8);  // nothing of a's is ephemeral
  CHECK(HistoryChecker({a.history(), b.history()}).CheckWriteOrder().empty());

  SUBCASE("two writes with one zxid") {
    b.SetData("/p", 8, 1);
    auto v = HistoryChecker({a.history(), b.history()}).CheckWriteOrder();
    CHECK(AnyContains(v, "[write-order] zxid 0x8 acknowledged to two writes"));
  }
  SUBCASE("a version jump") {
    b.SetData("/p", 9, 2);  // the first set of /p must give version 1
    auto v = HistoryChecker({a.history(), b.history()}).CheckWriteOrder();
    REQUIRE(v.size() == 1);
    CHECK(AnyContains(v, "returned version 2 where 1 follows version 0"));
  }
  SUBCASE("a version jump explained by a set of unknown outcome") {
    OpRecord lost;
    lost.type = OpCode::kSetData;
    lost.path = "/p";
    a.Unknown(lost);
    b.SetData("/p", 9, 2);
    CHECK(HistoryChecker({a.history(), b.history()}).CheckWriteOrder().empty());
  }
  SUBCASE("a create of an existing node") {
    a.Create("/p/a", 9);
    CHECK(AnyContains(HistoryChecker({a.history(), b.history()}).CheckWriteOrder(),
                      "/p/a already existed"));
  }
  SUBCASE("a create of an existing ephemeral of an expired session: allowed") {
    b.Expired();
    HistoryBuilder c(3, 0x300);
    c.Create("/p/a", 20);
    CHECK(HistoryChecker({a.history(), b.history(), c.history()}).CheckWriteOrder().empty());
  }
  SUBCASE("a create over an ephemeral of a session the caller knows is dead: allowed") {
    HistoryBuilder c(3, 0x300);
    c.Create("/p/a", 20);
    std::vector<ClientHistory> all = {a.history(), b.history(), c.history()};
    CHECK_FALSE(HistoryChecker(all).CheckWriteOrder().empty());
    CHECK(HistoryChecker(all, {kSessionB}).CheckWriteOrder().empty());
  }
  SUBCASE("a delete of a missing node") {
    a.Delete("/p/zz", 9);
    CHECK(AnyContains(HistoryChecker({a.history(), b.history()}).CheckWriteOrder(),
                      "/p/zz did not exist"));
  }
  SUBCASE("a conditional setData at a stale version") {
    b.SetData("/p/a", 9, 1, /*expected=*/3);
    CHECK(AnyContains(HistoryChecker({a.history(), b.history()}).CheckWriteOrder(),
                      "asked for version 3"));
  }
}

TEST_CASE("sequential nodes: numbers under one parent never repeat") {
  HistoryBuilder a(1, kSessionA);
  HistoryBuilder b(2, kSessionB);
  a.Create("/p", 2);
  a.Create("/p/s-", 3, CreateMode::kPersistentSequential, "/p/s-0000000000");
  b.Create("/p/e-", 4, CreateMode::kEphemeralSequential, "/p/e-0000000001");
  a.Create("/p/s-", 5, CreateMode::kPersistentSequential, "/p/s-0000000002");
  CHECK(HistoryChecker({a.history(), b.history()}).CheckSequentialNumbers().empty());

  b.Create("/p/s-", 6, CreateMode::kPersistentSequential, "/p/s-0000000001");
  auto v = HistoryChecker({a.history(), b.history()}).CheckSequentialNumbers();
  REQUIRE(v.size() == 1);
  CHECK(AnyContains(v, "[sequential] sequence number 1 under /p repeated"));
  CHECK(AnyContains(v, "/p/e-0000000001"));
}

TEST_CASE("ephemerals: none of a dead session, all of live ones") {
  HistoryBuilder a(1, kSessionA);
  HistoryBuilder b(2, kSessionB);
  a.Create("/p", 2);
  a.Create("/p/a", 3, CreateMode::kEphemeral);
  b.Create("/p/b", 4, CreateMode::kEphemeral);
  b.CloseSession(5);
  server::DataTree tree;
  LoadForTest(tree, "/p", 2, 2);
  LoadForTest(tree, "/p/a", 3, 3, kSessionA);
  tree.SetLastZxid(5);
  HistoryChecker checker({a.history(), b.history()});
  CHECK(checker.CheckEphemerals(tree, {kSessionB}).empty());

  SUBCASE("an ephemeral of a closed session left over") {
    server::DataTree bad;
    LoadForTest(bad, "/p", 2, 2);
    LoadForTest(bad, "/p/a", 3, 3, kSessionA);
    LoadForTest(bad, "/p/b", 4, 4, kSessionB);
    bad.SetLastZxid(5);
    auto v = checker.CheckEphemerals(bad, {});  // b's own history says it closed
    REQUIRE(v.size() == 1);
    CHECK(AnyContains(v, "[ephemerals] /p/b"));
    CHECK(AnyContains(v, "session 0x200"));
  }
  SUBCASE("an ephemeral of a live session missing") {
    server::DataTree bad;
    LoadForTest(bad, "/p", 2, 2);
    bad.SetLastZxid(5);
    CHECK(AnyContains(checker.CheckEphemerals(bad, {}), "/p/a, created by session 0x100"));
  }
  SUBCASE("an ephemeral of a session expired as the caller says") {
    CHECK(AnyContains(checker.CheckEphemerals(tree, {kSessionA}), "[ephemerals] /p/a"));
  }
}

TEST_CASE("acknowledged writes survive in the final tree") {
  HistoryBuilder a(1, kSessionA);
  a.Create("/p", 2);
  a.Create("/p/a", 3);
  a.SetData("/p/a", 4, 1);
  a.Create("/p/b", 5);
  a.Delete("/p/b", 6);
  server::DataTree tree;
  LoadForTest(tree, "/p", 2, 2);
  LoadForTest(tree, "/p/a", 3, 4);
  tree.SetLastZxid(6);
  HistoryChecker checker({a.history()});
  CHECK(checker.CheckAckedWritesDurable(tree, {}).empty());

  SUBCASE("the tree ends before an acknowledged zxid") {
    tree.SetLastZxid(5);
    auto v = checker.CheckAckedWritesDurable(tree, {});
    CHECK(AnyContains(v, "[acked-durable]"));
    CHECK(AnyContains(v, "acknowledged at zxid 0x6 but the final tree ends at zxid 0x5"));
  }
  SUBCASE("an acknowledged create lost") {
    server::DataTree bad;
    LoadForTest(bad, "/p", 2, 2);
    bad.SetLastZxid(6);
    CHECK(AnyContains(checker.CheckAckedWritesDurable(bad, {}), "/p/a, created by"));
  }
  SUBCASE("an acknowledged setData lost") {
    server::DataTree bad;
    LoadForTest(bad, "/p", 2, 2);
    LoadForTest(bad, "/p/a", 3, 3);
    bad.SetLastZxid(6);
    CHECK(AnyContains(checker.CheckAckedWritesDurable(bad, {}), "mzxid 0x3"));
  }
}

TEST_CASE("CheckAll passes a clean history and ThrowIfAny reports every violation") {
  HistoryBuilder a(1, kSessionA);
  a.Create("/p", 2);
  a.GetData("/p", 2, 2, 2, /*watch=*/true);
  a.SetData("/p", 3, 1);  // answered before the event of a's own watch: a violation
  HistoryChecker checker({a.history()});
  auto v = checker.CheckAll();
  CHECK(v.size() == 1);
  CHECK_THROWS_AS(HistoryChecker::ThrowIfAny(v), SimFailure);
  CHECK_NOTHROW(HistoryChecker::ThrowIfAny({}));
  INFO(Joined(v));
}

}  // namespace
}  // namespace zk::sim

namespace zk::sim {
namespace {

TEST_CASE("reaper deletes the members committed are deletes at their zxid for every check") {
  // /k is a container: a child comes and goes, the reaper deletes /k at 6, /k is created again.
  HistoryBuilder a(1, 0x10);
  a.Create("/k", 2, CreateMode::kContainer);
  a.Create("/k/c", 3);
  a.Delete("/k/c", 4);
  a.ReadNoNode(OpCode::kGetData, "/k", 7);
  a.Create("/k", 8, CreateMode::kContainer);
  const std::vector<ClientHistory> hs = {a.history()};
  ServerDeletes reaped;
  reaped.committed.emplace_back("/k", 6);
  {
    HistoryChecker c(hs, {}, reaped);
    CHECK(c.CheckWriteOrder().empty());
    CHECK(c.CheckReadYourWrites().empty());
  }
  {
    // Without it the checker has no explanation for the second create.
    HistoryChecker c(hs);
    CHECK(AnyContains(c.CheckWriteOrder(), "already existed"));
  }
  {
    // A reaper delete of a container the model says still has a child is flagged.
    HistoryBuilder b(1, 0x10);
    b.Create("/k", 2, CreateMode::kContainer);
    b.Create("/k/c", 3);
    ServerDeletes early;
    early.committed.emplace_back("/k", 4);
    HistoryChecker c({b.history()}, {}, early);
    CHECK(AnyContains(c.CheckWriteOrder(), "the reaper's deleteContainer /k succeeded"));
  }
}

}  // namespace
}  // namespace zk::sim
