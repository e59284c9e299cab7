#include "client/bench/watch_scale_bench.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <thread>

#include "client/bench/pipelined.h"
#include "client/bench/server_cpu.h"
#include "client/event_loop.h"
#include "client/zk_client.h"

namespace zk::bench {
namespace {

using client::Client;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// The first number a shell command prints; -1 if none (or no command).
int64_t CommandNumber(const std::string& cmd) {
  if (cmd.empty()) return -1;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  long long v = -1;
  if (std::fscanf(p, "%lld", &v) != 1) v = -1;
  ::pclose(p);
  return v;
}

// The server's memory in bytes: the first number mem_cmd prints, or the VmRSS of the first
// server process; -1 if unknown.
int64_t ServerMemory(const WatchScaleConfig& cfg) {
  if (!cfg.mem_cmd.empty()) return CommandNumber(cfg.mem_cmd);
  if (cfg.cpu_pids.empty()) return -1;
  std::ifstream f("/proc/" + std::to_string(cfg.cpu_pids[0]) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

std::string ParentPath(const WatchScaleConfig& cfg, int p) {
  char name[32];
  std::snprintf(name, sizeof(name), "/p%05d", p);
  return cfg.base + name;
}

std::string LeafPath(const WatchScaleConfig& cfg, int p, int c) {
  char name[32];
  std::snprintf(name, sizeof(name), "/n%04d", c);
  return ParentPath(cfg, p) + name;
}

// Waits until `count` reaches `target`; false after `timeout`.
bool WaitUntil(const std::atomic<int64_t>& count, int64_t target, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (count.load() < target) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

double PerItem(int64_t before, int64_t after, int64_t items) {
  if (before < 0 || after < 0 || items <= 0) return -1;
  return static_cast<double>(after - before) / static_cast<double>(items);
}

}  // namespace

int RunWatchScaleBench(const WatchScaleConfig& cfg) {
  const int64_t leaves = int64_t{cfg.parents} * cfg.children;
  if (cfg.sessions < 1 || cfg.loops < 1 || leaves < 1 || cfg.fire > leaves ||
      cfg.data_watchers > cfg.sessions || cfg.child_watchers > cfg.sessions) {
    std::fprintf(stderr, "zkbench watch-scale: bad sizes (fire <= leaves, watchers <= sessions)\n");
    return 2;
  }
  client::Options o;
  o.connect_string = cfg.servers;
  o.session_timeout = std::chrono::milliseconds(cfg.session_timeout_ms);
  auto admin_started = Client::Start(o);
  if (!admin_started.ok() || !admin_started.value()->WaitConnected(std::chrono::seconds(15)).ok()) {
    std::fprintf(stderr, "zkbench: cannot connect to %s\n", cfg.servers.c_str());
    return 1;
  }
  std::unique_ptr<Client> admin = std::move(admin_started).value();
  const std::string data(100, 'x');
  int64_t errors = 0;

  // The tree.
  auto t = Clock::now();
  auto root = admin->Create(cfg.base, "", client::OpenAclUnsafe());
  if (!root.ok() && root.err() != Err::kNodeExists) {
    std::fprintf(stderr, "zkbench: create %s failed\n", cfg.base.c_str());
    return 1;
  }
  errors += Pipelined(
      cfg.parents,
      [&](int64_t p) { return admin->CreateFuture(ParentPath(cfg, static_cast<int>(p)), "",
                                   client::OpenAclUnsafe()); },
      Err::kNodeExists);
  errors += Pipelined(
      leaves,
      [&](int64_t i) {
        return admin->CreateFuture(LeafPath(cfg, static_cast<int>(i / cfg.children),
                                            static_cast<int>(i % cfg.children)),
                                   data, client::OpenAclUnsafe());
      },
      Err::kNodeExists);
  const double populate_s = Seconds(Clock::now() - t);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int64_t mem_tree = ServerMemory(cfg);
  const int64_t heap_tree = CommandNumber(cfg.heap_cmd);

  // The sessions (the loops are declared first: they outlive their clients).
  std::vector<std::unique_ptr<client::EventLoop>> loops;
  for (int i = 0; i < cfg.loops; ++i) loops.push_back(client::EventLoop::Start());
  std::vector<std::unique_ptr<Client>> sessions;
  t = Clock::now();
  for (int i = 0; i < cfg.sessions; ++i) {
    client::Options so = o;
    so.event_loop = loops[static_cast<size_t>(i) % loops.size()].get();
    auto c = Client::Start(so);
    if (!c.ok()) {
      std::fprintf(stderr, "zkbench: client %d did not start\n", i);
      return 1;
    }
    sessions.push_back(std::move(c).value());
  }
  int connected = 0;
  for (auto& c : sessions) connected += c->WaitConnected(std::chrono::seconds(60)).ok() ? 1 : 0;
  const double connect_s = Seconds(Clock::now() - t);
  if (connected != cfg.sessions) {
    std::fprintf(stderr, "zkbench: %d of %d sessions connected\n", connected, cfg.sessions);
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int64_t mem_sessions = ServerMemory(cfg);
  const int64_t heap_sessions = CommandNumber(cfg.heap_cmd);

  // The watches.
  std::atomic<int64_t> set_done{0}, set_errors{0}, fired{0}, last_event_ns{0};
  client::Watcher data_watcher = [&](const client::WatchEvent& ev) {
    if (ev.type != EventType::kNodeDataChanged) return;
    last_event_ns.store(MonotonicNs());
    fired.fetch_add(1);
  };
  client::Watcher child_watcher = [](const client::WatchEvent&) {};
  auto counted = [&](bool ok) {
    if (!ok) set_errors.fetch_add(1);
    set_done.fetch_add(1);
  };
  const int64_t data_watches = leaves * cfg.data_watchers;
  const int64_t child_watches = int64_t{cfg.parents} * cfg.child_watchers;
  int64_t issued = 0;
  auto throttle = [&] {  // at most 50,000 requests in flight
    if (++issued % 10000 == 0) WaitUntil(set_done, issued - 50000, std::chrono::seconds(120));
  };
  t = Clock::now();
  for (int64_t j = 0; j < leaves; ++j) {
    const std::string path =
        LeafPath(cfg, static_cast<int>(j / cfg.children), static_cast<int>(j % cfg.children));
    for (int k = 0; k < cfg.data_watchers; ++k) {
      Client& c = *sessions[static_cast<size_t>((j * cfg.data_watchers + k) % cfg.sessions)];
      c.GetDataAsync(path, data_watcher,
                     [&](client::Result<client::DataResult> r) { counted(r.ok()); });
      throttle();
    }
  }
  for (int p = 0; p < cfg.parents; ++p) {
    const std::string path = ParentPath(cfg, p);
    for (int k = 0; k < cfg.child_watchers; ++k) {
      Client& c = *sessions[static_cast<size_t>(
          (int64_t{p} * cfg.child_watchers + k) % cfg.sessions)];
      c.GetChildrenAsync(path, child_watcher,
                         [&](client::Result<client::ChildrenResult> r) { counted(r.ok()); });
      throttle();
    }
  }
  const int64_t watches = data_watches + child_watches;
  if (!WaitUntil(set_done, watches, std::chrono::seconds(300))) {
    std::fprintf(stderr, "zkbench: only %lld of %lld watches set\n",
                 static_cast<long long>(set_done.load()), static_cast<long long>(watches));
    return 1;
  }
  const double watch_s = Seconds(Clock::now() - t);
  errors += set_errors.load();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int64_t mem_watches = ServerMemory(cfg);
  const int64_t heap_watches = CommandNumber(cfg.heap_cmd);

  // Idle.
  const double cpu0 = TotalCpuSeconds(cfg.cpu_pids);
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg.idle_s));
  const double cpu1 = TotalCpuSeconds(cfg.cpu_pids);
  const double idle_cpu_pct = cpu0 < 0 || cpu1 < 0 ? -1 : (cpu1 - cpu0) / cfg.idle_s * 100.0;

  // Fire.
  const int64_t expected = int64_t{cfg.fire} * cfg.data_watchers;
  const int64_t fire_t0 = MonotonicNs();
  errors += Pipelined(cfg.fire, [&](int64_t i) {
    return admin->SetDataFuture(
        LeafPath(cfg, static_cast<int>(i / cfg.children), static_cast<int>(i % cfg.children)),
        "y", kAnyVersion);
  });
  const bool all_fired = WaitUntil(fired, expected, std::chrono::seconds(300));
  const double fire_s = static_cast<double>(last_event_ns.load() - fire_t0) / 1e9;
  if (!all_fired) ++errors;

  sessions.clear();  // closes them
  loops.clear();
  admin->Close();

  const double per_session = PerItem(mem_tree, mem_sessions, cfg.sessions);
  const double per_watch = PerItem(mem_sessions, mem_watches, watches);
  const double heap_per_session = PerItem(heap_tree, heap_sessions, cfg.sessions);
  const double heap_per_watch = PerItem(heap_sessions, heap_watches, watches);
  const double mib = 1024.0 * 1024.0;
  std::printf("zkbench watch-scale: %d sessions on %d loops, %lld znodes, %lld watches (%lld data,"
              " %lld child), servers=%s\n",
              cfg.sessions, cfg.loops, static_cast<long long>(leaves + cfg.parents),
              static_cast<long long>(watches), static_cast<long long>(data_watches),
              static_cast<long long>(child_watches), cfg.servers.c_str());
  std::printf("  populate %.1f s, connect %.1f s, set watches %.1f s\n", populate_s, connect_s,
              watch_s);
  std::printf("  server memory: tree %.1f MiB, + sessions %.1f MiB, + watches %.1f MiB\n",
              static_cast<double>(mem_tree) / mib, static_cast<double>(mem_sessions) / mib,
              static_cast<double>(mem_watches) / mib);
  std::printf("  per session %.0f bytes, per watch %.1f bytes\n", per_session, per_watch);
  if (!cfg.heap_cmd.empty()) {
    std::printf("  live heap: per session %.0f bytes, per watch %.1f bytes\n", heap_per_session,
                heap_per_watch);
  }
  std::printf("  idle: server CPU %.2f%% of one CPU over %.0f s\n", idle_cpu_pct, cfg.idle_s);
  std::printf("  fire: %lld events from %d changes delivered in %.3f s (%.0f events/s)%s\n",
              static_cast<long long>(fired.load()), cfg.fire, fire_s,
              fire_s > 0 ? static_cast<double>(fired.load()) / fire_s : 0.0,
              all_fired ? "" : " INCOMPLETE");
  std::printf("  errors: %lld\n", static_cast<long long>(errors));
  if (cfg.json) {
    nlohmann::json j = {{"op", "watch-scale"},
                        {"sessions", cfg.sessions},
                        {"loops", cfg.loops},
                        {"znodes", leaves + cfg.parents},
                        {"watches", watches},
                        {"mem_tree_bytes", mem_tree},
                        {"mem_sessions_bytes", mem_sessions},
                        {"mem_watches_bytes", mem_watches},
                        {"bytes_per_session", per_session},
                        {"bytes_per_watch", per_watch},
                        {"heap_bytes_per_session", heap_per_session},
                        {"heap_bytes_per_watch", heap_per_watch},
                        {"idle_cpu_pct", idle_cpu_pct},
                        {"fire_events", fired.load()},
                        {"fire_s", fire_s},
                        {"connect_s", connect_s},
                        {"watch_s", watch_s},
                        {"errors", errors}};
    std::printf("%s\n", j.dump().c_str());
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace zk::bench
