#include <doctest/doctest.h>

#include "client/zkcli/completion.h"
#include "client/zkcli/dump_codec.h"

namespace zk::zkcli {
namespace {

TEST_CASE("base64 round trip, including every byte value") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Decode("Zm9vYg==") == std::optional<std::string>("foob"));
  CHECK(Base64Decode("Zm9vYg") == std::optional<std::string>("foob"));
  CHECK_FALSE(Base64Decode("Zm9v!"));
  CHECK_FALSE(Base64Decode("Z"));
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  CHECK(Base64Decode(Base64Encode(all)) == std::optional<std::string>(all));
}

TEST_CASE("UTF-8 validation") {
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(IsValidUtf8("gr\xc3\xbc\xc3\x9f"));  // grüß
  CHECK(IsValidUtf8("\xe2\x82\xac"));        // €
  CHECK_FALSE(IsValidUtf8("\xff\x00"));
  CHECK_FALSE(IsValidUtf8("\xc3"));          // truncated
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
}

Dump SampleDump() {
  Dump d;
  d.path = "/app";
  d.nodes.push_back(
      {"", "root text", {{perms::kAll, {"world", "anyone"}}}, NodeKind::kPersistent, 0});
  d.nodes.push_back({"/bin",
                     std::string("\x00\x01\xff", 3),
                     {{perms::kRead, {"digest", "u:x="}}},
                     NodeKind::kContainer,
                     0});
  d.nodes.push_back({"/bin/t", "", {}, NodeKind::kTtl, 5000});
  return d;
}

TEST_CASE("dump encoding round-trips binary data, ACLs and node kinds") {
  Dump d = SampleDump();
  Json j = EncodeDump(d);
  CHECK(j["format"] == "zkcli-dump");
  CHECK(j["nodes"][0]["data"] == "root text");
  CHECK(j["nodes"][1]["data_base64"] == "AAH/");
  CHECK_FALSE(j["nodes"][1].contains("data"));
  CHECK(j["nodes"][1]["mode"] == "container");
  CHECK(j["nodes"][2]["ttl_ms"] == 5000);
  std::string error;
  auto back = DecodeDump(Json::parse(j.dump()), &error);
  REQUIRE_MESSAGE(back, error);
  CHECK(back->path == "/app");
  CHECK(back->nodes == d.nodes);
}

TEST_CASE("dump decoding rejects what load could not apply") {
  std::string error;
  Json j = EncodeDump(SampleDump());
  Json bad = j;
  bad["format"] = "other";
  CHECK_FALSE(DecodeDump(bad, &error));
  bad = j;
  bad["version"] = 2;
  CHECK_FALSE(DecodeDump(bad, &error));
  bad = j;
  std::swap(bad["nodes"][0], bad["nodes"][1]);
  CHECK_FALSE(DecodeDump(bad, &error));
  bad = j;
  bad["nodes"][1]["data_base64"] = "!!";
  CHECK_FALSE(DecodeDump(bad, &error));
  CHECK(error.find("base64") != std::string::npos);
  bad = j;
  bad["nodes"][1]["acl"][0]["perms"] = "rq";
  CHECK_FALSE(DecodeDump(bad, &error));
  bad = j;
  bad["nodes"][2]["path"] = "/missing/t";
  CHECK_FALSE(DecodeDump(bad, &error));
  CHECK(error.find("parent") != std::string::npos);
  bad = j;
  bad["nodes"][2].erase("ttl_ms");
  CHECK_FALSE(DecodeDump(bad, &error));
}

TEST_CASE("node kinds from ephemeralOwner") {
  int64_t ttl = 0;
  CHECK(KindFromOwner(0, &ttl) == NodeKind::kPersistent);
  CHECK(KindFromOwner(ephemeral_owner::kContainer, &ttl) == NodeKind::kContainer);
  CHECK(KindFromOwner(ephemeral_owner::kTtlMask | 5000, &ttl) == NodeKind::kTtl);
  CHECK(ttl == 5000);
  CHECK_FALSE(KindFromOwner(0x100009bf9050000, &ttl));
}

ChildLister FakeTree() {
  return [](const std::string& p) -> std::optional<std::vector<std::string>> {
    if (p == "/") return std::vector<std::string>{"app", "apple", "zookeeper"};
    if (p == "/app") return std::vector<std::string>{"config"};
    if (p == "/apple" || p == "/app/config") return std::vector<std::string>{};
    return std::nullopt;
  };
}

TEST_CASE("completion of command names") {
  std::vector<std::string> cmds = {"get", "getAcl", "getEphemerals", "ls", "set"};
  CHECK(Complete("l", cmds, FakeTree()).insert == "s ");
  CHECK(Complete("getA", cmds, FakeTree()).insert == "cl ");
  auto r = Complete("get", cmds, FakeTree());
  CHECK(r.insert.empty());
  CHECK(r.listing == std::vector<std::string>{"get", "getAcl", "getEphemerals"});
  CHECK(Complete("x", cmds, FakeTree()).listing.empty());
  CHECK(Complete("help se", cmds, FakeTree()).insert == "t ");
}

TEST_CASE("completion of znode paths") {
  std::vector<std::string> cmds = {"ls"};
  CHECK(Complete("ls /z", cmds, FakeTree()).insert == "ookeeper ");
  CHECK(Complete("ls /ap", cmds, FakeTree()).insert == "p");  // app, apple
  auto r = Complete("ls /app", cmds, FakeTree());
  CHECK(r.listing == std::vector<std::string>{"app", "apple"});
  CHECK(Complete("ls /app/", cmds, FakeTree()).insert == "config ");
  CHECK(Complete("ls ", cmds, FakeTree()).insert == "/");
  CHECK(Complete("get -s /apple", cmds, FakeTree()).insert == " ");
  CHECK(Complete("ls /nope/x", cmds, FakeTree()).insert.empty());
  CHECK(Complete("ls '/ap", cmds, FakeTree()).insert.empty());
  CHECK(CommonPrefix({"/app", "/apple"}) == "/app");
}

}  // namespace
}  // namespace zk::zkcli
