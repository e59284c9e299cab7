// NodeDriver: runs a ZAB Peer inside a server — on the io thread, with the log on the disk
// thread (GroupCommitLog) and the peer network behind two functions. It carries out the Peer's
// actions in order (peer.h), turns disk completions into Persisted(), ticks the Peer from an
// asio timer and hands committed txns, snapshots and application payloads to the StateMachine.
// A standalone server is the same driver with one voter and no network.
//
// Threads: everything runs on the io thread except the disk work, whose completions are posted
// back to it. Callbacks into the StateMachine run on the io thread. Not thread-safe otherwise.
// Ownership: borrows the LogStore (which must outlive the driver) and the StateMachine; owns the
// Peer and the GroupCommitLog.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <asio.hpp>

#include "zab/group_commit.h"
#include "zab/log_store.h"
#include "zab/peer.h"
#include "zab/status.h"

namespace zk::zab {

// What the driver needs from the replicated state machine (the server's tree and sessions).
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // A committed txn, in zxid order, each once.
  virtual void ApplyCommitted(const LogEntry& entry) = 0;
  // For a learner being synchronized by snapshot: the file of a stored snapshot at the largest
  // zxid S <= `zxid` (every txn up to `zxid` is durable), whose bytes InstallState takes; S = 0
  // with an empty path stands for the initial state (nothing stored yet: the log then holds
  // every txn). Returns false if there is no such snapshot. The driver reads the file on a
  // thread of its own, so a large snapshot never stalls the io thread.
  virtual bool StoredSnapshotFile(int64_t zxid, int64_t* snapshot_zxid, std::string* path) = 0;
  // Replaces the state with a snapshot received from the leader (empty data at zxid 0: the
  // initial state) and makes it durable (the driver has emptied the log before). A non-OK
  // status fails the driver.
  virtual Status InstallState(int64_t zxid, const std::string& data) = 0;
  // Rebuilds the state from durable storage (snapshot + log) up to `zxid` inclusive.
  virtual Status RebuildState(int64_t zxid) = 0;
  // An application payload from a peer.
  virtual void Deliver(ServerId from, std::string data) = 0;
  // The peer's state or serving flag changed (checked after every batch of actions).
  virtual void RoleChanged() = 0;
  // The log failed: nothing more can be acknowledged; the server must stop.
  virtual void Failed(const Status& status) = 0;
};

// The default of NodeDriverOptions::stream_high_water_bytes.
inline constexpr size_t kLogStreamHighWaterBytes = size_t{8} << 20;

struct NodeDriverOptions {
  std::chrono::milliseconds tick{10};
  // Sends a message on the peer network; false when the connection is down (message dropped).
  std::function<bool(ServerId, Message&&)> send;
  // Closes the quorum connection to a peer.
  std::function<void(ServerId)> disconnect;
  // Bytes queued on the quorum connection to a peer and not yet written. When set, a log range
  // for a learner is streamed: read and queued a chunk at a time while less than
  // stream_high_water_bytes wait, and resumed by OnOutputWritten. Unset: queued all at once.
  std::function<size_t(ServerId)> queued_bytes;
  // The high-water mark of that streaming (also the most read from the log at once). Quorum
  // messages for the learner wait behind its stream, and are sent after it; beyond
  // stream_max_held_bytes of them the learner is disconnected (it is not keeping up with the
  // live load while it catches up). Keep 2 * high water + max held below the connection's limit.
  size_t stream_high_water_bytes = kLogStreamHighWaterBytes;
  size_t stream_max_held_bytes = size_t{32} << 20;
};

// Meta keys in the LogStore holding the epochs (decimal).
inline constexpr char kAcceptedEpochKey[] = "acceptedEpoch";
inline constexpr char kCurrentEpochKey[] = "currentEpoch";

// Reads the persisted epochs (0 when never written).
Status ReadEpochs(LogStore* store, int64_t* accepted, int64_t* current);

class NodeDriver {
 public:
  // REQUIRES: config.Validate() is empty; store and machine outlive the driver.
  NodeDriver(asio::io_context& io, PeerConfig config, DurableState restored, LogStore* store,
             StateMachine* machine, NodeDriverOptions options, uint64_t seed);
  ~NodeDriver();
  NodeDriver(const NodeDriver&) = delete;
  NodeDriver& operator=(const NodeDriver&) = delete;

  // Starts ticking and carries out the first actions (the election).
  void Start();
  // Drains and syncs the log; no callback after it returns. Idempotent.
  void Stop();

  // Leader, serving: proposes a txn; its zxid, or 0 (see Peer::Propose).
  int64_t Propose(std::string data);
  // The zxid the next Propose will take (leader only).
  int64_t NextZxid() const { return peer_->NextZxid(); }
  bool SendApp(ServerId to, std::string data);

  // Peer network events (from the transport, on the io thread).
  void OnConnected(ServerId peer, Channel channel);
  void OnDisconnected(ServerId peer, Channel channel);
  void OnMessage(ServerId from, Message&& msg);
  // The quorum connection to `peer` wrote some of its queued output.
  void OnOutputWritten(ServerId peer);

  // Runs work on the disk thread after everything submitted before it.
  void RunOnDiskThread(std::function<void()> work) { log_->RunOnDiskThread(std::move(work)); }

  const Peer& peer() const { return *peer_; }
  GroupCommitLog::Stats log_stats() const { return log_->GetStats(); }

 private:
  struct PendingDisk {
    uint64_t seq = 0;
    bool append = false;
    int64_t zxid = 0;  // appends: the batch's last zxid
  };

  void Process();  // carries out the Peer's actions until there are none
  void Carry(Action& a);
  void SendExpanded(ServerId to, Message& msg);
  // Sends the logged txns in (after, upto] as Proposal + Commit pairs, streamed (see
  // NodeDriverOptions::queued_bytes); quorum messages to `to` wait behind the range. If the log
  // no longer holds them all, the learner is disconnected.
  void SendLogRange(ServerId to, int64_t after, int64_t upto);
  // Queues more of `to`'s log stream; ends the stream (sending what waited behind it) when the
  // range is out. Ends it without sending when the learner is gone or cannot be served.
  void PumpLogStream(ServerId to);

  // Sends `to` the stored snapshot at or below `upto` and then the log up to `upto`; the file
  // is read on reader_, and everything for `to` waits behind it.
  void SendStoredSnapshot(ServerId to, int64_t upto);
  // Back on the io thread with the snapshot file's bytes (empty: unreadable).
  void OnSnapshotRead(ServerId to, uint64_t generation, int64_t zxid, std::string data);
  // Back on the io thread with a chunk of `to`'s log range.
  void OnLogChunkRead(ServerId to, uint64_t generation, const Status& status,
                      std::vector<LogEntry> entries);

  // A log range (after a snapshot still being read, if awaiting_snapshot) on its way to a
  // learner, and the quorum messages waiting behind it.
  struct LogStream {
    int64_t next = 0;  // the next zxid to read
    int64_t upto = 0;  // the last zxid of the range
    std::deque<Message> held;
    size_t held_bytes = 0;
    bool awaiting_snapshot = false;
    bool reading = false;  // a chunk is being read
    uint64_t generation = 0;
  };
  std::map<ServerId, LogStream> log_streams_;
  uint64_t stream_generation_ = 0;
  // Reads for learners being synchronized: stored snapshot files and log chunks (one at a
  // time; joined by Stop).
  asio::thread_pool reader_{1};
  void OnAppendDurable(int64_t zxid, Status status);
  void OnDiskOpDone(uint64_t seq, Status status);
  void ScheduleTick();
  void Fail(const Status& status);
  // Runs `work` on the disk thread after everything queued, and waits for it (rare: sync only).
  Status RunOnDiskThreadAndWait(std::function<Status()> work);

  asio::io_context& io_;
  LogStore* store_;
  StateMachine* machine_;
  NodeDriverOptions options_;
  std::unique_ptr<Peer> peer_;
  std::unique_ptr<GroupCommitLog> log_;
  asio::steady_timer tick_timer_;
  std::deque<PendingDisk> pending_disk_;
  bool processing_ = false;
  bool stopped_ = false;
  bool failed_ = false;
  PeerState last_state_ = PeerState::kLooking;
  bool last_serving_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace zk::zab
