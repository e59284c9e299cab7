// recipe_tool: drives zk::recipes from the command line for the cross-client and fault tests
// (several processes, kazoo and Curator contending on the same znodes).
//
//   recipe_tool lock --hosts H --path P --name N --rounds R --hold-ms MS --journal FILE
//                    [--contenders K] [--trace] [--linger] [--count-lost]
//   recipe_tool latch --hosts H --path P --name N --hold-ms MS --journal FILE
//   recipe_tool latch --hosts H --path P --name N --journal FILE --stay
//                     [--participants K] [--trace]
//   recipe_tool select --hosts H --path P --name N --hold-ms MS --journal FILE
//                      [--node-name lock-|__lock__]
//   recipe_tool rwlock --hosts H --path P --name N --mode read|write --rounds R --hold-ms MS
//                      --journal FILE
//   recipe_tool semaphore --hosts H --path P --name N --max-leases M --count K --rounds R
//                         --hold-ms MS --journal FILE
//   recipe_tool discovery-register --hosts H [--base B] --instance JSON [--instance JSON...]
//   recipe_tool discovery-list --hosts H [--base B] --name N [--count K] [--follow]
//
// The journal is written with O_APPEND, one write per line, so lines of concurrent writers
// (threads and processes) never interleave within a line and the file is one total order of
// what they wrote. With --trace every line ends with the writer's CLOCK_MONOTONIC time in ms (the
// clock Python's time.monotonic() reads), and more events are journaled (see below).
//
// lock: each of K contender threads (names N, or N.0 .. N.K-1 when K > 1; each with its own
// Client and Mutex) takes the Mutex at P in rounds: it appends "start <name> <token>" once it
// holds the lock, holds it for MS, appends "end <name> <token>" and releases. The lost listener
// appends "lost <name> <token> <reason>" when the holder is told the lock is lost (before its
// "end"; a hold told lost has no "end", is not counted as a round unless --count-lost, and the
// contender queues again if it has rounds left). When the session ends (Acquire fails with kSessionExpired or kNoNode) the contender
// starts a new Client and goes on. A hold that is lost before it was journaled is dropped
// without a line. With --trace: "session <name> 0x<id>" for every session a contender starts,
// "expired <name> <err>" when one ended under it, and "done <name>" after its R rounds. With
// --linger every contender keeps its session open after its rounds until standard input ends
// (so that a test can inspect the sessions on the servers). Prints "acquired <token>" per
// journaled hold on stdout.
//
// latch (one-shot): joins the LeaderLatch election at P as participant N, waits to lead, appends
// "lead N" to FILE, leads for MS, appends "unlead N" and leaves (Close).
// latch --stay: K participant threads (names as for lock) stay in the election until standard
// input ends; the listener appends "lead <name>" / "unlead <name>" at every change, and when a
// participant's session ends it starts a new Client and joins again. Reading standard input,
// every line "status" is answered on stdout with one line "status <name>=<0|1> ...", 1 for
// each participant whose latch says HasLeadership() at that moment.
//
// select: one term of a LeaderSelector at P as participant N: its callback appends "lead N",
// leads for MS, appends "unlead N" and returns (a term cancelled meanwhile fails); then leaves.
// rwlock: takes the ReadWriteLock at P's read or write side in rounds, journaling
// "start N R|W <token>" and "end N R|W <token>"; with --hold-ms -1 it is driven by its stdin
// instead: it waits for a line before each acquisition and holds until the next line.
// semaphore: takes K leases of the Semaphore at P (M leases) in rounds, journaling "start N K"
// and "end N K". Both print "acquired <token or K>" per round.
// discovery-register: registers the instances (Curator's JSON) with zk::discovery under B,
// prints "registered <id>" each, keeps them until standard input ends, then unregisters them.
// discovery-list: a zk::discovery::ServiceCache of service N waits for K instances and prints
// "seen <Curator JSON>" for each.
// dubbo-register: registers one Dubbo 2.7 provider (or, with --side consumer, consumer) URL of
// --interface through zk::discovery::DubboRegistry under --root (default /dubbo); prints
// "path <znode path>" and "url <the URL's full string>", keeps it registered until standard
// input ends, then closes the registry (unregistering it) and exits. --param KEY=VALUE adds or
// overrides parameters; --timestamp and --pid fix theirs (else now and this process).
// dubbo-codec: Dubbo's URL.encode / URL.decode on each line "encode HEX" or "decode HEX" of
// standard input (HEX: UTF-8 bytes in hex); answers with the result's bytes in hex, or "ERR".
//
//
// Exit status: 0 done, 1 a recipe call failed (printed on stderr), 2 usage.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "client/discovery/instance_json.h"
#include "client/discovery/service_cache.h"
#include "client/discovery/dubbo_registry.h"
#include "client/discovery/service_discovery.h"
#include "client/recipes/leader_latch.h"
#include "client/recipes/leader_selector.h"
#include "client/recipes/mutex.h"
#include "client/recipes/read_write_lock.h"
#include "client/recipes/semaphore.h"
#include "client/zk_client.h"

namespace {

using zk::client::ConnectionState;

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool AppendLine(const std::string& file, const std::string& line) {
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return false;
  std::string l = line + "\n";
  bool ok = ::write(fd, l.data(), l.size()) == static_cast<ssize_t>(l.size());
  ::close(fd);
  return ok;
}

// The journal file; with `trace`, each line gets the monotonic time.
struct Journal {
  std::string file;
  bool trace = false;

  bool Line(const std::string& line) const {
    return AppendLine(file, trace ? line + " " + std::to_string(MonotonicMs()) : line);
  }
  // A line written only with --trace.
  bool Trace(const std::string& line) const { return !trace || Line(line); }
};

std::string HexId(int64_t id) {
  std::ostringstream s;
  s << "0x" << std::hex << id;
  return s.str();
}

std::unique_ptr<zk::client::Client> ConnectOrNull(const std::string& hosts,
                                                  int session_timeout_ms) {
  zk::client::Options o;
  o.connect_string = hosts;
  o.session_timeout = std::chrono::milliseconds(session_timeout_ms);
  auto started = zk::client::Client::Start(o);
  if (!started.ok()) {
    std::cerr << "connect: " << zk::ErrName(started.err()) << "\n";
    return nullptr;
  }
  std::unique_ptr<zk::client::Client> client = std::move(started).value();
  if (auto w = client->WaitConnected(std::chrono::seconds(30)); !w.ok()) {
    std::cerr << "connect: " << zk::ErrName(w.err()) << "\n";
    return nullptr;
  }
  return client;
}

std::string ThreadName(const std::string& name, int count, int i) {
  return count == 1 ? name : name + "." + std::to_string(i);
}

// Opens once standard input ends (--linger).
class StdinEnd {
 public:
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return open_; });
  }
  bool IsOpen() {
    std::lock_guard<std::mutex> l(mu_);
    return open_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

std::mutex stdout_mu;

void PrintLine(const std::string& line) {
  std::lock_guard<std::mutex> l(stdout_mu);
  std::cout << line << std::endl;
}

// --- latch, one-shot ----------------------------------------------------------------------------

int RunLatchOnce(const std::string& hosts, const std::string& path, const std::string& name,
                 int hold_ms, const std::string& journal, int session_timeout_ms) {
  auto client = ConnectOrNull(hosts, session_timeout_ms);
  if (!client) return 1;
  zk::recipes::LeaderLatch latch(*client, path, name);
  if (auto s = latch.Start(); !s.ok()) {
    std::cerr << "start: " << zk::ErrName(s.err()) << "\n";
    return 1;
  }
  auto led = latch.Await(std::chrono::seconds(120));
  if (!led.ok() || !*led) {
    std::cerr << "await: " << (led.ok() ? "not leader within 120 s" : zk::ErrName(led.err()))
              << "\n";
    return 1;
  }
  std::cout << "leading" << std::endl;
  if (!AppendLine(journal, "lead " + name)) return 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  const bool still = latch.HasLeadership();
  if (!AppendLine(journal, "unlead " + name)) return 1;
  latch.Close();
  client->Close();
  if (!still) {
    std::cerr << "lost leadership while leading\n";
    return 1;
  }
  return 0;
}

// --- latch --stay -------------------------------------------------------------------------------

struct Participant {
  std::string name;
  std::mutex mu;
  std::condition_variable cv;
  bool session_ended = false;
  bool stop = false;                          // standard input ended
  zk::recipes::LeaderLatch* latch = nullptr;  // the current one
};

int RunParticipant(Participant& p, const std::string& hosts, const std::string& path,
                   const Journal& journal, int session_timeout_ms) {
  while (true) {
    {
      std::lock_guard<std::mutex> l(p.mu);
      if (p.stop) return 0;
      p.session_ended = false;
    }
    auto client = ConnectOrNull(hosts, session_timeout_ms);
    if (!client) return 1;
    journal.Trace("session " + p.name + " " + HexId(client->session_id()));
    const uint64_t listener = client->AddStateListener([&p](ConnectionState cs) {
      if (cs == ConnectionState::kExpired || cs == ConnectionState::kClosed ||
          cs == ConnectionState::kAuthFailed) {
        std::lock_guard<std::mutex> l(p.mu);
        p.session_ended = true;
        p.cv.notify_all();
      }
    });
    if (client->state() == ConnectionState::kExpired) {
      std::lock_guard<std::mutex> l(p.mu);
      p.session_ended = true;
    }
    auto latch = std::make_unique<zk::recipes::LeaderLatch>(*client, path, p.name);
    latch->SetListener([&p, &journal](bool lead) {
      journal.Line((lead ? "lead " : "unlead ") + p.name);
    });
    if (auto s = latch->Start(); !s.ok()) {
      std::cerr << p.name << " start: " << zk::ErrName(s.err()) << "\n";
      return 1;
    }
    bool ended;
    {
      std::unique_lock<std::mutex> l(p.mu);
      p.latch = latch.get();
      p.cv.wait(l, [&] { return p.session_ended || p.stop; });
      ended = p.session_ended;
      p.latch = nullptr;
    }
    if (ended) journal.Trace("expired " + p.name);
    latch->Close();  // tells the listener "unlead" if it still led
    latch.reset();
    client->RemoveStateListener(listener);
    client->Close();
  }
}

int RunLatchStay(const std::string& hosts, const std::string& path, const std::string& name,
                 int participants, const Journal& journal, int session_timeout_ms) {
  std::vector<std::unique_ptr<Participant>> ps;
  for (int i = 0; i < participants; ++i) {
    ps.push_back(std::make_unique<Participant>());
    ps.back()->name = ThreadName(name, participants, i);
  }
  std::vector<int> status(ps.size(), 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ps.size(); ++i) {
    threads.emplace_back(
        [&, i] { status[i] = RunParticipant(*ps[i], hosts, path, journal, session_timeout_ms); });
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line != "status") continue;
    std::string out = "status";
    for (auto& p : ps) {
      std::lock_guard<std::mutex> l(p->mu);
      const bool leads = p->latch != nullptr && p->latch->HasLeadership();
      out += " " + p->name + "=" + (leads ? "1" : "0");
    }
    PrintLine(out);
  }
  for (auto& p : ps) {
    std::lock_guard<std::mutex> l(p->mu);
    p->stop = true;
    p->cv.notify_all();
  }
  for (auto& t : threads) t.join();
  int rc = 0;
  for (int s : status) rc = std::max(rc, s);
  return rc;
}

// --- lock ---------------------------------------------------------------------------------------

struct LockOptions {
  std::string hosts, path;
  int rounds = 1, hold_ms = 100, session_timeout_ms = 10000;
  bool linger = false;
  bool count_lost = false;  // a hold told lost counts as a round
};

// One contender thread's view of its current hold, shared with the Mutex's lost listener.
struct Contender {
  std::string name;
  std::mutex mu;
  std::condition_variable cv;
  int64_t token = 0;  // of the journaled hold; 0 when there is none
  bool lost = false;  // the current acquisition was reported lost
};

int RunContender(Contender& c, const LockOptions& o, const Journal& journal, StdinEnd& end) {
  std::unique_ptr<zk::client::Client> client;
  std::unique_ptr<zk::recipes::Mutex> mutex;
  int done = 0;
  while (done < o.rounds) {
    if (!mutex) {
      client = ConnectOrNull(o.hosts, o.session_timeout_ms);
      if (!client) return 1;
      journal.Trace("session " + c.name + " " + HexId(client->session_id()));
      mutex = std::make_unique<zk::recipes::Mutex>(*client, o.path);
      mutex->SetLostListener([&c, &journal](zk::recipes::LockLostReason why) {
        std::lock_guard<std::mutex> l(c.mu);
        c.lost = true;
        if (c.token != 0) {
          std::string reason = zk::recipes::LockLostReasonName(why);
          for (char& ch : reason) ch = ch == ' ' ? '-' : ch;
          journal.Line("lost " + c.name + " " + std::to_string(c.token) + " " + reason);
        }
        c.cv.notify_all();
      });
    }
    {
      std::lock_guard<std::mutex> l(c.mu);
      c.lost = false;
      c.token = 0;
    }
    auto r = mutex->Acquire();
    if (!r.ok() && (r.err() == zk::Err::kSessionExpired || r.err() == zk::Err::kNoNode)) {
      // The session ended under us: go on with a new one.
      journal.Trace("expired " + c.name + " " + std::string(zk::ErrName(r.err())));
      mutex.reset();
      client.reset();
      continue;
    }
    if (!r.ok() || !*r) {
      std::cerr << c.name << " acquire: " << (r.ok() ? "cancelled" : zk::ErrName(r.err()))
                << "\n";
      return 1;
    }
    bool lost;
    {
      std::unique_lock<std::mutex> l(c.mu);
      // FencingToken() is 0 if the hold was already reported lost: then it is never used.
      const int64_t token = c.lost ? 0 : mutex->FencingToken();
      if (token != 0) {
        c.token = token;
        PrintLine("acquired " + std::to_string(token));
        if (!journal.Line("start " + c.name + " " + std::to_string(token))) return 1;
        c.cv.wait_for(l, std::chrono::milliseconds(o.hold_ms), [&] { return c.lost; });
        if (!c.lost && !journal.Line("end " + c.name + " " + std::to_string(token))) return 1;
      }
      lost = c.lost || token == 0;
      c.token = 0;  // from here on a late "lost" is not journaled: the hold is over
    }
    if (auto rel = mutex->Release(); !rel.ok()) {
      std::cerr << c.name << " release: " << zk::ErrName(rel.err()) << "\n";
      return 1;
    }
    if (!lost || o.count_lost) ++done;
  }
  journal.Trace("done " + c.name);
  if (o.linger) end.Wait();
  mutex.reset();
  client->Close();
  return 0;
}

int RunLock(const LockOptions& o, const std::string& name, int contenders,
            const Journal& journal) {
  StdinEnd end;
  std::vector<std::unique_ptr<Contender>> cs;
  for (int i = 0; i < contenders; ++i) {
    cs.push_back(std::make_unique<Contender>());
    cs.back()->name = ThreadName(name, contenders, i);
  }
  std::vector<int> status(cs.size(), 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < cs.size(); ++i) {
    threads.emplace_back([&, i] { status[i] = RunContender(*cs[i], o, journal, end); });
  }
  if (o.linger) {
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    end.Open();
  }
  for (auto& t : threads) t.join();
  int rc = 0;
  for (int s : status) rc = std::max(rc, s);
  return rc;
}

// --- select, rwlock, semaphore --------------------------------------------------------------

// One term in a LeaderSelector election: journals "lead N" when its callback starts and
// "unlead N" before it returns; fails if the term was cancelled while leading.
int RunSelect(const std::string& hosts, const std::string& path, const std::string& name,
              int hold_ms, const std::string& journal, int session_timeout_ms,
              const std::string& node_name) {
  auto client = ConnectOrNull(hosts, session_timeout_ms);
  if (!client) return 1;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false, ok = true;
  zk::recipes::LeaderSelectorOptions opts;
  opts.node_name = node_name;
  zk::recipes::LeaderSelector selector(
      *client, path, name,
      [&](zk::recipes::LeadershipContext& ctx) {
        std::cout << "leading" << std::endl;
        bool fine = AppendLine(journal, "lead " + name);
        const bool cancelled = ctx.WaitCancelled(std::chrono::milliseconds(hold_ms));
        fine = AppendLine(journal, "unlead " + name) && fine && !cancelled;
        std::lock_guard<std::mutex> l(mu);
        ok = fine;
        done = true;
        cv.notify_all();
      },
      opts);
  if (auto s = selector.Start(); !s.ok()) {
    std::cerr << "start: " << zk::ErrName(s.err()) << "\n";
    return 1;
  }
  {
    std::unique_lock<std::mutex> l(mu);
    if (!cv.wait_for(l, std::chrono::seconds(120), [&] { return done; })) {
      std::cerr << "no term within 120 s\n";
      return 1;
    }
  }
  selector.Close();
  client->Close();
  if (!ok) std::cerr << "leadership cancelled while leading (or journal write failed)\n";
  return ok ? 0 : 1;
}

int RunRwLock(const std::string& hosts, const std::string& path, const std::string& name,
              bool write, int rounds, int hold_ms, const std::string& journal,
              int session_timeout_ms) {
  auto client = ConnectOrNull(hosts, session_timeout_ms);
  if (!client) return 1;
  zk::recipes::ReadWriteLock rw(*client, path);
  zk::recipes::ReadWriteLock::Lock& lock = write ? rw.WriteLock() : rw.ReadLock();
  const std::string kind = write ? "W" : "R";
  const bool driven = hold_ms < 0;
  std::string line;
  for (int i = 0; i < rounds; ++i) {
    if (driven && !std::getline(std::cin, line)) {
      std::cerr << "stdin closed before acquiring\n";
      return 1;
    }
    auto r = lock.Acquire(std::chrono::seconds(120));
    if (!r.ok() || !*r) {
      std::cerr << "acquire: " << (r.ok() ? "not acquired within 120 s" : zk::ErrName(r.err()))
                << "\n";
      return 1;
    }
    const std::string token = std::to_string(lock.FencingToken());
    std::cout << "acquired " << token << std::endl;
    if (!AppendLine(journal, "start " + name + " " + kind + " " + token)) return 1;
    if (driven) {
      if (!std::getline(std::cin, line)) {
        std::cerr << "stdin closed while holding\n";
        return 1;
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    }
    if (!lock.IsHeld()) {
      std::cerr << "lost the lock while holding it\n";
      return 1;
    }
    if (!AppendLine(journal, "end " + name + " " + kind + " " + token)) return 1;
    if (auto rel = lock.Release(); !rel.ok()) {
      std::cerr << "release: " << zk::ErrName(rel.err()) << "\n";
      return 1;
    }
  }
  client->Close();
  return 0;
}

int RunSemaphore(const std::string& hosts, const std::string& path, const std::string& name,
                 int max_leases, int count, int rounds, int hold_ms, const std::string& journal,
                 int session_timeout_ms) {
  auto client = ConnectOrNull(hosts, session_timeout_ms);
  if (!client) return 1;
  zk::recipes::Semaphore semaphore(*client, path, max_leases);
  for (int i = 0; i < rounds; ++i) {
    auto r = semaphore.Acquire(count, std::chrono::seconds(120));
    if (!r.ok() || static_cast<int>(r->size()) != count) {
      std::cerr << "acquire: " << (r.ok() ? "no leases within 120 s" : zk::ErrName(r.err()))
                << "\n";
      return 1;
    }
    const std::string k = std::to_string(r->size());
    std::cout << "acquired " << k << std::endl;
    if (!AppendLine(journal, "start " + name + " " + k)) return 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    if (!AppendLine(journal, "end " + name + " " + k)) return 1;
    r->clear();  // returns the leases
  }
  client->Close();
  return 0;
}

// --- discovery ------------------------------------------------------------------------------

// Registers each instance (Curator's JSON) under `base`, prints "registered <id>", and keeps them
// registered until standard input ends; then unregisters them.
int RunDiscoveryRegister(const std::string& hosts, const std::string& base,
                         const std::vector<std::string>& instances, int session_timeout_ms) {
  auto client = ConnectOrNull(hosts, session_timeout_ms);
  if (!client) return 1;
  zk::discovery::ServiceDiscoveryOptions opts;
  opts.base_path = base;
  zk::discovery::ServiceDiscovery discovery(*client, opts);
  for (const auto& json : instances) {
    auto inst = zk::discovery::FromCuratorJson(json);
    if (!inst.ok()) {
      std::cerr << "not an instance: " << json << "\n";
      return 2;
    }
    if (auto r = discovery.Register(*inst); !r.ok()) {
      std::cerr << "register: " << zk::ErrName(r.err()) << "\n";
      return 1;
    }
    std::cout << "registered " << inst->id << std::endl;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  discovery.Close();
  client->Close();
  return 0;
}

// A ServiceCache of `name` under `base`: waits until it holds `count` instances (30 s), then
// prints "seen <Curator JSON>" for each. With `follow`: prints "state <ids, comma-separated,
// sorted>" once loaded and after every change, until standard input ends.
int RunDiscoveryList(const std::string& hosts, const std::string& base, const std::string& name,
                     int count, int session_timeout_ms, bool follow) {
  auto client = ConnectOrNull(hosts, session_timeout_ms);
  if (!client) return 1;
  zk::discovery::ServiceCache cache(*client, base, name);
  std::mutex mu;
  std::condition_variable cv;
  cache.AddListener([&](bool) {
    std::lock_guard<std::mutex> l(mu);
    cv.notify_all();
  });
  if (auto r = cache.Start(); !r.ok()) {
    std::cerr << "cache: " << zk::ErrName(r.err()) << "\n";
    return 1;
  }
  if (follow) {
    if (auto r = cache.AwaitInitialized(std::chrono::seconds(30)); !r.ok() || !*r) {
      std::cerr << "the cache did not load\n";
      return 1;
    }
    std::atomic<bool> done{false};
    std::thread stdin_reader([&] {
      std::string line;
      while (std::getline(std::cin, line)) {
      }
      done = true;
      std::lock_guard<std::mutex> l(mu);
      cv.notify_all();
    });
    std::string last = "-";
    while (!done) {
      std::string ids;
      for (const auto& inst : cache.Instances()) ids += (ids.empty() ? "" : ",") + inst.id;
      if (ids != last) {
        std::cout << "state " << ids << std::endl;
        last = ids;
      }
      std::unique_lock<std::mutex> l(mu);
      cv.wait_for(l, std::chrono::milliseconds(500));
    }
    stdin_reader.join();
    cache.Close();
    client->Close();
    return 0;
  }
  {
    std::unique_lock<std::mutex> l(mu);
    if (!cv.wait_for(l, std::chrono::seconds(30), [&] {
          return static_cast<int>(cache.Instances().size()) >= count;
        })) {
      std::cerr << "the cache holds " << cache.Instances().size() << " instances, not " << count
                << "\n";
      return 1;
    }
  }
  for (const auto& inst : cache.Instances()) {
    std::cout << "seen " << zk::discovery::ToCuratorJson(inst) << "\n";
  }
  std::cout.flush();
  cache.Close();
  client->Close();
  return 0;
}

struct DubboRegisterOptions {
  std::string hosts;
  std::string root = "/dubbo";
  std::string side = "provider";
  zk::discovery::DubboServiceSpec spec;
  std::vector<std::string> params;
  bool persistent = false;
  int weight = 0;  // 0: none
  int session_timeout_ms = 10000;
};

int RunDubboRegister(DubboRegisterOptions o) {
  auto client = ConnectOrNull(o.hosts, o.session_timeout_ms);
  if (!client) return 1;
  o.spec.dynamic = !o.persistent;
  if (o.weight > 0) o.spec.weight = o.weight;
  for (const auto& kv : o.params) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      std::cerr << "--param needs KEY=VALUE: " << kv << "\n";
      return 2;
    }
    o.spec.extra[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  const zk::discovery::DubboUrl url = o.side == "consumer" ? zk::discovery::MakeConsumerUrl(o.spec)
                                                           : zk::discovery::MakeProviderUrl(o.spec);
  zk::discovery::DubboRegistryOptions options;
  options.root = o.root;
  zk::discovery::DubboRegistry registry(*client, options);
  auto path = registry.Register(url, std::chrono::seconds(30));
  if (!path.ok()) {
    std::cerr << "register: " << zk::ErrName(path.err()) << "\n";
    return 1;
  }
  std::cout << "path " << *path << "\nurl " << url.ToFullString() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  registry.Close();
  client->Close();
  return 0;
}

std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

int RunDubboCodec() {
  std::string line;
  while (std::getline(std::cin, line)) {
    const size_t space = line.find(' ');
    const std::string op = line.substr(0, space);
    const std::string arg = space == std::string::npos ? "" : Unhex(line.substr(space + 1));
    if (op == "encode") {
      std::cout << Hex(zk::discovery::DubboEncode(arg)) << "\n";
    } else {
      auto decoded = zk::discovery::DubboDecode(arg);
      std::cout << (decoded ? Hex(*decoded) : "ERR") << "\n";
    }
  }
  std::cout.flush();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"recipe_tool: zk::recipes from the command line"};
  app.require_subcommand(1);
  std::string hosts, path, name = "cpp", journal;
  int rounds = 1, hold_ms = 100, session_timeout_ms = 10000, count = 1;
  bool trace = false, linger = false, stay = false, count_lost = false;
  CLI::App* lock = app.add_subcommand("lock", "take a Mutex in rounds, journaling each hold");
  lock->add_option("--hosts", hosts, "connect string")->required();
  lock->add_option("--path", path, "lock path")->required();
  lock->add_option("--name", name, "holder name in the journal");
  lock->add_option("--rounds", rounds, "acquisitions")->check(CLI::PositiveNumber);
  lock->add_option("--hold-ms", hold_ms, "hold time per round")->check(CLI::NonNegativeNumber);
  lock->add_option("--journal", journal, "journal file")->required();
  lock->add_option("--session-timeout", session_timeout_ms, "ms");
  lock->add_option("--contenders", count, "contender threads, each with its own session")
      ->check(CLI::PositiveNumber);
  lock->add_flag("--trace", trace, "journal sessions and completion, with monotonic ms");
  lock->add_flag("--linger", linger, "keep the sessions open until standard input ends");
  lock->add_flag("--count-lost", count_lost, "a hold told lost counts as a round");
  CLI::App* latch = app.add_subcommand("latch", "lead in a LeaderLatch election");
  latch->add_option("--hosts", hosts, "connect string")->required();
  latch->add_option("--path", path, "latch path")->required();
  latch->add_option("--name", name, "participant id");
  latch->add_option("--hold-ms", hold_ms, "how long to lead")->check(CLI::NonNegativeNumber);
  latch->add_option("--journal", journal, "journal file")->required();
  latch->add_option("--session-timeout", session_timeout_ms, "ms");
  latch->add_flag("--stay", stay, "stay in the election until standard input ends");
  latch->add_option("--participants", count, "participant threads (with --stay)")
      ->check(CLI::PositiveNumber);
  latch->add_flag("--trace", trace, "journal sessions, with monotonic ms");
  std::string node_name = "lock-";
  CLI::App* select = app.add_subcommand("select", "lead once in a LeaderSelector election");
  select->add_option("--hosts", hosts, "connect string")->required();
  select->add_option("--path", path, "election path")->required();
  select->add_option("--name", name, "participant id");
  select->add_option("--hold-ms", hold_ms, "how long to lead")->check(CLI::NonNegativeNumber);
  select->add_option("--journal", journal, "journal file")->required();
  select->add_option("--session-timeout", session_timeout_ms, "ms");
  select->add_option("--node-name", node_name, "lock- (Curator) or __lock__ (kazoo)");
  std::string base = "/services";
  std::vector<std::string> instances;
  CLI::App* dreg = app.add_subcommand("discovery-register",
                                      "register service instances until stdin ends");
  dreg->add_option("--hosts", hosts, "connect string")->required();
  dreg->add_option("--base", base, "base path");
  dreg->add_option("--instance", instances, "an instance as Curator's JSON")->required();
  dreg->add_option("--session-timeout", session_timeout_ms, "ms");
  CLI::App* dlist = app.add_subcommand("discovery-list", "list a service's instances");
  dlist->add_option("--hosts", hosts, "connect string")->required();
  dlist->add_option("--base", base, "base path");
  dlist->add_option("--name", name, "service name")->required();
  dlist->add_option("--count", count, "instances to wait for")->check(CLI::PositiveNumber);
  dlist->add_option("--session-timeout", session_timeout_ms, "ms");
  bool follow = false;
  dlist->add_flag("--follow", follow, "print the ids after every change until stdin ends");
  DubboRegisterOptions dubbo;
  CLI::App* dubbo_register =
      app.add_subcommand("dubbo-register", "keep a Dubbo URL registered until stdin ends");
  dubbo_register->add_option("--hosts", dubbo.hosts, "connect string")->required();
  dubbo_register->add_option("--root", dubbo.root, "registry root (Dubbo's group)");
  dubbo_register->add_option("--interface", dubbo.spec.interface, "interface")->required();
  dubbo_register->add_option("--application", dubbo.spec.application, "application name");
  dubbo_register->add_option("--methods", dubbo.spec.methods, "method names, comma-separated");
  dubbo_register->add_option("--address", dubbo.spec.host, "host of the URL")->required();
  dubbo_register->add_option("--port", dubbo.spec.port, "port of the URL");
  dubbo_register->add_option("--side", dubbo.side, "provider or consumer")
      ->check(CLI::IsMember({"provider", "consumer"}));
  dubbo_register->add_option("--weight", dubbo.weight, "weight parameter");
  dubbo_register->add_option("--group", dubbo.spec.group, "group parameter");
  dubbo_register->add_option("--version", dubbo.spec.version, "version parameter");
  dubbo_register->add_option("--timestamp", dubbo.spec.timestamp_ms, "timestamp (ms)");
  dubbo_register->add_option("--pid", dubbo.spec.pid, "pid parameter");
  dubbo_register->add_option("--param", dubbo.params, "KEY=VALUE (repeatable)");
  dubbo_register->add_flag("--persistent", dubbo.persistent, "dynamic=false: a persistent node");
  dubbo_register->add_option("--session-timeout", dubbo.session_timeout_ms, "ms");
  CLI::App* dubbo_codec =
      app.add_subcommand("dubbo-codec", "Dubbo's URL.encode / decode on hex lines of stdin");
  std::string mode = "read";
  int max_leases = 1;
  CLI::App* rwlock = app.add_subcommand("rwlock", "take a ReadWriteLock side in rounds");
  rwlock->add_option("--hosts", hosts, "connect string")->required();
  rwlock->add_option("--path", path, "lock path")->required();
  rwlock->add_option("--name", name, "holder name in the journal");
  rwlock->add_option("--mode", mode, "read or write")->check(CLI::IsMember({"read", "write"}));
  rwlock->add_option("--rounds", rounds, "acquisitions")->check(CLI::PositiveNumber);
  rwlock->add_option("--hold-ms", hold_ms, "hold time per round; -1: driven by stdin lines")
      ->check(CLI::Range(-1, 1 << 30));
  rwlock->add_option("--journal", journal, "journal file")->required();
  rwlock->add_option("--session-timeout", session_timeout_ms, "ms");
  CLI::App* semaphore = app.add_subcommand("semaphore", "take Semaphore leases in rounds");
  semaphore->add_option("--hosts", hosts, "connect string")->required();
  semaphore->add_option("--path", path, "semaphore path")->required();
  semaphore->add_option("--name", name, "holder name in the journal");
  semaphore->add_option("--max-leases", max_leases, "leases of the semaphore")
      ->check(CLI::PositiveNumber);
  semaphore->add_option("--count", count, "leases per round")->check(CLI::PositiveNumber);
  semaphore->add_option("--rounds", rounds, "acquisitions")->check(CLI::PositiveNumber);
  semaphore->add_option("--hold-ms", hold_ms, "hold time per round")
      ->check(CLI::NonNegativeNumber);
  semaphore->add_option("--journal", journal, "journal file")->required();
  semaphore->add_option("--session-timeout", session_timeout_ms, "ms");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  const Journal j{journal, trace};
  if (dubbo_register->parsed()) return RunDubboRegister(dubbo);
  if (dubbo_codec->parsed()) return RunDubboCodec();
  if (dreg->parsed()) return RunDiscoveryRegister(hosts, base, instances, session_timeout_ms);
  if (dlist->parsed()) {
    return RunDiscoveryList(hosts, base, name, count, session_timeout_ms, follow);
  }
  if (rwlock->parsed()) {
    return RunRwLock(hosts, path, name, mode == "write", rounds, hold_ms, journal,
                     session_timeout_ms);
  }
  if (semaphore->parsed()) {
    return RunSemaphore(hosts, path, name, max_leases, count, rounds, hold_ms, journal,
                        session_timeout_ms);
  }
  if (select->parsed()) {
    return RunSelect(hosts, path, name, hold_ms, journal, session_timeout_ms, node_name);
  }
  if (latch->parsed()) {
    if (stay) return RunLatchStay(hosts, path, name, count, j, session_timeout_ms);
    if (count != 1) {
      std::cerr << "--participants needs --stay\n";
      return 2;
    }
    return RunLatchOnce(hosts, path, name, hold_ms, journal, session_timeout_ms);
  }
  LockOptions o;
  o.hosts = hosts;
  o.path = path;
  o.rounds = rounds;
  o.hold_ms = hold_ms;
  o.session_timeout_ms = session_timeout_ms;
  o.linger = linger;
  o.count_lost = count_lost;
  return RunLock(o, name, count, j);
}
