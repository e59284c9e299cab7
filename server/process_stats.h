// Process-wide figures read from the operating system for mntr, envi and /metrics: resident
// memory, file descriptors, directory sizes. Linux (/proc); each returns 0 (or -1 where noted)
// when the figure cannot be read.
//
// Thread-safety: stateless functions, callable from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace zk::server {

// VmRSS of this process in bytes.
int64_t ResidentBytes();
// Descriptors this process has open.
int64_t OpenFileDescriptors();
// The soft RLIMIT_NOFILE; -1 when unlimited or unknown.
int64_t MaxFileDescriptors();
// Sum of the sizes of the regular files under `dir`, recursively (ZooKeeper's getDirSize).
// Files may vanish meanwhile (log purge): those are skipped.
int64_t DirSize(const std::string& dir);

}  // namespace zk::server
