#include "client/zkcli/walk.h"

#include <algorithm>
#include <future>
#include <map>

#include "client/zkcli/format.h"
#include "client/zkcli/shell.h"

namespace zk::zkcli {

namespace {

constexpr size_t kChunk = 2000;

struct Pending {
  std::future<client::Result<client::ChildrenResult>> children;
  std::future<client::Result<client::DataResult>> data;
  std::future<client::Result<client::AclResult>> acl;
};

}  // namespace

std::vector<WalkNode> WalkTree(Shell& shell, const std::string& root, const WalkOptions& options) {
  client::Client& zk = shell.Session();
  std::map<std::string, WalkNode> found;
  std::vector<std::string> level = {root};
  int depth = 0;
  while (!level.empty()) {
    std::vector<std::string> next;
    for (size_t start = 0; start < level.size(); start += kChunk) {
      size_t end = std::min(level.size(), start + kChunk);
      std::vector<Pending> pending;
      pending.reserve(end - start);
      for (size_t i = start; i < end; ++i) {
        Pending p;
        p.children = zk.GetChildren2Future(level[i]);
        if (options.data) p.data = zk.GetDataFuture(level[i]);
        if (options.acl) p.acl = zk.GetAclFuture(level[i]);
        pending.push_back(std::move(p));
      }
      for (size_t i = start; i < end; ++i) {
        const std::string& path = level[i];
        Pending& p = pending[i - start];
        auto children = shell.Await(std::move(p.children));
        std::optional<client::Result<client::DataResult>> data;
        std::optional<client::Result<client::AclResult>> acl;
        if (options.data) data = shell.Await(std::move(p.data));
        if (options.acl) acl = shell.Await(std::move(p.acl));
        bool gone = children.err() == Err::kNoNode || (data && data->err() == Err::kNoNode) ||
                    (acl && acl->err() == Err::kNoNode);
        if (gone && depth > 0) continue;  // Deleted while we walked.
        WalkNode n;
        n.path = path;
        n.depth = depth;
        auto c = shell.Check(std::move(children), path);
        n.stat = c.stat;
        n.children = std::move(c.children);
        std::sort(n.children.begin(), n.children.end());
        if (data) n.data = shell.Check(std::move(*data), path).data;
        if (acl) n.acl = shell.Check(std::move(*acl), path).acl;
        if (options.max_depth < 0 || depth < options.max_depth) {
          for (const auto& name : n.children) next.push_back(ChildPath(path, name));
        }
        found.emplace(path, std::move(n));
      }
    }
    level = std::move(next);
    ++depth;
  }
  // Depth-first pre-order from the root.
  std::vector<WalkNode> out;
  out.reserve(found.size());
  std::vector<std::string> stack = {root};
  while (!stack.empty()) {
    std::string path = std::move(stack.back());
    stack.pop_back();
    auto it = found.find(path);
    if (it == found.end()) continue;
    const auto& children = it->second.children;
    for (auto c = children.rbegin(); c != children.rend(); ++c) {
      stack.push_back(ChildPath(path, *c));
    }
    out.push_back(std::move(it->second));
  }
  return out;
}

std::vector<std::string> BreadthFirst(const std::vector<WalkNode>& nodes) {
  std::vector<const WalkNode*> order;
  for (const auto& n : nodes) order.push_back(&n);
  std::stable_sort(order.begin(), order.end(),
                   [](const WalkNode* a, const WalkNode* b) { return a->depth < b->depth; });
  std::vector<std::string> out;
  for (const auto* n : order) out.push_back(n->path);
  return out;
}

}  // namespace zk::zkcli
