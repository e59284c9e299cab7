// zk::recipes::LeaderLatch: leader election among participants (Apache Curator's LeaderLatch
// semantics and znode layout), on the public zk::client::Client API.
//
// Layout: each participant is an ephemeral-sequential child of the latch path,
// "<path>/_c_<uuid>-latch-<10-digit sequence>", holding the participant's id as its data; the
// path is created as a container. The participant with the lowest sequence number leads; every
// other one watches only the participant just before it. Curator's LeaderLatch uses the same
// layout, so C++ and Java participants on one path elect one leader among them.
//
// Guarantees and failure model:
// * Among participants that believe they lead, there is at most one — up to the suspension
//   bound: a leader whose connection is suspended gives leadership up (listener, HasLeadership()
//   == false) after `lost_after_suspended` (default 0: at once), which must stay below the
//   session timeout, so it has given up before its session can have expired and another
//   participant been elected. After a reconnect it leads again only once it has re-read the
//   participants and found its node first; a node lost meanwhile (deleted by someone) is
//   created again.
// * When the session expires, or the client closes, the latch loses leadership for good
//   (State() == kClosed); a new latch needs a new Client.
// * A create whose reply is lost to a connection break is found again by its protection prefix.
//
// Threads: Start, Await and Close block the calling thread (not from a client callback). The
// listener runs on the client's io thread or the recipes' scheduler thread, one call at a time,
// and must not block. HasLeadership, State, Id may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/zk_client.h"

namespace zk::recipes {

struct LeaderLatchOptions {
  // How long leadership survives a suspended connection: 0 = given up at once. Clamped below
  // half the negotiated session timeout.
  std::chrono::milliseconds lost_after_suspended{0};
  std::vector<client::Acl> acl = client::OpenAclUnsafe();
};

// One participant, in election order (the first leads).
struct Participant {
  std::string id;
  std::string node;  // node name
  bool leader = false;
};

class LeaderLatch {
 public:
  enum class State { kLatent, kStarted, kClosed };

  // REQUIRES: `client` outlives the latch; `path` is an absolute znode path.
  LeaderLatch(client::Client& client, std::string path, std::string id,
              LeaderLatchOptions options = {});
  // Closes the latch (its node is deleted) without calling the listener.
  ~LeaderLatch();
  LeaderLatch(const LeaderLatch&) = delete;
  LeaderLatch& operator=(const LeaderLatch&) = delete;

  // Joins the election (creates this participant's node). kInvalidState if already started.
  client::Result<void> Start();
  // Waits until this participant leads (true) or `timeout` passed (false). Errors: the session
  // ended (kSessionExpired, kClosing), or the latch was closed (kInvalidState).
  client::Result<bool> Await(std::chrono::milliseconds timeout);
  // Leaves the election: deletes the node, gives leadership up. Idempotent.
  void Close();

  bool HasLeadership() const;
  State state() const;
  const std::string& id() const { return id_; }
  // Called with true when this participant becomes leader, false when it stops being one.
  void SetListener(std::function<void(bool leader)> listener);

  // Everyone in the election at `path`, in order (the first leads), with their ids.
  static client::Result<std::vector<Participant>> Participants(client::Client& client,
                                                               const std::string& path);

  struct Shared;

 private:
  client::Client& client_;
  const std::string path_;
  const std::string id_;
  std::shared_ptr<Shared> shared_;
  uint64_t listener_id_ = 0;
};

}  // namespace zk::recipes
