// Quota commands, done on the client side as zkCli.sh does: a quota on /a is the node
// /zookeeper/quota/a/zookeeper_limits holding a StatsTrack record, next to zookeeper_stats with
// the subtree's current count and bytes, which the server computes and keeps up to date.
#include <iostream>

#include "client/zkcli/commands.h"
#include "client/zkcli/shell.h"
#include "client/zkcli/walk.h"

namespace zk::zkcli {

namespace {

std::string QuotaPath(const std::string& path) {
  return std::string(kQuotaRoot) + (path == "/" ? "" : path);
}
std::string LimitPath(const std::string& path) {
  return QuotaPath(path) + "/" + std::string(kQuotaLimitNode);
}
std::string StatPath(const std::string& path) {
  return QuotaPath(path) + "/" + std::string(kQuotaStatNode);
}
std::string TrimQuotaPath(const std::string& quota_path) {
  return quota_path.substr(kQuotaRoot.size());
}

StatsTrack ReadTrack(Shell& shell, client::Client& zk, const std::string& node) {
  auto d = shell.Check(shell.Await(zk.GetDataFuture(node)), node);
  auto t = StatsTrack::Parse(d.data);
  if (!t) throw CommandError{kExitFailed, "malformed quota record in " + node + ": " + d.data};
  return *t;
}

bool Exists(Shell& shell, client::Client& zk, const std::string& path) {
  auto r = shell.Await(zk.ExistsFuture(path));
  if (r.ok()) return true;
  if (r.err() == Err::kNoNode) return false;
  shell.Fail(r.err(), path);
}

// Refuses a quota under or above an existing one (zkCli.sh's checkIfChildQuota/ParentQuota).
void CheckNoNestedQuota(Shell& shell, client::Client& zk, const std::string& path) {
  const std::string own = QuotaPath(path);
  if (Exists(shell, zk, own)) {
    for (const auto& n : WalkTree(shell, own, WalkOptions{})) {
      if (n.path == own) continue;
      for (const auto& c : n.children) {
        if (c == kQuotaLimitNode) {
          throw CommandError{kExitFailed,
                             path + " has a child " + TrimQuotaPath(n.path) + " which has a quota"};
        }
      }
    }
  }
  std::string prefix(kQuotaRoot);
  size_t pos = 1;
  while (true) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) break;
    prefix = std::string(kQuotaRoot) + path.substr(0, slash);
    pos = slash + 1;
    auto r = shell.Await(zk.GetChildrenFuture(prefix));
    if (r.err() == Err::kNoNode) return;
    auto children = shell.Check(std::move(r), prefix).children;
    for (const auto& c : children) {
      if (c == kQuotaLimitNode) {
        throw CommandError{kExitFailed,
                           path + " has a parent " + TrimQuotaPath(prefix) + " which has a quota"};
      }
    }
  }
}

void WarnIfBelow(Shell& shell, const StatsTrack& quota, const StatsTrack& stats) {
  auto below = [](int64_t limit, int64_t current) { return limit > -1 && limit < current; };
  if (below(quota.Get("count"), stats.Get("count")) ||
      below(quota.Get("countHardLimit"), stats.Get("count"))) {
    shell.out() << "[Warning]: the count quota you create is less than the existing count:"
                << stats.Get("count") << "\n";
  }
  if (below(quota.Get("bytes"), stats.Get("bytes")) ||
      below(quota.Get("byteHardLimit"), stats.Get("bytes"))) {
    shell.out() << "[Warning]: the bytes quota you create is less than the existing bytes:"
                << stats.Get("bytes") << "\n";
  }
}

}  // namespace

void RunSetQuota(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  if (path.starts_with(kQuotaRoot)) {
    throw CommandError{kExitFailed,
                       "cannot set a quota under the path: " + std::string(kQuotaRoot)};
  }
  if (!args.Has('n') && !args.Has('b') && !args.Has('N') && !args.Has('B')) {
    shell.UsageError("setquota");
  }
  StatsTrack quota;
  const std::pair<char, const char*> keys[] = {
      {'n', "count"}, {'b', "bytes"}, {'N', "countHardLimit"}, {'B', "byteHardLimit"}};
  for (const auto& [opt, key] : keys) {
    quota.Set(key, -1);
    const std::string* v = args.Value(opt);
    if (!v) continue;
    auto n = ParseInt(*v, INT64_MIN, INT64_MAX);
    if (!n) {
      throw CommandError{kExitUsage, "NumberFormatException happens when parsing the option value"};
    }
    bool count = opt == 'n' || opt == 'N';
    if (count ? *n <= 0 : *n < 0) {
      throw CommandError{kExitUsage, count
                                         ? "the num quota must be greater than zero"
                                         : "the bytes quota must be greater than or equal to zero"};
    }
    quota.Set(key, *n);
  }
  client::Client& zk = shell.Session();
  if (!Exists(shell, zk, path)) throw CommandError{kExitFailed, path + " does not exist."};
  CheckNoNestedQuota(shell, zk, path);
  // Create /zookeeper/quota/<path> level by level.
  std::string node(kQuotaRoot);
  size_t pos = 1;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    node = std::string(kQuotaRoot) + path.substr(0, slash);
    pos = slash == std::string::npos ? path.size() : slash + 1;
    auto r = shell.Await(zk.CreateFuture(node, "", client::OpenAclUnsafe()));
    if (!r.ok() && r.err() != Err::kNodeExists) shell.Fail(r.err(), node);
  }
  const std::string limits = LimitPath(path), stats_path = StatPath(path);
  if (!Exists(shell, zk, limits)) {
    // As zkCli.sh: the stats node starts as count=0,bytes=0 and the server, on creating it,
    // counts the subtree into it and keeps it current from then on.
    StatsTrack stats;
    stats.Set("count", 0);
    stats.Set("bytes", 0);
    shell.Check(shell.Await(zk.CreateFuture(limits, quota.ToString(), client::OpenAclUnsafe())),
                limits);
    shell.Check(shell.Await(zk.CreateFuture(stats_path, stats.ToString(), client::OpenAclUnsafe())),
                stats_path);
    WarnIfBelow(shell, ReadTrack(shell, zk, limits), ReadTrack(shell, zk, stats_path));
    return;
  }
  StatsTrack merged = ReadTrack(shell, zk, limits);
  for (const auto& [opt, key] : keys) {
    if (quota.Get(key) > -1) merged.Set(key, quota.Get(key));
  }
  WarnIfBelow(shell, merged, ReadTrack(shell, zk, stats_path));
  shell.Check(shell.Await(zk.SetDataFuture(limits, merged.ToString())), limits);
}

void RunListQuota(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  client::Client& zk = shell.Session();
  const std::string limits = LimitPath(path);
  if (!shell.json()) shell.err() << "absolute path is " << limits << std::endl;
  auto l = shell.Await(zk.GetDataFuture(limits));
  if (l.err() == Err::kNoNode) {
    throw CommandError{kExitFailed, "quota for " + path + " does not exist."};
  }
  StatsTrack quota = ReadTrack(shell, zk, limits);
  StatsTrack stats = ReadTrack(shell, zk, StatPath(path));
  if (shell.json()) {
    shell.EmitJson(
        Json{{"path", path}, {"quota", StatsTrackJson(quota)}, {"stat", StatsTrackJson(stats)}});
    return;
  }
  shell.out() << "Output quota for " << path << " " << quota.ToString() << "\n";
  shell.out() << "Output stat for " << path << " " << stats.ToString() << "\n";
}

void RunDelQuota(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  client::Client& zk = shell.Session();
  const std::string limits = LimitPath(path);
  if (!Exists(shell, zk, limits)) {
    throw CommandError{kExitFailed, "Quota does not exist for " + path};
  }
  bool some = args.Has('n') || args.Has('b') || args.Has('N') || args.Has('B');
  if (some) {
    StatsTrack t = ReadTrack(shell, zk, limits);
    if (args.Has('n')) t.Set("count", -1);
    if (args.Has('b')) t.Set("bytes", -1);
    if (args.Has('N')) t.Set("countHardLimit", -1);
    if (args.Has('B')) t.Set("byteHardLimit", -1);
    shell.Check(shell.Await(zk.SetDataFuture(limits, t.ToString())), limits);
    return;
  }
  std::string parent = QuotaPath(path);
  auto children = shell.Check(shell.Await(zk.GetChildrenFuture(parent)), parent).children;
  for (const auto& c : children) {
    std::string p = ChildPath(parent, c);
    auto r = shell.Await(zk.DeleteFuture(p));
    if (!r.ok() && r.err() != Err::kNoNode) shell.Fail(r.err(), p);
  }
  // Remove the now empty levels up to /zookeeper/quota.
  while (parent != kQuotaRoot) {
    auto r = shell.Await(zk.GetChildrenFuture(parent));
    if (!r.ok() || !r->children.empty()) break;
    if (!shell.Await(zk.DeleteFuture(parent)).ok()) break;
    parent = ParentPath(parent);
  }
}

}  // namespace zk::zkcli
