#include "server/config.h"
#include "server/reconfig.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>


namespace zk::server {

using zab::Status;

namespace {

// clang-format off
// Keys Apache ZooKeeper knows that zabkeeper accepts without acting on them (logged at info).
constexpr auto kNoEffectKeys = std::to_array<std::string_view>({
    "admin.portUnification", "admin.snapshot.enabled", "admin.restore.enabled",
    "admin.rateLimiterIntervalInMS",
    "audit.enable", "preAllocSize", "forceSync", "syncEnabled",
    "localSessionsEnabled", "localSessionsUpgradingEnabled",
    "snapshot.compression.method", "snapSizeLimitInKb", "txnLogSizeLimitInKb",
    "commitLogCount", "digest.enabled", "tcpKeepAlive",
    "clientTcpKeepAlive", "electionPortBindRetry", "cnxTimeout", "connectToLearnerMasterLimit",
    "maxConcurrentSnapSyncs", "maxConcurrentDiffSyncs", "observerMasterPort", "serverCnxnFactory",
    "requestThrottleLimit", "requestThrottleStallTime", "requestThrottleDropStale",
    "throttledOpWaitTime", "watchManagerName", "watcherCleanThreadsNum",
    "watcherCleanIntervalInSeconds", "watcherCleanThreshold", "maxResponseCacheSize",
    "maxGetChildrenResponseCacheSize", "enableEagerACLCheck", "skipACL",
    "fastleader.minNotificationInterval", "fastleader.maxNotificationInterval", "leaderServes",
    "connectionMaxTokens", "connectionTokenFillTime", "connectionTokenFillCount",
    "connectionFreezeTime", "connectionDropIncrease", "connectionDropDecrease",
    "connectionDecreaseRatio", "largeRequestMaxBytes", "largeRequestThreshold",
    "outstandingHandshake.limit",
    "snapshot.trust.empty", "jute.maxbuffer.extrasize", "serializeLastProcessedZxid.enabled",
    "flushDelay",
});

// Prefixes of ZooKeeper key families accepted without effect (logged at info).
constexpr auto kNoEffectPrefixes = std::to_array<std::string_view>({
    "admin.", "metricsProvider.", "ssl.", "authProvider.", "observer.", "learner.",
});

// ZooKeeper features zabkeeper does not implement: accepted with a warning, because ignoring
// them changes what the ensemble does compared with Apache ZooKeeper.
constexpr auto kUnsupportedKeys = std::to_array<std::string_view>({
    "multiAddress.enabled",
});
constexpr auto kUnsupportedPrefixes =
    std::to_array<std::string_view>({"group.", "weight.", "quorum.auth."});
// clang-format on

bool HasPrefixIn(std::string_view key, const auto& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [key](std::string_view p) { return key.starts_with(p); });
}

bool Contains(const auto& table, std::string_view key) {
  return std::find(table.begin(), table.end(), key) != table.end();
}

std::string_view Trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

Status Invalid(std::string_view key, std::string_view value, std::string_view why) {
  return Status::InvalidArgument("invalid value \"" + std::string(value) + "\" for " +
                                 std::string(key) + ": " + std::string(why));
}

// Appends the UTF-8 encoding of `cp` (a BMP code point from a \uXXXX escape).
void AppendUtf8(std::string* out, unsigned cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Java Properties' escape processing: \t \n \r \f, \uXXXX, and `\x` -> `x` for any other x.
bool Unescape(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\' || i + 1 == in.size()) {
      out->push_back(in[i]);
      continue;
    }
    const char c = in[++i];
    switch (c) {
      case 't':
        out->push_back('\t');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'u': {
        unsigned cp = 0;
        if (i + 5 > in.size()) return false;
        const char* first = in.data() + i + 1;
        auto [p, ec] = std::from_chars(first, first + 4, cp, 16);
        if (ec != std::errc() || p != first + 4) return false;
        AppendUtf8(out, cp);
        i += 4;
        break;
      }
      default:
        out->push_back(c);
        break;
    }
  }
  return true;
}

// Splits `text` into the logical lines of Java Properties: comment and blank lines dropped, a
// line ending in an odd number of backslashes joined with the next one (whose leading
// whitespace is dropped). Each entry keeps the number of its first physical line.
std::vector<std::pair<int, std::string>> LogicalLines(std::string_view text) {
  std::vector<std::pair<int, std::string>> lines;
  std::string current;
  int current_start = 0;
  bool continuing = false;
  int line_no = 0;
  while (!text.empty() || continuing) {
    size_t eol = text.find('\n');
    std::string_view physical = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    if (!physical.empty() && physical.back() == '\r') physical.remove_suffix(1);
    std::string_view stripped = Trim(physical);
    if (!continuing) {
      if (stripped.empty() || stripped.front() == '#' || stripped.front() == '!') {
        if (text.empty()) break;
        continue;
      }
      current.clear();
      current_start = line_no;
    }
    // Leading whitespace is never part of a key or of a continued value.
    while (!physical.empty() &&
           (physical.front() == ' ' || physical.front() == '\t' || physical.front() == '\f')) {
      physical.remove_prefix(1);
    }
    size_t backslashes = 0;
    while (backslashes < physical.size() && physical[physical.size() - 1 - backslashes] == '\\') {
      ++backslashes;
    }
    continuing = backslashes % 2 == 1;
    if (continuing) physical.remove_suffix(1);
    current.append(physical);
    if (!continuing || text.empty()) {
      lines.emplace_back(current_start, current);
      continuing = false;
      if (text.empty()) break;
    }
  }
  return lines;
}

// Integer.decode-like parsing: optional sign, decimal or 0x/0X/# hex. No exceptions.
bool ParseInt64(std::string_view s, int64_t* out) {
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '#') {
    base = 16;
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '-' || s.front() == '+') return false;
  uint64_t magnitude = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  if (ec != std::errc() || p != s.data() + s.size()) return false;
  if (negative) {
    if (magnitude > uint64_t{1} << 63) return false;
    *out = magnitude == uint64_t{1} << 63 ? INT64_MIN : -static_cast<int64_t>(magnitude);
  } else {
    if (magnitude > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(magnitude);
  }
  return true;
}

// Parses an int in [min, max] into *out, or returns the error naming key and value.
Status ParseIntIn(std::string_view key, std::string_view value, int64_t min, int64_t max,
                  int* out) {
  int64_t v = 0;
  if (!ParseInt64(value, &v)) return Invalid(key, value, "not an integer");
  if (v < min || v > max) {
    if (max == INT32_MAX) {
      return Invalid(key, value, v < min ? "must be at least " + std::to_string(min) : "too large");
    }
    return Invalid(key, value,
                   "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  *out = static_cast<int>(v);
  return Status::OK();
}

Status ParsePort(std::string_view key, std::string_view value, int min, int* out) {
  return ParseIntIn(key, value, min, 65535, out);
}

Status ParseBool(std::string_view key, std::string_view value, bool* out) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true") {
    *out = true;
  } else if (lower == "false") {
    *out = false;
  } else {
    return Invalid(key, value, "not a boolean (true or false)");
  }
  return Status::OK();
}

// Splits "host:port[:...]" where host may be a bracketed IPv6 literal; returns false on an
// unterminated bracket.
bool SplitHostAndPorts(std::string_view s, std::vector<std::string_view>* parts) {
  parts->clear();
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    parts->push_back(s.substr(1, close - 1));
    s.remove_prefix(close + 1);
    if (s.empty()) return true;
    if (s.front() != ':') return false;
    s.remove_prefix(1);
  }
  while (true) {
    size_t colon = s.find(':');
    parts->push_back(s.substr(0, colon));
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
  }
  return true;
}

}  // namespace

Status ParseServerSpec(std::string_view key, std::string_view value, ServerAddress* out) {
  const auto malformed = [&](std::string_view why) { return Invalid(key, value, why); };
  std::string_view server_part = value;
  std::optional<std::string_view> client_part;
  if (size_t semi = value.find(';'); semi != std::string_view::npos) {
    server_part = Trim(value.substr(0, semi));
    client_part = Trim(value.substr(semi + 1));
    if (client_part->find(';') != std::string_view::npos) {
      return malformed("more than one ';' (expected host:port:port[:type][;[addr:]port])");
    }
  }
  if (server_part.find('|') != std::string_view::npos) {
    return malformed("multiple addresses (multiAddress) are not supported");
  }
  std::vector<std::string_view> parts;
  if (!SplitHostAndPorts(server_part, &parts) || parts.size() < 3 || parts.size() > 4) {
    return malformed("expected host:quorumPort:electionPort[:participant|:observer]");
  }
  if (parts[0].empty()) return malformed("empty host");
  out->host = std::string(parts[0]);
  if (Status e = ParsePort(key, parts[1], 1, &out->quorum_port); !e.ok()) {
    return malformed("bad quorum port \"" + std::string(parts[1]) + "\"");
  }
  if (Status e = ParsePort(key, parts[2], 1, &out->election_port); !e.ok()) {
    return malformed("bad election port \"" + std::string(parts[2]) + "\"");
  }
  out->observer = false;
  if (parts.size() == 4) {
    if (parts[3] == "observer") {
      out->observer = true;
    } else if (parts[3] != "participant") {
      return malformed("unknown peer type \"" + std::string(parts[3]) +
                       "\" (participant or observer)");
    }
  }
  out->client_address.reset();
  out->client_port.reset();
  if (client_part) {
    std::vector<std::string_view> cparts;
    if (!SplitHostAndPorts(*client_part, &cparts) || cparts.empty() || cparts.size() > 2) {
      return malformed("bad client part (expected [address:]port)");
    }
    std::string_view port = cparts.back();
    if (cparts.size() == 2) {
      if (cparts[0].empty()) return malformed("empty client address");
      out->client_address = std::string(cparts[0]);
    }
    int p = 0;
    if (!ParsePort(key, port, 0, &p).ok()) {
      return malformed("bad client port \"" + std::string(port) + "\"");
    }
    out->client_port = p;
  }
  return Status::OK();
}

namespace {

Status ParseServerLine(std::string_view key, std::string_view value, ServerAddress* out) {
  return ParseServerSpec(key, value, out);
}

std::string HostForPrint(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

void Warn(std::vector<std::string>* warnings, std::string message) {
  if (warnings != nullptr) {
    warnings->push_back(std::move(message));
  } else {
    spdlog::warn("config: {}", message);
  }
}

// --- TLS ---
std::vector<std::string> SplitList(std::string_view value) {
  std::vector<std::string> out;
  while (true) {
    size_t comma = value.find(',');
    std::string_view item = Trim(value.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

bool IsTlsProtocol(std::string_view p) {
  return p == "TLS" || p == "TLSv1.2" || p == "TLSv1.3";
}

// Applies one ssl.<name> or ssl.quorum.<name> key (`name` without the prefix). Returns
// std::nullopt when `name` is not a TLS key zabkeeper acts on.
std::optional<Status> ApplyTlsKey(std::string_view key, std::string_view name,
                                  std::string_view value, TlsOptions* tls,
                                  std::vector<std::string>* warnings) {
  if (name == "keyStore.location") {
    tls->key_store_location = std::string(value);
    return Status::OK();
  }
  if (name == "keyStore.password") {
    tls->key_store_password = std::string(value);
    return Status::OK();
  }
  if (name == "trustStore.location") {
    tls->trust_store_location = std::string(value);
    return Status::OK();
  }
  if (name == "keyStore.type" || name == "trustStore.type") {
    std::string upper(value);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (!upper.empty() && upper != "PEM") {
      return Invalid(key, value, "only PEM stores are supported");
    }
    return Status::OK();
  }
  if (name == "trustStore.password") return Status::OK();  // a PEM bundle has no password
  if (name == "clientAuth") {
    std::string lower(value);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "none") {
      tls->client_auth = TlsClientAuth::kNone;
    } else if (lower == "want") {
      tls->client_auth = TlsClientAuth::kWant;
    } else if (lower == "need" || lower.empty()) {
      tls->client_auth = TlsClientAuth::kNeed;
    } else {
      return Invalid(key, value, "expected none, want or need");
    }
    return Status::OK();
  }
  if (name == "protocol") {
    if (!IsTlsProtocol(value)) return Invalid(key, value, "expected TLSv1.2, TLSv1.3 or TLS");
    tls->protocol = std::string(value);
    return Status::OK();
  }
  if (name == "enabledProtocols") {
    tls->enabled_protocols = SplitList(value);
    for (const auto& p : tls->enabled_protocols) {
      if (p != "TLSv1.2" && p != "TLSv1.3") {
        return Invalid(key, value, "protocols must be TLSv1.2 and/or TLSv1.3");
      }
    }
    return Status::OK();
  }
  if (name == "ciphersuites") {
    tls->cipher_suites = SplitList(value);
    return Status::OK();
  }
  if (name == "hostnameVerification") return ParseBool(key, value, &tls->hostname_verification);
  if (name == "crl" || name == "ocsp") {
    bool on = false;
    if (Status e = ParseBool(key, value, &on); !e.ok()) return e;
    if (on) Warn(warnings, "key " + std::string(key) + "=true is not supported; ignored");
    return Status::OK();
  }
  return std::nullopt;
}

// Applies one key=value to *config. Returns an error for a bad value.
Status ApplyKey(std::string_view key, std::string_view value, ServerConfig* config,
                std::vector<std::string>* warnings) {
  // ZooKeeper hands unknown zoo.cfg keys to Java system properties as "zookeeper.<key>", so
  // both spellings of those settings are in use; accept either for every key.
  const std::string_view name = key.starts_with("zookeeper.") ? key.substr(10) : key;
  constexpr int64_t kMaxInt = INT32_MAX;

  if (name == "tickTime") return ParseIntIn(key, value, 1, kMaxInt, &config->tick_time_ms);
  if (name == "initLimit") return ParseIntIn(key, value, 1, kMaxInt, &config->init_limit);
  if (name == "syncLimit") return ParseIntIn(key, value, 1, kMaxInt, &config->sync_limit);
  if (name == "dataDir" || name == "dataLogDir") {
    if (value.empty()) return Invalid(key, value, "empty path");
    (name == "dataDir" ? config->data_dir : config->data_log_dir) = std::string(value);
    return Status::OK();
  }
  if (name == "clientPort") {
    config->client_port_set = true;
    return ParsePort(key, value, 0, &config->client_port);
  }
  if (name == "clientPortAddress") {
    config->client_port_address = std::string(value);
    return Status::OK();
  }
  if (name == "clientPortListenBacklog") {
    return ParseIntIn(key, value, -1, kMaxInt, &config->client_port_listen_backlog);
  }
  if (name == "maxClientCnxns")
    return ParseIntIn(key, value, 0, kMaxInt, &config->max_client_cnxns);
  if (name == "maxCnxns") return ParseIntIn(key, value, 0, kMaxInt, &config->max_cnxns);
  if (name == "minSessionTimeout") {
    return ParseIntIn(key, value, -1, kMaxInt, &config->min_session_timeout_ms);
  }
  if (name == "maxSessionTimeout") {
    return ParseIntIn(key, value, -1, kMaxInt, &config->max_session_timeout_ms);
  }
  if (name == "snapCount") {
    if (Status e = ParseIntIn(key, value, INT32_MIN, kMaxInt, &config->snap_count); !e.ok())
      return e;
    if (config->snap_count < 2) {
      Warn(warnings, "snapCount " + std::string(value) + " is too low; using 2");
      config->snap_count = 2;
    }
    return Status::OK();
  }
  if (name == "autopurge.snapRetainCount") {
    int v = 0;
    if (Status e = ParseIntIn(key, value, INT32_MIN, kMaxInt, &v); !e.ok()) return e;
    if (v < 3) {
      Warn(warnings,
           "autopurge.snapRetainCount " + std::string(value) + " is below the minimum; using 3");
      v = 3;
    }
    config->autopurge_snap_retain_count = v;
    return Status::OK();
  }
  if (name == "autopurge.purgeInterval") {
    int v = 0;
    if (Status e = ParseIntIn(key, value, INT32_MIN, kMaxInt, &v); !e.ok()) return e;
    if (v < 0) {
      Warn(warnings, "autopurge.purgeInterval " + std::string(value) + " is negative; purge off");
      v = 0;
    }
    config->autopurge_purge_interval_hours = v;
    return Status::OK();
  }
  if (name == "4lw.commands.whitelist") {
    config->four_letter_whitelist.clear();
    std::string_view rest = value;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view word = Trim(rest.substr(0, comma));
      if (word == "*") {
        config->four_letter_whitelist = {"*"};
        break;
      }
      if (!word.empty()) config->four_letter_whitelist.insert(std::string(word));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return Status::OK();  // "srvr" (and "isro") are added after all keys are read.
  }
  if (name == "jute.maxbuffer") return ParseIntIn(key, value, 1, kMaxInt, &config->jute_max_buffer);
  if (name == "DigestAuthenticationProvider.superDigest") {
    size_t colon = value.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == value.size()) {
      return Invalid(key, value, "expected user:base64(sha1(user:password))");
    }
    config->super_digest = std::string(value);
    return Status::OK();
  }
  if (name == "extendedTypesEnabled") return ParseBool(key, value, &config->extended_types_enabled);
  if (name == "dynamicConfigFile") {
    config->dynamic_config_file = std::string(value);
    return Status::OK();
  }
  if (name == "reconfigEnabled") return ParseBool(key, value, &config->reconfig_enabled);
  if (name == "standaloneEnabled") return ParseBool(key, value, &config->standalone_enabled);
  if (name == "quorumListenOnAllIPs") {
    return ParseBool(key, value, &config->quorum_listen_on_all_ips);
  }
  if (name == "readonlymode.enabled") return ParseBool(key, value, &config->read_only_mode);
  if (name == "globalOutstandingLimit") {
    return ParseIntIn(key, value, 1, kMaxInt, &config->global_outstanding_limit);
  }
  if (name == "electionAlg") {
    if (Status e = ParseIntIn(key, value, 3, 3, &config->election_alg); !e.ok()) {
      return Invalid(key, value, "only 3 (FastLeaderElection) is supported");
    }
    return Status::OK();
  }
  if (name == "peerType") {
    if (value == "observer") {
      config->peer_type = PeerType::kObserver;
    } else if (value == "participant") {
      config->peer_type = PeerType::kParticipant;
    } else {
      return Invalid(key, value, "not a peer type (participant or observer)");
    }
    return Status::OK();
  }
  if (name.starts_with("server.")) {
    std::string_view id_text = name.substr(7);
    int64_t id = 0;
    if (!ParseInt64(id_text, &id) || id_text.starts_with("0x") || id_text.starts_with("#") ||
        id < 0) {
      return Status::InvalidArgument("invalid server id \"" + std::string(id_text) + "\" in " +
                                     std::string(key) + ": not a non-negative integer");
    }
    ServerAddress address;
    if (Status e = ParseServerLine(key, value, &address); !e.ok()) return e;
    config->servers[id] = std::move(address);
    return Status::OK();
  }
  if (name == "znode.container.checkIntervalMs") {
    return ParseIntIn(key, value, 1, kMaxInt, &config->container_check_interval_ms);
  }
  if (name == "znode.container.maxPerMinute") {
    return ParseIntIn(key, value, 1, kMaxInt, &config->container_max_per_minute);
  }
  if (name == "znode.container.maxNeverUsedIntervalMs") {
    return ParseIntIn(key, value, 0, kMaxInt, &config->container_max_never_used_interval_ms);
  }
  // --- AdminServer ---
  if (name == "admin.enableServer") return ParseBool(key, value, &config->admin.enabled);
  if (name == "admin.serverAddress") {
    if (value.empty()) return Invalid(key, value, "empty address");
    config->admin.address = std::string(value);
    return Status::OK();
  }
  if (name == "admin.serverPort") return ParsePort(key, value, 0, &config->admin.port);
  if (name == "admin.commandURL") {
    if (!value.starts_with("/")) return Invalid(key, value, "must start with /");
    config->admin.command_url = std::string(value);
    while (config->admin.command_url.size() > 1 && config->admin.command_url.ends_with("/")) {
      config->admin.command_url.pop_back();
    }
    return Status::OK();
  }
  if (name == "admin.idleTimeout") {
    return ParseIntIn(key, value, 1, kMaxInt, &config->admin.idle_timeout_ms);
  }
  if (name == "admin.forceHttps") return ParseBool(key, value, &config->admin.force_https);
  if (name == "admin.needClientAuth") return ParseBool(key, value, &config->admin.need_client_auth);

  // --- Quotas ---
  if (name == "enforceQuota") return ParseBool(key, value, &config->enforce_quota);

  if (name == "test.maxZxidCounter") {
    int64_t v = 0;
    if (!ParseInt64(value, &v) || v < 1 || v > 0xffffffffLL) {
      return Invalid(key, value, "must be between 1 and 4294967295");
    }
    config->test_max_zxid_counter = v;
    return Status::OK();
  }
  if (name == "test.peerMaxQueuedBytes") {
    int64_t v = 0;
    if (!ParseInt64(value, &v) || v < (int64_t{1} << 20) || v > (int64_t{1} << 40)) {
      return Invalid(key, value, "must be between 1048576 and 1099511627776");
    }
    config->test_peer_max_queued_bytes = v;
    return Status::OK();
  }
  // --- SASL authentication (docs/security.md, "SASL") ---
  if (name.starts_with("authProvider.") &&
      value == "org.apache.zookeeper.server.auth.SASLAuthenticationProvider") {
    config->sasl_auth_provider = true;
    return Status::OK();
  }
  if (key == "java.security.auth.login.config") {
    config->jaas_login_config = std::string(value);
    return Status::OK();
  }
  if (name == "sasl.serverconfig") {
    if (value.empty()) return Invalid(key, value, "empty JAAS section name");
    config->sasl_login_section = std::string(value);
    return Status::OK();
  }
  if (name == "superUser") {
    config->sasl_super_user = std::string(value);
    return Status::OK();
  }
  if (name == "sessionRequireClientSASLAuth") {
    return ParseBool(key, value, &config->session_require_client_sasl_auth);
  }
  if (name == "enforce.auth.enabled") return ParseBool(key, value, &config->enforce_auth_enabled);
  if (name == "enforce.auth.schemes") {
    config->enforce_auth_schemes.clear();
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view scheme = Trim(rest.substr(0, comma));
      if (!scheme.empty()) config->enforce_auth_schemes.emplace(scheme);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return Status::OK();
  }

  if (name == "fsync.warningthresholdms") {
    return ParseIntIn(key, value, 0, kMaxInt, &config->fsync_warning_threshold_ms);
  }
  if (name == "snapshot.compression") {
    return ParseIntIn(key, value, -22, 22, &config->snapshot_compression_level);
  }
  if (name == "memory.hugePages") return ParseBool(key, value, &config->huge_pages);
  if (name == "digest.onMismatch") {
    if (value != "log" && value != "stopServing") {
      return Invalid(key, value, "expected log or stopServing");
    }
    config->digest_stop_on_mismatch = value == "stopServing";
    return Status::OK();
  }
  if (name == "test.divergeOnPath") {
    config->test_diverge_path = std::string(value);
    return Status::OK();
  }
  if (name == "node.seed") {
    int64_t v = 0;
    if (!ParseInt64(value, &v) || v < 0) return Invalid(key, value, "must be a non-negative integer");
    config->node_seed = static_cast<uint64_t>(v);
    return Status::OK();
  }

  // --- Metrics ---
  if (name == "metricsProvider.className") {
    if (value == "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider") {
      config->metrics_provider_enabled = true;
    } else if (value.empty() ||
               value == "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider") {
      config->metrics_provider_enabled = false;
    } else {
      return Invalid(key, value,
                     "the only metrics provider is "
                     "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider");
    }
    return Status::OK();
  }
  if (name == "metricsProvider.httpHost") {
    if (value.empty()) return Invalid(key, value, "empty host");
    config->metrics_http_host = std::string(value);
    return Status::OK();
  }
  if (name == "metricsProvider.httpPort") {
    return ParsePort(key, value, 0, &config->metrics_http_port);
  }
  if (name == "metricsProvider.exportJvmInfo") {
    bool on = false;
    if (Status e = ParseBool(key, value, &on); !e.ok()) return e;
    spdlog::info("config: {}={}: there is no JVM to describe; ignored", key, value);
    return Status::OK();
  }

  // --- TLS ---
  if (name == "secureClientPort") return ParsePort(key, value, 0, &config->secure_client_port);
  if (name == "secureClientPortAddress") {
    config->secure_client_port_address = std::string(value);
    return Status::OK();
  }
  if (name == "client.portUnification") return ParseBool(key, value, &config->port_unification);
  if (name == "client.certReload") return ParseBool(key, value, &config->client_tls.reload);
  if (name == "sslQuorum") return ParseBool(key, value, &config->ssl_quorum);
  if (name == "sslQuorumReloadCertFiles") return ParseBool(key, value, &config->quorum_tls.reload);
  if (name == "X509AuthenticationProvider.superUser") {
    config->x509_super_user = std::string(value);
    return Status::OK();
  }
  if (name.starts_with("ssl.quorum.")) {
    if (auto s = ApplyTlsKey(key, name.substr(11), value, &config->quorum_tls, warnings)) return *s;
  } else if (name.starts_with("ssl.")) {
    if (auto s = ApplyTlsKey(key, name.substr(4), value, &config->client_tls, warnings)) return *s;
  }

  if (Contains(kUnsupportedKeys, name) || HasPrefixIn(name, kUnsupportedPrefixes)) {
    Warn(warnings, "key " + std::string(key) + " is not supported by zabkeeper; ignored");
    return Status::OK();
  }
  if (Contains(kNoEffectKeys, name) || HasPrefixIn(name, kNoEffectPrefixes)) {
    spdlog::info("config: {} is a ZooKeeper setting with no effect in zabkeeper; ignored", key);
    return Status::OK();
  }
  Warn(warnings, "unknown key " + std::string(key) + "; ignored");
  return Status::OK();
}

}  // namespace

std::string ServerAddress::ToString() const {
  std::string s = HostForPrint(host) + ":" + std::to_string(quorum_port) + ":" +
                  std::to_string(election_port) + (observer ? ":observer" : ":participant");
  if (client_port) {
    s +=
        ";" + HostForPrint(client_address.value_or("0.0.0.0")) + ":" + std::to_string(*client_port);
  }
  return s;
}

bool ServerConfig::IsDistributed() const {
  if (servers.empty()) return false;
  if (!standalone_enabled) return true;
  return std::count_if(servers.begin(), servers.end(),
                       [](const auto& s) { return !s.second.observer; }) > 1;
}

bool ServerConfig::IsFourLetterWordAllowed(std::string_view word) const {
  if (four_letter_whitelist.contains("*")) return true;
  return four_letter_whitelist.contains(std::string(word));
}

std::string ServerConfig::ToConfString(int64_t data_dir_size, int64_t data_log_size,
                                       std::string_view membership) const {
  std::ostringstream out;
  out << "clientPort=" << client_port << "\n"
      << "secureClientPort=" << secure_client_port << "\n"
      << "dataDir=" << data_dir << "\n"
      << "dataDirSize=" << data_dir_size << "\n"
      << "dataLogDir=" << data_log_dir << "\n"
      << "dataLogSize=" << data_log_size << "\n"
      << "tickTime=" << tick_time_ms << "\n"
      << "maxClientCnxns=" << max_client_cnxns << "\n"
      << "minSessionTimeout=" << MinSessionTimeoutMs() << "\n"
      << "maxSessionTimeout=" << MaxSessionTimeoutMs() << "\n"
      << "clientPortListenBacklog=" << client_port_listen_backlog << "\n"
      << "serverId=" << (IsDistributed() ? server_id : 0) << "\n";
  if (!IsDistributed()) return out.str();
  const auto self = servers.find(server_id);
  const bool observer =
      self != servers.end() ? self->second.observer : peer_type == PeerType::kObserver;
  out << "initLimit=" << init_limit << "\n"
      << "syncLimit=" << sync_limit << "\n"
      << "electionAlg=" << election_alg << "\n"
      << "electionPort=" << (self != servers.end() ? self->second.election_port : -1) << "\n"
      << "quorumPort=" << (self != servers.end() ? self->second.quorum_port : -1) << "\n"
      << "peerType=" << (observer ? 1 : 0) << "\n"
      << "membership: \n";
  if (!membership.empty()) {
    out << membership;
    return out.str();
  }
  for (const auto& [id, address] : servers) {
    out << "server." << id << "=" << address.ToString() << "\n";
  }
  // The quorum verifier's text ends with the configuration version, in hex, and no newline.
  out << "version=0";
  return out.str();
}

zab::Result<ServerConfig> ParseConfigText(std::string_view text,
                                          std::vector<std::string>* warnings) {
  return ParseConfigTextOnto(text, ServerConfig{}, warnings);
}

std::set<std::string> ServerConfig::EnforcedAuthSchemes() const {
  if (enforce_auth_enabled) return enforce_auth_schemes;
  if (session_require_client_sasl_auth) return {"sasl"};
  return {};
}

Status ApplyJvmFlags(std::string_view flags, ServerConfig* config,
                     std::vector<std::string>* warnings) {
  size_t i = 0;
  while (i < flags.size()) {
    while (i < flags.size() && std::isspace(static_cast<unsigned char>(flags[i]))) ++i;
    size_t start = i;
    while (i < flags.size() && !std::isspace(static_cast<unsigned char>(flags[i]))) ++i;
    std::string_view flag = flags.substr(start, i - start);
    if (!flag.starts_with("-D")) continue;
    size_t eq = flag.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = flag.substr(2, eq - 2);
    std::string_view value = flag.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    const bool sasl_key =
        name == "java.security.auth.login.config" ||
        (name.starts_with("zookeeper.") &&
         (name.substr(10).starts_with("authProvider.") || name == "zookeeper.sasl.serverconfig" ||
          name == "zookeeper.superUser" || name == "zookeeper.sessionRequireClientSASLAuth" ||
          name == "zookeeper.enforce.auth.enabled" || name == "zookeeper.enforce.auth.schemes"));
    if (!sasl_key) continue;
    if (Status s = ApplyKey(name, value, config, warnings); !s.ok()) {
      return Status::InvalidArgument("JVM flag " + std::string(flag) + ": " + s.message());
    }
  }
  return Status::OK();
}

zab::Result<ServerConfig> ParseConfigTextOnto(std::string_view text, ServerConfig base,
                                              std::vector<std::string>* warnings) {
  ServerConfig config = std::move(base);
  for (const auto& [line_no, line] : LogicalLines(text)) {
    // Only '=' separates key and value here (Java Properties also accepts ':' and whitespace,
    // which ZooKeeper configs never use; server lines contain ':' in their values).
    size_t eq = std::string::npos;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\') {
        ++i;
      } else if (line[i] == '=') {
        eq = i;
        break;
      }
    }
    if (eq == std::string::npos) {
      return Status::InvalidArgument("line " + std::to_string(line_no) + ": \"" + line +
                                     "\" is not of the form key=value");
    }
    std::string key;
    std::string value;
    if (!Unescape(Trim(std::string_view(line).substr(0, eq)), &key) ||
        !Unescape(Trim(std::string_view(line).substr(eq + 1)), &value)) {
      return Status::InvalidArgument("line " + std::to_string(line_no) +
                                     ": malformed \\uXXXX escape");
    }
    key = std::string(Trim(key));
    value = std::string(Trim(value));
    if (key.empty()) {
      return Status::InvalidArgument("line " + std::to_string(line_no) + ": empty key");
    }
    if (Status e = ApplyKey(key, value, &config, warnings); !e.ok()) return e;
  }

  if (config.data_dir.empty()) return Status::InvalidArgument("dataDir is not set");
  if (config.data_log_dir.empty()) config.data_log_dir = config.data_dir;
  if (config.enforce_auth_enabled && config.enforce_auth_schemes.empty()) {
    return Status::InvalidArgument(
        "enforce.auth.enabled=true needs enforce.auth.schemes (for example sasl)");
  }
  if (config.MinSessionTimeoutMs() > config.MaxSessionTimeoutMs()) {
    return Status::InvalidArgument("minSessionTimeout (" +
                                   std::to_string(config.MinSessionTimeoutMs()) +
                                   ") must not be larger than maxSessionTimeout (" +
                                   std::to_string(config.MaxSessionTimeoutMs()) + ")");
  }
  // As ZooKeeper's FourLetterCommands: zkServer.sh relies on srvr, read-only clients on isro.
  if (!config.four_letter_whitelist.contains("*")) {
    config.four_letter_whitelist.insert("srvr");
    if (config.read_only_mode) config.four_letter_whitelist.insert("isro");
  }
  // --- TLS ---
  const bool client_tls = config.secure_client_port >= 0 || config.port_unification;
  if (client_tls && config.client_tls.key_store_location.empty()) {
    return Status::InvalidArgument(
        "secureClientPort or client.portUnification needs ssl.keyStore.location");
  }
  if (config.ssl_quorum && config.quorum_tls.key_store_location.empty()) {
    return Status::InvalidArgument("sslQuorum=true needs ssl.quorum.keyStore.location");
  }
  if (config.ssl_quorum && config.quorum_tls.trust_store_location.empty()) {
    return Status::InvalidArgument("sslQuorum=true needs ssl.quorum.trustStore.location");
  }
  return config;
}

zab::Result<ServerConfig> ParseConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open config file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read config file " + path);
  ServerConfig base;
  std::string jvm_flags;
  for (const char* var : {"SERVER_JVMFLAGS", "JVMFLAGS"}) {
    if (const char* v = std::getenv(var)) jvm_flags += std::string(v) + " ";
  }
  if (Status s = ApplyJvmFlags(jvm_flags, &base, nullptr); !s.ok()) return s;
  zab::Result<ServerConfig> parsed = ParseConfigTextOnto(buffer.str(), std::move(base), nullptr);
  if (!parsed.ok()) return Status::InvalidArgument(path + ": " + parsed.status().message());
  ServerConfig config = std::move(parsed).value();
  config.config_file_text = buffer.str();
  config.config_file_path = path;
  if (!config.dynamic_config_file.empty()) {
    std::ifstream dyn_in(config.dynamic_config_file, std::ios::binary);
    std::stringstream dyn_text;
    dyn_text << dyn_in.rdbuf();
    if (!dyn_in || dyn_in.bad()) {
      return Status::IOError("cannot read dynamicConfigFile " + config.dynamic_config_file);
    }
    Membership dyn;
    if (!ParseMembershipText(dyn_text.str(), &dyn)) {
      return Status::InvalidArgument(config.dynamic_config_file +
                                     ": not a dynamic configuration (server.N lines, version=)");
    }
    if (!config.servers.empty()) {
      spdlog::warn("config: {} has server lines and a dynamicConfigFile; using the servers of {}",
                   path, config.dynamic_config_file);
    }
    config.servers = std::move(dyn.servers);
    config.dynamic_config_version = dyn.version;
  }

  const std::string myid_path = (std::filesystem::path(config.data_dir) / "myid").string();
  std::ifstream myid_file(myid_path);
  if (!myid_file) {
    if (config.IsDistributed()) return Status::InvalidArgument(myid_path + " file is missing");
    return config;
  }
  std::string myid;
  std::getline(myid_file, myid);
  const std::string_view id_text = Trim(myid);
  int64_t id = 0;
  if (!ParseInt64(id_text, &id) || id < 0) {
    return Status::InvalidArgument("serverid " + std::string(id_text) + " in " + myid_path +
                                   " is not a number");
  }
  config.server_id = id;
  if (config.IsDistributed()) {
    const auto self = config.servers.find(id);
    if (self == config.servers.end()) {
      return Status::InvalidArgument("server id " + std::to_string(id) + " from " + myid_path +
                                     " has no server." + std::to_string(id) + " line");
    }
    const PeerType from_line = self->second.observer ? PeerType::kObserver : PeerType::kParticipant;
    if (from_line != config.peer_type) {
      spdlog::warn("config: peerType does not match the server.{} line; using the server line", id);
      config.peer_type = from_line;
    }
  }
  return config;
}

std::string SnapshotDir(const ServerConfig& config) { return config.data_dir + "/snapshots"; }
std::string TxnLogDir(const ServerConfig& config) { return config.data_log_dir + "/txnlog"; }

}  // namespace zk::server
