// Watch commands: addWatch, removewatches, printwatches and zkcli's streaming `watch` (a
// persistent, optionally recursive, watch whose events are printed until Ctrl-C).
#include <cctype>
#include <ctime>
#include <iostream>

#include "client/zkcli/commands.h"
#include "client/zkcli/shell.h"

namespace zk::zkcli {

namespace {

std::string ClockTime(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>(ms % 1000));
  return out;
}

client::Watcher QueueWatcher(const std::shared_ptr<EventQueue>& q) {
  return [q](const client::WatchEvent& e) {
    q->Push(QueuedEvent{e, std::nullopt, std::chrono::system_clock::now()});
  };
}

}  // namespace

void RunPrintWatches(Shell& shell, const ParsedArgs& args) {
  if (args.positional.empty()) {
    if (shell.json()) {
      shell.EmitJson(Json{{"printwatches", shell.printwatches}});
    } else {
      shell.out() << "printwatches is " << (shell.printwatches ? "on" : "off") << "\n";
    }
    return;
  }
  const std::string& v = args.positional[0];
  if (v != "on" && v != "off") shell.UsageError("printwatches", "say on or off");
  shell.printwatches = v == "on";
}

void RunAddWatch(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  AddWatchMode mode = AddWatchMode::kPersistentRecursive;
  if (const std::string* m = args.Value('m')) {
    std::string upper;
    for (char c : *m) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "PERSISTENT") {
      mode = AddWatchMode::kPersistent;
    } else if (upper != "PERSISTENT_RECURSIVE") {
      shell.UsageError("addWatch", "mode is PERSISTENT or PERSISTENT_RECURSIVE");
    }
  }
  client::Client& zk = shell.Session();
  shell.Check(shell.Await(zk.AddWatchFuture(path, mode, shell.PrintingListener(path, mode))), path);
}

void RunRemoveWatches(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  WatcherType type = WatcherType::kAny;
  if (args.Has('c')) {
    type = WatcherType::kChildren;
  } else if (args.Has('d')) {
    type = WatcherType::kData;
  }
  client::Client& zk = shell.Session();
  shell.Check(shell.Await(zk.RemoveWatchesFuture(path, type, args.Has('l'))), path);
}

void RunWatch(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  AddWatchMode mode =
      args.Has('R') ? AddWatchMode::kPersistentRecursive : AddWatchMode::kPersistent;
  WatcherType type = args.Has('R') ? WatcherType::kPersistentRecursive : WatcherType::kPersistent;
  client::Client& zk = shell.Session();
  auto q = std::make_shared<EventQueue>();
  shell.Check(shell.Await(zk.AddWatchFuture(path, mode, QueueWatcher(q))), path);
  // On stderr in every mode: a script can wait for this line before making changes.
  shell.err() << "Watching " << path << (args.Has('R') ? " and its subtree" : "")
              << " (Ctrl-C to stop)" << std::endl;
  bool removed = false;
  while (!removed) {
    if (g_interrupted.exchange(false)) break;
    q->WaitFor(std::chrono::milliseconds(100));
    for (const auto& e : q->TakeAll()) {
      if (e.event.type == EventType::kNone) {
        shell.Fail(e.event.state == KeeperState::kExpired ? Err::kSessionExpired : Err::kClosing,
                   path);
      }
      if (e.event.type == EventType::kPersistentWatchRemoved) removed = true;
      if (shell.json()) {
        Json j = EventJson(e.event);
        j["time"] = std::chrono::duration_cast<std::chrono::milliseconds>(e.when.time_since_epoch())
                        .count();
        shell.EmitJson(j);
      } else {
        shell.out() << ClockTime(e.when) << " " << EventTypeName(e.event.type) << " "
                    << e.event.path << "\n";
      }
      shell.out().flush();
    }
    shell.DrainEvents();
  }
  if (!removed) {
    // Stop the server's watch; wait briefly, but a dead connection must not keep us here.
    auto f = zk.RemoveWatchesFuture(path, type, /*local=*/true);
    f.wait_for(std::chrono::seconds(2));
  }
}

}  // namespace zk::zkcli
