#include "client/recipes/read_write_lock.h"

#include <limits>
#include <utility>

#include "client/recipes/contenders.h"
#include "client/recipes/lock_driver.h"

namespace zk::recipes {

using client::Result;
using Clock = std::chrono::steady_clock;

namespace {

// Curator's ReadLock predicate: a reader holds when no writer is queued before it, and
// otherwise waits on the first writer of the queue.
LockVerdict ReaderPredicate(const std::vector<std::string>& sorted, size_t mine) {
  size_t first_writer = std::numeric_limits<size_t>::max();
  for (size_t i = 0; i < mine; ++i) {
    if (ReadWriteLock::IsWriter(sorted[i])) {
      first_writer = i;
      break;
    }
  }
  if (first_writer == std::numeric_limits<size_t>::max()) return {true, {}};
  return {false, sorted[first_writer]};
}

}  // namespace

bool ReadWriteLock::IsWriter(std::string_view node_name) {
  return node_name.find(kWriteName) != std::string_view::npos;
}

ReadWriteLock::Lock::Lock(ReadWriteLock& owner, bool write) : owner_(owner), write_(write) {}

ReadWriteLock::Lock::~Lock() = default;

ReadWriteLock::ReadWriteLock(client::Client& client, std::string path, ReadWriteLockOptions options)
    : path_(std::move(path)) {
  auto make = [&](bool write) {
    LockDriverOptions o;
    o.lost_after_suspended = options.lost_after_suspended;
    o.acl = options.acl;
    o.node_name = std::string(write ? kWriteName : kReadName);
    o.predicate = write ? LockPredicate(FirstInLine) : LockPredicate(ReaderPredicate);
    std::unique_ptr<Lock> side(new Lock(*this, write));
    side->driver_ = std::make_unique<LockDriver>(client, path_, std::move(o));
    return side;
  };
  write_ = make(true);
  read_ = make(false);
}

ReadWriteLock::~ReadWriteLock() = default;

Result<bool> ReadWriteLock::Lock::AcquireUntil(std::optional<Clock::time_point> deadline) {
  LockDriver& write = *owner_.write_->driver_;
  LockDriver& read = *owner_.read_->driver_;
  if (write_) {
    // An upgrade would queue behind our own reader and never be granted.
    if (read.IsHeld() && !write.IsHeld()) return Err::kInvalidState;
    return write.Acquire(deadline);
  }
  if (!read.IsHeld() && write.IsHeld()) {
    // A downgrade: granted at once, numbered like the write node (see the header).
    const std::string node = write.NodePath();
    const int64_t sequence = SequenceOf(node.substr(node.rfind('/') + 1));
    if (sequence >= 0 && write.IsHeld()) return read.Acquire(deadline, sequence);
  }
  return read.Acquire(deadline);
}

Result<bool> ReadWriteLock::Lock::Acquire() { return AcquireUntil(std::nullopt); }

Result<bool> ReadWriteLock::Lock::Acquire(std::chrono::milliseconds timeout) {
  return AcquireUntil(Clock::now() + timeout);
}

Result<void> ReadWriteLock::Lock::Release() { return driver_->Release(); }
void ReadWriteLock::Lock::Cancel() { driver_->Cancel(); }
bool ReadWriteLock::Lock::IsHeld() const { return driver_->IsHeld(); }
int64_t ReadWriteLock::Lock::FencingToken() const { return driver_->FencingToken(); }
std::string ReadWriteLock::Lock::NodePath() const { return driver_->NodePath(); }

void ReadWriteLock::Lock::SetLostListener(std::function<void(LockLostReason)> listener) {
  driver_->SetLostListener(std::move(listener));
}

Result<std::vector<Contender>> ReadWriteLock::Contenders(client::Client& client,
                                                         const std::string& path) {
  return ListContenders(client, path);
}

}  // namespace zk::recipes
