#include "client/recipes/lock_driver.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <utility>

#include "client/recipes/contenders.h"
#include "client/recipes/scheduler.h"
#include "client/retry.h"

namespace zk::recipes {

using client::ConnectionState;
using client::Result;
using Clock = std::chrono::steady_clock;

LockVerdict FirstInLine(const std::vector<std::string>& sorted, size_t mine) {
  if (mine == 0) return {true, {}};
  return {false, sorted[mine - 1]};
}

// Shared with the watchers and listeners the driver registers (they hold it weakly).
struct LockDriver::State {
  client::Client* client = nullptr;
  std::chrono::milliseconds lost_after{0};

  std::mutex mu;
  std::condition_variable cv;
  uint64_t wakeups = 0;  // bumped by watch events, state changes and Cancel
  bool cancel = false;
  bool shut = false;   // Shut(): every Acquire is cancelled
  std::string node;    // full path of the contender node, while acquiring or holding
  int64_t token = 0;   // its czxid
  int holds = 0;       // re-entrant holds; > 0 while held
  bool lost = false;   // the current hold was reported lost
  bool ended = false;  // the session ended (expired, closed, auth failed)
  ConnectionState conn = ConnectionState::kConnected;
  uint64_t suspend_timer = 0;
  std::function<void(LockLostReason)> lost_listener;

  void Wake() {
    std::lock_guard<std::mutex> l(mu);
    ++wakeups;
    cv.notify_all();
  }

  // Reports the current hold lost, once.
  void ReportLost(LockLostReason reason, const std::string& only_node = {}) {
    std::function<void(LockLostReason)> listener;
    {
      std::lock_guard<std::mutex> l(mu);
      if (holds == 0 || lost) return;
      if (!only_node.empty() && only_node != node) return;
      lost = true;
      listener = lost_listener;
    }
    if (listener) listener(reason);
  }
};

Result<ProtectedNode> CreateProtected(client::Client& c, const std::string& parent,
                                      const std::string& name, const std::vector<client::Acl>& acl,
                                      CreateMode mode, const std::string& data) {
  const std::string prefix = NewProtectionPrefix();
  const std::string full_name = prefix + name;
  while (true) {
    auto r = c.Create(JoinPath(parent, full_name), data, acl, mode);
    if (r.ok()) {
      return ProtectedNode{JoinPath(parent, r->path.substr(r->path.rfind('/') + 1)), r->stat.czxid};
    }
    if (r.err() == Err::kNoNode) {
      if (Err e = EnsurePath(c, parent, acl); e != Err::kOk) {
        if (!client::IsRetryable(e)) return e;
      }
      continue;
    }
    if (!client::IsRetryable(r.err())) return r.err();
    // The reply was lost: the node may exist. Find it by its protection prefix.
    while (true) {
      if (Err e = WaitConnectedUntil(c, std::nullopt); e != Err::kOk) return e;
      auto children = c.GetChildren(parent);
      if (children.ok()) {
        std::string mine = FindWithPrefix(children->children, prefix);
        if (mine.empty()) break;  // not created: create again
        std::string full = JoinPath(parent, mine);
        auto stat = c.Exists(full);
        if (stat.ok()) return ProtectedNode{full, stat->czxid};
        if (stat.err() == Err::kNoNode) break;
        if (!client::IsRetryable(stat.err())) return stat.err();
      } else if (children.err() == Err::kNoNode) {
        break;
      } else if (!client::IsRetryable(children.err())) {
        return children.err();
      }
    }
  }
}

void DeleteNode(client::Client& c, const std::string& node) {
  while (!node.empty()) {
    auto r = c.Delete(node);
    if (r.ok() || r.err() == Err::kNoNode || !client::IsRetryable(r.err())) break;
    if (WaitConnectedUntil(c, std::nullopt) != Err::kOk) break;
  }
}

Result<std::vector<Contender>> ListContenders(client::Client& client, const std::string& path) {
  auto children = client.GetChildren(path);
  if (!children.ok()) return children.err();
  std::vector<Contender> out;
  for (const auto& name : SortBySequence(std::move(children->children))) {
    auto stat = client.Exists(JoinPath(path, name));
    if (stat.err() == Err::kNoNode) continue;  // released meanwhile
    if (!stat.ok()) return stat.err();
    out.push_back(Contender{name, SequenceOf(name), stat->czxid, stat->ephemeral_owner});
  }
  return out;
}

LockDriver::LockDriver(client::Client& client, std::string path, LockDriverOptions options)
    : client_(client),
      path_(std::move(path)),
      options_(std::move(options)),
      state_(std::make_shared<State>()) {
  state_->client = &client_;
  state_->lost_after = options_.lost_after_suspended;
  std::weak_ptr<State> weak = state_;
  listener_id_ = client_.AddStateListener([weak](ConnectionState cs) {
    auto st = weak.lock();
    if (!st) return;
    bool start_timer = false, verify = false, remove_lost = false;
    std::string node;
    uint64_t timer = 0;
    {
      std::lock_guard<std::mutex> l(st->mu);
      st->conn = cs;
      node = st->node;
      switch (cs) {
        case ConnectionState::kSuspended:
          start_timer = st->holds > 0 && !st->lost && st->suspend_timer == 0;
          break;
        case ConnectionState::kConnected:
        case ConnectionState::kReconnected:
        case ConnectionState::kReadOnly:
          timer = std::exchange(st->suspend_timer, 0);
          verify = st->holds > 0 && !st->lost;
          remove_lost = st->holds > 0 && st->lost;
          break;
        case ConnectionState::kExpired:
        case ConnectionState::kClosed:
        case ConnectionState::kAuthFailed:
          st->ended = true;
          timer = std::exchange(st->suspend_timer, 0);
          break;
      }
      ++st->wakeups;
      st->cv.notify_all();
    }
    if (timer != 0) Scheduler::Instance().Cancel(timer);
    if (cs == ConnectionState::kExpired) st->ReportLost(LockLostReason::kSessionExpired);
    if (cs == ConnectionState::kClosed || cs == ConnectionState::kAuthFailed) {
      st->ReportLost(LockLostReason::kClosed);
    }
    if (start_timer) {
      auto bound = st->lost_after.count() > 0 ? st->lost_after : st->client->negotiated_timeout();
      uint64_t id = Scheduler::Instance().At(Clock::now() + bound, [weak] {
        auto s = weak.lock();
        if (!s) return;
        bool still_suspended;
        {
          std::lock_guard<std::mutex> l(s->mu);
          still_suspended = s->conn == ConnectionState::kSuspended;
          s->suspend_timer = 0;
        }
        if (still_suspended) s->ReportLost(LockLostReason::kSuspendedTooLong);
      });
      std::lock_guard<std::mutex> l(st->mu);
      st->suspend_timer = id;
    }
    if (verify && !node.empty()) {
      // Back within the bound: the hold stands if the node is still there.
      st->client->ExistsAsync(node, nullptr, [weak, node](Result<client::Stat> r) {
        auto s = weak.lock();
        if (s && r.err() == Err::kNoNode) s->ReportLost(LockLostReason::kNodeDeleted, node);
      });
    }
    if (remove_lost && !node.empty()) {
      // Reported lost while suspended, but the session survived: the node would block the
      // next contender until Release; remove it now.
      st->client->DeleteAsync(node, kAnyVersion, [](Result<void>) {});
    }
  });
}

LockDriver::~LockDriver() {
  client_.RemoveStateListener(listener_id_);
  SetLostListener(nullptr);  // what it captured may already be gone
  Cancel();
  uint64_t timer;
  bool held;
  {
    std::lock_guard<std::mutex> l(state_->mu);
    timer = std::exchange(state_->suspend_timer, 0);
    held = state_->holds > 0;
  }
  if (timer != 0) Scheduler::Instance().Cancel(timer);
  if (held) DeleteContender();
}

void LockDriver::Cancel() {
  std::lock_guard<std::mutex> l(state_->mu);
  state_->cancel = true;
  ++state_->wakeups;
  state_->cv.notify_all();
}

void LockDriver::Shut() {
  std::lock_guard<std::mutex> l(state_->mu);
  state_->shut = true;
  state_->cancel = true;
  ++state_->wakeups;
  state_->cv.notify_all();
}

bool LockDriver::IsHeld() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->holds > 0 && !state_->lost;
}

int64_t LockDriver::FencingToken() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->holds > 0 && !state_->lost ? state_->token : 0;
}

std::string LockDriver::NodePath() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->node;
}

void LockDriver::SetLostListener(std::function<void(LockLostReason)> listener) {
  std::lock_guard<std::mutex> l(state_->mu);
  state_->lost_listener = std::move(listener);
}

Result<void> LockDriver::CreateContender(std::optional<int64_t> granted_sequence) {
  std::string name = options_.node_name;
  CreateMode mode = CreateMode::kEphemeralSequential;
  if (granted_sequence) {
    char digits[16];
    std::snprintf(digits, sizeof digits, "%010lld", static_cast<long long>(*granted_sequence));
    name += digits;
    mode = CreateMode::kEphemeral;
  }
  auto created = CreateProtected(client_, path_, name, options_.acl, mode, options_.node_data);
  if (!created.ok()) return created.err();
  std::lock_guard<std::mutex> l(state_->mu);
  state_->node = created->path;
  state_->token = created->czxid;
  return {};
}

void LockDriver::DeleteContender() {
  std::string node;
  {
    std::lock_guard<std::mutex> l(state_->mu);
    node = state_->node;
  }
  DeleteNode(client_, node);
  std::lock_guard<std::mutex> l(state_->mu);
  if (state_->node == node) state_->node.clear();
}

void LockDriver::Hold(const std::string& node) {
  {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->holds = 1;
    state_->lost = false;
  }
  // Watch our own node: deleted while held means lost.
  std::weak_ptr<State> weak = state_;
  client_.ExistsAsync(
      node,
      [weak, node](const client::WatchEvent& ev) {
        auto s = weak.lock();
        if (s && ev.type == EventType::kNodeDeleted) {
          s->ReportLost(LockLostReason::kNodeDeleted, node);
        }
      },
      [](Result<client::Stat>) {});
}

Result<bool> LockDriver::Acquire(std::optional<Clock::time_point> deadline,
                                 std::optional<int64_t> granted_sequence) {
  State& st = *state_;
  {
    std::lock_guard<std::mutex> l(st.mu);
    if (st.holds > 0 && !st.lost) {
      ++st.holds;
      return true;
    }
    if (st.shut) return false;
    st.cancel = false;
  }
  bool stale_hold;
  {
    std::lock_guard<std::mutex> l(st.mu);
    stale_hold = st.holds > 0;  // lost and never released: start over
    st.holds = 0;
    st.lost = false;
  }
  if (stale_hold) DeleteContender();
  if (Result<void> c = CreateContender(granted_sequence); !c.ok()) return c.err();
  if (granted_sequence) {
    Hold(NodePath());
    return true;
  }

  auto give_up = [&](Err err) -> Result<bool> {
    DeleteContender();
    if (err != Err::kOk) return err;
    return false;
  };
  std::weak_ptr<State> weak = state_;
  while (true) {
    std::string node;
    uint64_t seen;
    bool cancelled;
    {
      std::lock_guard<std::mutex> l(st.mu);
      cancelled = st.cancel;
      node = st.node;
      seen = st.wakeups;
    }
    // give_up takes the lock again (DeleteContender): never call it holding the lock.
    if (cancelled) return give_up(Err::kOk);
    auto children = client_.GetChildren(path_);
    if (!children.ok()) {
      if (client::IsRetryable(children.err())) {
        Err e = WaitConnectedUntil(client_, deadline);
        if (e == Err::kOperationTimeout) return give_up(Err::kOk);
        if (e != Err::kOk) return give_up(e);
        continue;
      }
      return give_up(children.err());
    }
    std::vector<std::string> sorted = SortBySequence(std::move(children->children));
    const std::string mine = node.substr(node.rfind('/') + 1);
    auto it = std::find(sorted.begin(), sorted.end(), mine);
    if (it == sorted.end()) {
      // Our node is gone: the session ended under us (or someone deleted it).
      std::lock_guard<std::mutex> l(st.mu);
      st.node.clear();
      return st.ended ? Err::kSessionExpired : Err::kNoNode;
    }
    LockVerdict verdict = options_.predicate(sorted, static_cast<size_t>(it - sorted.begin()));
    if (verdict.holds) {
      Hold(node);
      return true;
    }
    const std::string watched_path = JoinPath(path_, verdict.watch);
    auto watched = client_.GetData(watched_path, [weak](const client::WatchEvent&) {
      if (auto s = weak.lock()) s->Wake();
    });
    if (watched.err() == Err::kNoNode) continue;  // gone already: look again
    if (!watched.ok() && !client::IsRetryable(watched.err())) return give_up(watched.err());
    std::unique_lock<std::mutex> l(st.mu);
    auto woken = [&] { return st.wakeups != seen || st.cancel; };
    if (deadline) {
      if (!st.cv.wait_until(l, *deadline, woken)) {
        l.unlock();
        return give_up(Err::kOk);  // timed out
      }
    } else {
      st.cv.wait(l, woken);
    }
    if (st.cancel) {
      l.unlock();
      return give_up(Err::kOk);
    }
    if (st.ended) {
      l.unlock();
      return give_up(Err::kSessionExpired);
    }
  }
}

Result<void> LockDriver::Release() {
  {
    std::lock_guard<std::mutex> l(state_->mu);
    if (state_->holds == 0) return Err::kInvalidState;
    if (--state_->holds > 0) return {};
  }
  DeleteContender();
  std::lock_guard<std::mutex> l(state_->mu);
  state_->lost = false;
  state_->token = 0;
  return {};
}

}  // namespace zk::recipes
