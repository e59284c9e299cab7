// Mutex, MutexLock and CondVar: thin wrappers over std::mutex / std::condition_variable that carry
// clang thread-safety annotations (libstdc++'s std::mutex carries none). Not recursive.
//
// Thread-safety: these are the synchronization primitives. Ownership: a CondVar borrows its Mutex,
// which must outlive it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "zab/thread_annotations.h"

namespace zk::zab {

class ZK_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ZK_ACQUIRE() { mu_.lock(); }
  void Unlock() ZK_RELEASE() { mu_.unlock(); }
  void AssertHeld() ZK_ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds *mu for its lifetime.
class ZK_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ZK_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ZK_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

class CondVar {
 public:
  explicit CondVar(Mutex* mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // REQUIRES: the mutex is held. Releases it while waiting; may wake spuriously.
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // REQUIRES: the mutex is held. As Wait, but returns false once `deadline` has passed.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    const bool woken = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return woken;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
  Mutex* const mu_;
};

}  // namespace zk::zab
