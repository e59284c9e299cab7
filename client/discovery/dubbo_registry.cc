#include "client/discovery/dubbo_registry.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace zk::discovery {

namespace {

using Clock = std::chrono::steady_clock;

// A URL the registry keeps (or is deleting).
struct Entry {
  DubboUrl url;
  std::vector<std::string> folders;  // persistent folders to create first, parents first
  std::string data;
  bool ephemeral = true;
  bool removing = false;   // Unregister asked to delete it
  bool dirty = true;       // the worker has to (re)check it
  bool in_place = false;   // the node exists for this session and is watched
  Err refused = Err::kOk;  // the server refused the first attempt
  int waiters = 0;         // Register / Unregister calls waiting for it
  Clock::time_point retry_at{};
};

bool SessionEnded(Err err) {
  return err == Err::kSessionExpired || err == Err::kClosing || err == Err::kAuthFailed;
}

// Errors that retrying cannot mend.
bool Refusal(Err err) {
  return err == Err::kNoAuth || err == Err::kInvalidAcl || err == Err::kBadArguments ||
         err == Err::kNoChildrenForEphemerals || err == Err::kUnimplemented ||
         err == Err::kEphemeralOnLocalSession;
}

// Every proper ancestor of `path` and `path` itself, parents first ("/a/b": "/a", "/a/b").
void AppendWithAncestors(const std::string& path, std::vector<std::string>& out) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string p = path.substr(0, pos);
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(std::move(p));
  }
}

bool ValidRoot(const std::string& root) {
  if (root == "/") return true;
  if (root.empty() || root.front() != '/' || root.back() == '/') return false;
  return root.find("//") == std::string::npos;
}

}  // namespace

std::string DubboRootPath(std::string_view root) {
  std::string r(root);
  if (r.empty() || r.front() != '/') r.insert(r.begin(), '/');
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r;
}

std::string DubboServicePath(std::string_view root, std::string_view interface) {
  std::string r = DubboRootPath(root);
  if (r != "/") r.push_back('/');
  return r + DubboEncode(interface);
}

std::string DubboCategoryPath(std::string_view root, std::string_view interface,
                              std::string_view category) {
  return DubboServicePath(root, interface) + "/" + std::string(category);
}

std::string DubboUrlPath(std::string_view root, const DubboUrl& url) {
  return DubboCategoryPath(root, url.ServiceInterface(), url.Category()) + "/" +
         DubboEncode(url.ToFullString());
}

client::Result<std::vector<DubboUrl>> ListDubboUrls(client::Client& client, std::string_view root,
                                                    std::string_view interface,
                                                    std::string_view category) {
  auto children = client.GetChildren(DubboCategoryPath(root, interface, category));
  if (!children.ok()) {
    if (children.err() == Err::kNoNode) return std::vector<DubboUrl>{};
    return children.err();
  }
  std::vector<std::string> names = children->children;
  std::sort(names.begin(), names.end());
  std::vector<DubboUrl> urls;
  for (const auto& name : names) {
    if (auto url = DecodeDubboNodeName(name)) urls.push_back(std::move(*url));
  }
  return urls;
}

struct DubboRegistry::Core : std::enable_shared_from_this<DubboRegistry::Core> {
  DubboRegistryOptions options;
  std::string root;
  mutable std::mutex mu;
  std::condition_variable cv;
  client::Client* client = nullptr;
  uint64_t generation = 0;  // bumped by Rebind: older watches, listeners and replies are stale
  bool session_ended = false;
  Err session_end_err = Err::kOk;
  bool closing = false;      // the worker stops
  bool rebinding = false;    // Rebind is moving the registry: the worker idles
  bool worker_busy = false;  // the worker is using `client` (outside the lock)
  bool closed = false;
  uint64_t state_listener = 0;
  std::map<std::string, Entry> entries;  // by node path
  std::mutex rebind_mu;                  // serializes Rebind and Close
  std::thread worker;

  // Issues an asynchronous operation and waits for its reply; nullopt when the wait is abandoned
  // (Close, or Rebind moved the registry to another client).
  template <class T>
  std::optional<client::Result<T>> Await(uint64_t gen,
                                         const std::function<void(client::Callback<T>)>& issue) {
    auto slot = std::make_shared<std::optional<client::Result<T>>>();
    auto self = shared_from_this();
    issue([self, slot](client::Result<T> r) {
      std::lock_guard<std::mutex> l(self->mu);
      *slot = std::move(r);
      self->cv.notify_all();
    });
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return slot->has_value() || closing || generation != gen; });
    if (!slot->has_value()) return std::nullopt;
    return std::move(**slot);
  }

  client::Watcher NodeWatcher(uint64_t gen, std::string path) {
    std::weak_ptr<Core> weak = weak_from_this();
    return [weak, gen, path = std::move(path)](const client::WatchEvent& ev) {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard<std::mutex> l(self->mu);
      if (self->generation != gen) return;
      auto it = self->entries.find(path);
      if (it == self->entries.end()) return;
      it->second.in_place = false;
      // A session event (type kNone): the state listener takes care of it.
      if (ev.type != EventType::kNone) {
        it->second.dirty = true;
        it->second.retry_at = {};
      }
      self->cv.notify_all();
    };
  }

  client::StateListener StateListenerFor(uint64_t gen) {
    std::weak_ptr<Core> weak = weak_from_this();
    return [weak, gen](client::ConnectionState state) {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard<std::mutex> l(self->mu);
      if (self->generation != gen) return;
      switch (state) {
        case client::ConnectionState::kConnected:
        case client::ConnectionState::kReconnected:
        case client::ConnectionState::kReadOnly:
          for (auto& [path, e] : self->entries) {
            if (!e.in_place) {
              e.dirty = true;
              e.retry_at = {};
            }
          }
          break;
        case client::ConnectionState::kExpired:
          self->session_ended = true;
          self->session_end_err = Err::kSessionExpired;
          break;
        case client::ConnectionState::kClosed:
          self->session_ended = true;
          self->session_end_err = Err::kClosing;
          break;
        case client::ConnectionState::kAuthFailed:
          self->session_ended = true;
          self->session_end_err = Err::kAuthFailed;
          break;
        case client::ConnectionState::kSuspended:
          break;
      }
      self->cv.notify_all();
    };
  }

  // Creates the folders and the node, and watches it. kOk once the node exists for this session.
  Err DoRegister(client::Client& c, uint64_t gen, const std::string& path, const Entry& e) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      for (const auto& folder : e.folders) {
        auto r = Await<client::CreateResult>(gen, [&](client::Callback<client::CreateResult> cb) {
          c.CreateAsync(folder, "", options.acl, CreateMode::kPersistent, 0, std::move(cb));
        });
        if (!r) return Err::kClosing;
        if (!r->ok() && r->err() != Err::kNodeExists) return r->err();
      }
      auto r = Await<client::CreateResult>(gen, [&](client::Callback<client::CreateResult> cb) {
        c.CreateAsync(path, e.data, options.acl,
                      e.ephemeral ? CreateMode::kEphemeral : CreateMode::kPersistent, 0,
                      std::move(cb));
      });
      if (!r) return Err::kClosing;
      if (!r->ok() && r->err() == Err::kNoNode) continue;  // a folder was deleted meanwhile
      if (!r->ok() && r->err() != Err::kNodeExists) return r->err();
      auto s = Await<client::Stat>(gen, [&](client::Callback<client::Stat> cb) {
        c.ExistsAsync(path, NodeWatcher(gen, path), std::move(cb));
      });
      if (!s) return Err::kClosing;
      if (!s->ok()) {
        if (s->err() == Err::kNoNode) continue;  // deleted meanwhile
        return s->err();
      }
      if (e.ephemeral && (*s)->ephemeral_owner != c.session_id()) {
        // Held by another session: an expired one whose ephemerals the server has not removed
        // yet, as Dubbo assumes. Delete it and create ours.
        auto d = Await<void>(gen, [&](client::Callback<void> cb) {
          c.DeleteAsync(path, (*s)->version, std::move(cb));
        });
        if (!d) return Err::kClosing;
        if (!d->ok() && d->err() != Err::kNoNode && d->err() != Err::kBadVersion) return d->err();
        continue;
      }
      return Err::kOk;
    }
    return Err::kOperationTimeout;  // the node kept changing under us: retry later
  }

  Err DoDelete(client::Client& c, uint64_t gen, const std::string& path) {
    auto d = Await<void>(
        gen, [&](client::Callback<void> cb) { c.DeleteAsync(path, kAnyVersion, std::move(cb)); });
    if (!d) return Err::kClosing;
    return d->ok() || d->err() == Err::kNoNode ? Err::kOk : d->err();
  }

  void Run() {
    std::unique_lock<std::mutex> l(mu);
    while (!closing) {
      const auto now = Clock::now();
      std::optional<Clock::time_point> next;
      auto pick = entries.end();
      if (!session_ended && !rebinding) {
        for (auto it = entries.begin(); it != entries.end(); ++it) {
          if (!it->second.dirty) continue;
          if (it->second.retry_at > now) {
            next = next ? std::min(*next, it->second.retry_at) : it->second.retry_at;
            continue;
          }
          pick = it;
          break;
        }
      }
      if (pick == entries.end()) {
        if (next) {
          cv.wait_until(l, *next);
        } else {
          cv.wait(l);
        }
        continue;
      }
      const std::string path = pick->first;
      pick->second.dirty = false;
      worker_busy = true;
      const Entry snapshot = pick->second;
      const uint64_t gen = generation;
      client::Client& c = *client;
      l.unlock();
      const Err err =
          snapshot.removing ? DoDelete(c, gen, path) : DoRegister(c, gen, path, snapshot);
      l.lock();
      worker_busy = false;
      cv.notify_all();
      if (closing || generation != gen) continue;  // Rebind marked every entry dirty again
      auto it = entries.find(path);
      if (it == entries.end()) continue;
      Entry& e = it->second;
      if (e.removing != snapshot.removing) continue;  // the request changed meanwhile (dirty)
      if (err == Err::kOk) {
        if (e.removing) {
          entries.erase(it);
        } else {
          e.in_place = true;
        }
      } else if (SessionEnded(err)) {
        e.dirty = true;  // at Rebind
      } else if (Refusal(err) && (e.removing || !e.in_place)) {
        if (e.waiters > 0) {
          e.refused = err;  // the waiting call reports it and drops the entry
        } else {
          entries.erase(it);
        }
      } else {
        e.dirty = true;
        e.retry_at = Clock::now() + options.retry_delay;
      }
      cv.notify_all();
    }
  }
};

DubboRegistry::DubboRegistry(client::Client& client, DubboRegistryOptions options)
    : core_(std::make_shared<Core>()) {
  core_->root = DubboRootPath(options.root);
  core_->options = std::move(options);
  core_->client = &client;
  core_->state_listener = client.AddStateListener(core_->StateListenerFor(0));
  const auto state = client.state();
  if (state == client::ConnectionState::kExpired || state == client::ConnectionState::kClosed ||
      state == client::ConnectionState::kAuthFailed) {
    core_->session_ended = true;
    core_->session_end_err = state == client::ConnectionState::kExpired  ? Err::kSessionExpired
                             : state == client::ConnectionState::kClosed ? Err::kClosing
                                                                         : Err::kAuthFailed;
  }
  core_->worker = std::thread([core = core_] { core->Run(); });
}

DubboRegistry::~DubboRegistry() { Close(); }

client::Result<std::string> DubboRegistry::Register(const DubboUrl& url,
                                                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string interface = url.ServiceInterface();
  if (interface.empty() || !url.Representable() || !ValidRoot(core_->root)) {
    return Err::kBadArguments;
  }
  const std::string path = DubboUrlPath(core_->root, url);
  Core& core = *core_;
  std::unique_lock<std::mutex> l(core.mu);
  if (core.closed) return Err::kInvalidState;
  auto [it, inserted] = core.entries.try_emplace(path);
  Entry& e = it->second;
  if (inserted || e.removing) {
    e.url = url;
    e.removing = false;
    e.in_place = false;
    e.dirty = true;
    e.retry_at = {};
    e.refused = Err::kOk;
    e.ephemeral = url.Parameter(dubbo_keys::kDynamic, "true") != "false";
    e.data = core.options.node_data.value_or(url.host);
    e.folders.clear();
    const std::string service = DubboServicePath(core.root, interface);
    const std::string category = url.Category();
    AppendWithAncestors(service + "/" + category, e.folders);
    std::vector<std::string> subscribed;
    if (category == dubbo_keys::kProviders) {
      subscribed = {dubbo_keys::kConfigurators};
    } else if (category == dubbo_keys::kConsumers) {
      subscribed = {dubbo_keys::kProviders, dubbo_keys::kConfigurators, dubbo_keys::kRouters};
    }
    for (const auto& s : subscribed) AppendWithAncestors(service + "/" + s, e.folders);
    core.cv.notify_all();
  }
  ++e.waiters;
  Err result = Err::kOperationTimeout;
  core.cv.wait_until(l, deadline, [&] {
    auto found = core.entries.find(path);
    if (core.closed || found == core.entries.end() || found->second.removing) {
      result = Err::kInvalidState;
      return true;
    }
    if (found->second.in_place) {
      result = Err::kOk;
      return true;
    }
    if (found->second.refused != Err::kOk) {
      result = found->second.refused;
      return true;
    }
    if (core.session_ended) {
      result = core.session_end_err;
      return true;
    }
    return false;
  });
  auto found = core.entries.find(path);
  if (found != core.entries.end()) {
    --found->second.waiters;
    if (found->second.refused != Err::kOk && found->second.waiters == 0) {
      core.entries.erase(found);
    }
  }
  if (result != Err::kOk) return result;
  return path;
}

client::Result<void> DubboRegistry::Unregister(const DubboUrl& url,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (!ValidRoot(core_->root)) return Err::kBadArguments;
  const std::string path = DubboUrlPath(core_->root, url);
  Core& core = *core_;
  std::unique_lock<std::mutex> l(core.mu);
  if (core.closed) return Err::kInvalidState;
  auto it = core.entries.find(path);
  if (it == core.entries.end()) return {};
  Entry& e = it->second;
  if (!e.removing) {
    e.removing = true;
    e.in_place = false;
    e.dirty = true;
    e.retry_at = {};
    e.refused = Err::kOk;
    core.cv.notify_all();
  }
  ++e.waiters;
  Err result = Err::kOperationTimeout;
  core.cv.wait_until(l, deadline, [&] {
    auto found = core.entries.find(path);
    if (found == core.entries.end()) {
      result = Err::kOk;
      return true;
    }
    if (core.closed) {
      result = Err::kInvalidState;
      return true;
    }
    if (!found->second.removing) {  // registered again meanwhile
      result = Err::kOk;
      return true;
    }
    if (found->second.refused != Err::kOk) {
      result = found->second.refused;
      return true;
    }
    if (core.session_ended) {
      result = core.session_end_err;
      return true;
    }
    return false;
  });
  auto found = core.entries.find(path);
  if (found != core.entries.end()) {
    --found->second.waiters;
    if (found->second.refused != Err::kOk && found->second.waiters == 0) {
      core.entries.erase(found);
    }
  }
  return result;
}

client::Result<void> DubboRegistry::Rebind(client::Client& client) {
  Core& core = *core_;
  std::lock_guard<std::mutex> rebind(core.rebind_mu);
  client::Client* old = nullptr;
  uint64_t old_listener = 0;
  uint64_t gen = 0;
  {
    // Abandon what the worker is doing with the old client, and wait until it no longer uses it
    // (the caller may destroy the old client once Rebind returns).
    std::unique_lock<std::mutex> l(core.mu);
    if (core.closed) return Err::kInvalidState;
    old = core.client;
    old_listener = core.state_listener;
    gen = ++core.generation;
    core.rebinding = true;
    core.cv.notify_all();
    core.cv.wait(l, [&] { return !core.worker_busy; });
  }
  old->RemoveStateListener(old_listener);
  const uint64_t listener = client.AddStateListener(core.StateListenerFor(gen));
  const auto state = client.state();
  std::lock_guard<std::mutex> l(core.mu);
  core.client = &client;
  core.state_listener = listener;
  core.rebinding = false;
  core.session_ended = state == client::ConnectionState::kExpired ||
                       state == client::ConnectionState::kClosed ||
                       state == client::ConnectionState::kAuthFailed;
  core.session_end_err = state == client::ConnectionState::kExpired      ? Err::kSessionExpired
                         : state == client::ConnectionState::kClosed     ? Err::kClosing
                         : state == client::ConnectionState::kAuthFailed ? Err::kAuthFailed
                                                                         : Err::kOk;
  for (auto& [path, e] : core.entries) {
    e.in_place = false;
    e.dirty = true;
    e.retry_at = {};
  }
  core.cv.notify_all();
  return {};
}

void DubboRegistry::Close() {
  Core& core = *core_;
  std::lock_guard<std::mutex> rebind(core.rebind_mu);
  std::vector<std::string> to_delete;
  client::Client* c = nullptr;
  uint64_t listener = 0;
  bool ended = false;
  {
    std::lock_guard<std::mutex> l(core.mu);
    if (core.closed) return;
    core.closed = true;
    core.closing = true;
    for (const auto& [path, e] : core.entries) {
      if (e.ephemeral || e.removing) to_delete.push_back(path);
    }
    c = core.client;
    listener = core.state_listener;
    ended = core.session_ended;
    core.cv.notify_all();
  }
  if (core.worker.joinable()) core.worker.join();
  c->RemoveStateListener(listener);
  if (ended) return;
  const auto deadline = Clock::now() + core.options.close_timeout;
  std::vector<std::future<client::Result<void>>> deletes;
  deletes.reserve(to_delete.size());
  for (const auto& path : to_delete) deletes.push_back(c->DeleteFuture(path));
  for (auto& f : deletes) f.wait_until(deadline);
}

std::vector<DubboUrl> DubboRegistry::Registered() const {
  std::lock_guard<std::mutex> l(core_->mu);
  std::vector<DubboUrl> out;
  for (const auto& [path, e] : core_->entries) {
    if (!e.removing) out.push_back(e.url);
  }
  return out;
}

}  // namespace zk::discovery
