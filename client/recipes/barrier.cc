#include "client/recipes/barrier.h"

#include <utility>

#include "client/recipes/ensure_path.h"
#include "client/retry.h"

namespace zk::recipes {

using client::Result;

Barrier::Barrier(client::Client& client, std::string path, std::vector<client::Acl> acl)
    : client_(client), path_(std::move(path)), acl_(std::move(acl)), waiter_(client) {}

Result<void> Barrier::Set() {
  while (true) {
    auto r = client_.Create(path_, "", acl_, CreateMode::kPersistent);
    if (r.ok() || r.err() == Err::kNodeExists) return {};
    if (r.err() == Err::kNoNode) {
      Err e = EnsurePath(client_, path_.substr(0, path_.rfind('/')), acl_);
      if (e != Err::kOk && !client::IsRetryable(e)) return e;
      continue;
    }
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = WaitConnectedUntil(client_, std::nullopt); e != Err::kOk) return e;
  }
}

Result<void> Barrier::Remove() {
  while (true) {
    auto r = client_.Delete(path_);
    if (r.ok() || r.err() == Err::kNoNode) return {};
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = WaitConnectedUntil(client_, std::nullopt); e != Err::kOk) return e;
  }
}

Result<bool> Barrier::Wait() { return WaitUntil(std::nullopt); }

Result<bool> Barrier::Wait(std::chrono::milliseconds timeout) {
  return WaitUntil(EventWaiter::Clock::now() + timeout);
}

Result<bool> Barrier::WaitUntil(std::optional<EventWaiter::Clock::time_point> deadline) {
  waiter_.Reset();
  return WaitWhileExists(client_, waiter_, path_, deadline);
}

}  // namespace zk::recipes
