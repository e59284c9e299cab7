// Helpers for the zab unit tests: a temporary directory removed on destruction, entry makers.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "zab/log_store.h"

namespace zk::zab::testing {

class TempDir {
 public:
  TempDir() {
    std::string templ = "/tmp/zab_test_XXXXXX";
    char* p = mkdtemp(templ.data());
    REQUIRE(p != nullptr);
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline LogEntry Entry(int64_t zxid) { return LogEntry{zxid, "txn-" + std::to_string(zxid)}; }

// Entries with zxids first..last (inclusive).
inline std::vector<LogEntry> Entries(int64_t first, int64_t last) {
  std::vector<LogEntry> out;
  for (int64_t z = first; z <= last; ++z) out.push_back(Entry(z));
  return out;
}

inline std::vector<int64_t> Zxids(const std::vector<LogEntry>& entries) {
  std::vector<int64_t> out;
  for (const LogEntry& e : entries) out.push_back(e.zxid);
  return out;
}

}  // namespace zk::zab::testing
