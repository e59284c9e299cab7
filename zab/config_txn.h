// Config txns: a log entry whose bytes carry a new QuorumConfig next to the application's txn.
// zab/ treats txn bytes as opaque, except for this envelope, which it reads to learn that an
// entry changes the membership (when it logs the entry, replays it at restart, or receives it
// while synchronizing):
//
//   0xc1, 4-byte big-endian length n, n bytes of EncodeQuorumConfig, the application's txn
//
// 0xc1 is the one byte msgpack never uses, so no entry written before (the server's txns are
// msgpack) starts with it: old logs read as entries without a config. The application decodes
// its txn with SplitConfigTxn, which leaves other entries as they are.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "zab/quorum_config.h"

namespace zk::zab {

inline constexpr char kConfigTxnMarker = '\xc1';

std::string EncodeConfigTxn(const QuorumConfig& config, std::string_view txn);
// A proposed membership as the leader keeps and logs it: voters and observers normalized
// (MakeQuorumConfig), addresses kept, version 0 until it is proposed.
QuorumConfig NormalizeProposedConfig(QuorumConfig next);
// The log entry of a membership change proposed at `zxid` (Peer::ProposeConfig): the config
// envelope of NormalizeProposedConfig(next) with version = zxid, around `txn`.
std::string ConfigProposalEntry(QuorumConfig next, int64_t zxid, std::string_view txn);
// True when `data` starts with the config txn marker (it may still fail to decode).
inline bool IsConfigTxn(std::string_view data) {
  return !data.empty() && data[0] == kConfigTxnMarker;
}
// For a config txn: *config and *txn (a view into data), true; false when data is not a
// well-formed config txn.
bool DecodeConfigTxn(std::string_view data, QuorumConfig* config, std::string_view* txn);
// The application's txn inside `data`: the part after the config for a config txn, all of
// `data` otherwise.
std::string_view SplitConfigTxn(std::string_view data);

}  // namespace zk::zab
