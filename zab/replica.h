// Replica: one ZAB server's driver core — the Peer plus everything that carries out its Actions
// (peer.h) — with no asio, threads, clocks or file I/O. The production NodeDriver and the
// deterministic simulator's SimNode both run it, so the simulator tests the code that serves
// clients. Its environment is given as ports:
//   - ReplicaDisk: queued disk work (appends, truncates, epoch writes), one synchronous truncate,
//     and reads for synchronizing learners (log chunks, stored snapshot files);
//   - ReplicaNetwork: send on a peer connection, close one, bytes queued on one;
//   - StateMachine: the replicated state (the server's tree and sessions).
// Inputs are method calls: Tick(), network events, Propose()/SendApp(), and the completions of
// the disk port's work (OnAppendDurable, OnDiskOpDone, OnLogChunkRead, OnSnapshotFileRead).
//
// What it does with the Peer's actions, in the order given:
//   - Append / Truncate / SaveEpochs / SaveConfig are queued on the disk port; their completions report
//     Persisted(seq) to the Peer once everything up to seq is durable;
//   - Truncate with rebuild_state and InstallSnapshot replace the state machine's state: the
//     truncation (for InstallSnapshot, of the whole log) is queued on the disk port like any
//     other, and once it is done the StateMachine loads its state (StateMachine::LoadState,
//     rebuilt from durable storage or from the leader's snapshot), off the driver's thread where
//     there is one. Until the load completes (OnStateLoaded), every later action is held, in
//     order, and carried out after it; nothing else reaches the StateMachine, and no role change
//     is reported. Persisted is reported for the load once it completed;
//   - Apply / Deliver go to the StateMachine; Disconnect to the network port;
//   - Send goes to the network port, except that a LogRange is streamed as Proposal + Commit
//     pairs read a chunk at a time from the log (at most stream_high_water_bytes queued on the
//     connection when the port knows its queue; resumed by OnOutputWritten), and an empty
//     Snapshot becomes the StateMachine's stored snapshot file (read through the disk port) plus
//     the logged txns up to the requested zxid. Quorum messages for a learner wait behind its
//     stream and follow it in order; beyond stream_max_held_bytes of them the learner is
//     disconnected. A range the log no longer holds (purged since it was decided: the log's
//     first zxid moved above the next one to send) disconnects the learner (it syncs again).
// After every batch, a change of the Peer's state, serving flag or epoch is reported to the
// StateMachine (RoleChanged). A failed disk operation fails the replica: StateMachine::Failed is
// called once, and nothing more is carried out.
//
// Thread-safety: none; every call, and every call into the ports and the StateMachine, happens
// on the owner's thread. Port completions must come back as later input calls, never from inside
// the port call that requested them.
// Ownership: borrows the LogStore, StateMachine and ports (all must outlive the Replica); owns
// the Peer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zab/log_store.h"
#include "zab/peer.h"
#include "zab/status.h"

namespace zk::zab {

// A replacement of the state machine's state (see StateMachine::LoadState).
struct StateLoad {
  enum class Kind {
    kInstall,  // the leader's snapshot `data` at `zxid` (empty data at zxid 0: the initial state)
    kRebuild,  // rebuilt from durable storage (stored snapshot + log) up to `zxid` inclusive
  };
  Kind kind = Kind::kRebuild;
  int64_t zxid = 0;
  std::string data;
};

// What the driver needs from the replicated state machine (the server's tree and sessions).
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // A committed txn, in zxid order, each once.
  virtual void ApplyCommitted(const LogEntry& entry) = 0;
  // For a learner being synchronized by snapshot: the file of a stored snapshot at the largest
  // zxid S <= `zxid` (every txn up to `zxid` is durable), whose bytes the learner loads
  // (StateLoad::kInstall); S = 0 with an empty path stands for the initial state (nothing
  // stored yet: the log then holds every txn). Returns false if there is no such snapshot. The
  // file is read through the disk port (ReplicaDisk::ReadSnapshotFile), so a large snapshot
  // never stalls the driver's thread.
  virtual bool StoredSnapshotFile(int64_t zxid, int64_t* snapshot_zxid, std::string* path) = 0;
  // Starts replacing the state: kInstall installs the leader's snapshot and makes it durable
  // (the log has been emptied before); kRebuild rebuilds the state from durable storage up to
  // load.zxid (the log has been cut after it before). The work may run off the driver's thread;
  // the log is not written meanwhile. Completion: Replica::OnStateLoaded, a later input call; a
  // non-OK status fails the driver. Until then the driver calls nothing else on the machine.
  virtual void LoadState(StateLoad load) = 0;
  // An application payload from a peer.
  virtual void Deliver(ServerId from, std::string data) = 0;
  // The peer's state, serving flag or epoch changed (checked after every batch of actions).
  virtual void RoleChanged() = 0;
  // The log failed: nothing more can be acknowledged; the server must stop.
  virtual void Failed(const Status& status) = 0;
};

// Meta keys in the LogStore holding the epochs (decimal).
inline constexpr char kAcceptedEpochKey[] = "acceptedEpoch";
inline constexpr char kCurrentEpochKey[] = "currentEpoch";

// Meta key in the LogStore holding the committed membership (EncodeQuorumConfig).
inline constexpr char kCommittedConfigKey[] = "committedConfig";

// Reads the persisted committed membership; *config stays empty when never written.
Status ReadCommittedConfig(LogStore* store, std::optional<QuorumConfig>* config);
// Writes it, synced (what a disk port does for SaveConfig).
Status WriteCommittedConfig(LogStore* store, const QuorumConfig& config);

// Reads the persisted epochs (0 when never written).
Status ReadEpochs(LogStore* store, int64_t* accepted, int64_t* current);
// Writes both epochs, the second write synced (what a disk port does for SaveEpochs).
Status WriteEpochs(LogStore* store, int64_t accepted, int64_t current);

// A read of part of a learner's log range: entries in [from, upto], at most max_bytes of data
// (always at least the first entry found). `to` and `generation` identify the stream.
struct LogChunkRequest {
  ServerId to = 0;
  uint64_t generation = 0;
  int64_t from = 0;
  int64_t upto = 0;
  size_t max_bytes = 0;
};

// A read of a stored snapshot file for a learner.
struct SnapshotFileRequest {
  ServerId to = 0;
  uint64_t generation = 0;
  int64_t zxid = 0;
  std::string path;
};

// The disk as the Replica sees it. Queued operations run in the order queued; reads may run
// beside them (LogStore reads are safe beside its mutations).
class ReplicaDisk {
 public:
  virtual ~ReplicaDisk() = default;
  // Queues a synced append of `entries` (non-empty, zxids above everything queued before).
  // Completion: Replica::OnAppendDurable(z, status) with z >= the batch's last zxid, or a failure.
  virtual void Append(uint64_t seq, std::vector<LogEntry> entries) = 0;
  // Queues LogStore::TruncateAfter(after_zxid). Completion: Replica::OnDiskOpDone(seq, status).
  virtual void Truncate(uint64_t seq, int64_t after_zxid) = 0;
  // Queues WriteEpochs(accepted, current). Completion: Replica::OnDiskOpDone(seq, status).
  virtual void SaveEpochs(uint64_t seq, int64_t accepted, int64_t current) = 0;
  // Queues WriteCommittedConfig(config). Completion: Replica::OnDiskOpDone(seq, status).
  virtual void SaveConfig(uint64_t seq, const QuorumConfig& config) = 0;
  // Reads log entries, then the log's FirstZxid() (to tell a range purged meanwhile).
  // Completion: Replica::OnLogChunkRead(request, status, entries, first_zxid).
  virtual void ReadLogChunk(const LogChunkRequest& request) = 0;
  // Reads the whole file. Completion: Replica::OnSnapshotFileRead(request, bytes), empty bytes
  // when the file cannot be read.
  virtual void ReadSnapshotFile(const SnapshotFileRequest& request) = 0;
};

// The peer network as the Replica sees it.
class ReplicaNetwork {
 public:
  virtual ~ReplicaNetwork() = default;
  // Queues `msg` on the connection to `to` for its channel; false when that connection is down
  // (the message is dropped).
  virtual bool Send(ServerId to, Message&& msg) = 0;
  // Queues `msg` for each of `to`, as Send would. A network that encodes messages may encode it
  // once for all of them; this default sends each a copy.
  virtual void SendToAll(const std::vector<ServerId>& to, const Message& msg) {
    for (ServerId id : to) Send(id, Message(msg));
  }
  // Closes the quorum connection to `peer`.
  virtual void Disconnect(ServerId peer) = 0;
  // Bytes queued on the quorum connection to `peer` and not yet written; nullopt when the port
  // does not track them (log ranges are then read in 4 MiB chunks and queued without waiting).
  virtual std::optional<size_t> QueuedBytes(ServerId peer) = 0;
};

// About the bytes a message takes on the wire (for the bound on messages held behind a stream).
size_t ApproximateWireSize(const Message& m);

// The default of ReplicaOptions::stream_high_water_bytes.
inline constexpr size_t kLogStreamHighWaterBytes = size_t{8} << 20;

struct ReplicaOptions {
  // The high-water mark of log range streaming (also the most read from the log at once).
  // Keep 2 * high water + max held below the connection's limit.
  size_t stream_high_water_bytes = kLogStreamHighWaterBytes;
  // Quorum messages held behind a learner's stream beyond this disconnect the learner (it is not
  // keeping up with the live load while it catches up).
  size_t stream_max_held_bytes = size_t{32} << 20;
  // Called before each action is carried out (tracing; may be empty).
  std::function<void(const Action&)> on_action;
};

class Replica {
 public:
  // REQUIRES: config.Validate() is empty; everything borrowed outlives the Replica.
  Replica(PeerConfig config, DurableState restored, LogStore* store, StateMachine* machine,
          ReplicaDisk* disk, ReplicaNetwork* network, ReplicaOptions options, uint64_t seed);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Carries out the first actions (the election).
  void Start();
  // After this, inputs are ignored and nothing more is called. Idempotent.
  void Stop();

  void Tick();
  // Leader, serving: proposes a txn; its zxid, or 0 (see Peer::Propose).
  int64_t Propose(std::string data);
  // Leader, serving: proposes a membership change (see Peer::ProposeConfig).
  ConfigProposal ProposeConfig(QuorumConfig next, std::string txn);
  // The zxid the next Propose will take (leader only).
  int64_t NextZxid() const { return peer_->NextZxid(); }
  bool SendApp(ServerId to, std::string data);

  // Network events.
  void OnConnected(ServerId peer, Channel channel);
  void OnDisconnected(ServerId peer, Channel channel);
  void OnMessage(ServerId from, Message&& msg);
  // The quorum connection to `peer` wrote some of its queued output.
  void OnOutputWritten(ServerId peer);

  // Disk port completions.
  void OnAppendDurable(int64_t zxid, const Status& status);
  void OnDiskOpDone(uint64_t seq, const Status& status);
  // `first_zxid`: the log's FirstZxid() read after `entries`.
  void OnLogChunkRead(const LogChunkRequest& request, const Status& status,
                      std::vector<LogEntry> entries, int64_t first_zxid);
  void OnSnapshotFileRead(const SnapshotFileRequest& request, std::string data);
  // StateMachine::LoadState completed.
  void OnStateLoaded(const Status& status);

  const Peer& peer() const { return *peer_; }
  bool failed() const { return failed_; }
  bool stopped() const { return stopped_; }
  // Learners with a log range or snapshot on its way (for tests).
  size_t active_streams() const { return log_streams_.size(); }
  // A state load is queued or running; actions wait behind it (for tests).
  bool loading_state() const { return load_.has_value(); }
  size_t held_actions() const { return held_.size(); }

 private:
  struct PendingDisk {
    uint64_t seq = 0;
    bool append = false;
    int64_t zxid = 0;  // appends: the batch's last zxid
  };
  // A log range (after a snapshot still being read, if awaiting_snapshot) on its way to a
  // learner, and the quorum messages waiting behind it.
  struct LogStream {
    int64_t next = 0;  // the next zxid to read
    int64_t upto = 0;  // the last zxid of the range
    // The log's first zxid when the range was decided (the log then held all of it): while it
    // is unchanged, nothing of the range was purged.
    int64_t first_at_start = 0;
    std::deque<Message> held;
    size_t held_bytes = 0;
    bool awaiting_snapshot = false;
    bool reading = false;  // a chunk is being read
    uint64_t generation = 0;
  };

  // A state load in progress: its disk sequence number, what to load, and whether the
  // truncation before it is done (the StateMachine is then loading).
  struct PendingLoad {
    uint64_t seq = 0;
    StateLoad load;
    bool started = false;
  };

  void Process();  // carries out the Peer's actions until there are none
  void Carry(Action& a);
  // Queues the truncation a state load needs; the load starts when it is done.
  void BeginLoad(uint64_t seq, int64_t truncate_after, StateLoad load);
  // Carries out the held actions in order, until none is left or one begins another load.
  void CarryHeld();
  void ReportRole();
  void SendExpanded(ServerId to, Message& msg);
  // Streams the logged txns in (after, upto] as Proposal + Commit pairs; quorum messages to
  // `to` wait behind the range.
  void SendLogRange(ServerId to, int64_t after, int64_t upto);
  // Requests more of `to`'s log stream; ends the stream (sending what waited behind it) when the
  // range is out.
  void PumpLogStream(ServerId to);
  // Sends `to` the stored snapshot at or below `upto` and then the log up to `upto`.
  void SendStoredSnapshot(ServerId to, int64_t upto);
  // Ends `to`'s stream and closes its connection (it will synchronize again).
  void DropLearner(ServerId to);
  void Persisted(uint64_t seq);
  void Fail(const Status& status);

  LogStore* store_;
  StateMachine* machine_;
  ReplicaDisk* disk_;
  ReplicaNetwork* net_;
  ReplicaOptions options_;
  std::unique_ptr<Peer> peer_;
  std::deque<PendingDisk> pending_disk_;
  std::optional<PendingLoad> load_;
  std::deque<Action> held_;  // actions that came after load_'s, in order
  // The batch Process is carrying out; swapped with the Peer's output vector each time, so
  // neither allocates per action (Process never runs nested: see processing_).
  std::vector<Action> carrying_;
  static constexpr size_t kKeptActionCapacity = 1024;
  std::map<ServerId, LogStream> log_streams_;
  uint64_t stream_generation_ = 0;
  bool processing_ = false;
  bool stopped_ = false;
  bool failed_ = false;
  PeerState last_state_ = PeerState::kLooking;
  bool last_serving_ = false;
  int64_t last_epoch_ = 0;
};

}  // namespace zk::zab
