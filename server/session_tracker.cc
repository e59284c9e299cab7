#include <algorithm>
#include "server/session_tracker.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <xxhash.h>

#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

namespace zk::server {
namespace {
// Seed of the former password derivation (DerivedSessionPassword): public, like ZooKeeper's.
constexpr uint64_t kDerivedPasswordSeed = 0xB3415C00ULL;
}  // namespace

SessionPassword NewSessionPassword() {
  SessionPassword p;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(p.data()), static_cast<int>(p.size())) != 1) {
    spdlog::critical("the random generator failed; cannot create a session password");
    std::abort();
  }
  return p;
}

SessionPassword SessionPasswordOf(int64_t session_id, std::string_view stored) {
  if (stored.size() != std::tuple_size_v<SessionPassword>) {
    return DerivedSessionPassword(session_id);
  }
  SessionPassword p;
  std::memcpy(p.data(), stored.data(), p.size());
  return p;
}

SessionPassword DerivedSessionPassword(int64_t session_id) {
  XXH128_hash_t h = XXH3_128bits_withSeed(&session_id, sizeof session_id, kDerivedPasswordSeed);
  SessionPassword out;
  std::memcpy(out.data(), &h.high64, 8);
  std::memcpy(out.data() + 8, &h.low64, 8);
  return out;
}

bool SessionPasswordMatches(const SessionPassword& password, std::string_view given) {
  return given.size() == password.size() &&
         CRYPTO_memcmp(password.data(), given.data(), password.size()) == 0;
}

SessionTracker::SessionTracker(int64_t server_id, int32_t expiry_interval_ms, int64_t now_ms)
    : interval_ms_(expiry_interval_ms > 0 ? expiry_interval_ms : 1) {
  // ZooKeeper: ((elapsed << 24) >>> 8) | (sid << 56).
  uint64_t base = (static_cast<uint64_t>(now_ms) << 24) >> 8;
  next_id_ = static_cast<int64_t>(base | (static_cast<uint64_t>(server_id) << 56));
}

int64_t SessionTracker::NextSessionId() {
  int64_t id = next_id_++;
  while (id == 0 || sessions_.contains(id)) id = next_id_++;
  return id;
}

int64_t SessionTracker::RoundUp(int64_t t) const {
  return (t / interval_ms_ + 1) * interval_ms_;
}

// Every session has one (10,000 idle sessions: bench-scale.sh), so its size is watched.
static_assert(sizeof(SessionInfo) <= 32);

void SessionTracker::Unbucket(int64_t id, const SessionInfo& s) {
  auto it = buckets_.find(s.expires_at_ms);
  if (it == buckets_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) buckets_.erase(it);
}

void SessionTracker::Add(int64_t id, int32_t timeout_ms, const SessionPassword& password,
                         int64_t now_ms) {
  auto [pos, added] = sessions_.try_emplace(id);
  SessionInfo& s = pos->second;
  if (!added) Unbucket(id, s);
  s.timeout_ms = timeout_ms;
  s.password = password;
  s.closing = false;
  s.expires_at_ms = RoundUp(now_ms + timeout_ms);
  buckets_[s.expires_at_ms].insert(id);
}

void SessionTracker::Remove(int64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Unbucket(id, it->second);
  sessions_.erase(it);
}

bool SessionTracker::Touch(int64_t id, int64_t now_ms) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.closing) return false;
  SessionInfo& s = it->second;
  int64_t deadline = RoundUp(now_ms + s.timeout_ms);
  if (deadline <= s.expires_at_ms) return true;
  Unbucket(id, s);
  s.expires_at_ms = deadline;
  buckets_[deadline].insert(id);
  return true;
}

void SessionTracker::SetClosing(int64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Unbucket(id, it->second);
  it->second.closing = true;
}

std::vector<int64_t> SessionTracker::PopExpired(int64_t now_ms) {
  std::vector<int64_t> out;
  while (!buckets_.empty() && buckets_.begin()->first <= now_ms) {
    // Deadline by deadline, each in id order: sessions expire in one order, run after run.
    const size_t from = out.size();
    for (int64_t id : buckets_.begin()->second) out.push_back(id);
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(from), out.end());
    buckets_.erase(buckets_.begin());
  }
  for (int64_t id : out) sessions_[id].closing = true;
  return out;
}

void SessionTracker::RestartExpiry(int64_t now_ms) {
  buckets_.clear();
  for (auto& [id, s] : sessions_) {
    s.closing = false;
    s.expires_at_ms = RoundUp(now_ms + s.timeout_ms);
    buckets_[s.expires_at_ms].insert(id);
  }
}

const SessionInfo* SessionTracker::Find(int64_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

}  // namespace zk::server
