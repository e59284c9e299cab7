// Recipe commands (zkcli's own): `lock` runs a command while holding a distributed lock, like
// flock(1); `lock ls` lists a lock's queue; `leader` shows an election; `election run` runs a
// command while leading. All on zk::recipes, so they interoperate with Curator's
// InterProcessMutex / LeaderLatch on the same paths.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <vector>
#include <iostream>
#include <thread>

#include "client/recipes/leader_latch.h"
#include "client/recipes/mutex.h"
#include "client/zkcli/child_process.h"
#include "client/zkcli/commands.h"
#include "client/zkcli/shell.h"

namespace zk::zkcli {

namespace {

using namespace std::chrono_literals;

// The words after the path: the command to run (what followed "--").
std::vector<std::string> CommandWords(const ParsedArgs& args, size_t first) {
  return std::vector<std::string>(args.positional.begin() + static_cast<long>(first),
                                  args.positional.end());
}

void RunLockLs(Shell& shell, const std::string& path) {
  client::Client& zk = shell.Session();
  auto contenders = recipes::Mutex::Contenders(zk, path);
  shell.Check(contenders, path);
  if (shell.json()) {
    Json list = Json::array();
    for (size_t i = 0; i < contenders->size(); ++i) {
      const auto& c = (*contenders)[i];
      list.push_back(Json{{"node", c.name}, {"sequence", c.sequence}, {"token", c.czxid},
                          {"session", c.owner}, {"holder", i == 0}});
    }
    shell.EmitJson(Json{{"path", path}, {"contenders", list}});
    return;
  }
  for (size_t i = 0; i < contenders->size(); ++i) {
    const auto& c = (*contenders)[i];
    char session[32];
    std::snprintf(session, sizeof session, "0x%llx", static_cast<unsigned long long>(c.owner));
    shell.out() << (i == 0 ? "holder " : "waiter ") << c.name << " token=" << c.czxid
                << " session=" << session << "\n";
  }
}

}  // namespace

void RunLock(Shell& shell, const ParsedArgs& args) {
  if (args.positional[0] == "ls") {
    if (args.positional.size() != 2) shell.UsageError("lock", "lock ls path");
    RunLockLs(shell, RequirePath(args.positional[1]));
    return;
  }
  const std::string path = RequirePath(args.positional[0]);
  std::vector<std::string> command = CommandWords(args, 1);
  if (command.empty()) shell.UsageError("lock", "give the command to run after --");
  std::optional<std::chrono::milliseconds> timeout;
  if (const std::string* t = args.Value('t')) {
    try {
      timeout = std::chrono::milliseconds(static_cast<int64_t>(std::stod(*t) * 1000));
    } catch (...) {
      shell.UsageError("lock", "-t takes seconds");
    }
  }
  client::Client& zk = shell.Session();
  recipes::Mutex mutex(zk, path);
  std::atomic<bool> lost{false};
  mutex.SetLostListener([&lost](recipes::LockLostReason why) {
    lost = true;
    std::cerr << "lock lost: " << recipes::LockLostReasonName(why) << std::endl;
  });
  // Ctrl-C while waiting cancels the acquisition.
  std::atomic<bool> acquiring{true};
  std::thread canceller([&] {
    while (acquiring) {
      if (g_interrupted.load()) mutex.Cancel();
      std::this_thread::sleep_for(20ms);
    }
  });
  auto got = timeout ? mutex.Acquire(*timeout) : mutex.Acquire();
  acquiring = false;
  canceller.join();
  shell.ThrowIfInterrupted();
  shell.Check(got, path);
  if (!*got) throw CommandError{kExitFailed, "lock " + path + ": not acquired (timed out)"};
  int code = WaitChild(Spawn(command), [&] { return !lost.load(); });
  mutex.Release();
  if (code != 0) throw CommandError{code, ""};
}

void RunLeader(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  client::Client& zk = shell.Session();
  auto participants = recipes::LeaderLatch::Participants(zk, path);
  shell.Check(participants, path);
  if (shell.json()) {
    Json list = Json::array();
    for (const auto& p : *participants) {
      list.push_back(Json{{"id", p.id}, {"node", p.node}, {"leader", p.leader}});
    }
    shell.EmitJson(Json{{"path", path}, {"participants", list}});
    return;
  }
  for (const auto& p : *participants) {
    shell.out() << (p.leader ? "leader " : "waiting ") << p.id << " (" << p.node << ")\n";
  }
}

void RunElection(Shell& shell, const ParsedArgs& args) {
  if (args.positional[0] != "run" || args.positional.size() < 4) {
    shell.UsageError("election", "election run path id -- command...");
  }
  const std::string path = RequirePath(args.positional[1]);
  const std::string id = args.positional[2];
  std::vector<std::string> command = CommandWords(args, 3);
  client::Client& zk = shell.Session();
  recipes::LeaderLatch latch(zk, path, id);
  shell.Check(latch.Start(), path);
  while (true) {
    auto led = latch.Await(100ms);
    shell.Check(led, path);
    if (*led) break;
    shell.ThrowIfInterrupted();
  }
  std::cerr << "leading " << path << " as " << id << std::endl;
  int code = WaitChild(Spawn(command), [&] { return latch.HasLeadership(); });
  const bool still_leading = latch.HasLeadership();
  latch.Close();
  if (!still_leading) throw CommandError{kExitFailed, "leadership lost; the command was stopped"};
  if (code != 0) throw CommandError{code, ""};
}

}  // namespace zk::zkcli
