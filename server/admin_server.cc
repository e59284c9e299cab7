#include "server/admin_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>
#include <utility>

#include "zab/mutex.h"

namespace zk::server {

// What request threads and the callbacks posted to the io thread share. Outlives the
// AdminServer when callbacks are still queued.
struct AdminServer::Shared {
  zab::Mutex mu;
  zab::CondVar answered{&mu};
  bool stopping ZK_GUARDED_BY(mu) = false;
};

namespace {

// One command waiting for its answer.
struct Call {
  bool done = false;  // guarded by Shared::mu
  nlohmann::ordered_json answer;
};

constexpr const char* kJson = "application/json";

std::string ErrorBody(std::string_view command, const std::string& error) {
  nlohmann::ordered_json j;
  j["command"] = command;
  j["error"] = error;
  return j.dump(2);
}

}  // namespace

std::string AdminServer::CommandLinks(const std::string& command_url) {
  std::string body;
  for (const AdminCommandSpec& c : AdminCommands()) {
    body += "<a href=\"" + command_url + "/" + std::string(c.name) + "\">" +
            std::string(c.name) + "</a>\n<br/>\n";
  }
  return body;
}

zab::Result<std::unique_ptr<AdminServer>> AdminServer::Start(const ServerConfig& config,
                                                             Runner run) {
  const AdminServerOptions& o = config.admin;
  std::unique_ptr<httplib::Server> http;
  if (o.force_https) {
    const TlsOptions& tls = config.client_tls;
    if (tls.key_store_location.empty()) {
      return zab::Status::InvalidArgument(
          "admin.forceHttps=true needs ssl.keyStore.location (a PEM key store)");
    }
    const char* trust = o.need_client_auth && !tls.trust_store_location.empty()
                            ? tls.trust_store_location.c_str()
                            : nullptr;
    if (o.need_client_auth && !trust) {
      return zab::Status::InvalidArgument(
          "admin.needClientAuth=true needs ssl.trustStore.location (a PEM CA bundle)");
    }
    // A PEM key store holds the certificate chain and the private key in one file.
    auto https = std::make_unique<httplib::SSLServer>(
        tls.key_store_location.c_str(), tls.key_store_location.c_str(), trust, nullptr,
        tls.key_store_password.empty() ? nullptr : tls.key_store_password.c_str());
    if (!https->is_valid()) {
      return zab::Status::InvalidArgument("admin.forceHttps: cannot load the key store " +
                                          tls.key_store_location);
    }
    http = std::move(https);
  } else {
    http = std::make_unique<httplib::Server>();
  }
  const time_t idle_s = std::max(1, o.idle_timeout_ms / 1000);
  http->set_keep_alive_timeout(idle_s);
  http->set_read_timeout(idle_s, (o.idle_timeout_ms % 1000) * 1000);
  http->set_write_timeout(idle_s, (o.idle_timeout_ms % 1000) * 1000);
  // A kept-alive connection holds a worker until it idles out: a few workers, for a few clients.
  http->new_task_queue = [] { return new httplib::ThreadPool(4); };
  // httplib's default also sets SO_REUSEPORT, which would let a second server share the port
  // silently; a taken port must fail as it does for ZooKeeper's Jetty.
  http->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  std::unique_ptr<AdminServer> server(new AdminServer(std::move(http), std::make_shared<Shared>()));
  server->run_ = std::move(run);
  server->Route(o.command_url);
  const int bound = o.port == 0 ? server->http_->bind_to_any_port(o.address)
                                : (server->http_->bind_to_port(o.address, o.port) ? o.port : -1);
  if (bound <= 0) {
    return zab::Status::IOError("AdminServer cannot listen on " + o.address + ":" +
                                std::to_string(o.port));
  }
  server->port_ = static_cast<uint16_t>(bound);
  httplib::Server* raw = server->http_.get();
  auto finished = std::make_shared<std::atomic<bool>>(false);
  server->thread_ = std::thread([raw, finished] {
    raw->listen_after_bind();
    finished->store(true);
  });
  // httplib's stop() only reaches a server that is already running: wait until the accept loop
  // runs (microseconds), so that a Stop right after Start cannot miss it.
  while (!raw->is_running() && !finished->load()) std::this_thread::yield();
  spdlog::info("AdminServer listening on {}://{}:{}{}", o.force_https ? "https" : "http",
               o.address, server->port_, o.command_url);
  return server;
}

AdminServer::AdminServer(std::unique_ptr<httplib::Server> http, std::shared_ptr<Shared> shared)
    : http_(std::move(http)), shared_(std::move(shared)) {}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::Route(const std::string& command_url) {
  http_->Get(command_url, [command_url](const httplib::Request&, httplib::Response& res) {
    res.set_content(CommandLinks(command_url), "text/html");
  });
  http_->Get(command_url + "/", [command_url](const httplib::Request&, httplib::Response& res) {
    res.set_content(CommandLinks(command_url), "text/html");
  });
  // Anything under the command URL: one command, by primary name or alias.
  const std::string prefix = command_url == "/" ? "/" : command_url + "/";
  http_->Get(prefix + "(.+)", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    const AdminCommandSpec* spec = FindAdminCommand(name);
    if (!spec) {
      // As ZooKeeper 3.8: HTTP 200 with the error in the body.
      res.set_content(ErrorBody(name, "Unknown command: " + name), kJson);
      return;
    }
    std::map<std::string, std::string> params;
    for (const auto& [k, v] : req.params) params.emplace(k, v);
    auto call = std::make_shared<Call>();
    std::shared_ptr<Shared> shared = shared_;
    run_(*spec, std::move(params), [call, shared](nlohmann::ordered_json answer) {
      zab::MutexLock lock(&shared->mu);
      call->answer = std::move(answer);
      call->done = true;
      shared->answered.SignalAll();
    });
    const auto deadline = std::chrono::steady_clock::now() + kCommandTimeout;
    bool answered = false;
    nlohmann::ordered_json answer;
    {
      zab::MutexLock lock(&shared->mu);
      while (!call->done && !shared->stopping) {
        if (!shared->answered.WaitUntil(deadline)) break;
      }
      answered = call->done;
      if (answered) answer = std::move(call->answer);
    }
    if (!answered) {
      res.status = 503;
      res.set_content(ErrorBody(spec->name, "the server did not answer in time"), kJson);
      return;
    }
    res.set_content(answer.dump(2), kJson);
  });
}

void AdminServer::Stop() {
  {
    zab::MutexLock lock(&shared_->mu);
    shared_->stopping = true;
    shared_->answered.SignalAll();
  }
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace zk::server
