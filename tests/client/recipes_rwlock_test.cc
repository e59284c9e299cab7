// zk::recipes::ReadWriteLock against the server under test: Curator's node names; readers share
// and a writer excludes readers and writers; writers in queue order, each watching its
// predecessor, and a reader behind a queued writer waiting on the first writer; the write-to-read
// downgrade that no queued writer slips into, and no upgrade; try/timeout/cancel paths that leave
// no node behind; the protection prefix after a lost create reply; "lock lost" on session expiry.
#include <doctest/doctest.h>

#include <future>
#include <regex>
#include <thread>

#include "client/recipes/contenders.h"
#include "client/recipes/read_write_lock.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;
using recipes::LockLostReason;
using recipes::ReadWriteLock;

std::vector<std::string> Names(Client& c, const std::string& path) {
  std::vector<std::string> out;
  auto r = ReadWriteLock::Contenders(c, path);
  if (r.ok()) {
    for (const auto& k : *r) out.push_back(k.name);
  }
  return out;
}

size_t Count(Client& c, const std::string& path) { return Names(c, path).size(); }

std::string NameOf(const std::string& node) { return node.substr(node.rfind('/') + 1); }

// One client with its own ReadWriteLock on the path.
struct Party {
  std::unique_ptr<Client> client;
  std::unique_ptr<ReadWriteLock> lock;
  Party(const std::string& hosts, const std::string& path)
      : client(Connect(hosts)), lock(std::make_unique<ReadWriteLock>(*client, path)) {}
  ReadWriteLock::Lock& read() { return lock->ReadLock(); }
  ReadWriteLock::Lock& write() { return lock->WriteLock(); }
};

// On zabkeeper: `c` holds a data watch on `path + "/" + names[k]` exactly for k == expected.
// (Apache 3.8's checkWatches answers OK for a watch the session does not hold.)
void CheckOnlyWatch(Client& c, const std::string& path, const std::vector<std::string>& names,
                    size_t expected) {
  if (Server().apache()) return;
  for (size_t k = 0; k < names.size(); ++k) {
    Err e = c.CheckWatches(path + "/" + names[k], WatcherType::kData).err();
    INFO("contender ", k, " ", names[k]);
    CHECK(e == (k == expected ? Err::kOk : Err::kNoWatcher));
  }
}

TEST_CASE("rwlock: Curator's node names; readers share; a writer excludes readers and writers") {
  const std::string path = UniquePath("rwlock-share") + "/lock";
  Party r1(Server().hosts(), path), r2(Server().hosts(), path), w1(Server().hosts(), path),
      w2(Server().hosts(), path);
  REQUIRE(*r1.read().Acquire(5s));
  REQUIRE(*r2.read().Acquire(5s));
  CHECK(r1.read().IsHeld());
  CHECK(r2.read().IsHeld());
  CHECK(r1.read().FencingToken() > 0);
  CHECK(r2.read().FencingToken() > r1.read().FencingToken());
  const std::regex read_name(
      "_c_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
      "[0-9a-f]{12}-__READ__[0-9]{10}");
  CHECK(std::regex_match(NameOf(r1.read().NodePath()), read_name));
  CHECK_FALSE(*w1.write().TryAcquire());
  CHECK(Count(*w1.client, path) == 2);
  // A writer queues behind the readers; once they are gone it holds, alone.
  auto writing = std::async(std::launch::async, [&] { return w1.write().Acquire(20s); });
  REQUIRE(Eventually([&] { return Count(*w1.client, path) == 3; }, 5s));
  const std::regex write_name("_c_[0-9a-f-]{36}-__WRIT__[0-9]{10}");
  CHECK(std::regex_match(NameOf(w1.write().NodePath()), write_name));
  REQUIRE(r1.read().Release().ok());
  CHECK_FALSE(w1.write().IsHeld());
  REQUIRE(r2.read().Release().ok());
  REQUIRE(writing.wait_for(10s) == std::future_status::ready);
  REQUIRE(*writing.get());
  CHECK(w1.write().IsHeld());
  CHECK(w1.write().FencingToken() > r2.read().FencingToken());
  CHECK_FALSE(*r1.read().TryAcquire());
  CHECK_FALSE(*w2.write().TryAcquire());
  CHECK(Count(*w1.client, path) == 1);
  REQUIRE(w1.write().Release().ok());
  CHECK(*r1.read().TryAcquire());
  REQUIRE(r1.read().Release().ok());
  CHECK(Count(*w1.client, path) == 0);
}

TEST_CASE("rwlock: writers in queue order; a reader behind a queued writer waits for it") {
  const std::string path = UniquePath("rwlock-order") + "/lock";
  auto observer = Connect(Server().hosts());
  // Queue: R1 (holds) W1 R2 W2 R3.
  Party r1(Server().hosts(), path), w1(Server().hosts(), path), r2(Server().hosts(), path),
      w2(Server().hosts(), path), r3(Server().hosts(), path);
  REQUIRE(*r1.read().Acquire(5s));
  std::mutex mu;
  std::vector<std::string> granted;
  auto take = [&](ReadWriteLock::Lock& side, const char* who) {
    return std::async(std::launch::async, [&side, &mu, &granted, who] {
      auto r = side.Acquire(30s);
      if (r.ok() && *r) {
        std::lock_guard<std::mutex> l(mu);
        granted.push_back(who);
      }
      return r;
    });
  };
  auto fw1 = take(w1.write(), "w1");
  REQUIRE(Eventually([&] { return Count(*observer, path) == 2; }, 5s));
  auto fr2 = take(r2.read(), "r2");
  REQUIRE(Eventually([&] { return Count(*observer, path) == 3; }, 5s));
  auto fw2 = take(w2.write(), "w2");
  REQUIRE(Eventually([&] { return Count(*observer, path) == 4; }, 5s));
  auto fr3 = take(r3.read(), "r3");
  REQUIRE(Eventually([&] { return Count(*observer, path) == 5; }, 5s));
  const std::vector<std::string> queue = Names(*observer, path);
  REQUIRE(queue.size() == 5);
  CHECK(queue[0] == NameOf(r1.read().NodePath()));
  CHECK(queue[1] == NameOf(w1.write().NodePath()));
  CHECK(queue[2] == NameOf(r2.read().NodePath()));
  CHECK(queue[3] == NameOf(w2.write().NodePath()));
  CHECK(queue[4] == NameOf(r3.read().NodePath()));
  // Once every waiter has set its watch: a writer watches its predecessor, a reader the first
  // writer of the queue.
  REQUIRE(Eventually(
      [&] {
        return Server().apache() ||
               (w1.client->CheckWatches(path + "/" + queue[0], WatcherType::kData).ok() &&
                r2.client->CheckWatches(path + "/" + queue[1], WatcherType::kData).ok() &&
                w2.client->CheckWatches(path + "/" + queue[2], WatcherType::kData).ok() &&
                r3.client->CheckWatches(path + "/" + queue[1], WatcherType::kData).ok());
      },
      5s));
  CheckOnlyWatch(*w1.client, path, queue, 0);
  CheckOnlyWatch(*r2.client, path, queue, 1);
  CheckOnlyWatch(*w2.client, path, queue, 2);
  CheckOnlyWatch(*r3.client, path, queue, 1);
  {
    std::lock_guard<std::mutex> l(mu);
    CHECK(granted.empty());
  }
  // R1 goes: W1 holds; R2 and R3 still wait (a writer is queued before them).
  REQUIRE(r1.read().Release().ok());
  REQUIRE(fw1.wait_for(10s) == std::future_status::ready);
  REQUIRE(*fw1.get());
  CHECK_FALSE(r2.read().IsHeld());
  // W1 goes: R2 holds (no writer before it); R3 waits for W2, W2 for R2.
  REQUIRE(w1.write().Release().ok());
  REQUIRE(fr2.wait_for(10s) == std::future_status::ready);
  REQUIRE(*fr2.get());
  CHECK_FALSE(w2.write().IsHeld());
  REQUIRE(r2.read().Release().ok());
  REQUIRE(fw2.wait_for(10s) == std::future_status::ready);
  REQUIRE(*fw2.get());
  CHECK_FALSE(r3.read().IsHeld());
  REQUIRE(w2.write().Release().ok());
  REQUIRE(fr3.wait_for(10s) == std::future_status::ready);
  REQUIRE(*fr3.get());
  REQUIRE(r3.read().Release().ok());
  std::lock_guard<std::mutex> l(mu);
  CHECK(granted == std::vector<std::string>{"w1", "r2", "w2", "r3"});
  CHECK(Count(*observer, path) == 0);
}

TEST_CASE("rwlock: write-to-read downgrade keeps out writers queued meanwhile; no upgrade") {
  const std::string path = UniquePath("rwlock-downgrade") + "/lock";
  Party a(Server().hosts(), path), b(Server().hosts(), path), c(Server().hosts(), path);
  REQUIRE(*a.write().Acquire(5s));
  CHECK(*a.write().Acquire(1s));  // re-entrant
  auto b_writing = std::async(std::launch::async, [&] { return b.write().Acquire(30s); });
  REQUIRE(Eventually([&] { return Count(*a.client, path) == 2; }, 5s));
  // The write holder takes the read lock at once; its node carries the write node's number.
  REQUIRE(*a.read().TryAcquire());
  CHECK(a.read().IsHeld());
  const std::string write_node = NameOf(a.write().NodePath());
  const std::string read_node = NameOf(a.read().NodePath());
  CHECK(read_node.find("__READ__") != std::string::npos);
  CHECK(recipes::SequenceOf(read_node) == recipes::SequenceOf(write_node));
  CHECK(recipes::SequenceOf(read_node) < recipes::SequenceOf(NameOf(b.write().NodePath())));
  CHECK(a.read().FencingToken() > a.write().FencingToken());
  REQUIRE(a.write().Release().ok());
  CHECK(a.write().IsHeld());  // one hold left
  REQUIRE(a.write().Release().ok());
  CHECK_FALSE(a.write().IsHeld());
  CHECK(a.read().IsHeld());
  // B queued behind A's write node, and so behind its read node: it must not get the lock. A
  // reader queued after B waits too.
  CHECK_FALSE(*c.read().Acquire(300ms));
  CHECK(b_writing.wait_for(0s) == std::future_status::timeout);
  CHECK_FALSE(b.write().IsHeld());
  // No upgrade: A's write acquire would wait behind its own reader.
  CHECK(a.write().Acquire(1s).err() == Err::kInvalidState);
  REQUIRE(a.read().Release().ok());
  REQUIRE(b_writing.wait_for(10s) == std::future_status::ready);
  REQUIRE(*b_writing.get());
  CHECK(b.write().IsHeld());
  REQUIRE(b.write().Release().ok());
  CHECK(Count(*a.client, path) == 0);
}

TEST_CASE("rwlock: TryAcquire, timeout, Cancel and re-entrancy leave no node behind") {
  const std::string path = UniquePath("rwlock-try") + "/lock";
  Party a(Server().hosts(), path), b(Server().hosts(), path);
  REQUIRE(*a.read().Acquire());
  CHECK(*a.read().Acquire(1s));  // re-entrant: one node
  CHECK(Count(*a.client, path) == 1);
  auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(*b.write().Acquire(300ms));
  CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
  CHECK(Count(*a.client, path) == 1);
  auto waiting = std::async(std::launch::async, [&] { return b.write().Acquire(); });
  REQUIRE(Eventually([&] { return Count(*a.client, path) == 2; }, 5s));
  b.write().Cancel();
  REQUIRE(waiting.wait_for(5s) == std::future_status::ready);
  auto cancelled = waiting.get();
  REQUIRE(cancelled.ok());
  CHECK_FALSE(*cancelled);
  CHECK(Count(*a.client, path) == 1);
  REQUIRE(a.read().Release().ok());
  CHECK(a.read().IsHeld());
  REQUIRE(a.read().Release().ok());
  CHECK_FALSE(a.read().IsHeld());
  CHECK(a.read().Release().err() == Err::kInvalidState);
  CHECK(a.write().Release().err() == Err::kInvalidState);
  REQUIRE(*b.write().TryAcquire());
  CHECK_FALSE(*a.read().TryAcquire());
  auto reading = std::async(std::launch::async, [&] { return a.read().Acquire(); });
  REQUIRE(Eventually([&] { return Count(*a.client, path) == 2; }, 5s));
  a.read().Cancel();
  REQUIRE(reading.wait_for(5s) == std::future_status::ready);
  CHECK_FALSE(*reading.get());
  CHECK(Count(*a.client, path) == 1);
  REQUIRE(b.write().Release().ok());
  CHECK(Count(*a.client, path) == 0);
}

TEST_CASE("rwlock: a create whose reply was lost is found by its protection prefix") {
  const std::string path = UniquePath("rwlock-protect") + "/lock";
  auto observer = Connect(Server().hosts());
  Proxy proxy(Server().port());
  auto c = Connect(proxy.hosts());
  ReadWriteLock lock(*c, path);
  REQUIRE(*lock.WriteLock().Acquire());  // creates the lock path
  REQUIRE(lock.WriteLock().Release().ok());
  for (bool write : {false, true}) {
    ReadWriteLock::Lock& side = write ? lock.WriteLock() : lock.ReadLock();
    proxy.Blackhole(true);
    auto acquiring = std::async(std::launch::async, [&] { return side.Acquire(20s); });
    // The create is applied; its reply is held back, then the connection breaks under it.
    REQUIRE(Eventually([&] { return Count(*observer, path) == 1; }, 10s));
    proxy.Cut(false);
    proxy.Blackhole(false);
    REQUIRE(acquiring.wait_for(20s) == std::future_status::ready);
    auto r = acquiring.get();
    REQUIRE(r.ok());
    CHECK(*r);
    const auto names = Names(*observer, path);
    REQUIRE(names.size() == 1);  // found again, not created twice
    CHECK(names[0].find(write ? "__WRIT__" : "__READ__") != std::string::npos);
    REQUIRE(side.Release().ok());
    CHECK(Count(*observer, path) == 0);
  }
}

TEST_CASE("rwlock: readers are told the lock is lost when their session expires") {
  const std::string path = UniquePath("rwlock-expire") + "/lock";
  Proxy proxy(Server().port());
  auto holder = Connect(proxy.hosts());
  ReadWriteLock held(*holder, path);
  Party writer(Server().hosts(), path);
  std::promise<LockLostReason> lost;
  held.ReadLock().SetLostListener([&lost](LockLostReason r) { lost.set_value(r); });
  REQUIRE(*held.ReadLock().Acquire());
  const int64_t token = held.ReadLock().FencingToken();
  auto next = std::async(std::launch::async, [&] { return writer.write().Acquire(30s); });
  REQUIRE(Eventually([&] { return Count(*writer.client, path) == 2; }, 5s));
  // While the holder is cut off, another client takes over its session and closes it.
  proxy.Refuse(true);
  proxy.Cut(true);
  Options o;
  o.session_id = holder->session_id();
  o.session_password = holder->session_password();
  auto thief = Connect(Server().hosts(), o);
  thief->Close();
  proxy.Refuse(false);
  auto reason = lost.get_future();
  REQUIRE(reason.wait_for(20s) == std::future_status::ready);
  CHECK(reason.get() == LockLostReason::kSessionExpired);
  CHECK_FALSE(held.ReadLock().IsHeld());
  CHECK(held.ReadLock().FencingToken() == 0);
  REQUIRE(next.wait_for(20s) == std::future_status::ready);
  auto r = next.get();
  REQUIRE(r.ok());
  CHECK(*r);
  CHECK(writer.write().FencingToken() > token);
  REQUIRE(writer.write().Release().ok());
}

}  // namespace
}  // namespace zk::client::test
