// The simulator's in-memory snapshot of a DataTree: every node (path, stat, data, ACL, child
// count) in path order plus the tree's zxid and digest, as plain length-prefixed bytes. The
// server's own snapshot format (server/snapshot.h) exists only as files; this is its in-memory
// counterpart for SNAP synchronization and local compaction inside the simulator, built on the
// same DataTree::Walk / LoadNode pair the server's snapshot code uses.
//
// Path order (not Walk's hash order) keeps the bytes identical for equal trees in every run.
// Stateless functions; thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/data_tree.h"

namespace zk::sim {

std::string EncodeTree(const server::DataTree& tree);

// Replaces *tree with the decoded tree. Returns an empty string on success, else what is wrong
// (malformed bytes, a node under a missing parent, a digest that differs after loading).
std::string DecodeTree(std::string_view bytes, std::unique_ptr<server::DataTree>* tree);

}  // namespace zk::sim
