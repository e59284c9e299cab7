#include "server/session_tracker.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace zk::server {
namespace {

uint64_t TopByte(int64_t id) { return static_cast<uint64_t>(id) >> 56; }

TEST_CASE("Session ids carry the server id in the top byte and are unique") {
  for (int64_t sid : {1, 5, 200, 254}) {
    for (int64_t now : {int64_t{0}, int64_t{123456}, int64_t{1718000000000}}) {
      CAPTURE(sid);
      CAPTURE(now);
      SessionTracker t(sid, 2000, now);
      std::set<int64_t> ids;
      for (int i = 0; i < 1000; ++i) {
        int64_t id = t.NextSessionId();
        CHECK(id != 0);
        CHECK(TopByte(id) == static_cast<uint64_t>(sid));
        ids.insert(id);
      }
      CHECK(ids.size() == 1000);
    }
  }
  // The counter is time-derived: trackers started at different times hand out different ids.
  SessionTracker a(1, 2000, 1000), b(1, 2000, 2000);
  CHECK(a.NextSessionId() != b.NextSessionId());
}

TEST_CASE("NextSessionId skips ids that are in use") {
  SessionTracker probe(3, 2000, 777);
  int64_t first = probe.NextSessionId();
  SessionTracker t(3, 2000, 777);
  t.Add(first, 5000, SessionPassword{}, 0);
  t.Add(first + 1, 5000, SessionPassword{}, 0);
  int64_t id = t.NextSessionId();
  CHECK(id != first);
  CHECK(id != first + 1);
  CHECK(TopByte(id) == 3);
}

TEST_CASE("New session passwords are random, 16 bytes, and never the derived one") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    SessionPassword p = NewSessionPassword();
    seen.insert(std::string(p.data(), p.size()));
    CHECK(p != DerivedSessionPassword(0x0100000000000000LL + i));
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("A session's stored password is used as is; a record without one gets the derived") {
  const int64_t id = 0x0100000000000042LL;
  const std::string stored = "0123456789abcdef";
  SessionPassword p = SessionPasswordOf(id, stored);
  CHECK(std::string(p.data(), p.size()) == stored);
  CHECK(SessionPasswordOf(id, "") == DerivedSessionPassword(id));
  CHECK(DerivedSessionPassword(id) == DerivedSessionPassword(id));
  CHECK(DerivedSessionPassword(id) != DerivedSessionPassword(id + 1));
}

TEST_CASE("A password matches only the same 16 bytes") {
  const SessionPassword p = NewSessionPassword();
  const std::string same(p.data(), p.size());
  CHECK(SessionPasswordMatches(p, same));
  std::string flipped = same;
  flipped[15] = static_cast<char>(flipped[15] ^ 1);
  CHECK_FALSE(SessionPasswordMatches(p, flipped));
  CHECK_FALSE(SessionPasswordMatches(p, same.substr(0, 15)));
  CHECK_FALSE(SessionPasswordMatches(p, same + "x"));
  CHECK_FALSE(SessionPasswordMatches(p, ""));
}

TEST_CASE("The tracker keeps each session's password") {
  SessionTracker t(1, 2000, 0);
  const SessionPassword p = NewSessionPassword();
  t.Add(7, 4000, p, 0);
  REQUIRE(t.Find(7) != nullptr);
  CHECK(t.Find(7)->password == p);
}

TEST_CASE("An untouched session expires once its deadline bucket passes, exactly once") {
  const int32_t kInterval = 1000;
  SessionTracker t(1, kInterval, 0);
  const int64_t id = 0x0100000000000001LL;
  const int64_t now = 10500;
  t.Add(id, 3000, SessionPassword{}, now);
  CHECK(t.size() == 1);
  const SessionInfo* s = t.Find(id);
  REQUIRE(s != nullptr);
  CHECK(s->timeout_ms == 3000);
  CHECK_FALSE(s->closing);
  // The deadline is a bucket boundary no earlier than now + timeout and less than one interval
  // after it.
  CHECK(s->expires_at_ms % kInterval == 0);
  CHECK(s->expires_at_ms >= now + 3000);
  CHECK(s->expires_at_ms <= now + 3000 + kInterval);
  const int64_t deadline = s->expires_at_ms;

  CHECK(t.PopExpired(now).empty());
  CHECK(t.PopExpired(now + 3000 - 1).empty());
  CHECK(t.PopExpired(deadline - 1).empty());
  CHECK(t.PopExpired(deadline) == std::vector<int64_t>{id});
  CHECK(t.PopExpired(deadline + 1).empty());
  CHECK(t.PopExpired(deadline + 100000).empty());
  REQUIRE(t.Find(id) != nullptr);
  CHECK(t.Find(id)->closing);          // still known until its close txn commits
  CHECK_FALSE(t.Touch(id, deadline));  // closing sessions cannot be revived
  t.Remove(id);
  CHECK(t.Find(id) == nullptr);
  CHECK(t.size() == 0);
}

TEST_CASE("Touching a session moves its deadline later") {
  SessionTracker t(1, 1000, 0);
  const int64_t id = 7;
  t.Add(id, 3000, SessionPassword{}, 0);
  const int64_t first = t.Find(id)->expires_at_ms;
  CHECK(t.Touch(id, 2500));
  const int64_t moved = t.Find(id)->expires_at_ms;
  CHECK(moved > first);
  CHECK(moved >= 2500 + 3000);
  CHECK(moved % 1000 == 0);
  CHECK(t.PopExpired(first).empty());
  CHECK(t.PopExpired(moved - 1).empty());
  // A touch with an older clock never moves the deadline backwards.
  CHECK(t.Touch(id, 100));
  CHECK(t.Find(id)->expires_at_ms == moved);
  CHECK(t.PopExpired(moved) == std::vector<int64_t>{id});
}

TEST_CASE("Keep-alive: a session touched every interval never expires") {
  SessionTracker t(2, 500, 0);
  t.Add(11, 2000, SessionPassword{}, 0);
  for (int64_t now = 0; now < 100000; now += 400) {
    CHECK(t.Touch(11, now));
    CHECK(t.PopExpired(now).empty());
  }
  CHECK(t.PopExpired(100000 + 2000 + 500) == std::vector<int64_t>{11});
}

TEST_CASE("PopExpired returns only the sessions that are due") {
  SessionTracker t(1, 1000, 0);
  t.Add(1, 2000, SessionPassword{}, 0);
  t.Add(2, 2000, SessionPassword{}, 0);
  t.Add(3, 10000, SessionPassword{}, 0);
  t.Add(4, 4000, SessionPassword{}, 0);
  std::vector<int64_t> due = t.PopExpired(5000);
  std::sort(due.begin(), due.end());
  CHECK(due == std::vector<int64_t>{1, 2, 4});
  CHECK_FALSE(t.Find(3)->closing);
  CHECK(t.Touch(3, 5000));
  CHECK(t.PopExpired(12000).empty());
  CHECK(t.PopExpired(16000) == std::vector<int64_t>{3});
}

TEST_CASE("SetClosing stops expiry; Remove forgets; unknown ids") {
  SessionTracker t(1, 1000, 0);
  t.Add(1, 2000, SessionPassword{}, 0);
  t.Add(2, 2000, SessionPassword{}, 0);
  t.SetClosing(1);
  REQUIRE(t.Find(1) != nullptr);
  CHECK(t.Find(1)->closing);
  CHECK_FALSE(t.Touch(1, 100));
  t.Remove(2);
  CHECK(t.Find(2) == nullptr);
  CHECK_FALSE(t.Touch(2, 100));
  CHECK(t.PopExpired(1000000).empty());
  CHECK(t.size() == 1);
  CHECK(t.sessions().contains(1));
  CHECK_FALSE(t.Touch(999, 0));
  t.SetClosing(999);  // no-op
  t.Remove(999);      // no-op
  CHECK(t.Find(999) == nullptr);
  CHECK(t.size() == 1);
}

TEST_CASE("Adding a session again replaces its timeout and deadline") {
  SessionTracker t(1, 1000, 0);
  t.Add(5, 1000, SessionPassword{}, 0);
  t.Add(5, 10000, SessionPassword{}, 0);
  CHECK(t.size() == 1);
  CHECK(t.Find(5)->timeout_ms == 10000);
  CHECK(t.PopExpired(5000).empty());
  CHECK(t.PopExpired(11000) == std::vector<int64_t>{5});
}

TEST_CASE("RestartExpiry: a session marked closing in an earlier term expires again") {
  SessionTracker t(1, 1000, 0);
  t.Add(10, 4000, SessionPassword{}, 0);  // its expiry (or close) will be proposed and lost
  t.Add(11, 4000, SessionPassword{}, 0);  // its close request came through a follower, then lost
  t.Add(12, 8000, SessionPassword{}, 0);  // alive
  std::vector<int64_t> first = t.PopExpired(5000);
  std::sort(first.begin(), first.end());  // a bucket is a hash set: no order
  CHECK(first == std::vector<int64_t>{10, 11});
  t.SetClosing(11);
  CHECK(t.PopExpired(100000).size() == 1);  // 12; 10 and 11 are closing and never due again
  // This server leads again (the close txns were truncated): every session is due again, a
  // full timeout after the new term begins.
  t.RestartExpiry(200000);
  CHECK_FALSE(t.Find(10)->closing);
  CHECK(t.Touch(11, 200000));
  CHECK(t.PopExpired(203999).empty());
  std::vector<int64_t> due = t.PopExpired(205000);
  std::sort(due.begin(), due.end());
  CHECK(due == std::vector<int64_t>{10, 11});
  CHECK(t.PopExpired(209000) == std::vector<int64_t>{12});
}

}  // namespace
}  // namespace zk::server
