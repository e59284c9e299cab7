// zk::recipes::Barrier: a barrier that holds every waiter until someone removes it (Apache
// Curator's DistributedBarrier: the barrier is up while the znode at its path exists).
//
// Guarantees and failure model: Set() creates the node (persistent, its missing parents as
// containers), Remove() deletes it; both are idempotent and ride out connection losses. Wait()
// returns true once the node does not exist, watching it (never polling); connection losses are
// waited out. The barrier is independent of sessions: a crashed setter leaves it up.
//
// Threads: Set, Remove and Wait block the calling thread (never from a client callback);
// Cancel may be called from any thread and wakes a Wait under way, which returns false.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "client/recipes/event_waiter.h"
#include "client/zk_client.h"

namespace zk::recipes {

class Barrier {
 public:
  // REQUIRES: `client` outlives the barrier; `path` is an absolute znode path.
  Barrier(client::Client& client, std::string path,
          std::vector<client::Acl> acl = client::OpenAclUnsafe());

  client::Result<void> Set();
  client::Result<void> Remove();
  // True once the barrier is down; false if cancelled or `timeout` passed.
  client::Result<bool> Wait();
  client::Result<bool> Wait(std::chrono::milliseconds timeout);
  void Cancel() { waiter_.Cancel(); }

 private:
  client::Result<bool> WaitUntil(std::optional<EventWaiter::Clock::time_point> deadline);

  client::Client& client_;
  const std::string path_;
  const std::vector<client::Acl> acl_;
  EventWaiter waiter_;
};

}  // namespace zk::recipes
