#include "client/watch_registry.h"

namespace zk::client {

namespace {

using Table = std::map<std::string, std::vector<WatcherPtr>>;

// Moves the watchers of `path` out of a one-shot table into `out`.
void TakeOnce(Table& table, const std::string& path, std::vector<WatcherPtr>* out) {
  auto it = table.find(path);
  if (it == table.end()) return;
  for (auto& w : it->second) out->push_back(std::move(w));
  table.erase(it);
}

// Copies the (persistent) watchers of `path` into `out`.
void CopyAll(const Table& table, const std::string& path, std::vector<WatcherPtr>* out) {
  auto it = table.find(path);
  if (it == table.end()) return;
  out->insert(out->end(), it->second.begin(), it->second.end());
}

void MoveRemoved(Table& table, const std::string& path, EventType why,
                 std::vector<std::pair<EventType, WatcherPtr>>* out) {
  auto it = table.find(path);
  if (it == table.end()) return;
  for (auto& w : it->second) out->emplace_back(why, std::move(w));
  table.erase(it);
}

}  // namespace

WatchRegistry::Table* WatchRegistry::TableOf(WatchKind kind) {
  switch (kind) {
    case WatchKind::kData: return &data_;
    case WatchKind::kExist: return &exist_;
    case WatchKind::kChild: return &child_;
    case WatchKind::kPersistent: return &persistent_;
    case WatchKind::kPersistentRecursive: return &recursive_;
    case WatchKind::kNone: break;
  }
  return nullptr;
}

void WatchRegistry::Add(WatchKind kind, const std::string& path, Watcher watcher) {
  Table* t = TableOf(kind);
  if (t == nullptr || !watcher) return;
  (*t)[path].push_back(std::make_shared<Watcher>(std::move(watcher)));
}

std::vector<WatcherPtr> WatchRegistry::Trigger(EventType type, const std::string& path) {
  std::vector<WatcherPtr> out;
  switch (type) {
    case EventType::kNodeCreated:
    case EventType::kNodeDataChanged:
      TakeOnce(data_, path, &out);
      TakeOnce(exist_, path, &out);
      break;
    case EventType::kNodeChildrenChanged:
      TakeOnce(child_, path, &out);
      break;
    case EventType::kNodeDeleted:
      TakeOnce(data_, path, &out);
      TakeOnce(exist_, path, &out);
      TakeOnce(child_, path, &out);
      break;
    default:
      return out;
  }
  CopyAll(persistent_, path, &out);
  if (type == EventType::kNodeChildrenChanged || recursive_.empty()) return out;
  // The node itself and every ancestor up to the root.
  std::string p = path;
  for (;;) {
    CopyAll(recursive_, p, &out);
    if (p == "/" || p.empty()) break;
    const size_t slash = p.rfind('/');
    p.resize(slash == 0 ? 1 : slash);
  }
  return out;
}

bool WatchRegistry::Has(const std::string& path, WatcherType type) const {
  auto in = [&](const Table& t) { return t.count(path) != 0; };
  switch (type) {
    case WatcherType::kData: return in(data_) || in(exist_);
    case WatcherType::kChildren: return in(child_);
    case WatcherType::kPersistent: return in(persistent_);
    case WatcherType::kPersistentRecursive: return in(recursive_);
    case WatcherType::kAny:
      return in(data_) || in(exist_) || in(child_) || in(persistent_) || in(recursive_);
  }
  return false;
}

std::vector<std::pair<EventType, WatcherPtr>> WatchRegistry::Remove(const std::string& path,
                                                                    WatcherType type) {
  std::vector<std::pair<EventType, WatcherPtr>> out;
  const bool any = type == WatcherType::kAny;
  if (any || type == WatcherType::kData) {
    MoveRemoved(data_, path, EventType::kDataWatchRemoved, &out);
    MoveRemoved(exist_, path, EventType::kDataWatchRemoved, &out);
  }
  if (any || type == WatcherType::kChildren) {
    MoveRemoved(child_, path, EventType::kChildWatchRemoved, &out);
  }
  if (any || type == WatcherType::kPersistent) {
    MoveRemoved(persistent_, path, EventType::kPersistentWatchRemoved, &out);
  }
  if (any || type == WatcherType::kPersistentRecursive) {
    MoveRemoved(recursive_, path, EventType::kPersistentWatchRemoved, &out);
  }
  return out;
}

std::vector<WatcherPtr> WatchRegistry::TakeAll(bool persistent_only) {
  std::vector<WatcherPtr> out;
  auto take = [&](Table& t) {
    for (auto& [path, ws] : t) {
      for (auto& w : ws) out.push_back(std::move(w));
    }
    t.clear();
  };
  if (!persistent_only) {
    take(data_);
    take(exist_);
    take(child_);
  }
  take(persistent_);
  take(recursive_);
  return out;
}

bool WatchRegistry::empty() const {
  return data_.empty() && exist_.empty() && child_.empty() && persistent_.empty() &&
         recursive_.empty();
}

void WatchRegistry::ForEachPath(
    const std::function<void(std::vector<std::string> proto::SetWatchesRequest::*,
                             const std::string&)>& add) const {
  using R = proto::SetWatchesRequest;
  const std::pair<const Table*, std::vector<std::string> R::*> lists[] = {
      {&data_, &R::data_watches},
      {&exist_, &R::exist_watches},
      {&child_, &R::child_watches},
      {&persistent_, &R::persistent_watches},
      {&recursive_, &R::persistent_recursive_watches},
  };
  for (const auto& [table, list] : lists) {
    for (const auto& [path, ws] : *table) {
      if (!ws.empty()) add(list, path);
    }
  }
}

}  // namespace zk::client
