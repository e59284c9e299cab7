// NodeDriver: runs a ZAB Replica (zab/replica.h: the Peer and the carrying out of its actions)
// inside a server: ticks it from an asio timer on the io thread, implements its disk port with
// the GroupCommitLog (the disk thread) and a reader thread (log chunks and snapshot files for
// learners being synchronized, and the state machine's background work such as loading a
// leader's snapshot), and its network port with the functions in NodeDriverOptions.
// Every completion is posted back to the io thread. A standalone server is the same driver with
// one voter and no network. The simulator runs the same Replica with simulated ports.
//
// Threads: everything runs on the io thread except the disk work, the reads and background
// work, whose completions are posted back to it. Callbacks into the StateMachine run on the io
// thread. Not thread-safe otherwise.
// Ownership: borrows the LogStore (which must outlive the driver) and the StateMachine; owns the
// Replica, the GroupCommitLog and the reader thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>

#include "zab/group_commit.h"
#include "zab/log_store.h"
#include "zab/peer.h"
#include "zab/replica.h"
#include "zab/status.h"

namespace zk::zab {

struct NodeDriverOptions {
  std::chrono::milliseconds tick{10};
  // Sends a message on the peer network; false when the connection is down (message dropped).
  std::function<bool(ServerId, Message&&)> send;
  // Sends one message to several peers (encoded once); unset: `send` to each.
  std::function<void(const std::vector<ServerId>&, const Message&)> send_to_all;
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
  // A group commit (write and sync of the log) slower than this is logged as a warning and
  // counted (fsync.warningthresholdms).
  std::chrono::milliseconds slow_sync{1000};
};

class NodeDriver {
 public:
  // A tick later than this is logged (debug level) as an io thread stall.
  static constexpr std::chrono::milliseconds kIoStallReportThreshold{20};

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
  // Leader, serving: proposes a membership change (see Peer::ProposeConfig).
  ConfigProposal ProposeConfig(QuorumConfig next, std::string txn);
  // The zxid the next Propose will take (leader only).
  int64_t NextZxid() const { return replica_->NextZxid(); }
  bool SendApp(ServerId to, std::string data);

  // Peer network events (from the transport, on the io thread).
  void OnConnected(ServerId peer, Channel channel);
  void OnDisconnected(ServerId peer, Channel channel);
  void OnMessage(ServerId from, Message&& msg);
  // The quorum connection to `peer` wrote some of its queued output.
  void OnOutputWritten(ServerId peer);

  // Runs work on the disk thread after everything submitted before it.
  void RunOnDiskThread(std::function<void()> work) { log_->RunOnDiskThread(std::move(work)); }
  void RunRepeatedlyOnDiskThread(std::function<bool()> step) {
    log_->RunRepeatedly(std::move(step));
  }

  // Runs `work` on the reader thread (after the reads queued before it), then `then` on the io
  // thread; `then` is dropped once the driver is stopped (Stop waits for a running `work`).
  void RunInBackground(std::function<void()> work, std::function<void()> then);
  // The StateMachine's LoadState completed (io thread).
  void OnStateLoaded(const Status& status);

  const Peer& peer() const { return replica_->peer(); }
  GroupCommitLog::Stats log_stats() const { return log_->GetStats(); }

 private:
  class DiskPort;
  class NetworkPort;

  void ScheduleTick();
  // Logs (debug level) a tick that fired kIoStallReportThreshold or more after it was due: the
  // io thread was busy or starved that long.
  void NoteTickLateness();
  // Posts `fn` to the io thread; dropped once the driver is stopped.
  void PostToIo(std::function<void()> fn);

  asio::io_context& io_;
  LogStore* store_;
  NodeDriverOptions options_;
  std::unique_ptr<GroupCommitLog> log_;
  // Reads for learners being synchronized (stored snapshot files and log chunks) and the state
  // machine's background work (RunInBackground), one at a time; joined by Stop.
  asio::thread_pool reader_{1};
  std::unique_ptr<DiskPort> disk_port_;
  std::unique_ptr<NetworkPort> network_port_;
  std::unique_ptr<Replica> replica_;
  asio::steady_timer tick_timer_;
  uint64_t io_stalls_ = 0;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  const std::weak_ptr<bool> alive_weak_ = alive_;
};

}  // namespace zk::zab
