// log_store_bench: the CPU the production LeveldbLogStore spends per txn, as the server drives it:
// appends of --group txns of --size bytes each (unsynced, so the disk's sync latency is left
// out), and every --purge-every txns a purge of all but the last --purge-every (PurgeSome steps
// of 1024, then ReclaimSpace), as after each snapshot. Prints the process CPU (every thread,
// LevelDB's own included) per txn.
//
//   log_store_bench [--dir DIR] [--txns N] [--group G] [--size B] [--purge-every P]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "zab/leveldb_log_store.h"

int main(int argc, char** argv) {
  std::string dir = "/tmp/log_store_bench";
  int64_t txns = 2000000;
  int group = 300;
  int size = 150;
  int64_t purge_every = 100000;
  CLI::App app("CPU per txn of the LevelDB log store");
  app.add_option("--dir", dir, "database directory (emptied first)");
  app.add_option("--txns", txns, "txns appended")->check(CLI::PositiveNumber);
  app.add_option("--group", group, "txns per Append (a group commit)")->check(CLI::PositiveNumber);
  app.add_option("--size", size, "bytes per txn")->check(CLI::NonNegativeNumber);
  app.add_option("--purge-every", purge_every, "txns between purges")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  auto opened = zk::zab::LeveldbLogStore::Open(dir, {});
  if (!opened.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<zk::zab::LeveldbLogStore> db = std::move(opened).value();
  zk::zab::LeveldbLogStore& store = *db;
  const std::string data(static_cast<size_t>(size), 'x');
  std::vector<zk::zab::LogEntry> batch;
  int64_t zxid = 0;
  int64_t next_purge = purge_every * 2;
  const auto wall0 = std::chrono::steady_clock::now();
  const std::clock_t cpu0 = std::clock();
  while (zxid < txns) {
    batch.clear();
    for (int i = 0; i < group && zxid < txns; ++i) batch.push_back({++zxid, data});
    if (zk::zab::Status s = store.Append(batch, false); !s.ok()) {
      std::fprintf(stderr, "append: %s\n", s.ToString().c_str());
      return 1;
    }
    if (zxid >= next_purge) {
      next_purge += purge_every;
      bool more = true;
      while (more) {
        if (zk::zab::Status s = store.PurgeSome(zxid - purge_every, 1024, &more); !s.ok()) {
          std::fprintf(stderr, "purge: %s\n", s.ToString().c_str());
          return 1;
        }
      }
      (void)store.ReclaimSpace(zxid - purge_every);
    }
  }
  const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::printf("log_store_bench: %lld txns of %d B in appends of %d, purged every %lld: wall %.2f s,"
              " CPU %.2f s = %.3f us per txn\n",
              static_cast<long long>(txns), size, group, static_cast<long long>(purge_every), wall,
              cpu, cpu * 1e6 / static_cast<double>(txns));
  db.reset();  // closes the store (and joins its compaction thread) before its files go
  std::filesystem::remove_all(dir, ec);
  return 0;
}
