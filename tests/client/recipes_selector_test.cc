// zk::recipes::LeaderSelector against the server under test: one callback at a time in queue
// order with increasing tokens, auto-requeue taking turns, Requeue, the running callback told
// to stop at once on a suspended connection and on InterruptLeadership, Close while queued and
// while leading, and a selector whose session expired is closed.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "client/recipes/leader_selector.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;
using recipes::LeaderSelector;
using recipes::LeaderSelectorOptions;
using recipes::LeadershipContext;

size_t ParticipantCount(Client& c, const std::string& path) {
  auto r = LeaderSelector::Participants(c, path);
  return r.ok() ? r->size() : 0;
}

// The terms of several selectors: who led, with which token, and whether two callbacks ever
// ran at once. A callback leads until released (or cancelled, if it honours cancellation).
struct Terms {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, int64_t>> led;  // (id, token) per term, in order
  int running = 0;
  int max_running = 0;
  int released = 0;  // terms allowed to end
  bool honour_cancel = true;
  int cancelled_terms = 0;

  LeaderSelector::Callback Make(const std::string& id) {
    return [this, id](LeadershipContext& ctx) {
      std::unique_lock<std::mutex> l(mu);
      led.emplace_back(id, ctx.FencingToken());
      const size_t term = led.size();
      max_running = std::max(max_running, ++running);
      cv.notify_all();
      while (static_cast<size_t>(released) < term) {
        if (honour_cancel && ctx.Cancelled()) {
          ++cancelled_terms;
          break;
        }
        cv.wait_for(l, 5ms);
      }
      --running;
      cv.notify_all();
    };
  }
  bool WaitTerms(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, timeout, [&] { return led.size() >= n; });
  }
  void ReleaseOne() {
    std::lock_guard<std::mutex> l(mu);
    ++released;
    cv.notify_all();
  }
  std::vector<std::string> Ids() {
    std::lock_guard<std::mutex> l(mu);
    std::vector<std::string> out;
    for (auto& [id, token] : led) out.push_back(id);
    return out;
  }
};

TEST_CASE("selector: one callback at a time, in queue order, with increasing tokens") {
  const std::string path = UniquePath("selector-order") + "/leader";
  auto ca = Connect(Server().hosts());
  auto cb = Connect(Server().hosts());
  auto cc = Connect(Server().hosts());
  Terms terms;
  LeaderSelector a(*ca, path, "alpha", terms.Make("alpha"));
  LeaderSelector b(*cb, path, "beta", terms.Make("beta"));
  LeaderSelector c(*cc, path, "gamma", terms.Make("gamma"));
  REQUIRE(a.Start().ok());
  CHECK(a.Start().err() == Err::kInvalidState);
  REQUIRE(terms.WaitTerms(1, 10s));
  CHECK(a.HasLeadership());
  REQUIRE(b.Start().ok());
  REQUIRE(Eventually([&] { return ParticipantCount(*ca, path) == 2; }, 10s));
  REQUIRE(c.Start().ok());
  REQUIRE(Eventually([&] { return ParticipantCount(*ca, path) == 3; }, 10s));
  auto parts = LeaderSelector::Participants(*cc, path);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 3);
  CHECK((*parts)[0].id == "alpha");
  CHECK((*parts)[0].leader);
  CHECK((*parts)[1].id == "beta");
  CHECK((*parts)[2].id == "gamma");
  CHECK((*parts)[0].node.find("-lock-") != std::string::npos);
  CHECK_FALSE(b.HasLeadership());
  for (int i = 0; i < 3; ++i) {
    terms.ReleaseOne();
    if (i < 2) REQUIRE(terms.WaitTerms(i + 2, 10s));
  }
  // Without auto-requeue everyone led once and left the queue.
  CHECK(Eventually([&] { return ParticipantCount(*ca, path) == 0; }, 10s));
  CHECK(terms.Ids() == std::vector<std::string>{"alpha", "beta", "gamma"});
  CHECK(terms.max_running == 1);
  CHECK(terms.led[0].second < terms.led[1].second);
  CHECK(terms.led[1].second < terms.led[2].second);
  CHECK_FALSE(a.HasLeadership());
  // Requeue: alpha leads again, at the back of the (now empty) queue.
  CHECK(a.Requeue());
  REQUIRE(terms.WaitTerms(4, 10s));
  CHECK_FALSE(a.Requeue());  // leading
  CHECK(terms.Ids().back() == "alpha");
  terms.ReleaseOne();
  CHECK(Eventually([&] { return ParticipantCount(*ca, path) == 0; }, 10s));
}

TEST_CASE("selector: with auto-requeue two participants take turns") {
  const std::string path = UniquePath("selector-requeue") + "/leader";
  auto ca = Connect(Server().hosts());
  auto cb = Connect(Server().hosts());
  Terms terms;
  LeaderSelectorOptions opts;
  opts.auto_requeue = true;
  LeaderSelector a(*ca, path, "a", terms.Make("a"), opts);
  LeaderSelector b(*cb, path, "b", terms.Make("b"), opts);
  REQUIRE(a.Start().ok());
  REQUIRE(terms.WaitTerms(1, 10s));
  REQUIRE(b.Start().ok());
  REQUIRE(Eventually([&] { return ParticipantCount(*ca, path) == 2; }, 10s));
  for (size_t i = 1; i <= 4; ++i) {
    // The leader requeues behind the other participant before the other one can finish.
    REQUIRE(Eventually([&] { return ParticipantCount(*ca, path) == 2; }, 10s));
    terms.ReleaseOne();
    REQUIRE(terms.WaitTerms(i + 1, 10s));
  }
  CHECK(terms.Ids() == std::vector<std::string>{"a", "b", "a", "b", "a"});
  CHECK(terms.max_running == 1);
  a.Close();
  b.Close();
  CHECK(a.state() == LeaderSelector::State::kClosed);
  CHECK(Eventually([&] { return ParticipantCount(*ca, path) == 0; }, 10s));
}

TEST_CASE("selector: a suspended leader is told to stop at once; Interrupt and Close cancel") {
  const std::string path = UniquePath("selector-suspend") + "/leader";
  Proxy proxy(Server().port());
  auto cl = Connect(proxy.hosts());
  auto co = Connect(Server().hosts());
  Terms terms;
  LeaderSelectorOptions opts;
  opts.auto_requeue = true;
  LeaderSelector leader(*cl, path, "cut-off", terms.Make("cut-off"), opts);
  LeaderSelector other(*co, path, "other", terms.Make("other"));
  REQUIRE(leader.Start().ok());
  REQUIRE(terms.WaitTerms(1, 10s));
  REQUIRE(other.Start().ok());
  REQUIRE(Eventually([&] { return ParticipantCount(*co, path) == 2; }, 10s));
  proxy.Refuse(true);
  proxy.Cut(true);
  // Told at once (well before the session could expire), and the callback returned.
  CHECK(Eventually([&] { return !leader.HasLeadership(); }, 3s));
  CHECK(Eventually(
      [&] {
        std::lock_guard<std::mutex> l(terms.mu);
        return terms.cancelled_terms == 1 && terms.running == 0;
      },
      3s));
  proxy.Refuse(false);
  // Its node is removed on reconnect (the session survived): the other participant leads; the
  // cut-off one has requeued behind it.
  REQUIRE(terms.WaitTerms(2, 20s));
  CHECK(terms.Ids()[1] == "other");
  CHECK(other.HasLeadership());
  CHECK(Eventually([&] { return ParticipantCount(*co, path) == 2; }, 10s));
  // InterruptLeadership cancels the running term; the next one (the requeued leader) follows.
  CHECK_FALSE(leader.InterruptLeadership());
  CHECK(other.InterruptLeadership());
  REQUIRE(terms.WaitTerms(3, 10s));
  CHECK(terms.Ids()[2] == "cut-off");
  // Close while leading: the callback is cancelled and the node goes.
  leader.Close();
  CHECK_FALSE(leader.HasLeadership());
  CHECK(Eventually([&] { return ParticipantCount(*co, path) == 0; }, 10s));
  CHECK(terms.max_running == 1);
}

TEST_CASE("selector: Close while queued leaves no node; an expired session closes the selector") {
  const std::string path = UniquePath("selector-close") + "/leader";
  Proxy proxy(Server().port());
  auto cq = Connect(proxy.hosts());
  auto ch = Connect(Server().hosts());
  Terms terms;
  LeaderSelector holder(*ch, path, "holder", terms.Make("holder"));
  REQUIRE(holder.Start().ok());
  REQUIRE(terms.WaitTerms(1, 10s));
  {
    LeaderSelector queued(*ch, path, "queued", terms.Make("queued"));
    REQUIRE(queued.Start().ok());
    REQUIRE(Eventually([&] { return ParticipantCount(*ch, path) == 2; }, 10s));
    queued.Close();
    CHECK(ParticipantCount(*ch, path) == 1);
  }
  LeaderSelector doomed(*cq, path, "doomed", terms.Make("doomed"));
  REQUIRE(doomed.Start().ok());
  REQUIRE(Eventually([&] { return ParticipantCount(*ch, path) == 2; }, 10s));
  proxy.Refuse(true);
  proxy.Cut(true);
  Options o;
  o.session_id = cq->session_id();
  o.session_password = cq->session_password();
  auto thief = Connect(Server().hosts(), o);
  thief->Close();  // the server ends the session
  CHECK(Eventually([&] { return ParticipantCount(*ch, path) == 1; }, 10s));
  proxy.Refuse(false);
  CHECK(Eventually([&] { return doomed.state() == LeaderSelector::State::kClosed; }, 20s));
  CHECK_FALSE(doomed.Requeue());
  terms.ReleaseOne();
  CHECK(Eventually([&] { return ParticipantCount(*ch, path) == 0; }, 10s));
  CHECK(terms.Ids() == std::vector<std::string>{"holder"});
}

}  // namespace
}  // namespace zk::client::test
