// Watch commands: addWatch, removewatches, printwatches and zkcli's streaming `watch`.
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

client::Watcher QueueWatcher(const std::shared_ptr<EventQueue>& q, bool drop_deleted) {
  return [q, drop_deleted](const client::WatchEvent& e) {
    if (drop_deleted && e.type == EventType::kNodeDeleted) return;
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

void RunAddWatch(Shell&, const ParsedArgs&) {
  throw CommandError{kExitFailed, "addWatch is not available in this build"};
}

void RunRemoveWatches(Shell&, const ParsedArgs&) {
  throw CommandError{kExitFailed, "removewatches is not available in this build"};
}

void RunWatch(Shell& shell, const ParsedArgs& args) {
  const std::string path = RequirePath(args.positional[0]);
  if (args.Has('R')) {
    throw CommandError{kExitFailed, "watch -R is not available in this build"};
  }
  client::Client& zk = shell.Session();
  auto q = std::make_shared<EventQueue>();
  // One-shot watches re-armed after each event: an exists watch (created, deleted, data) and,
  // while the node exists, a children watch.
  auto arm_data = [&] { zk.ExistsAsync(path, QueueWatcher(q, false), [](auto) {}); };
  auto arm_children = [&] { zk.GetChildrenAsync(path, QueueWatcher(q, true), [](auto) {}); };
  arm_data();
  arm_children();
  if (shell.mode() == Mode::kInteractive) {
    shell.err() << "Watching " << path << " (Ctrl-C to stop)" << std::endl;
  }
  while (true) {
    if (g_interrupted.exchange(false)) break;
    q->WaitFor(std::chrono::milliseconds(100));
    for (const auto& e : q->TakeAll()) {
      if (e.event.type == EventType::kNone) {
        shell.Fail(e.event.state == KeeperState::kExpired ? Err::kSessionExpired : Err::kClosing,
                   path);
      }
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
      switch (e.event.type) {
        case EventType::kNodeChildrenChanged:
          arm_children();
          break;
        case EventType::kNodeCreated:
          arm_data();
          arm_children();
          break;
        default:
          arm_data();
          break;
      }
    }
    shell.DrainEvents();
  }
}

}  // namespace zk::zkcli
