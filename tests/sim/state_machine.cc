#include "tests/sim/state_machine.h"

#include "server/txn.h"
#include "zab/config_txn.h"
#include "tests/sim/tree_codec.h"

namespace zk::sim {

StateMachine::StateMachine() : tree_(std::make_unique<server::DataTree>()) {}

std::string StateMachine::Reset(int64_t zxid, const std::string& data) {
  applied_.clear();
  base_zxid_ = zxid;
  if (data.empty()) {
    tree_ = std::make_unique<server::DataTree>();
    tree_->SetLastZxid(zxid);
    return zxid == 0 ? "" : "empty snapshot data at a nonzero zxid";
  }
  std::string err = DecodeTree(data, &tree_);
  if (!err.empty()) return err;
  if (tree_->last_zxid() != zxid) {
    return "snapshot labelled " + std::to_string(zxid) + " holds a tree at " +
           std::to_string(tree_->last_zxid());
  }
  return "";
}

std::string StateMachine::Apply(const zab::LogEntry& entry) {
  if (entry.zxid <= tree_->last_zxid()) {
    auto it = applied_.find(entry.zxid);
    if (it != applied_.end() && it->second != entry.data) {
      return "replayed txn differs from the one the tree holds";
    }
    if (it == applied_.end() && entry.zxid > base_zxid_) {
      return "txn below the tree's zxid that the tree never held";
    }
    return "";
  }
  server::Txn txn;
  if (zab::IsConfigTxn(entry.data) && zab::SplitConfigTxn(entry.data).size() == entry.data.size()) {
    return "undecodable config txn";
  }
  if (!server::DecodeTxn(zab::SplitConfigTxn(entry.data), &txn)) return "undecodable txn";
  if (txn.zxid != entry.zxid) {
    return "txn carries zxid " + std::to_string(txn.zxid) + " in entry " +
           std::to_string(entry.zxid);
  }
  tree_->Apply(txn, nullptr);
  applied_[entry.zxid] = entry.data;
  return "";
}

std::string StateMachine::Serialize() const { return EncodeTree(*tree_); }

std::optional<zab::QuorumConfig> StateMachine::Config() const {
  const auto* n = tree_->Find("/zookeeper/config");
  zab::QuorumConfig c;
  if (n == nullptr || !zab::DecodeQuorumConfig(tree_->DataOf(*n), &c)) return std::nullopt;
  return c;
}

}  // namespace zk::sim
