#include "client/recipes/double_barrier.h"

#include <algorithm>
#include <utility>

#include "client/recipes/contenders.h"
#include "client/recipes/ensure_path.h"
#include "client/retry.h"

namespace zk::recipes {

using client::Result;

namespace {
constexpr const char* kReady = "ready";

std::string NewMemberName() {
  // NewProtectionPrefix() is "_c_<uuid>-": the UUID alone, as Curator names members.
  std::string p = NewProtectionPrefix();
  return p.substr(3, p.size() - 4);
}
}  // namespace

DoubleBarrier::DoubleBarrier(client::Client& client, std::string path, int member_count,
                             std::vector<client::Acl> acl)
    : client_(client),
      path_(std::move(path)),
      member_count_(member_count),
      acl_(std::move(acl)),
      member_(NewMemberName()),
      our_path_(JoinPath(path_, member_)),
      ready_path_(JoinPath(path_, kReady)),
      waiter_(client) {}

Result<bool> DoubleBarrier::Enter() { return EnterUntil(std::nullopt); }
Result<bool> DoubleBarrier::Enter(std::chrono::milliseconds timeout) {
  return EnterUntil(EventWaiter::Clock::now() + timeout);
}
Result<bool> DoubleBarrier::Leave() { return LeaveUntil(std::nullopt); }
Result<bool> DoubleBarrier::Leave(std::chrono::milliseconds timeout) {
  return LeaveUntil(EventWaiter::Clock::now() + timeout);
}

Result<std::vector<std::string>> DoubleBarrier::Members(Deadline deadline) {
  while (true) {
    auto r = client_.GetChildren(path_);
    if (r.ok()) {
      std::vector<std::string> out;
      for (auto& c : r->children) {
        if (c != kReady) out.push_back(std::move(c));
      }
      std::sort(out.begin(), out.end());
      return out;
    }
    if (r.err() == Err::kNoNode) return std::vector<std::string>{};
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = WaitConnectedUntil(client_, deadline); e != Err::kOk) return e;
  }
}

Err DoubleBarrier::DeleteOurs() {
  while (true) {
    auto r = client_.Delete(our_path_);
    if (r.ok() || r.err() == Err::kNoNode) return Err::kOk;
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = WaitConnectedUntil(client_, std::nullopt); e != Err::kOk) return e;
  }
}

Result<bool> DoubleBarrier::EnterUntil(Deadline deadline) {
  waiter_.Reset();
  auto give_up = [&](Err e) -> Result<bool> {
    DeleteOurs();
    if (e == Err::kOperationTimeout || e == Err::kOk) return false;
    return e;
  };
  // Our member node (a retried create that finds it is ours: the name is unique).
  while (true) {
    auto r = client_.Create(our_path_, "", acl_, CreateMode::kEphemeral);
    if (r.ok() || r.err() == Err::kNodeExists) break;
    if (r.err() == Err::kNoNode) {
      Err e = EnsurePath(client_, path_, acl_);
      if (e != Err::kOk && !client::IsRetryable(e)) return e;
      continue;
    }
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = WaitConnectedUntil(client_, deadline); e != Err::kOk) return give_up(e);
  }
  while (true) {
    const uint64_t seen = waiter_.generation();
    auto ready = client_.Exists(ready_path_, waiter_.MakeWatcher());
    if (ready.ok()) return true;
    if (ready.err() != Err::kNoNode) {
      if (!client::IsRetryable(ready.err())) return give_up(ready.err());
      if (Err e = WaitConnectedUntil(client_, deadline); e != Err::kOk) return give_up(e);
      continue;
    }
    auto members = Members(deadline);
    if (!members.ok()) return give_up(members.err());
    if (std::find(members->begin(), members->end(), member_) == members->end()) {
      return give_up(Err::kNoNode);  // our node is gone: the session ended meanwhile
    }
    if (static_cast<int>(members->size()) >= member_count_) {
      auto c = client_.Create(ready_path_, "", acl_, CreateMode::kPersistent);
      if (c.ok() || c.err() == Err::kNodeExists) return true;
      if (!client::IsRetryable(c.err())) return give_up(c.err());
      continue;  // find out whether it was created
    }
    switch (waiter_.Wait(seen, deadline)) {
      case EventWaiter::Outcome::kWoken: break;
      case EventWaiter::Outcome::kCancelled: return give_up(Err::kOk);
      case EventWaiter::Outcome::kTimedOut: return give_up(Err::kOk);
    }
  }
}

Result<bool> DoubleBarrier::LeaveUntil(Deadline deadline) {
  waiter_.Reset();
  bool ours_should_exist = true;
  while (true) {
    auto members = Members(deadline);
    if (!members.ok()) {
      if (members.err() == Err::kOperationTimeout) return false;
      return members.err();
    }
    if (members->empty()) break;
    auto it = std::find(members->begin(), members->end(), member_);
    if (it == members->end() && ours_should_exist) return Err::kNoNode;  // not entered
    if (members->size() == 1) {
      if (ours_should_exist && members->front() != member_) return Err::kInvalidState;
      if (ours_should_exist) {
        if (Err e = DeleteOurs(); e != Err::kOk) return e;
      }
      break;
    }
    // The lowest member waits for the highest; everyone else leaves and waits for the lowest.
    std::string watched;
    if (it == members->begin()) {
      watched = members->back();
    } else {
      watched = members->front();
      if (ours_should_exist) {
        if (Err e = DeleteOurs(); e != Err::kOk) return e;
        ours_should_exist = false;
      }
    }
    auto gone = WaitWhileExists(client_, waiter_, JoinPath(path_, watched), deadline);
    if (!gone.ok()) return gone.err();
    if (!*gone) return false;  // timed out or cancelled
  }
  auto d = client_.Delete(ready_path_);
  if (!d.ok() && d.err() != Err::kNoNode && !client::IsRetryable(d.err())) return d.err();
  return true;
}

}  // namespace zk::recipes
