#include "server/data_tree.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/path_utils.h"
#include "server_test_util.h"

namespace zk::server {
namespace {

using testutil::AclOf;
using testutil::Exists;
using testutil::Open;
using testutil::StatAt;
using testutil::TreeHarness;

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool HasEvent(const std::vector<TreeEvent>& evs, EventType type, const std::string& path) {
  return std::any_of(evs.begin(), evs.end(),
                     [&](const TreeEvent& e) { return e.type == type && e.path == path; });
}

TEST_CASE("A fresh tree has /, /zookeeper, /zookeeper/quota and /zookeeper/config") {
  DataTree tree;
  CHECK(tree.node_count() == 4);
  CHECK(tree.last_zxid() == 0);
  for (const char* p : {"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"}) {
    CAPTURE(p);
    const DataTree::Node* n = tree.Find(p);
    REQUIRE(n != nullptr);
    proto::Stat s = tree.StatOf(*n);
    CHECK(s.czxid == 0);
    CHECK(s.mzxid == 0);
    CHECK(s.pzxid == 0);
    CHECK(s.ctime == 0);
    CHECK(s.mtime == 0);
    CHECK(s.version == 0);
    CHECK(s.ephemeral_owner == 0);
    CHECK(s.data_length == 0);
    CHECK(tree.DataOf(*n).empty());
  }
  proto::Stat root = StatAt(tree, "/");
  CHECK(root.cversion == -1);
  CHECK(root.num_children == 1);
  CHECK(root.aversion == 0);
  proto::Stat zk = StatAt(tree, "/zookeeper");
  CHECK(zk.cversion == -2);
  CHECK(zk.num_children == 2);
  proto::Stat quota = StatAt(tree, "/zookeeper/quota");
  CHECK(quota.cversion == 0);
  CHECK(quota.num_children == 0);
  proto::Stat config = StatAt(tree, "/zookeeper/config");
  CHECK(config.aversion == -1);
  CHECK(config.cversion == 0);
  CHECK(tree.AclOf(*tree.Find("/zookeeper/config")) == acls::ReadUnsafe());
  CHECK(tree.AclOf(*tree.Find("/")) == acls::OpenUnsafe());
  CHECK(tree.AclOf(*tree.Find("/zookeeper")) == acls::OpenUnsafe());
  CHECK(tree.Children(*tree.Find("/")) == std::vector<std::string>{"zookeeper"});
  CHECK(Sorted(tree.Children(*tree.Find("/zookeeper"))) ==
        std::vector<std::string>{"config", "quota"});
  CHECK(tree.Find("/nope") == nullptr);
  CHECK(tree.Find("zookeeper") == nullptr);
  CHECK(tree.Find("/zookeeper/") == nullptr);
  CHECK(DataTree().digest() == tree.digest());
}

TEST_CASE("Create sets the node's stat and bumps the parent's cversion and pzxid") {
  TreeHarness h;
  ApplyResult r = h.Create("/a", "hello", 0, AclOf(perms::kRead, "world", "anyone"));
  CHECK(r.err == Err::kOk);
  CHECK(r.path == "/a");
  CHECK(r.type == OpCode::kCreate);
  CHECK(h.tree.last_zxid() == 1);
  const DataTree::Node* n = h.tree.Find("/a");
  REQUIRE(n != nullptr);
  proto::Stat s = h.tree.StatOf(*n);
  CHECK(s.czxid == 1);
  CHECK(s.mzxid == 1);
  CHECK(s.pzxid == 1);
  CHECK(s.ctime == h.time_ms);
  CHECK(s.mtime == h.time_ms);
  CHECK(s.version == 0);
  CHECK(s.cversion == 0);
  CHECK(s.aversion == 0);
  CHECK(s.data_length == 5);
  CHECK(s.num_children == 0);
  CHECK(r.stat.czxid == s.czxid);
  CHECK(r.stat.data_length == 5);
  CHECK(h.tree.DataOf(*n) == "hello");
  CHECK_FALSE(h.tree.DataIsNull(*n));
  CHECK(h.tree.AclOf(*n) == AclOf(perms::kRead, "world", "anyone"));
  CHECK(h.tree.node_count() == 5);
  CHECK(h.tree.approximate_data_size() == 5);

  proto::Stat root = StatAt(h.tree, "/");
  CHECK(root.num_children == 2);
  CHECK(root.cversion == 0);  // stored 1: 2*1 - 2
  CHECK(root.pzxid == 1);
  CHECK(root.mzxid == 0);  // a child create does not touch the parent's data
  CHECK(h.tree.StoredStat(*h.tree.Find("/")).cversion == 1);

  REQUIRE(h.events.size() == 2);
  CHECK(h.events[0].type == EventType::kNodeCreated);
  CHECK(h.events[0].path == "/a");
  CHECK(h.events[1].type == EventType::kNodeChildrenChanged);
  CHECK(h.events[1].path == "/");

  h.events.clear();
  CHECK(h.Create("/a/b").err == Err::kOk);
  CHECK(HasEvent(h.events, EventType::kNodeChildrenChanged, "/a"));
  CHECK(StatAt(h.tree, "/a").pzxid == 2);
  CHECK(StatAt(h.tree, "/a").mzxid == 1);
}

TEST_CASE("Applying without an event list changes the tree exactly as with one") {
  // The server passes no list when no watch is set; only the events may differ.
  TreeHarness with;
  TreeHarness without;
  without.record_events = false;
  const auto both = [&](const auto& step) {
    ApplyResult a = step(with);
    ApplyResult b = step(without);
    CHECK(a.err == b.err);
    CHECK(a.path == b.path);
    CHECK(a.stat.mzxid == b.stat.mzxid);
    CHECK(a.stat.version == b.stat.version);
    REQUIRE(a.multi.size() == b.multi.size());
    for (size_t i = 0; i < a.multi.size(); ++i) CHECK(a.multi[i].err == b.multi[i].err);
    CHECK(with.tree.digest() == without.tree.digest());
    CHECK(with.tree.node_count() == without.tree.node_count());
  };
  both([](TreeHarness& h) { return h.Create("/a", "x"); });
  both([](TreeHarness& h) { return h.Create("/a/e", "", 0x55); });  // an ephemeral of 0x55
  both([](TreeHarness& h) { return h.SetData("/a", "yy", 1); });
  both([](TreeHarness& h) {
    MultiTxn m;
    m.ops.push_back(CreateTxn{"/b", "1", false, Open(), 0, h.NextCversion("/b")});
    m.ops.push_back(SetDataTxn{"/a", "zzz", false, 2});
    m.ops.push_back(CheckTxn{"/b"});
    return h.Apply(std::move(m), OpCode::kMulti);
  });
  both([](TreeHarness& h) { return h.Delete("/b"); });
  both([](TreeHarness& h) { return h.CloseSession(0x55); });
  both([](TreeHarness& h) { return h.Delete("/missing"); });
  CHECK(without.events.empty());
  CHECK(HasEvent(with.events, EventType::kNodeDataChanged, "/a"));
  CHECK(HasEvent(with.events, EventType::kNodeDeleted, "/a/e"));
  CHECK(without.tree.Find("/a/e") == nullptr);
  CHECK(without.tree.DataOf(*without.tree.Find("/a")) == "zzz");
}

TEST_CASE("Create with null data") {
  TreeHarness h;
  CHECK(h.Apply(CreateTxn{"/n", "", true, Open(), 0, 1}, OpCode::kCreate).err == Err::kOk);
  CHECK(h.tree.DataIsNull(*h.tree.Find("/n")));
  CHECK(StatAt(h.tree, "/n").data_length == 0);
}

TEST_CASE("Applying an impossible create or delete fails without changing the tree") {
  TreeHarness h;
  REQUIRE(h.Create("/a").err == Err::kOk);
  uint64_t digest = h.tree.digest();
  size_t count = h.tree.node_count();
  h.events.clear();
  CHECK(h.Create("/missing/child").err == Err::kNoNode);
  CHECK(h.Create("/a").err == Err::kNodeExists);
  CHECK(h.Delete("/nope").err == Err::kNoNode);
  CHECK(h.SetData("/nope", "x", 1).err == Err::kNoNode);
  CHECK(h.Apply(SetAclTxn{"/nope", Open(), 1}, OpCode::kSetAcl).err == Err::kNoNode);
  REQUIRE(h.Create("/a/b").err == Err::kOk);
  digest = h.tree.digest();
  count = h.tree.node_count();
  h.events.clear();
  CHECK(h.Delete("/a").err == Err::kNotEmpty);
  CHECK(h.tree.digest() == digest);
  CHECK(h.tree.node_count() == count);
  CHECK(h.events.empty());
  CHECK(Exists(h.tree, "/a/b"));
}

TEST_CASE("Delete removes the node and updates the parent's pzxid and shown cversion") {
  TreeHarness h;
  REQUIRE(h.Create("/p").err == Err::kOk);
  REQUIRE(h.Create("/p/c", "12345").err == Err::kOk);
  CHECK(h.tree.approximate_data_size() == 5);
  CHECK(StatAt(h.tree, "/p").cversion == 1);
  h.events.clear();
  ApplyResult r = h.Delete("/p/c");
  CHECK(r.err == Err::kOk);
  CHECK_FALSE(Exists(h.tree, "/p/c"));
  CHECK(h.tree.approximate_data_size() == 0);
  proto::Stat p = StatAt(h.tree, "/p");
  CHECK(p.num_children == 0);
  CHECK(p.cversion == 2);  // one creation + one deletion
  CHECK(p.pzxid == 3);
  CHECK(h.tree.StoredStat(*h.tree.Find("/p")).cversion == 1);  // creations only
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[0].type == EventType::kNodeDeleted);
  CHECK(h.events[0].path == "/p/c");
  CHECK(h.events[1].type == EventType::kNodeChildrenChanged);
  CHECK(h.events[1].path == "/p");
  CHECK(h.Delete("/").err != Err::kOk);
  CHECK(Exists(h.tree, "/"));
}

TEST_CASE("Shown cversion counts creations and deletions") {
  TreeHarness h;
  REQUIRE(h.Create("/q").err == Err::kOk);
  std::vector<int32_t> shown;
  auto step = [&](ApplyResult r) {
    REQUIRE(r.err == Err::kOk);
    shown.push_back(StatAt(h.tree, "/q").cversion);
  };
  step(h.Create("/q/a"));
  step(h.Delete("/q/a"));
  step(h.Create("/q/b"));
  step(h.Create("/q/c"));
  step(h.Delete("/q/b"));
  step(h.Delete("/q/c"));
  CHECK(shown == std::vector<int32_t>{1, 2, 3, 4, 5, 6});
  CHECK(h.tree.StoredStat(*h.tree.Find("/q")).cversion == 3);
}

TEST_CASE("SetData replaces data and bumps version, mzxid and mtime") {
  TreeHarness h;
  REQUIRE(h.Create("/a", "old").err == Err::kOk);
  h.events.clear();
  ApplyResult r = h.SetData("/a", "newer", 1);
  CHECK(r.err == Err::kOk);
  CHECK(r.type == OpCode::kSetData);
  const DataTree::Node* n = h.tree.Find("/a");
  CHECK(h.tree.DataOf(*n) == "newer");
  proto::Stat s = h.tree.StatOf(*n);
  CHECK(s.version == 1);
  CHECK(s.mzxid == 2);
  CHECK(s.czxid == 1);
  CHECK(s.mtime == h.time_ms);
  CHECK(s.ctime < s.mtime);
  CHECK(s.data_length == 5);
  CHECK(r.stat.version == 1);
  CHECK(r.stat.mzxid == 2);
  CHECK(h.tree.approximate_data_size() == 5);
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].type == EventType::kNodeDataChanged);
  CHECK(h.events[0].path == "/a");

  CHECK(h.Apply(SetDataTxn{"/a", "", true, 2}, OpCode::kSetData).err == Err::kOk);
  CHECK(h.tree.DataIsNull(*h.tree.Find("/a")));
  CHECK(h.tree.approximate_data_size() == 0);
  // Binary data with NUL bytes survives.
  std::string bin("\0\x01\xff", 3);
  CHECK(h.SetData("/a", bin, 3).err == Err::kOk);
  CHECK(h.tree.DataOf(*h.tree.Find("/a")) == bin);
  CHECK_FALSE(h.tree.DataIsNull(*h.tree.Find("/a")));
}

TEST_CASE("SetAcl replaces the ACL and sets aversion") {
  TreeHarness h;
  REQUIRE(h.Create("/a").err == Err::kOk);
  AclList digest = AclOf(perms::kAll, "digest", DigestId("u:p"));
  ApplyResult r = h.Apply(SetAclTxn{"/a", digest, 1}, OpCode::kSetAcl);
  CHECK(r.err == Err::kOk);
  CHECK(r.stat.aversion == 1);
  CHECK(h.tree.AclOf(*h.tree.Find("/a")) == digest);
  CHECK(StatAt(h.tree, "/a").aversion == 1);
  CHECK(StatAt(h.tree, "/a").mzxid == 1);  // setACL does not touch data
  // Two nodes with the same ACL both keep it when one changes.
  REQUIRE(h.Create("/b", "", 0, digest).err == Err::kOk);
  CHECK(h.Apply(SetAclTxn{"/a", Open(), 2}, OpCode::kSetAcl).err == Err::kOk);
  CHECK(h.tree.AclOf(*h.tree.Find("/b")) == digest);
  CHECK(h.tree.AclOf(*h.tree.Find("/a")) == Open());
  REQUIRE(h.Delete("/b").err == Err::kOk);
  CHECK(h.tree.AclOf(*h.tree.Find("/a")) == Open());
}

TEST_CASE("The digest covers ACL contents, not the ids they are interned under") {
  // Two trees with the same nodes, stats and data but one ACL different differ in digest.
  TreeHarness a, b;
  REQUIRE(a.Create("/n", "x").err == Err::kOk);
  REQUIRE(b.Create("/n", "x", 0, AclOf(perms::kRead, "world", "anyone")).err == Err::kOk);
  CHECK(a.tree.digest() != b.tree.digest());
  // Interning order differs (c interns the digest ACL first), contents end equal: same digest.
  TreeHarness c, d;
  const AclList digest = AclOf(perms::kAll, "digest", DigestId("u:p"));
  REQUIRE(c.Create("/x", "", 0, digest).err == Err::kOk);
  REQUIRE(c.Create("/y").err == Err::kOk);
  REQUIRE(d.Create("/x").err == Err::kOk);
  REQUIRE(d.Create("/y").err == Err::kOk);
  REQUIRE(d.Apply(SetAclTxn{"/x", digest, 0}, OpCode::kSetAcl).err == Err::kOk);
  REQUIRE(c.Apply(SetAclTxn{"/x", digest, 0}, OpCode::kSetAcl).err == Err::kOk);
  CHECK(c.tree.digest() == d.tree.digest());
}

TEST_CASE("CheckTxn and ErrorTxn change nothing but advance last_zxid") {
  TreeHarness h;
  REQUIRE(h.Create("/a").err == Err::kOk);
  uint64_t d = h.tree.digest();
  h.events.clear();
  ApplyResult e = h.Apply(ErrorTxn{Err::kBadVersion}, OpCode::kSetData);
  CHECK(e.err == Err::kBadVersion);
  CHECK(h.tree.last_zxid() == 2);
  CHECK(h.Apply(CheckTxn{"/a"}, OpCode::kCheck).err == Err::kOk);
  CHECK(h.tree.last_zxid() == 3);
  CHECK(h.Apply(CreateSessionTxn{30000}, OpCode::kCreateSession).err == Err::kOk);
  CHECK(h.tree.last_zxid() == 4);
  CHECK(h.tree.digest() == d);
  CHECK(h.events.empty());
}

TEST_CASE("Txns at or below last_zxid are skipped (replay)") {
  TreeHarness h;
  REQUIRE(h.Create("/a").err == Err::kOk);
  REQUIRE(h.Create("/b").err == Err::kOk);
  uint64_t d = h.tree.digest();
  Txn old;
  old.zxid = 2;
  old.time_ms = 1;
  old.type = OpCode::kCreate;
  old.body = CreateTxn{"/c", "", false, Open(), 0, 3};
  std::vector<TreeEvent> evs;
  h.tree.Apply(old, &evs);
  CHECK_FALSE(Exists(h.tree, "/c"));
  CHECK(h.tree.last_zxid() == 2);
  CHECK(h.tree.digest() == d);
  CHECK(evs.empty());
}

TEST_CASE("A multi applies its ops in order within one zxid") {
  TreeHarness h;
  REQUIRE(h.Create("/x", "x0").err == Err::kOk);
  MultiTxn m;
  m.ops.push_back(CreateTxn{"/m", "", false, Open(), 0, 2});
  m.ops.push_back(CreateTxn{"/m/c", "", false, Open(), 0, 1});
  m.ops.push_back(SetDataTxn{"/x", "x1", false, 1});
  m.ops.push_back(CheckTxn{"/x"});
  m.ops.push_back(DeleteTxn{"/m/c"});
  h.events.clear();
  ApplyResult r = h.Apply(m, OpCode::kMulti);
  CHECK(r.err == Err::kOk);
  REQUIRE(r.multi.size() == 5);
  for (const auto& sub : r.multi) CHECK(sub.err == Err::kOk);
  CHECK(r.multi[0].path == "/m");
  CHECK(r.multi[2].stat.version == 1);
  CHECK(Exists(h.tree, "/m"));
  CHECK_FALSE(Exists(h.tree, "/m/c"));
  CHECK(StatAt(h.tree, "/m").czxid == 2);
  CHECK(StatAt(h.tree, "/m").cversion == 2);  // create + delete in the same multi
  CHECK(StatAt(h.tree, "/m").pzxid == 2);
  CHECK(StatAt(h.tree, "/x").mzxid == 2);
  CHECK(h.tree.last_zxid() == 2);
  CHECK(HasEvent(h.events, EventType::kNodeCreated, "/m"));
  CHECK(HasEvent(h.events, EventType::kNodeCreated, "/m/c"));
  CHECK(HasEvent(h.events, EventType::kNodeDataChanged, "/x"));
  CHECK(HasEvent(h.events, EventType::kNodeDeleted, "/m/c"));
}

TEST_CASE("A failed multi (all ErrorTxn) reports per-op codes and changes nothing") {
  TreeHarness h;
  REQUIRE(h.Create("/x").err == Err::kOk);
  uint64_t d = h.tree.digest();
  MultiTxn m;
  m.ops.push_back(ErrorTxn{Err::kOk});
  m.ops.push_back(ErrorTxn{Err::kNoNode});
  m.ops.push_back(ErrorTxn{Err::kRuntimeInconsistency});
  h.events.clear();
  ApplyResult r = h.Apply(m, OpCode::kMulti);
  REQUIRE(r.multi.size() == 3);
  CHECK(r.multi[0].err == Err::kOk);
  CHECK(r.multi[0].type == OpCode::kError);
  CHECK(r.multi[1].err == Err::kNoNode);
  CHECK(r.multi[2].err == Err::kRuntimeInconsistency);
  CHECK(h.tree.digest() == d);
  CHECK(h.events.empty());
  CHECK(h.tree.last_zxid() == 2);
}

TEST_CASE("ClassifyOwner") {
  CHECK(ClassifyOwner(0) == OwnerKind::kNone);
  CHECK(ClassifyOwner(0x0100000000000001LL) == OwnerKind::kSession);
  CHECK(ClassifyOwner(static_cast<int64_t>(0xfe00000000000001ULL)) == OwnerKind::kSession);
  CHECK(ClassifyOwner(ephemeral_owner::kContainer) == OwnerKind::kContainer);
  CHECK(ClassifyOwner(ephemeral_owner::kTtlMask | 1000) == OwnerKind::kTtl);
  CHECK(ClassifyOwner(ephemeral_owner::kTtlMask | ephemeral_owner::kMaxTtl) == OwnerKind::kTtl);
}

TEST_CASE("Ephemerals are tracked per session and removed by CloseSessionTxn") {
  TreeHarness h;
  const int64_t s1 = 0x0100000000000011LL;
  const int64_t s2 = 0x0100000000000022LL;
  REQUIRE(h.Create("/app").err == Err::kOk);
  REQUIRE(h.Create("/app/e1", "", s1).err == Err::kOk);
  REQUIRE(h.Create("/e2", "", s1).err == Err::kOk);
  REQUIRE(h.Create("/app/other", "", s2).err == Err::kOk);
  REQUIRE(h.Create("/app/persistent").err == Err::kOk);
  CHECK(StatAt(h.tree, "/app/e1").ephemeral_owner == s1);
  CHECK(h.tree.EphemeralsOf(s1) == std::set<std::string>{"/app/e1", "/e2"});
  CHECK(h.tree.EphemeralsOf(s2) == std::set<std::string>{"/app/other"});
  CHECK(h.tree.EphemeralsOf(0x999).empty());
  CHECK(h.tree.AllEphemerals().size() == 2);

  h.events.clear();
  ApplyResult r = h.CloseSession(s1);
  CHECK(r.err == Err::kOk);
  int64_t close_zxid = h.zxid;
  CHECK_FALSE(Exists(h.tree, "/app/e1"));
  CHECK_FALSE(Exists(h.tree, "/e2"));
  CHECK(Exists(h.tree, "/app/other"));
  CHECK(Exists(h.tree, "/app/persistent"));
  CHECK(h.tree.EphemeralsOf(s1).empty());
  CHECK(h.tree.AllEphemerals().size() == 1);
  CHECK(h.events.size() == 4);
  CHECK(HasEvent(h.events, EventType::kNodeDeleted, "/app/e1"));
  CHECK(HasEvent(h.events, EventType::kNodeChildrenChanged, "/app"));
  CHECK(HasEvent(h.events, EventType::kNodeDeleted, "/e2"));
  CHECK(HasEvent(h.events, EventType::kNodeChildrenChanged, "/"));
  CHECK(StatAt(h.tree, "/app").pzxid == close_zxid);
  CHECK(StatAt(h.tree, "/").pzxid == close_zxid);

  // Closing a session without ephemerals is a no-op; deleting an ephemeral untracks it.
  uint64_t d = h.tree.digest();
  h.events.clear();
  CHECK(h.CloseSession(s1).err == Err::kOk);
  CHECK(h.tree.digest() == d);
  CHECK(h.events.empty());
  REQUIRE(h.Delete("/app/other").err == Err::kOk);
  CHECK(h.tree.EphemeralsOf(s2).empty());
  CHECK(h.tree.AllEphemerals().empty());
}

TEST_CASE("Containers and TTL nodes are tracked until deleted") {
  TreeHarness h;
  const int64_t ttl = ephemeral_owner::kTtlMask | 60000;
  REQUIRE(h.Create("/c1", "", ephemeral_owner::kContainer).err == Err::kOk);
  REQUIRE(h.Create("/c1/child").err == Err::kOk);
  REQUIRE(h.Create("/t1", "", ttl).err == Err::kOk);
  REQUIRE(h.Create("/plain").err == Err::kOk);
  CHECK(h.tree.Containers() == std::set<std::string>{"/c1"});
  CHECK(h.tree.TtlNodes() == std::set<std::string>{"/t1"});
  // Stored with ZooKeeper's encodings; clients see ephemeralOwner 0 for both.
  CHECK(h.tree.StoredStat(*h.tree.Find("/c1")).ephemeral_owner == ephemeral_owner::kContainer);
  CHECK(h.tree.StoredStat(*h.tree.Find("/t1")).ephemeral_owner == ttl);
  CHECK(StatAt(h.tree, "/c1").ephemeral_owner == 0);
  CHECK(StatAt(h.tree, "/t1").ephemeral_owner == 0);
  CHECK(h.tree.AllEphemerals().empty());
  REQUIRE(h.Delete("/c1/child").err == Err::kOk);
  REQUIRE(h.Delete("/c1").err == Err::kOk);
  REQUIRE(h.Delete("/t1").err == Err::kOk);
  CHECK(h.tree.Containers().empty());
  CHECK(h.tree.TtlNodes().empty());
}

TEST_CASE("Children, CountDescendants, ForEachDescendant and Walk") {
  TreeHarness h;
  for (const char* p : {"/a", "/a/b", "/a/b/c", "/a/d", "/e"}) REQUIRE(h.Create(p).err == Err::kOk);
  CHECK(Sorted(h.tree.Children(*h.tree.Find("/a"))) == std::vector<std::string>{"b", "d"});
  CHECK(h.tree.Children(*h.tree.Find("/e")).empty());
  CHECK(h.tree.NumChildren(*h.tree.Find("/a")) == 2);
  CHECK(h.tree.CountDescendants(*h.tree.Find("/a")) == 3);
  CHECK(h.tree.CountDescendants(*h.tree.Find("/e")) == 0);
  CHECK(h.tree.CountDescendants(*h.tree.Find("/")) == 8);

  std::vector<std::string> below;
  h.tree.ForEachDescendant("/a", [&](const std::string& p) { below.push_back(p); });
  CHECK(Sorted(below) == std::vector<std::string>{"/a/b", "/a/b/c", "/a/d"});
  below.clear();
  h.tree.ForEachDescendant("/missing", [&](const std::string& p) { below.push_back(p); });
  CHECK(below.empty());

  std::vector<std::string> walked;
  h.tree.Walk([&](const std::string& p, const DataTree::Node&) { walked.push_back(p); });
  CHECK(walked.size() == h.tree.node_count());
  CHECK(Sorted(walked) == std::vector<std::string>{"/", "/a", "/a/b", "/a/b/c", "/a/d", "/e",
                                                   "/zookeeper", "/zookeeper/config",
                                                   "/zookeeper/quota"});
  std::map<std::string, size_t> pos;
  for (size_t i = 0; i < walked.size(); ++i) pos[walked[i]] = i;
  for (const auto& p : walked) {
    if (p == "/") continue;
    CHECK(pos[std::string(ParentPath(p))] < pos[p]);  // parents before children
  }
}

TEST_CASE("Digest: equal histories give equal digests") {
  auto history = [](TreeHarness& h) {
    REQUIRE(h.Create("/a", "1").err == Err::kOk);
    REQUIRE(h.Create("/a/b", "2", 0x0100000000000005LL).err == Err::kOk);
    REQUIRE(h.SetData("/a", "3", 1).err == Err::kOk);
    REQUIRE(h.Create("/c", "").err == Err::kOk);
    REQUIRE(h.Delete("/c").err == Err::kOk);
    REQUIRE(h.Apply(SetAclTxn{"/a", acls::ReadUnsafe(), 1}, OpCode::kSetAcl).err == Err::kOk);
  };
  TreeHarness x, y;
  history(x);
  history(y);
  CHECK(x.tree.digest() == y.tree.digest());
  CHECK(x.tree.digest() != DataTree().digest());

  // One different data byte.
  TreeHarness z;
  history(z);
  REQUIRE(x.SetData("/a/b", "abc", 1).err == Err::kOk);
  REQUIRE(z.SetData("/a/b", "abd", 1).err == Err::kOk);
  CHECK(x.tree.digest() != z.tree.digest());
  // Same data again: equal.
  REQUIRE(y.SetData("/a/b", "abc", 1).err == Err::kOk);
  CHECK(x.tree.digest() == y.tree.digest());
}

TEST_CASE("Digest: create then delete does not restore the old digest (parent stat changed)") {
  TreeHarness h;
  REQUIRE(h.Create("/p").err == Err::kOk);
  uint64_t before = h.tree.digest();
  REQUIRE(h.Create("/p/tmp", "x").err == Err::kOk);
  uint64_t during = h.tree.digest();
  CHECK(during != before);
  REQUIRE(h.Delete("/p/tmp").err == Err::kOk);
  CHECK(h.tree.digest() != before);
  CHECK(h.tree.digest() != during);
}

TEST_CASE("Digest: apply order matters") {
  TreeHarness x, y;
  REQUIRE(x.Create("/a").err == Err::kOk);
  REQUIRE(x.Create("/b").err == Err::kOk);
  REQUIRE(y.Create("/b").err == Err::kOk);
  REQUIRE(y.Create("/a").err == Err::kOk);
  CHECK(x.tree.node_count() == y.tree.node_count());
  CHECK(x.tree.digest() != y.tree.digest());
}

TEST_CASE("Digest: stat-only changes change the digest") {
  TreeHarness x, y;
  REQUIRE(x.Create("/a", "d").err == Err::kOk);
  REQUIRE(y.Create("/a", "d").err == Err::kOk);
  REQUIRE(x.SetData("/a", "d", 1).err == Err::kOk);  // same bytes, new version and mzxid
  REQUIRE(y.Apply(CheckTxn{"/a"}, OpCode::kCheck).err == Err::kOk);
  CHECK(x.tree.digest() != y.tree.digest());
  TreeHarness w;
  REQUIRE(w.Create("/a", "d").err == Err::kOk);
  REQUIRE(w.Apply(SetAclTxn{"/a", Open(), 1}, OpCode::kSetAcl).err == Err::kOk);  // aversion
  CHECK(w.tree.digest() != y.tree.digest());
}

TEST_CASE("LoadNode inserts under existing parents and overwrites the built-in nodes") {
  DataTree tree;
  NodeStat s;
  s.czxid = 7;
  s.mzxid = 8;
  s.pzxid = 9;
  s.version = 2;
  s.ephemeral_owner = 0x0100000000000042LL;
  CHECK(tree.LoadNode("/a", NodeStat{}, "data", false, acls::OpenUnsafe()));
  CHECK(tree.LoadNode("/a/e", s, "", true, acls::ReadUnsafe()));
  CHECK_FALSE(tree.LoadNode("/a", NodeStat{}, "", false, acls::OpenUnsafe()));    // exists
  CHECK_FALSE(tree.LoadNode("/x/y", NodeStat{}, "", false, acls::OpenUnsafe()));  // no parent
  CHECK(tree.node_count() == 6);
  CHECK(tree.DataOf(*tree.Find("/a")) == "data");
  CHECK(tree.DataIsNull(*tree.Find("/a/e")));
  CHECK(tree.StatOf(*tree.Find("/a/e")).version == 2);
  CHECK(tree.StatOf(*tree.Find("/a/e")).pzxid == 9);
  CHECK(tree.AclOf(*tree.Find("/a/e")) == acls::ReadUnsafe());
  CHECK(tree.EphemeralsOf(0x0100000000000042LL) == std::set<std::string>{"/a/e"});

  NodeStat root;
  root.cversion = 5;
  root.pzxid = 11;
  CHECK(tree.LoadNode("/", root, "r", false, acls::OpenUnsafe()));
  CHECK(tree.node_count() == 6);
  CHECK(tree.StoredStat(*tree.Find("/")).cversion == 5);
  CHECK(tree.DataOf(*tree.Find("/")) == "r");
  CHECK(tree.Find("/a") != nullptr);  // children kept
  NodeStat config;
  config.aversion = 3;
  CHECK(tree.LoadNode("/zookeeper/config", config, "server.1=x", false, acls::OpenUnsafe()));
  CHECK(tree.StatOf(*tree.Find("/zookeeper/config")).aversion == 3);
  CHECK(tree.AclOf(*tree.Find("/zookeeper/config")) == acls::OpenUnsafe());

  // Loading the same nodes into another tree gives the same digest.
  DataTree other;
  CHECK(other.LoadNode("/a", NodeStat{}, "data", false, acls::OpenUnsafe()));
  CHECK(other.LoadNode("/a/e", s, "", true, acls::ReadUnsafe()));
  CHECK(other.LoadNode("/", root, "r", false, acls::OpenUnsafe()));
  CHECK(other.LoadNode("/zookeeper/config", config, "server.1=x", false, acls::OpenUnsafe()));
  CHECK(other.digest() == tree.digest());
}

TEST_CASE("A deep tree is walked and destroyed without recursion") {
  TreeHarness h;
  std::string path;
  const int kDepth = 5000;
  for (int i = 0; i < kDepth; ++i) {
    path += "/d";
    REQUIRE(h.Create(path).err == Err::kOk);
  }
  CHECK(h.tree.CountDescendants(*h.tree.Find("/d")) == kDepth - 1);
  size_t walked = 0;
  h.tree.Walk([&](const std::string&, const DataTree::Node&) { ++walked; });
  CHECK(walked == h.tree.node_count());
  CHECK(h.tree.Find(path) != nullptr);
}

}  // namespace
}  // namespace zk::server
