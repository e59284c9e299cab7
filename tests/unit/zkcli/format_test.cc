#include "client/zkcli/format.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <time.h>

#include "client/zkcli/four_letter.h"

namespace zk::zkcli {
namespace {

struct UtcZone {
  UtcZone() {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_CASE("Stat block as zkCli.sh prints it") {
  UtcZone utc;
  proto::Stat s;
  s.czxid = 2;
  s.mzxid = 0xa;
  s.ctime = 1795458660000;  // Mon Nov 23 18:31:00 UTC 2026
  s.mtime = 0;
  s.pzxid = 4;
  s.cversion = 2;
  s.version = 1;
  s.aversion = 0;
  s.ephemeral_owner = 0x100009bf9050000;
  s.data_length = 5;
  s.num_children = 2;
  CHECK(FormatStat(s) ==
        "cZxid = 0x2\n"
        "ctime = Mon Nov 23 18:31:00 UTC 2026\n"
        "mZxid = 0xa\n"
        "mtime = Thu Jan 01 00:00:00 UTC 1970\n"
        "pZxid = 0x4\n"
        "cversion = 2\n"
        "dataVersion = 1\n"
        "aclVersion = 0\n"
        "ephemeralOwner = 0x100009bf9050000\n"
        "dataLength = 5\n"
        "numChildren = 2\n");
  CHECK(Hex(-1) == "0xffffffffffffffff");
  auto j = StatJson(s);
  CHECK(j["dataVersion"] == 1);
  CHECK(j["ephemeralOwner"] == 0x100009bf9050000);
  CHECK(j.begin().key() == "cZxid");
}

TEST_CASE("lists, permissions and ACL lines") {
  CHECK(FormatList({}) == "[]");
  CHECK(FormatList({"a", "b"}) == "[a, b]");
  CHECK(PermString(perms::kAll) == "cdrwa");
  CHECK(PermString(perms::kRead | perms::kAdmin) == "ra");
  std::vector<proto::Acl> acl = {{perms::kAll, {"world", "anyone"}},
                                 {perms::kRead, {"digest", "u:hash="}}};
  CHECK(FormatAcl(acl) == "'world,'anyone\n: cdrwa\n'digest,'u:hash=\n: r\n");
  CHECK(AclJson(acl)[1]["perms"] == "r");
}

TEST_CASE("ACL parsing follows zkCli.sh, with warnings") {
  std::vector<std::string> warnings;
  auto acl = ParseAcl("world:anyone:cdrwa,digest:u:abc=:rw", &warnings);
  REQUIRE(acl.size() == 2);
  CHECK(acl[1].id.scheme == "digest");
  CHECK(acl[1].id.id == "u:abc=");
  CHECK(acl[1].perms == (perms::kRead | perms::kWrite));
  CHECK(warnings.empty());
  acl = ParseAcl("badacl,world:anyone:rxz", &warnings);
  REQUIRE(acl.size() == 1);
  CHECK(acl[0].perms == perms::kRead);
  CHECK(warnings == std::vector<std::string>{"badacl does not have the form scheme:id:perm",
                                             "Unknown perm type: x", "Unknown perm type: z"});
}

TEST_CASE("watch events and error messages") {
  client::WatchEvent e{EventType::kNodeDataChanged, KeeperState::kSyncConnected, "/w/x"};
  CHECK(FormatEvent(e) == "WatchedEvent state:SyncConnected type:NodeDataChanged path:/w/x");
  CHECK(FormatEvent({EventType::kNone, KeeperState::kSyncConnected, ""}) ==
        "WatchedEvent state:SyncConnected type:None path:null");
  CHECK(EventJson(e)["type"] == "NodeDataChanged");
  CHECK(ErrorMessage(Err::kNoNode, "/a") == "Node does not exist: /a");
  CHECK(ErrorMessage(Err::kBadVersion, "/a") == "version No is not valid : /a");
  CHECK(ErrorMessage(Err::kNoAuth, "/a") == "Insufficient permission : /a");
  CHECK(ErrorMessage(Err::kNotEmpty, "/a") == "Node not empty: /a");
  CHECK(ErrorMessage(Err::kNodeExists, "/a") == "Node already exists: /a");
  CHECK(ErrorMessage(Err::kSessionExpired, "/a").starts_with("Session expired"));
  CHECK(ExitCodeFor(Err::kNoNode) == 1);
  CHECK(ExitCodeFor(Err::kConnectionLoss) == 3);
  CHECK(ExitCodeFor(Err::kSessionExpired) == 3);
}

TEST_CASE("quota records (StatsTrack)") {
  auto t = StatsTrack::Parse("count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=-1");
  REQUIRE(t);
  CHECK(t->Get("count") == 10);
  CHECK(t->Get("bytes") == -1);
  CHECK(t->Get("countHardLimit") == -1);
  CHECK(t->ToString() == "count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=-1");
  auto s = StatsTrack::Parse("count=3,bytes=10");
  REQUIRE(s);
  CHECK(s->ToString() == "count=3,bytes=10");
  CHECK(StatsTrackJson(*s)["bytes"] == 10);
  StatsTrack n;
  n.Set("countHardLimit", 5);
  CHECK(n.ToString() == "count=-1,bytes=-1=;countHardLimit=5");
  CHECK_FALSE(StatsTrack::Parse("count=abc"));
  CHECK_FALSE(StatsTrack::Parse("count"));
}

TEST_CASE("paths") {
  CHECK(PathError("/a/b").empty());
  CHECK(PathError("/").empty());
  CHECK(PathError("a") == "Path must start with / character");
  CHECK(PathError("/a/") == "Path must not end with / character");
  CHECK(PathError("/a/", true).empty());
  CHECK(PathError("/a//b") == "empty node name specified @3");
  CHECK(PathError("/a/../b") == "relative paths not allowed @3");
  CHECK(PathError("/a/..b").empty());
  CHECK(PathError("") == "Path length must be > 0");
  CHECK(ParentPath("/a/b") == "/a");
  CHECK(ParentPath("/a") == "/");
  CHECK(ChildPath("/", "a") == "/a");
  CHECK(ChildPath("/a", "b") == "/a/b");
}

TEST_CASE("four-letter answers as key/values and tables") {
  auto kv = ParseKeyValues("Zookeeper version: 3.8.0-x, built on 2024\nMode: standalone\n");
  REQUIRE(kv.size() == 2);
  CHECK(kv[0].first == "Zookeeper version");
  CHECK(kv[0].second == "3.8.0-x, built on 2024");
  kv = ParseKeyValues("zk_version\t3.8.0\nzk_znode_count\t5\n");
  REQUIRE(kv.size() == 2);
  CHECK(kv[1].second == "5");
  CHECK(ParseKeyValues("imok").empty());
  CHECK(FormatTable({{"a", "bb"}, {"ccc", "d"}}) == "a    bb\nccc  d\n");
}

}  // namespace
}  // namespace zk::zkcli
