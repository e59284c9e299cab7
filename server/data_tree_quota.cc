// DataTree's quota upkeep: ZooKeeper 3.8's DataTree (createNode/deleteNode/setData's quota
// steps, updateQuotaStat, updateQuotaForPath) on this tree. See server/quota.h.
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/proto/stats_track.h"
#include "server/data_tree.h"
#include "server/path_utils.h"
#include "server/quota.h"

namespace zk::server {

std::optional<std::string_view> DataTree::QuotaPathFor(std::string_view path) const {
  if (quota_paths_.empty()) return std::nullopt;
  // Longest prefix first: the path itself, then each ancestor up to (not including) "/".
  std::string_view p = path;
  while (p.size() > 1) {
    if (auto it = quota_paths_.find(absl::string_view(p.data(), p.size()));
        it != quota_paths_.end()) {
      return std::string_view(*it);
    }
    size_t slash = p.rfind('/');
    if (slash == std::string_view::npos) break;
    p = p.substr(0, slash);
  }
  return std::nullopt;
}

void DataTree::QuotaNodeCreated(std::string_view path) {
  if (!path.starts_with(kQuotaRoot)) return;
  auto quota_path = QuotaPathOf(ParentPath(path));
  if (!quota_path) return;
  std::string_view name = NodeName(path);
  if (name == kQuotaLimitNode) {
    quota_paths_.emplace(*quota_path);
  } else if (name == kQuotaStatNode) {
    RecountQuota(*quota_path);
  }
}

void DataTree::QuotaNodeDeleted(std::string_view path) {
  if (!path.starts_with(kQuotaRoot) || NodeName(path) != kQuotaLimitNode) return;
  if (auto quota_path = QuotaPathOf(ParentPath(path))) {
    quota_paths_.erase(std::string(*quota_path));
  }
}

void DataTree::CountIntoQuota(std::string_view path, int64_t bytes_diff, int64_t count_diff) {
  std::optional<std::string_view> quota_path = QuotaPathFor(path);
  if (!quota_path) return;
  const std::string stat_path = QuotaStatPath(*quota_path);
  const Node* n = Find(stat_path);
  if (!n) return;  // ZooKeeper logs "Missing node for stat" and carries on
  // A record ZooKeeper could not parse would make its apply throw; here it is left as it is.
  auto track = proto::StatsTrack::Parse(DataOf(*n));
  if (!track) return;
  track->Set(proto::StatsTrack::kCount, track->Get(proto::StatsTrack::kCount) + count_diff);
  track->Set(proto::StatsTrack::kBytes, track->Get(proto::StatsTrack::kBytes) + bytes_diff);
  RewriteStats(stat_path, track->ToString());
}

void DataTree::RecountQuota(std::string_view quota_path) {
  int64_t count = 0;
  int64_t bytes = 0;
  if (const Node* top = Find(quota_path)) SubtreeTotals(*top, &count, &bytes);
  proto::StatsTrack track;
  track.Set(proto::StatsTrack::kCount, count);
  track.Set(proto::StatsTrack::kBytes, bytes);
  const std::string stat_path = QuotaStatPath(quota_path);
  if (Find(stat_path)) RewriteStats(stat_path, track.ToString());
}

void DataTree::RewriteStats(const std::string& stat_path, const std::string& data) {
  Node* n = FindMutable(stat_path);
  if (!n) return;
  digest_ -= HashOf(stat_path, *n);
  n = ReplaceData(stat_path, n, data, false);
  digest_ += HashOf(stat_path, *n);
}

}  // namespace zk::server
