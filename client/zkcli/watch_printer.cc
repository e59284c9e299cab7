#include "client/zkcli/watch_printer.h"

#include <map>
#include <mutex>
#include <set>

namespace zk::zkcli {

struct WatchPrinter::State {
  std::weak_ptr<EventQueue> queue;
  std::mutex mu;
  std::set<std::string> pending[2];   // One-shot watches by class.
  std::set<std::string> suppress[2];  // Already printed NodeDeleted still to arrive.
  std::map<std::string, std::set<AddWatchMode>> persistent;

  void Push(const client::WatchEvent& e) {
    if (auto q = queue.lock()) {
      q->Push(QueuedEvent{e, std::nullopt, std::chrono::system_clock::now()});
    }
  }

  static bool Under(const std::string& p, const std::string& root) {
    return root == "/" || p == root || (p.starts_with(root) && p[root.size()] == '/');
  }

  // The persistent registration that prints `e`: the longest matching path, a plain persistent
  // watch before a recursive one on the same path. REQUIRES: mu held.
  std::optional<std::pair<std::string, AddWatchMode>> Primary(const client::WatchEvent& e) {
    std::optional<std::pair<std::string, AddWatchMode>> best;
    for (const auto& [path, modes] : persistent) {
      for (AddWatchMode m : modes) {
        bool match = m == AddWatchMode::kPersistent
                         ? path == e.path
                         : Under(e.path, path) && e.type != EventType::kNodeChildrenChanged;
        if (!match) continue;
        if (!best || path.size() > best->first.size() ||
            (path.size() == best->first.size() && m == AddWatchMode::kPersistent)) {
          best = std::make_pair(path, m);
        }
      }
    }
    return best;
  }
};

WatchPrinter::WatchPrinter(std::weak_ptr<EventQueue> queue) : state_(std::make_shared<State>()) {
  state_->queue = std::move(queue);
}

client::Watcher WatchPrinter::OneShot(WatchClass cls, const std::string& path) {
  const int c = static_cast<int>(cls);
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->pending[c].insert(path).second) return client::Watcher();
  }
  return [s = state_, c, path](const client::WatchEvent& e) {
    if (e.type == EventType::kNone) return;  // Session events come from the state listener.
    {
      std::lock_guard<std::mutex> lock(s->mu);
      s->pending[c].erase(path);
      if (s->suppress[c].erase(path)) return;
      if (e.type == EventType::kNodeDeleted && s->pending[1 - c].erase(path)) {
        s->suppress[1 - c].insert(path);
      }
      if (s->Primary(e)) return;  // A persistent watch prints it.
    }
    s->Push(e);
  };
}

void WatchPrinter::Forget(WatchClass cls, const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->pending[static_cast<int>(cls)].erase(path);
}

client::Watcher WatchPrinter::Persistent(const std::string& path, AddWatchMode mode) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->persistent[path].insert(mode);
  }
  return [s = state_, path, mode](const client::WatchEvent& e) {
    bool final_event = e.type == EventType::kNone || e.type == EventType::kPersistentWatchRemoved;
    {
      std::lock_guard<std::mutex> lock(s->mu);
      if (final_event) {
        auto it = s->persistent.find(path);
        if (it != s->persistent.end()) {
          it->second.erase(mode);
          if (it->second.empty()) s->persistent.erase(it);
        }
      } else {
        auto primary = s->Primary(e);
        if (!primary || primary->first != path || primary->second != mode) return;
      }
    }
    if (e.type != EventType::kNone) s->Push(e);
  };
}

}  // namespace zk::zkcli
