#include "server/process_figures.h"

#include <pwd.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "server/allocator.h"
#include "server/four_letter_format.h"

namespace zk::server {

const std::string& ServerFullVersion() {
  static const std::string version = FullVersion(BuildDateFromMacros(__DATE__, __TIME__));
  return version;
}

// Sum of the sizes of the regular files under `dir`, recursively (ZooKeeper's getDirSize);
// 0 if it cannot be read. Files may vanish meanwhile (log purge): errors are skipped.
int64_t DirSize(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int64_t total = 0;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uintmax_t size = it->file_size(size_ec);
      if (!size_ec) total += static_cast<int64_t>(size);
    }
  }
  return total;
}

// VmRSS of this process in bytes, from /proc/self/status; 0 if unavailable.
int64_t ResidentBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

int64_t OpenFileDescriptors() {
  std::error_code ec;
  int64_t n = 0;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) ++n;
  return n > 0 ? n - 1 : 0;  // not counting the descriptor of the listing itself
}

int64_t MaxFileDescriptors() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return -1;
  return static_cast<int64_t>(limit.rlim_cur);
}

namespace {

std::string Megabytes(uint64_t bytes) { return std::to_string(bytes / (1024 * 1024)) + "MB"; }

}  // namespace

// The keys of Java's Environment.list() in its order; the JVM's own keys keep their place for
// parsers and say that there is no JVM.
std::vector<std::pair<std::string, std::string>> ProcessEnvironment() {
  std::vector<std::pair<std::string, std::string>> env;
  env.emplace_back("zookeeper.version", ServerFullVersion());
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  env.emplace_back("host.name", host);
  env.emplace_back("java.version", "n/a (zabkeeper is C++)");
  env.emplace_back("java.vendor", "n/a");
  env.emplace_back("java.home", "n/a");
  env.emplace_back("java.class.path", "n/a");
  env.emplace_back("java.library.path", "n/a");
  const char* tmp = std::getenv("TMPDIR");
  env.emplace_back("java.io.tmpdir", tmp && *tmp ? tmp : "/tmp");
  env.emplace_back("java.compiler", "<NA>");
  utsname uts{};
  if (uname(&uts) != 0) uts = utsname{};
  env.emplace_back("os.name", uts.sysname);
  // Java calls x86_64 "amd64".
  const std::string machine = uts.machine;
  env.emplace_back("os.arch", machine == "x86_64" ? "amd64" : machine);
  env.emplace_back("os.version", uts.release);
  const passwd* pw = getpwuid(geteuid());
  env.emplace_back("user.name", pw ? pw->pw_name : "");
  const char* home = std::getenv("HOME");
  env.emplace_back("user.home", pw ? pw->pw_dir : (home ? home : ""));
  std::error_code ec;
  env.emplace_back("user.dir", std::filesystem::current_path(ec).string());
  // Java reports its heap: total = held, free = held but unused, max = the limit. Ours: the
  // resident set, the allocator's free bytes within it, and the address-space limit or the RAM.
  const uint64_t total = static_cast<uint64_t>(ResidentBytes());
  const uint64_t free_bytes = std::min<uint64_t>(CurrentAllocatorFigures().free_bytes, total);
  uint64_t max = 0;
  rlimit as_limit{};
  if (getrlimit(RLIMIT_AS, &as_limit) == 0 && as_limit.rlim_cur != RLIM_INFINITY) {
    max = as_limit.rlim_cur;
  } else if (struct sysinfo si{}; sysinfo(&si) == 0) {
    max = static_cast<uint64_t>(si.totalram) * si.mem_unit;
  }
  env.emplace_back("os.memory.free", Megabytes(free_bytes));
  env.emplace_back("os.memory.max", Megabytes(max));
  env.emplace_back("os.memory.total", Megabytes(total));
  return env;
}

}  // namespace zk::server
