// zk::recipes::Mutex against the server under test: exclusion and FIFO order with increasing
// fencing tokens, one watch per waiter (on its predecessor only), try/timeout/cancel paths that
// leave no contender behind, re-entrancy, the protection prefix after a lost create reply, and
// "lock lost" on session expiry and on a suspension longer than the bound.
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>

#include "client/recipes/contenders.h"
#include "client/recipes/mutex.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;
using recipes::Contender;
using recipes::LockLostReason;
using recipes::Mutex;
using recipes::MutexOptions;

size_t ContenderCount(Client& c, const std::string& path) {
  auto r = Mutex::Contenders(c, path);
  return r.ok() ? r->size() : 0;
}

// Records the lost reasons a Mutex reports.
struct LostRecorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<LockLostReason> reasons;
  void Attach(Mutex& m) {
    m.SetLostListener([this](LockLostReason r) {
      std::lock_guard<std::mutex> l(mu);
      reasons.push_back(r);
      cv.notify_all();
    });
  }
  bool Wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, timeout, [&] { return !reasons.empty(); });
  }
};

TEST_CASE("contender names: sequence numbers, sorting across name patterns, protection prefix") {
  CHECK(recipes::SequenceOf("_c_x-lock-0000000012") == 12);
  CHECK(recipes::SequenceOf("abc__lock__0000000003") == 3);
  CHECK(recipes::SequenceOf("lock-12") == -1);
  CHECK(recipes::SequenceOf("x") == -1);
  auto sorted = recipes::SortBySequence(
      {"_c_a-lock-0000000005", "k__lock__0000000002", "junk", "_c_b-lock-0000000009"});
  CHECK(sorted == std::vector<std::string>{"k__lock__0000000002", "_c_a-lock-0000000005",
                                           "_c_b-lock-0000000009"});
  std::string p = recipes::NewProtectionPrefix();
  CHECK(p.size() == 3 + 36 + 1);
  CHECK(p.starts_with("_c_"));
  CHECK(p.back() == '-');
  CHECK(p[3 + 14] == '4');  // UUID version 4
  CHECK(p != recipes::NewProtectionPrefix());
  CHECK(recipes::FindWithPrefix({"a", p + "lock-0000000001"}, p) == p + "lock-0000000001");
  CHECK(recipes::JoinPath("/", "x") == "/x");
  CHECK(recipes::JoinPath("/a", "x") == "/a/x");
}

TEST_CASE("mutex: FIFO hand-off, one holder at a time, increasing fencing tokens") {
  const std::string path = UniquePath("mutex-fifo") + "/lock";
  constexpr int kContenders = 5;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<Mutex>> mutexes;
  for (int i = 0; i < kContenders; ++i) {
    clients.push_back(Connect(Server().hosts()));
    mutexes.push_back(std::make_unique<Mutex>(*clients.back(), path));
  }
  auto observer = Connect(Server().hosts());
  // The first takes the lock; the others queue in a known order.
  REQUIRE(*mutexes[0]->Acquire(5s));
  const int64_t first_token = mutexes[0]->FencingToken();
  CHECK(first_token > 0);
  std::mutex mu;
  std::vector<int> order{0};
  std::vector<int64_t> tokens{first_token};
  std::atomic<int> holders{1};
  std::atomic<int> max_holders{1};
  std::vector<std::thread> threads;
  for (int i = 1; i < kContenders; ++i) {
    threads.emplace_back([&, i] {
      auto r = mutexes[i]->Acquire(30s);
      REQUIRE(r.ok());
      REQUIRE(*r);
      int now = ++holders;
      max_holders = std::max(max_holders.load(), now);
      {
        std::lock_guard<std::mutex> l(mu);
        order.push_back(i);
        tokens.push_back(mutexes[i]->FencingToken());
      }
      std::this_thread::sleep_for(20ms);
      --holders;
      REQUIRE(mutexes[i]->Release().ok());
    });
    // Wait until contender i has queued before starting the next.
    REQUIRE(Eventually([&] { return ContenderCount(*observer, path) == static_cast<size_t>(i + 1); },
                    10s));
  }
  // Each waiter watches its predecessor, and nothing else (no herd effect). Apache 3.8's
  // checkWatches answers OK for a data watch this session does not hold, so the server is only
  // asked where it answers truly.
  auto queue = Mutex::Contenders(*observer, path);
  REQUIRE(queue.ok());
  REQUIRE(queue->size() == kContenders);
  for (int i = 1; i < kContenders; ++i) {
    const std::string own = mutexes[i]->NodePath();
    int position = -1;
    for (size_t k = 0; k < queue->size(); ++k) {
      if (path + "/" + (*queue)[k].name == own) position = static_cast<int>(k);
    }
    REQUIRE(position == i);
    for (size_t k = 0; k < queue->size() && !Server().apache(); ++k) {
      Err e = clients[i]->CheckWatches(path + "/" + (*queue)[k].name, WatcherType::kData).err();
      CHECK(e == (static_cast<int>(k) == i - 1 ? Err::kOk : Err::kNoWatcher));
    }
  }
  --holders;
  REQUIRE(mutexes[0]->Release().ok());
  for (auto& t : threads) t.join();
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(max_holders.load() == 1);
  for (size_t k = 1; k < tokens.size(); ++k) CHECK(tokens[k] > tokens[k - 1]);
  CHECK(ContenderCount(*observer, path) == 0);
}

TEST_CASE("mutex: TryAcquire, timeout, Cancel and re-entrancy leave no contender behind") {
  const std::string path = UniquePath("mutex-try") + "/lock";
  auto a = Connect(Server().hosts());
  auto b = Connect(Server().hosts());
  Mutex ma(*a, path), mb(*b, path);
  REQUIRE(*ma.Acquire());
  CHECK(*ma.Acquire(1s));  // re-entrant
  CHECK(ma.IsHeld());
  CHECK_FALSE(*mb.TryAcquire());
  CHECK_FALSE(mb.IsHeld());
  CHECK(ContenderCount(*a, path) == 1);
  auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(*mb.Acquire(300ms));
  CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
  CHECK(ContenderCount(*a, path) == 1);
  auto waiting = std::async(std::launch::async, [&] { return mb.Acquire(); });
  REQUIRE(Eventually([&] { return ContenderCount(*a, path) == 2; }, 5s));
  mb.Cancel();
  REQUIRE(waiting.wait_for(5s) == std::future_status::ready);
  auto cancelled = waiting.get();
  REQUIRE(cancelled.ok());
  CHECK_FALSE(*cancelled);
  CHECK(ContenderCount(*a, path) == 1);
  REQUIRE(ma.Release().ok());
  CHECK(ma.IsHeld());  // one hold left
  REQUIRE(ma.Release().ok());
  CHECK_FALSE(ma.IsHeld());
  CHECK(ma.Release().err() == Err::kInvalidState);
  CHECK(*mb.TryAcquire());
  {
    recipes::LockGuard guard(ma, 200ms);
    CHECK_FALSE(guard.owns());
  }
  REQUIRE(mb.Release().ok());
  {
    recipes::LockGuard guard(ma);
    CHECK(guard.owns());
    CHECK(ma.IsHeld());
  }
  CHECK_FALSE(ma.IsHeld());
  CHECK(ContenderCount(*a, path) == 0);
}

TEST_CASE("mutex: a create whose reply was lost is found by its protection prefix") {
  const std::string path = UniquePath("mutex-protect") + "/lock";
  auto observer = Connect(Server().hosts());
  Proxy proxy(Server().port());
  auto c = Connect(proxy.hosts());
  Mutex m(*c, path);
  REQUIRE(*m.Acquire());  // creates the lock path
  REQUIRE(m.Release().ok());
  proxy.Blackhole(true);
  auto acquiring = std::async(std::launch::async, [&] { return m.Acquire(20s); });
  // The create reaches the server and is applied; its reply is held back, then the connection
  // breaks under it.
  REQUIRE(Eventually([&] { return ContenderCount(*observer, path) == 1; }, 10s));
  proxy.Cut(false);
  proxy.Blackhole(false);
  REQUIRE(acquiring.wait_for(20s) == std::future_status::ready);
  auto r = acquiring.get();
  REQUIRE(r.ok());
  CHECK(*r);
  CHECK(ContenderCount(*observer, path) == 1);  // found again, not created twice
  REQUIRE(m.Release().ok());
  CHECK(ContenderCount(*observer, path) == 0);
}

TEST_CASE("mutex: the holder is told the lock is lost when its session expires") {
  const std::string path = UniquePath("mutex-expire") + "/lock";
  Proxy proxy(Server().port());
  auto holder = Connect(proxy.hosts());
  auto waiter_client = Connect(Server().hosts());
  Mutex held(*holder, path), waiting(*waiter_client, path);
  LostRecorder lost;
  lost.Attach(held);
  REQUIRE(*held.Acquire());
  const int64_t token = held.FencingToken();
  auto next = std::async(std::launch::async, [&] { return waiting.Acquire(30s); });
  REQUIRE(Eventually([&] { return ContenderCount(*waiter_client, path) == 2; }, 5s));
  // While the holder is cut off, another client takes over its session and closes it: the
  // server ends the session; the holder learns it when it reconnects.
  proxy.Refuse(true);
  proxy.Cut(true);
  Options o;
  o.session_id = holder->session_id();
  o.session_password = holder->session_password();
  auto thief = Connect(Server().hosts(), o);
  thief->Close();
  proxy.Refuse(false);
  REQUIRE(lost.Wait(20s));
  {
    std::lock_guard<std::mutex> l(lost.mu);
    CHECK(lost.reasons.front() == LockLostReason::kSessionExpired);
  }
  CHECK_FALSE(held.IsHeld());
  CHECK(held.FencingToken() == 0);
  REQUIRE(next.wait_for(20s) == std::future_status::ready);
  auto r = next.get();
  REQUIRE(r.ok());
  CHECK(*r);
  CHECK(waiting.FencingToken() > token);
  REQUIRE(waiting.Release().ok());
}

TEST_CASE("mutex: a holder cut off longer than the bound is told the lock is lost") {
  const std::string path = UniquePath("mutex-suspend") + "/lock";
  Proxy proxy(Server().port());
  Options o;
  o.session_timeout = 4000ms;
  auto holder = Connect(proxy.hosts(), o);
  MutexOptions mo;
  mo.lost_after_suspended = 300ms;
  Mutex m(*holder, path, mo);
  LostRecorder lost;
  lost.Attach(m);
  REQUIRE(*m.Acquire());
  proxy.Refuse(true);
  proxy.Cut(true);
  REQUIRE(lost.Wait(10s));
  {
    std::lock_guard<std::mutex> l(lost.mu);
    CHECK(lost.reasons.front() == LockLostReason::kSuspendedTooLong);
  }
  CHECK_FALSE(m.IsHeld());
  // Reconnected within the session timeout: the session lived, so the stale node is removed
  // and the lock can be taken again.
  proxy.Refuse(false);
  auto observer = Connect(Server().hosts());
  CHECK(Eventually([&] { return ContenderCount(*observer, path) == 0; }, 10s));
  CHECK(*m.Acquire(10s));
  CHECK(m.IsHeld());
  REQUIRE(m.Release().ok());
}

}  // namespace
}  // namespace zk::client::test

namespace zk::client::test {
namespace {

TEST_CASE("mutex: Cancel while a connection loss is waited out ends the Acquire (no self-deadlock)") {
  const std::string path = UniquePath("mutex-cancel-retry") + "/lock";
  auto ch = Connect(Server().hosts());
  Mutex holder(*ch, path);
  REQUIRE(*holder.Acquire(5s));
  Proxy proxy(Server().port());
  auto cw = Connect(proxy.hosts());
  Mutex waiter(*cw, path);
  // The waiter's getChildren is applied but its reply held back; the connection then breaks, so
  // Acquire waits out the loss and looks again, finding itself cancelled.
  proxy.BlackholeFromRequest(static_cast<int32_t>(OpCode::kGetChildren));
  auto acquiring = std::async(std::launch::async, [&] { return waiter.Acquire(); });
  // The getChildren went to the server; its reply is held.
  REQUIRE(Eventually([&] { return proxy.blackholed(); }, 10s));
  waiter.Cancel();
  proxy.Cut(false);
  proxy.Blackhole(false);
  REQUIRE(acquiring.wait_for(20s) == std::future_status::ready);
  auto r = acquiring.get();
  REQUIRE(r.ok());
  CHECK_FALSE(*r);
  CHECK(Eventually([&] { return ContenderCount(*ch, path) == 1; }, 10s));
  CHECK(holder.IsHeld());
}

}  // namespace
}  // namespace zk::client::test
