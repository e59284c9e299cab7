// Node commands: ls, get, set, create, delete, deleteall, stat, sync, getEphemerals,
// getAllChildrenNumber, config, reconfig.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "client/zkcli/commands.h"
#include "client/zkcli/dump_codec.h"
#include "client/zkcli/shell.h"
#include "client/zkcli/walk.h"

namespace zk::zkcli {

namespace {

// Issues a read, with a printing watcher when `watch`; returns the value or throws. A watch
// whose request failed is forgotten (exists sets one even on NoNode).
template <class Issue>
auto ReadWithWatch(Shell& shell, const std::string& path, bool watch, WatchClass cls, Issue issue,
                   bool set_on_no_node = false) {
  auto r = shell.Await(issue(watch ? shell.PrintingWatcher(cls, path) : client::Watcher()));
  if (watch && !r.ok() && !(set_on_no_node && r.err() == Err::kNoNode)) {
    shell.ForgetWatch(cls, path);
  }
  return shell.Check(std::move(r), path);
}

// Data as JSON: a string if it is UTF-8, else base64.
void PutData(Json& j, const std::string& data) {
  if (IsValidUtf8(data)) {
    j["data"] = data;
  } else {
    j["data_base64"] = Base64Encode(data);
  }
}

constexpr std::string_view kConfigNode = "/zookeeper/config";

}  // namespace

void RunLs(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional.empty() ? "/" : args.positional[0]);
  bool with_stat = args.Has('s');
  if (args.Has('R')) {
    auto nodes = WalkTree(shell, path, WalkOptions{});
    if (shell.json()) {
      Json paths = Json::array();
      for (const auto& n : nodes) paths.push_back(n.path);
      shell.EmitJson(Json{{"path", path}, {"nodes", std::move(paths)}});
    } else {
      for (const auto& n : nodes) shell.out() << n.path << "\n";
    }
    return;
  }
  client::Client& zk = shell.Session();
  auto r = ReadWithWatch(shell, path, args.Has('w'), WatchClass::kChild, [&](client::Watcher w) {
    return with_stat ? zk.GetChildren2Future(path, std::move(w))
                     : zk.GetChildrenFuture(path, std::move(w));
  });
  std::sort(r.children.begin(), r.children.end());
  if (shell.json()) {
    Json j{{"path", path}, {"children", r.children}};
    if (with_stat) j["stat"] = StatJson(r.stat);
    shell.EmitJson(j);
    return;
  }
  shell.out() << FormatList(r.children) << "\n";
  if (with_stat) shell.out() << FormatStat(r.stat);
}

void RunGet(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  client::Client& zk = shell.Session();
  auto r = ReadWithWatch(shell, path, args.Has('w'), WatchClass::kData,
                         [&](client::Watcher w) { return zk.GetDataFuture(path, std::move(w)); });
  if (shell.json()) {
    Json j{{"path", path}};
    if (args.Has('b')) {
      j["data_base64"] = Base64Encode(r.data);
    } else {
      PutData(j, r.data);
    }
    if (args.Has('s')) j["stat"] = StatJson(r.stat);
    shell.EmitJson(j);
    return;
  }
  shell.out() << (args.Has('b') ? Base64Encode(r.data) : r.data) << "\n";
  if (args.Has('s')) shell.out() << FormatStat(r.stat);
}

void RunSet(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  std::string data = args.positional[1];
  if (args.Has('b')) {
    auto decoded = Base64Decode(data);
    if (!decoded) throw CommandError{kExitUsage, "set -b: the data is not valid base64"};
    data = std::move(*decoded);
  }
  int32_t version = VersionArg(args);
  client::Client& zk = shell.Session();
  auto stat = shell.Check(shell.Await(zk.SetDataFuture(path, data, version)), path);
  if (shell.json()) {
    shell.EmitJson(Json{{"path", path}, {"stat", StatJson(stat)}});
  } else if (args.Has('s')) {
    shell.out() << FormatStat(stat);
  }
}

void RunCreate(Shell& shell, const ParsedArgs& args) {
  bool e = args.Has('e'), s = args.Has('s'), c = args.Has('c'), t = args.Has('t');
  if (c && (e || s)) {
    throw CommandError{kExitUsage,
                       "-c cannot be combined with -s or -e. Containers cannot be "
                       "ephemeral or sequential."};
  }
  int64_t ttl = 0;
  if (t) {
    auto v = ParseInt(*args.Value('t'), INT64_MIN, INT64_MAX);
    if (!v) throw CommandError{kExitUsage, "-t argument must be a long value"};
    ttl = *v;
    if (e) throw CommandError{kExitUsage, "TTLs cannot be used with Ephemeral znodes"};
    if (c) throw CommandError{kExitUsage, "TTLs cannot be used with Container znodes"};
    if (ttl <= 0 || ttl > ephemeral_owner::kMaxTtl) {
      throw CommandError{kExitUsage, "ttl must be positive and cannot be larger than: " +
                                         std::to_string(ephemeral_owner::kMaxTtl)};
    }
  }
  CreateMode mode = CreateMode::kPersistent;
  if (e && s) {
    mode = CreateMode::kEphemeralSequential;
  } else if (e) {
    mode = CreateMode::kEphemeral;
  } else if (s) {
    mode = t ? CreateMode::kPersistentSequentialWithTtl : CreateMode::kPersistentSequential;
  } else if (c) {
    mode = CreateMode::kContainer;
  } else if (t) {
    mode = CreateMode::kPersistentWithTtl;
  }
  const std::string path = RequirePath(args.positional[0], s);
  std::string data = args.positional.size() > 1 ? args.positional[1] : "";
  std::vector<proto::Acl> acl = client::OpenAclUnsafe();
  if (args.positional.size() > 2) {
    std::vector<std::string> warnings;
    acl = ParseAcl(args.positional[2], &warnings);
    for (const auto& w : warnings) shell.err() << w << "\n";
    if (acl.empty()) throw CommandError{kExitUsage, "Acl is not valid : " + path};
  }
  client::Client& zk = shell.Session();
  auto r = shell.Check(shell.Await(zk.CreateFuture(path, data, acl, mode, ttl)), path);
  if (shell.json()) {
    shell.EmitJson(Json{{"path", r.path}, {"stat", StatJson(r.stat)}});
  } else {
    shell.err() << "Created " << r.path << std::endl;
  }
}

void RunDelete(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  int32_t version = VersionArg(args);
  client::Client& zk = shell.Session();
  shell.Check(shell.Await(zk.DeleteFuture(path, version)), path);
}

void RunDeleteAll(Shell& shell, const ParsedArgs& args) {
  const std::string root = RequirePath(args.positional[0]);
  int64_t batch = 1000;
  if (const std::string* b = args.Value('b')) {
    auto v = ParseInt(*b, INT32_MIN, INT32_MAX);
    if (!v) throw CommandError{kExitUsage, "-b argument must be an int value"};
    batch = std::max<int64_t>(1, *v);
  }
  auto nodes = WalkTree(shell, root, WalkOptions{});
  std::vector<std::string> order = BreadthFirst(nodes);
  std::reverse(order.begin(), order.end());
  // The root and /zookeeper belong to the server.
  std::erase_if(order, [](const std::string& p) {
    return p == "/" || p == "/zookeeper" || p.starts_with("/zookeeper/");
  });
  client::Client& zk = shell.Session();
  size_t deleted = 0;
  for (size_t start = 0; start < order.size(); start += static_cast<size_t>(batch)) {
    size_t end = std::min(order.size(), start + static_cast<size_t>(batch));
    std::vector<client::Op> ops;
    for (size_t i = start; i < end; ++i) ops.push_back(client::Op::Delete(order[i]));
    auto m = shell.Await(zk.MultiFuture(std::move(ops)));
    if (m.ok() && m->committed()) {
      deleted += end - start;
      continue;
    }
    if (!m.ok() && ExitCodeFor(m.err()) != kExitFailed) shell.Fail(m.err(), order[start]);
    // Something changed under us: delete this batch one node at a time.
    for (size_t i = start; i < end; ++i) {
      auto r = shell.Await(zk.DeleteFuture(order[i]));
      if (r.ok()) {
        ++deleted;
      } else if (r.err() != Err::kNoNode) {
        shell.err() << "Failed to delete some node(s) in the subtree!" << std::endl;
        shell.Fail(r.err(), order[i]);
      }
    }
  }
  if (shell.json()) shell.EmitJson(Json{{"path", root}, {"deleted", deleted}});
}

void RunStat(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  client::Client& zk = shell.Session();
  auto stat = ReadWithWatch(
      shell, path, args.Has('w'), WatchClass::kData,
      [&](client::Watcher w) { return zk.ExistsFuture(path, std::move(w)); },
      /*set_on_no_node=*/true);
  if (shell.json()) {
    shell.EmitJson(Json{{"path", path}, {"stat", StatJson(stat)}});
  } else {
    shell.out() << FormatStat(stat);
  }
}

void RunSync(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  client::Client& zk = shell.Session();
  shell.Check(shell.Await(zk.SyncFuture(path)), path);
  if (shell.json()) {
    shell.EmitJson(Json{{"path", path}, {"synced", true}});
  } else {
    shell.out() << "Sync is OK\n";
  }
}

void RunGetEphemerals(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional.empty() ? "/" : args.positional[0]);
  client::Client& zk = shell.Session();
  auto list = shell.Check(shell.Await(zk.GetEphemeralsFuture(path)), path);
  std::sort(list.begin(), list.end());
  if (shell.json()) {
    shell.EmitJson(Json{{"path", path}, {"ephemerals", list}});
  } else {
    shell.out() << FormatList(list) << "\n";
  }
}

void RunGetAllChildrenNumber(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  client::Client& zk = shell.Session();
  int32_t n = shell.Check(shell.Await(zk.GetAllChildrenNumberFuture(path)), path);
  if (shell.json()) {
    shell.EmitJson(Json{{"path", path}, {"count", n}});
  } else {
    shell.out() << n << "\n";
  }
}

// The client addresses of a configuration's text, one per member with a client port.
static std::vector<std::string> ClientAddresses(const std::string& config) {
  std::vector<std::string> out;
  const std::string joined = client::ClientHostsOf(config);
  size_t pos = 0;
  while (pos < joined.size()) {
    size_t comma = joined.find(',', pos);
    if (comma == std::string::npos) comma = joined.size();
    out.push_back(joined.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

void RunConfig(Shell& shell, const ParsedArgs& args) {
  std::string path(kConfigNode);
  client::Client& zk = shell.Session();
  auto r = ReadWithWatch(shell, path, args.Has('w'), WatchClass::kData,
                         [&](client::Watcher w) { return zk.GetConfigFuture(std::move(w)); });
  auto servers = ClientAddresses(r.data);
  if (shell.json()) {
    Json j{{"config", r.data}, {"servers", servers}};
    if (args.Has('s')) j["stat"] = StatJson(r.stat);
    shell.EmitJson(j);
    return;
  }
  if (args.Has('c')) {
    std::string joined;
    for (const auto& s : servers) joined += (joined.empty() ? "" : ",") + s;
    shell.out() << joined << "\n";
  } else {
    shell.out() << r.data << "\n";
  }
  if (args.Has('s')) shell.out() << FormatStat(r.stat);
}

// zkCli.sh's reconfig: incremental (-add, -remove, each repeatable) or bulk (-members, or -file
// holding server.N lines); -v the configuration version it applies to; -s prints the Stat.
void RunReconfig(Shell& shell, const ParsedArgs& args) {
  const std::string* add = args.Value('a');
  const std::string* remove = args.Value('r');
  const std::string* members = args.Value('m');
  const std::string* file = args.Value('f');
  std::string bulk;
  if (members != nullptr) bulk = *members;
  if (file != nullptr) {
    std::ifstream in(*file);
    if (!in) throw CommandError{kExitUsage, "reconfig: cannot read " + *file};
    std::string line;
    while (std::getline(in, line)) {
      if (!line.starts_with("server.")) continue;
      bulk += (bulk.empty() ? "" : ",") + line;
    }
  }
  const bool incremental = add != nullptr || remove != nullptr;
  if (incremental == (members != nullptr || file != nullptr) || (members && file)) {
    throw CommandError{kExitUsage,
                       "reconfig: give -add and/or -remove, or one of -members and -file"};
  }
  int64_t from = kAnyConfigId;
  if (const std::string* v = args.Value('v')) {
    char* end = nullptr;
    from = static_cast<int64_t>(std::strtoull(v->c_str(), &end, 16));
    if (v->empty() || *end != '\0') {
      throw CommandError{kExitUsage, "reconfig: -v takes a configuration version in hex"};
    }
  }
  client::Client& zk = shell.Session();
  auto r = shell.Check(shell.Await(zk.ReconfigFuture(add ? *add : "", remove ? *remove : "", bulk,
                                                     from)),
                       std::string(kConfigNode));
  if (shell.json()) {
    Json j{{"config", r.data}, {"servers", ClientAddresses(r.data)}};
    if (args.Has('s')) j["stat"] = StatJson(r.stat);
    shell.EmitJson(j);
    return;
  }
  shell.out() << "Committed new configuration:\n" << r.data << "\n";
  if (args.Has('s')) shell.out() << FormatStat(r.stat);
}

}  // namespace zk::zkcli
