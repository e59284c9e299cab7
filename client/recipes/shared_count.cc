#include "client/recipes/shared_count.h"

#include <mutex>
#include <utility>

#include "client/recipes/ensure_path.h"
#include "client/retry.h"

namespace zk::recipes {

using client::ConnectionState;
using client::Result;

std::string SharedCount::Encode(int32_t value) {
  auto u = static_cast<uint32_t>(value);
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return out;
}

std::optional<int32_t> SharedCount::Decode(const std::string& data) {
  if (data.size() != 4) return std::nullopt;
  uint32_t u = 0;
  for (unsigned char c : data) u = (u << 8) | c;
  return static_cast<int32_t>(u);
}

struct SharedCount::Shared {
  client::Client* client = nullptr;
  std::string path;
  mutable std::mutex mu;
  VersionedValue value;
  int64_t czxid = 0;
  bool closed = false;
  bool watch_armed = false;  // a data or exists watch is registered (the client re-arms it)
  std::function<void(int32_t)> listener;

  // Takes a read of the node; calls the listener if it is newer than what was seen.
  void Apply(const client::Stat& stat, const std::string& data) {
    auto v = Decode(data);
    if (!v) return;
    std::function<void(int32_t)> l;
    {
      std::lock_guard<std::mutex> g(mu);
      if (closed) return;
      const bool newer = stat.czxid != czxid || stat.version > value.version;
      if (!newer) return;
      const bool changed = stat.czxid != czxid || *v != value.value || stat.version != value.version;
      czxid = stat.czxid;
      value = VersionedValue{*v, stat.version};
      if (changed) l = listener;
    }
    if (l) l(*v);
  }
};

namespace {

// Reads the node again, arming a watch unless one is armed already.
void Refresh(const std::weak_ptr<SharedCount::Shared>& weak) {
  auto s = weak.lock();
  if (!s) return;
  bool arm;
  {
    std::lock_guard<std::mutex> g(s->mu);
    if (s->closed) return;
    arm = !s->watch_armed;
    s->watch_armed = true;
  }
  client::Watcher watcher;
  if (arm) {
    watcher = [weak](const client::WatchEvent&) {
      if (auto sh = weak.lock()) {
        {
          std::lock_guard<std::mutex> g(sh->mu);
          sh->watch_armed = false;
        }
        Refresh(weak);
      }
    };
  }
  s->client->GetDataAsync(s->path, watcher, [weak, watcher](Result<client::DataResult> r) {
    auto sh = weak.lock();
    if (!sh) return;
    if (r.ok()) {
      sh->Apply(r->stat, r->data);
      return;
    }
    if (r.err() == Err::kNoNode && watcher) {
      // A watch is not left by getData on a missing node: watch for its creation instead.
      sh->client->ExistsAsync(sh->path, watcher, [weak](Result<client::Stat> e) {
        if (e.ok()) {
          // Created meanwhile: the exists watch is armed; read the value.
          if (auto s2 = weak.lock()) {
            s2->client->GetDataAsync(s2->path, nullptr, [weak](Result<client::DataResult> d) {
              if (auto s3 = weak.lock(); s3 && d.ok()) s3->Apply(d->stat, d->data);
            });
          }
        }
      });
      return;
    }
    if (!r.ok() && watcher) {
      // Not registered (connection loss): arm again at the next refresh.
      std::lock_guard<std::mutex> g(sh->mu);
      sh->watch_armed = false;
    }
  });
}

}  // namespace

SharedCount::SharedCount(client::Client& client, std::string path, int32_t seed,
                         std::vector<client::Acl> acl)
    : client_(client),
      path_(std::move(path)),
      seed_(seed),
      acl_(std::move(acl)),
      shared_(std::make_shared<Shared>()) {
  shared_->client = &client_;
  shared_->path = path_;
}

SharedCount::~SharedCount() { Close(); }

Result<void> SharedCount::Start() {
  while (true) {
    auto r = client_.Create(path_, Encode(seed_), acl_, CreateMode::kPersistent);
    if (r.ok() || r.err() == Err::kNodeExists) break;
    if (r.err() == Err::kNoNode) {
      auto slash = path_.rfind('/');
      if (Err e = EnsurePath(client_, path_.substr(0, slash), acl_, CreateMode::kPersistent);
          e != Err::kOk && !client::IsRetryable(e)) {
        return e;
      }
      continue;
    }
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = WaitConnectedUntil(client_, std::nullopt); e != Err::kOk) return e;
  }
  // The first read, synchronously, so that count() is valid when Start returns.
  std::weak_ptr<Shared> weak = shared_;
  while (true) {
    auto d = client_.GetData(path_);
    if (d.ok()) {
      if (!Decode(d->data)) return Err::kMarshallingError;
      shared_->Apply(d->stat, d->data);
      break;
    }
    if (d.err() == Err::kNoNode) break;  // deleted already: the watcher will see it come back
    if (!client::IsRetryable(d.err())) return d.err();
    if (Err e = WaitConnectedUntil(client_, std::nullopt); e != Err::kOk) return e;
  }
  listener_id_ = client_.AddStateListener([weak](ConnectionState cs) {
    if (cs == ConnectionState::kReconnected || cs == ConnectionState::kConnected) Refresh(weak);
  });
  Refresh(weak);
  return {};
}

void SharedCount::Close() {
  if (listener_id_ != 0) client_.RemoveStateListener(std::exchange(listener_id_, 0));
  std::lock_guard<std::mutex> g(shared_->mu);
  shared_->closed = true;
  shared_->listener = nullptr;
}

int32_t SharedCount::count() const { return versioned().value; }

VersionedValue SharedCount::versioned() const {
  std::lock_guard<std::mutex> g(shared_->mu);
  return shared_->value;
}

void SharedCount::SetListener(std::function<void(int32_t)> listener) {
  std::lock_guard<std::mutex> g(shared_->mu);
  shared_->listener = std::move(listener);
}

Result<void> SharedCount::SetCount(int32_t value) {
  while (true) {
    auto r = client_.SetData(path_, Encode(value), kAnyVersion);
    if (r.ok()) {
      shared_->Apply(*r, Encode(value));
      return {};
    }
    if (r.err() == Err::kNoNode) {
      auto c = client_.Create(path_, Encode(value), acl_, CreateMode::kPersistent);
      if (c.ok()) return {};
      if (c.err() == Err::kNodeExists) continue;
      return c.err();
    }
    // An unconditional set is idempotent: retrying it after a lost reply is safe.
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = WaitConnectedUntil(client_, std::nullopt); e != Err::kOk) return e;
  }
}

Result<bool> SharedCount::TrySetCount(const VersionedValue& previous, int32_t value) {
  auto r = client_.SetData(path_, Encode(value), previous.version);
  if (r.ok()) {
    shared_->Apply(*r, Encode(value));
    return true;
  }
  if (r.err() == Err::kBadVersion || r.err() == Err::kNoNode) return false;
  return r.err();
}

}  // namespace zk::recipes
