// Text formats of ZooKeeper's four-letter words (srvr, stat, cons, mntr, wchs/wchc/wchp, dump,
// envi, dirs), byte for byte as Apache ZooKeeper 3.8 prints them (docs/reference-4lw-outputs.md):
// monitoring tools and client libraries parse these texts. Pure functions of plain structs, so
// that the shapes are unit-testable without a server; ServerNode fills the structs
// (four_letter_words.cc). Thread-compatible; JavaDate reads the process's local time zone.
#pragma once

#include "server/version.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace zk::server {

// The ZooKeeper version zabkeeper claims: clients (kazoo's server_version()) parse the part
// before the first '-' to decide which features the server has.
inline constexpr std::string_view kReportedZooKeeperVersion = kVersionString;

// ZooKeeper's Version.getFullVersion(): "<version>, built on <date>".
std::string FullVersion(std::string_view build_date);

// The compiler's __DATE__ ("Jan  2 2025") and __TIME__ ("13:45:07") as "2025-01-02 13:45",
// the shape of ZooKeeper's build date (ours has no time zone: __TIME__ is the build host's
// local time). Returns `date` unchanged if it is not in __DATE__'s format.
std::string BuildDateFromMacros(std::string_view date, std::string_view time);

// Java's Long.toHexString: lower case, no padding, negatives in two's complement.
std::string JavaHex(int64_t value);
// Java's Double.toString for finite values: shortest round-trip digits, at least one decimal
// ("0.0", "2.2917"), scientific ("1.0E7", "1.0E-4") outside [1e-3, 1e7).
std::string JavaDouble(double value);
// ZooKeeper's averages (latency, summary metrics): rounded to 4 decimals, then JavaDouble.
std::string RoundedAverage(double value);
// Java's Date.toString() of a wall-clock time in ms since the epoch, in the local time zone:
// "Mon Nov 23 15:45:16 UTC 2026".
std::string JavaDate(int64_t wall_ms);

// One client connection as `stat` and `cons` show it.
struct ConnectionInfo {
  std::string address;  // remote IP, without port
  uint16_t port = 0;
  bool reading = false;   // interest ops: printed as [1] when reading, else [0]
  uint64_t queued = 0;    // requests received and not yet answered
  uint64_t received = 0;  // packets
  uint64_t sent = 0;
  int64_t session_id = 0;  // 0: no session; `cons` then prints no details
  std::string last_op = "NA";
  int64_t established_ms = 0;  // wall clock
  int32_t timeout_ms = 0;      // negotiated session timeout
  int64_t last_cxid = -1;      // printed only when >= 0
  int64_t last_zxid = -1;
  int64_t last_response_ms = 0;  // ZooKeeper: elapsed-time clock of the last response
  int64_t last_latency_ms = 0;
  int64_t min_latency_ms = 0;
  int64_t avg_latency_ms = 0;  // integer division, as ZooKeeper's connection stats
  int64_t max_latency_ms = 0;
};

// " /127.0.0.1:35174[1](queued=0,recved=12,sent=13[,sid=0x...,...])", no newline. `brief`
// (stat) omits the session details that `cons` prints.
std::string FormatConnectionInfo(const ConnectionInfo& c, bool brief);

// The server-wide figures of srvr and stat.
struct ServerSummary {
  std::string full_version;  // FullVersion(...)
  uint64_t min_latency_ms = 0;
  double avg_latency_ms = 0;
  uint64_t max_latency_ms = 0;
  uint64_t received = 0;
  uint64_t sent = 0;
  uint64_t connections = 0;
  uint64_t outstanding = 0;
  int64_t zxid = 0;
  std::string mode = "standalone";  // standalone, leader, follower, observer, read-only
  uint64_t node_count = 0;
  // Leaders print "Proposal sizes last/min/max: a/b/c" (-1 = none yet).
  bool has_proposal_sizes = false;
  int64_t last_proposal_size = -1, min_proposal_size = -1, max_proposal_size = -1;
};

std::string FormatSrvr(const ServerSummary& s);
std::string FormatStat(const ServerSummary& s, const std::vector<ConnectionInfo>& conns);
std::string FormatCons(const std::vector<ConnectionInfo>& conns);

// The totals of wchs.
struct WatchTotals {
  uint64_t connections = 0;  // watchers (connections) with at least one watch
  uint64_t paths = 0;        // distinct watched paths
  uint64_t watches = 0;      // (watcher, path) pairs
};

// wchs: "<n> connections watching <p> paths\nTotal watches:<t>\n".
std::string FormatWatchSummary(uint64_t connections, uint64_t paths, uint64_t total_watches);
// wchc: per connection its session id, then its paths (TAB-indented); then a blank line.
std::string FormatWatchesByConnection(
    const std::vector<std::pair<int64_t, std::vector<std::string>>>& by_session);
// wchp: per path, the session ids watching it (TAB-indented); then a blank line.
std::string FormatWatchesByPath(
    const std::vector<std::pair<std::string, std::vector<int64_t>>>& by_path);

// mntr: "key<TAB>value\n" lines, values printed as ZooKeeper prints longs, doubles, strings.
// The typed entries are kept too, in order (the AdminServer's monitor command).
class MntrWriter {
 public:
  using Value = std::variant<int64_t, double, std::string>;

  void Add(std::string_view key, int64_t value);
  void AddDouble(std::string_view key, double value);   // JavaDouble
  void AddAverage(std::string_view key, double value);  // RoundedAverage
  void AddText(std::string_view key, std::string_view value);
  const std::string& text() const { return text_; }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }

 private:
  void Append(std::string_view key, std::string_view value);

  std::string text_;
  std::vector<std::pair<std::string, Value>> entries_;
};

// One expiry bucket of ZooKeeper's ExpiryQueue dump.
struct ExpiryBucket {
  int64_t wall_ms = 0;
  std::vector<std::string> members;  // printed TAB-indented, one per line
};

// ExpiryQueue.dump with its prefix ("Session " or "Connections "):
// "<prefix>Sets (<buckets>)/(<members>):\n" then "<n> expire at <JavaDate>:\n" per bucket,
// in the order given.
std::string FormatExpirySets(std::string_view prefix, const std::vector<ExpiryBucket>& buckets);
// DataTree.dumpEphemerals: "Sessions with Ephemerals (<n>):\n", then "0x<sid>:" and its paths.
std::string FormatEphemerals(
    const std::vector<std::pair<int64_t, std::vector<std::string>>>& by_session);

// envi: "Environment:\n" then "key=value\n" lines.
std::string FormatEnvironment(const std::vector<std::pair<std::string, std::string>>& entries);
// dirs: "datadir_size: <n>\nlogdir_size: <n>\n".
std::string FormatDirs(int64_t data_dir_bytes, int64_t log_dir_bytes);
// The reply to a known word that the whitelist does not allow.
std::string FormatNotWhitelisted(std::string_view word);

}  // namespace zk::server
