// Session and shell commands: connect, close, quit, history, version, help.
#include <iostream>

#include "client/zkcli/commands.h"
#include "client/zkcli/shell.h"

#ifndef ZKCLI_VERSION
#define ZKCLI_VERSION "unknown"
#endif

namespace zk::zkcli {

void RunConnect(Shell& shell, const ParsedArgs& args) {
  shell.Connect(args.positional.empty() ? shell.server() : args.positional[0]);
}

void RunClose(Shell& shell, const ParsedArgs&) { shell.CloseSession(); }

void RunQuit(Shell& shell, const ParsedArgs&) { shell.RequestQuit(); }

void RunHistory(Shell& shell, const ParsedArgs&) {
  // As zkCli.sh: the ten commands before this one, and this one.
  const auto& h = shell.history();
  int64_t now = static_cast<int64_t>(h.size()) - 1;
  Json arr = Json::array();
  for (int64_t i = std::max<int64_t>(0, now - 10); i <= now; ++i) {
    if (i < 0) continue;
    const std::string& line = h[static_cast<size_t>(i)];
    if (shell.json()) {
      arr.push_back(Json{{"index", i}, {"command", line}});
    } else {
      shell.out() << i << " - " << line << "\n";
    }
  }
  if (shell.json()) shell.EmitJson(Json{{"history", std::move(arr)}});
}

void RunVersion(Shell& shell, const ParsedArgs&) {
  if (shell.json()) {
    shell.EmitJson(Json{{"name", "zkcli"}, {"version", ZKCLI_VERSION}, {"protocol", "3.8"}});
  } else {
    shell.out() << "zkcli version " << ZKCLI_VERSION
                << " (zabkeeper), ZooKeeper CLI compatible with 3.8\n";
  }
}

void RunHelp(Shell& shell, const ParsedArgs& args) {
  if (!args.positional.empty()) {
    const CommandDef* def = FindCommand(args.positional[0]);
    if (!def) {
      throw CommandError{kExitUsage, "Command not found: " + args.positional[0]};
    }
    shell.out() << UsageLine(*def) << "\n\t" << def->summary << "\n";
    return;
  }
  shell.out() << HelpText();
}

}  // namespace zk::zkcli
