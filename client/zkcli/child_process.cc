#include "client/zkcli/child_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "client/zkcli/shell.h"

extern char** environ;

namespace zk::zkcli {

using namespace std::chrono_literals;

pid_t Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (int e = posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ); e != 0) {
    throw CommandError{127, "cannot run " + argv[0] + ": " + std::strerror(e)};
  }
  return pid;
}

int WaitChild(pid_t pid, const std::function<bool()>& keep_going) {
  bool terminated = false;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return kExitFailed;
    }
    if (r < 0 && errno != EINTR) return kExitFailed;
    if (!terminated && !keep_going()) {
      kill(pid, SIGTERM);
      terminated = true;
    }
    std::this_thread::sleep_for(50ms);
  }
}

}  // namespace zk::zkcli
