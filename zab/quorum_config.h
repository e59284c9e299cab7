// QuorumConfig: one version of the ensemble's membership — who votes, who only observes — and
// the quorum rule over it (a majority of the voters). Version 0 is the static membership from
// the configuration file; any other version is the zxid of the txn that introduced it (a config
// txn, see config_txn.h), so versions order memberships the way the log orders their txns.
// Addresses are opaque strings the server fills in (zab/ never reads them); a member without
// one simply has no entry.
//
// Encoded as msgpack: [version, [voter ids], [observer ids], {id: address}]. Decode accepts
// exactly what Encode writes and never throws.
//
// Thread-safety: a value type.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "zab/messages.h"

namespace zk::zab {

struct QuorumConfig {
  int64_t version = 0;
  std::vector<ServerId> voters;     // sorted, unique
  std::vector<ServerId> observers;  // sorted, unique, none a voter
  std::map<ServerId, std::string> addresses;

  bool IsVoter(ServerId id) const;
  bool IsObserver(ServerId id) const;
  bool IsMember(ServerId id) const { return IsVoter(id) || IsObserver(id); }
  // True when `ids` holds a majority of the voters (ids that are not voters do not count).
  bool IsQuorum(const std::set<ServerId>& ids) const;
  // Empty, or what is wrong: no voters, a non-positive id, an id listed twice or in both roles.
  std::string Validate() const;
  // Same members in the same roles (version and addresses aside).
  bool SameMembers(const QuorumConfig& other) const {
    return voters == other.voters && observers == other.observers;
  }
  // "v0x100000002 voters 1,2,3 observers 4" (logs and test output).
  std::string Describe() const;

  friend bool operator==(const QuorumConfig&, const QuorumConfig&) = default;
};

// A QuorumConfig with voters and observers sorted (duplicates kept: Validate reports them).
QuorumConfig MakeQuorumConfig(int64_t version, std::vector<ServerId> voters,
                              std::vector<ServerId> observers);

std::string EncodeQuorumConfig(const QuorumConfig& config);
// False (and *config untouched) unless `bytes` is exactly one encoded config.
bool DecodeQuorumConfig(std::string_view bytes, QuorumConfig* config);

}  // namespace zk::zab
