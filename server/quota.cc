#include "server/quota.h"

#include "client/proto/stats_track.h"
#include "server/data_tree.h"

namespace zk::server {

std::string QuotaLimitPath(std::string_view quota_path) {
  std::string p(kQuotaRoot);
  p.append(quota_path).append("/").append(kQuotaLimitNode);
  return p;
}

std::string QuotaStatPath(std::string_view quota_path) {
  std::string p(kQuotaRoot);
  p.append(quota_path).append("/").append(kQuotaStatNode);
  return p;
}

std::optional<std::string_view> QuotaPathOf(std::string_view quota_dir) {
  if (quota_dir.size() <= kQuotaRoot.size() + 1 || !quota_dir.starts_with(kQuotaRoot) ||
      quota_dir[kQuotaRoot.size()] != '/') {
    return std::nullopt;
  }
  return quota_dir.substr(kQuotaRoot.size());
}

namespace {

std::optional<proto::StatsTrack> ReadTrack(const DataTree& tree, const std::string& path) {
  const DataTree::Node* n = tree.Find(path);
  if (!n) return std::nullopt;
  return proto::StatsTrack::Parse(tree.DataOf(*n));
}

// One dimension (count or bytes): true when the write must fail.
bool OverLimit(std::string_view quota_path, std::string_view what, int64_t updated, int64_t soft,
               int64_t hard, bool enforce, const std::function<void(const std::string&)>& warn) {
  const bool is_hard = hard > -1;
  const int64_t limit = is_hard ? hard : soft;
  if (updated <= limit) return false;
  if (warn) {
    std::string kind(what == "count" ? "CountLimit=" : "ByteLimit=");
    warn("Quota exceeded: " + std::string(quota_path) + " [current " + std::string(what) + "=" +
         std::to_string(updated) + ", " + (is_hard ? "hard" : "soft") + kind +
         std::to_string(limit) + "]");
  }
  return is_hard && enforce;
}

}  // namespace

Err CheckQuota(const DataTree& tree, std::string_view path, int64_t bytes_diff, int64_t count_diff,
               bool enforce, const std::function<void(const std::string&)>& warn) {
  std::optional<std::string_view> quota_path = tree.QuotaPathFor(path);
  if (!quota_path) return Err::kOk;
  auto limits = ReadTrack(tree, QuotaLimitPath(*quota_path));
  if (!limits) return Err::kOk;
  using T = proto::StatsTrack;
  const bool check_count =
      count_diff != 0 && (limits->Get(T::kCount) > -1 || limits->Get(T::kCountHardLimit) > -1);
  const bool check_bytes =
      bytes_diff != 0 && (limits->Get(T::kBytes) > -1 || limits->Get(T::kByteHardLimit) > -1);
  if (!check_count && !check_bytes) return Err::kOk;
  auto stats = ReadTrack(tree, QuotaStatPath(*quota_path));
  if (!stats) return Err::kOk;
  if (check_count &&
      OverLimit(*quota_path, "count", stats->Get(T::kCount) + count_diff, limits->Get(T::kCount),
                limits->Get(T::kCountHardLimit), enforce, warn)) {
    return Err::kQuotaExceeded;
  }
  if (check_bytes &&
      OverLimit(*quota_path, "bytes", stats->Get(T::kBytes) + bytes_diff, limits->Get(T::kBytes),
                limits->Get(T::kByteHardLimit), enforce, warn)) {
    return Err::kQuotaExceeded;
  }
  return Err::kOk;
}

}  // namespace zk::server
