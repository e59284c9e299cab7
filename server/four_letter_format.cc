#include "server/four_letter_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace zk::server {
namespace {

void AppendInt(std::string* out, int64_t v) { out->append(std::to_string(v)); }
void AppendUint(std::string* out, uint64_t v) { out->append(std::to_string(v)); }

// Java prints scientific notation as "<mantissa>E<exponent>", the mantissa with at least one
// decimal: "1.0E7", "1.2345E-4". `sci` is std::to_chars' "1e+07" / "1.2345e-04".
std::string JavaScientific(std::string_view sci) {
  const size_t e = sci.find('e');
  std::string mantissa(sci.substr(0, e));
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  std::string_view exp = e == std::string_view::npos ? "0" : sci.substr(e + 1);
  bool negative = false;
  if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) {
    negative = exp[0] == '-';
    exp.remove_prefix(1);
  }
  while (exp.size() > 1 && exp[0] == '0') exp.remove_prefix(1);
  return mantissa + "E" + (negative ? "-" : "") + std::string(exp);
}

}  // namespace

std::string FullVersion(std::string_view build_date) {
  return std::string(kReportedZooKeeperVersion) + ", built on " + std::string(build_date);
}

std::string BuildDateFromMacros(std::string_view date, std::string_view time) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // __DATE__ is "Mmm dd yyyy" with the day space-padded.
  if (date.size() != 11) return std::string(date);
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (date.substr(0, 3) == kMonths[i]) month = i + 1;
  }
  const char d0 = date[4] == ' ' ? '0' : date[4];
  if (month == 0) return std::string(date);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*s-%02d-%c%c", 4, date.data() + 7, month, d0, date[5]);
  std::string out = buf;
  if (time.size() >= 5) out += " " + std::string(time.substr(0, 5));
  return out;
}

std::string JavaHex(int64_t value) {
  char buf[17];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<uint64_t>(value), 16);
  (void)ec;
  return std::string(buf, end);
}

std::string JavaDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const double magnitude = std::fabs(value);
  if (magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e7)) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
    (void)ec;
    return JavaScientific(std::string_view(buf, static_cast<size_t>(end - buf)));
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed);
  (void)ec;
  std::string out(buf, end);
  if (out.find('.') == std::string::npos) out += ".0";
  return out;
}

std::string RoundedAverage(double value) {
  return JavaDouble(std::round(value * 10000.0) / 10000.0);
}

std::string JavaDate(int64_t wall_ms) {
  const std::time_t seconds = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S %Z %Y", &tm);
  return std::string(buf, n);
}

std::string FormatConnectionInfo(const ConnectionInfo& c, bool brief) {
  std::string out = " /" + c.address + ":" + std::to_string(c.port);
  out += c.reading ? "[1]" : "[0]";
  out += "(queued=";
  AppendUint(&out, c.queued);
  out += ",recved=";
  AppendUint(&out, c.received);
  out += ",sent=";
  AppendUint(&out, c.sent);
  if (!brief && c.session_id != 0) {
    out += ",sid=0x" + JavaHex(c.session_id);
    out += ",lop=" + c.last_op;
    out += ",est=";
    AppendInt(&out, c.established_ms);
    out += ",to=";
    AppendInt(&out, c.timeout_ms);
    if (c.last_cxid >= 0) out += ",lcxid=0x" + JavaHex(c.last_cxid);
    out += ",lzxid=0x" + JavaHex(c.last_zxid);
    out += ",lresp=";
    AppendInt(&out, c.last_response_ms);
    out += ",llat=";
    AppendInt(&out, c.last_latency_ms);
    out += ",minlat=";
    AppendInt(&out, c.min_latency_ms);
    out += ",avglat=";
    AppendInt(&out, c.avg_latency_ms);
    out += ",maxlat=";
    AppendInt(&out, c.max_latency_ms);
  }
  out += ")";
  return out;
}

namespace {

// ServerStats.toString() plus "Node count" and, on a leader, the proposal sizes.
std::string FormatServerFigures(const ServerSummary& s) {
  std::string out = "Latency min/avg/max: ";
  AppendUint(&out, s.min_latency_ms);
  out += "/" + RoundedAverage(s.avg_latency_ms) + "/";
  AppendUint(&out, s.max_latency_ms);
  out += "\nReceived: ";
  AppendUint(&out, s.received);
  out += "\nSent: ";
  AppendUint(&out, s.sent);
  out += "\nConnections: ";
  AppendUint(&out, s.connections);
  out += "\nOutstanding: ";
  AppendUint(&out, s.outstanding);
  out += "\nZxid: 0x" + JavaHex(s.zxid);
  out += "\nMode: " + s.mode;
  out += "\nNode count: ";
  AppendUint(&out, s.node_count);
  out += "\n";
  if (s.has_proposal_sizes) {
    out += "Proposal sizes last/min/max: " + std::to_string(s.last_proposal_size) + "/" +
           std::to_string(s.min_proposal_size) + "/" + std::to_string(s.max_proposal_size) + "\n";
  }
  return out;
}

}  // namespace

std::string FormatSrvr(const ServerSummary& s) {
  return "Zookeeper version: " + s.full_version + "\n" + FormatServerFigures(s);
}

std::string FormatStat(const ServerSummary& s, const std::vector<ConnectionInfo>& conns) {
  std::string out = "Zookeeper version: " + s.full_version + "\nClients:\n";
  for (const ConnectionInfo& c : conns) out += FormatConnectionInfo(c, /*brief=*/true) + "\n";
  out += "\n";
  return out + FormatServerFigures(s);
}

std::string FormatCons(const std::vector<ConnectionInfo>& conns) {
  std::string out;
  for (const ConnectionInfo& c : conns) out += FormatConnectionInfo(c, /*brief=*/false) + "\n";
  out += "\n";
  return out;
}

std::string FormatWatchSummary(uint64_t connections, uint64_t paths, uint64_t total_watches) {
  return std::to_string(connections) + " connections watching " + std::to_string(paths) +
         " paths\nTotal watches:" + std::to_string(total_watches) + "\n";
}

std::string FormatWatchesByConnection(
    const std::vector<std::pair<int64_t, std::vector<std::string>>>& by_session) {
  std::string out;
  for (const auto& [session_id, paths] : by_session) {
    out += "0x" + JavaHex(session_id) + "\n";
    for (const std::string& path : paths) out += "\t" + path + "\n";
  }
  out += "\n";
  return out;
}

std::string FormatWatchesByPath(
    const std::vector<std::pair<std::string, std::vector<int64_t>>>& by_path) {
  std::string out;
  for (const auto& [path, sessions] : by_path) {
    out += path + "\n";
    for (int64_t session_id : sessions) out += "\t0x" + JavaHex(session_id) + "\n";
  }
  out += "\n";
  return out;
}

void MntrWriter::Add(std::string_view key, int64_t value) {
  Append(key, std::to_string(value));
  entries_.emplace_back(std::string(key), value);
}

void MntrWriter::AddDouble(std::string_view key, double value) {
  Append(key, JavaDouble(value));
  entries_.emplace_back(std::string(key), value);
}

void MntrWriter::AddAverage(std::string_view key, double value) {
  Append(key, RoundedAverage(value));
  entries_.emplace_back(std::string(key), std::round(value * 10000.0) / 10000.0);
}

void MntrWriter::AddText(std::string_view key, std::string_view value) {
  Append(key, value);
  entries_.emplace_back(std::string(key), std::string(value));
}

void MntrWriter::Append(std::string_view key, std::string_view value) {
  text_.append(key);
  text_ += '\t';
  text_.append(value);
  text_ += '\n';
}

std::string FormatExpirySets(std::string_view prefix, const std::vector<ExpiryBucket>& buckets) {
  uint64_t members = 0;
  for (const ExpiryBucket& b : buckets) members += b.members.size();
  std::string out(prefix);
  out += "Sets (" + std::to_string(buckets.size()) + ")/(" + std::to_string(members) + "):\n";
  for (const ExpiryBucket& b : buckets) {
    out += std::to_string(b.members.size()) + " expire at " + JavaDate(b.wall_ms) + ":\n";
    for (const std::string& m : b.members) out += "\t" + m + "\n";
  }
  return out;
}

std::string FormatEphemerals(
    const std::vector<std::pair<int64_t, std::vector<std::string>>>& by_session) {
  std::string out = "Sessions with Ephemerals (" + std::to_string(by_session.size()) + "):\n";
  for (const auto& [session_id, paths] : by_session) {
    out += "0x" + JavaHex(session_id) + ":\n";
    for (const std::string& path : paths) out += "\t" + path + "\n";
  }
  return out;
}

std::string FormatEnvironment(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out = "Environment:\n";
  for (const auto& [key, value] : entries) out += key + "=" + value + "\n";
  return out;
}

std::string FormatDirs(int64_t data_dir_bytes, int64_t log_dir_bytes) {
  return "datadir_size: " + std::to_string(data_dir_bytes) +
         "\nlogdir_size: " + std::to_string(log_dir_bytes) + "\n";
}

std::string FormatNotWhitelisted(std::string_view word) {
  return std::string(word) + " is not executed because it is not in the whitelist.\n";
}

}  // namespace zk::server
