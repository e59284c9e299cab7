#include "client/recipes/atomic_long.h"

#include <random>
#include <thread>
#include <utility>

#include "client/recipes/ensure_path.h"
#include "client/recipes/mutex.h"
#include "client/retry.h"

namespace zk::recipes {

using client::Result;

std::string AtomicLong::Encode(int64_t value) {
  std::string out(8, '\0');
  auto u = static_cast<uint64_t>(value);
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return out;
}

std::optional<int64_t> AtomicLong::Decode(const std::string& data) {
  if (data.size() != 8) return std::nullopt;
  uint64_t u = 0;
  for (unsigned char c : data) u = (u << 8) | c;
  return static_cast<int64_t>(u);
}

AtomicLong::AtomicLong(client::Client& client, std::string path, AtomicLongOptions options)
    : client_(client), path_(std::move(path)), options_(std::move(options)) {}

Result<AtomicLong::Current> AtomicLong::Read() {
  while (true) {
    auto r = client_.GetData(path_);
    if (r.ok()) {
      Current c{true, 0, r->stat.version};
      if (!r->data.empty()) {
        auto v = Decode(r->data);
        if (!v) return Err::kMarshallingError;
        c.value = *v;
      }
      return c;
    }
    if (r.err() == Err::kNoNode) return Current{};
    if (!client::IsRetryable(r.err())) return r.err();
    if (Err e = WaitConnectedUntil(client_, std::nullopt); e != Err::kOk) return e;
  }
}

Result<int64_t> AtomicLong::Get() {
  auto c = Read();
  if (!c.ok()) return c.err();
  return c->value;
}

Err AtomicLong::TryWrite(const Current& current, int64_t value) {
  if (current.exists) return client_.SetData(path_, Encode(value), current.version).err();
  auto r = client_.Create(path_, Encode(value), options_.acl, CreateMode::kPersistent);
  if (r.err() == Err::kNoNode) {
    // Missing parents: create them (persistent, as Curator does), then report a lost race so
    // that the caller reads again.
    auto slash = path_.rfind('/');
    if (slash != 0) {
      if (Err e = EnsurePath(client_, path_.substr(0, slash), options_.acl,
                             CreateMode::kPersistent);
          e != Err::kOk) {
        return e;
      }
    }
    return Err::kNodeExists;
  }
  return r.err();
}

template <typename F>
Result<AtomicResult> AtomicLong::Change(F next_value) {
  AtomicResult out;
  thread_local std::minstd_rand rng(std::random_device{}());
  // One attempt: read, decide, write. Returns true when finished (applied or declined).
  auto attempt = [&](int& tries) -> Result<bool> {
    ++tries;
    auto cur = Read();
    if (!cur.ok()) return cur.err();
    out.pre = out.post = cur->value;
    std::optional<int64_t> next = next_value(cur->value);
    if (!next) return true;  // declined (CompareAndSet's expectation failed)
    Err e = TryWrite(*cur, *next);
    if (e == Err::kOk) {
      out.succeeded = true;
      out.post = *next;
      return true;
    }
    if (e == Err::kBadVersion || e == Err::kNodeExists) return false;  // lost a race
    return e;  // kConnectionLoss included: the outcome is unknown, never retried
  };
  auto backoff = [&](int i) {
    const auto base = options_.backoff.count();
    if (base > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(
          base + static_cast<int64_t>(rng() % static_cast<uint64_t>(base * (i + 1)))));
    }
  };
  const int max_tries = std::max(1, options_.max_tries);
  for (int i = 0; i < max_tries; ++i) {
    auto r = attempt(out.optimistic_tries);
    if (!r.ok()) return r.err();
    if (*r) return out;
    backoff(i);
  }
  if (options_.lock_path.empty()) return out;
  MutexOptions mo;
  mo.acl = options_.acl;
  Mutex lock(client_, options_.lock_path, mo);
  auto held = lock.Acquire(options_.lock_timeout);
  if (!held.ok()) return held.err();
  if (!*held) return out;
  // Under the lock every cooperating writer is excluded; only writers still in their
  // optimistic phase can win a race. Try again while the lock is held, up to max_tries.
  Err err = Err::kOk;
  for (int i = 0; i < max_tries && lock.IsHeld(); ++i) {
    auto r = attempt(out.locked_tries);
    if (!r.ok()) {
      err = r.err();
      break;
    }
    if (*r) break;
    backoff(i);
  }
  lock.Release();
  if (err != Err::kOk) return err;
  return out;
}

Result<AtomicResult> AtomicLong::Add(int64_t delta) {
  return Change([delta](int64_t v) -> std::optional<int64_t> {
    return static_cast<int64_t>(static_cast<uint64_t>(v) + static_cast<uint64_t>(delta));
  });
}

Result<AtomicResult> AtomicLong::CompareAndSet(int64_t expected, int64_t value) {
  return Change([expected, value](int64_t v) -> std::optional<int64_t> {
    if (v != expected) return std::nullopt;
    return value;
  });
}

Result<AtomicResult> AtomicLong::TrySet(int64_t value) {
  return Change([value](int64_t) -> std::optional<int64_t> { return value; });
}

Result<bool> AtomicLong::Initialize(int64_t value) {
  auto r = TryWrite(Current{}, value);
  if (r == Err::kOk) return true;
  if (r == Err::kNodeExists) {
    // kNodeExists is also what TryWrite reports after creating missing parents: try once more.
    auto again = client_.Create(path_, Encode(value), options_.acl, CreateMode::kPersistent);
    if (again.ok()) return true;
    if (again.err() == Err::kNodeExists) return false;
    return again.err();
  }
  return r;
}

}  // namespace zk::recipes
