// Subtree traversal for ls -R, deleteall, setAcl -R, tree, du and dump. Reads one level at a
// time with all of the level's requests in flight together (pipelined on the session), in
// chunks that stay far below the client's pending-request limit. Nodes that vanish during the
// walk are skipped; any other error ends the walk with a CommandError. Main thread only.
#pragma once

#include <string>
#include <vector>

#include "client/zk_client.h"

namespace zk::zkcli {

class Shell;

struct WalkNode {
  std::string path;
  proto::Stat stat;
  std::vector<std::string> children;  // Sorted names.
  int depth = 0;                      // 0 for the root of the walk.
  // Filled only with WalkOptions::data / acl.
  std::string data;
  std::vector<proto::Acl> acl;
};

struct WalkOptions {
  int max_depth = -1;  // -1 = unlimited; children below max_depth are listed but not visited.
  bool data = false;
  bool acl = false;
};

// Nodes in depth-first pre-order, children sorted. Throws CommandError if the root is missing.
std::vector<WalkNode> WalkTree(Shell& shell, const std::string& root, const WalkOptions& options);

// Breadth-first order of the same nodes (parents before children, level by level).
std::vector<std::string> BreadthFirst(const std::vector<WalkNode>& nodes);

}  // namespace zk::zkcli
