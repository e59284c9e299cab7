#include "zab/config_txn.h"

#include <cstdint>
#include <map>
#include <utility>

namespace zk::zab {

std::string EncodeConfigTxn(const QuorumConfig& config, std::string_view txn) {
  const std::string encoded = EncodeQuorumConfig(config);
  std::string out;
  out.reserve(5 + encoded.size() + txn.size());
  out.push_back(kConfigTxnMarker);
  const auto n = static_cast<uint32_t>(encoded.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(encoded);
  out.append(txn);
  return out;
}

bool DecodeConfigTxn(std::string_view data, QuorumConfig* config, std::string_view* txn) {
  if (!IsConfigTxn(data) || data.size() < 5) return false;
  uint32_t n = 0;
  for (int i = 1; i <= 4; ++i) n = (n << 8) | static_cast<uint8_t>(data[i]);
  if (n > data.size() - 5) return false;
  if (!DecodeQuorumConfig(data.substr(5, n), config)) return false;
  *txn = data.substr(5 + n);
  return true;
}

std::string_view SplitConfigTxn(std::string_view data) {
  QuorumConfig ignored;
  std::string_view txn;
  return DecodeConfigTxn(data, &ignored, &txn) ? txn : data;
}

QuorumConfig NormalizeProposedConfig(QuorumConfig next) {
  std::map<ServerId, std::string> addresses = std::move(next.addresses);
  QuorumConfig normalized = MakeQuorumConfig(0, std::move(next.voters), std::move(next.observers));
  normalized.addresses = std::move(addresses);
  return normalized;
}

std::string ConfigProposalEntry(QuorumConfig next, int64_t zxid, std::string_view txn) {
  QuorumConfig logged = NormalizeProposedConfig(std::move(next));
  logged.version = zxid;
  return EncodeConfigTxn(logged, txn);
}

}  // namespace zk::zab
