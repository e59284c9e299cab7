// zkcli's subtree views: `tree` (indented, with the number of nodes below each node) and `du`
// (nodes and bytes per subtree).
#include <cstdio>
#include <iostream>
#include <map>

#include "client/zkcli/commands.h"
#include "client/zkcli/shell.h"
#include "client/zkcli/walk.h"

namespace zk::zkcli {

namespace {

struct Totals {
  int64_t nodes = 0;  // Including the node itself.
  int64_t bytes = 0;
};

// Subtree totals of every walked node (nodes are in depth-first pre-order).
std::map<std::string, Totals> SubtreeTotals(const std::vector<WalkNode>& nodes) {
  std::map<std::string, Totals> totals;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    Totals& t = totals[it->path];
    t.nodes += 1;
    t.bytes += it->stat.data_length;
    if (it->depth > 0) {
      Totals& parent = totals[ParentPath(it->path)];
      parent.nodes += t.nodes;
      parent.bytes += t.bytes;
    }
  }
  return totals;
}

int DepthArg(const ParsedArgs& args) {
  const std::string* d = args.Value('d');
  if (!d) return -1;
  auto n = ParseInt(*d, 0, 1 << 20);
  if (!n) throw CommandError{kExitUsage, "-d needs a depth (0 or more)"};
  return static_cast<int>(*n);
}

std::string NodeName(const std::string& path) {
  return path == "/" ? "/" : path.substr(path.rfind('/') + 1);
}

Json TreeJson(const std::vector<WalkNode>& nodes, size_t* i,
              const std::map<std::string, Totals>& totals) {
  const WalkNode& n = nodes[*i];
  Json j{{"name", NodeName(n.path)},
         {"path", n.path},
         {"nodes", totals.at(n.path).nodes - 1},
         {"numChildren", n.stat.num_children}};
  Json children = Json::array();
  ++*i;
  while (*i < nodes.size() && nodes[*i].depth > n.depth) {
    children.push_back(TreeJson(nodes, i, totals));
  }
  j["children"] = std::move(children);
  return j;
}

}  // namespace

void RunTree(Shell& shell, const ParsedArgs& args) {
  const std::string root = RequirePath(args.positional.empty() ? "/" : args.positional[0]);
  int max_depth = DepthArg(args);
  auto nodes = WalkTree(shell, root, WalkOptions{max_depth, false, false});
  auto totals = SubtreeTotals(nodes);
  if (shell.json()) {
    size_t i = 0;
    shell.EmitJson(TreeJson(nodes, &i, totals));
    return;
  }
  // last[d]: whether the ancestor at depth d is the last of its siblings.
  std::vector<bool> last;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const WalkNode& n = nodes[i];
    std::string line;
    if (n.depth == 0) {
      line = n.path;
    } else {
      bool is_last = true;
      for (size_t k = i + 1; k < nodes.size() && nodes[k].depth >= n.depth; ++k) {
        if (nodes[k].depth == n.depth) {
          is_last = false;
          break;
        }
      }
      last.resize(static_cast<size_t>(n.depth) + 1);
      last[static_cast<size_t>(n.depth)] = is_last;
      for (int d = 1; d < n.depth; ++d) line += last[static_cast<size_t>(d)] ? "    " : "│   ";
      line += (is_last ? "└── " : "├── ") + NodeName(n.path);
    }
    int64_t below = totals.at(n.path).nodes - 1;
    if (below > 0) {
      line += " (" + std::to_string(below) + ")";
    } else if (n.stat.num_children > 0) {
      line += " (+" + std::to_string(n.stat.num_children) + " not shown)";
    }
    shell.out() << line << "\n";
  }
  int64_t count = totals.at(root).nodes;
  shell.out() << "\n" << count << (count == 1 ? " node" : " nodes") << "\n";
}

void RunDu(Shell& shell, const ParsedArgs& args) {
  const std::string root = RequirePath(args.positional.empty() ? "/" : args.positional[0]);
  int show_depth = args.Value('d') ? DepthArg(args) : 1;
  auto nodes = WalkTree(shell, root, WalkOptions{});
  auto totals = SubtreeTotals(nodes);
  if (shell.json()) {
    Json children = Json::array();
    for (const auto& n : nodes) {
      if (n.depth == 0 || n.depth > show_depth) continue;
      const Totals& t = totals.at(n.path);
      children.push_back(Json{{"path", n.path}, {"nodes", t.nodes}, {"bytes", t.bytes}});
    }
    const Totals& t = totals.at(root);
    shell.EmitJson(Json{
        {"path", root}, {"nodes", t.nodes}, {"bytes", t.bytes}, {"children", std::move(children)}});
    return;
  }
  // Like du(1): every subtree down to the depth, children before their parent, total last.
  std::vector<std::vector<std::string>> rows = {{"NODES", "BYTES", "PATH"}};
  std::vector<const WalkNode*> post;
  std::vector<const WalkNode*> stack;
  for (const auto& n : nodes) {
    while (!stack.empty() && stack.back()->depth >= n.depth) {
      post.push_back(stack.back());
      stack.pop_back();
    }
    stack.push_back(&n);
  }
  while (!stack.empty()) {
    post.push_back(stack.back());
    stack.pop_back();
  }
  char buf[64];
  for (const WalkNode* n : post) {
    if (n->depth > show_depth) continue;
    const Totals& t = totals.at(n->path);
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(t.nodes));
    std::string nodes_col = buf;
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(t.bytes));
    rows.push_back({nodes_col, buf, n->path});
  }
  // Right-align the numbers.
  size_t w0 = 0, w1 = 0;
  for (const auto& r : rows) {
    w0 = std::max(w0, r[0].size());
    w1 = std::max(w1, r[1].size());
  }
  for (const auto& r : rows) {
    shell.out() << std::string(w0 - r[0].size(), ' ') << r[0] << "  "
                << std::string(w1 - r[1].size(), ' ') << r[1] << "  " << r[2] << "\n";
  }
}

}  // namespace zk::zkcli
