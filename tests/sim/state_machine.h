// StateMachine: one simulated server's replicated state — a real server::DataTree fed with the
// server's own Txn encoding — plus the record of which txns the tree holds, for the checkers.
// The tree starts from a snapshot (base) and then holds every txn applied since, in zxid order.
//
// Thread-safety: none. Ownership: owns its tree.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "server/data_tree.h"
#include "zab/log_store.h"
#include "zab/quorum_config.h"

namespace zk::sim {

class StateMachine {
 public:
  StateMachine();

  // Replaces the state with a snapshot (empty data with zxid 0: the empty tree). Returns an
  // empty string or what is wrong with the bytes.
  std::string Reset(int64_t zxid, const std::string& data);

  // Applies one txn. An entry at or below last_zxid() is a replay: the tree skips it, and it must
  // carry the same bytes the tree already holds for that zxid (when known). Returns an empty
  // string or what is wrong (undecodable bytes, a txn whose zxid differs from its entry's, a
  // replay that differs).
  std::string Apply(const zab::LogEntry& entry);

  std::string Serialize() const;
  // The membership the tree holds in /zookeeper/config (a config txn's SetData writes it there,
  // so snapshots carry it); nullopt while it holds none.
  std::optional<zab::QuorumConfig> Config() const;

  const server::DataTree& tree() const { return *tree_; }
  int64_t last_zxid() const { return tree_->last_zxid(); }
  uint64_t digest() const { return tree_->digest(); }
  // The snapshot the tree started from, and the txns applied since (zxid -> bytes).
  int64_t base_zxid() const { return base_zxid_; }
  const std::map<int64_t, std::string>& applied() const { return applied_; }

 private:
  std::unique_ptr<server::DataTree> tree_;
  int64_t base_zxid_ = 0;
  std::map<int64_t, std::string> applied_;
};

}  // namespace zk::sim
