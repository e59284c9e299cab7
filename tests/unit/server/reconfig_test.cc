#include "server/reconfig.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "server/dynamic_config_file.h"
#include "tests/unit/server/temp_dir.h"

namespace zk::server {
namespace {

ServerAddress Addr(std::string_view spec) {
  ServerAddress a;
  REQUIRE(ParseServerSpec("server.x", spec, &a).ok());
  return a;
}

Membership Three() {
  Membership m;
  m.version = 0x100000005;
  m.servers[1] = Addr("10.0.0.1:2888:3888;2181");
  m.servers[2] = Addr("10.0.0.2:2888:3888;2181");
  m.servers[3] = Addr("10.0.0.3:2888:3888:observer;10.0.0.3:2181");
  return m;
}

proto::ReconfigRequest Req(std::optional<std::string> joining, std::optional<std::string> leaving,
                           std::optional<std::string> members = std::nullopt,
                           int64_t from = kAnyConfigId) {
  proto::ReconfigRequest r;
  r.joining = std::move(joining);
  r.leaving = std::move(leaving);
  r.new_members = std::move(members);
  r.cur_config_id = from;
  return r;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("ConfigText is ZooKeeper's text and ParseMembershipText reads it back") {
  const Membership m = Three();
  const std::string text = ConfigText(m);
  CHECK(text ==
        "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n"
        "server.2=10.0.0.2:2888:3888:participant;0.0.0.0:2181\n"
        "server.3=10.0.0.3:2888:3888:observer;10.0.0.3:2181\n"
        "version=100000005");
  Membership back;
  REQUIRE(ParseMembershipText(text, &back));
  CHECK(back.version == m.version);
  CHECK(ConfigText(back) == text);
  CHECK(!ParseMembershipText("version=1", &back));  // no server
  CHECK(!ParseMembershipText("server.1=nonsense\nversion=1", &back));
}

TEST_CASE("QuorumConfig round trip: roles and addresses, static lines as the fallback") {
  const Membership m = Three();
  const zab::QuorumConfig q = ToQuorumConfig(m);
  CHECK(q.version == m.version);
  CHECK(q.voters == std::vector<zab::ServerId>{1, 2});
  CHECK(q.observers == std::vector<zab::ServerId>{3});
  CHECK(ConfigText(MembershipOf(q, {})) == ConfigText(m));
  // The static configuration carries no addresses: they come from the server lines.
  const zab::QuorumConfig bare = zab::MakeQuorumConfig(0, {1, 2}, {3});
  const Membership from_static = MembershipOf(bare, m.servers);
  CHECK(from_static.servers.size() == 3);
  CHECK(from_static.servers.at(3).observer);
  CHECK(MembershipOf(bare, {}).servers.empty());
}

TEST_CASE("incremental reconfig: add, replace, remove") {
  const Membership cur = Three();
  ReconfigPlan p = PlanReconfig(
      Req("server.4=10.0.0.4:2888:3888:participant;2181, server.3=10.0.0.3:2888:3888;2181", "2"),
      cur, true);
  REQUIRE(p.err == Err::kOk);
  CHECK(p.next.servers.count(2) == 0);
  CHECK(p.next.servers.count(4) == 1);
  CHECK(!p.next.servers.at(3).observer);  // promoted to participant
  CHECK(p.next.version == 0);             // the txn's zxid becomes it
}

TEST_CASE("bulk reconfig replaces the membership; commas or newlines") {
  ReconfigPlan p = PlanReconfig(
      Req(std::nullopt, std::nullopt,
          "server.5=10.0.0.5:1:2;3,server.6=10.0.0.6:1:2;3\nserver.7=10.0.0.7:1:2:observer;3"),
      Three(), true);
  REQUIRE(p.err == Err::kOk);
  CHECK(p.next.servers.size() == 3);
  CHECK(p.next.servers.count(1) == 0);
  CHECK(p.next.servers.at(7).observer);
}

TEST_CASE("reconfig refusals, with ZooKeeper's codes") {
  const Membership cur = Three();
  CHECK(PlanReconfig(Req(std::nullopt, "3", std::nullopt, 0x100000004), cur, true).err ==
        Err::kBadVersion);
  CHECK(PlanReconfig(Req(std::nullopt, "3", std::nullopt, 0x100000005), cur, true).err ==
        Err::kOk);
  CHECK(PlanReconfig(Req("server.4=10.0.0.4:2888:3888", std::nullopt), cur, true).err ==
        Err::kBadArguments);  // no client port
  CHECK(PlanReconfig(Req("server.4", std::nullopt), cur, true).err == Err::kBadArguments);
  CHECK(PlanReconfig(Req("server.x=10.0.0.4:1:2;3", std::nullopt), cur, true).err ==
        Err::kBadArguments);
  CHECK(PlanReconfig(Req(std::nullopt, "two"), cur, true).err == Err::kBadArguments);
  CHECK(PlanReconfig(Req("server.4=10.0.0.1:2888:9999;2181", std::nullopt), cur, true).err ==
        Err::kBadArguments);  // server 1's quorum address
  // One voter left: refused with standaloneEnabled, allowed without it.
  CHECK(PlanReconfig(Req(std::nullopt, "1"), cur, true).err == Err::kBadArguments);
  CHECK(PlanReconfig(Req(std::nullopt, "1"), cur, false).err == Err::kOk);
  CHECK(PlanReconfig(Req(std::nullopt, "1,2"), cur, false).err == Err::kBadArguments);
  CHECK(PlanReconfig(Req(std::nullopt, std::nullopt, "server.1=a:1:2;3,server.1=b:1:2;3"), cur,
                     false)
            .err == Err::kBadArguments);
}

TEST_CASE("dynamic config files: the versioned file and the rewritten config file") {
  testutil::TempDir dir;
  const std::string cfg = dir.path + "/zoo.cfg";
  {
    std::ofstream out(cfg);
    out << "tickTime=2000\n# members\nserver.1=10.0.0.1:2888:3888\n server.2 = 10.0.0.2:2888:3888\n"
           "dataDir=/var/lib/zk\ndynamicConfigFile=old\nclientPort=2181\n";
  }
  const std::string text = ConfigText(Three());
  REQUIRE(WriteDynamicConfig(cfg, text, 0x100000005).ok());
  CHECK(DynamicConfigPath(cfg, 0x100000005) == cfg + ".dynamic.100000005");
  CHECK(ReadAll(cfg + ".dynamic.100000005") == text + "\n");
  CHECK(ReadAll(cfg) == "tickTime=2000\n# members\ndataDir=/var/lib/zk\nclientPort=2181\n"
                        "dynamicConfigFile=" + cfg + ".dynamic.100000005\n");
  // The config file reads back with the dynamic file's members.
  {
    std::ofstream myid(dir.path + "/myid");
    myid << "2\n";
  }
  {
    std::ofstream out(cfg);
    out << "tickTime=2000\ndataDir=" << dir.path << "\nclientPort=2181\ndynamicConfigFile=" << cfg
        << ".dynamic.100000005\n";
  }
  auto parsed = ParseConfigFile(cfg);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
  CHECK(parsed.value().servers.size() == 3);
  CHECK(parsed.value().dynamic_config_version == 0x100000005);
  CHECK(parsed.value().server_id == 2);
}

}  // namespace
}  // namespace zk::server
