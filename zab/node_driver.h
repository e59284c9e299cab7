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
  // For a learner being synchronized by snapshot: a stored snapshot at the largest zxid S <= `zxid`
  // (every txn up to `zxid` is durable), as the bytes InstallState takes; S = 0 with empty data
  // stands for the initial state (nothing stored yet: the log then holds every txn). Returns
  // false if no such snapshot can be read.
  virtual bool StoredSnapshot(int64_t zxid, int64_t* snapshot_zxid, std::string* data) = 0;
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

struct NodeDriverOptions {
  std::chrono::milliseconds tick{10};
  // Sends a message on the peer network; false when the connection is down (message dropped).
  std::function<bool(ServerId, Message&&)> send;
  // Closes the quorum connection to a peer.
  std::function<void(ServerId)> disconnect;
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
  // Sends the logged txns in (after, upto] as Proposal + Commit pairs; false if the log no
  // longer holds them all (the learner is then disconnected).
  bool SendLogRange(ServerId to, int64_t after, int64_t upto);
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
