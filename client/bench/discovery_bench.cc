#include "client/bench/discovery_bench.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "client/bench/server_cpu.h"
#include "client/discovery/service_cache.h"
#include "client/discovery/service_discovery.h"
#include "client/zk_client.h"

extern char** environ;

namespace zk::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kService = "bench";

std::unique_ptr<client::Client> Connect(const std::string& servers, int session_ms) {
  client::Options o;
  o.connect_string = servers;
  o.session_timeout = std::chrono::milliseconds(session_ms);
  auto c = client::Client::Start(o);
  if (!c.ok()) return nullptr;
  auto client = std::move(c).value();
  if (!client->WaitConnected(std::chrono::seconds(30)).ok()) return nullptr;
  return client;
}

discovery::ServiceInstance Instance(const std::string& id) {
  discovery::ServiceInstance i;
  i.name = kService;
  i.id = id;
  i.address = "127.0.0.1";
  i.port = 9000;
  return i;
}

// The consumers: one session and one cache each; Wait* block until every cache agrees.
class Consumers {
 public:
  bool Start(const DiscoveryBenchConfig& cfg) {
    for (int i = 0; i < cfg.caches; ++i) {
      auto c = Connect(cfg.servers, cfg.session_timeout_ms);
      if (!c) return false;
      auto cache = std::make_unique<discovery::ServiceCache>(*c, cfg.base, kService);
      cache->AddListener([this](bool) {
        std::lock_guard<std::mutex> l(mu_);
        cv_.notify_all();
      });
      if (!cache->Start().ok()) return false;
      clients_.push_back(std::move(c));
      caches_.push_back(std::move(cache));
    }
    for (auto& cache : caches_) {
      auto r = cache->AwaitInitialized(std::chrono::seconds(60));
      if (!r.ok() || !*r) return false;
    }
    return true;
  }

  // For each cache, the time from `t0` until `present(cache)` held (seconds); empty on timeout.
  std::vector<double> WaitAll(Clock::time_point t0, bool want_present, const std::string& id,
                              std::chrono::seconds timeout) {
    std::vector<double> at(caches_.size(), -1);
    size_t done = 0;
    std::unique_lock<std::mutex> l(mu_);
    const auto deadline = Clock::now() + timeout;
    while (done < caches_.size()) {
      for (size_t i = 0; i < caches_.size(); ++i) {
        if (at[i] >= 0) continue;
        if (caches_[i]->Instance(id).has_value() == want_present) {
          at[i] = std::chrono::duration<double>(Clock::now() - t0).count();
          ++done;
        }
      }
      if (done == caches_.size()) break;
      if (cv_.wait_until(l, deadline) == std::cv_status::timeout) return {};
    }
    return at;
  }

  void Stop() {
    for (auto& c : caches_) c->Close();
    for (auto& c : clients_) c->Close();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<client::Client>> clients_;
  std::vector<std::unique_ptr<discovery::ServiceCache>> caches_;
};

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

void Report(const char* what, const std::vector<double>& per_cache,
            const std::vector<double>& slowest, nlohmann::json* j) {
  std::printf("%-8s per cache  p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  (%zu samples)\n", what,
              Quantile(per_cache, 0.5) * 1e3, Quantile(per_cache, 0.99) * 1e3,
              Quantile(per_cache, 1.0) * 1e3, per_cache.size());
  std::printf("%-8s all caches p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  (%zu rounds)\n", what,
              Quantile(slowest, 0.5) * 1e3, Quantile(slowest, 0.99) * 1e3,
              Quantile(slowest, 1.0) * 1e3, slowest.size());
  (*j)[what] = {{"per_cache_p50_ms", Quantile(per_cache, 0.5) * 1e3},
                {"per_cache_p99_ms", Quantile(per_cache, 0.99) * 1e3},
                {"all_caches_p50_ms", Quantile(slowest, 0.5) * 1e3},
                {"all_caches_p99_ms", Quantile(slowest, 0.99) * 1e3},
                {"all_caches_max_ms", Quantile(slowest, 1.0) * 1e3},
                {"rounds", slowest.size()}};
}

}  // namespace

int RunDiscoveryProvider(const DiscoveryBenchConfig& cfg, const std::string& id) {
  auto c = Connect(cfg.servers, cfg.provider_session_ms);
  if (!c) return 1;
  discovery::ServiceDiscoveryOptions o;
  o.base_path = cfg.base;
  discovery::ServiceDiscovery registry(*c, o);
  if (!registry.Register(Instance(id)).ok()) return 1;
  std::printf("registered\n");
  std::fflush(stdout);
  while (true) pause();
}

int RunDiscoveryBench(const DiscoveryBenchConfig& cfg, const std::string& self_exe) {
  Consumers consumers;
  if (!consumers.Start(cfg)) {
    std::fprintf(stderr, "discovery: could not start %d caches\n", cfg.caches);
    return 1;
  }
  auto provider = Connect(cfg.servers, cfg.session_timeout_ms);
  if (!provider) return 1;
  discovery::ServiceDiscoveryOptions o;
  o.base_path = cfg.base;
  discovery::ServiceDiscovery registry(*provider, o);
  int failures = 0;

  // Warm-up (unmeasured registrations; a JVM server compiles its hot paths meanwhile).
  const auto warm_until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(cfg.warmup_s));
  for (int w = 0; Clock::now() < warm_until; ++w) {
    const std::string id = "warmup-" + std::to_string(w);
    if (!registry.Register(Instance(id)).ok()) return 1;
    if (consumers.WaitAll(Clock::now(), true, id, std::chrono::seconds(30)).empty()) return 1;
    if (!registry.Unregister(kService, id).ok()) return 1;
  }

  // Arrivals.
  std::vector<double> arrive, arrive_all;
  const double cpu0 = TotalCpuSeconds(cfg.cpu_pids);
  for (int r = 0; r < cfg.rounds; ++r) {
    const std::string id = "arrive-" + std::to_string(r);
    const auto t0 = Clock::now();
    if (!registry.Register(Instance(id)).ok()) return 1;
    auto at = consumers.WaitAll(t0, true, id, std::chrono::seconds(30));
    if (at.empty()) {
      ++failures;
      continue;
    }
    arrive.insert(arrive.end(), at.begin(), at.end());
    arrive_all.push_back(*std::max_element(at.begin(), at.end()));
  }
  const double cpu1 = TotalCpuSeconds(cfg.cpu_pids);
  registry.Close();

  // Deaths: provider processes killed with SIGKILL.
  std::vector<double> die, die_all;
  for (int r = 0; r < cfg.deaths; ++r) {
    const std::string id = "die-" + std::to_string(r);
    int out[2];
    if (pipe(out) != 0) return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    const std::string session = std::to_string(cfg.provider_session_ms);
    std::vector<std::string> args = {self_exe, "--servers", cfg.servers, "--op",
                                     "discovery-provider", "--provider-id", id,
                                     "--discovery-base", cfg.base, "--provider-session", session};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    int e = posix_spawn(&pid, self_exe.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    char buf[64] = {0};
    const bool registered = e == 0 && read(out[0], buf, sizeof buf - 1) > 0;
    close(out[0]);
    if (!registered) return 1;
    if (consumers.WaitAll(Clock::now(), true, id, std::chrono::seconds(30)).empty()) return 1;
    const auto t0 = Clock::now();
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    auto at = consumers.WaitAll(t0, false, id, std::chrono::seconds(60));
    if (at.empty()) {
      ++failures;
      continue;
    }
    die.insert(die.end(), at.begin(), at.end());
    die_all.push_back(*std::max_element(at.begin(), at.end()));
  }

  nlohmann::json j;
  j["caches"] = cfg.caches;
  j["provider_session_ms"] = cfg.provider_session_ms;
  std::printf("discovery: %d caches, %d registrations, %d provider kills (provider session %d ms)\n",
              cfg.caches, cfg.rounds, cfg.deaths, cfg.provider_session_ms);
  Report("arrival", arrive, arrive_all, &j);
  Report("death", die, die_all, &j);
  if (cpu0 >= 0 && cpu1 >= 0 && !cfg.cpu_pids.empty() && cfg.rounds > 0) {
    const double per = (cpu1 - cpu0) / cfg.rounds;
    std::printf("server CPU per registration seen by %d caches: %.2f ms\n", cfg.caches, per * 1e3);
    j["server_cpu_ms_per_registration"] = per * 1e3;
  }
  j["failures"] = failures;
  if (failures > 0) std::printf("FAILED: %d changes did not reach every cache\n", failures);
  if (cfg.json) std::printf("%s\n", j.dump().c_str());
  consumers.Stop();
  provider->Close();
  return failures == 0 ? 0 : 1;
}

}  // namespace zk::bench
