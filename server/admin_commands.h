// The AdminServer's commands: the names and aliases of Apache ZooKeeper 3.8's
// org.apache.zookeeper.server.admin.Commands, each answered under /commands/<name or alias> with
// a JSON object that carries "command" (the primary name) and "error" (null on success).
// ServerNode::AdminCommand (admin_commands.cc) computes the answers from the same figures
// as the four-letter words. Plain constant data; thread-safe.
#pragma once

#include <string_view>
#include <vector>

namespace zk::server {

struct AdminCommandSpec {
  std::string_view name;                  // primary name, reported in "command"
  std::vector<std::string_view> aliases;  // the four-letter word is usually one of them
  // As ZooKeeper's CommandBase.serverRequired: without a running server the answer is the
  // error "This ZooKeeper instance is not currently serving requests".
  bool server_required = true;
};

// Every command, sorted by primary name (the order of the /commands listing).
const std::vector<AdminCommandSpec>& AdminCommands();

// The command whose primary name or alias is `name`; nullptr if none.
const AdminCommandSpec* FindAdminCommand(std::string_view name);

}  // namespace zk::server
