// ZooKeeperServer's four-letter words: the figures come from the server's members, the text
// shapes from four_letter_format.h (Apache ZooKeeper 3.8's formats, see
// docs/reference-4lw-outputs.md).

#include <malloc.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "server/four_letter_format.h"
#include "server/zookeeper_server.h"

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

// ZooKeeper's zookeeper.nio.sessionlessCnxnTimeout: how long a connection without a session
// may live, and the bucket width of its connection expiry queue.
constexpr int64_t kSessionlessConnectionTimeoutMs = 10000;

// fsync.warningthresholdms default: a sync slower than this counts as "exceeded".
constexpr int64_t kFsyncWarningThresholdMs = 1000;

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

const std::string& VersionText() {
  static const std::string version = FullVersion(BuildDateFromMacros(__DATE__, __TIME__));
  return version;
}

int64_t ToMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Sum of the sizes of the regular files under `dir`, recursively (ZooKeeper's getDirSize);
// 0 if it cannot be read. Files may vanish meanwhile (log purge): errors are skipped.
int64_t DirSize(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int64_t total = 0;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uintmax_t size = it->file_size(size_ec);
      if (!size_ec) total += static_cast<int64_t>(size);
    }
  }
  return total;
}

// VmRSS of this process in bytes, from /proc/self/status; 0 if unavailable.
int64_t ResidentBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

int64_t OpenFileDescriptors() {
  std::error_code ec;
  int64_t n = 0;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) ++n;
  return n > 0 ? n - 1 : 0;  // not counting the descriptor of the listing itself
}

int64_t MaxFileDescriptors() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return -1;
  return static_cast<int64_t>(limit.rlim_cur);
}

std::string Megabytes(uint64_t bytes) { return std::to_string(bytes / (1024 * 1024)) + "MB"; }

// The keys of Java's Environment.list() in its order; the JVM's own keys keep their place for
// parsers and say that there is no JVM.
std::vector<std::pair<std::string, std::string>> Environment() {
  std::vector<std::pair<std::string, std::string>> env;
  env.emplace_back("zookeeper.version", VersionText());
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  env.emplace_back("host.name", host);
  env.emplace_back("java.version", "n/a (zabkeeper is C++)");
  env.emplace_back("java.vendor", "n/a");
  env.emplace_back("java.home", "n/a");
  env.emplace_back("java.class.path", "n/a");
  env.emplace_back("java.library.path", "n/a");
  const char* tmp = std::getenv("TMPDIR");
  env.emplace_back("java.io.tmpdir", tmp && *tmp ? tmp : "/tmp");
  env.emplace_back("java.compiler", "<NA>");
  utsname uts{};
  if (uname(&uts) != 0) uts = utsname{};
  env.emplace_back("os.name", uts.sysname);
  // Java calls x86_64 "amd64".
  const std::string machine = uts.machine;
  env.emplace_back("os.arch", machine == "x86_64" ? "amd64" : machine);
  env.emplace_back("os.version", uts.release);
  const passwd* pw = getpwuid(geteuid());
  env.emplace_back("user.name", pw ? pw->pw_name : "");
  const char* home = std::getenv("HOME");
  env.emplace_back("user.home", pw ? pw->pw_dir : (home ? home : ""));
  std::error_code ec;
  env.emplace_back("user.dir", std::filesystem::current_path(ec).string());
  // Java reports its heap: total = held, free = held but unused, max = the limit. Ours: the
  // resident set, malloc's free bytes within it, and the address-space limit or the RAM.
  const uint64_t total = static_cast<uint64_t>(ResidentBytes());
  const struct mallinfo2 heap = mallinfo2();
  const uint64_t free_bytes = std::min<uint64_t>(heap.fordblks, total);
  uint64_t max = 0;
  rlimit as_limit{};
  if (getrlimit(RLIMIT_AS, &as_limit) == 0 && as_limit.rlim_cur != RLIM_INFINITY) {
    max = as_limit.rlim_cur;
  } else if (struct sysinfo si{}; sysinfo(&si) == 0) {
    max = static_cast<uint64_t>(si.totalram) * si.mem_unit;
  }
  env.emplace_back("os.memory.free", Megabytes(free_bytes));
  env.emplace_back("os.memory.max", Megabytes(max));
  env.emplace_back("os.memory.total", Megabytes(total));
  return env;
}

}  // namespace

void ZooKeeperServer::OnFourLetterWord(Connection& conn, std::string_view word) {
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

std::string ZooKeeperServer::FourLetterWord(std::string_view word) {
  if (word == "ruok") return "imok";
  if (word == "gtmk" || word == "stmk") return std::to_string(kTraceMask);
  if (stopped_ || !tree_ || !sessions_) return std::string(kNotServing);
  if (word == "envi") return FormatEnvironment(Environment());
  if (word == "conf") return config_.ToConfString();
  // As ZooKeeper: "null" while no server runs, "ro" in read-only mode.
  if (word == "isro") return read_only_ ? "ro" : serving() ? "rw" : "null";
  // A server without a leader (or still synchronizing) serves nothing, as ZooKeeper, unless it
  // runs in read-only mode.
  if (!serving() && !read_only_) return std::string(kNotServing);
  if (word == "srvr" || word == "stat" || word == "cons") return StatText(word);
  if (word == "mntr") return MntrText();
  if (word == "wchs" || word == "wchc" || word == "wchp") return WatchesText(word);
  if (word == "dump") return DumpText();
  if (word == "dirs") {
    const int64_t data = DirSize(config_.data_dir);
    const int64_t log =
        config_.data_log_dir == config_.data_dir ? data : DirSize(config_.data_log_dir);
    return FormatDirs(data, log);
  }
  if (word == "crst") {
    ResetConnectionStats();
    return "Connection stats reset.\n";
  }
  if (word == "srst") {
    stats_ = ServerStats{};
    return "Server stats reset.\n";
  }
  if (word == "hash") {
    // ZooKeeper prints its digest history as "<hex zxid>: <digest>"; ours is the current one.
    return JavaHex(tree_->last_zxid()) + ": " +
           std::to_string(static_cast<int64_t>(tree_->digest())) + "\n";
  }
  return "";
}

std::string ZooKeeperServer::ModeString() const {
  if (!config_.IsDistributed()) return "standalone";
  if (read_only_) return "read-only";
  switch (driver_ ? driver_->peer().state() : zab::PeerState::kLooking) {
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

std::string ZooKeeperServer::StatText(std::string_view word) const {
  std::map<uint64_t, const ConnState*> ordered;
  uint64_t outstanding = 0;
  for (const auto& [id, st] : conns_) {
    ordered.emplace(id, &st);
    outstanding += st.queue.size();
  }
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
  if (word == "cons") return FormatCons(infos);

  ServerSummary s;
  s.full_version = VersionText();
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
  return word == "stat" ? FormatStat(s, infos) : FormatSrvr(s);
}

std::string ZooKeeperServer::MntrText() const {
  const std::string mode = ModeString();
  uint64_t outstanding = 0;
  for (const auto& [id, st] : conns_) outstanding += st.queue.size();
  int64_t ephemerals = 0;
  for (const auto& [session, paths] : tree_->AllEphemerals()) {
    ephemerals += static_cast<int64_t>(paths.size());
  }
  const zab::GroupCommitLog::Stats disk =
      driver_ ? driver_->log_stats() : zab::GroupCommitLog::Stats{};
  const int64_t fsync_total_ms = static_cast<int64_t>(disk.total_sync_micros / 1000);
  const int64_t uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started_)
                                .count();

  // The classic keys, in the order Apache ZooKeeper 3.8 printed them in the reference capture.
  MntrWriter m;
  m.AddText("zk_version", VersionText());
  m.AddText("zk_server_state", mode);
  if (mode == "leader") m.AddText("zk_peer_state", "leading - broadcast");
  if (mode == "follower") m.AddText("zk_peer_state", "following - broadcast");
  if (mode == "observer") m.AddText("zk_peer_state", "observing - broadcast");
  m.Add("zk_ephemerals_count", ephemerals);
  m.Add("zk_num_alive_connections", static_cast<int64_t>(conns_.size()));
  m.AddAverage("zk_avg_latency", stats_.avg_latency_ms());
  m.Add("zk_min_proposal_size", -1);
  m.Add("zk_outstanding_requests", static_cast<int64_t>(outstanding));
  m.Add("zk_znode_count", ReportedNodeCount());
  m.Add("zk_global_sessions", static_cast<int64_t>(sessions_->size()));
  m.Add("zk_packets_sent", static_cast<int64_t>(stats_.packets_sent));
  m.Add("zk_packets_received", static_cast<int64_t>(stats_.packets_received));
  m.Add("zk_max_proposal_size", -1);
  m.Add("zk_watch_count", static_cast<int64_t>(watches_.watch_count()));
  m.Add("zk_min_latency", static_cast<int64_t>(stats_.min_latency_ms));
  m.Add("zk_max_file_descriptor_count", MaxFileDescriptors());
  m.Add("zk_approximate_data_size", tree_->approximate_data_size());
  m.Add("zk_open_file_descriptor_count", OpenFileDescriptors());
  m.Add("zk_last_proposal_size", -1);
  if (mode == "leader") {
    // As ZooKeeper: learners connected, voters in sync, learners still being synchronized.
    int64_t learners = 0, synced = 0, pending = 0;
    for (const zab::LearnerStatus& l : driver_->peer().Learners()) {
      ++learners;
      if (l.synced && !l.observer) ++synced;
      if (!l.synced) ++pending;
    }
    m.Add("zk_learners", learners);
    m.Add("zk_synced_followers", synced);
    m.Add("zk_synced_non_voting_followers", 0);
    m.Add("zk_synced_observers", learners - synced - pending);
    m.Add("zk_followers", learners);
    m.Add("zk_pending_syncs", pending);
  }
  m.Add("zk_local_sessions", 0);
  m.Add("zk_uptime", uptime_ms);
  m.Add("zk_max_latency", static_cast<int64_t>(stats_.max_latency_ms));
  m.Add("zk_connection_rejected", static_cast<int64_t>(stats_.connections_rejected));
  m.Add("zk_stale_sessions_expired", static_cast<int64_t>(stats_.sessions_expired));
  // Per-sync times are not kept: a total under the threshold proves no sync exceeded it;
  // otherwise the count is unknown (-1).
  m.Add("zk_fsync_threshold_exceed_count", fsync_total_ms < kFsyncWarningThresholdMs ? 0 : -1);
  // zabkeeper's own figures.
  m.Add("zk_fsync_count", static_cast<int64_t>(disk.syncs));
  m.Add("zk_fsync_time_total_ms", fsync_total_ms);
  m.Add("zk_group_commit_max_batch", static_cast<int64_t>(disk.max_batch_entries));
  m.Add("zk_digest", static_cast<int64_t>(tree_->digest()));
  m.Add("zk_digest_mismatches_count", static_cast<int64_t>(digest_audit_.mismatches()));
  m.Add("zk_last_zxid", tree_->last_zxid());
  m.Add("zk_frames_rejected", static_cast<int64_t>(stats_.frames_rejected));
  m.Add("zk_rss_bytes", ResidentBytes());
  return m.text();
}

std::string ZooKeeperServer::WatchesText(std::string_view word) const {
  auto session_of = [this](WatcherId watcher) -> int64_t {
    auto it = conns_.find(watcher);
    return it == conns_.end() ? 0 : it->second.session_id;
  };
  if (word == "wchp") {
    std::vector<std::pair<std::string, std::vector<int64_t>>> by_path;
    for (auto& [path, watchers] : watches_.ByPath()) {
      std::vector<int64_t> sessions;
      for (WatcherId w : watchers) sessions.push_back(session_of(w));
      by_path.emplace_back(path, std::move(sessions));
    }
    return FormatWatchesByPath(by_path);
  }
  const std::map<WatcherId, std::set<std::string>> by_watcher = watches_.ByWatcher();
  if (word == "wchc") {
    std::vector<std::pair<int64_t, std::vector<std::string>>> by_session;
    for (const auto& [watcher, paths] : by_watcher) {
      by_session.emplace_back(session_of(watcher),
                              std::vector<std::string>(paths.begin(), paths.end()));
    }
    return FormatWatchesByConnection(by_session);
  }
  std::set<std::string_view> paths;
  uint64_t total = 0;
  for (const auto& [watcher, watched] : by_watcher) {
    total += watched.size();
    paths.insert(watched.begin(), watched.end());
  }
  return FormatWatchSummary(by_watcher.size(), paths.size(), total);
}

std::string ZooKeeperServer::DumpText() const {
  // Expiry deadlines are on the monotonic clock; Java prints them as wall-clock dates.
  const int64_t wall_offset = WallMs() - NowMs();

  std::map<int64_t, std::vector<int64_t>> session_buckets;
  for (const auto& [id, info] : sessions_->sessions()) {
    session_buckets[info.expires_at_ms].push_back(id);
  }
  std::vector<ExpiryBucket> sessions;
  for (auto& [expires, ids] : session_buckets) {
    std::sort(ids.begin(), ids.end());
    ExpiryBucket b;
    b.wall_ms = expires + wall_offset;
    for (int64_t id : ids) b.members.push_back("0x" + JavaHex(id));
    sessions.push_back(std::move(b));
  }

  std::vector<std::pair<int64_t, std::vector<std::string>>> ephemerals;
  for (const auto& [session, paths] : tree_->AllEphemerals()) {
    if (!paths.empty()) {
      ephemerals.emplace_back(session, std::vector<std::string>(paths.begin(), paths.end()));
    }
  }
  std::sort(ephemerals.begin(), ephemerals.end());

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

void ZooKeeperServer::ResetConnectionStats() {
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
