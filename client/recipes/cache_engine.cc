// CacheEngine: lifecycle, the event thread, queries, watch events and connection states (the
// node table and the reads are in cache_engine_reads.cc).
#include "client/recipes/cache_engine.h"

#include <utility>

#include "client/recipes/scheduler.h"

namespace zk::recipes::detail {

using client::ConnectionState;
using client::Result;

namespace {

bool Ended(ConnectionState cs) {
  return cs == ConnectionState::kExpired || cs == ConnectionState::kClosed ||
         cs == ConnectionState::kAuthFailed;
}

// "<path>/", or "/" for the root.
std::string ChildPrefix(const std::string& path) { return path == "/" ? path : path + "/"; }

}  // namespace

CacheEngine::CacheEngine(client::Client& client, CacheEngineOptions options)
    : client_(&client), options_(std::move(options)) {
  nodes_[options_.root].cached.path = options_.root;
}

CacheEngine::~CacheEngine() {
  if (thread_.joinable()) {
    // The last reference may be the event thread's own (the cache was dropped by a listener).
    if (std::this_thread::get_id() == thread_.get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
}

// ---- lifecycle ---------------------------------------------------------------------------------

Result<void> CacheEngine::Start() {
  uint64_t epoch;
  client::Client* c;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (started_ || closed_) return Err::kInvalidState;
    const std::string& root = options_.root;
    if (root.empty() || root[0] != '/' || (root.size() > 1 && root.back() == '/') ||
        root.find("//") != std::string::npos || options_.max_depth < 0) {
      return Err::kBadArguments;
    }
    const ConnectionState cs = client_->state();
    if (Ended(cs)) return cs == ConnectionState::kExpired ? Err::kSessionExpired : Err::kClosing;
    started_ = true;
    recursive_ = options_.mode == CacheWatchMode::kAuto;
    thread_ = std::thread([self = shared_from_this()] { self->DispatchLoop(); });
    thread_id_ = thread_.get_id();
    epoch = epoch_;
    c = client_;
  }
  std::weak_ptr<CacheEngine> weak = weak_from_this();
  const uint64_t id = c->AddStateListener([weak, epoch](ConnectionState cs) {
    if (auto s = weak.lock()) s->OnState(epoch, cs);
  });
  Actions out;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (epoch != epoch_ || closed_) {
      // Rebound or closed meanwhile: that call could not remove this listener.
      out.push_back([c, id] { c->RemoveStateListener(id); });
    } else {
      state_listener_ = id;
      if (recursive_) {
        AddRecursiveWatch(out);
      } else {
        StartWalk(out);
      }
    }
  }
  Run(out);
  return {};
}

Result<bool> CacheEngine::AwaitInitialized(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> g(mu_);
  if (!started_ || closed_) return Err::kInvalidState;
  cv_.wait_for(g, timeout, [&] { return initialized_ || closed_; });
  if (closed_) return Err::kInvalidState;
  return initialized_;
}

bool CacheEngine::initialized() const {
  std::lock_guard<std::mutex> g(mu_);
  return initialized_;
}

Result<void> CacheEngine::Rebind(client::Client& client) {
  client::Client* old;
  uint64_t old_listener, epoch, timer;
  bool remove_watch, started;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (closed_) return Err::kInvalidState;
    old = client_;
    old_listener = std::exchange(state_listener_, 0);
    remove_watch = recursive_ && watch_added_ && !ended_ && old != &client;
    timer = std::exchange(retry_timer_, 0);
    epoch = ++epoch_;
    client_ = &client;
    ended_ = false;
    watch_added_ = false;
    recursive_ = options_.mode == CacheWatchMode::kAuto;
    walk_done_ = true;
    for (auto& [path, n] : nodes_) {
      n.data_armed = n.data_watching = n.child_armed = n.child_watching = false;
    }
    started = started_;
  }
  if (timer != 0) Scheduler::Instance().Cancel(timer);
  if (old_listener != 0) old->RemoveStateListener(old_listener);
  if (remove_watch) {
    old->RemoveWatchesAsync(options_.root, WatcherType::kPersistentRecursive, /*local=*/true,
                            [](Result<void>) {});
  }
  if (!started) return {};
  std::weak_ptr<CacheEngine> weak = weak_from_this();
  const uint64_t id = client.AddStateListener([weak, epoch](ConnectionState cs) {
    if (auto s = weak.lock()) s->OnState(epoch, cs);
  });
  const ConnectionState cs = client.state();
  Actions out;
  Err result = Err::kOk;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (epoch != epoch_ || closed_) {
      out.push_back([c = &client, id] { c->RemoveStateListener(id); });
    } else {
      state_listener_ = id;
      if (Ended(cs)) {
        ended_ = true;
        result = cs == ConnectionState::kExpired ? Err::kSessionExpired : Err::kClosing;
      } else {
        // The new session may be served by a server behind the one the old session saw: the
        // sync makes it catch up with the leader before the reads queued behind it.
        out.push_back([c = &client, root = options_.root] {
          c->SyncAsync(root, [](Result<std::string>) {});
        });
        if (recursive_) {
          AddRecursiveWatch(out);
        } else {
          StartWalk(out);
        }
      }
    }
  }
  Run(out);
  return result;
}

void CacheEngine::Close() {
  client::Client* c;
  uint64_t listener, timer;
  bool remove_watch;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (closed_) return;
    closed_ = true;
    c = client_;
    listener = std::exchange(state_listener_, 0);
    timer = std::exchange(retry_timer_, 0);
    remove_watch = recursive_ && watch_added_ && !ended_;
    cv_.notify_all();
  }
  if (timer != 0) Scheduler::Instance().Cancel(timer);
  if (listener != 0) c->RemoveStateListener(listener);
  if (remove_watch) {
    c->RemoveWatchesAsync(options_.root, WatcherType::kPersistentRecursive, /*local=*/true,
                          [](Result<void>) {});
  }
  {
    std::lock_guard<std::mutex> q(queue_mu_);
    stop_ = true;
    queue_.clear();
  }
  queue_cv_.notify_all();
  if (thread_.joinable() && std::this_thread::get_id() != thread_id_) thread_.join();
}

// ---- listeners and the event thread -------------------------------------------------------------

uint64_t CacheEngine::AddListener(CacheListener listener) {
  std::lock_guard<std::mutex> l(listeners_mu_);
  const uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void CacheEngine::RemoveListener(uint64_t id) {
  {
    std::lock_guard<std::mutex> l(listeners_mu_);
    listeners_.erase(id);
  }
  std::thread::id event_thread;
  {
    std::lock_guard<std::mutex> g(mu_);
    event_thread = thread_id_;
  }
  if (std::this_thread::get_id() != event_thread) {
    std::lock_guard<std::mutex> wait(running_mu_);  // a running listener returns first
  }
}

void CacheEngine::Emit(CacheEvent event) {
  {
    std::lock_guard<std::mutex> q(queue_mu_);
    if (stop_) return;
    queue_.push_back(std::move(event));
  }
  queue_cv_.notify_one();
}

void CacheEngine::DispatchLoop() {
  for (;;) {
    CacheEvent ev;
    {
      std::unique_lock<std::mutex> q(queue_mu_);
      queue_cv_.wait(q, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      ev = std::move(queue_.front());
      queue_.pop_front();
    }
    std::lock_guard<std::mutex> running(running_mu_);
    std::vector<uint64_t> ids;
    {
      std::lock_guard<std::mutex> l(listeners_mu_);
      for (const auto& [id, fn] : listeners_) ids.push_back(id);
    }
    for (uint64_t id : ids) {
      CacheListener fn;
      {
        std::lock_guard<std::mutex> l(listeners_mu_);
        auto it = listeners_.find(id);
        if (it == listeners_.end()) continue;  // removed by an earlier listener
        fn = it->second;
      }
      {
        std::lock_guard<std::mutex> q(queue_mu_);
        if (stop_) return;
      }
      fn(ev);
    }
  }
}

void CacheEngine::Run(Actions& actions) {
  for (auto& a : actions) a();
  actions.clear();
}

// ---- queries -----------------------------------------------------------------------------------

std::optional<CachedNode> CacheEngine::Get(const std::string& path) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = nodes_.find(path);
  if (it == nodes_.end() || !it->second.exists || !Reported(path)) return std::nullopt;
  return it->second.cached;
}

std::map<std::string, CachedNode> CacheEngine::Nodes() const {
  std::lock_guard<std::mutex> g(mu_);
  std::map<std::string, CachedNode> out;
  for (const auto& [path, n] : nodes_) {
    if (n.exists && Reported(path)) out.emplace(path, n.cached);
  }
  return out;
}

std::map<std::string, CachedNode> CacheEngine::ChildrenOf(const std::string& path) const {
  std::lock_guard<std::mutex> g(mu_);
  std::map<std::string, CachedNode> out;
  const std::string prefix = ChildPrefix(path);
  for (auto it = nodes_.upper_bound(path); it != nodes_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    const std::string name = it->first.substr(prefix.size());
    if (name.empty() || name.find('/') != std::string::npos || !it->second.exists) continue;
    out.emplace(name, it->second.cached);
  }
  return out;
}

bool CacheEngine::uses_persistent_watch() const {
  std::lock_guard<std::mutex> g(mu_);
  return recursive_ && watch_added_;
}

// ---- watches and connection states --------------------------------------------------------------

void CacheEngine::AddRecursiveWatch(Actions& out) {
  std::weak_ptr<CacheEngine> weak = weak_from_this();
  const uint64_t epoch = epoch_;
  out.push_back([weak, c = client_, epoch, root = options_.root] {
    c->AddWatchAsync(
        root, AddWatchMode::kPersistentRecursive,
        [weak, epoch](const client::WatchEvent& ev) {
          auto s = weak.lock();
          if (!s) return;
          Actions next;
          {
            std::lock_guard<std::mutex> g(s->mu_);
            if (epoch != s->epoch_ || s->closed_ || !s->recursive_) return;
            if (ev.type == EventType::kPersistentWatchRemoved) {
              // Someone removed the client's recursive watches on the root (another cache's
              // Close): register ours again and read what was missed meanwhile.
              s->watch_added_ = false;
              s->resync_needed_ = true;
              if (s->client_->connected()) s->AddRecursiveWatch(next);
            } else if (ev.type == EventType::kNodeDeleted) {
              s->ApplyData(ev.path, std::nullopt, false, next);  // nothing newer is cached
            } else if (ev.type == EventType::kNodeCreated ||
                       ev.type == EventType::kNodeDataChanged) {
              const int depth = s->DepthOf(ev.path);
              if (depth >= 0 && depth <= s->options_.max_depth) s->ReadData(ev.path, 0, next);
            }
          }
          Run(next);
        },
        [weak, epoch](Result<void> r) {
          auto s = weak.lock();
          if (!s) return;
          Actions next;
          {
            std::lock_guard<std::mutex> g(s->mu_);
            if (epoch != s->epoch_ || s->closed_) return;
            if (r.ok()) {
              s->watch_added_ = true;
              s->StartWalk(next);
            } else if (r.err() == Err::kUnimplemented) {
              s->recursive_ = false;  // a server without addWatch: one-shot watches instead
              s->StartWalk(next);
            } else {
              s->ReadFailed(r.err(), 0, next);
            }
          }
          Run(next);
        });
  });
}

void CacheEngine::OnEvent(uint64_t epoch, bool child_channel, const client::WatchEvent& ev) {
  Actions out;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (epoch != epoch_ || closed_) return;
    if (ev.type == EventType::kNone) return;  // the session ended: the state listener hears it
    auto it = nodes_.find(ev.path);
    if (child_channel) {
      if (it != nodes_.end()) it->second.child_armed = false;
      // kNodeDeleted too: its getChildren answers kNoNode, which removes the node.
      ReadChildren(ev.path, 0, out);
    } else {
      if (it != nodes_.end()) it->second.data_armed = false;
      if (ev.type == EventType::kNodeDeleted && ev.path != options_.root) {
        // Delivered before any reply the server sent after the deletion: nothing newer is
        // cached. (A read would only leave an exists watch on the missing node.)
        ApplyData(ev.path, std::nullopt, false, out);
      } else {
        ReadData(ev.path, 0, out);  // the root's read also sets the watch for its creation
      }
    }
  }
  Run(out);
}

void CacheEngine::OnState(uint64_t epoch, ConnectionState state) {
  Actions out;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (epoch != epoch_ || closed_ || !started_) return;
    switch (state) {
      case ConnectionState::kSuspended:
        suspended_ = true;
        Emit(CacheEvent{CacheEventType::kSuspended, {}, std::nullopt});
        break;
      case ConnectionState::kConnected:
      case ConnectionState::kReconnected:
      case ConnectionState::kReadOnly:
        if (suspended_) Emit(CacheEvent{CacheEventType::kReconnected, {}, std::nullopt});
        if (suspended_ || resync_needed_) {
          // Watches may have fired, and a persistent watch's events were lost, while away.
          if (recursive_ && !watch_added_) {
            AddRecursiveWatch(out);
          } else {
            StartWalk(out);
          }
        }
        suspended_ = false;
        break;
      case ConnectionState::kExpired:
      case ConnectionState::kClosed:
      case ConnectionState::kAuthFailed:
        ended_ = true;
        walk_done_ = true;
        Emit(CacheEvent{CacheEventType::kSessionEnded, {}, std::nullopt});
        break;
    }
  }
  Run(out);
}

}  // namespace zk::recipes::detail
