#include "server/prep_overlay.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <string>

namespace zk::server {
namespace {

PrepRecord Tagged(int64_t tag, bool exists = true) {
  PrepRecord r;
  r.exists = exists;
  r.data_len = tag;
  return r;
}

int64_t TagOf(const PrepOverlay& o, const std::string& path) {
  const PrepRecord* r = o.Find(path);
  return r == nullptr ? -1 : r->data_len;
}

TEST_CASE("PrepOverlay: a path's latest change is found until the tree applied it") {
  PrepOverlay o;
  CHECK(o.Find("/a") == nullptr);
  CHECK(o.size() == 0);
  o.Put(1, "/a", Tagged(10));
  o.Put(2, "/b", Tagged(20, false));
  o.Put(3, "/a", Tagged(30));
  CHECK(o.size() == 2);
  CHECK(TagOf(o, "/a") == 30);
  REQUIRE(o.Find("/b") != nullptr);
  CHECK_FALSE(o.Find("/b")->exists);

  // The first change of /a goes; the slot now hashes through the newer one.
  o.DropUpTo(1);
  CHECK(TagOf(o, "/a") == 30);
  CHECK(o.size() == 2);
  o.DropUpTo(2);
  CHECK(o.Find("/b") == nullptr);
  CHECK(TagOf(o, "/a") == 30);
  o.Put(4, "/a", Tagged(40));
  o.DropUpTo(3);
  CHECK(TagOf(o, "/a") == 40);
  o.DropUpTo(4);
  CHECK(o.Find("/a") == nullptr);
  CHECK(o.size() == 0);
}

TEST_CASE("PrepOverlay: changes of one txn go together; Clear drops everything") {
  PrepOverlay o;
  o.Put(7, "/p", Tagged(1));
  o.Put(7, "/p/child-with-a-name-longer-than-sso", Tagged(2));
  o.Put(8, "/q", Tagged(3));
  o.DropUpTo(7);
  CHECK(o.Find("/p") == nullptr);
  CHECK(o.Find("/p/child-with-a-name-longer-than-sso") == nullptr);
  CHECK(TagOf(o, "/q") == 3);
  o.Clear();
  CHECK(o.size() == 0);
  CHECK(o.Find("/q") == nullptr);
  o.Put(9, "/q", Tagged(4));  // usable again
  CHECK(TagOf(o, "/q") == 4);
}

TEST_CASE("PrepOverlay: a ring grown by a burst is given back once it empties") {
  PrepOverlay o;
  for (int i = 0; i < 1000; ++i) o.Put(1 + i / 10, "/small/" + std::to_string(i), Tagged(i));
  const size_t small = o.ring_capacity();
  CHECK(small >= 1000);
  o.DropUpTo(1000);
  CHECK(o.size() == 0);
  CHECK(o.ring_capacity() == small);  // kept: small enough
  for (int i = 0; i < 100000; ++i) o.Put(2000 + i / 100, "/big/" + std::to_string(i), Tagged(i));
  CHECK(o.ring_capacity() >= 100000);
  o.DropUpTo(2000 + 500);  // half applied: still in use
  CHECK(o.ring_capacity() >= 100000);
  CHECK(TagOf(o, "/big/99999") == 99999);
  o.DropUpTo(2000 + 1000);
  CHECK(o.size() == 0);
  CHECK(o.ring_capacity() == 0);
  o.Put(5000, "/again", Tagged(1));
  CHECK(TagOf(o, "/again") == 1);
}

// Against a model (the list of pending changes in order) through growth of the ring, wrap-around
// and re-keying: short and long paths, a hot path changed by most txns (a parent of creates).
TEST_CASE("PrepOverlay: matches a model of the pending changes") {
  std::mt19937_64 rng(20261207);
  std::vector<std::string> paths;
  for (int i = 0; i < 40; ++i) {
    paths.push_back(i % 2 == 0 ? "/n" + std::to_string(i)
                               : "/a/path/long/enough/to/live/on/the/heap/" + std::to_string(i));
  }
  struct Change {
    int64_t zxid;
    std::string path;
    int64_t tag;
  };
  std::deque<Change> model;
  PrepOverlay o;
  int64_t zxid = 0;
  int64_t applied = 0;
  int64_t tag = 0;
  size_t most_pending = 0;
  for (int step = 0; step < 8000; ++step) {
    // Phases of 1,000 steps: writes outpace the tree (the ring grows), then the tree catches up.
    const bool burst = (step / 1000) % 2 == 0;
    const uint64_t r = rng() % 100;
    if (r < (burst ? 90u : 40u) || model.size() < 3) {
      ++zxid;
      const int ops = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < ops; ++k) {
        const std::string& p = rng() % 3 == 0 ? paths[0] : paths[rng() % paths.size()];
        ++tag;
        o.Put(zxid, p, Tagged(tag, tag % 5 != 0));
        model.push_back({zxid, p, tag});
      }
    } else {
      // Up to a bounded burst: the ring grows to a few hundred entries and wraps.
      applied = std::min<int64_t>(zxid, applied + 1 + static_cast<int64_t>(rng() % 4));
      o.DropUpTo(applied);
      while (!model.empty() && model.front().zxid <= applied) model.pop_front();
    }
    most_pending = std::max(most_pending, model.size());
    std::map<std::string, int64_t> latest;
    for (const Change& c : model) latest[c.path] = c.tag;
    REQUIRE(o.size() == latest.size());
    for (const std::string& p : paths) {
      auto it = latest.find(p);
      REQUIRE(TagOf(o, p) == (it == latest.end() ? -1 : it->second));
    }
    std::map<std::string, int64_t> seen;
    o.ForEachLatest([&](std::string_view p, const PrepRecord& rec) {
      seen[std::string(p)] = rec.data_len;
    });
    REQUIRE(seen == latest);
  }
  CHECK(most_pending > 1000);  // the ring grew several times
}

}  // namespace
}  // namespace zk::server
