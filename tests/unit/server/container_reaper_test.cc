// ContainerReaper: ZooKeeper's ContainerManager schedule (first check one interval after
// becoming leader, then every interval), its candidate rules, maxPerMinute pacing, and
// forgetting deletes that were not applied.
#include "server/container_reaper.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "server_test_util.h"

namespace zk::server {
namespace {

using testutil::TreeHarness;

constexpr int64_t kContainer = ephemeral_owner::kContainer;

// Wall time of the harness' txns is ~1000 ms + 10 ms per txn.
constexpr int64_t kWall = 5000;

ContainerReaperLimits Limits(int64_t interval = 1000, int64_t per_minute = 10000,
                             int64_t never_used = 0) {
  return ContainerReaperLimits{interval, per_minute, never_used};
}

// Ticks every 10 ms from `from` until nothing is queued; every path handed out, sorted.
std::vector<std::string> TakeAll(ContainerReaper& r, const TreeHarness& h, int64_t from) {
  std::vector<std::string> got;
  for (int64_t now = from; now < from + 10000; now += 10) {
    for (auto& p : r.Tick(now, kWall, h.tree)) got.push_back(std::move(p));
    if (r.queued() == 0) break;
  }
  std::sort(got.begin(), got.end());
  return got;
}

// A container that had a child and is empty again: a candidate.
void EmptiedContainer(TreeHarness& h, const std::string& path) {
  REQUIRE(h.Create(path, "", kContainer).err == Err::kOk);
  REQUIRE(h.Create(path + "/child").err == Err::kOk);
  REQUIRE(h.Delete(path + "/child").err == Err::kOk);
}

TEST_CASE("the first check comes one interval after becoming leader, then every interval") {
  TreeHarness h;
  EmptiedContainer(h, "/c");
  ContainerReaper r(Limits(1000));
  CHECK(r.Tick(0, kWall, h.tree).empty());  // not started: nothing
  r.Start(100);
  CHECK(r.Tick(100, kWall, h.tree).empty());
  CHECK(r.Tick(1099, kWall, h.tree).empty());
  CHECK(r.Tick(1100, kWall, h.tree) == std::vector<std::string>{"/c"});
  r.Submitted("/c", 42);
  // In flight: not handed out again, even at the next check.
  CHECK(r.Tick(2100, kWall, h.tree).empty());
  // The delete was refused (say the container gained a child): forgotten once its zxid passed,
  // so the next check looks again.
  r.Applied(42);
  CHECK(r.in_flight() == 0);
  CHECK(r.Tick(2500, kWall, h.tree).empty());
  CHECK(r.Tick(3100, kWall, h.tree) == std::vector<std::string>{"/c"});
}

TEST_CASE("candidates: emptied containers, old never-used ones, expired TTL nodes") {
  TreeHarness h;
  EmptiedContainer(h, "/emptied");
  REQUIRE(h.Create("/never-used", "", kContainer).err == Err::kOk);
  REQUIRE(h.Create("/busy", "", kContainer).err == Err::kOk);
  REQUIRE(h.Create("/busy/child").err == Err::kOk);
  REQUIRE(h.Create("/ttl-expired", "", ephemeral_owner::kTtlMask | 100).err == Err::kOk);
  REQUIRE(h.Create("/ttl-live", "", ephemeral_owner::kTtlMask | 1000000).err == Err::kOk);
  REQUIRE(h.Create("/ttl-parent", "", ephemeral_owner::kTtlMask | 100).err == Err::kOk);
  REQUIRE(h.Create("/ttl-parent/child").err == Err::kOk);
  REQUIRE(h.Create("/plain").err == Err::kOk);

  SUBCASE("never-used containers stay without maxNeverUsedIntervalMs") {
    ContainerReaper r(Limits(1000));
    r.Start(0);
    CHECK(TakeAll(r, h, 1000) == std::vector<std::string>{"/emptied", "/ttl-expired"});
  }
  SUBCASE("never-used containers go once older than maxNeverUsedIntervalMs") {
    ContainerReaper r(Limits(1000, 10000, 2000));
    r.Start(0);
    // Created at ~1000 ms wall time: 4 s old at kWall.
    CHECK(TakeAll(r, h, 1000) ==
          std::vector<std::string>{"/emptied", "/never-used", "/ttl-expired"});
    ContainerReaper young(Limits(1000, 10000, 10000));
    young.Start(0);
    CHECK(TakeAll(young, h, 1000) == std::vector<std::string>{"/emptied", "/ttl-expired"});
  }
}

TEST_CASE("maxPerMinute spreads deletes evenly, the first at once") {
  TreeHarness h;
  for (int i = 0; i < 10; ++i) EmptiedContainer(h, "/c" + std::to_string(i));
  ContainerReaper r(Limits(60000, 600));  // one delete per 100 ms
  r.Start(0);
  int64_t zxid = 1000;
  auto take = [&](int64_t now) {
    auto got = r.Tick(now, kWall, h.tree);
    for (const auto& p : got) r.Submitted(p, ++zxid);
    return got.size();
  };
  CHECK(take(60000) == 1);
  CHECK(take(60050) == 0);
  CHECK(take(60100) == 1);
  CHECK(take(60300) == 2);
  CHECK(r.queued() == 6);
  // A long pause does not turn into a burst beyond 100 ms worth (plus the one in hand).
  CHECK(take(70000) == 2);
  CHECK(take(70100) == 1);
  CHECK(take(70400) == 2);
  CHECK(r.queued() == 1);
}

TEST_CASE("a candidate that changed before its turn is skipped") {
  TreeHarness h;
  EmptiedContainer(h, "/a");
  EmptiedContainer(h, "/b");
  ContainerReaper r(Limits(1000, 60));  // one per second
  r.Start(0);
  auto first = r.Tick(1000, kWall, h.tree);
  REQUIRE(first.size() == 1);
  r.Submitted(first[0], 5);
  const std::string other = first[0] == "/a" ? "/b" : "/a";
  REQUIRE(h.Create(other + "/new").err == Err::kOk);  // no longer empty
  CHECK(r.Tick(1500, kWall, h.tree).empty());
  CHECK(r.Tick(2000, kWall, h.tree).empty());  // rescanned: still not a candidate
  CHECK(r.queued() == 0);
}

TEST_CASE("Stop forgets everything; Start begins a new schedule") {
  TreeHarness h;
  EmptiedContainer(h, "/c");
  ContainerReaper r(Limits(1000));
  r.Start(0);
  REQUIRE(r.Tick(1000, kWall, h.tree).size() == 1);
  r.Submitted("/c", 7);
  r.Stop();
  CHECK_FALSE(r.running());
  CHECK(r.in_flight() == 0);
  CHECK(r.Tick(5000, kWall, h.tree).empty());
  r.Start(5000);
  CHECK(r.Tick(5999, kWall, h.tree).empty());
  CHECK(r.Tick(6000, kWall, h.tree) == std::vector<std::string>{"/c"});
}

}  // namespace
}  // namespace zk::server
