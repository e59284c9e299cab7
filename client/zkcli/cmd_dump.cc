// zkcli's backup and restore of a subtree: `dump` writes it as JSON (dump_codec.h), `load`
// creates what is missing and updates data and ACLs that differ. Writes are pipelined.
#include <fstream>
#include <iostream>
#include <sstream>

#include "client/zkcli/commands.h"
#include "client/zkcli/dump_codec.h"
#include "client/zkcli/shell.h"
#include "client/zkcli/walk.h"

namespace zk::zkcli {

namespace {

bool ServerOwned(const std::string& path) {
  return path == "/zookeeper" || path.starts_with("/zookeeper/");
}

std::string Under(const std::string& target, const std::string& rel) {
  if (rel.empty()) return target;
  return target == "/" ? rel : target + rel;
}

CreateMode ModeOf(const DumpNode& n) {
  switch (n.kind) {
    case NodeKind::kContainer:
      return CreateMode::kContainer;
    case NodeKind::kTtl:
      return CreateMode::kPersistentWithTtl;
    case NodeKind::kPersistent:
      break;
  }
  return CreateMode::kPersistent;
}

}  // namespace

void RunDump(Shell& shell, const ParsedArgs& args) {
  const std::string root = RequirePath(args.positional.empty() ? "/" : args.positional[0]);
  auto nodes = WalkTree(shell, root, WalkOptions{-1, true, true});
  Dump dump;
  dump.path = root;
  size_t skipped = 0;
  for (auto& n : nodes) {
    int64_t ttl = 0;
    auto kind = KindFromOwner(n.stat.ephemeral_owner, &ttl);
    if (!kind || (ServerOwned(n.path) && !ServerOwned(root))) {
      ++skipped;  // Ephemerals belong to their sessions; /zookeeper to the server.
      continue;
    }
    DumpNode d;
    d.rel_path = n.path == root ? "" : (root == "/" ? n.path : n.path.substr(root.size()));
    d.data = std::move(n.data);
    d.acl = std::move(n.acl);
    d.kind = *kind;
    d.ttl_ms = ttl;
    dump.nodes.push_back(std::move(d));
  }
  std::string text = EncodeDump(dump).dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
  const std::string* file = args.Value('o');
  if (!file) {
    shell.out() << text;
    return;
  }
  std::ofstream f(*file, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) throw CommandError{kExitFailed, "cannot write " + *file};
  if (shell.json()) {
    shell.EmitJson(
        Json{{"path", root}, {"file", *file}, {"nodes", dump.nodes.size()}, {"skipped", skipped}});
  } else {
    shell.err() << "Dumped " << dump.nodes.size() << " nodes of " << root << " to " << *file
                << (skipped ? " (" + std::to_string(skipped) + " ephemeral or server nodes skipped)"
                            : "")
                << std::endl;
  }
}

void RunLoad(Shell& shell, const ParsedArgs& args) {
  const std::string& file = args.positional[0];
  std::ifstream f(file, std::ios::binary);
  if (!f) throw CommandError{kExitFailed, "cannot read " + file};
  std::stringstream ss;
  ss << f.rdbuf();
  Json json = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw CommandError{kExitFailed, file + ": not valid JSON"};
  std::string error;
  auto dump = DecodeDump(json, &error);
  if (!dump) throw CommandError{kExitFailed, file + ": " + error};
  std::string target = args.positional.size() > 1 ? args.positional[1] : dump->path;
  RequirePath(target);
  bool dry_run = args.Has('n');
  client::Client& zk = shell.Session();
  // Round 1: what is there now.
  std::vector<std::future<client::Result<client::DataResult>>> data;
  std::vector<std::future<client::Result<client::AclResult>>> acls;
  for (const auto& n : dump->nodes) {
    data.push_back(zk.GetDataFuture(Under(target, n.rel_path)));
    acls.push_back(zk.GetAclFuture(Under(target, n.rel_path)));
  }
  // Round 2: create what is missing (parents first: requests run in order), fix what differs.
  struct Write {
    std::string path;
    std::string what;
    std::future<client::Result<client::CreateResult>> create;
    std::future<client::Result<proto::Stat>> set;
  };
  std::vector<Write> writes;
  size_t created = 0, updated = 0, unchanged = 0;
  for (size_t i = 0; i < dump->nodes.size(); ++i) {
    const DumpNode& n = dump->nodes[i];
    std::string path = Under(target, n.rel_path);
    auto d = shell.Await(std::move(data[i]));
    auto a = shell.Await(std::move(acls[i]));
    auto acl = n.acl.empty() ? client::OpenAclUnsafe() : n.acl;
    if (d.err() == Err::kNoNode) {
      ++created;
      if (dry_run) {
        shell.out() << "create " << path << "\n";
      } else {
        writes.push_back(
            {path, "create", zk.CreateFuture(path, n.data, acl, ModeOf(n), n.ttl_ms), {}});
      }
      continue;
    }
    const std::string current_data = shell.Check(std::move(d), path).data;
    const std::vector<proto::Acl> current_acl = shell.Check(std::move(a), path).acl;
    bool data_differs = current_data != n.data;
    bool acl_differs = !n.acl.empty() && current_acl != n.acl;
    if (!data_differs && !acl_differs) {
      ++unchanged;
      continue;
    }
    ++updated;
    if (dry_run) {
      shell.out() << "update " << path << (data_differs ? " data" : "")
                  << (acl_differs ? " acl" : "") << "\n";
      continue;
    }
    if (data_differs) writes.push_back({path, "set data", {}, zk.SetDataFuture(path, n.data)});
    if (acl_differs) writes.push_back({path, "set acl", {}, zk.SetAclFuture(path, n.acl)});
  }
  size_t failed = 0;
  for (auto& w : writes) {
    Err err = w.create.valid() ? shell.Await(std::move(w.create)).err()
                               : shell.Await(std::move(w.set)).err();
    if (err != Err::kOk) {
      ++failed;
      shell.err() << w.what << " failed: " << ErrorMessage(err, w.path) << "\n";
    }
  }
  if (shell.json()) {
    shell.EmitJson(Json{{"path", target},
                        {"created", created},
                        {"updated", updated},
                        {"unchanged", unchanged},
                        {"failed", failed},
                        {"dry_run", dry_run}});
  } else {
    shell.out() << (dry_run ? "Would load " : "Loaded ") << dump->nodes.size() << " nodes into "
                << target << ": " << created << " created, " << updated << " updated, " << unchanged
                << " unchanged" << (failed ? ", " + std::to_string(failed) + " failed" : "")
                << "\n";
  }
  if (failed) throw CommandError{kExitFailed, "load: " + std::to_string(failed) + " writes failed"};
}

}  // namespace zk::zkcli
