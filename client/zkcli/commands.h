// The command table: every zkcli command with its usage line, options and handler. Handlers
// live in the cmd_*.cc files by topic and have the signature
//   void Run(Shell& shell, const ParsedArgs& args);
// `args.positional` excludes the command name. The table is immutable and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/zkcli/args.h"

namespace zk::zkcli {

class Shell;
using CommandFn = void (*)(Shell&, const ParsedArgs&);

struct CommandDef {
  std::string_view name;
  std::string_view usage;  // Arguments, as zkCli.sh prints them.
  OptionSpec options;
  size_t min_args;
  size_t max_args;
  CommandFn run;
  bool zkcli_sh;  // Also a zkCli.sh command (else one of zkcli's own).
  std::string_view summary;
};

const std::vector<CommandDef>& Commands();
const CommandDef* FindCommand(std::string_view name);
std::vector<std::string> CommandNames();
// "ls [-s] [-w] [-R] path".
std::string UsageLine(const CommandDef& def);
// The help text listing every command.
std::string HelpText();

// Returns `path` without trailing slashes if it is then a valid znode path, else throws
// CommandError (exit 2) with ZooKeeper's message ("Path must start with / character").
std::string RequirePath(const std::string& path, bool sequential = false);
// The version option (-v) or -1; throws CommandError (exit 2) if it is not a number.
int32_t VersionArg(const ParsedArgs& args);

// Handlers, by file.
// cmd_nodes.cc
void RunLs(Shell&, const ParsedArgs&);
void RunGet(Shell&, const ParsedArgs&);
void RunSet(Shell&, const ParsedArgs&);
void RunCreate(Shell&, const ParsedArgs&);
void RunDelete(Shell&, const ParsedArgs&);
void RunDeleteAll(Shell&, const ParsedArgs&);
void RunStat(Shell&, const ParsedArgs&);
void RunSync(Shell&, const ParsedArgs&);
void RunGetEphemerals(Shell&, const ParsedArgs&);
void RunGetAllChildrenNumber(Shell&, const ParsedArgs&);
void RunConfig(Shell&, const ParsedArgs&);
void RunReconfig(Shell&, const ParsedArgs&);
// cmd_acl.cc
void RunGetAcl(Shell&, const ParsedArgs&);
void RunSetAcl(Shell&, const ParsedArgs&);
void RunAddAuth(Shell&, const ParsedArgs&);
void RunWhoAmI(Shell&, const ParsedArgs&);
// cmd_watch.cc
void RunAddWatch(Shell&, const ParsedArgs&);
void RunRemoveWatches(Shell&, const ParsedArgs&);
void RunPrintWatches(Shell&, const ParsedArgs&);
void RunWatch(Shell&, const ParsedArgs&);
// cmd_quota.cc
void RunSetQuota(Shell&, const ParsedArgs&);
void RunListQuota(Shell&, const ParsedArgs&);
void RunDelQuota(Shell&, const ParsedArgs&);
// cmd_session.cc
void RunConnect(Shell&, const ParsedArgs&);
void RunClose(Shell&, const ParsedArgs&);
void RunQuit(Shell&, const ParsedArgs&);
void RunHistory(Shell&, const ParsedArgs&);
void RunVersion(Shell&, const ParsedArgs&);
void RunHelp(Shell&, const ParsedArgs&);
// cmd_recipes.cc
void RunLock(Shell&, const ParsedArgs&);
void RunLeader(Shell&, const ParsedArgs&);
void RunElection(Shell&, const ParsedArgs&);
void RunServices(Shell&, const ParsedArgs&);
// cmd_tree.cc
void RunTree(Shell&, const ParsedArgs&);
void RunDu(Shell&, const ParsedArgs&);
// cmd_dump.cc
void RunDump(Shell&, const ParsedArgs&);
void RunLoad(Shell&, const ParsedArgs&);
// cmd_stat4.cc
void RunStat4(Shell&, const ParsedArgs&);

}  // namespace zk::zkcli
