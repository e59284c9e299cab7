// Quota upkeep in the DataTree and the quota check in Prep (server/quota.h), against what
// ZooKeeper 3.8 does for the same txns.
#include "server/quota.h"

#include <doctest/doctest.h>

#include <string>

#include "server/config.h"
#include "server_test_util.h"

namespace zk::server {
namespace {

using testutil::CreateOp;
using testutil::Multi;
using testutil::PrepErr;
using testutil::PrepHarness;
using testutil::SetDataOp;
using testutil::Single;
using testutil::TreeHarness;

std::string DataAt(const DataTree& tree, std::string_view path) {
  const DataTree::Node* n = tree.Find(path);
  return n ? std::string(tree.DataOf(*n)) : "<none>";
}

// What zkCli's setquota writes for a quota on `path` (which must exist).
template <class H>
void SetQuota(H& h, const std::string& path, const std::string& limits) {
  std::string dir(kQuotaRoot);
  size_t pos = 1;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    dir = std::string(kQuotaRoot) + path.substr(0, slash);
    pos = slash == std::string::npos ? path.size() : slash + 1;
    if (!h.tree.Find(dir)) h.Create(dir);
  }
  h.Create(QuotaLimitPath(path), limits);
  h.Create(QuotaStatPath(path), "count=0,bytes=0");
}

}  // namespace

TEST_CASE("enforceQuota in zoo.cfg, in both spellings") {
  for (const char* text :
       {"dataDir=/d\nenforceQuota=true\n", "dataDir=/d\nzookeeper.enforceQuota=TRUE\n"}) {
    std::vector<std::string> warnings;
    auto c = ParseConfigText(text, &warnings);
    REQUIRE(c.ok());
    CHECK(c.value().enforce_quota);
    CHECK(warnings.empty());
  }
  auto off = ParseConfigText("dataDir=/d\n", nullptr);
  REQUIRE(off.ok());
  CHECK_FALSE(off.value().enforce_quota);
  CHECK_FALSE(ParseConfigText("dataDir=/d\nenforceQuota=yes\n", nullptr).ok());
}

TEST_CASE("quota paths map to their limit and stat nodes") {
  CHECK(QuotaLimitPath("/a/b") == "/zookeeper/quota/a/b/zookeeper_limits");
  CHECK(QuotaStatPath("/a") == "/zookeeper/quota/a/zookeeper_stats");
  CHECK(QuotaPathOf("/zookeeper/quota/a/b") == "/a/b");
  CHECK_FALSE(QuotaPathOf("/zookeeper/quota"));
  CHECK_FALSE(QuotaPathOf("/zookeeper/quota/"));
  CHECK_FALSE(QuotaPathOf("/zookeeper/quotax/a"));
  CHECK_FALSE(QuotaPathOf("/a"));
}

TEST_CASE("a tree without quotas finds no quota path") {
  TreeHarness h;
  h.Create("/a");
  CHECK(h.tree.quota_count() == 0);
  CHECK_FALSE(h.tree.QuotaPathFor("/a"));
}

TEST_CASE("creating the stats node counts the subtree; later writes keep it current") {
  TreeHarness h;
  h.Create("/a", "12345");
  h.Create("/a/b", "xy");
  h.Create("/ab", "not under /a");
  SetQuota(h, "/a", "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=10");
  const std::string stats = QuotaStatPath("/a");
  CHECK(h.tree.quota_count() == 1);
  CHECK(h.tree.QuotaPathFor("/a/b/c") == "/a");
  CHECK(h.tree.QuotaPathFor("/a") == "/a");
  CHECK_FALSE(h.tree.QuotaPathFor("/ab"));
  CHECK(DataAt(h.tree, stats) == "count=2,bytes=7");
  // The rewrite leaves the Stat alone except for the data length, as ZooKeeper does.
  proto::Stat created = testutil::StatAt(h.tree, stats);
  CHECK(created.data_length == 15);  // "count=2,bytes=7"
  CHECK(created.version == 0);

  h.Create("/a/c", "abc");
  CHECK(DataAt(h.tree, stats) == "count=3,bytes=10");
  h.SetData("/a/c", "a", 1);
  CHECK(DataAt(h.tree, stats) == "count=3,bytes=8");
  h.Delete("/a/b");
  CHECK(DataAt(h.tree, stats) == "count=2,bytes=6");
  h.Create("/ab/x", "zzz");  // outside the quota
  CHECK(DataAt(h.tree, stats) == "count=2,bytes=6");
  proto::Stat after = testutil::StatAt(h.tree, stats);
  CHECK(after.mzxid == created.mzxid);
  CHECK(after.version == 0);
  CHECK(after.data_length == 15);

  // Deleting the limits node ends the tracking; the stats node stays as it was.
  h.Delete(QuotaLimitPath("/a"));
  CHECK(h.tree.quota_count() == 0);
  h.Create("/a/d", "more");
  CHECK(DataAt(h.tree, stats) == "count=2,bytes=6");
}

TEST_CASE("the stats record keeps other keys and the deepest quota is the one counted") {
  TreeHarness h;
  h.Create("/a");
  h.Create("/a/b");
  SetQuota(h, "/a", "count=5,bytes=-1");
  h.SetData(QuotaStatPath("/a"), "count=1,bytes=0=;extra=7", 1);
  h.Create("/a/x", "1");
  CHECK(DataAt(h.tree, QuotaStatPath("/a")) == "count=2,bytes=1=;extra=7");
  // A nested quota (zkCli refuses it; the server takes it as ZooKeeper does): only the deepest
  // quota'd ancestor is counted.
  SetQuota(h, "/a/b", "count=5,bytes=-1");
  CHECK(DataAt(h.tree, QuotaStatPath("/a/b")) == "count=1,bytes=0");
  h.Create("/a/b/c", "22");
  CHECK(DataAt(h.tree, QuotaStatPath("/a/b")) == "count=2,bytes=2");
  CHECK(DataAt(h.tree, QuotaStatPath("/a")) == "count=2,bytes=1=;extra=7");
  // A stats record ZooKeeper could not parse is left alone.
  h.SetData(QuotaStatPath("/a/b"), "count=x", 1);
  h.Create("/a/b/d");
  CHECK(DataAt(h.tree, QuotaStatPath("/a/b")) == "count=x");
}

TEST_CASE("session close and ephemerals count out of the quota") {
  TreeHarness h;
  h.Create("/a");
  SetQuota(h, "/a", "count=5,bytes=-1");
  h.Create("/a/e", "eph", 0x77);
  CHECK(DataAt(h.tree, QuotaStatPath("/a")) == "count=2,bytes=3");
  h.CloseSession(0x77);
  CHECK(DataAt(h.tree, QuotaStatPath("/a")) == "count=1,bytes=0");
}

TEST_CASE("the same txns give the same stats and digest; a reload keeps them") {
  TreeHarness a, b;
  for (TreeHarness* h : {&a, &b}) {
    h->Create("/a", "x");
    SetQuota(*h, "/a", "count=-1,bytes=-1=;byteHardLimit=100;countHardLimit=-1");
    h->Create("/a/b", "yy");
    h->SetData("/a/b", "", 1);
  }
  CHECK(a.tree.digest() == b.tree.digest());
  CHECK(DataAt(a.tree, QuotaStatPath("/a")) == "count=2,bytes=1");

  // As a snapshot load does: every node with its stat and data, parents first.
  DataTree loaded;
  a.tree.Walk([&](const std::string& path, const DataTree::Node& n) {
    REQUIRE(loaded.LoadNode(path, a.tree.StoredStat(n), a.tree.DataOf(n), a.tree.DataIsNull(n),
                            a.tree.AclOf(n)));
  });
  loaded.SetLastZxid(a.tree.last_zxid());
  CHECK(loaded.digest() == a.tree.digest());
  CHECK(loaded.quota_count() == 1);
  CHECK(DataAt(loaded, QuotaStatPath("/a")) == "count=2,bytes=1");
  Txn txn;
  txn.zxid = a.tree.last_zxid() + 1;
  txn.type = OpCode::kCreate;
  txn.body = CreateTxn{"/a/c", "zzz", false, testutil::Open(), 0, 3};
  loaded.Apply(txn, nullptr);
  a.tree.Apply(txn, nullptr);
  CHECK(DataAt(loaded, QuotaStatPath("/a")) == "count=3,bytes=4");
  CHECK(loaded.digest() == a.tree.digest());
}

TEST_CASE("enforcement: hard limits refuse creates and sets with QUOTAEXCEEDED") {
  PrepHarness h({.enforce_quota = true});
  auto create = [&](const std::string& p, std::string data = "") {
    return h.Run(Single(CreateOp(p, 0, std::move(data))));
  };
  REQUIRE(create("/a", "1").err == Err::kOk);
  REQUIRE(create(std::string(kQuotaRoot) + "/a").err == Err::kOk);
  REQUIRE(
      create(QuotaLimitPath("/a"), "count=-1,bytes=-1=;byteHardLimit=10;countHardLimit=3").err ==
      Err::kOk);
  REQUIRE(create(QuotaStatPath("/a"), "count=0,bytes=0").err == Err::kOk);
  CHECK(create("/a/b", "12").err == Err::kOk);
  CHECK(create("/a/c").err == Err::kOk);
  // A fourth node: over countHardLimit=3.
  Txn over = h.Prepare(Single(CreateOp("/a/d")));
  CHECK(PrepErr(over) == Err::kQuotaExceeded);
  h.Commit(over);
  CHECK(DataAt(h.tree, QuotaStatPath("/a")) == "count=3,bytes=3");
  // Bytes: 3 + 8 = 11 > 10 fails; shrinking or staying under the limit passes.
  CHECK(PrepErr(h.Prepare(Single(SetDataOp("/a/c", "12345678")))) == Err::kQuotaExceeded);
  CHECK(h.Run(Single(SetDataOp("/a/c", "1234567"))).err == Err::kOk);
  CHECK(DataAt(h.tree, QuotaStatPath("/a")) == "count=3,bytes=10");
  // The check comes before the version check, as in ZooKeeper.
  CHECK(PrepErr(h.Prepare(Single(SetDataOp("/a/b", "123", 7)))) == Err::kQuotaExceeded);
  // Outside the quota nothing is checked.
  CHECK(create("/z", "1234567890123").err == Err::kOk);
  // In a multi: the failing op carries the code, the others the multi's usual layout.
  Txn m = h.Prepare(Multi({CreateOp("/z/1"), CreateOp("/a/e"), CreateOp("/z/2")}));
  auto* multi = std::get_if<MultiTxn>(&m.body);
  REQUIRE(multi != nullptr);
  REQUIRE(multi->ops.size() == 3);
  CHECK(std::get<ErrorTxn>(multi->ops[0]).err == Err::kOk);
  CHECK(std::get<ErrorTxn>(multi->ops[1]).err == Err::kQuotaExceeded);
  CHECK(std::get<ErrorTxn>(multi->ops[2]).err == Err::kRuntimeInconsistency);
}

TEST_CASE("soft limits and unenforced hard limits only warn") {
  std::vector<std::string> warnings;
  PrepOptions options;
  options.quota_warning = [&](const std::string& m) { warnings.push_back(m); };
  PrepHarness h(options);
  auto create = [&](const std::string& p, std::string data = "") {
    return h.Run(Single(CreateOp(p, 0, std::move(data))));
  };
  REQUIRE(create("/a").err == Err::kOk);
  REQUIRE(create(std::string(kQuotaRoot) + "/a").err == Err::kOk);
  REQUIRE(
      create(QuotaLimitPath("/a"), "count=2,bytes=-1=;byteHardLimit=-1;countHardLimit=-1").err ==
      Err::kOk);
  REQUIRE(create(QuotaStatPath("/a")).err == Err::kOk);
  CHECK(create("/a/b").err == Err::kOk);
  CHECK(warnings.empty());
  CHECK(create("/a/c").err == Err::kOk);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "Quota exceeded: /a [current count=3, softCountLimit=2]");
  REQUIRE(
      h.Run(Single(SetDataOp(QuotaLimitPath("/a"), "count=-1,bytes=-1=;byteHardLimit=1"))).err ==
      Err::kOk);
  CHECK(h.Run(Single(SetDataOp("/a/b", "xx"))).err == Err::kOk);  // not enforced
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[1] == "Quota exceeded: /a [current bytes=2, hardByteLimit=1]");
}

}  // namespace zk::server
