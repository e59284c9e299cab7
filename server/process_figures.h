// Figures of the running process and its host that the four-letter words and the AdminServer
// report: the version text, directory sizes, memory, file descriptors and the environment
// (Java's Environment.list() keys). Thread-safe: each reads the OS afresh.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace zk::server {

// ZooKeeper's Version.getFullVersion() of this build: "<version>, built on <date>".
const std::string& ServerFullVersion();
// Sum of the sizes of the regular files under `dir`, recursively (ZooKeeper's getDirSize);
// 0 if it cannot be read.
int64_t DirSize(const std::string& dir);
// VmRSS of this process in bytes; 0 if unavailable.
int64_t ResidentBytes();
int64_t OpenFileDescriptors();
// RLIMIT_NOFILE; -1 when unlimited or unknown.
int64_t MaxFileDescriptors();
// The entries of `envi` (and the AdminServer's environment), in Java's order.
std::vector<std::pair<std::string, std::string>> ProcessEnvironment();

}  // namespace zk::server
