// zkbench: a load generator for ZooKeeper-compatible servers, on the zk::client library.
//
// N sessions each keep `depth` requests outstanding (pipelined on one connection). Every
// completion is recorded and immediately replaced by the next request from the completion
// callback, on the session's io thread: no hand-off between threads per operation, no locks,
// latency measured from issue to completion. After `warmup` seconds the counters start; after
// `duration` more seconds the run stops issuing and reports throughput and latency quantiles of
// the successful completions (a failed one is never an op), errors by code and the longest gap
// between two completions (any session). With --json the last line of the output is one JSON
// object with the same figures. `--op lock` runs the lock benchmark instead
// (client/bench/lock_bench.h: contenders on one zk::recipes::Mutex), and `--op discovery` the
// registry benchmark (client/bench/discovery_bench.h: how fast a provider's arrival and death
// reach every consumer's cache), and `--op watch-scale` the scale benchmark
// (client/bench/watch_scale_bench.h: many idle sessions, a million watches, memory per session
// and per watch, idle CPU, the time to deliver a batch of watch events).
//
// The request loads: `create` (new persistent nodes), `create-seq` (persistent sequential nodes
// under one parent per session), `set`, `get`, `exists` (over --keys nodes), `mixed` (gets and
// sets, --read-ratio of gets), `children` (getChildren of a node with --fanout children),
// `multi` (a multi of --multi-ops setData ops on distinct keys; one op per multi counted) and
// `delete` (--keys nodes created before the run, then deleted, each once: the run ends early
// when they run out, and the rate is over the measured time that passed). `--max-ops N` bounds
// any load the same way: at most N requests are issued in all, warm-up included, and the run
// ends when they are done. A load that grows the tree (create, create-seq) is compared between
// servers that way: each server then does the same work on trees of the same size, however fast
// it is (a time-bounded create load leaves the faster server with the larger tree, and every
// snapshot after it costs in proportion).
//
// By default every session runs its own io thread (the client library's default). With
// `--loops N` the sessions share N event loops (client/event_loop.h), assigned round-robin: many
// sessions (up to 10,000) from few threads, so the generator's own CPU and context switches stay
// small beside the server's.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/bench/latency_histogram.h"
#include "client/bench/discovery_bench.h"
#include "client/bench/lock_bench.h"
#include "client/bench/pipelined.h"
#include "client/bench/server_cpu.h"
#include "client/bench/watch_scale_bench.h"
#include "client/zk_client.h"

namespace zk::bench {
namespace {

using client::Client;
using client::Result;
using Clock = std::chrono::steady_clock;

enum class OpKind { kCreate, kCreateSeq, kSet, kGet, kExists, kMixed, kChildren, kMulti, kDelete };

struct Config {
  std::string servers = "127.0.0.1:2181";
  int sessions = 4;
  int depth = 32;
  double duration_s = 10;
  double warmup_s = 2;
  std::string op = "mixed";
  OpKind kind = OpKind::kMixed;
  double read_ratio = 0.9;
  int size = 100;
  int keys = 1000;
  std::string prefix = "/zkbench";
  int session_timeout_ms = 30000;
  std::vector<int> cpu_pids;  // Server processes whose CPU time the run reports.
  bool json = false;
  int loops = 0;  // Shared event loops for the sessions; 0: an io thread per session.
  int fanout = 100;   // children: the children of the node read
  int multi_ops = 10; // multi: setData ops per multi
  int64_t max_ops = 0;  // requests issued in all, warm-up included; 0: no limit
};

int64_t Nanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Shared by all sessions: the measurement window and the longest gap between completions.
struct Run {
  Clock::time_point measure_from;
  Clock::time_point measure_until;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> last_completion_ns{0};
  std::atomic<int64_t> max_gap_ns{0};
  // When the longest gap ended (steady clock ns); written under gap_mu, which only a new longest
  // gap takes.
  std::mutex gap_mu;
  int64_t max_gap_end_ns = 0;
  std::atomic<size_t> next_delete{0};  // delete: the next key to delete
  std::atomic<int64_t> issued{0};      // requests issued (counted only under --max-ops)
  std::atomic<int> sessions_running{0};
};

// One session: its client, its counters (touched only by its io thread until the end) and its
// pipeline of `depth` slots.
class Session {
 public:
  Session(const Config& cfg, Run& run, const std::vector<std::string>& keys, int index)
      : cfg_(cfg), run_(run), keys_(keys), index_(index),
        data_(static_cast<size_t>(cfg.size), 'x'),
        rng_(0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(index + 1)) {
    create_prefix_ = cfg.prefix + "/c" + std::to_string(index) + "-";
    if (cfg.kind == OpKind::kCreateSeq) create_prefix_ = cfg.prefix + "/s" + std::to_string(index) + "/n-";
  }

  bool Connect(client::EventLoop* loop) {
    client::Options o;
    o.event_loop = loop;
    o.connect_string = cfg_.servers;
    o.session_timeout = std::chrono::milliseconds(cfg_.session_timeout_ms);
    auto c = Client::Start(o);
    if (!c.ok()) return false;
    client_ = std::move(c).value();
    return client_->WaitConnected(std::chrono::seconds(15)).ok();
  }

  // Fills the pipeline; completions refill it until run.stop.
  void Start() {
    // Every slot counted before the first is issued: a slot may retire at once (delete).
    run_.sessions_running.fetch_add(1, std::memory_order_relaxed);
    outstanding_.store(cfg_.depth, std::memory_order_release);
    for (int i = 0; i < cfg_.depth; ++i) Issue(Clock::now());
  }

  int outstanding() const { return outstanding_.load(std::memory_order_acquire); }
  Client& client() { return *client_; }
  const LatencyHistogram& histogram() const { return hist_; }
  uint64_t ops() const { return ops_; }
  const std::map<Err, uint64_t>& errors() const { return errors_; }

 private:
  uint64_t Next() {  // xorshift64*
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 0x2545f4914f6cdd1dULL;
  }

  void Issue(Clock::time_point start) {
    if (run_.stop.load(std::memory_order_relaxed) ||
        (cfg_.max_ops > 0 &&
         run_.issued.fetch_add(1, std::memory_order_relaxed) >= cfg_.max_ops)) {
      Retire();
      return;
    }
    OpKind kind = cfg_.kind;
    if (kind == OpKind::kMixed) {
      const double u = static_cast<double>(Next() >> 11) * 0x1.0p-53;
      kind = u < cfg_.read_ratio ? OpKind::kGet : OpKind::kSet;
    }
    switch (kind) {
      case OpKind::kGet:
        client_->GetDataAsync(Key(), nullptr, [this, start](Result<client::DataResult> r) {
          Done(start, r.err());
        });
        break;
      case OpKind::kExists:
        client_->ExistsAsync(Key(), nullptr,
                             [this, start](Result<client::Stat> r) { Done(start, r.err()); });
        break;
      case OpKind::kSet:
        client_->SetDataAsync(Key(), data_, kAnyVersion,
                              [this, start](Result<client::Stat> r) { Done(start, r.err()); });
        break;
      case OpKind::kCreate:
        client_->CreateAsync(
            create_prefix_ + std::to_string(created_++), data_, client::OpenAclUnsafe(),
            CreateMode::kPersistent, 0,
            [this, start](Result<client::CreateResult> r) { Done(start, r.err()); });
        break;
      case OpKind::kCreateSeq:
        client_->CreateAsync(
            create_prefix_, data_, client::OpenAclUnsafe(), CreateMode::kPersistentSequential, 0,
            [this, start](Result<client::CreateResult> r) { Done(start, r.err()); });
        break;
      case OpKind::kChildren:
        client_->GetChildrenAsync(
            keys_.front(), nullptr,
            [this, start](Result<client::ChildrenResult> r) { Done(start, r.err()); });
        break;
      case OpKind::kMulti: {
        std::vector<client::Op> ops;
        ops.reserve(static_cast<size_t>(cfg_.multi_ops));
        // Distinct keys: a run of consecutive ones from a random start.
        const size_t first = Next() % keys_.size();
        for (int i = 0; i < cfg_.multi_ops; ++i) {
          ops.push_back(client::Op::SetData(keys_[(first + static_cast<size_t>(i)) % keys_.size()],
                                            data_));
        }
        client_->MultiAsync(std::move(ops), [this, start](Result<client::MultiResult> r) {
          Done(start, r.ok() ? r.value().err : r.err());
        });
        break;
      }
      case OpKind::kDelete: {
        const size_t i = run_.next_delete.fetch_add(1, std::memory_order_relaxed);
        if (i >= keys_.size()) {  // every key deleted: this slot is done
          Retire();
          return;
        }
        client_->DeleteAsync(keys_[i], kAnyVersion,
                             [this, start](Result<void> r) { Done(start, r.err()); });
        break;
      }
      case OpKind::kMixed:
        break;
    }
  }

  // One pipeline slot ends; the last one ends the session's part of the run.
  void Retire() {
    if (outstanding_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      run_.sessions_running.fetch_sub(1, std::memory_order_release);
    }
  }

  const std::string& Key() { return keys_[Next() % keys_.size()]; }

  // On the io thread: record, then reuse the completion time as the next request's start.
  void Done(Clock::time_point start, Err err) {
    const auto now = Clock::now();
    if (now >= run_.measure_from && now < run_.measure_until) {
      // Only successful completions are ops (and latencies); failures are counted apart.
      if (err == Err::kOk) {
        hist_.Record(static_cast<uint64_t>(Nanos(now) - Nanos(start)));
        ++ops_;
      } else {
        ++errors_[err];
      }
      const int64_t t = Nanos(now);
      const int64_t prev = run_.last_completion_ns.exchange(t, std::memory_order_relaxed);
      if (prev != 0) {
        const int64_t gap = t - prev;
        if (gap > run_.max_gap_ns.load(std::memory_order_relaxed)) {
          std::lock_guard<std::mutex> lock(run_.gap_mu);
          if (gap > run_.max_gap_ns.load(std::memory_order_relaxed)) {
            run_.max_gap_ns.store(gap, std::memory_order_relaxed);
            run_.max_gap_end_ns = t;
          }
        }
      }
    }
    if (err == Err::kSessionExpired || err == Err::kClosing || err == Err::kAuthFailed) {
      Retire();  // This session is over.
      return;
    }
    Issue(now);
  }

  const Config& cfg_;
  Run& run_;
  const std::vector<std::string>& keys_;
  const int index_;
  const std::string data_;
  std::string create_prefix_;
  uint64_t created_ = 0;
  uint64_t rng_;
  std::unique_ptr<Client> client_;
  std::atomic<int> outstanding_{0};
  // io thread only until the run ended:
  LatencyHistogram hist_;
  uint64_t ops_ = 0;
  std::map<Err, uint64_t> errors_;
};

// Creates the prefix and the keys (pipelined, `depth` at a time); existing nodes are kept.
bool Populate(Client& c, const Config& cfg, const std::vector<std::string>& keys) {
  auto root = c.Create(cfg.prefix, "");
  if (!root.ok() && root.err() != Err::kNodeExists) {
    std::fprintf(stderr, "zkbench: create %s: %s\n", cfg.prefix.c_str(),
                 std::string(ErrName(root.err())).c_str());
    return false;
  }
  if (cfg.kind == OpKind::kCreate) return true;
  const std::string data(static_cast<size_t>(cfg.size), 'x');
  std::vector<std::string> paths = keys;
  if (cfg.kind == OpKind::kCreateSeq) {  // the sessions' parents
    paths.clear();
    for (int i = 0; i < cfg.sessions; ++i) paths.push_back(cfg.prefix + "/s" + std::to_string(i));
  } else if (cfg.kind == OpKind::kChildren) {  // the node read, then its children
    for (int i = 0; i < cfg.fanout; ++i) {
      char name[32];
      std::snprintf(name, sizeof(name), "/child-%06d", i);
      paths.push_back(keys.front() + name);
    }
  }
  const int64_t errors = Pipelined(
      static_cast<int64_t>(paths.size()),
      [&](int64_t i) {
        return c.CreateFuture(paths[static_cast<size_t>(i)], data, client::OpenAclUnsafe());
      },
      Err::kNodeExists);
  if (errors > 0) {
    std::fprintf(stderr, "zkbench: populate: %lld creates failed\n",
                 static_cast<long long>(errors));
    return false;
  }
  return true;
}

double Us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

int Main(int argc, char** argv) {
  Config cfg;
  CLI::App app{"zkbench: load generator for ZooKeeper-compatible servers"};
  app.add_option("--servers", cfg.servers, "connect string host:port,...")->capture_default_str();
  app.add_option("--sessions", cfg.sessions, "client sessions")->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--depth", cfg.depth, "outstanding requests per session")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--duration", cfg.duration_s, "measured seconds")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", cfg.warmup_s, "seconds before measuring")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--op", cfg.op,
                 "create|create-seq|set|get|exists|mixed|children|multi|delete|lock|discovery|"
                 "watch-scale")
      ->check(CLI::IsMember({"create", "create-seq", "set", "get", "exists", "mixed", "children",
                             "multi", "delete", "lock", "discovery", "discovery-provider",
                             "watch-scale"}))
      ->capture_default_str();
  app.add_option("--fanout", cfg.fanout, "children: children of the node read")
      ->check(CLI::Range(0, 1000000))->capture_default_str();
  app.add_option("--multi-ops", cfg.multi_ops, "multi: setData ops per multi")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--read-ratio", cfg.read_ratio, "share of gets in mixed")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--size", cfg.size, "bytes of data per create/set")
      ->check(CLI::Range(0, 1 << 20))->capture_default_str();
  app.add_option("--keys", cfg.keys, "keys for set/get/exists/mixed/multi; nodes to delete")
      ->check(CLI::Range(1, 100000000))->capture_default_str();
  app.add_option("--max-ops", cfg.max_ops,
                 "requests issued in all, warm-up included (0: no limit); the run ends when "
                 "they are done")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--prefix", cfg.prefix, "parent of the benchmark's znodes")->capture_default_str();
  app.add_option("--session-timeout", cfg.session_timeout_ms, "ms")->capture_default_str();
  app.add_option("--cpu-pids", cfg.cpu_pids,
                 "server pids: report their CPU seconds (utime+stime) in the measured window")
      ->delimiter(',');
  app.add_flag("--json", cfg.json, "print one JSON object on the last line");
  app.add_option("--loops", cfg.loops,
                 "event loops the sessions share (0: an io thread per session)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  LockBenchConfig lock;
  app.add_option("--contenders", lock.contenders,
                 "lock: contenders, each a session and a thread (1 = uncontended)")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--hold-us", lock.hold_us, "lock: microseconds each holder holds it")
      ->check(CLI::Range(0, 10000000))->capture_default_str();
  app.add_option("--lock-path", lock.path, "lock: the lock's path")->capture_default_str();
  DiscoveryBenchConfig disc;
  std::string provider_id;
  app.add_option("--caches", disc.caches, "discovery: consumer caches, each its own session")
      ->check(CLI::Range(1, 2000))->capture_default_str();
  app.add_option("--rounds", disc.rounds, "discovery: registrations measured")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--deaths", disc.deaths, "discovery: provider processes killed")
      ->check(CLI::Range(0, 1000))->capture_default_str();
  app.add_option("--provider-session", disc.provider_session_ms,
                 "discovery: the killed providers' session timeout (ms)")
      ->capture_default_str();
  app.add_option("--discovery-base", disc.base, "discovery: base path")->capture_default_str();
  app.add_option("--provider-id", provider_id, "discovery-provider: the instance id");
  WatchScaleConfig scale;
  app.add_option("--parents", scale.parents, "watch-scale: parent znodes")->capture_default_str();
  app.add_option("--children", scale.children, "watch-scale: leaves per parent")
      ->capture_default_str();
  app.add_option("--data-watchers", scale.data_watchers,
                 "watch-scale: sessions with a data watch on each leaf")
      ->capture_default_str();
  app.add_option("--child-watchers", scale.child_watchers,
                 "watch-scale: sessions with a child watch on each parent")
      ->capture_default_str();
  app.add_option("--fire", scale.fire, "watch-scale: leaves changed to fire their watches")
      ->capture_default_str();
  app.add_option("--idle", scale.idle_s, "watch-scale: seconds of idle measured")
      ->capture_default_str();
  app.add_option("--mem-cmd", scale.mem_cmd,
                 "watch-scale: shell command printing the server's memory in bytes (default: "
                 "the RSS of the first --cpu-pids process)");
  app.add_option("--heap-cmd", scale.heap_cmd,
                 "watch-scale: shell command printing the server's live heap in bytes (also "
                 "reported per session and per watch)");
  CLI11_PARSE(app, argc, argv);
  if (cfg.op == "watch-scale") {
    scale.servers = cfg.servers;
    scale.sessions = cfg.sessions;
    scale.loops = std::max(1, cfg.loops);
    scale.session_timeout_ms = cfg.session_timeout_ms;
    scale.cpu_pids = cfg.cpu_pids;
    scale.json = cfg.json;
    return RunWatchScaleBench(scale);
  }
  if (cfg.op == "discovery" || cfg.op == "discovery-provider") {
    disc.servers = cfg.servers;
    disc.warmup_s = cfg.warmup_s;
    disc.session_timeout_ms = cfg.session_timeout_ms;
    disc.cpu_pids = cfg.cpu_pids;
    disc.json = cfg.json;
    if (cfg.op == "discovery-provider") return RunDiscoveryProvider(disc, provider_id);
    return RunDiscoveryBench(disc, "/proc/self/exe");
  }
  if (cfg.op == "lock") {
    lock.servers = cfg.servers;
    lock.warmup_s = cfg.warmup_s;
    lock.duration_s = cfg.duration_s;
    lock.session_timeout_ms = cfg.session_timeout_ms;
    lock.cpu_pids = cfg.cpu_pids;
    lock.json = cfg.json;
    return RunLockBench(lock);
  }
  const std::map<std::string, OpKind> kinds = {
      {"create", OpKind::kCreate}, {"create-seq", OpKind::kCreateSeq}, {"set", OpKind::kSet},
      {"get", OpKind::kGet},       {"exists", OpKind::kExists},        {"mixed", OpKind::kMixed},
      {"children", OpKind::kChildren}, {"multi", OpKind::kMulti},     {"delete", OpKind::kDelete}};
  cfg.kind = kinds.at(cfg.op);
  if (cfg.kind == OpKind::kMulti && cfg.multi_ops > cfg.keys) {
    std::fprintf(stderr, "zkbench: --multi-ops %d needs at least as many --keys\n", cfg.multi_ops);
    return 2;
  }

  std::vector<std::string> keys;
  if (cfg.kind == OpKind::kChildren) {
    keys.push_back(cfg.prefix + "/parent");
  } else {
    keys.reserve(static_cast<size_t>(cfg.keys));
    for (int i = 0; i < cfg.keys; ++i) {
      char name[32];
      std::snprintf(name, sizeof(name), cfg.kind == OpKind::kDelete ? "/d%08d" : "/k%08d", i);
      keys.push_back(cfg.prefix + name);
    }
  }

  Run run;
  // Declared before the sessions: the loops outlive their clients.
  std::vector<std::unique_ptr<client::EventLoop>> loops;
  for (int i = 0; i < cfg.loops; ++i) loops.push_back(client::EventLoop::Start());
  std::vector<std::unique_ptr<Session>> sessions;
  for (int i = 0; i < cfg.sessions; ++i) {
    sessions.push_back(std::make_unique<Session>(cfg, run, keys, i));
    client::EventLoop* loop = loops.empty() ? nullptr : loops[i % loops.size()].get();
    if (!sessions.back()->Connect(loop)) {
      std::fprintf(stderr, "zkbench: cannot connect to %s\n", cfg.servers.c_str());
      return 1;
    }
  }
  if (!Populate(sessions[0]->client(), cfg, keys)) return 1;

  const auto t0 = Clock::now();
  run.measure_from = t0 + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(cfg.warmup_s));
  run.measure_until = run.measure_from + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(cfg.duration_s));
  for (auto& s : sessions) s->Start();
  std::this_thread::sleep_until(run.measure_from);
  if (run.sessions_running.load(std::memory_order_acquire) == 0) {
    std::fprintf(stderr,
                 "zkbench: the work ran out during the warm-up (shorten --warmup, or raise "
                 "--max-ops or --keys)\n");
    return 1;
  }
  std::vector<double> cpu_before_each;
  for (int pid : cfg.cpu_pids) cpu_before_each.push_back(CpuSeconds(pid));
  const double cpu_before = TotalCpuSeconds(cfg.cpu_pids);
  // Until the window ends, or every session ran out of work (delete: every key deleted;
  // --max-ops: every request issued).
  while (Clock::now() < run.measure_until &&
         run.sessions_running.load(std::memory_order_acquire) > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto measured_until = std::min(Clock::now(), run.measure_until);
  const double cpu_after = TotalCpuSeconds(cfg.cpu_pids);
  // Each server's own share (an ensemble's leader and followers apart); -1 if unreadable.
  std::vector<double> cpu_each;
  for (size_t i = 0; i < cfg.cpu_pids.size(); ++i) {
    const double after = CpuSeconds(cfg.cpu_pids[i]);
    cpu_each.push_back(after < 0 || cpu_before_each[i] < 0 ? -1 : after - cpu_before_each[i]);
  }
  const double measured_s =
      std::chrono::duration<double>(measured_until - run.measure_from).count();
  if (measured_s <= 0) {
    std::fprintf(stderr, "zkbench: the work ran out before the measured window began\n");
    return 1;
  }
  const double server_cpu =
      cfg.cpu_pids.empty() || cpu_before < 0 || cpu_after < 0 ? -1 : cpu_after - cpu_before;
  run.stop = true;
  // Drain: every slot ends at its next completion (bounded by the connection's failure).
  const auto drain_deadline = Clock::now() + std::chrono::seconds(30);
  for (auto& s : sessions) {
    while (s->outstanding() > 0 && Clock::now() < drain_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  for (auto& s : sessions) s->client().Close();

  LatencyHistogram hist;
  uint64_t ops = 0;
  std::map<Err, uint64_t> errors;
  for (auto& s : sessions) {
    hist.Merge(s->histogram());
    ops += s->ops();
    for (auto [e, n] : s->errors()) errors[e] += n;
  }
  uint64_t error_count = 0;
  for (auto [e, n] : errors) error_count += n;
  const double ops_per_s = static_cast<double>(ops) / measured_s;
  const double gap_ms = static_cast<double>(run.max_gap_ns.load()) / 1e6;
  // Where the longest gap ended: seconds into the measured window, and the wall clock (to find
  // it in a server's log).
  const Clock::time_point gap_end{std::chrono::duration_cast<Clock::duration>(
      std::chrono::nanoseconds(run.max_gap_end_ns))};
  const double gap_end_s =
      run.max_gap_end_ns == 0 ? 0 : std::chrono::duration<double>(gap_end - run.measure_from).count();
  const int64_t gap_end_unix_ms =
      run.max_gap_end_ns == 0
          ? 0
          : std::chrono::duration_cast<std::chrono::milliseconds>(
                (std::chrono::system_clock::now() -
                 std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() -
                                                                                  gap_end))
                    .time_since_epoch())
                .count();

  std::printf("zkbench: op=%s sessions=%d loops=%d depth=%d size=%d keys=%d%s servers=%s\n",
              cfg.op.c_str(), cfg.sessions, cfg.loops, cfg.depth, cfg.size, cfg.keys,
              cfg.kind == OpKind::kMixed
                  ? (" read-ratio=" + std::to_string(cfg.read_ratio)).c_str()
                  : "",
              cfg.servers.c_str());
  std::printf("  ops: %llu in %.1f s = %.0f ops/s (errors: %llu)\n",
              static_cast<unsigned long long>(ops), measured_s, ops_per_s,
              static_cast<unsigned long long>(error_count));
  std::printf("  latency us: p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f\n",
              Us(hist.Quantile(0.5)), Us(hist.Quantile(0.99)), Us(hist.Quantile(0.999)),
              Us(hist.max()), hist.mean() / 1000.0);
  {
    const std::time_t secs = static_cast<std::time_t>(gap_end_unix_ms / 1000);
    std::tm utc{};
    gmtime_r(&secs, &utc);
    char when[32];
    std::strftime(when, sizeof when, "%H:%M:%S", &utc);
    std::printf("  longest gap between completions: %.2f ms, ending %.3f s into the run (%s.%03d UTC)\n",
                gap_ms, gap_end_s, when, static_cast<int>(gap_end_unix_ms % 1000));
  }
  const double cpu_per_10k = server_cpu >= 0 && ops > 0 ? server_cpu * 1e4 / ops : -1;
  if (server_cpu >= 0) {
    std::printf("  server CPU: %.2f s = %.3f s per 10k ops\n", server_cpu, cpu_per_10k);
    if (cfg.cpu_pids.size() > 1) {
      for (size_t i = 0; i < cfg.cpu_pids.size(); ++i) {
        std::printf("    pid %d: %.2f s\n", cfg.cpu_pids[i], cpu_each[i]);
      }
    }
  }
  for (auto [e, n] : errors) {
    std::printf("  error %s: %llu\n", std::string(ErrName(e)).c_str(),
                static_cast<unsigned long long>(n));
  }
  if (cfg.json) {
    nlohmann::json err_json = nlohmann::json::object();
    for (auto [e, n] : errors) err_json[std::string(ErrName(e))] = n;
    nlohmann::json j = {
        {"op", cfg.op},
        {"servers", cfg.servers},
        {"sessions", cfg.sessions},
        {"loops", cfg.loops},
        {"depth", cfg.depth},
        {"size", cfg.size},
        {"keys", cfg.keys},
        {"read_ratio", cfg.read_ratio},
        {"max_ops", cfg.max_ops},
        {"warmup_s", cfg.warmup_s},
        {"duration_s", measured_s},
        {"ops", ops},
        {"ops_per_sec", ops_per_s},
        {"errors", error_count},
        {"errors_by_code", err_json},
        {"latency_us",
         {{"p50", Us(hist.Quantile(0.5))},
          {"p99", Us(hist.Quantile(0.99))},
          {"p999", Us(hist.Quantile(0.999))},
          {"max", Us(hist.max())},
          {"mean", hist.mean() / 1000.0}}},
        {"max_gap_ms", gap_ms},
        {"max_gap_end_s", gap_end_s},
        {"max_gap_end_unix_ms", gap_end_unix_ms},
    };
    if (server_cpu >= 0) {
      j["server_cpu_s"] = server_cpu;
      j["server_cpu_s_per_10k_ops"] = cpu_per_10k;
      nlohmann::json by_pid = nlohmann::json::object();
      for (size_t i = 0; i < cfg.cpu_pids.size(); ++i) {
        by_pid[std::to_string(cfg.cpu_pids[i])] = cpu_each[i];
      }
      j["server_cpu_s_by_pid"] = by_pid;
    }
    std::printf("%s\n", j.dump().c_str());
  }
  return ops > 0 && error_count < ops ? 0 : 1;
}

}  // namespace
}  // namespace zk::bench

int main(int argc, char** argv) { return zk::bench::Main(argc, argv); }
