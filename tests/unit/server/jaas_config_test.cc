#include "server/jaas_config.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

namespace zk::server {
namespace {

TEST_CASE("ParseJaasConfig reads ZooKeeper's Server and Client sections") {
  auto c = ParseJaasConfig(R"(
// users of the server
Server {
  org.apache.zookeeper.server.auth.DigestLoginModule required
    user_super="adminsecret"   /* the super user */
    user_bob="bob\"s \\ secret"
    debug=true;
};
/* a
   multi-line comment */
"Client" {
  org.apache.zookeeper.server.auth.DigestLoginModule REQUIRED username="bob" password="x";
};
Server { other.Module optional user_carol=carol-pw; };
)");
  REQUIRE(c.ok());
  const JaasConfig& config = c.value();
  REQUIRE(config.size() == 2);
  const auto& server = config.at("Server");
  REQUIRE(server.size() == 2);
  CHECK(server[0].login_module == "org.apache.zookeeper.server.auth.DigestLoginModule");
  CHECK(server[0].flag == "required");
  REQUIRE(server[0].options.size() == 3);
  CHECK(server[0].options[0] == std::pair<std::string, std::string>("user_super", "adminsecret"));
  CHECK(server[0].options[1].second == "bob\"s \\ secret");
  CHECK(server[0].options[2].second == "true");
  CHECK(server[1].options[0].second == "carol-pw");
  CHECK(config.at("Client")[0].flag == "required");
}

TEST_CASE("ParseJaasConfig errors name the line and what was expected") {
  struct Case {
    const char* text;
    const char* error_part;
  };
  const Case cases[] = {
      {"Server {\n  M required user_a=\"x\"\n};", "line 3: expected an option"},
      {"Server {\n  M mandatory;\n};", "line 2: expected required, requisite"},
      {"Server {\n  M required user_a=/etc/x;\n};", "line 2: unexpected character '/'"},
      {"Server {\n  M required user_a=\"x;\n};", "line 2: quoted string is not closed"},
      {"Server {\n  M required;\n}", "expected ';' after the '}'"},
      {"Server\n  M required;\n};", "expected '{' after section Server"},
      {"/* open\nServer {};", "line 1: comment /* is never closed"},
      {"Server { M required user_a; };", "expected '=' after option user_a"},
      {"{ };", "expected a section name"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto r = ParseJaasConfig(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find(c.error_part) != std::string::npos);
  }
  CHECK(ParseJaasConfig("").ok());
  CHECK(ParseJaasConfig("// only a comment\n").ok());
}

TEST_CASE("LoadSaslUsers takes the user_ options of the section") {
  std::string path = "/tmp/jaas_config_test_" + std::to_string(::getpid()) + ".conf";
  {
    std::ofstream f(path);
    f << "Server { a.B required user_bob=\"pw1\" user_=\"ignored\" other=\"x\";\n"
         "         c.D required user_bob=\"pw2\" user_eve=\"pw3\"; };\n";
  }
  auto users = LoadSaslUsers(path, "Server");
  REQUIRE(users.ok());
  CHECK(users.value() == std::map<std::string, std::string>{{"bob", "pw2"}, {"eve", "pw3"}});
  auto missing = LoadSaslUsers(path, "ZkServer");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("no section named 'ZkServer' (it has: Server)") !=
        std::string::npos);
  std::remove(path.c_str());
  auto unreadable = LoadSaslUsers(path, "Server");
  REQUIRE_FALSE(unreadable.ok());
  CHECK(unreadable.status().IsIOError());
}

}  // namespace
}  // namespace zk::server
