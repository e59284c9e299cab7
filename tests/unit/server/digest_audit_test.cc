#include "server/digest_audit.h"

#include <doctest/doctest.h>

#include "server/forwarding.h"

namespace zk::server {
namespace {

TEST_CASE("A sample for an applied zxid is compared with that zxid's digest") {
  DigestAudit a;
  CHECK_FALSE(a.Applied(1, 100));
  CHECK_FALSE(a.Applied(2, 200));
  CHECK_FALSE(a.Applied(3, 300));
  CHECK_FALSE(a.Sample(2, 200));
  auto m = a.Sample(3, 301);
  REQUIRE(m);
  CHECK(m->zxid == 3);
  CHECK(m->expected == 301);
  CHECK(m->actual == 300);
  CHECK(a.checks() == 2);
  CHECK(a.mismatches() == 1);
}

TEST_CASE("A sample ahead of this replica waits until it applies that zxid") {
  DigestAudit a;
  CHECK_FALSE(a.Applied(1, 10));
  CHECK_FALSE(a.Sample(3, 30));
  CHECK_FALSE(a.Sample(5, 99));
  CHECK(a.checks() == 0);
  CHECK_FALSE(a.Applied(2, 20));
  CHECK_FALSE(a.Applied(3, 30));  // equal: no mismatch
  CHECK(a.checks() == 1);
  CHECK_FALSE(a.Applied(4, 40));
  auto m = a.Applied(5, 50);
  REQUIRE(m);
  CHECK(m->zxid == 5);
  CHECK(m->expected == 99);
  CHECK(m->actual == 50);
}

TEST_CASE("A pending sample for a zxid skipped by a snapshot is dropped, not compared") {
  DigestAudit a;
  CHECK_FALSE(a.Sample(7, 70));
  a.Reset();  // the replica installed a snapshot
  CHECK(a.dropped() == 1);
  CHECK_FALSE(a.Sample(9, 90));
  CHECK_FALSE(a.Applied(10, 1000));  // 9 was never applied here
  CHECK(a.checks() == 0);
  CHECK(a.dropped() == 2);
}

TEST_CASE("Samples older than the history are dropped uncompared") {
  DigestAudit a;
  for (int64_t z = 1; z <= static_cast<int64_t>(DigestAudit::kHistory) + 10; ++z) {
    CHECK_FALSE(a.Applied(z, static_cast<uint64_t>(z)));
  }
  CHECK_FALSE(a.Sample(5, 12345));
  CHECK(a.checks() == 0);
  CHECK(a.dropped() == 1);
  CHECK(a.Sample(DigestAudit::kHistory + 10, 1));  // the newest is still there
}

TEST_CASE("Pending samples are bounded") {
  DigestAudit a;
  for (int64_t z = 1; z <= static_cast<int64_t>(DigestAudit::kMaxPending) + 5; ++z) {
    CHECK_FALSE(a.Sample(z, 0));
  }
  CHECK(a.dropped() == 5);
}

TEST_CASE("TreeDigest round-trips through the application message codec") {
  const TreeDigest t{0x500000007LL, 0xfedcba9876543210ULL};
  AppMessage out;
  REQUIRE(DecodeAppMessage(EncodeAppMessage(t), &out));
  REQUIRE(std::holds_alternative<TreeDigest>(out));
  CHECK(std::get<TreeDigest>(out).zxid == t.zxid);
  CHECK(std::get<TreeDigest>(out).digest == t.digest);
}

}  // namespace
}  // namespace zk::server
