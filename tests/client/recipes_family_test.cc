// The smaller recipes against the server under test: Barrier, DoubleBarrier, AtomicLong,
// SharedCount, SequenceGenerator and Queue — each one's contract under concurrency of several
// clients, its Curator-compatible encoding, its timeout/cancel paths, and the lost-reply paths
// of the queue and the sequence generator.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "client/recipes/atomic_long.h"
#include "client/recipes/barrier.h"
#include "client/recipes/double_barrier.h"
#include "client/recipes/queue.h"
#include "client/recipes/sequence.h"
#include "client/recipes/shared_count.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

size_t ChildCount(Client& c, const std::string& path) {
  auto r = c.GetChildren(path);
  return r.ok() ? r->children.size() : 0;
}

TEST_CASE("barrier: waiters are held while it is set and released when it is removed") {
  const std::string path = UniquePath("barrier") + "/gate";
  auto setter = Connect(Server().hosts());
  recipes::Barrier gate(*setter, path);
  REQUIRE(gate.Set().ok());
  REQUIRE(gate.Set().ok());  // idempotent
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::future<Result<bool>>> waits;
  std::vector<std::unique_ptr<recipes::Barrier>> barriers;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(Connect(Server().hosts()));
    barriers.push_back(std::make_unique<recipes::Barrier>(*clients.back(), path));
    waits.push_back(std::async(std::launch::async, [b = barriers.back().get()] { return b->Wait(20s); }));
  }
  CHECK(*barriers[0]->Wait(100ms) == false);  // still set
  for (auto& w : waits) CHECK(w.wait_for(200ms) == std::future_status::timeout);
  REQUIRE(gate.Remove().ok());
  for (auto& w : waits) {
    REQUIRE(w.wait_for(10s) == std::future_status::ready);
    auto r = w.get();
    REQUIRE(r.ok());
    CHECK(*r);
  }
  CHECK(*barriers[0]->Wait(0ms));  // down: returns at once
  REQUIRE(gate.Remove().ok());     // idempotent
  // Cancel wakes a waiter.
  REQUIRE(gate.Set().ok());
  auto cancelled = std::async(std::launch::async, [&] { return barriers[1]->Wait(); });
  CHECK(cancelled.wait_for(200ms) == std::future_status::timeout);
  barriers[1]->Cancel();
  REQUIRE(cancelled.wait_for(10s) == std::future_status::ready);
  CHECK(*cancelled.get() == false);
}

TEST_CASE("double barrier: nobody is through Enter before all arrived, nor through Leave before all left") {
  const std::string path = UniquePath("dbarrier") + "/round";
  constexpr int kMembers = 3;
  auto observer = Connect(Server().hosts());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kMembers; ++i) clients.push_back(Connect(Server().hosts()));
  std::mutex mu;
  std::vector<std::string> log;  // "arrive", "entered", "leaving", "left" in the order they happen
  auto note = [&](const std::string& what) {
    std::lock_guard<std::mutex> l(mu);
    log.push_back(what);
  };
  std::vector<std::future<bool>> members;
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(std::async(std::launch::async, [&, i] {
      // Members arrive (and leave) staggered.
      std::this_thread::sleep_for(std::chrono::milliseconds(150 * i));
      recipes::DoubleBarrier b(*clients[i], path, kMembers);
      note("arrive");
      auto in = b.Enter(20s);
      if (!in.ok() || !*in) return false;
      note("entered");
      std::this_thread::sleep_for(std::chrono::milliseconds(150 * (kMembers - i)));
      note("leaving");
      auto out = b.Leave(20s);
      if (!out.ok() || !*out) return false;
      note("left");
      return true;
    }));
  }
  for (auto& m : members) CHECK(m.get());
  REQUIRE(log.size() == 4 * kMembers);
  auto first = [&](const std::string& what) {
    return std::find(log.begin(), log.end(), what) - log.begin();
  };
  auto last = [&](const std::string& what) {
    return log.rend() - std::find(log.rbegin(), log.rend(), what) - 1;
  };
  CHECK(last("arrive") < first("entered"));
  CHECK(last("leaving") < first("left"));
  CHECK(ChildCount(*observer, path) == 0);  // members gone, "ready" deleted by the last to leave

  // A member that times out in Enter leaves no node behind.
  recipes::DoubleBarrier lonely(*clients[0], path, 2);
  auto r = lonely.Enter(300ms);
  REQUIRE(r.ok());
  CHECK_FALSE(*r);
  CHECK(ChildCount(*observer, path) == 0);
}

TEST_CASE("atomic long: concurrent adds are never lost; CAS; Curator's 8-byte encoding") {
  const std::string base = UniquePath("atomic");
  const std::string path = base + "/counter";
  constexpr int kClients = 4, kAdds = 40;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(Connect(Server().hosts()));
  recipes::AtomicLongOptions opts;
  opts.max_tries = 5;
  opts.lock_path = base + "/promoted";
  std::atomic<int> succeeded{0}, tries{0}, locked{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      recipes::AtomicLong counter(*clients[i], path, opts);
      for (int k = 0; k < kAdds; ++k) {
        auto r = counter.Increment();
        REQUIRE(r.ok());
        if (r->succeeded) {
          ++succeeded;
          CHECK(r->post == r->pre + 1);
        }
        tries += r->optimistic_tries;
        locked += r->locked_tries;
      }
    });
  }
  for (auto& t : threads) t.join();
  recipes::AtomicLong counter(*clients[0], path);
  auto v = counter.Get();
  REQUIRE(v.ok());
  CHECK(*v == succeeded.load());
  // With promotion to the lock nearly every increment succeeds; contention shows in the tries.
  CHECK(succeeded.load() >= kClients * kAdds * 9 / 10);
  CHECK(tries.load() >= kClients * kAdds);
  MESSAGE("increments " << succeeded.load() << ", optimistic tries " << tries.load()
                        << ", tries under the lock " << locked.load());

  auto raw = clients[0]->GetData(path);
  REQUIRE(raw.ok());
  CHECK(raw->data == recipes::AtomicLong::Encode(*v));
  CHECK(recipes::AtomicLong::Encode(258) == std::string("\0\0\0\0\0\0\x01\x02", 8));
  CHECK(recipes::AtomicLong::Decode(recipes::AtomicLong::Encode(-5)) == -5);

  auto cas = counter.CompareAndSet(*v + 100, 7);
  REQUIRE(cas.ok());
  CHECK_FALSE(cas->succeeded);
  CHECK(cas->pre == *v);
  cas = counter.CompareAndSet(*v, 7);
  REQUIRE(cas.ok());
  CHECK(cas->succeeded);
  CHECK(*counter.Get() == 7);
  auto sub = counter.Subtract(10);
  REQUIRE(sub.ok());
  CHECK(sub->post == -3);

  // A missing node reads 0, Initialize creates it once, foreign data is refused untouched.
  const std::string fresh_path = base + "/a/b/fresh";
  recipes::AtomicLong fresh(*clients[1], fresh_path);
  CHECK(*fresh.Get() == 0);
  CHECK(*fresh.Initialize(42));
  CHECK_FALSE(*fresh.Initialize(43));
  CHECK(*fresh.Get() == 42);
  REQUIRE(clients[1]->SetData(fresh_path, "xyz").ok());
  CHECK(fresh.Get().err() == Err::kMarshallingError);
  CHECK(fresh.Increment().err() == Err::kMarshallingError);
}

TEST_CASE("shared count: seed, listeners of other clients, versioned TrySetCount") {
  const std::string path = UniquePath("shared-count") + "/n";
  auto ca = Connect(Server().hosts());
  auto cb = Connect(Server().hosts());
  recipes::SharedCount a(*ca, path, 10), b(*cb, path, 99);
  REQUIRE(a.Start().ok());
  REQUIRE(b.Start().ok());
  CHECK(a.count() == 10);
  CHECK(b.count() == 10);  // the seed of the second is not used: the node existed
  std::mutex mu;
  std::vector<int32_t> seen;
  b.SetListener([&](int32_t v) {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back(v);
  });
  REQUIRE(a.SetCount(11).ok());
  REQUIRE(Eventually([&] { return b.count() == 11; }, 10s));
  auto stale = b.versioned();
  CHECK(*a.TrySetCount(a.versioned(), 12));
  REQUIRE(Eventually([&] { return b.count() == 12; }, 10s));
  CHECK_FALSE(*b.TrySetCount(stale, 50));  // based on 11: refused
  CHECK(*b.TrySetCount(b.versioned(), 13));
  REQUIRE(Eventually([&] { return a.count() == 13; }, 10s));
  {
    std::lock_guard<std::mutex> l(mu);
    CHECK(seen == std::vector<int32_t>{11, 12, 13});
  }
  auto raw = ca->GetData(path);
  REQUIRE(raw.ok());
  CHECK(raw->data == std::string("\0\0\0\x0d", 4));
}

TEST_CASE("sequence generator: unique increasing IDs, gapless batches, across clients") {
  const std::string path = UniquePath("sequence") + "/ids";
  constexpr int kClients = 3, kBatches = 10;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(Connect(Server().hosts()));
  std::mutex mu;
  std::set<int64_t> all;
  size_t claimed = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      recipes::SequenceGenerator gen(*clients[i], path);
      int64_t last = -1;
      for (int k = 0; k < kBatches; ++k) {
        const int n = 1 + (k % 5);
        auto first = gen.NextBatch(n);
        REQUIRE(first.ok());
        CHECK(*first > last);
        last = *first + n - 1;
        std::lock_guard<std::mutex> l(mu);
        for (int j = 0; j < n; ++j) all.insert(*first + j);
        claimed += n;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(all.size() == claimed);  // no ID handed out twice
  recipes::SequenceGenerator gen(*clients[0], path);
  CHECK(gen.NextBatch(0).err() == Err::kBadArguments);
  auto next = gen.Next();
  REQUIRE(next.ok());
  CHECK(*next > *all.rbegin());
  CHECK(Eventually([&] { return ChildCount(*clients[0], path) == 0; }, 10s));

  // A batch whose reply was lost is found by its protection prefix, not claimed twice.
  auto observer = Connect(Server().hosts());
  Proxy proxy(Server().port());
  auto c = Connect(proxy.hosts());
  recipes::SequenceGenerator lost(*c, path);
  auto before = observer->Exists(path);
  REQUIRE(before.ok());
  proxy.Blackhole(true);
  auto claiming = std::async(std::launch::async, [&] { return lost.NextBatch(3); });
  REQUIRE(Eventually([&] { return ChildCount(*observer, path) == 3; }, 10s));
  proxy.Cut(false);
  proxy.Blackhole(false);
  REQUIRE(claiming.wait_for(20s) == std::future_status::ready);
  auto first = claiming.get();
  REQUIRE(first.ok());
  CHECK(*first > *next);
  CHECK(Eventually([&] { return ChildCount(*observer, path) == 0; }, 10s));
  auto after = observer->Exists(path);
  REQUIRE(after.ok());
  CHECK(after->cversion == before->cversion + 6);  // one batch of 3 created and deleted
}

TEST_CASE("queue: FIFO, every item taken exactly once by concurrent consumers, Take waits") {
  const std::string path = UniquePath("queue") + "/jobs";
  auto producer_client = Connect(Server().hosts());
  recipes::Queue producer(*producer_client, path);
  CHECK(*producer.Size() == 0);
  CHECK_FALSE(producer.TryTake()->has_value());
  for (int i = 0; i < 5; ++i) REQUIRE(producer.Put("item-" + std::to_string(i)).ok());
  CHECK(*producer.Size() == 5);
  CHECK(**producer.Peek() == "item-0");
  for (int i = 0; i < 5; ++i) {
    auto item = producer.Take(5s);
    REQUIRE(item.ok());
    REQUIRE(item->has_value());
    CHECK(**item == "item-" + std::to_string(i));
  }

  constexpr int kItems = 60, kConsumers = 3;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kConsumers; ++i) clients.push_back(Connect(Server().hosts()));
  std::mutex mu;
  std::multiset<std::string> taken;
  std::atomic<bool> done{false};
  std::vector<std::thread> consumers;
  for (int i = 0; i < kConsumers; ++i) {
    consumers.emplace_back([&, i] {
      recipes::Queue q(*clients[i], path);
      while (!done) {
        auto item = q.Take(200ms);
        REQUIRE(item.ok());
        if (!item->has_value()) continue;
        std::lock_guard<std::mutex> l(mu);
        taken.insert(**item);
      }
    });
  }
  for (int i = 0; i < kItems; ++i) REQUIRE(producer.Put("job-" + std::to_string(i)).ok());
  REQUIRE(Eventually(
      [&] {
        std::lock_guard<std::mutex> l(mu);
        return taken.size() >= static_cast<size_t>(kItems);
      },
      30s));
  done = true;
  for (auto& t : consumers) t.join();
  CHECK(taken.size() == static_cast<size_t>(kItems));  // nothing taken twice
  for (int i = 0; i < kItems; ++i) CHECK(taken.count("job-" + std::to_string(i)) == 1);
  // Consumers' receipts are gone with them; no item is left.
  CHECK(Eventually([&] { return ChildCount(*producer_client, path) <= 1; }, 10s));
  CHECK(*producer.Size() == 0);

  // Take blocks until an item is put.
  auto waiting = std::async(std::launch::async, [&] { return recipes::Queue(*clients[0], path).Take(20s); });
  CHECK(waiting.wait_for(200ms) == std::future_status::timeout);
  REQUIRE(producer.Put("late").ok());
  REQUIRE(waiting.wait_for(10s) == std::future_status::ready);
  CHECK(**waiting.get() == "late");
}

TEST_CASE("queue: a take whose reply was lost is recognised by its receipt") {
  const std::string path = UniquePath("queue-lost") + "/jobs";
  auto observer = Connect(Server().hosts());
  recipes::Queue producer(*observer, path);
  REQUIRE(producer.Put("precious").ok());
  Proxy proxy(Server().port());
  auto c = Connect(proxy.hosts());
  recipes::Queue consumer(*c, path);
  proxy.BlackholeFromRequest(static_cast<int32_t>(OpCode::kMulti));
  auto taking = std::async(std::launch::async, [&] { return consumer.Take(20s); });
  // The take's multi is applied (the item is gone); its reply is held back, then cut.
  REQUIRE(Eventually([&] { return *producer.Size() == 0; }, 10s));
  proxy.Cut(false);
  proxy.Blackhole(false);
  REQUIRE(taking.wait_for(20s) == std::future_status::ready);
  auto item = taking.get();
  REQUIRE(item.ok());
  REQUIRE(item->has_value());
  CHECK(**item == "precious");
}

}  // namespace
}  // namespace zk::client::test
