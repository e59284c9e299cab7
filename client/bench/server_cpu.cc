#include "client/bench/server_cpu.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace zk::bench {

double CpuSeconds(int pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return -1;
  char buf[2048];
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return -1;
  unsigned long long utime = 0, stime = 0, cutime = 0, cstime = 0;
  // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime
  // cstime
  if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
                  &utime, &stime, &cutime, &cstime) != 4) {
    return -1;
  }
  return static_cast<double>(utime + stime + cutime + cstime) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

double TotalCpuSeconds(const std::vector<int>& pids) {
  double total = 0;
  for (int pid : pids) {
    const double s = CpuSeconds(pid);
    if (s < 0) return -1;
    total += s;
  }
  return total;
}

}  // namespace zk::bench
