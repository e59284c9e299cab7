#include "server/prep.h"

#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "server_test_util.h"

namespace zk::server {
namespace {

using namespace std::string_literals;
using testutil::AclOf;
using testutil::CheckOp;
using testutil::CloseSessionReq;
using testutil::CreateOp;
using testutil::CreateSessionReq;
using testutil::DeleteOp;
using testutil::Exists;
using testutil::Multi;
using testutil::Open;
using testutil::PrepErr;
using testutil::PrepHarness;
using testutil::SetAclOp;
using testutil::SetDataOp;
using testutil::Single;
using testutil::StatAt;

constexpr int64_t kS1 = 0x0100000000000001LL;
constexpr int64_t kS2 = 0x0100000000000002LL;

constexpr int32_t kPersistent = 0;
constexpr int32_t kEphemeral = 1;
constexpr int32_t kSequential = 2;
constexpr int32_t kEphemeralSequential = 3;
constexpr int32_t kContainer = 4;
constexpr int32_t kTtl = 5;
constexpr int32_t kSequentialTtl = 6;

Principal Super() {
  Principal p;
  p.is_super = true;
  return p;
}

Principal As(std::vector<AuthId> ids) {
  Principal p;
  p.ids = std::move(ids);
  return p;
}

WriteOp TtlOp(std::string path, int32_t flags, int64_t ttl) {
  WriteOp op = CreateOp(std::move(path), flags);
  op.type = OpCode::kCreateTtl;
  op.ttl = ttl;
  return op;
}

Err RunErr(PrepHarness& h, const WriteRequest& req, int64_t session = kS1,
           const Principal& who = {}) {
  Txn txn = h.Prepare(req, session, who);
  Err prep_err = PrepErr(txn);
  ApplyResult r = h.Commit(txn);
  // A top-level error is reported by Apply with the same code.
  if (!std::holds_alternative<MultiTxn>(txn.body)) CHECK(r.err == prep_err);
  return prep_err;
}

TEST_CASE("Prepare builds a CreateTxn with the next zxid and the parent's next cversion") {
  PrepHarness h;
  CHECK(h.prep.last_zxid() == 0);
  Txn t = h.Prepare(Single(CreateOp("/a", kPersistent, "data")), kS1);
  CHECK(t.zxid == 1);
  CHECK(t.session_id == kS1);
  CHECK(t.type == OpCode::kCreate);
  REQUIRE(std::holds_alternative<CreateTxn>(t.body));
  const auto& c = std::get<CreateTxn>(t.body);
  CHECK(c.path == "/a");
  CHECK(c.data == "data");
  CHECK(c.acl == Open());
  CHECK(c.ephemeral_owner == 0);
  CHECK(c.parent_cversion == 1);  // root stores 0 creations in a fresh tree
  ApplyResult r = h.Commit(t);
  CHECK(r.err == Err::kOk);
  CHECK(r.path == "/a");
  CHECK(h.tree.last_zxid() == 1);
  CHECK(h.prep.overlay_size() == 0);
  CHECK(h.tree.DataOf(*h.tree.Find("/a")) == "data");
}

TEST_CASE("Create modes set the owner: ephemeral, container, TTL") {
  PrepHarness h({.extended_types_enabled = true});
  REQUIRE(h.Run(Single(CreateOp("/e", kEphemeral)), kS1).err == Err::kOk);
  CHECK(StatAt(h.tree, "/e").ephemeral_owner == kS1);
  CHECK(h.tree.EphemeralsOf(kS1) == std::set<std::string>{"/e"});
  WriteOp container = CreateOp("/c", kContainer);
  container.type = OpCode::kCreateContainer;
  REQUIRE(h.Run(Single(container), kS1).err == Err::kOk);
  CHECK(h.tree.StoredStat(*h.tree.Find("/c")).ephemeral_owner == ephemeral_owner::kContainer);
  CHECK(StatAt(h.tree, "/c").ephemeral_owner == 0);  // clients see 0
  CHECK(h.tree.Containers() == std::set<std::string>{"/c"});
  REQUIRE(h.Run(Single(TtlOp("/t", kTtl, 5000)), kS1).err == Err::kOk);
  CHECK(h.tree.StoredStat(*h.tree.Find("/t")).ephemeral_owner ==
        (ephemeral_owner::kTtlMask | 5000));
  CHECK(StatAt(h.tree, "/t").ephemeral_owner == 0);
  CHECK(h.tree.TtlNodes() == std::set<std::string>{"/t"});
  ApplyResult seq = h.Run(Single(TtlOp("/t-", kSequentialTtl, 1)), kS1);
  REQUIRE(seq.err == Err::kOk);
  CHECK(seq.path == "/t-0000000003");  // root: /e, /c, /t created before
  CHECK(h.tree.StoredStat(*h.tree.Find(seq.path)).ephemeral_owner ==
        (ephemeral_owner::kTtlMask | 1));
  ApplyResult eseq = h.Run(Single(CreateOp("/es-", kEphemeralSequential)), kS2);
  CHECK(eseq.path == "/es-0000000004");
  CHECK(StatAt(h.tree, eseq.path).ephemeral_owner == kS2);
}

TEST_CASE("TTL validation") {
  SUBCASE("extended types disabled: UNIMPLEMENTED") {
    PrepHarness h;
    CHECK(RunErr(h, Single(TtlOp("/t", kTtl, 1000))) == Err::kUnimplemented);
    CHECK(RunErr(h, Single(TtlOp("/t", kSequentialTtl, 1000))) == Err::kUnimplemented);
    CHECK_FALSE(Exists(h.tree, "/t"));
  }
  SUBCASE("extended types enabled: bad ttl values are BADARGUMENTS") {
    PrepHarness h({.extended_types_enabled = true});
    CHECK(RunErr(h, Single(TtlOp("/t", kTtl, 0))) == Err::kBadArguments);
    CHECK(RunErr(h, Single(TtlOp("/t", kTtl, -1))) == Err::kBadArguments);
    CHECK(RunErr(h, Single(TtlOp("/t", kTtl, ephemeral_owner::kMaxTtl + 1))) == Err::kBadArguments);
    CHECK(RunErr(h, Single(TtlOp("/t", kTtl, ephemeral_owner::kMaxTtl))) == Err::kOk);
    // A ttl on a non-TTL mode is also a bad argument.
    CHECK(RunErr(h, Single(TtlOp("/p", kPersistent, 100))) == Err::kBadArguments);
    CHECK(RunErr(h, Single(TtlOp("/p", kPersistent, 0))) == Err::kBadArguments);
  }
}

TEST_CASE("Create error precedence") {
  PrepHarness h({.extended_types_enabled = false});
  const std::string alice = DigestId("alice:pw");
  const Principal as_alice = As({{"ip", "127.0.0.1"}, {"digest", alice}});
  // Setup: /locked (only alice), /locked/x, /open/exists, /eph (ephemeral of S1) with a child
  // that only a raw txn can put there.
  REQUIRE(h.Run(Single(CreateOp("/locked", 0, "", AclOf(perms::kAll, "digest", alice)))).err ==
          Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/locked/x")), kS1, as_alice).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/open"))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/open/exists"))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/eph", kEphemeral)), kS1).err == Err::kOk);
  REQUIRE(h.ApplyRaw(CreateTxn{"/eph/child", "", false, Open(), 0, 1}, OpCode::kCreate).err ==
          Err::kOk);

  const AclList none;
  WriteOp bad_everything = CreateOp("bad", 0, "", none);

  // 1. bad flags
  for (int32_t flags : {-1, 7, 100}) {
    WriteOp op = bad_everything;
    op.flags = flags;
    CHECK(RunErr(h, Single(op)) == Err::kBadArguments);
  }
  // 2. TTL mode without extended types beats a bad ttl, path and ACL
  CHECK(RunErr(h, Single(TtlOp("bad", kTtl, -5))) == Err::kUnimplemented);
  // 3. bad ttl beats an empty ACL
  {
    WriteOp op = CreateOp("/open/new", kPersistent, "", none);
    op.ttl = 10;
    CHECK(RunErr(h, Single(op)) == Err::kBadArguments);
  }
  // 4. a path without a slash or with NUL (validatePathForCreate) beats an empty ACL
  for (std::string p : {"bad"s, "/a\0b"s, ""s}) {
    CAPTURE(p);
    CHECK(RunErr(h, Single(CreateOp(p, 0, "", none))) == Err::kBadArguments);
  }
  // 5. bad ACL beats a missing parent; the full path check comes after the parent's, as in
  //    ZooKeeper's PrepRequestProcessor (validatePath after the sequential suffix).
  CHECK(RunErr(h, Single(CreateOp("/open/.", 0, "", none))) == Err::kInvalidAcl);
  CHECK(RunErr(h, Single(CreateOp("/missing/x", 0, "", none))) == Err::kInvalidAcl);
  CHECK(RunErr(h, Single(CreateOp("/missing/x", 0, "", AclOf(31, "foo", "bar")))) ==
        Err::kInvalidAcl);
  CHECK(RunErr(h, Single(CreateOp("/missing/x", 0, "", AclOf(31, "auth", "")))) ==
        Err::kInvalidAcl);
  CHECK(RunErr(h, Single(CreateOp("/missing/x", 0, "", AclOf(31, "auth", ""))), kS1,
               As({{"ip", "10.0.0.1"}})) == Err::kInvalidAcl);
  CHECK(RunErr(h, Single(CreateOp("/missing/x", 0, "", AclOf(31, "world", "everyone")))) ==
        Err::kInvalidAcl);
  CHECK(RunErr(h, Single(CreateOp("/missing/x", 0, "", AclOf(31, "digest", "nocolon")))) ==
        Err::kInvalidAcl);
  // 6. missing parent beats everything below
  CHECK(RunErr(h, Single(CreateOp("/missing/x"))) == Err::kNoNode);
  CHECK(RunErr(h, Single(CreateOp("/locked/missing/x"))) == Err::kNoNode);
  CHECK(RunErr(h, Single(CreateOp("/missing/."))) == Err::kNoNode);
  CHECK(RunErr(h, Single(CreateOp("/a//b"))) == Err::kNoNode);  // parent "/a/"
  // 7. no CREATE on the parent beats an existing node and an invalid name
  CHECK(RunErr(h, Single(CreateOp("/locked/x"))) == Err::kNoAuth);
  CHECK(RunErr(h, Single(CreateOp("/locked/."))) == Err::kNoAuth);
  // 8a. then the full path check
  for (std::string p :
       {"/open/."s, "/open/.."s, "/open/"s, "/open/x\x01"s, "/open/\xef\xbf\xb0"s}) {
    CAPTURE(p);
    CHECK(RunErr(h, Single(CreateOp(p))) == Err::kBadArguments);
  }
  CHECK(RunErr(h, Single(CreateOp("/locked/y")), kS1, As({{"digest", DigestId("bob:pw")}})) ==
        Err::kNoAuth);
  // 8b. existing node beats an ephemeral parent
  CHECK(RunErr(h, Single(CreateOp("/open/exists"))) == Err::kNodeExists);
  CHECK(RunErr(h, Single(CreateOp("/locked/x")), kS1, as_alice) == Err::kNodeExists);
  CHECK(RunErr(h, Single(CreateOp("/eph/child"))) == Err::kNodeExists);
  CHECK(RunErr(h, Single(CreateOp("/"))) == Err::kNodeExists);
  // 9. ephemeral parent
  CHECK(RunErr(h, Single(CreateOp("/eph/new"))) == Err::kNoChildrenForEphemerals);
  CHECK(RunErr(h, Single(CreateOp("/eph/new", kEphemeral)), kS1) == Err::kNoChildrenForEphemerals);

  // The allowed ones succeed.
  CHECK(RunErr(h, Single(CreateOp("/locked/y")), kS1, as_alice) == Err::kOk);
  CHECK(RunErr(h, Single(CreateOp("/locked/z")), kS1, Super()) == Err::kOk);
  CHECK(RunErr(h, Single(CreateOp("/open/new"))) == Err::kOk);
  CHECK(h.prep.overlay_size() == 0);
}

TEST_CASE("Create with the auth scheme stores the session's ids") {
  PrepHarness h;
  const std::string alice = DigestId("alice:pw");
  Txn t = h.Prepare(Single(CreateOp("/mine", 0, "", AclOf(perms::kAll, "auth", ""))), kS1,
                    As({{"ip", "127.0.0.1"}, {"digest", alice}}));
  REQUIRE(std::holds_alternative<CreateTxn>(t.body));
  CHECK(std::get<CreateTxn>(t.body).acl == AclOf(perms::kAll, "digest", alice));
  h.Commit(t);
  CHECK(h.tree.AclOf(*h.tree.Find("/mine")) == AclOf(perms::kAll, "digest", alice));
}

TEST_CASE("Delete error precedence") {
  PrepHarness h;
  REQUIRE(h.Run(Single(CreateOp("/nodel", 0, "",
                                AclOf(perms::kAll & ~perms::kDelete, "world", "anyone"))))
              .err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/nodel/c"))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/p"))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/p/c"))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/p/c/gc"))).err == Err::kOk);

  for (std::string p :
       {"/"s, "/zookeeper"s, "/zookeeper/quota"s, "/zookeeper/config"s, "nope"s, ""s, "/a\0b"s}) {
    CAPTURE(p);
    CHECK(RunErr(h, Single(DeleteOp(p)), kS1, Super()) == Err::kBadArguments);
  }
  CHECK(RunErr(h, Single(DeleteOp("/missing/x"))) == Err::kNoNode);
  CHECK(RunErr(h, Single(DeleteOp("/nodel/missing"))) == Err::kNoAuth);  // before NONODE
  CHECK(RunErr(h, Single(DeleteOp("/nodel/c"))) == Err::kNoAuth);
  CHECK(RunErr(h, Single(DeleteOp("/p/missing"))) == Err::kNoNode);
  CHECK(RunErr(h, Single(DeleteOp("/p/c", 5))) == Err::kBadVersion);  // before NOTEMPTY
  CHECK(RunErr(h, Single(DeleteOp("/p/c", 0))) == Err::kNotEmpty);
  CHECK(RunErr(h, Single(DeleteOp("/p/c"))) == Err::kNotEmpty);
  CHECK(RunErr(h, Single(DeleteOp("/zookeeper/nothing"))) == Err::kNoNode);

  CHECK(RunErr(h, Single(DeleteOp("/p/c/gc", 0))) == Err::kOk);
  REQUIRE(h.Run(Single(SetDataOp("/p/c", "x"))).err == Err::kOk);
  CHECK(RunErr(h, Single(DeleteOp("/p/c", 0))) == Err::kBadVersion);
  CHECK(RunErr(h, Single(DeleteOp("/p/c", 1))) == Err::kOk);
  CHECK_FALSE(Exists(h.tree, "/p/c"));
  CHECK(RunErr(h, Single(DeleteOp("/nodel/c")), kS1, Super()) == Err::kOk);
}

TEST_CASE("setData: precedence, versions, -1 matches any") {
  PrepHarness h;
  REQUIRE(h.Run(Single(CreateOp("/ro", 0, "", acls::ReadUnsafe()))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/a"))).err == Err::kOk);
  CHECK(RunErr(h, Single(SetDataOp("bad", "x"))) == Err::kBadArguments);
  CHECK(RunErr(h, Single(SetDataOp("/a/", "x"))) == Err::kBadArguments);
  CHECK(RunErr(h, Single(SetDataOp("/missing", "x"))) == Err::kNoNode);
  CHECK(RunErr(h, Single(SetDataOp("/ro", "x", 7))) == Err::kNoAuth);  // before BADVERSION
  CHECK(RunErr(h, Single(SetDataOp("/a", "x", 1))) == Err::kBadVersion);

  Txn t = h.Prepare(Single(SetDataOp("/a", "v1", 0)));
  REQUIRE(std::holds_alternative<SetDataTxn>(t.body));
  CHECK(std::get<SetDataTxn>(t.body).version == 1);
  CHECK(h.Commit(t).stat.version == 1);
  CHECK(RunErr(h, Single(SetDataOp("/a", "v2", -1))) == Err::kOk);
  CHECK(RunErr(h, Single(SetDataOp("/a", "v3", -1))) == Err::kOk);
  CHECK(StatAt(h.tree, "/a").version == 3);
  CHECK(RunErr(h, Single(SetDataOp("/a", "v4", 2))) == Err::kBadVersion);
  CHECK(RunErr(h, Single(SetDataOp("/a", "v4", 3))) == Err::kOk);
  CHECK(h.tree.DataOf(*h.tree.Find("/a")) == "v4");
  CHECK(RunErr(h, Single(SetDataOp("/ro", "x")), kS1, Super()) == Err::kOk);
}

TEST_CASE("setACL: precedence and aversion") {
  PrepHarness h;
  const std::string alice = DigestId("alice:pw");
  REQUIRE(h.Run(Single(CreateOp("/noadmin", 0, "",
                                AclOf(perms::kAll & ~perms::kAdmin, "world", "anyone"))))
              .err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/a"))).err == Err::kOk);
  CHECK(RunErr(h, Single(SetAclOp("bad", Open()))) == Err::kBadArguments);
  CHECK(RunErr(h, Single(SetAclOp("/missing", {}))) == Err::kInvalidAcl);  // before NONODE
  CHECK(RunErr(h, Single(SetAclOp("/missing", Open()))) == Err::kNoNode);
  CHECK(RunErr(h, Single(SetAclOp("/noadmin", Open(), 9))) == Err::kNoAuth);  // before version
  CHECK(RunErr(h, Single(SetAclOp("/a", Open(), 1))) == Err::kBadVersion);
  Txn t = h.Prepare(Single(SetAclOp("/a", AclOf(perms::kAll, "auth", ""), 0)), kS1,
                    As({{"digest", alice}}));
  REQUIRE(std::holds_alternative<SetAclTxn>(t.body));
  CHECK(std::get<SetAclTxn>(t.body).version == 1);
  CHECK(std::get<SetAclTxn>(t.body).acl == AclOf(perms::kAll, "digest", alice));
  h.Commit(t);
  CHECK(StatAt(h.tree, "/a").aversion == 1);
  CHECK(RunErr(h, Single(SetAclOp("/a", Open()))) == Err::kNoAuth);  // no longer admin
  CHECK(RunErr(h, Single(SetAclOp("/a", Open(), 1)), kS1, As({{"digest", alice}})) == Err::kOk);
  CHECK(StatAt(h.tree, "/a").aversion == 2);
}

TEST_CASE("Sequential suffixes follow the parent's stored cversion; shown cversion counts both") {
  PrepHarness h;
  REQUIRE(h.Run(Single(CreateOp("/q"))).err == Err::kOk);
  auto cv = [&] { return StatAt(h.tree, "/q").cversion; };

  REQUIRE(h.Run(Single(CreateOp("/q/a"))).err == Err::kOk);
  CHECK(cv() == 1);
  REQUIRE(h.Run(Single(DeleteOp("/q/a"))).err == Err::kOk);
  CHECK(cv() == 2);
  REQUIRE(h.Run(Single(CreateOp("/q/b"))).err == Err::kOk);
  CHECK(cv() == 3);
  ApplyResult s = h.Run(Single(CreateOp("/q/s", kSequential)));
  CHECK(s.path == "/q/s0000000002");
  CHECK(cv() == 4);
  REQUIRE(h.Run(Single(DeleteOp("/q/b"))).err == Err::kOk);
  CHECK(cv() == 5);
  s = h.Run(Single(CreateOp("/q/s", kSequential)));
  CHECK(s.path == "/q/s0000000003");
  CHECK(cv() == 6);
  ApplyResult m = h.Run(Multi({CreateOp("/q/m1"), DeleteOp("/q/m1")}));
  REQUIRE(m.multi.size() == 2);
  CHECK(m.multi[0].err == Err::kOk);
  CHECK(m.multi[1].err == Err::kOk);
  CHECK(cv() == 8);
  // Creations so far: a, b, s2, s3, m1.
  s = h.Run(Single(CreateOp("/q/s", kSequential)));
  CHECK(s.path == "/q/s0000000005");
  CHECK(cv() == 9);
  CHECK(StatAt(h.tree, "/q").num_children == 3);
  // A trailing slash is allowed for sequential creates only.
  s = h.Run(Single(CreateOp("/q/", kSequential)));
  CHECK(s.err == Err::kOk);
  CHECK(s.path == "/q/0000000006");
  CHECK(RunErr(h, Single(CreateOp("/q/", kPersistent))) == Err::kBadArguments);
}

TEST_CASE("Sequential suffix at the int32 limit") {
  PrepHarness h;
  NodeStat st;
  st.cversion = std::numeric_limits<int32_t>::max();
  REQUIRE(h.tree.LoadNode("/big", st, "", false, Open()));
  // Java shows 2 * cversion - numChildren with int wrap-around.
  CHECK(StatAt(h.tree, "/big").cversion == -2);
  Txn t = h.Prepare(Single(CreateOp("/big/s", kSequential)));
  REQUIRE(std::holds_alternative<CreateTxn>(t.body));
  CHECK(std::get<CreateTxn>(t.body).path == "/big/s2147483647");
  CHECK(std::get<CreateTxn>(t.body).parent_cversion == std::numeric_limits<int32_t>::min());
  CHECK(h.Commit(t).err == Err::kOk);
  CHECK(Exists(h.tree, "/big/s2147483647"));
}

TEST_CASE("pzxid is the zxid of the last child create or delete; failed writes take a zxid") {
  PrepHarness h;
  REQUIRE(h.Run(Single(CreateOp("/p"))).err == Err::kOk);    // zxid 1
  REQUIRE(h.Run(Single(CreateOp("/p/a"))).err == Err::kOk);  // zxid 2
  CHECK(StatAt(h.tree, "/p").pzxid == 2);
  Txn failed = h.Prepare(Single(CreateOp("/p/a")));  // zxid 3: NODEEXISTS
  CHECK(failed.zxid == 3);
  CHECK(PrepErr(failed) == Err::kNodeExists);
  REQUIRE(std::holds_alternative<ErrorTxn>(failed.body));
  CHECK(h.Commit(failed).err == Err::kNodeExists);
  CHECK(h.tree.last_zxid() == 3);
  CHECK(StatAt(h.tree, "/p").pzxid == 2);
  REQUIRE(h.Run(Single(SetDataOp("/p/a", "x"))).err == Err::kOk);  // zxid 4: not a child op
  CHECK(StatAt(h.tree, "/p").pzxid == 2);
  REQUIRE(h.Run(Single(DeleteOp("/p/a"))).err == Err::kOk);  // zxid 5
  CHECK(StatAt(h.tree, "/p").pzxid == 5);
  CHECK(StatAt(h.tree, "/p").mzxid == 1);
  CHECK(h.prep.last_zxid() == 5);
}

TEST_CASE("Multi: success applies everything, ops see earlier ops of the same multi") {
  PrepHarness h;
  REQUIRE(h.Run(Single(CreateOp("/x", 0, "0"))).err == Err::kOk);
  Txn t = h.Prepare(Multi({CreateOp("/m"), CreateOp("/m/c"), SetDataOp("/x", "1", 0),
                           CheckOp("/x", 1), SetDataOp("/x", "2", 1), DeleteOp("/m/c"),
                           CreateOp("/m/c", 0, "again"), CreateOp("/m/s", kSequential)}));
  CHECK(t.type == OpCode::kMulti);
  REQUIRE(std::holds_alternative<MultiTxn>(t.body));
  const auto& ops = std::get<MultiTxn>(t.body).ops;
  REQUIRE(ops.size() == 8);
  CHECK(std::holds_alternative<CheckTxn>(ops[3]));
  CHECK(std::get<CreateTxn>(ops[7]).path == "/m/s0000000002");
  ApplyResult r = h.Commit(t);
  REQUIRE(r.multi.size() == 8);
  for (const auto& sub : r.multi) CHECK(sub.err == Err::kOk);
  CHECK(h.tree.DataOf(*h.tree.Find("/x")) == "2");
  CHECK(StatAt(h.tree, "/x").version == 2);
  CHECK(h.tree.DataOf(*h.tree.Find("/m/c")) == "again");
  CHECK(StatAt(h.tree, "/m").cversion == 3 * 2 - 2);
  CHECK(h.tree.last_zxid() == t.zxid);
  CHECK(h.prep.overlay_size() == 0);
}

TEST_CASE("Multi: failure is all-or-nothing with OK / code / RUNTIMEINCONSISTENCY") {
  PrepHarness h;
  REQUIRE(h.Run(Single(CreateOp("/x", 0, "0"))).err == Err::kOk);
  uint64_t digest = h.tree.digest();
  // An unrelated write in flight: the failed multi must not disturb its overlay records.
  Txn inflight = h.Prepare(Single(CreateOp("/inflight")));
  size_t overlay = h.prep.overlay_size();
  CHECK(overlay > 0);

  Txn t = h.Prepare(Multi({CreateOp("/m"), SetDataOp("/x", "1"), CheckOp("/x", 0),
                           DeleteOp("/nope"), CreateOp("/m2"), SetDataOp("/x", "2")}));
  REQUIRE(std::holds_alternative<MultiTxn>(t.body));
  const auto& ops = std::get<MultiTxn>(t.body).ops;
  REQUIRE(ops.size() == 6);
  std::vector<Err> expected{Err::kOk,
                            Err::kOk,
                            Err::kBadVersion,
                            Err::kRuntimeInconsistency,
                            Err::kRuntimeInconsistency,
                            Err::kRuntimeInconsistency};
  for (size_t i = 0; i < ops.size(); ++i) {
    CAPTURE(i);
    REQUIRE(std::holds_alternative<ErrorTxn>(ops[i]));
    CHECK(std::get<ErrorTxn>(ops[i]).err == expected[i]);
  }
  CHECK(h.prep.overlay_size() == overlay);
  // Later preps do not see the failed multi's creates.
  Txn after = h.Prepare(Single(CreateOp("/m")));
  CHECK(PrepErr(after) == Err::kOk);

  h.Commit(inflight);
  ApplyResult r = h.Commit(t);
  REQUIRE(r.multi.size() == 6);
  for (size_t i = 0; i < r.multi.size(); ++i) {
    CAPTURE(i);
    CHECK(r.multi[i].err == expected[i]);
  }
  CHECK_FALSE(Exists(h.tree, "/m"));
  CHECK(h.tree.DataOf(*h.tree.Find("/x")) == "0");
  CHECK(h.Commit(after).err == Err::kOk);
  CHECK(Exists(h.tree, "/m"));
  CHECK(h.tree.digest() != digest);
  CHECK(h.prep.overlay_size() == 0);
}

TEST_CASE("Multi: the first op failing reports its code, the rest RUNTIMEINCONSISTENCY") {
  PrepHarness h;
  ApplyResult r = h.Run(Multi({CreateOp("/a/b"), CreateOp("/c"), CreateOp("/d")}));
  REQUIRE(r.multi.size() == 3);
  CHECK(r.multi[0].err == Err::kNoNode);
  CHECK(r.multi[1].err == Err::kRuntimeInconsistency);
  CHECK(r.multi[2].err == Err::kRuntimeInconsistency);
  CHECK_FALSE(Exists(h.tree, "/c"));
  // The last op failing: everything before is OK.
  r = h.Run(Multi({CreateOp("/c"), CreateOp("/d"), CreateOp("/c")}));
  REQUIRE(r.multi.size() == 3);
  CHECK(r.multi[0].err == Err::kOk);
  CHECK(r.multi[1].err == Err::kOk);
  CHECK(r.multi[2].err == Err::kNodeExists);
  CHECK_FALSE(Exists(h.tree, "/c"));
  CHECK_FALSE(Exists(h.tree, "/d"));
}

TEST_CASE("Pipelining: in-flight creates are visible to later preps") {
  PrepHarness h;
  Txn a = h.Prepare(Single(CreateOp("/a")));
  Txn a_again = h.Prepare(Single(CreateOp("/a")));
  Txn child = h.Prepare(Single(CreateOp("/a/child")));
  Txn s0 = h.Prepare(Single(CreateOp("/a/s", kSequential)));
  Txn s1 = h.Prepare(Single(CreateOp("/a/s", kSequential)));
  Txn missing = h.Prepare(Single(CreateOp("/b/child")));
  CHECK(PrepErr(a) == Err::kOk);
  CHECK(PrepErr(a_again) == Err::kNodeExists);
  CHECK(PrepErr(child) == Err::kOk);
  REQUIRE(std::holds_alternative<CreateTxn>(s0.body));
  REQUIRE(std::holds_alternative<CreateTxn>(s1.body));
  CHECK(std::get<CreateTxn>(s0.body).path == "/a/s0000000001");
  CHECK(std::get<CreateTxn>(s1.body).path == "/a/s0000000002");
  CHECK(PrepErr(missing) == Err::kNoNode);
  CHECK(h.prep.overlay_size() > 0);
  CHECK(h.tree.Find("/a") == nullptr);  // nothing applied yet

  for (const Txn* t : {&a, &a_again, &child, &s0, &s1, &missing}) h.Commit(*t);
  CHECK(h.prep.overlay_size() == 0);
  CHECK(Exists(h.tree, "/a/child"));
  CHECK(Exists(h.tree, "/a/s0000000001"));
  CHECK(Exists(h.tree, "/a/s0000000002"));
  CHECK(h.tree.StoredStat(*h.tree.Find("/a")).cversion == 3);
  // After draining, preps read the tree again and still agree.
  ApplyResult next = h.Run(Single(CreateOp("/a/s", kSequential)));
  CHECK(next.path == "/a/s0000000003");
}

TEST_CASE("Pipelining: in-flight deletes, data versions and ACL changes") {
  PrepHarness h;
  REQUIRE(h.Run(Single(CreateOp("/d"))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/v"))).err == Err::kOk);
  Txn del = h.Prepare(Single(DeleteOp("/d")));
  Txn under_deleted = h.Prepare(Single(CreateOp("/d/x")));
  Txn recreate = h.Prepare(Single(CreateOp("/d", 0, "new")));
  Txn v1 = h.Prepare(Single(SetDataOp("/v", "1", 0)));
  Txn v2 = h.Prepare(Single(SetDataOp("/v", "2", 1)));
  Txn stale = h.Prepare(Single(SetDataOp("/v", "3", 1)));
  Txn lock = h.Prepare(Single(SetAclOp("/v", acls::ReadUnsafe(), 0)));
  Txn blocked = h.Prepare(Single(CreateOp("/v/c")));
  CHECK(PrepErr(del) == Err::kOk);
  CHECK(PrepErr(under_deleted) == Err::kNoNode);
  CHECK(PrepErr(recreate) == Err::kOk);
  CHECK(PrepErr(v1) == Err::kOk);
  CHECK(PrepErr(v2) == Err::kOk);
  CHECK(PrepErr(stale) == Err::kBadVersion);
  CHECK(PrepErr(lock) == Err::kOk);
  CHECK(PrepErr(blocked) == Err::kNoAuth);

  // Applying a prefix drains only that prefix.
  h.Commit(del);
  h.Commit(under_deleted);
  size_t mid = h.prep.overlay_size();
  CHECK(mid > 0);
  for (const Txn* t : {&recreate, &v1, &v2, &stale, &lock, &blocked}) h.Commit(*t);
  CHECK(h.prep.overlay_size() == 0);
  CHECK(h.tree.DataOf(*h.tree.Find("/d")) == "new");
  CHECK(StatAt(h.tree, "/v").version == 2);
  CHECK(h.tree.DataOf(*h.tree.Find("/v")) == "2");
  CHECK(h.tree.AclOf(*h.tree.Find("/v")) == acls::ReadUnsafe());
  CHECK_FALSE(Exists(h.tree, "/v/c"));
}

TEST_CASE("Pipelining: an in-flight ephemeral parent refuses children") {
  PrepHarness h;
  Txn e = h.Prepare(Single(CreateOp("/e", kEphemeral)), kS1);
  Txn c = h.Prepare(Single(CreateOp("/e/c")), kS1);
  CHECK(PrepErr(e) == Err::kOk);
  CHECK(PrepErr(c) == Err::kNoChildrenForEphemerals);
  h.Commit(e);
  h.Commit(c);
}

TEST_CASE("Close-session prep counts the session's ephemerals, incl. in-flight ones, as deleted") {
  PrepHarness h;
  REQUIRE(h.Run(Single(CreateOp("/app")), kS1).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/app/e1", kEphemeral)), kS1).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/app/theirs", kEphemeral)), kS2).err == Err::kOk);
  Txn e2 = h.Prepare(Single(CreateOp("/app/e2", kEphemeral)), kS1);  // in flight
  Txn close = h.Prepare(CloseSessionReq(), kS1);
  CHECK(close.type == OpCode::kCloseSession);
  CHECK(std::holds_alternative<CloseSessionTxn>(close.body));
  Txn re1 = h.Prepare(Single(CreateOp("/app/e1")), kS2);
  Txn re2 = h.Prepare(Single(CreateOp("/app/e2")), kS2);
  Txn del_theirs = h.Prepare(Single(DeleteOp("/app/theirs")), kS2);
  CHECK(PrepErr(e2) == Err::kOk);
  CHECK(PrepErr(re1) == Err::kOk);
  CHECK(PrepErr(re2) == Err::kOk);
  CHECK(PrepErr(del_theirs) == Err::kOk);
  // /app now has only re1 and re2 in the pipelined view.
  Txn del_app = h.Prepare(Single(DeleteOp("/app")), kS2);
  CHECK(PrepErr(del_app) == Err::kNotEmpty);

  for (const Txn* t : {&e2, &close, &re1, &re2, &del_theirs, &del_app}) h.Commit(*t);
  CHECK(h.tree.EphemeralsOf(kS1).empty());
  CHECK(h.tree.EphemeralsOf(kS2).empty());
  CHECK(Exists(h.tree, "/app/e1"));
  CHECK(StatAt(h.tree, "/app/e1").ephemeral_owner == 0);
  CHECK(Exists(h.tree, "/app/e2"));
  CHECK(StatAt(h.tree, "/app").num_children == 2);
  CHECK(h.prep.overlay_size() == 0);
}

TEST_CASE("Close-session prep lets a parent of only the session's ephemerals be deleted") {
  PrepHarness h;
  REQUIRE(h.Run(Single(CreateOp("/lock"))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/lock/n-", kEphemeralSequential)), kS1).err == Err::kOk);
  Txn n2 = h.Prepare(Single(CreateOp("/lock/n-", kEphemeralSequential)), kS1);
  Txn not_empty = h.Prepare(Single(DeleteOp("/lock")), kS2);
  CHECK(PrepErr(not_empty) == Err::kNotEmpty);
  Txn close = h.Prepare(CloseSessionReq(), kS1);
  Txn del = h.Prepare(Single(DeleteOp("/lock")), kS2);
  CHECK(PrepErr(del) == Err::kOk);
  h.Commit(n2);
  CHECK(h.Commit(not_empty).err == Err::kNotEmpty);
  h.Commit(close);
  CHECK(h.Commit(del).err == Err::kOk);
  CHECK_FALSE(Exists(h.tree, "/lock"));
}

TEST_CASE("deleteContainer (server-issued)") {
  PrepHarness h({.extended_types_enabled = true});
  REQUIRE(h.Run(Single(CreateOp("/c", kContainer))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/c/x"))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/e", kEphemeral)), kS1).err == Err::kOk);
  WriteOp dc;
  dc.type = OpCode::kDeleteContainer;
  dc.path = "/c";
  CHECK(RunErr(h, Single(dc)) == Err::kNotEmpty);
  dc.path = "/missing";
  CHECK(RunErr(h, Single(dc)) == Err::kNoNode);
  dc.path = "/e";
  CHECK(RunErr(h, Single(dc)) == Err::kBadVersion);
  REQUIRE(h.Run(Single(DeleteOp("/c/x"))).err == Err::kOk);
  dc.path = "/c";
  CHECK(RunErr(h, Single(dc)) == Err::kOk);
  CHECK_FALSE(Exists(h.tree, "/c"));
  CHECK(h.tree.Containers().empty());
  REQUIRE(h.Run(Single(TtlOp("/t", kTtl, 10))).err == Err::kOk);
  dc.path = "/t";
  h.time_ms += 100;  // its TTL has passed
  CHECK(RunErr(h, Single(dc)) == Err::kOk);
  CHECK(h.tree.TtlNodes().empty());
}

TEST_CASE("deleteContainer of a TTL node renewed by a setData still in flight is refused") {
  // The reaper judges the committed tree; a setData proposed before its delete renews the node.
  PrepHarness h({.extended_types_enabled = true});
  REQUIRE(h.Run(Single(TtlOp("/t", kTtl, 100))).err == Err::kOk);
  h.time_ms += 1000;  // the committed /t has expired
  WriteOp dc;
  dc.type = OpCode::kDeleteContainer;
  dc.path = "/t";
  Txn renew = h.Prepare(Single(SetDataOp("/t", "x")));
  Txn reap = h.Prepare(Single(dc));
  CHECK(PrepErr(renew) == Err::kOk);
  CHECK(PrepErr(reap) == Err::kBadVersion);
  h.Commit(renew);
  h.Commit(reap);
  CHECK(Exists(h.tree, "/t"));
  // Not before its TTL passed since the renewal; then it goes.
  CHECK(RunErr(h, Single(dc)) == Err::kBadVersion);
  h.time_ms += 1000;
  CHECK(RunErr(h, Single(dc)) == Err::kOk);
  CHECK_FALSE(Exists(h.tree, "/t"));
}

TEST_CASE("check op inside a multi: NONODE, NOAUTH (READ), BADVERSION") {
  PrepHarness h;
  REQUIRE(h.Run(Single(CreateOp("/a"))).err == Err::kOk);
  REQUIRE(h.Run(Single(CreateOp("/secret", 0, "", AclOf(perms::kWrite, "world", "anyone")))).err ==
          Err::kOk);
  auto first_err = [&](WriteOp op) {
    ApplyResult r = h.Run(Multi({std::move(op)}));
    return r.multi.empty() ? Err::kSystemError : r.multi[0].err;
  };
  CHECK(first_err(CheckOp("bad", 0)) == Err::kBadArguments);
  CHECK(first_err(CheckOp("/missing", 0)) == Err::kNoNode);
  CHECK(first_err(CheckOp("/secret", 5)) == Err::kNoAuth);
  CHECK(first_err(CheckOp("/a", 1)) == Err::kBadVersion);
  CHECK(first_err(CheckOp("/a", 0)) == Err::kOk);
  CHECK(first_err(CheckOp("/a", -1)) == Err::kOk);
}

TEST_CASE("Sessions, Reset and set_last_zxid") {
  PrepHarness h;
  Txn cs = h.Prepare(CreateSessionReq(12345), kS1);
  CHECK(cs.type == OpCode::kCreateSession);
  REQUIRE(std::holds_alternative<CreateSessionTxn>(cs.body));
  CHECK(std::get<CreateSessionTxn>(cs.body).timeout_ms == 12345);
  h.Commit(cs);

  Txn lost = h.Prepare(Single(CreateOp("/lost")));
  CHECK(h.prep.overlay_size() > 0);
  h.prep.Reset(h.tree.last_zxid());  // the pending write never reached the log
  CHECK(h.prep.overlay_size() == 0);
  CHECK(h.prep.last_zxid() == h.tree.last_zxid());
  Txn again = h.Prepare(Single(CreateOp("/lost")));
  CHECK(PrepErr(again) == Err::kOk);  // not NODEEXISTS
  CHECK(again.zxid == lost.zxid);
  CHECK(h.Commit(again).err == Err::kOk);

  h.prep.set_last_zxid(100);
  CHECK(h.Prepare(Single(CreateOp("/z"))).zxid == 101);
}

TEST_CASE("Prep built over a non-empty tree starts at the tree's last zxid") {
  DataTree tree;
  Txn t;
  t.zxid = 41;
  t.type = OpCode::kCreate;
  t.body = CreateTxn{"/a", "", false, Open(), 0, 1};
  tree.Apply(t, nullptr);
  Prep prep(tree, {});
  CHECK(prep.last_zxid() == 41);
  Txn next = prep.Prepare(Single(CreateOp("/a")), kS1, 1, 0, {});
  CHECK(next.zxid == 42);
  CHECK(PrepErr(next) == Err::kNodeExists);
}

}  // namespace
}  // namespace zk::server

namespace zk::server {
namespace {

TEST_CASE("A session that may no longer write gets SESSIONEXPIRED, and no ephemeral outlives it") {
  std::set<int64_t> closing;
  PrepOptions options;
  options.session_may_write = [&closing](int64_t id) { return !closing.contains(id); };
  testutil::PrepHarness h(std::move(options));
  REQUIRE(h.Run(testutil::Single(testutil::CreateOp("/p", 0)), kS1).err == Err::kOk);
  closing.insert(kS1);  // its close (or expiry) is proposed; a create sent before it arrives late
  CHECK(RunErr(h, testutil::Single(testutil::CreateOp("/p/e", 1)), kS1) == Err::kSessionExpired);
  CHECK(RunErr(h, testutil::Single(testutil::SetDataOp("/p", "x")), kS1) == Err::kSessionExpired);
  CHECK(RunErr(h, testutil::Single(testutil::DeleteOp("/p")), kS1) == Err::kSessionExpired);
  CHECK(h.tree.Find("/p/e") == nullptr);
  CHECK(h.tree.EphemeralsOf(kS1).empty());
  // A multi fails at its first op, as any failed multi.
  Txn multi = h.Prepare(testutil::Multi({testutil::CreateOp("/p/m", 1)}), kS1);
  REQUIRE(std::holds_alternative<MultiTxn>(multi.body));
  const auto& ops = std::get<MultiTxn>(multi.body).ops;
  REQUIRE(ops.size() == 1);
  REQUIRE(std::holds_alternative<ErrorTxn>(ops[0]));
  CHECK(std::get<ErrorTxn>(ops[0]).err == Err::kSessionExpired);
  // Other sessions, and the server's own writes (session 0), are unaffected.
  CHECK(h.Run(testutil::Single(testutil::CreateOp("/p/f", 1)), kS2).err == Err::kOk);
  CHECK(h.Run(testutil::Single(testutil::CreateOp("/q", 0)), 0).err == Err::kOk);
}

}  // namespace
}  // namespace zk::server
