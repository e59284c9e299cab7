// zk::recipes::LeaderSelector: leader election where leading is running a callback (Apache
// Curator's LeaderSelector semantics and znode layout), on the fair Mutex.
//
// Layout: the participants are the contenders of a Mutex at the election path,
// "<path>/_c_<uuid>-lock-<10-digit sequence>", each holding its participant id as data — the
// layout of Curator's LeaderSelector, so C++ and Java participants on one path take turns in one
// queue. With node_name "__lock__" the nodes are "<path>/_c_<uuid>-__lock__<sequence>", which
// kazoo's Election (a kazoo Lock) counts as contenders: C++ and Python participants then share
// one queue instead. The holder of the mutex leads: its callback runs on the selector's own thread, and it
// gives leadership up by returning. Without auto-requeue a participant leads at most once per
// Start()/Requeue(); with it, it queues again at the back each time its callback returns.
//
// Guarantees and failure model:
// * Among callbacks that have not been told to stop, at most one runs — up to the suspension
//   bound: when the connection is suspended, the running callback is told to stop (its
//   LeadershipContext is cancelled) after `lost_after_suspended` (default 0: at once), clamped
//   below half the negotiated session timeout, so it has been told before its session can have
//   expired and another participant been given the lock. It is also told when its session
//   expires, when its node is deleted by someone else, on InterruptLeadership() and on Close().
//   A callback must poll ctx.Cancelled() or wait on ctx.WaitCancelled() and return promptly once
//   cancelled; until it returns the participant's node stays (unless the session ended), so the
//   next participant still waits — a cancelled callback that keeps running is the one way to
//   have two leaders act, which is why outside resources need the fencing token.
// * After a suspension that was survived, a participant queues again only through Requeue()
//   or auto-requeue, behind everyone who queued meanwhile (Curator does the same).
// * When the session ends (expiry, close of the client) the selector stops for good
//   (State() == kClosed); a new selector needs a new Client.
//
// Threads: the callback runs on the selector's thread (one per selector, started by Start and
// joined by Close); it may call anything on the selector except Close/the destructor (calling
// Close from the callback only marks the selector closed). Start, Requeue, Close,
// InterruptLeadership, HasLeadership and state() may be called from any other thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/recipes/leader_latch.h"
#include "client/zk_client.h"

namespace zk::recipes {

// Handed to the callback for one term of leadership.
class LeadershipContext {
 public:
  // True once the leader must stop (see LeaderSelector). Thread-safe.
  bool Cancelled() const;
  // Waits until cancelled (true) or `timeout` passed (false).
  bool WaitCancelled(std::chrono::milliseconds timeout) const;
  // The fencing token of this term (the czxid of the participant's node).
  int64_t FencingToken() const { return token_; }

  struct Shared;
  explicit LeadershipContext(std::shared_ptr<Shared> shared, int64_t token)
      : shared_(std::move(shared)), token_(token) {}

 private:
  std::shared_ptr<Shared> shared_;
  int64_t token_;
};

struct LeaderSelectorOptions {
  // How long the callback may go on leading with a suspended connection before it is told to
  // stop: 0 = at once. Clamped below half the negotiated session timeout.
  std::chrono::milliseconds lost_after_suspended{0};
  // Queue again each time the callback returns (Curator's autoRequeue()).
  bool auto_requeue = false;
  // The contender node name after the protection prefix: "lock-" shares the path with Curator's
  // LeaderSelector; "__lock__" with kazoo's Election (kazoo's Lock matches "__lock__<10
  // digits>" anywhere in a name). Curator and kazoo cannot share one path (see docs/recipes.md).
  std::string node_name = "lock-";
  std::vector<client::Acl> acl = client::OpenAclUnsafe();
};

class LeaderSelector {
 public:
  enum class State { kLatent, kStarted, kClosed };
  using Callback = std::function<void(LeadershipContext&)>;

  // REQUIRES: `client` outlives the selector; `path` is an absolute znode path.
  LeaderSelector(client::Client& client, std::string path, std::string id, Callback take_leadership,
                 LeaderSelectorOptions options = {});
  // Close().
  ~LeaderSelector();
  LeaderSelector(const LeaderSelector&) = delete;
  LeaderSelector& operator=(const LeaderSelector&) = delete;

  // Queues for leadership (starts the selector's thread). kInvalidState if started or closed.
  client::Result<void> Start();
  // Queues again after the callback returned (no-op and false if queued, leading or closed).
  bool Requeue();
  // Cancels the running callback's context (it should return; the participant then requeues
  // only if auto-requeue is on). False if not leading.
  bool InterruptLeadership();
  // Leaves the election: cancels the callback, waits for it to return, deletes the node.
  // Idempotent.
  void Close();

  // The callback is running and has not been cancelled.
  bool HasLeadership() const;
  State state() const;
  const std::string& id() const { return id_; }

  // Everyone in the election at `path`, in order (the first leads), with their ids.
  static client::Result<std::vector<Participant>> Participants(client::Client& client,
                                                               const std::string& path);

  struct Shared;

 private:
  void Run();

  client::Client& client_;
  const std::string path_;
  const std::string id_;
  const Callback take_leadership_;
  const LeaderSelectorOptions options_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace zk::recipes
