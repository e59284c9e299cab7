// ServerNode: the request pipeline of one zabkeeper server, speaking the ZooKeeper wire
// protocol to its clients through ClientLinks (server/client_link.h) and reading time through a
// NodeClock. A standalone server is an ensemble of one: every write goes
// Prep -> durable log (group commit on the disk thread) -> Apply, the path replication extends.
// The process around it (server/zookeeper_server.h) owns the listeners, TLS for clients, the
// tick timer, the AdminServer and the metrics endpoint, and feeds the node links, frames and
// ticks; the node answers through the links.
//
// Pipeline ordering (per session FIFO):
//  - requests of a session are answered in the order they arrived;
//  - writes are prepped at once (pipelined) and applied strictly in zxid order once durable;
//  - a read waits behind its own session's earlier writes and is evaluated right after the last
//    of them is applied (so it sees them, and no later write of its session);
//  - watch notifications caused by a txn are queued before the reply to that txn, so a client
//    sees the event before it sees the new data.
//
// Its other ports: NodeClock (time), NodeStorage (snapshots), zab::LogStore (the log, read at
// recovery), NodeReplication (ZAB: the process's NodeDriver and PeerTransport, or the
// simulator's Replica); so the node holds no socket, thread, timer or file of its own.
//
// Threads: everything here runs on the node's thread (the io thread in the process); the disk
// work behind its ports reports back on that thread. Split across topic files: server_node.cc (lifecycle, storage, ticks),
// server_requests.cc (handshake and reads), server_writes.cc (writes and apply),
// server_replication.cc (the ensemble), read_only_mode.cc (serving reads while cut off from the
// quorum, readonlymode.enabled), four_letter_words.cc (4lw and the figures they print),
// server_metrics.cc (the figures of mntr and the Prometheus endpoint), admin_commands.cc (the
// AdminServer's JSON commands).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "client/proto/jute.h"
#include "client/proto/records.h"
#include "server/client_link.h"
#include "server/config.h"
#include "server/container_reaper.h"
#include "server/data_tree.h"
#include "server/digest_audit.h"
#include "server/digest_md5.h"
#include "server/metrics_snapshot.h"
#include "server/node_clock.h"
#include "server/node_replication.h"
#include "server/prep.h"
#include "server/reconfig.h"
#include "server/server_stats.h"
#include "server/session_tracker.h"
#include "server/node_storage.h"
#include "server/snapshot.h"
#include "server/watch_manager.h"
#include "server/fifo.h"
#include "server/forwarding.h"
#include "server/admin_commands.h"
#include "server/four_letter_format.h"
#include <nlohmann/json_fwd.hpp>
#include "zab/log_store.h"
#include "zab/status.h"

namespace zk::server {

// ZooKeeper's zookeeper.nio.sessionlessCnxnTimeout: how long a client connection may stay open
// without a session before the server closes it.
inline constexpr int64_t kSessionlessConnectionTimeoutMs = 10000;

class ServerNode : public LinkHandler, public zab::StateMachine {
 public:
  // `clock` outlives the node.
  ServerNode(ServerConfig config, const NodeClock* clock);
  ~ServerNode() override;

  // Recovers the tree and sessions from the snapshots in `storage` and the transaction log
  // `log`, then builds its replication with `make_replication` and starts it. Clients may be
  // attached once it returns OK. Both ports are borrowed and must outlive the node's Stop.
  zab::Status Start(zab::LogStore* log, NodeStorage* storage,
                    const ReplicationFactory& make_replication);
  // Closes every link, waits for a running snapshot, drains and syncs the log. Idempotent.
  void Stop();
  // Every 100 ms: session expiry, digests, activity reports, read-only mode, reaping, snapshots,
  // and closing connections that have had no session for kSessionlessConnectionTimeoutMs.
  void OnTick();

  // A new client connection from `ip`: the id its link must carry, or 0 when maxClientCnxns or
  // maxCnxns refuse it (the caller closes it; the refusal is counted and logged).
  uint64_t AdmitLink(const std::string& ip);
  // Serves an admitted link (its id from AdmitLink). Its frames then reach the node through
  // the LinkHandler methods.
  void AttachLink(std::shared_ptr<ClientLink> link);
  // The largest frame a client may send, and so the largest field in it: jute.maxbuffer, as
  // ZooKeeper's server enforces it.
  size_t MaxFieldBytes() const { return static_cast<size_t>(config_.jute_max_buffer); }
  // The bound client port, for what the node reports (0 until the process listens).
  void SetClientPort(uint16_t port) { bound_port_ = port; }

  const ServerConfig& config() const { return config_; }
  // True when the node stopped because its log failed; the process must exit non-zero.
  bool failed() const { return failed_; }
  // Called once when the log fails (after Stop): the process should end.
  void SetOnFailed(std::function<void()> on_failed) { on_failed_ = std::move(on_failed); }

  // LinkHandler
  void OnFrame(ClientLink& conn, std::string_view frame) override;
  void OnFourLetterWord(ClientLink& conn, std::string_view word) override;
  void OnClosed(ClientLink& conn) override;
  void OnTlsEstablished(ClientLink& conn) override;

  // zab::StateMachine (server_replication.cc), on the io thread.
  void ApplyCommitted(const zab::LogEntry& entry) override;
  bool StoredSnapshotFile(int64_t zxid, int64_t* snapshot_zxid, std::string* path) override;
  // Reads the new state on the replication's background thread (storage_ file operations and
  // log_store_ reads only), then adopts it on the io thread.
  void LoadState(zab::StateLoad load) override;
  void Deliver(zab::ServerId from, std::string data) override;
  void RoleChanged() override;
  void Failed(const zab::Status& status) override;

  // For tests and the 4lw: the state the server serves from.
  const DataTree& tree() const { return *tree_; }
  const SessionTracker& sessions() const { return *sessions_; }
  // Client connections attached and not yet closed.
  size_t link_count() const { return conns_.size(); }

  // server_metrics.cc
  // Every figure mntr and /metrics report, taken now. Io thread only.
  MetricsSnapshot Metrics() const;

  // admin_commands.cc: the AdminServer's commands, run on the io thread. `spec` is the command
  // asked for; `params` the request's query parameters.
  nlohmann::ordered_json AdminCommand(const AdminCommandSpec& spec,
                                      const std::map<std::string, std::string>& params);

 private:
  // The leader sends its tree digest after this many applied txns, and at every tick when it
  // applied any since the last sample.
  static constexpr int64_t kDigestSampleEveryTxns = 128;
  // Pending::zxid of a write forwarded to the leader, or of a sync it has not yet answered.
  static constexpr int64_t kAwaitingLeader = -1;
  // Log entries removed per step of the purge after a snapshot (one LevelDB batch).
  static constexpr size_t kPurgeStepEntries = 1024;

  // One request of a session waiting for its turn to be answered.
  struct Pending {
    int32_t xid = 0;
    OpCode type = OpCode::kError;
    int64_t zxid = 0;          // writes: the txn's zxid (0 for reads and syncs)
    bool held = false;         // a follower's sync waiting for its point (sync_points_)
    std::vector<OpCode> multi_types;  // multi: the op type of each sub-request
    bool done = false;         // answered: `reply` holds it (applied writes, canned errors)
    // SESSIONEXPIRED for a request of a closing or gone session: sent in its turn, with the
    // zxid of that moment, and then the connection closes.
    bool session_expired = false;
    std::string frame;         // reads: the request body, evaluated when its turn comes
    std::string reply;         // the framed reply
    std::chrono::steady_clock::time_point received;
  };

  // One per connection, so an idle session's cost: fields ordered to leave no padding, the
  // rarely used parts behind pointers (160 bytes).
  struct ConnState {
    std::shared_ptr<ClientLink> conn;
    int64_t session_id = 0;
    int64_t last_zxid = 0;
    const char* last_op = "NA";  // a static op name (server_requests.cc OpName)
    int64_t total_latency_ms = 0;
    uint64_t latency_count = 0;
    int32_t negotiated_timeout_ms = 0;
    int32_t last_cxid = 0;
    int32_t last_latency_ms = 0, min_latency_ms = -1, max_latency_ms = 0;
    bool handshake_pending = false;  // waiting for its createSession txn
    bool client_wants_read_only_byte = true;
    bool read_only = false;  // accepted while this server is in read-only mode
    Principal who;
    std::unique_ptr<DigestMd5Server> sasl;  // this connection's SASL exchange, once begun
    Fifo<Pending> queue;  // in arrival order; empty costs nothing (fifo.h)
    // Requests sent before the handshake completed (null when none).
    std::unique_ptr<std::vector<std::string>> early_frames;
  };
  static_assert(sizeof(ConnState) <= 160, "an idle session's cost: see the comment above");

  // A txn this leader proposed, kept decoded until it is committed and applied.
  struct InFlight {
    Txn txn;
  };

  // A session created by this server in read-only mode: local, never replicated, forgotten
  // when the mode ends. `idle_since_ms` is set while no connection holds it.
  struct ReadOnlySession {
    SessionPassword password{};
    int32_t timeout_ms = 0;
    int64_t idle_since_ms = -1;
  };

  // A client's sync on a follower, once the leader has named the zxid it must reach.
  struct SyncPoint {
    int64_t zxid = 0;
    int64_t session_id = 0;
    int32_t xid = 0;
  };

  // A state read from storage: the newest snapshot plus the log replayed onto it.
  struct StoredState {
    struct Session {
      int32_t timeout_ms = 0;
      SessionPassword password{};
    };
    std::unique_ptr<DataTree> tree;
    std::map<int64_t, Session> sessions;  // by id: the snapshot's, with the log's opens/closes
    int64_t snapshot_zxid = 0;
    int64_t replayed = 0;  // txns replayed from the log
    // The memberships the state holds: each config txn replayed from the log, and the one in
    // the tree's /zookeeper/config (zab::DurableState::seen_configs).
    std::vector<zab::QuorumConfig> configs;
  };

  // server_node.cc
  // Reads the newest snapshot and replays the log up to `upto`. Touches only storage_'s files
  // and log_store_ (any thread, while the log is not written); with `may_cut_log` an
  // undecodable record cuts the log there (start-up), else it fails the read.
  zab::Status ReadState(int64_t upto, bool may_cut_log, StoredState* out) const;
  // Serves from `state` from now on: tree, sessions (their expiry starts now), Prep.
  void AdoptState(StoredState state);
  // ReadState + AdoptState on the calling thread (start-up).
  zab::Status LoadStateNow(int64_t upto, int64_t* replayed, int64_t* snapshot_zxid);
  zab::Status Recover();
  zab::Status StartReplication(const ReplicationFactory& make_replication);
  void MaybeSnapshot();
  // Draws next_snapshot_after_ in [snapCount/2+1, snapCount] (see the members below).
  void DrawNextSnapshot();
  int64_t NowMs() const { return clock_->MonotonicMs(); }  // for session expiry, latencies
  int64_t WallMs() const { return clock_->WallMs(); }       // for ctime/mtime
  ConnState* StateOf(uint64_t conn_id);
  // Closes the links attached kSessionlessConnectionTimeoutMs ago or earlier that still have no
  // session (nor one being created): a client that connects and never says hello, or an idle
  // socket someone left open, would otherwise hold its descriptor for as long as the server runs.
  void CloseSessionlessLinks();
  // The links whose state satisfies `pick`, in the order they were admitted (so what the node
  // does to several connections at once happens in one order, run after run).
  std::vector<std::shared_ptr<ClientLink>> LinksWhere(
      const std::function<bool(const ConnState&)>& pick) const;
  // The number of znodes as ZooKeeper counts them (its map holds the root twice).
  int64_t ReportedNodeCount() const { return static_cast<int64_t>(tree_->node_count()) + 1; }

  // server_requests.cc
  void HandleConnect(ConnState& st, std::string_view frame);
  void FinishConnect(ConnState& st, bool valid);
  void HandleRequest(ConnState& st, std::string_view frame);
  void HandleAuth(ConnState& st, std::string_view body);
  // server_sasl.cc
  // Loads the DIGEST-MD5 users from the JAAS file when one is configured.
  zab::Status LoadSaslUsers();
  // One step of the connection's SASL exchange (answered at once, as ZooKeeper does); on
  // failure answers AUTHFAILED (SESSIONCLOSEDREQUIRESASLAUTH when SASL is required) and closes.
  void HandleSasl(ConnState& st, int32_t xid, std::string_view body);
  // enforce.auth / sessionRequireClientSASLAuth: false (after answering
  // SESSIONCLOSEDREQUIRESASLAUTH and closing the connection) when `st` has not authenticated with
  // an enforced scheme.
  bool AuthEnforced(ConnState& st, int32_t xid);
  // Evaluates a read (or setWatches, sync, ping ...) against the tree; returns the framed reply.
  std::string EvaluateRead(ConnState& st, OpCode type, int32_t xid, std::string_view body);
  void Drain(ConnState& st);
  // Appends a GetDataResponse for `n` to `w`.
  void WriteDataResponse(proto::JuteWriter& w, const DataTree::Node& n) const;
  void LimitOutstanding(ConnState& st);
  // Answers a request that needs no evaluation (a canned error) in the session's order: now if
  // nothing of the session is pending, else when its turn comes.
  void AnswerInOrder(ConnState& st, Pending p, std::string reply);
  void RecordLatency(ConnState& st, const Pending& p);

  // server_writes.cc
  // Leader: preps and proposes a write; returns its zxid, or 0 when this server cannot propose.
  int64_t SubmitWrite(WriteRequest req, int64_t session_id, int32_t cxid,
                      const Principal& who);
  // Leader: proposes a new session with a fresh random password; returns its zxid or 0.
  int64_t ProposeSession(int64_t session_id, int32_t timeout_ms);
  // Any server: a client's write goes to the leader (proposed here, or forwarded). False when
  // there is no leader to take it.
  // Returns the zxid (leader), kAwaitingLeader (forwarded) or 0 (no leader to take it).
  int64_t RouteWrite(ConnState& st, WriteRequest req, int32_t type, int32_t xid,
                     std::string_view body);
  void ApplyOne(const Txn& txn);
  // Proposes a txn Prep made; its zxid, or 0 (see SubmitWrite).
  int64_t ProposePrepared(Txn txn);
  // server_reconfig.cc
  // Leader: fills in req's membership checks (WriteRequest::reconfig_err, config_text) and the
  // next membership they produce.
  void PlanMembershipChange(WriteRequest* req, zab::QuorumConfig* next) const;
  // Proposes a prepared reconfig txn as a membership change; false (and nothing proposed) when
  // ZAB refused it, with *err set to the answer.
  bool ProposeReconfig(const Txn& txn, zab::QuorumConfig next, Err* err, int64_t* zxid);
  // The membership committed now; when it is new: /zookeeper/config's data, the transport's
  // addresses and the dynamic configuration files follow it.
  void NoteMembership();
  // The newest membership (pending, else committed) as server lines.
  Membership NewestMembership() const;
  void AnswerApplied(const Txn& txn, const ApplyResult& result);
  std::string BuildWriteReply(const Pending& p, const Txn& txn, const ApplyResult& r);
  void SendNotifications(const std::vector<Notification>& notes);
  void ExpireSessions();
  // Leader: deletes the containers and TTL nodes the reaper hands out now.
  void ReapContainersAndTtls();
  void CloseSessionConnections(int64_t session_id);

  // server_replication.cc
  bool serving() const { return replication_ && replication_->peer().serving(); }
  bool leading() const {
    return serving() && replication_->peer().state() == zab::PeerState::kLeading;
  }
  void OnAppMessage(zab::ServerId from, AppMessage msg);
  // Follower: releases the syncs whose point is below `zxid` (called before applying the txn
  // `zxid`, so a point that names no txn, like the zxid before a new epoch's first, is reached
  // too) or, with `inclusive`, at most `zxid` (after applying it), and answers them in their
  // sessions' order.
  void ReleaseSyncs(int64_t zxid, bool inclusive);
  // Leader: sends its digest at its last applied zxid to every synced learner.
  void SampleDigest();
  // Learner: a leader's digest differs from ours at the same zxid.
  void OnDigestMismatch(const DigestMismatch& m);
  void ReportActivity();
  void CloseAllConnections(const char* why);
  // read_only_mode.cc
  // Enters read-only mode max(2 s, tickTime) after the member started looking for a leader (if
  // readonlymode.enabled and still looking then); leaves it (closing its read-only connections)
  // as soon as the member stops looking. Called whenever the role changes.
  void UpdateReadOnlyMode();
  // At a tick: enters read-only mode when its grace period has passed and it is still looking.
  void MaybeEnterReadOnlyMode();
  void EnterReadOnlyMode();
  void LeaveReadOnlyMode();
  // The handshake of a client that asked for a read-only session while in read-only mode.
  void AcceptReadOnly(ConnState& st, const proto::ConnectRequest& req);
  // Answers what a read-only connection may not do (writes, sync: NOTREADONLY; closeSession);
  // false when the request is served as usual.
  bool AnswerReadOnly(ConnState& st, Pending& p);
  void ReadOnlyConnectionClosed(int64_t session_id);
  void ExpireReadOnlySessions();

  // server_metrics.cc
  // Counts the start of a leader search and records its length when it ends (ensemble only).
  // Called whenever the role may have changed.
  void TrackElection();

  // four_letter_words.cc
  std::string FourLetterWord(std::string_view word);
  // "standalone" (later: leader, follower, observer), as srvr/stat/mntr print the mode.
  std::string ModeString() const;
  // The figures, one source for the four-letter words and the AdminServer's commands.
  // REQUIRES (all): tree_ and sessions_ exist.
  std::vector<ConnectionInfo> ConnectionInfos() const;  // in connection order
  ServerSummary Summary() const;                        // srvr and stat
  MntrWriter MonitorFigures() const;                    // mntr
  int64_t UptimeMs() const;
  // fsync.warningthresholdms exceedances: 0, or -1 when unknown.
  int64_t FsyncThresholdExceedCount() const;
  // Watchers (connections) are shown by their session ids.
  int64_t SessionOfWatcher(WatcherId watcher) const;
  std::vector<std::pair<std::string, std::vector<int64_t>>> WatchesByPath() const;
  std::vector<std::pair<int64_t, std::vector<std::string>>> WatchesBySession() const;
  WatchTotals WatchSummary() const;
  // Session ids by expiry deadline (the monotonic ms of NowMs), ids sorted.
  std::map<int64_t, std::vector<int64_t>> SessionsByExpiry() const;
  std::vector<std::pair<int64_t, std::vector<std::string>>> EphemeralsBySession() const;
  // srvr, stat and cons.
  std::string StatText(std::string_view word) const;
  // wchs, wchc and wchp.
  std::string WatchesText(std::string_view word) const;
  std::string DumpText() const;
  // srst: zeroes the server's counters and latencies.
  void ResetServerStats();
  // crst: zeroes every connection's counters and latencies, as ZooKeeper's resetStats().
  void ResetConnectionStats();

  // "host:port" of the client port, as ZooKeeper's QuorumPeer.getClientAddress prints it.
  std::string OwnClientAddress() const;

  ServerConfig config_;
  const NodeClock* clock_;
  uint16_t bound_port_ = 0;
  bool stopped_ = false;
  std::function<void()> on_failed_;
  bool failed_ = false;  // the log failed; the process must exit non-zero

  std::unique_ptr<DataTree> tree_;
  std::unique_ptr<SessionTracker> sessions_;
  std::unique_ptr<Prep> prep_;
  WatchManager watches_;
  zab::LogStore* log_store_ = nullptr;  // the transaction log; borrowed (Start)
  std::unique_ptr<NodeReplication> replication_;
  std::vector<SyncPoint> sync_points_;  // follower: syncs waiting for their zxid, any order
  absl::flat_hash_set<int64_t> active_sessions_;  // follower: to report to the leader
  NodeStorage* storage_ = nullptr;  // snapshots and directory sizes; borrowed (Start)
  // Snapshot cadence, as ZooKeeper's SyncRequestProcessor: after a random count of txns in
  // [snapCount/2+1, snapCount] (drawn again each time, so the servers of an ensemble do not
  // snapshot together), a snapshot starts, or is skipped when the last one still runs; either
  // way the count starts over.
  int64_t txns_since_snapshot_ = 0;
  int64_t next_snapshot_after_ = 0;
  std::mt19937_64 snapshot_rng_;  // seeded from seed_ by Recover
  int64_t started_ms_ = 0;  // NowMs() at Start
  uint64_t seed_ = 0;  // node.seed, or drawn at construction; logged by Start

  std::deque<InFlight> in_flight_;
  uint64_t next_conn_id_ = 1;
  // Node-based: a flat map would hold a ConnState-sized slot for each of its (up to 2x) spare
  // slots too, and a ConnState's address stays put while others come and go.
  absl::node_hash_map<uint64_t, ConnState> conns_;
  // (NowMs() at AttachLink, link id) of every link attached in the last
  // kSessionlessConnectionTimeoutMs and a tick, oldest first (CloseSessionlessLinks).
  std::deque<std::pair<int64_t, uint64_t>> recently_attached_;
  absl::flat_hash_map<int64_t, uint64_t> conn_of_session_;
  absl::flat_hash_map<std::string, int> conns_per_ip_;
  bool sasl_enabled_ = false;                     // a JAAS file with users is configured
  std::map<std::string, std::string> sasl_users_;  // DIGEST-MD5 user -> password
  std::set<std::string> enforced_auth_schemes_;    // config_.EnforcedAuthSchemes()
  ContainerReaper reaper_;
  DigestAudit digest_audit_;
  int64_t digest_sampled_zxid_ = 0;   // leader: the last zxid whose digest it sent
  int64_t txns_since_digest_sample_ = 0;
  bool diverged_ = false;  // digest.onMismatch=stopServing tripped: clients are refused
  ServerStats stats_;
  int64_t looking_since_ms_ = -1;   // NowMs() when the current leader search began; -1: none
  int64_t snapshot_started_ms_ = 0;  // NowMs() when the running snapshot began

  // Read-only mode (read_only_mode.cc).
  bool read_only_ = false;
  // The memberships of the state recovered at start-up (StoredState::configs).
  std::vector<zab::QuorumConfig> recovered_configs_;
  // The version of the membership NoteMembership last acted on; -1: none yet.
  int64_t membership_version_ = -1;
  int64_t read_only_due_ms_ = -1;  // NowMs() at which to enter read-only mode; -1: not due
  absl::flat_hash_map<int64_t, ReadOnlySession> read_only_sessions_;
};

}  // namespace zk::server
