#include "client/bench/lock_bench.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>

#include "client/bench/server_cpu.h"
#include "client/recipes/mutex.h"
#include "client/zk_client.h"

namespace zk::bench {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

Clock::time_point After(Clock::time_point t, double seconds) {
  return t + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Exact quantiles of samples in nanoseconds (nearest rank: the smallest value with at least
// q * n samples at or below it), in microseconds.
struct Quantiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  size_t n = 0;
};

Quantiles Summarize(std::vector<int64_t> ns) {
  Quantiles q;
  q.n = ns.size();
  if (ns.empty()) return q;
  std::sort(ns.begin(), ns.end());
  auto at = [&](double f) {
    size_t rank = static_cast<size_t>(std::ceil(f * static_cast<double>(ns.size())));
    rank = std::clamp<size_t>(rank, 1, ns.size());
    return static_cast<double>(ns[rank - 1]) / 1000.0;
  };
  q.p50 = at(0.5);
  q.p90 = at(0.9);
  q.p99 = at(0.99);
  q.max = static_cast<double>(ns.back()) / 1000.0;
  double sum = 0;
  for (int64_t v : ns) sum += static_cast<double>(v);
  q.mean = sum / static_cast<double>(ns.size()) / 1000.0;
  return q;
}

nlohmann::json ToJson(const Quantiles& q) {
  return {{"n", q.n}, {"p50", q.p50}, {"p90", q.p90}, {"p99", q.p99}, {"max", q.max},
          {"mean", q.mean}};
}

void Print(const char* what, const Quantiles& q) {
  if (q.n == 0) return;
  std::printf("  %s us: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f  (n=%zu)\n", what,
              q.p50, q.p90, q.p99, q.max, q.mean, q.n);
}

// What the contenders share: the window, the stop flag and the last release.
struct Shared {
  Clock::time_point measure_from, measure_until;
  std::atomic<bool> stop{false};
  // When the last holder called Release (ns), 0 after a hand-off was recorded; a holder's
  // acquisition pairs with it only if another contender released.
  std::atomic<int64_t> released_ns{0};
  std::atomic<int> released_by{-1};
};

// One contender: its session, its mutex and its samples (its own thread only, until joined).
class Contender {
 public:
  Contender(const LockBenchConfig& cfg, Shared& shared, int index)
      : cfg_(cfg), shared_(shared), index_(index) {}

  bool Connect() {
    client::Options o;
    o.connect_string = cfg_.servers;
    o.session_timeout = std::chrono::milliseconds(cfg_.session_timeout_ms);
    auto c = client::Client::Start(o);
    if (!c.ok()) return false;
    client_ = std::move(c).value();
    if (!client_->WaitConnected(std::chrono::seconds(15)).ok()) return false;
    mutex_ = std::make_unique<recipes::Mutex>(*client_, cfg_.path);
    return true;
  }

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
    mutex_.reset();
    if (client_) client_->Close();
  }

  std::vector<int64_t> acquire_ns, handoff_ns, cycle_ns;
  uint64_t acquisitions = 0;
  std::map<Err, uint64_t> errors;

 private:
  bool Measuring(Clock::time_point t) const {
    return t >= shared_.measure_from && t < shared_.measure_until;
  }

  void Loop() {
    while (!shared_.stop.load(std::memory_order_relaxed)) {
      const auto t0 = Clock::now();
      // Bounded, so that a contender still waiting at the end notices the stop.
      auto got = mutex_->Acquire(std::chrono::milliseconds(500));
      const auto t1 = Clock::now();
      const int64_t t1_ns = NowNs();
      if (!got.ok()) {
        if (Measuring(t1)) ++errors[got.err()];
        if (got.err() == Err::kSessionExpired || got.err() == Err::kClosing) return;
        continue;
      }
      if (!*got) continue;  // timed out waiting (only at the end of a contended run)
      const int64_t released = shared_.released_ns.exchange(0, std::memory_order_acq_rel);
      const int by = shared_.released_by.load(std::memory_order_acquire);
      const bool measuring = Measuring(t1);
      if (measuring) {
        ++acquisitions;
        acquire_ns.push_back((t1 - t0).count());
        if (released != 0 && by != index_) handoff_ns.push_back(t1_ns - released);
      }
      if (cfg_.hold_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(cfg_.hold_us));
      shared_.released_by.store(index_, std::memory_order_release);
      shared_.released_ns.store(NowNs(), std::memory_order_release);
      auto r = mutex_->Release();
      const auto t2 = Clock::now();
      if (!r.ok()) {
        if (measuring) ++errors[r.err()];
        continue;
      }
      if (measuring) cycle_ns.push_back((t2 - t0).count());
    }
  }

  const LockBenchConfig& cfg_;
  Shared& shared_;
  const int index_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<recipes::Mutex> mutex_;
  std::thread thread_;
};

}  // namespace

int RunLockBench(const LockBenchConfig& cfg) {
  Shared shared;
  std::vector<std::unique_ptr<Contender>> contenders;
  for (int i = 0; i < cfg.contenders; ++i) {
    contenders.push_back(std::make_unique<Contender>(cfg, shared, i));
    if (!contenders.back()->Connect()) {
      std::fprintf(stderr, "zkbench: cannot connect to %s\n", cfg.servers.c_str());
      return 1;
    }
  }
  const auto t0 = Clock::now();
  shared.measure_from = After(t0, cfg.warmup_s);
  shared.measure_until = After(shared.measure_from, cfg.duration_s);
  for (auto& c : contenders) c->Start();
  std::this_thread::sleep_until(shared.measure_from);
  const double cpu_before = TotalCpuSeconds(cfg.cpu_pids);
  std::this_thread::sleep_until(shared.measure_until);
  const double cpu_after = TotalCpuSeconds(cfg.cpu_pids);
  shared.stop = true;
  for (auto& c : contenders) c->Join();
  const double server_cpu =
      cfg.cpu_pids.empty() || cpu_before < 0 || cpu_after < 0 ? -1 : cpu_after - cpu_before;

  std::vector<int64_t> acquire, handoff, cycle;
  uint64_t acquisitions = 0;
  std::map<Err, uint64_t> errors;
  for (auto& c : contenders) {
    acquire.insert(acquire.end(), c->acquire_ns.begin(), c->acquire_ns.end());
    handoff.insert(handoff.end(), c->handoff_ns.begin(), c->handoff_ns.end());
    cycle.insert(cycle.end(), c->cycle_ns.begin(), c->cycle_ns.end());
    acquisitions += c->acquisitions;
    for (auto [e, n] : c->errors) errors[e] += n;
  }
  uint64_t error_count = 0;
  for (auto [e, n] : errors) error_count += n;
  const Quantiles qa = Summarize(std::move(acquire));
  const Quantiles qh = Summarize(std::move(handoff));
  const Quantiles qc = Summarize(std::move(cycle));
  const double per_s = static_cast<double>(acquisitions) / cfg.duration_s;
  const double cpu_per_10k = server_cpu >= 0 && acquisitions > 0
                                 ? server_cpu * 1e4 / static_cast<double>(acquisitions)
                                 : -1;

  std::printf("zkbench: op=lock client=zk::recipes::Mutex contenders=%d hold-us=%d path=%s "
              "servers=%s\n",
              cfg.contenders, cfg.hold_us, cfg.path.c_str(), cfg.servers.c_str());
  std::printf("  acquisitions: %llu in %.1f s = %.0f /s (errors: %llu)\n",
              static_cast<unsigned long long>(acquisitions), cfg.duration_s, per_s,
              static_cast<unsigned long long>(error_count));
  Print("hand-off", qh);
  Print("acquire", qa);
  Print("acquire+release", qc);
  if (server_cpu >= 0) {
    std::printf("  server CPU: %.2f s = %.3f s per 10k acquisitions\n", server_cpu, cpu_per_10k);
  }
  for (auto [e, n] : errors) {
    std::printf("  error %s: %llu\n", std::string(ErrName(e)).c_str(),
                static_cast<unsigned long long>(n));
  }
  if (cfg.json) {
    nlohmann::json err_json = nlohmann::json::object();
    for (auto [e, n] : errors) err_json[std::string(ErrName(e))] = n;
    nlohmann::json j = {{"op", "lock"},
                        {"client", "zk::recipes::Mutex"},
                        {"servers", cfg.servers},
                        {"contenders", cfg.contenders},
                        {"hold_us", cfg.hold_us},
                        {"warmup_s", cfg.warmup_s},
                        {"duration_s", cfg.duration_s},
                        {"acquisitions", acquisitions},
                        {"acquisitions_per_sec", per_s},
                        {"errors", error_count},
                        {"errors_by_code", err_json},
                        {"handoff_us", ToJson(qh)},
                        {"acquire_us", ToJson(qa)},
                        {"cycle_us", ToJson(qc)}};
    if (server_cpu >= 0) {
      j["server_cpu_s"] = server_cpu;
      j["server_cpu_s_per_10k_ops"] = cpu_per_10k;
    }
    std::printf("%s\n", j.dump().c_str());
  }
  return acquisitions > 0 && error_count == 0 ? 0 : 1;
}

}  // namespace zk::bench
