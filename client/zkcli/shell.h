// Shell: one zkcli session — the ZooKeeper client, the command history, output settings and the
// queue of asynchronous events — and the dispatcher that runs command lines against it.
//
// Commands (commands.h) are plain functions that receive the Shell and their parsed arguments.
// They print through out()/err() or EmitJson(), wait for replies with Await() (which gives up
// when the user presses Ctrl-C) and report failures by throwing CommandError, which RunLine turns
// into one line on stderr and an exit status. Nothing else escapes RunLine: a bad line never ends
// the shell.
//
// Threading: a Shell is used by the main thread only. The client's io thread touches nothing but
// the EventQueue (watch events, state changes) and an atomic state snapshot.
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/zk_client.h"
#include "client/zkcli/args.h"
#include "client/zkcli/event_queue.h"
#include "client/zkcli/format.h"
#include "client/zkcli/watch_printer.h"

namespace zk::zkcli {

// Exit statuses.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotConnected = 3;
inline constexpr int kExitInterrupted = 130;

// Thrown by commands; `message` is printed on stderr as one line.
struct CommandError {
  int exit_code;
  std::string message;
};

// Set by the SIGINT handler (see InstallInterruptHandler), cleared before each command.
extern std::atomic<bool> g_interrupted;
// Installs a SIGINT handler that sets g_interrupted and notifies `wakeup` (no SA_RESTART).
void InstallInterruptHandler(Wakeup* wakeup);

enum class Mode { kInteractive, kScript, kOneShot };

class Shell {
 public:
  Shell(MainOptions options, Mode mode);
  ~Shell();
  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;

  // Runs one command line (kept in the history as typed); returns its exit status. Blank lines
  // and lines starting with '#' do nothing and return 0.
  int RunLine(const std::string& line);
  // Runs an already split command (one-shot mode; not kept in the history).
  int RunWords(const std::vector<std::string>& words);

  bool quit_requested() const { return quit_; }
  // The prompt "[zk: host:port(CONNECTED) 3] ".
  std::string Prompt() const;
  // Prints queued watch events and state changes; returns how many were printed.
  int DrainEvents();
  bool HasEvents() { return !events_->Empty(); }
  Wakeup& wakeup() { return wakeup_; }
  // Children of a path for completion (short timeout, no error output).
  std::optional<std::vector<std::string>> ListForCompletion(const std::string& path);

  // --- for commands ---------------------------------------------------------------------------
  // The live session; throws CommandError (exit 3) if there is none, it ended, or it could not
  // connect within the request timeout.
  client::Client& Session();
  const MainOptions& options() const { return options_; }
  Mode mode() const { return mode_; }
  std::ostream& out();
  std::ostream& err();
  bool json() const { return options_.json; }
  void EmitJson(const Json& j);
  // Waits for a reply; throws CommandError(130) when interrupted by Ctrl-C. Prints queued events
  // while waiting.
  template <class T>
  client::Result<T> Await(std::future<client::Result<T>> f) {
    while (f.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      ThrowIfInterrupted();
      DrainEvents();
    }
    return f.get();
  }
  // The value of `r`, or throws CommandError with zkCli.sh's message for `path`.
  template <class T>
  T Check(client::Result<T> r, std::string_view path) {
    if (!r.ok()) Fail(r.err(), path);
    return std::move(r).value();
  }
  void Check(client::Result<void> r, std::string_view path) {
    if (!r.ok()) Fail(r.err(), path);
  }
  [[noreturn]] void Fail(Err err, std::string_view path);
  [[noreturn]] void UsageError(std::string_view command, std::string_view message = "");
  void ThrowIfInterrupted();
  // Watchers that queue their events for printing (when printwatches is on), one line per
  // notification as in zkCli.sh (see watch_printer.h).
  client::Watcher PrintingWatcher(WatchClass cls, const std::string& path);
  client::Watcher PrintingListener(const std::string& path, AddWatchMode mode);
  // The request of a PrintingWatcher failed without setting the watch.
  void ForgetWatch(WatchClass cls, const std::string& path);

  void Connect(const std::string& server);
  void CloseSession();
  void RequestQuit() { quit_ = true; }
  bool printwatches = true;
  const std::vector<std::string>& history() const { return history_; }
  const std::string& server() const { return server_; }
  int last_exit_code() const { return last_exit_code_; }

 private:
  int Dispatch(const std::vector<std::string>& words);
  int RunRedo(const std::vector<std::string>& words);

  MainOptions options_;
  Mode mode_;
  std::string server_;
  Wakeup wakeup_;
  std::shared_ptr<EventQueue> events_;
  std::shared_ptr<WatchPrinter> watches_;
  std::unique_ptr<client::Client> client_;
  // Display state for the prompt, updated from the io thread.
  std::shared_ptr<std::atomic<int>> state_;
  bool ever_connected_check_done_ = false;
  std::vector<std::string> history_;
  bool quit_ = false;
  int last_exit_code_ = 0;
};

}  // namespace zk::zkcli
