// The AdminServer's listener and command table, without a ZooKeeperServer: the runner given to
// AdminServer::Start stands in for the io thread.
#include "server/admin_server.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <future>
#include <string>

#include "server/admin_commands.h"
#include "server/config.h"

namespace zk::server {
namespace {

ServerConfig LoopbackConfig() {
  ServerConfig c;
  c.data_dir = "/nonexistent";
  c.admin.address = "127.0.0.1";
  c.admin.port = 0;
  return c;
}

TEST_CASE("every command is found by its name and its aliases") {
  const auto& all = AdminCommands();
  CHECK(all.size() == 26);
  CHECK(std::is_sorted(all.begin(), all.end(),
                       [](const auto& a, const auto& b) { return a.name < b.name; }));
  for (const AdminCommandSpec& c : all) {
    CHECK(FindAdminCommand(c.name) == &c);
    for (std::string_view alias : c.aliases) CHECK(FindAdminCommand(alias) == &c);
  }
  CHECK(FindAdminCommand("mntr")->name == "monitor");
  CHECK(FindAdminCommand("conf")->name == "configuration");
  CHECK(FindAdminCommand("snapshot") == nullptr);  // 3.9, not 3.8
  CHECK(FindAdminCommand("") == nullptr);
}

TEST_CASE("commands are answered with what the runner hands back") {
  std::string seen_name, seen_mask;
  auto run = [&](const AdminCommandSpec& spec, std::map<std::string, std::string> params,
                 AdminServer::Done done) {
    seen_name = spec.name;
    seen_mask = params.count("traceMask") ? params["traceMask"] : "";
    nlohmann::ordered_json j;
    j["answered_by"] = "runner";
    j["command"] = spec.name;
    j["error"] = nullptr;
    done(j);
  };
  auto server = AdminServer::Start(LoopbackConfig(), run);
  REQUIRE(server.ok());
  const uint16_t port = server.value()->port();
  REQUIRE(port != 0);
  httplib::Client client("127.0.0.1", port);

  auto res = client.Get("/commands/stmk?traceMask=12");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  const auto body = nlohmann::json::parse(res->body);
  CHECK(body["answered_by"] == "runner");
  CHECK(body["command"] == "set_trace_mask");
  CHECK(seen_name == "set_trace_mask");
  CHECK(seen_mask == "12");

  res = client.Get("/commands/nosuch");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(nlohmann::json::parse(res->body) ==
        nlohmann::json({{"command", "nosuch"}, {"error", "Unknown command: nosuch"}}));

  res = client.Get("/commands");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == AdminServer::CommandLinks("/commands"));
  CHECK(res->body.find("<a href=\"/commands/zabstate\">zabstate</a>\n<br/>\n") !=
        std::string::npos);
  server.value()->Stop();
}

TEST_CASE("a request waiting for the io thread gets a 503 error when the server stops") {
  std::promise<void> asked;
  std::vector<AdminServer::Done> never_called;  // kept so that `done` outlives the request
  auto run = [&](const AdminCommandSpec&, std::map<std::string, std::string>,
                 AdminServer::Done done) {
    never_called.push_back(std::move(done));
    asked.set_value();
  };
  auto server = AdminServer::Start(LoopbackConfig(), run);
  REQUIRE(server.ok());
  httplib::Client client("127.0.0.1", server.value()->port());
  auto pending = std::async(std::launch::async, [&] { return client.Get("/commands/ruok"); });
  asked.get_future().wait();
  server.value()->Stop();
  auto res = pending.get();
  REQUIRE(res);
  CHECK(res->status == 503);
  const auto body = nlohmann::json::parse(res->body);
  CHECK(body["command"] == "ruok");
  CHECK(body["error"].is_string());
  // A late answer after Stop touches only the shared call state.
  never_called.front()(nlohmann::ordered_json::object());
}

TEST_CASE("the address must be free") {
  auto first = AdminServer::Start(LoopbackConfig(), {});
  REQUIRE(first.ok());
  ServerConfig taken = LoopbackConfig();
  taken.admin.port = first.value()->port();
  auto second = AdminServer::Start(taken, {});
  CHECK_FALSE(second.ok());
}

TEST_CASE("forceHttps needs a key store") {
  ServerConfig c = LoopbackConfig();
  c.admin.force_https = true;
  auto server = AdminServer::Start(c, {});
  REQUIRE_FALSE(server.ok());
  CHECK(server.status().message().find("ssl.keyStore.location") != std::string::npos);
}

}  // namespace
}  // namespace zk::server
