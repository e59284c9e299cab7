// ServerNode: dynamic membership. The leader turns a reconfig request into a membership change
// (checks as ZooKeeper's PrepRequestProcessor, then zab's ProposeConfig); every member follows
// the committed membership: /zookeeper/config's data, the transport's addresses and the
// dynamic configuration files.
#include <spdlog/spdlog.h>

#include "server/server_node.h"
#include "zab/check.h"

namespace zk::server {

Membership ServerNode::NewestMembership() const {
  const zab::Peer& peer = replication_->peer();
  const zab::QuorumConfig* pending = peer.pending_config();
  return MembershipOf(pending != nullptr ? *pending : peer.committed_config(), config_.servers);
}

void ServerNode::PlanMembershipChange(WriteRequest* req, zab::QuorumConfig* next) const {
  if (!config_.reconfig_enabled) {
    req->reconfig_err = Err::kReconfigDisabled;
    return;
  }
  if (!config_.IsDistributed()) {
    req->reconfig_err = Err::kUnimplemented;  // as ZooKeeper standalone
    return;
  }
  if (replication_->peer().pending_config() != nullptr) {
    req->reconfig_err = Err::kReconfigInProgress;
    return;
  }
  ReconfigPlan plan = PlanReconfig(req->reconfig, NewestMembership(), config_.standalone_enabled);
  if (plan.err != Err::kOk) {
    spdlog::warn("reconfig refused ({}): {}", ErrName(plan.err), plan.why);
    req->reconfig_err = plan.err;
    return;
  }
  plan.next.version = replication_->NextZxid();
  req->config_text = ConfigText(plan.next);
  *next = ToQuorumConfig(plan.next);
}

bool ServerNode::ProposeReconfig(const Txn& txn, zab::QuorumConfig next, Err* err,
                                 int64_t* zxid) {
  const std::string description = next.Describe();
  const zab::ConfigProposal p = replication_->ProposeConfig(std::move(next), EncodeTxn(txn));
  switch (p.result) {
    case zab::ConfigChange::kProposed:
      ZK_CHECK(p.zxid == txn.zxid);  // Prep and ZAB number txns alike
      spdlog::info("reconfig proposed at zxid 0x{:x}: {}", p.zxid, description);
      *zxid = p.zxid;
      return true;
    case zab::ConfigChange::kInProgress:
      *err = Err::kReconfigInProgress;
      break;
    case zab::ConfigChange::kNoQuorum:
      *err = Err::kNewConfigNoQuorum;
      break;
    case zab::ConfigChange::kInvalid:
      *err = Err::kBadArguments;
      break;
    case zab::ConfigChange::kNotLeader:
      *err = Err::kConnectionLoss;
      break;
  }
  spdlog::warn("reconfig refused ({}): {}", ErrName(*err), description);
  return false;
}

void ServerNode::NoteMembership() {
  if (!replication_ || !config_.IsDistributed()) return;
  const zab::QuorumConfig& committed = replication_->peer().committed_config();
  if (committed.version == membership_version_) return;
  membership_version_ = committed.version;
  const Membership m = MembershipOf(committed, config_.servers);
  const std::string text = ConfigText(m);
  if (tree_->SetConfigData(text, committed.version, WallMs())) {
    std::vector<Notification> notes;
    watches_.Trigger(TreeEvent{EventType::kNodeDataChanged, std::string(kConfigNodePath)}, &notes);
    SendNotifications(notes);
  }
  std::map<zab::ServerId, zab::PeerAddress> addresses;
  for (const auto& [id, a] : m.servers) {
    addresses[id] = zab::PeerAddress{a.host, static_cast<uint16_t>(a.quorum_port),
                                     static_cast<uint16_t>(a.election_port)};
  }
  if (committed.version > 0) {
    spdlog::info("membership of version 0x{:x} in force: {}", committed.version,
                 committed.Describe());
  }
  replication_->MembershipChanged(addresses, text, committed.version);
}

}  // namespace zk::server
