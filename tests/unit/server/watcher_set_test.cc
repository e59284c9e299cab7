#include "server/watcher_set.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

namespace zk::server {
namespace {

// Drives a WatcherSet and a std::set with the same random adds and removes, across the switch
// from the sorted vector to the hash set, then empties both.
void CheckAgainstModel(uint32_t seed, WatcherId universe, int steps) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<WatcherId> pick(1, universe);
  WatcherSet set;
  std::set<WatcherId> model;
  for (int i = 0; i < steps; ++i) {
    const WatcherId w = pick(rng);
    if (rng() % 3 != 0) {
      CHECK(set.insert(w) == model.insert(w).second);
    } else {
      CHECK(set.erase(w) == (model.erase(w) > 0));
    }
    CHECK(set.size() == model.size());
    CHECK(set.contains(w) == (model.count(w) > 0));
  }
  CHECK(set.Sorted() == std::vector<WatcherId>(model.begin(), model.end()));
  for (WatcherId w : std::vector<WatcherId>(model.begin(), model.end())) CHECK(set.erase(w));
  CHECK(set.empty());
  CHECK_FALSE(set.erase(1));
}

TEST_CASE("watcher set: few watchers, kept sorted") {
  WatcherSet set;
  CHECK(set.empty());
  CHECK(set.insert(30));
  CHECK(set.insert(10));
  CHECK(set.insert(20));
  CHECK_FALSE(set.insert(10));  // a watcher watches a path once
  CHECK(set.size() == 3);
  CHECK(set.Sorted() == std::vector<WatcherId>{10, 20, 30});
  CHECK(set.contains(20));
  CHECK_FALSE(set.contains(25));
  CHECK(set.erase(20));
  CHECK_FALSE(set.erase(20));
  CHECK(set.Sorted() == std::vector<WatcherId>{10, 30});
}

TEST_CASE("watcher set: grows past the sorted limit into a hash set") {
  WatcherSet set;
  const WatcherId n = WatcherSet::kMaxSorted * 4;
  for (WatcherId w = n; w >= 1; --w) CHECK(set.insert(w));
  CHECK(set.size() == n);
  for (WatcherId w = 1; w <= n; ++w) CHECK_FALSE(set.insert(w));
  std::vector<WatcherId> all = set.Sorted();
  REQUIRE(all.size() == n);
  for (WatcherId w = 1; w <= n; ++w) CHECK(all[w - 1] == w);
  for (WatcherId w = 1; w <= n; w += 2) CHECK(set.erase(w));
  CHECK(set.size() == n / 2);
  CHECK_FALSE(set.contains(1));
  CHECK(set.contains(2));
}

TEST_CASE("watcher set: random adds and removes agree with std::set") {
  CheckAgainstModel(1, 20, 2000);                           // always small
  CheckAgainstModel(2, WatcherSet::kMaxSorted * 3, 20000);  // crosses the limit
  CheckAgainstModel(3, WatcherSet::kMaxSorted + 1, 5000);   // hovers at the limit
}

}  // namespace
}  // namespace zk::server
