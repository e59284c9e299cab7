// snapshot_bench: the CPU the production snapshot code spends per znode. Builds a tree of
// --nodes znodes of --size bytes ('x', as zkbench writes; with --random, bytes that do not
// compress) under /bench (named as sequential
// creates are), then writes it --rounds times with WriteSnapshotFile (serialize, compress, write,
// checksum, fsync: what the forked snapshot child does) and loads it back once with
// LoadNewestSnapshot (what a restart does). Prints CPU and wall time per znode and the file size.
//
//   snapshot_bench [--dir DIR] [--nodes N] [--size B] [--random] [--level L] [--rounds R]
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "server/data_tree.h"
#include "server/session_tracker.h"
#include "server/snapshot.h"

namespace {

double ProcessCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/snapshot_bench";
  int64_t nodes = 1000000;
  int size = 100;
  int level = 1;  // the server's default snapshot.compression
  int rounds = 3;
  bool random_data = false;
  CLI::App app("CPU per znode of writing and loading a snapshot");
  app.add_option("--dir", dir, "snapshot directory (emptied first)");
  app.add_option("--nodes", nodes, "znodes under /bench")->check(CLI::PositiveNumber);
  app.add_option("--size", size, "data bytes per znode")->check(CLI::NonNegativeNumber);
  app.add_option("--level", level, "zstd level (snapshot.compression)")->check(CLI::Range(-100, 22));
  app.add_option("--rounds", rounds, "snapshots written")->check(CLI::PositiveNumber);
  app.add_flag("--random", random_data, "random data bytes (incompressible) instead of 'x'");
  CLI11_PARSE(app, argc, argv);

  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "create %s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }

  zk::server::DataTree tree;
  const zk::server::AclList open_acl = {{31, {"world", "anyone"}}};
  zk::server::NodeStat stat;
  stat.czxid = stat.mzxid = stat.pzxid = 1;
  stat.ctime = stat.mtime = 1767225600000;
  if (!tree.LoadNode("/bench", stat, "", false, open_acl, static_cast<uint64_t>(nodes))) {
    std::fprintf(stderr, "cannot create /bench\n");
    return 1;
  }
  std::string data(static_cast<size_t>(size), 'x');
  uint64_t state = 0x9e3779b97f4a7c15;  // xorshift64: a fixed sequence of random bytes
  char name[40];
  for (int64_t i = 0; i < nodes; ++i) {
    if (random_data) {
      for (char& c : data) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        c = static_cast<char>(state);
      }
    }
    std::snprintf(name, sizeof name, "/bench/n-%010lld", static_cast<long long>(i));
    stat.czxid = stat.mzxid = stat.pzxid = i + 2;
    if (!tree.LoadNode(name, stat, data, false, open_acl)) {
      std::fprintf(stderr, "cannot create %s\n", name);
      return 1;
    }
  }
  tree.SetLastZxid(nodes + 1);
  const zk::server::SessionTracker sessions(1, 30000, 0);
  const double count = static_cast<double>(tree.node_count());
  std::printf("tree: %zu znodes of %d B (%s), zstd level %d\n", tree.node_count(), size,
              random_data ? "random" : "'x'", level);

  {
    // The walk alone (visiting each node's path, name and data), the floor under a write.
    const double cpu0 = ProcessCpuSeconds();
    uint64_t sum = 0;
    tree.Walk([&](const std::string& path, const zk::server::DataTree::Node& node) {
      const std::string_view node_data = tree.DataOf(node);
      sum += path.size() + node_data.size();
      if (!node_data.empty()) sum += static_cast<uint8_t>(node_data.back());
    });
    std::printf("walk: %.3f us CPU per znode (checksum %llu)\n",
                (ProcessCpuSeconds() - cpu0) * 1e6 / count, static_cast<unsigned long long>(sum));
  }
  for (int r = 0; r < rounds; ++r) {
    const auto wall0 = std::chrono::steady_clock::now();
    const double cpu0 = ProcessCpuSeconds();
    if (zk::zab::Status s = zk::server::WriteSnapshotFile(tree, sessions, dir, level); !s.ok()) {
      std::fprintf(stderr, "write: %s\n", s.ToString().c_str());
      return 1;
    }
    const double cpu = ProcessCpuSeconds() - cpu0;
    const double wall = Seconds(wall0);
    const auto file_size =
        std::filesystem::file_size(zk::server::SnapshotFileName(dir, tree.last_zxid()), ec);
    std::printf("write %d: %.3f us CPU, %.3f us wall per znode; file %.1f MiB (%.1f B/znode)\n",
                r + 1, cpu * 1e6 / count, wall * 1e6 / count,
                static_cast<double>(file_size) / (1 << 20), static_cast<double>(file_size) / count);
  }

  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = ProcessCpuSeconds();
  auto loaded_tree = std::make_unique<zk::server::DataTree>();
  auto loaded = zk::server::LoadNewestSnapshot(dir, &loaded_tree);
  const double cpu = ProcessCpuSeconds() - cpu0;
  const double wall = Seconds(wall0);
  if (!loaded.ok() || !loaded.value().has_value() || loaded_tree->digest() != tree.digest()) {
    std::fprintf(stderr, "load failed or the loaded tree differs\n");
    return 1;
  }
  std::printf("load: %.3f us CPU, %.3f us wall per znode\n", cpu * 1e6 / count,
              wall * 1e6 / count);
  std::filesystem::remove_all(dir, ec);
  return 0;
}
