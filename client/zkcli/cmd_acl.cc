// ACL and identity commands: getAcl, setAcl, addauth, whoami.
#include <iostream>

#include "client/zkcli/commands.h"
#include "client/zkcli/shell.h"
#include "client/zkcli/walk.h"

namespace zk::zkcli {

void RunGetAcl(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  client::Client& zk = shell.Session();
  auto r = shell.Check(shell.Await(zk.GetAclFuture(path)), path);
  if (shell.json()) {
    Json j{{"path", path}, {"acl", AclJson(r.acl)}};
    if (args.Has('s')) j["stat"] = StatJson(r.stat);
    shell.EmitJson(j);
    return;
  }
  shell.out() << FormatAcl(r.acl);
  if (args.Has('s')) shell.out() << FormatStat(r.stat);
}

void RunSetAcl(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  std::vector<std::string> warnings;
  auto acl = ParseAcl(args.positional[1], &warnings);
  for (const auto& w : warnings) shell.err() << w << "\n";
  if (acl.empty()) throw CommandError{kExitUsage, "Acl is not valid : " + path};
  int32_t version = VersionArg(args);
  if (!args.Has('R')) {
    client::Client& zk = shell.Session();
    auto stat = shell.Check(shell.Await(zk.SetAclFuture(path, acl, version)), path);
    if (shell.json()) {
      shell.EmitJson(Json{{"path", path}, {"stat", StatJson(stat)}});
    } else if (args.Has('s')) {
      shell.out() << FormatStat(stat);
    }
    return;
  }
  auto nodes = WalkTree(shell, path, WalkOptions{});
  client::Client& zk = shell.Session();
  std::vector<std::future<client::Result<proto::Stat>>> pending;
  for (const auto& n : nodes) pending.push_back(zk.SetAclFuture(n.path, acl, version));
  size_t failed = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto r = shell.Await(std::move(pending[i]));
    if (!r.ok()) {
      ++failed;
      shell.err() << ErrorMessage(r.err(), nodes[i].path) << "\n";
    }
  }
  if (shell.json()) {
    shell.EmitJson(Json{{"path", path}, {"updated", nodes.size() - failed}, {"failed", failed}});
  }
  if (failed) {
    throw CommandError{kExitFailed, "setAcl -R: " + std::to_string(failed) + " of " +
                                        std::to_string(nodes.size()) + " nodes not updated"};
  }
}

void RunAddAuth(Shell& shell, const ParsedArgs& args) {
  const std::string& scheme = args.positional[0];
  std::string auth = args.positional.size() > 1 ? args.positional[1] : "";
  client::Client& zk = shell.Session();
  shell.Check(shell.Await(zk.AddAuthFuture(scheme, auth)), "");
}

void RunWhoAmI(Shell& shell, const ParsedArgs&) {
  client::Client& zk = shell.Session();
  auto ids = shell.Check(shell.Await(zk.WhoAmIFuture()), "");
  if (shell.json()) {
    Json arr = Json::array();
    for (const auto& i : ids) arr.push_back(Json{{"scheme", i.auth_scheme}, {"user", i.user}});
    shell.EmitJson(Json{{"identities", std::move(arr)}});
    return;
  }
  shell.out() << "Auth scheme: User\n";
  for (const auto& i : ids) shell.out() << i.auth_scheme << ": " << i.user << "\n";
}

}  // namespace zk::zkcli
