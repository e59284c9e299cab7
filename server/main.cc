// zabkeeper: a ZooKeeper-compatible coordination server.
//   zabkeeper --config zoo.cfg
//   zabkeeper --config zoo.cfg --import-zookeeper [--zookeeper-data-dir D] [--zookeeper-log-dir L]
//     converts an Apache ZooKeeper data directory into this server's (server/zookeeper_import.h)
//     and exits.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <cstdlib>

#include "server/config.h"
#include "server/huge_page_heap.h"
#include "server/version.h"
#include "server/zookeeper_import.h"
#include "server/zookeeper_server.h"

int main(int argc, char** argv) {
  CLI::App app{"zabkeeper: a ZooKeeper-compatible coordination server"};
  std::string config_path;
  std::string log_level = "info";
  app.add_option("-c,--config", config_path, "ZooKeeper zoo.cfg file")->required();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  bool import_zookeeper = false;
  std::string zookeeper_data_dir, zookeeper_log_dir;
  app.add_flag("--import-zookeeper", import_zookeeper,
               "convert Apache ZooKeeper's snapshot and logs into this server's empty dataDir, "
               "then exit");
  app.add_option("--zookeeper-data-dir", zookeeper_data_dir,
                 "ZooKeeper's snapshot directory (default: <dataDir>/version-2)");
  app.add_option("--zookeeper-log-dir", zookeeper_log_dir,
                 "ZooKeeper's transaction log directory (default: <dataLogDir>/version-2)");
  app.set_version_flag("--version", std::string(zk::server::kVersionString));
  CLI11_PARSE(app, argc, argv);

  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] %v");
  spdlog::set_level(spdlog::level::from_str(log_level));

  auto config = zk::server::ParseConfigFile(config_path);
  if (!config.ok()) {
    spdlog::error("{}", config.status().message());
    return 2;
  }
  if (import_zookeeper) {
    std::string summary;
    zk::zab::Status s = zk::server::ImportZooKeeperDataDir(config.value(), zookeeper_data_dir,
                                                           zookeeper_log_dir, &summary);
    if (!s.ok()) {
      spdlog::error("import failed: {}", s.ToString());
      return 1;
    }
    spdlog::info("{}", summary);
    return 0;
  }
  if (config.value().huge_pages && !zk::server::UseHugePageHeap()) {
    spdlog::warn("memory.hugePages: the allocator is not tcmalloc; the heap stays on 4 KiB pages");
  }
  asio::io_context io(1);
  zk::server::ZooKeeperServer server(io, std::move(config.value()));
  zk::zab::Status status = server.Start();
  if (!status.ok()) {
    spdlog::error("cannot start: {}", status.ToString());
    return 1;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("received signal {}, shutting down", sig);
    server.Stop();
    io.stop();
  });
  io.run();
  server.Stop();
  int code = 0;
  if (server.failed()) {
    spdlog::error("stopped after a fatal storage error");
    code = 1;
  } else {
    spdlog::info("stopped");
  }
  // Everything durable is synced and the log is closed. Freeing a large tree node by node
  // takes seconds and serves no one, so the process ends without running destructors.
  spdlog::shutdown();
  std::fflush(nullptr);
  std::_Exit(code);
}
