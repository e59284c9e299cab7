// zk::recipes::Queue: a distributed FIFO queue (Apache Curator's DistributedQueue item layout:
// persistent-sequential children "<path>/queue-<10-digit sequence>" holding the item's bytes),
// where each item is taken by exactly one consumer.
//
// Taking an item is one multi: delete the item (at the version read) and create this consumer's
// ephemeral receipt "<path>/_taken-<consumer uuid>-<item name>". Only one consumer's multi can
// delete an item, so an item is never taken twice; and when the reply of the multi is lost to a
// connection break, the receipt tells the consumer whether the item is its own, so an item is
// never dropped by a consumer whose session survives. The receipt is deleted by the consumer's
// next take (in the same multi) or when the Queue object goes. Consumers of other libraries
// that only look at "queue-" children ignore the receipts.
//
// Guarantees and failure model:
// * FIFO by sequence number among the items present when a consumer looks; every item is
//   returned to at most one Take, and to exactly one unless the taking consumer's session ends
//   between the multi and its reply (the item is then lost with that consumer, as with any
//   consumer that dies after taking).
// * Put of a new item: a connection lost while the create is in flight makes its outcome unknown
//   (kConnectionLoss; the item may or may not be in the queue). Put is never retried silently,
//   which could enqueue the item twice.
// * Take waits on a children watch of the queue path when it is empty, never polling.
//
// Threads: Put, Take, Peek, Size block the calling thread (never from a client callback);
// Cancel may be called from any thread and wakes a Take under way (it returns nullopt).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/recipes/event_waiter.h"
#include "client/zk_client.h"

namespace zk::recipes {

class Queue {
 public:
  // REQUIRES: `client` outlives the queue; `path` is an absolute znode path.
  Queue(client::Client& client, std::string path,
        std::vector<client::Acl> acl = client::OpenAclUnsafe());
  // Deletes this consumer's last receipt (best effort).
  ~Queue();
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Appends an item; returns its node name ("queue-<sequence>").
  client::Result<std::string> Put(std::string_view data);
  // Takes the head item; waits for one while the queue is empty. nullopt: cancelled or timed
  // out.
  client::Result<std::optional<std::string>> Take();
  client::Result<std::optional<std::string>> Take(std::chrono::milliseconds timeout);
  // Takes the head item if there is one, without waiting.
  client::Result<std::optional<std::string>> TryTake() { return Take(std::chrono::milliseconds(0)); }
  // The head item's data, without taking it; nullopt if the queue is empty.
  client::Result<std::optional<std::string>> Peek();
  // The number of items.
  client::Result<size_t> Size();
  void Cancel() { waiter_.Cancel(); }

 private:
  using Deadline = std::optional<EventWaiter::Clock::time_point>;
  client::Result<std::optional<std::string>> TakeUntil(Deadline deadline);
  // The item names, in queue order; watched (children watch) if `watch`.
  client::Result<std::vector<std::string>> Items(bool watch);

  client::Client& client_;
  const std::string path_;
  const std::vector<client::Acl> acl_;
  const std::string consumer_;  // "_taken-<uuid>-"
  std::string receipt_;         // full path of the last receipt, to delete with the next take
  EventWaiter waiter_;
};

}  // namespace zk::recipes
