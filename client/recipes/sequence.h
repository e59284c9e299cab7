// zk::recipes::SequenceGenerator: unique, increasing 31-bit IDs from ZooKeeper's sequential
// nodes, claimed one at a time or in gapless batches.
//
// How: a batch of n IDs is one multi of n ephemeral-sequential creates under the generator's
// path ("<path>/_c_<uuid>-id-<10-digit sequence>"); their sequence numbers — the parent's child
// version at each create — are consecutive because a multi is applied at once, and every later
// create (and delete) under the path moves the counter on, so no ID is ever handed out twice.
// The nodes are deleted right after (deletes move the counter too, so batches are separated by
// gaps; within a batch there are none). The protection prefix finds the batch again when the
// multi's reply was lost, instead of claiming a second one.
//
// Guarantees and failure model:
// * IDs are unique and increasing across all clients of one path, as long as the path is never
//   deleted (it is created persistent, never as a container: a re-created parent would count
//   from 0 again) and below 2^31 (ZooKeeper's sequence counter is a signed 32-bit number;
//   beyond it the call fails with kMarshallingError).
// * A batch is all n or nothing. Connection losses are waited out.
//
// Threads: blocking calls (never from a client callback); thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/zk_client.h"

namespace zk::recipes {

class SequenceGenerator {
 public:
  // REQUIRES: `client` outlives the generator; `path` is an absolute znode path.
  SequenceGenerator(client::Client& client, std::string path,
                    std::vector<client::Acl> acl = client::OpenAclUnsafe());

  // One ID.
  client::Result<int64_t> Next();
  // `count` consecutive IDs (1 <= count <= 1000): the first one; the batch is [first,
  // first + count).
  client::Result<int64_t> NextBatch(int count);

 private:
  client::Client& client_;
  const std::string path_;
  const std::vector<client::Acl> acl_;
};

}  // namespace zk::recipes
