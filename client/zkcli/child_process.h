// Running a command from zkcli (`lock ... -- cmd`, `election run ... -- cmd`, `services register
// ... -- cmd`): the child shares zkcli's stdio; zkcli waits for it and stops it (SIGTERM) once
// what the command ran under is gone (the lock, the leadership). Not thread-safe.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace zk::zkcli {

// Starts `argv` with zkcli's stdio; throws CommandError (127) if it cannot be started.
pid_t Spawn(const std::vector<std::string>& argv);

// Waits for the child; `keep_going()` is asked every 50 ms and the child is sent SIGTERM once it
// says no. Returns the child's exit status as a shell reports it (128 + signal).
int WaitChild(pid_t pid, const std::function<bool()>& keep_going);

}  // namespace zk::zkcli
