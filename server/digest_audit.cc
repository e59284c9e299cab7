#include "server/digest_audit.h"

namespace zk::server {

void DigestAudit::Reset() {
  dropped_ += pending_.size();
  history_.clear();
  pending_.clear();
}

std::optional<DigestMismatch> DigestAudit::Compare(int64_t zxid, uint64_t expected,
                                                   uint64_t actual) {
  ++checks_;
  if (expected == actual) return std::nullopt;
  ++mismatches_;
  return DigestMismatch{zxid, expected, actual};
}

std::optional<DigestMismatch> DigestAudit::Applied(int64_t zxid, uint64_t digest) {
  history_.push_back({zxid, digest});
  if (history_.size() > kHistory) history_.pop_front();
  std::optional<DigestMismatch> result;
  while (!pending_.empty() && pending_.front().zxid <= zxid) {
    const Entry sample = pending_.front();
    pending_.pop_front();
    if (sample.zxid < zxid) {
      ++dropped_;  // a zxid this replica never applied (it jumped past it by a SNAP)
      continue;
    }
    if (auto m = Compare(zxid, sample.digest, digest)) result = m;
  }
  return result;
}

std::optional<DigestMismatch> DigestAudit::Sample(int64_t zxid, uint64_t digest) {
  if (!history_.empty() && zxid <= history_.back().zxid) {
    // Applied already: find it (zxids ascend, so search from the newest end).
    for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
      if (it->zxid == zxid) return Compare(zxid, digest, it->digest);
      if (it->zxid < zxid) break;
    }
    ++dropped_;
    return std::nullopt;
  }
  if (!pending_.empty() && zxid <= pending_.back().zxid) {
    ++dropped_;  // samples come in zxid order from one leader; ignore anything else
    return std::nullopt;
  }
  pending_.push_back({zxid, digest});
  if (pending_.size() > kMaxPending) {
    pending_.pop_front();
    ++dropped_;
  }
  return std::nullopt;
}

}  // namespace zk::server
