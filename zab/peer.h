// Peer: the ZAB core of one server — fast leader election, discovery, synchronization and
// broadcast — as a pure state machine in the style of etcd's raft. It takes no sockets, threads,
// clocks or files: a driver feeds it ticks, received messages, connection events and disk
// completions, and carries out the Actions it returns. The same core runs in zabkeeper (asio
// transport, LevelDB log, group commit) and inside the deterministic simulator.
//
// The driver's loop:
//   1. feed inputs: Tick(), Step(), Connected()/Disconnected(), Persisted(), Propose(), SendApp();
//   2. TakeActions(&out) and carry them out strictly in order:
//      - Append / Truncate / SaveEpochs / InstallSnapshot: disk operations, executed in the order
//        given (they may complete later, on another thread); when every operation up to sequence
//        number `seq` is durable, call Persisted(seq). InstallSnapshot also replaces the state
//        machine's state at once. A Truncate with rebuild_state set means the state machine holds
//        txns above `after_zxid`: wait until the truncate is durable, then rebuild the state from
//        durable storage (snapshot + log) before the next action;
//      - Apply: apply the committed txn to the state machine (txns come in zxid order, each once);
//      - Send: queue the message on the connection to `to` for its channel (ChannelOf), dropping
//        it when that connection is down. Expand LogRange into Proposal + Commit pairs read from
//        the durable log; replace an empty Snapshot by a stored snapshot at some S <= its zxid
//        (every txn up to snapshot.zxid is durable) followed by the logged txns in
//        (S, snapshot.zxid] as Proposal + Commit pairs;
//      - Disconnect: close the quorum connection to `peer` (the peer re-syncs on a new one);
//      - Deliver: an AppData payload from `from` for the application.
//
// Restart: the driver recovers the state machine from its newest snapshot plus the WHOLE log
// (also txns that may not have been committed, as ZooKeeper does; synchronization truncates them
// if needed), reads the epochs, and constructs the Peer with that DurableState.
//
// Durability rules kept here: a follower ACKs a proposal only after it is durable; the accepted
// epoch is durable before ACKEPOCH; the current epoch and the synchronized history are durable
// before the NEWLEADER ack (the leader counts itself under the same rule).
//
// Always-on checks (ZK_CHECK-style aborts): logged zxids strictly increase, epochs never go
// backwards, committed txns are never truncated, committed txns are applied in zxid order.
//
// Reconfiguration (docs/zab.md): ProposeConfig logs a config txn (config_txn.h); until it commits
// it and every later txn need a quorum of the old and of the new membership; every member
// activates it when it knows it committed (SaveConfig persists it), and a restarted server
// recovers the committed membership and the pending ones from its DurableState.
//
// Thread-safety: none; one thread (the driver's) owns a Peer. The LogStore is only read (Read and
// FloorZxid, for synchronization decisions), never written, by the Peer.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "zab/log_store.h"
#include "zab/messages.h"
#include "zab/quorum_config.h"
#include "zab/zxid.h"

namespace zk::zab {

struct PeerConfig {
  ServerId id = 0;
  // The static membership (version 0), in force until a config txn commits (see
  // "Reconfiguration" below).
  std::vector<ServerId> voters;     // participants; a majority of them is a quorum
  std::vector<ServerId> observers;  // learn committed txns, never vote
  // This server may be outside the static membership: it waits to be added by a config txn
  // (it follows an announced leader as a non-voting learner meanwhile).
  bool joining = false;

  // Times, in ticks (the driver chooses the tick length).
  int64_t election_retry_ticks = 2;       // first resend of notifications; doubles each time
  int64_t election_retry_max_ticks = 64;  // ... up to this
  int64_t finalize_wait_ticks = 2;        // wait for a better vote after a quorum agrees
  int64_t init_limit_ticks = 100;         // discovery + synchronization must finish within
  int64_t sync_limit_ticks = 50;          // silence tolerated between leader and learner
  int64_t ping_ticks = 10;                // leader heartbeat period

  // Test seam: the largest zxid counter an epoch may use (kMaxZxidCounter in production), so
  // tests can run epochs out of zxids quickly.
  int64_t TEST_max_zxid_counter = kMaxZxidCounter;
  // Test seam, a planted bug: while a config change is pending, commit with a quorum of the
  // newest configuration alone (the simulator must catch it).
  bool TEST_commit_with_new_quorum_only = false;

  // REQUIRES-style validation: returns an empty string or what is wrong.
  std::string Validate() const;
};

// What a server has on disk when it (re)starts.
struct DurableState {
  int64_t accepted_epoch = 0;
  int64_t current_epoch = 0;
  int64_t last_zxid = 0;  // last zxid in the log, or the snapshot's zxid when the log is empty
  // The membership last known committed (what SaveConfig wrote; ReadCommittedConfig in
  // replica.h); absent: the static one.
  std::optional<QuorumConfig> committed_config;
  // Every membership the recovered state holds: the one in the snapshot's state and the config
  // of each config txn in the log (config_txn.h), in any order. Those above committed_config
  // (and not above last_zxid) are pending: logged, not known committed.
  std::vector<QuorumConfig> seen_configs;
};

struct AppendAction {
  uint64_t seq = 0;
  std::vector<LogEntry> entries;
};
struct TruncateAction {
  uint64_t seq = 0;
  int64_t after_zxid = 0;  // remove every entry above
  bool rebuild_state = false;
};
struct SaveEpochsAction {
  uint64_t seq = 0;
  int64_t accepted_epoch = 0;
  int64_t current_epoch = 0;
};
struct InstallSnapshotAction {
  uint64_t seq = 0;
  int64_t zxid = 0;
  std::string data;  // replace state and log: the log is emptied, the snapshot persisted
};
// Persist `config` as the committed membership (the driver's disk port; ordered with the other
// disk actions). Losing it in a crash is safe: the config is then recovered as pending.
struct SaveConfigAction {
  uint64_t seq = 0;
  QuorumConfig config;
};
struct ApplyAction {
  LogEntry entry;
};
struct SendAction {
  ServerId to = 0;
  Message msg;
};
// One message for several servers (a proposal or a commit for every follower; never a message
// the driver expands): carried as a SendAction to each would be, but the network may encode it
// once for all of them.
struct BroadcastAction {
  std::vector<ServerId> to;
  Message msg;
};
struct DisconnectAction {
  ServerId peer = 0;
};
struct DeliverAction {
  ServerId from = 0;
  std::string data;
};
using Action = std::variant<AppendAction, TruncateAction, SaveEpochsAction, InstallSnapshotAction,
                            ApplyAction, SendAction, DisconnectAction, DeliverAction,
                            SaveConfigAction, BroadcastAction>;

// The outcome of Peer::ProposeConfig.
enum class ConfigChange {
  kProposed,    // logged and broadcast as the txn with the returned zxid
  kNotLeader,   // not a serving leader (or the epoch's zxids ran out)
  kInProgress,  // a config txn is still pending (ZooKeeper's RECONFIGINPROGRESS)
  kNoQuorum,    // no quorum of the new voters is connected and synced (NEWCONFIGNOQUORUM)
  kInvalid,     // the new membership fails QuorumConfig::Validate
};
struct ConfigProposal {
  ConfigChange result = ConfigChange::kNotLeader;
  int64_t zxid = 0;
};

// What the leader knows of one learner (for tests and the four-letter words).
struct LearnerStatus {
  ServerId id = 0;
  bool observer = false;
  bool synced = false;  // acked NEWLEADER: counts for the quorum
  int64_t acked_zxid = 0;
};

class Peer {
 public:
  // REQUIRES: config.Validate() is empty; log outlives the Peer.
  Peer(PeerConfig config, DurableState restored, LogStore* log, uint64_t seed);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Inputs.
  void Tick();
  void Step(ServerId from, Message msg);
  void Connected(ServerId peer, Channel channel);
  void Disconnected(ServerId peer, Channel channel);
  // Every disk action with a sequence number <= seq is durable.
  void Persisted(uint64_t seq);
  // Leader, once serving: logs `data` as the next txn and broadcasts it. Returns its zxid, or 0
  // when this peer cannot propose now (not an established leader, or the epoch's counter is
  // exhausted — the leader then steps down to start a new epoch).
  int64_t Propose(std::string data);
  // Sends an application payload to the leader (from a serving learner) or to a synced learner
  // (from the leader). Returns false when there is no such connection now.
  bool SendApp(ServerId to, std::string data);
  // Leader, once serving: proposes the membership `next` (its version is set to the txn's zxid)
  // with the application's txn `txn` (ConfigTxn envelope, config_txn.h). Until it commits, it
  // and every later txn need a quorum of the old and of the new voters.
  ConfigProposal ProposeConfig(QuorumConfig next, std::string txn);
  // Leader: the zxid the next successful Propose will take.
  int64_t NextZxid() const { return MakeZxid(epoch_, next_counter_); }

  // Outputs.
  bool HasActions() const { return !actions_.empty(); }
  // Moves the pending actions into `*out`, which must be empty: the two vectors swap, so a
  // driver that clears and hands back the same vector each time lets both keep their capacity
  // (no allocation per action emitted).
  void TakeActions(std::vector<Action>* out);

  // State.
  ServerId id() const { return config_.id; }
  PeerState state() const { return state_; }
  // Leader established (a quorum acked NEWLEADER) or learner after UPTODATE: clients may be
  // served from the state machine.
  bool serving() const { return serving_; }
  // The leader this peer follows or is; 0 while looking.
  ServerId leader() const { return state_ == PeerState::kLooking ? 0 : vote_.leader; }
  int64_t accepted_epoch() const { return accepted_epoch_; }
  int64_t current_epoch() const { return current_epoch_; }
  int64_t last_zxid() const { return last_zxid_; }          // last logged (maybe not durable)
  int64_t durable_zxid() const { return durable_zxid_; }
  int64_t committed_zxid() const { return applied_zxid_; }  // last txn handed to Apply
  int64_t election_round() const { return round_; }
  // Leader only: its learners; empty otherwise.
  std::vector<LearnerStatus> Learners() const;
  // Leader only: proposals logged but not yet committed.
  size_t outstanding_proposals() const { return outstanding_.size(); }
  // Why the peer last went back to looking (for the driver's log).
  const char* last_transition() const { return last_transition_; }
  // A voter of the committed membership or of a pending one.
  bool IsVoter(ServerId id) const;
  // The membership in force (committed), and the newest pending one (logged, not known
  // committed), if any.
  const QuorumConfig& committed_config() const { return committed_; }
  const QuorumConfig* pending_config() const {
    return pending_.empty() ? nullptr : &pending_.rbegin()->second;
  }

 private:
  struct Learner {
    bool observer = false;
    LearnerInfo info;
    bool epoch_acked = false;
    int64_t last_zxid = 0;   // from ACKEPOCH: where synchronization starts
    bool sync_sent = false;  // history sent; proposals and commits forwarded from now on
    bool synced = false;     // acked NEWLEADER: counts for the quorum
    int64_t acked_zxid = 0;
    int64_t last_heard = 0;  // tick
  };
  enum class LearnPhase { kConnecting, kDiscovery, kSync, kBroadcast };

  // peer.cc: shared plumbing.
  template <class A>
  void Emit(A a) {
    actions_.emplace_back(std::in_place_type<A>, std::move(a));
  }
  template <class M>
  void Send(ServerId to, M m) {
    // Braces, not in-place parentheses: clang before 16 cannot initialize an aggregate with
    // parentheses (the fuzz targets build with clang).
    actions_.emplace_back(SendAction{to, Message(std::in_place_type<M>, std::move(m))});
  }
  // Send to each of `to` (none: nothing). Only for messages sent as they are (never a LogRange
  // or Snapshot, which the driver expands per learner).
  template <class M>
  void Broadcast(std::vector<ServerId> to, M m) {
    static_assert(std::is_same_v<M, Proposal> || std::is_same_v<M, Commit>);
    if (to.empty()) return;
    if (to.size() == 1) {
      Send(to.front(), std::move(m));
      return;
    }
    actions_.emplace_back(
        BroadcastAction{std::move(to), Message(std::in_place_type<M>, std::move(m))});
  }
  uint64_t NextSeq() { return ++seq_; }
  uint64_t NextRandom();
  // An observer of the newest membership (committed or pending) and a voter of none.
  bool IsObserverRole(ServerId id) const;
  // What this server is as a learner: kObserving for an observer, kFollowing otherwise (also a
  // server outside the membership: a non-voting follower, as a joining server is).
  PeerState LearnerState() const;
  // `ids` holds a quorum of the committed membership and of every pending one.
  bool QuorumOfAll(const std::set<ServerId>& ids) const;
  // The same for joining an established leader whose election vote was `leader`, leaving out the
  // pending memberships its history cannot hold (their txns lie above its vote's zxid, in an
  // epoch before the one it established): those never commit, and the leader truncates them.
  bool QuorumToJoin(const std::set<ServerId>& ids, const Vote& leader) const;
  // `ids` holds the quorum the txn `zxid` needs to commit: of the committed membership and of
  // every pending one at or below `zxid`.
  bool CommitQuorum(const std::set<ServerId>& ids, int64_t zxid) const;
  // Every voter / observer of the committed and the pending memberships.
  std::set<ServerId> AllVoters() const;
  std::set<ServerId> AllObservers() const;
  // Records a logged config txn as pending.
  void NoteLoggedConfig(const LogEntry& e);
  // Activates the newest pending membership at or below `zxid` (known committed now).
  void CommitConfigsUpTo(int64_t zxid);
  // Makes `config` (known committed) the committed membership and persists it.
  void AdoptCommittedConfig(QuorumConfig config);
  // The membership in force at `zxid` as far as this server knows (for a SNAP).
  const QuorumConfig* ConfigAt(int64_t zxid) const;
  // After an activation: drop learners outside it, step down if removed, change role.
  void AfterConfigChange();
  int64_t ProposeEntry(std::string data);
  void AppendToLog(std::vector<LogEntry> entries);
  void TruncateLog(int64_t after_zxid);
  void SaveEpochs();
  // Hands every logged txn up to `zxid` to the state machine, in order.
  void ApplyUpTo(int64_t zxid);
  void BecomeLooking(const char* why);
  // The entry with this zxid from the in-memory tail, or nullptr.
  const LogEntry* TailEntry(int64_t zxid) const;
  void TrimTail();

  // election.cc
  void StartElection();
  void OnNotification(ServerId from, const Notification& n);
  void EvaluateVotes();
  bool LeaderConfirmed(const Vote& v) const;
  // Sends our notification to a server outside our broadcasts, at most once a tick unless it
  // changed.
  void TellOncePerTick(ServerId to);
  void ElectionTick();
  void BroadcastNotification();
  Notification MyNotification() const;
  bool QuorumAgrees(const std::map<ServerId, Vote>& votes, const Vote& v) const;
  void Decide(const Vote& v);

  // leader.cc
  void LeadStart();
  void LeaderStep(ServerId from, Message& msg);
  void LeaderTick();
  void OnLearnerInfo(ServerId from, const LearnerInfo& info);
  void MaybeDecideEpoch();
  void OnAckEpoch(ServerId from, const AckEpoch& ack);
  void MaybeEstablishEpoch();
  bool LogContains(int64_t zxid);
  int64_t LogFloor(int64_t zxid);
  void SyncLearner(ServerId id, Learner& l);
  void OnLeaderAck(ServerId from, int64_t zxid);
  void MaybeEstablish();
  void MaybeCommit();
  bool LeaderHasQuorum() const;

  // learner.cc
  void LearnStart();
  void SendLearnerInfo();
  void LearnerStep(ServerId from, Message& msg);
  void LearnerTick();
  void OnLeaderInfo(const LeaderInfo& info);
  void MaybeAckEpoch();
  void OnSyncStart(const SyncStart& s);
  void OnSnapshot(Snapshot& snap);
  void OnLearnerProposal(Proposal& p);
  void OnLearnerCommit(int64_t zxid);
  void OnInform(Inform& inform);
  void OnNewLeader(const NewLeader& nl);
  void MaybeAckNewLeader();
  void MaybeAckProposals();

  PeerConfig config_;
  // Memberships: the committed one, the pending ones (logged config txns above it, by zxid),
  // and the recently committed ones (to tell a SNAP which was in force at its zxid).
  QuorumConfig committed_;
  std::map<int64_t, QuorumConfig> pending_;
  std::map<int64_t, QuorumConfig> committed_history_;
  bool config_changed_ = false;  // activated since the last AfterConfigChange
  std::string snap_config_;      // SyncStart's membership, taken with the snapshot
  LogStore* log_;
  uint64_t rng_;
  std::vector<Action> actions_;
  uint64_t seq_ = 0;
  uint64_t persisted_seq_ = 0;
  int64_t now_ = 0;  // ticks
  const char* last_transition_ = "started";

  PeerState state_ = PeerState::kLooking;
  bool serving_ = false;
  int64_t accepted_epoch_ = 0;
  int64_t current_epoch_ = 0;
  uint64_t epochs_seq_ = 0;  // seq of the last SaveEpochs

  // The log as this peer sees it: durable entries in the LogStore, plus an in-memory tail of
  // every entry above min(durable_zxid_, applied_zxid_).
  int64_t last_zxid_ = 0;
  int64_t durable_zxid_ = 0;
  int64_t applied_zxid_ = 0;
  int64_t known_committed_ = 0;  // highest zxid an established leader committed, as seen here
  std::deque<LogEntry> tail_;
  std::deque<std::pair<uint64_t, int64_t>> durable_marks_;  // (seq, zxid durable with it)

  // Election.
  int64_t round_ = 0;
  Vote vote_;
  std::map<ServerId, Vote> received_;            // this round
  std::map<ServerId, Notification> outside_;     // from voters following or leading
  // Per server that is no voter to us: the tick of our last notification to it and what it said.
  std::map<ServerId, std::pair<int64_t, Notification>> told_;
  int64_t next_notify_ = 0;
  int64_t notify_backoff_ = 0;
  int64_t decide_at_ = -1;  // a quorum agrees: decide at this tick unless a better vote comes
  std::set<ServerId> election_links_;
  std::set<ServerId> quorum_links_;
  std::map<ServerId, LearnerInfo> stashed_infos_;  // LEARNERINFO received while not leading

  // Leader (and the epoch a learner follows).
  int64_t epoch_ = 0;
  int64_t phase_deadline_ = 0;  // discovery + synchronization must finish by this tick
  bool epoch_decided_ = false;
  bool epoch_established_ = false;  // a quorum acked the epoch
  uint64_t accepted_epoch_seq_ = 0;
  uint64_t current_epoch_seq_ = 0;
  int64_t history_end_ = 0;  // last zxid of the initial history
  int64_t commit_zxid_ = 0;
  std::map<ServerId, Learner> learners_;
  std::deque<int64_t> outstanding_;  // proposed, not yet committed, in zxid order
  int64_t next_counter_ = 1;
  int64_t last_ping_ = 0;

  // Learner.
  LearnPhase phase_ = LearnPhase::kConnecting;
  int64_t leader_heard_ = 0;
  bool ackepoch_pending_ = false;
  bool sync_started_ = false;
  bool expect_snapshot_ = false;
  int64_t newleader_zxid_ = 0;  // NEWLEADER received; acked once durable
  uint64_t newleader_seq_ = 0;
  bool newleader_acked_ = false;
  int64_t acked_zxid_ = 0;  // highest proposal acked to the leader
  int64_t sync_commit_ = 0;  // commits received before UPTODATE, applied on UPTODATE
};

}  // namespace zk::zab
