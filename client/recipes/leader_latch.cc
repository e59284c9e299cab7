#include "client/recipes/leader_latch.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "client/recipes/contenders.h"
#include "client/recipes/scheduler.h"
#include "client/retry.h"

namespace zk::recipes {

using client::ConnectionState;
using client::Result;
using Clock = std::chrono::steady_clock;

// The latch's state, shared with the callbacks it registers; everything event-driven runs here.
struct LeaderLatch::Shared : std::enable_shared_from_this<Shared> {
  client::Client* client = nullptr;
  std::string path, id;
  LeaderLatchOptions options;

  std::mutex listener_mu;  // serializes listener calls in the order of the changes
  std::mutex mu;
  std::condition_variable cv;
  State state = State::kLatent;
  Err failure = Err::kOk;  // a non-retryable error while joining
  std::string prefix;      // this latch's protection prefix
  std::string node;        // full path of its node; empty while it has none
  bool creating = false;   // a create of its node is in flight (at most one ever is)
  bool leader = false;
  bool suspended = false;
  uint64_t suspend_timer = 0;
  std::function<void(bool)> listener;

  // Sets leadership to `value` if `allowed()` holds (checked under mu); tells the listener.
  template <class Pred>
  void SetLeaderIf(bool value, Pred allowed) {
    std::lock_guard<std::mutex> calls(listener_mu);
    std::function<void(bool)> l;
    {
      std::lock_guard<std::mutex> g(mu);
      if (leader == value || !allowed()) return;
      leader = value;
      l = listener;
      cv.notify_all();
    }
    if (l) l(value);
  }
  void SetLeader(bool value) {
    SetLeaderIf(value, [&] { return !value || (state == State::kStarted && !suspended); });
  }

  void Fail(Err err) {
    {
      std::lock_guard<std::mutex> g(mu);
      failure = err;
      cv.notify_all();
    }
    SetLeader(false);
  }

  // Creates the missing ancestors and the path, as containers, one after the other.
  void CreateParents(size_t pos, std::function<void(Err)> done) {
    while (pos < path.size() && path[pos] != '/') ++pos;
    if (pos > path.size()) {
      done(Err::kOk);
      return;
    }
    std::string prefix_path = path.substr(0, pos);
    auto self = shared_from_this();
    client->CreateAsync(prefix_path, "", options.acl, CreateMode::kContainer, 0,
                        [self, pos, done](Result<client::CreateResult> r) {
                          if (!r.ok() && r.err() != Err::kNodeExists) {
                            done(r.err());
                          } else if (pos == self->path.size()) {
                            done(Err::kOk);
                          } else {
                            self->CreateParents(pos + 1, done);
                          }
                        });
  }

  // Creates this latch's node unless it has one or a create is in flight: Start and a
  // reconnect's Recover may both get here, and two nodes of one participant would make it wait
  // behind itself for good.
  void Create() {
    {
      std::lock_guard<std::mutex> g(mu);
      if (state != State::kStarted || creating || !node.empty()) return;
      creating = true;
    }
    auto self = shared_from_this();
    client->CreateAsync(
        JoinPath(path, prefix + "latch-"), id, options.acl, CreateMode::kEphemeralSequential, 0,
        [self](Result<client::CreateResult> r) {
          {
            std::lock_guard<std::mutex> g(self->mu);
            self->creating = false;
          }
          if (r.ok()) {
            const std::string created = JoinPath(self->path, r->path.substr(r->path.rfind('/') + 1));
            {
              std::lock_guard<std::mutex> g(self->mu);
              if (self->state == State::kStarted) {
                self->node = created;
              } else {
                // Closed while the create was in flight: the node must not outlive the latch.
                self->client->DeleteAsync(created, kAnyVersion, [](Result<void>) {});
                return;
              }
            }
            self->Check();
          } else if (r.err() == Err::kNoNode) {
            self->CreateParents(1, [self](Err e) {
              if (e == Err::kOk) {
                self->Create();
              } else if (!client::IsRetryable(e)) {
                self->Fail(e);
              }  // else: Recover() after the reconnect
            });
          } else if (!client::IsRetryable(r.err())) {
            self->Fail(r.err());
          } else if (self->Connected()) {
            self->Recover();  // timed out on a live connection: no reconnect will come
          }  // a lost reply: Recover() finds the node by its prefix after the reconnect
        });
  }

  bool Connected() {
    const ConnectionState cs = client->state();
    return cs == ConnectionState::kConnected || cs == ConnectionState::kReconnected;
  }

  // After a reconnect: find this latch's node (by prefix if its create reply was lost), create
  // it if it is gone, then re-check leadership.
  void Recover() {
    std::string mine;
    {
      std::lock_guard<std::mutex> g(mu);
      // A create in flight settles it: its reply sets the node, its loss brings a reconnect.
      if (state != State::kStarted || creating) return;
      mine = node;
    }
    auto self = shared_from_this();
    if (mine.empty()) {
      client->GetChildrenAsync(path, nullptr, [self](Result<client::ChildrenResult> r) {
        if (r.ok()) {
          std::string found = FindWithPrefix(r->children, self->prefix);
          if (!found.empty()) {
            {
              std::lock_guard<std::mutex> g(self->mu);
              if (self->state != State::kStarted) {
                // Closed meanwhile: the node must not outlive the latch.
                self->client->DeleteAsync(JoinPath(self->path, found), kAnyVersion,
                                          [](Result<void>) {});
                return;
              }
              if (self->node.empty()) self->node = JoinPath(self->path, found);
            }
            self->Check();
            return;
          }
        }
        if (r.ok() || r.err() == Err::kNoNode) self->Create();
      });
      return;
    }
    client->ExistsAsync(mine, nullptr, [self, mine](Result<client::Stat> r) {
      if (r.err() == Err::kNoNode) {
        {
          std::lock_guard<std::mutex> g(self->mu);
          if (self->node == mine) self->node.clear();
        }
        self->Create();
      } else if (r.ok()) {
        self->Check();
      }
    });
  }

  // Reads the participants: leads if first, else watches the one before it.
  void Check() {
    std::string mine;
    {
      std::lock_guard<std::mutex> g(mu);
      if (state != State::kStarted || node.empty()) return;
      mine = node;
    }
    auto self = shared_from_this();
    std::weak_ptr<Shared> weak = self;
    client->GetChildrenAsync(path, nullptr, [self, weak, mine](Result<client::ChildrenResult> r) {
      if (!r.ok()) {
        if (r.err() == Err::kNoNode) {
          self->Recover();  // the path went, so did the node
        } else if (!client::IsRetryable(r.err())) {
          self->Fail(r.err());
        }
        return;
      }
      std::vector<std::string> sorted = SortBySequence(std::move(r->children));
      const std::string name = mine.substr(mine.rfind('/') + 1);
      auto it = std::find(sorted.begin(), sorted.end(), name);
      if (it == sorted.end()) {
        {
          std::lock_guard<std::mutex> g(self->mu);
          if (self->node == mine) self->node.clear();
        }
        self->SetLeader(false);
        self->Create();
        return;
      }
      if (it == sorted.begin()) {
        self->SetLeader(true);
        return;
      }
      self->SetLeader(false);
      self->client->GetDataAsync(
          JoinPath(self->path, *(it - 1)),
          [weak](const client::WatchEvent& ev) {
            auto s = weak.lock();
            if (s && ev.type != EventType::kNone) s->Check();
          },
          [self](Result<client::DataResult> d) {
            if (d.err() == Err::kNoNode) self->Check();  // gone already
          });
    });
  }

  void OnState(ConnectionState cs) {
    switch (cs) {
      case ConnectionState::kSuspended: {
        uint64_t old_timer;
        std::chrono::milliseconds bound;
        {
          std::lock_guard<std::mutex> g(mu);
          suspended = true;
          old_timer = std::exchange(suspend_timer, 0);
          bound = options.lost_after_suspended;
        }
        if (old_timer != 0) Scheduler::Instance().Cancel(old_timer);
        const auto limit = client->negotiated_timeout() / 2;
        if (bound.count() <= 0 || limit.count() <= 0) {
          SetLeaderIf(false, [&] { return suspended; });
          return;
        }
        std::weak_ptr<Shared> weak = shared_from_this();
        uint64_t timer = Scheduler::Instance().At(Clock::now() + std::min(bound, limit), [weak] {
          if (auto s = weak.lock()) s->SetLeaderIf(false, [&] { return s->suspended; });
        });
        std::lock_guard<std::mutex> g(mu);
        suspend_timer = timer;
        return;
      }
      case ConnectionState::kConnected:
      case ConnectionState::kReconnected:
      case ConnectionState::kReadOnly: {
        uint64_t timer;
        {
          std::lock_guard<std::mutex> g(mu);
          suspended = false;
          timer = std::exchange(suspend_timer, 0);
        }
        if (timer != 0) Scheduler::Instance().Cancel(timer);
        Recover();
        return;
      }
      case ConnectionState::kExpired:
      case ConnectionState::kClosed:
      case ConnectionState::kAuthFailed: {
        uint64_t timer;
        {
          std::lock_guard<std::mutex> g(mu);
          state = State::kClosed;
          node.clear();
          timer = std::exchange(suspend_timer, 0);
          cv.notify_all();
        }
        if (timer != 0) Scheduler::Instance().Cancel(timer);
        SetLeader(false);
        return;
      }
    }
  }
};

LeaderLatch::LeaderLatch(client::Client& client, std::string path, std::string id,
                         LeaderLatchOptions options)
    : client_(client),
      path_(std::move(path)),
      id_(std::move(id)),
      shared_(std::make_shared<Shared>()) {
  shared_->client = &client_;
  shared_->path = path_;
  shared_->id = id_;
  shared_->options = std::move(options);
  std::weak_ptr<Shared> weak = shared_;
  listener_id_ = client_.AddStateListener([weak](ConnectionState cs) {
    if (auto s = weak.lock()) s->OnState(cs);
  });
}

LeaderLatch::~LeaderLatch() {
  client_.RemoveStateListener(listener_id_);
  {
    // What the listener captured may already be gone: it is not told about this last change.
    std::lock_guard<std::mutex> calls(shared_->listener_mu);
    std::lock_guard<std::mutex> g(shared_->mu);
    shared_->listener = nullptr;
  }
  Close();
}

Result<void> LeaderLatch::Start() {
  {
    std::lock_guard<std::mutex> g(shared_->mu);
    if (shared_->state != State::kLatent) return Err::kInvalidState;
    shared_->state = State::kStarted;
    shared_->prefix = NewProtectionPrefix();
  }
  shared_->Create();
  return {};
}

Result<bool> LeaderLatch::Await(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> g(shared_->mu);
  bool done = shared_->cv.wait_for(g, timeout, [&] {
    return shared_->leader || shared_->state != State::kStarted || shared_->failure != Err::kOk;
  });
  if (shared_->failure != Err::kOk) return shared_->failure;
  if (shared_->state != State::kStarted) {
    return client_.state() == client::ConnectionState::kExpired ? Err::kSessionExpired
                                                                 : Err::kInvalidState;
  }
  return done && shared_->leader;
}

void LeaderLatch::Close() {
  std::string node;
  uint64_t timer;
  {
    std::lock_guard<std::mutex> g(shared_->mu);
    if (shared_->state == State::kClosed) return;
    shared_->state = State::kClosed;
    node = std::exchange(shared_->node, std::string());
    timer = std::exchange(shared_->suspend_timer, 0);
    shared_->cv.notify_all();
  }
  if (timer != 0) Scheduler::Instance().Cancel(timer);
  shared_->SetLeader(false);
  if (node.empty()) return;
  if (client_.state() == ConnectionState::kConnected ||
      client_.state() == ConnectionState::kReconnected) {
    auto r = client_.Delete(node);  // kInvalidState from a callback: fall back to async
    if (r.err() == Err::kInvalidState) client_.DeleteAsync(node, kAnyVersion, [](Result<void>) {});
  } else {
    client_.DeleteAsync(node, kAnyVersion, [](Result<void>) {});
  }
}

bool LeaderLatch::HasLeadership() const {
  std::lock_guard<std::mutex> g(shared_->mu);
  return shared_->leader;
}

LeaderLatch::State LeaderLatch::state() const {
  std::lock_guard<std::mutex> g(shared_->mu);
  return shared_->state;
}

void LeaderLatch::SetListener(std::function<void(bool)> listener) {
  std::lock_guard<std::mutex> g(shared_->mu);
  shared_->listener = std::move(listener);
}

Result<std::vector<Participant>> LeaderLatch::Participants(client::Client& client,
                                                           const std::string& path) {
  auto children = client.GetChildren(path);
  if (!children.ok()) return children.err();
  std::vector<Participant> out;
  for (const auto& name : SortBySequence(std::move(children->children))) {
    auto data = client.GetData(JoinPath(path, name));
    if (data.err() == Err::kNoNode) continue;
    if (!data.ok()) return data.err();
    out.push_back(Participant{data->data, name, out.empty()});
  }
  return out;
}

}  // namespace zk::recipes
