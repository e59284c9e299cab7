// zk::recipes::AtomicLong: a 64-bit counter in one znode, changed by versioned compare-and-set
// (Apache Curator's DistributedAtomicLong: the value is the node's data as 8 big-endian bytes;
// a missing node reads as 0 and is created by the first change), so C++ and Java counters on one
// path share the value.
//
// Guarantees and failure model:
// * Every change is a read followed by setData with the version read (or a create when the node
//   is missing): it applies only if no one changed the value in between, so concurrent Adds of
//   any number of clients are never lost. A conflicting change is retried (optimistically, up
//   to `max_tries`, with a short randomised back-off); then, if `lock_path` is set, once more
//   under a Mutex at that path (Curator's "promoted to lock"), which succeeds unless the lock
//   cannot be had within `lock_timeout`. The result reports how many tries each phase took.
//   Succeeded == false means the value did not change (lost every race, or CompareAndSet's
//   expectation did not hold).
// * A connection lost while a change is in flight makes its outcome unknown: the call returns
//   kConnectionLoss and does not retry it (a retry could apply an Add twice). Reads retry.
// * Data that is not 8 bytes (or empty) is kMarshallingError, and is never overwritten.
//
// Threads: all calls block the calling thread (never call them from a client callback).
// Thread-safe; one AtomicLong may be shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/zk_client.h"

namespace zk::recipes {

struct AtomicLongOptions {
  int max_tries = 10;  // optimistic tries before giving up (or promoting to the lock)
  std::chrono::milliseconds backoff{5};  // base of the randomised back-off between tries
  std::string lock_path;                 // non-empty: promote to a Mutex at this path
  std::chrono::milliseconds lock_timeout{10000};
  std::vector<client::Acl> acl = client::OpenAclUnsafe();
};

// The outcome of one change.
struct AtomicResult {
  bool succeeded = false;
  int64_t pre = 0;   // the value before (the one that was current at the last try)
  int64_t post = 0;  // the value after (== pre when !succeeded)
  int optimistic_tries = 0;
  int locked_tries = 0;  // 0: the lock was not needed
};

class AtomicLong {
 public:
  // REQUIRES: `client` outlives the counter; `path` is an absolute znode path.
  AtomicLong(client::Client& client, std::string path, AtomicLongOptions options = {});

  // The current value (0 if the node does not exist).
  client::Result<int64_t> Get();
  client::Result<AtomicResult> Increment() { return Add(1); }
  client::Result<AtomicResult> Decrement() { return Add(-1); }
  client::Result<AtomicResult> Add(int64_t delta);
  client::Result<AtomicResult> Subtract(int64_t delta) { return Add(-delta); }
  // Sets `value` only if the current value is `expected` (one conditional write; a concurrent
  // change between the read and the write is retried as long as `expected` still holds).
  client::Result<AtomicResult> CompareAndSet(int64_t expected, int64_t value);
  // Sets `value` whatever the current value, by compare-and-set (tries reported).
  client::Result<AtomicResult> TrySet(int64_t value);
  // Creates the node with `value` if it does not exist: true if created.
  client::Result<bool> Initialize(int64_t value);

  // The 8-byte big-endian encoding Curator uses, and its inverse (nullopt unless 8 bytes; an
  // empty or missing value is 0 at the call sites).
  static std::string Encode(int64_t value);
  static std::optional<int64_t> Decode(const std::string& data);

 private:
  struct Current {
    bool exists = false;
    int64_t value = 0;
    int32_t version = 0;
  };
  client::Result<Current> Read();
  // One conditional write of f(current) over `current`: kOk (applied), kBadVersion/kNodeExists
  // (lost a race), or an error.
  Err TryWrite(const Current& current, int64_t value);
  template <typename F>
  client::Result<AtomicResult> Change(F next_value);

  client::Client& client_;
  const std::string path_;
  const AtomicLongOptions options_;
};

}  // namespace zk::recipes
