#include "client/zkcli/commands.h"

#include <algorithm>

#include "client/zkcli/format.h"
#include "client/zkcli/shell.h"

namespace zk::zkcli {

const std::vector<CommandDef>& Commands() {
  static const std::vector<CommandDef> kCommands = {
      {"addWatch",
       "[-m mode] path",
       {"", "m"},
       1,
       1,
       RunAddWatch,
       true,
       "persistent watch; mode PERSISTENT or PERSISTENT_RECURSIVE (default)"},
      {"addauth",
       "scheme auth",
       {"", ""},
       1,
       2,
       RunAddAuth,
       true,
       "add credentials to the session (e.g. digest user:password)"},
      {"close", "", {"", ""}, 0, 0, RunClose, true, "close the session"},
      {"config",
       "[-c] [-w] [-s]",
       {"cws", ""},
       0,
       0,
       RunConfig,
       true,
       "show the ensemble configuration (/zookeeper/config)"},
      {"connect",
       "host:port",
       {"", ""},
       0,
       1,
       RunConnect,
       true,
       "open a new session (to the same servers without an argument)"},
      {"create",
       "[-s] [-e] [-c] [-t ttl] path [data] [acl]",
       {"sec", "t"},
       1,
       3,
       RunCreate,
       true,
       "create a node"},
      {"delete", "[-v version] path", {"", "v"}, 1, 1, RunDelete, true, "delete a node"},
      {"deleteall",
       "path [-b batch size]",
       {"", "b"},
       1,
       1,
       RunDeleteAll,
       true,
       "delete a node and its whole subtree"},
      {"delquota",
       "[-n|-b|-N|-B] path",
       {"nbNB", ""},
       1,
       1,
       RunDelQuota,
       true,
       "delete a quota (or one of its limits)"},
      {"du", "[-d depth] [path]", {"", "d"}, 0, 1, RunDu, false, "nodes and bytes per subtree"},
      {"dump",
       "[-o file] [path]",
       {"", "o"},
       0,
       1,
       RunDump,
       false,
       "back up a subtree as JSON (stdout or file)"},
      {"election",
       "run path id -- command...",
       {"", ""},
       4,
       1000,
       RunElection,
       false,
       "run a command while leading the election at path (Curator LeaderLatch layout)"},
      {"get",
       "[-s] [-w] [-b] path",
       {"swb", ""},
       1,
       1,
       RunGet,
       true,
       "show a node's data (-b: as base64)"},
      {"getAcl", "[-s] path", {"s", ""}, 1, 1, RunGetAcl, true, "show a node's ACL"},
      {"getAllChildrenNumber",
       "path",
       {"", ""},
       1,
       1,
       RunGetAllChildrenNumber,
       true,
       "count all descendants of a node"},
      {"getEphemerals",
       "path",
       {"", ""},
       0,
       1,
       RunGetEphemerals,
       true,
       "this session's ephemeral nodes under a path"},
      {"help", "[command]", {"", ""}, 0, 1, RunHelp, false, "list the commands"},
      {"history", "", {"", ""}, 0, 0, RunHistory, true, "the last commands of this session"},
      {"leader",
       "path",
       {"", ""},
       1,
       1,
       RunLeader,
       false,
       "who leads the election at path, and who waits"},
      {"listquota", "path", {"", ""}, 1, 1, RunListQuota, true, "show a quota"},
      {"load",
       "[-n] file [path]",
       {"n", ""},
       1,
       2,
       RunLoad,
       false,
       "restore a dump (under its own path or another one; -n: dry run)"},
      {"lock",
       "[-t seconds] path -- command... | lock ls path",
       {"", "t"},
       1,
       1000,
       RunLock,
       false,
       "run a command while holding the lock at path, like flock(1); ls: holder and waiters"},
      {"ls", "[-s] [-w] [-R] path", {"swR", ""}, 0, 1, RunLs, true, "list children"},
      {"printwatches",
       "on|off",
       {"", ""},
       0,
       1,
       RunPrintWatches,
       true,
       "print watch events as they arrive (on) or not"},
      {"quit", "", {"", ""}, 0, 0, RunQuit, true, "leave the shell"},
      {"reconfig",
       "[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | "
       "[-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]",
       {"s", "v", {{"-add", 'a'}, {"-remove", 'r'}, {"-members", 'm'}, {"-file", 'f'}}},
       0,
       0,
       RunReconfig,
       true,
       "change the ensemble's membership (reconfigEnabled servers; super or WRITE on "
       "/zookeeper/config)"},
      {"redo", "cmdno", {"", ""}, 1, 1, nullptr, true, "run a command of the history again"},
      {"removewatches",
       "path [-c|-d|-a] [-l]",
       {"cdal", ""},
       1,
       1,
       RunRemoveWatches,
       true,
       "remove watches of a node"},
      {"services",
       "[-b base] [ls [name [--json]] | watch name | register name --id ID --address HOST --port N "
       "[--payload JSON] -- command...]",
       {"", "b"},
       0,
       1000,
       RunServices,
       false,
       "the service registry (curator-x-discovery layout): names, instances, changes; register "
       "an instance while a command runs"},
      {"set",
       "[-s] [-v version] [-b] path data",
       {"sb", "v"},
       2,
       2,
       RunSet,
       true,
       "set a node's data (-b: data is base64)"},
      {"setAcl",
       "[-s] [-v version] [-R] path acl",
       {"sR", "v"},
       2,
       2,
       RunSetAcl,
       true,
       "set a node's ACL (-R: the whole subtree)"},
      {"setquota",
       "-n|-b|-N|-B val path",
       {"", "nbNB"},
       1,
       1,
       RunSetQuota,
       true,
       "set a quota (n: node count, b: bytes; upper case: hard limits)"},
      {"stat", "[-w] path", {"w", ""}, 1, 1, RunStat, true, "show a node's Stat"},
      {"stat4",
       "[word]",
       {"", ""},
       0,
       1,
       RunStat4,
       false,
       "send a four-letter word (default srvr) to every server, as a table"},
      {"sync", "path", {"", ""}, 1, 1, RunSync, true, "sync the server with the leader"},
      {"tree",
       "[-d depth] [path]",
       {"", "d"},
       0,
       1,
       RunTree,
       false,
       "indented view of a subtree with node counts"},
      {"version", "", {"", ""}, 0, 0, RunVersion, true, "zkcli's version"},
      {"watch",
       "[-R] path",
       {"R", ""},
       1,
       1,
       RunWatch,
       false,
       "print events of a node (-R: its subtree) until Ctrl-C"},
      {"whoami", "", {"", ""}, 0, 0, RunWhoAmI, true, "the identities of this session"},
  };
  return kCommands;
}

const CommandDef* FindCommand(std::string_view name) {
  for (const auto& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> CommandNames() {
  std::vector<std::string> names;
  for (const auto& c : Commands()) names.emplace_back(c.name);
  return names;
}

std::string UsageLine(const CommandDef& def) {
  std::string s(def.name);
  if (!def.usage.empty()) s += " " + std::string(def.usage);
  return s;
}

std::string RequirePath(const std::string& path, bool sequential) {
  std::string p = path;
  // A trailing '/' (as path completion leaves it) names the same node, except for a
  // sequential create where it is part of the name.
  while (!sequential && p.size() > 1 && p.back() == '/') p.pop_back();
  std::string error = PathError(p, sequential);
  if (!error.empty()) throw CommandError{kExitUsage, error};
  return p;
}

int32_t VersionArg(const ParsedArgs& args) {
  const std::string* v = args.Value('v');
  if (!v) return kAnyVersion;
  auto n = ParseInt(*v, INT32_MIN, INT32_MAX);
  if (!n) throw CommandError{kExitUsage, "-v needs a version number, not \"" + *v + "\""};
  return static_cast<int32_t>(*n);
}

std::string HelpText() {
  std::string out = "zkcli -server host:port[,host:port...][/chroot] [--json] cmd args\n";
  size_t width = 0;
  for (const auto& c : Commands()) width = std::max(width, UsageLine(c).size());
  for (bool ours : {false, true}) {
    out += ours ? "zkcli's own commands:\n" : "ZooKeeper CLI commands:\n";
    for (const auto& c : Commands()) {
      if (c.zkcli_sh == ours) continue;
      std::string u = UsageLine(c);
      out +=
          "\t" + u + std::string(width + 2 - u.size(), ' ') + "# " + std::string(c.summary) + "\n";
    }
  }
  return out;
}

}  // namespace zk::zkcli
