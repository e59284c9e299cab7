// Zxid arithmetic: a zxid is epoch (high 32 bits) | counter (low 32 bits). Stateless.
#pragma once

#include <cstdint>

namespace zk::zab {

inline constexpr int64_t ZxidEpoch(int64_t zxid) { return zxid >> 32; }
inline constexpr int64_t ZxidCounter(int64_t zxid) { return zxid & 0xffffffffLL; }
inline constexpr int64_t MakeZxid(int64_t epoch, int64_t counter) {
  return (epoch << 32) | (counter & 0xffffffffLL);
}
// The last counter a leader may use before it must start a new epoch (ZooKeeper re-elects then).
inline constexpr int64_t kMaxZxidCounter = 0xffffffffLL;

}  // namespace zk::zab
