#include "server/fifo.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

namespace zk::server {
namespace {

std::vector<int> Contents(const Fifo<int>& q) { return {q.begin(), q.end()}; }

TEST_CASE("Fifo keeps arrival order across interleaved pushes and pops") {
  Fifo<int> q;
  CHECK(q.empty());
  int next_in = 0, next_out = 0;
  // Long enough to pass the compaction point many times, never draining fully.
  for (int round = 0; round < 500; ++round) {
    for (int i = 0; i < 3; ++i) q.push_back(next_in++);
    for (int i = 0; i < 2; ++i) {
      REQUIRE(!q.empty());
      CHECK(q.front() == next_out++);
      q.pop_front();
    }
    CHECK(q.size() == static_cast<size_t>(next_in - next_out));
  }
  std::vector<int> rest = Contents(q);
  REQUIRE(rest.size() == 500);
  for (size_t i = 0; i < rest.size(); ++i) CHECK(rest[i] == next_out + static_cast<int>(i));
  while (!q.empty()) {
    CHECK(q.front() == next_out++);
    q.pop_front();
  }
  CHECK(q.size() == 0);
  q.push_back(7);  // usable again after draining
  CHECK(Contents(q) == std::vector<int>{7});
}

TEST_CASE("Fifo releases a popped element at once") {
  Fifo<std::shared_ptr<int>> q;
  auto a = std::make_shared<int>(1);
  auto b = std::make_shared<int>(2);
  q.push_back(a);
  q.push_back(b);
  CHECK(a.use_count() == 2);
  q.pop_front();
  CHECK(a.use_count() == 1);  // not kept as a moved-from slot
  CHECK(*q.front() == 2);
  q.pop_front();
  CHECK(b.use_count() == 1);
  CHECK(q.empty());
}

TEST_CASE("Fifo gives an empty queue's storage back on request, and only then") {
  Fifo<std::string> q;
  for (int i = 0; i < 5; ++i) q.push_back(std::string(40, 'a' + i));
  q.ReleaseIfEmpty();  // not empty: nothing happens
  CHECK(q.size() == 5);
  CHECK(q.front() == std::string(40, 'a'));
  while (!q.empty()) q.pop_front();
  CHECK(q.capacity() > 0);  // a drained small queue keeps its vector...
  q.ReleaseIfEmpty();
  CHECK(q.capacity() == 0);  // ...until it is given back
  q.push_back("again");
  CHECK(q.front() == "again");
  CHECK(q.size() == 1);
}

}  // namespace
}  // namespace zk::server
