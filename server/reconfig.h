// Reconfig: ZooKeeper's dynamic membership as the server sees it. A Membership is the ensemble's
// server.N lines with a version; it converts to and from the ZAB core's QuorumConfig (whose
// opaque addresses hold each server's line), renders as the text ZooKeeper keeps in
// /zookeeper/config and in zoo.cfg.dynamic.<version>, and PlanReconfig turns a reconfig request
// (incremental: joining/leaving; or bulk: newMembers) into the next Membership with ZooKeeper
// 3.8's checks and error codes. Stateless functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "client/proto/records.h"
#include "client/proto/wire_constants.h"
#include "server/config.h"
#include "zab/quorum_config.h"

namespace zk::server {

struct Membership {
  int64_t version = 0;                        // the zxid of the reconfig; 0 = the static config
  std::map<int64_t, ServerAddress> servers;   // by id; ServerAddress::observer gives the role
};

// The membership of `config`: each member's line from its address entry, or from
// `static_servers` when it has none (the static configuration carries no addresses); its role
// from `config`. Members found in neither are left out.
Membership MembershipOf(const zab::QuorumConfig& config,
                        const std::map<int64_t, ServerAddress>& static_servers);

// The QuorumConfig of `m` (its version kept), each address entry the member's line.
zab::QuorumConfig ToQuorumConfig(const Membership& m);

// ZooKeeper's text of a configuration: "server.N=<line>\n" per member in id order, then
// "version=<hex>" (no newline after it).
std::string ConfigText(const Membership& m);

// Parses ConfigText's output (server.N lines, then version=<hex>); false when malformed.
bool ParseMembershipText(std::string_view text, Membership* m);

struct ReconfigPlan {
  Err err = Err::kOk;
  std::string why;  // for the log when err is set
  Membership next;  // version 0: the txn's zxid becomes it
};

// The membership a reconfig request asks for, from `current` (the newest configuration), or the
// error ZooKeeper answers: BADVERSION when cur_config_id is neither -1 nor current's version;
// BADARGUMENTS for a malformed server list or id, a joining server without a client port or
// with another member's quorum or election address, or too few voters left (fewer than 2 with
// standaloneEnabled, else fewer than 1). The checks that need the leader's state (a change in
// progress, a synced quorum of the new voters, the ACL) are the caller's.
ReconfigPlan PlanReconfig(const proto::ReconfigRequest& req, const Membership& current,
                          bool standalone_enabled);

}  // namespace zk::server
