// CPU time of server processes, read from /proc, for the benchmarks' "server CPU per op".
#pragma once

#include <vector>

namespace zk::bench {

// utime + stime of `pid` in seconds (from /proc/PID/stat); -1 if unreadable.
double CpuSeconds(int pid);

// The sum over `pids`; -1 if any is unreadable.
double TotalCpuSeconds(const std::vector<int>& pids);

}  // namespace zk::bench
