// recipe_tool: drives zk::recipes from the command line for the cross-client tests (several
// processes, kazoo and Curator contending on the same znodes).
//
//   recipe_tool lock --hosts H --path P --name N --rounds R --hold-ms MS --journal FILE
//   recipe_tool latch --hosts H --path P --name N --hold-ms MS --journal FILE
//   recipe_tool select --hosts H --path P --name N --hold-ms MS --journal FILE
//                      [--node-name lock-|__lock__]
//   recipe_tool rwlock --hosts H --path P --name N --mode read|write --rounds R --hold-ms MS
//                      --journal FILE
//   recipe_tool semaphore --hosts H --path P --name N --max-leases M --count K --rounds R
//                         --hold-ms MS --journal FILE
//
// Each round acquires the Mutex at P, appends "start N <token>" to FILE, holds it for MS,
// appends "end N <token>" and releases. The journal is written with O_APPEND, one write per
// line, so lines of concurrent holders never interleave within a line; a correct lock gives
// strictly alternating start/end lines of the same holder. Prints "acquired <token>" per round
// on stdout. `latch` joins the LeaderLatch election at P as participant N, waits to lead, appends
// "lead N" to FILE, leads for MS, appends "unlead N" and leaves (Close). `select` does the same
// as one term of a LeaderSelector (the callback journals; a term cancelled meanwhile fails). `rwlock` takes the
// ReadWriteLock at P's read or write side in rounds, journaling "start N R|W <token>" and
// "end N R|W <token>"; with --hold-ms -1 it is driven by its stdin instead: it waits for a line
// before each acquisition and holds until the next line.
// `semaphore` takes K leases of the Semaphore at P (M leases) in rounds, journaling "start N K"
// and "end N K". Both print "acquired <token or K>" per round. Exit status: 0 done, 1 a recipe
// call failed (printed on stderr), 2 usage.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "client/recipes/leader_latch.h"
#include "client/recipes/leader_selector.h"
#include "client/recipes/mutex.h"
#include "client/recipes/read_write_lock.h"
#include "client/recipes/semaphore.h"
#include "client/zk_client.h"

namespace {

bool AppendLine(const std::string& file, const std::string& line) {
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return false;
  std::string l = line + "\n";
  bool ok = ::write(fd, l.data(), l.size()) == static_cast<ssize_t>(l.size());
  ::close(fd);
  return ok;
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

int RunLatch(const std::string& hosts, const std::string& path, const std::string& name,
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

int RunLock(const std::string& hosts, const std::string& path, const std::string& name,
            int rounds, int hold_ms, const std::string& journal, int session_timeout_ms) {
  auto started = ConnectOrNull(hosts, session_timeout_ms);
  if (!started) return 1;
  auto& client = *started;
  zk::recipes::Mutex mutex(client, path);
  for (int i = 0; i < rounds; ++i) {
    auto r = mutex.Acquire();
    if (!r.ok() || !*r) {
      std::cerr << "acquire: " << (r.ok() ? "cancelled" : zk::ErrName(r.err())) << "\n";
      return 1;
    }
    const std::string token = std::to_string(mutex.FencingToken());
    std::cout << "acquired " << token << std::endl;
    if (!AppendLine(journal, "start " + name + " " + token)) return 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    if (!AppendLine(journal, "end " + name + " " + token)) return 1;
    if (auto rel = mutex.Release(); !rel.ok()) {
      std::cerr << "release: " << zk::ErrName(rel.err()) << "\n";
      return 1;
    }
  }
  client.Close();
  return 0;
}

// --- rwlock and semaphore ----------------------------------------------------------------------

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"recipe_tool: zk::recipes from the command line"};
  app.require_subcommand(1);
  std::string hosts, path, name = "cpp", journal;
  int rounds = 1, hold_ms = 100, session_timeout_ms = 10000;
  CLI::App* lock = app.add_subcommand("lock", "take a Mutex in rounds, journaling each hold");
  lock->add_option("--hosts", hosts, "connect string")->required();
  lock->add_option("--path", path, "lock path")->required();
  lock->add_option("--name", name, "holder name in the journal");
  lock->add_option("--rounds", rounds, "acquisitions")->check(CLI::PositiveNumber);
  lock->add_option("--hold-ms", hold_ms, "hold time per round")->check(CLI::NonNegativeNumber);
  lock->add_option("--journal", journal, "journal file")->required();
  lock->add_option("--session-timeout", session_timeout_ms, "ms");
  CLI::App* latch = app.add_subcommand("latch", "lead once in a LeaderLatch election");
  latch->add_option("--hosts", hosts, "connect string")->required();
  latch->add_option("--path", path, "latch path")->required();
  latch->add_option("--name", name, "participant id");
  latch->add_option("--hold-ms", hold_ms, "how long to lead")->check(CLI::NonNegativeNumber);
  latch->add_option("--journal", journal, "journal file")->required();
  latch->add_option("--session-timeout", session_timeout_ms, "ms");
  std::string node_name = "lock-";
  CLI::App* select = app.add_subcommand("select", "lead once in a LeaderSelector election");
  select->add_option("--hosts", hosts, "connect string")->required();
  select->add_option("--path", path, "election path")->required();
  select->add_option("--name", name, "participant id");
  select->add_option("--hold-ms", hold_ms, "how long to lead")->check(CLI::NonNegativeNumber);
  select->add_option("--journal", journal, "journal file")->required();
  select->add_option("--session-timeout", session_timeout_ms, "ms");
  select->add_option("--node-name", node_name, "lock- (Curator) or __lock__ (kazoo)");
  std::string mode = "read";
  int max_leases = 1, count = 1;
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
  if (latch->parsed()) return RunLatch(hosts, path, name, hold_ms, journal, session_timeout_ms);
  return RunLock(hosts, path, name, rounds, hold_ms, journal, session_timeout_ms);
}
