// zk::recipes::SharedCount: a 32-bit integer shared by all clients at one znode, with a
// listener on change and versioned conditional updates (Apache Curator's SharedCount: the
// node's data is the value as 4 big-endian bytes), so C++ and Java processes share it.
//
// Guarantees and failure model:
// * count()/versioned() return the last value this client read (at Start, and after every
//   change: a data watch is kept on the node, and the value is read again after every
//   reconnect), never a value older than one already returned. The listener is called once per
//   change of version this client sees, in order; changes that happen while disconnected may be
//   seen as one (the latest value).
// * TrySetCount(previous, v) writes only if the node's version is still previous.version (false
//   otherwise): a compare-and-set against the value the caller based its decision on.
// * Start creates the node with the seed value if it does not exist (persistent, with missing
//   parents). If the node is deleted later, the last value stays and the next create is seen.
// * Data that is not 4 bytes is kMarshallingError at Start and is ignored by the watcher.
//
// Threads: Start, SetCount and TrySetCount block the calling thread (never from a client
// callback). The listener runs on the client's io thread and must not block. count(),
// versioned() and Close() may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/zk_client.h"

namespace zk::recipes {

struct VersionedValue {
  int32_t value = 0;
  int32_t version = -1;  // the node's data version; -1: the node did not exist
};

class SharedCount {
 public:
  // REQUIRES: `client` outlives the count; `path` is an absolute znode path.
  SharedCount(client::Client& client, std::string path, int32_t seed,
              std::vector<client::Acl> acl = client::OpenAclUnsafe());
  ~SharedCount();
  SharedCount(const SharedCount&) = delete;
  SharedCount& operator=(const SharedCount&) = delete;

  // Creates the node with the seed if needed, reads it and starts watching.
  client::Result<void> Start();
  // Stops watching (the listener is not called any more once Close returns... except a call
  // already running on the io thread). Idempotent.
  void Close();

  int32_t count() const;
  VersionedValue versioned() const;
  // Sets the value whatever it is.
  client::Result<void> SetCount(int32_t value);
  // Sets the value only if the node's version is still `previous.version`: false if it moved.
  client::Result<bool> TrySetCount(const VersionedValue& previous, int32_t value);
  void SetListener(std::function<void(int32_t value)> listener);

  static std::string Encode(int32_t value);
  static std::optional<int32_t> Decode(const std::string& data);

  struct Shared;

 private:
  client::Client& client_;
  const std::string path_;
  const int32_t seed_;
  const std::vector<client::Acl> acl_;
  std::shared_ptr<Shared> shared_;
  uint64_t listener_id_ = 0;
};

}  // namespace zk::recipes
