#include "server/watch_manager.h"

#include <algorithm>
#include <new>
#include <utility>

#include "absl/hash/hash.h"

#include "server/path_utils.h"

namespace zk::server {

struct WatchManager::WatchedPath {
  WatcherSet watchers;
  uint32_t size = 0;  // of the path, whose bytes follow this header
  WatchKind kind = WatchKind::kData;

  std::string_view path() const {
    return {reinterpret_cast<const char*>(this + 1), size};
  }
  static size_t AllocationSize(size_t path_size) { return sizeof(WatchedPath) + path_size; }
};

size_t WatchManager::PathIdHash::operator()(std::string_view path) const {
  return absl::Hash<std::string_view>{}(path);
}

size_t WatchManager::PathIdHash::operator()(PathId id) const {
  return (*this)((*paths)[id]->path());
}

bool WatchManager::PathIdEq::operator()(PathId a, std::string_view b) const {
  return (*paths)[a]->path() == b;
}

WatchManager::WatchManager()
    : index_{PathIndex(0, PathIdHash{&paths_}, PathIdEq{&paths_}),
             PathIndex(0, PathIdHash{&paths_}, PathIdEq{&paths_}),
             PathIndex(0, PathIdHash{&paths_}, PathIdEq{&paths_}),
             PathIndex(0, PathIdHash{&paths_}, PathIdEq{&paths_})} {}

WatchManager::~WatchManager() {
  for (PathIndex& index : index_) index.clear();
  for (WatchedPath* p : paths_) {
    if (p == nullptr) continue;
    const size_t bytes = WatchedPath::AllocationSize(p->size);
    p->~WatchedPath();
    ::operator delete(p, bytes);
  }
}

WatchManager::PathId WatchManager::NewPath(WatchKind kind, std::string_view path) {
  void* mem = ::operator new(WatchedPath::AllocationSize(path.size()));
  auto* p = new (mem) WatchedPath;
  p->size = static_cast<uint32_t>(path.size());
  p->kind = kind;
  std::copy(path.begin(), path.end(), reinterpret_cast<char*>(p + 1));
  PathId id;
  if (free_ids_.empty()) {
    id = static_cast<PathId>(paths_.size());
    paths_.push_back(p);
  } else {
    id = free_ids_.back();
    free_ids_.pop_back();
    paths_[id] = p;
  }
  IndexOf(kind).insert(id);
  return id;
}

void WatchManager::FreePath(PathId id) {
  WatchedPath* p = paths_[id];
  IndexOf(p->kind).erase(id);  // hashes the path: before its bytes go
  const size_t bytes = WatchedPath::AllocationSize(p->size);
  p->~WatchedPath();
  ::operator delete(p, bytes);
  paths_[id] = nullptr;
  free_ids_.push_back(id);
}

std::string_view WatchManager::PathOf(PathId id) const { return paths_[id]->path(); }

void WatchManager::Add(WatchKind kind, const std::string& path, WatcherId watcher) {
  PathIndex& index = IndexOf(kind);
  auto it = index.find(std::string_view(path));
  const PathId id = it != index.end() ? *it : NewPath(kind, path);
  if (paths_[id]->watchers.insert(watcher)) {
    by_watcher_[watcher].insert(id);
    ++total_;
  }
}

bool WatchManager::RemoveOne(WatchKind kind, const std::string& path, WatcherId watcher) {
  const PathIndex& index = IndexOf(kind);
  auto it = index.find(std::string_view(path));
  if (it == index.end()) return false;
  const PathId id = *it;
  WatchedPath* p = paths_[id];
  if (!p->watchers.erase(watcher)) return false;
  DropRef(watcher, id);
  if (p->watchers.empty()) FreePath(id);
  --total_;
  return true;
}

void WatchManager::DropRef(WatcherId watcher, PathId id) {
  auto w = by_watcher_.find(watcher);
  if (w == by_watcher_.end()) return;
  w->second.erase(id);
  if (w->second.empty()) by_watcher_.erase(w);
}

bool WatchManager::HasOne(WatchKind kind, const std::string& path, WatcherId watcher) const {
  const PathIndex& index = IndexOf(kind);
  auto it = index.find(std::string_view(path));
  return it != index.end() && paths_[*it]->watchers.contains(watcher);
}

void WatchManager::Fire(WatchKind kind, const std::string& path, bool one_shot, EventType type,
                        const std::string& event_path, absl::flat_hash_set<WatcherId>* seen,
                        std::vector<Notification>* out) {
  const PathIndex& index = IndexOf(kind);
  auto it = index.find(std::string_view(path));
  if (it == index.end()) return;
  const PathId id = *it;
  // In watcher order: the connections hear of one change in one order, run after run.
  const std::vector<WatcherId> fired = paths_[id]->watchers.Sorted();
  for (WatcherId w : fired) {
    if (seen->insert(w).second) out->push_back({w, type, event_path});
  }
  if (!one_shot) return;
  // One-shot: every watch here goes at once.
  for (WatcherId w : fired) DropRef(w, id);
  total_ -= fired.size();
  FreePath(id);
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
  if (event.type == EventType::kNodeChildrenChanged || IndexOf(WatchKind::kRecursive).empty()) {
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
  auto ids = std::move(it->second);
  by_watcher_.erase(it);
  for (PathId id : ids) {
    WatchedPath* p = paths_[id];
    if (p->watchers.erase(watcher)) --total_;
    if (p->watchers.empty()) FreePath(id);
  }
}

size_t WatchManager::path_count() const {
  absl::flat_hash_set<std::string_view> paths;
  for (const WatchedPath* p : paths_) {
    if (p != nullptr) paths.insert(p->path());
  }
  return paths.size();
}

std::map<WatcherId, std::set<std::string>> WatchManager::ByWatcher() const {
  std::map<WatcherId, std::set<std::string>> out;
  for (const auto& [w, ids] : by_watcher_) {
    for (PathId id : ids) out[w].emplace(PathOf(id));
  }
  return out;
}

std::map<std::string, std::set<WatcherId>> WatchManager::ByPath() const {
  std::map<std::string, std::set<WatcherId>> out;
  for (const WatchedPath* p : paths_) {
    if (p == nullptr) continue;
    std::set<WatcherId>& ws = out[std::string(p->path())];
    for (WatcherId w : p->watchers.Sorted()) ws.insert(w);
  }
  return out;
}

}  // namespace zk::server
