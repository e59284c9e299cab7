// CPU time of server processes, read from /proc, for the benchmarks' "server CPU per op".
#pragma once

#include <vector>

namespace zk::bench {

// CPU seconds of `pid` (from /proc/PID/stat): utime + stime of the process plus cutime + cstime
// of the children it has reaped, so work a server forks off (zabkeeper's snapshot writer) is
// charged to it as a JVM's snapshot thread is. -1 if unreadable.
double CpuSeconds(int pid);

// The sum over `pids`; -1 if any is unreadable.
double TotalCpuSeconds(const std::vector<int>& pids);

}  // namespace zk::bench
