// zk::recipes::Semaphore against the server under test: Curator's InterProcessSemaphoreV2 layout;
// never more than N leases held under contention from several clients; several leases at once;
// TryAcquire, timeout and Cancel leave no lease node behind; a waiter waits on a children watch
// of leases/; leases are returned by RAII and end with the session.
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <regex>
#include <thread>

#include "client/recipes/contenders.h"
#include "client/recipes/semaphore.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;
using recipes::Lease;
using recipes::Semaphore;

size_t LeaseCount(Client& c, const std::string& path) {
  auto r = Semaphore::LeaseNodes(c, path);
  return r.ok() ? r->size() : 0;
}

TEST_CASE("semaphore: never more than N leases at once under contention from several clients") {
  const std::string path = UniquePath("sem-contention") + "/sem";
  constexpr int kMax = 2, kClients = 5, kRounds = 4;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(Connect(Server().hosts()));
  auto observer = Connect(Server().hosts());
  std::atomic<int> holders{0}, max_holders{0}, rounds{0}, failures{0};
  std::atomic<size_t> max_nodes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      Semaphore sem(*clients[i], path, kMax);
      for (int k = 0; k < kRounds; ++k) {
        auto r = sem.Acquire(1, 30s);
        if (!r.ok() || r->size() != 1) {
          ++failures;
          return;
        }
        int now = ++holders;
        int seen = max_holders.load();
        while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
        }
        // Lease nodes: the N held at most, plus the node of the one acquirer (the internal
        // mutex's holder) that may be waiting for the count to allow it.
        size_t nodes = LeaseCount(*clients[i], path);
        size_t seen_nodes = max_nodes.load();
        while (nodes > seen_nodes && !max_nodes.compare_exchange_weak(seen_nodes, nodes)) {
        }
        std::this_thread::sleep_for(10ms);
        --holders;
        (*r)[0].Close();
        ++rounds;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  CHECK(rounds.load() == kClients * kRounds);
  CHECK(max_holders.load() <= kMax);
  CHECK(max_holders.load() >= 1);
  CHECK(max_nodes.load() <= static_cast<size_t>(kMax) + 1);
  CHECK(LeaseCount(*observer, path) == 0);
}

TEST_CASE("semaphore: Curator's layout; N holders at once; several leases; try, timeout, cancel") {
  const std::string path = UniquePath("sem-multi") + "/sem";
  auto a = Connect(Server().hosts());
  auto b = Connect(Server().hosts());
  Semaphore sa(*a, path, 3), sb(*b, path, 3);
  CHECK(sa.Acquire(0).err() == Err::kBadArguments);
  CHECK(sa.Acquire(4).err() == Err::kBadArguments);
  auto two = sa.Acquire(2, 5s);
  REQUIRE(two.ok());
  REQUIRE(two->size() == 2);
  const std::regex lease_name(
      "_c_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
      "[0-9a-f]{12}-lease-[0-9]{10}");
  for (const Lease& l : *two) {
    CHECK(l.valid());
    CHECK(l.NodePath().starts_with(path + "/leases/"));
    CHECK(std::regex_match(l.NodePath().substr(l.NodePath().rfind('/') + 1), lease_name));
  }
  // The acquirers' mutex lives at <path>/locks and is empty between acquisitions.
  auto locks = a->GetChildren(path + "/locks");
  REQUIRE(locks.ok());
  CHECK(locks->children.empty());
  CHECK(LeaseCount(*a, path) == 2);
  // One lease left: two cannot be had now, one can.
  auto none = sb.TryAcquire(2);
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(LeaseCount(*a, path) == 2);
  auto one = sb.TryAcquire(1);
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK(LeaseCount(*a, path) == 3);
  // Full: a timed acquire gives up after its timeout and leaves nothing behind.
  auto t0 = std::chrono::steady_clock::now();
  auto late = sb.Acquire(1, 300ms);
  REQUIRE(late.ok());
  CHECK(late->empty());
  CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
  CHECK(LeaseCount(*a, path) == 3);
  // A waiter has created its lease node and waits on a children watch of leases/ (no polling).
  auto waiting = std::async(std::launch::async, [&] { return sb.Acquire(1); });
  REQUIRE(Eventually([&] { return LeaseCount(*a, path) == 4; }, 5s));
  if (!Server().apache()) {
    CHECK(Eventually([&] { return b->CheckWatches(path + "/leases", WatcherType::kChildren).ok(); },
                     5s));
  }
  sb.Cancel();
  REQUIRE(waiting.wait_for(5s) == std::future_status::ready);
  auto cancelled = waiting.get();
  REQUIRE(cancelled.ok());
  CHECK(cancelled->empty());
  CHECK(LeaseCount(*a, path) == 3);
  auto locks_after = a->GetChildren(path + "/locks");
  REQUIRE(locks_after.ok());
  CHECK(locks_after->children.empty());
  // A waiter for two leases gets them once two are returned (RAII and Close).
  auto pair = std::async(std::launch::async, [&] { return sb.Acquire(2, 20s); });
  REQUIRE(Eventually([&] { return LeaseCount(*a, path) == 4; }, 5s));
  (*two)[0].Close();
  CHECK_FALSE((*two)[0].valid());
  { Lease moved = std::move((*two)[1]); }  // returned at the end of its scope
  REQUIRE(pair.wait_for(10s) == std::future_status::ready);
  auto got = pair.get();
  REQUIRE(got.ok());
  CHECK(got->size() == 2);
  CHECK(LeaseCount(*a, path) == 3);
  got->clear();
  one->clear();
  CHECK(LeaseCount(*a, path) == 0);
}

TEST_CASE("semaphore: leases end with the session; a waiter then gets one") {
  const std::string path = UniquePath("sem-expire") + "/sem";
  Proxy proxy(Server().port());
  auto holder = Connect(proxy.hosts());
  auto waiter_client = Connect(Server().hosts());
  Semaphore held(*holder, path, 2), waiting(*waiter_client, path, 2);
  auto leases = held.Acquire(2, 5s);
  REQUIRE(leases.ok());
  REQUIRE(leases->size() == 2);
  auto next = std::async(std::launch::async, [&] { return waiting.Acquire(1, 30s); });
  REQUIRE(Eventually([&] { return LeaseCount(*waiter_client, path) == 3; }, 5s));
  // While the holder is cut off, another client takes over its session and closes it: the
  // server deletes its lease nodes, which wakes the waiter.
  proxy.Refuse(true);
  proxy.Cut(true);
  Options o;
  o.session_id = holder->session_id();
  o.session_password = holder->session_password();
  auto thief = Connect(Server().hosts(), o);
  thief->Close();
  REQUIRE(next.wait_for(20s) == std::future_status::ready);
  auto r = next.get();
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK(LeaseCount(*waiter_client, path) == 1);
  proxy.Refuse(false);
  leases->clear();  // the session is gone: returning them is a no-op
  CHECK(LeaseCount(*waiter_client, path) == 1);
}

}  // namespace
}  // namespace zk::client::test
