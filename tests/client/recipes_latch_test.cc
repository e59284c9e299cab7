// zk::recipes::LeaderLatch against the server under test: one leader in join order, hand-off on
// Close, participants readable by everyone, leadership given up at once on a suspended
// connection and regained after the re-check, lost for good when the session expires, and a
// create whose reply was lost found again by its protection prefix.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "client/recipes/leader_latch.h"
#include "tests/client/harness.h"

namespace zk::client::test {
namespace {

using namespace std::chrono_literals;
using recipes::LeaderLatch;

size_t ParticipantCount(Client& c, const std::string& path) {
  auto r = LeaderLatch::Participants(c, path);
  return r.ok() ? r->size() : 0;
}

// Records a latch's leadership changes.
struct Transitions {
  std::mutex mu;
  std::vector<bool> seen;
  void Attach(LeaderLatch& latch) {
    latch.SetListener([this](bool leader) {
      std::lock_guard<std::mutex> l(mu);
      seen.push_back(leader);
    });
  }
  std::vector<bool> Get() {
    std::lock_guard<std::mutex> l(mu);
    return seen;
  }
};

TEST_CASE("latch: the first to join leads; Close hands over in join order") {
  const std::string path = UniquePath("latch-order") + "/election";
  auto ca = Connect(Server().hosts());
  auto cb = Connect(Server().hosts());
  auto cc = Connect(Server().hosts());
  LeaderLatch a(*ca, path, "alpha"), b(*cb, path, "beta"), c(*cc, path, "gamma");
  Transitions ta, tb;
  ta.Attach(a);
  tb.Attach(b);
  REQUIRE(a.Start().ok());
  CHECK(a.Start().err() == Err::kInvalidState);
  REQUIRE(*a.Await(10s));
  REQUIRE(b.Start().ok());
  REQUIRE(Eventually([&] { return ParticipantCount(*ca, path) == 2; }, 10s));
  REQUIRE(c.Start().ok());
  REQUIRE(Eventually([&] { return ParticipantCount(*ca, path) == 3; }, 10s));
  CHECK_FALSE(*b.Await(200ms));
  CHECK(a.HasLeadership());
  CHECK_FALSE(c.HasLeadership());
  auto parts = LeaderLatch::Participants(*cc, path);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 3);
  CHECK((*parts)[0].id == "alpha");
  CHECK((*parts)[0].leader);
  CHECK((*parts)[1].id == "beta");
  CHECK_FALSE((*parts)[1].leader);
  CHECK((*parts)[2].id == "gamma");
  CHECK((*parts)[0].node.find("-latch-") != std::string::npos);
  a.Close();
  CHECK_FALSE(a.HasLeadership());
  CHECK(a.state() == LeaderLatch::State::kClosed);
  REQUIRE(*b.Await(10s));
  CHECK_FALSE(c.HasLeadership());
  // The listener runs right after the state changes (Await may return first).
  CHECK(Eventually([&] { return ta.Get() == std::vector<bool>{true, false}; }, 5s));
  CHECK(Eventually([&] { return tb.Get() == std::vector<bool>{true}; }, 5s));
  CHECK(a.Await(10ms).err() == Err::kInvalidState);
  b.Close();
  REQUIRE(*c.Await(10s));
  c.Close();
  CHECK(ParticipantCount(*ca, path) == 0);
}

TEST_CASE("latch: leadership is given up at once on suspension and regained after the re-check") {
  const std::string path = UniquePath("latch-suspend") + "/election";
  Proxy proxy(Server().port());
  auto cl = Connect(proxy.hosts());
  auto co = Connect(Server().hosts());
  LeaderLatch leader(*cl, path, "cut-off"), other(*co, path, "other");
  Transitions t;
  t.Attach(leader);
  REQUIRE(leader.Start().ok());
  REQUIRE(*leader.Await(10s));
  REQUIRE(other.Start().ok());
  REQUIRE(Eventually([&] { return ParticipantCount(*co, path) == 2; }, 10s));
  proxy.Refuse(true);
  proxy.Cut(true);
  CHECK(Eventually([&] { return !leader.HasLeadership(); }, 5s));
  // The session lives on: its node still blocks the other participant.
  CHECK_FALSE(other.HasLeadership());
  proxy.Refuse(false);
  CHECK(*leader.Await(20s));
  CHECK_FALSE(other.HasLeadership());
  CHECK(Eventually([&] { return t.Get() == std::vector<bool>{true, false, true}; }, 5s));
  CHECK(ParticipantCount(*co, path) == 2);
}

TEST_CASE("latch: a leader whose session expires is closed; the next participant leads") {
  const std::string path = UniquePath("latch-expire") + "/election";
  Proxy proxy(Server().port());
  auto cl = Connect(proxy.hosts());
  auto co = Connect(Server().hosts());
  LeaderLatch leader(*cl, path, "doomed"), next(*co, path, "next");
  REQUIRE(leader.Start().ok());
  REQUIRE(*leader.Await(10s));
  REQUIRE(next.Start().ok());
  REQUIRE(Eventually([&] { return ParticipantCount(*co, path) == 2; }, 10s));
  proxy.Refuse(true);
  proxy.Cut(true);
  Options o;
  o.session_id = cl->session_id();
  o.session_password = cl->session_password();
  auto thief = Connect(Server().hosts(), o);
  thief->Close();  // the server ends the session
  REQUIRE(*next.Await(20s));
  proxy.Refuse(false);
  CHECK(Eventually([&] { return leader.state() == LeaderLatch::State::kClosed; }, 20s));
  CHECK_FALSE(leader.HasLeadership());
  CHECK(leader.Await(10ms).err() == Err::kSessionExpired);
  CHECK(next.HasLeadership());
}

TEST_CASE("latch: a create whose reply was lost is found by its protection prefix") {
  const std::string base = UniquePath("latch-protect");
  const std::string path = base + "/election";
  auto observer = Connect(Server().hosts());
  REQUIRE(observer->Create(base, "").ok());
  REQUIRE(observer->Create(path, "", OpenAclUnsafe(), CreateMode::kContainer).ok());
  Proxy proxy(Server().port());
  auto c = Connect(proxy.hosts());
  LeaderLatch latch(*c, path, "lost-reply");
  proxy.Blackhole(true);
  REQUIRE(latch.Start().ok());
  REQUIRE(Eventually([&] { return ParticipantCount(*observer, path) == 1; }, 10s));
  proxy.Cut(false);
  proxy.Blackhole(false);
  REQUIRE(*latch.Await(20s));
  CHECK(ParticipantCount(*observer, path) == 1);
  latch.Close();
  CHECK(Eventually([&] { return ParticipantCount(*observer, path) == 0; }, 10s));
}

}  // namespace
}  // namespace zk::client::test
