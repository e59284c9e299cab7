#include "server/reconfig.h"

#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace zk::server {
namespace {

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The non-empty trimmed pieces of `s` between `delims` (as ZooKeeper's StringUtils.split).
std::vector<std::string_view> SplitList(std::string_view s, std::string_view delims) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t at = s.find_first_of(delims);
    std::string_view piece = TrimView(s.substr(0, at));
    if (!piece.empty()) out.push_back(piece);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

std::optional<int64_t> ParseId(std::string_view s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

bool ParseIdInto(std::string_view s, int64_t* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

ReconfigPlan Fail(Err err, std::string why) {
  ReconfigPlan plan;
  plan.err = err;
  plan.why = std::move(why);
  return plan;
}

// Parses "server.N=<line>" into *id and *address; the error message, or empty.
std::string ParseServerEntry(std::string_view entry, int64_t* id, ServerAddress* address) {
  const size_t eq = entry.find('=');
  if (eq == std::string_view::npos || entry.find('=', eq + 1) != std::string_view::npos) {
    return "wrong format of server string \"" + std::string(entry) + "\"";
  }
  const std::string_view key = TrimView(entry.substr(0, eq));
  const std::string_view value = TrimView(entry.substr(eq + 1));
  int64_t parsed = 0;
  if (!key.starts_with("server.") || !ParseIdInto(key.substr(7), &parsed) || parsed <= 0) {
    return "bad server id in \"" + std::string(entry) + "\"";
  }
  if (zab::Status s = ParseServerSpec(key, value, address); !s.ok()) return s.message();
  *id = parsed;
  return "";
}

bool SameEndpoint(const std::string& host_a, int port_a, const std::string& host_b, int port_b) {
  return port_a == port_b && host_a == host_b;
}

// True when `a` and `b` share a quorum or election endpoint (ZooKeeper's
// QuorumServer.checkAddressDuplicate).
bool AddressesOverlap(const ServerAddress& a, const ServerAddress& b) {
  for (int pa : {a.quorum_port, a.election_port}) {
    for (int pb : {b.quorum_port, b.election_port}) {
      if (SameEndpoint(a.host, pa, b.host, pb)) return true;
    }
  }
  return false;
}

ReconfigPlan CheckVoters(ReconfigPlan plan, bool standalone_enabled) {
  size_t voters = 0;
  for (const auto& [id, s] : plan.next.servers) voters += s.observer ? 0 : 1;
  if (standalone_enabled && voters < 2) {
    return Fail(Err::kBadArguments,
                "the new configuration must include at least 2 followers (standaloneEnabled)");
  }
  if (voters < 1) return Fail(Err::kBadArguments, "the new configuration has no follower");
  return plan;
}

}  // namespace

Membership MembershipOf(const zab::QuorumConfig& config,
                        const std::map<int64_t, ServerAddress>& static_servers) {
  Membership m;
  m.version = config.version;
  const auto add = [&](zab::ServerId id, bool observer) {
    ServerAddress a;
    bool found = false;
    if (auto it = config.addresses.find(id); it != config.addresses.end()) {
      found = ParseServerSpec("server." + std::to_string(id), it->second, &a).ok();
    }
    if (!found) {
      auto it = static_servers.find(id);
      if (it == static_servers.end()) return;
      a = it->second;
    }
    a.observer = observer;
    m.servers[id] = std::move(a);
  };
  for (zab::ServerId id : config.voters) add(id, false);
  for (zab::ServerId id : config.observers) add(id, true);
  return m;
}

zab::QuorumConfig ToQuorumConfig(const Membership& m) {
  std::vector<zab::ServerId> voters;
  std::vector<zab::ServerId> observers;
  for (const auto& [id, s] : m.servers) (s.observer ? observers : voters).push_back(id);
  zab::QuorumConfig c = zab::MakeQuorumConfig(m.version, std::move(voters), std::move(observers));
  for (const auto& [id, s] : m.servers) c.addresses[id] = s.ToString();
  return c;
}

std::string ConfigText(const Membership& m) {
  std::string out;
  for (const auto& [id, s] : m.servers) out += fmt::format("server.{}={}\n", id, s.ToString());
  out += fmt::format("version={:x}", m.version);
  return out;
}

bool ParseMembershipText(std::string_view text, Membership* m) {
  Membership out;
  for (std::string_view line : SplitList(text, "\n")) {
    if (line.starts_with('#') || line.starts_with('!')) continue;
    if (line.starts_with("version=")) {
      std::string_view hex = line.substr(8);
      uint64_t v = 0;
      const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
      if (ec != std::errc() || end != hex.data() + hex.size() || hex.empty()) return false;
      out.version = static_cast<int64_t>(v);
      continue;
    }
    int64_t id = 0;
    ServerAddress a;
    if (!ParseServerEntry(line, &id, &a).empty()) return false;
    out.servers[id] = std::move(a);
  }
  if (out.servers.empty()) return false;
  *m = std::move(out);
  return true;
}

ReconfigPlan PlanReconfig(const proto::ReconfigRequest& req, const Membership& current,
                          bool standalone_enabled) {
  if (req.cur_config_id != kAnyConfigId && req.cur_config_id != current.version) {
    return Fail(Err::kBadVersion, fmt::format("reconfiguration from version {:x} failed: the last "
                                              "seen version is {:x}",
                                              req.cur_config_id, current.version));
  }
  ReconfigPlan plan;
  if (req.new_members) {
    // Bulk: the new members replace the whole membership (commas or newlines between lines).
    for (std::string_view line : SplitList(*req.new_members, ",\n")) {
      if (line.starts_with('#') || line.starts_with('!')) continue;
      int64_t id = 0;
      ServerAddress a;
      if (std::string e = ParseServerEntry(line, &id, &a); !e.empty()) {
        return Fail(Err::kBadArguments, e);
      }
      if (plan.next.servers.count(id) != 0) {
        return Fail(Err::kBadArguments, fmt::format("server.{} is listed twice", id));
      }
      plan.next.servers[id] = std::move(a);
    }
    return CheckVoters(std::move(plan), standalone_enabled);
  }
  // Incremental: leaving servers go, joining ones are added or replace the line of their id.
  plan.next.servers = current.servers;
  if (req.leaving) {
    for (std::string_view leaving : SplitList(*req.leaving, ",")) {
      const std::optional<int64_t> id = ParseId(leaving);
      if (!id) return Fail(Err::kBadArguments, "bad server id \"" + std::string(leaving) + "\"");
      plan.next.servers.erase(*id);
    }
  }
  if (req.joining) {
    for (std::string_view joiner : SplitList(*req.joining, ",")) {
      int64_t id = 0;
      ServerAddress a;
      if (std::string e = ParseServerEntry(joiner, &id, &a); !e.empty()) {
        return Fail(Err::kBadArguments, e);
      }
      if (!a.client_port) {
        return Fail(Err::kBadArguments,
                    "wrong format of server string - each server should have at least 3 ports "
                    "specified");
      }
      for (const auto& [other_id, other] : plan.next.servers) {
        if (other_id != id && AddressesOverlap(a, other)) {
          return Fail(Err::kBadArguments,
                      fmt::format("server.{} has an address of server.{}", id, other_id));
        }
      }
      plan.next.servers[id] = std::move(a);
    }
  }
  return CheckVoters(std::move(plan), standalone_enabled);
}

}  // namespace zk::server
