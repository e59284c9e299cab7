// recipe_tool: drives zk::recipes from the command line for the cross-client tests (several
// processes, kazoo and Curator contending on the same znodes).
//
//   recipe_tool lock --hosts H --path P --name N --rounds R --hold-ms MS --journal FILE
//   recipe_tool latch --hosts H --path P --name N --hold-ms MS --journal FILE
//
// Each round acquires the Mutex at P, appends "start N <token>" to FILE, holds it for MS,
// appends "end N <token>" and releases. The journal is written with O_APPEND, one write per
// line, so lines of concurrent holders never interleave within a line; a correct lock gives
// strictly alternating start/end lines of the same holder. Prints "acquired <token>" per round
// on stdout. `latch` joins the LeaderLatch election at P as participant N, waits to lead, appends
// "lead N" to FILE, leads for MS, appends "unlead N" and leaves (Close). Exit status: 0 done,
// 1 a recipe call failed (printed on stderr), 2 usage.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "client/recipes/leader_latch.h"
#include "client/recipes/mutex.h"
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (latch->parsed()) return RunLatch(hosts, path, name, hold_ms, journal, session_timeout_ms);
  return RunLock(hosts, path, name, rounds, hold_ms, journal, session_timeout_ms);
}
