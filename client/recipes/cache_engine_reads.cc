// CacheEngine: the node table, the reads that fill it and the replies that change it (On* take
// mu_; everything else here runs under it). See cache_engine.h.
#include "client/recipes/cache_engine.h"

#include <algorithm>
#include <set>
#include <utility>

#include "client/recipes/contenders.h"
#include "client/recipes/scheduler.h"
#include "client/retry.h"

namespace zk::recipes::detail {

using client::Result;

namespace {

constexpr std::chrono::milliseconds kRetryDelay{250};

bool SessionOver(Err err) {
  return err == Err::kSessionExpired || err == Err::kClosing || err == Err::kAuthFailed;
}

// "<path>/", or "/" for the root.
std::string ChildPrefix(const std::string& path) { return path == "/" ? path : path + "/"; }

}  // namespace

// ---- the node table (under mu_) -----------------------------------------------------------------

int CacheEngine::DepthOf(const std::string& path) const {
  const std::string& root = options_.root;
  if (path == root) return 0;
  const std::string prefix = ChildPrefix(root);
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return -1;
  return 1 + static_cast<int>(std::count(path.begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                                         path.end(), '/'));
}

bool CacheEngine::Reported(const std::string& path) const {
  return options_.report_root || path != options_.root;
}

void CacheEngine::StartWalk(Actions& out) {
  if (ended_) return;
  ++walk_;
  walk_pending_ = 0;
  walk_done_ = false;
  resync_needed_ = false;
  Walk(options_.root, walk_, out);
}

void CacheEngine::Walk(const std::string& path, uint64_t walk, Actions& out) {
  ReadData(path, walk, out);
  if (DepthOf(path) < options_.max_depth) ReadChildren(path, walk, out);
}

void CacheEngine::ReadData(const std::string& path, uint64_t walk, Actions& out) {
  if (!options_.cache_data || !Reported(path)) {
    auto it = nodes_.find(path);
    const bool watch =
        OneShot() && !(it != nodes_.end() && (it->second.data_armed || it->second.data_watching));
    ReadExists(path, watch, walk, out);
    return;
  }
  auto it = nodes_.find(path);
  const bool watch =
      OneShot() && !(it != nodes_.end() && (it->second.data_armed || it->second.data_watching));
  if (watch && it != nodes_.end()) it->second.data_watching = true;
  if (walk == walk_ && !walk_done_) ++walk_pending_;
  std::weak_ptr<CacheEngine> weak = weak_from_this();
  const uint64_t epoch = epoch_;
  out.push_back([weak, c = client_, epoch, path, watch, walk] {
    client::Watcher w;
    if (watch) {
      w = [weak, epoch](const client::WatchEvent& ev) {
        if (auto s = weak.lock()) s->OnEvent(epoch, /*child_channel=*/false, ev);
      };
    }
    c->GetDataAsync(path, std::move(w),
                    [weak, epoch, path, watch, walk](Result<client::DataResult> r) {
                      if (auto s = weak.lock()) s->OnData(epoch, path, watch, walk, std::move(r));
                    });
  });
}

void CacheEngine::ReadExists(const std::string& path, bool watch, uint64_t walk, Actions& out) {
  auto it = nodes_.find(path);
  if (watch && it != nodes_.end()) it->second.data_watching = true;
  if (walk == walk_ && !walk_done_) ++walk_pending_;
  // Without data (or for the unreported root) the Stat is the node; otherwise this only follows
  // a getData that found no node, to watch for its creation.
  const bool stat_only = !options_.cache_data || !Reported(path);
  std::weak_ptr<CacheEngine> weak = weak_from_this();
  const uint64_t epoch = epoch_;
  out.push_back([weak, c = client_, epoch, path, watch, walk, stat_only] {
    client::Watcher w;
    if (watch) {
      w = [weak, epoch](const client::WatchEvent& ev) {
        if (auto s = weak.lock()) s->OnEvent(epoch, /*child_channel=*/false, ev);
      };
    }
    c->ExistsAsync(path, std::move(w),
                   [weak, epoch, path, watch, walk, stat_only](Result<client::Stat> r) {
                     if (auto s = weak.lock()) s->OnExists(epoch, path, watch, walk, stat_only, r);
                   });
  });
}

void CacheEngine::ReadChildren(const std::string& path, uint64_t walk, Actions& out) {
  auto it = nodes_.find(path);
  const bool watch =
      OneShot() && !(it != nodes_.end() && (it->second.child_armed || it->second.child_watching));
  if (watch && it != nodes_.end()) it->second.child_watching = true;
  if (walk == walk_ && !walk_done_) ++walk_pending_;
  std::weak_ptr<CacheEngine> weak = weak_from_this();
  const uint64_t epoch = epoch_;
  out.push_back([weak, c = client_, epoch, path, watch, walk] {
    client::Watcher w;
    if (watch) {
      w = [weak, epoch](const client::WatchEvent& ev) {
        if (auto s = weak.lock()) s->OnEvent(epoch, /*child_channel=*/true, ev);
      };
    }
    c->GetChildrenAsync(path, std::move(w),
                        [weak, epoch, path, watch, walk](Result<client::ChildrenResult> r) {
                          if (auto s = weak.lock()) s->OnChildren(epoch, path, watch, walk, r);
                        });
  });
}

// ---- replies (in the session's order) -----------------------------------------------------------

void CacheEngine::OnData(uint64_t epoch, const std::string& path, bool watch, uint64_t walk,
                         Result<client::DataResult> r) {
  Actions out;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (epoch != epoch_ || closed_) return;
    auto it = nodes_.find(path);
    if (watch && it != nodes_.end()) it->second.data_watching = false;
    if (r.ok()) {
      ApplyData(path, CachedNode{path, std::move(r->data), r->stat}, walk != 0, out);
      it = nodes_.find(path);
      if (watch && it != nodes_.end()) it->second.data_armed = true;
    } else if (r.err() == Err::kNoNode) {
      ApplyData(path, std::nullopt, walk != 0, out);
      // getData set no watch on the missing node: the root needs one that fires when it is
      // created.
      if (watch && path == options_.root) ReadExists(path, true, walk, out);
    } else {
      ReadFailed(r.err(), walk, out);
    }
    WalkStep(walk);
  }
  Run(out);
}

void CacheEngine::OnExists(uint64_t epoch, const std::string& path, bool watch, uint64_t walk,
                           bool stat_only, const Result<client::Stat>& r) {
  Actions out;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (epoch != epoch_ || closed_) return;
    auto it = nodes_.find(path);
    if (watch && it != nodes_.end()) it->second.data_watching = false;
    if (r.ok()) {
      if (stat_only) {
        ApplyData(path, CachedNode{path, "", *r}, walk != 0, out);
        it = nodes_.find(path);
        if (watch && it != nodes_.end()) it->second.data_armed = true;
      } else {
        // Created meanwhile: its data watch is set; read the data.
        if (watch && it != nodes_.end()) it->second.data_armed = true;
        ReadData(path, walk, out);
      }
    } else if (r.err() == Err::kNoNode) {
      ApplyData(path, std::nullopt, walk != 0, out);
      it = nodes_.find(path);  // exists set a watch on the missing node
      if (watch && it != nodes_.end()) it->second.data_armed = true;
    } else {
      ReadFailed(r.err(), walk, out);
    }
    WalkStep(walk);
  }
  Run(out);
}

void CacheEngine::OnChildren(uint64_t epoch, const std::string& path, bool watch, uint64_t walk,
                             const Result<client::ChildrenResult>& r) {
  Actions out;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (epoch != epoch_ || closed_) return;
    auto it = nodes_.find(path);
    if (watch && it != nodes_.end()) {
      it->second.child_watching = false;
      if (r.ok()) it->second.child_armed = true;
    }
    if (r.ok()) {
      ApplyChildren(path, r->children, walk, out);
    } else if (r.err() == Err::kNoNode) {
      // Answered in the session's order: the node is gone by now.
      ApplyData(path, std::nullopt, walk != 0, out);
    } else {
      ReadFailed(r.err(), walk, out);
    }
    WalkStep(walk);
  }
  Run(out);
}

void CacheEngine::ApplyData(const std::string& path, std::optional<CachedNode> now, bool in_walk,
                            Actions& out) {
  auto it = nodes_.find(path);
  const bool had = it != nodes_.end() && it->second.exists;
  if (!now) {
    if (had) RemoveSubtree(path);
    return;
  }
  const int depth = DepthOf(path);
  if (depth < 0 || depth > options_.max_depth) return;
  if (depth > 0) {
    // A node is cached only below a cached parent; a parent read later brings it in.
    const std::string parent = path.substr(0, std::max<size_t>(path.rfind('/'), 1));
    auto p = nodes_.find(parent);
    if (p == nodes_.end() || !p->second.exists) return;
  }
  if (had) {
    CachedNode& cur = it->second.cached;
    if (now->stat.czxid == cur.stat.czxid) {
      if (now->stat.mzxid > cur.stat.mzxid) {
        CacheEvent ev{CacheEventType::kUpdated, *now, cur};
        cur = std::move(*now);
        if (Reported(path)) Emit(std::move(ev));
      }
      return;  // the same version, or an older one
    }
    if (now->stat.czxid < cur.stat.czxid) return;  // an older node of that name
    RemoveSubtree(path);                            // deleted and created again
  }
  Node& n = nodes_[path];
  n.exists = true;
  n.cached = std::move(*now);
  if (Reported(path)) Emit(CacheEvent{CacheEventType::kAdded, n.cached, std::nullopt});
  // A walk reads the children of every node it reads; otherwise a new node's children are
  // read now (in one-shot mode that also sets its child watch).
  if (!in_walk && depth < options_.max_depth) ReadChildren(path, 0, out);
}

void CacheEngine::ApplyChildren(const std::string& path, const std::vector<std::string>& names,
                                uint64_t walk, Actions& out) {
  auto it = nodes_.find(path);
  if (it == nodes_.end() || !it->second.exists) return;
  if (DepthOf(path) >= options_.max_depth) return;
  std::set<std::string> listed;
  for (const std::string& name : names) {
    const std::string child = JoinPath(path, name);
    listed.insert(child);
    if (walk != 0) {
      Walk(child, walk, out);
    } else {
      auto c = nodes_.find(child);
      if (c == nodes_.end() || !c->second.exists) ReadData(child, 0, out);
    }
  }
  std::vector<std::string> gone;
  const std::string prefix = ChildPrefix(path);
  for (auto c = nodes_.upper_bound(path); c != nodes_.end(); ++c) {
    if (c->first.compare(0, prefix.size(), prefix) != 0) break;
    if (c->first.find('/', prefix.size()) != std::string::npos) continue;  // deeper
    if (c->second.exists && listed.count(c->first) == 0) gone.push_back(c->first);
  }
  for (const std::string& g : gone) RemoveSubtree(g);
}

void CacheEngine::RemoveSubtree(const std::string& path) {
  // Reverse key order puts every descendant before its ancestors.
  std::vector<std::string> doomed;
  const std::string prefix = ChildPrefix(path);
  for (auto c = nodes_.upper_bound(path); c != nodes_.end(); ++c) {
    if (c->first.compare(0, prefix.size(), prefix) != 0) break;
    doomed.push_back(c->first);
  }
  std::reverse(doomed.begin(), doomed.end());
  doomed.push_back(path);
  for (const std::string& p : doomed) {
    auto n = nodes_.find(p);
    if (n == nodes_.end()) continue;
    if (n->second.exists && Reported(p)) {
      Emit(CacheEvent{CacheEventType::kRemoved, n->second.cached, std::nullopt});
    }
    if (p == options_.root) {
      n->second.exists = false;  // the root stays, to keep its watch state
      n->second.cached = CachedNode{p, "", {}};
    } else {
      nodes_.erase(n);
    }
  }
}

void CacheEngine::WalkStep(uint64_t walk) {
  if (walk == 0 || walk != walk_ || walk_done_) return;
  if (--walk_pending_ > 0) return;
  walk_done_ = true;
  if (!initialized_) {
    initialized_ = true;
    cv_.notify_all();
    Emit(CacheEvent{CacheEventType::kInitialized, {}, std::nullopt});
  } else {
    Emit(CacheEvent{CacheEventType::kResynced, {}, std::nullopt});
  }
}

void CacheEngine::ReadFailed(Err err, uint64_t walk, Actions& out) {
  (void)out;
  if (SessionOver(err)) return;  // the state listener hears of it
  if (!client::IsRetryable(err)) return;  // e.g. kNoAuth: the node stays as it was
  // A change may have been missed: read everything again once that can succeed.
  resync_needed_ = true;
  if (walk != 0 && walk == walk_) walk_done_ = true;  // this walk cannot complete
  if (!client_->connected() || retry_timer_ != 0) return;  // the reconnect resyncs
  // A request timeout or throttling on a live connection: no reconnect will come.
  std::weak_ptr<CacheEngine> weak = weak_from_this();
  const uint64_t epoch = epoch_;
  retry_timer_ = Scheduler::Instance().At(Scheduler::Clock::now() + kRetryDelay, [weak, epoch] {
    auto s = weak.lock();
    if (!s) return;
    Actions next;
    {
      std::lock_guard<std::mutex> g(s->mu_);
      if (epoch != s->epoch_ || s->closed_) return;
      s->retry_timer_ = 0;
      if (!s->resync_needed_) return;
      if (s->recursive_ && !s->watch_added_) {
        s->AddRecursiveWatch(next);
      } else {
        s->StartWalk(next);
      }
    }
    Run(next);
  });
}

}  // namespace zk::recipes::detail
