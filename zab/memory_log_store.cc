#include "zab/memory_log_store.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "zab/log_store_util.h"

namespace zk::zab {

size_t MemoryLogStore::LowerBound(int64_t zxid) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), zxid,
                             [](const LogEntry& e, int64_t z) { return e.zxid < z; });
  return static_cast<size_t>(it - entries_.begin());
}

Status MemoryLogStore::Append(const std::vector<LogEntry>& entries, bool /*sync*/) {
  MutexLock lock(&mu_);
  Status s = internal::CheckAppendOrder(entries, entries_.empty() ? 0 : entries_.back().zxid);
  if (!s.ok()) return s;
  entries_.insert(entries_.end(), entries.begin(), entries.end());
  return Status::OK();
}

Status MemoryLogStore::TruncateAfter(int64_t zxid) {
  MutexLock lock(&mu_);
  size_t keep = zxid == INT64_MAX ? entries_.size() : LowerBound(zxid + 1);
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(keep), entries_.end());
  return Status::OK();
}

Status MemoryLogStore::PurgeBefore(int64_t zxid) {
  MutexLock lock(&mu_);
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<std::ptrdiff_t>(LowerBound(zxid)));
  return Status::OK();
}

Status MemoryLogStore::PurgeSome(int64_t zxid, size_t max_entries, bool* more) {
  MutexLock lock(&mu_);
  const size_t below = LowerBound(zxid);
  const size_t n = std::min(below, max_entries);
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n));
  *more = below > n;
  return Status::OK();
}

Status MemoryLogStore::Read(int64_t from_zxid, int64_t to_zxid, size_t max_bytes,
                            std::vector<LogEntry>* out) {
  out->clear();
  MutexLock lock(&mu_);
  size_t bytes = 0;
  for (size_t i = LowerBound(from_zxid); i < entries_.size() && entries_[i].zxid <= to_zxid; ++i) {
    bytes += entries_[i].data.size();
    if (!out->empty() && bytes > max_bytes) break;
    out->push_back(entries_[i]);
  }
  return Status::OK();
}

Result<int64_t> MemoryLogStore::FloorZxid(int64_t zxid) {
  MutexLock lock(&mu_);
  size_t i = LowerBound(zxid);
  if (i < entries_.size() && entries_[i].zxid == zxid) return zxid;
  return i == 0 ? 0 : entries_[i - 1].zxid;
}

int64_t MemoryLogStore::FirstZxid() {
  MutexLock lock(&mu_);
  return entries_.empty() ? 0 : entries_.front().zxid;
}

int64_t MemoryLogStore::LastZxid() {
  MutexLock lock(&mu_);
  return entries_.empty() ? 0 : entries_.back().zxid;
}

Status MemoryLogStore::PutMeta(std::string_view key, std::string_view value, bool /*sync*/) {
  MutexLock lock(&mu_);
  meta_.insert_or_assign(std::string(key), std::string(value));
  return Status::OK();
}

Result<std::optional<std::string>> MemoryLogStore::GetMeta(std::string_view key) {
  MutexLock lock(&mu_);
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

}  // namespace zk::zab
