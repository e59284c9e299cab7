// NodeReplication: the server node's port to ZAB. The node proposes txns, sends application
// messages to its leader or learners, and reads the Peer's role through it; committed txns,
// snapshots and role changes come back through the zab::StateMachine the node implements. The
// process builds it from a zab::NodeDriver (asio timer, disk thread, reader thread) and a
// zab::PeerTransport (server/driver_replication.h); the simulator builds it from a zab::Replica
// with simulated ports. So the node itself never touches a socket, a thread or a timer.
//
// The node builds its replication once it has recovered its state, through a
// ReplicationFactory given to ServerNode::Start: the node decides the PeerConfig (ZooKeeper's
// limits in its ticks) and the durable state; the factory adds the environment.
//
// Threads: every call, and every call into the StateMachine, happens on the node's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "zab/group_commit.h"
#include "zab/peer.h"
#include "zab/peer_transport.h"
#include "zab/replica.h"
#include "zab/status.h"

namespace zk::server {

// Every implementation ticks its zab::Peer at this period; the node converts ZooKeeper's limits
// (initLimit, syncLimit in ticks of tickTime) into these ticks.
inline constexpr int64_t kReplicationTickMs = 10;

class NodeReplication {
 public:
  virtual ~NodeReplication() = default;

  // Begins: connects to the peers (if any) and carries out the first actions (the election).
  virtual zab::Status Start() = 0;
  // Drains and syncs what was submitted; no StateMachine call after it returns. Idempotent.
  virtual void Stop() = 0;

  // Leader, serving: proposes a txn; its zxid, or 0 (see zab::Peer::Propose).
  virtual int64_t Propose(std::string data) = 0;
  // Leader, serving: proposes a membership change with the application's txn `txn` (see
  // zab::Peer::ProposeConfig); kProposed means it took the zxid NextZxid() gave.
  virtual zab::ConfigProposal ProposeConfig(zab::QuorumConfig next, std::string txn) = 0;
  // The zxid the next Propose will take (leader only).
  virtual int64_t NextZxid() const = 0;
  // The node saw a newly committed membership: `servers` has every member's address (this
  // server's included), `text` is ZooKeeper's text of it (/zookeeper/config), `version` its
  // version. The process's transport learns where the members are now, and a reconfigured
  // membership (version > 0) is written beside the config file as ZooKeeper does.
  virtual void MembershipChanged(const std::map<zab::ServerId, zab::PeerAddress>& servers,
                                 const std::string& text, int64_t version) = 0;
  // Sends an application payload to a peer; false when it cannot now.
  virtual bool SendApp(zab::ServerId to, std::string data) = 0;
  virtual const zab::Peer& peer() const = 0;

  // Runs `step` with the log after every disk operation queued before it, off the node's thread
  // when there is one; and again, after the disk operations queued meanwhile, while it returns
  // true. The log purge goes a step at a time this way, so that appends wait for one step at
  // most. A stopping server drops the remaining steps.
  virtual void RunOnDisk(std::function<bool()> step) = 0;
  // Runs `fn` on the node's thread after the current call has returned.
  virtual void Defer(std::function<void()> fn) = 0;
  // Runs `work` off the node's thread when there is one (the process: the driver's reader
  // thread; the simulator: an event of its own, later), then `then` on the node's thread;
  // `then` is dropped once replication has stopped (Stop waits for a running `work`).
  virtual void RunInBackground(std::function<void()> work, std::function<void()> then) = 0;
  // The node's zab::StateMachine::LoadState completed (called on the node's thread).
  virtual void StateLoaded(const zab::Status& status) = 0;
  // The figures of the log's group commit (zeros where not measured).
  virtual zab::GroupCommitLog::Stats LogStats() const = 0;
};

// What the node hands its ReplicationFactory.
struct ReplicationSetup {
  zab::PeerConfig peer;
  zab::DurableState durable;
  zab::LogStore* log = nullptr;             // the node's transaction log
  zab::StateMachine* machine = nullptr;     // the node
  zab::ReplicaOptions replica;              // streaming limits for learners
  uint64_t seed = 0;                        // the node's seed (node.seed)
};

using ReplicationFactory =
    std::function<zab::Result<std::unique_ptr<NodeReplication>>(ReplicationSetup setup)>;

}  // namespace zk::server
