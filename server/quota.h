// Quotas as ZooKeeper 3.7+ keeps them: a quota on /a is the node
// /zookeeper/quota/a/zookeeper_limits (its limits as a StatsTrack record: soft "count"/"bytes",
// hard "countHardLimit"/"byteHardLimit", -1 for none) beside /zookeeper/quota/a/zookeeper_stats
// (the subtree's current "count" and "bytes"). Clients (zkCli's setquota, zkcli) create both as
// plain znodes; the DataTree then keeps the stats node's data current as it applies txns
// (data_tree_quota.cc), and Prep refuses writes over a hard limit when enforcement is on
// (CheckQuota, below).
//
// The node names and the mapping between a quota'd path and its quota nodes live here. Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "client/proto/wire_constants.h"

namespace zk::server {

class DataTree;

inline constexpr std::string_view kQuotaRoot = "/zookeeper/quota";
inline constexpr std::string_view kQuotaLimitNode = "zookeeper_limits";
inline constexpr std::string_view kQuotaStatNode = "zookeeper_stats";

// "/a" -> "/zookeeper/quota/a/zookeeper_limits" and ".../zookeeper_stats".
std::string QuotaLimitPath(std::string_view quota_path);
std::string QuotaStatPath(std::string_view quota_path);

// The quota'd path a node below /zookeeper/quota/ stands for: "/zookeeper/quota/a/b" -> "/a/b".
// nullopt for paths not strictly below "/zookeeper/quota/".
std::optional<std::string_view> QuotaPathOf(std::string_view quota_dir);

// The check ZooKeeper's ZooKeeperServer.checkQuota makes before a create (count_diff 1, the new
// node's data size) or a setData (count_diff 0, new size minus old): against the committed tree's
// limits and stats of the deepest quota'd ancestor-or-self of `path`, a count change that would
// pass the count limit, or a non-zero byte change that would leave bytes over the byte limit,
// (hard limit when one is set, else the soft limit) is reported to `warn` with ZooKeeper's
// message; it fails with kQuotaExceeded when it is a hard limit and `enforce` is set.
// Returns kOk at once when the tree has no quotas.
Err CheckQuota(const DataTree& tree, std::string_view path, int64_t bytes_diff, int64_t count_diff,
               bool enforce, const std::function<void(const std::string&)>& warn);

}  // namespace zk::server
