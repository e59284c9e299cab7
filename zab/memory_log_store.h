// MemoryLogStore: a LogStore kept entirely in memory, for unit tests and the deterministic
// simulator. "sync" has no effect; all data is lost with the object.
//
// Thread-safety: thread-safe (one internal mutex), which satisfies the LogStore contract.
// Ownership: owns copies of all entries and metadata.
#pragma once

#include <deque>
#include <functional>
#include <map>

#include "zab/log_store.h"
#include "zab/mutex.h"

namespace zk::zab {

class MemoryLogStore final : public LogStore {
 public:
  MemoryLogStore() = default;
  ~MemoryLogStore() override = default;

  Status Append(const std::vector<LogEntry>& entries, bool sync) override;
  Status TruncateAfter(int64_t zxid) override;
  Status PurgeBefore(int64_t zxid) override;
  Status PurgeSome(int64_t zxid, size_t max_entries, bool* more) override;
  Status Read(int64_t from_zxid, int64_t to_zxid, size_t max_bytes,
              std::vector<LogEntry>* out) override;
  Result<int64_t> FloorZxid(int64_t zxid) override;
  int64_t FirstZxid() override;
  int64_t LastZxid() override;
  Status PutMeta(std::string_view key, std::string_view value, bool sync) override;
  Result<std::optional<std::string>> GetMeta(std::string_view key) override;

 private:
  // Index of the first entry with zxid >= `zxid`.
  size_t LowerBound(int64_t zxid) const ZK_REQUIRES(mu_);

  Mutex mu_;
  std::deque<LogEntry> entries_ ZK_GUARDED_BY(mu_);
  std::map<std::string, std::string, std::less<>> meta_ ZK_GUARDED_BY(mu_);
};

}  // namespace zk::zab
