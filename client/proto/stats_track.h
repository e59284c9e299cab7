// StatsTrack: the text record ZooKeeper keeps in a quota's zookeeper_limits and zookeeper_stats
// nodes, "count=4,bytes=5" optionally followed by "=" and the 3.7+ keys sorted, each as
// ";key=value" ("count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=10"). The trailing "=" after
// bytes keeps the record readable by pre-3.7 parsers. Shared by the server (which maintains
// the stats) and zkcli (setquota/listquota/delquota). A plain value; no thread-safety concerns.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace zk::proto {

class StatsTrack {
 public:
  static constexpr std::string_view kCount = "count";
  static constexpr std::string_view kBytes = "bytes";
  static constexpr std::string_view kCountHardLimit = "countHardLimit";
  static constexpr std::string_view kByteHardLimit = "byteHardLimit";

  StatsTrack() = default;
  // Parses as ZooKeeper does: pairs separated by runs of ',' and ';', each "key=value" (text
  // after a second '=' ignored, an empty value read as -1). nullopt when ZooKeeper's parser
  // would throw: a pair without a value, or a value that is not a 64-bit decimal number.
  static std::optional<StatsTrack> Parse(std::string_view text);

  int64_t Get(std::string_view key) const;  // -1 when absent.
  void Set(std::string_view key, int64_t value) { values_[std::string(key)] = value; }
  bool Has(std::string_view key) const { return values_.find(key) != values_.end(); }
  const std::map<std::string, int64_t, std::less<>>& values() const { return values_; }
  // count and bytes first (-1 when absent), then, if there are other keys, "=" and each
  // ";key=value" in key order: ZooKeeper's StatsTrack.toString, byte for byte.
  std::string ToString() const;

 private:
  std::map<std::string, int64_t, std::less<>> values_;
};

}  // namespace zk::proto
