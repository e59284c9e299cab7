#include "zab/log_store_util.h"

namespace zk::zab {

namespace internal {

Status CheckAppendOrder(const std::vector<LogEntry>& entries, int64_t last_zxid) {
  int64_t prev = last_zxid;
  for (const LogEntry& e : entries) {
    if (e.zxid <= prev) {
      return Status::InvalidArgument("append of zxid " + std::to_string(e.zxid) +
                                     " not above previous zxid " + std::to_string(prev));
    }
    prev = e.zxid;
  }
  return Status::OK();
}

}  // namespace internal

}  // namespace zk::zab
