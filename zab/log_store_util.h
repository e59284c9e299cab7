// Helpers shared by the LogStore implementations (internal to zab/).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zab/log_store.h"

namespace zk::zab::internal {

// Returns InvalidArgument unless entries have strictly increasing zxids, all above last_zxid.
Status CheckAppendOrder(const std::vector<LogEntry>& entries, int64_t last_zxid);

}  // namespace zk::zab::internal
