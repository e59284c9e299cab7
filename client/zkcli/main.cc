// zkcli: the ZooKeeper command-line shell of zabkeeper. See docs/zkcli.md.
#include <signal.h>
#include <unistd.h>

#include <clocale>
#include <fstream>
#include <iostream>

#include "client/zkcli/args.h"
#include "client/zkcli/commands.h"
#include "client/zkcli/line_editor.h"
#include "client/zkcli/shell.h"

namespace zk::zkcli {
namespace {

int RunScript(Shell& shell, std::istream& in, bool stop_on_error) {
  int status = kExitOk;
  std::string line;
  while (!shell.quit_requested()) {
    if (!std::getline(in, line)) {
      if (g_interrupted.load()) return kExitInterrupted;
      break;
    }
    int code = shell.RunLine(line);
    if (code == kExitInterrupted) return code;
    if (code != kExitOk) {
      status = code;
      if (stop_on_error) break;
    }
  }
  return status;
}

int RunInteractive(Shell& shell) {
  std::cout << "Connecting to " << shell.server() << "\n"
            << "Welcome to zkcli! Type 'help' for the commands; Tab completes, Ctrl-D quits."
            << std::endl;
  LineEditor::Hooks hooks;
  hooks.prompt = [&] { return shell.Prompt(); };
  hooks.complete = [&](const std::string& before) {
    return Complete(before, CommandNames(),
                    [&](const std::string& p) { return shell.ListForCompletion(p); });
  };
  hooks.has_async = [&] { return shell.HasEvents(); };
  hooks.print_async = [&] { shell.DrainEvents(); };
  LineEditor editor("zkcli", std::move(hooks), &shell.wakeup(), DefaultHistoryFile());
  while (!shell.quit_requested()) {
    auto line = editor.ReadLine();
    if (!line) {
      std::cout << std::endl;
      break;
    }
    if (line->find_first_not_of(" \t") == std::string::npos) continue;
    editor.AddHistory(*line);
    shell.RunLine(*line);
  }
  return kExitOk;
}

int Main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "");
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string error;
  auto options = ParseMainArgs(args, &error);
  if (!options) {
    std::cerr << "zkcli: " << error << "\n" << MainUsage();
    return kExitUsage;
  }
  if (options->help) {
    std::cout << MainUsage() << "\n" << HelpText();
    return kExitOk;
  }
  Mode mode = Mode::kInteractive;
  std::ifstream file;
  if (!options->command.empty()) {
    mode = Mode::kOneShot;
  } else if (!options->script_file.empty() || !isatty(STDIN_FILENO)) {
    mode = Mode::kScript;
    if (!options->script_file.empty() && options->script_file != "-") {
      file.open(options->script_file);
      if (!file) {
        std::cerr << "zkcli: cannot read " << options->script_file << "\n";
        return kExitUsage;
      }
    }
  }
  if (options->version) options->command = {"version"};
  Shell shell(*options, mode);
  InstallInterruptHandler(&shell.wakeup());
  if (options->version) return shell.RunWords({"version"});
  switch (mode) {
    case Mode::kOneShot:
      return shell.RunWords(options->command);
    case Mode::kScript:
      return RunScript(shell, file.is_open() ? static_cast<std::istream&>(file) : std::cin,
                       options->stop_on_error);
    case Mode::kInteractive:
      return RunInteractive(shell);
  }
  return kExitOk;
}

}  // namespace
}  // namespace zk::zkcli

int main(int argc, char** argv) { return zk::zkcli::Main(argc, argv); }
