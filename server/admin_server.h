// AdminServer: the HTTP listener of Apache ZooKeeper 3.8's AdminServer (admin.* keys), on
// cpp-httplib. GET <commandURL> lists the commands as links; GET <commandURL>/<name or alias>
// answers one command as JSON. HTTPS with the ssl.* key store when admin.forceHttps=true.
//
// Threads: the listener runs its own threads (httplib's accept thread and worker pool). A
// command is never run there: the request thread hands it to `run`, which must arrange for it to
// run on the io thread (ZooKeeperServer posts it to its io_context) and call `done` with the
// answer from there; the request thread waits for `done` up to kCommandTimeout and answers
// HTTP 503 with a JSON error when it does not come (io thread stalled, or stopping).
// Start and Stop are called from the io thread; Stop joins the listener's threads and never
// waits on the io thread. Ownership: the owner keeps the AdminServer alive until Stop returned;
// callbacks posted by `run` may run later and must not touch the AdminServer (they don't: they
// hold only the shared Call).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "server/admin_commands.h"
#include "server/config.h"
#include "zab/status.h"

namespace httplib {
class Server;
}

namespace zk::server {

class AdminServer {
 public:
  static constexpr auto kCommandTimeout = std::chrono::seconds(5);

  using Done = std::function<void(nlohmann::ordered_json answer)>;
  // Runs `spec` with the request's query parameters on the io thread; calls `done` once.
  using Runner = std::function<void(const AdminCommandSpec& spec,
                                    std::map<std::string, std::string> params, Done done)>;

  // Binds admin.serverAddress:admin.serverPort and starts serving. Errors: the address cannot
  // be bound; forceHttps without a usable ssl.keyStore.location.
  static zab::Result<std::unique_ptr<AdminServer>> Start(const ServerConfig& config,
                                                         Runner run);
  ~AdminServer();  // Stops.
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  uint16_t port() const { return port_; }
  // Stops listening, wakes requests waiting for answers and joins the threads. Idempotent.
  void Stop();

  // The body of the command listing, as ZooKeeper's: one link per command name.
  static std::string CommandLinks(const std::string& command_url);

 private:
  struct Shared;
  AdminServer(std::unique_ptr<httplib::Server> http, std::shared_ptr<Shared> shared);
  void Route(const std::string& command_url);

  std::unique_ptr<httplib::Server> http_;
  std::shared_ptr<Shared> shared_;
  Runner run_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace zk::server
