#include "server/watch_manager.h"

#include <algorithm>

#include "server/path_utils.h"

namespace zk::server {

WatchManager::WatchRef WatchManager::RefOf(WatchKind kind, const std::string& key) {
  static_assert(alignof(std::string) >= 4, "two low bits of a key's address hold the kind");
  return reinterpret_cast<WatchRef>(&key) | static_cast<WatchRef>(kind);
}

void WatchManager::Add(WatchKind kind, const std::string& path, WatcherId watcher) {
  auto it = MapOf(kind).try_emplace(path).first;
  if (it->second.insert(watcher)) {
    by_watcher_[watcher].insert(RefOf(kind, it->first));
    ++total_;
  }
}

bool WatchManager::RemoveOne(WatchKind kind, const std::string& path, WatcherId watcher) {
  PathMap& m = MapOf(kind);
  auto it = m.find(path);
  if (it == m.end() || !it->second.erase(watcher)) return false;
  DropRef(watcher, RefOf(kind, it->first));
  if (it->second.empty()) m.erase(it);  // after the ref to its key went
  --total_;
  return true;
}

void WatchManager::DropRef(WatcherId watcher, WatchRef ref) {
  auto w = by_watcher_.find(watcher);
  if (w == by_watcher_.end()) return;
  w->second.erase(ref);
  if (w->second.empty()) by_watcher_.erase(w);
}

bool WatchManager::HasOne(WatchKind kind, const std::string& path, WatcherId watcher) const {
  const PathMap& m = MapOf(kind);
  auto it = m.find(path);
  return it != m.end() && it->second.contains(watcher);
}

void WatchManager::Fire(WatchKind kind, const std::string& path, bool one_shot, EventType type,
                        const std::string& event_path, absl::flat_hash_set<WatcherId>* seen,
                        std::vector<Notification>* out) {
  PathMap& m = MapOf(kind);
  auto it = m.find(path);
  if (it == m.end()) return;
  // In watcher order: the connections hear of one change in one order, run after run.
  const std::vector<WatcherId> fired = it->second.Sorted();
  for (WatcherId w : fired) {
    if (seen->insert(w).second) out->push_back({w, type, event_path});
  }
  if (!one_shot) return;
  // One-shot: every watch here goes at once, the path's entry last (the refs point at its key).
  const WatchRef ref = RefOf(kind, it->first);
  for (WatcherId w : fired) DropRef(w, ref);
  total_ -= fired.size();
  m.erase(it);
}

void WatchManager::Trigger(const TreeEvent& event, std::vector<Notification>* out) {
  if (total_ == 0) return;
  absl::flat_hash_set<WatcherId> seen;
  const std::string& p = event.path;
  switch (event.type) {
    case EventType::kNodeCreated:
    case EventType::kNodeDataChanged:
      Fire(WatchKind::kData, p, true, event.type, p, &seen, out);
      break;
    case EventType::kNodeDeleted:
      Fire(WatchKind::kData, p, true, event.type, p, &seen, out);
      Fire(WatchKind::kChild, p, true, event.type, p, &seen, out);
      break;
    case EventType::kNodeChildrenChanged:
      Fire(WatchKind::kChild, p, true, event.type, p, &seen, out);
      break;
    default:
      return;
  }
  Fire(WatchKind::kPersistent, p, false, event.type, p, &seen, out);
  if (event.type == EventType::kNodeChildrenChanged || MapOf(WatchKind::kRecursive).empty()) {
    return;
  }
  std::string ancestor = p;
  while (true) {
    Fire(WatchKind::kRecursive, ancestor, false, event.type, p, &seen, out);
    if (ancestor == "/") break;
    ancestor = std::string(ParentPath(ancestor));
  }
}

bool WatchManager::Remove(const std::string& path, WatcherType type, WatcherId watcher) {
  switch (type) {
    case WatcherType::kChildren:
      return RemoveOne(WatchKind::kChild, path, watcher);
    case WatcherType::kData:
      return RemoveOne(WatchKind::kData, path, watcher);
    case WatcherType::kPersistent:
      return RemoveOne(WatchKind::kPersistent, path, watcher);
    case WatcherType::kPersistentRecursive:
      return RemoveOne(WatchKind::kRecursive, path, watcher);
    case WatcherType::kAny: {
      bool any = false;
      for (auto k : {WatchKind::kData, WatchKind::kChild, WatchKind::kPersistent,
                     WatchKind::kRecursive}) {
        any |= RemoveOne(k, path, watcher);
      }
      return any;
    }
  }
  return false;
}

bool WatchManager::Has(const std::string& path, WatcherType type, WatcherId watcher) const {
  switch (type) {
    case WatcherType::kChildren:
      return HasOne(WatchKind::kChild, path, watcher);
    case WatcherType::kData:
      return HasOne(WatchKind::kData, path, watcher);
    case WatcherType::kPersistent:
      return HasOne(WatchKind::kPersistent, path, watcher);
    case WatcherType::kPersistentRecursive:
      return HasOne(WatchKind::kRecursive, path, watcher);
    case WatcherType::kAny:
      return HasOne(WatchKind::kData, path, watcher) || HasOne(WatchKind::kChild, path, watcher) ||
             HasOne(WatchKind::kPersistent, path, watcher) ||
             HasOne(WatchKind::kRecursive, path, watcher);
  }
  return false;
}

void WatchManager::RemoveWatcher(WatcherId watcher) {
  auto it = by_watcher_.find(watcher);
  if (it == by_watcher_.end()) return;
  auto entries = std::move(it->second);
  by_watcher_.erase(it);
  for (WatchRef ref : entries) {
    PathMap& m = MapOf(KindOf(ref));
    auto p = m.find(PathOf(ref));
    if (p == m.end()) continue;
    if (p->second.erase(watcher)) --total_;
    if (p->second.empty()) m.erase(p);
  }
}

size_t WatchManager::path_count() const {
  absl::flat_hash_set<std::string_view> paths;
  for (const auto& m : maps_) {
    for (const auto& [p, _] : m) paths.insert(p);
  }
  return paths.size();
}

std::map<WatcherId, std::set<std::string>> WatchManager::ByWatcher() const {
  std::map<WatcherId, std::set<std::string>> out;
  for (const auto& [w, entries] : by_watcher_) {
    for (WatchRef ref : entries) out[w].insert(PathOf(ref));
  }
  return out;
}

std::map<std::string, std::set<WatcherId>> WatchManager::ByPath() const {
  std::map<std::string, std::set<WatcherId>> out;
  for (const auto& m : maps_) {
    for (const auto& [p, ws] : m) {
      for (WatcherId w : ws.Sorted()) out[p].insert(w);
    }
  }
  return out;
}

}  // namespace zk::server
