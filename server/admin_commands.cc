// The AdminServer's commands (admin_commands.h): the answers of Apache ZooKeeper 3.8's
// org.apache.zookeeper.server.admin.Commands as JSON, computed on the io thread from the figures
// the four-letter words print (four_letter_words.cc). Intended differences from ZooKeeper are
// listed in docs/operations.md, "AdminServer".

#include "server/admin_commands.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "server/process_figures.h"
#include "server/snapshot.h"
#include "server/server_node.h"
#include "zab/zxid.h"

namespace zk::server {

const std::vector<AdminCommandSpec>& AdminCommands() {
  static const std::vector<AdminCommandSpec> commands = {
      {"configuration", {"conf", "config"}},
      {"connection_stat_reset", {"crst"}},
      {"connections", {"cons"}},
      {"dirs", {}},
      {"dump", {}},
      {"environment", {"env", "envi"}, false},
      {"get_trace_mask", {"gtmk"}, false},
      {"hash", {}},
      {"initial_configuration", {"icfg"}},
      {"is_read_only", {"isro"}},
      {"last_snapshot", {"lsnp"}},
      {"leader", {"lead"}},
      {"monitor", {"mntr"}, false},
      {"observer_connection_stat_reset", {"orst"}},
      {"observers", {"obsr"}},
      {"ruok", {}},
      {"server_stats", {"srvr"}},
      {"set_trace_mask", {"stmk"}, false},
      {"stat_reset", {"srst"}},
      {"stats", {"stat"}},
      {"system_properties", {"sysp"}, false},
      {"voting_view", {}},
      {"watch_summary", {"wchs"}},
      {"watches", {"wchc"}},
      {"watches_by_path", {"wchp"}},
      {"zabstate", {}, false},
  };
  return commands;
}

const AdminCommandSpec* FindAdminCommand(std::string_view name) {
  for (const AdminCommandSpec& c : AdminCommands()) {
    if (c.name == name) return &c;
    for (std::string_view alias : c.aliases) {
      if (alias == name) return &c;
    }
  }
  return nullptr;
}

namespace {

using Json = nlohmann::ordered_json;

// ZooTrace's default mask (as the gtmk four-letter word).
constexpr int64_t kTraceMask = 306;
// The digest scheme version ZooKeeper 3.8 reports with its digests.
constexpr int kDigestVersion = 2;

Json ConnectionJson(const ConnectionInfo& c, bool brief) {
  Json j;
  j["remote_socket_address"] = c.address + ":" + std::to_string(c.port);
  j["interest_ops"] = c.reading ? 1 : 0;
  j["outstanding_requests"] = c.queued;
  j["packets_received"] = c.received;
  j["packets_sent"] = c.sent;
  if (brief || c.session_id == 0) return j;
  j["session_id"] = c.session_id;
  j["last_operation"] = c.last_op;
  j["established"] = c.established_ms;
  j["session_timeout"] = c.timeout_ms;
  j["last_cxid"] = c.last_cxid;
  j["last_zxid"] = c.last_zxid;
  j["last_response_time"] = c.last_response_ms;
  j["last_latency"] = c.last_latency_ms;
  j["min_latency"] = c.min_latency_ms;
  j["avg_latency"] = c.avg_latency_ms;
  j["max_latency"] = c.max_latency_ms;
  return j;
}

Json ConnectionsJson(const std::vector<ConnectionInfo>& infos, bool brief) {
  Json list = Json::array();
  for (const ConnectionInfo& c : infos) list.push_back(ConnectionJson(c, brief));
  return list;
}

// ZooKeeper's BufferStats; zabkeeper does not track response or proposal sizes (-1: none).
Json UntrackedBufferStats() {
  Json j;
  j["last_buffer_size"] = -1;
  j["min_buffer_size"] = -1;
  j["max_buffer_size"] = -1;
  return j;
}

std::string HostPort(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string ClientAddress(const ServerAddress& s) {
  if (!s.client_port) return "";
  return HostPort(s.client_address.value_or("0.0.0.0"), *s.client_port);
}

// ZooKeeper's MultipleAddresses as Jackson writes it (every getter, snake_case), for one address
// (zabkeeper has no multiAddress.enabled).
Json MultipleAddressesJson(const std::string& host, int port) {
  const std::string address = HostPort(host, port);
  Json j;
  j["empty"] = false;
  j["all_addresses"] = Json::array({address});
  j["all_reachable_addresses"] = Json::array({address});
  j["one"] = address;
  j["reachable_address"] = address;
  j["wildcard_addresses"] = Json::array({HostPort("0.0.0.0", port)});
  j["all_ports"] = Json::array({port});
  j["all_host_strings"] = Json::array({host});
  j["all_reachable_addresses_or_all"] = Json::array({address});
  j["reachable_or_one"] = address;
  return j;
}

}  // namespace

std::string ServerNode::OwnClientAddress() const {
  return HostPort(config_.client_port_address.empty() ? "0.0.0.0" : config_.client_port_address,
                  bound_port_);
}

Json ServerNode::AdminCommand(const AdminCommandSpec& spec,
                                   const std::map<std::string, std::string>& params) {
  const std::string_view name = spec.name;
  Json r = Json::object();
  auto answer = [&]() -> Json {
    r["command"] = name;
    if (!r.contains("error")) r["error"] = nullptr;
    return std::move(r);
  };
  const bool has_state = !stopped_ && tree_ && sessions_;
  const bool unavailable = spec.server_required ? !has_state || (!serving() && !read_only_)
                                                : name == "monitor" && !has_state;
  if (unavailable) {
    r["error"] = "This ZooKeeper instance is not currently serving requests";
    return answer();
  }

  if (name == "configuration") {
    r["client_port"] = bound_port_ ? bound_port_ : config_.client_port;
    r["data_dir"] = config_.data_dir;
    r["data_log_dir"] = config_.data_log_dir;
    r["tick_time"] = config_.tick_time_ms;
    r["max_client_cnxns"] = config_.max_client_cnxns;
    r["min_session_timeout"] = config_.MinSessionTimeoutMs();
    r["max_session_timeout"] = config_.MaxSessionTimeoutMs();
    r["server_id"] = config_.server_id;
    r["client_port_listen_backlog"] = config_.client_port_listen_backlog;
  } else if (name == "connection_stat_reset") {
    ResetConnectionStats();
  } else if (name == "connections") {
    r["connections"] = ConnectionsJson(ConnectionInfos(), false);
    r["secure_connections"] = Json::array();
  } else if (name == "dirs") {
    const StorageSizes sizes = storage_->Sizes();
    r["datadir_size"] = sizes.data_dir;
    r["logdir_size"] = sizes.data_log_dir;
  } else if (name == "dump") {
    Json expiry = Json::object();
    for (const auto& [expires, ids] : SessionsByExpiry()) expiry[std::to_string(expires)] = ids;
    Json ephemerals = Json::object();
    for (const auto& [session, paths] : EphemeralsBySession()) {
      ephemerals[std::to_string(session)] = paths;
    }
    r["expiry_time_to_session_ids"] = std::move(expiry);
    r["session_id_to_ephemeral_paths"] = std::move(ephemerals);
  } else if (name == "environment") {
    for (const auto& [key, value] : ProcessEnvironment()) r[key] = value;
  } else if (name == "get_trace_mask") {
    r["tracemask"] = kTraceMask;
  } else if (name == "hash") {
    // ZooKeeper lists the digests it logged; zabkeeper keeps the current one.
    Json d;
    d["zxid"] = tree_->last_zxid();
    d["digest"] = static_cast<int64_t>(tree_->digest());
    d["digestVersion"] = kDigestVersion;
    r["digests"] = Json::array({d});
  } else if (name == "initial_configuration") {
    r["initial_configuration"] = config_.config_file_text;
  } else if (name == "is_read_only") {
    r["read_only"] = read_only_;
  } else if (name == "last_snapshot") {
    const std::vector<int64_t> zxids = storage_->SnapshotZxids();
    int64_t zxid = 0, seconds = 0;
    if (!zxids.empty()) {
      zxid = *std::max_element(zxids.begin(), zxids.end());
      seconds = storage_->SnapshotWrittenAt(zxid);
    }
    r["zxid"] = JavaHex(zxid);
    r["timestamp"] = seconds;
  } else if (name == "leader") {
    const zab::ServerId leader = replication_ ? replication_->peer().leader() : 0;
    if (!config_.IsDistributed() || leader == 0) {
      r["error"] = "server is not initialized";
    } else {
      r["is_leader"] = leader == static_cast<zab::ServerId>(config_.server_id);
      r["leader_id"] = static_cast<int64_t>(leader);
      auto it = config_.servers.find(static_cast<int64_t>(leader));
      r["leader_ip"] = it == config_.servers.end() ? "" : it->second.host;
    }
  } else if (name == "monitor") {
    const MntrWriter figures = MonitorFigures();
    for (const auto& [key, value] : figures.entries()) {
      const std::string k = key.starts_with("zk_") ? key.substr(3) : key;
      std::visit([&](const auto& v) { r[k] = v; }, value);
    }
  } else if (name == "observer_connection_stat_reset") {
    // Observers connect to the leader's quorum port, not to a client port: nothing to reset.
  } else if (name == "observers") {
    Json observers = Json::array();
    int64_t synced = 0;
    if (leading()) {
      for (const zab::LearnerStatus& l : replication_->peer().Learners()) {
        if (!l.observer) continue;
        if (l.synced) ++synced;
        Json o;
        o["sid"] = static_cast<int64_t>(l.id);
        o["synced"] = l.synced;
        o["last_zxid"] = "0x" + JavaHex(l.acked_zxid);
        observers.push_back(std::move(o));
      }
    }
    r["synced_observers"] = synced;
    r["observers"] = std::move(observers);
  } else if (name == "ruok") {
  } else if (name == "server_stats" || name == "stats") {
    const ServerSummary s = Summary();
    const StorageSizes sizes = storage_->Sizes();
    r["version"] = s.full_version;
    r["read_only"] = read_only_;
    Json st;
    st["packets_sent"] = s.sent;
    st["packets_received"] = s.received;
    st["fsync_threshold_exceed_count"] = FsyncThresholdExceedCount();
    st["client_response_stats"] = UntrackedBufferStats();
    st["data_dir_size"] = sizes.data_dir;
    st["log_dir_size"] = sizes.data_log_dir;
    st["provider_null"] = false;
    st["server_state"] = s.mode;
    st["last_processed_zxid"] = s.zxid;
    st["outstanding_requests"] = s.outstanding;
    st["avg_latency"] = std::round(s.avg_latency_ms * 10000.0) / 10000.0;
    st["max_latency"] = s.max_latency_ms;
    st["min_latency"] = s.min_latency_ms;
    st["num_alive_client_connections"] = s.connections;
    st["uptime"] = UptimeMs();
    st["auth_failed_count"] = 0;
    st["non_mtlsremote_conn_count"] = 0;
    st["non_mtlslocal_conn_count"] = 0;
    r["server_stats"] = std::move(st);
    r["client_response"] = UntrackedBufferStats();
    if (s.has_proposal_sizes) r["proposal_stats"] = UntrackedBufferStats();
    r["node_count"] = s.node_count;
    if (name == "stats") {
      r["connections"] = ConnectionsJson(ConnectionInfos(), true);
      r["secure_connections"] = Json::array();
    }
  } else if (name == "set_trace_mask") {
    // Accepted and reported as ZooKeeper does; zabkeeper has no trace levels to change.
    auto it = params.find("traceMask");
    int64_t mask = 0;
    if (it == params.end()) {
      r["error"] = "setTraceMask requires long traceMask argument";
    } else if (auto [p, ec] = std::from_chars(it->second.data(),
                                              it->second.data() + it->second.size(), mask);
               ec != std::errc() || p != it->second.data() + it->second.size()) {
      r["error"] = "setTraceMask requires long traceMask argument, got " + it->second;
    } else {
      r["tracemask"] = mask;
    }
  } else if (name == "stat_reset") {
    ResetServerStats();
  } else if (name == "system_properties") {
    // No JVM: the process's own properties under the Java names that apply.
    r["file.separator"] = "/";
    r["line.separator"] = "\n";
    r["path.separator"] = ":";
    for (const auto& [key, value] : ProcessEnvironment()) {
      if (key.starts_with("os.") && !key.starts_with("os.memory.")) r[key] = value;
      if (key.starts_with("user.")) r[key] = value;
    }
  } else if (name == "voting_view") {
    Json view = Json::object();
    if (config_.IsDistributed()) {
      for (const auto& [id, s] : config_.servers) {
        if (s.observer) continue;
        Json v;
        v["server_addresses"] = Json::array({HostPort(s.host, s.quorum_port)});
        v["election_addresses"] = Json::array({HostPort(s.host, s.election_port)});
        // As ZooKeeper: a server knows its own client address; others' only from server.N.
        v["client_address"] = id == config_.server_id ? OwnClientAddress() : ClientAddress(s);
        v["learner_type"] = "participant";
        view[std::to_string(id)] = std::move(v);
      }
    }
    r["current_config"] = std::move(view);
  } else if (name == "watch_summary") {
    const WatchTotals t = WatchSummary();
    r["num_connections"] = t.connections;
    r["num_paths"] = t.paths;
    r["num_total_watches"] = t.watches;
  } else if (name == "watches") {
    Json by_session = Json::object();
    for (const auto& [session, paths] : WatchesBySession()) {
      Json& list = by_session[std::to_string(session)];
      if (list.is_null()) list = Json::array();
      for (const std::string& p : paths) list.push_back(p);
    }
    r["session_id_to_watched_paths"] = std::move(by_session);
  } else if (name == "watches_by_path") {
    Json by_path = Json::object();
    for (const auto& [path, sessions] : WatchesByPath()) by_path[path] = sessions;
    r["path_to_session_ids"] = std::move(by_path);
  } else if (name == "zabstate") {
    if (!config_.IsDistributed() || !replication_ || !has_state) {
      r["voting"] = false;
      r["zabstate"] = "";
    } else {
      const zab::Peer& peer = replication_->peer();
      auto me = config_.servers.find(config_.server_id);
      const bool known = me != config_.servers.end();
      r["myid"] = config_.server_id;
      r["is_leader"] = leading();
      r["quorum_address"] =
          known ? MultipleAddressesJson(me->second.host, me->second.quorum_port) : Json();
      r["election_address"] =
          known ? MultipleAddressesJson(me->second.host, me->second.election_port) : Json();
      r["client_address"] = OwnClientAddress();
      r["voting"] = known && !me->second.observer;
      const int64_t zxid = tree_->last_zxid();
      r["last_zxid"] = "0x" + JavaHex(zxid);
      r["zab_epoch"] = zab::ZxidEpoch(zxid);
      r["zab_counter"] = zab::ZxidCounter(zxid);
      // ZooKeeper's ZabState: election, discovery, synchronization, broadcast. The ZAB core
      // does not expose discovery apart from synchronization; both read "synchronization".
      r["zabstate"] = peer.state() == zab::PeerState::kLooking ? "election"
                      : peer.serving()                        ? "broadcast"
                                                              : "synchronization";
    }
  }
  return answer();
}

}  // namespace zk::server
