#include "client/recipes/mutex.h"

#include <utility>

#include "client/recipes/lock_driver.h"

namespace zk::recipes {

using client::Result;
using Clock = std::chrono::steady_clock;

const char* LockLostReasonName(LockLostReason reason) {
  switch (reason) {
    case LockLostReason::kSuspendedTooLong: return "suspended too long";
    case LockLostReason::kSessionExpired: return "session expired";
    case LockLostReason::kNodeDeleted: return "node deleted";
    case LockLostReason::kClosed: return "client closed";
  }
  return "?";
}

namespace {

LockDriverOptions DriverOptions(MutexOptions options) {
  LockDriverOptions o;
  o.lost_after_suspended = options.lost_after_suspended;
  o.acl = std::move(options.acl);
  o.node_name = std::move(options.lock_name);
  o.node_data = std::move(options.node_data);
  o.predicate = FirstInLine;
  return o;
}

}  // namespace

Mutex::Mutex(client::Client& client, std::string path, MutexOptions options)
    : path_(std::move(path)),
      driver_(std::make_unique<LockDriver>(client, path_, DriverOptions(std::move(options)))) {}

Mutex::~Mutex() = default;

Result<bool> Mutex::Acquire() { return driver_->Acquire(std::nullopt); }

Result<bool> Mutex::Acquire(std::chrono::milliseconds timeout) {
  return driver_->Acquire(Clock::now() + timeout);
}

Result<void> Mutex::Release() { return driver_->Release(); }
void Mutex::Cancel() { driver_->Cancel(); }
void Mutex::Shut() { driver_->Shut(); }
bool Mutex::IsHeld() const { return driver_->IsHeld(); }
int64_t Mutex::FencingToken() const { return driver_->FencingToken(); }
std::string Mutex::NodePath() const { return driver_->NodePath(); }

void Mutex::SetLostListener(std::function<void(LockLostReason)> listener) {
  driver_->SetLostListener(std::move(listener));
}

Result<std::vector<Contender>> Mutex::Contenders(client::Client& client,
                                                 const std::string& path) {
  return ListContenders(client, path);
}

}  // namespace zk::recipes
