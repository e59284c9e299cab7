// Retry policies and CallWithRetry; the per-request deadline heap under many timed requests.
#include <doctest/doctest.h>

#include <atomic>

#include "client/retry.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST_CASE("retry policies: counts, back-off bounds and the elapsed-time limit") {
  milliseconds sleep{0};
  RetryNTimes n(2, 7ms);
  CHECK(n.AllowRetry(0, 0ms, &sleep));
  CHECK(sleep == 7ms);
  CHECK(n.AllowRetry(1, 0ms, &sleep));
  CHECK_FALSE(n.AllowRetry(2, 0ms, &sleep));

  ExponentialBackoffRetry e(10ms, 4);
  for (int retry = 0; retry < 4; ++retry) {
    for (int i = 0; i < 50; ++i) {
      REQUIRE(e.AllowRetry(retry, 0ms, &sleep));
      CHECK(sleep >= 10ms);
      CHECK(sleep <= 10ms * (1 << (retry + 1)));
    }
  }
  CHECK_FALSE(e.AllowRetry(4, 0ms, &sleep));

  BoundedExponentialBackoffRetry b(100ms, 250ms, 20);
  for (int i = 0; i < 50; ++i) {
    REQUIRE(b.AllowRetry(10, 0ms, &sleep));
    CHECK(sleep >= 100ms);
    CHECK(sleep <= 250ms);
  }

  RetryUntilElapsed u(1000ms, 100ms);
  CHECK(u.AllowRetry(50, 899ms, &sleep));
  CHECK(sleep == 100ms);
  CHECK_FALSE(u.AllowRetry(0, 900ms, &sleep));
}

TEST_CASE("CallWithRetry retries connection-level errors only") {
  CHECK(IsRetryable(Err::kConnectionLoss));
  CHECK(IsRetryable(Err::kRequestTimeout));
  CHECK_FALSE(IsRetryable(Err::kNoNode));
  CHECK_FALSE(IsRetryable(Err::kSessionExpired));

  int calls = 0;
  auto r = CallWithRetry(RetryNTimes(5, 1ms), [&]() -> Result<int> {
    ++calls;
    if (calls < 3) return Err::kConnectionLoss;
    return 42;
  });
  REQUIRE(r.ok());
  CHECK(*r == 42);
  CHECK(calls == 3);

  calls = 0;
  auto answer = CallWithRetry(RetryNTimes(5, 1ms), [&]() -> Result<void> {
    ++calls;
    return Err::kNoNode;
  });
  CHECK(answer.err() == Err::kNoNode);
  CHECK(calls == 1);

  calls = 0;
  auto gave_up = CallWithRetry(RetryNTimes(2, 1ms), [&]() -> Result<void> {
    ++calls;
    return Err::kConnectionLoss;
  });
  CHECK(gave_up.err() == Err::kConnectionLoss);
  CHECK(calls == 3);
}

TEST_CASE("CallWithRetry rides over a broken connection") {
  Proxy proxy(Server().port());
  Options o;
  o.request_timeout = 200ms;
  auto c = Connect(proxy.hosts(), o);
  const std::string p = UniquePath("retry");
  REQUIRE(c->Create(p, "v").ok());
  proxy.Blackhole(true);
  std::atomic<int> calls{0};
  std::thread heal([&] {
    std::this_thread::sleep_for(500ms);  // Let a few attempts time out first.
    proxy.Blackhole(false);
  });
  auto r = CallWithRetry(RetryUntilElapsed(10000ms, 50ms), [&] {
    ++calls;
    return c->GetData(p);
  });
  heal.join();
  REQUIRE(r.ok());
  CHECK(r->data == "v");
  CHECK(calls.load() >= 2);
}

TEST_CASE("thousands of timed requests expire on time and the session goes on") {
  Proxy proxy(Server().port());
  Options o;
  o.request_timeout = 300ms;
  auto c = Connect(proxy.hosts(), o);
  proxy.Blackhole(true);
  constexpr int kN = 5000;
  std::atomic<int> timed_out{0};
  std::promise<void> all;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kN; ++i) {
    c->ExistsAsync("/", nullptr, [&](Result<Stat> r) {
      if (r.err() == Err::kRequestTimeout && ++timed_out == kN) all.set_value();
    });
  }
  auto f = all.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 290ms);
  CHECK(took < 3s);
  proxy.Blackhole(false);
  // The server still answers the backlog first; on a loaded machine that can take longer than
  // the 300 ms timeout, so retry (the session itself must survive).
  auto d = CallWithRetry(RetryUntilElapsed(10000ms, 50ms), [&] { return c->GetData("/"); });
  CHECK(d.ok());
  CHECK(c->session_id() != 0);
}

}  // namespace
}  // namespace zk::client::test
