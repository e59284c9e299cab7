// zk::recipes::DoubleBarrier: members enter together once `member_count` have arrived, and
// leave together once all have left (Apache Curator's DistributedDoubleBarrier layout and
// algorithm, so C++ and Java members can share one barrier).
//
// Layout: each member is an ephemeral child "<path>/<uuid>"; the first member to see
// `member_count` children creates "<path>/ready", which releases everyone waiting in Enter; the
// last member to leave deletes "ready". Leaving: the lowest member waits for the highest to go,
// every other member deletes its node and waits for the lowest to go, so that nobody returns
// from Leave while another member is still inside.
//
// Guarantees and failure model: Enter returns true only after `member_count` members were
// present at once; Leave returns true only when no member is left inside. A member whose session
// ends disappears from the barrier (its node is ephemeral): the others may then wait for it in
// Enter until another member arrives, or return from Leave without it. Enter with a timeout
// that expires removes this member again (false). Connection losses are waited out.
//
// Threads: Enter and Leave block the calling thread (never from a client callback); Cancel may
// be called from any thread and wakes the call under way, which returns false.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "client/recipes/event_waiter.h"
#include "client/zk_client.h"

namespace zk::recipes {

class DoubleBarrier {
 public:
  // REQUIRES: `client` outlives the barrier; `path` is an absolute znode path; member_count > 0.
  DoubleBarrier(client::Client& client, std::string path, int member_count,
                std::vector<client::Acl> acl = client::OpenAclUnsafe());

  client::Result<bool> Enter();
  client::Result<bool> Enter(std::chrono::milliseconds timeout);
  client::Result<bool> Leave();
  client::Result<bool> Leave(std::chrono::milliseconds timeout);
  void Cancel() { waiter_.Cancel(); }
  // This member's node name (a UUID).
  const std::string& member() const { return member_; }

 private:
  using Deadline = std::optional<EventWaiter::Clock::time_point>;
  client::Result<bool> EnterUntil(Deadline deadline);
  client::Result<bool> LeaveUntil(Deadline deadline);
  // The members' node names, sorted ("ready" left out).
  client::Result<std::vector<std::string>> Members(Deadline deadline);
  Err DeleteOurs();

  client::Client& client_;
  const std::string path_;
  const int member_count_;
  const std::vector<client::Acl> acl_;
  const std::string member_;
  const std::string our_path_;
  const std::string ready_path_;
  EventWaiter waiter_;
};

}  // namespace zk::recipes
