// ServerNode's four-letter words: the figures come from the server's members (and serve
// the AdminServer's JSON commands too, admin_commands.cc), the text shapes from
// four_letter_format.h (Apache ZooKeeper 3.8's formats, see docs/reference-4lw-outputs.md).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "server/four_letter_format.h"
#include "server/process_figures.h"
#include "server/server_node.h"

namespace zk::server {
namespace {

// The words Apache ZooKeeper 3.8 knows (FourLetterCommands); anything else gets no answer.
constexpr std::array<std::string_view, 18> kKnownWords = {
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro",
    "mntr", "ruok", "srst", "srvr", "stat", "stmk", "wchc", "wchp", "wchs"};

// What ZooKeeper answers when the server is not up (yet, or any more).
constexpr std::string_view kNotServing =
    "This ZooKeeper instance is not currently serving requests\n";

// ZooTrace's default mask, which `gtmk` reports; zabkeeper has no trace levels to change.
constexpr int64_t kTraceMask = 306;


bool IsKnownWord(std::string_view word) {
  return std::find(kKnownWords.begin(), kKnownWords.end(), word) != kKnownWords.end();
}

// The word with unprintable bytes replaced, for the log.
std::string Printable(std::string_view word) {
  std::string out(word);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

int64_t ToMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

void ServerNode::OnFourLetterWord(ClientLink& conn, std::string_view word) {
  std::string reply;
  if (!IsKnownWord(word)) {
    // As ZooKeeper: an unknown word closes the connection without an answer.
  } else if (!config_.IsFourLetterWordAllowed(word)) {
    reply = FormatNotWhitelisted(word);
  } else {
    reply = FourLetterWord(word);
  }
  spdlog::debug("four-letter word '{}' from {}:{}: {} bytes", Printable(word),
                conn.remote_address(), conn.remote_port(), reply.size());
  if (!reply.empty()) conn.Send(std::move(reply));
  conn.CloseAfterFlush();
}

std::string ServerNode::FourLetterWord(std::string_view word) {
  if (word == "ruok") return "imok";
  if (word == "gtmk" || word == "stmk") return std::to_string(kTraceMask);
  if (stopped_ || !tree_ || !sessions_) return std::string(kNotServing);
  if (word == "envi") return FormatEnvironment(ProcessEnvironment());
  if (word == "conf") {
    const StorageSizes sizes = storage_->Sizes();
    // The membership in force, as /zookeeper/config holds it (a reconfig changes it).
    std::string membership;
    if (config_.IsDistributed() && replication_) {
      membership = ConfigText(MembershipOf(replication_->peer().committed_config(), config_.servers));
    }
    return config_.ToConfString(sizes.data_dir, sizes.data_log_dir, membership);
  }
  // As ZooKeeper: "null" while no server runs, "ro" in read-only mode.
  if (word == "isro") return read_only_ ? "ro" : serving() ? "rw" : "null";
  // A server without a leader (or still synchronizing) serves nothing, as ZooKeeper, unless it
  // runs in read-only mode.
  if (!serving() && !read_only_) return std::string(kNotServing);
  if (word == "srvr" || word == "stat" || word == "cons") return StatText(word);
  if (word == "mntr") return MonitorFigures().text();
  if (word == "wchs" || word == "wchc" || word == "wchp") return WatchesText(word);
  if (word == "dump") return DumpText();
  if (word == "dirs") {
    const StorageSizes sizes = storage_->Sizes();
    return FormatDirs(sizes.data_dir, sizes.data_log_dir);
  }
  if (word == "crst") {
    ResetConnectionStats();
    return "Connection stats reset.\n";
  }
  if (word == "srst") {
    ResetServerStats();
    return "Server stats reset.\n";
  }
  if (word == "hash") {
    // ZooKeeper prints its digest history as "<hex zxid>: <digest>"; ours is the current one.
    return JavaHex(tree_->last_zxid()) + ": " +
           std::to_string(static_cast<int64_t>(tree_->digest())) + "\n";
  }
  return "";
}

std::string ServerNode::ModeString() const {
  if (!config_.IsDistributed()) return "standalone";
  if (read_only_) return "read-only";
  switch (replication_ ? replication_->peer().state() : zab::PeerState::kLooking) {
    case zab::PeerState::kLeading:
      return "leader";
    case zab::PeerState::kFollowing:
      return "follower";
    case zab::PeerState::kObserving:
      return "observer";
    case zab::PeerState::kLooking:
      break;
  }
  return "looking";
}

std::vector<ConnectionInfo> ServerNode::ConnectionInfos() const {
  std::map<uint64_t, const ConnState*> ordered;
  for (const auto& [id, st] : conns_) ordered.emplace(id, &st);
  std::vector<ConnectionInfo> infos;
  infos.reserve(ordered.size());
  for (const auto& [id, st] : ordered) {
    ConnectionInfo c;
    const ConnectionStats& cs = st->conn->stats();
    c.address = st->conn->remote_address();
    c.port = st->conn->remote_port();
    c.reading = !st->conn->closed() && (st->session_id != 0 || st->handshake_pending);
    c.queued = st->queue.size();
    c.received = cs.packets_received;
    c.sent = cs.packets_sent;
    c.session_id = st->session_id;
    c.last_op = st->last_op;
    c.established_ms = ToMs(cs.established);
    c.timeout_ms = st->negotiated_timeout_ms;
    c.last_cxid = st->last_cxid;
    c.last_zxid = st->last_zxid;
    c.last_response_ms = 0;  // not tracked
    c.last_latency_ms = st->last_latency_ms;
    c.min_latency_ms = st->min_latency_ms < 0 ? 0 : st->min_latency_ms;
    c.avg_latency_ms =
        st->latency_count ? st->total_latency_ms / static_cast<int64_t>(st->latency_count) : 0;
    c.max_latency_ms = st->max_latency_ms;
    infos.push_back(std::move(c));
  }
  return infos;
}

ServerSummary ServerNode::Summary() const {
  uint64_t outstanding = 0;
  for (const auto& [id, st] : conns_) outstanding += st.queue.size();
  ServerSummary s;
  s.full_version = ServerFullVersion();
  s.min_latency_ms = stats_.min_latency_ms;
  s.avg_latency_ms = stats_.avg_latency_ms();
  s.max_latency_ms = stats_.max_latency_ms;
  s.received = stats_.packets_received;
  s.sent = stats_.packets_sent;
  s.connections = conns_.size();
  s.outstanding = outstanding;
  s.zxid = tree_->last_zxid();
  s.mode = ModeString();
  s.node_count = ReportedNodeCount();
  s.has_proposal_sizes = s.mode == "leader";
  return s;
}

std::string ServerNode::StatText(std::string_view word) const {
  const std::vector<ConnectionInfo> infos = ConnectionInfos();
  if (word == "cons") return FormatCons(infos);
  const ServerSummary s = Summary();
  return word == "stat" ? FormatStat(s, infos) : FormatSrvr(s);
}

int64_t ServerNode::UptimeMs() const { return NowMs() - started_ms_; }

int64_t ServerNode::FsyncThresholdExceedCount() const {
  return replication_ ? static_cast<int64_t>(replication_->LogStats().slow_syncs) : 0;
}


namespace {

// ZooKeeper's mntr lines of one summary: avg/min/max/cnt/sum, then with `percentiles` the
// p50/p95/p99/p999 lines. `divisor` turns the histogram's unit into milliseconds.
void AddSummary(MntrWriter& m, std::string_view name, const zab::LogLinearHistogram& h,
                double divisor, bool percentiles) {
  const std::string n(name);
  const auto ms = [divisor](uint64_t v) { return static_cast<int64_t>(v / divisor); };
  m.AddAverage("zk_avg_" + n, h.average() / divisor);
  m.Add("zk_min_" + n, ms(h.min()));
  m.Add("zk_max_" + n, ms(h.max()));
  m.Add("zk_cnt_" + n, static_cast<int64_t>(h.count()));
  m.Add("zk_sum_" + n, ms(h.sum()));
  if (!percentiles) return;
  m.Add("zk_p50_" + n, ms(h.Quantile(0.5)));
  m.Add("zk_p95_" + n, ms(h.Quantile(0.95)));
  m.Add("zk_p99_" + n, ms(h.Quantile(0.99)));
  m.Add("zk_p999_" + n, ms(h.Quantile(0.999)));
}

}  // namespace

MntrWriter ServerNode::MonitorFigures() const {
  // One snapshot, the same figures /metrics exports.
  const MetricsSnapshot s = Metrics();
  const std::string& mode = s.server_state;

  // The classic keys, in the order Apache ZooKeeper 3.8 printed them in the reference capture.
  MntrWriter m;
  m.AddText("zk_version", ServerFullVersion());
  m.AddText("zk_server_state", mode);
  if (!s.peer_state.empty()) m.AddText("zk_peer_state", s.peer_state);
  m.Add("zk_ephemerals_count", s.ephemerals_count);
  m.Add("zk_num_alive_connections", s.num_alive_connections);
  m.AddAverage("zk_avg_latency", s.avg_latency_ms);
  m.Add("zk_min_proposal_size", -1);
  m.Add("zk_outstanding_requests", s.outstanding_requests);
  m.Add("zk_znode_count", s.znode_count);
  m.Add("zk_global_sessions", s.global_sessions);
  m.Add("zk_packets_sent", static_cast<int64_t>(s.packets_sent));
  m.Add("zk_packets_received", static_cast<int64_t>(s.packets_received));
  m.Add("zk_max_proposal_size", -1);
  m.Add("zk_watch_count", s.watch_count);
  m.Add("zk_min_latency", s.min_latency_ms);
  m.Add("zk_max_file_descriptor_count", s.max_file_descriptor_count);
  m.Add("zk_approximate_data_size", s.approximate_data_size);
  m.Add("zk_open_file_descriptor_count", s.open_file_descriptor_count);
  m.Add("zk_last_proposal_size", -1);
  if (s.leader) {
    m.Add("zk_learners", s.learners);
    m.Add("zk_synced_followers", s.synced_followers);
    m.Add("zk_synced_non_voting_followers", 0);
    m.Add("zk_synced_observers", s.synced_observers);
    m.Add("zk_followers", s.learners);
    m.Add("zk_pending_syncs", s.pending_syncs);
  }
  m.Add("zk_local_sessions", s.local_sessions);
  m.Add("zk_uptime", s.uptime_ms);
  m.Add("zk_max_latency", s.max_latency_ms);
  m.Add("zk_connection_rejected", static_cast<int64_t>(s.connection_rejected));
  m.Add("zk_sessionless_connections_expired",
        static_cast<int64_t>(s.sessionless_connections_expired));
  m.Add("zk_stale_sessions_expired", static_cast<int64_t>(s.stale_sessions_expired));
  m.Add("zk_fsync_threshold_exceed_count", static_cast<int64_t>(s.fsync_threshold_exceed_count));
  m.Add("zk_proposal_count", static_cast<int64_t>(s.proposal_count));
  m.Add("zk_digest_mismatches_count", static_cast<int64_t>(s.digest_mismatches_count));
  m.Add("zk_looking_count", static_cast<int64_t>(s.looking_count));
  if (s.distributed) m.Add("zk_quorum_size", s.quorum_size);
  // ZooKeeper's summaries, in milliseconds.
  AddSummary(m, "readlatency", s.read_latency_us, 1000.0, /*percentiles=*/true);
  AddSummary(m, "updatelatency", s.update_latency_us, 1000.0, /*percentiles=*/true);
  AddSummary(m, "fsynctime", s.fsync_us, 1000.0, /*percentiles=*/false);
  AddSummary(m, "snapshottime", s.snapshot_time_ms, 1.0, /*percentiles=*/false);
  AddSummary(m, "election_time", s.election_time_ms, 1.0, /*percentiles=*/false);
  // zabkeeper's own figures.
  m.Add("zk_fsync_count", static_cast<int64_t>(s.fsync_us.count()));
  m.Add("zk_fsync_time_total_ms", static_cast<int64_t>(s.fsync_time_total_ms));
  m.Add("zk_group_commit_max_batch", static_cast<int64_t>(s.group_commit_batch.max()));
  m.Add("zk_digest", s.digest);
  m.Add("zk_last_zxid", s.last_zxid);
  m.Add("zk_frames_rejected", static_cast<int64_t>(s.frames_rejected));
  m.Add("zk_rss_bytes", s.rss_bytes);
  m.Add("zk_heap_allocated_bytes", s.heap_allocated_bytes);
  m.Add("zk_heap_free_bytes", s.heap_free_bytes);
  m.Add("zk_log_memory_bytes", s.log_memory_bytes);
  m.Add("zk_log_size_bytes", s.log_dir_bytes);
  m.Add("zk_snapshot_size_bytes", s.snapshot_dir_bytes);
  m.Add("zk_forwarding_queue_length", s.forwarded_writes_pending);
  return m;
}

int64_t ServerNode::SessionOfWatcher(WatcherId watcher) const {
  auto it = conns_.find(watcher);
  return it == conns_.end() ? 0 : it->second.session_id;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> ServerNode::WatchesByPath()
    const {
  std::vector<std::pair<std::string, std::vector<int64_t>>> by_path;
  for (auto& [path, watchers] : watches_.ByPath()) {
    std::vector<int64_t> sessions;
    for (WatcherId w : watchers) sessions.push_back(SessionOfWatcher(w));
    by_path.emplace_back(path, std::move(sessions));
  }
  return by_path;
}

std::vector<std::pair<int64_t, std::vector<std::string>>> ServerNode::WatchesBySession()
    const {
  std::vector<std::pair<int64_t, std::vector<std::string>>> by_session;
  for (const auto& [watcher, paths] : watches_.ByWatcher()) {
    by_session.emplace_back(SessionOfWatcher(watcher),
                            std::vector<std::string>(paths.begin(), paths.end()));
  }
  return by_session;
}

WatchTotals ServerNode::WatchSummary() const {
  const std::map<WatcherId, std::set<std::string>> by_watcher = watches_.ByWatcher();
  std::set<std::string_view> paths;
  WatchTotals t;
  for (const auto& [watcher, watched] : by_watcher) {
    t.watches += watched.size();
    paths.insert(watched.begin(), watched.end());
  }
  t.connections = by_watcher.size();
  t.paths = paths.size();
  return t;
}

std::string ServerNode::WatchesText(std::string_view word) const {
  if (word == "wchp") return FormatWatchesByPath(WatchesByPath());
  if (word == "wchc") return FormatWatchesByConnection(WatchesBySession());
  const WatchTotals t = WatchSummary();
  return FormatWatchSummary(t.connections, t.paths, t.watches);
}

std::map<int64_t, std::vector<int64_t>> ServerNode::SessionsByExpiry() const {
  std::map<int64_t, std::vector<int64_t>> buckets;
  for (const auto& [id, info] : sessions_->sessions()) buckets[info.expires_at_ms].push_back(id);
  for (auto& [expires, ids] : buckets) std::sort(ids.begin(), ids.end());
  return buckets;
}

std::vector<std::pair<int64_t, std::vector<std::string>>> ServerNode::EphemeralsBySession()
    const {
  std::vector<std::pair<int64_t, std::vector<std::string>>> ephemerals;
  for (const auto& [session, paths] : tree_->AllEphemerals()) {
    if (!paths.empty()) {
      ephemerals.emplace_back(session, std::vector<std::string>(paths.begin(), paths.end()));
    }
  }
  std::sort(ephemerals.begin(), ephemerals.end());
  return ephemerals;
}

std::string ServerNode::DumpText() const {
  // Expiry deadlines are on the monotonic clock; Java prints them as wall-clock dates.
  const int64_t wall_offset = WallMs() - NowMs();

  std::vector<ExpiryBucket> sessions;
  for (const auto& [expires, ids] : SessionsByExpiry()) {
    ExpiryBucket b;
    b.wall_ms = expires + wall_offset;
    for (int64_t id : ids) b.members.push_back("0x" + JavaHex(id));
    sessions.push_back(std::move(b));
  }
  const std::vector<std::pair<int64_t, std::vector<std::string>>> ephemerals =
      EphemeralsBySession();

  // A connection expires with its session; one without a session after ZooKeeper's
  // sessionless-connection timeout, in 10-second buckets.
  std::map<int64_t, std::map<uint64_t, std::string>> conn_buckets;
  for (const auto& [conn_id, st] : conns_) {
    int64_t expires_wall = 0;
    const SessionInfo* session = st.session_id ? sessions_->Find(st.session_id) : nullptr;
    if (session) {
      expires_wall = session->expires_at_ms + wall_offset;
    } else {
      const int64_t t = ToMs(st.conn->stats().established) + kSessionlessConnectionTimeoutMs;
      expires_wall = (t / kSessionlessConnectionTimeoutMs + 1) * kSessionlessConnectionTimeoutMs;
    }
    conn_buckets[expires_wall][conn_id] = "ip: /" + st.conn->remote_address() + ":" +
                                          std::to_string(st.conn->remote_port()) +
                                          " sessionId: 0x" + JavaHex(st.session_id);
  }
  std::vector<ExpiryBucket> connections;
  for (const auto& [expires, members] : conn_buckets) {
    ExpiryBucket b;
    b.wall_ms = expires;
    for (const auto& [id, text] : members) b.members.push_back(text);
    connections.push_back(std::move(b));
  }

  return "SessionTracker dump:\n" + FormatExpirySets("Session ", sessions) +
         "ephemeral nodes dump:\n" + FormatEphemerals(ephemerals) + "Connections dump:\n" +
         FormatExpirySets("Connections ", connections);
}

void ServerNode::ResetServerStats() { stats_ = ServerStats{}; }

void ServerNode::ResetConnectionStats() {
  // As ZooKeeper's ServerCnxn.resetStats().
  for (auto& [id, st] : conns_) {
    ConnectionStats& cs = st.conn->stats();
    cs.packets_received = 0;
    cs.packets_sent = 0;
    st.last_op = "NA";
    st.last_cxid = -1;
    st.last_zxid = -1;
    st.last_latency_ms = 0;
    st.min_latency_ms = -1;
    st.max_latency_ms = 0;
    st.total_latency_ms = 0;
    st.latency_count = 0;
  }
}

}  // namespace zk::server
